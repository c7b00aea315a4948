"""The proposal ladder, ballots and discrepancies on the process test population: every rung of a handful of
members, a proposal above the allowed level, a ballot without a majority, a KHT quarter under an HTXS proposal."""

from __future__ import annotations

from fractions import Fraction

import pytest

from process_setup import INPUTS, POPULATION, run
from xeploai import api
from xeploai.evaluation.population import evaluate_population
from xeploai.process import ladder, ladder_text, periods, process_tables
from xeploai.process.ballots import tally_ballot
from xeploai.process.process_tables import Tally
from xeploai.program import ir
from xeploai.tables import spellings

RUN = run()


def test_a_member_walks_every_rung_and_agrees() -> None:
    row = RUN.ladder.row("a1")
    assert [v.rung.id for v in row.rungs] == ["self", "cell", "residence", "appraisal", "decision"]
    assert [v.relation for v in row.rungs] == ["agrees"] * 5
    assert row.rungs[2].rung.outside_unit and row.rungs[2].proposal is not None
    assert row.rungs[3].proposal is None and row.rungs[3].level == "good"  # the appraisal is the evidence
    assert row.rungs[4].proposal is not None and row.rungs[4].proposal.reference == "Quyết định 12-QĐ/ĐU"
    assert not row.discrepancies


def test_a_proposal_above_the_allowed_level_names_the_rule_and_its_clause() -> None:
    row = RUN.ladder.row("a2")
    self_view = row.rungs[0]
    assert (self_view.level, row.allowed, self_view.relation) == ("excellent", "good", "above")
    assert [f.id for f in self_view.findings] == ["score_excellent"]
    text = "\n".join(ladder_text.explain_ladder(row, RUN.program))
    assert "score_excellent" in text and "366-QĐ/TW, điểm 1.3 khoản 1 Điều 11" in text
    assert "general_criteria_score = 27" in text


def test_a_gap_of_the_declared_size_is_listed_until_explained() -> None:
    row = RUN.ladder.row("a2")
    [gap] = row.discrepancies
    assert (gap.first, gap.second, gap.points_gap, gap.level_gap) == ("self", "appraisal", Fraction(6), 1)
    assert not gap.explained and gap in RUN.ladder.unexplained()
    assert ("general_criteria_score", 30, 27, -3) in gap.by_criterion
    assert "phải giải trình" in "\n".join(ladder_text.explain_ladder(row, RUN.program))


def test_a_ballot_without_a_majority_follows_the_declared_rule_with_its_arithmetic() -> None:
    view = RUN.ladder.row("a3").rungs[1]
    assert view.ballot is not None
    assert (view.ballot.status, view.level, view.relation) == ("cumulative", "good", "agrees")
    text = view.ballot.text("en")
    assert "No level has a majority" in text and "7 support HTT or better" in text
    lines = "\n".join(ladder_text.explain_ladder(RUN.ladder.row("a3"), RUN.program))
    assert "43-HD/BTCTW" in lines  # the ballot rule's clause


@pytest.mark.parametrize(
    ("no_majority", "status", "level"),
    [("cumulative", "cumulative", "good"), ("refer", "referred", None), ("below_plurality", "below_plurality", "good")],
)
def test_no_majority_rules(no_majority: str, status: str, level: str | None) -> None:
    assert RUN.program.process is not None
    rule = RUN.program.process.ballots["cell_vote"]
    changed = ir.BallotRule(
        **{**{f: getattr(rule, f) for f in rule.__slots__}, "no_majority": ir.NoMajority(no_majority)}
    )
    tally = Tally("a3", "cell", {"excellent": 4, "good": 3, "completed": 2}, entitled=10, present=9, valid=9)
    outcome = tally_ballot(changed, tally, RUN.program)
    assert (outcome.status, outcome.level) == (status, level)


def test_no_quorum_gives_no_level() -> None:
    assert RUN.program.process is not None
    rule = RUN.program.process.ballots["cell_vote"]
    outcome = tally_ballot(rule, Tally("a3", "cell", {"good": 5}, entitled=10, present=5, valid=5), RUN.program)
    assert (outcome.status, outcome.level) == ("no_quorum", None)


def test_a_kht_quarter_under_an_htxs_proposal_cites_the_quarter_and_the_local_rule() -> None:
    row = RUN.ladder.row("a4")
    assert row.result.outcome.level_before_caps == "excellent" and row.allowed == "good"
    for view in row.rungs[:2]:
        assert view.relation == "above"
        [finding] = view.findings
        assert (finding.kind, finding.id) == ("cap", "kht_quarter_no_excellent")
        assert "Q2/2025" in finding.facts and "Q1/2025" not in finding.facts
        assert finding.cite is not None and finding.cite.doc == "hd03"


def test_two_consecutive_kht_quarters_raise_a_flag_without_changing_the_level() -> None:
    row = RUN.ladder.row("a5")
    assert row.allowed == "good"
    assert [f.id for f in row.flags] == ["consecutive_kht_quarters"]


def test_a_quota_demotion_is_the_reason_a_proposal_is_above() -> None:
    view = RUN.ladder.row("c2").rungs[0]
    assert view.relation == "above"
    assert [(f.kind, f.id) for f in view.findings] == [("quota", "members_excellent")]
    assert "xếp thứ 2, được 1" in view.findings[0].facts


def test_a_not_classified_subject_has_no_allowed_level() -> None:
    row = RUN.ladder.row("a6")
    assert row.allowed is None and row.result.outcome.status.value == "not_classified"
    assert [v.relation for v in row.rungs if v.rung.required] == ["missing"] * 4


def test_an_unknown_level_spelling_is_rejected_with_row_and_value() -> None:
    [rejection] = RUN.inputs.rejections
    assert (rejection.row, rejection.column, rejection.value) == (12, "level", "Tốt lắm")
    assert rejection.source.endswith("ladder.csv") and "HTTNV" in rejection.reason


def test_process_inputs_read_from_a_workbook_and_a_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ballots"
    sheet.append(["Mã đối tượng", "Bậc", "Tổng số", "Có mặt", "Phiếu hợp lệ", "HTXSNV", "Hoàn thành tốt", "HT", "KHT"])
    sheet.append(["a3", "cell", 10, 9, 9, 4, 3, 2, 0])
    book.save(tmp_path / "p.xlsx")
    read = process_tables.read_process(tmp_path / "p.xlsx", RUN.program)
    [tally] = read.tallies
    assert tally.votes == {"excellent": 4, "good": 3, "completed": 2, "not_completed": 0}
    (tmp_path / "p.yaml").write_text(
        "ladder:\n  - {subject: a1, rung: self, level: hoan thanh tot}\n", encoding="utf-8"
    )
    [proposal] = process_tables.read_process(tmp_path / "p.yaml", RUN.program).proposals
    assert proposal.level == "good"
    assert process_tables.read_process(INPUTS, RUN.program).quarters is not None


def _with_ballot_rule(**changes: object) -> ir.Program:
    import dataclasses

    assert RUN.program.process is not None
    rule = dataclasses.replace(RUN.program.process.ballots["cell_vote"], **changes)  # type: ignore[arg-type]
    process = dataclasses.replace(RUN.program.process, ballots={"cell_vote": rule})
    return dataclasses.replace(RUN.program, process=process)


def test_the_tally_says_which_quorum_rule_applies() -> None:
    from paths import HD21
    from xeploai import api

    hd21 = api.load_framework(HD21)
    assert hd21.process is not None
    rule = hd21.process.ballots["cell_vote"]
    assert (rule.quorum, rule.quorum_strict) == (Fraction(1, 2), True)
    half = tally_ballot(rule, Tally("x", "cell", {"good": 5}, entitled=10, present=5, valid=5), hd21)
    assert half.status == "no_quorum" and "24-QĐ/TW, điểm 9.3.2 Điều 9, giả định" in half.text()
    more = tally_ballot(rule, Tally("x", "cell", {"good": 6}, entitled=10, present=6, valid=6), hd21)
    assert (more.status, more.level) == ("majority", "good") and "more than 50% of those entitled" in more.text("en")
    none = _with_ballot_rule(quorum=None)
    assert none.process is not None
    outcome = tally_ballot(none.process.ballots["cell_vote"], Tally("a3", "cell", {"good": 5}, valid=5), none)
    assert "the framework declares no quorum" in outcome.text("en")


def _ladder_with(program: ir.Program, *rows: object) -> ladder.ProcessResult:
    result = evaluate_population(program, RUN.population, api.parse_period("2025"))
    proposals = tuple(r for r in rows if isinstance(r, process_tables.Proposal))
    tallies = tuple(r for r in rows if isinstance(r, Tally))
    return ladder.evaluate_process(result, RUN.population, process_tables.ProcessInput(proposals, tallies))


def test_a_referred_vote_awaits_the_committee_and_the_typed_level_is_flagged() -> None:
    program = _with_ballot_rule(no_majority=ir.NoMajority.REFER)
    split = Tally("a3", "cell", {"excellent": 4, "good": 3, "completed": 2}, entitled=10, present=9, valid=9)
    typed = process_tables.Proposal("a3", "cell", "good")
    view = _ladder_with(program, split, typed).row("a3").rungs[1]
    assert (view.level, view.relation) == (None, "pending")
    assert (
        view.mismatch is not None
        and view.mismatch.en == "the proposal says HTT but the tally: referred to the competent committee"
    )
    lines = "\n".join(ladder_text.explain_ladder(_ladder_with(program, split, typed).row("a3"), program))
    assert "chờ cấp có thẩm quyền" in lines and "đề xuất ghi HTT nhưng kiểm phiếu" in lines


def test_a_typed_proposal_that_contradicts_its_tally_is_flagged_and_the_tally_stands() -> None:
    tally = Tally("a1", "cell", {"good": 8, "completed": 1}, entitled=10, present=9, valid=9)
    typed = process_tables.Proposal("a1", "cell", "excellent")
    view = _ladder_with(RUN.program, tally, typed).row("a1").rungs[1]
    assert view.level == "good" and view.mismatch is not None
    assert view.mismatch.vi == "đề xuất ghi HTXS nhưng kiểm phiếu ra HTT"


def test_the_consecutive_kht_flag_names_the_two_quarters_that_met_it() -> None:
    from xeploai.process.periods import QuarterResult

    quarters = [
        QuarterResult("a5", 2025, q, lv)
        for q, lv in ((1, "good"), (2, "not_completed"), (3, "not_completed"), (4, "good"))
    ]
    raw = spellings.read_population(POPULATION, RUN.program)
    population, facts = periods.apply_periods(RUN.program, raw, api.parse_period("2025"), quarters, None)
    result = evaluate_population(RUN.program, population, api.parse_period("2025"))
    [flag] = ladder.evaluate_process(result, population, process_tables.ProcessInput(), facts).row("a5").flags
    assert flag.facts == "quarters = Q2/2025; Q3/2025"
