"""The compiler: a checked framework document → the program (IR).

Input: a ``schema.FrameworkDoc`` that the checker found free of errors, and the loader's positions.
Output: an ``ir.Program`` of frozen dataclasses that knows nothing of YAML or pydantic.
It walks the same view as the checker, built by ``resolver``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction

from xeploai.framework import schema
from xeploai.framework.conditions import Scope, parse_condition
from xeploai.framework.resolver import (
    QUARTER_RECORD_DEF,
    Declarations,
    Entry,
    Path,
    SpanOf,
    StyleOf,
    base_subject,
    condition_origin,
    declarations,
    dotted,
    merged_subjects,
    parse_at_most,
    period_condition,
    ratio,
    relation_record_id,
    relation_records,
    subject_scope,
    text,
    with_period_fields,
)
from xeploai.framework.value_compiler import compile_values
from xeploai.program import gating, ir
from xeploai.program.issues import FrameworkError, Issue


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
        ceiling=_ceiling(q.ceiling),
    )


def _ceiling(c: schema.QuotaCeilingDoc | None) -> ir.QuotaCeiling | None:
    if c is None:
        return None
    value = ratio(c.ratio)
    assert value is not None, "the checker reports a ratio it cannot read"
    return ir.QuotaCeiling(value, text(c.label), citation(c.cite), ir.Confidence(c.confidence))


def citation(cite: schema.Citation | None) -> ir.Citation:
    assert cite is not None, "the checker reports missing citations before compiling"
    return ir.Citation(cite.doc, cite.at, tuple(cite.sources), cite.quote, cite.url)


def _merged_values(
    inherited: tuple[ir.ComputedValue, ...], own: tuple[ir.ComputedValue, ...]
) -> tuple[ir.ComputedValue, ...]:
    """The extended framework's computed values of a kind, each replaced in place by this document's value for the
    same field (a province's own formula for a central total), then this document's new ones."""
    mine = {value.target: value for value in own}
    kept = tuple(mine.pop(value.target, value) for value in inherited)
    return (*kept, *mine.values())


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
    base = base.ungated or base if base else None  # an extension inherits every gated entry of its base
    decl = declarations(doc, base, span_of)
    issues: list[Issue] = []
    subjects: dict[str, ir.SubjectProgram] = dict(base.subjects) if base else {}
    merged = merged_subjects(doc)
    for kind, subject in merged.items():
        scope = subject_scope(subject, decl, span_of, merged)
        inherited = base_subject(decl, kind)

        def parse(path: Path, value: str, scope: Scope = scope) -> ir.Expr:
            expr, found = parse_condition(value, condition_origin(path, span_of, style_of), dotted(path), scope)
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
                reading=entry.doc.reading,
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
                reading=entry.doc.reading,
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
                reading=entry.doc.reading,
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

        values, found = compile_values(subject, scope, span_of, style_of, citation)
        issues.extend(found)
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
            values=_merged_values(inherited.values if inherited else (), values),
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
    program = ir.Program(
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
            forms=tuple(ir.Form(code, text(f.title), f.doc) for code, f in info.forms.items())
            or (base.info.forms if base else ()),
        ),
        levels=decl.levels,
        scales=decl.scales,
        enums=decl.enums,
        records=records,
        subjects=subjects,
        quotas=tuple(quotas.values()),
        process=process,
    )
    return gating.select(program)  # the default options of the rules readings; the full program kept inside


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


def _fraction_or_ratio(value: float | str | None) -> Fraction | None:
    return None if value is None else ratio(value)


def _reading_value(value: float | str | None, option_id: str) -> str:
    if value is None:  # a rules reading: the option is its own value
        return option_id
    return str(value).strip() if isinstance(value, str) else str(Fraction(str(value)))


def with_level_gap(
    subjects: Mapping[str, ir.SubjectProgram], reading: ir.Reading, option: ir.ReadingOption
) -> dict[str, ir.SubjectProgram]:
    """The kinds of a ``level_gap`` reading set as ``option`` says: a gap left to the competent level or not."""
    to_competent = option.value == "competent_level"
    return {
        kind: replace(s, gap_to_competent_level=to_competent) if kind in reading.kinds else s
        for kind, s in subjects.items()
    }


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
        quorum = b.quorum
        cited = quorum if isinstance(quorum, schema.QuorumDoc) else None
        share = (cited.more_than if cited.more_than is not None else cited.at_least) if cited else quorum
        assert not isinstance(share, schema.QuorumDoc)
        ballots[ballot_id] = ir.BallotRule(
            id=ballot_id,
            label=text(b.label),
            majority_of=ir.MajorityOf(b.majority_of),
            more_than=more_than,
            quorum=_fraction_or_ratio(share),
            no_majority=ir.NoMajority(b.no_majority),
            cite=citation(b.cite),
            confidence=ir.Confidence(b.confidence),
            span=span_of(("process", "ballots", ballot_id)),
            quorum_strict=cited is not None and cited.more_than is not None,
            quorum_cite=citation(cited.cite) if cited else None,
            quorum_confidence=ir.Confidence(cited.confidence) if cited else None,
            quorum_label=text(cited.label) if cited else None,
        )
    readings = {r.id: r for r in base.readings} if base else {}
    for reading_id, r in doc.readings.items():
        readings[reading_id] = ir.Reading(
            id=reading_id,
            label=text(r.label),
            parameter=ir.ReadingParameter(r.parameter),
            options=tuple(
                ir.ReadingOption(
                    option_id,
                    _reading_value(o.value, option_id),
                    text(o.label),
                    citation(o.cite),
                    ir.Confidence(o.confidence),
                    tuple(o.enables),
                )
                for option_id, o in r.options.items()
            ),
            default=r.default,
            quotas=tuple(r.quotas) if r.quotas is not None else quota_ids,
            fields=tuple(r.fields),
            decimals=r.decimals,
            span=span_of(("process", "readings", reading_id)),
            kinds=tuple(r.kinds) if r.kinds is not None else tuple(subjects),
        )
    for reading in readings.values():
        if reading.parameter is ir.ReadingParameter.LEVEL_GAP and reading.default in {o.id for o in reading.options}:
            subjects = with_level_gap(subjects, reading, reading.option(reading.default))
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
