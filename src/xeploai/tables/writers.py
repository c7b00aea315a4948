"""Tables, writing. Input: rows (mappings by column key) or blocks of columns, and ``(key, header)`` columns.
Output: a CSV (UTF-8 with BOM), XLSX or Parquet file. The CSV and XLSX writers neutralise text that a spreadsheet
would take for a formula; the Parquet writer keeps text as it is (a Parquet file is not opened as a spreadsheet).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from xeploai.evaluation.population import Rejection
from xeploai.tables.files import PARQUET_HINT, TableError, load_openpyxl

if TYPE_CHECKING:
    from _typeshed import SizedBuffer

__all__ = [
    "PARQUET_BLOCK",
    "REJECTION_COLUMNS",
    "REJECTION_COUNT_COLUMNS",
    "fill_sheet",
    "format_of",
    "save_workbook",
    "write_csv",
    "write_csv_blocks",
    "write_parquet_blocks",
    "write_rejections",
    "write_table",
]

REJECTION_COLUMNS: Final = (
    ("source", "Nguồn (source)"),
    ("row", "Dòng (row)"),
    ("column", "Cột (column)"),
    ("value", "Giá trị (value)"),
    ("reason", "Lý do (reason)"),
)
# The rejection columns that are whole numbers by definition (int64 in Parquet, null for a note about a whole table
# or column); the others are text.
REJECTION_COUNT_COLUMNS: Final = frozenset({"row"})
# Rows per row group when a Parquet table is given as rows: batched into blocks as ``bulk`` makes its blocks.
PARQUET_BLOCK: Final = 1 << 16
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets take for the start of a formula
_FORMULA_AFTER_BREAK = re.compile(r"\n[=+\-@\t\r]")  # a line's start that is a formula's (lines joined by \n)
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters an XLSX file cannot hold


def format_of(path: Path, parquet: bool = False) -> str:
    """``csv`` or ``xlsx`` by the file's extension, and ``parquet`` too when the writer can write it."""
    suffix = path.suffix.casefold()
    if parquet and suffix == ".parquet":
        return "parquet"
    if suffix not in (".csv", ".xlsx"):
        also = ", or .parquet" if parquet else ""
        raise TableError(os.fspath(path), f"expected a file name ending in .csv or .xlsx{also}")
    return suffix[1:]


def _neutral(text: str) -> str:
    """Text a spreadsheet would take for a formula gets a leading apostrophe, which shows it as text.

    >>> _neutral("=1+1"), _neutral("Tốt")
    ("'=1+1", 'Tốt')
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def _plain_number(value: Fraction | Decimal) -> int | float:
    return int(value) if value == int(value) else float(value)


def _csv_cell(value: object) -> str:
    """A cell as CSV text: ``_cell_text``, neutralised (a text a spreadsheet would take for a formula gets an
    apostrophe)."""
    if value is None:
        return ""
    match value:
        case bool() | int() | float() | Fraction() | Decimal() | datetime() | date():
            return _cell_text(value)
        case _:
            return _neutral(_cell_text(value))


def _cell_text(value: object) -> str:
    """A non-None cell as text, as the CSV and Parquet writers show it: booleans TRUE/FALSE, whole numbers without a
    decimal point, dates in ISO form, an enum by its value."""
    match value:
        case bool():
            return "TRUE" if value else "FALSE"
        case int():
            return str(value)
        case float():
            return repr(value)
        case Fraction() | Decimal():
            return repr(_plain_number(value))
        case datetime():
            return value.isoformat(sep=" ")
        case date():
            return value.isoformat()
        case Enum():
            return str(value.value)
        case _:
            return str(value)


def _xlsx_cell(value: object) -> tuple[object, bool]:
    """The value to store in a cell, and whether it must be stored as a string (never as a formula)."""
    match value:
        case datetime() if value.tzinfo is not None:
            return value.isoformat(sep=" "), True  # a spreadsheet has no time zones
        case None | bool() | int() | datetime() | date():
            return value, False
        case float():
            finite = value == value and value not in (float("inf"), float("-inf"))
            return (value, False) if finite else (repr(value), True)
        case Fraction() | Decimal():
            return _plain_number(value), False
        case Enum():
            return _ILLEGAL_XLSX.sub("\ufffd", str(value.value)), True
        case _:
            return _ILLEGAL_XLSX.sub("\ufffd", str(value)), True


@contextmanager
def _csv_file(path: Path, header: Sequence[str]) -> Iterator[TextIO]:
    """Open a CSV table for writing and write its header row (neutralised)."""
    # UTF-8 with a byte order mark: Excel then opens the file as UTF-8 and shows Vietnamese correctly.
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerow([_neutral(h) for h in header])
        yield file


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write the header and the rows as CSV; the number of rows written."""
    count = 0

    def counted() -> Iterator[Sequence[object]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with _csv_file(path, header) as file:
        # Most cells are text: _csv_cell's match and _neutral's call are spelled out for them (the same value, a
        # fraction of the time, which counts at millions of rows).
        start = _FORMULA_START
        csv.writer(file).writerows(
            [("'" + v if v.startswith(start) else v) if type(v) is str else _csv_cell(v) for v in row]
            for row in counted()
        )
    return count


def _quoted(text: str) -> str:
    """A field as ``csv.writer`` (the excel dialect, minimal quoting) writes it: in double quotes, with its quotes
    doubled, when it holds a comma, a double quote or a line break; as it is otherwise.

    >>> _quoted("a,b"), _quoted('1" pipe'), _quoted("Tốt")
    ('"a,b"', '"1"" pipe"', 'Tốt')
    """
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


_PLAIN_TYPES = frozenset({str, type(None)})


def _csv_fields(cells: Sequence[object], repeated: bool) -> Sequence[str]:
    """A column's cells as the fields ``write_csv`` writes for them: each through ``_csv_cell`` (text neutralised,
    None empty), then quoted as ``csv.writer`` quotes it.

    A ``repeated`` column (few distinct values), when its cells are all text or None, is worked out once per
    distinct value and looked up per cell. Any other column of plain text is checked whole (joined into one text,
    searched in C) and changed cell by cell only when some cell needs it; other cells go cell by cell.
    """
    if len(cells) == 0:
        return []
    # Only exact text and None, judged on the cells themselves: a set merges equal values of different types (1,
    # 1.0, True; "a" and a str subclass that is written otherwise), so judging its members would miss them.
    if repeated and set(map(type, cells)) <= _PLAIN_TYPES:
        plain = cast(Sequence[str | None], cells)
        shown = {v: _quoted(_csv_cell(v)) for v in set(plain)}
        if all(field == v for v, field in shown.items()):
            return cast(Sequence[str], cells)  # nothing to neutralise or quote, no None
        return list(map(shown.__getitem__, plain))
    start = _FORMULA_START
    texts: Sequence[str]
    if set(map(type, cells)) == {str}:  # exact str: a subclass (an Enum) may be written otherwise
        texts = cast(Sequence[str], cells)
        lines = "\n".join(texts)  # each cell's start follows a line break, or starts the text
        if lines.startswith(start) or _FORMULA_AFTER_BREAK.search(lines):
            texts = [("'" + v if v.startswith(start) else v) for v in texts]
            lines = "\n".join(texts)
    else:
        texts = [("'" + v if v.startswith(start) else v) if type(v) is str else _csv_cell(v) for v in cells]
        lines = "\n".join(texts)
    if lines.count("\n") == len(texts) - 1 and "," not in lines and '"' not in lines and "\r" not in lines:
        return texts  # no cell needs quotes
    return [_quoted(v) for v in texts]


def write_csv_blocks(
    blocks: Iterable[Sequence[Sequence[object]]],
    columns: Sequence[tuple[str, str]],
    path: str | os.PathLike[str],
    repeated: Collection[str] = (),
) -> int:
    """Write a table given as blocks of columns as CSV, byte for byte what ``write_table`` writes for its rows; the
    number of rows written.

    A block holds one sequence of cells per column of ``columns`` (in their order, all of one length). Each column
    is made into its fields whole (``_csv_fields``: neutralised, quoted as ``csv.writer`` quotes; the columns whose
    keys are in ``repeated`` have few distinct values, each worked out once), and a block's fields are laid into its
    text by slice assignments and one join. No row is built in Python and ``csv.writer`` writes no row: its work per
    row was most of the writing time of a table of millions of rows. Blocks are written as they come: an iterator
    of blocks is never held whole.
    """
    header = [h for _, h in columns]
    few = [key in repeated for key, _ in columns]
    width = 2 * len(columns)  # per row: a field and the separator after it (a comma; a line break after the last)
    count = 0
    with _csv_file(Path(path), header) as file:
        for block in blocks:
            fields = [_csv_fields(cells, r) for cells, r in zip(block, few, strict=True)]
            m = len(fields[0]) if fields else 0
            if any(len(f) != m for f in fields):
                raise ValueError("the columns of a block differ in length")
            if len(fields) == 1:  # csv.writer quotes a row that would be empty, so that it is not a blank line
                fields = [['""' if f == "" else f for f in fields[0]]]
            laid: list[str] = ([","] * (width - 1) + ["\r\n"]) * m
            for j, column in enumerate(fields):
                laid[2 * j :: width] = column
            file.write("".join(laid))
            count += m
    return count


def _pyarrow_writer(source: str) -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, or a ``TableError`` naming the extra that installs them."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as error:
        raise TableError(source, f".parquet files need pyarrow: {PARQUET_HINT}") from error
    return pa, pq


def _parquet_text(value: object) -> str | None:
    """A cell of a text column as Parquet holds it: the text the CSV writer shows for it (``_cell_text``) without
    the apostrophe that keeps a spreadsheet from taking it for a formula, and None (null) for None.

    >>> _parquet_text("=1+1"), _parquet_text(Fraction(3, 2)), _parquet_text(date(2020, 1, 31)), _parquet_text(None)
    ('=1+1', '1.5', '2020-01-31', None)
    """
    return None if value is None else _cell_text(value)


def _parquet_array(pa: Any, cells: Sequence[object], count: bool) -> Any:
    """A column's cells as a pyarrow array of the column's fixed type: int64 for a count (None is null), string
    otherwise (plain text as it is, any other value through ``_parquet_text``)."""
    if count:
        return pa.array(cells, pa.int64())
    if set(map(type, cells)) <= {str, type(None)}:  # exact str: a subclass (an Enum) is shown otherwise
        return pa.array(cells, pa.string())
    return pa.array([_parquet_text(v) for v in cells], pa.string())


def write_parquet_blocks(
    blocks: Iterable[Sequence[Sequence[object]]],
    columns: Sequence[tuple[str, str]],
    path: str | os.PathLike[str],
    counts: Collection[str] = (),
) -> int:
    """Write a table given as blocks of columns (as ``write_csv_blocks`` takes them) as Parquet, a row group per
    non-empty block; the number of rows written.

    The columns are named by their headers, as the CSV file's header row names them, and their types are fixed by
    the columns, never by the values of a run: int64 for the keys in ``counts`` (whole numbers by definition: counts,
    row numbers), string for every other column. A None cell is null (CSV writes it as an empty field); a text cell
    is its text, without the CSV's formula apostrophe (Parquet is not opened as a spreadsheet); another value in a
    text column (a number, a date, an enum) is the text the CSV writer shows for it (``_parquet_text``). Blocks are
    written as they come: an iterator of blocks is never held whole.
    """
    target = Path(path)
    pa, pq = _pyarrow_writer(os.fspath(path))
    wanted = [key in counts for key, _ in columns]
    schema = pa.schema(
        [pa.field(h, pa.int64() if count else pa.string()) for (_, h), count in zip(columns, wanted, strict=True)]
    )
    count = 0
    with pq.ParquetWriter(target, schema) as writer:
        for block in blocks:
            if len(block) != len(columns):
                raise ValueError("a block has another number of columns than the table")
            m = len(block[0]) if block else 0
            if any(len(cells) != m for cells in block):
                raise ValueError("the columns of a block differ in length")
            if m == 0:
                continue
            arrays = [_parquet_array(pa, cells, count) for cells, count in zip(block, wanted, strict=True)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema), row_group_size=m)
            count += m
    return count


def _row_blocks(rows: Iterable[Mapping[str, object]], keys: Sequence[str], size: int) -> Iterator[list[list[object]]]:
    """Rows (mappings by column key) as blocks of ``size`` rows, each a list of cells per key (``.get``: a missing
    key is None); only one block is held at a time."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield [[row.get(key) for row in chunk] for key in keys]


def fill_sheet(sheet: Any, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write the header (bold, frozen) and the rows into a sheet; the number of rows written."""
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    widths = [len(h) for h in header]
    for col, text in enumerate(header, 1):
        cell = sheet.cell(row=1, column=col)
        cell.value = _ILLEGAL_XLSX.sub("\ufffd", text)
        cell.data_type = "s"
        cell.font = Font(bold=True)
    count = 0
    for row_index, row in enumerate(rows, 2):
        count = row_index - 1
        for col, raw in enumerate(row, 1):
            value, as_text = _xlsx_cell(raw)
            cell = sheet.cell(row=row_index, column=col)
            cell.value = value
            if as_text:
                cell.data_type = "s"  # openpyxl would store "=..." as a formula and "#N/A" as an error
            if col <= len(widths) and value is not None:
                widths[col - 1] = max(widths[col - 1], len(str(value)))
    for col, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    return count


# The time written into every workbook (its created and modified properties, and each member of its zip file):
# fixed, so that the same tables give the same bytes on every run. 1980-01-01 is the earliest time a zip can hold.
WORKBOOK_TIME: Final = datetime(1980, 1, 1)


class _FixedTimeZip(zipfile.ZipFile):
    """A zip file whose members, written by name, all carry ``WORKBOOK_TIME`` rather than the current time."""

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: SizedBuffer | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=WORKBOOK_TIME.timetuple()[:6])
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16  # what ZipFile gives a member written by name
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: str | os.PathLike[str],
        arcname: str | os.PathLike[str] | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # openpyxl writes each sheet to a file first: its member would carry that file's time
        name = os.fspath(arcname if arcname is not None else filename)
        info = zipfile.ZipInfo(name, date_time=WORKBOOK_TIME.timetuple()[:6])
        info.compress_type = self.compression if compress_type is None else compress_type
        info.external_attr = 0o600 << 16
        large = os.path.getsize(filename) >= zipfile.ZIP64_LIMIT
        with open(filename, "rb") as source, self.open(info, "w", force_zip64=large) as member:
            shutil.copyfileobj(source, member, 1 << 20)  # a sheet of a million rows is not held in memory


def save_workbook(book: Any, path: str | os.PathLike[str]) -> None:
    """Save an openpyxl workbook so that the same content gives the same bytes: openpyxl's own ``save`` stamps the
    workbook and every zip member with the current time, so two identical runs differed only by it."""
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

    book.properties.created = WORKBOOK_TIME
    book.properties.modified = WORKBOOK_TIME
    with _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).write_data()


def write_table(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[tuple[str, str]],
    path: str | os.PathLike[str],
    counts: Collection[str] = (),
) -> int:
    """Write ``rows`` under the ``(key, header)`` columns, as CSV (UTF-8 with BOM), XLSX or Parquet by the file's
    extension; the number of rows written.

    Rows are written as they come: an iterator of rows is never held whole (for CSV, and for Parquet beyond a block
    of ``PARQUET_BLOCK`` rows; a workbook is saved at the end). Text a spreadsheet would take for a formula
    (starting with = + - @) stays text: a leading apostrophe in CSV, a string cell in XLSX. ``counts`` names the
    columns that are whole numbers by definition: they are int64 in Parquet (see ``write_parquet_blocks``), and
    CSV and XLSX do not read it.
    """
    target = Path(path)
    header = [h for _, h in columns]
    keys = [key for key, _ in columns]
    kind = format_of(target, parquet=True)
    if kind == "parquet":
        return write_parquet_blocks(_row_blocks(rows, keys, PARQUET_BLOCK), columns, target, counts)
    values = ([row.get(key) for key in keys] for row in rows)
    if kind == "csv":
        return write_csv(target, header, values)
    book = load_openpyxl(os.fspath(path)).Workbook()
    sheet = book.active
    sheet.title = target.stem[:31] or "table"  # Excel's limit on sheet names
    count = fill_sheet(sheet, header, values)
    save_workbook(book, target)
    return count


def write_rejections(rejections: Sequence[Rejection], path: str | os.PathLike[str], lang: str = "vi") -> int:
    """Write the rejected rows (source, row, column, value, reason) with bilingual headers, as CSV, XLSX or Parquet
    (the row number int64, the other columns text); the reasons in ``lang`` (``vi`` unless ``en``)."""
    rows = [
        {"source": r.source, "row": r.row, "column": r.column, "value": r.value, "reason": r.reason_in(lang)}
        for r in rejections
    ]
    return write_table(rows, REJECTION_COLUMNS, path, REJECTION_COUNT_COLUMNS)
