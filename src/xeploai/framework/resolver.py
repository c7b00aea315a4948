"""The resolver: a validated framework document → the view the checker and the compiler both walk.

Input: a ``schema.FrameworkDoc``, the program it extends (if any) and the loader's positions.
Output: ``Declarations``, subject kinds merged along ``extends`` (``MergedSubject``, ``Entry``), field definitions,
the ``Scope`` of each kind, and conditions parsed where the document wrote them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from typing import Any

from xeploai.framework import schema
from xeploai.framework.conditions import Scope, match_choice, parse_condition, reads, too_many_digits
from xeploai.program import ir
from xeploai.program.issues import Issue

Path = tuple[str | int, ...]
SpanOf = Callable[[Path], ir.Span]
StyleOf = Callable[[Path], str]


def text(value: schema.Text | None) -> ir.Text:
    """A label; the checker has made sure every label the compiler reads is present."""
    assert value is not None, "the checker reports missing labels before compiling"
    return ir.Text(value.vi, value.en)


@dataclass(frozen=True)
class Declarations:
    """The framework-wide declarations every subject kind can use."""

    levels: ir.Scale
    scales: Mapping[str, ir.Scale]  # grade scales and the level scale
    enums: Mapping[str, ir.EnumDef]
    records: Mapping[str, ir.RecordDef]
    base: ir.Program | None = None  # the framework this one extends


@dataclass(frozen=True)
class Entry:
    """A subject's entry after inheritance, with the document path it was written at."""

    doc: Any
    path: Path


@dataclass(frozen=True)
class MergedSubject:
    kind: str
    doc: schema.SubjectDoc
    path: Path
    evidence: Mapping[str, Entry]
    rules: Mapping[str, Entry]
    overrides: Mapping[str, Entry]  # rules of the extended framework replaced by this document
    caps: Mapping[str, Entry]
    notes: Mapping[str, Entry]
    relations: Mapping[str, Entry]
    not_classified: Entry | None  # a list of rule ids
    not_completed: Entry | None
    levels: Entry | None  # a mapping level id → list of rule ids
    exceptions: tuple[Entry, ...] = ()  # the parent kind's, then this kind's (one per code and id)
    values: Mapping[str, Entry] = dataclass_field(default_factory=dict)  # computed values, the parent kind's first


def scale_values(values: list[schema.ScaleValue]) -> tuple[ir.ScaleValue, ...]:
    return tuple(ir.ScaleValue(v.id, v.code, text(v.label)) for v in values)


def field_type(f: schema.FieldDoc) -> ir.ValueType | None:
    """The value type of a field declaration, or None when ``of`` is missing for a type that needs it."""
    match f.type:
        case "bool":
            return ir.BoolType()
        case "count":
            return ir.NumberType(integer=True)
        case "number" | "ratio":
            return ir.NumberType()
        case "date":
            return ir.DateType()
        case "text":
            return ir.TextType()
        case "level":
            return ir.OrdinalType(ir.LEVEL_SCALE)
        case "scale":
            return ir.OrdinalType(f.of) if f.of else None
        case "records":
            return ir.RecordsType(f.of) if f.of else None
        case "enum":
            return None  # needs the enum's values: see ``field_def``
    return None


def declarations(
    doc: schema.FrameworkDoc, base: ir.Program | None = None, span_of: SpanOf | None = None
) -> Declarations:
    """Levels, scales, enums and record types: the extended framework's, then this document's (with ``span_of``,
    each record field keeps its position)."""
    base = base.ungated or base if base is not None else None  # every gated entry of the base, whatever is chosen
    if doc.levels is not None:
        levels = ir.Scale(ir.LEVEL_SCALE, ir.Text("Mức xếp loại", "Level"), scale_values(doc.levels))
    elif base is not None:
        levels = base.levels
    else:  # the checker reports the missing levels
        levels = ir.Scale(ir.LEVEL_SCALE, ir.Text("Mức xếp loại", "Level"), ())
    scales: dict[str, ir.Scale] = dict(base.scales) if base else {}
    scales[ir.LEVEL_SCALE] = levels
    for scale_id, scale_doc in doc.scales.items():
        scales[scale_id] = ir.Scale(scale_id, text(scale_doc.label), scale_values(scale_doc.values))
    enums = dict(base.enums) if base else {}
    enums.update(
        {
            enum_id: ir.EnumDef(enum_id, scale_values(enum_doc.values), enum_doc.ordered)
            for enum_id, enum_doc in doc.enums.items()
        }
    )
    records: dict[str, ir.RecordDef] = {k: v for k, v in base.records.items() if "." not in k} if base else {}
    for record_id, record_doc in doc.records.items():
        fields = tuple(
            field_def(name, f, enums, scales, span_of(("records", record_id, "fields", name)) if span_of else None)
            for name, f in record_doc.fields.items()
            if field_is_resolvable(f, enums, scales, records_known=set())
        )
        records[record_id] = ir.RecordDef(record_id, text(record_doc.label), fields)
    return Declarations(levels, scales, enums, records, base)


def field_is_resolvable(
    f: schema.FieldDoc,
    enums: Mapping[str, ir.EnumDef],
    scales: Mapping[str, ir.Scale],
    records_known: set[str] | None,
) -> bool:
    """Whether ``of`` names something declared (the checker reports it otherwise)."""
    match f.type:
        case "scale":
            return f.of is not None and f.of in scales
        case "enum":
            return f.of is not None and f.of in enums
        case "records":
            return f.of is not None and (records_known is None or f.of in records_known)
    return True


def field_def(
    name: str,
    f: schema.FieldDoc,
    enums: Mapping[str, ir.EnumDef],
    scales: Mapping[str, ir.Scale],
    span: ir.Span | None,
) -> ir.FieldDef:
    value_type: ir.ValueType | None
    if f.type == "enum":
        assert f.of is not None
        enum = enums[f.of]
        value_type = ir.EnumType(enum.id, tuple(v.id for v in enum.values), enum.ordered)
    else:
        value_type = field_type(f)
    assert value_type is not None
    minimum = _fraction(f.min)
    maximum = _fraction(f.max)
    if f.type == "ratio":
        minimum = Fraction(0) if minimum is None else minimum
        maximum = Fraction(1) if maximum is None else maximum
    if f.type == "count" and minimum is None:
        minimum = Fraction(0)
    default = None if f.default is None else coerce_default(f.default, value_type, enums, scales)
    return ir.FieldDef(
        id=name,
        type=value_type,
        label=text(f.label) if f.label is not None else ir.Text(name, name),  # missing-label is the checker's
        required=f.required,
        judgement=f.judgement,
        unit=f.unit,
        minimum=minimum,
        maximum=maximum,
        at_most_field=f.at_most,
        default=default,
        better=f.better,
        link=field_link(f.from_result, span),
        span=span or ir.NO_SPAN,
        form=f.form,
    )


def field_link(link: schema.FromResultDoc | None, span: ir.Span | None) -> ir.FieldLink | None:
    """A field's ``from_result`` as the program carries it (the checker has reported a missing citation)."""
    if link is None:
        return None
    cite = link.cite
    return ir.FieldLink(
        kinds=tuple(link.kinds),
        label=text(link.label),
        cite=ir.Citation(cite.doc, cite.at, tuple(cite.sources), cite.quote, cite.url) if cite else ir.Citation("", ""),
        confidence=ir.Confidence(link.confidence),
        value=link.value,
        mapping=tuple(link.map.items()),
        span=span or ir.NO_SPAN,
    )


def _fraction(value: float | None) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def coerce_default(
    value: object, value_type: ir.ValueType, enums: Mapping[str, ir.EnumDef], scales: Mapping[str, ir.Scale]
) -> ir.Value | None:
    """A declared default as a runtime value, or None when it does not fit the field's type."""
    match value_type:
        case ir.BoolType():
            return value if isinstance(value, bool) else None
        case ir.NumberType(integer=integer):
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            number = Fraction(str(value))
            if integer and (number.denominator != 1 or number < 0):
                return None
            return number
        case ir.OrdinalType(scale=scale_id):
            if not isinstance(value, str) or scale_id not in scales:
                return None
            found = match_choice(value, scales[scale_id].values)
            return scales[scale_id].ordinal(found.id) if found else None
        case ir.EnumType(name=enum_id):
            if not isinstance(value, str) or enum_id not in enums:
                return None
            found = match_choice(value, enums[enum_id].values)
            if found is None:
                return None
            return ir.EnumValue(found.id, [v.id for v in enums[enum_id].values].index(found.id), enum_id)
        case ir.TextType():
            return unicodedata.normalize("NFC", value) if isinstance(value, str) else None
        case ir.RecordsType():
            return () if value == [] else None
        case _:
            return None


def merged_subjects(doc: schema.FrameworkDoc) -> dict[str, MergedSubject]:
    """Every subject kind with its ``extends`` chain applied (unknown parents and cycles are skipped)."""
    merged: dict[str, MergedSubject] = {}

    def build(kind: str, seen: tuple[str, ...]) -> MergedSubject | None:
        if kind in merged:
            return merged[kind]
        if kind not in doc.subjects or kind in seen:
            return None
        subject = doc.subjects[kind]
        path: Path = ("subjects", kind)
        parent = build(subject.extends, (*seen, kind)) if subject.extends else None

        def entries(name: str, own: Mapping[str, Any]) -> dict[str, Entry]:
            out = dict(getattr(parent, name)) if parent else {}
            out.update({key: Entry(value, (*path, name, key)) for key, value in own.items()})
            return out

        def listed(name: str) -> Entry | None:
            own = getattr(subject, name)
            if own is not None:
                return Entry(own, (*path, name))
            return getattr(parent, name) if parent else None

        result = MergedSubject(
            kind=kind,
            doc=subject,
            path=path,
            evidence=entries("evidence", subject.evidence),
            rules=entries("rules", subject.rules),
            overrides=entries("overrides", subject.overrides),
            caps=entries("caps", subject.caps),
            notes=entries("notes", subject.notes),
            relations=entries("relations", subject.relations),
            not_classified=listed("not_classified"),
            not_completed=listed("not_completed"),
            levels=listed("levels"),
            exceptions=exception_entries(parent.exceptions if parent else (), subject.exceptions, path),
            values=entries("values", subject.values),
        )
        merged[kind] = result
        return result

    for kind in doc.subjects:
        build(kind, ())
    return merged


def exception_entries(inherited: tuple[Entry, ...], own: list[schema.ExceptionDoc], path: Path) -> tuple[Entry, ...]:
    """Inherited exceptions, then this kind's; an exception with the code and id of an inherited one replaces it."""
    out = {(e.doc.code, e.doc.id): e for e in inherited}
    for index, exception in enumerate(own):
        out[(exception.code, exception.id)] = Entry(exception, (*path, "exceptions", index))
    return tuple(out.values())


def base_subject(decl: Declarations, kind: str) -> ir.SubjectProgram | None:
    return decl.base.subjects.get(kind) if decl.base is not None else None


def subject_fields(subject: MergedSubject, decl: Declarations, span_of: SpanOf) -> dict[str, ir.FieldDef]:
    """The evidence fields of a kind: the extended framework's first, then this document's."""
    inherited = base_subject(decl, subject.kind)
    fields = {f.id: f for f in inherited.fields} if inherited else {}
    fields.update(
        {
            name: field_def(name, entry.doc, decl.enums, decl.scales, span_of(entry.path))
            for name, entry in subject.evidence.items()
            if field_is_resolvable(entry.doc, decl.enums, decl.scales, set(decl.records))
        }
    )
    return fields


def condition_origin(path: Path, span_of: SpanOf, style_of: StyleOf) -> ir.Span:
    """Where the first character of a condition string is: after the quote of a quoted scalar."""
    span = span_of(path)
    if style_of(path) in ("'", '"'):
        return ir.Span(span.file, span.line, span.col + 1)
    return span


def relation_record_id(kind: str, relation: str) -> str:
    return f"{kind}.{relation}"


def relation_record(
    kind: str, relation: str, doc: schema.RelationDoc, subjects: Mapping[str, MergedSubject], decl: Declarations
) -> ir.RecordDef:
    """The record a related subject appears as: its level, id, name, kind and the fields all listed kinds share."""
    level = ir.FieldDef("level", ir.OrdinalType(ir.LEVEL_SCALE), ir.Text("Mức xếp loại", "Level"), required=False)
    fields = [level] + [
        ir.FieldDef(name, ir.TextType(), ir.Text(vi, en), required=False)
        for name, vi, en in (("id", "Mã", "Id"), ("name", "Họ tên", "Name"), ("kind", "Loại đối tượng", "Kind"))
    ]
    shared: dict[str, ir.FieldDef] | None = None
    for related in doc.kinds:
        if related in subjects:
            own = subject_fields(subjects[related], decl, lambda _path: ir.NO_SPAN)
        elif (inherited := base_subject(decl, related)) is not None:
            own = {f.id: f for f in inherited.fields}
        else:
            continue
        if shared is None:
            shared = dict(own)
        else:
            shared = {name: f for name, f in shared.items() if name in own and own[name].type == f.type}
    fields.extend(f for name, f in (shared or {}).items() if name not in ir.RELATION_FIELDS)
    return ir.RecordDef(
        relation_record_id(kind, relation), text(doc.label or schema.Text(vi=relation, en=relation)), tuple(fields)
    )


def relation_records(subjects: Mapping[str, MergedSubject], decl: Declarations) -> dict[str, ir.RecordDef]:
    return {
        relation_record_id(kind, rel_id): relation_record(kind, rel_id, entry.doc, subjects, decl)
        for kind, subject in subjects.items()
        for rel_id, entry in subject.relations.items()
    }


def subject_scope(
    subject: MergedSubject, decl: Declarations, span_of: SpanOf, subjects: Mapping[str, MergedSubject]
) -> Scope:
    fields = subject_fields(subject, decl, span_of)
    records = dict(decl.records)
    inherited = base_subject(decl, subject.kind)
    for relation in inherited.relations if inherited else ():
        records[relation.record] = decl.base.records[relation.record]  # type: ignore[union-attr]
        fields.setdefault(relation.id, ir.FieldDef(relation.id, ir.RecordsType(relation.record), relation.label))
    for rel_id, entry in subject.relations.items():
        record = relation_record(subject.kind, rel_id, entry.doc, subjects, decl)
        records[record.id] = record
        label = text(entry.doc.label) if entry.doc.label else ir.Text(rel_id, rel_id)
        fields.setdefault(rel_id, ir.FieldDef(rel_id, ir.RecordsType(record.id), label, span=span_of(entry.path)))
    rules = frozenset(subject.rules) | frozenset(inherited.rules if inherited else ())
    return Scope(fields=fields, rules=rules, scales=decl.scales, enums=decl.enums, records=records)


def ratio(value: float | str) -> Fraction | None:
    """A quota ratio written as 0.2 or "20%"; None when it is neither."""
    try:
        if isinstance(value, str):
            stripped = value.strip()
            digits = stripped.removesuffix("%").strip()
            if too_many_digits(digits):  # "1e-999999999" would take unbounded time as a fraction
                return None
            if stripped.endswith("%"):
                return Fraction(digits) / 100
            return Fraction(stripped)
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def parse_at_most(
    value: str, path: Path, scope: Scope, span_of: SpanOf, style_of: StyleOf
) -> tuple[ir.Expr | None, list[Issue]]:
    """A cap's bound: a level written plainly (``HT``, ``completed``, a label) or a level-valued expression."""
    levels = scope.scales[ir.LEVEL_SCALE]
    found = match_choice(value, levels.values)
    origin = condition_origin(path, span_of, style_of)
    if found is not None:
        return ir.Const(levels.ordinal(found.id), ir.OrdinalType(ir.LEVEL_SCALE), value, origin), []
    return parse_condition(value, origin, dotted(path), scope, ir.OrdinalType(ir.LEVEL_SCALE))


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


QUARTER_RECORD_DEF = ir.RecordDef(ir.QUARTER_RECORD, ir.Text("Kết quả quý", "Quarterly result"), ir.QUARTER_FIELDS)


def with_period_fields(scope: Scope) -> Scope:
    """``scope`` plus the fields that quarterly results and dates yield (declared fields of the kind win)."""
    fields = dict(scope.fields)
    for f in ir.PERIOD_FIELDS:
        fields.setdefault(f.id, f)
    records = {**scope.records, ir.QUARTER_RECORD: QUARTER_RECORD_DEF}
    return Scope(fields=fields, rules=scope.rules, scales=scope.scales, enums=scope.enums, records=records)


def period_condition(
    text: str, path: Path, scope: Scope, span_of: SpanOf, style_of: StyleOf
) -> tuple[ir.Expr | None, list[Issue]]:
    """A condition of ``process.periods``, guarded so that it holds only when the data it reads was supplied.

    Without quarterly results or dates the fields they yield are unknown; a period rule reading them then does not
    hold (``known(...) and ...``) instead of leaving the outcome open.
    """
    expr, issues = parse_condition(text, condition_origin(path, span_of, style_of), dotted(path), scope)
    if expr is None:
        return None, issues
    derived = {f.id: f for f in ir.PERIOD_FIELDS}
    guards: tuple[ir.Expr, ...] = tuple(
        ir.Known(ir.FieldRef(name, derived[name].type, expr.span), f"known({name})", expr.span)
        for name in sorted(reads(expr)[0])
        if name in derived
    )
    if not guards:
        return expr, issues
    return ir.And((*guards, expr), text, expr.span), issues
