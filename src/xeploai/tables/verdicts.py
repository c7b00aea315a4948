"""Tables, reading at national scale: verdicts of distinct cells. Input: a column's distinct cells and a field
declaration; a records table as columns. Output: each distinct cell's verdict (blank, valid, unreadable, invalid)
and typed value, the rows an ``at_most`` declaration rejects, each record row filed under its subject, and the
runner's typed ``Column`` of a field (``RecordsColumn`` of a records field).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Final, cast

from xeploai.evaluation import evidence
from xeploai.program import ir
from xeploai.tables.cells import CellError, coerce, is_blank
from xeploai.tables.columns import Array, Columns, arrow_modules, encode
from xeploai.tables.entries import Reader
from xeploai.tables.headers import Plan
from xeploai.tables.reader import records_plan

__all__ = [
    "CELL_ERROR",
    "Effective",
    "Records",
    "Verdicts",
    "at_most_problems",
    "check_records",
    "compared_fields",
    "effective_values",
    "judge_cells",
    "read_records",
    "records_column",
    "typed_column",
]

# What one distinct cell is for one field declaration.
_BLANK, _VALID, CELL_ERROR, _INVALID = 0, 1, 2, 3
_LIMIT: Final = 2**62  # as in the columnar runner: numbers beyond it stay Fractions
_PAIR_TABLE: Final = 1 << 22  # pairs of distinct cells judged through a lookup table up to this many


# --- verdicts of distinct cells -----------------------------------------------------------------------------------


@dataclass
class Verdicts:
    """What each distinct cell of a column is for one field declaration, and its typed value when valid."""

    state: Array  # _BLANK, _VALID, CELL_ERROR or _INVALID per distinct cell, then _BLANK for code -1
    typed: list[ir.Value | None]

    @property
    def bad(self) -> bool:
        return bool((self.state >= CELL_ERROR).any())

    def rows(self, codes: Array) -> Array:
        """The state of each row, by its code (-1: blank)."""
        return self.state[codes]


def judge_cells(program: ir.Program, fdef: ir.FieldDef, cells: Sequence[object]) -> Verdicts:
    """Each distinct cell through the table reader's coercion and the evidence stage's conversion, as a row's cell
    goes through them: the same accepted spellings, ranges and types, decided once per distinct cell."""
    _, _, np = arrow_modules()
    state = np.zeros(len(cells) + 1, np.int8)
    typed: list[ir.Value | None] = [None] * len(cells)
    path = (fdef.id,)
    for i, cell in enumerate(cells):
        if is_blank(cell):
            continue
        try:
            raw = coerce(fdef, cell)
        except CellError:
            state[i] = CELL_ERROR
            continue
        context = evidence._Context(program, {})
        value = evidence._convert(context, fdef, raw, path, path)
        if context.issues or value is None:
            state[i] = _INVALID
        else:
            state[i], typed[i] = _VALID, value
    return Verdicts(state, typed)


def _no_column(size: int) -> tuple[Verdicts, Array]:
    _, _, np = arrow_modules()
    return Verdicts(np.zeros(1, np.int8), []), np.full(size, -1, np.int32)


Effective = tuple[list[object], Array]  # value slots, and each row's slot


def effective_values(fdef: ir.FieldDef, verdicts: Verdicts, codes: Array) -> Effective:
    """Each row's value after defaults, as the evidence stage compares ``at_most`` fields: the distinct cells'
    values, then the default (a blank cell, or one the reader could not read: its key is left out), then unknown
    (a cell that failed validation: its key was given, so the default does not apply)."""
    _, _, np = arrow_modules()
    n = len(verdicts.typed)
    states = verdicts.state.tolist()
    slots: list[object] = [v if s == _VALID else None for v, s in zip(verdicts.typed, states, strict=False)]
    slots += [fdef.default, None]
    slot_of = np.array([i if s == _VALID else n + 1 if s == _INVALID else n for i, s in enumerate(states)], np.int32)
    return slots, slot_of[codes]


def _exceeding(mine: Effective, theirs: Effective) -> Array:
    """Rows whose first value exceeds the second (``evidence._exceeds``), judged once per distinct pair."""
    _, _, np = arrow_modules()
    (a_slots, a), (b_slots, b) = mine, theirs
    width = len(b_slots)
    size = len(a_slots) * width
    pair = a.astype(np.int64) * width + b if size >= 2**31 else a * np.int32(width) + b
    inverse = None
    if size <= _PAIR_TABLE:
        present = np.flatnonzero(np.bincount(pair, minlength=size))
    else:
        present, inverse = np.unique(pair, return_inverse=True)
    verdict = np.zeros(len(present), bool)
    for k, p in enumerate(present.tolist()):
        x, y = a_slots[p // width], b_slots[p % width]
        verdict[k] = x is not None and y is not None and evidence._exceeds(cast(ir.Value, x), cast(ir.Value, y))
    if not verdict.any():
        return np.zeros(len(pair), bool)
    if inverse is not None:
        return verdict[inverse]
    lookup = np.zeros(size, bool)
    lookup[present] = verdict
    return lookup[pair]


def at_most_problems(fields: Sequence[ir.FieldDef], effective: Mapping[str, Effective], size: int) -> Array:
    """Rows where a field exceeds the field it is declared ``at_most``, defaults included."""
    _, _, np = arrow_modules()
    found = np.zeros(size, bool)
    declared = {f.id: f for f in fields}

    def side(fdef: ir.FieldDef) -> Effective | None:
        if fdef.id in effective:
            return effective[fdef.id]
        if fdef.default is not None:
            return [fdef.default], np.zeros(size, np.int32)
        return None

    for fdef in fields:
        other = declared.get(fdef.at_most_field) if fdef.at_most_field is not None else None
        if other is None:
            continue
        mine, theirs = side(fdef), side(other)
        if mine is not None and theirs is not None:
            found |= _exceeding(mine, theirs)
    return found


def compared_fields(fields: Sequence[ir.FieldDef]) -> set[str]:
    """The fields an ``at_most`` declaration compares (on either side)."""
    return {f.id for f in fields if f.at_most_field} | {f.at_most_field for f in fields if f.at_most_field}


# --- typed columns ------------------------------------------------------------------------------------------------


def typed_column(fdef: ir.FieldDef, verdicts: Verdicts, codes: Array) -> Any:
    """The runner's ``Column`` of a field over the rows with these codes; absent values are left for
    ``EvidenceTable.from_columns`` to default, as ``validate_evidence`` defaults an omitted key."""
    from xeploai.evaluation.runners.columnar_table import Column

    _, _, np = arrow_modules()
    known = (verdicts.state == _VALID)[codes]
    typed = [*verdicts.typed, None]  # the last slot is code -1's
    denominator = 1
    match fdef.type:
        case ir.BoolType():
            table = np.array([v is True for v in typed], bool)
        case ir.NumberType():
            fractions = [v if isinstance(v, Fraction) else Fraction(0) for v in typed]
            denominator = math.lcm(*(v.denominator for v in fractions))
            numerators = [v.numerator * (denominator // v.denominator) for v in fractions]
            if denominator < _LIMIT and all(-_LIMIT < x < _LIMIT for x in numerators):
                table = np.array(numerators, np.int64)
            else:
                table, denominator = np.empty(len(fractions), object), 1
                table[:] = fractions
        case ir.OrdinalType() | ir.EnumType():
            table = np.array([v.rank if isinstance(v, ir.Ordinal | ir.EnumValue) else 0 for v in typed], np.int8)
        case ir.DateType():
            table = np.array([v.toordinal() if isinstance(v, date) else 0 for v in typed], np.int64)
        case ir.TextType() | ir.PeriodType() | ir.RecordsType():
            table = np.empty(len(typed), object)
            table[:] = typed
    return Column(table[codes], known, denominator)


# --- records ----------------------------------------------------------------------------------------------------------


@dataclass
class Records:
    """One records table: the subject each row names, whether it is filed under it, which rows have problems."""

    fid: str
    columns: Columns
    plan: Plan
    owner: Array  # each row's index in ``names`` (-1: no subject id)
    names: list[str]  # the distinct subject ids the table names
    filed: Array = None  # the row is filed under its subject (not rejected on its own)
    problems: dict[str, Array] = field(default_factory=dict)  # record type → rows with a problem under it
    verdicts: dict[tuple[str, str], tuple[Verdicts, Array]] = field(default_factory=dict)  # (type, field) →
    from_named: Array = None  # a position among all named ids → among ``names`` (-1 at the end: none)
    _by_name: dict[str, list[int]] | None = None

    def rows_of(self, name: str) -> list[int]:
        """The rows naming ``name``, in table order."""
        if self._by_name is None:
            self._by_name = {}
            for row, owner in enumerate(self.owner.tolist()):
                if owner >= 0:
                    self._by_name.setdefault(self.names[owner], []).append(row)
        return self._by_name.get(name, [])


def read_records(reader: Reader, fid: str, columns: Columns) -> Records:
    pa, _, np = arrow_modules(columns.source)
    plan = records_plan(reader, fid, columns.header_probe(), reader.records_fields()[fid])
    index = plan.fixed.get("subject")
    texts = columns.texts(index) if index is not None else pa.nulls(len(columns), pa.string())
    encoded = encode(texts)
    names = cast(list[str], encoded.values)
    return Records(fid, columns, plan, encoded.codes.astype(np.int64), names)


def check_records(program: ir.Program, records: Records, kind_first: Mapping[str, str | None]) -> None:
    """File each row under its subject, and judge its cells for each record type of the kinds with the field."""
    _, _, np = arrow_modules(records.columns.source)
    owners = [kind_first.get(name, "") for name in records.names]  # "": no subject has the id

    def filed(kind: str | None) -> bool:
        return kind is None or (kind != "" and program.subjects[kind].field_def(records.fid) is not None)

    records.filed = np.array([filed(k) for k in owners] + [False], bool)[records.owner]
    shifted = np.zeros(len(records.columns), bool)
    if records.columns.rows is not None:
        shifted = np.array([records.columns.shifted(i) is not None for i in range(len(records.columns))], bool)
    record_types = dict.fromkeys(
        f.type.record
        for subject in program.subjects.values()
        if (f := subject.field_def(records.fid)) is not None and isinstance(f.type, ir.RecordsType)
    )
    for record_type in record_types:
        fields = program.records[record_type].fields
        problem = shifted.copy()
        effective: dict[str, Effective] = {}
        for g in fields:
            index = records.plan.fields.get(g.id)
            if index is None:
                verdicts, codes = _no_column(len(records.columns))
            else:
                encoded = records.columns.encoded(index)
                verdicts, codes = judge_cells(program, g, encoded.values), encoded.codes
            records.verdicts[record_type, g.id] = verdicts, codes
            if verdicts.bad:
                problem |= verdicts.rows(codes) >= CELL_ERROR
            effective[g.id] = effective_values(g, verdicts, codes)
        problem |= at_most_problems(fields, effective, len(records.columns))
        records.problems[record_type] = problem


def records_column(program: ir.Program, fdef: ir.FieldDef, records: Records, at: Array) -> Any:
    """The ``RecordsColumn`` of subjects with distinct ids, ``at`` giving each one's id among ``records.names``
    (-1: none): each subject's filed rows, in table order."""
    from xeploai.evaluation.runners.columnar_table import RecordsColumn

    _, _, np = arrow_modules(records.columns.source)
    assert isinstance(fdef.type, ir.RecordsType)
    size = len(at)
    position = np.full(len(records.names) + 1, -1, np.int64)
    position[at[at >= 0]] = np.flatnonzero(at >= 0)
    owner = np.where(records.filed, position[records.owner], -1)
    rows = np.flatnonzero(owner >= 0)
    rows = rows[np.argsort(owner[rows], kind="stable")]
    offsets = np.zeros(size + 1, np.int64)
    np.cumsum(np.bincount(owner[rows], minlength=size), out=offsets[1:])
    fields = {}
    for g in program.records[fdef.type.record].fields:
        verdicts, codes = records.verdicts[fdef.type.record, g.id]
        fields[g.id] = typed_column(g, verdicts, codes[rows])
    return RecordsColumn(offsets, np.ones(size, bool), fields)
