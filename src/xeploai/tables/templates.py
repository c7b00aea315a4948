"""Tables, templates. Input: a compiled program and the subject kinds a unit fills in. Output: a blank population to
fill: the subjects header as CSV, or a workbook with the subjects, units and records sheets, each header cell
commented with its Vietnamese and English labels, drop-down lists for choice fields and unit kinds, and a guide
sheet explaining every column.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, assert_never

from xeploai.program import ir
from xeploai.program.issues import suggest
from xeploai.tables.cells import is_ratio
from xeploai.tables.files import TableError, load_openpyxl
from xeploai.tables.headers import GUIDE_SHEET, RECORD_COLUMNS, SUBJECT_COLUMNS, UNIT_COLUMNS
from xeploai.tables.writers import fill_sheet, format_of, save_workbook, write_csv

__all__ = [
    "COMMON_UNIT_KINDS",
    "GUIDE_COLUMNS",
    "template",
]

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
# The unit kinds of the documentation and the example district, offered in the units sheet's drop-down list after
# those the framework's quotas group by; the list only suggests: any other kind is still accepted.
COMMON_UNIT_KINDS: Final = ("district", "grassroots_committee", "grassroots_cell", "cell")
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


# The template's subject columns: the optional person column is left out (one row per subject, as before).
_TEMPLATE_COLUMNS = tuple(k for k in SUBJECT_COLUMNS if k != "person")


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
    if isinstance(ftype, ir.NumberType) and not ftype.integer and is_ratio(fdef):
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
        case ir.NumberType() if is_ratio(fdef):
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
    if isinstance(ftype, ir.NumberType) and not is_ratio(fdef):
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
    header = [*_TEMPLATE_COLUMNS, *(f.id for f, _ in plain)]
    if format_of(target) == "csv":
        write_csv(target, header, [])
        return

    book = load_openpyxl(os.fspath(path)).Workbook()
    subjects_sheet = book.active
    subjects_sheet.title = "subjects"
    fill_sheet(subjects_sheet, header, [])
    _add_dropdowns(program, subjects_sheet, list(enumerate((f for f, _ in plain), len(_TEMPLATE_COLUMNS) + 1)))
    fixed = {sheet: {key: (vi, en) for key, vi, en, _, _ in rows} for sheet, rows in _FIXED_GUIDE.items()}
    _comment_headers(subjects_sheet, [fixed["subjects"][k] for k in _TEMPLATE_COLUMNS] + [_labels(f) for f, _ in plain])
    units_sheet = book.create_sheet("units")
    fill_sheet(units_sheet, list(UNIT_COLUMNS), [])
    _comment_headers(units_sheet, [fixed["units"][k] for k in UNIT_COLUMNS])
    _add_list(units_sheet, list(UNIT_COLUMNS).index("kind") + 1, _unit_kinds(program))

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
        fill_sheet(sheet, [*RECORD_COLUMNS, *(f.id for f in record_def.fields)], [])
        _add_dropdowns(program, sheet, list(enumerate(record_def.fields, len(RECORD_COLUMNS) + 1)))
        subject_labels = (f"{fixed['subjects']['id'][0]} ({fdef.label.vi})", f"Subject id ({fdef.label.en})")
        _comment_headers(sheet, [subject_labels, *(_labels(f) for f in record_def.fields)])
        accepted = (
            f"một mã của bảng subjects (a subject id); mỗi dòng một {record_def.label.vi.lower()}; "
            "không có dòng nào = không có (no row = none)"
        )
        guide.append(
            _guide_row(fdef.id, "subject", fdef.label.vi, fdef.label.en, "text", accepted, _YES, "", ", ".join(owners))
        )
        guide.extend(_field_guide(program, fdef.id, f, owners) for f in record_def.fields)
    fill_sheet(book.create_sheet(GUIDE_SHEET), [h for _, h in GUIDE_COLUMNS], guide)
    save_workbook(book, target)


def _labels(fdef: ir.FieldDef) -> tuple[str, str]:
    return fdef.label.vi, fdef.label.en


def _unit_kinds(program: ir.Program) -> list[str]:
    """The unit kinds to offer: those the framework's quotas group by, then the common ones."""
    kinds = [k for quota in program.quotas for k in quota.group_unit_kinds]
    return list(dict.fromkeys([*kinds, *COMMON_UNIT_KINDS]))


def _comment_headers(sheet: Any, labels: Sequence[tuple[str, str]]) -> None:
    """A comment on each header cell with the column's Vietnamese label, then its English one: the ids in the
    header are what the reader matches, the labels are what the person filling the sheet reads."""
    from openpyxl.comments import Comment  # type: ignore[import-untyped]

    for column, (vi, en) in enumerate(labels, 1):
        comment = Comment(f"{vi}\n{en}", "xeploai")
        comment.width, comment.height = 240, 60  # openpyxl's default box cuts a long label
        sheet.cell(row=1, column=column).comment = comment


def _add_dropdowns(program: ir.Program, sheet: Any, columns: Sequence[tuple[int, ir.FieldDef]]) -> None:
    """Offer the Vietnamese labels of choice fields in a drop-down list; other spellings stay allowed."""
    for index, fdef in columns:
        options = (
            [_YES, _NO] if isinstance(fdef.type, ir.BoolType) else [v.label.vi for v in _choices(program, fdef.type)]
        )
        _add_list(sheet, index, options)


def _add_list(sheet: Any, index: int, options: Sequence[str]) -> None:
    """A drop-down list of ``options`` under the header of column ``index``, that still accepts other values."""
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
    from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

    formula = '"' + ",".join(options) + '"'
    if not options or len(formula) > 255 or any("," in o or '"' in o for o in options):
        return  # Excel's limits on an inline list
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
    letter = get_column_letter(index)
    validation.add(f"{letter}2:{letter}10000")
    sheet.add_data_validation(validation)
