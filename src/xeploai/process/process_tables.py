"""The review process's inputs: the process tables as offices fill them in.

Input: a folder of CSV files, an .xlsx workbook or a YAML/JSON document holding the proposal of each rung
(``ladder``), the tallies of secret ballots (``ballots``), quarterly results (``quarters``) and dated events
(``dates``), and the program whose ladders, rungs, criteria and level spellings they use.
Output: a ``ProcessInput`` (proposals, tallies, quarters, events) and a ``Rejection`` for every row that cannot be
used, naming its row, column and value.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from xeploai.evaluation.population import Rejection
from xeploai.framework import loader
from xeploai.process.periods import EVENTS, DateEvent, QuarterResult, quarters_of
from xeploai.program import ir
from xeploai.program.ir import Text
from xeploai.tables.spellings import LevelSpellings, fold, spellings

__all__ = ["ProcessError", "ProcessInput", "Proposal", "Tally", "read_number", "read_process"]

TABLES = ("ladder", "ballots", "quarters", "dates")

# The columns of each process table: key → the headers accepted (compared without case and diacritics).
COLUMNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "ladder": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng", "mã đảng viên"),
        "rung": ("rung", "bậc", "cấp đề xuất", "bước"),
        "level": ("level", "mức", "mức đề xuất", "mức xếp loại", "xếp loại"),
        "score": ("score", "điểm", "tổng điểm"),
        "explanation": (
            "explanation",
            "giải trình",
            "lý do giải trình",
            "nội dung giải trình",
            "lý do chênh lệch",
            "lý do",
        ),
        "by": ("by", "người đề xuất", "cơ quan đề xuất", "nơi đề xuất"),
        "reference": ("reference", "văn bản", "số văn bản", "biên bản", "số biên bản", "số quyết định"),
    },
    "ballots": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng", "mã đảng viên"),
        "rung": ("rung", "bậc", "cấp đề xuất", "bước"),
        "entitled": (
            "entitled",
            "tổng số",
            "số được triệu tập",
            "số đảng viên",
            "số đảng viên chính thức",
            "số đảng viên được triệu tập",
        ),
        "present": ("present", "có mặt", "số có mặt", "số đảng viên có mặt", "số dự họp"),
        "valid": ("valid", "phiếu hợp lệ", "số phiếu hợp lệ"),
        "reference": ("reference", "biên bản", "số biên bản"),
    },
    "quarters": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng", "mã đảng viên"),
        "quarter": ("quarter", "quý", "kỳ", "kỳ đánh giá"),
        "level": ("level", "mức", "mức xếp loại", "xếp loại"),
        "note": ("note", "ghi chú", "lý do"),
    },
    "dates": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng", "mã đảng viên"),
        "event": ("event", "sự kiện", "loại", "loại sự kiện"),
        "start": ("start", "date", "ngày", "từ ngày", "ngày bắt đầu", "bắt đầu", "từ"),
        "end": ("end", "đến ngày", "ngày kết thúc", "kết thúc", "đến"),
        "note": ("note", "ghi chú", "lý do"),
    },
}
_QUARTER = re.compile(r"(?:(\d{4})\s*[-/ ]?\s*)?(?:q|quy|quý)?\s*([1-4]|i{1,3}|iv)\s*(?:[-/ ]\s*(\d{4}))?")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


class ProcessError(Exception):
    """Process inputs that cannot be read at all (a missing folder, a file that is not UTF-8 or not a workbook)."""


@dataclass(frozen=True)
class Proposal:
    """One rung's proposal for one subject, as entered."""

    subject: str
    rung: str
    level: str | None  # a level id
    score: Fraction | None = None
    criteria: Mapping[str, object] = field(default_factory=dict)  # criterion field → value as entered
    explanation: str | None = None
    by: str | None = None
    reference: str | None = None
    source: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Tally:
    """The tally of a secret ballot on one subject's level."""

    subject: str
    rung: str
    votes: Mapping[str, int]  # level id → ballots for it
    entitled: int | None = None
    present: int | None = None
    valid: int | None = None
    reference: str | None = None
    source: str = ""
    row: int | None = None


@dataclass(frozen=True)
class ProcessInput:
    proposals: tuple[Proposal, ...] = ()
    tallies: tuple[Tally, ...] = ()
    quarters: tuple[QuarterResult, ...] | None = None  # None: no quarterly table was given
    events: tuple[DateEvent, ...] | None = None  # None: no dates table was given
    rejections: tuple[Rejection, ...] = ()
    unread_quarters: tuple[str, ...] = ()  # subjects with a quarterly row that could not be used: quarters unknown


@dataclass(frozen=True)
class _Row:
    source: str
    row: int
    cells: dict[str, object]  # header as written → cell


def _decode(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ProcessError(f"{path}: is not UTF-8; save it as 'CSV UTF-8'") from error
    except OSError as error:
        raise ProcessError(f"{path}: cannot be read ({error.strerror or error})") from error


def _csv_rows(path: Path) -> list[_Row]:
    text = _decode(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[_Row] = []
    header: list[str] | None = None
    for number, cells in enumerate(reader, 1):
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            continue
        rows.append(_Row(str(path), number, {h: c for h, c in zip(header, cells, strict=False) if h}))
    return rows


def _xlsx_tables(path: Path) -> dict[str, list[_Row]]:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError as error:
        raise ProcessError(f"{path}: .xlsx files need openpyxl: pip install 'xeploai[xlsx]'") from error
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise ProcessError(f"{path}: cannot be read as an .xlsx workbook ({error})") from error
    out: dict[str, list[_Row]] = {}
    try:
        for sheet in book.worksheets:
            name = fold(str(sheet.title))
            if name not in TABLES:
                continue
            header: list[str] | None = None
            rows: list[_Row] = []
            for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
                if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                    continue
                if header is None:
                    header = ["" if c is None else str(c).strip() for c in cells]
                    continue
                rows.append(
                    _Row(f"{path}[{sheet.title}]", number, {h: c for h, c in zip(header, cells, strict=False) if h})
                )
            out[name] = rows
    finally:
        book.close()
    return out


def _document_tables(path: Path) -> dict[str, list[_Row]]:
    document = loader.load_file(path, display=os.fspath(path))
    data = document.data
    if not isinstance(data, dict):
        raise ProcessError(f"{path}: a process document is a mapping with {', '.join(TABLES)}")
    out: dict[str, list[_Row]] = {}
    for key in TABLES:
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise ProcessError(f"{path}: {key} must be a list of entries")
        rows = []
        for position, item in enumerate(items):
            span = document.span((key, position))
            line = span.line if span else position + 1
            if isinstance(item, dict):
                rows.append(_Row(os.fspath(path), line, {str(k): v for k, v in item.items()}))
        out[key] = rows
    return out


def read_process(
    path: str | os.PathLike[str],
    program: ir.Program,
    subjects: Iterable[str] | None = None,
    period: ir.Period | None = None,
) -> ProcessInput:
    """Process inputs from a folder of CSV files (``ladder.csv``, ``ballots.csv``, ``quarters.csv``, ``dates.csv``,
    each optional), an .xlsx workbook with sheets of those names, or a YAML/JSON document with those keys.

    A row that cannot be used becomes a ``Rejection`` naming the row, the column and the value; levels are read
    in any spelling the framework declares (``aliases``). With ``subjects``, rows naming another subject are
    rejected too; with ``period``, quarters outside it. A tally whose counts cannot be (more present than entitled,
    more valid ballots than present, level columns not adding up to the valid ballots), two tallies or two results
    of one quarter for the same subject (both rejected), a criterion score outside its range or a total that is not
    the sum of its criteria are rejected; a column a table does not know is reported once, as a note (no row).
    """
    p = Path(path)
    if p.is_dir():
        tables = {name: _csv_rows(p / f"{name}.csv") for name in TABLES if (p / f"{name}.csv").is_file()}
    elif not p.exists():
        raise ProcessError(f"{p}: no such file or directory")
    elif p.suffix.casefold() in (".xlsx", ".xlsm"):
        tables = _xlsx_tables(p)
    elif p.suffix.casefold() in (".yaml", ".yml", ".json"):
        tables = _document_tables(p)
    else:
        raise ProcessError(f"{p}: expected a folder of CSV files, an .xlsx workbook or a .yaml/.json document")
    return _parse(tables, program, set(subjects) if subjects is not None else None, period)


@dataclass
class _Reader:
    program: ir.Program
    known: LevelSpellings
    subjects: set[str] | None
    rejections: list[Rejection] = field(default_factory=list)
    noted: set[tuple[str, str]] = field(default_factory=set)  # (source, header) of the ignored columns reported

    def columns(
        self,
        table: str,
        row: _Row,
        extra: Mapping[str, str] = {},
        used: Iterable[str] = (),
        hints: Iterable[str] = (),
    ) -> dict[str, tuple[str, object]]:
        """Fixed key (or criterion or level id) → (header, cell) for the headers of ``row`` this table knows.

        A header this table does not know (nor one of ``used``, read elsewhere) is reported once per file, with
        the closest accepted heading (among the aliases, ``extra`` and ``hints``) as a did-you-mean."""
        spelled = {fold(a): key for key, names in COLUMNS[table].items() for a in names}
        spelled.update(extra)
        skip = set(used)
        out: dict[str, tuple[str, object]] = {}
        for header, cell in row.cells.items():
            key = spelled.get(fold(header))
            if key is None:
                if header not in skip:
                    self.ignored(table, row, header, [*extra.values(), *hints])
                continue
            if key not in out:
                out[key] = (header, cell)
        return out

    def ignored(self, table: str, row: _Row, header: str, more: Sequence[str]) -> None:
        if (row.source, header) in self.noted:
            return
        self.noted.add((row.source, header))
        shown = {fold(a): a for names in COLUMNS[table].values() for a in names} | {fold(m): m for m in more}
        match = difflib.get_close_matches(fold(header), list(shown), n=1, cutoff=0.6)
        hint = Text(f"; có phải là '{shown[match[0]]}'?", f"; did you mean '{shown[match[0]]}'?") if match else None
        reason = Text(
            f"cột {header!r} không thuộc bảng {table}, bị bỏ qua" + (hint.vi if hint else ""),
            f"column {header!r} is not a column of the {table} table and is ignored" + (hint.en if hint else ""),
        )
        self.rejections.append(Rejection.from_text(row.source, None, header, header, reason))

    def reject(self, row: _Row, column: str | None, value: object, reason: Text, subject: str | None = None) -> None:
        self.rejections.append(Rejection.from_text(row.source, row.row, column, value, reason, subject))

    def subject(self, row: _Row, cols: Mapping[str, tuple[str, object]]) -> str | None:
        header, cell = cols.get("subject", ("subject", None))
        text = _text(cell)
        if text is None:
            self.reject(row, header, cell, Text("thiếu mã đối tượng", "missing subject id"))
            return None
        if self.subjects is not None and text not in self.subjects:
            reason = Text(f"không có đối tượng {text!r} trong tập dữ liệu", f"no subject {text!r} in the population")
            self.reject(row, header, cell, reason, text)
            return None
        return text

    def level(self, row: _Row, header: str, cell: object, subject: str | None) -> tuple[bool, str | None]:
        """(ok, level id); a blank cell is (True, None)."""
        text = _text(cell)
        if text is None:
            return True, None
        level = self.known.resolve(text)
        if level is None:
            self.reject(row, header, cell, self.known.reason_text(text), subject)
            return False, None
        return True, level


def _text(cell: object) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = unicodedata.normalize("NFC", str(cell)).strip()
    return text or None


def read_number(cell: object) -> Fraction | None:
    """A number cell (``85``, ``85.5``, ``85,5``); raises ValueError when it is not one."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float | Decimal | Fraction):
        return Fraction(str(cell)) if isinstance(cell, float) else Fraction(cell)
    try:
        return Fraction(Decimal(str(cell).strip().replace(",", ".")))
    except (InvalidOperation, ValueError) as error:
        raise ValueError(cell) from error


def _count(cell: object) -> int | None:
    value = read_number(cell)
    if value is None:
        return None
    if value.denominator != 1 or value < 0:
        raise ValueError(cell)
    return int(value)


def _date(cell: object) -> date | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = str(cell).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    dmy = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    if dmy:
        return date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
    raise ValueError(cell)


def _quarter(cell: object) -> tuple[int, int] | None:
    """``2025-Q2``, ``Q2/2025``, ``Quý II/2025`` → (2025, 2); None when it names no year and quarter."""
    text = fold(str(cell)) if cell is not None else ""
    match = _QUARTER.fullmatch(text)
    if match is None:
        return None
    year = match[1] or match[3]
    number = match[2]
    if year is None:
        return None
    return int(year), int(number) if number.isdigit() else _ROMAN[number]


def _parse(
    tables: Mapping[str, list[_Row]], program: ir.Program, subjects: set[str] | None, period: ir.Period | None
) -> ProcessInput:
    reader = _Reader(program, spellings(program), subjects)
    process = program.process
    rung_ids = {r.id for ladder in process.ladders for r in ladder.rungs} if process else set()
    proposals = _proposals(reader, tables.get("ladder", []), rung_ids)
    tallies = _tallies(reader, tables.get("ballots", []), rung_ids)
    quarters, unread = _quarters(reader, tables["quarters"], period) if "quarters" in tables else (None, ())
    events = _events(reader, tables["dates"]) if "dates" in tables else None
    return ProcessInput(
        tuple(proposals),
        tuple(tallies),
        None if quarters is None else tuple(quarters),
        None if events is None else tuple(events),
        tuple(reader.rejections),
        tuple(sorted(unread)),
    )


def _unknown_rung(rung: str | None, rung_ids: set[str]) -> Text:
    if rung is None:
        return Text("thiếu bước", "missing rung")
    have = ", ".join(sorted(rung_ids))
    return Text(
        f"bước {rung!r} không xác định; các quy trình có: {have}", f"unknown rung {rung!r}; the ladders have: {have}"
    )


def _criterion_fields(program: ir.Program) -> dict[str, ir.FieldDef]:
    """Criterion field → its declaration (in the first kind of its ladder that declares it)."""
    out: dict[str, ir.FieldDef] = {}
    for ladder in program.process.ladders if program.process else ():
        for name in ladder.criteria:
            for kind in ladder.kinds:
                subject = program.subjects.get(kind)
                fdef = subject.field_def(name) if subject else None
                if fdef is not None:
                    out.setdefault(name, fdef)
    return out


def _show_number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _proposals(reader: _Reader, rows: list[_Row], rung_ids: set[str]) -> list[Proposal]:
    fields = _criterion_fields(reader.program)
    proposals: list[Proposal] = []
    seen: dict[tuple[str, str], _Row] = {}
    for row in rows:
        cols = reader.columns("ladder", row, {fold(c): c for c in fields})
        subject = reader.subject(row, cols)
        header, cell = cols.get("rung", ("rung", None))
        rung = _text(cell)
        if rung is None or rung not in rung_ids:
            reader.reject(row, header, cell, _unknown_rung(rung, rung_ids), subject)
            continue
        if subject is None:
            continue
        if (subject, rung) in seen:
            first = seen[subject, rung].row
            reason = Text(
                f"{subject} đã có đề xuất ở bước {rung} (dòng {first})",
                f"{subject} already has a {rung} proposal (row {first})",
            )
            reader.reject(row, header, cell, reason, subject)
            continue
        ok, level = reader.level(row, *cols.get("level", ("level", None)), subject)
        try:
            score = read_number(cols.get("score", ("score", None))[1])
        except ValueError:
            reason = Text("điểm không phải là số", "the score is not a number")
            reader.reject(row, cols["score"][0], cols["score"][1], reason, subject)
            continue
        if not ok:
            continue
        values = {c: cell for c, (_, cell) in cols.items() if c in fields and _text(cell) is not None}
        if not _scores_fit(reader, row, cols, fields, values, score, subject):
            continue
        seen[subject, rung] = row
        proposals.append(
            Proposal(
                subject,
                rung,
                level,
                score,
                values,
                _text(cols.get("explanation", ("", None))[1]),
                _text(cols.get("by", ("", None))[1]),
                _text(cols.get("reference", ("", None))[1]),
                row.source,
                row.row,
            )
        )
    return proposals


def _scores_fit(
    reader: _Reader,
    row: _Row,
    cols: Mapping[str, tuple[str, object]],
    fields: Mapping[str, ir.FieldDef],
    values: Mapping[str, object],
    score: Fraction | None,
    subject: str,
) -> bool:
    """Criterion scores within their declared range, and a total that is their sum when every one is given."""
    numbers: dict[str, Fraction] = {}
    for name, cell in values.items():
        fdef = fields[name]
        if not isinstance(fdef.type, ir.NumberType):
            continue
        try:
            value = read_number(cell)
        except ValueError:
            reader.reject(row, cols[name][0], cell, Text("điểm không phải là số", "the score is not a number"), subject)
            return False
        if value is None:
            continue
        low, high = fdef.minimum, fdef.maximum
        if (high is not None and value > high) or (low is not None and value < low):
            span = f"{_show_number(low) if low is not None else '…'}–{_show_number(high) if high is not None else '…'}"
            reason = Text(
                f"{fdef.label.vi} {_show_number(value)} ngoài khoảng {span}",
                f"{fdef.label.en} {_show_number(value)} is outside {span}",
            )
            reader.reject(row, cols[name][0], cell, reason, subject)
            return False
        numbers[name] = value
    numeric = [n for n, f in fields.items() if isinstance(f.type, ir.NumberType)]
    if score is not None and numeric and all(n in numbers for n in numeric):
        total = sum((numbers[n] for n in numeric), Fraction(0))
        if total != score:
            parts = " + ".join(_show_number(numbers[n]) for n in numeric)
            reason = Text(
                f"tổng điểm {_show_number(score)} khác tổng các nhóm tiêu chí {parts} = {_show_number(total)}",
                f"the total {_show_number(score)} is not the sum of its criteria {parts} = {_show_number(total)}",
            )
            reader.reject(row, cols["score"][0], cols["score"][1], reason, subject)
            return False
    return True


def _tallies(reader: _Reader, rows: list[_Row], rung_ids: set[str]) -> list[Tally]:
    kept: dict[tuple[str, str], list[tuple[_Row, Tally]]] = {}
    for row in rows:
        level_headers = {header: level for header in row.cells if (level := reader.known.resolve(header)) is not None}
        codes = [v.code for v in reader.program.levels.values]
        cols = reader.columns("ballots", row, used=level_headers, hints=codes)
        subject = reader.subject(row, cols)
        header, cell = cols.get("rung", ("rung", None))
        rung = _text(cell)
        if rung is None or rung not in rung_ids:
            reader.reject(row, header, cell, _unknown_rung(rung, rung_ids), subject)
            continue
        if subject is None:
            continue
        try:
            votes = {level: _count(row.cells[h]) or 0 for h, level in level_headers.items()}
            counts = {k: _count(cols[k][1]) if k in cols else None for k in ("entitled", "present", "valid")}
        except ValueError as error:
            reason = Text("số phiếu không phải số nguyên", "a count of ballots is not a whole number")
            reader.reject(row, None, error.args[0], reason, subject)
            continue
        if not level_headers:
            reason = Text(
                "không có cột số phiếu: mỗi mức một cột, tiêu đề là mức (HTXS, HTT, HT, KHT)",
                "no column of votes: head one column per level (HTXS, HTT, HT, KHT)",
            )
            reader.reject(row, None, None, reason, subject)
            continue
        problem = _impossible(counts["entitled"], counts["present"], counts["valid"], sum(votes.values()))
        if problem is not None:
            column, value, reason = problem
            reader.reject(row, cols[column][0] if column in cols else None, value, reason, subject)
            continue
        tally = Tally(
            subject,
            rung,
            votes,
            counts["entitled"],
            counts["present"],
            counts["valid"],
            _text(cols.get("reference", ("", None))[1]),
            row.source,
            row.row,
        )
        kept.setdefault((subject, rung), []).append((row, tally))
    tallies: list[Tally] = []
    for (subject, rung), found in kept.items():
        if len(found) == 1:
            tallies.append(found[0][1])
            continue
        lines = ", ".join(str(r.row) for r, _ in found)
        reason = Text(
            f"{subject} có {len(found)} dòng kiểm phiếu ở bước {rung} (dòng {lines}): không dòng nào được dùng",
            f"{subject} has {len(found)} tallies at the {rung} rung (rows {lines}): none is used",
        )
        for row, _ in found:
            reader.reject(row, None, rung, reason, subject)
    return tallies


def _impossible(
    entitled: int | None, present: int | None, valid: int | None, cast: int
) -> tuple[str, object, Text] | None:
    """The first count a tally cannot have: (column key, value, reason), or None when the counts can be."""
    if entitled is not None and present is not None and present > entitled:
        return (
            "present",
            present,
            Text(
                f"số có mặt {present} nhiều hơn tổng số được triệu tập {entitled}",
                f"{present} present is more than the {entitled} entitled to vote",
            ),
        )
    attending, what = (
        (present, ("số có mặt", "present")) if present is not None else (entitled, ("tổng số", "entitled"))
    )
    if valid is not None and attending is not None and valid > attending:
        return (
            "valid",
            valid,
            Text(
                f"số phiếu hợp lệ {valid} nhiều hơn {what[0]} {attending}",
                f"{valid} valid ballots is more than the {attending} {what[1]}",
            ),
        )
    if valid is not None and cast != valid:
        return (
            "valid",
            valid,
            Text(
                f"các cột mức cộng lại {cast} phiếu, khác số phiếu hợp lệ {valid}",
                f"the level columns add up to {cast} ballots, not to the {valid} valid ballots",
            ),
        )
    if valid is None and attending is not None and cast > attending:
        return (
            "valid",
            cast,
            Text(
                f"các cột mức cộng lại {cast} phiếu, nhiều hơn {what[0]} {attending}",
                f"the level columns add up to {cast} ballots, more than the {attending} {what[1]}",
            ),
        )
    return None


def _quarters(reader: _Reader, rows: list[_Row], period: ir.Period | None) -> tuple[list[QuarterResult], set[str]]:
    """The quarterly results, and the subjects with a row that could not be used (their quarters stay unknown)."""
    in_period = {(y, q) for y, q, _first, _last in quarters_of(period)} if period is not None else None
    kept: dict[tuple[str, int, int], list[tuple[_Row, QuarterResult]]] = {}
    unread: set[str] = set()
    for row in rows:
        cols = reader.columns("quarters", row)
        subject = reader.subject(row, cols)
        header, cell = cols.get("quarter", ("quarter", None))
        when = _quarter(cell)
        if when is None:
            reason = Text(
                "không phải một quý; hãy viết 2025-Q2, Q2/2025 hoặc Quý II/2025",
                "not a quarter; write 2025-Q2, Q2/2025 or Quý II/2025",
            )
            reader.reject(row, header, cell, reason, subject)
            unread.update([subject] if subject else [])
            continue
        if in_period is not None and when not in in_period:
            assert period is not None
            reason = Text(
                f"quý Q{when[1]}/{when[0]} nằm ngoài kỳ đánh giá {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}",
                f"quarter Q{when[1]}/{when[0]} is outside the period {period.start}..{period.end}",
            )
            reader.reject(row, header, cell, reason, subject)
            continue
        ok, level = reader.level(row, *cols.get("level", ("level", None)), subject)
        if subject is None:
            continue
        if not ok:
            unread.add(subject)
            continue
        note = _text(cols.get("note", ("", None))[1]) or ""
        result = QuarterResult(subject, when[0], when[1], level, note, row.source, row.row)
        kept.setdefault((subject, *when), []).append((row, result))
    quarters: list[QuarterResult] = []
    for (subject, year, number), found in kept.items():
        if len(found) == 1:
            quarters.append(found[0][1])
            continue
        lines = ", ".join(str(r.row) for r, _ in found)
        reason = Text(
            f"{subject} có {len(found)} dòng cho quý Q{number}/{year} (dòng {lines}): không dòng nào được dùng,"
            " các quý của người này chưa rõ",
            f"{subject} has {len(found)} rows for Q{number}/{year} (rows {lines}): none is used, and this"
            " subject's quarters stay unknown",
        )
        for row, result in found:
            reader.reject(row, None, result.name, reason, subject)
        unread.add(subject)
    return [q for q in quarters if q.subject not in unread], unread


def _events(reader: _Reader, rows: list[_Row]) -> list[DateEvent]:
    events: list[DateEvent] = []
    kinds = {fold(k): k for k in EVENTS} | {fold(w): k for k, words in EVENTS.items() for w in words}
    for row in rows:
        cols = reader.columns("dates", row)
        subject = reader.subject(row, cols)
        header, cell = cols.get("event", ("event", None))
        event = kinds.get(fold(str(cell))) if cell is not None else None
        if event is None:
            names = ", ".join(EVENTS)
            reason = Text(f"sự kiện không xác định; cần một trong: {names}", f"unknown event; expected one of: {names}")
            reader.reject(row, header, cell, reason, subject)
            continue
        try:
            start = _date(cols.get("start", ("start", None))[1])
            end = _date(cols.get("end", ("end", None))[1])
        except ValueError as error:
            reason = Text(
                "không phải ngày; hãy viết YYYY-MM-DD hoặc dd/mm/yyyy", "not a date; write YYYY-MM-DD or dd/mm/yyyy"
            )
            reader.reject(row, None, error.args[0], reason, subject)
            continue
        if start is None:
            reader.reject(row, cols.get("start", ("start", None))[0], None, Text("thiếu ngày", "missing date"), subject)
            continue
        if end is not None and end < start:
            reason = Text(f"ngày kết thúc trước ngày bắt đầu ({start})", f"ends before it starts ({start})")
            reader.reject(row, cols["end"][0], end, reason, subject)
            continue
        if subject is None:
            continue
        events.append(DateEvent(subject, event, start, end, row.source, row.row))
    return events
