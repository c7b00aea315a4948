"""Gaps go to the competent level: under 366 and NĐ90 a subject who reaches no level and falls under no KHT case is
"not decided by the rules" (a status of its own, counted apart), with the ``level_gap`` reading naming the old
assumed exception (KHT) as its other option; every runner agrees."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from paths import ROOT
from xeploai import api
from xeploai.analysis import diff, readings
from xeploai.evaluation import bulk, population, report
from xeploai.evaluation.bulk_input import from_population_input
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import columnar
from xeploai.evaluation.trace import Decision, Status
from xeploai.explanation import counterfactual, explain, packet, receipt, self_assessment

FRAMEWORKS = ROOT / "frameworks"
QD366 = api.load_framework(FRAMEWORKS / "party" / "2025-08-30.yaml")
ND90 = api.load_framework(FRAMEWORKS / "civil-service" / "2020-08-20.yaml")
PERIOD = api.parse_period(2025)

MEMBER: dict[str, Any] = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 120,
    "degradation_concluded": False,
    "discipline": [],
    "forbidden_acts_violated": False,
    "exemplary_duty_violated": False,
    "tasks_assigned": 10,
    "tasks_completed": 10,
    "tasks_on_time": 10,
    "tasks_exceeded": 3,
    "general_criteria_score": 25,
    "task_results_score": 55,
    "shortcomings_identified": 0,
    "role_group": "chuyên viên",
}
GAP = {**MEMBER, "tasks_completed": 9, "tasks_on_time": 9}  # 80 points, one task not completed: no KHT case
EXCELLENT = {**MEMBER, "general_criteria_score": 28, "task_results_score": 64}


def _population(rows: list[tuple[str, dict[str, Any]]]) -> population.PopulationInput:
    return population.from_document(
        {
            "units": [{"id": "q", "parent": None, "kind": "grassroots_cell", "name": "Chi bộ Q"}],
            "subjects": [{"id": i, "unit": "q", "kind": "party_member", "evidence": e} for i, e in rows],
        }
    )


def test_a_366_member_with_50_points_who_fits_no_level_is_left_to_the_competent_level() -> None:
    result = api.evaluate(QD366, "party_member", GAP, period=PERIOD)
    outcome = result.outcome
    assert (outcome.status, outcome.decision, outcome.level) == (
        Status.LEFT_TO_COMPETENT_LEVEL,
        Decision.GAP,
        None,
    )
    # The conditions that left it in no level: the failed requirements of HT (and above).
    assert "all_tasks_completed" in outcome.reasons and "all_tasks_on_time" in outcome.reasons
    vi = explain.to_text(result, QD366, "vi")
    assert "Quy định không xếp được mức: cấp có thẩm quyền quyết định" in vi
    assert "khoản 4 Điều 11" in vi
    en = explain.to_text(result, QD366, "en")
    assert "Not decided by the rules: the competent level decides" in en
    page = packet.to_markdown(result, QD366, "vi")
    assert "cấp có thẩm quyền xem xét, quyết định" in page


def test_a_kht_case_still_decides_under_366() -> None:
    over_half = {**GAP, "tasks_completed": 4, "tasks_on_time": 4}
    outcome = api.evaluate(QD366, "party_member", over_half, period=PERIOD).outcome
    assert (outcome.status, outcome.level) == (Status.CLASSIFIED, "not_completed")


def test_nd90_20_to_50_percent_late_is_left_to_the_competent_level() -> None:
    evidence = {
        "months_worked": 12,
        "absence_months": 0,
        "degradation_concluded": False,
        "discipline": [],
        "political_ideology": "Thực hiện tốt",
        "ethics_lifestyle": "Thực hiện tốt",
        "working_style": "Thực hiện tốt",
        "discipline_awareness": "Thực hiện tốt",
        "targets_assigned": 10,
        "targets_met": 10,
        "targets_on_time": 7,
        "targets_exceeded": 5,
    }
    outcome = api.evaluate(ND90, "public_employee", evidence, period=api.parse_period(2021)).outcome
    assert outcome.status is Status.LEFT_TO_COMPETENT_LEVEL and outcome.level is None
    late = api.evaluate(ND90, "public_employee", {**evidence, "targets_on_time": 4}, period=api.parse_period(2021))
    assert late.outcome.level == "not_completed"  # more than 50 % late is a KHT case of the decree


def test_the_old_reading_makes_the_gap_kht_and_lists_who_depends_on_it() -> None:
    pop = _population([("g1", GAP), ("h1", MEMBER)])
    baseline, runs = readings.evaluate_readings(QD366, pop, PERIOD, only=["level_gap"])
    assert baseline.result("g1").outcome.status is Status.LEFT_TO_COMPETENT_LEVEL
    [run] = runs
    assert (run.reading.id, run.option.id) == ("level_gap", "not_completed")
    assert [(d.subject, d.default, d.other) for d in run.differences] == [("g1", "left_to_competent_level", "KHT")]
    assert run.result.result("g1").outcome.decision is Decision.BELOW_LOWEST
    assert run.option.confidence.value == "assumed"


def test_every_runner_agrees_and_counts_the_gap_apart() -> None:
    pop = _population([("g1", GAP), ("g2", GAP), ("h1", MEMBER), ("x1", EXCELLENT)])
    result = population.evaluate_population(QD366, pop, PERIOD)
    counts = report.counts_text(result)
    assert counts["left_to_competent_level"] == 2
    rows = {str(r["unit"]): r for r in report.summary_rows(result)}
    assert rows["q"]["competent"] == 2
    assert rows["q"]["members"] == rows["q"]["classified"] + 2 + rows["q"]["awaiting"]
    got = bulk.classify(QD366, from_population_input(QD366, pop), PERIOD)
    assert got.counts() == dict(counts)
    assert got.summary_rows() == report.summary_rows(result)
    assert list(got.result_rows()) == list(report.result_rows(result))
    table = columnar.classify_table(
        QD366,
        "party_member",
        [validate_evidence(QD366, "party_member", e) for e in (GAP, MEMBER)],
        period=PERIOD,
    )
    assert [columnar.STATUSES[int(s)] for s in table.status] == [Status.LEFT_TO_COMPETENT_LEVEL, Status.CLASSIFIED]
    assert [columnar.DECISIONS[int(d)] for d in table.decision] == [Decision.GAP, Decision.LEVEL]
    assert table.level_id(0) is None


def test_a_denominator_reading_that_brings_a_group_within_its_allowance_ends_the_wait() -> None:
    # 4 HTT and 1 HTXS: 20 % of 4 HTT (floor) allows none, so the candidate awaits; over "HTT and above" (5) one is
    # allowed and the candidate keeps HTXS.
    pop = _population([("x1", EXCELLENT), *((f"h{i}", MEMBER) for i in range(4))])
    baseline, runs = readings.evaluate_readings(QD366, pop, PERIOD, only=["quota_denominator"])
    assert baseline.result("x1").outcome.status is Status.AWAITING_DECISION
    [run] = runs
    outcome = run.result.result("x1").outcome
    assert (outcome.status, outcome.level, outcome.flags) == (Status.CLASSIFIED, "excellent", ())
    assert [(d.subject, d.other) for d in run.differences] == [("x1", "HTXS")]
    assert run.result.rejections == baseline.rejections  # no simulated decision is rejected


def test_a_level_gap_reading_value_is_checked(tmp_path: Any) -> None:
    text = (FRAMEWORKS / "party" / "2025-08-30.yaml").read_text(encoding="utf-8")
    broken = text.replace("          value: competent_level\n", "          value: competent\n", 1)
    assert broken != text
    path = tmp_path / "party" / "2025-08-30.yaml"
    path.parent.mkdir()
    path.write_text(broken, encoding="utf-8")
    issues = api.check_file(path)
    assert any(i.code == "invalid-value" and "level_gap" in i.path for i in issues)


@pytest.mark.parametrize("option", ["competent_level", "not_completed"])
def test_variant_sets_every_kind(option: str) -> None:
    reading = next(r for r in QD366.process.readings if r.id == "level_gap") if QD366.process else None
    assert reading is not None
    changed = readings.variant(QD366, reading, reading.option(option))
    assert {s.gap_to_competent_level for s in changed.subjects.values()} == {option == "competent_level"}
    assert replace(changed, subjects=QD366.subjects) == QD366 or option == "competent_level"


def test_a_replay_from_the_old_reading_shows_kht_becoming_left_to_the_competent_level() -> None:
    pop = _population([("g1", GAP), ("h1", MEMBER)])
    reading = next(r for r in QD366.process.readings if r.id == "level_gap") if QD366.process else None
    assert reading is not None
    old = readings.variant(QD366, reading, reading.option("not_completed"))
    replayed = diff.replay(
        population.evaluate_population(old, pop, PERIOD), population.evaluate_population(QD366, pop, PERIOD)
    )
    [moved] = replayed.moved
    assert (moved.subject_id, moved.before, moved.after) == ("g1", "not_completed", "left_to_competent_level")
    assert moved.reasons_after == moved.reasons_before  # the same failed conditions, now left to the competent level
    assert [(t.before, t.after, t.subjects) for t in replayed.transitions] == [
        ("not_completed", "left_to_competent_level", 1)
    ]


def test_a_receipt_of_a_gap_replays_to_the_same_outcome() -> None:
    result = api.evaluate(QD366, "party_member", GAP, period=PERIOD, subject_id="g1")
    made = receipt.make_receipt(result, QD366, GAP, evidence_source=None)
    again = receipt.replay(QD366, made, GAP)
    assert again.outcome == result.outcome
    assert again.outcome.status is Status.LEFT_TO_COMPETENT_LEVEL


def test_self_assessment_and_counterfactuals_of_a_gap() -> None:
    result = api.evaluate(QD366, "party_member", GAP, period=PERIOD)
    compared = self_assessment.compare_self_assessment(result, QD366, "HT")
    assert (compared.computed, compared.comparison) == ("left_to_competent_level", "undetermined")
    assert {r.id for r in compared.reasons} >= {"all_tasks_completed"}
    assert "cấp có thẩm quyền quyết định" in compared.text.vi
    search = counterfactual.search_changes(QD366, "party_member", GAP, PERIOD, "completed")
    assert (search.current, search.reached) == ("left_to_competent_level", False)
    assert any({c.field for c in s.changes} >= {"tasks_completed"} for s in search.sets)
