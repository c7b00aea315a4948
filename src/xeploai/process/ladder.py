"""The review process: the proposal ladder and the discrepancies between rungs.

Input: a population result (the level the rules allow for every subject, with its trace), the population it came
from (the appraised evidence), the ``ProcessInput`` read from the process tables and the period facts.
Output: a ``ProcessResult``: for every subject on a ladder, each rung's proposal (or ballot) next to the allowed
level and, where they differ, why: a proposal above the allowed level names the rules it breaks (failed conditions
of the proposed level, triggers, caps, quotas) with their clauses; a difference between two rungs of the declared
size is listed until a written explanation is supplied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from xeploai.evaluation.population import PopulationInput, PopulationResult, Rejection
from xeploai.evaluation.report import one_line_reason
from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, TraceNode, Truth
from xeploai.explanation import explain, reasons
from xeploai.process.ballots import BallotOutcome, tally_ballot
from xeploai.process.periods import PeriodFacts
from xeploai.process.process_tables import ProcessInput, Proposal, Tally, read_number
from xeploai.program import ir
from xeploai.tables.spellings import fold

__all__ = [
    "Discrepancy",
    "Finding",
    "LadderRow",
    "ProcessResult",
    "RungView",
    "cite_text",
    "evaluate_process",
    "findings_above",
]


@dataclass(frozen=True)
class Finding:
    """A rule (or cap, quota, trigger, eligibility rule, missing field) behind a difference, with its clause."""

    kind: str  # failed | trigger | cap | quota | flag | not_classified | missing | met
    id: str
    label: ir.Text | None
    cite: ir.Citation | None
    confidence: ir.Confidence | None
    facts: str = ""  # the values read, e.g. "general_criteria_score = 25; task_results_score = 60"

    def text(self, program: ir.Program, lang: str = "vi") -> str:
        label = self.label.get(lang) if self.label else self.id
        parts = [f"{label} [{self.id}]"]
        if self.facts:
            parts.append(f"({self.facts})")
        if self.cite is not None:
            parts.append(f"— {cite_text(program, self.cite)}")
        return " ".join(parts)


@dataclass(frozen=True)
class RungView:
    rung: ir.Rung
    proposal: Proposal | None
    ballot: BallotOutcome | None
    level: str | None  # the rung's level: the ballot's when a tally decides, else the proposal's
    relation: str  # agrees | above | below | missing | no_level | pending | undetermined | not_classified
    findings: tuple[Finding, ...] = ()
    mismatch: ir.Text | None = None  # a typed proposal that its own tally contradicts (the tally stands)


@dataclass(frozen=True)
class Discrepancy:
    """A difference between two rungs of a declared size: it needs a written explanation until one is given."""

    gap: ir.Gap
    subject: str
    first: str
    second: str
    first_level: str | None
    second_level: str | None
    level_gap: int | None
    points_gap: Fraction | None
    by_criterion: tuple[tuple[str, object, object, object], ...]  # (criterion, first, second, difference)
    explanation: str | None

    @property
    def explained(self) -> bool:
        return bool(self.explanation)


@dataclass(frozen=True)
class LadderRow:
    result: Result
    ladder: ir.Ladder
    unit: str
    allowed: str | None  # the level the rules allow (the final outcome); None when not classified or undetermined
    rungs: tuple[RungView, ...]
    discrepancies: tuple[Discrepancy, ...]
    reason: str  # one line, from the trace
    period: PeriodFacts | None = None
    flags: tuple[Finding, ...] = ()  # raised for the competent committee: period flags held, quotas exceeded


@dataclass(frozen=True)
class ProcessResult:
    population: PopulationResult
    rows: tuple[LadderRow, ...]
    rejections: tuple[Rejection, ...]
    ballots: tuple[BallotOutcome, ...]

    def row(self, subject_id: str) -> LadderRow:
        for row in self.rows:
            if row.result.subject_id == subject_id:
                return row
        raise KeyError(subject_id)

    def unexplained(self) -> list[Discrepancy]:
        return [d for row in self.rows for d in row.discrepancies if not d.explained]


def cite_text(program: ir.Program, cite: ir.Citation) -> str:
    doc = cite.doc
    for legal in program.info.legal_basis:
        if legal.id == cite.doc:
            doc = legal.number
    return f"{doc}, {cite.at}"


def _met_records(node: TraceNode, records: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """Records field → the records that met an ``exists`` below ``node`` (one child per record); a quarter met on
    a streak (``streak`` ≥ 2) names the consecutive quarters of the streak, not only the last."""
    out: dict[str, str] = {}
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(current.children)
        if current.kind is not NodeKind.EXISTS:
            continue
        for read in current.reads:
            if not isinstance(read.value, list) or len(read.value) != len(current.children):
                continue
            ids = [str(v) for v in read.value]
            met: list[int] = []
            for index, child in enumerate(current.children):
                if child.truth is not Truth.MET:
                    continue
                streak = records[index].get("streak") if read.name == ir.QUARTERS_FIELD and index < len(records) else 1
                first = index - (streak if isinstance(streak, int) and streak > 1 else 1) + 1
                met.extend(i for i in range(max(first, 0), index + 1) if i not in met)
            if met:
                out.setdefault(read.name, "; ".join(ids[i] for i in sorted(met)))
    return out


def _facts(node: TraceNode, records: Sequence[Mapping[str, object]] = ()) -> str:
    """The values read by a rule's deciding conditions; for records, the ones that met the condition (quarters)."""
    leaves = [node, *reasons.deciding_conditions(node)]
    seen: dict[str, object] = dict(_met_records(node, records))
    for leaf in leaves:
        for read in leaf.reads:
            if read.origin == "derived" and isinstance(read.value, dict):
                met = read.value.get(Truth.MET.value)
                if met:
                    seen.setdefault(read.name, "; ".join(str(m) for m in met))
    for leaf in leaves:
        for read in leaf.reads:
            if read.origin != "derived":
                seen.setdefault(read.name, "—" if read.value is None else read.value)
    return "; ".join(f"{k} = {explain.format_value(v)}" for k, v in seen.items())


def _finding(
    kind: str, node: TraceNode, subject: ir.SubjectProgram | None, records: Sequence[Mapping[str, object]] = ()
) -> Finding:
    label = node.label
    if label is None and subject is not None:
        rule = subject.rules.get(node.id)
        label = rule.label if rule is not None else None
    cite, confidence = node.cite, node.confidence
    if cite is None and subject is not None and node.id in subject.rules:
        cite, confidence = subject.rules[node.id].cite, subject.rules[node.id].confidence
    return Finding(kind, node.id, label, cite, confidence, _facts(node, records))


def findings_above(result: Result, program: ir.Program, proposed: str) -> list[Finding]:
    """Why the rules do not allow ``proposed`` for this subject: what a proposal at that level breaks."""
    outcome = result.outcome
    subject = program.subjects.get(result.subject_kind)
    root = result.trace
    if outcome.status is Status.NOT_CLASSIFIED:
        stage = next(c for c in root.children if c.kind is NodeKind.ELIGIBILITY)
        return [_finding("not_classified", c, subject) for c in stage.children if c.truth is Truth.MET]
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        return [Finding("missing", name, None, None, None) for name in outcome.missing]
    if outcome.decision is Decision.TRIGGER:
        stage = next(c for c in root.children if c.kind is NodeKind.TRIGGERS)
        return [_finding("trigger", c, subject) for c in stage.children if c.truth is Truth.MET]
    rank = program.levels.rank
    found: list[Finding] = []
    node = next((c for c in root.children if c.kind is NodeKind.LEVEL and c.level == proposed), None)
    if node is not None:
        found.extend(_finding("failed", c, subject) for c in node.children if c.truth is not Truth.MET)
    caps = next((c for c in root.children if c.kind is NodeKind.CAPS), None)
    for cap in caps.children if caps else ():
        if cap.truth is Truth.MET and cap.level is not None and rank(cap.level) < rank(proposed):
            found.append(_finding("cap", cap, subject))
    for quota in reasons.quota_checks(result):
        details = dict(quota.details)
        if quota.truth is Truth.NOT_MET and details.get("level") == proposed:
            found.append(
                Finding(
                    "quota",
                    quota.id,
                    quota.label,
                    quota.cite,
                    quota.confidence,
                    f"nhóm {details.get('group_name')}: xếp thứ {details.get('rank')}, được {details.get('allowed')}"
                    f" ({details.get('base')} × {details.get('ratio')}, {details.get('rounding')})",
                )
            )
    return found


def _flagged(result: Result) -> list[Finding]:
    return [
        Finding("flag", q.id, q.label, q.cite, q.confidence)
        for q in reasons.quota_checks(result)
        if q.truth is Truth.UNKNOWN
    ]


def _row_flags(result: Result, program: ir.Program, evidence: Mapping[str, object]) -> list[Finding]:
    """Period flags that held (notes of ``process.periods.flags``) and quotas left for the committee."""
    periods = program.process.periods if program.process else None
    wanted = set(periods.flags) if periods else set()
    subject = program.subjects.get(result.subject_kind)
    quarters = evidence.get(ir.QUARTERS_FIELD)
    records = [q for q in quarters if isinstance(q, Mapping)] if isinstance(quarters, list) else []
    found = [_finding("flag", n, subject, records) for n in reasons.notes_held(result) if n.id in wanted]
    return found + _flagged(result)


def _met_requirements(result: Result, program: ir.Program, level: str) -> list[Finding]:
    subject = program.subjects.get(result.subject_kind)
    node = next((c for c in result.trace.children if c.kind is NodeKind.LEVEL and c.level == level), None)
    return [_finding("met", c, subject) for c in node.children] if node is not None else []


def _criterion_value(program: ir.Program, kind: str, name: str, raw: object) -> object:
    """A criterion value as a number (scores) or as the grade's rank and code (grades)."""
    subject = program.subjects.get(kind)
    fdef = subject.field_def(name) if subject else None
    if fdef is not None and isinstance(fdef.type, ir.OrdinalType):
        scale = program.levels if fdef.type.scale == ir.LEVEL_SCALE else program.scales.get(fdef.type.scale)
        if scale is not None and isinstance(raw, str):
            folded = fold(raw)
            for value in scale.values:
                if folded in {fold(value.id), fold(value.code), fold(value.label.vi), fold(value.label.en)}:
                    return scale.ordinal(value.id)
        return None
    try:
        return read_number(raw)
    except ValueError:
        return None


def _show(value: object, program: ir.Program) -> object:
    if isinstance(value, ir.Ordinal):
        scale = program.scales.get(value.scale)
        if scale is not None:
            return next(v.code for v in scale.values if v.id == value.id)
        return value.id
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def evaluate_process(
    result: PopulationResult,
    population: PopulationInput,
    inputs: ProcessInput,
    facts: Mapping[str, PeriodFacts] | None = None,
    lang: str = "vi",
) -> ProcessResult:
    """Every subject on a ladder: its rungs next to the allowed level, why they differ, and the discrepancies."""
    program = result.program
    process = program.process
    if process is None:
        return ProcessResult(result, (), inputs.rejections, ())
    proposals = {(p.subject, p.rung): p for p in inputs.proposals}
    tallies = {(t.subject, t.rung): t for t in inputs.tallies}
    evidence = {row.id: row.evidence for row in population.subjects}
    official = _official_members(population)
    rejections = list(inputs.rejections)
    rows: list[LadderRow] = []
    outcomes: list[BallotOutcome] = []
    for subject_result in sorted(result.results, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id)):
        ladder = process.ladder_for(subject_result.subject_kind)
        if ladder is None:
            continue
        sid = subject_result.subject_id
        outcome = subject_result.outcome
        # A candidate awaiting the competent level's quota decision is allowed the level the rules give it, and its
        # rungs at that level are pending (the quota's flag), not in agreement.
        waiting = outcome.status is Status.AWAITING_DECISION and outcome.possible
        allowed = outcome.level if outcome.status is Status.CLASSIFIED else (outcome.possible[0] if waiting else None)
        unit = str(subject_result.extras.get("unit", ""))
        views: list[RungView] = []
        for rung in ladder.rungs:
            proposal = proposals.get((sid, rung.id))
            ballot = None
            tally = tallies.get((sid, rung.id))
            members = sum(1 for kind in official.get(unit, ()) if kind in ladder.kinds)
            if tally is not None and tally.entitled is not None and tally.entitled > members:
                rejections.append(_too_many_entitled(tally, unit, members))
                tally = None
            if rung.ballot is not None and tally is not None:
                ballot = tally_ballot(process.ballots[rung.ballot], tally, program)
                outcomes.append(ballot)
            level = ballot.level if ballot is not None else (proposal.level if proposal else None)
            mismatch = _mismatch(program, proposal, ballot)
            views.append(_view(subject_result, program, rung, proposal, ballot, level, allowed, mismatch))
        discrepancies = _discrepancies(program, subject_result, ladder, views, evidence.get(sid, {}))
        rows.append(
            LadderRow(
                subject_result,
                ladder,
                str(subject_result.extras.get("unit", "")),
                allowed,
                tuple(views),
                tuple(discrepancies),
                one_line_reason(subject_result, program, lang),
                (facts or {}).get(sid),
                tuple(_row_flags(subject_result, program, evidence.get(sid, {}))),
            )
        )
    return ProcessResult(result, tuple(rows), tuple(rejections), tuple(outcomes))


def _official_members(population: PopulationInput) -> dict[str, list[str]]:
    """Unit → the kinds of its subjects who vote: probationary members (``is_probationary``) have no vote under the
    Party Statute. One row per subject: a person holding two kinds in one unit would count twice (the persons
    model will tell)."""
    by_unit: dict[str, list[str]] = {}
    for row in population.subjects:
        if row.evidence.get("is_probationary") is not True:
            by_unit.setdefault(row.unit or "", []).append(row.kind)
    return by_unit


def _too_many_entitled(tally: Tally, unit: str, members: int) -> Rejection:
    reason = ir.Text(
        f"tổng số được triệu tập {tally.entitled} nhiều hơn {members} đảng viên chính thức của đơn vị {unit}"
        " (đảng viên dự bị không biểu quyết)",
        f"{tally.entitled} entitled to vote is more than the {members} official members of unit {unit}"
        " (probationary members have no vote)",
    )
    return Rejection.from_text(tally.source, tally.row, "entitled", tally.entitled, reason, tally.subject, unit)


_STATUS = {
    "referred": ("chuyển cấp có thẩm quyền quyết định", "referred to the competent committee"),
    "no_quorum": ("không đủ số có mặt, phiếu không có giá trị", "no quorum, the ballot does not count"),
    "no_ballots": ("không có phiếu", "no ballots"),
}


def _mismatch(program: ir.Program, proposal: Proposal | None, ballot: BallotOutcome | None) -> ir.Text | None:
    """A typed proposal that the rung's own tally contradicts: the tally stands, the difference is flagged."""
    if ballot is None or proposal is None or not proposal.level or proposal.level == ballot.level:
        return None
    typed = program.level_code(proposal.level)
    if ballot.level is not None:
        counted = program.level_code(ballot.level)
        return ir.Text(
            f"đề xuất ghi {typed} nhưng kiểm phiếu ra {counted}",
            f"the proposal says {typed} but the tally gives {counted}",
        )
    vi, en = _STATUS.get(ballot.status, (ballot.status, ballot.status))
    return ir.Text(f"đề xuất ghi {typed} nhưng kiểm phiếu: {vi}", f"the proposal says {typed} but the tally: {en}")


def _view(
    result: Result,
    program: ir.Program,
    rung: ir.Rung,
    proposal: Proposal | None,
    ballot: BallotOutcome | None,
    level: str | None,
    allowed: str | None,
    mismatch: ir.Text | None,
) -> RungView:
    outcome = result.outcome
    if proposal is None and ballot is None and rung.from_evidence and allowed is not None:
        return RungView(rung, None, None, allowed, "agrees", tuple(_flagged(result)))
    if proposal is None and ballot is None:
        return RungView(rung, None, None, None, "missing" if rung.required else "no_level")
    if level is None:
        if ballot is not None and ballot.status == "referred":
            relation = "pending"  # a split vote: the competent committee decides
        else:  # a void ballot (no quorum, no ballots) or a row without a level
            relation = "missing" if ballot is not None and rung.required else "no_level"
        return RungView(rung, proposal, ballot, None, relation, mismatch=mismatch)
    if outcome.status is Status.NOT_CLASSIFIED:
        return RungView(
            rung, proposal, ballot, level, "not_classified", tuple(findings_above(result, program, level)), mismatch
        )
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        return RungView(
            rung, proposal, ballot, level, "undetermined", tuple(findings_above(result, program, level)), mismatch
        )
    assert allowed is not None
    rank = program.levels.rank
    if rank(level) > rank(allowed):
        return RungView(rung, proposal, ballot, level, "above", tuple(findings_above(result, program, level)), mismatch)
    if rank(level) < rank(allowed):
        return RungView(
            rung, proposal, ballot, level, "below", tuple(_met_requirements(result, program, allowed)), mismatch
        )
    flags = _flagged(result)
    return RungView(rung, proposal, ballot, level, "pending" if flags else "agrees", tuple(flags), mismatch)


def _discrepancies(
    program: ir.Program,
    result: Result,
    ladder: ir.Ladder,
    views: Sequence[RungView],
    evidence: Mapping[str, object],
) -> list[Discrepancy]:
    by_rung = {v.rung.id: v for v in views}
    out: list[Discrepancy] = []
    rank = program.levels.rank
    for gap in ladder.gaps:
        first, second = by_rung.get(gap.between[0]), by_rung.get(gap.between[1])
        if first is None or second is None:
            continue
        values_a = _rung_criteria(program, result.subject_kind, ladder, first, evidence)
        values_b = _rung_criteria(program, result.subject_kind, ladder, second, evidence)
        level_gap = None
        if first.level is not None and second.level is not None:
            level_gap = abs(rank(first.level) - rank(second.level))
        total_a = _total(first, values_a)
        total_b = _total(second, values_b)
        points_gap = abs(total_a - total_b) if total_a is not None and total_b is not None else None
        needs = (gap.levels is not None and level_gap is not None and level_gap >= gap.levels) or (
            gap.points is not None and points_gap is not None and points_gap >= gap.points
        )
        if not needs:
            continue
        rows: list[tuple[str, object, object, object]] = []
        for name in ladder.criteria:
            a, b = values_a.get(name), values_b.get(name)
            diff: object = None
            if isinstance(a, Fraction) and isinstance(b, Fraction):
                diff = _show(b - a, program)
            elif isinstance(a, ir.Ordinal) and isinstance(b, ir.Ordinal):
                diff = b.rank - a.rank
            rows.append((name, _show(a, program), _show(b, program), diff))
        explanation = None
        for view in (second, first):
            if view.proposal is not None and view.proposal.explanation:
                explanation = view.proposal.explanation
                break
        out.append(
            Discrepancy(
                gap,
                result.subject_id,
                first.rung.id,
                second.rung.id,
                first.level,
                second.level,
                level_gap,
                points_gap,
                tuple(rows),
                explanation,
            )
        )
    return out


def _rung_criteria(
    program: ir.Program, kind: str, ladder: ir.Ladder, view: RungView, evidence: Mapping[str, object]
) -> dict[str, object]:
    raw: Mapping[str, object] = (
        evidence if view.rung.from_evidence else (view.proposal.criteria if view.proposal else {})
    )
    out: dict[str, object] = {}
    for name in ladder.criteria:
        if name in raw:
            value = _criterion_value(program, kind, name, raw[name])
            if value is not None:
                out[name] = value
    return out


def _total(view: RungView, values: Mapping[str, object]) -> Fraction | None:
    if view.proposal is not None and view.proposal.score is not None:
        return view.proposal.score
    numbers = [v for v in values.values() if isinstance(v, Fraction)]
    return sum(numbers, Fraction(0)) if numbers and len(numbers) == len(values) else None
