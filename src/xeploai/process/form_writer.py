"""The official forms on paper: a table with the Party's document header, its date and place, and its signature block.

Input: ``Table``s (a title, headings, rows, the number format of each numeric column, who signs) and a
``Letterhead`` (the issuing committee, the committee above it, the place, the date). Output: one XLSX workbook with a
sheet per table, laid out as the Party's documents are (Hướng dẫn 36-HD/VPTW on their format: the committee's name
top left with a star under it, "ĐẢNG CỘNG SẢN VIỆT NAM" and the place and date top right, the title, the table, then
the signature block), numbers as numbers with a format, text as text cells, columns as wide as their content; or one
CSV file per table (the table alone, UTF-8 with BOM).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from xeploai.tables.outputs import atomic_file
from xeploai.tables.writers import save_workbook, write_table

__all__ = ["HEADING_ROW", "Letterhead", "Signature", "Table", "share", "write_official"]

HEADING_ROW = 6  # the row of the headings in every sheet: the letterhead and the title above, the rows below
PERCENT = "0.0"  # the number format of a share shown in percent (one decimal)


@dataclass(frozen=True)
class Signature:
    """Who signs a form: the title of the left block (often the one who drew it up) and of the right block (the
    body that issues it, ``T/M`` = on behalf of), each over its note in brackets."""

    left: str = "NGƯỜI LẬP BIỂU"
    right: str = "T/M BAN THƯỜNG VỤ"
    left_note: str = "(Ký, ghi rõ họ tên)"
    right_note: str = "(Ký tên, đóng dấu)"


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (key, Vietnamese heading)
    rows: tuple[dict[str, object], ...]
    formats: Mapping[str, str] = field(default_factory=dict)  # column key → XLSX number format
    signature: Signature | None = field(default_factory=Signature)  # None: nobody signs (a secret ballot)
    notes: tuple[str, ...] = ()  # lines under the title (the rule that applies, the basis)


@dataclass(frozen=True)
class Letterhead:
    """The header of the forms. Blank parts print as dotted lines an office fills in by hand."""

    committee: str = ""  # the issuing committee, e.g. "HUYỆN ỦY SÔNG XANH"
    upper: str = ""  # the party organisation above it, e.g. "ĐẢNG BỘ TỈNH …"
    place: str = ""
    signed_on: date | None = None

    def date_line(self) -> str:
        """``Sông Xanh, ngày 05 tháng 01 năm 2021`` (dotted where unknown).

        >>> Letterhead(place="Sông Xanh", signed_on=date(2021, 1, 5)).date_line()
        'Sông Xanh, ngày 05 tháng 01 năm 2021'
        >>> Letterhead().date_line()
        '……, ngày … tháng … năm ……'
        """
        place = self.place or "……"
        if self.signed_on is None:
            return f"{place}, ngày … tháng … năm ……"
        day = self.signed_on
        return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def share(part: int, whole: int, decimals: int = 1) -> Decimal | None:
    """``part / whole`` in percent, rounded half up (0.05 → 0.1), exactly: never the float's banker's rounding.

    >>> share(1, 8), share(1, 16, 2), share(0, 0)
    (Decimal('12.5'), Decimal('6.25'), None)
    >>> share(1, 400)  # 0.25 % → 0.3, where round(0.25, 1) gives 0.2
    Decimal('0.3')
    """
    if not whole:
        return None
    exact = Fraction(100 * part, whole)
    quantum = Decimal(1).scaleb(-decimals)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_official(
    tables: Mapping[str, Table],
    out: str | os.PathLike[str],
    fmt: str = "xlsx",
    letterhead: Letterhead | None = None,
    *,
    files: Callable[[Path], AbstractContextManager[Path]] = atomic_file,
) -> list[Path]:
    """Write the tables: ``xlsx`` → one workbook ``bieu_mau.xlsx`` with a sheet per table (the letterhead in rows
    1–3, the title in row 4, the notes in row 5, the headings in row ``HEADING_ROW``, the rows, then the signature
    block); ``csv`` → one ``<sheet id>.csv`` per table (UTF-8 with BOM, headings in the first row).

    Each file is written through ``files`` (its final path → the path to write to): by default to a temporary name
    moved over the final one once complete (``tables.outputs.atomic_file``)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        written = []
        for table in tables.values():
            path = folder / f"{table.id}.csv"
            with files(path) as temp:
                write_table(list(table.rows), list(table.columns), temp)
            written.append(path)
        return written
    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in tables.values():
        _sheet(book.create_sheet(table.id), table, letterhead or Letterhead())
    path = folder / "bieu_mau.xlsx"
    with files(path) as temp:
        save_workbook(book, temp)
    return [path]


def _text_cell(sheet: Any, row: int, column: int, text: str) -> Any:
    """A cell that holds text and stays text: a string cell formatted as text, so that a value starting with "="
    is never a formula, with no apostrophe added to what the office reads."""
    cell = sheet.cell(row=row, column=column)
    cell.value = _CONTROL.sub("\ufffd", text)
    cell.data_type = "s"
    cell.number_format = "@"
    return cell


def _block(sheet: Any, row: int, first: int, last: int, text: str, **font: Any) -> None:
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    cell = _text_cell(sheet, row, first, text)
    cell.font = Font(**font)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if last > first:
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _sheet(sheet: Any, table: Table, letterhead: Letterhead) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    width = max(len(table.columns), 2)
    half = max(width // 2, 1)
    left, right = (1, half), (half + 1, width)
    _block(sheet, 1, *left, letterhead.upper.upper() or "ĐẢNG BỘ ……")
    _block(sheet, 2, *left, letterhead.committee.upper() or "……", bold=True)
    _block(sheet, 3, *left, "*")
    _block(sheet, 1, *right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, underline="single")
    _block(sheet, 2, *right, letterhead.date_line(), italic=True)
    _block(sheet, 4, 1, width, table.title.upper(), bold=True, size=13)
    if table.notes:
        _block(sheet, 5, 1, width, "\n".join(table.notes), italic=True)
        sheet.row_dimensions[5].height = 15 * len(table.notes)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    widths = [len(heading) for _, heading in table.columns]
    for col, (_, heading) in enumerate(table.columns, 1):
        cell = _text_cell(sheet, HEADING_ROW, col, heading)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for r, row in enumerate(table.rows, HEADING_ROW + 1):
        for col, (key, _) in enumerate(table.columns, 1):
            value = row.get(key)
            if value is None or isinstance(value, bool | int | float | Decimal):
                cell = sheet.cell(row=r, column=col, value=value)
                if key in table.formats and value is not None:
                    cell.number_format = table.formats[key]
                shown = len(f"{value:.1f}") if isinstance(value, Decimal | float) else len(str(value or ""))
            else:
                text = str(value)
                cell = _text_cell(sheet, r, col, text)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                shown = max((len(line) for line in text.splitlines()), default=0)
            cell.border = border
            widths[col - 1] = max(widths[col - 1], shown)
    for col, longest in enumerate(widths, 1):
        # Headings wrap: a column is as wide as its content, within 6 and 48 characters.
        sheet.column_dimensions[get_column_letter(col)].width = min(max(longest * 0.9 + 2, 6), 48)
    sheet.freeze_panes = sheet.cell(row=HEADING_ROW + 1, column=1).coordinate
    if table.signature is not None:
        end = HEADING_ROW + len(table.rows) + 2
        sign = table.signature
        _block(sheet, end, *left, sign.left, bold=True)
        _block(sheet, end + 1, *left, sign.left_note, italic=True)
        _block(sheet, end, *right, sign.right, bold=True)
        _block(sheet, end + 1, *right, sign.right_note, italic=True)
    sheet.print_title_rows = f"{HEADING_ROW}:{HEADING_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
