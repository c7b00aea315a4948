"""Tables, reading: raw tables. Input: a CSV file (UTF-8, comma, semicolon or tab), an XLSX workbook or a Parquet
file. Output: a ``Table`` of header texts and non-blank rows with their row numbers, cells read as data and never
evaluated; or a ``TableError`` when the file cannot be read at all.
"""

from __future__ import annotations

import csv
import io
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from xeploai.program.issues import Issue
from xeploai.tables.cells import fold, is_blank

__all__ = [
    "PARQUET_HINT",
    "XLSX_HINT",
    "Table",
    "TableError",
    "load_openpyxl",
    "load_pyarrow_parquet",
    "read_csv",
    "read_parquet",
    "read_workbook",
    "refuse_special",
]

XLSX_HINT: Final = "pip install 'xeploai[xlsx]'"
PARQUET_HINT: Final = "pip install 'xeploai[parquet]'"


class TableError(Exception):
    """A population input that cannot be read at all: missing, not UTF-8, not a workbook, no subjects table.

    Problems of single rows are never raised: they become ``Rejection`` entries of the ``PopulationInput``.
    """

    def __init__(self, source: str, message: str, issues: Sequence[Issue] = ()) -> None:
        self.source = source
        self.message = message
        self.issues = tuple(issues)
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class Table:
    """One table as read: the header texts, and the non-blank data rows with their 1-based row numbers."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]
    empty: bool = False  # not even a header row


def _table(source: str, records: Iterable[tuple[int, Sequence[object]]]) -> Table:
    """The first non-blank record is the header; blank records are skipped (they are not rows of data)."""
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in records:
        if all(is_blank(c) for c in cells):
            continue
        if header is None:
            header = tuple("" if is_blank(c) else str(c) for c in cells)
        else:
            rows.append((number, tuple(cells)))
    if header is None:
        return Table(source, (), (), empty=True)
    return Table(source, header, tuple(rows))


def refuse_special(path: Path, source: str) -> None:
    """Raise a ``TableError`` unless ``path`` (followed through links) is a regular file: a FIFO would block the
    reading forever and a device such as /dev/zero never ends. A missing path is left to the reading."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise TableError(source, "is not a regular file (a FIFO, a device or a folder); give the table's file itself")


def read_csv(path: Path, source: str) -> Table:
    refuse_special(path, source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TableError(source, f"cannot be read ({error.strerror or error})") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"is not UTF-8 (byte 0x{data[error.start]:02x} on line {line}); save it as 'CSV UTF-8'"
        raise TableError(source, message) from error
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _table(source, enumerate(reader, 1))
    except csv.Error as error:
        raise TableError(source, f"line {reader.line_num}: {error}") from error


def _delimiter(text: str) -> str:
    """Comma, semicolon (spreadsheets in locales with a decimal comma) or tab: the most frequent in the header."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def load_openpyxl(source: str) -> Any:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as error:
        raise TableError(source, f".xlsx files need openpyxl: {XLSX_HINT}") from error
    return openpyxl


def read_workbook(path: Path, source: str, wanted: Callable[[str], bool]) -> dict[str, Table]:
    """The sheets of a workbook by folded name; only those ``wanted`` are read, the others are left empty."""
    openpyxl = load_openpyxl(source)
    try:
        # data_only=False: a formula cell reads as its text ("=A1+1"), never as a value anyone computed.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from error
    try:
        tables: dict[str, Table] = {}
        for sheet in book.worksheets:
            name = str(sheet.title)
            key, sheet_source = fold(name), f"{source}[{name}]"
            if key in tables:
                continue
            if not wanted(key):
                tables[key] = Table(sheet_source, (), (), empty=True)
                continue
            rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), 1)
            tables[key] = _table(sheet_source, ((n, [_excel_cell(c) for c in cells]) for n, cells in rows))
        return tables
    except Exception as error:  # a damaged sheet: a message, not a traceback
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from error
    finally:
        book.close()


def _excel_cell(value: object) -> object:
    if value is None or isinstance(value, str | bool | int | float | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    text = getattr(value, "text", None)  # array and data-table formulas: keep their text
    return text if isinstance(text, str) else str(value)


def load_pyarrow_parquet(source: str) -> Any:
    """``pyarrow.parquet``, or a ``TableError`` naming the extra that installs it."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as error:
        raise TableError(source, f".parquet files need pyarrow: {PARQUET_HINT}") from error
    return pq


def _read_parquet_table(path: Path, source: str) -> Any:
    """The whole file as a ``pyarrow.Table``; a file that is not Parquet is a ``TableError``."""
    refuse_special(path, source)
    pq = load_pyarrow_parquet(source)
    try:
        return pq.read_table(path)
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        raise TableError(source, f"cannot be read as a Parquet file ({error})") from error


def _parquet_cells(column: Any, source: str, name: str) -> list[object]:
    """A Parquet column's cells as Python values: what a cell of the table holds (a typed value or text)."""
    try:
        cells: list[object] = column.to_pylist()
    except Exception as error:  # a type without a Python value (nanosecond timestamps, extension types)
        raise TableError(source, f"the column {name!r} cannot be read ({error})") from error
    return cells


def read_parquet(path: Path, source: str) -> Table:
    """A Parquet file as a table: its column names are the header, and data row i (from 0) is row i + 2, the
    number it has in the CSV file of the same table, so that messages point at the same rows either way."""
    table = _read_parquet_table(path, source)
    header = tuple(str(name) for name in table.column_names)
    if not header:
        return Table(source, (), (), empty=True)
    columns = [_parquet_cells(table.column(i), source, header[i]) for i in range(len(header))]
    rows = tuple(
        (number, cells) for number, cells in enumerate(zip(*columns, strict=True), 2) if not all(map(is_blank, cells))
    )
    return Table(source, header, rows)
