"""NĐ335 scores computed from work tables (``values:``): a civil servant's year by hand, the months and products in
the trace, time actually worked, a typed-in total, a leader's components, and every runner reading the same
figures."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from paths import ROOT
from xeploai import api
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import columnar, durable, interpreter
from xeploai.evaluation.trace import NodeKind, Truth
from xeploai.explanation.explain import to_text
from xeploai.program import ir
from xeploai.program.issues import FrameworkError

ND335 = ROOT / "frameworks" / "civil-service" / "2026-01-01.yaml"
HOA = ROOT / "examples" / "members" / "le-thi-hoa-2026.yaml"
PERIOD = api.parse_period("2026")


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return api.load_framework(ND335)


def _evidence(path: Path = HOA) -> dict[str, object]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    evidence: dict[str, object] = document["evidence"]
    return evidence


def _month(assigned: list[int], completed: list[int], quality: list[int], on_time: list[int]) -> Fraction:
    """70 × (a + b + c) / 300, with a, b, c in percent: the month's points without deductions."""
    a = Fraction(100 * sum(completed), sum(assigned))
    b = Fraction(100 * sum(quality), sum(assigned))
    c = Fraction(100 * sum(on_time), sum(assigned))
    return 70 * (a + b + c) / 300


def test_civil_servants_year_is_computed_by_hand_from_twelve_work_tables(program: ir.Program) -> None:
    # Nine full months: every product 10 of 10 assigned, completed, to quality, on time → 70 points each.
    full = Fraction(70)
    # March: "Hồ sơ thẩm định" 8 of 10 completed, 8 to quality with one major error (−25 % of its 8 quality
    # points → 6), 6 on time: quantity 18/20 = 90 %, quality (10 + 6)/20 = 80 %, timeliness (10 + 6)/20 = 80 %.
    march = Fraction(70) * (90 + 80 + 80) / 300  # = 175/3 ≈ 58.33
    # July: two major errors on "Báo cáo tổng hợp" with an objective cause confirmed → no deduction; one delay on
    # "Hồ sơ thẩm định" (−25 % of its 10 timeliness points → 7.5): quantity 100 %, quality 100 %, timeliness 87.5 %.
    july = Fraction(70) * (100 + 100 + Fraction(175, 2)) / 300  # = 805/12 ≈ 67.08
    # November: "Báo cáo tổng hợp" 5 of 10, all to quality and on time: 75 % each.
    november = _month([10, 10], [5, 10], [5, 10], [5, 10])
    assert november == Fraction(105, 2)
    year = (9 * full + march + july + november) / 12
    assert year == Fraction(9695, 144)  # ≈ 67.33

    typed = validate_evidence(program, "civil_servant", _evidence())
    assert typed.values["task_score"] == year
    assert typed.origins["task_score"] == "computed"
    months = typed.values["months"]
    assert isinstance(months, tuple) and len(months) == 12
    points = {int(r.values["month"]): r.values["points"] for r in months}  # type: ignore[arg-type]
    assert points[3] == march and points[7] == july and points[11] == november and points[1] == full

    result = api.evaluate(program, "civil_servant", _evidence(), period=PERIOD)
    assert result.outcome.level == "good"  # 20 + 67.33 = 87.33: 70 or more, under 90
    failed = list(result.outcome.reasons)
    assert "score_excellent" in failed


def test_trace_shows_the_months_and_products_behind_the_task_score(program: ir.Program) -> None:
    result = api.evaluate(program, "civil_servant", _evidence(), period=PERIOD)
    values = next(n for n in result.trace.children if n.kind is NodeKind.VALUES)
    months = next(n for n in values.children if n.id == "months")
    march = next(c for c in months.children if c.text == "month = 3")
    assert dict(march.operands)["quality"] == 80  # type: ignore[arg-type]
    read = {r.name: r.value for r in march.reads}
    # The product that cost the points is named with its row of the work table, the term and its points: 8 units
    # to quality less 25 % for one major error.
    quality = "completed_quality * max(0, 1 - 0.25 * major_errors)"
    assert read[f"work[5] (Hồ sơ thẩm định): {quality}"] == 6
    assert read[f"work[4] (Báo cáo tổng hợp): {quality}"] == 10
    task = next(n for n in values.children if n.id == "task_score")
    assert task.op == "computed" and task.cite is not None and task.cite.at == "Điều 19 khoản 3"
    text = to_text(result, program, "vi")
    assert "Tháng 3" in text and "Hồ sơ thẩm định" in text
    assert "Month 3" in to_text(result, program, "en")


def test_maternity_leave_is_classified_on_the_months_actually_worked(program: ir.Program) -> None:
    evidence = {k: v for k, v in _evidence().items() if k != "work"}
    evidence["general_score"] = 25
    # January to June worked in full; July to December maternity leave (no work table).
    evidence["work"] = [
        {"month": m, "product": p, "assigned": 10, "completed": 10, "completed_quality": 10, "completed_on_time": 10}
        for m in range(1, 7)
        for p in ("Báo cáo tổng hợp", "Hồ sơ thẩm định")
    ]
    typed = validate_evidence(program, "civil_servant", evidence)
    assert typed.values["task_score"] == 70  # 6 × 70 / 6, not 6 × 70 / 12 = 35
    result = api.evaluate(program, "civil_servant", evidence, period=PERIOD)
    assert result.outcome.level == "excellent"  # 25 + 70 = 95 ≥ 90 (read over 12 months it would be 60: HT)


def test_a_typed_in_total_is_used_as_given(program: ir.Program) -> None:
    evidence = {k: v for k, v in _evidence().items() if k != "work"}
    evidence["task_score"] = 61
    result = api.evaluate(program, "civil_servant", evidence, period=PERIOD)
    assert result.outcome.level == "good"  # 20 + 61 = 81: the total as typed, the work table not needed
    values = next(n for n in result.trace.children if n.kind is NodeKind.VALUES)
    task = next(n for n in values.children if n.id == "task_score")
    assert task.op == "given" and task.operands == (61,)
    assert next(n for n in values.children if n.id == "months").truth is Truth.UNKNOWN  # no work table: no months


def test_leaders_components_are_computed_by_hand(program: ir.Program) -> None:
    evidence = {k: v for k, v in _evidence().items() if k != "work"}
    evidence.update(
        general_score=27,
        led_unit_corruption_disciplined=False,
        managed_not_completed=1,  # one civil servant under management at the KHT band → the unit's results 50 %
        organisation_score=80,
        work=[
            {
                "month": m,
                "product": "Chỉ đạo thẩm định hồ sơ",
                "assigned": 4,
                "completed": 4,
                "completed_quality": 4,
                "completed_on_time": 3 if m == 5 else 4,
            }
            for m in range(1, 13)
        ],
    )
    # Eleven months at 100 + 100 + 100; May: timeliness 3/4 = 75 % → 275. Mean a + b + c = (11 × 300 + 275) / 12.
    own = Fraction(11 * 300 + 275, 12)
    task = 70 * (own + 50 + 80) / 500  # (a + b + c + d + đ) / 5 scaled to 70
    typed = validate_evidence(program, "civil_servant_leader", evidence)
    assert typed.values["task_score"] == task  # ≈ 59.91
    result = api.evaluate(program, "civil_servant_leader", evidence, period=PERIOD)
    assert result.outcome.level == "good"  # 27 + 59.91 = 86.91: under 90
    assert "score_excellent" in list(result.outcome.reasons)
    # With every managed civil servant at HT or above the unit's results count 100 %: 70 × (own + 100 + 80) / 500.
    evidence["managed_not_completed"] = 0
    better = validate_evidence(program, "civil_servant_leader", evidence).values["task_score"]
    assert better == 70 * (own + 100 + 80) / 500  # ≈ 66.91 → 93.91: HTXS
    assert api.evaluate(program, "civil_servant_leader", evidence, period=PERIOD).outcome.level == "excellent"


def test_every_runner_reads_the_same_computed_figures(program: ir.Program) -> None:
    evidences = [validate_evidence(program, "civil_servant", _evidence())]
    partial = {k: v for k, v in _evidence().items() if k != "work"}
    partial["work"] = [r for r in _evidence()["work"] if r["month"] <= 4]  # type: ignore[index, union-attr]
    evidences.append(validate_evidence(program, "civil_servant", partial))
    table = columnar.classify_table(program, "civil_servant", evidences, period=PERIOD)
    for i, ev in enumerate(evidences):
        trace = interpreter.evaluate(program, "civil_servant", ev.values, ev.origins, PERIOD)
        assert table.level_id(i) == trace.outcome.level  # type: ignore[union-attr]
        assert table.trace(i) == trace
    try:
        runner = durable.DurableRunner(program, "civil_servant", PERIOD)
    except durable.DurableUnavailableError:
        pytest.skip("durable_rules is not installed")
    try:
        runner.post(durable.Event("hoa", durable.Op.LOAD, value=partial))
        four_months = interpreter.evaluate(program, "civil_servant", evidences[1].values, evidences[1].origins, PERIOD)
        assert runner.outcome("hoa") == four_months.outcome
        # A work row added later changes the computed score, and the outcome follows it.
        row = {
            "month": 5,
            "product": "Báo cáo tổng hợp",
            "assigned": 10,
            "completed": 2,
            "completed_quality": 2,
            "completed_on_time": 2,
        }
        update = runner.post(durable.Event("hoa", durable.Op.ADD_RECORD, "work", row))
        partial["work"] = [*partial["work"], row]  # type: ignore[list-item]
        again = validate_evidence(program, "civil_servant", partial)
        expected = interpreter.evaluate(program, "civil_servant", again.values, again.origins, PERIOD)
        assert update.outcome == expected.outcome
        assert runner.evidence("hoa").values["task_score"] == again.values["task_score"]
    finally:
        runner.close()


def test_sum_is_refused_in_a_condition_and_a_formula_may_not_read_the_period(tmp_path: Path) -> None:
    text = ND335.read_text(encoding="utf-8")
    bad = text.replace("when: general_score + task_score >= 90", "when: sum(work, assigned) >= 90", 1)
    path = tmp_path / "2026-01-01.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FrameworkError) as error:
        api.load_framework(path)
    assert any("sum(...)" in i.message for i in error.value.issues)
    bad = text.replace(
        "formula: sum(months, points) / count(months)", "formula: count(discipline, decided_on in period)", 1
    )
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FrameworkError) as error:
        api.load_framework(path)
    assert any("period" in i.message for i in error.value.issues)


def test_plain_check_reports_a_value_formula_that_does_not_parse_with_its_line(tmp_path: Path) -> None:
    text = ND335.read_text(encoding="utf-8")
    broken = "formula: sum(months, points) / count(months)"
    assert broken in text
    line = text[: text.index(broken)].count("\n") + 1
    path = tmp_path / "2026-01-01.yaml"
    path.write_text(text.replace(broken, "formula: sum(months, points) / (count(months)", 1), encoding="utf-8")
    assert api.check_file(ND335) == []
    # Plain check, without the deep analysis (the copy's other finding: it supersedes a file not beside it).
    issues = [i for i in api.check_file(path) if i.code != "unknown-version"]
    assert [(i.code, i.path, i.span.line if i.span else None) for i in issues] == [
        ("unsupported-syntax", "subjects.civil_servant.values.task_score.formula", line)
    ]
    # The command says so too, and fails.
    from xeploai.cli.app import main

    assert main(["check", str(path)]) != 0


def test_plain_check_reports_an_unknown_field_and_a_missing_citation_in_a_value(tmp_path: Path) -> None:
    text = ND335.read_text(encoding="utf-8")
    unknown = text.replace("points: 70 * (quantity + quality + timeliness) / 300", "points: 70 * quantty / 100", 1)
    uncited = unknown.replace('        cite: {doc: nd335, at: "Điều 19 khoản 3", sources: [U]}\n', "", 1)
    path = tmp_path / "2026-01-01.yaml"
    path.write_text(uncited, encoding="utf-8")
    issues = api.check_file(path)
    codes = {(i.code, i.path) for i in issues}
    assert ("unknown-reference", "subjects.civil_servant.values.months.fields.points") in codes
    assert ("missing-citation", "subjects.civil_servant.values.task_score") in codes
