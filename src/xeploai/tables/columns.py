"""Tables, reading at national scale: Arrow columns. Input: a table of a population folder (Parquet, or CSV read by
the table reader). Output: ``Columns`` — one Arrow array per header column, blank rows dropped — and each column as
its distinct cells and a numpy code per row, so that every distinct cell is judged once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from xeploai.evaluation.population import Rejection
from xeploai.program import ir
from xeploai.tables.cells import cell_id, cell_name, fold, is_blank
from xeploai.tables.files import PARQUET_HINT, Table, TableError, load_pyarrow_parquet, read_csv, refuse_special
from xeploai.tables.headers import cell_at, shifted_row
from xeploai.tables.reader import Folder

__all__ = [
    "Array",
    "Columns",
    "Rows",
    "arrow_modules",
    "cell_texts",
    "encode",
    "first_rows",
    "flags",
    "positions",
    "read_columns",
    "row_count",
    "rows_at",
    "rows_where",
]

Array = Any  # numpy and Arrow arrays: neither is imported when this module is
Rows = slice | Any  # a kind's rows: a slice when they are contiguous (views, no copies), else an index array
# Python's whitespace within ASCII, which str.strip removes (Arrow's trim functions use another set).
_ASCII_SPACE: Final = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_ASCII_STRIP: Final = rf"^{_ASCII_SPACE}+|{_ASCII_SPACE}+$"
_ASCII_EDGE: Final = rf"^{_ASCII_SPACE}|{_ASCII_SPACE}$"
_INT_RANGE: Final = 1 << 16  # integer columns spanning at most this many values are coded by offset


def arrow_modules(source: str = "<columns>") -> tuple[Any, Any, Any]:
    """``pyarrow``, ``pyarrow.compute`` and ``numpy``, or a ``TableError`` naming the extras that install them."""
    try:
        import numpy as np
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.compute as pc  # type: ignore[import-untyped]
    except ImportError as error:
        hint = f"{PARQUET_HINT} and pip install 'xeploai[columnar]'"
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
    pa, _, _ = arrow_modules()
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def _valid(chunk: Any) -> Array:
    """A chunk's validity as a numpy bool array, from its bitmap."""
    _, _, np = arrow_modules()
    if chunk.null_count == 0:
        return np.ones(len(chunk), bool)
    if chunk.buffers()[0] is None:  # a null type, or a type without a bitmap
        return ~chunk.is_null().to_numpy(zero_copy_only=False)
    raw = np.frombuffer(chunk.buffers()[0], np.uint8)
    return np.unpackbits(raw, bitorder="little")[chunk.offset : chunk.offset + len(chunk)].view(bool)


def _fixed_width(chunk: Any) -> Array:
    """A fixed-width chunk's values as numpy, without a copy (nulls hold whatever the buffer holds)."""
    _, _, np = arrow_modules()
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    return np.frombuffer(chunk.buffers()[1], dtype, len(chunk), chunk.offset * dtype.itemsize)


def _bits(chunk: Any) -> Array:
    """A boolean chunk's values as a numpy bool array."""
    _, _, np = arrow_modules()
    raw = np.frombuffer(chunk.buffers()[1], np.uint8)
    return np.unpackbits(raw, bitorder="little")[chunk.offset : chunk.offset + len(chunk)].view(bool)


def encode(array: Any) -> _Encoded:
    """The distinct cells of a column and each row's code, from Arrow buffers where the type allows."""
    pa, pc, np = arrow_modules()
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


def flags(np: Any, values: Sequence[object], test: Callable[[object], bool], null: bool) -> Array:
    """``test`` of each distinct value, then ``null`` for code -1 (the last entry, which code -1 picks)."""
    return np.array([test(v) for v in values] + [null], bool)


# --- tables as columns --------------------------------------------------------------------------------------------


@dataclass
class Columns:
    """One table as Arrow arrays, one per header column, rows aligned. Blank rows are dropped as the table reader
    drops them; ``numbers`` keeps the row number of each row that is left."""

    source: str
    header: tuple[str, ...]
    arrays: list[Any]
    numbers: Array
    empty: bool = False
    rows: tuple[tuple[int, tuple[object, ...]], ...] | None = None  # a CSV table's rows as read
    problems: Mapping[int, ir.Text] = field(default_factory=dict)  # ``Table.problems``
    _encoded: dict[int, _Encoded] = field(default_factory=dict)
    _texts: dict[tuple[int, bool], Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def probe(self) -> Table:
        """The table without rows, for the reader's functions that only read its source and header."""
        return Table(self.source, self.header, (), self.empty, self.problems)

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
        return shifted_row(self.probe, number, cells)

    def encoded(self, index: int) -> _Encoded:
        found = self._encoded.get(index)
        if found is None:
            found = self._encoded[index] = encode(self.arrays[index])
        return found

    def texts(self, index: int, name: bool = False) -> Any:
        """The column's cells as ids (``cell_id``) or names (``cell_name``): an Arrow string array, null
        where blank."""
        found = self._texts.get((index, name))
        if found is None:
            found = self._texts[index, name] = cell_texts(self.arrays[index], cell_name if name else cell_id)
        return found

    def blank(self, index: int) -> Array:
        """Where the column's cell is blank (null, or text of spaces only)."""
        pa, _, np = arrow_modules()
        array = self.arrays[index]
        if pa.types.is_dictionary(array.type):
            encoded = self.encoded(index)
            return flags(np, encoded.values, is_blank, True)[encoded.codes]
        if _is_text(pa, array):
            return self.texts(index).is_null().to_numpy(zero_copy_only=False)
        return array.is_null().to_numpy(zero_copy_only=False)

    def header_probe(self) -> Table:
        """A stand-in for the table where the header checks ask only whether there are rows at all, and whether a
        column without a header holds a value: no row, or one row saying exactly that."""
        if not len(self):
            return self.probe
        cells = tuple("x" if not fold(h) and not self.blank(i).all() else None for i, h in enumerate(self.header))
        return Table(self.source, self.header, ((0, cells),), self.empty)


def _is_text(pa: Any, array: Any) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def read_columns(folder: Folder, name: str, plain: frozenset[str]) -> Columns:
    """Read one table of the folder. Text columns whose folded header is in ``plain`` (ids, names: mostly
    distinct) stay as they are; the others are dictionary-encoded, so that each distinct cell is checked once."""
    pa, pc, np = arrow_modules(folder.display)
    path, source = folder.files[name], folder.source(name)
    if path.suffix.casefold() != ".parquet":
        return _from_table(read_csv(path, source))
    refuse_special(path, source)
    pq = load_pyarrow_parquet(source)
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise TableError(source, f"cannot be read as a Parquet file ({error})") from error
    header = tuple(str(n) for n in table.column_names)
    if not header:
        return Columns(source, (), [], np.zeros(0, np.int64), empty=True)
    arrays = []
    for i, h in enumerate(header):
        column = _plain_view(pa, table.column(i))
        if _is_text(pa, column) and fold(h) not in plain:
            column = pc.dictionary_encode(column)
        arrays.append(column)
    del table
    columns = Columns(source, header, arrays, np.arange(2, len(arrays[0]) + 2, dtype=np.int64))
    blank = np.ones(len(columns), bool)
    for i in range(len(header)):
        blank &= columns.blank(i)
        if not blank.any():
            return columns
    keep = pa.array(np.flatnonzero(~blank))
    return Columns(source, header, [a.take(keep) for a in arrays], columns.numbers[~blank])


def _plain_view(pa: Any, column: Any) -> Any:
    if pa.types.is_string_view(column.type):
        return column.cast(pa.string())
    return column


def _from_table(table: Table) -> Columns:
    """A table read by the CSV reader, as columns of its cells (text)."""
    pa, _, np = arrow_modules(table.source)
    arrays = [pa.array([cell_at(cells, i) for _, cells in table.rows], pa.string()) for i in range(len(table.header))]
    numbers = np.array([number for number, _ in table.rows], np.int64)
    return Columns(
        table.source, table.header, arrays, numbers, empty=table.empty, rows=table.rows, problems=table.problems
    )


def cell_texts(array: Any, read: Callable[[object], str | None]) -> Any:
    """Each cell as ``read`` gives it (NFC and stripped for text; null where blank), as an Arrow string array.

    ``cell_id`` and ``cell_name`` agree on text cells, which the fast path handles: text that is all ASCII
    (NFC leaves it alone) has Python's whitespace stripped by a regular expression.
    """
    pa, pc, np = arrow_modules()
    if _is_text(pa, array) and pc.all(pc.string_is_ascii(array), skip_nulls=True).as_py() is not False:
        text = array.cast(pa.string())
        if pc.any(pc.match_substring_regex(text, _ASCII_EDGE)).as_py():
            text = pc.replace_substring_regex(text, _ASCII_STRIP, "")
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    encoded = encode(array)
    values = pa.array([read(v) for v in encoded.values] + [None], pa.string())
    return values.take(pa.array(np.where(encoded.codes < 0, len(encoded.values), encoded.codes)))


def first_rows(texts: Any) -> Array:
    """For each row, the row where its text first occurs (itself when it is the first; -1 where null)."""
    pa, pc, np = arrow_modules()
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


def positions(values: Any, among: Sequence[str]) -> Array:
    """Each value's position in ``among`` (-1 when absent or null)."""
    pa, pc, np = arrow_modules()
    if not among or not len(values):
        return np.full(len(values), -1, np.int64)
    found = pc.index_in(values, value_set=pa.array(among, pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def rows_at(rows: Rows, mask: Array) -> Array:
    """The table rows where ``mask`` (over ``rows``) holds."""
    _, _, np = arrow_modules()
    return rows.start + np.flatnonzero(mask) if isinstance(rows, slice) else rows[mask]


def rows_where(np: Any, where: Array) -> Rows:
    """The rows where ``where`` holds, as a slice when they are contiguous."""
    found = np.flatnonzero(where)
    if len(found) and found[-1] - found[0] + 1 == len(found):
        return slice(int(found[0]), int(found[-1]) + 1)
    return found


def row_count(rows: Rows) -> int:
    return rows.stop - rows.start if isinstance(rows, slice) else len(rows)
