"""The whole-framework analysis finds each fault planted in the fixtures (by code and path), nothing else, and every
evidence document it reports re-evaluates, through the public API, to what the finding says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from paths import FIXTURES, GOOD, HD21
from xeploai import api
from xeploai.analysis.findings import Finding
from xeploai.analysis.polarity import field_directions
from xeploai.analysis.search import CODES, analyse, find_tests
from xeploai.program import issues

PLANTED = FIXTURES / "analysis" / "planted" / "2020-01-01.yaml"
UNREACHABLE = FIXTURES / "analysis" / "unreachable" / "2020-01-01.yaml"
CLEAN = FIXTURES / "analysis" / "clean" / "2020-01-01.yaml"
BUDGET = 1  # second; the fixtures are small, so the count budget ends the search long before the clock


def run(path: Path, **options: object) -> list[Finding]:
    program = api.load_framework(path)
    return analyse(program, find_tests(program), budget_seconds=BUDGET, **options)  # type: ignore[arg-type]


def found(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in findings}


@pytest.fixture(scope="module")
def planted() -> list[Finding]:
    return run(PLANTED)


def test_every_planted_fault_is_found_and_nothing_else(planted: list[Finding]) -> None:
    assert found(planted) == {
        ("level-gap", "subjects.member.levels.completed"),  # task results "Kém": no level, no trigger
        ("rule-never-holds", "subjects.member.rules.over_assigned"),
        ("shadowed-rule", "subjects.member.not_completed[2]"),  # under_a_third implies under_half
        ("non-monotone", "subjects.member.rules.missed_a_target"),
        ("unused-field", "subjects.member.evidence.years_of_service"),
        ("untested-rule", "subjects.member.rules.disciplined"),
        ("untested-rule", "subjects.member.rules.over_assigned"),  # it can never hold, so never be tested
    }


def test_an_unreachable_level_is_found_by_evaluating_not_by_comparing_rule_ids() -> None:
    assert api.check_file(UNREACHABLE) == []  # the checker cannot see it
    findings = run(UNREACHABLE)
    assert found(findings) == {
        ("level-never-reached", "subjects.member.levels.good"),
        ("level-gap", "subjects.member.levels.completed"),
    }
    never = next(f for f in findings if f.code == "level-never-reached")
    assert never.exhaustive  # two fields: every combination of their values was tried
    (closest,) = never.counterexamples
    assert closest.outcome == "excellent" and closest.truths == {"results_excellent": "met"}


def test_a_clean_framework_has_no_findings() -> None:
    assert run(CLEAN) == []


def test_the_good_fixture_has_exactly_its_gap_and_its_unread_record_field() -> None:
    assert found(run(GOOD)) == {
        ("level-gap", "subjects.member.levels.completed"),  # results "Kém" fall to KHT without a trigger
        ("unused-field", "records.decision.fields.form"),  # only decided_on is read
    }


def test_the_never_holding_rule_was_tried_on_every_boundary_combination(planted: list[Finding]) -> None:
    never = next(f for f in planted if f.code == "rule-never-holds")
    assert never.exhaustive
    assert "targets_met" in never.message.en and "targets_met" in never.message.vi


def test_the_non_monotone_pair_differs_in_one_value_and_re_evaluates_as_claimed(planted: list[Finding]) -> None:
    finding = next(f for f in planted if f.code == "non-monotone")
    before, after = finding.counterexamples
    changed = {k for k in {*before.evidence, *after.evidence} if before.evidence.get(k) != after.evidence.get(k)}
    assert changed == {"targets_met"}
    assert before.evidence["targets_met"] < after.evidence["targets_met"]  # type: ignore[operator]
    program = api.load_framework(PLANTED)
    period = api.parse_period(before.period)
    levels = [api.evaluate(program, "member", c.evidence, period=period).outcome.level for c in (before, after)]
    assert levels == ["good", "completed"]
    assert "missed_a_target" in finding.involves and "targets_met" in finding.involves


def test_every_counterexample_re_evaluates_to_its_outcome(planted: list[Finding]) -> None:
    program = api.load_framework(PLANTED)
    for finding in planted:
        for example in finding.counterexamples:
            result = api.evaluate(program, "member", example.evidence, period=api.parse_period(example.period))
            outcome = result.outcome
            assert example.outcome == (outcome.level if outcome.level else outcome.status.value), finding.path


def test_a_counterexample_is_an_evidence_file_the_tool_reads(planted: list[Finding], tmp_path: Path) -> None:
    finding = next(f for f in planted if f.code == "level-gap")
    (example,) = finding.counterexamples
    path = tmp_path / "witness.yaml"
    path.write_text(yaml.safe_dump(example.to_document("member"), allow_unicode=True), encoding="utf-8")
    loaded = api.load_evidence_file(path)
    assert loaded.period is not None
    result = api.evaluate(api.load_framework(PLANTED), loaded.kind, loaded.evidence, period=loaded.period)
    assert result.outcome.level == "not_completed" and result.outcome.decision.value == "below_lowest"


def test_an_untested_rule_comes_with_a_suggested_case_where_it_decides(planted: list[Finding]) -> None:
    finding = next(f for f in planted if f.path == "subjects.member.rules.disciplined")
    (suggestion,) = finding.counterexamples
    assert suggestion.role == "suggested-test" and suggestion.truths == {"disciplined": "met"}


def test_declared_exceptions_are_kept_and_marked() -> None:
    findings = run(PLANTED, exceptions=["non-monotone:member.missed_a_target", "years_of_service"])
    declared = {(f.code, f.path) for f in findings if f.declared}
    assert declared == {
        ("non-monotone", "subjects.member.rules.missed_a_target"),
        ("unused-field", "subjects.member.evidence.years_of_service"),
    }
    issue = next(f for f in findings if f.declared).to_issue()
    assert issue.hint == "declared as an exception of the framework"


def test_an_exception_for_another_code_or_kind_declares_nothing() -> None:
    findings = run(PLANTED, exceptions=["level-gap:missed_a_target", "leader.years_of_service"])
    assert not any(f.declared for f in findings)


def test_a_better_direction_given_by_the_caller_overrides_the_derived_one() -> None:
    findings = run(CLEAN, better={"sick_leave_months": "higher"})
    assert found(findings) == {("non-monotone", "subjects.member.caps.sick_leave")}


def test_directions_are_derived_from_how_rules_use_each_field() -> None:
    program = api.load_framework(PLANTED)
    directions = {path: way for path, (way, _, _) in field_directions(program, "member").items()}
    assert directions == {
        "discipline": "lower",  # a trigger: exists(discipline, ...)
        "sick_leave_months": "lower",  # a cap
        "targets_assigned": "lower",
        "targets_met": "higher",  # three rules read it that way, missed_a_target the other
        "task_results": "higher",
    }
    up, down = field_directions(program, "member")["targets_met"][1:]
    assert down == ("over_assigned", "missed_a_target")
    assert set(up) == {"under_half", "under_a_third", "all_targets_met"}


def test_findings_are_issues_with_documented_codes(planted: list[Finding]) -> None:
    assert set(CODES) <= set(issues.CODES)
    for finding in planted:
        issue = finding.to_issue("vi")
        assert issue.code in CODES and issue.severity == "warning"
        assert issue.span is not None and issue.span.file.endswith("2020-01-01.yaml")
        assert issue.message_in("vi") == finding.message.vi and issue.message == finding.message.en


def test_the_analysis_is_deterministic() -> None:
    first = [f.to_json() for f in run(PLANTED)]
    second = [f.to_json() for f in run(PLANTED)]
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


def test_a_different_seed_finds_the_same_planted_faults() -> None:
    program = api.load_framework(PLANTED)
    other = analyse(program, find_tests(program), budget_seconds=BUDGET, seed=7)
    assert found(other) == found(run(PLANTED))


def test_findings_on_a_real_framework_re_evaluate_as_claimed() -> None:
    program = api.load_framework(HD21)
    findings = analyse(program, find_tests(program), budget_seconds=1)
    assert findings, "HD21 has at least its gaps below HT"
    for finding in findings:
        assert finding.code in CODES
        for example in finding.counterexamples:
            if example.relations:
                continue  # related subjects come from a population, not from an evidence file
            kind = finding.kinds[0] if finding.kinds else finding.kind
            result = api.evaluate(program, kind, example.evidence, period=api.parse_period(example.period))
            outcome = result.outcome
            assert example.outcome == (outcome.level if outcome.level else outcome.status.value), finding.path


# --- what the framework declares: exceptions and better directions -----------------------------------------------

DECLARED = FIXTURES / "analysis" / "declared" / "2020-01-01.yaml"


@pytest.fixture(scope="module")
def declared() -> list[Finding]:
    return run(DECLARED)


def test_the_framework_declares_its_findings_and_an_extending_kind_inherits_the_declarations(
    declared: list[Finding],
) -> None:
    assert {(f.code, f.path) for f in declared if f.declared} == {
        ("level-gap", "subjects.member.levels.completed"),
        ("shadowed-rule", "subjects.member.not_completed[2]"),
        ("non-monotone", "subjects.member.rules.missed_a_target"),
        ("unused-field", "subjects.member.evidence.years_of_service"),
        ("untested-rule", "subjects.member.rules.disciplined"),
        ("unused-field", "records.decision.fields.form"),  # declared as discipline[].form
    }
    gap = next(f for f in declared if f.code == "level-gap")
    assert gap.kinds == ("member", "leader")  # found in both kinds; the leader inherits the declaration


def test_a_finding_shared_by_two_kinds_stays_undeclared_unless_both_declare_it(declared: list[Finding]) -> None:
    never = next(f for f in declared if f.code == "rule-never-holds")
    assert never.kinds == ("member", "leader") and not never.declared and never.exception is None


def test_a_declared_finding_carries_its_reason_and_clause(declared: list[Finding]) -> None:
    gap = next(f for f in declared if f.code == "level-gap")
    assert gap.exception is not None and gap.exception.reason.en == "Poor results reach no level and so are KHT"
    document = gap.to_json()
    assert document["declared"] is True
    assert document["exception"] == {
        "code": "level-gap",
        "id": "completed",
        "reason": {
            "vi": "Kết quả ở mức Kém không đạt mức nào nên là KHT",
            "en": "Poor results reach no level and so are KHT",
        },
        "cite": {"doc": "hd", "at": "Mục 2", "sources": []},
        "confidence": "secondary",
        "file": gap.exception.span.file,
        "line": gap.exception.span.line,
        "col": gap.exception.span.col,
    }
    hint = gap.to_issue("en").hint
    assert hint is not None and hint.startswith("declared as an exception of the framework: Poor results")
    assert gap.exception.span.file.endswith("declared/2020-01-01.yaml")
    assert f"{gap.exception.span}" in hint
    assert (gap.to_issue().hint_in("vi") or "").startswith("đã được khai báo là ngoại lệ của khung tiêu chí: Kết quả")


def test_the_caller_may_still_declare_more(declared: list[Finding]) -> None:
    findings = run(DECLARED, exceptions=["rule-never-holds:over_assigned"])
    never = next(f for f in findings if f.code == "rule-never-holds")
    assert never.declared and never.exception is None


def test_a_better_direction_declared_in_the_framework_overrides_the_derived_one(tmp_path: Path) -> None:
    for name in ("2020-01-01.yaml", "2020-01-01.tests.yaml"):
        text = (CLEAN.parent / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(
            text.replace("      sick_leave_months:\n", "      sick_leave_months:\n        better: higher\n"),
            encoding="utf-8",
        )
    program = api.load_framework(tmp_path / "2020-01-01.yaml")
    assert field_directions(program, "member")["sick_leave_months"][0] == "higher"
    findings = analyse(program, find_tests(program), budget_seconds=BUDGET)
    assert found(findings) == {("non-monotone", "subjects.member.caps.sick_leave")}
    # The caller's direction still wins over the framework's.
    assert analyse(program, find_tests(program), budget_seconds=BUDGET, better={"sick_leave_months": "lower"}) == []


def test_the_fields_of_records_nothing_reads_are_not_reported_again(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    text = text.replace(
        "subjects:\n",
        "records:\n  decision:\n    label: {vi: Quyết định, en: Decision}\n    fields:\n"
        "      decided_on: {type: date, label: {vi: Ngày, en: Date}}\n"
        "      form: {type: text, label: {vi: Hình thức, en: Form}}\n\nsubjects:\n",
        1,
    ).replace(
        "    rules:\n",
        "      discipline: {type: records, of: decision, default: [], label: {vi: Kỷ luật, en: Discipline}}\n"
        "    rules:\n",
        1,
    )
    (tmp_path / "2020-01-01.yaml").write_text(text, encoding="utf-8")
    program = api.load_framework(tmp_path / "2020-01-01.yaml")
    # Only the records field itself: its record type's fields are unread because it is.
    assert found(analyse(program, None, budget_seconds=BUDGET)) == {
        ("unused-field", "subjects.member.evidence.discipline")
    }
