"""Tables, reading: entries and the checks every input format shares. Input: the rows of the units, subjects and
decisions tables (or the entries of a document) with their values by fixed key. Output: the ``Unit``s,
``SubjectRow``s and ``CommitteeDecision``s that can be used, and a ``Rejection`` for every problem, in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.population import CommitteeDecision, Person, Rejection, SubjectRow, Unit
from xeploai.program import ir
from xeploai.program.issues import EvidenceError, Issue, suggest
from xeploai.tables.cells import cell_id, cell_ids, cell_name, fold
from xeploai.tables.headers import Names, with_hint

__all__ = [
    "Entry",
    "Reader",
    "SubjectEntry",
    "Where",
    "units_by_id",
]


def _issue_text(issue: Issue) -> ir.Text:
    """An evidence issue's message and hint, in both languages, as a rejection's reason."""
    hint = ir.Text(issue.hint_in("vi") or issue.hint, issue.hint) if issue.hint else None
    return with_hint(ir.Text(issue.message_in("vi"), issue.message), hint)


Where = tuple[str, int | None, str | None, object]  # source, row, column, value


@dataclass
class Entry:
    """One row of a table (or one entry of a document) before its checks."""

    source: str
    row: int | None
    values: dict[str, object]  # fixed key → the value as read
    columns: dict[str, str]  # fixed key → the column (or key) as written in the input
    problems: list[Rejection] = field(default_factory=list)
    malformed: bool = False  # not a mapping (documents): nothing more to check

    def text(self, key: str) -> str | None:
        return cell_id(self.values.get(key))

    def reject(self, key: str | None, reason: ir.Text) -> None:
        column = self.columns.get(key, key) if key is not None else None
        value = self.values.get(key) if key is not None else None
        self.problems.append(Rejection.from_text(self.source, self.row, column, value, reason))

    def where(self) -> ir.Text:
        if self.row is None:
            return ir.Text(self.source, self.source)
        return ir.Text(f"{self.source} dòng {self.row}", f"{self.source} row {self.row}")


@dataclass
class SubjectEntry(Entry):
    cells: tuple[object, ...] = ()  # the row's cells (tables)
    evidence: dict[str, object] = field(default_factory=dict)
    read_from: dict[str, str] = field(default_factory=dict)  # evidence field → the column or table it came from
    locate: Callable[[Issue], Where] | None = None  # where an evidence issue points in the input
    elsewhere: list[Rejection] = field(default_factory=list)  # its problems located in records tables
    unit_known: bool = False


@dataclass
class Reader:
    """The checks every input format shares; every problem found is appended to ``out`` in input order."""

    program: ir.Program
    out: list[Rejection] = field(default_factory=list)

    def evidence_names(self) -> Names:
        names = Names()
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

    def check_units(self, entries: Sequence[Entry]) -> dict[str, Entry]:
        """The units that can be used, by id; the others are rejected, and so are the units under them."""
        kept: dict[str, Entry] = {}
        first: dict[str, Entry] = {}
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
                    reason = with_hint(missing, suggest(parent, first))
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
        self, kept: Mapping[str, Entry], entries: Sequence[Entry], subject_ids: Collection[str]
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
                hinted = with_hint(reason, suggest(head, subject_ids))
                self.out.append(Rejection.from_text(entry.source, entry.row, column, entry.values.get("head"), hinted))
                head = None
            name = cell_name(entry.values.get("name")) or ""
            kind = entry.text("kind") or ""
            units.append(Unit(unit_id, entry.text("parent"), kind, name, head, entry.row, entry.source))
        return tuple(units)

    # --- subjects -------------------------------------------------------------------------------------------

    def check_identity(
        self, entries: Sequence[SubjectEntry], kept: Mapping[str, Entry], units: Sequence[Entry]
    ) -> list[str | None]:
        """Id, duplicate, unit and kind checks of every subject entry; the kind of each (None when unusable)."""
        first: dict[str, Entry] = {}
        all_units = units_by_id(units)
        kinds: list[str | None] = []
        for entry in entries:
            if entry.malformed:
                kinds.append(None)
                continue
            kinds.append(self.identity(entry, first, kept, all_units))
        return kinds

    def identity(
        self,
        entry: SubjectEntry,
        first: dict[str, Entry],
        kept: Mapping[str, Entry],
        all_units: Mapping[str, Entry],
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
            entry.reject("unit", with_hint(missing, suggest(unit, all_units)))
        return self.kind_of(entry)

    def kind_of(self, entry: Entry) -> str | None:
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
            if fold(text) in (fold(kind), fold(subject.label.vi), fold(subject.label.en)):
                return kind
        reason = ir.Text(
            f"loại đối tượng {text!r} không xác định; khung khai báo: {declared}",
            f"unknown subject kind {text!r}; the framework declares: {declared}",
        )
        entry.reject("kind", with_hint(reason, suggest(text, self.program.subjects)))
        return None

    def finish(self, entry: SubjectEntry, kind: str | None) -> SubjectRow | None:
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
            name=cell_name(entry.values.get("name")),
            evidence=entry.evidence,
            row=entry.row,
            source=entry.source,
            columns=entry.read_from,
            person=entry.text("person"),
        )

    # --- persons --------------------------------------------------------------------------------------------

    def persons(self, entries: Sequence[Entry]) -> tuple[Person, ...]:
        """The persons table's rows (checked against the subject rows by ``evaluation.persons``)."""
        out: list[Person] = []
        for entry in entries:
            if entry.malformed or entry.problems:
                self.out.extend(entry.problems)
                continue
            out.append(
                Person(entry.text("id") or "", cell_name(entry.values.get("name")) or "", entry.row, entry.source)
            )
        return tuple(out)

    # --- decisions ------------------------------------------------------------------------------------------

    def decisions(self, entries: Sequence[Entry], subject_ids: Collection[str]) -> tuple[CommitteeDecision, ...]:
        quotas = [q.id for q in self.program.quotas]
        decided: dict[tuple[str, str], Entry] = {}
        out: list[CommitteeDecision] = []
        for entry in entries:
            if entry.malformed:
                self.out.extend(entry.problems)
                continue
            quota, group, reference = entry.text("quota"), entry.text("group"), cell_name(entry.values.get("reference"))
            if quota is None:
                entry.reject("quota", ir.Text("thiếu mã tỷ lệ", "missing quota id"))
            elif quota not in quotas:
                reason = ir.Text(
                    f"tỷ lệ {quota!r} không xác định; khung khai báo: {', '.join(quotas) or '(không có)'}",
                    f"unknown quota {quota!r}; the framework declares: {', '.join(quotas) or '(none)'}",
                )
                entry.reject("quota", with_hint(reason, suggest(quota, quotas)))
            if group is None:
                entry.reject("group", ir.Text("thiếu nhóm tính tỷ lệ", "missing quota group"))
            if reference is None:
                reason = ir.Text(
                    "thiếu số hiệu quyết định (số và ngày ban hành), được trích dẫn trong phần giải thích kết quả",
                    "missing reference (the decision's number and date), which traces cite",
                )
                entry.reject("reference", reason)
            approved = cell_ids(entry.values.get("approved"))
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
                entry.reject("approved", with_hint(reason, suggest(unknown[0], subject_ids)))
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


def units_by_id(units: Sequence[Entry]) -> dict[str, Entry]:
    """Every unit id of the input → its first entry, kept or rejected."""
    all_units: dict[str, Entry] = {}
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


def _first_use(entry: Entry, ident: str | None, first: dict[str, Entry], what: ir.Text) -> None:
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
