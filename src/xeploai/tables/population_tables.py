"""Population tables: CSV directories, XLSX workbooks and YAML/JSON documents → ``PopulationInput``; rows → tables.

Input: a path and a compiled program. Output: units, subjects with checked raw evidence, committee decisions, and
every row that could not be used as a ``Rejection`` (file, row, column, value, reason). Cells are read as data and
never evaluated; the CSV and XLSX writers neutralise text that a spreadsheet would take for a formula (the Parquet
writer keeps text as it is: a Parquet file is not opened as a spreadsheet).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any, Final, TextIO, assert_never, cast

from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.population import CommitteeDecision, PopulationInput, Rejection, SubjectRow, Unit
from xeploai.framework import loader
from xeploai.program import ir
from xeploai.program.issues import EvidenceError, FrameworkError, Issue, suggest

__all__ = [
    "DECISION_COLUMNS",
    "GUIDE_SHEET",
    "PARQUET_BLOCK",
    "PARQUET_HINT",
    "RECORD_COLUMNS",
    "REJECTION_COLUMNS",
    "REJECTION_COUNT_COLUMNS",
    "SUBJECT_COLUMNS",
    "UNIT_COLUMNS",
    "XLSX_HINT",
    "TableError",
    "read_population",
    "template",
    "write_csv_blocks",
    "write_parquet_blocks",
    "write_rejections",
    "write_table",
]

XLSX_HINT: Final = "pip install 'xeploai[xlsx]'"
PARQUET_HINT: Final = "pip install 'xeploai[parquet]'"

# The fixed columns of each table: key → the headers accepted for it (compared like field labels: NFC,
# case-insensitive, surrounding spaces ignored).
UNIT_COLUMNS: Final = {
    "id": ("id", "mã", "mã đơn vị"),
    "parent": ("parent", "cấp trên", "đơn vị cấp trên"),
    "kind": ("kind", "loại", "loại đơn vị"),
    "name": ("name", "tên", "tên đơn vị"),
    "head": ("head", "người đứng đầu"),
}
SUBJECT_COLUMNS: Final = {
    "id": ("id", "mã", "mã đối tượng"),
    "unit": ("unit", "đơn vị", "mã đơn vị"),
    "kind": ("kind", "loại", "loại đối tượng"),
    "name": ("name", "họ và tên", "họ tên", "tên"),
}
RECORD_COLUMNS: Final = {"subject": ("subject", "đối tượng", "mã đối tượng")}
DECISION_COLUMNS: Final = {
    "quota": ("quota", "tỷ lệ"),
    "group": ("group", "nhóm"),
    "approved": ("approved", "được giữ mức"),
    "reference": ("reference", "số quyết định"),
}
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
GUIDE_SHEET: Final = "huong_dan"
# Rows per row group when a Parquet table is given as rows: batched into blocks as ``bulk`` makes its blocks.
PARQUET_BLOCK: Final = 1 << 16

_DOCUMENT_KEYS: Final = ("period", "units", "subjects", "decisions")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets take for the start of a formula
_FORMULA_AFTER_BREAK = re.compile(r"\n[=+\-@\t\r]")  # a line's start that is a formula's (lines joined by \n)
_TRUE: Final = frozenset({"co", "x", "true", "1", "yes", "dung"})  # compared without case and diacritics
_FALSE: Final = frozenset({"khong", "false", "0", "no", "sai"})
_COUNT = re.compile(r"[+-]?\d+(?:[.,]0+)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ID_SEPARATOR = re.compile(r"[\s;,]+")
_EVIDENCE_PATH = re.compile(r"([a-z][a-z0-9_]*)(?:\[(\d+)\](?:\.([a-z][a-z0-9_]*))?)?")  # as evidence renders it
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_TABLE_SUFFIXES: Final = (".csv", ".parquet")
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters an XLSX file cannot hold


class TableError(Exception):
    """A population input that cannot be read at all: missing, not UTF-8, not a workbook, no subjects table.

    Problems of single rows are never raised: they become ``Rejection`` entries of the ``PopulationInput``.
    """

    def __init__(self, source: str, message: str, issues: Sequence[Issue] = ()) -> None:
        self.source = source
        self.message = message
        self.issues = tuple(issues)
        super().__init__(f"{source}: {message}")


def _hinted(reason: ir.Text, hint: ir.Text | None) -> ir.Text:
    return ir.Text(f"{reason.vi}; {hint.vi}", f"{reason.en}; {hint.en}") if hint else reason


def _issue_text(issue: Issue) -> ir.Text:
    """An evidence issue's message and hint, in both languages, as a rejection's reason."""
    hint = ir.Text(issue.hint_in("vi") or issue.hint, issue.hint) if issue.hint else None
    return _hinted(ir.Text(issue.message_in("vi"), issue.message), hint)


def _note(source: str, column: str | None, reason: ir.Text) -> Rejection:
    """A problem of a whole table or column (row None): reported once, rejecting no row by itself."""
    return Rejection.from_text(source, None, column, None, reason)


def _empty_records_note(fid: str) -> ir.Text:
    return ir.Text(
        f"bảng {fid} trống (không có dòng tiêu đề); bỏ qua", f"the {fid} table is empty (no header row); ignored"
    )


def _records_skipped(records_fields: Iterable[str]) -> dict[str, ir.Text]:
    """Why the subjects table's column of each records field is ignored."""
    return {
        f: ir.Text(
            f"trường bản ghi {f!r} được đọc từ bảng riêng {f}, mỗi bản ghi một dòng; bỏ qua",
            f"the records field {f!r} is read from its own table {f}, one row per record; ignored",
        )
        for f in records_fields
    }


# --- reading: raw tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """One table as read: the header texts, and the non-blank data rows with their 1-based row numbers."""

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]
    empty: bool = False  # not even a header row


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(source: str, records: Iterable[tuple[int, Sequence[object]]]) -> _Table:
    """The first non-blank record is the header; blank records are skipped (they are not rows of data)."""
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in records:
        if all(_blank(c) for c in cells):
            continue
        if header is None:
            header = tuple("" if _blank(c) else str(c) for c in cells)
        else:
            rows.append((number, tuple(cells)))
    if header is None:
        return _Table(source, (), (), empty=True)
    return _Table(source, header, tuple(rows))


def _read_csv(path: Path, source: str) -> _Table:
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


def _openpyxl(source: str) -> Any:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as error:
        raise TableError(source, f".xlsx files need openpyxl: {XLSX_HINT}") from error
    return openpyxl


def _read_workbook(path: Path, source: str, wanted: Callable[[str], bool]) -> dict[str, _Table]:
    """The sheets of a workbook by folded name; only those ``wanted`` are read, the others are left empty."""
    openpyxl = _openpyxl(source)
    try:
        # data_only=False: a formula cell reads as its text ("=A1+1"), never as a value anyone computed.
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableError(source, f"cannot be read as an .xlsx workbook ({error})") from error
    try:
        tables: dict[str, _Table] = {}
        for sheet in book.worksheets:
            name = str(sheet.title)
            key, sheet_source = _fold(name), f"{source}[{name}]"
            if key in tables:
                continue
            if not wanted(key):
                tables[key] = _Table(sheet_source, (), (), empty=True)
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


def _pyarrow_parquet(source: str) -> Any:
    """``pyarrow.parquet``, or a ``TableError`` naming the extra that installs it."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError as error:
        raise TableError(source, f".parquet files need pyarrow: {PARQUET_HINT}") from error
    return pq


def _read_parquet_table(path: Path, source: str) -> Any:
    """The whole file as a ``pyarrow.Table``; a file that is not Parquet is a ``TableError``."""
    pq = _pyarrow_parquet(source)
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


def _read_parquet(path: Path, source: str) -> _Table:
    """A Parquet file as a table: its column names are the header, and data row i (from 0) is row i + 2, the
    number it has in the CSV file of the same table, so that messages point at the same rows either way."""
    table = _read_parquet_table(path, source)
    header = tuple(str(name) for name in table.column_names)
    if not header:
        return _Table(source, (), (), empty=True)
    columns = [_parquet_cells(table.column(i), source, header[i]) for i in range(len(header))]
    rows = tuple(
        (number, cells) for number, cells in enumerate(zip(*columns, strict=True), 2) if not all(map(_blank, cells))
    )
    return _Table(source, header, rows)


# --- reading: names and cells -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """NFC, case-folded, surrounding and repeated spaces dropped: how headers and names are compared.

    >>> _fold("  Kết  Quả ")
    'kết quả'
    """
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _plain(text: str) -> str:
    """``_fold`` without Vietnamese diacritics, for yes/no words.

    >>> _plain("KHÔNG"), _plain("Đúng")
    ('khong', 'dung')
    """
    decomposed = unicodedata.normalize("NFD", _fold(text)).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ident(cell: object) -> str | None:
    """An id cell as text (``101`` and ``101.0`` from a spreadsheet both give "101"); None when blank."""
    if _blank(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date):
        return cell.isoformat()
    return unicodedata.normalize("NFC", str(cell)).strip()


def _name(cell: object) -> str | None:
    return None if _blank(cell) else unicodedata.normalize("NFC", str(cell)).strip()


class _Absent:
    """A blank cell: the field stays unknown."""


_ABSENT: Final = _Absent()


class _CellError(Exception):
    """A cell whose text cannot be read as its field's type; ``text`` says why in both languages."""

    def __init__(self, vi: str, en: str, formula: str = "") -> None:
        self.text = ir.Text(vi + _formula_hint(formula).vi, en + _formula_hint(formula).en)
        super().__init__(self.text.en)


def _coerce(fdef: ir.FieldDef, cell: object) -> object:
    """A cell → the raw evidence value for ``fdef``, or ``_ABSENT`` when blank.

    Only text (and spreadsheet numbers and dates) is interpreted here. A value of the wrong type passes through,
    so that ``validate_evidence`` reports it with the messages every input gets.
    """
    if _blank(cell):
        return _ABSENT
    ftype = fdef.type
    match ftype:
        case ir.BoolType():
            return _to_bool(cell)
        case ir.NumberType(integer=True):
            return _to_count(cell)
        case ir.NumberType():
            return _to_number(cell, _is_ratio(fdef))
        case ir.DateType():
            return _to_date(cell)
        case ir.TextType():
            return unicodedata.normalize("NFC", cell) if isinstance(cell, str) else _to_text(cell)
        case ir.OrdinalType() | ir.EnumType() | ir.PeriodType():
            return _to_text(cell)  # matched against ids, codes and labels by the evidence stage
        case ir.RecordsType():
            return cell  # never reached: records come from their own table
        case _:
            assert_never(ftype)


def _formula_hint(text: str) -> ir.Text:
    if not text.startswith("="):
        return ir.Text("", "")
    return ir.Text(
        " (công thức không được tính: hãy nhập chính giá trị)", " (formulas are not evaluated: type the value itself)"
    )


def _to_bool(cell: object) -> object:
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell in (0, 1):
        return bool(cell)
    if not isinstance(cell, str):
        return cell
    word = _plain(cell)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _CellError(
        f"{cell!r} không phải có hoặc không; hãy ghi có hoặc không (cũng nhận: x, true/false, 1/0, yes/no, đúng/sai)",
        f"{cell!r} is not yes or no; write có or không (also accepted: x, true/false, 1/0, yes/no, đúng/sai)",
        cell.strip(),
    )


def _to_count(cell: object) -> object:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    if _COUNT.fullmatch(text):
        whole, _, zeros = text.replace(",", ".").partition(".")
        if len(zeros) == 3:  # "1.000" is one thousand in Vietnamese writing, and 1 in English
            raise _CellError(
                f"{cell!r} không rõ nghĩa (dấu phân cách hàng nghìn?); hãy viết số nguyên không có dấu phân cách",
                f"{cell!r} is ambiguous (a thousands separator?); write whole numbers without separators",
            )
        return int(whole)
    if _NUMBER.fullmatch(text):
        return _number_value(Decimal(text.replace(",", ".")))  # not whole: the evidence stage says so
    raise _CellError(
        f"{cell!r} không phải số nguyên; cần một số đếm, ví dụ 3",
        f"{cell!r} is not a whole number; expected a count such as 3",
        text,
    )


def _to_number(cell: object, ratio: bool) -> object:
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    percent = text.endswith("%")
    digits = text.removesuffix("%").strip()
    if not _NUMBER.fullmatch(digits):
        expected = "a number such as 0.75, 0,75 or 75%" if ratio else "a number such as 1.5 or 1,5"
        expected_vi = "một số, ví dụ 0.75, 0,75 hoặc 75%" if ratio else "một số, ví dụ 1.5 hoặc 1,5"
        raise _CellError(
            f"{cell!r} không phải là số; cần {expected_vi}", f"{cell!r} is not a number; expected {expected}", text
        )
    if percent and not ratio:
        raise _CellError(
            f"{cell!r} là tỷ lệ phần trăm, chỉ trường tỷ lệ (từ 0 đến 1) mới nhận",
            f"{cell!r} is a percentage, which only a ratio field (0 to 1) accepts",
        )
    value = Decimal(digits.replace(",", "."))
    return _number_value(value / 100 if percent else value)


def _number_value(value: Decimal) -> int | float | Decimal:
    """The plainest Python number equal to ``value``, so that messages show 1.5 rather than Decimal('1.5')."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Fraction(repr(as_float)) == Fraction(value) else value


def _is_ratio(fdef: ir.FieldDef) -> bool:
    # The IR has no ratio type: the compiler gives a ``ratio`` field the bounds 0 and 1.
    low, high = fdef.minimum, fdef.maximum
    return isinstance(fdef.type, ir.NumberType) and low is not None and high is not None and low >= 0 and high <= 1


def _to_date(cell: object) -> object:
    if isinstance(cell, datetime):
        if cell.time() != time(0, 0):
            shown = cell.isoformat(sep=" ")
            raise _CellError(
                f"{shown!r} có cả ngày và giờ; cần một ngày", f"{shown!r} is a date and time; expected a date"
            )
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise _CellError(
            f"{cell!r} là một số; hãy định dạng ô là ngày hoặc viết YYYY-MM-DD",
            f"{cell!r} is a number; format the cell as a date or write YYYY-MM-DD",
        )
    if not isinstance(cell, str):
        return cell
    text = cell.strip()
    iso, dmy = _ISO_DATE.fullmatch(text), _DMY_DATE.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if dmy:
            return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    except ValueError as error:
        raise _CellError(
            f"{cell!r} không phải ngày hợp lệ (không có ngày này trong lịch)", f"{cell!r} is not a valid date ({error})"
        ) from error
    raise _CellError(
        f"{cell!r} không phải ngày; cần dạng YYYY-MM-DD hoặc dd/mm/yyyy",
        f"{cell!r} is not a date; expected YYYY-MM-DD or dd/mm/yyyy",
        text,
    )


def _to_text(cell: object) -> object:
    if isinstance(cell, str):
        return unicodedata.normalize("NFC", cell).strip()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return str(cell)
    return cell


# --- reading: headers ---------------------------------------------------------------------------------------


@dataclass
class _Names:
    """Which header names which field: ids win over labels; a label shared by two fields names neither."""

    ids: dict[str, str] = field(default_factory=dict)  # folded id → id
    labels: dict[str, set[str]] = field(default_factory=dict)  # folded label → ids

    def add(self, fdef: ir.FieldDef) -> None:
        self.ids[_fold(fdef.id)] = fdef.id
        for label in (fdef.label.vi, fdef.label.en):
            self.labels.setdefault(_fold(label), set()).add(fdef.id)


@dataclass(frozen=True)
class _Plan:
    """Where each fixed column and each field is in a table's header (column indexes)."""

    fixed: dict[str, int]
    fields: dict[str, int]


def _plan(
    table: _Table,
    fixed: Mapping[str, Sequence[str]],
    names: _Names,
    out: list[Rejection],
    skip: Mapping[str, ir.Text] | None = None,
) -> _Plan:
    """Map the header of ``table``; report unknown, ambiguous and repeated columns once each.

    ``skip`` maps field ids whose column is ignored to the reason (records fields are read from their own table).
    """
    aliases = {_fold(a): key for key, spelled in fixed.items() for a in spelled}
    plan = _Plan({}, {})
    taken: dict[str, str] = {}  # fixed key or field id → the header that took it
    for index, header in enumerate(table.header):
        folded = _fold(header)
        if not folded:
            if any(len(cells) > index and not _blank(cells[index]) for _, cells in table.rows):
                reason = ir.Text(
                    "cột không có tiêu đề nhưng có giá trị; bỏ qua", "a column without a header has values; ignored"
                )
                out.append(_note(table.source, f"column {index + 1}", reason))
            continue
        key = aliases.get(folded)
        is_fixed = key is not None
        owners = {names.ids[folded]} if folded in names.ids else names.labels.get(folded, set())
        if key is None and len(owners) > 1:
            fields = ", ".join(sorted(owners))
            reason = ir.Text(
                f"nhãn của nhiều trường ({fields}): hãy dùng mã trường; bỏ qua",
                f"the label of several fields ({fields}): use a field id; ignored",
            )
            out.append(_note(table.source, header, reason))
            continue
        key = key or next(iter(owners), None)
        if key is None:
            spellings = [*aliases, *names.ids, *names.labels]
            reason = ir.Text(
                f"cột không xác định, bỏ qua: không phải một trong {', '.join(fixed)}, cũng không phải trường căn cứ "
                "(theo mã, nhãn tiếng Việt hoặc tiếng Anh)",
                f"unknown column, ignored: neither one of {', '.join(fixed)} nor an evidence field "
                "(by id, Vietnamese or English label)",
            )
            out.append(_note(table.source, header, _hinted(reason, suggest(folded, spellings))))
            continue
        if key in taken:
            reason = ir.Text(
                f"cũng chỉ {key!r} như cột {taken[key]!r} đã có; bỏ qua",
                f"names {key!r} like the column {taken[key]!r}; ignored",
            )
            out.append(_note(table.source, header, reason))
            continue
        taken[key] = header
        if not is_fixed and skip is not None and key in skip:
            out.append(_note(table.source, header, skip[key]))
            continue
        (plan.fixed if is_fixed else plan.fields)[key] = index
    return plan


def _check_table(
    table: _Table,
    what: str,
    columns: Iterable[str],
    required: Iterable[str],
    plan: _Plan,
    no_rows: ir.Text | None = None,
) -> list[Rejection]:
    """Table-level problems: no header at all, a header without rows, a required column missing."""
    if table.empty:
        expected = ", ".join(columns)
        reason = ir.Text(
            f"bảng {what} trống; cần một dòng tiêu đề ({expected}) và các dòng dữ liệu",
            f"the {what} table is empty; expected a header row ({expected}) and rows",
        )
        return [_note(table.source, None, reason)]
    found = []
    if not table.rows:
        reason = ir.Text(
            f"bảng {what} có tiêu đề nhưng không có dòng nào{no_rows.vi if no_rows else ''}",
            f"the {what} table has a header but no rows{no_rows.en if no_rows else ''}",
        )
        found.append(_note(table.source, None, reason))
    for key in required:
        if key not in plan.fixed:
            reason = ir.Text(
                f"bảng {what} không có cột {key!r}; dòng nào cũng cần cột này",
                f"the {what} table has no {key!r} column; every row needs one",
            )
            found.append(_note(table.source, key, reason))
    return found


def _cell(cells: Sequence[object], index: int | None) -> object:
    return cells[index] if index is not None and index < len(cells) else None


def _shifted(table: _Table, number: int, cells: Sequence[object]) -> Rejection | None:
    """A row with values beyond the header's columns: its values may be shifted, so it is not used."""
    extra = next((c for c in cells[len(table.header) :] if not _blank(c)), None)
    if extra is None:
        return None
    reason = ir.Text(
        f"dòng có {len(cells)} ô nhưng tiêu đề có {len(table.header)} cột nên các giá trị có thể bị lệch; hãy đặt "
        "các giá trị chứa dấu phân cách trong dấu ngoặc kép",
        f"the row has {len(cells)} cells but the header has {len(table.header)} columns, so its values may be "
        "shifted; quote values that contain the delimiter",
    )
    return Rejection.from_text(table.source, number, None, extra, reason)


# --- reading: entries ---------------------------------------------------------------------------------------

_Where = tuple[str, int | None, str | None, object]  # source, row, column, value


@dataclass
class _Entry:
    """One row of a table (or one entry of a document) before its checks."""

    source: str
    row: int | None
    values: dict[str, object]  # fixed key → the value as read
    columns: dict[str, str]  # fixed key → the column (or key) as written in the input
    problems: list[Rejection] = field(default_factory=list)
    malformed: bool = False  # not a mapping (documents): nothing more to check

    def text(self, key: str) -> str | None:
        return _ident(self.values.get(key))

    def reject(self, key: str | None, reason: ir.Text) -> None:
        column = self.columns.get(key, key) if key is not None else None
        value = self.values.get(key) if key is not None else None
        self.problems.append(Rejection.from_text(self.source, self.row, column, value, reason))

    def where(self) -> ir.Text:
        if self.row is None:
            return ir.Text(self.source, self.source)
        return ir.Text(f"{self.source} dòng {self.row}", f"{self.source} row {self.row}")


@dataclass
class _SubjectEntry(_Entry):
    cells: tuple[object, ...] = ()  # the row's cells (tables)
    evidence: dict[str, object] = field(default_factory=dict)
    read_from: dict[str, str] = field(default_factory=dict)  # evidence field → the column or table it came from
    locate: Callable[[Issue], _Where] | None = None  # where an evidence issue points in the input
    elsewhere: list[Rejection] = field(default_factory=list)  # its problems located in records tables
    unit_known: bool = False


@dataclass(frozen=True)
class _RecordRow:
    source: str
    row: int
    cells: dict[str, tuple[str, object]]  # record field → (column, cell)


@dataclass
class _Reader:
    """The checks every input format shares; every problem found is appended to ``out`` in input order."""

    program: ir.Program
    out: list[Rejection] = field(default_factory=list)

    def evidence_names(self) -> _Names:
        names = _Names()
        for subject in self.program.subjects.values():
            for fdef in subject.fields:
                names.add(fdef)
        return names

    def records_fields(self) -> dict[str, list[ir.FieldDef]]:
        """Every records field id of any subject kind → its declarations (kinds may differ in record type)."""
        found: dict[str, list[ir.FieldDef]] = {}
        for subject in self.program.subjects.values():
            for fdef in subject.fields:
                if isinstance(fdef.type, ir.RecordsType):
                    found.setdefault(fdef.id, []).append(fdef)
        return found

    # --- units ----------------------------------------------------------------------------------------------

    def check_units(self, entries: Sequence[_Entry]) -> dict[str, _Entry]:
        """The units that can be used, by id; the others are rejected, and so are the units under them."""
        kept: dict[str, _Entry] = {}
        first: dict[str, _Entry] = {}
        for entry in entries:
            unit_id = entry.text("id")
            if entry.malformed:
                continue
            _first_use(entry, unit_id, first, ir.Text("mã đơn vị", "unit id"))
            if entry.text("kind") is None:
                entry.reject(
                    "kind",
                    ir.Text(
                        "thiếu loại đơn vị (ví dụ grassroots_cell)", "missing unit kind (for example grassroots_cell)"
                    ),
                )
            if unit_id is not None and first.get(unit_id) is entry and not entry.problems:
                kept[unit_id] = entry
        while True:
            orphans = [(u, e, p) for u, e in kept.items() if (p := e.text("parent")) is not None and p not in kept]
            for unit_id, entry, parent in orphans:
                del kept[unit_id]
                if parent in first:
                    at = first[parent].where()
                    reason = ir.Text(
                        f"đơn vị cấp trên {parent!r} đã bị loại ({at.vi})",
                        f"the parent unit {parent!r} was rejected ({at.en})",
                    )
                else:
                    missing = ir.Text(
                        f"đơn vị cấp trên {parent!r} không có trong danh sách đơn vị",
                        f"the parent unit {parent!r} is not among the units",
                    )
                    reason = _hinted(missing, suggest(parent, first))
                entry.reject("parent", reason)
            if orphans:
                continue
            cycle = _cycle({u: e.text("parent") for u, e in kept.items()})
            if not cycle:
                break
            for unit_id in cycle:
                chain = " → ".join([*cycle, cycle[0]])
                reason = ir.Text(
                    f"các đơn vị cấp trên tạo thành vòng: {chain}", f"the parent units form a cycle: {chain}"
                )
                kept.pop(unit_id).reject("parent", reason)
        for entry in entries:
            self.out.extend(entry.problems)
        return kept

    def units(
        self, kept: Mapping[str, _Entry], entries: Sequence[_Entry], subject_ids: Collection[str]
    ) -> tuple[Unit, ...]:
        """The kept units in input order; a head that is no subject is reported and dropped."""
        units: list[Unit] = []
        for entry in entries:
            unit_id = entry.text("id")
            if unit_id is None or kept.get(unit_id) is not entry:
                continue
            head = entry.text("head")
            if head is not None and head not in subject_ids:
                reason = ir.Text(
                    f"người đứng đầu {head!r} không có trong danh sách đối tượng; đơn vị được đọc mà không có "
                    "người đứng đầu",
                    f"the head {head!r} is not a subject of the population; the unit is read without a head",
                )
                column = entry.columns.get("head", "head")
                hinted = _hinted(reason, suggest(head, subject_ids))
                self.out.append(Rejection.from_text(entry.source, entry.row, column, entry.values.get("head"), hinted))
                head = None
            name = _name(entry.values.get("name")) or ""
            kind = entry.text("kind") or ""
            units.append(Unit(unit_id, entry.text("parent"), kind, name, head, entry.row, entry.source))
        return tuple(units)

    # --- subjects -------------------------------------------------------------------------------------------

    def check_identity(
        self, entries: Sequence[_SubjectEntry], kept: Mapping[str, _Entry], units: Sequence[_Entry]
    ) -> list[str | None]:
        """Id, duplicate, unit and kind checks of every subject entry; the kind of each (None when unusable)."""
        first: dict[str, _Entry] = {}
        all_units = _all_units(units)
        kinds: list[str | None] = []
        for entry in entries:
            if entry.malformed:
                kinds.append(None)
                continue
            kinds.append(self.identity(entry, first, kept, all_units))
        return kinds

    def identity(
        self,
        entry: _SubjectEntry,
        first: dict[str, _Entry],
        kept: Mapping[str, _Entry],
        all_units: Mapping[str, _Entry],
    ) -> str | None:
        """One entry's id, unit and kind checks; ``first`` holds the entries of the ids seen before it."""
        subject_id = entry.text("id")
        _first_use(entry, subject_id, first, ir.Text("mã đối tượng", "subject id"))
        unit = entry.text("unit")
        entry.unit_known = unit in kept
        if unit is None:
            entry.reject("unit", ir.Text("thiếu đơn vị", "missing unit"))
        elif unit in all_units and unit not in kept:
            at = all_units[unit].where()
            entry.reject(
                "unit", ir.Text(f"đơn vị {unit!r} đã bị loại ({at.vi})", f"the unit {unit!r} was rejected ({at.en})")
            )
        elif unit not in kept:
            missing = ir.Text(
                f"đơn vị {unit!r} không có trong danh sách đơn vị", f"the unit {unit!r} is not among the units"
            )
            entry.reject("unit", _hinted(missing, suggest(unit, all_units)))
        return self.kind_of(entry)

    def kind_of(self, entry: _Entry) -> str | None:
        """The subject kind the entry names by id or by Vietnamese or English label; None after rejecting it."""
        text = entry.text("kind")
        declared = ", ".join(self.program.subjects)
        if text is None:
            entry.reject(
                "kind",
                ir.Text(
                    f"thiếu loại đối tượng; cần một trong: {declared}",
                    f"missing subject kind; expected one of: {declared}",
                ),
            )
            return None
        for kind, subject in self.program.subjects.items():
            if _fold(text) in (_fold(kind), _fold(subject.label.vi), _fold(subject.label.en)):
                return kind
        reason = ir.Text(
            f"loại đối tượng {text!r} không xác định; khung khai báo: {declared}",
            f"unknown subject kind {text!r}; the framework declares: {declared}",
        )
        entry.reject("kind", _hinted(reason, suggest(text, self.program.subjects)))
        return None

    def finish(self, entry: _SubjectEntry, kind: str | None) -> SubjectRow | None:
        """Validate the entry's evidence; the subject row, or None after recording every problem of the row."""
        subject_id = entry.text("id")
        if kind is not None:
            try:
                validate_evidence(self.program, kind, entry.evidence, entry.source, spans=None)
            except EvidenceError as error:
                for issue in error.issues:
                    where = entry.locate(issue) if entry.locate else (entry.source, entry.row, None, None)
                    rejection = Rejection.from_text(*where, _issue_text(issue))
                    here = where[:2] == (entry.source, entry.row)
                    (entry.problems if here else entry.elsewhere).append(rejection)
        if entry.elsewhere and not entry.problems:
            places = ", ".join(dict.fromkeys(f"{r.source} row {r.row}" for r in entry.elsewhere))
            places_vi = ", ".join(dict.fromkeys(f"{r.source} dòng {r.row}" for r in entry.elsewhere))
            reason = ir.Text(
                f"đối tượng bị loại vì các bản ghi của đối tượng có lỗi: {places_vi}",
                f"the subject is rejected because of problems in its records: {places}",
            )
            entry.problems.append(Rejection.from_text(entry.source, entry.row, None, subject_id, reason))
        # Whatever is known of a rejected subject travels with it: collectives reading it cannot be complete.
        unit = entry.text("unit") if entry.unit_known else None
        for rejection in entry.problems:
            self.out.append(replace(rejection, subject_id=subject_id, unit=unit, kind=kind, subject_row=True))
        for rejection in entry.elsewhere:
            self.out.append(replace(rejection, subject_id=subject_id, unit=unit, kind=kind))
        if entry.problems or kind is None or subject_id is None:
            return None
        return SubjectRow(
            id=subject_id,
            unit=entry.text("unit") or "",
            kind=kind,
            name=_name(entry.values.get("name")),
            evidence=entry.evidence,
            row=entry.row,
            source=entry.source,
            columns=entry.read_from,
        )

    # --- decisions ------------------------------------------------------------------------------------------

    def decisions(self, entries: Sequence[_Entry], subject_ids: Collection[str]) -> tuple[CommitteeDecision, ...]:
        quotas = [q.id for q in self.program.quotas]
        decided: dict[tuple[str, str], _Entry] = {}
        out: list[CommitteeDecision] = []
        for entry in entries:
            if entry.malformed:
                self.out.extend(entry.problems)
                continue
            quota, group, reference = entry.text("quota"), entry.text("group"), _name(entry.values.get("reference"))
            if quota is None:
                entry.reject("quota", ir.Text("thiếu mã tỷ lệ", "missing quota id"))
            elif quota not in quotas:
                reason = ir.Text(
                    f"tỷ lệ {quota!r} không xác định; khung khai báo: {', '.join(quotas) or '(không có)'}",
                    f"unknown quota {quota!r}; the framework declares: {', '.join(quotas) or '(none)'}",
                )
                entry.reject("quota", _hinted(reason, suggest(quota, quotas)))
            if group is None:
                entry.reject("group", ir.Text("thiếu nhóm tính tỷ lệ", "missing quota group"))
            if reference is None:
                reason = ir.Text(
                    "thiếu số hiệu quyết định (số và ngày ban hành), được trích dẫn trong phần giải thích kết quả",
                    "missing reference (the decision's number and date), which traces cite",
                )
                entry.reject("reference", reason)
            approved = _id_list(entry.values.get("approved"))
            if approved is None:
                reason = ir.Text(
                    "cần các mã đối tượng, cách nhau bởi dấu cách hoặc dấu chấm phẩy",
                    "expected subject ids separated by spaces or semicolons",
                )
                entry.reject("approved", reason)
            unknown = [a for a in approved or () if a not in subject_ids]
            if unknown:
                reason = ir.Text(
                    f"không có trong danh sách đối tượng: {', '.join(unknown)}",
                    f"not subjects of the population: {', '.join(unknown)}",
                )
                entry.reject("approved", _hinted(reason, suggest(unknown[0], subject_ids)))
            if quota is not None and group is not None and (quota, group) in decided:
                at = decided[quota, group].where()
                reason = ir.Text(
                    f"tỷ lệ và nhóm này đã có quyết định tại {at.vi}",
                    f"this quota and group are already decided at {at.en}",
                )
                entry.reject("group", reason)
            self.out.extend(entry.problems)
            if entry.problems or quota is None or group is None or reference is None or approved is None:
                continue
            decided[quota, group] = entry
            out.append(CommitteeDecision(quota, group, approved, reference, entry.row, entry.source))
        return tuple(out)


def _all_units(units: Sequence[_Entry]) -> dict[str, _Entry]:
    """Every unit id of the input → its first entry, kept or rejected."""
    all_units: dict[str, _Entry] = {}
    for unit_entry in units:
        unit_id = unit_entry.text("id")
        if unit_id is not None:
            all_units.setdefault(unit_id, unit_entry)
    return all_units


def _cycle(parents: Mapping[str, str | None]) -> list[str]:
    """The first cycle of the parent relation, starting from the earliest unit in it; empty when none."""
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        seen: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parents and node not in done:
            if node in seen:
                return path[seen[node] :]
            seen[node] = len(path)
            path.append(node)
            node = parents[node]
        done.update(path)
    return []


def _id_list(cell: object) -> tuple[str, ...] | None:
    """``"m1; m2 m3"`` or a list → the ids; None when the value cannot be a list of ids."""
    if _blank(cell):
        return ()
    if isinstance(cell, list):
        if any(isinstance(c, dict | list | bool) for c in cell):
            return None
        return tuple(i for c in cell if (i := _ident(c)) is not None)
    if isinstance(cell, str | int | float) and not isinstance(cell, bool):
        return tuple(i for i in _ID_SEPARATOR.split(_ident(cell) or "") if i)
    return None


# --- reading: tables ----------------------------------------------------------------------------------------


def _fixed_entries(
    table: _Table, fixed: Mapping[str, Sequence[str]], out: list[Rejection]
) -> tuple[list[_Entry], _Plan]:
    plan = _plan(table, fixed, _Names(), out)
    entries: list[_Entry] = []
    for number, cells in table.rows:
        values = {key: _cell(cells, index) for key, index in plan.fixed.items()}
        entry = _Entry(table.source, number, values, {key: table.header[i] for key, i in plan.fixed.items()})
        shifted = _shifted(table, number, cells)
        if shifted is not None:
            entry.problems.append(shifted)
        entries.append(entry)
    return entries, plan


def _read_tables(
    program: ir.Program,
    units: _Table,
    subjects: _Table,
    records: Mapping[str, _Table],
    decisions: _Table | None,
    notes: Sequence[Rejection] = (),
) -> PopulationInput:
    reader = _Reader(program, list(notes))
    # A records table without even a header says nothing; one with a header and no rows says "none".
    for fid, table in records.items():
        if table.empty:
            reader.out.append(_note(table.source, None, _empty_records_note(fid)))
    records = {fid: table for fid, table in records.items() if not table.empty}
    unit_entries, unit_plan = _fixed_entries(units, UNIT_COLUMNS, reader.out)
    reader.out.extend(_check_table(units, "units", UNIT_COLUMNS, ("id", "kind"), unit_plan))
    kept_units = reader.check_units(unit_entries)

    records_fields = reader.records_fields()
    skip = _records_skipped(records_fields)
    plan = _plan(subjects, SUBJECT_COLUMNS, reader.evidence_names(), reader.out, skip)
    reader.out.extend(_check_table(subjects, "subjects", SUBJECT_COLUMNS, ("id", "unit", "kind"), plan))
    entries: list[_SubjectEntry] = []
    for number, cells in subjects.rows:
        values = {key: _cell(cells, index) for key, index in plan.fixed.items()}
        columns = {key: subjects.header[index] for key, index in plan.fixed.items()}
        entry = _SubjectEntry(subjects.source, number, values, columns, cells=cells)
        shifted = _shifted(subjects, number, cells)
        if shifted is not None:
            entry.problems.append(shifted)
        entries.append(entry)
    kinds = reader.check_identity(entries, kept_units, unit_entries)
    reader.out.extend(_missing_columns(program, subjects, plan, records, kinds))

    index = _index_records(reader, records, records_fields, entries, kinds)
    rows: list[SubjectRow] = []
    for entry, kind in zip(entries, kinds, strict=True):
        if kind is not None:
            _table_evidence(program, entry, kind, subjects, plan, records, index)
        row = reader.finish(entry, kind)
        if row is not None:
            rows.append(row)
    reader.out.extend(index.orphans)

    subject_ids = {i for e in entries if (i := e.text("id")) is not None}
    decided: tuple[CommitteeDecision, ...] = ()
    if decisions is not None:
        decision_entries, decision_plan = _fixed_entries(decisions, DECISION_COLUMNS, reader.out)
        required = ("quota", "group", "reference")
        reader.out.extend(_check_table(decisions, "decisions", DECISION_COLUMNS, required, decision_plan))
        decided = reader.decisions(decision_entries, subject_ids)
    kept = reader.units(kept_units, unit_entries, subject_ids)
    return PopulationInput(kept, tuple(rows), decided, tuple(reader.out), len(subjects.rows))


def _missing_columns(
    program: ir.Program, table: _Table, plan: _Plan, records: Mapping[str, _Table], kinds: Sequence[str | None]
) -> list[Rejection]:
    """A required field without a column (or table) is unknown for every subject of its kind: say so once."""
    found: list[Rejection] = []
    for kind in dict.fromkeys(k for k in kinds if k is not None):
        for fdef in program.subjects[kind].fields:
            if not fdef.required or fdef.default is not None:
                continue
            is_records = isinstance(fdef.type, ir.RecordsType)
            if fdef.id in (records if is_records else plan.fields):
                continue
            what = f"no table {fdef.id}" if is_records else "no column"
            what_vi = f"không có bảng {fdef.id}" if is_records else "không có cột"
            reason = ir.Text(
                f"{what_vi} cho trường bắt buộc {fdef.id!r} ({fdef.label.vi} / {fdef.label.en}) của loại {kind!r}: "
                "trường này chưa biết với mọi đối tượng loại đó",
                f"{what} for the required field {fdef.id!r} ({fdef.label.vi} / {fdef.label.en}) of kind {kind!r}: "
                "it is unknown for every such subject",
            )
            found.append(_note(table.source, fdef.id, reason))
    return found


@dataclass
class _RecordIndex:
    rows: dict[tuple[str, str], list[_RecordRow]] = field(default_factory=dict)  # (field, subject id) → rows
    problems: dict[tuple[str, str], list[Rejection]] = field(default_factory=dict)
    orphans: list[Rejection] = field(default_factory=list)  # rows naming no subject that has the field


def _index_records(
    reader: _Reader,
    records: Mapping[str, _Table],
    records_fields: Mapping[str, Sequence[ir.FieldDef]],
    entries: Sequence[_SubjectEntry],
    kinds: Sequence[str | None],
) -> _RecordIndex:
    """The rows of each records table by subject id, in input order; rows naming no such subject are rejected."""
    index = _RecordIndex()
    kind_of: dict[str, str | None] = {}  # subject id → kind of its first row
    for entry, kind in zip(entries, kinds, strict=True):
        subject_id = entry.text("id")
        if subject_id is not None:
            kind_of.setdefault(subject_id, kind)
    for fid, table in records.items():
        plan = _records_plan(reader, fid, table, records_fields[fid])
        for number, cells in table.rows:
            _index_record(reader.program, index, kind_of, fid, table, plan, number, cells)
    return index


def _records_plan(reader: _Reader, fid: str, table: _Table, declarations: Sequence[ir.FieldDef]) -> _Plan:
    """The columns of the records table of ``fid``; its header problems go to the reader."""
    names = _Names()
    for fdef in declarations:
        assert isinstance(fdef.type, ir.RecordsType)
        for record_field in reader.program.records[fdef.type.record].fields:
            names.add(record_field)
    plan = _plan(table, RECORD_COLUMNS, names, reader.out)
    no_rows = ir.Text(f": không đối tượng nào có bản ghi {fid}", f": no subject has any {fid} record")
    reader.out.extend(_check_table(table, fid, ("subject", *names.ids.values()), ("subject",), plan, no_rows))
    return plan


def _index_record(
    program: ir.Program,
    index: _RecordIndex,
    kind_of: Mapping[str, str | None],
    fid: str,
    table: _Table,
    plan: _Plan,
    number: int,
    cells: Sequence[object],
) -> None:
    """File one row of a records table under its subject, or reject it (``kind_of``: subject id → first kind)."""
    column = table.header[plan.fixed["subject"]] if "subject" in plan.fixed else "subject"
    cell = _cell(cells, plan.fixed.get("subject"))
    subject_id = _ident(cell)
    if subject_id is None:
        reason = ir.Text("thiếu mã đối tượng", "missing subject id")
        index.orphans.append(Rejection.from_text(table.source, number, column, cell, reason))
        return
    if subject_id not in kind_of:
        missing = ir.Text(
            f"không có đối tượng {subject_id!r} trong danh sách đối tượng",
            f"no subject {subject_id!r} among the subjects",
        )
        reason = _hinted(missing, suggest(subject_id, kind_of))
        index.orphans.append(Rejection.from_text(table.source, number, column, cell, reason, subject_id))
        return
    kind = kind_of[subject_id]
    if kind is not None and program.subjects[kind].field_def(fid) is None:
        reason = ir.Text(
            f"đối tượng {subject_id!r} thuộc loại {kind!r}, loại này không có trường {fid!r}",
            f"the subject {subject_id!r} is of kind {kind!r}, which has no field {fid!r}",
        )
        index.orphans.append(Rejection.from_text(table.source, number, column, cell, reason, subject_id, kind=kind))
        return
    shifted = _shifted(table, number, cells)
    if shifted is not None:
        index.problems.setdefault((fid, subject_id), []).append(shifted)
    row_cells = {f: (table.header[i], _cell(cells, i)) for f, i in plan.fields.items()}
    index.rows.setdefault((fid, subject_id), []).append(_RecordRow(table.source, number, row_cells))


def _table_evidence(
    program: ir.Program,
    entry: _SubjectEntry,
    kind: str,
    table: _Table,
    plan: _Plan,
    records: Mapping[str, _Table],
    index: _RecordIndex,
) -> None:
    """Coerce the row's cells and its records' rows into raw evidence; cells that cannot be read are problems.

    A records table that is present gives every subject of a kind with that field a list, empty when the table
    has no row for it: the table is the full list of such records.
    """
    subject = program.subjects[kind]
    subject_id = entry.text("id")
    cells_read: dict[str, tuple[str, object]] = {}  # field → (column, cell)
    for fid, col in plan.fields.items():
        header, cell = table.header[col], _cell(entry.cells, col)
        fdef = subject.field_def(fid)
        try:
            # A field of another kind passes as is: the evidence stage names it as unknown for this kind.
            value = _coerce(fdef, cell) if fdef is not None else (_ABSENT if _blank(cell) else cell)
        except _CellError as error:
            reason = ir.Text(f"{fid}: {error.text.vi}", f"{fid}: {error.text.en}")
            entry.problems.append(Rejection.from_text(entry.source, entry.row, header, cell, reason))
            continue
        if value is not _ABSENT:
            entry.evidence[fid] = value
            entry.read_from[fid] = header
            cells_read[fid] = (header, cell)

    records_read: dict[str, list[_RecordRow]] = {}
    for fdef in subject.fields:
        if not isinstance(fdef.type, ir.RecordsType) or fdef.id not in records or subject_id is None:
            continue
        record_def = program.records[fdef.type.record]
        rows = index.rows.get((fdef.id, subject_id), [])
        entry.elsewhere.extend(index.problems.get((fdef.id, subject_id), []))
        items: list[dict[str, object]] = []
        for record_row in rows:
            item: dict[str, object] = {}
            for record_field in record_def.fields:
                if record_field.id not in record_row.cells:
                    continue
                header, cell = record_row.cells[record_field.id]
                try:
                    value = _coerce(record_field, cell)
                except _CellError as error:
                    at = f"{fdef.id}.{record_field.id}"
                    reason = ir.Text(f"{at}: {error.text.vi}", f"{at}: {error.text.en}")
                    entry.elsewhere.append(Rejection.from_text(record_row.source, record_row.row, header, cell, reason))
                    continue
                if value is not _ABSENT:
                    item[record_field.id] = value
            items.append(item)
        entry.evidence[fdef.id] = items
        entry.read_from[fdef.id] = records[fdef.id].source
        records_read[fdef.id] = rows

    def locate(issue: Issue) -> _Where:
        match = _EVIDENCE_PATH.fullmatch(issue.path)
        if match is None:
            return entry.source, entry.row, None, None
        fid, position, sub = match[1], match[2], match[3]
        if position is None:
            column, value = cells_read.get(fid, (fid, None))
            return entry.source, entry.row, column, value
        rows = records_read.get(fid, [])
        if int(position) >= len(rows):
            return entry.source, entry.row, fid, None
        record_row = rows[int(position)]
        if sub is None:
            return record_row.source, record_row.row, None, None
        column, value = record_row.cells.get(sub, (sub, None))
        return record_row.source, record_row.row, column, value

    entry.locate = locate


@dataclass(frozen=True)
class _Folder:
    """The tables of a population directory: table name → its file, and a note on every other file.

    A table is a CSV or a Parquet file (``units.csv`` or ``units.parquet``); tables of both formats may sit side by
    side, but one table given in both formats is refused, since neither can be preferred silently.
    """

    display: str
    files: Mapping[str, Path]  # "units", "subjects", "decisions" or a records field id → its file
    notes: tuple[Rejection, ...]

    def source(self, name: str) -> str:
        return os.path.join(self.display, self.files[name].name)

    def read(self, name: str) -> _Table:
        path = self.files[name]
        if path.suffix.casefold() == ".parquet":
            return _read_parquet(path, self.source(name))
        return _read_csv(path, self.source(name))


def _folder(directory: Path, program: ir.Program) -> _Folder:
    display = os.fspath(directory)
    found = {
        p.name.casefold(): p
        for p in sorted(directory.iterdir())
        if p.is_file() and p.suffix.casefold() in _TABLE_SUFFIXES
    }
    names = ["units", "subjects", "decisions", *_Reader(program).records_fields()]
    files: dict[str, Path] = {}
    for name in names:
        both = [found[f"{name}{suffix}"] for suffix in _TABLE_SUFFIXES if f"{name}{suffix}" in found]
        if len(both) > 1:
            given = " and ".join(p.name for p in both)
            raise TableError(display, f"both {given} are in the directory: keep one of them")
        if both:
            files[name] = both[0]
    for required in ("units", "subjects"):
        if required not in files:
            message = (
                f"no {required}.csv in the directory (nor {required}.parquet); a population directory holds "
                "units.csv and subjects.csv, and optionally decisions.csv and one CSV per records field "
                "(each table may be a .parquet file instead)"
            )
            raise TableError(display, message)
    notes: list[Rejection] = []
    for name, path in found.items():
        suffix = path.suffix.casefold()
        known = [f"{n}{suffix}" for n in names]
        if name not in known:
            ignored = ir.Text(
                f"không phải bảng của tập dữ liệu ({', '.join(known)}); bỏ qua",
                f"not a table of the population ({', '.join(known)}); ignored",
            )
            notes.append(_note(os.path.join(display, path.name), None, _hinted(ignored, suggest(name, known))))
    return _Folder(display, files, tuple(notes))


def _read_directory(directory: Path, program: ir.Program) -> PopulationInput:
    folder = _folder(directory, program)
    records_fields = _Reader(program).records_fields()
    records = {fid: folder.read(fid) for fid in records_fields if fid in folder.files}
    decisions = folder.read("decisions") if "decisions" in folder.files else None
    return _read_tables(program, folder.read("units"), folder.read("subjects"), records, decisions, folder.notes)


def _read_xlsx(path: Path, program: ir.Program) -> PopulationInput:
    display = os.fspath(path)
    records_fields = _Reader(program).records_fields()
    known = ["units", "subjects", "decisions", *records_fields]
    tables = _read_workbook(path, display, lambda name: name in known)
    for required in ("units", "subjects"):
        if required not in tables:
            message = (
                f"no sheet {required!r}; a population workbook has the sheets units and subjects, and optionally "
                "decisions and one sheet per records field"
            )
            raise TableError(display, message)
    notes = [
        _note(
            table.source,
            None,
            _hinted(
                ir.Text(
                    f"không phải trang tính của tập dữ liệu ({', '.join(known)}); bỏ qua",
                    f"not a sheet of the population ({', '.join(known)}); ignored",
                ),
                suggest(name, known),
            ),
        )
        for name, table in tables.items()
        if name not in known and name != GUIDE_SHEET
    ]
    records = {fid: tables[fid] for fid in records_fields if fid in tables}
    return _read_tables(program, tables["units"], tables["subjects"], records, tables.get("decisions"), notes)


# --- reading: documents -------------------------------------------------------------------------------------


def _document_entries(document: loader.Document, key: str, keys: Sequence[str]) -> list[_Entry] | None:
    """The entries of one list of the document (None when the key is absent); a row is the entry's line."""
    data = document.data
    assert isinstance(data, dict)
    if key not in data:
        return None
    items = data[key]
    if not isinstance(items, list):
        span = document.span((key,))
        raise TableError(document.source, f"{key} must be a list of entries (line {span.line if span else '?'})")
    entries: list[_Entry] = []
    for position, item in enumerate(items):
        span = document.span((key, position))
        entry = _Entry(document.source, span.line if span else None, {}, {k: k for k in keys})
        entries.append(entry)
        if not isinstance(item, dict):
            reason = ir.Text(
                f"mỗi mục của {key} là một ánh xạ với các khóa {', '.join(keys)}",
                f"an entry of {key} is a mapping with the keys {', '.join(keys)}",
            )
            entry.problems.append(Rejection.from_text(document.source, entry.row, f"{key}[{position}]", item, reason))
            entry.malformed = True
            continue
        for name, value in item.items():
            if name not in keys:
                reason = ir.Text(
                    f"khóa {name!r} không xác định; một mục của {key} có {', '.join(keys)}",
                    f"unknown key {name!r}; an entry of {key} has {', '.join(keys)}",
                )
                hinted = _hinted(reason, suggest(str(name), keys))
                entry.problems.append(Rejection.from_text(document.source, entry.row, str(name), value, hinted))
                continue
            entry.values[name] = value
            if name not in ("approved", "evidence") and isinstance(value, bool | dict | list):
                entry.reject(name, ir.Text(f"{name} phải là văn bản", f"{name} must be text"))
    return entries


def _read_document(path: Path, program: ir.Program) -> PopulationInput:
    display = os.fspath(path)
    try:
        document = loader.load_file(path, display=display)
    except FrameworkError as error:
        raise TableError(display, f"cannot be read ({len(error.issues)} problems)", error.issues) from error
    data = document.data
    if not isinstance(data, dict):
        raise TableError(display, "a population document is a mapping with units, subjects, decisions and period")
    reader = _Reader(program)
    for key in data:
        if key not in _DOCUMENT_KEYS:
            span = document.key_spans.get((key,))
            line = span.line if span else "?"
            reason = ir.Text(
                f"khóa không xác định (dòng {line}), bỏ qua; cần {', '.join(_DOCUMENT_KEYS)}",
                f"unknown key (line {line}), ignored; expected {', '.join(_DOCUMENT_KEYS)}",
            )
            reader.out.append(_note(display, str(key), _hinted(reason, suggest(str(key), _DOCUMENT_KEYS))))
    unit_entries = _document_entries(document, "units", tuple(UNIT_COLUMNS))
    subject_entries = _document_entries(document, "subjects", (*SUBJECT_COLUMNS, "evidence"))
    if unit_entries is None or subject_entries is None:
        raise TableError(display, "a population document needs both units and subjects")
    for what, found in (("units", unit_entries), ("subjects", subject_entries)):
        if not found:
            reader.out.append(
                _note(display, what, ir.Text(f"tài liệu không liệt kê {what} nào", f"the document lists no {what}"))
            )
    kept_units = reader.check_units(unit_entries)

    entries: list[_SubjectEntry] = []
    for item in subject_entries:
        entry = _SubjectEntry(item.source, item.row, item.values, item.columns, item.problems, item.malformed)
        evidence = item.values.get("evidence", {})
        if isinstance(evidence, dict):
            entry.evidence = evidence
            entry.read_from = {str(k): f"evidence.{k}" for k in evidence}
        else:
            reason = ir.Text(
                "căn cứ phải là một ánh xạ trường: giá trị (bỏ trường đi nếu chưa biết)",
                "evidence must be a mapping of field: value (omit a field to leave it unknown)",
            )
            entry.reject("evidence", reason)
        entry.locate = _document_locator(entry)
        entries.append(entry)
    kinds = reader.check_identity(entries, kept_units, unit_entries)
    rows = [row for entry, kind in zip(entries, kinds, strict=True) if (row := reader.finish(entry, kind)) is not None]

    subject_ids = {i for e in entries if (i := e.text("id")) is not None}
    decision_entries = _document_entries(document, "decisions", tuple(DECISION_COLUMNS)) or []
    decided = reader.decisions(decision_entries, subject_ids)
    kept = reader.units(kept_units, unit_entries, subject_ids)
    return PopulationInput(kept, tuple(rows), decided, tuple(reader.out), len(subject_entries))


def _document_locator(entry: _SubjectEntry) -> Callable[[Issue], _Where]:
    def locate(issue: Issue) -> _Where:
        column = f"evidence.{issue.path}" if issue.path else "evidence"
        return entry.source, entry.row, column, _lookup(entry.evidence, issue.path)

    return locate


def _lookup(raw: Mapping[str, object], path: str) -> object:
    """The value at an issue's rendered path (``discipline[0].form``), or None when it cannot be followed."""
    node: object = raw
    for key, position in _PATH_PART.findall(path):
        if position and isinstance(node, list) and int(position) < len(node):
            node = node[int(position)]
        elif key and isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            return None
    return node


# --- reading: entry point -----------------------------------------------------------------------------------


def read_population(path: str | os.PathLike[str], program: ir.Program) -> PopulationInput:
    """Read a population for ``program``: a directory of CSV or Parquet files, an .xlsx workbook or a YAML/JSON
    document.

    Every subject row ends either in ``subjects`` or, with each of its problems, in ``rejections``, so that
    ``rows_read`` is the number of subjects plus the number of rejected subject rows. Raises ``TableError`` only
    when the input cannot be read at all.
    """
    p = Path(path)
    display = os.fspath(path)
    if p.is_dir():
        return _read_directory(p, program)
    if not p.exists():
        raise TableError(display, "no such file or directory")
    suffix = p.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p, program)
    if suffix in (".yaml", ".yml", ".json"):
        return _read_document(p, program)
    if suffix == ".xls":
        raise TableError(display, "the old .xls format cannot be read; save the workbook as .xlsx")
    if suffix == ".csv":
        raise TableError(display, "give the directory holding units.csv and subjects.csv, not one CSV file")
    if suffix == ".parquet":
        raise TableError(display, "give the directory holding units.parquet and subjects.parquet, not one Parquet file")
    raise TableError(
        display, "expected a directory of CSV or Parquet files, an .xlsx workbook, or a .yaml or .json document"
    )


# --- writing ------------------------------------------------------------------------------------------------


def _format_of(path: Path, parquet: bool = False) -> str:
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


def _first_use(entry: _Entry, ident: str | None, first: dict[str, _Entry], what: ir.Text) -> None:
    """An entry's id (``what``: a unit id, a subject id) checked: missing, or already used by an earlier entry
    (``first``), the entry is rejected on its id; otherwise it is the id's first use."""
    if ident is None:
        entry.reject("id", ir.Text(f"thiếu {what.vi}", f"missing {what.en}"))
    elif ident in first:
        at = first[ident].where()
        reason = ir.Text(
            f"{what.vi} {ident!r} bị trùng; đã dùng lần đầu tại {at.vi}",
            f"duplicate {what.en} {ident!r}; it is first used at {at.en}",
        )
        entry.reject("id", reason)
    else:
        first[ident] = entry


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


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with _csv_file(path, header) as file:
        # Most cells are text: _csv_cell's match and _neutral's call are spelled out for them (the same value, a
        # fraction of the time, which counts at millions of rows).
        start = _FORMULA_START
        csv.writer(file).writerows(
            [("'" + v if v.startswith(start) else v) if type(v) is str else _csv_cell(v) for v in row] for row in rows
        )


def _quoted(text: str) -> str:
    """A field as ``csv.writer`` (the excel dialect, minimal quoting) writes it: in double quotes, with its quotes
    doubled, when it holds a comma, a double quote or a line break; as it is otherwise.

    >>> _quoted("a,b"), _quoted('1" pipe'), _quoted("Tốt")
    ('"a,b"', '"1"" pipe"', 'Tốt')
    """
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_fields(cells: Sequence[object], repeated: bool) -> Sequence[str]:
    """A column's cells as the fields ``_write_csv`` writes for them: each through ``_csv_cell`` (text neutralised,
    None empty), then quoted as ``csv.writer`` quotes it.

    A ``repeated`` column (few distinct values), when its cells are all text or None, is worked out once per
    distinct value and looked up per cell. Any other column of plain text is checked whole (joined into one text,
    searched in C) and changed cell by cell only when some cell needs it; other cells go cell by cell.
    """
    if len(cells) == 0:
        return []
    if repeated:
        try:
            distinct: set[object] | None = set(cells)
        except TypeError:  # an unhashable cell
            distinct = None
        # Only text and None: a set of other values could merge equal ones of different types (1, 1.0, True).
        if distinct is not None and all(type(v) is str or v is None for v in distinct):
            shown = {v: _quoted(_csv_cell(v)) for v in distinct}
            if all(field == v for v, field in shown.items()):
                return cast(Sequence[str], cells)  # nothing to neutralise or quote, no None
            return list(map(shown.__getitem__, cells))
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
) -> None:
    """Write a table given as blocks of columns as CSV, byte for byte what ``write_table`` writes for its rows.

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


def _pyarrow_writer(source: str) -> tuple[Any, Any]:
    """``pyarrow`` and ``pyarrow.parquet``, or a ``TableError`` naming the extra that installs them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
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
) -> None:
    """Write a table given as blocks of columns (as ``write_csv_blocks`` takes them) as Parquet, a row group per
    non-empty block.

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


def _row_blocks(rows: Iterable[Mapping[str, object]], keys: Sequence[str], size: int) -> Iterator[list[list[object]]]:
    """Rows (mappings by column key) as blocks of ``size`` rows, each a list of cells per key (``.get``: a missing
    key is None); only one block is held at a time."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield [[row.get(key) for row in chunk] for key in keys]


def _fill_sheet(sheet: Any, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    widths = [len(h) for h in header]
    for col, text in enumerate(header, 1):
        cell = sheet.cell(row=1, column=col)
        cell.value = _ILLEGAL_XLSX.sub("\ufffd", text)
        cell.data_type = "s"
        cell.font = Font(bold=True)
    for row_index, row in enumerate(rows, 2):
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


def write_table(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[tuple[str, str]],
    path: str | os.PathLike[str],
    counts: Collection[str] = (),
) -> None:
    """Write ``rows`` under the ``(key, header)`` columns, as CSV (UTF-8 with BOM), XLSX or Parquet by the file's
    extension.

    Rows are written as they come: an iterator of rows is never held whole (for CSV, and for Parquet beyond a block
    of ``PARQUET_BLOCK`` rows; a workbook is saved at the end). Text a spreadsheet would take for a formula
    (starting with = + - @) stays text: a leading apostrophe in CSV, a string cell in XLSX. ``counts`` names the
    columns that are whole numbers by definition: they are int64 in Parquet (see ``write_parquet_blocks``), and
    CSV and XLSX do not read it.
    """
    target = Path(path)
    header = [h for _, h in columns]
    keys = [key for key, _ in columns]
    kind = _format_of(target, parquet=True)
    if kind == "parquet":
        write_parquet_blocks(_row_blocks(rows, keys, PARQUET_BLOCK), columns, target, counts)
        return
    values = ([row.get(key) for key in keys] for row in rows)
    if kind == "csv":
        _write_csv(target, header, values)
        return
    book = _openpyxl(os.fspath(path)).Workbook()
    sheet = book.active
    sheet.title = target.stem[:31] or "table"  # Excel's limit on sheet names
    _fill_sheet(sheet, header, values)
    book.save(target)


def write_rejections(rejections: Sequence[Rejection], path: str | os.PathLike[str], lang: str = "vi") -> None:
    """Write the rejected rows (source, row, column, value, reason) with bilingual headers, as CSV, XLSX or Parquet
    (the row number int64, the other columns text); the reasons in ``lang`` (``vi`` unless ``en``)."""
    rows = [
        {"source": r.source, "row": r.row, "column": r.column, "value": r.value, "reason": r.reason_in(lang)}
        for r in rejections
    ]
    write_table(rows, REJECTION_COLUMNS, path, REJECTION_COUNT_COLUMNS)


# --- templates ----------------------------------------------------------------------------------------------

GUIDE_COLUMNS: Final = (
    ("sheet", "Bảng (sheet)"),
    ("column", "Cột (column)"),
    ("vi", "Tên tiếng Việt (Vietnamese label)"),
    ("en", "English label"),
    ("type", "Kiểu (type)"),
    ("accepted", "Giá trị chấp nhận (accepted values)"),
    ("required", "Bắt buộc (required)"),
    ("judgement", "Đánh giá (judgement)"),
    ("kinds", "Loại đối tượng (subject kinds)"),
)
_YES, _NO = "có", "không"
_FIXED_GUIDE: Final = {
    "subjects": (
        ("id", "Mã đối tượng", "Subject id", "mã duy nhất (a unique id)", _YES),
        ("unit", "Mã đơn vị", "Unit id", "một mã của bảng units (an id of the units sheet)", _YES),
        ("kind", "Loại đối tượng", "Subject kind", "", _YES),
        ("name", "Họ và tên", "Name", "văn bản (text)", _NO),
    ),
    "units": (
        ("id", "Mã đơn vị", "Unit id", "mã duy nhất (a unique id)", _YES),
        ("parent", "Mã đơn vị cấp trên", "Parent unit id", "một mã của bảng units; trống ở cấp cao nhất", _NO),
        ("kind", "Loại đơn vị", "Unit kind", "ví dụ (e.g.) grassroots_cell", _YES),
        ("name", "Tên đơn vị", "Unit name", "văn bản (text)", _NO),
        ("head", "Mã người đứng đầu", "Id of the head", "một mã của bảng subjects (a subject id)", _NO),
    ),
}


def _chosen_kinds(program: ir.Program, kinds: Sequence[str], source: str) -> list[ir.SubjectProgram]:
    chosen: list[ir.SubjectProgram] = []
    declared = ", ".join(program.subjects)
    for kind in kinds:
        subject = program.subjects.get(kind)
        if subject is None:
            reason = f"unknown subject kind {kind!r}; the framework declares: {declared}"
            hint = suggest(kind, program.subjects)
            raise TableError(source, f"{reason}; {hint.en}" if hint else reason)
        chosen.append(subject)
    if not chosen:
        raise TableError(source, f"name at least one subject kind: {declared}")
    return chosen


def _choices(program: ir.Program, ftype: ir.ValueType) -> tuple[ir.ScaleValue, ...]:
    match ftype:
        case ir.OrdinalType(scale=scale_id):
            scale = program.levels if scale_id == ir.LEVEL_SCALE else program.scales.get(scale_id)
            return scale.values if scale is not None else ()
        case ir.EnumType(name=name):
            enum = program.enums.get(name)
            return enum.values if enum is not None else ()
        case _:
            return ()


def _type_name(fdef: ir.FieldDef) -> str:
    ftype = fdef.type
    if isinstance(ftype, ir.NumberType) and not ftype.integer and _is_ratio(fdef):
        return "ratio"
    if isinstance(ftype, ir.OrdinalType):
        return "level" if ftype.scale == ir.LEVEL_SCALE else f"scale {ftype.scale}"
    return str(ftype)


def _accepted(program: ir.Program, fdef: ir.FieldDef) -> str:
    """What a cell of the field may hold, in Vietnamese with English in brackets."""
    ftype = fdef.type
    parts: list[str] = []
    match ftype:
        case ir.BoolType():
            parts.append("có / không (cũng nhận / also: x, true/false, 1/0, yes/no, đúng/sai)")
        case ir.NumberType(integer=True):
            parts.append("số nguyên ≥ 0 (a whole number)")
        case ir.NumberType() if _is_ratio(fdef):
            parts.append("từ 0 đến 1, hoặc phần trăm như 75% (0 to 1, or a percentage)")
        case ir.NumberType():
            parts.append("số; dấu thập phân . hoặc , (a number; decimal point or comma)")
        case ir.DateType():
            parts.append("YYYY-MM-DD hoặc dd/mm/yyyy")
        case ir.OrdinalType() | ir.EnumType():
            parts.append(" | ".join(f"{v.label.vi} ({v.code})" for v in _choices(program, ftype)))
        case ir.TextType() | ir.PeriodType():
            parts.append("văn bản (text)")
        case ir.RecordsType(record=record_id):
            parts.append(f"bảng {fdef.id}: mỗi dòng một {program.records[record_id].label.vi.lower()} (one per row)")
        case _:
            assert_never(ftype)
    if isinstance(ftype, ir.NumberType) and not _is_ratio(fdef):
        if fdef.minimum is not None and not (ftype.integer and fdef.minimum == 0):
            parts.append(f"≥ {_show_number(fdef.minimum)}")
        if fdef.maximum is not None:
            parts.append(f"≤ {_show_number(fdef.maximum)}")
    if fdef.at_most_field:
        parts.append(f"≤ {fdef.at_most_field}")
    if fdef.unit:
        parts.append(f"đơn vị (unit): {fdef.unit}")
    if fdef.default is not None:
        parts.append(f"mặc định (default): {_show_default(fdef.default)}")
    parts.append("để trống = chưa rõ (blank = unknown)")
    return "; ".join(parts)


def _show_number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def _show_default(value: ir.Value) -> str:
    match value:
        case bool():
            return _YES if value else _NO
        case Fraction():
            return _show_number(value)
        case ir.Ordinal() | ir.EnumValue():
            return value.id
        case date():
            return value.isoformat()
        case tuple():
            return "không có (none)" if not value else f"{len(value)} records"
        case _:
            return str(value)


def _guide_row(
    sheet: str, column: str, vi: str, en: str, kind: str, accepted: str, required: str, judgement: str, kinds: str
) -> list[object]:
    return [sheet, column, vi, en, kind, accepted, required, judgement, kinds]


def _field_guide(program: ir.Program, sheet: str, fdef: ir.FieldDef, kinds: Sequence[str]) -> list[object]:
    required = _YES if fdef.required and fdef.default is None else _NO
    judgement = _YES if fdef.judgement else ""
    accepted = _accepted(program, fdef)
    return _guide_row(
        sheet, fdef.id, fdef.label.vi, fdef.label.en, _type_name(fdef), accepted, required, judgement, ", ".join(kinds)
    )


def template(program: ir.Program, kinds: Sequence[str], path: str | os.PathLike[str]) -> None:
    """Write an empty population for a unit to fill in, with one column per evidence field of ``kinds``.

    ``.csv``: the header of the subjects table. ``.xlsx``: the sheets subjects, units, one per records field, and
    ``huong_dan``, which explains every column (labels, type, accepted values, required, judgement).
    """
    target = Path(path)
    chosen = _chosen_kinds(program, kinds, os.fspath(path))
    fields: dict[str, tuple[ir.FieldDef, list[str]]] = {}
    for subject in chosen:
        for fdef in subject.fields:
            fields.setdefault(fdef.id, (fdef, []))[1].append(subject.kind)
    plain = [(f, ks) for f, ks in fields.values() if not isinstance(f.type, ir.RecordsType)]
    listed = [(f, ks) for f, ks in fields.values() if isinstance(f.type, ir.RecordsType)]
    header = [*SUBJECT_COLUMNS, *(f.id for f, _ in plain)]
    if _format_of(target) == "csv":
        _write_csv(target, header, [])
        return

    book = _openpyxl(os.fspath(path)).Workbook()
    subjects_sheet = book.active
    subjects_sheet.title = "subjects"
    _fill_sheet(subjects_sheet, header, [])
    _add_dropdowns(program, subjects_sheet, list(enumerate((f for f, _ in plain), len(SUBJECT_COLUMNS) + 1)))
    _fill_sheet(book.create_sheet("units"), list(UNIT_COLUMNS), [])

    all_kinds = ", ".join(s.kind for s in chosen)
    guide: list[list[object]] = []
    for key, vi, en, accepted, required in _FIXED_GUIDE["subjects"]:
        if key == "kind":
            accepted = " | ".join(f"{s.kind} ({s.label.vi})" for s in chosen)
        guide.append(_guide_row("subjects", key, vi, en, "text", accepted, required, "", all_kinds))
    guide.extend(_field_guide(program, "subjects", f, ks) for f, ks in plain)
    for key, vi, en, accepted, required in _FIXED_GUIDE["units"]:
        guide.append(_guide_row("units", key, vi, en, "text", accepted, required, "", ""))
    for fdef, owners in listed:
        assert isinstance(fdef.type, ir.RecordsType)
        record_def = program.records[fdef.type.record]
        sheet = book.create_sheet(fdef.id)
        _fill_sheet(sheet, [*RECORD_COLUMNS, *(f.id for f in record_def.fields)], [])
        _add_dropdowns(program, sheet, list(enumerate(record_def.fields, len(RECORD_COLUMNS) + 1)))
        accepted = (
            f"một mã của bảng subjects (a subject id); mỗi dòng một {record_def.label.vi.lower()}; "
            "không có dòng nào = không có (no row = none)"
        )
        guide.append(
            _guide_row(fdef.id, "subject", fdef.label.vi, fdef.label.en, "text", accepted, _YES, "", ", ".join(owners))
        )
        guide.extend(_field_guide(program, fdef.id, f, owners) for f in record_def.fields)
    _fill_sheet(book.create_sheet(GUIDE_SHEET), [h for _, h in GUIDE_COLUMNS], guide)
    book.save(target)


def _add_dropdowns(program: ir.Program, sheet: Any, columns: Sequence[tuple[int, ir.FieldDef]]) -> None:
    """Offer the Vietnamese labels of choice fields in a drop-down list; other spellings stay allowed."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    for index, fdef in columns:
        options = (
            [_YES, _NO] if isinstance(fdef.type, ir.BoolType) else [v.label.vi for v in _choices(program, fdef.type)]
        )
        formula = '"' + ",".join(options) + '"'
        if not options or len(formula) > 255 or any("," in o or '"' in o for o in options):
            continue  # Excel's limits on an inline list
        validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}10000")
        sheet.add_data_validation(validation)
