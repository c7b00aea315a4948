"""Population folders at national scale: Parquet (or CSV) tables → ``bulk_input.BulkInput``, checked column by column.

Input: a population directory as ``reader.read_population`` reads it (units, subjects, one table per records field,
decisions; each a ``.parquet`` or a ``.csv`` file) and a compiled program. Output: a ``BulkInput`` — one
``KindColumns`` of typed evidence per subject kind, and every row that cannot be used as the very ``Rejection``
the table reader gives for it (same source, row, column, value, reason, in the same order). Needs pyarrow and
numpy (the ``parquet`` and ``columnar`` extras); they are imported when a folder is read, never by this module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xeploai.evaluation.population import Rejection, Unit
from xeploai.program import ir
from xeploai.tables.cells import cell_id, cell_ids, fold, is_blank
from xeploai.tables.columns import (
    Array,
    Columns,
    arrow_modules,
    cell_texts,
    first_rows,
    flags,
    positions,
    read_columns,
    row_count,
    rows_at,
    rows_where,
)
from xeploai.tables.entries import Entry, Reader, SubjectEntry, units_by_id
from xeploai.tables.files import TableError
from xeploai.tables.headers import (
    DECISION_COLUMNS,
    RECORD_COLUMNS,
    SUBJECT_COLUMNS,
    UNIT_COLUMNS,
    Names,
    Plan,
    cell_at,
    check_table,
    map_header,
    table_note,
)
from xeploai.tables.reader import (
    Folder,
    RecordIndex,
    empty_records_note,
    fixed_entries,
    index_record,
    missing_columns,
    population_folder,
    records_skipped,
    table_evidence,
)
from xeploai.tables.verdicts import (
    CELL_ERROR,
    Effective,
    Records,
    Verdicts,
    at_most_problems,
    check_records,
    compared_fields,
    effective_values,
    judge_cells,
    read_records,
    records_column,
    typed_column,
)

if TYPE_CHECKING:
    from xeploai.evaluation.bulk_input import BulkInput, KindColumns

__all__ = [
    "READ_STAGES",
    "Progress",
    "read_bulk",
    "read_spelled",
    "subject_rows",
]


# --- units ------------------------------------------------------------------------------------------------------------


class _UnitEntries(Mapping[str, Entry]):
    """Unit id → an entry giving its row, for the table reader's checks (which ask ``in``, and ``where()``)."""

    def __init__(self, source: str, rows: Mapping[str, int]) -> None:
        self._source = source
        self._rows = rows

    def __getitem__(self, key: str) -> Entry:
        return Entry(self._source, self._rows[key], {}, {})

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@dataclass
class _UnitsRead:
    """The units table as the table reader checks it: the kept units by id, every unit by id, the heads the rows
    name, and, once the subject ids are known, the units themselves (a head that is no subject is dropped)."""

    kept: Mapping[str, Entry]
    every: Mapping[str, Entry]
    heads: list[str]
    finish: Callable[[Reader, Any], tuple[Unit, ...]]


def _read_units(files: Folder, reader: Reader) -> _UnitsRead:
    """A clean Parquet units table checked column-wise; any problem, or a CSV table, goes the table reader's way."""
    fast = _clean_units(files) if files.files["units"].suffix.casefold() == ".parquet" else None
    if fast is not None:
        notes, kept, units, heads = fast
        reader.out.extend(notes)

        def finish(reader: Reader, subject_ids: Any) -> tuple[Unit, ...]:
            if all(h in subject_ids for h in heads):
                return units
            entries, _ = fixed_entries(files.read("units"), UNIT_COLUMNS, [])
            return reader.units(reader.check_units(entries), entries, subject_ids)

        return _UnitsRead(kept, kept, heads, finish)
    table = files.read("units")
    entries, plan = fixed_entries(table, UNIT_COLUMNS, reader.out)
    reader.out.extend(check_table(table, "units", UNIT_COLUMNS, ("id", "kind"), plan))
    kept_entries = reader.check_units(entries)
    return _UnitsRead(
        kept_entries,
        units_by_id(entries),
        [head for e in entries if (head := e.text("head")) is not None],
        lambda reader, subject_ids: reader.units(kept_entries, entries, subject_ids),
    )


def _clean_units(files: Folder) -> tuple[list[Rejection], _UnitEntries, tuple[Unit, ...], list[str]] | None:
    """The units, when no row has a problem: ids present and distinct, kinds present, parents among the units,
    no cycle. None otherwise (the table reader then checks them row by row, with its messages)."""
    pa, _, np = arrow_modules(files.display)
    plain = frozenset(fold(a) for key in ("id", "name", "head") for a in UNIT_COLUMNS[key])
    columns = read_columns(files, "units", plain)
    notes: list[Rejection] = []
    probe = columns.header_probe()
    plan = map_header(probe, UNIT_COLUMNS, Names(), notes)
    notes.extend(check_table(probe, "units", UNIT_COLUMNS, ("id", "kind"), plan))
    if "id" not in plan.fixed or "kind" not in plan.fixed or not len(columns):
        return None
    n = len(columns)
    nulls = pa.nulls(n, pa.string())

    def texts(key: str, name: bool = False) -> Any:
        return columns.texts(plan.fixed[key], name) if key in plan.fixed else nulls

    ids, kinds, parents = texts("id"), texts("kind"), texts("parent")
    if ids.null_count or kinds.null_count or (first_rows(ids) != np.arange(n)).any():
        return None
    id_list: list[str] = ids.to_pylist()
    parent = positions(parents, id_list)
    if (parent[~parents.is_null().to_numpy(zero_copy_only=False)] < 0).any():
        return None
    jump = parent.copy()
    for _ in range(max(1, n.bit_length()) + 1):  # an ancestor 2^k levels up; a cycle never reaches the top
        jump = np.where(jump >= 0, jump[jump], -1)
    if (jump >= 0).any():
        return None
    numbers = columns.numbers.tolist()
    heads = texts("head").to_pylist()
    units = tuple(
        Unit(i, p, k, name or "", h, number, columns.source)
        for i, p, k, name, h, number in zip(
            id_list,
            parents.to_pylist(),
            kinds.to_pylist(),
            texts("name", True).to_pylist(),
            heads,
            numbers,
            strict=True,
        )
    )
    return notes, _UnitEntries(columns.source, dict(zip(id_list, numbers, strict=True))), units, [h for h in heads if h]


# --- the views of all subject ids the table reader's checks take ----------------------------------------------------


class _Ids:
    """Every row's subject id (rejected rows' included), as the table reader's checks use a set of them: the ids
    it will ask about are looked up in one pass; iterating (for a did-you-mean hint) lists them all."""

    def __init__(self, texts: Any, asked: Sequence[str]) -> None:
        pa, pc, _ = arrow_modules()
        self._texts = texts
        self._asked = set(asked)
        wanted = pa.array(sorted(self._asked), pa.string())
        self._found = set(texts.filter(pc.is_in(texts, value_set=wanted)).to_pylist()) if self._asked else set()
        self._all: list[str] | None = None

    def __contains__(self, item: object) -> bool:
        if item in self._asked:
            return item in self._found
        return item in self._every()

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def _every(self) -> list[str]:
        if self._all is None:
            self._all = list(dict.fromkeys(t for t in self._texts.to_pylist() if t is not None))
        return self._all


class _KindOf(Mapping[str, str | None]):
    """Subject id → the kind of its first row, known for the ids the records tables name; iterating lists all."""

    def __init__(self, known: Mapping[str, str | None], ids: _Ids) -> None:
        self._known = known
        self._ids = ids

    def __getitem__(self, key: str) -> str | None:
        return self._known[key]

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


# --- the reader ------------------------------------------------------------------------------------------------------


READ_STAGES = 9  # the stages ``read_bulk`` reports progress after
Progress = Callable[[int, int], None]


@dataclass
class _Clock:
    """The stages of a read: their seconds into ``timings``, and ``progress(done, total)`` after each of them."""

    timings: MutableMapping[str, float] | None
    progress: Progress | None = None
    total: int = 0
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.started
        self.started = now
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)


@dataclass
class _RowCheck:
    """The table reader's own checks of one subject row, for the rows the column checks found a problem in."""

    reader: Reader
    subjects: Columns
    plan: Plan
    units: _UnitsRead
    records: Mapping[str, Records]
    kind_first: Mapping[str, str | None]

    def reject(self, i: int, first_number: int | None) -> bool:
        """Check row i (``first_number``: the row where its id first occurs, when it is a duplicate), adding its
        rejections to the reader's; whether the row is rejected."""
        subjects, plan, program = self.subjects, self.plan, self.reader.program
        cells = subjects.cells(i)
        values = {key: cell_at(cells, index) for key, index in plan.fixed.items()}
        columns = {key: subjects.header[index] for key, index in plan.fixed.items()}
        entry = SubjectEntry(subjects.source, int(subjects.numbers[i]), values, columns, cells=cells)
        shifted = subjects.shifted(i)
        if shifted is not None:
            entry.problems.append(shifted)
        subject_id = entry.text("id")
        seen: dict[str, Entry] = {}
        if first_number is not None and subject_id is not None:
            seen[subject_id] = Entry(subjects.source, first_number, {}, {})
        kind = self.reader.identity(entry, seen, self.units.kept, self.units.every)
        if kind is not None:
            index = RecordIndex()
            if subject_id is not None and subject_id in self.kind_first:
                owner = {subject_id: self.kind_first[subject_id]}
                for fid, records in self.records.items():
                    probe, record_plan = records.columns.probe, records.plan
                    for r in records.rows_of(subject_id):
                        number, record_cells = int(records.columns.numbers[r]), records.columns.cells(r)
                        index_record(program, index, owner, fid, probe, record_plan, number, record_cells)
            tables_of = {fid: records.columns.probe for fid, records in self.records.items()}
            table_evidence(program, entry, kind, subjects.probe, plan, tables_of, index)
        # The column checks are never laxer than the reader's; were they stricter, the row would still be used.
        return self.reader.finish(entry, kind) is None


def _kinds(reader: Reader, subjects: Columns, plan: Plan) -> tuple[Array, list[str]]:
    """Each row's kind as a position in the program's kinds (-1: missing or unknown), and those kinds."""
    _, _, np = arrow_modules(subjects.source)
    names = list(reader.program.subjects)
    if "kind" not in plan.fixed:
        return np.full(len(subjects), -1, np.int8), names
    encoded = subjects.encoded(plan.fixed["kind"])
    found = [reader.kind_of(Entry(subjects.source, None, {"kind": cell}, {})) for cell in encoded.values]
    lookup = np.array([names.index(k) if k is not None else -1 for k in found] + [-1], np.int16)
    return lookup[encoded.codes], names


def read_bulk(
    folder: str | os.PathLike[str],
    program: ir.Program,
    *,
    timings: MutableMapping[str, float] | None = None,
    progress: Progress | None = None,
) -> BulkInput:
    """Read a population directory for ``program`` into typed columns, one ``KindColumns`` per subject kind.

    The checks are the table reader's, made once per distinct cell and column instead of once per row: the
    rejections equal ``reader.read_population``'s for the same folder (in the same order), and each kind's rows and
    typed evidence equal what ``validate_evidence`` makes of the subjects it reads. Rows with a problem go through
    the table reader's own checks, so their rejections are its rejections. Raises ``TableError`` when the folder
    cannot be read. ``timings``, when given, receives the seconds spent per stage; ``progress(done, total)`` is
    called after each of the ``READ_STAGES`` stages (reading the tables, who each row is, the evidence, the records,
    the rejections, the columns, the decisions).
    """
    from xeploai.evaluation.bulk_input import BulkInput

    display = os.fspath(folder)
    pa, _, np = arrow_modules(display)
    if not Path(folder).is_dir():
        raise TableError(display, "expected a directory holding the units and subjects tables (.parquet or .csv)")
    clock = _Clock(timings, progress, READ_STAGES)
    files = population_folder(Path(folder), program)
    reader = Reader(program, list(files.notes))
    records_fields = reader.records_fields()
    plain = frozenset(
        fold(alias)
        for aliases in (SUBJECT_COLUMNS["id"], SUBJECT_COLUMNS["name"], RECORD_COLUMNS["subject"])
        for alias in aliases
    )
    record_columns: dict[str, Columns] = {}
    for fid in records_fields:
        if fid in files.files:
            columns = read_columns(files, fid, plain)
            if columns.empty:
                reader.out.append(table_note(columns.source, None, empty_records_note(fid)))
            else:
                record_columns[fid] = columns
    units_read = _read_units(files, reader)
    clock.lap("units")
    subjects = read_columns(files, "subjects", plain)
    clock.lap("reading")

    # The header, and who each row is.
    n = len(subjects)
    probe = subjects.header_probe()
    skip = records_skipped(records_fields)
    plan = map_header(probe, SUBJECT_COLUMNS, reader.evidence_names(), reader.out, skip)
    reader.out.extend(check_table(probe, "subjects", SUBJECT_COLUMNS, ("id", "unit", "kind"), plan))
    ids = subjects.texts(plan.fixed["id"]) if "id" in plan.fixed else pa.nulls(n, pa.string())
    first = first_rows(ids)
    missing_id = ids.is_null().to_numpy(zero_copy_only=False)
    duplicate = ~missing_id & (first != np.arange(n))
    if "unit" in plan.fixed:
        unit_cells = subjects.encoded(plan.fixed["unit"])
        if unit_cells.arrow is not None:
            distinct = cell_texts(unit_cells.arrow, cell_id)
        else:
            distinct = pa.array([cell_id(v) for v in unit_cells.values], pa.string())
        known = np.concatenate([positions(distinct, list(units_read.kept)) >= 0, [False]])
        unit_known = known[unit_cells.codes]
        units_of = np.concatenate([_objects(np, distinct), np.array([None], object)])[unit_cells.codes]
    else:
        unit_known, units_of = np.zeros(n, bool), np.full(n, None, object)
    kind_codes, kind_names = _kinds(reader, subjects, plan)
    problem = missing_id | duplicate | ~unit_known | (kind_codes < 0)
    if subjects.rows is not None:
        problem |= np.array([subjects.shifted(i) is not None for i in range(n)], bool)
    first_of_kind = {code: int(np.argmax(kind_codes == code)) for code in range(len(kind_names))}
    present = [
        kind_names[c] for c in sorted(first_of_kind, key=first_of_kind.__getitem__) if kind_codes[first_of_kind[c]] == c
    ]
    record_probes = {fid: columns.probe for fid, columns in record_columns.items()}
    reader.out.extend(missing_columns(program, probe, plan, record_probes, present))
    kind_rows = {code: rows_where(np, kind_codes == code) for code, kind in enumerate(kind_names) if kind in present}
    clock.lap("identity")

    # Evidence, column by column and kind by kind.
    verdicts: dict[tuple[str, str], Verdicts] = {}  # (kind, field) → verdicts of its column's distinct cells
    effective: dict[str, dict[str, Effective]] = {kind: {} for kind in present}
    for fid, index in plan.fields.items():
        encoded = subjects.encoded(index)
        cached: dict[ir.FieldDef, Verdicts] = {}
        for code, rows in kind_rows.items():
            kind = kind_names[code]
            subject = program.subjects[kind]
            codes = encoded.codes[rows]
            fdef = subject.field_def(fid)
            if fdef is None:  # a field of another kind: any value in it is a problem of the row
                given = codes >= 0
                if given.any():
                    blank = flags(np, encoded.values, is_blank, True)
                    problem[rows_at(rows, given & ~blank[codes])] = True
                continue
            found = cached.get(fdef)
            if found is None:
                found = cached[fdef] = judge_cells(program, fdef, encoded.values)
            verdicts[kind, fid] = found
            if found.bad:
                problem[rows_at(rows, found.rows(codes) >= CELL_ERROR)] = True
            if fid in compared_fields(subject.fields):
                effective[kind][fid] = effective_values(fdef, found, codes)
    for code, rows in kind_rows.items():
        kind = kind_names[code]
        problem[rows_at(rows, at_most_problems(program.subjects[kind].fields, effective[kind], row_count(rows)))] = True
    del effective
    clock.lap("evidence")

    # Records: which subject each row names, which rows stand alone (orphans), which have problems.
    checked = {fid: read_records(reader, fid, columns) for fid, columns in record_columns.items()}
    named = sorted({name for records in checked.values() for name in records.names})
    at = positions(ids, named)  # each row's id among the ids the records tables name
    for records in checked.values():
        records.from_named = np.array([*positions(pa.array(named, pa.string()), records.names).tolist(), -1])
    hits = np.flatnonzero(at >= 0)
    unique, where = np.unique(at[hits], return_index=True)
    kind_first: dict[str, str | None] = {}  # a named id → the kind of the first row with it (None: unknown)
    for u, w in zip(unique.tolist(), where.tolist(), strict=True):
        k = int(kind_codes[hits[w]])
        kind_first[named[u]] = kind_names[k] if k >= 0 else None
    for fid, records in checked.items():
        check_records(program, records, kind_first)
        for code, kind in enumerate(kind_names):
            fdef = program.subjects[kind].field_def(fid)
            if fdef is None or not isinstance(fdef.type, ir.RecordsType):
                continue
            bad = records.filed & records.problems[fdef.type.record]
            if bad.any():
                bad_names = sorted({records.names[o] for o in records.owner[bad].tolist()})
                problem |= (positions(ids, bad_names) >= 0) & (kind_codes == code)
    clock.lap("records")

    # Rows with a problem go through the table reader's own checks, which give their rejections, in input order.
    check = _RowCheck(reader, subjects, plan, units_read, checked, kind_first)
    for i in np.flatnonzero(problem).tolist():
        first_number = int(subjects.numbers[first[i]]) if duplicate[i] else None
        problem[i] = check.reject(i, first_number)
    clock.lap("rejections")

    # Records that name no usable subject, after every subject row, as the table reader reports them.
    if any((~records.filed).any() for records in checked.values()):
        kind_of = _KindOf(kind_first, _Ids(ids, []))
        orphans = RecordIndex()
        for fid, records in checked.items():
            probe_r, plan_r = records.columns.probe, records.plan
            for r in np.flatnonzero(~records.filed).tolist():
                number, cells = int(records.columns.numbers[r]), records.columns.cells(r)
                index_record(program, orphans, kind_of, fid, probe_r, plan_r, number, cells)
        reader.out.extend(orphans.orphans)
    clock.lap("records")

    kinds = _kind_columns(
        program, subjects, plan, kind_codes, kind_names, problem, verdicts, checked, ids, units_of, at
    )
    clock.lap("tables")

    # Decisions, and the units' heads, as the table reader checks them.
    asked: list[str] = []
    decided: tuple[Any, ...] = ()
    if "decisions" in files.files:
        decision_table = files.read("decisions")
        entries, decision_plan = fixed_entries(decision_table, DECISION_COLUMNS, reader.out)
        required = ("quota", "group", "reference")
        reader.out.extend(check_table(decision_table, "decisions", DECISION_COLUMNS, required, decision_plan))
        for entry in entries:
            asked.extend(cell_ids(entry.values.get("approved")) or ())
        decided = reader.decisions(entries, _Ids(ids, asked))
    kept = units_read.finish(reader, _Ids(ids, units_read.heads))
    clock.lap("units")
    return BulkInput(kept, kinds, decided, tuple(reader.out), n)


def _kind_columns(
    program: ir.Program,
    subjects: Columns,
    plan: Plan,
    kind_codes: Array,
    kind_names: Sequence[str],
    problem: Array,
    verdicts: Mapping[tuple[str, str], Verdicts],
    checked: Mapping[str, Records],
    ids: Any,
    units: Array,
    named_at: Array,
) -> dict[str, KindColumns]:
    """The rows without problems, kind by kind in the program's order, as typed columns."""
    from xeploai.evaluation.bulk_input import KindColumns
    from xeploai.evaluation.runners.columnar_table import EvidenceTable

    pa, _, np = arrow_modules(subjects.source)
    name_index = plan.fixed.get("name")
    names = subjects.texts(name_index, name=True) if name_index is not None else None
    out: dict[str, KindColumns] = {}
    for code, kind in enumerate(kind_names):
        rows = rows_where(np, (kind_codes == code) & ~problem)
        size = row_count(rows)
        if not size:
            continue
        subject = program.subjects[kind]
        if isinstance(rows, slice):
            kind_ids = ids.slice(rows.start, size)
            kind_names_ = None if names is None else names.slice(rows.start, size)
        else:
            taken = pa.array(rows)
            kind_ids = ids.take(taken)
            kind_names_ = None if names is None else names.take(taken)
        columns: dict[str, Any] = {}
        for fid, index in plan.fields.items():
            fdef = subject.field_def(fid)
            if fdef is not None:
                columns[fid] = typed_column(fdef, verdicts[kind, fid], subjects.encoded(index).codes[rows])
        for fid, records in checked.items():
            fdef = subject.field_def(fid)
            if fdef is not None and isinstance(fdef.type, ir.RecordsType):
                columns[fid] = records_column(program, fdef, records, records.from_named[named_at[rows]])
        out[kind] = KindColumns(
            kind=kind,
            ids=_objects(np, kind_ids),
            units=units[rows],
            names=None if kind_names_ is None else _objects(np, kind_names_),
            rows=subjects.numbers[rows],
            table=EvidenceTable.from_columns(program, kind, columns, size=size),
            source=subjects.source,
            headers={fid: subjects.header[index] for fid, index in plan.fields.items()},
        )
    return out


def _objects(np: Any, texts: Any) -> Array:
    """An Arrow string array as a numpy object array of ``str`` (None where null)."""
    out = texts.to_numpy(zero_copy_only=False)
    return out if out.dtype == object else out.astype(object)


def read_spelled(
    folder: str | os.PathLike[str],
    program: ir.Program,
    *,
    timings: MutableMapping[str, float] | None = None,
    progress: Progress | None = None,
) -> BulkInput:
    """``read_bulk`` with level columns in any spelling the framework declares: the counterpart of
    ``spellings.read_population`` (what ``xeploai batch`` reads for a framework with a review process).

    The folder is read with level fields as text (``spellings.text_levels``); each distinct text is resolved once. A
    row with a spelling of no level is rejected as ``spellings.normalize_population`` rejects it, after the reader's
    rejections and in input order, so the result equals
    ``bulk_input.from_population_input(program, spellings.read_population(folder, program))``. ``progress(done, total)``
    counts ``read_bulk``'s stages and one more, the levels' spellings.
    """
    from xeploai.evaluation.bulk_input import BulkInput, KindColumns
    from xeploai.evaluation.population import SubjectRow
    from xeploai.evaluation.runners.columnar_table import Column, EvidenceTable
    from xeploai.tables import spellings

    _, _, np = arrow_modules(os.fspath(folder))
    textual = spellings.text_levels(program)
    total = READ_STAGES + 1
    read = read_bulk(
        folder, textual, timings=timings, progress=None if progress is None else lambda done, _: progress(done, total)
    )
    clock = _Clock(timings, progress, total, READ_STAGES)
    known = spellings.spellings(program)
    headers: dict[str, str] | None = None
    problems: list[tuple[int, int, Rejection]] = []
    kinds: dict[str, KindColumns] = {}
    for kind, given in read.kinds.items():
        subject = program.subjects[kind]
        columns = dict(given.table.columns)
        bad = np.zeros(len(given.ids), bool)
        for fdef in subject.fields:
            col = columns.get(fdef.id)
            if not spellings._is_level(fdef.type) or not isinstance(col, Column):
                continue
            texts, codes = np.unique(np.where(col.known, col.values, ""), return_inverse=True)
            resolved = [known.resolve(t) if t else None for t in texts.tolist()]
            ranks = np.array([program.levels.rank(r) if r else 0 for r in resolved], np.int8)[codes]
            unresolved = np.array([r is None and bool(t) for t, r in zip(texts.tolist(), resolved, strict=True)])
            failing = np.flatnonzero(unresolved[codes] & col.known)
            if len(failing):
                if headers is None:
                    headers = _subject_headers(folder, textual)
                for i in failing.tolist():
                    name = None if given.names is None else given.names[i]
                    row = SubjectRow(
                        str(given.ids[i]), str(given.units[i]), kind, name, {}, int(given.rows[i]), given.source_of(i)
                    )
                    found: list[Rejection] = []
                    column = headers.get(fdef.id, fdef.id)
                    spellings._level(known, col.values[i], row, column, fdef.id, found)
                    problems.extend((int(given.rows[i]), subject.fields.index(fdef), r) for r in found)
                bad[failing] = True
            columns[fdef.id] = Column(np.where(col.known, ranks, 0).astype(np.int8), col.known, 1, col.default)
        table = EvidenceTable.from_columns(program, kind, columns, size=len(given.ids), defaults=False)
        keep = np.flatnonzero(~bad)
        if len(keep) == len(bad):
            kinds[kind] = KindColumns(
                kind, given.ids, given.units, given.names, given.rows, table, given.source, given.order, given.sources
            )
        elif len(keep):
            kinds[kind] = KindColumns(
                kind,
                given.ids[keep],
                given.units[keep],
                None if given.names is None else given.names[keep],
                given.rows[keep],
                table.take(keep),
                given.source,
                None if given.order is None else given.order[keep],
                None if given.sources is None else given.sources[keep],
            )
    problems.sort(key=lambda p: (p[0], p[1]))
    clock.lap("levels")
    rejections = (*read.rejections, *(r for _, _, r in problems))
    return BulkInput(read.units, kinds, read.decisions, rejections, read.rows_read)


def _subject_headers(folder: str | os.PathLike[str], program: ir.Program) -> dict[str, str]:
    """Each evidence field's column header in the subjects table, as the table reader maps it."""
    files = population_folder(Path(folder), program)
    reader = Reader(program, [])
    plain = frozenset(fold(alias) for alias in SUBJECT_COLUMNS["id"])
    subjects = read_columns(files, "subjects", plain)
    plan = map_header(subjects.header_probe(), SUBJECT_COLUMNS, reader.evidence_names(), [])
    return {fid: subjects.header[index] for fid, index in plan.fields.items()}


def subject_rows(folder: str | os.PathLike[str], program: ir.Program) -> int:
    """About how many subject rows a population folder holds, without reading them: a Parquet file's metadata, or
    a CSV file's line breaks less the header (blank rows and line breaks inside quotes count too)."""
    path = population_folder(Path(folder), program).files["subjects"]
    if path.suffix.casefold() == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        return int(pq.ParquetFile(path).metadata.num_rows)
    breaks, last = 0, b"\n"
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            breaks += block.count(b"\n")
            last = block[-1:]
    return max(breaks + (last != b"\n") - 1, 0)
