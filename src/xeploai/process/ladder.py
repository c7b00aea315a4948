"""The review process: the proposal ladder, ballots and the discrepancies between rungs.

Input: a population result (the level the rules allow for every subject, with its trace), the population it came
from (the appraised evidence), and the process inputs: the proposal of each rung (``ladder`` table), the tallies of
secret ballots (``ballots``), quarterly results (``quarters``) and dated events (``dates``).
Output: for every subject on a ladder, each rung's proposal next to the allowed level and, where they differ, why:
a proposal above the allowed level names the rules it breaks (failed conditions of the proposed level, triggers,
caps, quotas) with their clauses; a ballot's level comes with the arithmetic of its declared rule; a difference
between two rungs of the declared size is listed until a written explanation is supplied.
"""

from __future__ import annotations

import csv
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
from typing import Any

from xeploai.evaluation.population import PopulationInput, PopulationResult, Rejection
from xeploai.evaluation.report import one_line_reason
from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, TraceNode, Truth
from xeploai.explanation import explain, reasons
from xeploai.framework import loader
from xeploai.process.periods import EVENTS, DateEvent, PeriodFacts, QuarterResult
from xeploai.program import ir
from xeploai.program.ir import Text
from xeploai.tables.spellings import LevelSpellings, fold, spellings

__all__ = [
    "BallotOutcome",
    "Discrepancy",
    "Finding",
    "LadderRow",
    "ProcessError",
    "ProcessInput",
    "ProcessResult",
    "Proposal",
    "RungView",
    "Tally",
    "evaluate_process",
    "explain_ladder",
    "read_process",
    "tally_ballot",
]

TABLES = ("ladder", "ballots", "quarters", "dates")

# The columns of each process table: key → the headers accepted (compared without case and diacritics).
COLUMNS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "ladder": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng"),
        "rung": ("rung", "bậc", "cấp đề xuất", "bước"),
        "level": ("level", "mức", "mức đề xuất", "mức xếp loại"),
        "score": ("score", "điểm", "tổng điểm"),
        "explanation": ("explanation", "giải trình", "lý do chênh lệch"),
        "by": ("by", "người đề xuất", "cơ quan đề xuất", "nơi đề xuất"),
        "reference": ("reference", "văn bản", "số văn bản", "biên bản"),
    },
    "ballots": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng"),
        "rung": ("rung", "bậc", "cấp đề xuất", "bước"),
        "entitled": ("entitled", "tổng số", "số được triệu tập", "số đảng viên"),
        "present": ("present", "có mặt", "số có mặt"),
        "valid": ("valid", "phiếu hợp lệ", "số phiếu hợp lệ"),
        "reference": ("reference", "biên bản", "số biên bản"),
    },
    "quarters": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng"),
        "quarter": ("quarter", "quý", "kỳ"),
        "level": ("level", "mức", "mức xếp loại"),
        "note": ("note", "ghi chú", "lý do"),
    },
    "dates": {
        "subject": ("subject", "mã đối tượng", "mã", "đối tượng"),
        "event": ("event", "sự kiện", "loại"),
        "start": ("start", "date", "ngày", "từ ngày", "ngày bắt đầu"),
        "end": ("end", "đến ngày", "ngày kết thúc"),
    },
}
_QUARTER = re.compile(r"(?:(\d{4})\s*[-/ ]?\s*)?(?:q|quy|quý)?\s*([1-4]|i{1,3}|iv)\s*(?:[-/ ]\s*(\d{4}))?")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


class ProcessError(Exception):
    """Process inputs that cannot be read at all (a missing folder, a file that is not UTF-8 or not a workbook)."""


# --- inputs ---------------------------------------------------------------------------------------------------


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
    path: str | os.PathLike[str], program: ir.Program, subjects: Iterable[str] | None = None
) -> ProcessInput:
    """Process inputs from a folder of CSV files (``ladder.csv``, ``ballots.csv``, ``quarters.csv``, ``dates.csv``,
    each optional), an .xlsx workbook with sheets of those names, or a YAML/JSON document with those keys.

    A row that cannot be used becomes a ``Rejection`` naming the row, the column and the value; levels are read
    in any spelling the framework declares (``aliases``). With ``subjects``, rows naming another subject are
    rejected too.
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
    return _parse(tables, program, set(subjects) if subjects is not None else None)


@dataclass
class _Reader:
    program: ir.Program
    known: LevelSpellings
    subjects: set[str] | None
    rejections: list[Rejection] = field(default_factory=list)

    def columns(self, table: str, row: _Row, extra: Mapping[str, str] = {}) -> dict[str, tuple[str, object]]:
        """Fixed key (or criterion or level id) → (header, cell) for the headers of ``row`` this table knows."""
        spelled = {fold(a): key for key, names in COLUMNS[table].items() for a in names}
        spelled.update(extra)
        out: dict[str, tuple[str, object]] = {}
        for header, cell in row.cells.items():
            key = spelled.get(fold(header))
            if key is not None and key not in out:
                out[key] = (header, cell)
        return out

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


def _number(cell: object) -> Fraction | None:
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
    value = _number(cell)
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


def _parse(tables: Mapping[str, list[_Row]], program: ir.Program, subjects: set[str] | None) -> ProcessInput:
    reader = _Reader(program, spellings(program), subjects)
    process = program.process
    rung_ids = {r.id for ladder in process.ladders for r in ladder.rungs} if process else set()
    criteria = {name for ladder in process.ladders for name in ladder.criteria} if process else set()
    proposals: list[Proposal] = []
    seen: dict[tuple[str, str], _Row] = {}
    for row in tables.get("ladder", []):
        cols = reader.columns("ladder", row, {fold(c): c for c in criteria})
        subject = reader.subject(row, cols)
        header, cell = cols.get("rung", ("rung", None))
        rung = _text(cell)
        if rung is None or rung not in rung_ids:
            have = ", ".join(sorted(rung_ids))
            reason = (
                Text("thiếu bước", "missing rung")
                if rung is None
                else Text(
                    f"bước {rung!r} không xác định; các quy trình có: {have}",
                    f"unknown rung {rung!r}; the ladders have: {have}",
                )
            )
            reader.reject(row, header, cell, reason, subject)
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
            score = _number(cols.get("score", ("score", None))[1])
        except ValueError:
            reason = Text("điểm không phải là số", "the score is not a number")
            reader.reject(row, cols["score"][0], cols["score"][1], reason, subject)
            continue
        if not ok:
            continue
        values = {c: cell for c, (_, cell) in cols.items() if c in criteria and _text(cell) is not None}
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
    tallies: list[Tally] = []
    for row in tables.get("ballots", []):
        level_headers = {header: level for header in row.cells if (level := reader.known.resolve(header)) is not None}
        cols = reader.columns("ballots", row)
        subject = reader.subject(row, cols)
        header, cell = cols.get("rung", ("rung", None))
        rung = _text(cell)
        if rung is None or rung not in rung_ids:
            reason = (
                Text("thiếu bước", "missing rung")
                if rung is None
                else Text(f"bước {rung!r} không xác định", f"unknown rung {rung!r}")
            )
            reader.reject(row, header, cell, reason, subject)
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
        tallies.append(
            Tally(
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
        )
    quarters: list[QuarterResult] | None = None if "quarters" not in tables else []
    for row in tables.get("quarters", []):
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
            continue
        ok, level = reader.level(row, *cols.get("level", ("level", None)), subject)
        if subject is None or not ok:
            continue
        assert quarters is not None
        quarters.append(
            QuarterResult(
                subject, when[0], when[1], level, _text(cols.get("note", ("", None))[1]) or "", row.source, row.row
            )
        )
    events: list[DateEvent] | None = None if "dates" not in tables else []
    kinds = {fold(k): k for k in EVENTS} | {fold(w): k for k, words in EVENTS.items() for w in words}
    for row in tables.get("dates", []):
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
        assert events is not None
        events.append(DateEvent(subject, event, start, end, row.source, row.row))
    return ProcessInput(
        tuple(proposals),
        tuple(tallies),
        None if quarters is None else tuple(quarters),
        None if events is None else tuple(events),
        tuple(reader.rejections),
    )


# --- ballots --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotOutcome:
    """What a tally gives under its declared rule, and every step of the arithmetic (Vietnamese, English)."""

    rule: ir.BallotRule
    tally: Tally
    level: str | None  # None: no quorum, or referred to the competent committee
    status: str  # majority | cumulative | below_plurality | referred | no_quorum | no_ballots
    steps: tuple[ir.Text, ...]

    def text(self, lang: str = "vi") -> str:
        return " ".join(step.get(lang) for step in self.steps)


def _pct(share: Fraction) -> str:
    value = float(share * 100)
    return f"{value:.4g}%"


def tally_ballot(rule: ir.BallotRule, tally: Tally, program: ir.Program) -> BallotOutcome:
    """The level a tally gives under ``rule``: quorum, then a strict majority, then the rule for no majority."""
    code = program.level_code
    order = [v.id for v in program.levels.values]
    steps: list[ir.Text] = []
    cast = sum(tally.votes.values())
    valid = tally.valid if tally.valid is not None else cast
    present = tally.present if tally.present is not None else valid
    if rule.quorum is not None and tally.entitled:
        if Fraction(present, tally.entitled) < rule.quorum:
            steps.append(
                ir.Text(
                    f"Có mặt {present}/{tally.entitled}, chưa đủ {_pct(rule.quorum)} số được triệu tập:"
                    " phiếu không có giá trị.",
                    f"{present} of {tally.entitled} present, under the quorum of {_pct(rule.quorum)}:"
                    " the ballot does not count.",
                )
            )
            return BallotOutcome(rule, tally, None, "no_quorum", tuple(steps))
        steps.append(
            ir.Text(
                f"Có mặt {present}/{tally.entitled} (đủ {_pct(rule.quorum)}).",
                f"{present} of {tally.entitled} present (quorum {_pct(rule.quorum)} reached).",
            )
        )
    denominator = {ir.MajorityOf.VALID: valid, ir.MajorityOf.PRESENT: present, ir.MajorityOf.ENTITLED: tally.entitled}[
        rule.majority_of
    ]
    what = {
        ir.MajorityOf.VALID: ("phiếu hợp lệ", "valid ballots"),
        ir.MajorityOf.PRESENT: ("người có mặt", "those present"),
        ir.MajorityOf.ENTITLED: ("người được triệu tập", "those entitled"),
    }[rule.majority_of]
    if not denominator:
        steps.append(ir.Text(f"Không có {what[0]}.", f"No {what[1]}."))
        return BallotOutcome(rule, tally, None, "no_ballots", tuple(steps))
    needed = rule.more_than * denominator
    shown = ", ".join(f"{code(level)} {tally.votes.get(level, 0)}" for level in order)
    steps.append(
        ir.Text(
            f"Phiếu: {shown}; cần trên {_pct(rule.more_than)} của {denominator} {what[0]} (trên {float(needed):g}).",
            f"Ballots: {shown}; a level needs more than {_pct(rule.more_than)} of {denominator} {what[1]}"
            f" (more than {float(needed):g}).",
        )
    )
    for level in order:
        if tally.votes.get(level, 0) > needed:
            steps.append(
                ir.Text(
                    f"{code(level)} đạt {tally.votes[level]} phiếu, quá tỷ lệ.",
                    f"{code(level)} has {tally.votes[level]}, a majority.",
                )
            )
            return BallotOutcome(rule, tally, level, "majority", tuple(steps))
    steps.append(ir.Text("Không mức nào đạt quá tỷ lệ.", "No level has a majority."))
    match rule.no_majority:
        case ir.NoMajority.CUMULATIVE:
            running = 0
            for level in order:
                running += tally.votes.get(level, 0)
                if running > needed:
                    steps.append(
                        ir.Text(
                            f"Cộng dồn từ mức cao xuống: đến {code(level)} được {running} phiếu, quá tỷ lệ"
                            f" ⇒ {code(level)}.",
                            f"Counting each ballot for a level also for every lower level: {running} support"
                            f" {code(level)} or better ⇒ {code(level)}.",
                        )
                    )
                    return BallotOutcome(rule, tally, level, "cumulative", tuple(steps))
            steps.append(ir.Text("Cộng dồn vẫn không quá tỷ lệ.", "Even counted cumulatively, no majority."))
            return BallotOutcome(rule, tally, None, "referred", tuple(steps))
        case ir.NoMajority.BELOW_PLURALITY:
            most = max(order, key=lambda lv: (tally.votes.get(lv, 0), -order.index(lv)))
            below = order[min(order.index(most) + 1, len(order) - 1)]
            steps.append(
                ir.Text(
                    f"Mức nhiều phiếu nhất là {code(most)} ⇒ lấy mức liền dưới {code(below)}.",
                    f"The most votes went to {code(most)} ⇒ the level just below, {code(below)}.",
                )
            )
            return BallotOutcome(rule, tally, below, "below_plurality", tuple(steps))
        case ir.NoMajority.REFER:
            steps.append(
                ir.Text("Chuyển cấp có thẩm quyền xem xét, quyết định.", "Referred to the competent committee.")
            )
            return BallotOutcome(rule, tally, None, "referred", tuple(steps))
    raise AssertionError(rule.no_majority)


# --- the ladder -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A rule (or cap, quota, trigger, eligibility rule, missing field) behind a difference, with its clause."""

    kind: str  # failed | trigger | cap | quota | flag | not_classified | missing | met
    id: str
    label: ir.Text | None
    cite: ir.Citation | None
    confidence: ir.Confidence | None
    facts: str = ""  # the values read, e.g. "general_criteria_score = 25; task_results_score = 60"

    def text(self, program: ir.Program, lang: str = "vi") -> str:
        label = self.label.get(lang) if self.label else self.id
        parts = [f"{label} [{self.id}]"]
        if self.facts:
            parts.append(f"({self.facts})")
        if self.cite is not None:
            parts.append(f"— {cite_text(program, self.cite)}")
        return " ".join(parts)


@dataclass(frozen=True)
class RungView:
    rung: ir.Rung
    proposal: Proposal | None
    ballot: BallotOutcome | None
    level: str | None  # the rung's level: the ballot's when a tally decides, else the proposal's
    relation: str  # agrees | above | below | missing | no_level | pending | undetermined | not_classified
    findings: tuple[Finding, ...] = ()
    mismatch: str | None = None  # a proposal that contradicts its own tally


@dataclass(frozen=True)
class Discrepancy:
    """A difference between two rungs of a declared size: it needs a written explanation until one is given."""

    gap: ir.Gap
    subject: str
    first: str
    second: str
    first_level: str | None
    second_level: str | None
    level_gap: int | None
    points_gap: Fraction | None
    by_criterion: tuple[tuple[str, object, object, object], ...]  # (criterion, first, second, difference)
    explanation: str | None

    @property
    def explained(self) -> bool:
        return bool(self.explanation)


@dataclass(frozen=True)
class LadderRow:
    result: Result
    ladder: ir.Ladder
    unit: str
    allowed: str | None  # the level the rules allow (the final outcome); None when not classified or undetermined
    rungs: tuple[RungView, ...]
    discrepancies: tuple[Discrepancy, ...]
    reason: str  # one line, from the trace
    period: PeriodFacts | None = None
    flags: tuple[Finding, ...] = ()  # raised for the competent committee: period flags held, quotas exceeded


@dataclass(frozen=True)
class ProcessResult:
    population: PopulationResult
    rows: tuple[LadderRow, ...]
    rejections: tuple[Rejection, ...]
    ballots: tuple[BallotOutcome, ...]

    def row(self, subject_id: str) -> LadderRow:
        for row in self.rows:
            if row.result.subject_id == subject_id:
                return row
        raise KeyError(subject_id)

    def unexplained(self) -> list[Discrepancy]:
        return [d for row in self.rows for d in row.discrepancies if not d.explained]


def cite_text(program: ir.Program, cite: ir.Citation) -> str:
    doc = cite.doc
    for legal in program.info.legal_basis:
        if legal.id == cite.doc:
            doc = legal.number
    return f"{doc}, {cite.at}"


def _facts(node: TraceNode) -> str:
    """The values read by a rule's deciding conditions; for records, the ones that met the condition (quarters)."""
    leaves = [node, *reasons.deciding_conditions(node)]
    seen: dict[str, object] = {}
    for leaf in leaves:
        for read in leaf.reads:
            if read.origin == "derived" and isinstance(read.value, dict):
                met = read.value.get(Truth.MET.value)
                if met:
                    seen.setdefault(read.name, "; ".join(str(m) for m in met))
    for leaf in leaves:
        for read in leaf.reads:
            if read.origin != "derived":
                seen.setdefault(read.name, "—" if read.value is None else read.value)
    return "; ".join(f"{k} = {explain.format_value(v)}" for k, v in seen.items())


def _finding(kind: str, node: TraceNode, subject: ir.SubjectProgram | None) -> Finding:
    label = node.label
    if label is None and subject is not None:
        rule = subject.rules.get(node.id)
        label = rule.label if rule is not None else None
    cite, confidence = node.cite, node.confidence
    if cite is None and subject is not None and node.id in subject.rules:
        cite, confidence = subject.rules[node.id].cite, subject.rules[node.id].confidence
    return Finding(kind, node.id, label, cite, confidence, _facts(node))


def findings_above(result: Result, program: ir.Program, proposed: str) -> list[Finding]:
    """Why the rules do not allow ``proposed`` for this subject: what a proposal at that level breaks."""
    outcome = result.outcome
    subject = program.subjects.get(result.subject_kind)
    root = result.trace
    if outcome.status is Status.NOT_CLASSIFIED:
        stage = next(c for c in root.children if c.kind is NodeKind.ELIGIBILITY)
        return [_finding("not_classified", c, subject) for c in stage.children if c.truth is Truth.MET]
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        return [Finding("missing", name, None, None, None) for name in outcome.missing]
    if outcome.decision is Decision.TRIGGER:
        stage = next(c for c in root.children if c.kind is NodeKind.TRIGGERS)
        return [_finding("trigger", c, subject) for c in stage.children if c.truth is Truth.MET]
    rank = program.levels.rank
    found: list[Finding] = []
    node = next((c for c in root.children if c.kind is NodeKind.LEVEL and c.level == proposed), None)
    if node is not None:
        found.extend(_finding("failed", c, subject) for c in node.children if c.truth is not Truth.MET)
    caps = next((c for c in root.children if c.kind is NodeKind.CAPS), None)
    for cap in caps.children if caps else ():
        if cap.truth is Truth.MET and cap.level is not None and rank(cap.level) < rank(proposed):
            found.append(_finding("cap", cap, subject))
    for quota in reasons.quota_checks(result):
        details = dict(quota.details)
        if quota.truth is Truth.NOT_MET and details.get("level") == proposed:
            found.append(
                Finding(
                    "quota",
                    quota.id,
                    quota.label,
                    quota.cite,
                    quota.confidence,
                    f"nhóm {details.get('group_name')}: xếp thứ {details.get('rank')}, được {details.get('allowed')}"
                    f" ({details.get('base')} × {details.get('ratio')}, {details.get('rounding')})",
                )
            )
    return found


def _flagged(result: Result) -> list[Finding]:
    return [
        Finding("flag", q.id, q.label, q.cite, q.confidence)
        for q in reasons.quota_checks(result)
        if q.truth is Truth.UNKNOWN
    ]


def _row_flags(result: Result, program: ir.Program) -> list[Finding]:
    """Period flags that held (notes of ``process.periods.flags``) and quotas left for the committee."""
    periods = program.process.periods if program.process else None
    wanted = set(periods.flags) if periods else set()
    subject = program.subjects.get(result.subject_kind)
    found = [_finding("flag", n, subject) for n in reasons.notes_held(result) if n.id in wanted]
    return found + _flagged(result)


def _met_requirements(result: Result, program: ir.Program, level: str) -> list[Finding]:
    subject = program.subjects.get(result.subject_kind)
    node = next((c for c in result.trace.children if c.kind is NodeKind.LEVEL and c.level == level), None)
    return [_finding("met", c, subject) for c in node.children] if node is not None else []


def _criterion_value(program: ir.Program, kind: str, name: str, raw: object) -> object:
    """A criterion value as a number (scores) or as the grade's rank and code (grades)."""
    subject = program.subjects.get(kind)
    fdef = subject.field_def(name) if subject else None
    if fdef is not None and isinstance(fdef.type, ir.OrdinalType):
        scale = program.levels if fdef.type.scale == ir.LEVEL_SCALE else program.scales.get(fdef.type.scale)
        if scale is not None and isinstance(raw, str):
            folded = fold(raw)
            for value in scale.values:
                if folded in {fold(value.id), fold(value.code), fold(value.label.vi), fold(value.label.en)}:
                    return scale.ordinal(value.id)
        return None
    try:
        return _number(raw)
    except ValueError:
        return None


def _show(value: object, program: ir.Program) -> object:
    if isinstance(value, ir.Ordinal):
        scale = program.scales.get(value.scale)
        if scale is not None:
            return next(v.code for v in scale.values if v.id == value.id)
        return value.id
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return value


def evaluate_process(
    result: PopulationResult,
    population: PopulationInput,
    inputs: ProcessInput,
    facts: Mapping[str, PeriodFacts] | None = None,
    lang: str = "vi",
) -> ProcessResult:
    """Every subject on a ladder: its rungs next to the allowed level, why they differ, and the discrepancies."""
    program = result.program
    process = program.process
    if process is None:
        return ProcessResult(result, (), inputs.rejections, ())
    proposals = {(p.subject, p.rung): p for p in inputs.proposals}
    tallies = {(t.subject, t.rung): t for t in inputs.tallies}
    evidence = {row.id: row.evidence for row in population.subjects}
    rows: list[LadderRow] = []
    outcomes: list[BallotOutcome] = []
    rank = program.levels.rank
    for subject_result in sorted(result.results, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id)):
        ladder = process.ladder_for(subject_result.subject_kind)
        if ladder is None:
            continue
        sid = subject_result.subject_id
        outcome = subject_result.outcome
        allowed = outcome.level if outcome.status is Status.CLASSIFIED else None
        views: list[RungView] = []
        for rung in ladder.rungs:
            proposal = proposals.get((sid, rung.id))
            ballot = None
            tally = tallies.get((sid, rung.id))
            if rung.ballot is not None and tally is not None:
                ballot = tally_ballot(process.ballots[rung.ballot], tally, program)
                outcomes.append(ballot)
            level = (
                ballot.level
                if ballot is not None and ballot.level is not None
                else (proposal.level if proposal else None)
            )
            mismatch = None
            if (
                ballot is not None
                and proposal is not None
                and proposal.level
                and ballot.level
                and proposal.level != ballot.level
            ):
                mismatch = f"{program.level_code(proposal.level)} ≠ {program.level_code(ballot.level)}"
            views.append(_view(subject_result, program, rung, proposal, ballot, level, allowed, mismatch))
        discrepancies = _discrepancies(program, subject_result, ladder, views, evidence.get(sid, {}))
        rows.append(
            LadderRow(
                subject_result,
                ladder,
                str(subject_result.extras.get("unit", "")),
                allowed,
                tuple(views),
                tuple(discrepancies),
                one_line_reason(subject_result, program, lang),
                (facts or {}).get(sid),
                tuple(_row_flags(subject_result, program)),
            )
        )
    del rank
    return ProcessResult(result, tuple(rows), inputs.rejections, tuple(outcomes))


def _view(
    result: Result,
    program: ir.Program,
    rung: ir.Rung,
    proposal: Proposal | None,
    ballot: BallotOutcome | None,
    level: str | None,
    allowed: str | None,
    mismatch: str | None,
) -> RungView:
    outcome = result.outcome
    if proposal is None and ballot is None and rung.from_evidence and allowed is not None:
        return RungView(rung, None, None, allowed, "agrees", tuple(_flagged(result)))
    if proposal is None and ballot is None:
        return RungView(rung, None, None, None, "missing" if rung.required else "no_level")
    if level is None:
        return RungView(
            rung, proposal, ballot, None, "pending" if ballot is not None else "no_level", mismatch=mismatch
        )
    if outcome.status is Status.NOT_CLASSIFIED:
        return RungView(
            rung, proposal, ballot, level, "not_classified", tuple(findings_above(result, program, level)), mismatch
        )
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        return RungView(
            rung, proposal, ballot, level, "undetermined", tuple(findings_above(result, program, level)), mismatch
        )
    assert allowed is not None
    rank = program.levels.rank
    if rank(level) > rank(allowed):
        return RungView(rung, proposal, ballot, level, "above", tuple(findings_above(result, program, level)), mismatch)
    if rank(level) < rank(allowed):
        return RungView(
            rung, proposal, ballot, level, "below", tuple(_met_requirements(result, program, allowed)), mismatch
        )
    flags = _flagged(result)
    return RungView(rung, proposal, ballot, level, "pending" if flags else "agrees", tuple(flags), mismatch)


def _discrepancies(
    program: ir.Program,
    result: Result,
    ladder: ir.Ladder,
    views: Sequence[RungView],
    evidence: Mapping[str, object],
) -> list[Discrepancy]:
    by_rung = {v.rung.id: v for v in views}
    out: list[Discrepancy] = []
    rank = program.levels.rank
    for gap in ladder.gaps:
        first, second = by_rung.get(gap.between[0]), by_rung.get(gap.between[1])
        if first is None or second is None:
            continue
        values_a = _rung_criteria(program, result.subject_kind, ladder, first, evidence)
        values_b = _rung_criteria(program, result.subject_kind, ladder, second, evidence)
        level_gap = None
        if first.level is not None and second.level is not None:
            level_gap = abs(rank(first.level) - rank(second.level))
        total_a = _total(first, values_a)
        total_b = _total(second, values_b)
        points_gap = abs(total_a - total_b) if total_a is not None and total_b is not None else None
        needs = (gap.levels is not None and level_gap is not None and level_gap >= gap.levels) or (
            gap.points is not None and points_gap is not None and points_gap >= gap.points
        )
        if not needs:
            continue
        rows: list[tuple[str, object, object, object]] = []
        for name in ladder.criteria:
            a, b = values_a.get(name), values_b.get(name)
            diff: object = None
            if isinstance(a, Fraction) and isinstance(b, Fraction):
                diff = _show(b - a, program)
            elif isinstance(a, ir.Ordinal) and isinstance(b, ir.Ordinal):
                diff = b.rank - a.rank
            rows.append((name, _show(a, program), _show(b, program), diff))
        explanation = None
        for view in (second, first):
            if view.proposal is not None and view.proposal.explanation:
                explanation = view.proposal.explanation
                break
        out.append(
            Discrepancy(
                gap,
                result.subject_id,
                first.rung.id,
                second.rung.id,
                first.level,
                second.level,
                level_gap,
                points_gap,
                tuple(rows),
                explanation,
            )
        )
    return out


def _rung_criteria(
    program: ir.Program, kind: str, ladder: ir.Ladder, view: RungView, evidence: Mapping[str, object]
) -> dict[str, object]:
    raw: Mapping[str, object] = (
        evidence if view.rung.from_evidence else (view.proposal.criteria if view.proposal else {})
    )
    out: dict[str, object] = {}
    for name in ladder.criteria:
        if name in raw:
            value = _criterion_value(program, kind, name, raw[name])
            if value is not None:
                out[name] = value
    return out


def _total(view: RungView, values: Mapping[str, object]) -> Fraction | None:
    if view.proposal is not None and view.proposal.score is not None:
        return view.proposal.score
    numbers = [v for v in values.values() if isinstance(v, Fraction)]
    return sum(numbers, Fraction(0)) if numbers and len(numbers) == len(values) else None


# --- explanations ---------------------------------------------------------------------------------------------

_RELATION = {
    "agrees": ("khớp với mức được phép", "agrees with the allowed level"),
    "above": ("cao hơn mức quy định cho phép", "above what the rules allow"),
    "below": ("thấp hơn mức quy định cho phép", "below what the rules allow"),
    "missing": ("chưa có đề xuất (bắt buộc)", "no proposal yet (required)"),
    "no_level": ("không đề xuất mức", "no level proposed"),
    "pending": ("chờ cấp có thẩm quyền", "awaits the competent committee"),
    "undetermined": ("chưa đủ căn cứ để so sánh", "evidence insufficient to compare"),
    "not_classified": ("đối tượng không xếp loại", "the subject is not classified"),
}


def relation_text(relation: str, lang: str = "vi") -> str:
    vi, en = _RELATION[relation]
    return en if lang == "en" else vi


def explain_ladder(row: LadderRow, program: ir.Program, lang: str = "vi") -> list[str]:
    """The ladder of one subject in plain text: each rung, how it compares, and why, with clauses."""
    en = lang == "en"
    code = program.level_code
    result = row.result
    who = f"{result.subject_name or result.subject_id} ({result.subject_id})"
    allowed = code(row.allowed) if row.allowed else result.outcome.status.value
    lines = [f"{who}: {'allowed level' if en else 'mức quy định cho phép'} {allowed} — {row.reason}"]
    for view in row.rungs:
        shown = code(view.level) if view.level else "—"
        lines.append(f"  {view.rung.label.get(lang)}: {shown} — {relation_text(view.relation, lang)}")
        if view.ballot is not None:
            lines.append(f"    {'ballot' if en else 'bỏ phiếu'}: {view.ballot.text(lang)}")
            lines.append(f"    {view.ballot.rule.label.get(lang)} — {cite_text(program, view.ballot.rule.cite)}")
        if view.mismatch:
            lines.append(
                f"    {'proposal differs from its tally' if en else 'đề xuất khác kết quả kiểm phiếu'}: {view.mismatch}"
            )
        if view.relation == "above":
            lines.append("    " + ("breaks:" if en else "vướng:"))
        for finding in view.findings if view.relation in ("above", "pending", "not_classified", "undetermined") else ():
            lines.append(f"      - {finding.text(program, lang)}")
    for d in row.discrepancies:
        status = (
            ("explained: " if en else "đã giải trình: ") + (d.explanation or "")
            if d.explained
            else ("explanation required" if en else "phải giải trình")
        )
        size = []
        if d.points_gap is not None:
            size.append(f"{float(d.points_gap):g} {'points' if en else 'điểm'}")
        if d.level_gap:
            size.append(f"{d.level_gap} {'level(s)' if en else 'mức'}")
        lines.append(
            f"  {d.gap.label.get(lang)} ({d.first} → {d.second}: {', '.join(size)}): {status}"
            f" — {cite_text(program, d.gap.cite)}"
        )
    for flag in row.flags:
        lines.append(f"  {'flag' if en else 'lưu ý cấp có thẩm quyền'}: {flag.text(program, lang)}")
    if row.period is not None and row.period.quarters:
        quarters = ", ".join(f"{q.name} {code(q.level) if q.level else '—'}" for q in row.period.quarters)
        lines.append(f"  {'quarters' if en else 'các quý'}: {quarters}")
    return lines


def as_rows(result: ProcessResult) -> list[dict[str, Any]]:
    """A flat view (one row per subject and rung) for JSON output."""
    program = result.population.program
    out: list[dict[str, Any]] = []
    for row in result.rows:
        for view in row.rungs:
            out.append(
                {
                    "subject": row.result.subject_id,
                    "rung": view.rung.id,
                    "level": program.level_code(view.level) if view.level else None,
                    "allowed": program.level_code(row.allowed) if row.allowed else None,
                    "relation": view.relation,
                    "findings": [f.id for f in view.findings],
                }
            )
    return out
