"""Populations at national scale: typed columns per subject kind → levels, quotas and summary, column-wise.

Input: a ``BulkInput`` (units, one ``KindColumns`` per subject kind, committee decisions, rows already rejected
while reading), a program and the period. Output: a ``BulkResult`` whose levels, rejections, quota groups, result
rows and summary rows are identical to ``population.evaluate_population``'s on the same population; a subject's
full ``Result`` (trace, quota decisions included) is rebuilt on demand. Needs numpy (the ``columnar`` extra).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from xeploai.evaluation import report
from xeploai.evaluation.population import (
    CommitteeDecision,
    PopulationInput,
    PopulationResult,
    QuotaGroup,
    Rejection,
    RelatedSubject,
    Stratum,
    SubjectRow,
    Unit,
    allowance,
    field_group,
    quota_group,
    rank_part,
    rejected_by_unit,
    rejected_rows,
    relation_records,
    row_problem,
    strata,
    subject_result,
    unit_group,
    usable_rows,
    with_quota,
)
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.runners.columnar import (
    DECISIONS,
    LIMIT,
    MET,
    NOT_MET,
    STATUSES,
    UNKNOWN,
    AnyColumn,
    Column,
    ColumnarResult,
    EvidenceTable,
    RecordsColumn,
    condition_codes,
    evaluate_table,
    ranges,
    subexpressions,
)
from xeploai.evaluation.trace import Decision, Outcome, Result, Status
from xeploai.program import ir

Array = Any  # numpy arrays; numpy is imported by the columnar runner

Progress = Callable[[int, int], None]

_CLASSIFIED, _NOT_CLASSIFIED, _INSUFFICIENT = (STATUSES.index(s) for s in Status)
_D = {d: i for i, d in enumerate(DECISIONS)}
# Below this many rows, sorting and grouping in Python is as fast as numpy and needs no string arrays.
_SMALL = 50_000
# Rows of the results table made at a time: big enough for numpy to pay, small enough to hold.
_BLOCK = 1 << 16


@dataclass(frozen=True, eq=False)
class KindColumns:
    """The subjects of one kind as columns, rows aligned: who they are, where they sit, their typed evidence.

    ``ids``, ``units`` and ``names`` are object arrays of ``str`` (``names`` may hold ``None``); ``rows`` holds the
    source row number of each subject (as ``Rejection.row`` and ``Result.extras["row"]`` report it). The evidence
    in ``table`` is valid for its declaration (ranges, ``at_most``, choices): rows that were not are rejected by
    the reader and appear in ``BulkInput.rejections`` instead. Identity problems (a duplicate id, an unknown unit)
    are the runner's to find, so that every source of columns is judged alike.

    Optional: ``order`` is each row's position among all subject rows of the input (which of two rows with one id
    comes first, and the order in which a collective's relation lists its related subjects); by default the
    order of ``rows``. ``sources`` names each row's source when the rows of one kind come from several.
    """

    kind: str
    ids: Array
    units: Array
    names: Array | None
    rows: Array
    table: EvidenceTable
    source: str
    order: Array | None = None
    sources: Array | None = None

    def source_of(self, i: int) -> str:
        return self.source if self.sources is None else str(self.sources[i])


@dataclass(frozen=True)
class BulkInput:
    """A population as columns: the counterpart of ``population.PopulationInput``."""

    units: tuple[Unit, ...]
    kinds: Mapping[str, KindColumns]
    decisions: tuple[CommitteeDecision, ...] = ()
    rejections: tuple[Rejection, ...] = ()  # rows already rejected while reading
    rows_read: int = 0  # subject rows in the input, rejected ones included


# --- the result ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KindOutcome:
    """One kind's subjects after classification and quotas, row for row with its ``KindColumns``.

    Codes as the columnar runner's: ``status`` indexes ``STATUSES``, ``decision`` indexes ``DECISIONS`` (``QUOTA``
    where a quota lowered the level), ``level`` is the final level's rank (0 the lowest, -1 when not classified).
    ``flags`` has bit ``q`` set when the q-th quota applied (``BulkResult.quotas``) left the subject to the
    committee. Only ``accepted`` rows count: the others were rejected (see ``BulkResult.rejections``).
    """

    columns: KindColumns
    accepted: Array
    evaluated: ColumnarResult | None  # before quotas; None for a kind the program does not declare
    status: Array
    level: Array
    decision: Array
    flags: Array
    unit_codes: Array  # index into the units (-1 when the unit is unknown)
    order: Array

    @property
    def kind(self) -> str:
        return self.columns.kind

    def __len__(self) -> int:
        return len(self.columns.ids)


@dataclass(frozen=True, eq=False)
class _QuotaRun:
    """One quota as applied: its candidates (kind, row), their group (an index into ``quota_groups``), their rank
    in the group, and whether they were demoted; sorted by group, then rank."""

    quota: ir.Quota
    bit: int
    kinds: tuple[str, ...]
    kind: Array
    row: Array
    group: Array
    rank: Array
    demoted: Array

    def checks(self, kind: str, row: int) -> list[tuple[int, int]]:
        """The (group, rank) of a subject, when it was a candidate."""
        if kind not in self.kinds:
            return []
        hits = np.flatnonzero((self.row == row) & (self.kind == self.kinds.index(kind)))
        return [(int(self.group[h]), int(self.rank[h])) for h in hits]


class _Units:
    """The units table as the population runner reads it: by id (the last row of an id wins), in first-seen order."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self.by_id = {u.id: u for u in units}
        self.ids = list(self.by_id)
        self.code = {u: i for i, u in enumerate(self.ids)}
        parents = (self.by_id[u].parent for u in self.ids)
        self.parent = np.fromiter((self.code.get(p, -1) if p is not None else -1 for p in parents), np.int64)
        self.children: dict[str, list[str]] = {}
        for u in self.by_id.values():
            if u.parent is not None:
                self.children.setdefault(u.parent, []).append(u.id)
        self.groups: dict[tuple[str, ...], Array] = {}

    def groups_of(self, quota: ir.Quota) -> Array:
        """Each unit's quota group as a unit code: ``population.unit_group`` for every unit at once (the nearest
        unit of the quota's kinds at or above it, else the top of its chain of parents)."""
        found = self.groups.get(quota.group_unit_kinds)
        if found is not None:
            return found
        units = [self.by_id[u] for u in self.ids]
        stop = np.fromiter((u.kind in quota.group_unit_kinds for u in units), bool, len(units))
        # Parents as ``unit_group`` follows them: a parent id that is empty, or not in the table, ends the chain.
        up = np.fromiter((self.code.get(u.parent, -1) if u.parent else -1 for u in units), np.int64, len(units))
        group = np.arange(len(units), dtype=np.int64)
        # One level up per round: a handful of rounds for a real tree. A chain longer than the table is a cycle of
        # parents (the table readers reject them), refused as ``population.unit_group`` refuses it.
        for _ in range(len(units) + 1):
            moving = ~stop[group] & (up[group] >= 0)
            if not moving.any():
                break
            group[moving] = up[group[moving]]
        else:
            start = units[int(np.flatnonzero(~stop[group] & (up[group] >= 0))[0])]
            unit_group(self.by_id, start.id, quota)  # raises ValueError naming the cycle
            raise ValueError("units form a cycle of parents")
        self.groups[quota.group_unit_kinds] = group
        return group

    def codes(self, unit_ids: Array) -> Array:
        return np.fromiter(map(self.code.get, unit_ids, itertools.repeat(-1)), np.int64, len(unit_ids))


@dataclass(frozen=True, eq=False)
class BulkResult:
    """A population classified column-wise: per kind, status and level columns; quota groups and rejections as
    ``population.evaluate_population`` gives them; any subject's ``Result`` rebuilt on demand."""

    program: ir.Program
    period: ir.Period
    kinds: Mapping[str, KindOutcome]
    rejections: tuple[Rejection, ...]
    strata: tuple[Stratum, ...]
    quota_groups: tuple[QuotaGroup, ...]
    rows_read: int
    units: tuple[Unit, ...]
    quotas: tuple[_QuotaRun, ...]
    unit_index: _Units
    cache: dict[str, Any] = field(default_factory=dict)

    # --- counts ------------------------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of subjects with a result (input rows that were not rejected)."""
        return sum(int(k.accepted.sum()) for k in self.kinds.values())

    def reconciles(self) -> bool:
        """Input rows = classified + not classified + insufficient + rejected."""
        return self.size + rejected_rows(self.rejections) == self.rows_read

    def counts(self) -> dict[str, int]:
        """Closing counts for the batch command, as ``report.counts_text`` gives them for a population."""
        out = {"classified": 0, "not_classified": 0, "insufficient_evidence": 0}
        for outcome in self.kinds.values():
            found = np.bincount(outcome.status[outcome.accepted], minlength=3)
            for code, status in enumerate(STATUSES):
                key = "classified" if status is Status.CLASSIFIED else status.value
                out[key] += int(found[code])
        out["rejected"] = rejected_rows(self.rejections)
        out["rows_read"] = self.rows_read
        return out

    # --- one subject -------------------------------------------------------------------------------------------

    def result(self, subject_id: str) -> Result:
        """The subject's ``Result``, equal to the one ``population.evaluate_population`` gives."""
        for kind, outcome in self.kinds.items():
            hits = np.flatnonzero((outcome.columns.ids == subject_id) & outcome.accepted)
            if len(hits):
                return self.result_at(kind, int(hits[0]))
        raise KeyError(subject_id)

    def result_at(self, kind: str, i: int, *, lean: bool = False) -> Result:
        """Row i of a kind as a ``Result``: its trace rebuilt by the interpreter, then the quotas' checks.

        With ``lean``, a related subject's record holds only the fields the kind's conditions read: the trace is
        the same (no other record field can appear in it), and it is built faster.
        """
        program, outcome = self.program, self.kinds[kind]
        columns = outcome.columns
        evidence = columns.table.evidence(i)
        values, origins = dict(evidence.values), dict(evidence.origins)
        for relation in program.subjects[kind].relations:
            values[relation.id] = self._related(kind, i, relation, lean)
            origins[relation.id] = "relation"
        trace = interpreter.evaluate(program, kind, values, origins, self.period)
        name = None if columns.names is None else columns.names[i]
        result = subject_result(
            program,
            self.period,
            trace,
            str(columns.ids[i]),
            kind,
            name,
            str(columns.units[i]),
            _py(columns.rows[i]),
            columns.source_of(i),
        )
        for run in self.quotas:
            for group, rank in run.checks(kind, i):
                result = with_quota(program, result, run.quota, self.quota_groups[group], rank, self._names(run, group))
        return result

    def results(self, *, by_unit: bool = False) -> Iterator[Result]:
        """Every subject's ``Result`` (slow: one trace per subject), in input order, or by unit and id as the
        results table lists them."""
        for kind, i in self._by_unit_and_id() if by_unit else self._in_order():
            yield self.result_at(kind, i)

    def to_population(self) -> PopulationResult:
        """The same population as ``evaluate_population`` gives it, every trace rebuilt (slow: for small inputs,
        or for the reports that need every trace)."""
        return PopulationResult(
            program=self.program,
            period=self.period,
            results=tuple(self.results()),
            rejections=self.rejections,
            strata=self.strata,
            quota_groups=self.quota_groups,
            rows_read=self.rows_read,
            units=self.units,
        )

    def _in_order(self) -> Iterator[tuple[str, int]]:
        names, kinds, rows, _, _ = self._accepted()
        for k, row in zip(kinds.tolist(), rows.tolist(), strict=True):
            yield names[k], row

    def _accepted(self) -> tuple[list[str], Array, Array, Array, Array]:
        """Every accepted row in input order: kind names, and per row its kind (an index into them), its row and
        its unit code; then where each unit's rows start among them when sorted by unit (``_by_unit``)."""
        found = self.cache.get("accepted")
        if found is None:
            names = list(self.kinds)
            parts = [(j, np.flatnonzero(o.accepted)) for j, o in enumerate(self.kinds.values())]
            empty = np.zeros(0, np.int64)
            kinds = np.concatenate([np.full(len(r), j, np.int64) for j, r in parts] or [empty])
            rows = np.concatenate([r for _, r in parts] or [empty]).astype(np.int64)
            order = np.concatenate([self.kinds[names[j]].order[r] for j, r in parts] or [empty])
            unit = np.concatenate([self.kinds[names[j]].unit_codes[r] for j, r in parts] or [empty])
            sequence = np.argsort(order, kind="stable")
            kinds, rows, unit = kinds[sequence], rows[sequence], unit[sequence]
            by_unit = np.argsort(unit, kind="stable")  # input order within each unit
            starts = np.zeros(len(self.unit_index.ids) + 1, np.int64)
            np.cumsum(np.bincount(unit, minlength=len(self.unit_index.ids)), out=starts[1:])
            found = self.cache["accepted"] = (names, kinds, rows, by_unit, starts)
        return found

    def _names(self, run: _QuotaRun, group: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for h in np.flatnonzero(run.group == group):
            columns = self.kinds[run.kinds[int(run.kind[h])]].columns
            row = int(run.row[h])
            subject_id = str(columns.ids[row])
            name = None if columns.names is None else columns.names[row]
            out[subject_id] = name or subject_id
        return out

    def _related(self, kind: str, i: int, relation: ir.Relation, lean: bool = False) -> tuple[ir.Record, ...]:
        """A collective's related records exactly as the population runner builds them (same order, same index);
        with ``lean``, holding only the record fields the kind's conditions read."""
        units, columns = self.unit_index, self.kinds[kind].columns
        unit_id = str(columns.units[i])
        unit_ids = [unit_id] if relation.source is ir.RelationSource.UNIT else units.children.get(unit_id, [])
        rejected = self._rejected_by_unit()
        names, kinds, rows, by_unit, starts = self._accepted()
        levels = self.program.levels.values
        read = None
        if lean:
            read = self.cache.get(f"read:{kind}:{relation.id}")
            if read is None:
                read = self.cache[f"read:{kind}:{relation.id}"] = _record_fields_read(
                    self.program.subjects[kind], relation
                )

        def related() -> Iterator[RelatedSubject | Rejection]:
            for u in unit_ids:
                code = units.code.get(u)
                picked = by_unit[starts[code] : starts[code + 1]] if code is not None else by_unit[:0]
                kinds_here = [names[k] for k in kinds[picked].tolist()]
                for other_kind, row in zip(kinds_here, rows[picked].tolist(), strict=True):
                    if other_kind not in relation.kinds or (other_kind == kind and row == i):
                        continue
                    other = self.kinds[other_kind]
                    if other.status[row] == _NOT_CLASSIFIED:
                        continue
                    rank = int(other.level[row])
                    level = levels[len(levels) - 1 - rank].id if rank >= 0 else None
                    c = other.columns
                    name = None if c.names is None else c.names[row]
                    if read is None:
                        values = c.table.evidence(row).values
                    else:
                        found = {f: c.table.value(f, row) for f in read}
                        values = {f: v for f, v in found.items() if v is not None}
                    yield RelatedSubject(str(c.ids[row]), other_kind, name, level, values)
                yield from rejected.get(u, [])

        return relation_records(self.program, relation, str(columns.ids[i]), related())

    def _rejected_by_unit(self) -> dict[str, list[Rejection]]:
        found = self.cache.get("rejected_by_unit")
        if found is None:
            found = self.cache["rejected_by_unit"] = rejected_by_unit(self.rejections)
        return found

    # --- tables --------------------------------------------------------------------------------------------------

    # Columns of the results table whose cells have few distinct values (a kind, a unit, a status, a level, a reason
    # per signature, a set of pending quotas): a writer can treat each distinct value once.
    REPEATED_RESULT_COLUMNS: ClassVar[frozenset[str]] = frozenset(
        {"kind", "unit_name", "status", "level", "level_label", "reason", "flags"}
    )

    def result_rows(
        self, lang: str = "vi", progress: Progress | None = None, reasons_progress: Progress | None = None
    ) -> Iterator[dict[str, object]]:
        """The rows of the results table, identical to ``report.result_rows`` of the same population: the rows of
        ``result_blocks``, each a dict keyed by ``report.RESULT_COLUMNS``."""
        keys = [key for key, _ in report.RESULT_COLUMNS]
        for block in self.result_blocks(lang, progress, reasons_progress):
            for values in zip(*block, strict=True):
                yield dict(zip(keys, values, strict=True))

    def result_blocks(
        self, lang: str = "vi", progress: Progress | None = None, reasons_progress: Progress | None = None
    ) -> Iterator[list[list[object]]]:
        """The results table a block of rows at a time, as columns: per block, one list of cells per column of
        ``report.RESULT_COLUMNS`` (in its order, all of one length), so that a writer never builds a row as a dict.

        The one-line reasons are worked out first (``reasons_progress(done, total)`` counts their signatures). Each
        column of a block is then gathered from the kinds' columns with lookup tables (unit names by unit code, level
        codes and labels by rank, statuses, quota flags by bit set), and ``progress(done, total)`` is called after
        each block has been consumed.
        """
        program = self.program
        reasons = self._all_reasons(lang, reasons_progress)
        names, kinds, rows = self._sorted_by_unit_and_id()
        level_ids = [v.id for v in reversed(program.levels.values)]  # by rank; rank -1 (none) is the last entry
        level_codes = _objects([*(program.level_code(v) for v in level_ids), ""])
        level_labels = _objects([*(program.level_label(v).get(lang) for v in level_ids), ""])
        statuses = _objects([s.value for s in STATUSES])
        unit_names = _objects([*(self.unit_index.by_id[u].name for u in self.unit_index.ids), ""])
        flags_text: dict[int, str] = {}
        keys = [key for key, _ in report.RESULT_COLUMNS]
        total = len(rows)
        for start in range(0, total, _BLOCK):
            block_kinds, block_rows = kinds[start : start + _BLOCK], rows[start : start + _BLOCK]
            m = len(block_rows)
            cells = {key: np.empty(m, object) for key in keys}
            for j, kind in enumerate(names):
                at = np.flatnonzero(block_kinds == j)
                if not len(at):
                    continue
                outcome = self.kinds[kind]
                columns = outcome.columns
                picked = block_rows[at]
                cells["id"][at] = columns.ids[picked]
                if columns.names is None:
                    cells["name"][at] = ""
                else:
                    found = columns.names[picked]
                    cells["name"][at] = np.where(found.astype(bool), found, "")  # name or "": None is no name
                cells["kind"][at] = kind
                cells["unit"][at] = columns.units[picked]
                cells["unit_name"][at] = unit_names[outcome.unit_codes[picked]]
                cells["status"][at] = statuses[outcome.status[picked]]
                cells["level"][at] = level_codes[outcome.level[picked]]
                cells["level_label"][at] = level_labels[outcome.level[picked]]
                cells["reason"][at] = reasons[kind][picked]
                bits, inverse = np.unique(outcome.flags[picked], return_inverse=True)
                texts = []
                for b in bits.tolist():
                    text = flags_text.get(b)
                    if text is None:
                        text = flags_text[b] = " ".join(run.quota.id for run in self.quotas if b >> run.bit & 1)
                    texts.append(text)
                cells["flags"][at] = _objects(texts)[inverse.ravel()]
            listed: list[list[object]] = [cells[key].tolist() for key in keys]
            listed[0] = list(map(str, listed[0]))  # id
            listed[3] = list(map(str, listed[3]))  # unit
            yield listed
            if progress is not None:
                progress(start + m, total)

    def summary_rows(self, individual_kinds: Sequence[str] | None = None) -> list[dict[str, object]]:
        """The per-unit summary, identical to ``report.summary_rows`` of the same population."""
        program = self.program
        kinds = set(individual_kinds or [k for k, s in program.subjects.items() if not s.relations])
        units = self.unit_index
        count = len(program.levels.values)
        width = count + 2  # a column per level rank, then not classified, then insufficient evidence
        table = np.zeros((len(units.ids), width), np.int64)
        own: dict[str, list[tuple[str, str, str]]] = {}
        level_ids = [v.id for v in reversed(program.levels.values)]
        for kind, outcome in self.kinds.items():
            rows = np.flatnonzero(outcome.accepted)
            if kind in kinds:
                category = np.where(outcome.status[rows] == _CLASSIFIED, outcome.level[rows], count)
                category = np.where(outcome.status[rows] == _INSUFFICIENT, count + 1, category)
                flat = outcome.unit_codes[rows] * width + category
                table += np.bincount(flat, minlength=table.size).reshape(table.shape)
                continue
            columns = outcome.columns
            shown_by_rank = [program.level_code(level_id) for level_id in level_ids]
            facts = zip(
                columns.units[rows].tolist(),
                columns.ids[rows].tolist(),
                outcome.level[rows].tolist(),
                outcome.status[rows].tolist(),
                strict=True,
            )
            for unit, subject_id, rank, status in facts:
                shown = shown_by_rank[rank] if rank >= 0 else STATUSES[status].value
                own.setdefault(str(unit), []).append((kind, str(subject_id), shown))
        direct = {}
        present = np.flatnonzero(table.any(axis=1))
        for code, row in zip(present.tolist(), table[present].tolist(), strict=True):
            by_level = dict(zip(level_ids, row[:count], strict=True))
            direct[units.ids[code]] = report.UnitCounts(by_level, row[count], row[count + 1], 0)
        return report.summary_table(program, self.units, direct, own, self.rejections, self.quota_groups)

    def _by_unit_and_id(self) -> list[tuple[str, int]]:
        """Every accepted row sorted by (unit, id), as the results table lists them."""
        names, kinds, rows = self._sorted_by_unit_and_id()
        return [(names[k], r) for k, r in zip(kinds.tolist(), rows.tolist(), strict=True)]

    def _sorted_by_unit_and_id(self) -> tuple[list[str], Array, Array]:
        """Every accepted row sorted by (unit, id): the kind names, then per row its kind (an index into them)
        and its row."""
        parts = [(kind, np.flatnonzero(o.accepted)) for kind, o in self.kinds.items()]
        kind_names = [kind for kind, _ in parts]
        empty = np.zeros(0, np.int64)
        kinds = np.concatenate([np.full(len(rows), j, np.int64) for j, (_, rows) in enumerate(parts)] or [empty])
        rows = np.concatenate([rows for _, rows in parts] or [empty]).astype(np.int64)
        units = np.concatenate([self.kinds[k].columns.units[r] for k, r in parts] or [np.zeros(0, object)])
        ids = np.concatenate([self.kinds[k].columns.ids[r] for k, r in parts] or [np.zeros(0, object)])
        n = len(rows)
        if n < _SMALL or not _plain_strings(ids) or not _plain_strings(units):
            order: Array = np.array(sorted(range(n), key=lambda j: (str(units[j]), str(ids[j]))), np.int64)
        else:
            order = np.lexsort((ids.astype(str), units.astype(str)))
        return kind_names, kinds[order], rows[order]

    # --- one-line reasons, once per signature ----------------------------------------------------------------------

    def _all_reasons(self, lang: str, progress: Progress | None = None) -> dict[str, Array]:
        """Every kind's one-line reasons; ``progress(done, total)`` counts the signatures worked out."""
        total = sum(len(self._signatures(kind)[1]) for kind in self.kinds) if progress is not None else 0
        out: dict[str, Array] = {}
        done = 0
        for kind in self.kinds:
            step = None if progress is None else (lambda j, base=done: progress(base + j, total))
            out[kind] = self._reasons(kind, lang, step)
            done += len(self._signatures(kind)[1])
        if progress is not None:
            progress(total, total)
        return out

    def _reasons(self, kind: str, lang: str, progress: Callable[[int], None] | None = None) -> Array:
        """Row i's one-line reason (``report.one_line_reason``) for every accepted row of a kind.

        A reason is a function of a row's signature (see ``_signatures``): it is computed once per signature, from
        one row's rebuilt result; rows whose reason could name a record or a related subject are rebuilt one by one.
        ``progress(j)`` is told how many signatures are done, every hundred.
        """
        key = f"reasons:{kind}:{lang}"
        found = self.cache.get(key)
        if found is not None:
            return found
        signature, representatives = self._signatures(kind)
        outcome = self.kinds[kind]
        direct = outcome.evaluated is not None and _static_labels(self.program, kind)
        texts = []
        for j, row in enumerate(representatives, start=1):
            if direct and outcome.status[row] != _INSUFFICIENT:
                texts.append(self._decided_reason(kind, row, lang))
            else:
                result = self._representative(kind, row)
                texts.append(report.one_line_reason(result, self.program, lang))
            if progress is not None and j % 100 == 0:
                progress(j)
        out = np.empty(len(signature), object)
        accepted = signature >= 0
        out[accepted] = np.array(texts, object)[signature[accepted]] if texts else None
        self.cache[key] = out
        return out

    def _decided_reason(self, kind: str, row: int, lang: str) -> str:
        """A classified or not-classified row's one-line reason from its truth columns: the reasons the
        interpreter gives such an outcome (``interpreter._decided``), labelled as the trace labels them."""
        program, outcome = self.program, self.kinds[kind]
        evaluated = outcome.evaluated
        assert evaluated is not None
        subject = program.subjects[kind]
        rules = evaluated.rules
        levels = program.levels
        ids = [v.id for v in reversed(levels.values)]  # by rank
        decision = DECISIONS[int(outcome.decision[row])]
        rank, before = int(outcome.level[row]), int(evaluated.level_before_caps[row])
        reasons: list[str] = []
        lowered = None
        match decision:
            case Decision.ELIGIBILITY:
                reasons = [r for r in subject.not_classified if rules[r][row] == MET]
            case Decision.TRIGGER:
                reasons = [r for r in subject.not_completed if rules[r][row] == MET]
            case Decision.LEVEL | Decision.BELOW_LOWEST:
                for requirement in subject.levels:
                    if levels.rank(requirement.level) <= before:
                        break
                    reasons += [r for r in requirement.rules if rules[r][row] == NOT_MET and r not in reasons]
                for cap in subject.caps:
                    bound = int(evaluated.cap_bounds[cap.id][row])
                    if evaluated.caps[cap.id][row] == MET and 0 <= bound < before and before > 0:
                        reasons.append(cap.id)
            case Decision.QUOTA:
                for run in self.quotas:
                    hits = [
                        h for h in np.flatnonzero(run.demoted & (run.row == row)) if run.kinds[int(run.kind[h])] == kind
                    ]
                    if hits:
                        h = hits[0]
                        quota = run.quota
                        allowed = self.quota_groups[int(run.group[h])].allowed
                        lowered = report.QuotaLowering(quota.label.get(lang), quota.level, int(run.rank[h]), allowed)
                        break
            case Decision.UNDETERMINED:
                raise AssertionError("an undetermined row has no decided reason")
        result = Outcome(
            STATUSES[int(outcome.status[row])],
            decision,
            level=ids[rank] if rank >= 0 else None,
            level_before_caps=ids[before] if before >= 0 else None,
            reasons=tuple(reasons),
        )
        labels = {r.id: r.label for r in subject.rules.values()} | {c.id: c.label for c in subject.caps}
        return report.reason_text(program, kind, result, lambda r: labels[r].get(lang), lowered, lang)

    def _representative(self, kind: str, row: int) -> Result:
        key = f"representative:{kind}:{row}"
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self.result_at(kind, row, lean=True)
        return found

    def _signatures(self, kind: str) -> tuple[Array, list[int]]:
        """Per row, the index of its signature (-1 for rejected rows), and one row of each signature.

        Decided rows (classified or not classified): the status, decision, final level, level before caps, and the
        truth bits the outcome's reasons are made of — the not-classified rules that held (for that decision), the
        triggers that held, the failed rules of the levels above the level before caps and the caps that lowered
        it, or the quota that lowered the level with the rank and the allowance. Rows with insufficient evidence:
        the truth code of every condition (``columnar.condition_codes``), which fields are known and which records
        fields hold records; a row where a condition over its records was unknown is its own signature, since
        its reason names the record or the related subject.
        """
        key = f"signatures:{kind}"
        found = self.cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        outcome = self.kinds[kind]
        n = len(outcome)
        signature = np.full(n, -1, np.int64)
        representatives: list[int] = []
        rows = np.flatnonzero(outcome.accepted)
        if outcome.evaluated is None or not len(rows):
            self.cache[key] = (signature, representatives)
            return signature, representatives
        undetermined = outcome.status[rows] == _INSUFFICIENT
        alone: list[int] = []
        groups: list[tuple[Array, Array]] = []
        if not _static_labels(self.program, kind):
            alone.extend(rows.tolist())
        else:
            decided = rows[~undetermined]
            groups.append((decided, self._decided_keys(outcome, decided)))
            pending = rows[undetermined]
            if len(pending):
                keys, unclean = self._undetermined_keys(outcome, pending)
                alone.extend(pending[unclean].tolist())
                groups.append((pending[~unclean], keys[~unclean]))
        for subset, keys in groups:
            if not len(subset):
                continue
            first, inverse = _unique_rows(keys)
            signature[subset] = inverse + len(representatives)
            representatives.extend(subset[first].tolist())
        for row in alone:
            signature[row] = len(representatives)
            representatives.append(row)
        self.cache[key] = (signature, representatives)
        return signature, representatives

    def _decided_keys(self, outcome: KindOutcome, rows: Array) -> Array:
        evaluated = outcome.evaluated
        assert evaluated is not None
        program, subject = self.program, self.program.subjects[outcome.kind]
        m = len(rows)
        decision = outcome.decision[rows].astype(np.int64)
        before = evaluated.level_before_caps[rows].astype(np.int64)
        columns: list[Array] = [outcome.status[rows], decision, outcome.level[rows] + 1, before + 1]
        by_rules = (decision == _D[Decision.LEVEL]) | (decision == _D[Decision.BELOW_LOWEST])

        def bits(names: Iterable[str], wanted: int, when: Array) -> None:
            for name in names:
                columns.append((evaluated.rules[name][rows] == wanted) & when)

        bits(subject.not_classified, MET, decision == _D[Decision.ELIGIBILITY])
        bits(subject.not_completed, MET, decision == _D[Decision.TRIGGER])
        # A level's failed rules count when the level is above the level before caps.
        for requirement in subject.levels:
            above = by_rules & (before < program.levels.rank(requirement.level))
            bits(dict.fromkeys(requirement.rules), NOT_MET, above)
        for cap in subject.caps:
            bound = evaluated.cap_bounds[cap.id][rows]
            applied = (evaluated.caps[cap.id][rows] == MET) & (bound >= 0) & (before > 0) & (bound < before)
            columns.append(applied & by_rules)
        # The quota that lowered the level first, with the rank and the allowance its reason quotes.
        first = np.zeros(m, np.int64)
        rank = np.zeros(m, np.int64)
        allowed = np.zeros(m, np.int64)
        position = np.full(len(outcome), -1, np.int64)
        position[rows] = np.arange(m)
        for number, run in enumerate(self.quotas, start=1):
            if outcome.kind not in run.kinds:
                continue
            mine = run.demoted & (run.kind == run.kinds.index(outcome.kind))
            for h in np.flatnonzero(mine):
                j = int(position[int(run.row[h])])
                if j >= 0 and not first[j]:
                    first[j], rank[j] = number, int(run.rank[h])
                    allowed[j] = self.quota_groups[int(run.group[h])].allowed
        columns += [first, rank, allowed]
        return _key_matrix(columns, m)

    def _undetermined_keys(self, outcome: KindOutcome, rows: Array) -> tuple[Array, Array]:
        """What an undetermined row's missing fields and unknown rules depend on (``interpreter._missing_fields``
        walks the unknown nodes the outcome consulted, and the rules they reach through unknown nodes): the codes
        of the eligibility, the triggers and every level, which rules and caps are unknown, which cap bounds are,
        which nodes on the way to a rule reference are, which fields are known and which records fields hold
        records. Rows where a record-level condition was unknown are flagged: their reasons name the record."""
        evaluated = outcome.evaluated
        assert evaluated is not None
        subject = self.program.subjects[outcome.kind]
        table = outcome.columns.table.take(rows)
        relations = {relation.id: self._relation(outcome, relation, rows) for relation in subject.relations}
        codes, unclean, nodes = condition_codes(table, self.period, relations)
        on_paths = _paths_to_rules(subject)
        columns: list[Array] = [evaluated.eligibility[rows], evaluated.triggers[rows]]
        columns += [evaluated.levels[r.level][rows] for r in subject.levels]
        columns += [evaluated.rules[name][rows] == UNKNOWN for name in subject.rules]
        for cap in subject.caps:
            columns += [evaluated.caps[cap.id][rows], evaluated.cap_bounds[cap.id][rows] >= 0]
        columns += [codes[:, j] == UNKNOWN for j, node in enumerate(nodes) if node in on_paths]
        for col in [*table.columns.values(), *relations.values()]:
            columns.append(col.known)
            if isinstance(col, RecordsColumn):
                columns.append(np.diff(col.offsets) > 0)
        return _key_matrix(columns, len(rows)), unclean

    def _relation(self, outcome: KindOutcome, relation: ir.Relation, rows: Array) -> RecordsColumn:
        holders = outcome.unit_codes[rows]
        return _relation_column(
            self.program,
            relation,
            holders,
            outcome.columns.ids[rows],
            self.kinds,
            self.unit_index,
            self._rejected_by_unit(),
        )


def _repeats(arrays: Sequence[Array]) -> bool:
    """Whether a string occurs twice among the arrays (object arrays of ``str``).

    A vectorised hash of each string finds the candidates; Python compares only those, so the answer is exact.
    """
    total = sum(len(a) for a in arrays)
    if total < _SMALL:
        seen: set[object] = set()
        for a in arrays:
            seen.update(a.tolist())
        return len(seen) < total
    try:
        fixed = [np.asarray(a.astype(str)) for a in arrays]
    except (TypeError, ValueError, UnicodeError):
        fixed = []
    width = max((f.dtype.itemsize // 4 for f in fixed), default=0)
    if not fixed or width > 64:
        seen = set()
        for a in arrays:
            seen.update(a)
        return len(seen) < total
    hashes = np.concatenate([_fnv(f, width) for f in fixed])
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return False
    candidates = np.flatnonzero(np.isin(hashes, repeated))
    strings = np.concatenate(list(arrays))[candidates].tolist()
    return len(set(strings)) < len(strings)


def _fnv(strings: Array, width: int) -> Array:
    """A 64-bit FNV-1a hash of each fixed-width string (code points, NUL-padded to ``width``)."""
    n = len(strings)
    points = np.zeros((n, width), np.uint32)
    if n and strings.dtype.itemsize:
        here = strings.dtype.itemsize // 4
        points[:, :here] = strings.view(np.uint32).reshape(n, here)
    h = np.full(n, 0xCBF29CE484222325, np.uint64)
    prime = np.uint64(0x100000001B3)
    for j in range(width):
        h ^= points[:, j].astype(np.uint64)
        h *= prime
    return h


def _py(value: object) -> Any:
    """A numpy scalar as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value


def _plain_strings(values: Array) -> bool:
    """Whether numpy's fixed-width strings order these as Python does (they drop trailing NUL characters)."""
    return all(isinstance(v, str) and not v.endswith("\0") for v in values)


def _key_matrix(columns: Sequence[Array], m: int) -> Array:
    """Columns of small integers as one key per subject, equal for two subjects exactly when every column is: one
    number in mixed radix (each column's values counted from its least) when all the columns' ranges multiplied fit
    in 64 bits, else one byte row per subject (int64 columns take 8 bytes)."""
    packed = np.zeros(m, np.uint64)
    capacity = 1
    for col in columns if m else ():
        col = np.asarray(col)
        low = int(col.min()) if col.dtype != bool else 0
        size = (int(col.max()) if col.dtype != bool else 1) - low + 1
        capacity *= size
        if capacity >= 2**64:
            break
        packed = packed * np.uint64(size) + (col.astype(np.int64) - low).astype(np.uint64)
    else:
        return packed
    parts = []
    for col in columns:
        col = np.asarray(col)
        if col.dtype == bool or (col.dtype.kind in "iu" and col.dtype.itemsize == 1):
            parts.append(col.astype(np.uint8).reshape(m, 1))
        else:
            parts.append(np.ascontiguousarray(col.astype(np.int64)).view(np.uint8).reshape(m, 8))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _unique_rows(keys: Array) -> tuple[Array, Array]:
    """The first row of each distinct key (a number, or a row of bytes), and each row's index among the distinct
    keys."""
    flat = keys if keys.ndim == 1 else keys.view(np.dtype((np.void, keys.shape[1]))).ravel()
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _record_fields_read(subject: ir.SubjectProgram, relation: ir.Relation) -> set[str]:
    """The record fields of a relation that a kind's conditions may read (every record field named under a
    ``count``, ``exists`` or ``share`` of the relation), with the level ``level_of`` reads."""
    found = {"level"}

    def names(expr: ir.Expr) -> Iterator[str]:
        if isinstance(expr, ir.RecordFieldRef):
            yield expr.name
        for child in subexpressions(expr):
            yield from names(child)

    def visit(expr: ir.Expr) -> None:
        match expr:
            case (
                ir.Count(source=source, where=where)
                | ir.Exists(source=source, where=where)
                | ir.Share(source=source, where=where)
            ) if source.name == relation.id and where is not None:
                found.update(names(where))
            case _:
                pass
        for child in subexpressions(expr):
            visit(child)

    for expr in subject.expressions():
        visit(expr)
    return found


def _paths_to_rules(subject: ir.SubjectProgram) -> set[int]:
    """The ids of the condition nodes (of rules and caps, outside records calls) on the way to a rule reference:
    the nested rule's node is visited for its missing fields only when every node on its way is unknown."""
    found: set[int] = set()

    def visit(expr: ir.Expr, above: list[int]) -> None:
        if isinstance(expr, ir.RuleRef):
            found.update(above)
            return
        if isinstance(expr, ir.Count | ir.Exists | ir.Share | ir.LevelOf):
            return  # a condition over records: an unknown one makes the row its own signature
        for child in subexpressions(expr):
            visit(child, [*above, id(expr)])

    for rule in subject.rules.values():
        visit(rule.expr, [])
    for cap in subject.caps:
        visit(cap.when, [])
    return found


def _static_labels(program: ir.Program, kind: str) -> bool:
    """Whether a rule, cap, note or quota id names one thing only, so that the label a one-line reason shows for
    it does not depend on which nodes a trace holds (``report`` finds a label by id in the trace)."""
    subject = program.subjects[kind]
    seen: set[str] = set()
    groups = [
        list(subject.rules),
        [c.id for c in subject.caps],
        [n.id for n in subject.notes],
        [q.id for q in program.quotas if kind in q.kinds],
    ]
    for ids in groups:
        unique = set(ids)
        if unique & seen:
            return False
        seen |= unique
    return True


# --- relations: the records of related subjects, as CSR ------------------------------------------------------------


class _LazyFields(Mapping[str, "Column | RecordsColumn"]):
    """Record fields of a relation, each gathered from the related kinds' columns when a condition first reads it."""

    def __init__(self, names: Sequence[str], build: Callable[[str], Column | RecordsColumn]) -> None:
        self.names = list(names)
        self.build = build
        self.built: dict[str, Column | RecordsColumn] = {}

    def __getitem__(self, name: str) -> Column | RecordsColumn:
        found = self.built.get(name)
        if found is None:
            if name not in self.names:
                raise KeyError(name)
            found = self.built[name] = self.build(name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _relation_column(
    program: ir.Program,
    relation: ir.Relation,
    holders: Array,
    holder_ids: Array,
    kinds: Mapping[str, KindOutcome],
    units: _Units,
    rejected: Mapping[str, list[Rejection]],
) -> RecordsColumn:
    """The records a relation gives each holder row (its unit code in ``holders``, -1 for none): the related kinds'
    classified or undetermined subjects of the unit (or of its child units), and the rejected rows there, which
    have only an id and a kind, as ``population.relation_records`` builds them (the order within a row differs:
    nothing columnar depends on it)."""
    child_units = relation.source is ir.RelationSource.CHILD_UNITS
    parts: list[tuple[KindOutcome, Array]] = []
    keys: list[Array] = []
    for kind in dict.fromkeys(relation.kinds):
        outcome = kinds.get(kind)
        if outcome is None or outcome.evaluated is None:
            continue
        rows = np.flatnonzero(outcome.accepted & (outcome.status != _NOT_CLASSIFIED))
        key = outcome.unit_codes[rows]
        parts.append((outcome, rows))
        keys.append(units.parent[key] if child_units else key)
    others: list[Rejection] = []
    other_keys: list[int] = []
    for unit_id, entries in rejected.items():
        code = units.code.get(unit_id)
        if code is None:
            continue
        key = int(units.parent[code]) if child_units else code
        for entry in entries:
            if entry.kind in relation.kinds and key >= 0:
                others.append(entry)
                other_keys.append(key)
    part_of = np.concatenate(
        [np.full(len(r), p, np.int64) for p, (_, r) in enumerate(parts)] + [np.full(len(others), len(parts), np.int64)]
    )
    row_of = np.concatenate([r for _, r in parts] + [np.arange(len(others), dtype=np.int64)])
    key_all = np.concatenate([*keys, np.array(other_keys, np.int64)]).astype(np.int64)
    valid = np.flatnonzero(key_all >= 0)
    order = valid[np.argsort(key_all[valid], kind="stable")]
    counts = np.bincount(key_all[valid], minlength=len(units.ids))
    starts = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=starts[1:])
    has = holders >= 0
    safe = np.where(has, holders, 0)
    lengths = np.where(has, counts[safe] if len(counts) else 0, 0).astype(np.int64)
    picked = order[ranges(starts[safe], lengths)]
    if others:
        # A rejected row with the holder's own id is not its own related subject.
        holder = np.repeat(np.arange(len(holders), dtype=np.int64), lengths)
        keep = np.ones(len(picked), bool)
        for j in np.flatnonzero(part_of[picked] == len(parts)):
            if others[int(row_of[picked[j]])].subject_id == holder_ids[holder[j]]:
                keep[j] = False
        if not keep.all():
            picked = picked[keep]
            lengths = np.bincount(holder[keep], minlength=len(holders)).astype(np.int64)
    offsets = np.zeros(len(holders) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    source = part_of[picked]
    row = row_of[picked]
    # Where each related kind's records sit among the relation's records, and which of its rows they are; the
    # last selection holds the rejected rows' records.
    selections = [np.flatnonzero(source == p) for p in range(len(parts) + 1)]
    taken = [(outcome, row[sel], sel) for (outcome, _), sel in zip(parts, selections, strict=False)]
    rejected_rows = row[selections[-1]]
    size = len(row)

    def build(name: str) -> Column | RecordsColumn:
        match name:
            case "level":
                values = np.full(size, -1, np.int8)
                for outcome, rows, sel in taken:
                    values[sel] = outcome.level[rows]
                known = values >= 0
                values[~known] = 0
                return Column(values, known)
            case "id" | "kind" | "name":
                values = np.empty(size, object)
                for outcome, rows, sel in taken:
                    columns = outcome.columns
                    if name == "id":
                        values[sel] = columns.ids[rows]
                    elif name == "kind":
                        values[sel] = columns.kind
                    elif columns.names is not None:
                        values[sel] = columns.names[rows]
                tail = selections[-1]
                if name != "name" and len(tail):
                    texts = [
                        others[int(r)].subject_id if name == "id" else str(others[int(r)].kind) for r in rejected_rows
                    ]
                    values[tail] = np.array(texts, object)
                known = np.fromiter((bool(v) if name == "name" else v is not None for v in values), bool, size)
                values[~known] = np.array(None, object)
                return Column(values, known)
            case _:
                fdef = next(f for f in program.records[relation.record].fields if f.id == name)
                sources = [(outcome.columns.table.columns[name], rows) for outcome, rows, _ in taken]
                return _gathered(program, fdef.type, sources, selections, size)

    names = [f.id for f in program.records[relation.record].fields]
    return RecordsColumn(offsets, np.ones(len(holders), bool), _LazyFields(names, build))


def _gathered(
    program: ir.Program,
    ftype: ir.ValueType,
    sources: list[tuple[AnyColumn, Array]],
    selections: Sequence[Array],
    size: int,
) -> Column | RecordsColumn:
    """One column of ``size`` rows whose positions ``selections[p]`` take ``sources[p]``'s column at its rows;
    the other positions (rejected rows) are absent."""
    known = np.zeros(size, bool)
    pairs = list(zip(sources, selections, strict=False))
    for (col, rows), sel in pairs:
        known[sel] = col.known[rows]
    if isinstance(ftype, ir.RecordsType):
        lengths = np.zeros(size, np.int64)
        starts = np.zeros(size, np.int64)
        for (col, rows), sel in pairs:
            assert isinstance(col, RecordsColumn)
            lengths[sel] = np.diff(col.offsets)[rows]
            starts[sel] = col.offsets[:-1][rows]
        offsets = np.zeros(size + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        part = np.full(size, -1, np.int64)
        for p, (_, sel) in enumerate(pairs):
            part[sel] = p
        nested_part = np.repeat(part, lengths)
        nested_rows = ranges(starts, lengths)
        nested_sel = [np.flatnonzero(nested_part == p) for p in range(len(pairs))]
        fields: dict[str, Column | RecordsColumn] = {}
        for g in program.records[ftype.record].fields:
            subs: list[tuple[AnyColumn, Array]] = []
            for (outer, _), picked in zip(sources, nested_sel, strict=False):
                assert isinstance(outer, RecordsColumn)
                subs.append((outer.fields[g.id], nested_rows[picked]))
            fields[g.id] = _gathered(program, g.type, subs, nested_sel, int(offsets[-1]))
        return RecordsColumn(offsets, known, fields)
    plain = [(col, rows) for col, rows in sources if isinstance(col, Column)]
    assert len(plain) == len(sources)
    match ftype:
        case ir.NumberType():
            return _gathered_numbers(plain, selections, size, known)
        case ir.TextType() | ir.PeriodType():
            values = np.empty(size, object)
        case ir.BoolType():
            values = np.zeros(size, bool)
        case _:
            dtype = np.result_type(*[col.values.dtype for col, _ in plain]) if plain else np.int64
            values = np.zeros(size, dtype)
    for (col, rows), sel in zip(plain, selections, strict=False):
        values[sel] = col.values[rows]
    if values.dtype == object:
        values[~known] = None
    return Column(values, known)


def _gathered_numbers(
    sources: list[tuple[Column, Array]], selections: Sequence[Array], size: int, known: Array
) -> Column:
    """Numbers of several kinds over one common denominator, or as Fractions when that could overflow."""
    integral = all(col.values.dtype.kind == "i" for col, _ in sources)
    common = math.lcm(*[col.denominator for col, _ in sources]) if sources else 1
    if integral and common < LIMIT:
        bounds = [int(np.abs(col.values).max()) if len(col.values) else 0 for col, _ in sources]
        if all(b * (common // col.denominator) < LIMIT for b, (col, _) in zip(bounds, sources, strict=True)):
            values = np.zeros(size, np.int64)
            for (col, rows), sel in zip(sources, selections, strict=False):
                values[sel] = col.values[rows] * (common // col.denominator)
            values[~known] = 0
            return Column(values, known, common)
    objects = np.empty(size, object)
    for (col, rows), sel in zip(sources, selections, strict=False):
        picked = col.values[rows]
        if picked.dtype != object:
            picked = np.array([Fraction(int(x), col.denominator) for x in picked.tolist()], object)
        objects[sel] = picked
    objects[~known] = None
    return Column(objects, known)


# --- classification ------------------------------------------------------------------------------------------------


def classify(
    program: ir.Program, bulk_input: BulkInput, period: ir.Period, *, progress: Progress | None = None
) -> BulkResult:
    """Classify a population given as columns: identity checks, every kind in the derived order (collectives
    reading their related subjects' final levels), then quotas; nothing is dropped.

    ``progress(done, total)`` counts rows: each kind's rows once it is evaluated, and the rows each quota ranges
    over once it is applied.
    """
    units = _Units(bulk_input.units)
    given = list(bulk_input.kinds.values())
    orders = _orders(given)
    unit_codes = [units.codes(c.units) for c in given]
    accepted, rejections = _identity(program, given, orders, unit_codes, units)
    outcomes: dict[str, KindOutcome] = {}
    for columns, order, ok, codes in zip(given, orders, accepted, unit_codes, strict=True):
        n = len(columns.ids)
        outcomes[columns.kind] = KindOutcome(
            columns=columns,
            accepted=ok,
            evaluated=None,
            status=np.full(n, _NOT_CLASSIFIED, np.int8),
            level=np.full(n, -1, np.int8),
            decision=np.full(n, _D[Decision.ELIGIBILITY], np.int8),
            flags=np.zeros(n, np.uint64),
            unit_codes=codes,
            order=order,
        )
    order = strata(program)
    total = sum(len(o) for kind, o in outcomes.items() if kind in program.subjects)
    total += sum(len(outcomes[k]) for q in program.quotas for k in dict.fromkeys(q.kinds) if k in outcomes)
    done = 0
    rejected_units = rejected_by_unit([*bulk_input.rejections, *rejections])
    groups: list[QuotaGroup] = []
    runs: list[_QuotaRun] = []
    decided = {(d.quota, d.group): d for d in bulk_input.decisions}
    for stratum in order:
        for kind in stratum.kinds:
            outcome = outcomes.get(kind)
            if outcome is None:
                continue
            relations = {
                relation.id: _relation_column(
                    program,
                    relation,
                    np.where(outcome.accepted, outcome.unit_codes, -1),
                    outcome.columns.ids,
                    outcomes,
                    units,
                    rejected_units,
                )
                for relation in program.subjects[kind].relations
            }
            evaluated = evaluate_table(outcome.columns.table, period, relations)
            outcome = KindOutcome(
                columns=outcome.columns,
                accepted=outcome.accepted,
                evaluated=evaluated,
                status=evaluated.status.copy(),
                level=evaluated.level.copy(),
                decision=evaluated.decision.copy(),
                flags=outcome.flags,
                unit_codes=outcome.unit_codes,
                order=outcome.order,
            )
            outcomes[kind] = outcome
            done += len(outcome)
            if progress is not None:
                progress(done, total)
        # Quotas that demote run before quotas that only flag, so that a flag counts the levels that stand.
        quotas = [q for q_id in stratum.quotas for q in program.quotas if q.id == q_id]
        for quota in sorted(quotas, key=lambda q: (q.policy is not ir.QuotaPolicy.RANK, q.id)):
            run = _apply_quota(program, quota, len(runs), outcomes, units, decided, groups)
            runs.append(run)
            done += sum(len(outcomes[k]) for k in dict.fromkeys(quota.kinds) if k in outcomes)
            if progress is not None:
                progress(done, total)
    return BulkResult(
        program=program,
        period=period,
        kinds=outcomes,
        rejections=(*bulk_input.rejections, *rejections),
        strata=order,
        quota_groups=tuple(groups),
        rows_read=bulk_input.rows_read or sum(len(c.ids) for c in given),
        units=bulk_input.units,
        quotas=tuple(runs),
        unit_index=units,
    )


def _orders(given: Sequence[KindColumns]) -> list[Array]:
    """Each row's position among all subject rows: ``order`` when every kind gives it, else by source row
    number (then kind), else kind by kind."""
    if all(c.order is not None for c in given):
        return [np.asarray(c.order, np.int64) for c in given]
    sizes = [len(c.ids) for c in given]
    try:
        numbers = np.concatenate([np.asarray(c.rows, np.int64) for c in given] or [np.zeros(0, np.int64)])
    except (TypeError, ValueError):
        numbers = np.zeros(sum(sizes), np.int64)
    # Ties (rows of the same number) keep their kind's place, then their own: a stable sort of the concatenation.
    position = np.empty(len(numbers), np.int64)
    position[np.argsort(numbers, kind="stable")] = np.arange(len(numbers))
    return np.split(position, np.cumsum(sizes)[:-1]) if sizes else []


def _identity(
    program: ir.Program,
    given: Sequence[KindColumns],
    orders: Sequence[Array],
    unit_codes: Sequence[Array],
    units: _Units,
) -> tuple[list[Array], list[Rejection]]:
    """Which rows are usable (``population.row_problem``): an id, not taken by an earlier usable row, a kind of
    the program, a unit of the units table. The rejections are in input order."""
    accepted = []
    for columns, codes in zip(given, unit_codes, strict=True):
        ok = np.asarray(columns.ids != "", bool) & (codes >= 0)
        if columns.kind not in program.subjects:
            ok[:] = False
        accepted.append(ok)
    duplicate = [np.zeros(len(c.ids), bool) for c in given]
    if _repeats([c.ids for c in given]):
        # Some id occurs twice: walk the rows in input order, as the population runner does.
        sizes = [len(c.ids) for c in given]
        kind_of = np.concatenate([np.full(n, j, np.int64) for j, n in enumerate(sizes)])
        row_of = np.concatenate([np.arange(n, dtype=np.int64) for n in sizes])
        sequence = np.argsort(np.concatenate(list(orders)), kind="stable")
        ids = np.concatenate([c.ids for c in given])[sequence].tolist()
        usable = np.concatenate(accepted)[sequence].tolist()
        seen: set[object] = set()
        for j, (subject_id, ok) in enumerate(zip(ids, usable, strict=True)):
            if not subject_id:
                continue
            if subject_id in seen:
                g = int(sequence[j])
                duplicate[int(kind_of[g])][int(row_of[g])] = True
            elif ok:
                seen.add(subject_id)
    problems: list[tuple[int, int, int]] = []
    for j, (ok, twice, order) in enumerate(zip(accepted, duplicate, orders, strict=True)):
        for i in np.flatnonzero(~ok | twice).tolist():
            problems.append((int(order[i]), j, i))
        ok &= ~twice
    rejections: list[Rejection] = []
    for _, j, i in sorted(problems):
        columns = given[j]
        name = None if columns.names is None else columns.names[i]
        row = SubjectRow(
            str(columns.ids[i]),
            str(columns.units[i]),
            columns.kind,
            name,
            {},
            _py(columns.rows[i]),
            columns.source_of(i),
        )
        problem = row_problem(program, row, units.by_id, {row.id} if duplicate[j][i] else ())
        assert problem is not None
        rejections.append(problem)
    return accepted, rejections


# --- quotas --------------------------------------------------------------------------------------------------------


def _apply_quota(
    program: ir.Program,
    quota: ir.Quota,
    bit: int,
    outcomes: Mapping[str, KindOutcome],
    units: _Units,
    decided: Mapping[tuple[str, str], CommitteeDecision],
    groups: list[QuotaGroup],
) -> _QuotaRun:
    """``population``'s quota over columns: groups, base, candidates in rank order, who keeps the level."""
    if bit >= 64:
        raise NotImplementedError("more than 64 quotas")
    kinds = tuple(k for k in dict.fromkeys(quota.kinds) if k in outcomes and outcomes[k].evaluated is not None)
    member_kind, member_row, member_group = [], [], []
    group_code: dict[str, int] = {}
    group_name: dict[str, str] = {}
    for j, kind in enumerate(kinds):
        outcome = outcomes[kind]
        rows = np.flatnonzero(outcome.accepted & (outcome.status == _CLASSIFIED))
        found, inverse = _groups(quota, outcome, rows, units)
        codes = np.zeros(len(found), np.int64)
        for index, (label, name) in enumerate(found):
            codes[index] = group_code.setdefault(label, len(group_code))
            group_name[label] = name
        member_kind.append(np.full(len(rows), j, np.int64))
        member_row.append(rows)
        member_group.append(codes[inverse])
    ordered = sorted(group_code)
    remap = np.empty(len(ordered), np.int64)
    for position, label in enumerate(ordered):
        remap[group_code[label]] = position
    m_kind = np.concatenate(member_kind or [np.zeros(0, np.int64)])
    m_row = np.concatenate(member_row or [np.zeros(0, np.int64)])
    m_group = remap[np.concatenate(member_group or [np.zeros(0, np.int64)])] if ordered else np.zeros(0, np.int64)
    m_level = np.concatenate([outcomes[kinds[j]].level[r] for j, r in enumerate(member_row)] or [np.zeros(0, np.int8)])
    base = np.bincount(m_group[m_level == program.levels.rank(quota.of_level)], minlength=len(ordered))
    candidate = np.flatnonzero(m_level == program.levels.rank(quota.level))
    c_kind, c_row, c_group = m_kind[candidate], m_row[candidate], m_group[candidate]
    c_ids = np.empty(len(c_row), object)
    for j, kind in enumerate(kinds):
        sel = c_kind == j
        c_ids[sel] = outcomes[kind].columns.ids[c_row[sel]]
    sequence = _rank_order(program, quota, kinds, outcomes, c_kind, c_row, c_group, c_ids)
    c_kind, c_row, c_group, c_ids = c_kind[sequence], c_row[sequence], c_group[sequence], c_ids[sequence]
    starts = np.flatnonzero(np.diff(c_group, prepend=-1)) if len(c_group) else np.zeros(0, np.int64)
    ends = np.append(starts[1:], len(c_group)).astype(np.int64) if len(c_group) else starts
    rank = np.arange(len(c_group), dtype=np.int64) - np.repeat(starts, ends - starts) + 1
    absolute = np.empty(len(c_group), np.int64)
    demoted = np.zeros(len(c_group), bool)
    flagged = np.zeros(len(c_group), bool)
    allowances: dict[int, int] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        g = int(c_group[start])
        label = ordered[g]
        n = int(base[g])
        allowed = allowances.get(n)
        if allowed is None:
            allowed = allowances[n] = allowance(quota, n)
        ids = c_ids[start:end].tolist()
        record = quota_group(quota, label, group_name[label], n, ids, decided, allowed)
        absolute[start:end] = len(groups)
        groups.append(record)
        if record.demoted:
            out = set(record.demoted)
            demoted[start:end] = [i in out for i in c_ids[start:end].tolist()]
        flagged[start:end] = record.status == "flagged"
    demote_to = program.levels.rank(quota.demote_to)
    for j, kind in enumerate(kinds):
        outcome = outcomes[kind]
        mine = c_kind == j
        lowered = c_row[mine & demoted]
        outcome.level[lowered] = demote_to
        outcome.decision[lowered] = _D[Decision.QUOTA]
        outcome.flags[c_row[mine & flagged]] |= np.uint64(1 << bit)
    return _QuotaRun(quota, bit, kinds, c_kind, c_row, absolute, rank, demoted)


def _groups(quota: ir.Quota, outcome: KindOutcome, rows: Array, units: _Units) -> tuple[list[tuple[str, str]], Array]:
    """The distinct quota groups of the rows (id and name, as ``population`` names them), and each row's group."""
    if not len(rows):
        return [], np.zeros(0, np.int64)
    if quota.group_field is None:
        codes = units.groups_of(quota)[outcome.unit_codes[rows]]
        distinct = np.flatnonzero(np.bincount(codes, minlength=len(units.ids)))
        position = np.zeros(len(units.ids), np.int64)
        position[distinct] = np.arange(len(distinct))
        named = [units.by_id[units.ids[c]] for c in distinct.tolist()]
        return [(u.id, u.name) for u in named], position[codes]
    table = outcome.columns.table
    col = table.columns.get(quota.group_field)
    if col is None or isinstance(col, RecordsColumn) or col.values.dtype == object:
        # Values as Python objects (text, Fractions): one display per distinct value.
        index: dict[object, int] = {}
        found: list[tuple[str, str]] = []
        inverse = np.empty(len(rows), np.int64)
        for j, i in enumerate(rows.tolist()):
            value = table.value(quota.group_field, i)
            key = value if _hashable(value) else repr(value)
            k = index.get(key)
            if k is None:
                k = index[key] = len(found)
                found.append(field_group(quota, value))
            inverse[j] = k
        return found, inverse
    known = col.known[rows]
    raw = np.where(known, col.values[rows].astype(np.int64), 0)
    pairs = np.stack([known.astype(np.int64), raw], axis=1)
    _, first, inverse = np.unique(pairs, axis=0, return_index=True, return_inverse=True)
    found = [field_group(quota, table.value(quota.group_field, int(rows[f]))) for f in first]
    return found, inverse.ravel()


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _rank_order(
    program: ir.Program,
    quota: ir.Quota,
    kinds: Sequence[str],
    outcomes: Mapping[str, KindOutcome],
    c_kind: Array,
    c_row: Array,
    c_group: Array,
    c_ids: Array,
) -> Array:
    """The candidates sorted by group, then by ``population``'s rank key: each ``rank_by`` value (missing ones
    last, descending ones negated), then the id."""
    keys: list[tuple[Array, Array]] = []
    for rank in quota.rank_by:
        numbers = _rank_numbers(program, rank.field, kinds, outcomes, c_kind, c_row)
        if numbers is None:
            return _rank_order_python(quota, kinds, outcomes, c_kind, c_row, c_group, c_ids)
        missing, values = numbers
        keys.append((missing, -values if rank.descending else values))
    if len(c_ids) < _SMALL or not _plain_strings(c_ids):
        return _rank_order_python(quota, kinds, outcomes, c_kind, c_row, c_group, c_ids, keys)
    columns: list[Array] = [c_ids.astype(str)]
    for missing, values in reversed(keys):
        columns += [values, missing]
    columns.append(c_group)
    return np.lexsort(columns)


def _rank_numbers(
    program: ir.Program,
    name: str,
    kinds: Sequence[str],
    outcomes: Mapping[str, KindOutcome],
    c_kind: Array,
    c_row: Array,
) -> tuple[Array, Array] | None:
    """One rank key over the candidates as (missing, integer value) on one scale, or None when the values do not
    fit int64 exactly (Fractions too large)."""
    n = len(c_row)
    missing = np.ones(n, np.int64)
    values = np.zeros(n, np.int64)
    scaled: list[tuple[Array, Column, int]] = []
    denominators = []
    for j, kind in enumerate(kinds):
        outcome = outcomes[kind]
        fdef = program.subjects[kind].field_def(name)
        col = outcome.columns.table.columns.get(name)
        if fdef is None or not isinstance(col, Column):
            continue
        if not isinstance(fdef.type, ir.NumberType | ir.OrdinalType | ir.EnumType | ir.BoolType):
            continue  # not a number: ranks as missing, as in ``population``
        if col.values.dtype == object:
            return None
        sel = np.flatnonzero(c_kind == j)
        denominator = col.denominator if isinstance(fdef.type, ir.NumberType) else 1
        scaled.append((sel, col, denominator))
        denominators.append(denominator)
    common = math.lcm(*denominators) if denominators else 1
    for sel, col, denominator in scaled:
        rows = c_row[sel]
        known = col.known[rows]
        raw = col.values[rows].astype(np.int64)
        factor = common // denominator
        if len(raw) and int(np.abs(raw).max()) * factor >= LIMIT:
            return None
        missing[sel] = ~known
        values[sel] = np.where(known, raw * factor, 0)
    return missing, values


def _rank_order_python(
    quota: ir.Quota,
    kinds: Sequence[str],
    outcomes: Mapping[str, KindOutcome],
    c_kind: Array,
    c_row: Array,
    c_group: Array,
    c_ids: Array,
    keys: Sequence[tuple[Array, Array]] | None = None,
) -> Array:
    """The same order with Python's sort: for few candidates, ids numpy cannot order, or exact Fractions."""
    n = len(c_ids)
    if keys is not None:
        columns = [(m.tolist(), v.tolist()) for m, v in keys]
        tuples = [(int(c_group[j]), *[(ms[j], vs[j]) for ms, vs in columns], str(c_ids[j])) for j in range(n)]
    else:
        tuples = []
        for j in range(n):
            table = outcomes[kinds[int(c_kind[j])]].columns.table
            key: list[object] = [int(c_group[j])]
            for rank in quota.rank_by:
                key.append(rank_part(table.value(rank.field, int(c_row[j])), rank.descending))
            key.append(str(c_ids[j]))
            tuples.append(tuple(key))
    return np.array(sorted(range(n), key=tuples.__getitem__), np.int64)


# --- from rows -----------------------------------------------------------------------------------------------------


def from_population_input(
    program: ir.Program, population: PopulationInput, progress: Progress | None = None
) -> BulkInput:
    """A population read as rows (CSV, XLSX, a document) as columns: each row checked as
    ``evaluate_population`` checks it (identity, then its evidence validated), with the same rejections in the same
    order; the accepted rows become one ``KindColumns`` per kind."""
    units = {u.id: u for u in population.units}
    rejections = list(population.rejections)
    accepted: dict[str, list[tuple[int, SubjectRow, Any]]] = {}
    for position, row, typed in usable_rows(program, population, units, rejections, progress):
        accepted.setdefault(row.kind, []).append((position, row, typed))
    kinds: dict[str, KindColumns] = {}
    for kind, entries in accepted.items():
        rows = [row for _, row, _ in entries]
        sources = [row.source for row in rows]
        numbers = [row.row for row in rows]
        kinds[kind] = KindColumns(
            kind=kind,
            ids=_objects([row.id for row in rows]),
            units=_objects([row.unit for row in rows]),
            names=_objects([row.name for row in rows]),
            rows=np.array(numbers, np.int64) if None not in numbers else _objects(numbers),
            table=EvidenceTable.from_evidence(program, kind, [typed for _, _, typed in entries]),
            source=sources[0],
            order=np.array([position for position, _, _ in entries], np.int64),
            sources=None if len(set(sources)) == 1 else _objects(sources),
        )
    return BulkInput(
        units=population.units,
        kinds=kinds,
        decisions=population.decisions,
        rejections=tuple(rejections),
        rows_read=population.rows_read or len(population.subjects),
    )


def _objects(values: Sequence[object]) -> Array:
    out = np.empty(len(values), object)
    out[:] = list(values)
    return out
