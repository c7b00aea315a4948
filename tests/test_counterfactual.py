"""Counterfactuals on the HD21 framework: the smallest changes of evidence that reach a level (exact, minimal,
verified by re-evaluation with ``api.evaluate``), and the comparison with a self-assessed level."""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paths import HD21
from strategies import evidence, within_bounds
from xeploai import api
from xeploai.evaluation.trace import Decision, NodeKind, Status, TraceNode, Truth
from xeploai.explanation import counterfactual
from xeploai.explanation.counterfactual import (
    ChangeSet,
    FieldChange,
    apply_changes,
    for_each_higher_level,
    levels_not_reached,
    search_changes,
    smallest_changes,
    to_text,
)
from xeploai.explanation.self_assessment import SelfAssessment, compare_self_assessment
from xeploai.program.issues import EvidenceError

PROGRAM = api.load_framework(HD21)
PERIOD = api.parse_period(2020)
INDIVIDUAL_KINDS = ["party_member", "party_member_leader"]
RANK = {v.id: len(PROGRAM.levels.values) - 1 - i for i, v in enumerate(PROGRAM.levels.values)}

# A member meeting every HTXS condition; each case changes only what its name says.
MEMBER: dict[str, object] = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 120,
    "is_civil_servant": False,
    "degradation_concluded": False,
    "targets_assigned": 10,
    "targets_met": 10,
    "discipline": [],
    "sick_leave_months": 0,
    "political_ideology": "Tốt",
    "ethics_lifestyle": "Tốt",
    "discipline_awareness": "Tốt",
    "working_style": "Tốt",
    "task_results": "Xuất sắc",
    "remedying_shortcomings": "Tốt",
    "exemplary_with_products": True,
}
LEADER: dict[str, object] = {
    **MEMBER,
    "is_civil_servant": True,
    "civil_service_level": "HTXS",
    "is_head": False,
    "led_unit_level": "HTT",
    "led_unit_corruption_disciplined": False,
    "unit_targets_assigned": 10,
    "unit_targets_met": 10,
    "unit_targets_exceeded": 6,
    "unit_targets_on_time": 8,
    "led_units_total": 5,
    "led_units_ht_or_better": 5,
    "led_units_htt_or_better": 4,
}
BASELINES = {"party_member": MEMBER, "party_member_leader": LEADER}


def level_of(kind: str, raw: Mapping[str, object]) -> str | None:
    return api.evaluate(PROGRAM, kind, raw, period=PERIOD).outcome.level


def reaches(kind: str, raw: Mapping[str, object], level: str) -> bool:
    """At least ``level`` whatever any still-missing evidence is; invalid evidence reaches nothing."""
    try:
        outcome = api.evaluate(PROGRAM, kind, raw, period=PERIOD).outcome
    except EvidenceError:
        return False
    if outcome.status is Status.CLASSIFIED:
        return outcome.level is not None and RANK[outcome.level] >= RANK[level]
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        return all(p in RANK and RANK[p] >= RANK[level] for p in outcome.possible)
    return False


def changes(change_set: ChangeSet) -> dict[str, tuple[object, object]]:
    return {c.field: (c.before, c.after) for c in change_set.changes}


def the_change(change_sets: Iterable[ChangeSet], name: str) -> FieldChange:
    """The single-change set that changes ``name``."""
    found = [s.changes[0] for s in change_sets if s.fields == (name,)]
    assert len(found) == 1, f"no single change of {name} in {[s.fields for s in change_sets]}"
    return found[0]


# --- the smallest change on HD21 -------------------------------------------------------------------------------


def test_member_short_of_htxs_by_one_grade_needs_that_judgement_excellent() -> None:
    raw = {**MEMBER, "task_results": "Tốt"}
    assert level_of("party_member", raw) == "good"
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "excellent")
    assert [changes(s) for s in sets] == [{"task_results": ("Tốt", "Xuất sắc")}]
    change = sets[0].changes[0]
    assert (change.kind, change.actionable, sets[0].reaches) == ("judgement", True, "excellent")
    assert "“Xuất sắc”" in change.text.vi and "(task_results: Tốt → Xuất sắc)" in change.text.vi
    assert "“Excellent”" in change.text.en


def test_a_criterion_below_good_must_be_graded_exactly_tot_not_more() -> None:
    raw = {**MEMBER, "political_ideology": "Trung bình"}
    assert level_of("party_member", raw) == "good"
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "excellent")
    assert [changes(s) for s in sets] == [{"political_ideology": ("Trung bình", "Tốt")}]
    assert "Tư tưởng chính trị phải được đánh giá mức “Tốt”" in sets[0].changes[0].text.vi


def test_member_under_half_of_targets_must_meet_exactly_half_not_more() -> None:
    raw = {**MEMBER, "targets_met": 3}
    assert level_of("party_member", raw) == "not_completed"
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "completed")
    met = the_change(sets, "targets_met")
    assert (met.before, met.after, met.kind) == (3, 5, "numeric")  # exactly 50 % of 10, not 6
    assert met.text.vi == "Cần thêm 2 chỉ tiêu, nhiệm vụ đã hoàn thành (targets_met: 3 → 5)"
    assert met.text.en == "2 more targets and tasks completed (targets_met: 3 → 5)"
    assert reaches("party_member", {**raw, "targets_met": 5}, "completed")
    assert not reaches("party_member", {**raw, "targets_met": 4}, "completed")
    # The other side of the comparison: fewer targets assigned, exactly twice those met.
    assigned = the_change(sets, "targets_assigned")
    assert (assigned.before, assigned.after) == (10, 6)
    assert sets[0].fields == ("targets_met",)  # the field the condition is about comes first


def test_an_odd_number_of_targets_rounds_half_up_to_the_next_whole_target() -> None:
    raw = {**MEMBER, "targets_assigned": 7, "targets_met": 3}
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "completed")
    assert changes(sets[0]) == {"targets_met": (3, 4)}  # 4 ≥ 3.5 = 50 % of 7


def test_leader_with_several_failed_rules_gets_one_set_changing_several_fields() -> None:
    raw = {**LEADER, "unit_targets_exceeded": 3, "led_units_htt_or_better": 3}
    assert level_of("party_member_leader", raw) == "good"
    sets = smallest_changes(PROGRAM, "party_member_leader", raw, PERIOD, "excellent")
    assert changes(sets[0]) == {"unit_targets_exceeded": (3, 5), "led_units_htt_or_better": (3, 4)}
    assert to_text(sets[0], "en").splitlines() == [
        "- 2 more targets exceeded (unit_targets_exceeded: 3 → 5)",
        '- 1 more of those, units classified "completed tasks well" or better (led_units_htt_or_better: 3 → 4)',
    ]
    assert all(len(s.changes) >= 2 for s in sets)
    assert all(reaches("party_member_leader", apply_changes(raw, s), "excellent") for s in sets)


def test_raising_a_bounded_count_brings_its_bound_along() -> None:
    raw = {**LEADER, "unit_targets_met": 4, "unit_targets_exceeded": 3, "unit_targets_on_time": 4}
    sets = smallest_changes(PROGRAM, "party_member_leader", raw, PERIOD, "excellent")
    assert {"unit_targets_met": (4, 10), "unit_targets_exceeded": (3, 5), "unit_targets_on_time": (4, 8)} in [
        changes(s) for s in sets
    ]


def test_disciplined_member_change_is_a_recorded_fact_not_actionable() -> None:
    decision = {"form": "Khiển trách", "decided_on": "2020-05-03"}
    raw = {**MEMBER, "discipline": [decision]}
    assert level_of("party_member", raw) == "not_completed"
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "completed")
    assert len(sets) == 1 and sets[0].reaches == "excellent"
    change = sets[0].changes[0]
    assert (change.field, change.before, change.after, change.kind) == ("discipline", [decision], [], "records")
    assert not change.actionable and not sets[0].actionable
    assert "không phải việc có thể khắc phục" in change.text.vi
    assert "Khiển trách, 2020-05-03" in change.text.vi
    assert "not actionable" in change.text.en


def test_only_the_decision_that_counts_in_the_period_has_to_go() -> None:
    old = {"form": "Cảnh cáo", "decided_on": "2019-06-01"}
    counted = {"form": "Khiển trách", "decided_on": "2020-05-03"}
    raw = {**MEMBER, "discipline": [old, counted]}
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "completed")
    assert [changes(s) for s in sets] == [{"discipline": ([old, counted], [old])}]


def test_a_strict_bound_on_a_real_number_gives_a_witness_just_inside_it() -> None:
    raw = {**MEMBER, "sick_leave_months": 4}
    assert level_of("party_member", raw) == "completed"
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "excellent")
    change = the_change(sets, "sick_leave_months")
    assert (change.before, change.after) == (4, 2.9)
    assert "dưới 3" in change.text.vi and "under 3" in change.text.en


def test_a_missing_field_must_be_supplied_with_a_value_that_reaches_the_level() -> None:
    raw = {k: v for k, v in MEMBER.items() if k != "political_ideology"}
    assert api.evaluate(PROGRAM, "party_member", raw, period=PERIOD).outcome.status is Status.INSUFFICIENT_EVIDENCE
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "excellent")
    change = sets[0].changes[0]
    assert (change.field, change.before, change.after, change.kind) == ("political_ideology", None, "Tốt", "missing")
    assert change.text.vi == "Cần bổ sung Tư tưởng chính trị (political_ideology): “Tốt” trở lên"


def test_missing_evidence_that_only_decides_between_levels_above_the_target_need_not_be_supplied() -> None:
    raw = {k: v for k, v in MEMBER.items() if k != "exemplary_with_products"}
    raw["targets_met"] = 3  # KHT whatever the missing judgement says
    sets = smallest_changes(PROGRAM, "party_member", raw, PERIOD, "good")
    assert changes(sets[0]) == {"targets_met": (3, 5)}
    assert sets[0].reaches == "good"  # HTXS or HTT: at least HTT either way


def test_a_head_capped_by_the_unit_can_be_lifted_by_the_unit_or_not_being_head() -> None:
    raw = {**LEADER, "is_head": True, "led_unit_level": "HT"}
    assert level_of("party_member_leader", raw) == "completed"
    sets = smallest_changes(PROGRAM, "party_member_leader", raw, PERIOD, "excellent")
    assert [changes(s) for s in sets] == [{"led_unit_level": ("HT", "HTXS")}, {"is_head": (True, False)}]
    assert [s.actionable for s in sets] == [True, False]


def test_a_member_not_classified_is_told_the_fact_that_excludes_them() -> None:
    raw = {**MEMBER, "exempted": True}
    search = search_changes(PROGRAM, "party_member", raw, PERIOD, "HTT")
    assert (search.current, search.target) == ("not_classified", "good")
    assert [changes(s) for s in search.sets] == [{"exempted": (True, False)}]
    assert not search.sets[0].changes[0].actionable


def test_evidence_that_already_reaches_the_target_needs_no_change() -> None:
    search = search_changes(PROGRAM, "party_member", MEMBER, PERIOD, "good")
    assert (search.reached, search.sets, search.current) == (True, (), "excellent")
    assert smallest_changes(PROGRAM, "party_member", MEMBER, PERIOD, "excellent") == []


def test_for_each_higher_level_answers_every_level_not_reached() -> None:
    raw = {**MEMBER, "task_results": "Trung bình"}
    assert level_of("party_member", raw) == "completed"
    answers = for_each_higher_level(PROGRAM, "party_member", raw, PERIOD)
    assert list(answers) == ["excellent", "good"]
    assert changes(answers["excellent"][0]) == {"task_results": ("Trung bình", "Xuất sắc")}
    assert changes(answers["good"][0]) == {"task_results": ("Trung bình", "Tốt")}


def test_conditions_on_other_subjects_are_named_as_unsolved() -> None:
    raw = {k: v for k, v in LEADER.items() if k != "is_head"}
    search = search_changes(PROGRAM, "unit_head", raw, PERIOD, "excellent")
    assert search.sets == ()
    assert search.unsolved == ("led_unit_not_completed", "head_not_above_unit")


def test_a_comparison_of_two_missing_fields_is_named_unsolved() -> None:
    raw = {k: v for k, v in MEMBER.items() if k not in ("targets_met", "targets_assigned")}
    search = search_changes(PROGRAM, "party_member", raw, PERIOD, "completed")
    assert (search.sets, search.unsolved) == ((), ("targets_under_half",))
    one_missing = {k: v for k, v in MEMBER.items() if k != "targets_met"}
    supplied = smallest_changes(PROGRAM, "party_member", one_missing, PERIOD, "completed")[0].changes[0]
    assert (supplied.field, supplied.kind, supplied.after) == ("targets_met", "missing", 5)
    assert supplied.text.en == "Targets and tasks completed (targets_met) must be supplied: at least 5 (for example 5)"


def test_the_lowest_level_is_reached_by_being_classified_at_all() -> None:
    sets = smallest_changes(PROGRAM, "party_member", {**MEMBER, "suspended": True}, PERIOD, "KHT")
    assert [changes(s) for s in sets] == [{"suspended": (True, False)}]


def test_the_combination_bound_is_reported() -> None:
    raw = {**MEMBER, "exempted": True, "task_results": "Tốt", "targets_met": 3, "sick_leave_months": 5}
    bounded = search_changes(PROGRAM, "party_member", raw, PERIOD, "excellent", max_combinations=1)
    assert bounded.truncated
    assert not search_changes(PROGRAM, "party_member", raw, PERIOD, "excellent").truncated


def test_the_limit_keeps_the_smallest_sets_and_says_more_exist() -> None:
    raw = {**LEADER, "unit_targets_exceeded": 3, "led_units_htt_or_better": 3}
    one = search_changes(PROGRAM, "party_member_leader", raw, PERIOD, "excellent", limit=1)
    assert len(one.sets) == 1 and one.more
    assert one.sets[0] == smallest_changes(PROGRAM, "party_member_leader", raw, PERIOD, "excellent")[0]


def test_an_unknown_level_or_bad_evidence_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown level 'HTXX'"):
        smallest_changes(PROGRAM, "party_member", MEMBER, PERIOD, "HTXX")
    with pytest.raises(EvidenceError):
        smallest_changes(PROGRAM, "party_member", {**MEMBER, "targets_met": 11}, PERIOD, "excellent")


def test_the_module_stays_on_the_program_side() -> None:
    source = Path(counterfactual.__file__).read_text(encoding="utf-8")
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m} & {
        "xeploai.api",
        "xeploai.cli",
        "yaml",
        "pydantic",
        "xeploai.framework.schema",
    }


# --- self-assessment -----------------------------------------------------------------------------------------


def assess(raw: Mapping[str, object], proposed: str, kind: str = "party_member") -> SelfAssessment:
    result = api.evaluate(PROGRAM, kind, raw, period=PERIOD)
    return compare_self_assessment(result, PROGRAM, proposed)


def test_a_proposal_above_the_outcome_names_the_failed_rules_of_the_proposed_level() -> None:
    found = assess({**MEMBER, "task_results": "Tốt", "exemplary_with_products": False}, "HTXS")
    assert (found.proposed, found.computed, found.comparison) == ("excellent", "good", "above")
    assert [(r.kind, r.id) for r in found.reasons] == [
        ("failed_rule", "truly_exemplary"),
        ("failed_rule", "task_results_excellent"),
    ]
    assert found.reasons[1].text.vi == 'Chưa đạt: Kết quả thực hiện nhiệm vụ chưa đạt mức "Xuất sắc".'
    assert found.text.en.startswith("The self-assessed level “Completed tasks excellently” (HTXS) is above")


def test_a_proposal_above_a_trigger_names_the_trigger_and_the_proposed_level_rules() -> None:
    found = assess({**MEMBER, "targets_met": 3, "task_results": "Tốt"}, "good")
    assert found.comparison == "above"
    assert [(r.kind, r.id) for r in found.reasons] == [("trigger", "targets_under_half")]


def test_a_proposal_above_a_cap_names_the_cap() -> None:
    found = assess({**MEMBER, "sick_leave_months": 4}, "excellent")
    assert (found.computed, found.comparison) == ("completed", "above")
    assert [(r.kind, r.id) for r in found.reasons] == [("cap", "sick_leave_cap")]
    assert "tối đa HT" in found.reasons[0].text.vi


def test_a_proposal_above_a_quota_demotion_names_the_quota() -> None:
    result = api.evaluate(PROGRAM, "party_member", MEMBER, period=PERIOD)
    quota = next(q for q in PROGRAM.quotas if q.id == "members_excellent")
    node = TraceNode(NodeKind.QUOTA, Truth.NOT_MET, id=quota.id, label=quota.label, level="good")
    outcome = dataclasses.replace(result.outcome, level="good", decision=Decision.QUOTA)
    trace = dataclasses.replace(result.trace, outcome=outcome, children=(*result.trace.children, node))
    found = compare_self_assessment(dataclasses.replace(result, trace=trace), PROGRAM, "HTXS")
    assert (found.computed, found.comparison) == ("good", "above")
    assert [(r.kind, r.id) for r in found.reasons] == [("quota", "members_excellent")]
    assert found.reasons[0].text.en.endswith("(lowered to HTT)")


def test_a_proposal_below_the_outcome_says_the_rules_allow_more() -> None:
    found = assess(MEMBER, "Hoàn thành nhiệm vụ")
    assert (found.proposed, found.computed, found.comparison) == ("completed", "excellent", "below")
    assert [r.kind for r in found.reasons] == ["allows_more"]
    assert "the rules allow more" in found.text.en


def test_a_proposal_equal_to_the_outcome_has_no_reasons() -> None:
    found = assess(MEMBER, "HTXS")
    assert (found.comparison, found.reasons) == ("same", ())


def test_a_proposal_under_insufficient_evidence_names_what_is_missing() -> None:
    found = assess({k: v for k, v in MEMBER.items() if k != "task_results"}, "HTXS")
    assert (found.computed, found.comparison) == ("insufficient_evidence", "undetermined")
    assert [(r.kind, r.id) for r in found.reasons] == [("missing", "task_results")]


def test_a_proposal_for_a_member_not_classified_names_the_eligibility_rule() -> None:
    found = assess({**MEMBER, "suspended": True}, "HTT")
    assert (found.computed, found.comparison) == ("not_classified", "not_classified")
    assert [(r.kind, r.id) for r in found.reasons] == [("not_classified", "suspended_member")]


# --- laws over random members of both individual kinds --------------------------------------------------------


def _within_bounds(kind: str, raw: dict[str, object]) -> dict[str, object]:
    """Clamp every ``at_most`` field to its bound, repeatedly, so chains settle."""
    return within_bounds(PROGRAM.subjects[kind].fields, raw)


@st.composite
def members(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """A member of either individual kind: a few fields of a qualifying member changed at random and a few
    dropped (most draws), or any evidence at all."""
    kind = draw(st.sampled_from(INDIVIDUAL_KINDS))
    noise = draw(evidence(PROGRAM, kind))
    if draw(st.integers(0, 3)) == 0:
        return kind, noise
    keys = sorted(noise)
    changed = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True)) if keys else []
    dropped = draw(st.lists(st.sampled_from(sorted(BASELINES[kind])), max_size=2, unique=True))
    raw = {k: v for k, v in BASELINES[kind].items() if k not in dropped}
    raw.update({k: noise[k] for k in changed})
    return kind, _within_bounds(kind, raw)


def strict_subsets(change_set: ChangeSet) -> Iterable[tuple[FieldChange, ...]]:
    """Every strict subset for up to 6 changes; for larger sets, those missing one or two changes."""
    n = len(change_set.changes)
    sizes = range(0, n) if n <= 6 else range(n - 2, n)
    for size in sizes:
        yield from itertools.combinations(change_set.changes, size)


@settings(max_examples=100, deadline=None)
@given(members(), st.data())
def test_every_reported_set_reaches_the_level_is_minimal_and_deterministic(
    member: tuple[str, dict[str, object]], data: st.DataObject
) -> None:
    kind, raw = member
    result = api.evaluate(PROGRAM, kind, raw, period=PERIOD)
    higher = levels_not_reached(PROGRAM, result)
    if not higher:
        return
    level = data.draw(st.sampled_from(higher))
    sets = smallest_changes(PROGRAM, kind, raw, PERIOD, level)
    for change_set in sets:
        changed = apply_changes(raw, change_set)
        assert reaches(kind, changed, level), f"{to_text(change_set, 'en')} does not reach {level}"
        assert reaches(kind, changed, change_set.reaches)
        for subset in strict_subsets(change_set):
            assert not reaches(kind, apply_changes(raw, subset), level), (
                f"{[c.field for c in subset]} of {list(change_set.fields)} already reaches {level}"
            )
    assert sets == smallest_changes(PROGRAM, kind, dict(reversed(list(raw.items()))), PERIOD, level)
