"""Tables, reading: population folders and workbooks, and ``read_population``. Input: a path (a directory of CSV or
Parquet tables, an .xlsx workbook, or a YAML/JSON document) and a compiled program. Output: a ``PopulationInput`` —
units, subjects with checked raw evidence, committee decisions, and every row that could not be used as a
``Rejection`` (file, row, column, value, reason).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from xeploai.evaluation.population import CommitteeDecision, Person, PopulationInput, Rejection, SubjectRow
from xeploai.program import ir
from xeploai.program.issues import Issue, suggest
from xeploai.tables.cells import ABSENT, CellError, cell_id, coerce, is_blank
from xeploai.tables.documents import read_document
from xeploai.tables.entries import Entry, Reader, SubjectEntry, Where
from xeploai.tables.files import Table, TableError, read_csv, read_parquet, read_workbook, refuse_special
from xeploai.tables.headers import (
    DECISION_COLUMNS,
    GUIDE_SHEET,
    PERSON_COLUMNS,
    RECORD_COLUMNS,
    SUBJECT_COLUMNS,
    UNIT_COLUMNS,
    Names,
    Plan,
    cell_at,
    check_table,
    map_header,
    shifted_row,
    table_note,
    with_hint,
)

__all__ = [
    "Folder",
    "RecordIndex",
    "empty_records_note",
    "fixed_entries",
    "index_record",
    "missing_columns",
    "population_folder",
    "read_population",
    "records_plan",
    "records_skipped",
    "table_evidence",
]

_EVIDENCE_PATH = re.compile(r"([a-z][a-z0-9_]*)(?:\[(\d+)\](?:\.([a-z][a-z0-9_]*))?)?")  # as evidence renders it
_TABLE_SUFFIXES: Final = (".csv", ".parquet")


def empty_records_note(fid: str) -> ir.Text:
    return ir.Text(
        f"bảng {fid} trống (không có dòng tiêu đề); bỏ qua", f"the {fid} table is empty (no header row); ignored"
    )


def records_skipped(records_fields: Iterable[str]) -> dict[str, ir.Text]:
    """Why the subjects table's column of each records field is ignored."""
    return {
        f: ir.Text(
            f"trường bản ghi {f!r} được đọc từ bảng riêng {f}, mỗi bản ghi một dòng; bỏ qua",
            f"the records field {f!r} is read from its own table {f}, one row per record; ignored",
        )
        for f in records_fields
    }


@dataclass(frozen=True)
class _RecordRow:
    source: str
    row: int
    cells: dict[str, tuple[str, object]]  # record field → (column, cell)


# --- reading: tables ----------------------------------------------------------------------------------------


def fixed_entries(table: Table, fixed: Mapping[str, Sequence[str]], out: list[Rejection]) -> tuple[list[Entry], Plan]:
    plan = map_header(table, fixed, Names(), out)
    entries: list[Entry] = []
    for number, cells in table.rows:
        values = {key: cell_at(cells, index) for key, index in plan.fixed.items()}
        entry = Entry(table.source, number, values, {key: table.header[i] for key, i in plan.fixed.items()})
        shifted = shifted_row(table, number, cells)
        if shifted is not None:
            entry.problems.append(shifted)
        entries.append(entry)
    return entries, plan


def _read_tables(
    program: ir.Program,
    units: Table,
    subjects: Table,
    records: Mapping[str, Table],
    decisions: Table | None,
    notes: Sequence[Rejection] = (),
    persons: Table | None = None,
) -> PopulationInput:
    reader = Reader(program, list(notes))
    # A records table without even a header says nothing; one with a header and no rows says "none".
    for fid, table in records.items():
        if table.empty:
            reader.out.append(table_note(table.source, None, empty_records_note(fid)))
    records = {fid: table for fid, table in records.items() if not table.empty}
    unit_entries, unit_plan = fixed_entries(units, UNIT_COLUMNS, reader.out)
    reader.out.extend(check_table(units, "units", UNIT_COLUMNS, ("id", "kind"), unit_plan))
    kept_units = reader.check_units(unit_entries)

    records_fields = reader.records_fields()
    skip = records_skipped(records_fields)
    plan = map_header(subjects, SUBJECT_COLUMNS, reader.evidence_names(), reader.out, skip)
    reader.out.extend(check_table(subjects, "subjects", SUBJECT_COLUMNS, ("id", "unit", "kind"), plan))
    entries: list[SubjectEntry] = []
    for number, cells in subjects.rows:
        values = {key: cell_at(cells, index) for key, index in plan.fixed.items()}
        columns = {key: subjects.header[index] for key, index in plan.fixed.items()}
        entry = SubjectEntry(subjects.source, number, values, columns, cells=cells)
        shifted = shifted_row(subjects, number, cells)
        if shifted is not None:
            entry.problems.append(shifted)
        entries.append(entry)
    kinds = reader.check_identity(entries, kept_units, unit_entries)
    reader.out.extend(missing_columns(program, subjects, plan, records, kinds))

    index = _index_records(reader, records, records_fields, entries, kinds)
    rows: list[SubjectRow] = []
    for entry, kind in zip(entries, kinds, strict=True):
        if kind is not None:
            table_evidence(program, entry, kind, subjects, plan, records, index)
        row = reader.finish(entry, kind)
        if row is not None:
            rows.append(row)
    reader.out.extend(index.orphans)

    subject_ids = {i for e in entries if (i := e.text("id")) is not None}
    decided: tuple[CommitteeDecision, ...] = ()
    if decisions is not None:
        decision_entries, decision_plan = fixed_entries(decisions, DECISION_COLUMNS, reader.out)
        required = ("quota", "group", "reference")
        reader.out.extend(check_table(decisions, "decisions", DECISION_COLUMNS, required, decision_plan))
        decided = reader.decisions(decision_entries, subject_ids)
    kept = reader.units(kept_units, unit_entries, subject_ids)
    listed: tuple[Person, ...] = ()
    if persons is not None:
        person_entries, person_plan = fixed_entries(persons, PERSON_COLUMNS, reader.out)
        reader.out.extend(check_table(persons, "persons", PERSON_COLUMNS, ("id",), person_plan))
        listed = reader.persons(person_entries)
    return PopulationInput(
        kept,
        tuple(rows),
        decided,
        tuple(reader.out),
        len(subjects.rows),
        persons=listed,
        has_persons=persons is not None or "person" in plan.fixed,
    )


def missing_columns(
    program: ir.Program, table: Table, plan: Plan, records: Mapping[str, Table], kinds: Sequence[str | None]
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
            found.append(table_note(table.source, fdef.id, reason))
    return found


@dataclass
class RecordIndex:
    rows: dict[tuple[str, str], list[_RecordRow]] = field(default_factory=dict)  # (field, subject id) → rows
    problems: dict[tuple[str, str], list[Rejection]] = field(default_factory=dict)
    orphans: list[Rejection] = field(default_factory=list)  # rows naming no subject that has the field


def _index_records(
    reader: Reader,
    records: Mapping[str, Table],
    records_fields: Mapping[str, Sequence[ir.FieldDef]],
    entries: Sequence[SubjectEntry],
    kinds: Sequence[str | None],
) -> RecordIndex:
    """The rows of each records table by subject id, in input order; rows naming no such subject are rejected."""
    index = RecordIndex()
    kind_of: dict[str, str | None] = {}  # subject id → kind of its first row
    for entry, kind in zip(entries, kinds, strict=True):
        subject_id = entry.text("id")
        if subject_id is not None:
            kind_of.setdefault(subject_id, kind)
    for fid, table in records.items():
        plan = records_plan(reader, fid, table, records_fields[fid])
        for number, cells in table.rows:
            index_record(reader.program, index, kind_of, fid, table, plan, number, cells)
    return index


def records_plan(reader: Reader, fid: str, table: Table, declarations: Sequence[ir.FieldDef]) -> Plan:
    """The columns of the records table of ``fid``; its header problems go to the reader."""
    names = Names()
    for fdef in declarations:
        assert isinstance(fdef.type, ir.RecordsType)
        for record_field in reader.program.records[fdef.type.record].fields:
            names.add(record_field)
    plan = map_header(table, RECORD_COLUMNS, names, reader.out)
    no_rows = ir.Text(f": không đối tượng nào có bản ghi {fid}", f": no subject has any {fid} record")
    reader.out.extend(check_table(table, fid, ("subject", *names.ids.values()), ("subject",), plan, no_rows))
    return plan


def index_record(
    program: ir.Program,
    index: RecordIndex,
    kind_of: Mapping[str, str | None],
    fid: str,
    table: Table,
    plan: Plan,
    number: int,
    cells: Sequence[object],
) -> None:
    """File one row of a records table under its subject, or reject it (``kind_of``: subject id → first kind)."""
    column = table.header[plan.fixed["subject"]] if "subject" in plan.fixed else "subject"
    cell = cell_at(cells, plan.fixed.get("subject"))
    subject_id = cell_id(cell)
    if subject_id is None:
        reason = ir.Text("thiếu mã đối tượng", "missing subject id")
        index.orphans.append(Rejection.from_text(table.source, number, column, cell, reason))
        return
    if subject_id not in kind_of:
        missing = ir.Text(
            f"không có đối tượng {subject_id!r} trong danh sách đối tượng",
            f"no subject {subject_id!r} among the subjects",
        )
        reason = with_hint(missing, suggest(subject_id, kind_of))
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
    shifted = shifted_row(table, number, cells)
    if shifted is not None:
        index.problems.setdefault((fid, subject_id), []).append(shifted)
    row_cells = {f: (table.header[i], cell_at(cells, i)) for f, i in plan.fields.items()}
    index.rows.setdefault((fid, subject_id), []).append(_RecordRow(table.source, number, row_cells))


def table_evidence(
    program: ir.Program,
    entry: SubjectEntry,
    kind: str,
    table: Table,
    plan: Plan,
    records: Mapping[str, Table],
    index: RecordIndex,
) -> None:
    """Coerce the row's cells and its records' rows into raw evidence; cells that cannot be read are problems.

    A records table that is present gives every subject of a kind with that field a list, empty when the table
    has no row for it: the table is the full list of such records.
    """
    subject = program.subjects[kind]
    subject_id = entry.text("id")
    cells_read: dict[str, tuple[str, object]] = {}  # field → (column, cell)
    for fid, col in plan.fields.items():
        header, cell = table.header[col], cell_at(entry.cells, col)
        fdef = subject.field_def(fid)
        try:
            # A field of another kind passes as is: the evidence stage names it as unknown for this kind.
            value = coerce(fdef, cell) if fdef is not None else (ABSENT if is_blank(cell) else cell)
        except CellError as error:
            reason = ir.Text(f"{fid}: {error.text.vi}", f"{fid}: {error.text.en}")
            entry.problems.append(Rejection.from_text(entry.source, entry.row, header, cell, reason))
            continue
        if value is not ABSENT:
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
                    value = coerce(record_field, cell)
                except CellError as error:
                    at = f"{fdef.id}.{record_field.id}"
                    reason = ir.Text(f"{at}: {error.text.vi}", f"{at}: {error.text.en}")
                    entry.elsewhere.append(Rejection.from_text(record_row.source, record_row.row, header, cell, reason))
                    continue
                if value is not ABSENT:
                    item[record_field.id] = value
            items.append(item)
        entry.evidence[fdef.id] = items
        entry.read_from[fdef.id] = records[fdef.id].source
        records_read[fdef.id] = rows

    def locate(issue: Issue) -> Where:
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
class Folder:
    """The tables of a population directory: table name → its file, and a note on every other file.

    A table is a CSV or a Parquet file (``units.csv`` or ``units.parquet``); tables of both formats may sit side by
    side, but one table given in both formats is refused, since neither can be preferred silently.
    """

    display: str
    files: Mapping[str, Path]  # "units", "subjects", "decisions" or a records field id → its file
    notes: tuple[Rejection, ...]

    def source(self, name: str) -> str:
        return os.path.join(self.display, self.files[name].name)

    def read(self, name: str) -> Table:
        path = self.files[name]
        if path.suffix.casefold() == ".parquet":
            return read_parquet(path, self.source(name))
        return read_csv(path, self.source(name))


def population_folder(directory: Path, program: ir.Program) -> Folder:
    display = os.fspath(directory)
    found = {
        p.name.casefold(): p
        for p in sorted(directory.iterdir())
        if (p.is_file() or (p.exists() and not p.is_dir())) and p.suffix.casefold() in _TABLE_SUFFIXES
    }  # a FIFO or a device named like a table is found here, and refused when read
    names = ["units", "subjects", "decisions", "persons", *Reader(program).records_fields()]
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
            notes.append(table_note(os.path.join(display, path.name), None, with_hint(ignored, suggest(name, known))))
    return Folder(display, files, tuple(notes))


def _read_directory(directory: Path, program: ir.Program) -> PopulationInput:
    folder = population_folder(directory, program)
    records_fields = Reader(program).records_fields()
    records = {fid: folder.read(fid) for fid in records_fields if fid in folder.files}
    decisions = folder.read("decisions") if "decisions" in folder.files else None
    persons = folder.read("persons") if "persons" in folder.files else None
    return _read_tables(
        program, folder.read("units"), folder.read("subjects"), records, decisions, folder.notes, persons
    )


def _read_xlsx(path: Path, program: ir.Program) -> PopulationInput:
    display = os.fspath(path)
    records_fields = Reader(program).records_fields()
    known = ["units", "subjects", "decisions", "persons", *records_fields]
    tables = read_workbook(path, display, lambda name: name in known)
    for required in ("units", "subjects"):
        if required not in tables:
            message = (
                f"no sheet {required!r}; a population workbook has the sheets units and subjects, and optionally "
                "decisions and one sheet per records field"
            )
            raise TableError(display, message)
    notes = [
        table_note(
            table.source,
            None,
            with_hint(
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
    hidden = ir.Text(
        "trang tính này đang bị ẩn; vẫn được đọc — hãy kiểm tra đó đúng là bảng cần dùng",
        "the sheet is hidden; it is read all the same: check that it is the table to use",
    )
    notes += [table_note(t.source, None, hidden) for name, t in tables.items() if t.hidden and name in known]
    records = {fid: tables[fid] for fid in records_fields if fid in tables}
    return _read_tables(
        program, tables["units"], tables["subjects"], records, tables.get("decisions"), notes, tables.get("persons")
    )


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
    refuse_special(p, display)
    suffix = p.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p, program)
    if suffix in (".yaml", ".yml", ".json"):
        return read_document(p, program)
    if suffix == ".xls":
        raise TableError(display, "the old .xls format cannot be read; save the workbook as .xlsx")
    if suffix == ".csv":
        raise TableError(display, "give the directory holding units.csv and subjects.csv, not one CSV file")
    if suffix == ".parquet":
        raise TableError(display, "give the directory holding units.parquet and subjects.parquet, not one Parquet file")
    raise TableError(
        display, "expected a directory of CSV or Parquet files, an .xlsx workbook, or a .yaml or .json document"
    )
