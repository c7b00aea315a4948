"""Population folders at national scale: Parquet (or CSV) tables → ``bulk_input.BulkInput``, checked column by column.

Input: a population directory as ``tables.read_population`` reads it (units, subjects, one table per records field,
decisions; each a ``.parquet`` or a ``.csv`` file) and a compiled program. Output: a ``BulkInput`` — one
``KindColumns`` of typed evidence per subject kind, and every row that cannot be used as the very ``Rejection``
the table reader gives for it (same source, row, column, value, reason, in the same order). Needs pyarrow and
numpy (the ``parquet`` and ``columnar`` extras); they are imported when a folder is read, never by this module.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from xeploai.evaluation import evidence
from xeploai.evaluation.population import Rejection, Unit
from xeploai.program import ir
from xeploai.tables import population_tables as tables
from xeploai.tables.population_tables import TableError

if TYPE_CHECKING:
    from xeploai.evaluation.bulk_input import BulkInput, KindColumns

__all__ = ["read_bulk"]

Array = Any  # numpy and Arrow arrays: neither is imported when this module is
Rows = slice | Any  # a kind's rows: a slice when they are contiguous (views, no copies), else an index array

# What one distinct cell is for one field declaration.
_BLANK, _VALID, _CELL_ERROR, _INVALID = 0, 1, 2, 3
# Python's whitespace within ASCII, which str.strip removes (Arrow's trim functions use another set).
_ASCII_SPACE: Final = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_ASCII_STRIP: Final = rf"^{_ASCII_SPACE}+|{_ASCII_SPACE}+$"
_ASCII_EDGE: Final = rf"^{_ASCII_SPACE}|{_ASCII_SPACE}$"
_LIMIT: Final = 2**62  # as in the columnar runner: numbers beyond it stay Fractions
_PAIR_TABLE: Final = 1 << 22  # pairs of distinct cells judged through a lookup table up to this many
_INT_RANGE: Final = 1 << 16  # integer columns spanning at most this many values are coded by offset


def _modules(source: str = "<columns>") -> tuple[Any, Any, Any]:
    """``pyarrow``, ``pyarrow.compute`` and ``numpy``, or a ``TableError`` naming the extras that install them."""
    try:
        import numpy as np
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
    except ImportError as error:
        hint = f"{tables.PARQUET_HINT} and pip install 'xeploai[columnar]'"
        raise TableError(source, f"reading a population as columns needs pyarrow and numpy: {hint}") from error
    return pa, pc, np


# --- Arrow arrays as numpy codes ---------------------------------------------------------------------------------


@dataclass
class _Encoded:
    """A column as its distinct cells (Python values, as the table reader sees them) and a code per row (-1: null).

    A value may appear more than once among ``values`` (one dictionary per Parquet row group); each is judged alone.
    """

    values: list[object]
    codes: Array
    arrow: Any = None  # the distinct cells as an Arrow array, when they come from dictionaries


def _chunks(array: Any) -> list[Any]:
    pa, _, _ = _modules()
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def _valid(chunk: Any) -> Array:
    """A chunk's validity as a numpy bool array, from its bitmap."""
    _, _, np = _modules()
    if chunk.null_count == 0:
        return np.ones(len(chunk), bool)
    if chunk.buffers()[0] is None:  # a null type, or a type without a bitmap
        return ~chunk.is_null().to_numpy(zero_copy_only=False)
    raw = np.frombuffer(chunk.buffers()[0], np.uint8)
    return np.unpackbits(raw, bitorder="little")[chunk.offset : chunk.offset + len(chunk)].view(bool)


def _fixed_width(chunk: Any) -> Array:
    """A fixed-width chunk's values as numpy, without a copy (nulls hold whatever the buffer holds)."""
    _, _, np = _modules()
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    return np.frombuffer(chunk.buffers()[1], dtype, len(chunk), chunk.offset * dtype.itemsize)


def _bits(chunk: Any) -> Array:
    """A boolean chunk's values as a numpy bool array."""
    _, _, np = _modules()
    raw = np.frombuffer(chunk.buffers()[1], np.uint8)
    return np.unpackbits(raw, bitorder="little")[chunk.offset : chunk.offset + len(chunk)].view(bool)


def _encode(array: Any) -> _Encoded:
    """The distinct cells of a column and each row's code, from Arrow buffers where the type allows."""
    pa, pc, np = _modules()
    chunks = _chunks(array)
    kind = array.type
    if pa.types.is_null(kind):
        return _Encoded([], np.full(len(array), -1, np.int32))
    if pa.types.is_boolean(kind):
        codes = np.full(len(array), -1, np.int32)
        at = 0
        for chunk in chunks:
            if chunk.null_count < len(chunk):  # an all-null chunk (another kind's rows) keeps its -1
                part = codes[at : at + len(chunk)]
                part[:] = _bits(chunk)
                if chunk.null_count:
                    part[~_valid(chunk)] = -1
            at += len(chunk)
        return _Encoded([False, True], codes)
    if pa.types.is_integer(kind):
        given = [c for c in chunks if c.null_count < len(c)]
        if not given:
            return _Encoded([], np.full(len(array), -1, np.int32))
        info = np.iinfo(np.dtype(kind.to_pandas_dtype()))
        low = min(int(_fixed_width(c).min(initial=info.max, where=_valid(c))) for c in given)
        high = max(int(_fixed_width(c).max(initial=info.min, where=_valid(c))) for c in given)
        if high - low < _INT_RANGE:
            codes = np.full(len(array), -1, np.int32)
            at = 0
            for chunk in chunks:
                if chunk.null_count < len(chunk):
                    part = codes[at : at + len(chunk)]
                    numbers = _fixed_width(chunk)  # the difference fits: int64 for signed, the type for unsigned
                    wide = np.int64 if numbers.dtype.kind == "i" else numbers.dtype
                    np.subtract(numbers, numbers.dtype.type(low), out=part, dtype=wide, casting="unsafe")
                    if chunk.null_count:
                        part[~_valid(chunk)] = -1
                at += len(chunk)
            return _Encoded(list(range(low, high + 1)), codes)
    if not pa.types.is_dictionary(kind):
        try:
            chunks = _chunks(pc.dictionary_encode(array))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):  # lists, structs: row by row
            cells = array.to_pylist()
            codes = np.arange(len(cells), dtype=np.int32)
            codes[array.is_null().to_numpy(zero_copy_only=False)] = -1
            return _Encoded(cells, codes)
    values: list[object] = []
    dictionaries: list[Any] = []
    codes = np.full(sum(len(c) for c in chunks), -1, np.int32)
    at, offset, last = 0, 0, None
    for chunk in chunks:
        if chunk.null_count == len(chunk):
            at += len(chunk)
            continue
        if last is None or not _same(chunk.dictionary, last):
            offset = len(values)
            values.extend(chunk.dictionary.to_pylist())
            dictionaries.append(chunk.dictionary)
            last = chunk.dictionary
        indices = chunk.indices
        part = codes[at : at + len(chunk)]
        part[:] = _fixed_width(indices)
        if offset:
            part += offset
        if indices.null_count:
            part[~_valid(indices)] = -1
        at += len(chunk)
    arrow = pa.concat_arrays(dictionaries) if dictionaries else None
    return _Encoded(values, codes, arrow)


def _same(a: Any, b: Any) -> bool:
    """Whether two dictionaries are one (``dictionary_encode`` shares one among chunks) or equal."""
    if len(a) != len(b):
        return False
    if [x.address if x is not None else 0 for x in a.buffers()] == [
        x.address if x is not None else 0 for x in b.buffers()
    ]:
        return bool(a.offset == b.offset)
    return bool(a.equals(b))


def _flags(np: Any, values: Sequence[object], test: Callable[[object], bool], null: bool) -> Array:
    """``test`` of each distinct value, then ``null`` for code -1 (the last entry, which code -1 picks)."""
    return np.array([test(v) for v in values] + [null], bool)


# --- tables as columns --------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    """One table as Arrow arrays, one per header column, rows aligned. Blank rows are dropped as the table reader
    drops them; ``numbers`` keeps the row number of each row that is left."""

    source: str
    header: tuple[str, ...]
    arrays: list[Any]
    numbers: Array
    empty: bool = False
    rows: tuple[tuple[int, tuple[object, ...]], ...] | None = None  # a CSV table's rows as read
    _encoded: dict[int, _Encoded] = field(default_factory=dict)
    _texts: dict[tuple[int, bool], Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def probe(self) -> tables._Table:
        """The table without rows, for the reader's functions that only read its source and header."""
        return tables._Table(self.source, self.header, (), self.empty)

    def cells(self, i: int) -> tuple[object, ...]:
        """Row i's cells as the table reader reads them."""
        if self.rows is not None:
            return self.rows[i][1]
        return tuple(array[i].as_py() for array in self.arrays)

    def shifted(self, i: int) -> Rejection | None:
        """A CSV row with values beyond the header (a Parquet row cannot have any)."""
        if self.rows is None:
            return None
        number, cells = self.rows[i]
        return tables._shifted(self.probe, number, cells)

    def encoded(self, index: int) -> _Encoded:
        found = self._encoded.get(index)
        if found is None:
            found = self._encoded[index] = _encode(self.arrays[index])
        return found

    def texts(self, index: int, name: bool = False) -> Any:
        """The column's cells as ids (``tables._ident``) or names (``tables._name``): an Arrow string array, null
        where blank."""
        found = self._texts.get((index, name))
        if found is None:
            found = self._texts[index, name] = _texts(self.arrays[index], tables._name if name else tables._ident)
        return found

    def blank(self, index: int) -> Array:
        """Where the column's cell is blank (null, or text of spaces only)."""
        pa, _, np = _modules()
        array = self.arrays[index]
        if pa.types.is_dictionary(array.type):
            encoded = self.encoded(index)
            return _flags(np, encoded.values, tables._blank, True)[encoded.codes]
        if _is_text(pa, array):
            return self.texts(index).is_null().to_numpy(zero_copy_only=False)
        return array.is_null().to_numpy(zero_copy_only=False)

    def header_probe(self) -> tables._Table:
        """A stand-in for the table where the header checks ask only whether there are rows at all, and whether a
        column without a header holds a value: no row, or one row saying exactly that."""
        if not len(self):
            return self.probe
        cells = tuple(
            "x" if not tables._fold(h) and not self.blank(i).all() else None for i, h in enumerate(self.header)
        )
        return tables._Table(self.source, self.header, ((0, cells),), self.empty)


def _is_text(pa: Any, array: Any) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def _read_columns(folder: tables._Folder, name: str, plain: frozenset[str]) -> _Columns:
    """Read one table of the folder. Text columns whose folded header is in ``plain`` (ids, names: mostly
    distinct) stay as they are; the others are dictionary-encoded, so that each distinct cell is checked once."""
    pa, pc, np = _modules(folder.display)
    path, source = folder.files[name], folder.source(name)
    if path.suffix.casefold() != ".parquet":
        return _from_table(tables._read_csv(path, source))
    pq = tables._pyarrow_parquet(source)
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise TableError(source, f"cannot be read as a Parquet file ({error})") from error
    header = tuple(str(n) for n in table.column_names)
    if not header:
        return _Columns(source, (), [], np.zeros(0, np.int64), empty=True)
    arrays = []
    for i, h in enumerate(header):
        column = _plain_view(pa, table.column(i))
        if _is_text(pa, column) and tables._fold(h) not in plain:
            column = pc.dictionary_encode(column)
        arrays.append(column)
    del table
    columns = _Columns(source, header, arrays, np.arange(2, len(arrays[0]) + 2, dtype=np.int64))
    blank = np.ones(len(columns), bool)
    for i in range(len(header)):
        blank &= columns.blank(i)
        if not blank.any():
            return columns
    keep = pa.array(np.flatnonzero(~blank))
    return _Columns(source, header, [a.take(keep) for a in arrays], columns.numbers[~blank])


def _plain_view(pa: Any, column: Any) -> Any:
    if pa.types.is_string_view(column.type):
        return column.cast(pa.string())
    return column


def _from_table(table: tables._Table) -> _Columns:
    """A table read by the CSV reader, as columns of its cells (text)."""
    pa, _, np = _modules(table.source)
    arrays = [
        pa.array([tables._cell(cells, i) for _, cells in table.rows], pa.string()) for i in range(len(table.header))
    ]
    numbers = np.array([number for number, _ in table.rows], np.int64)
    return _Columns(table.source, table.header, arrays, numbers, empty=table.empty, rows=table.rows)


def _texts(array: Any, read: Callable[[object], str | None]) -> Any:
    """Each cell as ``read`` gives it (NFC and stripped for text; null where blank), as an Arrow string array.

    ``tables._ident`` and ``tables._name`` agree on text cells, which the fast path handles: text that is all ASCII
    (NFC leaves it alone) has Python's whitespace stripped by a regular expression.
    """
    pa, pc, np = _modules()
    if _is_text(pa, array) and pc.all(pc.string_is_ascii(array), skip_nulls=True).as_py() is not False:
        text = array.cast(pa.string())
        if pc.any(pc.match_substring_regex(text, _ASCII_EDGE)).as_py():
            text = pc.replace_substring_regex(text, _ASCII_STRIP, "")
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    encoded = _encode(array)
    values = pa.array([read(v) for v in encoded.values] + [None], pa.string())
    return values.take(pa.array(np.where(encoded.codes < 0, len(encoded.values), encoded.codes)))


def _first_rows(texts: Any) -> Array:
    """For each row, the row where its text first occurs (itself when it is the first; -1 where null)."""
    pa, pc, np = _modules()
    n = len(texts)
    first = np.full(n, -1, np.int64)
    valid = n - texts.null_count
    if not valid:
        return first
    order = pc.sort_indices(texts).to_numpy()[:valid]  # a stable sort, nulls last
    ordered = texts.take(pa.array(order))
    same = pc.equal(ordered.slice(1), ordered.slice(0, valid - 1)).to_numpy(zero_copy_only=False).astype(bool)
    if not same.any():
        first[order] = order
        return first
    starts = np.concatenate([[True], ~same])
    first[order] = order[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    return first


def _positions(values: Any, among: Sequence[str]) -> Array:
    """Each value's position in ``among`` (-1 when absent or null)."""
    pa, pc, np = _modules()
    if not among or not len(values):
        return np.full(len(values), -1, np.int64)
    found = pc.index_in(values, value_set=pa.array(among, pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _at(rows: Rows, mask: Array) -> Array:
    """The table rows where ``mask`` (over ``rows``) holds."""
    _, _, np = _modules()
    return rows.start + np.flatnonzero(mask) if isinstance(rows, slice) else rows[mask]


def _rows(np: Any, where: Array) -> Rows:
    """The rows where ``where`` holds, as a slice when they are contiguous."""
    found = np.flatnonzero(where)
    if len(found) and found[-1] - found[0] + 1 == len(found):
        return slice(int(found[0]), int(found[-1]) + 1)
    return found


def _size(rows: Rows) -> int:
    return rows.stop - rows.start if isinstance(rows, slice) else len(rows)


# --- verdicts of distinct cells -----------------------------------------------------------------------------------


@dataclass
class _Verdicts:
    """What each distinct cell of a column is for one field declaration, and its typed value when valid."""

    state: Array  # _BLANK, _VALID, _CELL_ERROR or _INVALID per distinct cell, then _BLANK for code -1
    typed: list[ir.Value | None]

    @property
    def bad(self) -> bool:
        return bool((self.state >= _CELL_ERROR).any())

    def rows(self, codes: Array) -> Array:
        """The state of each row, by its code (-1: blank)."""
        return self.state[codes]


def _verdicts(program: ir.Program, fdef: ir.FieldDef, cells: Sequence[object]) -> _Verdicts:
    """Each distinct cell through the table reader's coercion and the evidence stage's conversion, as a row's cell
    goes through them: the same accepted spellings, ranges and types, decided once per distinct cell."""
    _, _, np = _modules()
    state = np.zeros(len(cells) + 1, np.int8)
    typed: list[ir.Value | None] = [None] * len(cells)
    path = (fdef.id,)
    for i, cell in enumerate(cells):
        if tables._blank(cell):
            continue
        try:
            raw = tables._coerce(fdef, cell)
        except tables._CellError:
            state[i] = _CELL_ERROR
            continue
        context = evidence._Context(program, {})
        value = evidence._convert(context, fdef, raw, path, path)
        if context.issues or value is None:
            state[i] = _INVALID
        else:
            state[i], typed[i] = _VALID, value
    return _Verdicts(state, typed)


def _no_column(size: int) -> tuple[_Verdicts, Array]:
    _, _, np = _modules()
    return _Verdicts(np.zeros(1, np.int8), []), np.full(size, -1, np.int32)


_Effective = tuple[list[object], Array]  # value slots, and each row's slot


def _effective(fdef: ir.FieldDef, verdicts: _Verdicts, codes: Array) -> _Effective:
    """Each row's value after defaults, as the evidence stage compares ``at_most`` fields: the distinct cells'
    values, then the default (a blank cell, or one the reader could not read: its key is left out), then unknown
    (a cell that failed validation: its key was given, so the default does not apply)."""
    _, _, np = _modules()
    n = len(verdicts.typed)
    states = verdicts.state.tolist()
    slots: list[object] = [v if s == _VALID else None for v, s in zip(verdicts.typed, states, strict=False)]
    slots += [fdef.default, None]
    slot_of = np.array([i if s == _VALID else n + 1 if s == _INVALID else n for i, s in enumerate(states)], np.int32)
    return slots, slot_of[codes]


def _exceeding(mine: _Effective, theirs: _Effective) -> Array:
    """Rows whose first value exceeds the second (``evidence._exceeds``), judged once per distinct pair."""
    _, _, np = _modules()
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


def _at_most_problems(fields: Sequence[ir.FieldDef], effective: Mapping[str, _Effective], size: int) -> Array:
    """Rows where a field exceeds the field it is declared ``at_most``, defaults included."""
    _, _, np = _modules()
    found = np.zeros(size, bool)
    declared = {f.id: f for f in fields}

    def side(fdef: ir.FieldDef) -> _Effective | None:
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


def _compared(fields: Sequence[ir.FieldDef]) -> set[str]:
    """The fields an ``at_most`` declaration compares (on either side)."""
    return {f.id for f in fields if f.at_most_field} | {f.at_most_field for f in fields if f.at_most_field}


# --- typed columns ------------------------------------------------------------------------------------------------


def _column(fdef: ir.FieldDef, verdicts: _Verdicts, codes: Array) -> Any:
    """The runner's ``Column`` of a field over the rows with these codes; absent values are left for
    ``EvidenceTable.from_columns`` to default, as ``validate_evidence`` defaults an omitted key."""
    from xeploai.evaluation.runners.columnar_table import Column

    _, _, np = _modules()
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


# --- units ------------------------------------------------------------------------------------------------------------


class _UnitEntries(Mapping[str, tables._Entry]):
    """Unit id → an entry giving its row, for the table reader's checks (which ask ``in``, and ``where()``)."""

    def __init__(self, source: str, rows: Mapping[str, int]) -> None:
        self._source = source
        self._rows = rows

    def __getitem__(self, key: str) -> tables._Entry:
        return tables._Entry(self._source, self._rows[key], {}, {})

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@dataclass
class _UnitsRead:
    """The units table as the table reader checks it: the kept units by id, every unit by id, the heads the rows
    name, and, once the subject ids are known, the units themselves (a head that is no subject is dropped)."""

    kept: Mapping[str, tables._Entry]
    every: Mapping[str, tables._Entry]
    heads: list[str]
    finish: Callable[[tables._Reader, Any], tuple[Unit, ...]]


def _read_units(files: tables._Folder, reader: tables._Reader) -> _UnitsRead:
    """A clean Parquet units table checked column-wise; any problem, or a CSV table, goes the table reader's way."""
    fast = _clean_units(files) if files.files["units"].suffix.casefold() == ".parquet" else None
    if fast is not None:
        notes, kept, units, heads = fast
        reader.out.extend(notes)

        def finish(reader: tables._Reader, subject_ids: Any) -> tuple[Unit, ...]:
            if all(h in subject_ids for h in heads):
                return units
            entries, _ = tables._fixed_entries(files.read("units"), tables.UNIT_COLUMNS, [])
            return reader.units(reader.check_units(entries), entries, subject_ids)

        return _UnitsRead(kept, kept, heads, finish)
    table = files.read("units")
    entries, plan = tables._fixed_entries(table, tables.UNIT_COLUMNS, reader.out)
    reader.out.extend(tables._check_table(table, "units", tables.UNIT_COLUMNS, ("id", "kind"), plan))
    kept_entries = reader.check_units(entries)
    return _UnitsRead(
        kept_entries,
        tables._all_units(entries),
        [head for e in entries if (head := e.text("head")) is not None],
        lambda reader, subject_ids: reader.units(kept_entries, entries, subject_ids),
    )


def _clean_units(files: tables._Folder) -> tuple[list[Rejection], _UnitEntries, tuple[Unit, ...], list[str]] | None:
    """The units, when no row has a problem: ids present and distinct, kinds present, parents among the units,
    no cycle. None otherwise (the table reader then checks them row by row, with its messages)."""
    pa, _, np = _modules(files.display)
    plain = frozenset(tables._fold(a) for key in ("id", "name", "head") for a in tables.UNIT_COLUMNS[key])
    columns = _read_columns(files, "units", plain)
    notes: list[Rejection] = []
    probe = columns.header_probe()
    plan = tables._plan(probe, tables.UNIT_COLUMNS, tables._Names(), notes)
    notes.extend(tables._check_table(probe, "units", tables.UNIT_COLUMNS, ("id", "kind"), plan))
    if "id" not in plan.fixed or "kind" not in plan.fixed or not len(columns):
        return None
    n = len(columns)
    nulls = pa.nulls(n, pa.string())

    def texts(key: str, name: bool = False) -> Any:
        return columns.texts(plan.fixed[key], name) if key in plan.fixed else nulls

    ids, kinds, parents = texts("id"), texts("kind"), texts("parent")
    if ids.null_count or kinds.null_count or (_first_rows(ids) != np.arange(n)).any():
        return None
    id_list: list[str] = ids.to_pylist()
    parent = _positions(parents, id_list)
    if (parent[~parents.is_null().to_numpy(zero_copy_only=False)] < 0).any():
        return None
    jump = parent.copy()
    for _ in range(max(1, n.bit_length()) + 1):  # an ancestor 2^k levels up; a cycle never reaches the top
        jump = np.where(jump >= 0, jump[jump], -1)
    if (jump >= 0).any():
        return None
    numbers = columns.numbers.tolist()
    heads = texts("head").to_pylist()
    units = tuple(
        Unit(i, p, k, name or "", h, number, columns.source)
        for i, p, k, name, h, number in zip(
            id_list,
            parents.to_pylist(),
            kinds.to_pylist(),
            texts("name", True).to_pylist(),
            heads,
            numbers,
            strict=True,
        )
    )
    return notes, _UnitEntries(columns.source, dict(zip(id_list, numbers, strict=True))), units, [h for h in heads if h]


# --- the views of all subject ids the table reader's checks take ----------------------------------------------------


class _Ids:
    """Every row's subject id (rejected rows' included), as the table reader's checks use a set of them: the ids
    it will ask about are looked up in one pass; iterating (for a did-you-mean hint) lists them all."""

    def __init__(self, texts: Any, asked: Sequence[str]) -> None:
        pa, pc, _ = _modules()
        self._texts = texts
        self._asked = set(asked)
        wanted = pa.array(sorted(self._asked), pa.string())
        self._found = set(texts.filter(pc.is_in(texts, value_set=wanted)).to_pylist()) if self._asked else set()
        self._all: list[str] | None = None

    def __contains__(self, item: object) -> bool:
        if item in self._asked:
            return item in self._found
        return item in self._every()

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def _every(self) -> list[str]:
        if self._all is None:
            self._all = list(dict.fromkeys(t for t in self._texts.to_pylist() if t is not None))
        return self._all


class _KindOf(Mapping[str, str | None]):
    """Subject id → the kind of its first row, known for the ids the records tables name; iterating lists all."""

    def __init__(self, known: Mapping[str, str | None], ids: _Ids) -> None:
        self._known = known
        self._ids = ids

    def __getitem__(self, key: str) -> str | None:
        return self._known[key]

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


# --- records ----------------------------------------------------------------------------------------------------------


@dataclass
class _Records:
    """One records table: the subject each row names, whether it is filed under it, which rows have problems."""

    fid: str
    columns: _Columns
    plan: tables._Plan
    owner: Array  # each row's index in ``names`` (-1: no subject id)
    names: list[str]  # the distinct subject ids the table names
    filed: Array = None  # the row is filed under its subject (not rejected on its own)
    problems: dict[str, Array] = field(default_factory=dict)  # record type → rows with a problem under it
    verdicts: dict[tuple[str, str], tuple[_Verdicts, Array]] = field(default_factory=dict)  # (type, field) →
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


def _read_records(reader: tables._Reader, fid: str, columns: _Columns) -> _Records:
    pa, _, np = _modules(columns.source)
    plan = tables._records_plan(reader, fid, columns.header_probe(), reader.records_fields()[fid])
    index = plan.fixed.get("subject")
    texts = columns.texts(index) if index is not None else pa.nulls(len(columns), pa.string())
    encoded = _encode(texts)
    names = cast(list[str], encoded.values)
    return _Records(fid, columns, plan, encoded.codes.astype(np.int64), names)


def _check_records(program: ir.Program, records: _Records, kind_first: Mapping[str, str | None]) -> None:
    """File each row under its subject, and judge its cells for each record type of the kinds with the field."""
    _, _, np = _modules(records.columns.source)
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
        effective: dict[str, _Effective] = {}
        for g in fields:
            index = records.plan.fields.get(g.id)
            if index is None:
                verdicts, codes = _no_column(len(records.columns))
            else:
                encoded = records.columns.encoded(index)
                verdicts, codes = _verdicts(program, g, encoded.values), encoded.codes
            records.verdicts[record_type, g.id] = verdicts, codes
            if verdicts.bad:
                problem |= verdicts.rows(codes) >= _CELL_ERROR
            effective[g.id] = _effective(g, verdicts, codes)
        problem |= _at_most_problems(fields, effective, len(records.columns))
        records.problems[record_type] = problem


def _records_column(program: ir.Program, fdef: ir.FieldDef, records: _Records, at: Array) -> Any:
    """The ``RecordsColumn`` of subjects with distinct ids, ``at`` giving each one's id among ``records.names``
    (-1: none): each subject's filed rows, in table order."""
    from xeploai.evaluation.runners.columnar_table import RecordsColumn

    _, _, np = _modules(records.columns.source)
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
        fields[g.id] = _column(g, verdicts, codes[rows])
    return RecordsColumn(offsets, np.ones(size, bool), fields)


# --- the reader ------------------------------------------------------------------------------------------------------


READ_STAGES = 9  # the stages ``read_bulk`` reports progress after

Progress = Callable[[int, int], None]


@dataclass
class _Clock:
    """The stages of a read: their seconds into ``timings``, and ``progress(done, total)`` after each of them."""

    timings: MutableMapping[str, float] | None
    progress: Progress | None = None
    total: int = 0
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.started
        self.started = now
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


@dataclass
class _RowCheck:
    """The table reader's own checks of one subject row, for the rows the column checks found a problem in."""

    reader: tables._Reader
    subjects: _Columns
    plan: tables._Plan
    units: _UnitsRead
    records: Mapping[str, _Records]
    kind_first: Mapping[str, str | None]

    def reject(self, i: int, first_number: int | None) -> bool:
        """Check row i (``first_number``: the row where its id first occurs, when it is a duplicate), adding its
        rejections to the reader's; whether the row is rejected."""
        subjects, plan, program = self.subjects, self.plan, self.reader.program
        cells = subjects.cells(i)
        values = {key: tables._cell(cells, index) for key, index in plan.fixed.items()}
        columns = {key: subjects.header[index] for key, index in plan.fixed.items()}
        entry = tables._SubjectEntry(subjects.source, int(subjects.numbers[i]), values, columns, cells=cells)
        shifted = subjects.shifted(i)
        if shifted is not None:
            entry.problems.append(shifted)
        subject_id = entry.text("id")
        seen: dict[str, tables._Entry] = {}
        if first_number is not None and subject_id is not None:
            seen[subject_id] = tables._Entry(subjects.source, first_number, {}, {})
        kind = self.reader.identity(entry, seen, self.units.kept, self.units.every)
        if kind is not None:
            index = tables._RecordIndex()
            if subject_id is not None and subject_id in self.kind_first:
                owner = {subject_id: self.kind_first[subject_id]}
                for fid, records in self.records.items():
                    probe, record_plan = records.columns.probe, records.plan
                    for r in records.rows_of(subject_id):
                        number, record_cells = int(records.columns.numbers[r]), records.columns.cells(r)
                        tables._index_record(program, index, owner, fid, probe, record_plan, number, record_cells)
            tables_of = {fid: records.columns.probe for fid, records in self.records.items()}
            tables._table_evidence(program, entry, kind, subjects.probe, plan, tables_of, index)
        # The column checks are never laxer than the reader's; were they stricter, the row would still be used.
        return self.reader.finish(entry, kind) is None


def _kinds(reader: tables._Reader, subjects: _Columns, plan: tables._Plan) -> tuple[Array, list[str]]:
    """Each row's kind as a position in the program's kinds (-1: missing or unknown), and those kinds."""
    _, _, np = _modules(subjects.source)
    names = list(reader.program.subjects)
    if "kind" not in plan.fixed:
        return np.full(len(subjects), -1, np.int8), names
    encoded = subjects.encoded(plan.fixed["kind"])
    found = [reader.kind_of(tables._Entry(subjects.source, None, {"kind": cell}, {})) for cell in encoded.values]
    lookup = np.array([names.index(k) if k is not None else -1 for k in found] + [-1], np.int16)
    return lookup[encoded.codes], names


def read_bulk(
    folder: str | os.PathLike[str],
    program: ir.Program,
    *,
    timings: MutableMapping[str, float] | None = None,
    progress: Progress | None = None,
) -> BulkInput:
    """Read a population directory for ``program`` into typed columns, one ``KindColumns`` per subject kind.

    The checks are the table reader's, made once per distinct cell and column instead of once per row: the
    rejections equal ``tables.read_population``'s for the same folder (in the same order), and each kind's rows and
    typed evidence equal what ``validate_evidence`` makes of the subjects it reads. Rows with a problem go through
    the table reader's own checks, so their rejections are its rejections. Raises ``TableError`` when the folder
    cannot be read. ``timings``, when given, receives the seconds spent per stage; ``progress(done, total)`` is
    called after each of the ``READ_STAGES`` stages (reading the tables, who each row is, the evidence, the records,
    the rejections, the columns, the decisions).
    """
    from xeploai.evaluation.bulk_input import BulkInput

    display = os.fspath(folder)
    pa, _, np = _modules(display)
    if not Path(folder).is_dir():
        raise TableError(display, "expected a directory holding the units and subjects tables (.parquet or .csv)")
    clock = _Clock(timings, progress, READ_STAGES)
    files = tables._folder(Path(folder), program)
    reader = tables._Reader(program, list(files.notes))
    records_fields = reader.records_fields()
    plain = frozenset(
        tables._fold(alias)
        for aliases in (tables.SUBJECT_COLUMNS["id"], tables.SUBJECT_COLUMNS["name"], tables.RECORD_COLUMNS["subject"])
        for alias in aliases
    )
    record_columns: dict[str, _Columns] = {}
    for fid in records_fields:
        if fid in files.files:
            columns = _read_columns(files, fid, plain)
            if columns.empty:
                reader.out.append(tables._note(columns.source, None, tables._empty_records_note(fid)))
            else:
                record_columns[fid] = columns
    units_read = _read_units(files, reader)
    clock.lap("units")
    subjects = _read_columns(files, "subjects", plain)
    clock.lap("reading")

    # The header, and who each row is.
    n = len(subjects)
    probe = subjects.header_probe()
    skip = tables._records_skipped(records_fields)
    plan = tables._plan(probe, tables.SUBJECT_COLUMNS, reader.evidence_names(), reader.out, skip)
    reader.out.extend(tables._check_table(probe, "subjects", tables.SUBJECT_COLUMNS, ("id", "unit", "kind"), plan))
    ids = subjects.texts(plan.fixed["id"]) if "id" in plan.fixed else pa.nulls(n, pa.string())
    first = _first_rows(ids)
    missing_id = ids.is_null().to_numpy(zero_copy_only=False)
    duplicate = ~missing_id & (first != np.arange(n))
    if "unit" in plan.fixed:
        unit_cells = subjects.encoded(plan.fixed["unit"])
        if unit_cells.arrow is not None:
            distinct = _texts(unit_cells.arrow, tables._ident)
        else:
            distinct = pa.array([tables._ident(v) for v in unit_cells.values], pa.string())
        known = np.concatenate([_positions(distinct, list(units_read.kept)) >= 0, [False]])
        unit_known = known[unit_cells.codes]
        units_of = np.concatenate([_objects(np, distinct), np.array([None], object)])[unit_cells.codes]
    else:
        unit_known, units_of = np.zeros(n, bool), np.full(n, None, object)
    kind_codes, kind_names = _kinds(reader, subjects, plan)
    problem = missing_id | duplicate | ~unit_known | (kind_codes < 0)
    if subjects.rows is not None:
        problem |= np.array([subjects.shifted(i) is not None for i in range(n)], bool)
    first_of_kind = {code: int(np.argmax(kind_codes == code)) for code in range(len(kind_names))}
    present = [
        kind_names[c] for c in sorted(first_of_kind, key=first_of_kind.__getitem__) if kind_codes[first_of_kind[c]] == c
    ]
    record_probes = {fid: columns.probe for fid, columns in record_columns.items()}
    reader.out.extend(tables._missing_columns(program, probe, plan, record_probes, present))
    kind_rows = {code: _rows(np, kind_codes == code) for code, kind in enumerate(kind_names) if kind in present}
    clock.lap("identity")

    # Evidence, column by column and kind by kind.
    verdicts: dict[tuple[str, str], _Verdicts] = {}  # (kind, field) → verdicts of its column's distinct cells
    effective: dict[str, dict[str, _Effective]] = {kind: {} for kind in present}
    for fid, index in plan.fields.items():
        encoded = subjects.encoded(index)
        cached: dict[ir.FieldDef, _Verdicts] = {}
        for code, rows in kind_rows.items():
            kind = kind_names[code]
            subject = program.subjects[kind]
            codes = encoded.codes[rows]
            fdef = subject.field_def(fid)
            if fdef is None:  # a field of another kind: any value in it is a problem of the row
                given = codes >= 0
                if given.any():
                    blank = _flags(np, encoded.values, tables._blank, True)
                    problem[_at(rows, given & ~blank[codes])] = True
                continue
            found = cached.get(fdef)
            if found is None:
                found = cached[fdef] = _verdicts(program, fdef, encoded.values)
            verdicts[kind, fid] = found
            if found.bad:
                problem[_at(rows, found.rows(codes) >= _CELL_ERROR)] = True
            if fid in _compared(subject.fields):
                effective[kind][fid] = _effective(fdef, found, codes)
    for code, rows in kind_rows.items():
        kind = kind_names[code]
        problem[_at(rows, _at_most_problems(program.subjects[kind].fields, effective[kind], _size(rows)))] = True
    del effective
    clock.lap("evidence")

    # Records: which subject each row names, which rows stand alone (orphans), which have problems.
    checked = {fid: _read_records(reader, fid, columns) for fid, columns in record_columns.items()}
    named = sorted({name for records in checked.values() for name in records.names})
    at = _positions(ids, named)  # each row's id among the ids the records tables name
    for records in checked.values():
        records.from_named = np.array([*_positions(pa.array(named, pa.string()), records.names).tolist(), -1])
    hits = np.flatnonzero(at >= 0)
    unique, where = np.unique(at[hits], return_index=True)
    kind_first: dict[str, str | None] = {}  # a named id → the kind of the first row with it (None: unknown)
    for u, w in zip(unique.tolist(), where.tolist(), strict=True):
        k = int(kind_codes[hits[w]])
        kind_first[named[u]] = kind_names[k] if k >= 0 else None
    for fid, records in checked.items():
        _check_records(program, records, kind_first)
        for code, kind in enumerate(kind_names):
            fdef = program.subjects[kind].field_def(fid)
            if fdef is None or not isinstance(fdef.type, ir.RecordsType):
                continue
            bad = records.filed & records.problems[fdef.type.record]
            if bad.any():
                bad_names = sorted({records.names[o] for o in records.owner[bad].tolist()})
                problem |= (_positions(ids, bad_names) >= 0) & (kind_codes == code)
    clock.lap("records")

    # Rows with a problem go through the table reader's own checks, which give their rejections, in input order.
    check = _RowCheck(reader, subjects, plan, units_read, checked, kind_first)
    for i in np.flatnonzero(problem).tolist():
        first_number = int(subjects.numbers[first[i]]) if duplicate[i] else None
        problem[i] = check.reject(i, first_number)
    clock.lap("rejections")

    # Records that name no usable subject, after every subject row, as the table reader reports them.
    if any((~records.filed).any() for records in checked.values()):
        kind_of = _KindOf(kind_first, _Ids(ids, []))
        orphans = tables._RecordIndex()
        for fid, records in checked.items():
            probe_r, plan_r = records.columns.probe, records.plan
            for r in np.flatnonzero(~records.filed).tolist():
                number, cells = int(records.columns.numbers[r]), records.columns.cells(r)
                tables._index_record(program, orphans, kind_of, fid, probe_r, plan_r, number, cells)
        reader.out.extend(orphans.orphans)
    clock.lap("records")

    kinds = _kind_columns(
        program, subjects, plan, kind_codes, kind_names, problem, verdicts, checked, ids, units_of, at
    )
    clock.lap("tables")

    # Decisions, and the units' heads, as the table reader checks them.
    asked: list[str] = []
    decided: tuple[Any, ...] = ()
    if "decisions" in files.files:
        decision_table = files.read("decisions")
        entries, decision_plan = tables._fixed_entries(decision_table, tables.DECISION_COLUMNS, reader.out)
        required = ("quota", "group", "reference")
        reader.out.extend(
            tables._check_table(decision_table, "decisions", tables.DECISION_COLUMNS, required, decision_plan)
        )
        for entry in entries:
            asked.extend(tables._id_list(entry.values.get("approved")) or ())
        decided = reader.decisions(entries, _Ids(ids, asked))
    kept = units_read.finish(reader, _Ids(ids, units_read.heads))
    clock.lap("units")
    return BulkInput(kept, kinds, decided, tuple(reader.out), n)


def _kind_columns(
    program: ir.Program,
    subjects: _Columns,
    plan: tables._Plan,
    kind_codes: Array,
    kind_names: Sequence[str],
    problem: Array,
    verdicts: Mapping[tuple[str, str], _Verdicts],
    checked: Mapping[str, _Records],
    ids: Any,
    units: Array,
    named_at: Array,
) -> dict[str, KindColumns]:
    """The rows without problems, kind by kind in the program's order, as typed columns."""
    from xeploai.evaluation.bulk_input import KindColumns
    from xeploai.evaluation.runners.columnar_table import EvidenceTable

    pa, _, np = _modules(subjects.source)
    name_index = plan.fixed.get("name")
    names = subjects.texts(name_index, name=True) if name_index is not None else None
    out: dict[str, KindColumns] = {}
    for code, kind in enumerate(kind_names):
        rows = _rows(np, (kind_codes == code) & ~problem)
        size = _size(rows)
        if not size:
            continue
        subject = program.subjects[kind]
        if isinstance(rows, slice):
            kind_ids = ids.slice(rows.start, size)
            kind_names_ = None if names is None else names.slice(rows.start, size)
        else:
            taken = pa.array(rows)
            kind_ids = ids.take(taken)
            kind_names_ = None if names is None else names.take(taken)
        columns: dict[str, Any] = {}
        for fid, index in plan.fields.items():
            fdef = subject.field_def(fid)
            if fdef is not None:
                columns[fid] = _column(fdef, verdicts[kind, fid], subjects.encoded(index).codes[rows])
        for fid, records in checked.items():
            fdef = subject.field_def(fid)
            if fdef is not None and isinstance(fdef.type, ir.RecordsType):
                columns[fid] = _records_column(program, fdef, records, records.from_named[named_at[rows]])
        out[kind] = KindColumns(
            kind=kind,
            ids=_objects(np, kind_ids),
            units=units[rows],
            names=None if kind_names_ is None else _objects(np, kind_names_),
            rows=subjects.numbers[rows],
            table=EvidenceTable.from_columns(program, kind, columns, size=size),
            source=subjects.source,
        )
    return out


def _objects(np: Any, texts: Any) -> Array:
    """An Arrow string array as a numpy object array of ``str`` (None where null)."""
    out = texts.to_numpy(zero_copy_only=False)
    return out if out.dtype == object else out.astype(object)


def read_spelled(
    folder: str | os.PathLike[str],
    program: ir.Program,
    *,
    timings: MutableMapping[str, float] | None = None,
    progress: Progress | None = None,
) -> BulkInput:
    """``read_bulk`` with level columns in any spelling the framework declares: the counterpart of
    ``spellings.read_population`` (what ``xeploai batch`` reads for a framework with a review process).

    The folder is read with level fields as text (``spellings.text_levels``); each distinct text is resolved once. A
    row with a spelling of no level is rejected as ``spellings.normalize_population`` rejects it, after the reader's
    rejections and in input order, so the result equals
    ``bulk_input.from_population_input(program, spellings.read_population(folder, program))``. ``progress(done, total)``
    counts ``read_bulk``'s stages and one more, the levels' spellings.
    """
    from xeploai.evaluation.bulk_input import BulkInput, KindColumns
    from xeploai.evaluation.population import SubjectRow
    from xeploai.evaluation.runners.columnar_table import Column, EvidenceTable
    from xeploai.tables import spellings

    _, _, np = _modules(os.fspath(folder))
    textual = spellings.text_levels(program)
    total = READ_STAGES + 1
    read = read_bulk(
        folder, textual, timings=timings, progress=None if progress is None else lambda done, _: progress(done, total)
    )
    clock = _Clock(timings, progress, total, READ_STAGES)
    known = spellings.spellings(program)
    headers: dict[str, str] | None = None
    problems: list[tuple[int, int, Rejection]] = []
    kinds: dict[str, KindColumns] = {}
    for kind, given in read.kinds.items():
        subject = program.subjects[kind]
        columns = dict(given.table.columns)
        bad = np.zeros(len(given.ids), bool)
        for fdef in subject.fields:
            col = columns.get(fdef.id)
            if not spellings._is_level(fdef.type) or not isinstance(col, Column):
                continue
            texts, codes = np.unique(np.where(col.known, col.values, ""), return_inverse=True)
            resolved = [known.resolve(t) if t else None for t in texts.tolist()]
            ranks = np.array([program.levels.rank(r) if r else 0 for r in resolved], np.int8)[codes]
            unresolved = np.array([r is None and bool(t) for t, r in zip(texts.tolist(), resolved, strict=True)])
            failing = np.flatnonzero(unresolved[codes] & col.known)
            if len(failing):
                if headers is None:
                    headers = _subject_headers(folder, textual)
                for i in failing.tolist():
                    name = None if given.names is None else given.names[i]
                    row = SubjectRow(
                        str(given.ids[i]), str(given.units[i]), kind, name, {}, int(given.rows[i]), given.source_of(i)
                    )
                    found: list[Rejection] = []
                    column = headers.get(fdef.id, fdef.id)
                    spellings._level(known, col.values[i], row, column, fdef.id, found)
                    problems.extend((int(given.rows[i]), subject.fields.index(fdef), r) for r in found)
                bad[failing] = True
            columns[fdef.id] = Column(np.where(col.known, ranks, 0).astype(np.int8), col.known, 1, col.default)
        table = EvidenceTable.from_columns(program, kind, columns, size=len(given.ids), defaults=False)
        keep = np.flatnonzero(~bad)
        if len(keep) == len(bad):
            kinds[kind] = KindColumns(
                kind, given.ids, given.units, given.names, given.rows, table, given.source, given.order, given.sources
            )
        elif len(keep):
            kinds[kind] = KindColumns(
                kind,
                given.ids[keep],
                given.units[keep],
                None if given.names is None else given.names[keep],
                given.rows[keep],
                table.take(keep),
                given.source,
                None if given.order is None else given.order[keep],
                None if given.sources is None else given.sources[keep],
            )
    problems.sort(key=lambda p: (p[0], p[1]))
    clock.lap("levels")
    rejections = (*read.rejections, *(r for _, _, r in problems))
    return BulkInput(read.units, kinds, read.decisions, rejections, read.rows_read)


def _subject_headers(folder: str | os.PathLike[str], program: ir.Program) -> dict[str, str]:
    """Each evidence field's column header in the subjects table, as the table reader maps it."""
    files = tables._folder(Path(folder), program)
    reader = tables._Reader(program, [])
    plain = frozenset(tables._fold(alias) for alias in tables.SUBJECT_COLUMNS["id"])
    subjects = _read_columns(files, "subjects", plain)
    plan = tables._plan(subjects.header_probe(), tables.SUBJECT_COLUMNS, reader.evidence_names(), [])
    return {fid: subjects.header[index] for fid, index in plan.fields.items()}


def subject_rows(folder: str | os.PathLike[str], program: ir.Program) -> int:
    """About how many subject rows a population folder holds, without reading them: a Parquet file's metadata, or
    a CSV file's line breaks less the header (blank rows and line breaks inside quotes count too)."""
    path = tables._folder(Path(folder), program).files["subjects"]
    if path.suffix.casefold() == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        return int(pq.ParquetFile(path).metadata.num_rows)
    breaks, last = 0, b"\n"
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            breaks += block.count(b"\n")
            last = block[-1:]
    return max(breaks + (last != b"\n") - 1, 0)
