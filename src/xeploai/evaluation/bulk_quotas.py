"""Quotas over columns: the classified levels of the kinds a quota counts → groups, ranks and who keeps the level.

Input: a quota, every kind's ``KindOutcome`` (levels before the quota), the units and the committee decisions.
Output: the quota's groups (``population.QuotaGroup``, as ``population`` builds them, appended in group order), the
levels it lowered, the flags it set and the candidates awaiting a decision written into the outcomes (an awaiting
row keeps the level the rules give in its level column), and a ``QuotaRun`` of its candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from xeploai.evaluation import bulk_input
from xeploai.evaluation.bulk_input import (
    DECISION_CODE,
    STATUS_AWAITING,
    STATUS_CLASSIFIED,
    Array,
    KindOutcome,
    Units,
    plain_strings,
)
from xeploai.evaluation.population import CommitteeDecision, QuotaGroup, allowance, field_group, quota_group, rank_part
from xeploai.evaluation.runners.columnar_table import LIMIT, Column, RecordsColumn
from xeploai.evaluation.trace import Decision
from xeploai.program import ir


@dataclass(frozen=True, eq=False)
class QuotaRun:
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


def apply_quota(
    program: ir.Program,
    quota: ir.Quota,
    bit: int,
    outcomes: Mapping[str, KindOutcome],
    units: Units,
    decided: Mapping[tuple[str, str], CommitteeDecision],
    groups: list[QuotaGroup],
) -> QuotaRun:
    """``population``'s quota over columns: groups, base, candidates in rank order, who keeps the level."""
    if bit >= 64:
        raise NotImplementedError("more than 64 quotas")
    kinds = tuple(k for k in dict.fromkeys(quota.kinds) if k in outcomes and outcomes[k].evaluated is not None)
    member_kind, member_row, member_group = [], [], []
    group_code: dict[str, int] = {}
    group_name: dict[str, str] = {}
    for j, kind in enumerate(kinds):
        outcome = outcomes[kind]
        # Candidates awaiting another quota's decision count at their standing level (their level column).
        counted = (outcome.status == STATUS_CLASSIFIED) | (outcome.status == STATUS_AWAITING)
        rows = np.flatnonzero(outcome.accepted & counted)
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
        outcome.status[lowered] = STATUS_CLASSIFIED
        outcome.decision[lowered] = DECISION_CODE[Decision.QUOTA]
        waiting = c_row[mine & flagged]
        outcome.flags[waiting] |= np.uint64(1 << bit)
        # The level column keeps the level the rules give (what collectives and later quotas read); the status says
        # that it awaits the competent level's decision.
        outcome.status[waiting] = STATUS_AWAITING
        outcome.decision[waiting] = DECISION_CODE[Decision.QUOTA]
    return QuotaRun(quota, bit, kinds, c_kind, c_row, absolute, rank, demoted)


def _groups(quota: ir.Quota, outcome: KindOutcome, rows: Array, units: Units) -> tuple[list[tuple[str, str]], Array]:
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
    if len(c_ids) < bulk_input.SMALL or not plain_strings(c_ids):
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
