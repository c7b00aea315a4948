"""Typed evidence as columns, for the columnar runner: N subjects' evidence → one typed column per field.

Input: an ``ir.Program``, a subject kind and validated ``Evidence`` objects or typed arrays (read from Parquet, or
gathered from other kinds' results). Output: an ``EvidenceTable`` of ``Column``s and, for records fields and the
records of relations, ``RecordsColumn``s as CSR; row i's ``Evidence`` is given back on demand. numpy is imported here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, TypeAlias, assert_never

import numpy as np
import numpy.typing as npt

from xeploai.evaluation.evidence import Evidence
from xeploai.program import ir

Array: TypeAlias = npt.NDArray[Any]

# Products of two int64 operands are computed only when their bounds keep them below this; otherwise the
# expression falls back to Python Fractions, which are exact at any size.
LIMIT = 2**62
_EPOCH = date(1970, 1, 1).toordinal()  # the day ordinal of datetime64's zero


@dataclass(frozen=True, eq=False)
class Column:
    """One evidence field over N rows, or over all records of a records field.

    ``values`` by the field's type: ``bool`` for bool; int64 numerators over ``denominator`` for numbers (or an
    object array of ``Fraction`` when they do not fit); the rank for scale values (``Ordinal.rank``, best highest)
    and enum values (their position, least severe first); ``date.toordinal()`` for dates; objects for text and
    periods. ``known`` is False where the field is absent; ``default`` marks values that came from the field's
    default (their trace origin).
    """

    values: Array
    known: Array
    denominator: int = 1
    default: Array | None = None


@dataclass(frozen=True, eq=False)
class RecordsColumn:
    """A records field as CSR: row i's records are ``offsets[i]:offsets[i + 1]`` of every column in ``fields``.

    Evidence tables hold records of plain fields; the records of a relation (``evaluate_table``) may hold a
    records field of the related subjects, itself a ``RecordsColumn`` over the relation's records.
    """

    offsets: Array
    known: Array
    fields: Mapping[str, Column | RecordsColumn]
    default: Array | None = None


AnyColumn: TypeAlias = Column | RecordsColumn


class EvidenceTable:
    """Typed evidence of N subjects of one kind, one column per declared field.

    Build it with ``from_evidence`` (validated ``Evidence`` objects) or ``from_columns`` (typed arrays, for
    example read from Parquet), not directly: both normalise the columns as evaluation expects them (absent
    values zeroed, ranks in small integers). Row i's ``Evidence`` is given back by ``evidence(i)``.
    """

    def __init__(
        self,
        program: ir.Program,
        kind: str,
        size: int,
        columns: Mapping[str, AnyColumn],
        rows: Sequence[Evidence] | None = None,
    ) -> None:
        subject = _subject(program, kind)
        self.program = program
        self.kind = kind
        self.subject = subject
        self.size = size
        self.columns = dict(columns)
        self.rows = rows
        # Facts about the data, computed once: they keep evaluation free of full passes it does not need.
        self.complete: dict[str, bool] = {}
        self.bounds: dict[str, int] = {}
        self.parents: dict[str, Array] = {}
        self.longest: dict[str, int] = {}
        for f in subject.fields:
            col = self.columns.get(f.id)
            if col is None:
                raise ValueError(f"no column for the field '{f.id}' of '{kind}'")
            if len(col.known) != size:
                raise ValueError(f"the column '{f.id}' has {len(col.known)} rows, not {size}")
            self.complete[f.id] = bool(col.known.all())
            if isinstance(col, RecordsColumn):
                lengths = np.diff(col.offsets)
                self.parents[f.id] = np.repeat(np.arange(size, dtype=np.int64), lengths)
                self.longest[f.id] = int(lengths.max()) if size else 0
                for name, sub in col.fields.items():
                    if isinstance(sub, RecordsColumn):
                        raise NotImplementedError(f"records inside records ('{f.id}.{name}') are not columnar")
                    key = f"{f.id}.{name}"
                    self.complete[key] = bool(sub.known.all())
                    self.bounds[key] = magnitude_bound(sub)
            else:
                self.bounds[f.id] = magnitude_bound(col)

    def __len__(self) -> int:
        return self.size

    @classmethod
    def from_evidence(cls, program: ir.Program, kind: str, evidences: Sequence[Evidence]) -> EvidenceTable:
        """The table of validated evidence (see ``evidence.validate_evidence``), one row per subject."""
        subject = _subject(program, kind)
        columns: dict[str, AnyColumn] = {}
        for f in subject.fields:
            values = [ev.values.get(f.id) for ev in evidences]
            default = np.fromiter((ev.origins.get(f.id) == "default" for ev in evidences), bool, len(evidences))
            col = column_of(program, f.type, values)
            columns[f.id] = _with_default(col, default if default.any() else None)
        return cls(program, kind, len(evidences), columns, rows=evidences)

    @classmethod
    def from_columns(
        cls,
        program: ir.Program,
        kind: str,
        columns: Mapping[str, AnyColumn],
        *,
        size: int | None = None,
        defaults: bool = True,
    ) -> EvidenceTable:
        """The table of typed columns; a field without a column is absent in every row.

        With ``defaults``, an absent value of a field that declares a default takes it, as ``validate_evidence``
        does for an omitted key. Values are trusted to be valid for their declaration (ranges, ``at_most``); only
        shapes, types and scale ranks are checked.
        """
        subject = _subject(program, kind)
        unknown = sorted(set(columns) - {f.id for f in subject.fields})
        if unknown:
            raise ValueError(f"columns {unknown} are not fields of '{kind}'")
        if size is None:
            if not columns:
                raise ValueError("give the size of a table without columns")
            size = len(next(iter(columns.values())).known)
        normalised: dict[str, AnyColumn] = {}
        for f in subject.fields:
            given = columns.get(f.id)
            col = _normalise(program, f, given, size) if given is not None else _absent(program, f.type, size)
            if defaults and f.default is not None:
                col = _apply_default(program, f, col)
            normalised[f.id] = col
        return cls(program, kind, size, normalised)

    def take(self, rows: Array) -> EvidenceTable:
        """The table of the given rows (row numbers, in that order)."""
        rows = np.asarray(rows, np.int64)
        columns = {name: _take(col, rows) for name, col in self.columns.items()}
        kept = None if self.rows is None else [self.rows[int(i)] for i in rows]
        return EvidenceTable(self.program, self.kind, len(rows), columns, rows=kept)

    def value(self, name: str, i: int) -> ir.Value | None:
        """Row i's value of one field, as validated evidence holds it; None when absent."""
        if self.rows is not None:
            return self.rows[i].values.get(name)
        f = self.subject.field_def(name)
        col = self.columns.get(name)
        if f is None or col is None or not col.known[i]:
            return None
        return _python_value(self.program, f.type, col, i)

    def evidence(self, i: int) -> Evidence:
        """Row i's typed evidence, as ``validate_evidence`` would have given it."""
        if self.rows is not None:
            return self.rows[i]
        values: dict[str, ir.Value] = {}
        origins: dict[str, str] = {}
        for f in self.subject.fields:
            col = self.columns[f.id]
            if not col.known[i]:
                continue
            values[f.id] = _python_value(self.program, f.type, col, i)
            origins[f.id] = "default" if col.default is not None and col.default[i] else "evidence"
        return Evidence(values, origins)


def _subject(program: ir.Program, kind: str) -> ir.SubjectProgram:
    subject = program.subjects.get(kind)
    if subject is None:
        raise KeyError(f"the program declares no subject kind '{kind}'")
    return subject


def ranges(starts: Array, lengths: Array) -> Array:
    """The concatenation of ``range(starts[i], starts[i] + lengths[i])`` for every i, as one int64 array.

    >>> ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist()
    [5, 6, 9, 10, 11]
    """
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    shift = np.asarray(starts, np.int64) - (ends - lengths)
    return np.repeat(shift, lengths) + np.arange(total, dtype=np.int64)


def _take(col: AnyColumn, rows: Array) -> AnyColumn:
    """A column's values at the given rows."""
    default = None if col.default is None else col.default[rows]
    if isinstance(col, Column):
        return Column(col.values[rows], col.known[rows], col.denominator, default)
    lengths = np.diff(col.offsets)[rows]
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    picked = ranges(col.offsets[:-1][rows], lengths)
    fields = {name: _take(sub, picked) for name, sub in col.fields.items()}
    return RecordsColumn(offsets, col.known[rows], fields, default)


def magnitude_bound(col: Column) -> int:
    """An upper bound of the magnitude of a number column's numerators (0 for other columns)."""
    if col.values.dtype.kind != "i" or not len(col.values):
        return 0
    return int(max(abs(int(col.values.min())), abs(int(col.values.max()))))


def _with_default(col: AnyColumn, default: Array | None) -> AnyColumn:
    if isinstance(col, RecordsColumn):
        return RecordsColumn(col.offsets, col.known, col.fields, default)
    return Column(col.values, col.known, col.denominator, default)


def _rank_dtype(count: int) -> type[np.signedinteger[Any]]:
    return np.int8 if count <= 127 else np.int32


def _choices(program: ir.Program, ftype: ir.OrdinalType | ir.EnumType) -> tuple[str, ...]:
    """The ids of a scale (best first) or of an enum (least severe first)."""
    if isinstance(ftype, ir.OrdinalType):
        scale = program.scales.get(ftype.scale)
        if scale is None and ftype.scale == ir.LEVEL_SCALE:
            scale = program.levels
        if scale is None:
            raise KeyError(f"the program declares no scale '{ftype.scale}'")
        return tuple(v.id for v in scale.values)
    enum = program.enums.get(ftype.name)
    return tuple(v.id for v in enum.values) if enum is not None else ftype.values


def column_of(program: ir.Program, ftype: ir.ValueType, values: Sequence[ir.Value | None]) -> AnyColumn:
    """The column of typed values (IR runtime values, None where absent)."""
    n = len(values)
    known = np.fromiter((v is not None for v in values), bool, n)
    match ftype:
        case ir.BoolType():
            return Column(np.fromiter((v is True for v in values), bool, n), known)
        case ir.NumberType():
            return _number_column(values, known)
        case ir.OrdinalType() | ir.EnumType():
            dtype = _rank_dtype(len(_choices(program, ftype)))
            ranks = (v.rank if isinstance(v, ir.Ordinal | ir.EnumValue) else 0 for v in values)
            return Column(np.fromiter(ranks, dtype, n), known)
        case ir.DateType():
            days = (v.toordinal() if isinstance(v, date) else 0 for v in values)
            return Column(np.fromiter(days, np.int64, n), known)
        case ir.TextType() | ir.PeriodType():
            out = np.empty(n, object)
            out[:] = list(values)
            return Column(out, known)
        case ir.RecordsType(record=record_id):
            record_def = program.records[record_id]
            lengths = np.fromiter((len(v) if isinstance(v, tuple) else 0 for v in values), np.int64, n)
            offsets = np.zeros(n + 1, np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat = [r for v in values if isinstance(v, tuple) for r in v if isinstance(r, ir.Record)]
            fields: dict[str, Column] = {}
            for f in record_def.fields:
                if isinstance(f.type, ir.RecordsType):
                    raise NotImplementedError(f"records inside records ('{record_id}.{f.id}') are not columnar")
                sub = column_of(program, f.type, [r.values.get(f.id) for r in flat])
                assert isinstance(sub, Column)
                fields[f.id] = sub
            return RecordsColumn(offsets, known, fields)
        case _:
            assert_never(ftype)


def _number_column(values: Sequence[ir.Value | None], known: Array) -> Column:
    numbers = [v if isinstance(v, Fraction) else Fraction(0) for v in values]
    common = math.lcm(*{v.denominator for v in numbers}) if numbers else 1
    numerators = [v.numerator * (common // v.denominator) for v in numbers]
    if common < LIMIT and all(-LIMIT < x < LIMIT for x in numerators):
        return Column(np.array(numerators, np.int64), known, common)
    out = np.empty(len(values), object)
    out[:] = numbers
    return Column(out, known)


def _absent(program: ir.Program, ftype: ir.ValueType, size: int) -> AnyColumn:
    return column_of(program, ftype, [None] * size)


def _normalise(program: ir.Program, f: ir.FieldDef, col: AnyColumn, size: int) -> AnyColumn:
    """A given column checked against its field's declaration, with the values of absent rows zeroed."""
    known = np.asarray(col.known, bool)
    if known.shape != (size,):
        raise ValueError(f"the column '{f.id}' has shape {known.shape}; expected ({size},)")
    default = None if col.default is None else np.asarray(col.default, bool)
    if isinstance(f.type, ir.RecordsType):
        if not isinstance(col, RecordsColumn):
            raise ValueError(f"the field '{f.id}' is records: give a RecordsColumn")
        offsets = np.asarray(col.offsets, np.int64)
        if offsets.shape != (size + 1,) or offsets[0] != 0 or (np.diff(offsets) < 0).any():
            raise ValueError(f"the offsets of '{f.id}' must start at 0, rise, and have {size + 1} entries")
        if (np.diff(offsets)[~known] != 0).any():
            raise ValueError(f"rows where '{f.id}' is absent must have no records")
        record_def = program.records[f.type.record]
        total = int(offsets[-1])
        fields: dict[str, Column] = {}
        for g in record_def.fields:
            sub = col.fields.get(g.id)
            sub_col = _absent(program, g.type, total) if sub is None else _normalise(program, g, sub, total)
            if g.default is not None:
                sub_col = _apply_default(program, g, sub_col)
            assert isinstance(sub_col, Column)
            fields[g.id] = sub_col
        return RecordsColumn(offsets, known, fields, default)
    if isinstance(col, RecordsColumn):
        raise ValueError(f"the field '{f.id}' is {f.type}, not records")
    values = np.asarray(col.values)
    if values.shape != (size,):
        raise ValueError(f"the values of '{f.id}' have shape {values.shape}; expected ({size},)")
    denominator = 1
    match f.type:
        case ir.BoolType():
            values = values.astype(bool) & known
        case ir.NumberType():
            if values.dtype.kind in "iu":
                denominator = int(col.denominator)
                if denominator < 1:
                    raise ValueError(f"the denominator of '{f.id}' must be a positive integer")
                given = values[known]
                if (len(given) and (given.max() >= LIMIT or given.min() <= -LIMIT)) or denominator >= LIMIT:
                    values = np.array([Fraction(int(x), denominator) for x in values.tolist()], object)
                    return Column(_objects(values, known), known, 1, default)
                values = np.where(known, values, 0).astype(np.int64)
            elif values.dtype == object:
                return Column(_objects(values, known), known, 1, default)
            else:
                raise ValueError(f"the values of '{f.id}' must be integer numerators or Fractions, not {values.dtype}")
        case ir.OrdinalType() | ir.EnumType():
            count = len(_choices(program, f.type))
            values = np.where(known, values, 0).astype(_rank_dtype(count))
            if ((values < 0) | (values >= count)).any():
                raise ValueError(f"the ranks of '{f.id}' must be between 0 and {count - 1}")
        case ir.DateType():
            if values.dtype.kind == "M":  # datetime64, as Arrow dates convert
                values = values.astype("datetime64[D]").astype(np.int64) + _EPOCH
            values = np.where(known, values, 0).astype(np.int64)
        case ir.TextType() | ir.PeriodType():
            values = _objects(values, known)
        case ir.RecordsType():
            raise AssertionError("handled above")
        case _:
            assert_never(f.type)
    return Column(values, known, denominator, default)


def _objects(values: Array, known: Array) -> Array:
    """An object column with None where the value is absent."""
    out = values.astype(object)
    out[~known] = None
    return out


def _apply_default(program: ir.Program, f: ir.FieldDef, col: AnyColumn) -> AnyColumn:
    """Absent values take the field's default (and are marked as defaulted)."""
    missing = ~np.asarray(col.known, bool)
    if not missing.any() or f.default is None:
        return col
    default = missing if col.default is None else (col.default | missing)
    if isinstance(col, RecordsColumn):
        if f.default != ():
            raise NotImplementedError(f"a records default other than [] ('{f.id}') is not columnar")
        return RecordsColumn(col.offsets, np.ones_like(missing), col.fields, default)
    filled = column_of(program, f.type, [f.default])
    assert isinstance(filled, Column)
    values, denominator = col.values, col.denominator
    if values.dtype.kind == "i" and filled.values.dtype.kind == "i" and filled.denominator != denominator:
        common = math.lcm(denominator, filled.denominator)
        values = values * (common // denominator)
        filled = Column(filled.values * (common // filled.denominator), filled.known, common)
        denominator = common
    values = values.copy()
    values[missing] = f.default if values.dtype == object else filled.values[0]
    return Column(values, np.ones_like(missing), denominator, default)


def _python_value(program: ir.Program, ftype: ir.ValueType, col: AnyColumn, i: int) -> ir.Value:
    """The IR value at row i of a column (which must be known there)."""
    if isinstance(col, RecordsColumn):
        assert isinstance(ftype, ir.RecordsType)
        record_def = program.records[ftype.record]
        start, end = int(col.offsets[i]), int(col.offsets[i + 1])
        records = []
        for index, j in enumerate(range(start, end)):
            values = {
                g.id: _python_value(program, g.type, col.fields[g.id], j)
                for g in record_def.fields
                if col.fields[g.id].known[j]
            }
            records.append(ir.Record(values, index))
        return tuple(records)
    raw = col.values[i]
    match ftype:
        case ir.BoolType():
            return bool(raw)
        case ir.NumberType():
            return raw if isinstance(raw, Fraction) else Fraction(int(raw), col.denominator)
        case ir.OrdinalType():
            ids = _choices(program, ftype)
            rank = int(raw)
            return ir.Ordinal(rank, ftype.scale, ids[len(ids) - 1 - rank])
        case ir.EnumType():
            ids = _choices(program, ftype)
            return ir.EnumValue(ids[int(raw)], int(raw), ftype.name)
        case ir.DateType():
            return date.fromordinal(int(raw))
        case ir.TextType() | ir.PeriodType():
            assert isinstance(raw, str | ir.Period)
            return raw
        case ir.RecordsType():
            raise AssertionError("records are a RecordsColumn")
        case _:
            assert_never(ftype)
