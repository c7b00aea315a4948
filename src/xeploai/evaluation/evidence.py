"""The evidence stage: raw evidence (plain data from YAML, JSON or a table row) -> typed evidence.

Input: a compiled ``Program``, a subject kind and a mapping of field -> raw value. Output: ``Evidence``, whose
values are IR runtime values; absent fields stay absent (unknown), never false. Every problem is collected and
raised at once in one ``EvidenceError``. Also exports the JSON Schema of one subject kind's evidence.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, assert_never

from xeploai.evaluation.runners.interpreter import derive_values
from xeploai.program.ir import (
    LEVEL_SCALE,
    NUMBER_DECIMALS,
    NUMBER_WHOLE_DIGITS,
    BoolType,
    DateType,
    EnumType,
    EnumValue,
    FieldDef,
    NumberType,
    Ordinal,
    OrdinalType,
    Period,
    PeriodType,
    Program,
    Record,
    RecordsType,
    Scale,
    ScaleValue,
    Span,
    Text,
    TextType,
    Value,
    ValueType,
)
from xeploai.program.issues import EvidenceError, Issue, closest_text, suggest

# Computed values never read the period (the compiler refuses it), so any period gives the same figures.
_ANY_PERIOD: Final = Period(date.min, date.max)

Path = tuple[str | int, ...]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REPR_LIMIT = 80


@dataclass(frozen=True)
class Evidence:
    """Typed evidence of one subject.

    ``values`` holds only fields that were supplied or defaulted; an absent field is simply not there.
    ``origins`` says, for each of them, whether it came from the ``"evidence"`` or from its ``"default"``.
    """

    values: Mapping[str, Value] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)


# --- validation --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What the leaf converters need: the program's declarations, and where to put issues."""

    program: Program
    spans: Mapping[Path, Span]
    issues: list[Issue] = field(default_factory=list)

    def report(self, code: str, path: Path, message: Text, hint: Text | None = None) -> None:
        self.issues.append(Issue.from_text(code, message, _render_path(path), self._span(path), hint))

    def _span(self, path: Path) -> Span | None:
        # The nearest enclosing node that has a position: a value without its own span is still located.
        for end in range(len(path), -1, -1):
            span = self.spans.get(path[:end])
            if span is not None:
                return span
        return None


def validate_evidence(
    program: Program,
    kind: str,
    raw: Mapping[str, object],
    source: str = "<evidence>",
    spans: Mapping[tuple[str | int, ...], Span] | None = None,
) -> Evidence:
    """Check raw evidence against the fields of subject kind ``kind`` and convert it to IR values.

    Raises ``EvidenceError`` naming every bad key, its value and what was expected.
    """
    ctx = _Context(program, spans or {})
    subject = program.subjects.get(kind)
    if subject is None:
        raise _unknown_kind(ctx, kind, source)
    if not isinstance(raw, Mapping):
        shown, raw_kind = _show(raw), _kind_of(raw)
        ctx.report(
            "wrong-type",
            (),
            Text(
                f"minh chứng là {shown} ({raw_kind.vi}); cần một ánh xạ trường -> giá trị",
                f"the evidence is {shown} ({raw_kind.en}); expected a mapping of field -> value",
            ),
        )
        raise EvidenceError(source, ctx.issues)
    owner = Text(f"loại đối tượng '{kind}'", f"subject kind '{kind}'")
    values, origins = _validate_fields(ctx, subject.fields, raw, (), owner)
    if ctx.issues:
        raise EvidenceError(source, ctx.issues)
    if subject.values:
        derived = derive_values(program, kind, values, origins, _ANY_PERIOD)
        return Evidence(derived.values, derived.origins)
    return Evidence(values, origins)


def _unknown_kind(ctx: _Context, kind: str, source: str) -> EvidenceError:
    subjects = ctx.program.subjects
    declared = _join(subjects)
    ctx.report(
        "unknown-subject-kind",
        (),
        Text(
            f"loại đối tượng {_show(kind)} không có trong khung tiêu chí; khung tiêu chí khai báo: {declared.vi}",
            f"unknown subject kind {_show(kind)}; the framework declares: {declared.en}",
        ),
        suggest(str(kind), subjects),
    )
    return EvidenceError(source, ctx.issues)


def _validate_fields(
    ctx: _Context,
    fields: Sequence[FieldDef],
    raw: Mapping[Any, object],
    prefix: Path,
    owner: Text,
) -> tuple[dict[str, Value], dict[str, str]]:
    """Validate one mapping (the evidence, or one record) against its declared fields, defaults included."""
    declared = {f.id: f for f in fields}
    expected = _join(declared)
    given: dict[str, Value] = {}
    keys: dict[str, str] = {}  # NFC field id -> the key as written, which is what ``spans`` knows
    for raw_key, raw_value in raw.items():
        if not isinstance(raw_key, str):
            key_kind = _kind_of(raw_key)
            ctx.report(
                "unknown-field",
                (*prefix, str(raw_key)),
                Text(
                    f"{_show(raw_key)} ({key_kind.vi}) không phải tên trường của {owner.vi}; "
                    f"cần một trong: {expected.vi}",
                    f"{_show(raw_key)} ({key_kind.en}) is not a field name of {owner.en}; "
                    f"expected one of: {expected.en}",
                ),
            )
            continue
        key, path = _nfc(raw_key), (*prefix, raw_key)
        where = _render_path((*prefix, key))
        if key in keys:
            first, second = _show(keys[key]), _show(raw_key)
            ctx.report(
                "duplicate-key",
                path,
                Text(
                    f"{where} được ghi hai lần: {first} và {second} là cùng một tên ở dạng Unicode NFC",
                    f"{where} is given twice: {first} and {second} are one name in Unicode NFC",
                ),
            )
            continue
        keys[key] = raw_key
        fdef = declared.get(key)
        if fdef is None:
            ctx.report(
                "unknown-field",
                path,
                Text(
                    f"{where} không phải trường của {owner.vi}; cần một trong: {expected.vi}",
                    f"{where} is not a field of {owner.en}; expected one of: {expected.en}",
                ),
                suggest(key, declared),
            )
        elif raw_value is None:
            wanted = _expected(fdef.type)
            ctx.report(
                "null-value",
                path,
                Text(
                    f"{where} là null; cần {wanted.vi}, hoặc bỏ khóa này đi để trường được coi là chưa biết",
                    f"{where} is null; expected {wanted.en}, or omit the key to leave the field unknown",
                ),
            )
        else:
            value = _convert(ctx, fdef, raw_value, path, (*prefix, key))
            if value is not None:
                given[key] = value

    values: dict[str, Value] = {}
    origins: dict[str, str] = {}
    for fdef in fields:
        if fdef.id in given:
            values[fdef.id] = given[fdef.id]
            origins[fdef.id] = "evidence"
        elif fdef.default is not None and fdef.id not in keys:
            values[fdef.id] = fdef.default
            origins[fdef.id] = "default"

    for fdef in fields:
        other = fdef.at_most_field
        if other is None or fdef.id not in values or other not in values:
            continue
        mine, theirs = values[fdef.id], values[other]
        if _exceeds(mine, theirs):
            left = f"{_render_path((*prefix, fdef.id))} = {_display(mine)}"
            right = f"{_render_path((*prefix, other))} = {_display(theirs)}"
            ctx.report(
                "exceeds-field",
                (*prefix, keys.get(fdef.id, fdef.id)),
                Text(
                    f"{left} lớn hơn {right}; {fdef.id} không được vượt quá {other}",
                    f"{left} exceeds {right}; {fdef.id} can be at most {other}",
                ),
            )
    return values, origins


def _exceeds(value: Value, bound: Value) -> bool:
    if isinstance(value, Fraction) and isinstance(bound, Fraction):
        return value > bound
    if isinstance(value, Ordinal) and isinstance(bound, Ordinal) and value.scale == bound.scale:
        return value > bound
    if isinstance(value, date) and isinstance(bound, date):
        return value > bound
    return False


def _convert(ctx: _Context, fdef: FieldDef, raw: object, path: Path, shown: Path) -> Value | None:
    """One non-null raw value -> its IR value, or None after reporting why it does not fit."""
    ftype = fdef.type
    where = _render_path(shown)
    match ftype:
        case BoolType():
            if isinstance(raw, bool):
                return raw
            return _wrong_type(ctx, path, where, raw, ftype)
        case NumberType():
            return _convert_number(ctx, fdef, raw, path, where)
        case OrdinalType(scale=scale_id):
            scale = _scale(ctx.program, scale_id)
            if isinstance(raw, Ordinal) and raw.scale == scale_id:
                raw = raw.id  # matched again below, so a hand-made Ordinal cannot carry a wrong rank
            what = Text(f"thang '{scale_id}'", f"scale '{scale_id}'")
            found = _choice(ctx, path, where, raw, ftype, what, scale.values)
            return None if found is None else scale.ordinal(found.id)
        case EnumType(name=name):
            choices = _enum_values(ctx.program, ftype)
            if isinstance(raw, EnumValue) and raw.name == name:
                raw = raw.id
            found = _choice(ctx, path, where, raw, ftype, Text(f"danh mục '{name}'", f"enum '{name}'"), choices)
            return None if found is None else EnumValue(found.id, choices.index(found), name)
        case DateType():
            parsed = _to_date(raw)
            return parsed if parsed is not None else _wrong_type(ctx, path, where, raw, ftype)
        case PeriodType():
            period = _to_period(raw)
            return period if period is not None else _wrong_type(ctx, path, where, raw, ftype)
        case TextType():
            if isinstance(raw, str):
                return _nfc(raw)
            return _wrong_type(ctx, path, where, raw, ftype)
        case RecordsType(record=record_id):
            return _convert_records(ctx, ftype, record_id, raw, path, shown)
        case _:
            assert_never(ftype)


def _wrong_type(ctx: _Context, path: Path, where: str, raw: object, ftype: ValueType) -> Value | None:
    """Report a value of the wrong type, and give no value."""
    raw_kind, wanted = _kind_of(raw), _expected(ftype)
    ctx.report(
        "wrong-type",
        path,
        Text(
            f"{where} = {_show(raw)} ({raw_kind.vi}); cần {wanted.vi}",
            f"{where} = {_show(raw)} ({raw_kind.en}); expected {wanted.en}",
        ),
    )
    return None


def _convert_number(ctx: _Context, fdef: FieldDef, raw: object, path: Path, where: str) -> Fraction | None:
    ftype = fdef.type
    assert isinstance(ftype, NumberType)
    # bool is an int in Python, but true/false is never a number of anything.
    if isinstance(raw, bool) or not isinstance(raw, int | float | Fraction | Decimal):
        _wrong_type(ctx, path, where, raw, ftype)
        return None
    if isinstance(raw, float | Decimal) and not _finite(raw):
        message = Text(
            f"{where} = {_show(raw)}; cần một số hữu hạn", f"{where} = {_show(raw)}; expected a finite number"
        )
        ctx.report("not-finite", path, message)
        return None
    if _too_long(raw):
        message = Text(
            f"{where} = {_show(raw)}; số phải nhỏ hơn 10^{MAX_WHOLE_DIGITS} (tối đa {MAX_WHOLE_DIGITS} chữ số phần "
            f"nguyên) và có tối đa {MAX_DECIMALS} chữ số thập phân",
            f"{where} = {_show(raw)}; a number must be below 10^{MAX_WHOLE_DIGITS} (at most {MAX_WHOLE_DIGITS} "
            f"digits before the point) with at most {MAX_DECIMALS} decimals",
        )
        ctx.report("number-too-long", path, message)
        return None
    # str() first, so that the float 0.7 becomes 7/10 rather than its binary approximation.
    number = Fraction(str(raw)) if isinstance(raw, float) else Fraction(raw)
    if ftype.integer and number.denominator != 1:
        _wrong_type(ctx, path, where, raw, ftype)
        return None
    low, high = _bounds(fdef)
    if (low is not None and number < low) or (high is not None and number > high):
        wanted = _expected(ftype, fdef)
        message = Text(f"{where} = {_show(raw)}; cần {wanted.vi}", f"{where} = {_show(raw)}; expected {wanted.en}")
        ctx.report("out-of-range", path, message)
        return None
    return number


# Numbers are computed exactly (fractions); these bounds keep every computation and rendering of them small, far
# beyond any count, month or score of a review.
MAX_WHOLE_DIGITS: Final = NUMBER_WHOLE_DIGITS
MAX_DECIMALS: Final = NUMBER_DECIMALS
_WHOLE_LIMIT: Final[int] = 10**MAX_WHOLE_DIGITS
_DENOMINATOR_LIMIT: Final[int] = 10**MAX_DECIMALS


def _too_long(raw: int | float | Fraction | Decimal) -> bool:
    """Whether a finite number has more digits than xeploai reads; cheap for any input (no exponent is expanded).

    >>> _too_long(10**30), _too_long(Decimal("2.99999999999999999999")), _too_long(Decimal("1e-999999999"))
    (True, False, True)
    >>> _too_long(5e-324), _too_long(Fraction(1, 3)), _too_long(Decimal("1.5000000000000000000000000000000000"))
    (False, False, False)
    """
    if isinstance(raw, Decimal):
        if raw.is_zero():
            return False
        _, digits, exponent = raw.as_tuple()
        assert isinstance(exponent, int)  # a finite number's
        decimals = -exponent - (len(digits) - len("".join(map(str, digits)).rstrip("0")))  # trailing zeros aside
        return raw.adjusted() >= MAX_WHOLE_DIGITS or decimals > MAX_DECIMALS
    if isinstance(raw, float):  # a float's digits are bounded already: only its size matters
        return abs(raw) >= _WHOLE_LIMIT
    number = Fraction(raw)
    return abs(number) >= _WHOLE_LIMIT or number.denominator > _DENOMINATOR_LIMIT


def _convert_records(
    ctx: _Context, ftype: RecordsType, record_id: str, raw: object, path: Path, shown: Path
) -> tuple[Record, ...] | None:
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        _wrong_type(ctx, path, _render_path(shown), raw, ftype)
        return None
    rdef = ctx.program.records[record_id]
    field_names = _join(f.id for f in rdef.fields)
    before = len(ctx.issues)
    records: list[Record] = []
    for index, item in enumerate(raw):
        item_path, item_shown = (*path, index), (*shown, index)
        if not isinstance(item, Mapping):
            given, item_kind = f"{_render_path(item_shown)} = {_show(item)}", _kind_of(item)
            ctx.report(
                "wrong-type",
                item_path,
                Text(
                    f"{given} ({item_kind.vi}); cần một ánh xạ gồm các trường của {record_id}: {field_names.vi}",
                    f"{given} ({item_kind.en}); expected a mapping with the fields of {record_id}: {field_names.en}",
                ),
            )
            continue
        owner = Text(f"loại bản ghi '{record_id}'", f"record type '{record_id}'")
        values, _ = _validate_fields(ctx, rdef.fields, item, item_path, owner)
        records.append(Record(values, index))
    return tuple(records) if len(ctx.issues) == before else None


def _choice(
    ctx: _Context,
    path: Path,
    where: str,
    raw: object,
    ftype: ValueType,
    what: Text,
    choices: Sequence[ScaleValue],
) -> ScaleValue | None:
    """The declared choice ``raw`` spells, or None after reporting what the accepted spellings are."""
    if not isinstance(raw, str):
        _wrong_type(ctx, path, where, raw, ftype)
        return None
    found = _match_choice(raw, choices)
    if found is None:
        accepted = "; ".join(f"{c.id} ({c.code}, {c.label.vi}, {c.label.en})" for c in choices)
        ctx.report(
            "unknown-choice",
            path,
            Text(
                f"{where} = {_show(raw)} không phải giá trị của {what.vi}; cần một trong: {accepted}",
                f"{where} = {_show(raw)} is not a value of {what.en}; expected one of: {accepted}",
            ),
            _closest(raw, [s for c in choices for s in _spellings(c)]),
        )
    return found


def _match_choice(raw: str, choices: Sequence[ScaleValue]) -> ScaleValue | None:
    """The choice whose id, code, Vietnamese or English label equals ``raw`` (NFC, case-insensitive).

    Ids win over codes and codes over labels, should two values ever share a spelling.
    """
    wanted = _fold(raw)
    for spelling in range(4):
        for choice in choices:
            if _fold(_spellings(choice)[spelling]) == wanted:
                return choice
    return None


def _spellings(choice: ScaleValue) -> tuple[str, str, str, str]:
    return (choice.id, choice.code, choice.label.vi, choice.label.en)


def _scale(program: Program, scale_id: str) -> Scale:
    scale = program.scales.get(scale_id)
    if scale is None and scale_id == LEVEL_SCALE:
        scale = program.levels
    if scale is None:
        raise KeyError(f"the program declares no scale {scale_id!r}")  # the checker rules this out
    return scale


def _enum_values(program: Program, ftype: EnumType) -> tuple[ScaleValue, ...]:
    enum_def = program.enums.get(ftype.name)
    if enum_def is not None:
        return enum_def.values
    return tuple(ScaleValue(v, v, Text(v, v)) for v in ftype.values)


def _to_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return None  # a timestamp is not a day; refuse rather than silently drop the time
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return None
    return None


def _to_period(raw: object) -> Period | None:
    if isinstance(raw, Period):
        return raw
    if not isinstance(raw, Mapping) or set(raw) - {"start", "end", "kind"}:
        return None
    start, end = _to_date(raw.get("start")), _to_date(raw.get("end"))
    kind = raw.get("kind", "annual")
    if start is None or end is None or start > end or kind not in ("annual", "quarterly", "ad_hoc"):
        return None
    return Period(start, end, str(kind))


def _bounds(fdef: FieldDef) -> tuple[Fraction | None, Fraction | None]:
    """The inclusive bounds of a number field: its declared ones, tightened by what its type implies.

    The IR has no ratio type: the compiler gives a ``ratio`` field the bounds 0 and 1.
    """
    low, high = fdef.minimum, fdef.maximum
    if isinstance(fdef.type, NumberType) and fdef.type.integer:
        low = Fraction(0) if low is None else max(low, Fraction(0))
    return low, high


def _finite(raw: float | Decimal) -> bool:
    return raw.is_finite() if isinstance(raw, Decimal) else math.isfinite(raw)


# --- messages ----------------------------------------------------------------------------------------------


_SPELLINGS = Text("mã định danh, ký hiệu, nhãn tiếng Việt hoặc tiếng Anh", "its id, code, Vietnamese or English label")


def _expected(ftype: ValueType, fdef: FieldDef | None = None) -> Text:
    match ftype:
        case BoolType():
            return Text("true hoặc false", "true or false")
        case NumberType(integer=integer):
            vi, en = ("một số nguyên ≥ 0 (số đếm)", "a whole number ≥ 0 (count)") if integer else ("một số", "a number")
            if fdef is not None:
                low, high = _bounds(fdef)
                if low is not None and high is not None:
                    vi += f" từ {_display(low)} đến {_display(high)}"
                    en += f" from {_display(low)} to {_display(high)}"
                elif low is not None and not (integer and low == 0):
                    vi += f" ≥ {_display(low)}"
                    en += f" ≥ {_display(low)}"
                elif high is not None:
                    vi += f" ≤ {_display(high)}"
                    en += f" ≤ {_display(high)}"
            return Text(vi, en)
        case OrdinalType(scale=scale_id):
            return Text(
                f"một giá trị của thang '{scale_id}' ({_SPELLINGS.vi})",
                f"a value of scale '{scale_id}' ({_SPELLINGS.en})",
            )
        case EnumType(name=name):
            return Text(
                f"một giá trị của danh mục '{name}' ({_SPELLINGS.vi})", f"a value of enum '{name}' ({_SPELLINGS.en})"
            )
        case DateType():
            return Text("một ngày viết dạng YYYY-MM-DD", "a date written YYYY-MM-DD")
        case PeriodType():
            return Text(
                "một kỳ đánh giá {start: YYYY-MM-DD, end: YYYY-MM-DD}", "a period {start: YYYY-MM-DD, end: YYYY-MM-DD}"
            )
        case TextType():
            return Text("văn bản", "text")
        case RecordsType(record=record_id):
            return Text(f"một danh sách bản ghi {record_id}", f"a list of {record_id} records")
        case _:
            assert_never(ftype)


def _render_path(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _show(value: object) -> str:
    if isinstance(value, int) and value.bit_length() > 200:
        # An integer of hundreds of digits as its leading digits and its power of ten; str() refuses the longest.
        if value.bit_length() > 14_000:
            return f"{'-' if value < 0 else ''}≈1e+{int(value.bit_length() * 0.30103)}"
        digits = str(value)
        return f"{digits[:13]}…e+{len(digits.lstrip('-')) - 1}"
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def _kind_of(value: object) -> Text:
    match value:
        case bool():
            return Text("đúng/sai", "true/false")
        case int():
            return Text("số nguyên", "whole number")
        case float() | Fraction() | Decimal():
            return Text("số", "number")
        case str():
            return Text("văn bản", "text")
        case datetime():
            return Text("ngày giờ", "date and time")
        case date():
            return Text("ngày", "date")
        case Mapping():
            return Text("ánh xạ", "mapping")
        case list() | tuple():
            return Text("danh sách", "list")
        case _:
            return Text(type(value).__name__, type(value).__name__)


def _display(value: Value) -> str:
    match value:
        case Fraction():
            if value.denominator == 1:
                return str(value.numerator)
            as_float = float(value)
            return repr(as_float) if Fraction(repr(as_float)) == value else str(value)
        case Ordinal():
            return value.id
        case EnumValue():
            return value.id
        case date():
            return value.isoformat()
        case _:
            return str(value)


def _join(names: Iterable[str]) -> Text:
    listed = list(names)
    return Text(", ".join(listed), ", ".join(listed)) if listed else Text("(không có)", "(none)")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    return _nfc(text).strip().casefold()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", _fold(text)).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _closest(raw: str, spellings: Sequence[str]) -> Text | None:
    """A did-you-mean hint that forgives case and missing Vietnamese diacritics ("Trung binh")."""
    by_key: dict[str, str] = {}
    for s in spellings:
        by_key.setdefault(_strip_marks(s), s)
    matches = difflib.get_close_matches(_strip_marks(raw), list(by_key), n=1, cutoff=0.6)
    return closest_text(by_key[matches[0]]) if matches else None


# --- JSON Schema -------------------------------------------------------------------------------------------


def evidence_json_schema(program: Program, kind: str) -> dict[str, object]:
    """The JSON Schema (draft 2020-12) of the evidence of subject kind ``kind``.

    Every field is optional: an absent field is unknown, and outcomes that need it are
    "insufficient evidence".
    Raises ``EvidenceError`` (``unknown-subject-kind``) for a kind the framework does not declare.
    """
    subject = program.subjects.get(kind)
    if subject is None:
        raise _unknown_kind(_Context(program, {}), kind, "<schema>")
    info = program.info
    schema = _object_schema(program, subject.fields)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"{subject.label.vi} / {subject.label.en}",
        "description": f"Evidence of '{kind}' under {info.family} {info.version} ({info.source})",
        **schema,
    }


def _object_schema(program: Program, fields: Sequence[FieldDef]) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {f.id: _field_schema(program, f) for f in fields},
        "additionalProperties": False,
        "required": [],
    }


def _field_schema(program: Program, fdef: FieldDef) -> dict[str, object]:
    schema: dict[str, object] = {"description": f"{fdef.label.vi} / {fdef.label.en}"}
    ftype = fdef.type
    match ftype:
        case BoolType():
            schema["type"] = "boolean"
        case NumberType(integer=integer):
            schema["type"] = "integer" if integer else "number"
            low, high = _bounds(fdef)
            largest = _WHOLE_LIMIT - 1  # beyond it: number-too-long
            schema["minimum"] = _json_number(low) if low is not None else -largest
            schema["maximum"] = _json_number(high) if high is not None else largest
        case OrdinalType(scale=scale_id):
            schema["type"] = "string"
            schema["enum"] = _accepted_spellings(_scale(program, scale_id).values)
        case EnumType():
            schema["type"] = "string"
            schema["enum"] = _accepted_spellings(_enum_values(program, ftype))
        case DateType():
            schema.update(_date_schema())
        case PeriodType():
            schema.update(
                {
                    "type": "object",
                    "properties": {
                        "start": _date_schema(),
                        "end": _date_schema(),
                        "kind": {"enum": ["annual", "quarterly", "ad_hoc"]},
                    },
                    "required": ["start", "end"],
                    "additionalProperties": False,
                }
            )
        case TextType():
            schema["type"] = "string"
        case RecordsType(record=record_id):
            schema["type"] = "array"
            schema["items"] = _object_schema(program, program.records[record_id].fields)
        case _:
            assert_never(ftype)
    if fdef.default is not None:
        default = _json_value(fdef.default)
        if default is not None:
            schema["default"] = default
    return schema


def _date_schema() -> dict[str, object]:
    return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}


def _accepted_spellings(choices: Sequence[ScaleValue]) -> list[str]:
    out: list[str] = []
    for choice in choices:
        for spelling in _spellings(choice):
            text = _nfc(spelling)
            if text not in out:
                out.append(text)
    return out


def _json_number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def _json_value(value: Value) -> object:
    match value:
        case bool() | str():
            return value
        case Fraction():
            return _json_number(value)
        case Ordinal() | EnumValue():
            return value.id
        case date():
            return value.isoformat()
        case _:
            return None
