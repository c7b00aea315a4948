"""Tables, reading: headers. Input: a table's header row, the fixed columns of its kind (units, subjects, records,
decisions) and the evidence fields it may hold. Output: a ``Plan`` of which column is which, and a note (a
``Rejection`` without a row) for every unknown, ambiguous, repeated or missing column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from xeploai.evaluation.population import Rejection
from xeploai.program import ir
from xeploai.program.issues import suggest
from xeploai.tables.cells import fold, is_blank
from xeploai.tables.files import Table, TableError

__all__ = [
    "DECISION_COLUMNS",
    "GUIDE_SHEET",
    "PERSON_COLUMNS",
    "RECORD_COLUMNS",
    "SUBJECT_COLUMNS",
    "UNIT_COLUMNS",
    "Names",
    "Plan",
    "cell_at",
    "check_table",
    "map_header",
    "shifted_row",
    "table_note",
    "with_hint",
]

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
    "person": ("person", "mã cá nhân"),
}
# The persons table (optional): one row per person holding one or more results (subject rows).
PERSON_COLUMNS: Final = {
    "id": ("id", "mã", "mã cá nhân"),
    "name": ("name", "họ và tên", "họ tên", "tên"),
}
RECORD_COLUMNS: Final = {"subject": ("subject", "đối tượng", "mã đối tượng")}
DECISION_COLUMNS: Final = {
    "quota": ("quota", "tỷ lệ"),
    "group": ("group", "nhóm"),
    "approved": ("approved", "được giữ mức"),
    "reference": ("reference", "số quyết định"),
}
GUIDE_SHEET: Final = "huong_dan"


def with_hint(reason: ir.Text, hint: ir.Text | None) -> ir.Text:
    return ir.Text(f"{reason.vi}; {hint.vi}", f"{reason.en}; {hint.en}") if hint else reason


def table_note(source: str, column: str | None, reason: ir.Text) -> Rejection:
    """A problem of a whole table or column (row None): reported once, rejecting no row by itself."""
    return Rejection.from_text(source, None, column, None, reason)


@dataclass
class Names:
    """Which header names which field: ids win over labels; a label shared by two fields names neither."""

    ids: dict[str, str] = field(default_factory=dict)  # folded id → id
    labels: dict[str, set[str]] = field(default_factory=dict)  # folded label → ids

    def add(self, fdef: ir.FieldDef) -> None:
        self.ids[fold(fdef.id)] = fdef.id
        for label in (fdef.label.vi, fdef.label.en):
            self.labels.setdefault(fold(label), set()).add(fdef.id)


@dataclass(frozen=True)
class Plan:
    """Where each fixed column and each field is in a table's header (column indexes)."""

    fixed: dict[str, int]
    fields: dict[str, int]


def map_header(
    table: Table,
    fixed: Mapping[str, Sequence[str]],
    names: Names,
    out: list[Rejection],
    skip: Mapping[str, ir.Text] | None = None,
) -> Plan:
    """Map the header of ``table``; report unknown, ambiguous and repeated columns once each.

    ``skip`` maps field ids whose column is ignored to the reason (records fields are read from their own table).
    """
    aliases = {fold(a): key for key, spelled in fixed.items() for a in spelled}
    plan = Plan({}, {})
    taken: dict[str, str] = {}  # fixed key or field id → the header that took it
    for index, header in enumerate(table.header):
        folded = fold(header)
        if not folded:
            if any(len(cells) > index and not is_blank(cells[index]) for _, cells in table.rows):
                reason = ir.Text(
                    "cột không có tiêu đề nhưng có giá trị; bỏ qua", "a column without a header has values; ignored"
                )
                out.append(table_note(table.source, f"column {index + 1}", reason))
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
            out.append(table_note(table.source, header, reason))
            continue
        key = key or next(iter(owners), None)
        if key is None:
            spellings = [*aliases, *names.ids, *names.labels]
            reason = ir.Text(
                f"cột không xác định, bỏ qua: không phải một trong {', '.join(fixed)}, cũng không phải trường minh"
                " chứng (theo mã, nhãn tiếng Việt hoặc tiếng Anh)",
                f"unknown column, ignored: neither one of {', '.join(fixed)} nor an evidence field "
                "(by id, Vietnamese or English label)",
            )
            out.append(table_note(table.source, header, with_hint(reason, suggest(folded, spellings))))
            continue
        if key in taken:
            reason = ir.Text(
                f"cũng chỉ {key!r} như cột {taken[key]!r} đã có; bỏ qua",
                f"names {key!r} like the column {taken[key]!r}; ignored",
            )
            out.append(table_note(table.source, header, reason))
            continue
        taken[key] = header
        if not is_fixed and skip is not None and key in skip:
            out.append(table_note(table.source, header, skip[key]))
            continue
        (plan.fixed if is_fixed else plan.fields)[key] = index
    return plan


def check_table(
    table: Table,
    what: str,
    columns: Iterable[str],
    required: Iterable[str],
    plan: Plan,
    no_rows: ir.Text | None = None,
) -> list[Rejection]:
    """Table-level problems: no header at all, a header without rows, a required column missing."""
    if table.empty:
        expected = ", ".join(columns)
        reason = ir.Text(
            f"bảng {what} trống; cần một dòng tiêu đề ({expected}) và các dòng dữ liệu",
            f"the {what} table is empty; expected a header row ({expected}) and rows",
        )
        return [table_note(table.source, None, reason)]
    required = tuple(required)
    if table.rows and required and not plan.fixed:
        cells = ", ".join(repr(c) for c in table.header[:4]) + (", …" if len(table.header) > 4 else "")
        raise TableError(
            table.source,
            f"the first row ({cells}) does not look like a header: none of its cells names a column of the {what} "
            f"table ({', '.join(columns)}); the header row seems to be missing, so the first {what} row would be "
            "taken for it: add the header row",
        )
    found = []
    if not table.rows:
        reason = ir.Text(
            f"bảng {what} có tiêu đề nhưng không có dòng nào{no_rows.vi if no_rows else ''}",
            f"the {what} table has a header but no rows{no_rows.en if no_rows else ''}",
        )
        found.append(table_note(table.source, None, reason))
    for key in required:
        if key not in plan.fixed:
            reason = ir.Text(
                f"bảng {what} không có cột {key!r}; dòng nào cũng cần cột này",
                f"the {what} table has no {key!r} column; every row needs one",
            )
            found.append(table_note(table.source, key, reason))
    return found


def cell_at(cells: Sequence[object], index: int | None) -> object:
    return cells[index] if index is not None and index < len(cells) else None


def shifted_row(table: Table, number: int, cells: Sequence[object]) -> Rejection | None:
    """A row the file makes untrustworthy (``Table.problems``: a quote left open, an over-long cell), or one with
    values beyond the header's columns (its values may be shifted): it is not used."""
    problem = table.problems.get(number)
    if problem is not None:
        return Rejection.from_text(table.source, number, None, None, problem)
    extra = next((c for c in cells[len(table.header) :] if not is_blank(c)), None)
    if extra is None:
        return None
    reason = ir.Text(
        f"dòng có {len(cells)} ô nhưng tiêu đề có {len(table.header)} cột nên các giá trị có thể bị lệch; hãy đặt "
        "các giá trị chứa dấu phân cách trong dấu ngoặc kép",
        f"the row has {len(cells)} cells but the header has {len(table.header)} columns, so its values may be "
        "shifted; quote values that contain the delimiter",
    )
    return Rejection.from_text(table.source, number, None, extra, reason)
