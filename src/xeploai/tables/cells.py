"""Tables, reading: names and cells. Input: one cell as a file gives it (text, or a spreadsheet's number, date or
boolean) and the field it fills. Output: the raw evidence value (yes/no words, counts, decimal commas, percentages,
dates written either way), an id or a name as text, or a ``CellError`` saying in both languages why it cannot be read.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Final, assert_never

from xeploai.evaluation.evidence import MAX_DECIMALS, MAX_WHOLE_DIGITS
from xeploai.program import ir

__all__ = [
    "ABSENT",
    "CellError",
    "cell_id",
    "cell_ids",
    "cell_name",
    "coerce",
    "fold",
    "is_blank",
    "is_ratio",
]

_TRUE: Final = frozenset({"co", "x", "true", "1", "yes", "dung"})  # compared without case and diacritics
_FALSE: Final = frozenset({"khong", "false", "0", "no", "sai"})
_COUNT = re.compile(r"[+-]?\d+(?:[.,]0+)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ID_SEPARATOR = re.compile(r"[\s;,]+")


def is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def fold(text: str) -> str:
    """NFC, case-folded, surrounding and repeated spaces dropped: how headers and names are compared.

    >>> fold("  Kết  Quả ")
    'kết quả'
    """
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _plain(text: str) -> str:
    """``fold`` without Vietnamese diacritics, for yes/no words.

    >>> _plain("KHÔNG"), _plain("Đúng")
    ('khong', 'dung')
    """
    decomposed = unicodedata.normalize("NFD", fold(text)).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cell_id(cell: object) -> str | None:
    """An id cell as text (``101`` and ``101.0`` from a spreadsheet both give "101"); None when blank."""
    if is_blank(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date):
        return cell.isoformat()
    return unicodedata.normalize("NFC", str(cell)).strip()


def cell_name(cell: object) -> str | None:
    return None if is_blank(cell) else unicodedata.normalize("NFC", str(cell)).strip()


class _Absent:
    """A blank cell: the field stays unknown."""


ABSENT: Final = _Absent()


class CellError(Exception):
    """A cell whose text cannot be read as its field's type; ``text`` says why in both languages."""

    def __init__(self, vi: str, en: str, formula: str = "") -> None:
        self.text = ir.Text(vi + _formula_hint(formula).vi, en + _formula_hint(formula).en)
        super().__init__(self.text.en)


def coerce(fdef: ir.FieldDef, cell: object) -> object:
    """A cell → the raw evidence value for ``fdef``, or ``ABSENT`` when blank.

    Only text (and spreadsheet numbers and dates) is interpreted here. A value of the wrong type passes through,
    so that ``validate_evidence`` reports it with the messages every input gets.
    """
    if is_blank(cell):
        return ABSENT
    ftype = fdef.type
    match ftype:
        case ir.BoolType():
            return _to_bool(cell)
        case ir.NumberType(integer=True):
            return _to_count(cell)
        case ir.NumberType():
            return _to_number(cell, is_ratio(fdef))
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
    raise CellError(
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
    _check_digits(cell, text)
    if _COUNT.fullmatch(text):
        whole, _, zeros = text.replace(",", ".").partition(".")
        if len(zeros) == 3:  # "1.000" is one thousand in Vietnamese writing, and 1 in English
            raise CellError(
                f"{cell!r} không rõ nghĩa (dấu phân cách hàng nghìn?); hãy viết số nguyên không có dấu phân cách",
                f"{cell!r} is ambiguous (a thousands separator?); write whole numbers without separators",
            )
        return int(whole)
    if _NUMBER.fullmatch(text):
        return _number_value(Decimal(text.replace(",", ".")))  # not whole: the evidence stage says so
    raise CellError(
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
        raise CellError(
            f"{cell!r} không phải là số; cần {expected_vi}", f"{cell!r} is not a number; expected {expected}", text
        )
    if percent and not ratio:
        raise CellError(
            f"{cell!r} là tỷ lệ phần trăm, chỉ trường tỷ lệ (từ 0 đến 1) mới nhận",
            f"{cell!r} is a percentage, which only a ratio field (0 to 1) accepts",
        )
    _check_digits(cell, digits)
    value = Decimal(digits.replace(",", "."))
    return _number_value(value / 100 if percent else value)


def _check_digits(cell: str, text: str) -> None:
    """Refuse a number written with more digits than the evidence stage reads, before any conversion of it."""
    if not _NUMBER.fullmatch(text):
        return
    whole, _, decimals = text.lstrip("+-").replace(",", ".").partition(".")
    whole, decimals = whole.lstrip("0"), decimals.rstrip("0")
    if len(whole) <= MAX_WHOLE_DIGITS and len(decimals) <= MAX_DECIMALS + 2:  # a percentage adds two decimals
        return
    shown = cell.strip() if len(cell.strip()) <= 40 else cell.strip()[:37] + "..."
    raise CellError(
        f"{shown!r} có {len(whole)} chữ số phần nguyên và {len(decimals)} chữ số thập phân; một số có tối đa "
        f"{MAX_WHOLE_DIGITS} chữ số phần nguyên và {MAX_DECIMALS} chữ số thập phân",
        f"{shown!r} has {len(whole)} digits before the point and {len(decimals)} after; a number has at most "
        f"{MAX_WHOLE_DIGITS} before the point and {MAX_DECIMALS} after",
    )


def _number_value(value: Decimal) -> int | float | Decimal:
    """The plainest Python number equal to ``value``, so that messages show 1.5 rather than Decimal('1.5')."""
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    return as_float if Fraction(repr(as_float)) == Fraction(value) else value


def is_ratio(fdef: ir.FieldDef) -> bool:
    # The IR has no ratio type: the compiler gives a ``ratio`` field the bounds 0 and 1.
    low, high = fdef.minimum, fdef.maximum
    return isinstance(fdef.type, ir.NumberType) and low is not None and high is not None and low >= 0 and high <= 1


def _to_date(cell: object) -> object:
    if isinstance(cell, datetime):
        if cell.time() != time(0, 0):
            shown = cell.isoformat(sep=" ")
            raise CellError(
                f"{shown!r} có cả ngày và giờ; cần một ngày", f"{shown!r} is a date and time; expected a date"
            )
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise CellError(
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
        raise CellError(
            f"{cell!r} không phải ngày hợp lệ (không có ngày này trong lịch)", f"{cell!r} is not a valid date ({error})"
        ) from error
    raise CellError(
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


def cell_ids(cell: object) -> tuple[str, ...] | None:
    """``"m1; m2 m3"`` or a list → the ids; None when the value cannot be a list of ids."""
    if is_blank(cell):
        return ()
    if isinstance(cell, list):
        if any(isinstance(c, dict | list | bool) for c in cell):
            return None
        return tuple(i for c in cell if (i := cell_id(c)) is not None)
    if isinstance(cell, str | int | float) and not isinstance(cell, bool):
        return tuple(i for i in _ID_SEPARATOR.split(cell_id(cell) or "") if i)
    return None
