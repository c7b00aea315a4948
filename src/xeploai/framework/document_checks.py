"""Checker, leaf checks of what a framework document declares: Unicode NFC text, the file's name and dates,
scales, enums, record and evidence fields, labels and citations.

Input: the document model (or its plain data) and the loader's positions. Output: ``Issue`` records; also the
names the document declares (subject kinds, rules) that the other checks look up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import PurePath

from xeploai.framework import schema
from xeploai.framework.resolver import (
    Declarations,
    Entry,
    MergedSubject,
    Path,
    SpanOf,
    base_subject,
    dotted,
)
from xeploai.program import ir
from xeploai.program.issues import Issue, suggest

_DATE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_VERSION = re.compile(r"^([^/]+)/(\d{4}-\d{2}-\d{2})$")


def superseded(reference: str) -> tuple[str, date] | None:
    """The family and effective date a ``supersedes`` value names, or None when it is not ``family/YYYY-MM-DD``.

    >>> superseded("party/2019-10-18")
    ('party', datetime.date(2019, 10, 18))
    >>> superseded("party-2019-10-18") is None
    True
    """
    match = _VERSION.match(reference)
    if match is None:
        return None
    try:
        return match.group(1), date.fromisoformat(match.group(2))
    except ValueError:
        return None


def check_text(data: object, path: Path, span_of: SpanOf) -> Iterator[Issue]:
    """Every string (keys included) must be Unicode NFC."""
    match data:
        case str() if unicodedata.normalize("NFC", data) != data:
            yield Issue.from_text(
                "non-nfc-text",
                ir.Text(
                    f"văn bản không ở dạng Unicode NFC: '{data[:60]}'", f"text is not in Unicode NFC: '{data[:60]}'"
                ),
                dotted(path),
                span_of(path),
                ir.Text(
                    "lưu tệp với chữ tiếng Việt dựng sẵn (NFC)",
                    "save the file with composed Vietnamese characters (NFC)",
                ),
            )
        case dict():
            for key, value in data.items():
                if isinstance(key, str) and unicodedata.normalize("NFC", key) != key:
                    message = ir.Text(f"khóa không ở dạng Unicode NFC: '{key}'", f"key is not in Unicode NFC: '{key}'")
                    yield Issue.from_text("non-nfc-text", message, dotted(path), span_of(path))
                yield from check_text(value, (*path, key), span_of)
        case list():
            for index, value in enumerate(data):
                yield from check_text(value, (*path, index), span_of)


def check_identity(doc: schema.FrameworkDoc, span_of: SpanOf, source: str) -> Iterator[Issue]:
    match = _DATE_NAME.match(PurePath(source).name)
    effective = doc.framework.effective_from.isoformat()
    if match and match.group(1) != effective:
        path: Path = ("framework", "effective_from")
        name = PurePath(source).name
        yield Issue.from_text(
            "effective-date-mismatch",
            ir.Text(
                f"effective_from là {effective} nhưng tệp có tên {name}",
                f"effective_from is {effective} but the file is named {name}",
            ),
            dotted(path),
            span_of(path),
            ir.Text(
                f"đổi tên tệp thành {effective}.yaml hoặc sửa lại ngày",
                f"rename the file to {effective}.yaml or correct the date",
            ),
        )
    until = doc.framework.effective_until
    if until is not None and until < doc.framework.effective_from:
        path = ("framework", "effective_until")
        message = ir.Text(
            f"effective_until {until} sớm hơn effective_from", f"effective_until {until} is before effective_from"
        )
        yield Issue.from_text("invalid-value", message, dotted(path), span_of(path))
    yield from _check_supersedes(doc, span_of)


def _check_supersedes(doc: schema.FrameworkDoc, span_of: SpanOf) -> Iterator[Issue]:
    """``supersedes`` names an earlier version of the same family, as ``family/YYYY-MM-DD``."""
    reference = doc.framework.supersedes
    if reference is None:
        return
    path: Path = ("framework", "supersedes")
    named = superseded(reference)
    family, effective = doc.framework.family, doc.framework.effective_from
    message = None
    if named is None:
        message = ir.Text(
            f"supersedes {reference!r} phải có dạng family/YYYY-MM-DD (ví dụ {family}/2019-10-18)",
            f"supersedes {reference!r} must read family/YYYY-MM-DD (e.g. {family}/2019-10-18)",
        )
    elif named[0] != family:
        message = ir.Text(
            f"supersedes {reference!r} thuộc họ khác: phiên bản này thuộc họ {family}",
            f"supersedes {reference!r} names another family: this version is of the family {family}",
        )
    elif named[1] >= effective:
        message = ir.Text(
            f"supersedes {reference!r} có hiệu lực sau hoặc cùng ngày với phiên bản này ({effective})",
            f"supersedes {reference!r} takes effect after this version or on its day ({effective})",
        )
    if message is not None:
        yield Issue.from_text("invalid-value", message, dotted(path), span_of(path))


def check_declarations(doc: schema.FrameworkDoc, span_of: SpanOf) -> Iterator[Issue]:
    named: list[tuple[Path, list[schema.ScaleValue]]] = [(("levels",), doc.levels)] if doc.levels else []
    named += [(("scales", k, "values"), v.values) for k, v in doc.scales.items()]
    named += [(("enums", k, "values"), v.values) for k, v in doc.enums.items()]
    for path, values in named:
        for attr in ("id", "code"):
            seen: set[str] = set()
            for index, value in enumerate(values):
                key = getattr(value, attr)
                if key in seen:
                    yield Issue.from_text(
                        "invalid-value",
                        ir.Text(f"{attr} '{key}' xuất hiện hai lần", f"the {attr} '{key}' appears twice"),
                        dotted((*path, index, attr)),
                        span_of((*path, index, attr)),
                    )
                seen.add(key)
    for path, values in named:
        yield from _check_spellings(path, values, span_of)
    if ir.LEVEL_SCALE in doc.scales:
        path = ("scales", ir.LEVEL_SCALE)
        message = ir.Text("'level' là tên dành riêng cho thang mức xếp loại", "'level' is reserved for the level scale")
        yield Issue.from_text("invalid-value", message, dotted(path), span_of(path))
    decl_ids: dict[str, Mapping[str, object]] = {
        "scale": doc.scales,
        "enum": doc.enums,
        "records": doc.records,
    }
    for record_id, record in doc.records.items():
        for name, f in record.fields.items():
            field_path: Path = ("records", record_id, "fields", name)
            yield from check_field(f, field_path, decl_ids, {}, span_of, in_record=True)


def fold_spelling(text: str) -> str:
    """How the spellings of a scale's values are told apart: without case, Vietnamese diacritics or extra spaces.

    >>> fold_spelling("  Hoàn thành TỐT  nhiệm vụ"), fold_spelling("Đạt")
    ('hoan thanh tot nhiem vu', 'dat')
    """
    decomposed = unicodedata.normalize("NFD", " ".join(text.casefold().split())).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _check_spellings(path: Path, values: list[schema.ScaleValue], span_of: SpanOf) -> Iterator[Issue]:
    """Each id, code and label names one value of its scale: a level, a grade or an enum value is found by any of
    them (``at_most: HT``, ``task_results: Tốt``, a table's cell), so two values spelled alike once case and
    diacritics are set aside would make the first one win silently."""
    owner: dict[str, tuple[int, str, str]] = {}  # folded spelling → (value index, attribute, spelling)
    for index, value in enumerate(values):
        spellings = (("id", value.id), ("code", value.code), ("label.vi", value.label.vi), ("label.en", value.label.en))
        for attr, spelling in spellings:
            key = fold_spelling(spelling)
            first = owner.setdefault(key, (index, attr, spelling))
            if first[0] == index or (first[1] == attr and first[2] == spelling and attr in ("id", "code")):
                continue  # the value's own spellings may agree; an id or code written twice is reported above
            other = values[first[0]]
            theirs = dotted((*path, first[0])) + "." + first[1]
            where = (*path, index, *attr.split("."))
            yield Issue.from_text(
                "ambiguous-spelling",
                ir.Text(
                    f"{attr} '{spelling}' của '{value.id}' viết giống '{first[2]}' ({theirs}) của '{other.id}' khi bỏ"
                    " qua hoa thường và dấu: mỗi cách viết chỉ gọi một giá trị",
                    f"the {attr} '{spelling}' of '{value.id}' is spelled like '{first[2]}' ({theirs}) of "
                    f"'{other.id}' when case and diacritics are set aside: a spelling names one value",
                ),
                dotted(where),
                span_of(where),
                ir.Text(
                    "đổi một trong hai cách viết; một giá trị được tìm theo mã định danh, ký hiệu hoặc nhãn của nó",
                    "change one of the two: a value is found by its id, its code or either label",
                ),
            )


def check_field(
    f: schema.FieldDoc,
    path: Path,
    decl_ids: Mapping[str, Mapping[str, object]],
    siblings: Mapping[str, Entry],
    span_of: SpanOf,
    in_record: bool = False,
) -> Iterator[Issue]:
    if f.label is None:
        yield missing_label(path, span_of, ir.Text(f"trường '{path[-1]}'", f"field '{path[-1]}'"))
    if f.type in decl_ids:
        declared = decl_ids[f.type]
        if f.of is None:
            yield Issue.from_text(
                "missing-key",
                ir.Text(f"trường kiểu {f.type} cần khóa 'of'", f"a field of type {f.type} needs 'of'"),
                dotted(path),
                span_of(path),
                ir.Text(
                    "ghi tên " + _DECLARED_VI[f.type],
                    "name the " + {"scale": "scale", "enum": "enum", "records": "record type"}[f.type],
                ),
            )
        elif f.of not in declared:
            yield Issue.from_text(
                "unknown-declaration",
                ir.Text(
                    f"'{f.of}' chưa được khai báo là {_DECLARED_VI[f.type]}", f"'{f.of}' is not a declared {f.type}"
                ),
                dotted((*path, "of")),
                span_of((*path, "of")),
                suggest(f.of, declared),
            )
        if f.type == "records" and in_record:
            message = ir.Text("bản ghi không được chứa trường kiểu records", "records cannot contain records")
            yield Issue.from_text("invalid-value", message, dotted(path), span_of(path))
    elif f.of is not None:
        message = ir.Text(
            "'of' chỉ dùng cho trường kiểu scale, enum và records", "'of' is only for scale, enum and records fields"
        )
        yield Issue.from_text("unknown-key", message, dotted(path), span_of(path))
    if f.at_most is not None:
        other = siblings.get(f.at_most)
        if other is None:
            yield Issue.from_text(
                "unknown-reference",
                ir.Text(
                    f"at_most ghi '{f.at_most}', nhưng đó không phải trường của loại đối tượng này",
                    f"at_most names '{f.at_most}', which is not a field of this subject kind",
                ),
                dotted((*path, "at_most")),
                span_of((*path, "at_most")),
                suggest(f.at_most, siblings),
            )
        elif other.doc.type not in ("count", "number", "ratio") or f.type not in ("count", "number", "ratio"):
            yield Issue.from_text(
                "type-error",
                ir.Text(
                    f"at_most so sánh các số; '{path[-1]}' có kiểu {f.type} còn '{f.at_most}' có kiểu {other.doc.type}",
                    f"at_most compares numbers; '{path[-1]}' is {f.type} and '{f.at_most}' is {other.doc.type}",
                ),
                dotted((*path, "at_most")),
                span_of((*path, "at_most")),
            )
    if (f.min is not None or f.max is not None) and f.type not in ("count", "number", "ratio"):
        message = ir.Text(
            f"min và max chỉ áp dụng cho số, không áp dụng cho kiểu {f.type}",
            f"min and max apply to numbers, not {f.type}",
        )
        yield Issue.from_text("invalid-value", message, dotted(path), span_of(path))
    if f.better is not None:
        yield from _check_better(f, path, decl_ids, span_of)
    if f.from_result is not None and in_record:
        message = ir.Text(
            "trường của bản ghi không thể lấy kết quả khác (from_result)",
            "a field of a record cannot read another result (from_result)",
        )
        yield Issue.from_text("invalid-value", message, dotted((*path, "from_result")), span_of((*path, "from_result")))


def check_link(
    doc: schema.FrameworkDoc,
    decl: Declarations,
    kind: str,
    entry: Entry,
    span_of: SpanOf,
) -> Iterator[Issue]:
    """A field's ``from_result``: cited like a rule, not read from its own kind, and every ``map`` target a value
    of the field (the source levels belong to whichever framework of the run declares the kinds: checked there)."""
    f: schema.FieldDoc = entry.doc
    link = f.from_result
    if link is None:
        return
    path = (*entry.path, "from_result")
    name = entry.path[-1]
    yield from check_cited(
        doc, decl, Entry(link, path), span_of, ir.Text(f"liên kết của trường '{name}'", f"the link of field '{name}'")
    )
    if kind in link.kinds:
        index = link.kinds.index(kind)
        yield Issue.from_text(
            "reference-cycle",
            ir.Text(
                f"'{kind}' không thể đọc kết quả của chính loại '{kind}'",
                f"'{kind}' cannot read the result of its own kind '{kind}'",
            ),
            dotted((*path, "kinds", index)),
            span_of((*path, "kinds", index)),
        )
    if f.type not in ("level", "scale", "enum", "text", "bool"):
        yield Issue.from_text(
            "type-error",
            ir.Text(
                f"from_result đọc một mức xếp loại; trường kiểu {f.type} không nhận được mức",
                f"from_result reads a level; a {f.type} field cannot hold one",
            ),
            dotted((*path, "value")),
            span_of(path),
            ir.Text("khai báo trường kiểu level, scale hoặc enum", "declare the field as level, scale or enum"),
        )
        return
    allowed = _link_targets(f, decl)
    if allowed is None:
        return
    for source, target in link.map.items():
        if target not in allowed:
            where = (*path, "map", source)
            yield Issue.from_text(
                "unknown-declaration",
                ir.Text(
                    f"map chuyển '{source}' thành '{target}', nhưng đó không phải giá trị của trường '{name}'",
                    f"map turns '{source}' into '{target}', which is not a value of field '{name}'",
                ),
                dotted(where),
                span_of(where),
                suggest(target, sorted(allowed)),
            )


def _link_targets(f: schema.FieldDoc, decl: Declarations) -> set[str] | None:
    """The ids and codes a linked field can hold, or None when any text will do."""
    values: tuple[ir.ScaleValue, ...]
    if f.type == "level":
        values = decl.levels.values
    elif f.type == "scale" and f.of is not None and f.of in decl.scales:
        values = decl.scales[f.of].values
    elif f.type == "enum" and f.of is not None and f.of in decl.enums:
        values = decl.enums[f.of].values
    elif f.type == "bool":
        return {"true", "false"}
    else:
        return None
    return {v.id for v in values} | {v.code for v in values}


def _check_better(
    f: schema.FieldDoc, path: Path, decl_ids: Mapping[str, Mapping[str, object]], span_of: SpanOf
) -> Iterator[Issue]:
    """``better`` needs values with an order: numbers, booleans, grades, levels, ordered enums, records (how many)."""
    enum = decl_ids["enum"].get(f.of) if f.type == "enum" and f.of else None
    unordered_enum = isinstance(enum, schema.EnumDoc) and not enum.ordered
    if f.type in ("date", "text") or unordered_enum:
        what = (
            ir.Text(f"danh mục '{f.of}' không có thứ tự", f"enum '{f.of}' is not ordered")
            if unordered_enum
            else ir.Text(f"trường kiểu {f.type} không có chiều tốt hơn", f"a {f.type} field has no better direction")
        )
        yield Issue.from_text(
            "invalid-value",
            ir.Text(
                f"better: {f.better} cần các giá trị có thứ tự; {what.vi}",
                f"better: {f.better} needs ordered values; {what.en}",
            ),
            dotted((*path, "better")),
            span_of((*path, "better")),
            ir.Text(
                "khai báo danh mục với ordered: true (nhẹ nhất trước)",
                "declare the enum ordered: true (least severe first)",
            )
            if unordered_enum
            else ir.Text("bỏ khóa better", "remove better"),
        )


def check_default(f: schema.FieldDoc, field: ir.FieldDef | None, path: Path, span_of: SpanOf) -> Iterator[Issue]:
    if f.default is not None and field is not None and field.default is None:
        yield Issue.from_text(
            "invalid-default",
            ir.Text(
                f"giá trị mặc định {f.default!r} không phải giá trị {f.type} hợp lệ",
                f"default {f.default!r} is not a valid {f.type}",
            ),
            dotted((*path, "default")),
            span_of((*path, "default")),
        )


def missing_label(path: Path, span_of: SpanOf, what: ir.Text) -> Issue:
    return Issue.from_text(
        "missing-label",
        ir.Text(f"{what.vi} chưa có nhãn", f"{what.en} has no label"),
        dotted(path),
        span_of(path),
        ir.Text("thêm label: {vi: ..., en: ...}", "add label: {vi: ..., en: ...}"),
    )


# What the type of a scale, enum or records field names, in Vietnamese.
_DECLARED_VI: Mapping[str, str] = {"scale": "thang", "enum": "danh mục", "records": "loại bản ghi"}


def check_cited(
    doc: schema.FrameworkDoc, decl: Declarations, entry: Entry, span_of: SpanOf, what: ir.Text
) -> Iterator[Issue]:
    if entry.doc.label is None:
        yield missing_label(entry.path, span_of, what)
    cite = entry.doc.cite
    if cite is None:
        yield Issue.from_text(
            "missing-citation",
            ir.Text(f"{what.vi} chưa có trích dẫn căn cứ pháp lý", f"{what.en} has no citation"),
            dotted(entry.path),
            span_of(entry.path),
            CITE_HINT,
        )
    elif cite.doc not in legal_ids(doc, decl):
        path = (*entry.path, "cite", "doc")
        yield Issue.from_text(
            "unknown-document",
            ir.Text(
                f"'{cite.doc}' không có trong framework.legal_basis", f"'{cite.doc}' is not in framework.legal_basis"
            ),
            dotted(path),
            span_of(path),
            suggest(cite.doc, legal_ids(doc, decl)),
        )


CITE_HINT = ir.Text(
    "thêm cite: {doc: <mã văn bản trong legal_basis>, at: <điều, khoản, điểm>}",
    "add cite: {doc: <legal_basis id>, at: <article, clause>}",
)


def legal_ids(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = [d.id for d in decl.base.info.legal_basis] if decl.base else []
    return [*inherited, *doc.framework.legal_basis]


def subject_kinds(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = list(decl.base.subjects) if decl.base else []
    return [*inherited, *(k for k in doc.subjects if k not in inherited)]


def all_rules(subject: MergedSubject, decl: Declarations) -> list[str]:
    inherited = base_subject(decl, subject.kind)
    return [*(inherited.rules if inherited else ()), *subject.rules]


def not_a_kind(kind: str) -> ir.Text:
    return ir.Text(
        f"'{kind}' không phải loại đối tượng của khung tiêu chí này",
        f"'{kind}' is not a subject kind of this framework",
    )


def not_a_level(level: str) -> ir.Text:
    return ir.Text(
        f"'{level}' không phải mức xếp loại của khung tiêu chí này", f"'{level}' is not a level of this framework"
    )


def not_a_field(name: str, kind: str) -> ir.Text:
    return ir.Text(
        f"'{name}' không phải trường minh chứng của '{kind}'", f"'{name}' is not an evidence field of '{kind}'"
    )
