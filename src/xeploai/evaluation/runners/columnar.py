"""The columnar runner: program × a table of typed evidence for N subjects → level and condition columns.

Input: an ``ir.Program``, a subject kind, an ``EvidenceTable``, the period and, for a collective kind, the records
of its related subjects (one CSR ``RecordsColumn`` per relation, as ``xeploai.evaluation.bulk`` builds them). Output: a
``ColumnarResult``: status, level and decision codes per row, and one three-valued truth column (0 not met,
1 unknown, 2 met) per rule, cap, note and level; any row of an individual kind has its full trace rebuilt on demand
by the interpreter from the row's evidence, so it is the interpreter's trace. numpy is imported here only.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, TypeAlias, assert_never

import numpy as np
import numpy.typing as npt

from xeploai.evaluation.evidence import Evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Decision, Outcome, Result, Status, TraceNode, Truth
from xeploai.program import ir

Array: TypeAlias = npt.NDArray[Any]
# A column, or one scalar standing for every row (constants stay scalars until something needs a column).
Vec: TypeAlias = Any

NOT_MET, UNKNOWN, MET = 0, 1, 2
TRUTHS: tuple[Truth, ...] = (Truth.NOT_MET, Truth.UNKNOWN, Truth.MET)  # indexed by truth code
STATUSES: tuple[Status, ...] = (Status.CLASSIFIED, Status.NOT_CLASSIFIED, Status.INSUFFICIENT_EVIDENCE)
DECISIONS: tuple[Decision, ...] = tuple(Decision)
NO_LEVEL = -1
_EPOCH = date(1970, 1, 1).toordinal()  # the day ordinal of datetime64's zero

# Products of two int64 operands are computed only when their bounds keep them below this; otherwise the
# expression falls back to Python Fractions, which are exact at any size.
LIMIT = 2**62

_CLASSIFIED, _NOT_CLASSIFIED, _INSUFFICIENT = range(3)
_D = {d: i for i, d in enumerate(DECISIONS)}

_OPS: dict[ir.CompareOp, Callable[[Any, Any], Any]] = {
    ir.CompareOp.EQ: operator.eq,
    ir.CompareOp.NE: operator.ne,
    ir.CompareOp.LT: operator.lt,
    ir.CompareOp.LE: operator.le,
    ir.CompareOp.GT: operator.gt,
    ir.CompareOp.GE: operator.ge,
}


# --- the table --------------------------------------------------------------------------------------------------


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
                    self.bounds[key] = _bound(sub)
            else:
                self.bounds[f.id] = _bound(col)

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


def _bound(col: Column) -> int:
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


# --- values during evaluation --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Ord:
    """Integers that compare like the IR values: scale and enum ranks, day ordinals, or truth codes of booleans."""

    v: Vec
    known: Array | None  # None: known in every row


@dataclass(slots=True)
class _Rat:
    """Exact rationals: ``num / den`` with ``den`` > 0, one denominator for the column or one per row.

    ``nmax`` and ``dmax`` bound the magnitudes, so overflow is ruled out before any product is computed.
    """

    num: Vec
    den: Vec
    known: Array | None
    nmax: int
    dmax: int


@dataclass(slots=True)
class _Obj:
    """Python values, one per row (text, periods, Fractions too large for int64); None where unknown."""

    v: Vec
    known: Array | None


_Val: TypeAlias = _Ord | _Rat | _Obj


def _is_col(x: Vec) -> bool:
    return isinstance(x, np.ndarray)


def _both(a: Array | None, b: Array | None) -> Array | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _mul(x: Vec, y: Vec) -> Vec:
    if not _is_col(y) and y == 1:
        return x
    if not _is_col(x) and x == 1:
        return y
    return x * y


def _codes(cmp: Vec, known: Array | None) -> Vec:
    """Truth codes of a fresh two-valued result (reused in place) whose operands may be unknown.

    Branch-free: np.where is slow on unpredictable masks, and fresh memory costs more than arithmetic.
    """
    if not _is_col(cmp):
        if known is None:
            return MET if cmp else NOT_MET
        cmp = known.copy() if cmp else np.zeros_like(known)
    elif known is not None:
        cmp &= known
    r: Array = cmp.view(np.int8)
    r += r
    if known is not None:
        r += 1
        r -= known.view(np.int8)
    return r


def _full(x: Vec, n: int, dtype: Any = np.int8) -> Array:
    return x if _is_col(x) else np.full(n, x, dtype)


def _blend(cond: Array, a: Vec, b: Vec, dtype: Any) -> Array:
    """``np.where(cond, a, b)`` by bit operations, several times faster on unpredictable masks."""
    mask = cond.astype(dtype)
    np.negative(mask, out=mask)
    bv = np.asarray(b, dtype)
    mask &= np.asarray(a, dtype) ^ bv
    mask ^= bv
    return mask


def _gather(value: _Val, parent: Array) -> _Val:
    """A subject-level value repeated for each record of a records field."""

    def pick(x: Vec) -> Vec:
        return x[parent] if _is_col(x) else x

    known = None if value.known is None else value.known[parent]
    match value:
        case _Ord(v=v):
            return _Ord(pick(v), known)
        case _Rat(num=num, den=den, nmax=nmax, dmax=dmax):
            return _Rat(pick(num), pick(den), known, nmax, dmax)
        case _Obj(v=v):
            return _Obj(pick(v), known)
        case _:
            assert_never(value)


def _const(value: ir.Value) -> _Val:
    match value:
        case bool():
            return _Ord(MET if value else NOT_MET, None)
        case Fraction():
            return _rat_of(value)
        case ir.Ordinal(rank=rank) | ir.EnumValue(rank=rank):
            return _Ord(rank, None)
        case date():
            return _Ord(value.toordinal(), None)
        case str() | ir.Period():
            return _Obj(value, None)
        case tuple():
            raise NotImplementedError("records constants are not columnar")
        case _:
            assert_never(value)


def _rat_of(value: Fraction, known: Array | None = None) -> _Val:
    if abs(value.numerator) >= LIMIT or value.denominator >= LIMIT:
        return _Obj(value, known)
    return _Rat(value.numerator, value.denominator, known, abs(value.numerator), value.denominator)


def _python(value: _Val, n: int) -> Vec:
    """A value as Python objects (an object array, or one object), None where unknown."""
    match value:
        case _Rat(num=num, den=den, known=known):
            if known is None and not _is_col(num) and not _is_col(den):
                return Fraction(int(num), int(den))
            nums = np.broadcast_to(num, n).tolist()
            dens = np.broadcast_to(den, n).tolist()
            oks = [True] * n if known is None else known.tolist()
            out = np.empty(n, object)
            out[:] = [Fraction(a, b) if ok else None for a, b, ok in zip(nums, dens, oks, strict=True)]
            return out
        case _Ord(v=v, known=known) | _Obj(v=v, known=known):
            if known is None and not _is_col(v):
                return int(v) if isinstance(v, np.integer) else v
            values = v.tolist() if _is_col(v) and v.dtype != object else list(np.broadcast_to(v, n))
            oks = [True] * n if known is None else known.tolist()
            out = np.empty(n, object)
            out[:] = [x if ok else None for x, ok in zip(values, oks, strict=True)]
            return out
        case _:
            assert_never(value)


def _rows(x: Vec) -> Iterable[Any]:
    return x if _is_col(x) else itertools.repeat(x)


def _pairwise(fn: Callable[[Any, Any], Any], a: Vec, b: Vec, n: int, dtype: Any = bool) -> Vec:
    """``fn`` row by row over Python values; rows where either side is None give None (or False for bool)."""
    if not _is_col(a) and not _is_col(b):
        return None if a is None or b is None else fn(a, b)
    empty = False if dtype is bool else None
    results = (empty if x is None or y is None else fn(x, y) for x, y in zip(_rows(a), _rows(b), strict=False))
    if dtype is bool:
        return np.fromiter(results, bool, n)
    out = np.empty(n, object)
    out[:] = list(results)
    return out


def _known_of(values: Vec, n: int) -> Array | None:
    if not _is_col(values):
        return None if values is not None else np.zeros(n, bool)
    known = np.fromiter((x is not None for x in values), bool, n)
    return None if known.all() else known


def _same(a: Vec, b: Vec) -> bool:
    return not _is_col(a) and not _is_col(b) and a == b


def _rat_sides(a: _Rat, b: _Rat) -> tuple[Vec, Vec] | None:
    """Numerators scaled to a common denominator, or None when that could overflow."""
    if _same(a.den, b.den):
        return a.num, b.num
    if a.nmax * b.dmax >= LIMIT or b.nmax * a.dmax >= LIMIT:
        return None
    return _mul(a.num, b.den), _mul(b.num, a.den)


def _compare(op: ir.CompareOp, a: _Val, b: _Val, n: int) -> tuple[Vec, Array | None]:
    """Two-valued comparison of two values, and where both are known."""
    known = _both(a.known, b.known)
    fn = _OPS[op]
    if isinstance(a, _Ord) and isinstance(b, _Ord):
        return fn(a.v, b.v), known
    if isinstance(a, _Rat) and isinstance(b, _Rat):
        sides = _rat_sides(a, b)
        if sides is not None:
            return fn(*sides), known
    return _pairwise(fn, _python(a, n), _python(b, n), n), known


# --- arithmetic -----------------------------------------------------------------------------------------------------


def _arith(op: ir.ArithOp, a: _Val, b: _Val, n: int) -> _Val:
    if isinstance(a, _Rat) and isinstance(b, _Rat):
        if a.known is None and b.known is None and not any(map(_is_col, (a.num, a.den, b.num, b.den))):
            # Constants fold exactly, so 0.7 * 10 is 7 before any column sees it.
            left, right = Fraction(int(a.num), int(a.den)), Fraction(int(b.num), int(b.den))
            if op is ir.ArithOp.DIV and right == 0:
                return _Rat(0, 1, np.zeros(n, bool), 0, 1)
            return _rat_of(_fraction_op(op, left, right))
        done = _rat_arith(op, a, b, n)
        if done is not None:
            return done
    known = _both(a.known, b.known)
    result = _pairwise(lambda x, y: _python_op(op, x, y), _python(a, n), _python(b, n), n, object)
    if op is ir.ArithOp.DIV:
        known = _both(known, _known_of(result, n))
    return _Obj(result, known)


def _fraction_op(op: ir.ArithOp, x: Fraction, y: Fraction) -> Fraction:
    match op:
        case ir.ArithOp.ADD:
            return x + y
        case ir.ArithOp.SUB:
            return x - y
        case ir.ArithOp.MUL:
            return x * y
        case ir.ArithOp.DIV:
            return x / y
        case _:
            assert_never(op)


def _python_op(op: ir.ArithOp, x: Fraction, y: Fraction) -> Fraction | None:
    if op is ir.ArithOp.DIV and y == 0:
        return None  # the interpreter's "division by zero": unknown
    return _fraction_op(op, x, y)


def _rat_arith(op: ir.ArithOp, a: _Rat, b: _Rat, n: int) -> _Val | None:
    """Vectorised exact arithmetic, or None when the bounds do not rule out an overflow."""
    known = _both(a.known, b.known)
    match op:
        case ir.ArithOp.ADD | ir.ArithOp.SUB:
            sign = 1 if op is ir.ArithOp.ADD else -1
            if not _is_col(a.den) and not _is_col(b.den):
                common = math.lcm(int(a.den), int(b.den))
                fa, fb = common // int(a.den), common // int(b.den)
                nmax = a.nmax * fa + b.nmax * fb
                if nmax >= LIMIT or common >= LIMIT:
                    return None
                num = _mul(a.num, fa) + sign * _mul(b.num, fb)
                return _Rat(num, common, known, nmax, common)
            nmax, dmax = a.nmax * b.dmax + b.nmax * a.dmax, a.dmax * b.dmax
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            num = _mul(a.num, b.den) + sign * _mul(b.num, a.den)
            return _Rat(num, _mul(a.den, b.den), known, nmax, dmax)
        case ir.ArithOp.MUL:
            a, b = (b, a) if _is_col(a.num) and not _is_col(b.num) else (a, b)
            num_a, den_b = a.num, b.den
            if not _is_col(num_a) and not _is_col(den_b):
                # A constant factor p/q times x/d: cancel gcd(p, d) first so denominators stay small.
                g = math.gcd(int(num_a), int(den_b)) or 1
                num_a, den_b = int(num_a) // g, int(den_b) // g
            nmax, dmax = a.nmax * b.nmax, a.dmax * b.dmax
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            return _Rat(_mul(num_a, b.num), _mul(a.den, den_b), known, nmax, dmax)
        case ir.ArithOp.DIV:
            if not _is_col(b.num) and not _is_col(b.den):
                if b.num == 0:
                    return _Rat(0, 1, np.zeros(n, bool), 0, 1)
                inverse = _rat_of(Fraction(int(b.den), int(b.num)), b.known)
                return _rat_arith(ir.ArithOp.MUL, a, inverse, n) if isinstance(inverse, _Rat) else None
            nmax, dmax = a.nmax * b.dmax, a.dmax * max(b.nmax, 1)
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            zero = np.broadcast_to(b.num == 0, (n,))
            signs = np.where(b.num < 0, -1, 1)
            num = _mul(_mul(a.num, b.den), signs)
            den = np.where(zero, 1, _mul(a.den, np.abs(b.num)))
            known = _both(known, ~zero) if zero.any() else known
            return _Rat(np.where(zero, 0, num), den, known, nmax, dmax)
        case _:
            assert_never(op)


def _extremum(fn: str, values: list[_Val], n: int) -> _Val:
    known: Array | None = None
    for v in values:
        known = _both(known, v.known)
    if all(isinstance(v, _Ord) for v in values):
        pick = np.minimum if fn == "min" else np.maximum
        first = values[0]
        assert isinstance(first, _Ord)
        out: Vec = first.v
        for v in values[1:]:
            assert isinstance(v, _Ord)
            out = pick(out, v.v)
        return _Ord(out, known)
    if all(isinstance(v, _Rat) for v in values):
        best = values[0]
        assert isinstance(best, _Rat)
        for v in values[1:]:
            assert isinstance(v, _Rat)
            sides = _rat_sides(best, v)
            if sides is None:
                break
            keep = sides[0] <= sides[1] if fn == "min" else sides[0] >= sides[1]
            best = _Rat(
                np.where(keep, best.num, v.num) if _is_col(keep) else (best.num if keep else v.num),
                np.where(keep, best.den, v.den) if _is_col(keep) else (best.den if keep else v.den),
                known,
                max(best.nmax, v.nmax),
                max(best.dmax, v.dmax),
            )
        else:
            return best
    pick_py: Callable[[Any, Any], Any] = min if fn == "min" else max
    out_py = _python(values[0], n)
    for v in values[1:]:
        out_py = _pairwise(pick_py, out_py, _python(v, n), n, object)
    return _Obj(out_py, known)


# --- the evaluator ----------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    """Where expressions are evaluated: the subjects, or the records of a records field (of the subjects, or of
    the records of an enclosing frame, as a related subject's disciplinary decisions)."""

    size: int
    parent: Array | None = None  # the row of the enclosing frame of each record
    root: Array | None = None  # the subject row of each record
    outer: int = 0  # the number of rows of the enclosing frame
    records: RecordsColumn | None = None
    source: str = ""  # the path of the records field: "discipline", "members.discipline"
    values: dict[ir.Expr, _Val] = field(default_factory=dict)
    truths: dict[ir.Expr, Vec] = field(default_factory=dict)


class _Run:
    def __init__(
        self,
        table: EvidenceTable,
        period: ir.Period,
        memo: bool = True,
        relations: Mapping[str, RecordsColumn] | None = None,
        record: bool = False,
    ) -> None:
        self.table = table
        self.program = table.program
        self.subject = table.subject
        self.period = period
        self.n = len(table)
        self.top = _Frame(self.n)
        self.frames: dict[str, _Frame] = {}
        self.rules: dict[str, Vec] = {}
        self.active: set[str] = set()
        self.relations = dict(relations or {})
        self.columns: dict[str, AnyColumn] = {**table.columns, **self.relations}
        # Facts about the data (see ``EvidenceTable``), for record fields of relations computed when first needed.
        self.facts_complete: dict[str, bool] = dict(table.complete)
        self.facts_bounds: dict[str, int] = dict(table.bounds)
        self.facts_longest: dict[str, int] = dict(table.longest)
        # Sub-expressions that occur more than once are evaluated once; others are not kept, so that their memory is
        # reused at once. A reference cycle turns this off (see ``evaluate_table``).
        self.shared = _shared(self.subject) if memo else set()
        self.cycle = False
        # With ``record``: the truth codes of every condition evaluated for the subjects, by node, and the rows where
        # a condition over records, or a record field it read, was unknown (see ``condition_codes``).
        self.recorded: dict[int, Vec] | None = {} if record else None
        self.unclean: Array | None = np.zeros(self.n, bool) if record else None

    # --- facts ---------------------------------------------------------------------------------------------------

    def complete(self, key: str, col: AnyColumn) -> bool:
        found = self.facts_complete.get(key)
        if found is None:
            found = self.facts_complete[key] = bool(np.asarray(col.known).all())
        return found

    def bound(self, key: str, col: Column) -> int:
        found = self.facts_bounds.get(key)
        if found is None:
            found = self.facts_bounds[key] = _bound(col)
        return found

    def longest(self, key: str, col: RecordsColumn) -> int:
        found = self.facts_longest.get(key)
        if found is None:
            lengths = np.diff(col.offsets)
            found = self.facts_longest[key] = int(lengths.max()) if len(lengths) else 0
        return found

    # --- evidence ----------------------------------------------------------------------------------------------

    def column(self, col: Column, ftype: ir.ValueType, key: str, frame: _Frame) -> _Val:
        known = None if self.complete(key, col) else col.known
        if known is not None and frame.root is not None and self.unclean is not None:
            # A record field read where it is missing: the trace names the record, row by row.
            self.unclean[frame.root[~known]] = True
        match ftype:
            case ir.BoolType():
                codes = col.values.view(np.int8)
                codes = codes + codes
                if known is not None:
                    codes += 1
                    codes -= known.view(np.int8)
                return _Ord(codes, known)
            case ir.NumberType():
                if col.values.dtype == object:
                    return _Obj(col.values, known)
                return _Rat(col.values, col.denominator, known, self.bound(key, col), col.denominator)
            case ir.OrdinalType() | ir.EnumType() | ir.DateType():
                return _Ord(col.values, known)
            case ir.TextType() | ir.PeriodType():
                return _Obj(col.values, known)
            case ir.RecordsType():
                raise TypeError(f"the records field '{key}' is not a value")  # the checker rejects this
            case _:
                assert_never(ftype)

    def records(self, source: ir.FieldRef | ir.RecordFieldRef, frame: _Frame) -> tuple[RecordsColumn, _Frame] | None:
        """The records a records call reads, and the frame of their rows; None when there is no record under
        consideration (a record field named outside ``count``/``exists``: unknown, as in the interpreter)."""
        col: AnyColumn
        if isinstance(source, ir.FieldRef):
            key = source.name
            col = self.columns[key]
            outer = self.top
        else:
            if frame.records is None:
                return None
            key = f"{frame.source}.{source.name}"
            col = frame.records.fields[source.name]
            outer = frame
        assert isinstance(col, RecordsColumn)
        found = self.frames.get(key)
        if found is None:
            parent = self.table.parents.get(key) if outer is self.top else None
            if parent is None:
                parent = np.repeat(np.arange(outer.size, dtype=np.int64), np.diff(col.offsets))
            root = parent if outer.root is None else outer.root[parent]
            found = _Frame(len(parent), parent, root, outer.size, col, key)
            self.frames[key] = found
        return col, found

    # --- values ------------------------------------------------------------------------------------------------

    def value(self, expr: ir.Expr, frame: _Frame) -> _Val:
        if isinstance(expr, ir.Const):
            return _const(expr.value)
        if id(expr) not in self.shared:
            return self._value(expr, frame)
        cached = frame.values.get(expr)
        if cached is None:
            cached = self._value(expr, frame)
            frame.values[expr] = cached
        return cached

    def _value(self, expr: ir.Expr, frame: _Frame) -> _Val:
        n = frame.size
        match expr:
            case ir.Const(value=constant):
                return _const(constant)
            case ir.FieldRef(name=name, type=ftype):
                if frame.root is not None:
                    return _gather(self.value(expr, self.top), frame.root)
                col = self.columns[name]
                assert isinstance(col, Column)
                return self.column(col, ftype, name, frame)
            case ir.RecordFieldRef(name=name, type=ftype):
                if frame.records is None:
                    return _Ord(UNKNOWN, np.zeros(n, bool))  # no record under consideration: unknown
                sub = frame.records.fields[name]
                assert isinstance(sub, Column)
                return self.column(sub, ftype, f"{frame.source}.{name}", frame)
            case ir.PeriodRef():
                return _Obj(self.period, None)
            case ir.Arith(op=op, left=left, right=right):
                return _arith(op, self.value(left, frame), self.value(right, frame), n)
            case ir.Neg(operand=operand):
                inner = self.value(operand, frame)
                match inner:
                    case _Rat(num=num, den=den, known=known, nmax=nmax, dmax=dmax):
                        return _Rat(-num, den, known, nmax, dmax)
                    case _Obj(v=v, known=known):
                        return _Obj(_pairwise(lambda x, _: -x, v, v, n, object), known)
                    case _:
                        return inner
            case ir.Count(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    return _gather(self.value(expr, self.top), frame.root)
                return self.count(source, where, frame)
            case ir.Share(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    return _gather(self.value(expr, self.top), frame.root)
                counted = self.count(source, where, frame)
                found = self.records(source, frame)
                if found is None:
                    return counted  # unknown in every row
                col, child = found
                lengths = np.diff(col.offsets)
                empty = lengths == 0
                known = _both(counted.known, ~empty if empty.any() else None)
                longest = max(self.longest(child.source, col), 1)
                return _Rat(counted.num, np.maximum(lengths, 1), known, longest, longest)
            case ir.LevelOf(source=source):
                if frame.root is not None:
                    return _gather(self.value(expr, self.top), frame.root)
                return self.level_of(source)
            case ir.Extremum(fn=fn, args=args):
                return _extremum(fn, [self.value(a, frame) for a in args], n)
            case (
                ir.RuleRef()
                | ir.Compare()
                | ir.And()
                | ir.Or()
                | ir.Not()
                | ir.Member()
                | ir.InPeriod()
                | ir.Exists()
                | ir.Known()
            ):
                codes = self.truth(expr, frame)
                if _is_col(codes):
                    unknown = codes == UNKNOWN
                    return _Ord(codes, ~unknown if unknown.any() else None)
                return _Ord(codes, None if codes != UNKNOWN else np.zeros(n, bool))
            case _:
                assert_never(expr)

    def count(self, source: ir.FieldRef | ir.RecordFieldRef, where: ir.Expr | None, frame: _Frame) -> _Rat:
        found = self.records(source, frame)
        if found is None:
            return _Rat(0, 1, np.zeros(frame.size, bool), 0, 1)
        col, child = found
        known = None if self.complete(child.source, col) else col.known
        longest = self.longest(child.source, col)
        if where is None:
            return _Rat(np.diff(col.offsets), 1, known, longest, 1)
        codes = self.truth(where, child)
        met = self.segment_count(codes == MET, child)
        unknown = self.segment_any(codes == UNKNOWN, child)
        if unknown is not None:
            known = _both(known, ~unknown)
        return _Rat(met, 1, known, longest, 1)

    def level_of(self, source: ir.FieldRef) -> _Ord:
        """The lowest level of the related records; unknown when there is none, or one is unknown."""
        found = self.records(source, self.top)
        assert found is not None
        col, child = found
        level = col.fields["level"]
        assert isinstance(level, Column)
        lengths = np.diff(col.offsets)
        known = lengths > 0
        if not self.complete(child.source, col):
            known &= col.known
        if not self.complete(f"{child.source}.level", level):
            unknown = self.segment_any(~level.known, child)
            if unknown is not None:
                known &= ~unknown
        out = np.zeros(self.n, level.values.dtype)
        rows = np.flatnonzero(lengths > 0)
        if len(rows):
            out[rows] = np.minimum.reduceat(level.values, col.offsets[:-1][rows])
        return _Ord(out, None if known.all() else known)

    def segment_count(self, mask: Vec, frame: _Frame) -> Array:
        assert frame.records is not None and frame.parent is not None
        if not _is_col(mask):
            return np.diff(frame.records.offsets) if mask else np.zeros(frame.outer, np.int64)
        return np.bincount(frame.parent[mask], minlength=frame.outer)

    def segment_any(self, mask: Vec, frame: _Frame) -> Array | None:
        """Rows of the enclosing frame with a record where ``mask`` holds; None when there is none at all."""
        assert frame.records is not None and frame.parent is not None
        if not _is_col(mask):
            return np.diff(frame.records.offsets) > 0 if mask else None
        hits = frame.parent[mask]
        if not len(hits):
            return None
        out = np.zeros(frame.outer, bool)
        out[hits] = True
        return out

    # --- truth -------------------------------------------------------------------------------------------------

    def truth(self, expr: ir.Expr, frame: _Frame) -> Vec:
        """The truth codes of a condition in a frame: an int8 column, or one code for every row."""
        if id(expr) not in self.shared:
            codes = self._truth(expr, frame)
        else:
            codes = frame.truths.get(expr)
            if codes is None:
                codes = self._truth(expr, frame)
                frame.truths[expr] = codes
        if self.recorded is not None:
            self.note(expr, frame, codes)
        return codes

    def note(self, expr: ir.Expr, frame: _Frame, codes: Vec) -> None:
        assert self.recorded is not None and self.unclean is not None
        if frame.root is None:
            if id(expr) not in self.recorded:
                self.recorded[id(expr)] = codes.copy() if _is_col(codes) else codes
        elif _is_col(codes):
            self.unclean[frame.root[codes == UNKNOWN]] = True
        elif codes == UNKNOWN:
            self.unclean[frame.root] = True

    def _truth(self, expr: ir.Expr, frame: _Frame) -> Vec:
        n = frame.size
        match expr:
            case ir.RuleRef(name=name):
                codes = self.rule(name)
                return codes[frame.root] if frame.root is not None and _is_col(codes) else codes
            case ir.And(operands=operands):
                return _kleene_all([self.truth(o, frame) for o in operands])
            case ir.Or(operands=operands):
                return _kleene_any([self.truth(o, frame) for o in operands])
            case ir.Not(operand=operand):
                return 2 - self.truth(operand, frame)
            case ir.Compare(ops=ops, operands=operands):
                values = [self.value(o, frame) for o in operands]
                pairs = zip(ops, values, values[1:], strict=False)
                return _kleene_all([_codes(*_compare(op, left, right, n)) for op, left, right in pairs])
            case ir.Member(item=item, options=options, negated=negated):
                value = self.value(item, frame)
                known = value.known
                hit: Vec = False
                for option in options:
                    cmp, both = _compare(ir.CompareOp.EQ, value, self.value(option, frame), n)
                    known = _both(known, both)
                    hit = hit | cmp
                return _codes(hit ^ negated if _is_col(hit) else bool(hit) != negated, known)
            case ir.InPeriod(item=item, negated=negated):
                value = self.value(item, frame)
                assert isinstance(value, _Ord)
                start, end = self.period.start.toordinal(), self.period.end.toordinal()
                inside = (value.v >= start) & (value.v <= end)
                return _codes(inside ^ negated if _is_col(inside) else bool(inside) != negated, value.known)
            case ir.Exists(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    codes = self.truth(expr, self.top)
                    return codes[frame.root] if _is_col(codes) else codes
                found = self.records(source, frame)
                if found is None:
                    return UNKNOWN
                col, child = found
                codes = self.truth(where, child)
                met = self.segment_any(codes == MET, child)
                unknown = self.segment_any(codes == UNKNOWN, child)
                out = np.zeros(n, np.int8)
                if met is not None:
                    out += met.view(np.int8)
                    out += met.view(np.int8)
                if unknown is not None:
                    out += (unknown & ~met if met is not None else unknown).view(np.int8)
                if not self.complete(child.source, col):
                    out += (~col.known).view(np.int8)  # rows without the field have no records: 0 becomes 1
                return out
            case ir.Known(ref=ref):
                if frame.root is not None:
                    codes = self.truth(expr, self.top)
                    return codes[frame.root] if _is_col(codes) else codes
                field_col = self.columns[ref.name]
                if self.complete(ref.name, field_col):
                    return MET
                known = field_col.known.view(np.int8)
                return known + known
            case ir.Const() | ir.FieldRef() | ir.RecordFieldRef():
                value = self.value(expr, frame)
                if isinstance(expr.type, ir.BoolType):
                    assert isinstance(value, _Ord)
                    return value.v
                return _codes(False, value.known)  # not a boolean: never "is True"
            case ir.PeriodRef() | ir.Arith() | ir.Neg() | ir.Count() | ir.Extremum() | ir.Share() | ir.LevelOf():
                raise TypeError(f"not a condition: {expr!r}")  # the checker rejects these
            case _:
                assert_never(expr)

    def rule(self, name: str) -> Vec:
        cached = self.rules.get(name)
        if cached is not None:
            return cached
        if name in self.active:  # the checker rejects cycles; as the interpreter, a cycle is unknown
            self.cycle = True
            return UNKNOWN
        self.active.add(name)
        codes = self.truth(self.subject.rules[name].expr, self.top)
        self.active.discard(name)
        self.rules[name] = codes
        return codes


def _shared(subject: ir.SubjectProgram) -> set[int]:
    """The ids of the expression nodes that occur more than once (structurally) in a subject's conditions."""
    seen: dict[ir.Expr, list[int]] = {}

    def visit(expr: ir.Expr) -> None:
        if isinstance(expr, ir.Const):
            return
        ids = seen.setdefault(expr, [])
        ids.append(id(expr))
        if len(ids) == 1:
            for child in _children(expr):
                visit(child)

    for expr in subject.expressions():
        visit(expr)
    return {i for ids in seen.values() if len(ids) > 1 for i in ids}


def subexpressions(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    """The direct sub-expressions of an expression (a records call's source and predicate included)."""
    return _children(expr)


def _children(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    """``ir.children``, except that ``known(field)`` reads the field's presence, not its value: no sub-expression."""
    return () if isinstance(expr, ir.Known) else ir.children(expr)


def _kleene_all(codes: Sequence[Vec]) -> Vec:
    """Kleene "and": the least code (not met < unknown < met); met when there is nothing to hold."""
    return _fold(np.minimum, min, MET, NOT_MET, codes)


def _kleene_any(codes: Sequence[Vec]) -> Vec:
    """Kleene "or": the greatest code; not met when there is nothing."""
    return _fold(np.maximum, max, NOT_MET, MET, codes)


def _fold(ufunc: np.ufunc, pick: Callable[[int, int], int], identity: int, absorbing: int, codes: Sequence[Vec]) -> Vec:
    """Scalars folded first, then columns, in place after the first (no fresh array per operand)."""
    scalar = identity
    columns = []
    for c in codes:
        if _is_col(c):
            columns.append(c)
        else:
            scalar = pick(scalar, int(c))
    if scalar == absorbing or not columns:
        return scalar
    out: Array = columns[0] if scalar == identity else ufunc(columns[0], scalar)
    owned = scalar != identity
    for c in columns[1:]:
        if owned:
            ufunc(out, c, out=out)
        else:
            out, owned = ufunc(out, c), True
    return out


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

        A collective's trace needs its related subjects as records: ``xeploai.evaluation.bulk`` rebuilds it
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
    run = _Run(table, period, relations=given)
    result = _evaluate(run)
    if run.cycle:
        # A value computed inside a cycle must not stand in for the same expression evaluated later.
        result = _evaluate(_Run(table, period, memo=False, relations=given))
    return result


def condition_codes(
    table: EvidenceTable, period: ir.Period, relations: Mapping[str, RecordsColumn] | None = None
) -> tuple[Array, Array, list[int]]:
    """The truth code of every condition evaluated for the subjects, one column per condition node (an
    ``(N, conditions)`` int8 array, in order of first evaluation), the rows where a condition over one of their
    records, or a record field it read, was unknown, and the ``id`` of each column's expression node.

    Two rows with the same codes and the same known fields have traces that differ only in their values: the same
    nodes are unknown and the same fields missing (``evaluation.bulk`` computes one-line reasons from this). Records
    are the exception, since the trace names the record (``discipline[2].form``): those rows are flagged.
    """
    given = _check_relations(table.subject, len(table), relations)
    run = _Run(table, period, relations=given, record=True)
    _evaluate(run)
    if run.cycle:
        run = _Run(table, period, memo=False, relations=given, record=True)
        _evaluate(run)
    assert run.recorded is not None and run.unclean is not None
    n = len(table)
    out = np.empty((n, len(run.recorded)), np.int8)
    for j, codes in enumerate(run.recorded.values()):
        out[:, j] = codes
    return out, run.unclean, list(run.recorded)


def _evaluate(run: _Run) -> ColumnarResult:
    table, period = run.table, run.period
    subject, n = table.subject, len(table)
    # The interpreter's order of evaluation, so that even a (checker-rejected) cycle comes out the same.
    eligibility = [_full(run.rule(r), n) for r in subject.not_classified]
    triggers = [_full(run.rule(r), n) for r in subject.not_completed]
    level_truths: list[tuple[int, Array]] = []
    levels: dict[str, Array] = {}
    for requirement in subject.levels:
        codes = _kleene_all([run.rule(r) for r in requirement.rules])
        levels[requirement.level] = _full(codes, n)
        level_truths.append((table.program.levels.rank(requirement.level), levels[requirement.level]))
    caps: dict[str, Array] = {}
    cap_bounds: dict[str, Array] = {}
    cap_parts: list[tuple[Array, Vec, Array | None]] = []
    for cap in subject.caps:
        when = run.truth(cap.when, run.top)
        bound = run.value(cap.at_most, run.top)
        if not isinstance(bound, _Ord):
            raise NotImplementedError(f"the bound of cap '{cap.id}' is not a level")
        caps[cap.id] = _full(when, n)
        ranks = _full(bound.v, n, np.int8).astype(np.int8)
        cap_bounds[cap.id] = ranks if bound.known is None else _blend(bound.known, ranks, NO_LEVEL, np.int8)
        cap_parts.append((caps[cap.id], bound.v, bound.known))
    notes = {note.id: _full(run.truth(note.when, run.top), n) for note in subject.notes}
    for name in subject.rules:
        run.rule(name)
    rules = {name: _full(run.rules[name], n) for name in subject.rules}

    e = _any(eligibility, n)
    k = _any(triggers, n)
    status, decision, level, before, possible = _outcomes(table.program, e, k, level_truths, cap_parts)
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
        if _is_col(bound):
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
                update = _blend(known, update, _fill_down(res, bits), w)
            res = _blend(applies, update, res, w)
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
