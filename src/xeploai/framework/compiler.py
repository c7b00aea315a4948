"""The compiler: a checked framework document → the program (IR).

Input: a ``schema.FrameworkDoc`` that the checker found free of errors, and the loader's positions.
Output: an ``ir.Program`` of frozen dataclasses that knows nothing of YAML or pydantic.
``declarations`` and ``merged_subjects`` are shared with the checker, which runs on the same view.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from xeploai.framework import schema
from xeploai.framework.conditions import Scope, match_choice, parse_condition, reads
from xeploai.program import ir
from xeploai.program.issues import FrameworkError, Issue

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
            if stripped.endswith("%"):
                return Fraction(stripped[:-1].strip()) / 100
            return Fraction(stripped)
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None


def compile_quota(quota_id: str, q: schema.QuotaDoc, span: ir.Span) -> ir.Quota:
    value = ratio(q.limit.ratio)
    assert value is not None, "the checker reports a ratio it cannot read"
    return ir.Quota(
        id=quota_id,
        kinds=tuple(q.kinds),
        level=q.level,
        group_unit_kinds=tuple(q.group_by.unit_kind or ()),
        group_field=q.group_by.field,
        ratio=value,
        of_level=q.limit.of_level,
        rounding=ir.Rounding(q.limit.rounding),
        policy=ir.QuotaPolicy(q.when_exceeded),
        rank_by=tuple(ir.RankKey(k.field, k.order == "desc") for k in q.rank_by),
        demote_to=q.demote_to,
        label=text(q.label),
        cite=citation(q.cite),
        confidence=ir.Confidence(q.confidence),
        span=span,
    )


def parse_at_most(
    value: str, path: Path, scope: Scope, span_of: SpanOf, style_of: StyleOf
) -> tuple[ir.Expr | None, list[Issue]]:
    """A cap's bound: a level written plainly (``HT``, ``completed``, a label) or a level-valued expression."""
    levels = scope.scales[ir.LEVEL_SCALE]
    found = match_choice(value, levels.values)
    origin = condition_origin(path, span_of, style_of)
    if found is not None:
        return ir.Const(levels.ordinal(found.id), ir.OrdinalType(ir.LEVEL_SCALE), value, origin), []
    return parse_condition(value, origin, _dotted(path), scope, ir.OrdinalType(ir.LEVEL_SCALE))


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def citation(cite: schema.Citation | None) -> ir.Citation:
    assert cite is not None, "the checker reports missing citations before compiling"
    return ir.Citation(cite.doc, cite.at, tuple(cite.sources))


def compile_program(
    doc: schema.FrameworkDoc,
    span_of: SpanOf,
    style_of: StyleOf,
    source: str,
    sha256: str = "",
    base: ir.Program | None = None,
) -> ir.Program:
    """Build the program of a document the checker passed; raises ``FrameworkError`` if a condition fails.

    With ``base`` (the framework this one extends), the base's kinds, rules, caps, notes and quotas are kept
    unless this document overrides them; its own rules keep their spans, so traces show the layer of each rule.
    """
    decl = declarations(doc, base, span_of)
    issues: list[Issue] = []
    subjects: dict[str, ir.SubjectProgram] = dict(base.subjects) if base else {}
    merged = merged_subjects(doc)
    for kind, subject in merged.items():
        scope = subject_scope(subject, decl, span_of, merged)
        inherited = base_subject(decl, kind)

        def parse(path: Path, value: str, scope: Scope = scope) -> ir.Expr:
            expr, found = parse_condition(value, condition_origin(path, span_of, style_of), _dotted(path), scope)
            issues.extend(found)
            return expr if expr is not None else ir.Const(False, ir.BoolType())

        rules = dict(inherited.rules) if inherited else {}
        for rule_id, entry in (*subject.rules.items(), *subject.overrides.items()):
            rules[rule_id] = ir.Rule(
                id=rule_id,
                expr=parse((*entry.path, "when"), entry.doc.when),
                text=entry.doc.when,
                label=text(entry.doc.label),
                cite=citation(entry.doc.cite),
                confidence=ir.Confidence(entry.doc.confidence),
                fail=text(entry.doc.fail) if entry.doc.fail else None,
                pass_=text(entry.doc.pass_) if entry.doc.pass_ else None,
                span=span_of(entry.path),
            )
        caps = {c.id: c for c in inherited.caps} if inherited else {}
        for cap_id, entry in subject.caps.items():
            at_most, found = parse_at_most(entry.doc.at_most, (*entry.path, "at_most"), scope, span_of, style_of)
            issues.extend(found)
            caps[cap_id] = ir.Cap(
                id=cap_id,
                when=parse((*entry.path, "when"), entry.doc.when),
                at_most=at_most if at_most is not None else ir.Const(False, ir.BoolType()),
                text=entry.doc.when,
                label=text(entry.doc.label),
                cite=citation(entry.doc.cite),
                confidence=ir.Confidence(entry.doc.confidence),
                span=span_of(entry.path),
            )
        notes = {n.id: n for n in inherited.notes} if inherited else {}
        for note_id, entry in subject.notes.items():
            notes[note_id] = ir.Note(
                id=note_id,
                when=parse((*entry.path, "when"), entry.doc.when),
                text=entry.doc.when,
                label=text(entry.doc.label),
                cite=citation(entry.doc.cite),
                confidence=ir.Confidence(entry.doc.confidence),
                span=span_of(entry.path),
            )
        level_lists: dict[str, list[str]] = subject.levels.doc if subject.levels else {}
        inherited_levels = {r.level: r for r in inherited.levels} if inherited else {}
        levels = tuple(
            ir.LevelRequirement(
                level.id,
                tuple(level_lists[level.id]),
                span_of((*subject.levels.path, level.id)) if subject.levels else ir.NO_SPAN,
            )
            if level.id in level_lists or level.id not in inherited_levels
            else inherited_levels[level.id]
            for level in decl.levels.values[:-1]
        )
        relations = {r.id: r for r in inherited.relations} if inherited else {}
        for rel_id, entry in subject.relations.items():
            relations[rel_id] = ir.Relation(
                rel_id,
                tuple(entry.doc.kinds),
                ir.RelationSource(entry.doc.from_),
                text(entry.doc.label),
                relation_record_id(kind, rel_id),
                span_of(entry.path),
            )

        def listed(entry: Entry | None, fallback: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(entry.doc) if entry is not None else fallback

        exceptions = {(e.code, e.id): e for e in inherited.exceptions} if inherited else {}
        for entry in subject.exceptions:
            exceptions[(entry.doc.code, entry.doc.id)] = ir.FindingException(
                code=entry.doc.code,
                id=entry.doc.id,
                reason=text(entry.doc.reason),
                cite=citation(entry.doc.cite),
                confidence=ir.Confidence(entry.doc.confidence),
                span=span_of(entry.path),
            )

        subjects[kind] = ir.SubjectProgram(
            kind=kind,
            label=text(subject.doc.label) if subject.doc.label or not inherited else inherited.label,
            fields=tuple(f for name, f in scope.fields.items() if name not in relations),
            relations=tuple(relations.values()),
            rules=rules,
            not_classified=listed(subject.not_classified, inherited.not_classified if inherited else ()),
            not_completed=listed(subject.not_completed, inherited.not_completed if inherited else ()),
            levels=levels,
            caps=tuple(caps.values()),
            notes=tuple(notes.values()),
            extends=subject.doc.extends,
            exceptions=tuple(exceptions.values()),
            span=span_of(subject.path),
        )
    if issues:
        raise FrameworkError(source, issues)
    info = doc.framework
    legal_basis = {d.id: d for d in base.info.legal_basis} if base else {}
    legal_basis.update(
        {
            doc_id: ir.LegalDocument(doc_id, d.number, text(d.title), d.issued_on, d.issuer, d.url)
            for doc_id, d in info.legal_basis.items()
        }
    )
    quotas = {q.id: q for q in base.quotas} if base else {}
    quotas.update(
        {quota_id: compile_quota(quota_id, q, span_of(("quotas", quota_id))) for quota_id, q in doc.quotas.items()}
    )
    records: dict[str, ir.RecordDef] = {
        **(base.records if base else {}),
        **decl.records,
        **relation_records(merged, decl),
    }
    process = base.process if base else None
    if doc.process is not None:
        process, subjects, records, found = compile_process(
            doc.process, process, subjects, records, tuple(quotas), decl, span_of, style_of
        )
        if found:
            raise FrameworkError(source, found)
    return ir.Program(
        info=ir.FrameworkInfo(
            family=info.family,
            version=info.version,
            title=text(info.title),
            effective_from=info.effective_from,
            effective_until=info.effective_until,
            supersedes=info.supersedes,
            legal_basis=tuple(legal_basis.values()),
            source=source,
            source_sha256=sha256,
            chain=(*(base.info.chain if base else ()), (source, sha256)),
        ),
        levels=decl.levels,
        scales=decl.scales,
        enums=decl.enums,
        records=records,
        subjects=subjects,
        quotas=tuple(quotas.values()),
        process=process,
    )


# --- the review process ----------------------------------------------------------------------------------------


def program_scope(
    subject: ir.SubjectProgram, decl: Declarations, records: Mapping[str, ir.RecordDef], period_fields: bool = False
) -> Scope:
    """The names a condition of a compiled kind may use; with ``period_fields``, also what quarters and dates yield."""
    fields = {f.id: f for f in subject.fields}
    for relation in subject.relations:
        fields.setdefault(relation.id, ir.FieldDef(relation.id, ir.RecordsType(relation.record), relation.label))
    scope = Scope(fields=fields, rules=frozenset(subject.rules), scales=decl.scales, enums=decl.enums, records=records)
    return with_period_fields(scope) if period_fields else scope


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
    expr, issues = parse_condition(text, condition_origin(path, span_of, style_of), _dotted(path), scope)
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


def _fraction_or_ratio(value: float | str | None) -> Fraction | None:
    return None if value is None else ratio(value)


def _reading_value(value: float | str) -> str:
    return str(value).strip() if isinstance(value, str) else str(Fraction(str(value)))


def compile_process(
    doc: schema.ProcessDoc,
    base: ir.Process | None,
    subjects: dict[str, ir.SubjectProgram],
    records: dict[str, ir.RecordDef],
    quota_ids: tuple[str, ...],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> tuple[ir.Process, dict[str, ir.SubjectProgram], dict[str, ir.RecordDef], list[Issue]]:
    """The ``process:`` section: ladders, ballots, readings and aliases as data; period rules into their kinds.

    What this document declares replaces what the extended framework declared under the same id.
    """
    issues: list[Issue] = []
    ladders = {ladder.id: ladder for ladder in base.ladders} if base else {}
    for ladder_id, ladder_doc in doc.ladders.items():
        path: Path = ("process", "ladders", ladder_id)
        rungs = tuple(
            ir.Rung(
                id=r.id,
                role=ir.RungRole(r.role),
                label=text(r.label),
                cite=citation(r.cite),
                confidence=ir.Confidence(r.confidence),
                required=r.required,
                outside_unit=r.outside_unit,
                ballot=r.ballot,
                from_evidence=r.from_evidence,
                span=span_of((*path, "rungs", index)),
            )
            for index, r in enumerate(ladder_doc.rungs)
        )
        gaps = tuple(
            ir.Gap(
                id=gap_id,
                between=(g.between[0], g.between[1]),
                points=None if g.points is None else Fraction(str(g.points)),
                levels=g.levels,
                label=text(g.label),
                cite=citation(g.cite),
                confidence=ir.Confidence(g.confidence),
                span=span_of((*path, "gaps", gap_id)),
            )
            for gap_id, g in ladder_doc.gaps.items()
        )
        ladders[ladder_id] = ir.Ladder(
            ladder_id,
            tuple(ladder_doc.kinds),
            text(ladder_doc.label),
            rungs,
            tuple(ladder_doc.criteria),
            gaps,
            span_of(path),
        )
    ballots = dict(base.ballots) if base else {}
    for ballot_id, b in doc.ballots.items():
        more_than = ratio(b.more_than)
        assert more_than is not None, "the checker reports a share it cannot read"
        ballots[ballot_id] = ir.BallotRule(
            id=ballot_id,
            label=text(b.label),
            majority_of=ir.MajorityOf(b.majority_of),
            more_than=more_than,
            quorum=_fraction_or_ratio(b.quorum),
            no_majority=ir.NoMajority(b.no_majority),
            cite=citation(b.cite),
            confidence=ir.Confidence(b.confidence),
            span=span_of(("process", "ballots", ballot_id)),
        )
    readings = {r.id: r for r in base.readings} if base else {}
    for reading_id, r in doc.readings.items():
        readings[reading_id] = ir.Reading(
            id=reading_id,
            label=text(r.label),
            parameter=ir.ReadingParameter(r.parameter),
            options=tuple(
                ir.ReadingOption(
                    option_id, _reading_value(o.value), text(o.label), citation(o.cite), ir.Confidence(o.confidence)
                )
                for option_id, o in r.options.items()
            ),
            default=r.default,
            quotas=tuple(r.quotas) if r.quotas is not None else quota_ids,
            fields=tuple(r.fields),
            decimals=r.decimals,
            span=span_of(("process", "readings", reading_id)),
        )
    aliases = dict(base.level_aliases) if base else {}
    aliases.update({level: tuple(spellings) for level, spellings in doc.level_aliases.items()})
    periods = base.periods if base else None
    if doc.periods is not None:
        periods, subjects, records, found = _compile_periods(
            doc.periods, periods, subjects, records, decl, span_of, style_of
        )
        issues.extend(found)
    process = ir.Process(
        ladders=tuple(ladders.values()),
        ballots=ballots,
        readings=tuple(readings.values()),
        level_aliases=aliases,
        periods=periods,
    )
    return process, subjects, records, issues


def _compile_periods(
    doc: schema.PeriodsDoc,
    base: ir.PeriodRules | None,
    subjects: dict[str, ir.SubjectProgram],
    records: dict[str, ir.RecordDef],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> tuple[ir.PeriodRules, dict[str, ir.SubjectProgram], dict[str, ir.RecordDef], list[Issue]]:
    issues: list[Issue] = []
    out = dict(subjects)
    records = {**records, ir.QUARTER_RECORD: QUARTER_RECORD_DEF}
    root: Path = ("process", "periods")
    for kind in doc.kinds:
        subject = out.get(kind)
        if subject is None:
            continue  # the checker reports the unknown kind
        scope = program_scope(subject, decl, records, period_fields=True)
        rules = dict(subject.rules)
        not_classified = list(subject.not_classified)
        caps = list(subject.caps)
        notes = list(subject.notes)

        def condition(path: Path, when: str, scope: Scope = scope) -> ir.Expr:
            expr, found = period_condition(when, path, scope, span_of, style_of)
            issues.extend(found)
            return expr if expr is not None else ir.Const(False, ir.BoolType())

        for rule_id, r in doc.not_classified.items():
            path = (*root, "not_classified", rule_id)
            rules[rule_id] = ir.Rule(
                id=rule_id,
                expr=condition((*path, "when"), r.when),
                text=r.when,
                label=text(r.label),
                cite=citation(r.cite),
                confidence=ir.Confidence(r.confidence),
                span=span_of(path),
            )
            not_classified.append(rule_id)
        for cap_id, c in doc.caps.items():
            path = (*root, "caps", cap_id)
            at_most, found = parse_at_most(c.at_most, (*path, "at_most"), scope, span_of, style_of)
            issues.extend(found)
            caps.append(
                ir.Cap(
                    id=cap_id,
                    when=condition((*path, "when"), c.when),
                    at_most=at_most if at_most is not None else ir.Const(False, ir.BoolType()),
                    text=c.when,
                    label=text(c.label),
                    cite=citation(c.cite),
                    confidence=ir.Confidence(c.confidence),
                    span=span_of(path),
                )
            )
        for flag_id, f in doc.flags.items():
            path = (*root, "flags", flag_id)
            notes.append(
                ir.Note(
                    id=flag_id,
                    when=condition((*path, "when"), f.when),
                    text=f.when,
                    label=text(f.label),
                    cite=citation(f.cite),
                    confidence=ir.Confidence(f.confidence),
                    span=span_of(path),
                )
            )
        own = {f.id for f in subject.fields}
        out[kind] = replace(
            subject,
            fields=(*subject.fields, *(f for f in ir.PERIOD_FIELDS if f.id not in own)),
            rules=rules,
            not_classified=tuple(not_classified),
            caps=tuple(caps),
            notes=tuple(notes),
        )
    kinds = tuple(dict.fromkeys((*(base.kinds if base else ()), *doc.kinds)))
    periods = ir.PeriodRules(
        kinds=kinds,
        not_classified=(*(base.not_classified if base else ()), *doc.not_classified),
        caps=(*(base.caps if base else ()), *doc.caps),
        flags=(*(base.flags if base else ()), *doc.flags),
    )
    return periods, out, records, issues
