"""Populations: units and subjects → results for all, in the regulation's order, with quotas applied.

Input: a ``PopulationInput`` (units, subjects with raw evidence, committee decisions) and a program.
Output: a ``PopulationResult``: one ``Result`` per subject (its trace root carries the final level, quota
decisions included), the rejected rows, and the strata the order was derived from.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.links import LinkedResult, LinkIssue, Lookup, has_links, link_fields, with_links
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Result, Status, TraceNode, Truth
from xeploai.program import ir
from xeploai.program.issues import EvidenceError, suggest


@dataclass(frozen=True)
class Unit:
    """An organizational unit: a cell, a grassroots committee, a district committee, an agency."""

    id: str
    parent: str | None
    kind: str
    name: str
    head: str | None = None  # the id of the subject who heads it
    row: int | None = None  # where it came from, for messages
    source: str = ""


@dataclass(frozen=True)
class SubjectRow:
    """One subject to classify, with its raw evidence (values as read, before validation)."""

    id: str
    unit: str
    kind: str
    name: str | None
    evidence: Mapping[str, object]
    row: int | None = None
    source: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)  # evidence field → the column it was read from
    person: str | None = None  # the person holding this result; None: the row's own id (one result per person)

    @property
    def person_id(self) -> str:
        """The person this result belongs to: the ``person`` column, or the row's own id when it is empty."""
        return self.person or self.id


@dataclass(frozen=True)
class Person:
    """A person of a population: one id and name, holding one result per subject row that names it."""

    id: str
    name: str
    row: int | None = None
    source: str = ""


@dataclass(frozen=True)
class CommitteeDecision:
    """The competent level's recorded decision on a quota group: which candidates keep the level, which are moved,
    by whom, when, under which document, and, for an organisation with outstanding results, the share it allows up
    to the quota's ceiling. Candidates it does not list are moved."""

    quota: str
    group: str
    approved: tuple[str, ...]
    reference: str  # the document: its number (and date)
    row: int | None = None
    source: str = ""
    moved: tuple[str, ...] = ()
    decided_by: str = ""
    decided_on: str = ""
    raised_to: Fraction | None = None  # the share allowed under the quota's ceiling, when the decision raises it
    columns: tuple[tuple[str, str], ...] = ()  # key → the column it was read from, for messages
    # A named reading's simulation of the group under another allowance (``analysis.readings``), not a record: it is
    # followed without ``decision_problems`` (its allowance is the reading's, not the quota's).
    simulated: bool = False


@dataclass(frozen=True)
class Rejection:
    """An input row that could not be used, and why; it is reported, never silently dropped."""

    source: str
    row: int | None
    column: str | None
    value: object
    reason: str  # in English; ``reason_vi`` says the same in Vietnamese (``reason_in`` picks one)
    subject_id: str | None = None
    unit: str | None = None  # when known, collectives reading this subject become "insufficient evidence"
    kind: str | None = None
    reason_vi: str | None = None
    subject_row: bool = False  # the row is a subject row, one of ``rows_read`` (not a unit, record or decision)

    @classmethod
    def from_text(
        cls,
        source: str,
        row: int | None,
        column: str | None,
        value: object,
        reason: ir.Text,
        subject_id: str | None = None,
        unit: str | None = None,
        kind: str | None = None,
        subject_row: bool = False,
    ) -> Rejection:
        """A rejection whose reason is given in Vietnamese and English.

        >>> r = Rejection.from_text("s.csv", 2, "id", "", ir.Text("thiếu mã", "missing id"))
        >>> r.reason, r.reason_in("vi")
        ('missing id', 'thiếu mã')
        """
        vi = unicodedata.normalize("NFC", reason.vi)
        return cls(source, row, column, value, reason.en, subject_id, unit, kind, vi, subject_row)

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang`` (``vi`` unless ``en``), the English one when no Vietnamese was given."""
        return self.reason_vi if lang != "en" and self.reason_vi else self.reason


def rejected_rows(rejections: Iterable[Rejection]) -> int:
    """The number of subject rows rejected (a row with several problems counts once): rejected units, records and
    committee decisions are not subject rows, so they are not among the rows a population reconciles. A row
    without a number (a population made in code) is told apart by its subject id."""
    return len({(r.source, r.row if r.row is not None else r.subject_id) for r in rejections if r.subject_row})


@dataclass(frozen=True)
class PopulationInput:
    units: tuple[Unit, ...]
    subjects: tuple[SubjectRow, ...]
    decisions: tuple[CommitteeDecision, ...] = ()
    rejections: tuple[Rejection, ...] = ()  # rows already rejected while reading
    rows_read: int = 0  # subject rows in the input, rejected ones included
    persons: tuple[Person, ...] = ()  # the persons table, when the input has one
    has_persons: bool = False  # the input named persons (a persons table or a person column): outputs show them


# --- persons ---------------------------------------------------------------------------------------------------


def apply_persons(population: PopulationInput) -> PopulationInput:
    """Check the subject rows against the persons table, when there is one; without one, any person id goes. A row
    with an empty ``person`` cell names no person and is not checked (a collective — a cell, a committee, an agency —
    is its own holder); it takes the name of a person listed under its own id.

    >>> from xeploai.evaluation.population import Unit
    >>> rows = (SubjectRow("S1", "U", "k", None, {}, 1, "s.csv", person="P1"), SubjectRow("S2", "U", "k", "", {}, 2,
    ...     "s.csv", person="P9"), SubjectRow("C1", "U", "cell", None, {}, 3, "s.csv"))
    >>> out = apply_persons(PopulationInput((), rows, persons=(Person("P1", "Lê Văn A"),)))
    >>> [r.id for r in out.subjects], [r.name for r in out.subjects]
    (['S1', 'C1'], ['Lê Văn A', None])
    >>> [(r.row, r.column, r.value) for r in out.rejections]
    [(2, 'person', 'P9')]
    """
    if not population.persons:
        return population
    rejections = list(population.rejections)
    known: dict[str, Person] = {}
    for person in population.persons:
        if not person.id:
            reason = ir.Text("người phải có mã", "a person needs an id")
            rejections.append(Rejection.from_text(person.source, person.row, "id", person.id, reason))
        elif person.id in known:
            first = known[person.id]
            reason = ir.Text(
                f"mã cá nhân '{person.id}' xuất hiện hai lần (dòng {first.row} và {person.row}); giữ dòng đầu tiên",
                f"the person id '{person.id}' appears twice (rows {first.row} and {person.row}); the first is kept",
            )
            rejections.append(Rejection.from_text(person.source, person.row, "id", person.id, reason))
        else:
            known[person.id] = person
    rows: list[SubjectRow] = []
    for row in population.subjects:
        holder = known.get(row.person_id)
        if holder is None and not row.person:
            rows.append(row)
            continue
        if holder is None:
            reason = ir.Text(
                f"người '{row.person_id}' không có trong bảng cá nhân (persons)",
                f"the person '{row.person_id}' is not in the persons table",
            )
            rejections.append(
                Rejection.from_text(
                    row.source, row.row, "person", row.person_id, reason, row.id or None, row.unit, row.kind, True
                )
            )
            continue
        rows.append(row if row.name else replace(row, name=holder.name or None))
    # The persons kept: applying the table again (a run, then each of its frameworks) rejects nothing twice.
    return replace(
        population,
        subjects=tuple(rows),
        rejections=tuple(rejections),
        persons=tuple(known.values()),
        has_persons=True,
    )


# --- the order -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stratum:
    """One step of the derived order: kinds evaluated together, or a quota applied, and what it follows."""

    index: int
    kinds: tuple[str, ...]
    quotas: tuple[str, ...]
    after: tuple[str, ...]  # the kinds and quotas it must follow ("quota:<id>" for quotas)


class OrderError(Exception):
    """The framework's kinds and quotas cannot be put in an order (a cycle)."""


def strata(program: ir.Program) -> tuple[Stratum, ...]:
    """The order of evaluation, derived from what each kind reads and which kinds each quota limits.

    A kind comes after every kind its relations and its linked fields (``from_result``) read, and after every
    quota on those kinds; a quota comes after every kind it limits.
    """
    nodes: dict[str, set[str]] = {}
    quota_on: dict[str, list[str]] = {}
    for quota in program.quotas:
        node = f"quota:{quota.id}"
        nodes[node] = {k for k in quota.kinds if k in program.subjects}
        for kind in quota.kinds:
            quota_on.setdefault(kind, []).append(node)
    for kind, subject in program.subjects.items():
        read = {k for relation in subject.relations for k in relation.kinds if k in program.subjects}
        read |= {k for f in subject.fields if f.link for k in f.link.kinds if k in program.subjects and k != kind}
        nodes[kind] = read | {q for k in read for q in quota_on.get(k, [])}
    order: list[Stratum] = []
    done: set[str] = set()
    while len(done) < len(nodes):
        ready = sorted(n for n, deps in nodes.items() if n not in done and deps <= done)
        if not ready:
            stuck = sorted(n for n in nodes if n not in done)
            raise OrderError("kinds and quotas read each other in a cycle: " + ", ".join(stuck))
        after = sorted({d for n in ready for d in nodes[n]})
        order.append(
            Stratum(
                index=len(order) + 1,
                kinds=tuple(n for n in ready if not n.startswith("quota:")),
                quotas=tuple(n.removeprefix("quota:") for n in ready if n.startswith("quota:")),
                after=tuple(after),
            )
        )
        done.update(ready)
    return tuple(order)


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaGroup:
    """What a quota did in one group: the arithmetic, the candidates in rank order, and who kept the level."""

    quota: str
    group: str
    group_name: str
    base: int  # subjects of the group at the quota's of_level, before the quota
    allowed: int
    candidates: tuple[str, ...]  # in rank order (the tool's suggestion unless the quota's policy is ``rank``)
    kept: tuple[str, ...]
    demoted: tuple[str, ...]
    status: str  # within | ranked | flagged (every candidate awaits the competent level's decision) | decided
    decision: str | None = None  # the decision's reference
    record: CommitteeDecision | None = None  # the decision followed
    raised_allowed: int | None = None  # the allowance under the decision's raised share (the ceiling)
    problems: tuple[Rejection, ...] = ()  # the group's decision, when it was rejected, and why


@dataclass(frozen=True)
class PopulationResult:
    program: ir.Program
    period: ir.Period
    results: tuple[Result, ...]  # in input order
    rejections: tuple[Rejection, ...]
    strata: tuple[Stratum, ...]
    quota_groups: tuple[QuotaGroup, ...]
    rows_read: int
    units: tuple[Unit, ...] = ()
    link_issues: tuple[LinkIssue, ...] = ()  # linked fields that could not be read (two sources, an unmapped level)
    has_persons: bool = False  # the input named persons: the results table shows them

    def result(self, subject_id: str) -> Result:
        for r in self.results:
            if r.subject_id == subject_id:
                return r
        raise KeyError(subject_id)

    def reconciles(self) -> bool:
        """Input rows = classified + not classified + insufficient + rejected."""
        return len(self.results) + rejected_rows(self.rejections) == self.rows_read


# --- the runner ------------------------------------------------------------------------------------------------


@dataclass
class _Subject:
    row: SubjectRow
    evidence: Evidence
    result: Result | None = None


Progress = Callable[[int, int], None]


def evaluate_population(
    program: ir.Program,
    population: PopulationInput,
    period: ir.Period,
    progress: Progress | None = None,
    links: Lookup | None = None,
) -> PopulationResult:
    """Classify every subject of a population in the derived order, then apply quotas; nothing is dropped.

    ``links(person, kinds)`` gives the results of earlier frameworks of the run that linked fields may read."""
    population = apply_persons(population)
    units = {u.id: u for u in population.units}
    rejections = list(population.rejections)
    subjects = {row.id: _Subject(row, typed) for _, row, typed in usable_rows(program, population, units, rejections)}
    index = _Index(units, subjects, rejections)
    lookup = _lookup(program, population, subjects, links)
    order = strata(program)
    total, done = len(subjects), 0
    groups: list[QuotaGroup] = []
    link_issues: list[LinkIssue] = []
    for stratum in order:
        for kind in stratum.kinds:
            linking = has_links(program.subjects[kind])
            for subject in index.of_kind(kind):
                values = dict(subject.evidence.values)
                origins = dict(subject.evidence.origins)
                for relation in program.subjects[kind].relations:
                    values[relation.id] = index.related(subject, relation, program)
                    origins[relation.id] = "relation"
                row = subject.row
                linked = None
                if linking:
                    where = f"{row.source}:{row.row}" if row.row is not None else row.source
                    linked = link_fields(
                        program, kind, row.id, row.person_id, values, origins, row.columns, where, lookup
                    )
                    values, origins = linked.values, linked.origins
                    link_issues.extend(linked.issues)
                trace = interpreter.evaluate(program, kind, values, origins, period)
                subject.result = subject_result(
                    program, period, trace, row.id, kind, row.name, row.unit, row.row, row.source, row.person
                )
                if linked is not None:
                    subject.result = with_links(subject.result, linked)
                done += 1
                if progress is not None:
                    progress(done, total)
        # Quotas that demote run before quotas that only flag, so that a flag counts the levels that stand.
        quotas = [q for q_id in stratum.quotas for q in program.quotas if q.id == q_id]
        for quota in sorted(quotas, key=lambda q: (q.policy is not ir.QuotaPolicy.RANK, q.id)):
            groups.extend(_apply_quota(program, quota, index, population.decisions))
    rejections.extend(decision_rejections(population.decisions, groups))
    results = tuple(s.result for s in subjects.values() if s.result is not None)
    return PopulationResult(
        program=program,
        period=period,
        results=results,
        rejections=tuple(rejections),
        strata=order,
        quota_groups=tuple(groups),
        rows_read=population.rows_read or len(population.subjects),
        units=population.units,
        link_issues=tuple(link_issues),
        has_persons=population.has_persons,
    )


def _lookup(
    program: ir.Program, population: PopulationInput, subjects: Mapping[str, _Subject], links: Lookup | None
) -> Lookup:
    """The results a linked field may read: the earlier frameworks' (``links``), then this framework's own
    (classified in an earlier stratum) and its rejected rows."""
    by_person: dict[str, list[_Subject]] = {}
    for subject in subjects.values():
        by_person.setdefault(subject.row.person_id, []).append(subject)
    rejected: dict[str, list[SubjectRow]] = {}
    for row in population.subjects:
        if row.id not in subjects:
            rejected.setdefault(row.person_id, []).append(row)
    info = program.info

    def lookup(person: str, kinds: Sequence[str]) -> list[LinkedResult]:
        found = links(person, kinds) if links is not None else []
        for subject in by_person.get(person, []):
            if subject.row.kind in kinds and subject.result is not None:
                found.append(LinkedResult.from_result(subject.result, person, program))
        for row in rejected.get(person, []):
            if row.kind in kinds:
                status = "rejected"
                found.append(LinkedResult(row.id, row.kind, person, info.family, info.version, info.source, status))
        return found

    return lookup


def subject_result(
    program: ir.Program,
    period: ir.Period,
    trace: TraceNode,
    subject_id: str,
    kind: str,
    name: str | None,
    unit: str,
    row: int | None,
    source: str,
    person: str | None = None,
) -> Result:
    """A subject's ``Result`` as populations give it: the trace and where the subject came from (and the person
    holding it, when the input names one)."""
    extras: dict[str, object] = {"unit": unit, "row": row, "source": source}
    if person:
        extras["person"] = person
    return Result(
        trace=trace,
        subject_id=subject_id,
        subject_kind=kind,
        subject_name=name,
        period=period,
        framework_family=program.info.family,
        framework_version=program.info.version,
        framework_source=program.info.source,
        extras=extras,
    )


def evidence_rejections(row: SubjectRow, error: EvidenceError) -> list[Rejection]:
    """A row whose evidence did not validate: one rejection per issue, naming the column it was read from."""
    out = []
    for issue in error.issues:
        column = row.columns.get(issue.path.split("[")[0].split(".")[0], issue.path)
        value = _value_at(row.evidence, issue.path)
        reason = ir.Text(issue.message_in("vi"), issue.message)
        out.append(Rejection.from_text(row.source, row.row, column, value, reason, row.id, row.unit, row.kind, True))
    return out


def usable_rows(
    program: ir.Program,
    population: PopulationInput,
    units: Mapping[str, Unit],
    rejections: list[Rejection],
    progress: Progress | None = None,
) -> Iterator[tuple[int, SubjectRow, Evidence]]:
    """The subject rows that can be classified, with their position and typed evidence, in input order: a row with
    an identity problem (``row_problem``) or evidence that does not validate is rejected into ``rejections``
    instead. ``progress(done, total)`` is called every thousand rows and at the last."""
    seen: set[str] = set()
    total = len(population.subjects)
    for position, row in enumerate(population.subjects):
        if progress is not None and (position % 1000 == 0 or position + 1 == total):
            progress(position + 1, total)
        problem = row_problem(program, row, units, seen)
        if problem is not None:
            rejections.append(problem)
            continue
        try:
            typed = validate_evidence(program, row.kind, row.evidence, row.source or "<population>")
        except EvidenceError as error:
            rejections.extend(evidence_rejections(row, error))
            continue
        seen.add(row.id)
        yield position, row, typed


def row_problem(
    program: ir.Program, row: SubjectRow, units: Mapping[str, Unit], seen: Container[str]
) -> Rejection | None:
    """What makes a row unusable before its evidence is read: no id, an id already accepted (``seen``), a kind the
    program does not declare, a unit not in the units table."""

    def reject(column: str, value: object, reason: ir.Text) -> Rejection:
        return Rejection.from_text(row.source, row.row, column, value, reason, row.id or None, row.unit, row.kind, True)

    if not row.id:
        return reject("id", row.id, ir.Text("đối tượng phải có mã", "a subject needs an id"))
    if row.id in seen:
        return reject(
            "id",
            row.id,
            ir.Text(
                f"mã '{row.id}' xuất hiện hai lần; giữ dòng đầu tiên",
                f"the id '{row.id}' appears twice; the first row is kept",
            ),
        )
    if row.kind not in program.subjects:
        hint = suggest(row.kind, program.subjects)
        return reject(
            "kind",
            row.kind,
            ir.Text(
                f"'{row.kind}' không phải loại đối tượng của khung" + (f"; {hint.vi}" if hint else ""),
                f"'{row.kind}' is not a subject kind of the framework" + (f"; {hint.en}" if hint else ""),
            ),
        )
    if row.unit not in units:
        return reject(
            "unit",
            row.unit,
            ir.Text(
                f"đơn vị '{row.unit}' không có trong bảng đơn vị", f"the unit '{row.unit}' is not in the units table"
            ),
        )
    return None


def _value_at(evidence: Mapping[str, object], path: str) -> object:
    return evidence.get(path.split("[")[0].split(".")[0])


@dataclass(frozen=True)
class RelatedSubject:
    """A subject as a collective's relation sees it: its final level (None when undetermined) and its evidence."""

    id: str
    kind: str
    name: str | None
    level: str | None
    evidence: Mapping[str, ir.Value]


def relation_records(
    program: ir.Program, relation: ir.Relation, subject_id: str, related: Iterable[RelatedSubject | Rejection]
) -> tuple[ir.Record, ...]:
    """The records a collective's relation reads, sorted by id.

    ``related``, unit by unit: the unit's subjects of the relation's kinds that are classified or undetermined, in
    input order, then the unit's rejected rows (``rejected_by_unit``), whose record has only an id and a kind so
    that whatever reads them is unknown. A record's index is its place in that order.
    """
    record_def = program.records[relation.record]
    shared = [f.id for f in record_def.fields if f.id not in ir.RELATION_FIELDS]
    records: list[ir.Record] = []
    for other in related:
        if isinstance(other, Rejection):
            if other.kind in relation.kinds and other.subject_id != subject_id:
                assert other.subject_id is not None
                records.append(ir.Record({"id": other.subject_id, "kind": str(other.kind)}, len(records)))
            continue
        values: dict[str, ir.Value] = {"id": other.id, "kind": other.kind}
        if other.name:
            values["name"] = other.name
        if other.level is not None:
            values["level"] = program.levels.ordinal(other.level)
        values.update({k: other.evidence[k] for k in shared if k in other.evidence})
        records.append(ir.Record(values, len(records)))
    return tuple(sorted(records, key=lambda r: str(r.values["id"])))


def rejected_by_unit(rejections: Iterable[Rejection]) -> dict[str, list[Rejection]]:
    """Rejected subject rows by unit, the first of each subject id: collectives reading them become unknown."""
    out: dict[str, list[Rejection]] = {}
    for r in rejections:
        if r.unit is not None and r.subject_id is not None:
            known = out.setdefault(r.unit, [])
            if all(k.subject_id != r.subject_id for k in known):
                known.append(r)
    return out


def unit_group(units: Mapping[str, Unit], unit_id: str, quota: ir.Quota) -> tuple[str, str]:
    """A quota group by unit: the nearest unit of the quota's kinds at or above ``unit_id``, else the top unit."""
    unit = units.get(unit_id)
    top = unit
    seen: list[str] = []
    while unit is not None:
        if unit.kind in quota.group_unit_kinds:
            return unit.id, unit.name
        if unit.id in seen:  # the table readers reject cycles; a caller building units by hand may not
            raise ValueError("units form a cycle of parents: " + " → ".join([*seen[seen.index(unit.id) :], unit.id]))
        seen.append(unit.id)
        top = unit
        unit = units.get(unit.parent) if unit.parent else None
    # No unit of the listed kinds above: the subject's whole tree is one group.
    assert top is not None
    return top.id, top.name


def field_group(quota: ir.Quota, value: ir.Value | None) -> tuple[str, str]:
    """A quota group by an evidence field: the value as traces show it (its id and its name)."""
    shown = interpreter.display(value) if value is not None else "(chưa có / missing)"
    return str(shown), f"{quota.group_field} = {shown}"


class _Index:
    """Who is where: subjects by unit and kind, units by parent, and rejected rows that collectives must know of."""

    def __init__(self, units: Mapping[str, Unit], subjects: Mapping[str, _Subject], rejections: Sequence[Rejection]):
        self.units = units
        self.subjects = subjects
        self.by_unit: dict[str, list[_Subject]] = {}
        for s in subjects.values():
            self.by_unit.setdefault(s.row.unit, []).append(s)
        self.children: dict[str, list[str]] = {}
        for u in units.values():
            if u.parent is not None:
                self.children.setdefault(u.parent, []).append(u.id)
        self.rejected_by_unit = rejected_by_unit(rejections)

    def of_kind(self, kind: str) -> list[_Subject]:
        return [s for s in self.subjects.values() if s.row.kind == kind]

    def related(self, subject: _Subject, relation: ir.Relation, program: ir.Program) -> tuple[ir.Record, ...]:
        if relation.source is ir.RelationSource.UNIT:
            unit_ids = [subject.row.unit]
        else:
            unit_ids = self.children.get(subject.row.unit, [])

        def related() -> Iterable[RelatedSubject | Rejection]:
            for unit_id in unit_ids:
                for other in self.by_unit.get(unit_id, []):
                    if other is subject or other.row.kind not in relation.kinds or other.result is None:
                        continue
                    outcome = other.result.outcome
                    if outcome.status is Status.NOT_CLASSIFIED:
                        continue
                    row = other.row
                    yield RelatedSubject(row.id, row.kind, row.name, standing_level(outcome), other.evidence.values)
                yield from self.rejected_by_unit.get(unit_id, [])

        return relation_records(program, relation, subject.row.id, related())

    def group_of(self, subject: _Subject, quota: ir.Quota) -> tuple[str, str]:
        if quota.group_field is not None:
            return field_group(quota, subject.evidence.values.get(quota.group_field))
        return unit_group(self.units, subject.row.unit, quota)


def standing_level(outcome: Outcome) -> str | None:
    """The level others read for a subject: its level, or for a quota candidate awaiting the competent level's
    decision the level the rules give it (a decision can only move it to the quota's ``demote_to``)."""
    if outcome.status is Status.AWAITING_DECISION and outcome.possible:
        return outcome.possible[0]
    return outcome.level


def allowance(quota: ir.Quota, base: int, ratio: Fraction | None = None) -> int:
    """How many of a group may have the quota's level: the ratio of the base, rounded as the quota says.

    >>> q = ir.Quota("q", (), "a", (), None, Fraction(1, 5), "b", ir.Rounding.FLOOR, ir.QuotaPolicy.RANK, (), "b",
    ...     ir.Text("", ""), ir.Citation("d", ""), ir.Confidence.ASSUMED)
    >>> allowance(q, 14), allowance(q, 15)
    (2, 3)
    """
    exact = (quota.ratio if ratio is None else ratio) * base
    match quota.rounding:
        case ir.Rounding.FLOOR:
            return math.floor(exact)
        case ir.Rounding.CEIL:
            return math.ceil(exact)
        case ir.Rounding.HALF_UP:
            return math.floor(exact + Fraction(1, 2))
    raise AssertionError(quota.rounding)


def _rank_key(subject: _Subject, quota: ir.Quota) -> tuple[object, ...]:
    values = subject.evidence.values
    return (*(rank_part(values.get(rank.field), rank.descending) for rank in quota.rank_by), subject.row.id)


def rank_part(value: object, descending: bool) -> tuple[int, Fraction | int]:
    """One ``rank_by`` value as a part of a sort key: scale and enum values by their rank, booleans as 0 and 1,
    numbers as they are, negated when the order is descending; a missing value ranks last whatever the order."""
    number: Fraction | int | None
    if isinstance(value, ir.Ordinal | ir.EnumValue):
        number = value.rank
    elif isinstance(value, bool):
        number = int(value)
    elif isinstance(value, Fraction):
        number = value
    else:
        number = None
    return (1, 0) if number is None else (0, -number if descending else number)


COUNTED = (Status.CLASSIFIED, Status.AWAITING_DECISION)  # the statuses a quota counts, at their standing level


def _apply_quota(
    program: ir.Program, quota: ir.Quota, index: _Index, decisions: Iterable[CommitteeDecision]
) -> list[QuotaGroup]:
    members: dict[str, list[_Subject]] = {}
    names: dict[str, str] = {}
    for kind in quota.kinds:
        for subject in index.of_kind(kind):
            if subject.result is None or subject.result.outcome.status not in COUNTED:
                continue
            group, name = index.group_of(subject, quota)
            members.setdefault(group, []).append(subject)
            names[group] = name
    decided = {(d.quota, d.group): d for d in decisions}
    out: list[QuotaGroup] = []

    def level(s: _Subject) -> str | None:
        return None if s.result is None else standing_level(s.result.outcome)

    for group in sorted(members):
        in_group = members[group]
        base = sum(1 for s in in_group if level(s) == quota.of_level)
        candidates = sorted((s for s in in_group if level(s) == quota.level), key=lambda s: _rank_key(s, quota))
        if not candidates:
            continue
        record = quota_group(quota, group, names[group], base, [s.row.id for s in candidates], decided)
        out.append(record)
        shown = {i: index.subjects[i].row.name or i for i in record.candidates}
        for rank, subject in enumerate(candidates, start=1):
            assert subject.result is not None
            subject.result = with_quota(program, subject.result, quota, record, rank, shown)
    return out


def quota_group(
    quota: ir.Quota,
    group: str,
    group_name: str,
    base: int,
    candidates: Sequence[str],
    decisions: Mapping[tuple[str, str], CommitteeDecision],
    allowed: int | None = None,
) -> QuotaGroup:
    """What a quota does in one group, given its base and its candidates in rank order: who keeps the level.

    A group within its allowance keeps everyone. One over it follows the competent level's recorded decision when
    there is one and it holds (``decision_problems``: otherwise the decision is rejected and the group stays
    flagged); without one it is flagged, every candidate awaiting the decision, or, under a quota whose policy is
    ``rank`` (a local regulation's own rule), ranked: the best keep the level. ``allowed`` is the allowance of
    ``base`` when the caller has it (``allowance(quota, base)``).
    """
    if allowed is None:
        allowed = allowance(quota, base)
    decision = decisions.get((quota.id, group))
    ids = list(candidates)
    problems = (
        decision_problems(quota, decision, base, allowed, ids)
        if decision is not None and not decision.simulated
        else []
    )
    if problems:
        decision = None
    raised = None
    if decision is not None:
        kept = [i for i in ids if i in decision.approved]
        status = "decided"
        if decision.raised_to is not None:
            raised = allowance(quota, base, decision.raised_to)
    elif len(ids) <= allowed:
        kept, status = ids, "within"
    elif quota.policy is ir.QuotaPolicy.RANK:
        kept, status = ids[:allowed], "ranked"
    else:
        kept, status = ids, "flagged"
    demoted = [i for i in ids if i not in kept]
    return QuotaGroup(
        quota.id,
        group,
        group_name,
        base,
        allowed,
        tuple(ids),
        tuple(kept),
        tuple(demoted),
        status,
        decision.reference if decision else None,
        decision,
        raised,
        tuple(problems),
    )


def decision_problems(
    quota: ir.Quota, decision: CommitteeDecision, base: int, allowed: int, candidates: Sequence[str]
) -> list[Rejection]:
    """Why a recorded decision cannot be followed, one rejection per problem naming its row and column: ids that
    are not candidates of the group, an id both kept and moved, candidates a ``moved`` list leaves out, a group
    within its allowance (nothing to decide), a raised share without a ceiling or above it, more kept than the
    allowance (raised or not)."""
    out: list[Rejection] = []

    headers = dict(decision.columns)

    def reject(key: str, value: object, vi: str, en: str) -> None:
        reason = ir.Text(
            f"{vi} (tỷ lệ {quota.id}, nhóm {decision.group})", f"{en} (quota {quota.id}, group {decision.group})"
        )
        out.append(Rejection.from_text(decision.source, decision.row, headers.get(key, key), value, reason))

    listed = set(candidates)
    for column, ids in (("approved", decision.approved), ("moved", decision.moved)):
        strangers = [i for i in ids if i not in listed]
        if strangers:
            reject(
                column,
                " ".join(ids),
                f"không phải người được đề nghị ở mức {quota.level} trong nhóm: {', '.join(strangers)}",
                f"not candidates for {quota.level} in the group: {', '.join(strangers)}",
            )
    both = [i for i in decision.approved if i in decision.moved]
    if both:
        reject(
            "moved",
            " ".join(decision.moved),
            f"vừa được giữ vừa bị chuyển: {', '.join(both)}",
            f"both kept and moved: {', '.join(both)}",
        )
    if decision.moved:
        left = [i for i in candidates if i not in decision.approved and i not in decision.moved]
        if left:
            reject(
                "moved",
                " ".join(decision.moved),
                f"quyết định không nói đến: {', '.join(left)}",
                f"candidates the decision does not mention: {', '.join(left)}",
            )
    if len(candidates) <= allowed:
        reject(
            "group",
            decision.group,
            f"nhóm không vượt tỷ lệ ({len(candidates)} đề nghị, được {allowed}): không có gì để quyết định",
            f"the group is within its allowance ({len(candidates)} candidates, {allowed} allowed): nothing to decide",
        )
    limit = allowed
    if decision.raised_to is not None:
        shown = f"{interpreter.display(decision.raised_to * 100)}%"
        if quota.ceiling is None:
            reject("raised_to", shown, "tỷ lệ này không có mức trần được nâng", "this quota has no ceiling to raise to")
        elif not quota.ratio <= decision.raised_to <= quota.ceiling.ratio:
            ceiling = f"{interpreter.display(quota.ceiling.ratio * 100)}%"
            reject(
                "raised_to",
                shown,
                f"tỷ lệ được nâng phải trong khoảng tỷ lệ chung và mức trần {ceiling} ({quota.ceiling.cite.doc} "
                f"{quota.ceiling.cite.at})",
                f"the raised share must be between the quota's ratio and its ceiling {ceiling} "
                f"({quota.ceiling.cite.doc} {quota.ceiling.cite.at})",
            )
        else:
            limit = allowance(quota, base, decision.raised_to)
    kept = [i for i in candidates if i in decision.approved]
    if len(kept) > limit:
        raised = "" if decision.raised_to is None else " (đã nâng)"
        raised_en = "" if decision.raised_to is None else " (raised)"
        reject(
            "approved",
            " ".join(decision.approved),
            f"giữ {len(kept)} người, vượt số được phép {limit}{raised}; cần quyết định nâng tỷ lệ tới mức trần"
            " (cột raised_to)",
            f"keeps {len(kept)}, above the {limit} allowed{raised_en}; a decision raising the share to the ceiling "
            "is needed (column raised_to)",
        )
    return out


def decision_rejections(decisions: Iterable[CommitteeDecision], groups: Sequence[QuotaGroup]) -> list[Rejection]:
    """Every recorded decision that was not followed, with why: the groups' problems in group order, then the
    decisions naming no group with candidates."""
    return [*(p for g in groups for p in g.problems), *unmatched_decisions(decisions, groups)]


def unmatched_decisions(decisions: Iterable[CommitteeDecision], groups: Iterable[QuotaGroup]) -> list[Rejection]:
    """The recorded decisions that name a quota group with no candidate: rejected, naming the row's group."""
    seen = {(g.quota, g.group) for g in groups}
    out = []
    for d in decisions:
        if (d.quota, d.group) not in seen:
            reason = ir.Text(
                f"nhóm {d.group!r} của tỷ lệ {d.quota} không có người được đề nghị: không có gì để quyết định",
                f"group {d.group!r} of quota {d.quota} has no candidate: nothing to decide",
            )
            out.append(Rejection.from_text(d.source, d.row, dict(d.columns).get("group", "group"), d.group, reason))
    return out


def with_quota(
    program: ir.Program, result: Result, quota: ir.Quota, group: QuotaGroup, rank: int, names: Mapping[str, str]
) -> Result:
    """A candidate's result with the quota's check added to its trace: demoted, flagged, or kept.

    ``names`` gives the name shown for each candidate of the group (its id when it has none).
    """
    subject_id = result.subject_id
    demoted = subject_id in group.demoted
    flagged = group.status == "flagged"
    truth = Truth.UNKNOWN if flagged else (Truth.NOT_MET if demoted else Truth.MET)
    final = quota.demote_to if demoted else (None if flagged else quota.level)
    names = {i: names[i] for i in group.candidates}
    record = group.record
    decided = (
        (
            ("decided_by", record.decided_by),
            ("decided_on", record.decided_on),
            ("moved", list(record.moved)),
            ("source", f"{record.source}:{record.row}" if record.row is not None else record.source),
        )
        if record is not None
        else ()
    )
    ceiling = (
        (
            ("ceiling", interpreter.display(quota.ceiling.ratio)),
            ("ceiling_cite", f"{quota.ceiling.cite.doc} {quota.ceiling.cite.at}"),
        )
        if quota.ceiling is not None
        else ()
    )
    raised = (
        (("raised_to", interpreter.display(record.raised_to)), ("raised_allowed", group.raised_allowed))
        if record is not None and record.raised_to is not None
        else ()
    )
    node = TraceNode(
        NodeKind.QUOTA,
        truth,
        id=quota.id,
        label=quota.label,
        cite=quota.cite,
        confidence=quota.confidence,
        span=quota.span,
        level=final,
        details=(
            ("group", group.group),
            ("group_name", group.group_name),
            ("level", quota.level),
            ("of_level", quota.of_level),
            ("base", group.base),
            ("ratio", interpreter.display(quota.ratio)),
            ("rounding", quota.rounding.value),
            ("allowed", group.allowed),
            ("candidates", list(group.candidates)),
            ("names", names),
            ("rank", rank),
            ("rank_by", [f"{k.field} {'desc' if k.descending else 'asc'}" for k in quota.rank_by]),
            ("ranking", quota.policy.value),  # rank: the quota's own rule; flag: the tool's suggestion only
            *ceiling,
            ("kept", list(group.kept)),
            ("demoted", list(group.demoted)),
            ("status", group.status),
            ("decision", group.decision),
            *decided,
            *raised,
        ),
    )
    outcome = result.outcome
    if demoted:
        outcome = replace(
            outcome,
            status=Status.CLASSIFIED,
            level=final,
            decision=Decision.QUOTA,
            reasons=(*outcome.reasons, quota.id),
            possible=(),
        )
    elif flagged:
        outcome = replace(
            outcome,
            status=Status.AWAITING_DECISION,
            level=None,
            decision=Decision.QUOTA,
            possible=(quota.level, quota.demote_to),
            flags=(*outcome.flags, quota.id),
        )
    trace = replace(result.trace, level=outcome.level, outcome=outcome, children=(*result.trace.children, node))
    return replace(result, trace=trace)


def from_document(data: Mapping[str, object], source: str = "<population>") -> PopulationInput:
    """A population from plain data: ``{units: [...], subjects: [...], decisions: [...], persons: [...]}``.

    Rows that are not mappings, or lack an id, become rejections; nothing raises.
    """
    rejections: list[Rejection] = []

    def rows(key: str) -> list[tuple[int, Mapping[str, object]]]:
        raw = data.get(key, [])
        if not isinstance(raw, list):
            reason = ir.Text(f"'{key}' phải là một danh sách", f"'{key}' must be a list")
            rejections.append(Rejection.from_text(source, None, key, type(raw).__name__, reason))
            return []
        out = []
        for number, row in enumerate(raw, start=1):
            if isinstance(row, Mapping):
                out.append((number, row))
            else:
                reason = ir.Text(
                    f"mỗi mục của '{key}' phải là một ánh xạ (mapping)", f"each of '{key}' must be a mapping"
                )
                rejections.append(Rejection.from_text(source, number, key, row, reason, subject_row=key == "subjects"))
        return out

    def text(value: object) -> str | None:
        return None if value is None else str(value)

    units = tuple(
        Unit(
            str(r.get("id", "")),
            text(r.get("parent")),
            str(r.get("kind", "")),
            str(r.get("name", "")),
            text(r.get("head")),
            number,
            source,
        )
        for number, r in rows("units")
    )
    subjects = []
    for number, r in rows("subjects"):
        evidence = r.get("evidence", {})
        if not isinstance(evidence, Mapping):
            reason = ir.Text("minh chứng phải là một ánh xạ (mapping)", "evidence must be a mapping")
            rejections.append(
                Rejection.from_text(source, number, "evidence", evidence, reason, text(r.get("id")), subject_row=True)
            )
            continue
        subjects.append(
            SubjectRow(
                str(r.get("id", "")),
                str(r.get("unit", "")),
                str(r.get("kind", "")),
                text(r.get("name")),
                dict(evidence),
                number,
                source,
                person=text(r.get("person")) or None,
            )
        )
    persons = tuple(
        Person(str(r.get("id", "")), str(r.get("name", "") or ""), number, source) for number, r in rows("persons")
    )

    def ids_of(value: object) -> tuple[str, ...]:
        return tuple(str(i) for i in value) if isinstance(value, list) else tuple(str(value or "").split())

    decisions = []
    for number, r in rows("decisions"):
        raised = r.get("raised_to")
        share = None if raised is None else parse_share(raised)
        decisions.append(
            CommitteeDecision(
                str(r.get("quota", "")),
                str(r.get("group", "")),
                ids_of(r.get("approved", [])),
                str(r.get("reference", "")),
                number,
                source,
                ids_of(r.get("moved", [])),
                str(r.get("decided_by", "") or ""),
                str(r.get("decided_on", "") or ""),
                share,
            )
        )
    raw_subjects = data.get("subjects", [])
    return PopulationInput(
        units=units,
        subjects=tuple(subjects),
        decisions=tuple(decisions),
        rejections=tuple(rejections),
        rows_read=len(raw_subjects) if isinstance(raw_subjects, list) else 0,
        persons=persons,
        has_persons="persons" in data or any(row.person for row in subjects),
    )


def parse_share(value: object) -> Fraction | None:
    """``25%``, ``0.25`` or a number → the share; None when it is not one (the decision is then rejected)."""
    text = str(value).strip()
    try:
        share = Fraction(text[:-1].strip()) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return share if 0 < share <= 1 else None
