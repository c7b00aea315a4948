"""Quarterly results and dates → evidence: quarters as records cited in traces, months from dates, the 02-month mark."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from process_setup import run
from xeploai.explanation import reasons
from xeploai.process.periods import months_between, quarters_of, whole_months
from xeploai.program import ir

RUN = run()


def test_quarters_become_records_with_the_previous_level_and_the_streak() -> None:
    row = next(r for r in RUN.population.subjects if r.id == "a5")
    quarters = row.evidence["quarters"]
    assert isinstance(quarters, list)
    assert [(q["id"], q["level"], q["streak"]) for q in quarters] == [("Q2/2025", "KHT", 1), ("Q3/2025", "KHT", 2)]
    assert quarters[1]["previous_level"] == "KHT"


def test_the_cap_from_a_kht_quarter_is_in_the_trace_with_its_clause() -> None:
    result = RUN.result.result("a4")
    [cap] = reasons.caps_applied(result)
    assert cap.id == "kht_quarter_no_excellent" and cap.cite is not None and cap.cite.doc == "hd03"
    assert result.outcome.level == "good" and "kht_quarter_no_excellent" in result.outcome.reasons


def test_admission_date_gives_the_months_and_the_central_rule_decides() -> None:
    result = RUN.result.result("a6")
    assert result.outcome.status.value == "not_classified" and result.outcome.reasons == ("newly_admitted",)
    row = next(r for r in RUN.population.subjects if r.id == "a6")
    assert row.evidence["months_since_admission"] == 3


def test_without_quarterly_results_the_period_rules_do_not_hold() -> None:
    result = RUN.result.result("b1")
    assert result.outcome.level == "good" and not reasons.caps_applied(result)


def test_the_two_month_leave_mark_applies_to_a_quarterly_period_only() -> None:
    quarterly = run("2025-Q2")
    result = quarterly.result.result("a1")
    assert result.outcome.status.value == "not_classified"
    assert result.outcome.reasons == ("long_leave_in_quarter",)
    assert RUN.result.result("a1").outcome.status.value == "classified"


def test_dates_arithmetic() -> None:
    assert months_between(date(2025, 4, 1), date(2025, 5, 31)) == 2
    assert months_between(date(2025, 4, 16), date(2025, 5, 15)) == 1
    assert months_between(date(2025, 4, 1), date(2025, 4, 15)) == Fraction(1, 2)
    assert whole_months(date(2025, 9, 1), date(2025, 12, 31)) == 3
    assert whole_months(date(2025, 6, 30), date(2025, 12, 31)) == 6
    period = ir.Period(date(2025, 4, 1), date(2025, 6, 30), "quarterly")
    assert [q[:2] for q in quarters_of(period)] == [(2025, 2)]
