"""366/HD43 scores computed from the criteria (``values:`` of party/2025-08-30): the central sum per group, a
province's sub-allocation declared by a local framework extending the bundled one (``extends: bundled:…``), typed-in
totals used as given, and the runners reading the same figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import ROOT
from xeploai import api
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import columnar, durable, interpreter
from xeploai.evaluation.trace import NodeKind
from xeploai.program import ir

PARTY = ROOT / "frameworks" / "party" / "2025-08-30.yaml"
TINH_X = ROOT / "examples" / "local-extension-2026" / "tinh-x.yaml"
PERIOD = api.parse_period("2026")

BASE: dict[str, object] = {
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
    "shortcomings_identified": 0,
}
# Tỉnh ủy X's allocation: general 15 + 10 + 5, task results 30 + 25 + 15.
DETAIL = {
    "politics_ethics_points": 14,
    "capacity_points": 9,
    "self_criticism_points": 5,
    "task_quantity_points": 28,
    "task_quality_points": 18,
    "task_progress_points": 14,
}


@pytest.fixture(scope="module")
def tinh_x() -> ir.Program:
    return api.load_framework(TINH_X)


def _values_node(result: api.Result) -> dict[str, object]:
    stage = next(n for n in result.trace.children if n.kind is NodeKind.VALUES)
    return {n.id: n for n in stage.children}


def test_the_provinces_allocation_computes_both_totals_and_the_trace_names_each_criterion(tinh_x: ir.Program) -> None:
    result = api.evaluate(tinh_x, "party_member", {**BASE, **DETAIL}, period=PERIOD)
    # 14 + 9 + 5 = 28 and 28 + 18 + 14 = 60: 88 points, under the HTXS band of 90.
    assert result.outcome.level == "good"
    assert list(result.outcome.reasons) == ["score_excellent"]
    nodes = _values_node(result)
    general, tasks = nodes["general_criteria_score"], nodes["task_results_score"]
    assert general.op == "computed" and general.operands == (28,)  # type: ignore[attr-defined]
    assert tasks.op == "computed" and tasks.operands == (60,)  # type: ignore[attr-defined]
    assert {r.name: r.value for r in tasks.reads} == {  # type: ignore[attr-defined]
        "task_quantity_points": 28,
        "task_quality_points": 18,
        "task_progress_points": 14,
    }
    # The formula is the province's (its citation and confidence travel), not the central sum over criteria.
    assert tasks.cite.doc == "hd05tu" and tasks.confidence is ir.Confidence.ASSUMED  # type: ignore[attr-defined]
    assert tasks.span is not None and tasks.span.file.endswith("tinh-x.yaml")  # type: ignore[attr-defined]
    # Two more quality points reach 90: HTXS.
    better = api.evaluate(tinh_x, "party_member", {**BASE, **DETAIL, "task_quality_points": 20}, period=PERIOD)
    assert better.outcome.level == "excellent" and list(better.outcome.reasons) == []


def test_a_criterion_above_the_provinces_allocation_is_rejected_with_its_field(tinh_x: ir.Program) -> None:
    with pytest.raises(api.EvidenceError) as error:
        validate_evidence(tinh_x, "party_member", {**BASE, **DETAIL, "capacity_points": 12})
    (issue,) = error.value.issues
    assert issue.path == "capacity_points" and "12" in issue.message


def test_typed_in_totals_without_detail_are_used_as_given(tinh_x: ir.Program) -> None:
    result = api.evaluate(
        tinh_x, "party_member", {**BASE, "general_criteria_score": 28, "task_results_score": 64}, period=PERIOD
    )
    assert result.outcome.level == "excellent"
    nodes = _values_node(result)
    assert nodes["general_criteria_score"].op == "given"  # type: ignore[attr-defined]
    assert nodes["task_results_score"].operands == (64,)  # type: ignore[attr-defined]


def test_the_central_framework_sums_the_criteria_of_each_group() -> None:
    program = api.load_framework(PARTY)
    criteria = [
        {"group": "general", "criterion": "(1)", "points": 10},
        {"group": "Nhóm tiêu chí chung", "criterion": "(2)", "points": 9.5},
        {"group": "tasks", "criterion": "Chỉ tiêu được giao", "points": 45},
        {"group": "tasks", "criterion": "Nhiệm vụ đột xuất", "points": 15},
    ]
    typed = validate_evidence(program, "party_member", {**BASE, "criteria": criteria})
    assert typed.values["general_criteria_score"] == 19.5 and typed.values["task_results_score"] == 60
    result = api.evaluate(program, "party_member", {**BASE, "criteria": criteria}, period=PERIOD)
    assert result.outcome.level == "good"  # 79.5: at least 70, under 90
    assert list(result.outcome.reasons) == ["score_excellent"]
    # The leader kind inherits the same totals (Phụ lục 3).
    assert [v.target for v in program.subjects["party_member_leader"].values] == [
        "general_criteria_score",
        "task_results_score",
    ]


def test_runners_agree_on_the_provinces_scores(tinh_x: ir.Program) -> None:
    rows = [
        {**BASE, **DETAIL},
        {**BASE, **DETAIL, "task_quality_points": 20},
        {**BASE, "general_criteria_score": 20, "task_results_score": 29},
    ]
    evidences = [validate_evidence(tinh_x, "party_member", row) for row in rows]
    table = columnar.classify_table(tinh_x, "party_member", evidences, period=PERIOD)
    traces = [interpreter.evaluate(tinh_x, "party_member", e.values, e.origins, PERIOD) for e in evidences]
    assert [t.outcome.level for t in traces] == ["good", "excellent", "not_completed"]
    for i, trace in enumerate(traces):
        assert table.level_id(i) == trace.outcome.level
        assert table.trace(i) == trace
    assert "party_member" in tinh_x.computed_kinds()  # batch --engine columnar declines it (bulk reads raw columns)
    try:
        runner = durable.DurableRunner(tinh_x, "party_member", PERIOD)
    except durable.DurableUnavailableError:
        pytest.skip("durable_rules is not installed")
    try:
        runner.post(durable.Event("m", durable.Op.LOAD, value=rows[0]))
        assert runner.outcome("m") == traces[0].outcome
        update = runner.post(durable.Event("m", durable.Op.SET, "task_quality_points", 20))
        assert update.outcome == traces[1].outcome
        assert runner.evidence("m").values["task_results_score"] == 62
    finally:
        runner.close()


def test_extends_bundled_names_a_bundled_framework_or_is_reported(tmp_path: Path) -> None:
    text = TINH_X.read_text(encoding="utf-8").replace("bundled:party/2025-08-30.yaml", "bundled:party/2099-01-01.yaml")
    path = tmp_path / "tinh-x.yaml"
    path.write_text(text, encoding="utf-8")
    issues = api.check_file(path)
    assert [(i.code, i.path) for i in issues] == [("extends-path", "framework.extends")]
    assert "bundled:party/2099-01-01.yaml" in issues[0].message


def test_the_extensions_framework_tests_pass() -> None:
    from xeploai.analysis import framework_tests

    outcomes = framework_tests.run([TINH_X.with_name("tinh-x.tests.yaml")])
    assert len(outcomes) == 4
    assert [o.name for o in outcomes if not o.passed] == []
