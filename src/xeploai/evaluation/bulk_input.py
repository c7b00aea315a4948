"""Populations at national scale, as columns: typed columns per subject kind → the rows classification may use.

Input: a ``BulkInput`` (units, one ``KindColumns`` per subject kind, committee decisions, rows already rejected
while reading), or a ``population.PopulationInput`` read as rows (``from_population_input``). Output: per kind, the
usable rows (``population.row_problem``'s identity checks, column-wise), their unit codes and their input order,
and the rejections in input order; ``KindOutcome`` is the record of one kind's rows that classification fills in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xeploai.evaluation.population import (
    CommitteeDecision,
    PopulationInput,
    Rejection,
    SubjectRow,
    Unit,
    row_problem,
    unit_group,
    usable_rows,
)
from xeploai.evaluation.runners.columnar import DECISIONS, STATUSES, ColumnarResult
from xeploai.evaluation.runners.columnar_table import EvidenceTable
from xeploai.evaluation.trace import Status
from xeploai.program import ir

Array = Any  # numpy arrays; numpy is imported by the columnar runner

Progress = Callable[[int, int], None]

STATUS_CLASSIFIED, STATUS_NOT_CLASSIFIED, STATUS_INSUFFICIENT, STATUS_AWAITING, STATUS_LEFT = (
    STATUSES.index(s) for s in Status
)
DECISION_CODE = {d: i for i, d in enumerate(DECISIONS)}
# Below this many rows, sorting and grouping in Python is as fast as numpy and needs no string arrays (read as
# ``bulk_input.SMALL`` by the other stages, so that a test lowers it for all).
SMALL = 50_000


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
    # A linked field's trace node says which column a given value was read from and whose it is: the header each
    # evidence field was read from (by default its id) and each row's person (by default the row's own id).
    headers: Mapping[str, str] | None = None
    persons: Array | None = None

    def source_of(self, i: int) -> str:
        return self.source if self.sources is None else str(self.sources[i])

    def person_of(self, i: int) -> str:
        return str(self.ids[i]) if self.persons is None else str(self.persons[i])


@dataclass(frozen=True)
class BulkInput:
    """A population as columns: the counterpart of ``population.PopulationInput``."""

    units: tuple[Unit, ...]
    kinds: Mapping[str, KindColumns]
    decisions: tuple[CommitteeDecision, ...] = ()
    rejections: tuple[Rejection, ...] = ()  # rows already rejected while reading
    rows_read: int = 0  # subject rows in the input, rejected ones included


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
            ids=object_array([row.id for row in rows]),
            units=object_array([row.unit for row in rows]),
            names=object_array([row.name for row in rows]),
            rows=np.array(numbers, np.int64) if None not in numbers else object_array(numbers),
            table=EvidenceTable.from_evidence(program, kind, [typed for _, _, typed in entries]),
            source=sources[0],
            order=np.array([position for position, _, _ in entries], np.int64),
            sources=None if len(set(sources)) == 1 else object_array(sources),
            headers=dict(rows[0].columns),
            persons=object_array([row.person_id for row in rows]),
        )
    return BulkInput(
        units=population.units,
        kinds=kinds,
        decisions=population.decisions,
        rejections=tuple(rejections),
        rows_read=population.rows_read or len(population.subjects),
    )


@dataclass(frozen=True, eq=False)
class KindOutcome:
    """One kind's subjects after classification and quotas, row for row with its ``KindColumns``.

    Codes as the columnar runner's: ``status`` indexes ``STATUSES``, ``decision`` indexes ``DECISIONS`` (``QUOTA``
    where a quota lowered the level or left it awaiting a decision), ``level`` is the final level's rank (0 the
    lowest, -1 when not classified; for a row awaiting the competent level's quota decision, the level the rules
    give, which the population's outcome shows in ``possible`` and not as a level). ``flags`` has bit ``q`` set
    when the q-th quota applied (``BulkResult.quotas``) left the subject to the competent level. Only ``accepted``
    rows count: the others were rejected (see ``BulkResult.rejections``).
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


class Units:
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


def input_orders(given: Sequence[KindColumns]) -> list[Array]:
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


def check_identity(
    program: ir.Program,
    given: Sequence[KindColumns],
    orders: Sequence[Array],
    unit_codes: Sequence[Array],
    units: Units,
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
            py_value(columns.rows[i]),
            columns.source_of(i),
        )
        problem = row_problem(program, row, units.by_id, {row.id} if duplicate[j][i] else ())
        assert problem is not None
        rejections.append(problem)
    return accepted, rejections


def _repeats(arrays: Sequence[Array]) -> bool:
    """Whether a string occurs twice among the arrays (object arrays of ``str``).

    A vectorised hash of each string finds the candidates; Python compares only those, so the answer is exact.
    """
    total = sum(len(a) for a in arrays)
    if total < SMALL:
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


def py_value(value: object) -> Any:
    """A numpy scalar as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value


def plain_strings(values: Array) -> bool:
    """Whether numpy's fixed-width strings order these as Python does (they drop trailing NUL characters)."""
    return all(isinstance(v, str) and not v.endswith("\0") for v in values)


def object_array(values: Sequence[object]) -> Array:
    out = np.empty(len(values), object)
    out[:] = list(values)
    return out
