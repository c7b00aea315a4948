"""The HTXS quota is the competent level's decision: over the allowance every candidate awaits it, the ranking is a
suggestion, a recorded decision is followed and cited, checked, and may raise the share up to the ceiling."""

from __future__ import annotations

import shutil
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from paths import HD21, ROOT
from xeploai import api
from xeploai.evaluation import bulk, population, report
from xeploai.evaluation.bulk_input import from_population_input
from xeploai.evaluation.population import CommitteeDecision, QuotaGroup, decision_problems, quota_group
from xeploai.evaluation.trace import Status
from xeploai.explanation import explain, packet
from xeploai.tables.reader import read_population

FRAMEWORKS = ROOT / "frameworks"
DISTRICT = ROOT / "examples" / "district"
HD21_PROGRAM = api.load_framework(HD21)
PERIOD_2020 = api.parse_period(2020)
QD366 = api.load_framework(FRAMEWORKS / "party" / "2025-08-30.yaml")
ND335 = api.load_framework(FRAMEWORKS / "civil-service" / "2026-01-01.yaml")
# Chi bộ Trường THPT Sông Xanh: 11 proposed for HTXS, 5 allowed (20 % of 26 HTT; its leaders' cadre results are not
# members' results)
THPT = "U-CBCS01"


@pytest.fixture(scope="module")
def district() -> population.PopulationResult:
    return population.evaluate_population(HD21_PROGRAM, read_population(DISTRICT, HD21_PROGRAM), PERIOD_2020)


def _group(result: population.PopulationResult, group: str) -> QuotaGroup:
    return next(g for g in result.quota_groups if g.quota == "members_excellent" and g.group == group)


def test_the_overflowing_cell_awaits_the_competent_level_with_the_ranking_as_a_suggestion(
    district: population.PopulationResult,
) -> None:
    group = _group(district, THPT)
    assert (group.status, group.base, group.allowed, len(group.candidates)) == ("flagged", 26, 5, 11)
    assert group.kept == group.candidates and group.demoted == ()
    for rank, subject in enumerate(group.candidates, start=1):
        outcome = district.result(subject).outcome
        # Never silently HTXS nor HTT: a status of its own, both levels still possible.
        assert outcome.status is Status.AWAITING_DECISION
        assert (outcome.level, outcome.possible) == (None, ("excellent", "good"))
        assert "members_excellent" in outcome.flags  # a leader may also be flagged by the leaders' quota
        node = next(n for n in district.result(subject).trace.children if n.id == "members_excellent")
        details = dict(node.details)
        assert (details["rank"], details["ranking"], details["status"]) == (rank, "flag", "flagged")
        assert details["rank_by"] == ["targets_exceeded desc"]
    # The suggested order is by targets exceeded (best first), the id breaking ties.
    exceeded = [district.result(i).trace for i in group.candidates]
    assert len(exceeded) == 11
    text = explain.to_text(district.result(group.candidates[0]), HD21_PROGRAM, "en")
    assert "Awaiting the competent level's decision (by the rules: " in text
    assert "is the tool's suggestion, not the rule" in text
    vi = explain.to_text(district.result(group.candidates[0]), HD21_PROGRAM, "vi")
    assert "Chờ cấp có thẩm quyền quyết định" in vi and "gợi ý của công cụ" in vi


def test_awaiting_is_counted_apart_in_every_summary(district: population.PopulationResult) -> None:
    awaiting = [r for r in district.results if r.outcome.status is Status.AWAITING_DECISION]
    assert len(awaiting) >= 11
    counts = report.counts_text(district)
    assert counts["awaiting_decision"] == len(awaiting)
    assert sum(v for k, v in counts.items() if k != "rows_read") == counts["rows_read"]
    rows = {str(r["unit"]): r for r in report.summary_rows(district)}
    thpt = rows[THPT]
    assert thpt["awaiting"] == 12  # the 11 members' candidates and one leader's cadre result over its title's quota
    assert thpt["members"] == thpt["classified"] + thpt["not_classified"] + thpt["insufficient"] + 12
    assert thpt["rejected"] == 0
    # The columnar runner gives the same counts and tables.
    got = bulk.classify(
        HD21_PROGRAM, from_population_input(HD21_PROGRAM, read_population(DISTRICT, HD21_PROGRAM)), PERIOD_2020
    )
    assert got.counts() == dict(counts)
    assert got.summary_rows() == report.summary_rows(district)
    assert list(got.result_rows()) == list(report.result_rows(district))


def _decided(tmp_path: Path, row: str) -> population.PopulationResult:
    folder = tmp_path / "district"
    shutil.copytree(DISTRICT, folder)
    decisions = folder / "decisions.csv"
    decisions.write_text(decisions.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    return population.evaluate_population(HD21_PROGRAM, read_population(folder, HD21_PROGRAM), PERIOD_2020)


def test_a_recorded_decision_is_followed_and_the_packet_cites_it(
    district: population.PopulationResult, tmp_path: Path
) -> None:
    header = (DISTRICT / "decisions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "quota,group,approved,reference"  # the old format stays valid
    candidates = _group(district, THPT).candidates
    kept = candidates[-5:]  # the committee keeps the last five of the tool's order: the suggestion is not the rule
    folder = tmp_path / "district"
    shutil.copytree(DISTRICT, folder)
    (folder / "decisions.csv").write_text(
        "quota,group,approved,moved,decided_by,decided_on,reference\n"
        + (DISTRICT / "decisions.csv").read_text(encoding="utf-8").splitlines()[1].replace(",Quyết", ",,,,Quyết")
        + "\n"
        + f"members_excellent,{THPT},{' '.join(kept)},{' '.join(candidates[:-5])},Đảng ủy Khối,2021-01-10,"
        "Quyết định số 9-QĐ/ĐUK (hư cấu)\n",
        encoding="utf-8",
    )
    result = population.evaluate_population(HD21_PROGRAM, read_population(folder, HD21_PROGRAM), PERIOD_2020)
    assert not [r for r in result.rejections if r.source.endswith("decisions.csv")]
    group = _group(result, THPT)
    assert (group.status, group.kept, group.decision) == ("decided", kept, "Quyết định số 9-QĐ/ĐUK (hư cấu)")
    for subject in candidates:
        outcome = result.result(subject).outcome
        assert outcome.status is Status.CLASSIFIED
        assert outcome.level == ("excellent" if subject in kept else "good")
    moved = result.result(candidates[0])
    text = packet.to_text(moved, HD21_PROGRAM, "vi")
    assert "Quyết định số 9-QĐ/ĐUK (hư cấu)" in text and "Đảng ủy Khối" in text and "2021-01-10" in text
    assert "Decided by: Đảng ủy Khối" in packet.to_text(moved, HD21_PROGRAM, "en").replace("decided by", "Decided by")
    # Both runners agree on the decided district.
    got = bulk.classify(
        HD21_PROGRAM, from_population_input(HD21_PROGRAM, read_population(folder, HD21_PROGRAM)), PERIOD_2020
    )
    assert got.quota_groups == result.quota_groups and got.rejections == result.rejections
    assert got.summary_rows() == report.summary_rows(result)


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        # an id that is a subject but not a candidate of the group
        (f"members_excellent,{THPT},DV0001,Quyết định 1", "approved", "not candidates"),
        # more kept than the allowance (5) without a ceiling decision
        ("members_excellent,{thpt},{all},Quyết định 2", "approved", "above the 5 allowed"),
        # a group within its allowance: nothing to decide
        ("members_excellent,U-DB01,,Quyết định 3", "group", None),
    ],
)
def test_a_decision_that_cannot_be_followed_is_rejected_naming_row_and_column(
    district: population.PopulationResult, tmp_path: Path, row: str, column: str, words: str | None
) -> None:
    candidates = _group(district, THPT).candidates
    within = next(g for g in district.quota_groups if g.status == "within" and g.quota == "members_excellent")
    row = row.replace("{thpt}", THPT).replace("{all}", " ".join(candidates)).replace("U-DB01", within.group)
    result = _decided(tmp_path, row)
    problems = [r for r in result.rejections if r.source.endswith("decisions.csv")]
    assert [(p.row, p.column) for p in problems] == [(3, column)]
    if words is not None:
        assert words in problems[0].reason
    assert problems[0].reason_vi
    # The rejected decision is not followed: the cell still awaits it.
    if row.split(",")[1] == THPT:
        assert _group(result, THPT).status == "flagged"
    assert result.reconciles()


def test_a_decision_for_a_group_without_candidates_is_rejected(district: population.PopulationResult) -> None:
    stray = CommitteeDecision("members_excellent", "U-NOWHERE", (), "QĐ 4", 7, "decisions.csv")
    problems = population.unmatched_decisions([stray], district.quota_groups)
    assert [(p.row, p.column, p.value) for p in problems] == [(7, "group", "U-NOWHERE")]


# --- the 25 % ceiling --------------------------------------------------------------------------------------------


def test_366_declares_the_25_percent_ceiling_on_every_quota_and_nd335_on_both() -> None:
    for program in (QD366, ND335):
        assert program.quotas and all(q.ceiling is not None for q in program.quotas)
        assert {q.ceiling.ratio for q in program.quotas if q.ceiling} == {Fraction(1, 4)}
        assert all(q.policy.value == "flag" for q in program.quotas)
    for framework in sorted((FRAMEWORKS / "party").glob("*.yaml")):
        if framework.name.endswith(".tests.yaml"):
            continue
        assert all(q.policy.value == "flag" for q in api.load_framework(framework).quotas), framework.name


def test_a_decision_may_raise_the_allowance_up_to_the_ceiling_and_no_further() -> None:
    quota = next(q for q in QD366.quotas if q.id == "members_excellent")
    candidates = [f"X{i}" for i in range(7)]  # base 20 HTT: 4 allowed at 20 %, 5 at 25 %
    decide = CommitteeDecision("members_excellent", "g", tuple(candidates[:5]), "QĐ 5", 2, "d.csv")
    # Keeping five needs a decision raising the share.
    assert [p.column for p in decision_problems(quota, decide, 20, 4, candidates)] == ["approved"]
    raised = replace(decide, raised_to=Fraction(1, 4), decided_by="Ban Thường vụ", decided_on="2025-12-20")
    assert decision_problems(quota, raised, 20, 4, candidates) == []
    group = quota_group(quota, "g", "g", 20, candidates, {("members_excellent", "g"): raised})
    assert (group.status, group.allowed, group.raised_allowed, len(group.kept)) == ("decided", 4, 5, 5)
    # Above the ceiling: rejected, citing it.
    beyond = replace(raised, raised_to=Fraction(3, 10))
    problems = decision_problems(quota, beyond, 20, 4, candidates)
    assert [p.column for p in problems] == ["raised_to", "approved"][:1] + [p.column for p in problems][1:]
    assert "25%" in problems[0].reason and "qd366" in problems[0].reason
    # Even at the ceiling, keeping six of 20 HTT is more than 25 % allows.
    six = replace(raised, approved=tuple(candidates[:6]))
    assert [p.column for p in decision_problems(quota, six, 20, 4, candidates)] == ["approved"]
    # HD21 has no ceiling: a raised share is rejected.
    hd21 = next(q for q in HD21_PROGRAM.quotas if q.id == "members_excellent")
    assert hd21.ceiling is None
    assert [p.column for p in decision_problems(hd21, raised, 20, 4, candidates)] == ["raised_to", "approved"]
