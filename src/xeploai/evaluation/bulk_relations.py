"""The records a collective reads of its related subjects, column-wise: kinds' results → one CSR column per relation.

Input: a relation, the unit code of each holder row, and the ``KindOutcome`` of every kind (levels already final)
with the rejected rows by unit. Output: a ``RecordsColumn`` over the holder rows whose record fields (level, id, name,
kind and the shared evidence fields) are gathered from the related kinds' columns when a condition first reads them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction

import numpy as np

from xeploai.evaluation.bulk_input import STATUS_NOT_CLASSIFIED, Array, KindOutcome, Units
from xeploai.evaluation.population import Rejection
from xeploai.evaluation.runners.columnar_table import LIMIT, AnyColumn, Column, RecordsColumn, ranges
from xeploai.program import ir


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


def relation_column(
    program: ir.Program,
    relation: ir.Relation,
    holders: Array,
    holder_ids: Array,
    kinds: Mapping[str, KindOutcome],
    units: Units,
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
        rows = np.flatnonzero(outcome.accepted & (outcome.status != STATUS_NOT_CLASSIFIED))
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
