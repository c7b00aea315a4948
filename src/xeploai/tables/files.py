"""Tables, reading: raw tables. Input: a CSV file (UTF-8, comma, semicolon or tab), an XLSX workbook or a Parquet
file. Output: a ``Table`` of header texts and non-blank rows with their row numbers, cells read as data and never
evaluated; or a ``TableError`` when the file cannot be read at all.
"""

from __future__ import annotations

import csv
import io
import stat
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from xeploai.program import ir
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
    """One table as read: the header texts, and the non-blank data rows with their 1-based row numbers.

    ``problems`` names the rows the file itself makes untrustworthy (a quote left open, a cell over the CSV field
    limit), by row number: the readers reject them, so that they are counted and reported, never lost.
    """

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]
    empty: bool = False  # not even a header row
    problems: Mapping[int, ir.Text] = field(default_factory=dict)
    hidden: bool = False  # a hidden sheet of a workbook: read, and noted


def _table(
    source: str, records: Iterable[tuple[int, Sequence[object]]], problems: Mapping[int, ir.Text] | None = None
) -> Table:
    """The first non-blank record is the header; blank records are skipped (they are not rows of data)."""
    problems = problems or {}
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in records:
        if all(is_blank(c) for c in cells) and number not in problems:
            continue
        if header is None:
            header = tuple("" if is_blank(c) else str(c) for c in cells)
        else:
            rows.append((number, tuple(cells)))
    if header is None:
        return Table(source, (), (), empty=True)
    return Table(source, header, tuple(rows), problems=problems)


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
    lines = io.StringIO(text, newline="").readlines()  # the physical lines, as the csv module reads them
    records, problems = _csv_records(lines, _delimiter(text), source)
    return _table(source, records, problems)


def _csv_records(
    lines: Sequence[str], delimiter: str, source: str
) -> tuple[list[tuple[int, list[str]]], dict[int, ir.Text]]:
    """The records of a CSV file, numbered from 1, and the rows the file makes untrustworthy.

    Two faults would otherwise lose rows without a word. A quote left open makes the csv module read every line
    up to the next quote into one cell: such a record (one whose later lines, read alone, have as many cells as
    the header) is read again line by line, and the rows that open and close the quote are problems. A cell over
    the csv module's field limit stops its record: the row is a problem, and reading goes on with the next line.
    """
    records: list[tuple[int, list[str]]] = []
    problems: dict[int, ir.Text] = {}
    reader = csv.reader(iter(lines), delimiter=delimiter)
    width: int | None = None  # the header's number of cells, once read
    number = 0
    while True:
        start = reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if "field larger than field limit" not in str(error):
                raise TableError(source, f"line {reader.line_num}: {error}") from None
            number += 1
            line = reader.line_num
            limit = f"{csv.field_size_limit():,}"
            problems[number] = ir.Text(
                f"dòng {line} có một ô dài hơn {limit.replace(',', '.')} ký tự; không đọc được dòng này",
                f"line {line} has a cell longer than {limit} characters; the row cannot be read",
            )
            records.append((number, _leading_cells(lines[line - 1], delimiter)))
            continue
        end = reader.line_num
        if width is None and any(c.strip() for c in cells):
            width = len(cells)
        if end - start > 1 and width is not None and width > 1 and _swallows(lines[start + 1 : end], delimiter, width):
            for offset, line_text in enumerate(lines[start:end]):
                number += 1
                records.append((number, next(csv.reader([line_text], delimiter=delimiter), [])))
                if line_text.count('"') % 2 == 1:
                    problems[number] = _open_quote(start + 1, start + 1 + offset, end, len(lines))
            continue
        number += 1
        records.append((number, cells))
    return records, problems


def _swallows(later_lines: Sequence[str], delimiter: str, width: int) -> bool:
    """Whether the lines a quoted cell spans after its first look like rows of the table (a quote left open)
    rather than the text of one cell (a name or a remark written on two lines)."""
    return any(len(next(csv.reader([line], delimiter=delimiter), [])) == width for line in later_lines)


def _open_quote(first: int, line: int, last: int, total: int) -> ir.Text:
    if line == first:
        end_vi, end_en = (" (cuối tệp)", " (the end of the file)") if last == total else ("", "")
        return ir.Text(
            f'dấu ngoặc kép (") mở ở dòng này không được đóng cho tới dòng {last}{end_vi}: các dòng bên dưới đã bị '
            "đọc vào một ô; chúng được đọc lại từng dòng, còn dòng này bị loại — hãy đóng dấu ngoặc kép",
            f'a quote (") opened in this row is not closed until line {last}{end_en}: the lines below were read '
            "into one cell; they are read again one by one and this row is rejected; close the quote",
        )
    return ir.Text(
        f'dòng này đóng dấu ngoặc kép (") mở ở dòng {first}; dòng bị loại cùng với dòng đó',
        f'this row closes a quote (") opened on line {first}; it is rejected with that row',
    )


def _leading_cells(line: str, delimiter: str) -> list[str]:
    """The cells before an over-long one, so that a rejection can still name the row's id."""
    cells = next(csv.reader([line[:1000]], delimiter=delimiter), [])
    return cells[:-1]


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


# What the parts of a workbook may unpack to in all (a district's workbook unpacks to a few MB): a "zip bomb" of a
# few MB that unpacks to gigabytes is refused from its zip directory, before openpyxl reads any of it.
MAX_WORKBOOK_BYTES: Final = 512 * 1024 * 1024


def _check_unpacked_size(path: Path, source: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from None
    if unpacked > MAX_WORKBOOK_BYTES:
        limit = MAX_WORKBOOK_BYTES // (1024 * 1024)
        raise TableError(
            source,
            f"unpacks to more than {limit} MiB ({unpacked // (1024 * 1024):,} MiB): refused before reading, as a "
            "compressed 'zip bomb' would exhaust the memory; give the tables as CSV or Parquet files",
        )


def read_workbook(path: Path, source: str, wanted: Callable[[str], bool]) -> dict[str, Table]:
    """The sheets of a workbook by folded name; only those ``wanted`` are read, the others are left empty.

    Two wanted sheets whose names fold alike (``subjects``, ``SUBJECTS``) are refused, since neither can be preferred
    silently; a hidden sheet is read and marked ``hidden``. Every row is read, whatever the sheet's ``<dimension>``
    says (a stale one would otherwise cut the rows below it).
    """
    openpyxl = load_openpyxl(source)
    _check_unpacked_size(path, source)
    try:
        # data_only=False: a formula cell reads as its text ("=A1+1"), never as a value anyone computed.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from None
    try:
        names: dict[str, str] = {}
        for sheet in book.worksheets:
            key = fold(str(sheet.title))
            if key in names and wanted(key):
                raise TableError(
                    source,
                    f"the sheets {names[key]!r} and {str(sheet.title)!r} both name the {key} table "
                    "(sheet names are compared without case): keep one of them",
                )
            names.setdefault(key, str(sheet.title))
        tables: dict[str, Table] = {}
        for sheet in book.worksheets:
            name = str(sheet.title)
            key, sheet_source = fold(name), f"{source}[{name}]"
            if key in tables:
                continue
            if not wanted(key):
                tables[key] = Table(sheet_source, (), (), empty=True)
                continue
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # read to the last row, not to the one <dimension> names
            rows = enumerate(sheet.iter_rows(min_row=1, values_only=True), 1)
            table = _table(sheet_source, ((n, [_excel_cell(c) for c in cells]) for n, cells in rows))
            hidden = getattr(sheet, "sheet_state", "visible") != "visible"
            tables[key] = replace(table, hidden=True) if hidden else table
        return tables
    except TableError:
        raise
    except Exception as error:  # a damaged sheet: a message, not a traceback
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from None
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
