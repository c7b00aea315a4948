"""The checker: semantic checks of a whole framework document, reported all at once.

Input: the validated document model, the plain data (for text checks) and the loader's positions.
Output: ``Issue`` records (code, message, path, file:line:col, hint). Leaf checks say *what* is wrong; the
positions are looked up in one place, ``_at``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import PurePath

from xeploai.framework import schema
from xeploai.framework.compiler import (
    Declarations,
    Entry,
    MergedSubject,
    Path,
    SpanOf,
    StyleOf,
    base_subject,
    condition_origin,
    declarations,
    merged_subjects,
    parse_at_most,
    period_condition,
    ratio,
    subject_scope,
    with_period_fields,
)
from xeploai.framework.conditions import parse_condition, reads
from xeploai.program import ir
from xeploai.program.issues import DECLARABLE_CODES, Issue, suggest

_DATE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def check(
    doc: schema.FrameworkDoc,
    data: object,
    span_of: SpanOf,
    style_of: StyleOf,
    source: str,
    base: ir.Program | None = None,
) -> list[Issue]:
    """Every problem of a framework document, in document order."""
    issues = [
        *_check_text(data, (), span_of),
        *_check_identity(doc, span_of, source),
        *_check_declarations(doc, span_of),
    ]
    decl = declarations(doc, base)
    subjects = merged_subjects(doc)
    if doc.levels is None and base is None:
        issues.append(
            Issue.from_text(
                "missing-key",
                ir.Text("thiếu khóa 'levels'", "missing key 'levels'"),
                "levels",
                span_of(()),
                ir.Text("liệt kê các mức xếp loại, mức tốt nhất trước", "list the levels, best first"),
            )
        )
    for kind, subject_doc in doc.subjects.items():
        path: Path = ("subjects", kind)
        if subject_doc.extends and subject_doc.extends not in doc.subjects:
            issues.append(
                Issue.from_text(
                    "unknown-declaration",
                    ir.Text(
                        f"'{kind}' mở rộng '{subject_doc.extends}', nhưng đó không phải loại đối tượng của khung tiêu"
                        " chí này",
                        f"'{kind}' extends '{subject_doc.extends}', which is not a subject kind of this framework",
                    ),
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                    suggest(subject_doc.extends, doc.subjects),
                )
            )
        elif _extends_cycle(doc, kind):
            issues.append(
                Issue.from_text(
                    "reference-cycle",
                    ir.Text(
                        f"'{kind}' tự mở rộng chính nó qua '{subject_doc.extends}'",
                        f"'{kind}' extends itself through '{subject_doc.extends}'",
                    ),
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                )
            )
        if subject_doc.label is None and base_subject(decl, kind) is None:
            issues.append(_missing_label(path, span_of, ir.Text(f"loại đối tượng '{kind}'", f"subject kind '{kind}'")))
        if kind in subjects:
            issues.extend(_check_subject(doc, subjects[kind], decl, span_of, style_of, subjects))
            issues.extend(_check_relations(doc, decl, subjects[kind], span_of))
            issues.extend(_check_exceptions(doc, subjects[kind], decl, span_of, subjects))
    issues.extend(_check_kind_cycles(doc, subjects, span_of))
    issues.extend(_check_quotas(doc, subjects, decl, span_of))
    issues.extend(_check_extension(doc, subjects, decl, span_of))
    if doc.process is not None:
        issues.extend(_check_process(doc, doc.process, subjects, decl, span_of, style_of))
    issues.sort(key=lambda i: (i.span.line if i.span else 0, i.span.col if i.span else 0))
    return issues


def _extends_cycle(doc: schema.FrameworkDoc, kind: str) -> bool:
    seen = {kind}
    current = doc.subjects[kind].extends
    while current is not None and current in doc.subjects:
        if current in seen:
            return True
        seen.add(current)
        current = doc.subjects[current].extends
    return False


def _check_text(data: object, path: Path, span_of: SpanOf) -> Iterator[Issue]:
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
                yield from _check_text(value, (*path, key), span_of)
        case list():
            for index, value in enumerate(data):
                yield from _check_text(value, (*path, index), span_of)


def _check_identity(doc: schema.FrameworkDoc, span_of: SpanOf, source: str) -> Iterator[Issue]:
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


def _check_declarations(doc: schema.FrameworkDoc, span_of: SpanOf) -> Iterator[Issue]:
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
            yield from _check_field(f, field_path, decl_ids, {}, span_of, in_record=True)


def _check_field(
    f: schema.FieldDoc,
    path: Path,
    decl_ids: Mapping[str, Mapping[str, object]],
    siblings: Mapping[str, Entry],
    span_of: SpanOf,
    in_record: bool = False,
) -> Iterator[Issue]:
    if f.label is None:
        yield _missing_label(path, span_of, ir.Text(f"trường '{path[-1]}'", f"field '{path[-1]}'"))
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


def _check_default(f: schema.FieldDoc, field: ir.FieldDef | None, path: Path, span_of: SpanOf) -> Iterator[Issue]:
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


def _missing_label(path: Path, span_of: SpanOf, what: ir.Text) -> Issue:
    return Issue.from_text(
        "missing-label",
        ir.Text(f"{what.vi} chưa có nhãn", f"{what.en} has no label"),
        dotted(path),
        span_of(path),
        ir.Text("thêm label: {vi: ..., en: ...}", "add label: {vi: ..., en: ...}"),
    )


# What the type of a scale, enum or records field names, in Vietnamese.
_DECLARED_VI: Mapping[str, str] = {"scale": "thang", "enum": "danh mục", "records": "loại bản ghi"}


def _check_subject(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
    subjects: Mapping[str, MergedSubject],
) -> Iterator[Issue]:
    decl_ids: dict[str, Mapping[str, object]] = {
        "scale": doc.scales,
        "enum": doc.enums,
        "records": doc.records,
    }
    scope = subject_scope(subject, decl, span_of, subjects)
    own = set(subject.doc.evidence)
    for name, entry in subject.evidence.items():
        if name in own:
            yield from _check_field(entry.doc, entry.path, decl_ids, subject.evidence, span_of)
            yield from _check_default(entry.doc, scope.fields.get(name), entry.path, span_of)
    own_paths = {
        entry.path
        for entry in (
            *subject.rules.values(),
            *subject.overrides.values(),
            *subject.caps.values(),
            *subject.notes.values(),
        )
    }
    dependencies: dict[str, set[str]] = {}
    inherited = base_subject(decl, subject.kind)
    for rule in inherited.rules.values() if inherited else ():
        dependencies[rule.id] = reads(rule.expr)[1]
    for rule_id, entry in (*subject.rules.items(), *subject.overrides.items()):
        expr, found = parse_condition(
            entry.doc.when,
            condition_origin((*entry.path, "when"), span_of, style_of),
            dotted((*entry.path, "when")),
            scope,
        )
        if expr is not None:
            dependencies[rule_id] = reads(expr)[1]
        if entry.path in own_paths and entry.path[1] == subject.kind:
            yield from found
            yield from _check_cited(doc, decl, entry, span_of, ir.Text(f"quy tắc '{rule_id}'", f"rule '{rule_id}'"))
    for group, what, what_vi in ((subject.caps, "cap", "giới hạn mức"), (subject.notes, "note", "ghi chú")):
        for item_id, entry in group.items():
            if entry.path[1] != subject.kind:
                continue
            _, found = parse_condition(
                entry.doc.when,
                condition_origin((*entry.path, "when"), span_of, style_of),
                dotted((*entry.path, "when")),
                scope,
            )
            yield from found
            if what == "cap":
                _, found = parse_at_most(entry.doc.at_most, (*entry.path, "at_most"), scope, span_of, style_of)
                yield from found
            named = ir.Text(f"{what_vi} '{item_id}'", f"{what} '{item_id}'")
            yield from _check_cited(doc, decl, entry, span_of, named)
    yield from _check_lists(subject, decl, span_of)
    yield from _check_cycles(subject, dependencies, span_of)


def _legal_ids(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = [d.id for d in decl.base.info.legal_basis] if decl.base else []
    return [*inherited, *doc.framework.legal_basis]


def _kinds(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = list(decl.base.subjects) if decl.base else []
    return [*inherited, *(k for k in doc.subjects if k not in inherited)]


def _all_rules(subject: MergedSubject, decl: Declarations) -> list[str]:
    inherited = base_subject(decl, subject.kind)
    return [*(inherited.rules if inherited else ()), *subject.rules]


def _check_cited(
    doc: schema.FrameworkDoc, decl: Declarations, entry: Entry, span_of: SpanOf, what: ir.Text
) -> Iterator[Issue]:
    if entry.doc.label is None:
        yield _missing_label(entry.path, span_of, what)
    cite = entry.doc.cite
    if cite is None:
        yield Issue.from_text(
            "missing-citation",
            ir.Text(f"{what.vi} chưa có trích dẫn căn cứ pháp lý", f"{what.en} has no citation"),
            dotted(entry.path),
            span_of(entry.path),
            _CITE_HINT,
        )
    elif cite.doc not in _legal_ids(doc, decl):
        path = (*entry.path, "cite", "doc")
        yield Issue.from_text(
            "unknown-document",
            ir.Text(
                f"'{cite.doc}' không có trong framework.legal_basis", f"'{cite.doc}' is not in framework.legal_basis"
            ),
            dotted(path),
            span_of(path),
            suggest(cite.doc, _legal_ids(doc, decl)),
        )


_CITE_HINT = ir.Text(
    "thêm cite: {doc: <mã văn bản trong legal_basis>, at: <điều, khoản, điểm>}",
    "add cite: {doc: <legal_basis id>, at: <article, clause>}",
)


def _check_lists(subject: MergedSubject, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    if not level_ids:  # no level scale at all: reported once as a missing key
        return
    inherited = base_subject(decl, subject.kind)
    known_rules = _all_rules(subject, decl)
    upper = level_ids[:-1]
    lists: list[tuple[Path, list[str]]] = []
    for entry in (subject.not_classified, subject.not_completed):
        if entry is not None and entry.path[1] == subject.kind:
            lists.append((entry.path, entry.doc))
    if subject.levels is None and inherited is None:
        path = subject.path
        yield Issue.from_text(
            "level-mismatch",
            ir.Text(f"loại đối tượng '{subject.kind}' chưa có levels", f"subject kind '{subject.kind}' has no levels"),
            dotted(path),
            span_of(path),
            ir.Text(
                "thêm levels: với các quy tắc của " + ", ".join(upper),
                "add levels: with the rules of " + ", ".join(upper),
            ),
        )
    elif subject.levels is not None and subject.levels.path[1] == subject.kind:
        given: Mapping[str, list[str]] = subject.levels.doc
        for level_id, rule_ids in given.items():
            path = (*subject.levels.path, level_id)
            if level_id not in upper:
                hint = (
                    ir.Text(
                        f"'{level_id}' là mức thấp nhất: mức này đạt được qua not_completed",
                        f"'{level_id}' is the lowest level: it is reached through not_completed",
                    )
                    if level_id == level_ids[-1]
                    else suggest(level_id, upper)
                )
                yield Issue.from_text(
                    "level-mismatch",
                    ir.Text(
                        f"'{level_id}' không phải một mức trên mức thấp nhất",
                        f"'{level_id}' is not a level above the lowest",
                    ),
                    dotted(path),
                    span_of(path),
                    hint,
                )
            lists.append((path, rule_ids))
        missing = [level for level in upper if level not in given]
        if missing and inherited is None:
            yield Issue.from_text(
                "level-mismatch",
                ir.Text("levels thiếu " + ", ".join(missing), "levels lacks " + ", ".join(missing)),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        order = [level for level in given if level in upper]
        if order != [level for level in upper if level in given]:
            yield Issue.from_text(
                "level-mismatch",
                ir.Text(
                    "levels không theo thứ tự của thang mức xếp loại (mức tốt nhất trước): " + ", ".join(order),
                    "levels are not in the order of the level scale (best first): " + ", ".join(order),
                ),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        yield from _check_reachable(subject, [level for level in upper if level in given], given, span_of)
    for path, rule_ids in lists:
        for index, rule_id in enumerate(rule_ids):
            if rule_id not in known_rules:
                yield Issue.from_text(
                    "not-a-rule",
                    ir.Text(
                        f"'{rule_id}' không phải quy tắc của '{subject.kind}'",
                        f"'{rule_id}' is not a rule of '{subject.kind}'",
                    ),
                    dotted((*path, index)),
                    span_of((*path, index)),
                    suggest(rule_id, known_rules)
                    or ir.Text(
                        "ở đây chỉ liệt kê mã quy tắc; hãy viết điều kiện thành một quy tắc",
                        "list rule ids here; write the condition as a rule",
                    ),
                )


def _check_reachable(
    subject: MergedSubject, ordered: list[str], given: Mapping[str, list[str]], span_of: SpanOf
) -> Iterator[Issue]:
    """A lower level whose rules include all rules of a higher level can only hold when the higher one does."""
    for i, higher in enumerate(ordered):
        for lower in ordered[i + 1 :]:
            if set(given[higher]) <= set(given[lower]):
                path = (*subject.levels.path, lower) if subject.levels else subject.path
                yield Issue.from_text(
                    "unreachable-level",
                    ir.Text(
                        f"'{lower}' không bao giờ là kết quả: các quy tắc của mức này bao gồm mọi quy tắc của mức tốt"
                        f" hơn '{higher}'",
                        f"'{lower}' can never be the outcome: its rules include all rules of the better level"
                        f" '{higher}'",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text(
                        f"đối tượng đáp ứng '{lower}' thì luôn đáp ứng '{higher}' trước",
                        f"a subject meeting '{lower}' always meets '{higher}' first",
                    ),
                )
                break


def _check_cycles(subject: MergedSubject, dependencies: Mapping[str, set[str]], span_of: SpanOf) -> Iterator[Issue]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(rule_id: str, trail: list[str]) -> Iterator[Issue]:
        state[rule_id] = 1
        for dep in sorted(dependencies.get(rule_id, ())):
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    entry = subject.rules.get(dep) or subject.overrides.get(dep)
                    if entry is None:  # a cycle inside the extended framework is reported there
                        continue
                    yield Issue.from_text(
                        "reference-cycle",
                        ir.Text(
                            "các quy tắc phụ thuộc nhau thành vòng: " + " → ".join(cycle),
                            "rules depend on each other in a cycle: " + " → ".join(cycle),
                        ),
                        dotted((*entry.path, "when")),
                        span_of((*entry.path, "when")),
                        ir.Text(
                            "một quy tắc không được phụ thuộc vào chính nó, trực tiếp hay qua các quy tắc khác",
                            "a rule cannot depend on itself, directly or through others",
                        ),
                    )
            elif dep in dependencies and state.get(dep) is None:
                yield from visit(dep, [*trail, dep])
        state[rule_id] = 2

    for rule_id in sorted(dependencies):
        if state.get(rule_id) is None:
            yield from visit(rule_id, [rule_id])


def _check_relations(
    doc: schema.FrameworkDoc, decl: Declarations, subject: MergedSubject, span_of: SpanOf
) -> Iterator[Issue]:
    for rel_id, entry in subject.relations.items():
        if entry.path[1] != subject.kind:
            continue
        if entry.doc.label is None:
            yield _missing_label(entry.path, span_of, ir.Text(f"quan hệ '{rel_id}'", f"relation '{rel_id}'"))
        if rel_id in subject.evidence or rel_id in subject.rules:
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"quan hệ '{rel_id}' trùng tên với một trường minh chứng hoặc quy tắc của '{subject.kind}'",
                    f"relation '{rel_id}' has the name of an evidence field or rule of '{subject.kind}'",
                ),
                dotted(entry.path),
                span_of(entry.path),
            )
        for index, kind in enumerate(entry.doc.kinds):
            if kind not in _kinds(doc, decl):
                path = (*entry.path, "kinds", index)
                yield Issue.from_text(
                    "unknown-declaration",
                    _not_a_kind(kind),
                    dotted(path),
                    span_of(path),
                    suggest(kind, _kinds(doc, decl)),
                )


def _check_exceptions(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    subjects: Mapping[str, MergedSubject],
) -> Iterator[Issue]:
    """A declared exception names a finding code of the analysis and something of its kind, and cites the basis."""
    own = subject.doc.exceptions
    if not own:
        return
    ids = _exception_ids(doc, subject, decl, span_of, subjects)
    seen: set[tuple[str, str]] = set()
    for index, exception in enumerate(own):
        path: Path = (*subject.path, "exceptions", index)
        if exception.code not in DECLARABLE_CODES:
            codes = ", ".join(DECLARABLE_CODES)
            yield Issue.from_text(
                "unknown-finding-code",
                ir.Text(
                    f"'{exception.code}' không phải mã phát hiện của phân tích toàn khung",
                    f"'{exception.code}' is not a finding code of the whole-framework analysis",
                ),
                dotted((*path, "code")),
                span_of((*path, "code")),
                suggest(exception.code, DECLARABLE_CODES) or ir.Text(f"một trong: {codes}", f"one of: {codes}"),
            )
        if exception.id not in ids:
            alike = [i for i in ids if ("[]." in i) == ("[]." in exception.id)]  # record fields are suggested apart
            yield Issue.from_text(
                "unknown-exception-id",
                ir.Text(
                    f"'{exception.id}' không phải quy tắc, giới hạn mức, ghi chú, trường minh chứng, trường bản ghi hay"
                    f" mức xếp loại của '{subject.kind}'",
                    f"'{exception.id}' is no rule, cap, note, evidence field, record field or level of"
                    f" '{subject.kind}'",
                ),
                dotted((*path, "id")),
                span_of((*path, "id")),
                suggest(exception.id, sorted(alike))
                or ir.Text(
                    "trường bản ghi viết dạng <trường records>[].<trường>",
                    "a record field is written <records field>[].<field>",
                ),
            )
        if (exception.code, exception.id) in seen:
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"ngoại lệ {exception.code} '{exception.id}' được khai báo hai lần",
                    f"the exception {exception.code} '{exception.id}' is declared twice",
                ),
                dotted(path),
                span_of(path),
            )
        seen.add((exception.code, exception.id))
        if exception.cite is None:
            yield Issue.from_text(
                "missing-citation",
                ir.Text(
                    f"ngoại lệ {exception.code} '{exception.id}' chưa có trích dẫn căn cứ pháp lý",
                    f"the exception {exception.code} '{exception.id}' has no citation",
                ),
                dotted(path),
                span_of(path),
                _CITE_HINT,
            )
        elif exception.cite.doc not in _legal_ids(doc, decl):
            cite_path = (*path, "cite", "doc")
            yield Issue.from_text(
                "unknown-document",
                ir.Text(
                    f"'{exception.cite.doc}' không có trong framework.legal_basis",
                    f"'{exception.cite.doc}' is not in framework.legal_basis",
                ),
                dotted(cite_path),
                span_of(cite_path),
                suggest(exception.cite.doc, _legal_ids(doc, decl)),
            )


def _exception_ids(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    subjects: Mapping[str, MergedSubject],
) -> set[str]:
    """What an exception of a kind may name: its rules, caps, notes, fields (relations and the fields periods yield
    included), record fields as ``discipline[].form``, and the levels."""
    periods = doc.process.periods if doc.process is not None else None
    period_kinds = set(periods.kinds) if periods is not None else set()
    base_periods = decl.base.process.periods if decl.base and decl.base.process else None
    period_kinds |= set(base_periods.kinds) if base_periods is not None else set()
    scope = subject_scope(subject, decl, span_of, subjects)
    if subject.kind in period_kinds:
        scope = with_period_fields(scope)
    ids = {*scope.fields, *scope.rules, *subject.overrides, *subject.caps, *subject.notes}
    inherited = base_subject(decl, subject.kind)
    if inherited is not None:
        ids |= {c.id for c in inherited.caps} | {n.id for n in inherited.notes}
    if periods is not None and subject.kind in periods.kinds:
        ids |= {*periods.not_classified, *periods.caps, *periods.flags}
    ids |= {v.id for v in decl.levels.values}
    for name, f in scope.fields.items():
        record = scope.records.get(f.type.record) if isinstance(f.type, ir.RecordsType) else None
        if record is not None:
            ids |= {f"{name}[].{inner.id}" for inner in record.fields}
    return ids


def _check_kind_cycles(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], span_of: SpanOf
) -> Iterator[Issue]:
    """Subject kinds read each other through relations; the reading must have an order."""
    reads_kinds = {
        kind: sorted({k for entry in s.relations.values() for k in entry.doc.kinds if k in doc.subjects})
        for kind, s in subjects.items()
    }
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(kind: str, trail: list[str]) -> Iterator[Issue]:
        state[kind] = 1
        for other in reads_kinds.get(kind, []):
            if state.get(other) == 1:
                cycle = [*trail[trail.index(other) :], other]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    path = (*subjects[kind].path, "relations")
                    yield Issue.from_text(
                        "reference-cycle",
                        ir.Text(
                            "các loại đối tượng đọc kết quả của nhau thành vòng: " + " → ".join(cycle),
                            "subject kinds read each other's results in a cycle: " + " → ".join(cycle),
                        ),
                        dotted(path),
                        span_of(path),
                        ir.Text(
                            "một loại đối tượng không được đọc, trực tiếp hay qua loại khác, kết quả của loại đang"
                            " đọc nó",
                            "a kind cannot read, directly or through others, a kind that reads it",
                        ),
                    )
            elif state.get(other) is None:
                yield from visit(other, [*trail, other])
        state[kind] = 2

    for kind in sorted(reads_kinds):
        if state.get(kind) is None:
            yield from visit(kind, [kind])


def _check_quotas(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    for quota_id, q in doc.quotas.items():
        path: Path = ("quotas", quota_id)
        entry = Entry(q, path)
        yield from _check_cited(doc, decl, entry, span_of, ir.Text(f"tỷ lệ '{quota_id}'", f"quota '{quota_id}'"))
        for index, kind in enumerate(q.kinds):
            if kind not in _kinds(doc, decl):
                yield Issue.from_text(
                    "unknown-declaration",
                    _not_a_kind(kind),
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                    suggest(kind, doc.subjects),
                )
        for key, value in (("level", q.level), ("limit.of_level", q.limit.of_level), ("demote_to", q.demote_to)):
            if value not in level_ids:
                key_path = (*path, *key.split("."))
                yield Issue.from_text(
                    "level-mismatch",
                    _not_a_level(value),
                    dotted(key_path),
                    span_of(key_path),
                    suggest(value, level_ids),
                )
        if (
            q.level in level_ids
            and q.demote_to in level_ids
            and level_ids.index(q.demote_to) <= level_ids.index(q.level)
        ):
            yield Issue.from_text(
                "level-mismatch",
                ir.Text(
                    f"demote_to '{q.demote_to}' phải thấp hơn mức '{q.level}' của tỷ lệ",
                    f"demote_to '{q.demote_to}' must be below the quota's level '{q.level}'",
                ),
                dotted((*path, "demote_to")),
                span_of((*path, "demote_to")),
            )
        share = ratio(q.limit.ratio)
        if share is None or not 0 < share <= 1:
            ratio_path = (*path, "limit", "ratio")
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"ratio {q.limit.ratio!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 0.2 hoặc '20%')",
                    f"ratio {q.limit.ratio!r} is not a share between 0 and 1 (write 0.2 or '20%')",
                ),
                dotted(ratio_path),
                span_of(ratio_path),
            )
        if (q.group_by.unit_kind is None) == (q.group_by.field is None):
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    "group_by cần đúng một trong hai khóa unit_kind và field",
                    "group_by needs exactly one of unit_kind and field",
                ),
                dotted((*path, "group_by")),
                span_of((*path, "group_by")),
            )
        needed = [("group_by.field", q.group_by.field)] if q.group_by.field else []
        needed += [(f"rank_by[{i}].field", k.field) for i, k in enumerate(q.rank_by)]
        for key, field_name in needed:
            for kind in q.kinds:
                if kind in subjects and field_name not in subjects[kind].evidence:
                    yield Issue.from_text(
                        "unknown-reference",
                        _not_a_field(field_name, kind),
                        f"{dotted(path)}.{key}",
                        span_of(path),
                        suggest(field_name, subjects[kind].evidence),
                    )


def _check_extension(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    """An override must replace a rule that exists; a new rule must not silently replace one."""
    for kind, subject in subjects.items():
        inherited = base_subject(decl, kind)
        inherited_rules = set(inherited.rules) if inherited else set()
        for rule_id, entry in subject.overrides.items():
            if entry.path[1] == kind and rule_id not in inherited_rules:
                yield Issue.from_text(
                    "unknown-override",
                    ir.Text(
                        f"'{rule_id}' không thay thế quy tắc nào của '{kind}' trong khung tiêu chí được mở rộng",
                        f"'{rule_id}' overrides no rule of '{kind}' in the extended framework",
                    ),
                    dotted(entry.path),
                    span_of(entry.path),
                    suggest(rule_id, inherited_rules)
                    or (
                        ir.Text("khung tiêu chí này không mở rộng khung nào", "this framework extends none")
                        if decl.base is None
                        else ir.Text("viết quy tắc mới trong rules:", "write new rules under rules:")
                    ),
                )
        for rule_id, entry in subject.rules.items():
            if entry.path[1] == kind and rule_id in inherited_rules:
                yield Issue.from_text(
                    "duplicate-rule",
                    ir.Text(
                        f"'{rule_id}' đã là quy tắc của '{kind}' trong khung tiêu chí được mở rộng",
                        f"'{rule_id}' is already a rule of '{kind}' in the extended framework",
                    ),
                    dotted(entry.path),
                    span_of(entry.path),
                    ir.Text(
                        "muốn thay thế thì đặt quy tắc này trong overrides:", "to replace it, put it under overrides:"
                    ),
                )


# --- the review process ----------------------------------------------------------------------------------------

_READING_VALUES: Mapping[str, tuple[str, ...]] = {
    "quota_denominator": ("of_level", "of_level_and_above"),
    "quota_rounding": ("floor", "half_up", "ceil"),
    "score_rounding": ("none", "each", "total"),
}


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", " ".join(text.casefold().split())).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _check_process(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process",)
    yield from _check_aliases(process, decl, span_of)
    kinds = _kinds(doc, decl)
    ballots = [*(decl.base.process.ballots if decl.base and decl.base.process else ()), *process.ballots]
    laddered: dict[str, str] = {}
    for ladder_id, ladder in process.ladders.items():
        path: Path = (*root, "ladders", ladder_id)
        if ladder.label is None:
            yield _missing_label(path, span_of, ir.Text(f"trình tự đề xuất '{ladder_id}'", f"ladder '{ladder_id}'"))
        for index, kind in enumerate(ladder.kinds):
            yield from _known_kind(kind, (*path, "kinds", index), kinds, span_of)
            if kind in laddered:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{kind}' đã thuộc trình tự đề xuất '{laddered[kind]}'; mỗi loại đối tượng chỉ có một trình tự"
                        " đề xuất",
                        f"'{kind}' already climbs the ladder '{laddered[kind]}'; a kind has one ladder",
                    ),
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                )
            laddered.setdefault(kind, ladder_id)
        rung_ids: list[str] = []
        for index, rung in enumerate(ladder.rungs):
            rung_path: Path = (*path, "rungs", index)
            if rung.id in rung_ids:
                message = ir.Text(f"bậc đề xuất '{rung.id}' xuất hiện hai lần", f"the rung '{rung.id}' appears twice")
                yield Issue.from_text("invalid-value", message, dotted(rung_path), span_of(rung_path))
            rung_ids.append(rung.id)
            named = ir.Text(f"bậc đề xuất '{rung.id}'", f"rung '{rung.id}'")
            yield from _check_cited(doc, decl, Entry(rung, rung_path), span_of, named)
            if rung.ballot is not None and rung.ballot not in ballots:
                yield Issue.from_text(
                    "unknown-declaration",
                    ir.Text(
                        f"'{rung.ballot}' không phải quy định bỏ phiếu trong process.ballots",
                        f"'{rung.ballot}' is not a ballot of process.ballots",
                    ),
                    dotted((*rung_path, "ballot")),
                    span_of((*rung_path, "ballot")),
                    suggest(rung.ballot, ballots),
                )
        for index, name in enumerate(ladder.criteria):
            for kind in ladder.kinds:
                if kind in subjects and name not in subjects[kind].evidence:
                    yield Issue.from_text(
                        "unknown-reference",
                        _not_a_field(name, kind),
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                        suggest(name, subjects[kind].evidence),
                    )
                elif kind in subjects and subjects[kind].evidence[name].doc.type not in ("count", "number", "scale"):
                    field_type = subjects[kind].evidence[name].doc.type
                    yield Issue.from_text(
                        "type-error",
                        ir.Text(
                            f"tiêu chí phải là điểm số hoặc mức đánh giá; '{name}' có kiểu {field_type}",
                            f"a criterion is a score or a grade; '{name}' is {field_type}",
                        ),
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                    )
        for gap_id, gap in ladder.gaps.items():
            gap_path: Path = (*path, "gaps", gap_id)
            named = ir.Text(f"mức chênh lệch '{gap_id}'", f"gap '{gap_id}'")
            yield from _check_cited(doc, decl, Entry(gap, gap_path), span_of, named)
            for index, rung_id in enumerate(gap.between):
                if rung_id not in rung_ids:
                    yield Issue.from_text(
                        "unknown-reference",
                        ir.Text(
                            f"'{rung_id}' không phải bậc của trình tự đề xuất '{ladder_id}'",
                            f"'{rung_id}' is not a rung of the ladder '{ladder_id}'",
                        ),
                        dotted((*gap_path, "between", index)),
                        span_of((*gap_path, "between", index)),
                        suggest(rung_id, rung_ids),
                    )
            first, second = gap.between
            if first in rung_ids and second in rung_ids and rung_ids.index(first) >= rung_ids.index(second):
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"between ghi bậc trước lên trước: '{first}' không đứng trước '{second}'",
                        f"between lists the earlier rung first: '{first}' does not come before '{second}'",
                    ),
                    dotted((*gap_path, "between")),
                    span_of((*gap_path, "between")),
                )
            if gap.points is None and gap.levels is None:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text("mức chênh lệch cần points, levels hoặc cả hai", "a gap needs points, levels or both"),
                    dotted(gap_path),
                    span_of(gap_path),
                    ir.Text(
                        "ví dụ points: 5 (chênh lệch tổng điểm) hoặc levels: 1 (khác mức xếp loại)",
                        "for example points: 5 (a total-score difference) or levels: 1 (a different level)",
                    ),
                )
    for ballot_id, ballot in process.ballots.items():
        path = (*root, "ballots", ballot_id)
        named = ir.Text(f"quy định bỏ phiếu '{ballot_id}'", f"ballot '{ballot_id}'")
        yield from _check_cited(doc, decl, Entry(ballot, path), span_of, named)
        for key, value, upper in (("more_than", ballot.more_than, False), ("quorum", ballot.quorum, True)):
            share = None if value is None else ratio(value)
            if value is not None and (share is None or not 0 < share <= 1 or (share == 1 and not upper)):
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"{key} {value!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 50%, 0.5 hoặc 2/3)",
                        f"{key} {value!r} is not a share between 0 and 1 (write 50%, 0.5 or 2/3)",
                    ),
                    dotted((*path, key)),
                    span_of((*path, key)),
                )
    yield from _check_readings(doc, process, subjects, decl, span_of)
    if process.periods is not None:
        yield from _check_periods(doc, process.periods, subjects, decl, span_of, style_of)


def _known_kind(kind: str, path: Path, kinds: list[str], span_of: SpanOf) -> Iterator[Issue]:
    if kind not in kinds:
        yield Issue.from_text(
            "unknown-declaration", _not_a_kind(kind), dotted(path), span_of(path), suggest(kind, kinds)
        )


def _not_a_kind(kind: str) -> ir.Text:
    return ir.Text(
        f"'{kind}' không phải loại đối tượng của khung tiêu chí này",
        f"'{kind}' is not a subject kind of this framework",
    )


def _not_a_level(level: str) -> ir.Text:
    return ir.Text(
        f"'{level}' không phải mức xếp loại của khung tiêu chí này", f"'{level}' is not a level of this framework"
    )


def _not_a_field(name: str, kind: str) -> ir.Text:
    return ir.Text(
        f"'{name}' không phải trường minh chứng của '{kind}'", f"'{name}' is not an evidence field of '{kind}'"
    )


def _check_aliases(process: schema.ProcessDoc, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    owner: dict[str, str] = {}
    for value in decl.levels.values:
        for spelling in (value.id, value.code, value.label.vi, value.label.en):
            owner.setdefault(_strip_marks(spelling), value.id)
    for level, spellings in process.level_aliases.items():
        path: Path = ("process", "level_aliases", level)
        if level not in level_ids:
            yield Issue.from_text(
                "level-mismatch", _not_a_level(level), dotted(path), span_of(path), suggest(level, level_ids)
            )
            continue
        for index, spelling in enumerate(spellings):
            key = _strip_marks(spelling)
            other = owner.get(key)
            if other is not None and other != level:
                yield Issue.from_text(
                    "alias-conflict",
                    ir.Text(
                        f"'{spelling}' sẽ chỉ cả '{other}' lẫn '{level}'",
                        f"'{spelling}' would spell both '{other}' and '{level}'",
                    ),
                    dotted((*path, index)),
                    span_of((*path, index)),
                    ir.Text(
                        "mỗi cách viết (so sánh không phân biệt hoa thường, khoảng trắng và dấu) chỉ gọi một mức",
                        "a spelling (compared without case, spaces or diacritics) names one level",
                    ),
                )
            owner.setdefault(key, level)


def _check_readings(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
) -> Iterator[Issue]:
    quotas: dict[str, tuple[str, Fraction | None, str]] = {}  # id → (rounding, ratio, of_level)
    for q in decl.base.quotas if decl.base else ():
        quotas[q.id] = (q.rounding.value, q.ratio, q.of_level)
    for quota_id, q_doc in doc.quotas.items():
        quotas[quota_id] = (q_doc.limit.rounding, ratio(q_doc.limit.ratio), q_doc.limit.of_level)
    for reading_id, reading in process.readings.items():
        path: Path = ("process", "readings", reading_id)
        if reading.label is None:
            yield _missing_label(path, span_of, ir.Text(f"cách hiểu '{reading_id}'", f"reading '{reading_id}'"))
        for option_id, option in reading.options.items():
            option_path: Path = (*path, "options", option_id)
            named = ir.Text(f"phương án cách hiểu '{option_id}'", f"reading option '{option_id}'")
            yield from _check_cited(doc, decl, Entry(option, option_path), span_of, named)
            allowed = _READING_VALUES.get(reading.parameter)
            value = str(option.value).strip() if isinstance(option.value, str) else option.value
            if allowed is not None and value not in allowed:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"{option.value!r} không phải giá trị của {reading.parameter}; cần một trong:"
                        f" {', '.join(allowed)}",
                        f"{option.value!r} is not a value of {reading.parameter}; expected one of:"
                        f" {', '.join(allowed)}",
                    ),
                    dotted((*option_path, "value")),
                    span_of((*option_path, "value")),
                )
            elif allowed is None:
                share = ratio(option.value)
                if share is None or not 0 < share <= 1:
                    yield Issue.from_text(
                        "invalid-value",
                        ir.Text(
                            f"{option.value!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 0.25 hoặc '25%')",
                            f"{option.value!r} is not a share between 0 and 1 (write 0.25 or '25%')",
                        ),
                        dotted((*option_path, "value")),
                        span_of((*option_path, "value")),
                    )
        if reading.default not in reading.options:
            yield Issue.from_text(
                "reading-default",
                ir.Text(
                    f"phương án mặc định '{reading.default}' không có trong options",
                    f"the default '{reading.default}' is not one of the options",
                ),
                dotted((*path, "default")),
                span_of((*path, "default")),
                suggest(reading.default, reading.options),
            )
        concerned = reading.quotas if reading.quotas is not None else list(quotas)
        if reading.parameter.startswith("quota_"):
            for index, quota_id in enumerate(reading.quotas or ()):
                if quota_id not in quotas:
                    yield Issue.from_text(
                        "unknown-declaration",
                        ir.Text(
                            f"'{quota_id}' không phải tỷ lệ của khung tiêu chí này",
                            f"'{quota_id}' is not a quota of this framework",
                        ),
                        dotted((*path, "quotas", index)),
                        span_of((*path, "quotas", index)),
                        suggest(quota_id, quotas),
                    )
            default = reading.options.get(reading.default)
            for quota_id in concerned:
                if default is None or quota_id not in quotas:
                    continue
                rounding, share, _ = quotas[quota_id]
                native = {
                    "quota_rounding": rounding,
                    "quota_denominator": "of_level",
                    "quota_ratio": share,
                }[reading.parameter]
                given: object = default.value
                if reading.parameter == "quota_ratio":
                    given = ratio(default.value)
                elif isinstance(given, str):
                    given = given.strip()
                if given != native:
                    shown = native if not isinstance(native, Fraction) else f"{float(native) * 100:g}%"
                    yield Issue.from_text(
                        "reading-default",
                        ir.Text(
                            f"phương án mặc định '{reading.default}' hiểu tỷ lệ '{quota_id}' là {default.value!r},"
                            f" nhưng chính tỷ lệ đó ghi {shown!r}",
                            f"the default '{reading.default}' reads the quota '{quota_id}' as {default.value!r}, but"
                            f" the quota itself says {shown!r}",
                        ),
                        dotted((*path, "default")),
                        span_of((*path, "default")),
                        ir.Text(
                            "cách hiểu mặc định là điều tỷ lệ đã khai báo; ghi các cách hiểu khác thành phương án",
                            "the default reading is what the quota declares; name the other readings as options",
                        ),
                    )
        elif reading.quotas is not None:
            message = ir.Text("quotas chỉ dùng cho cách hiểu về tỷ lệ", "quotas is for quota readings")
            yield Issue.from_text("invalid-value", message, dotted((*path, "quotas")), span_of((*path, "quotas")))
        if reading.parameter == "score_rounding":
            if not reading.fields:
                yield Issue.from_text(
                    "missing-key",
                    ir.Text(
                        "cách hiểu về điểm phải ghi các trường điểm được cộng",
                        "a score reading names the score fields it sums",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text(
                        "thêm fields: [general_criteria_score, task_results_score]",
                        "add fields: [general_criteria_score, task_results_score]",
                    ),
                )
            for index, name in enumerate(reading.fields):
                owners = [k for k, s in subjects.items() if name in s.evidence]
                if not owners:
                    yield Issue.from_text(
                        "unknown-reference",
                        ir.Text(
                            f"'{name}' không phải trường minh chứng của loại đối tượng nào",
                            f"'{name}' is not an evidence field of any subject kind",
                        ),
                        dotted((*path, "fields", index)),
                        span_of((*path, "fields", index)),
                    )


# The kinds of entries of process.periods, in Vietnamese.
_PERIOD_ENTRIES_VI: Mapping[str, str] = {
    "not_classified": "quy tắc không xếp loại theo kỳ",
    "cap": "giới hạn mức theo kỳ",
    "flag": "trường hợp báo cấp có thẩm quyền",
}


def _check_periods(
    doc: schema.FrameworkDoc,
    periods: schema.PeriodsDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process", "periods")
    kinds = _kinds(doc, decl)
    derived = {f.id for f in ir.PERIOD_FIELDS}
    entries: list[tuple[str, str, Path, schema.PeriodRuleDoc | schema.PeriodCapDoc]] = [
        *(("not_classified", i, (*root, "not_classified", i), r) for i, r in periods.not_classified.items()),
        *(("cap", i, (*root, "caps", i), c) for i, c in periods.caps.items()),
        *(("flag", i, (*root, "flags", i), f) for i, f in periods.flags.items()),
    ]
    for what, item_id, path, entry in entries:
        named = ir.Text(f"{_PERIOD_ENTRIES_VI[what]} '{item_id}'", f"{what} '{item_id}'")
        yield from _check_cited(doc, decl, Entry(entry, path), span_of, named)
    reported: set[tuple[str, str, str]] = set()  # a condition's problem is reported once, not once per kind
    for index, kind in enumerate(periods.kinds):
        yield from _known_kind(kind, (*root, "kinds", index), kinds, span_of)
        subject = subjects.get(kind)
        if subject is None:
            continue
        for name in sorted(derived & set(subject.evidence)):
            if name == ir.QUARTERS_FIELD or subject.evidence[name].path[1] == kind:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{kind}' khai báo trường '{name}', là trường do kết quả và ngày theo quý điền vào",
                        f"'{kind}' declares the field '{name}', which quarterly results and dates fill in",
                    ),
                    dotted(subject.evidence[name].path),
                    span_of(subject.evidence[name].path),
                    ir.Text(
                        "đổi tên trường; xem docs/reference/process.md về các trường do kỳ đánh giá tạo ra",
                        "rename the field; see docs/reference/process.md for the fields periods yield",
                    ),
                )
        taken = {*_all_rules(subject, decl), *subject.caps, *subject.notes}
        scope = with_period_fields(subject_scope(subject, decl, span_of, subjects))
        for _what, item_id, path, entry in entries:
            if item_id in taken:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{item_id}' đã là quy tắc, giới hạn mức hoặc ghi chú của '{kind}'",
                        f"'{item_id}' is already a rule, cap or note of '{kind}'",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text("đặt cho quy tắc theo kỳ một mã riêng", "give the period rule an id of its own"),
                )
            _, found = period_condition(entry.when, (*path, "when"), scope, span_of, style_of)
            if isinstance(entry, schema.PeriodCapDoc):
                _, more = parse_at_most(entry.at_most, (*path, "at_most"), scope, span_of, style_of)
                found = [*found, *more]
            for issue in found:
                key = (issue.code, issue.path, issue.message)
                if key not in reported:
                    reported.add(key)
                    yield issue
