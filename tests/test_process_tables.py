"""The process tables as a secretary fills them in: every impossible or ambiguous row is rejected with its numbers,
duplicates are both named, unknown columns are reported with a did-you-mean, the common Vietnamese headers work."""

from __future__ import annotations

from process_setup import BAD, INPUTS, RUN_PROGRAM, run_bad
from xeploai import api
from xeploai.evaluation.population import Rejection
from xeploai.process import process_tables

BAD_RUN = run_bad()


def _rejected(source: str, subject: str) -> list[Rejection]:
    return [r for r in BAD_RUN.ladder.rejections if r.source.endswith(source) and r.subject_id == subject]


def test_a_tally_with_more_present_than_entitled_is_rejected_with_its_numbers() -> None:
    [rejection] = _rejected("ballots.csv", "a1")
    assert rejection.row == 2 and "12" in rejection.reason and "10" in rejection.reason
    assert not [t for t in BAD_RUN.inputs.tallies if t.subject == "a1"]


def test_a_tally_with_more_valid_ballots_than_present_is_rejected() -> None:
    [rejection] = _rejected("ballots.csv", "a2")
    assert "valid" in rejection.reason and "10" in rejection.reason and "9" in rejection.reason


def test_level_ballots_that_do_not_add_up_to_the_valid_ballots_decide_nothing() -> None:
    [rejection] = _rejected("ballots.csv", "a3")
    assert "11" in rejection.reason and "9" in rejection.reason
    cell = BAD_RUN.ladder.row("a3").rungs[1]
    assert cell.ballot is None and cell.level is None  # 11 ballots out of 9 valid no longer make it HTXS


def test_entitled_above_the_official_members_of_the_unit_is_rejected() -> None:
    [rejection] = _rejected("ballots.csv", "a5")
    assert "30" in rejection.reason and "17" in rejection.reason and "probationary" in rejection.reason
    assert BAD_RUN.ladder.row("a5").rungs[1].ballot is None


def test_two_tallies_for_the_same_subject_and_rung_are_both_rejected_and_named() -> None:
    rejections = _rejected("ballots.csv", "a4")
    assert sorted(r.row for r in rejections) == [5, 6]
    assert all("5" in r.reason and "6" in r.reason for r in rejections)
    assert not [t for t in BAD_RUN.inputs.tallies if t.subject == "a4"]


def test_two_results_for_the_same_quarter_are_both_rejected_and_switch_on_no_cap() -> None:
    rejections = _rejected("quarters.csv", "c1")
    assert sorted(r.row for r in rejections) == [2, 3]
    assert not [q for q in BAD_RUN.inputs.quarters or () if q.subject == "c1"]
    result = BAD_RUN.result.result("c1")
    assert "kht_quarter_no_excellent" not in result.outcome.reasons


def test_a_quarter_outside_the_period_is_rejected() -> None:
    [rejection] = _rejected("quarters.csv", "a2")
    assert rejection.row == 4 and "2025" in rejection.reason and rejection.value == "2024-Q4"
    assert [q.name for q in BAD_RUN.inputs.quarters or () if q.subject == "a2"] == ["Q1/2025"]


def test_unknown_columns_are_reported_once_with_a_did_you_mean() -> None:
    notes = [r for r in BAD_RUN.ladder.rejections if r.row is None]
    by_column = {(r.source.rsplit("/", 1)[-1], r.column): r for r in notes}
    assert set(by_column) == {
        ("ballots.csv", "HTTT"),
        ("ladder.csv", "Ghi chú thêm"),
        ("ladder.csv", "Giai trinh chenh lech"),
    }
    assert "HTT" in by_column["ballots.csv", "HTTT"].reason and "ignored" in by_column["ballots.csv", "HTTT"].reason
    assert "bỏ qua" in by_column["ballots.csv", "HTTT"].reason_in("vi")


def test_a_ballot_column_with_an_unknown_heading_makes_the_row_not_add_up() -> None:
    [rejection] = _rejected("ballots.csv", "b1")
    assert "4" in rejection.reason and "9" in rejection.reason


def test_common_vietnamese_headers_are_read() -> None:
    [a3] = [p for p in BAD_RUN.inputs.proposals if p.subject == "a3"]
    assert a3.explanation == "Tự chấm theo biên bản"
    [sick] = BAD_RUN.inputs.events or ()
    assert (str(sick.start), str(sick.end)) == ("2025-04-01", "2025-05-31")


def test_a_criterion_over_its_maximum_is_rejected() -> None:
    [rejection] = _rejected("ladder.csv", "a1")
    assert rejection.column == "general_criteria_score" and rejection.value == "35" and "30" in rejection.reason


def test_a_total_that_is_not_the_sum_of_its_criteria_is_rejected() -> None:
    [rejection] = _rejected("ladder.csv", "a2")
    assert "95" in rejection.reason and "90" in rejection.reason


def test_the_good_fixtures_have_no_notes() -> None:
    read = process_tables.read_process(INPUTS, RUN_PROGRAM, period=api.parse_period("2025"))
    assert [r for r in read.rejections if r.row is None] == []
    assert BAD.is_dir()
