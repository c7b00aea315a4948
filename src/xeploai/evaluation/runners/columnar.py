"""The columnar runner: program × a table of typed evidence for N subjects → level and condition columns.

Input: an ``ir.Program``, a subject kind, an ``EvidenceTable``, the period and, for a collective kind, the records
of its related subjects (one CSR ``RecordsColumn`` per relation, as ``xeploai.evaluation.bulk_relations`` builds
them). Output: a ``ColumnarResult``: status, level and decision codes per row, and one three-valued truth column (0 not
met, 1 unknown, 2 met) per rule, cap, note and level; any row of an individual kind has its full trace rebuilt on
demand by the interpreter from the row's evidence, so it is the interpreter's trace. The table, the values and the
evaluator are the sibling modules ``columnar_table``, ``columnar_values`` and ``columnar_evaluator``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xeploai.evaluation.evidence import Evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.runners.columnar_evaluator import Run
from xeploai.evaluation.runners.columnar_table import Array, EvidenceTable, RecordsColumn
from xeploai.evaluation.runners.columnar_values import MET, NOT_MET, UNKNOWN, Ord, Vec, blend, full, is_col, kleene_all
from xeploai.evaluation.trace import Decision, Outcome, Result, Status, TraceNode, Truth
from xeploai.program import ir

TRUTHS: tuple[Truth, ...] = (Truth.NOT_MET, Truth.UNKNOWN, Truth.MET)  # indexed by truth code
STATUSES: tuple[Status, ...] = (
    Status.CLASSIFIED,
    Status.NOT_CLASSIFIED,
    Status.INSUFFICIENT_EVIDENCE,
    Status.AWAITING_DECISION,  # set by the population's quotas, never by a kind's own evaluation
    Status.LEFT_TO_COMPETENT_LEVEL,  # a gap of a kind whose ``level_gap`` reading leaves it to the competent level
)
DECISIONS: tuple[Decision, ...] = tuple(Decision)
NO_LEVEL = -1

_CLASSIFIED, _NOT_CLASSIFIED, _INSUFFICIENT, _AWAITING, _LEFT = range(5)
_D = {d: i for i, d in enumerate(DECISIONS)}


def _check_relations(
    subject: ir.SubjectProgram, size: int, relations: Mapping[str, RecordsColumn] | None
) -> dict[str, RecordsColumn]:
    """The relations a collective kind reads, checked: every relation given, as CSR over the table's rows."""
    given = dict(relations or {})
    wanted = [r.id for r in subject.relations]
    missing = [r for r in wanted if r not in given]
    if missing:
        raise NotImplementedError(
            f"'{subject.kind}' reads related subjects ({', '.join(missing)}): give their records as "
            "``relations`` (xeploai.evaluation.bulk does), or evaluate collectives with the interpreter"
        )
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        raise ValueError(f"{unknown} are not relations of '{subject.kind}'")
    for name, col in given.items():
        if len(col.offsets) != size + 1 or len(col.known) != size:
            raise ValueError(f"the relation '{name}' must have {size + 1} offsets and {size} known flags")
    return given


# --- the result -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ColumnarResult:
    """Outcome codes and condition columns of every row of a table.

    Codes: ``status`` indexes ``STATUSES``, ``decision`` indexes ``DECISIONS``; ``level`` and
    ``level_before_caps`` are ranks of ``program.levels`` (0 the lowest, -1 when not classified); truth columns
    index ``TRUTHS`` (0 not met, 1 unknown, 2 met). ``possible`` has bit ``rank`` set for every level still
    possible and bit ``len(program.levels.values)`` for "not classified". ``cap_bounds`` holds each cap's bound
    as a level rank (-1 when unknown).
    """

    table: EvidenceTable
    period: ir.Period
    status: Array
    decision: Array
    level: Array
    level_before_caps: Array
    possible: Array
    eligibility: Array
    triggers: Array
    levels: Mapping[str, Array]
    caps: Mapping[str, Array]
    cap_bounds: Mapping[str, Array]
    notes: Mapping[str, Array]
    rules: Mapping[str, Array]
    relations: Mapping[str, RecordsColumn] = field(default_factory=dict)

    @property
    def program(self) -> ir.Program:
        return self.table.program

    @property
    def kind(self) -> str:
        return self.table.kind

    def __len__(self) -> int:
        return len(self.table)

    def level_id(self, i: int) -> str | None:
        """Row i's final level id, or None when it is not classified."""
        return _level_id(self.program, int(self.level[i]))

    def possible_outcomes(self, i: int) -> tuple[str, ...]:
        """The outcomes still possible for row i, best first, "not_classified" last (as ``Outcome.possible``)."""
        bits = int(self.possible[i])
        count = len(self.program.levels.values)
        found = [_level_id(self.program, r) or "" for r in range(count - 1, -1, -1) if bits >> r & 1]
        return (*found, interpreter.NOT_CLASSIFIED) if bits >> count & 1 else tuple(found)

    def evidence(self, i: int) -> Evidence:
        return self.table.evidence(i)

    def trace(self, i: int) -> TraceNode:
        """Row i's full trace: the interpreter's, evaluated again from the row's evidence.

        A collective's trace needs its related subjects as records: ``xeploai.evaluation.bulk_result`` rebuilds it
        (``BulkResult.result``).
        """
        if self.table.subject.relations:
            raise NotImplementedError(f"rebuild the trace of a collective ('{self.kind}') with xeploai.evaluation.bulk")
        ev = self.table.evidence(i)
        return interpreter.evaluate(self.program, self.kind, ev.values, ev.origins, self.period)

    def outcome(self, i: int) -> Outcome:
        """Row i's outcome with its reasons and missing fields (from the rebuilt trace)."""
        outcome = self.trace(i).outcome
        assert outcome is not None
        return outcome

    def result(self, i: int, subject_id: str = "", subject_name: str | None = None) -> Result:
        """Row i as the interpreter's ``Result``."""
        info = self.program.info
        return Result(
            trace=self.trace(i),
            subject_id=subject_id,
            subject_kind=self.kind,
            subject_name=subject_name,
            period=self.period,
            framework_family=info.family,
            framework_version=info.version,
            framework_source=info.source,
        )


def _level_id(program: ir.Program, rank: int) -> str | None:
    if rank < 0:
        return None
    values = program.levels.values
    return values[len(values) - 1 - rank].id


def evaluate_table(
    table: EvidenceTable, period: ir.Period, relations: Mapping[str, RecordsColumn] | None = None
) -> ColumnarResult:
    """Evaluate every row of a table: the interpreter's semantics, one column at a time.

    A collective kind reads its related subjects: ``relations`` gives, per relation of the kind, a
    ``RecordsColumn`` over the table's rows whose fields are the relation's record fields (``level`` as a level
    rank, ``id``, ``name``, ``kind`` and the shared evidence fields, a records field as a nested ``RecordsColumn``).
    """
    given = _check_relations(table.subject, len(table), relations)
    run = Run(table, period, relations=given)
    result = _evaluate(run)
    if run.cycle:
        # A value computed inside a cycle must not stand in for the same expression evaluated later.
        result = _evaluate(Run(table, period, memo=False, relations=given))
    return result


def condition_codes(
    table: EvidenceTable, period: ir.Period, relations: Mapping[str, RecordsColumn] | None = None
) -> tuple[Array, Array, list[int]]:
    """The truth code of every condition evaluated for the subjects, one column per condition node (an
    ``(N, conditions)`` int8 array, in order of first evaluation), the rows where a condition over one of their
    records, or a record field it read, was unknown, and the ``id`` of each column's expression node.

    Two rows with the same codes and the same known fields have traces that differ only in their values: the same
    nodes are unknown and the same fields missing (``evaluation.bulk_result`` computes one-line reasons from this).
    Records are the exception, since the trace names the record (``discipline[2].form``): those rows are flagged.
    """
    given = _check_relations(table.subject, len(table), relations)
    run = Run(table, period, relations=given, record=True)
    _evaluate(run)
    if run.cycle:
        run = Run(table, period, memo=False, relations=given, record=True)
        _evaluate(run)
    assert run.recorded is not None and run.unclean is not None
    n = len(table)
    out = np.empty((n, len(run.recorded)), np.int8)
    for j, codes in enumerate(run.recorded.values()):
        out[:, j] = codes
    return out, run.unclean, list(run.recorded)


def _evaluate(run: Run) -> ColumnarResult:
    table, period = run.table, run.period
    subject, n = table.subject, len(table)
    # The interpreter's order of evaluation, so that even a (checker-rejected) cycle comes out the same.
    eligibility = [full(run.rule(r), n) for r in subject.not_classified]
    triggers = [full(run.rule(r), n) for r in subject.not_completed]
    level_truths: list[tuple[int, Array]] = []
    levels: dict[str, Array] = {}
    for requirement in subject.levels:
        codes = kleene_all([run.rule(r) for r in requirement.rules])
        levels[requirement.level] = full(codes, n)
        level_truths.append((table.program.levels.rank(requirement.level), levels[requirement.level]))
    caps: dict[str, Array] = {}
    cap_bounds: dict[str, Array] = {}
    cap_parts: list[tuple[Array, Vec, Array | None]] = []
    for cap in subject.caps:
        when = run.truth(cap.when, run.top)
        bound = run.value(cap.at_most, run.top)
        if not isinstance(bound, Ord):
            raise NotImplementedError(f"the bound of cap '{cap.id}' is not a level")
        caps[cap.id] = full(when, n)
        ranks = full(bound.v, n, np.int8).astype(np.int8)
        cap_bounds[cap.id] = ranks if bound.known is None else blend(bound.known, ranks, NO_LEVEL, np.int8)
        cap_parts.append((caps[cap.id], bound.v, bound.known))
    notes = {note.id: full(run.truth(note.when, run.top), n) for note in subject.notes}
    for name in subject.rules:
        run.rule(name)
    rules = {name: full(run.rules[name], n) for name in subject.rules}

    e = _any(eligibility, n)
    k = _any(triggers, n)
    status, decision, level, before, possible = _outcomes(table.program, e, k, level_truths, cap_parts)
    if subject.gap_to_competent_level:
        # As the interpreter: a row at the lowest level only because it reached no level is left to the competent
        # level, with no level before caps either (its reasons are the failed rules of every level).
        gap = decision == np.int8(_D[Decision.BELOW_LOWEST])
        status[gap] = np.int8(_LEFT)
        decision[gap] = np.int8(_D[Decision.GAP])
        level[gap] = np.int8(NO_LEVEL)
        before[gap] = np.int8(NO_LEVEL)
        possible[gap] = 0
    # Columns may be shared (a rule that is another rule's only condition is the same array): read-only.
    for column in (status, decision, level, before, possible, e, k, *levels.values(), *caps.values()):
        column.flags.writeable = False
    for column in (*cap_bounds.values(), *notes.values(), *rules.values()):
        column.flags.writeable = False
    return ColumnarResult(
        table=table,
        period=period,
        status=status,
        decision=decision,
        level=level,
        level_before_caps=before,
        possible=possible,
        eligibility=e,
        triggers=k,
        levels=levels,
        caps=caps,
        cap_bounds=cap_bounds,
        notes=notes,
        rules=rules,
        relations=run.relations,
    )


def classify_table(
    program: ir.Program, kind: str, evidences: Sequence[Evidence], *, period: ir.Period
) -> ColumnarResult:
    """Classify many subjects of one individual kind at once; row i is ``evidences[i]``."""
    return evaluate_table(EvidenceTable.from_evidence(program, kind, evidences), period)


def _any(columns: list[Array], n: int) -> Array:
    out = np.zeros(n, np.int8)
    for c in columns:
        out = np.maximum(out, c)
    return out


def _outcomes(
    program: ir.Program,
    e: Array,
    k: Array,
    level_truths: list[tuple[int, Array]],
    caps: list[tuple[Array, Vec, Array | None]],
) -> tuple[Array, Array, Array, Array, Array]:
    """The interpreter's outcome stage over all rows: possible outcomes as bit sets, stage by stage.

    Written with few fresh arrays, updated in place (``out=``): at a million rows, new memory (page faults) costs
    more than the arithmetic. Caps are worked out only for the rows where one may apply.
    """
    n = len(e)
    count = len(program.levels.values)
    bits = count + 1
    if bits > 64:
        raise NotImplementedError("more than 63 levels")
    w: Any = np.uint8 if bits <= 8 else np.uint16 if bits <= 16 else np.uint32 if bits <= 32 else np.uint64
    flags = np.empty(n, bool)  # scratch
    small = np.empty(n, np.int8)  # scratch

    def as_bits(mask: Array) -> Array:
        return mask.view(w) if w is np.uint8 else mask.astype(w)

    # The levels considered before caps (``pre_cap``, bit ``rank``) and the last one considered (``pre_cap[-1]``):
    # the level reached, or the lowest when the walk reached none or only a trigger could hold; -1 when empty.
    open_ = e != MET
    pending = k != MET  # walking the levels, none reached yet
    pending &= open_
    lowest_first = k != NOT_MET
    lowest_first &= open_
    pre = lowest_first.astype(w)
    last = np.zeros(n, np.int8)
    for rank, truth in level_truths:
        considered = np.not_equal(truth, NOT_MET, out=flags)
        considered &= pending
        pre |= as_bits(considered) * w(1 << rank)
        reached = truth == MET
        reached &= considered
        last += np.multiply(reached.view(np.int8), np.int8(rank), out=small)
        pending ^= reached  # reached rows stop walking
    pre |= as_bits(pending)
    np.logical_not(open_, out=open_)
    last -= open_.view(np.int8)

    # Every final level each pre-cap level can reach through the caps (``_capped``), as bit sets.
    possible = as_bits(e != NOT_MET) if w is np.uint8 else (e != NOT_MET).astype(w)
    possible *= w(1 << count)
    touched = np.zeros(n, bool)
    for when, _, _ in caps:
        touched |= when != NOT_MET
    rows = np.flatnonzero(touched)
    np.logical_not(touched, out=touched)
    possible |= pre * as_bits(touched)  # no cap can apply: the levels considered are the final ones
    if len(rows):
        possible[rows] |= _capped_sets([(r, t[rows]) for r, t in level_truths], pre[rows], caps, rows, bits, w)

    # Status, levels and decision codes.
    single = np.subtract(possible, w(1))
    single &= possible
    single = single == 0
    not_classified = possible == w(1 << count)
    status = np.logical_not(single).view(np.int8)
    status *= np.int8(_INSUFFICIENT)
    status += np.multiply(not_classified.view(np.int8), np.int8(_NOT_CLASSIFIED), out=small)
    classified = single
    classified ^= not_classified  # "not classified" is one of the single outcomes
    unclassified = np.logical_not(classified, out=flags).view(np.int8)
    level = np.zeros(n, np.int8)
    for rank in range(1, count):
        level += np.multiply((possible == w(1 << rank)).view(np.int8), np.int8(rank), out=small)
    level -= unclassified  # level is 0 wherever the row is not classified
    before = last
    before *= classified.view(np.int8)
    before -= unclassified
    # How each row was decided. A trigger means the lowest level was the last considered, so the trigger term
    # corrects the "below lowest" one.
    decision = (before == 0).view(np.int8)
    decision *= np.int8(_D[Decision.BELOW_LOWEST] - _D[Decision.LEVEL])
    decision += np.int8(_D[Decision.LEVEL] - _D[Decision.UNDETERMINED])
    trigger = np.equal(k, MET, out=flags).view(np.int8)
    decision += np.multiply(trigger, np.int8(_D[Decision.TRIGGER] - _D[Decision.BELOW_LOWEST]), out=small)
    decision *= classified.view(np.int8)
    decision += np.multiply(
        not_classified.view(np.int8), np.int8(_D[Decision.ELIGIBILITY] - _D[Decision.UNDETERMINED]), out=small
    )
    decision += np.int8(_D[Decision.UNDETERMINED])
    return status, decision, level, before, possible


def _capped_sets(
    level_truths: list[tuple[int, Array]],
    pre: Array,
    caps: list[tuple[Array, Vec, Array | None]],
    rows: Array,
    bits: int,
    w: Any,
) -> Array:
    """The final levels possible for the rows where a cap may apply, from the pre-cap levels ``pre``."""
    full_mask = (1 << bits) - 1
    parts = []
    for when, bound, known in caps:
        applies = when[rows] != NOT_MET
        if is_col(bound):
            b = bound[rows].astype(np.int64)
            low: Vec = ((np.int64(1) << (b + 1)) - 1).astype(w)
            high: Vec = low ^ w(full_mask)
            bit: Vec = (np.int64(1) << b).astype(w)
        else:
            low = (1 << (int(bound) + 1)) - 1
            high, bit = full_mask ^ low, 1 << int(bound)
        parts.append(
            (applies, (when[rows] == UNKNOWN).astype(w), low, high, bit, None if known is None else known[rows])
        )
    m = len(rows)
    out: Array = pre & w(1)  # the lowest level is never capped
    for rank, _ in level_truths:
        has = (pre & w(1 << rank)) != 0
        if not has.any():
            continue
        res: Array = np.full(m, 1 << rank, w)
        for applies, unknown, low, high, bit, known in parts:
            lowered = (res & low) | (((res & high) != 0).astype(w) * bit)
            update = unknown * res
            update |= lowered
            if known is not None:
                update = blend(known, update, _fill_down(res, bits), w)
            res = blend(applies, update, res, w)
        out |= has.astype(w) * res
    return out


def _fill_down(x: Array, bits: int) -> Array:
    """Every bit at or below the highest set bit (``range(0, max(results) + 1)``)."""
    out = x.copy()
    shift = 1
    while shift < bits:
        out |= out >> shift
        shift *= 2
    return out
