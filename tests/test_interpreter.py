"""The interpreter: three-valued, total, deterministic; the outcome is the root of the trace."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from paths import GOOD, HD21
from strategies import evidence
from xeploai import api
from xeploai.evaluation.runners.interpreter import kleene_and, kleene_not, kleene_or
from xeploai.evaluation.trace import Decision, NodeKind, Status, Truth, walk

PROGRAM = api.load_framework(GOOD)
HD21_PROGRAM = api.load_framework(HD21)
# Every individual subject kind of the fixture and of the real HD21 framework (collectives need populations).
SUBJECTS = [(PROGRAM, "member")] + [
    (HD21_PROGRAM, kind) for kind, subject in HD21_PROGRAM.subjects.items() if not subject.relations
]
subjects = st.sampled_from(SUBJECTS)
PERIOD = api.parse_period(2020)
RANK = {Truth.NOT_MET: 0, Truth.UNKNOWN: 1, Truth.MET: 2}
truths = st.sampled_from(list(Truth))


def run(**values: object) -> api.Result:
    return api.evaluate(PROGRAM, "member", values, period=PERIOD)


# --- Kleene tables --------------------------------------------------------------------------------------------


@given(st.lists(truths, max_size=5))
def test_and_is_the_minimum_in_the_order_not_met_unknown_met(values: list[Truth]) -> None:
    expected = min(values, key=RANK.__getitem__) if values else Truth.MET
    assert kleene_and(values) is expected


@given(st.lists(truths, max_size=5))
def test_or_is_the_maximum(values: list[Truth]) -> None:
    expected = max(values, key=RANK.__getitem__) if values else Truth.NOT_MET
    assert kleene_or(values) is expected


@given(truths, truths)
def test_de_morgan_holds_in_three_valued_logic(a: Truth, b: Truth) -> None:
    assert kleene_not(kleene_and([a, b])) is kleene_or([kleene_not(a), kleene_not(b)])
    assert kleene_not(kleene_not(a)) is a


# --- behaviour ----------------------------------------------------------------------------------------------


def test_best_level_whose_rules_hold() -> None:
    result = run(targets_assigned=10, targets_met=9, task_results="Tốt")
    assert (result.outcome.level, result.outcome.decision) == ("good", Decision.LEVEL)
    assert result.outcome.reasons == ("results_excellent",)


def test_any_trigger_gives_the_lowest_level_even_with_excellent_grades() -> None:
    result = run(targets_assigned=10, targets_met=4, task_results="Xuất sắc")
    assert (result.outcome.level, result.outcome.reasons) == ("not_completed", ("under_half",))


def test_exactly_half_of_targets_is_not_under_half() -> None:
    assert run(targets_assigned=10, targets_met=5, task_results="Tốt").outcome.level == "good"


def test_cap_lowers_the_level_and_is_a_reason() -> None:
    result = run(targets_assigned=10, targets_met=9, task_results="Xuất sắc", sick_leave_months=3)
    assert (result.outcome.level, result.outcome.level_before_caps) == ("completed", "excellent")
    assert result.outcome.reasons == ("sick",)


def test_missing_evidence_is_insufficient_naming_the_field() -> None:
    result = run(targets_assigned=10, targets_met=9)
    assert result.outcome.status is Status.INSUFFICIENT_EVIDENCE
    assert result.outcome.missing == ("task_results",)
    assert result.outcome.possible == ("excellent", "good", "completed", "not_completed")


def test_missing_evidence_that_cannot_matter_does_not_block_the_outcome() -> None:
    result = run(task_results="Kém")  # targets unknown, but no level holds: KHT either way
    assert (result.outcome.status, result.outcome.level) == (Status.CLASSIFIED, "not_completed")


def test_not_classified_names_its_rule() -> None:
    result = run(exempted=True)
    assert (result.outcome.status, result.outcome.reasons) == (Status.NOT_CLASSIFIED, ("is_exempted",))


def test_discipline_outside_the_period_does_not_count() -> None:
    decision = {"form": "cảnh cáo", "decided_on": "2019-12-31"}
    result = run(targets_assigned=10, targets_met=9, task_results="Tốt", discipline=[decision])
    assert result.outcome.level == "good"


def test_comparison_nodes_carry_actual_and_required_values() -> None:
    result = run(targets_assigned=10, targets_met=9, task_results="Tốt")
    level = next(n for n in result.trace.children if n.kind is NodeKind.LEVEL and n.level == "excellent")
    compare = level.children[0].children[0]
    assert (compare.kind, compare.op, compare.operands) == (NodeKind.COMPARE, "==", ("Tốt", "Xuất sắc"))
    assert compare.reads[0].judgement is True


def test_division_by_zero_is_unknown_with_its_reason() -> None:
    from xeploai.evaluation.runners.interpreter import _Context
    from xeploai.framework.conditions import Scope, parse_condition
    from xeploai.program.ir import NO_SPAN

    subject = PROGRAM.subjects["member"]
    scope = Scope(
        {f.id: f for f in subject.fields}, frozenset(subject.rules), PROGRAM.scales, PROGRAM.enums, PROGRAM.records
    )
    expr, _ = parse_condition("targets_met / targets_assigned >= 0.5", NO_SPAN, "p", scope)
    assert expr is not None
    from fractions import Fraction

    ctx = _Context(PROGRAM, subject, {"targets_met": Fraction(0), "targets_assigned": Fraction(0)}, {}, PERIOD)
    node = ctx.truth(expr)
    assert node.truth is Truth.UNKNOWN and node.error == "division by zero"


# --- laws -------------------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_evaluation_is_total_deterministic_and_rooted(data: st.DataObject) -> None:
    program, kind = data.draw(subjects)
    raw = data.draw(evidence(program, kind))
    first = api.evaluate(program, kind, raw, period=PERIOD)
    second = api.evaluate(program, kind, dict(reversed(list(raw.items()))), period=PERIOD)
    assert first.trace == second.trace
    outcome = first.outcome
    assert first.trace.kind is NodeKind.OUTCOME and first.trace.outcome is outcome
    assert first.trace.level == outcome.level
    assert (outcome.level is not None) == (outcome.status is Status.CLASSIFIED)
    if outcome.decision is Decision.LEVEL:
        levels = [n for n in first.trace.children if n.kind is NodeKind.LEVEL]
        before = [n.level for n in levels].index(outcome.level_before_caps)
        assert levels[before].truth is Truth.MET
        assert all(n.truth is Truth.NOT_MET for n in levels[:before])
    assert all(isinstance(n.truth, Truth) for n in walk(first.trace))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_removing_evidence_without_default_never_changes_an_outcome_silently(data: st.DataObject) -> None:
    program, kind = data.draw(subjects)
    raw = data.draw(evidence(program, kind))
    # A field with a declared default is replaced by its default, by the framework's choice, and a field a rule
    # reads with known(...) has a declared fallback when absent (months to the review meeting, else to the end of
    # the period); every other field, when dropped, must leave the outcome as it was or make it "insufficient
    # evidence".
    subject = program.subjects[kind]
    fallback = {k for k in raw if any(f"known({k})" in rule.text for rule in subject.rules.values())}
    droppable = sorted(
        k
        for k in raw
        if subject.field_def(k).default is None and k not in fallback  # type: ignore[union-attr]
    )
    if not droppable:
        return
    dropped = data.draw(st.sampled_from(droppable))
    full = api.evaluate(program, kind, raw, period=PERIOD).outcome
    partial = api.evaluate(program, kind, {k: v for k, v in raw.items() if k != dropped}, period=PERIOD).outcome
    if partial.status is Status.INSUFFICIENT_EVIDENCE:
        assert full.status is Status.INSUFFICIENT_EVIDENCE or (full.level or "not_classified") in partial.possible
    else:
        assert (partial.status, partial.level) == (full.status, full.level)
