"""Periods: quarterly results and dates → the evidence the period rules of ``process.periods`` read.

Input: a program whose ``process.periods`` names the kinds concerned, a population, the quarterly results and the
dated events (admission, transfer, training, sick and maternity leave) of its subjects, and the period.
Output: the population with, for each subject of those kinds, the quarters of the period as records (each with the
level of the quarter before, so that "two consecutive KHT quarters" is a plain condition), and the figures dates
give: whole months since admission, the most leave within one quarter, a transfer inside the period and the months
at the current unit. The rules reading them are ordinary rules, caps and notes of the kinds, so every trace cites
them and names the quarters. Evidence given in the population always wins over what is derived here.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction

from xeploai.evaluation.population import PopulationInput, SubjectRow
from xeploai.program import ir

__all__ = [
    "EVENTS",
    "LEAVES",
    "DateEvent",
    "PeriodFacts",
    "QuarterResult",
    "apply_periods",
    "months_between",
    "quarters_of",
    "whole_months",
]

# Dated events, with the Vietnamese words offices write (compared without case and diacritics by ``process``).
EVENTS: Mapping[str, tuple[str, ...]] = {
    "admission": ("kết nạp", "ngày kết nạp", "kết nạp đảng"),
    "transfer": ("chuyển công tác", "điều động", "luân chuyển", "chuyển đến"),
    "training": ("đi học", "học tập", "đào tạo", "bồi dưỡng"),
    "sick": ("nghỉ ốm", "ốm đau", "điều trị"),
    "maternity": ("thai sản", "nghỉ thai sản"),
}
LEAVES = ("training", "sick", "maternity")


@dataclass(frozen=True)
class QuarterResult:
    """One subject's result for one quarter; ``level`` None means not classified that quarter."""

    subject: str
    year: int
    quarter: int
    level: str | None
    note: str = ""
    source: str = ""
    row: int | None = None

    @property
    def name(self) -> str:
        return f"Q{self.quarter}/{self.year}"


@dataclass(frozen=True)
class DateEvent:
    subject: str
    event: str  # a key of EVENTS
    start: date
    end: date | None = None  # leaves: the last day (inclusive)
    source: str = ""
    row: int | None = None


@dataclass(frozen=True)
class PeriodFacts:
    """What quarters and dates gave one subject, and from which rows, for reports and explanations."""

    subject: str
    quarters: tuple[QuarterResult, ...]
    derived: Mapping[str, object]  # evidence field → the value put in (only where the population had none)
    events: tuple[DateEvent, ...] = ()
    kept: Mapping[str, object] = field(default_factory=dict)  # fields the population already gave: not replaced


def quarters_of(period: ir.Period) -> list[tuple[int, int, date, date]]:
    """(year, quarter, first day, last day) of every calendar quarter overlapping ``period``.

    >>> [q[:2] for q in quarters_of(ir.Period(date(2025, 1, 1), date(2025, 12, 31)))]
    [(2025, 1), (2025, 2), (2025, 3), (2025, 4)]
    """
    out: list[tuple[int, int, date, date]] = []
    year, quarter = period.start.year, (period.start.month - 1) // 3 + 1
    while True:
        first = date(year, 3 * quarter - 2, 1)
        last = date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])
        if first > period.end:
            return out
        out.append((year, quarter, first, last))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(first: date, last: date) -> Fraction:
    """The length of ``first``..``last`` (both included) in months: whole calendar months, then days of the next.

    >>> months_between(date(2025, 4, 1), date(2025, 5, 31)), months_between(date(2025, 4, 16), date(2025, 5, 15))
    (Fraction(2, 1), Fraction(1, 1))
    """
    if last < first:
        return Fraction(0)
    end = last + timedelta(days=1)
    months = 0
    while _add_months(first, months + 1) <= end:
        months += 1
    start = _add_months(first, months)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    return months + Fraction((end - start).days, days_in_month)


def whole_months(since: date, until: date) -> int:
    """Whole months from ``since`` to ``until`` (admission to the period's end)."""
    if until < since:
        return 0
    months = (until.year - since.year) * 12 + until.month - since.month
    if _add_months(since, months) > until:
        months -= 1
    return max(months, 0)


def _overlap(first: date, last: date, start: date, end: date) -> tuple[date, date] | None:
    a, b = max(first, start), min(last, end)
    return (a, b) if a <= b else None


def apply_periods(
    program: ir.Program,
    population: PopulationInput,
    period: ir.Period,
    quarters: Sequence[QuarterResult] | None,
    events: Sequence[DateEvent] | None,
    unread: Collection[str] = (),
) -> tuple[PopulationInput, dict[str, PeriodFacts]]:
    """The population with the evidence that quarters and dates yield, and the facts behind it by subject id.

    ``None`` means the table was not supplied: its fields stay unknown and the rules reading them do not hold. A
    table that was supplied is the full list: a subject without rows has no quarters, or no leave, or no transfer.
    The subjects of ``unread`` had a quarterly row that could not be used (``ProcessInput.unread_quarters``): their
    quarters stay unknown rather than read as missing.
    """
    rules = program.process.periods if program.process else None
    if rules is None or (quarters is None and events is None):
        return population, {}
    kinds = set(rules.kinds)
    by_subject: dict[str, list[QuarterResult]] = {}
    for q in quarters or ():
        by_subject.setdefault(q.subject, []).append(q)
    events_of: dict[str, list[DateEvent]] = {}
    for e in events or ():
        events_of.setdefault(e.subject, []).append(e)
    in_period = quarters_of(period)
    facts: dict[str, PeriodFacts] = {}
    rows: list[SubjectRow] = []
    for row in population.subjects:
        subject = program.subjects.get(row.kind)
        if row.kind not in kinds or subject is None:
            rows.append(row)
            continue
        derived: dict[str, object] = {}
        used: list[QuarterResult] = []
        if quarters is not None and row.id not in unread:
            mine = {(q.year, q.quarter): q for q in by_subject.get(row.id, [])}
            records: list[dict[str, object]] = []
            previous: QuarterResult | None = None
            streak = 0
            for year, number, _first, _last in in_period:
                result = mine.get((year, number))
                if result is None or result.level is None:
                    streak = 0
                elif previous is not None and previous.level == result.level:
                    streak += 1
                else:
                    streak = 1
                if result is not None:
                    used.append(result)
                    record: dict[str, object] = {
                        "id": result.name,
                        "quarter": number,
                        "classified": result.level is not None,
                        "streak": streak,
                    }
                    if result.level is not None:
                        record["level"] = program.level_code(result.level)
                    if previous is not None and previous.level is not None:
                        record["previous_level"] = program.level_code(previous.level)
                    records.append(record)
                previous = result
            derived[ir.QUARTERS_FIELD] = records
        derived["quarterly_period"] = period.kind == "quarterly"
        mine_events = sorted(events_of.get(row.id, []), key=lambda e: (e.start, e.event))
        if events is not None:
            derived.update(_from_dates(subject, mine_events, period, in_period))
        evidence = dict(row.evidence)
        kept = {name: evidence[name] for name in derived if name in evidence}
        for name, value in derived.items():
            if name not in evidence and subject.field_def(name) is not None:
                evidence[name] = value
        put = {k: v for k, v in derived.items() if k not in kept and subject.field_def(k) is not None}
        facts[row.id] = PeriodFacts(row.id, tuple(used), put, tuple(mine_events), kept)
        columns = {**row.columns, **{name: "quarters/dates" for name in put}}
        rows.append(replace(row, evidence=evidence, columns=columns))
    return replace(population, subjects=tuple(rows)), facts


def _from_dates(
    subject: ir.SubjectProgram,
    events: Sequence[DateEvent],
    period: ir.Period,
    in_period: Sequence[tuple[int, int, date, date]],
) -> dict[str, object]:
    out: dict[str, object] = {}
    admissions = [e for e in events if e.event == "admission"]
    if admissions and subject.field_def("months_since_admission") is not None:
        out["months_since_admission"] = whole_months(admissions[-1].start, period.end)
    longest = Fraction(0)
    for _year, _quarter, first, last in in_period:
        inside = Fraction(0)
        for e in events:
            if e.event not in LEAVES:
                continue
            span = _overlap(first, last, e.start, e.end or e.start)
            if span is not None:
                inside += months_between(*span)
        longest = max(longest, inside)
    out["longest_leave_in_a_quarter"] = _number(longest)
    transfers = [e for e in events if e.event == "transfer" and period.start <= e.start <= period.end]
    out["transferred_in_period"] = bool(transfers)
    since = transfers[-1].start if transfers else period.start
    out["months_at_unit"] = _number(months_between(since, period.end))
    return out


def _number(value: Fraction) -> int | float | str:
    """A raw evidence number: whole numbers as int, others as exact decimal text when short, else float."""
    if value.denominator == 1:
        return int(value.numerator)
    return float(round(value, 4))
