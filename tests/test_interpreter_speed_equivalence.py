"""The interpreter's compiled plans (``runners/_compiled``) build the same traces as its reference evaluation, node by
node, for every subject kind of every bundled framework, whatever evidence came before; and the nodes they share
between subjects are shared only where the reference would build equal nodes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import HD21, ROOT
from test_columnar import OPERATORS
from xeploai import api
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import _compiled, interpreter
from xeploai.evaluation.trace import Result, TraceNode, walk
from xeploai.explanation import explain
from xeploai.program import ir

FRAMEWORKS = sorted(p for p in (ROOT / "frameworks").glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))
PROGRAMS = {p: api.load_framework(p) for p in FRAMEWORKS}
SUBJECTS = [(program, kind) for program in [*PROGRAMS.values(), OPERATORS] for kind in program.subjects]
PERIODS = [api.parse_period(2020), api.parse_period("2021-Q2")]

Evidence = tuple[dict[str, ir.Value], dict[str, str]]


def run_both(
    program: ir.Program, kind: str, values: Mapping[str, object], origins: Mapping[str, object], period: ir.Period
) -> tuple[object, object]:
    """The compiled and the reference evaluation's trace, or the class and text of the exception each raised."""
    out = []
    for evaluate in (interpreter.evaluate, interpreter._evaluate_reference):
        try:
            out.append(evaluate(program, kind, values, origins, period))  # type: ignore[arg-type]
        except Exception as error:  # both must fail alike
            out.append((type(error), str(error)))
    return out[0], out[1]


# --- typed evidence, drawn from small domains so that subjects often share values --------------------------------


def typed_value(program: ir.Program, ftype: ir.ValueType, depth: int = 0) -> st.SearchStrategy[ir.Value]:
    match ftype:
        case ir.BoolType():
            return st.booleans()
        case ir.NumberType(integer=True):
            return st.integers(0, 12).map(Fraction)
        case ir.NumberType():
            return st.sampled_from(
                [Fraction(0), Fraction(1, 2), Fraction(3), Fraction(5), Fraction(7, 3), Fraction(12)]
            )
        case ir.OrdinalType(scale=scale):
            return st.sampled_from([program.scales[scale].ordinal(v.id) for v in program.scales[scale].values])
        case ir.EnumType(name=name):
            values = program.enums[name].values
            return st.sampled_from([ir.EnumValue(v.id, i, name) for i, v in enumerate(values)])
        case ir.DateType():
            return st.sampled_from([date(2019, 12, 31), date(2020, 1, 1), date(2020, 6, 30), date(2021, 5, 1)])
        case ir.PeriodType():
            return st.sampled_from(PERIODS)
        case ir.TextType():
            return st.sampled_from(["", "a", "ok", "x", "Tổ 1"])
        case ir.RecordsType(record=record):
            return records(program, program.records[record].fields, depth + 1)
        case _:
            raise AssertionError(ftype)


def records(program: ir.Program, fields: tuple[ir.FieldDef, ...], depth: int) -> st.SearchStrategy[ir.Value]:
    if depth > 2:
        return st.just(())
    one = st.fixed_dictionaries({}, optional={f.id: typed_value(program, f.type, depth) for f in fields})
    return st.lists(one, max_size=3).map(lambda rows: tuple(ir.Record(r, i) for i, r in enumerate(rows)))


@st.composite
def evidences(draw: st.DrawFn, program: ir.Program, kind: str) -> Evidence:
    subject = program.subjects[kind]
    values: dict[str, ir.Value] = {}
    origins: dict[str, str] = {}
    for f in subject.fields:
        if draw(st.integers(0, 4)) == 0:
            continue
        values[f.id] = draw(typed_value(program, f.type))
        origins[f.id] = draw(st.sampled_from(["evidence", "evidence", "default"]))
    for relation in subject.relations:
        fields = program.records[relation.record].fields
        related = draw(records(program, fields, 1))
        assert isinstance(related, tuple)
        named = tuple(ir.Record({**r.values, "id": f"S{r.index}", "kind": relation.kinds[0]}, r.index) for r in related)
        values[relation.id] = named
        origins[relation.id] = "relation"
    return values, origins


# --- the laws -----------------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_compiled_traces_equal_the_reference_ones_whatever_came_before(data: st.DataObject) -> None:
    program, kind = data.draw(st.sampled_from(SUBJECTS))
    for values, origins in data.draw(st.lists(evidences(program, kind), min_size=1, max_size=12)):
        period = data.draw(st.sampled_from(PERIODS))
        compiled, reference = run_both(program, kind, values, origins, period)
        assert compiled == reference
        if isinstance(compiled, TraceNode):
            result = Result(compiled, "S", kind, None, period, "f", "v", "src")
            expected = dataclasses.replace(result, trace=reference)
            assert explain.to_json(result, program) == explain.to_json(expected, program)
            assert explain.to_text(result, program, "en") == explain.to_text(expected, program, "en")


def test_equal_evidence_of_two_subjects_shares_the_rule_nodes_but_not_the_root() -> None:
    program = PROGRAMS[HD21]
    raw = {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt", "months_since_admission": 30}
    first = api.evaluate(program, "party_member", raw, period=PERIODS[0]).trace
    second = api.evaluate(program, "party_member", dict(raw), period=PERIODS[0]).trace
    assert first == second and first is not second
    assert all(a is b for a, b in zip(first.children, second.children, strict=True))


@pytest.mark.parametrize(
    ("field", "one", "other"),
    [
        ("exempted", True, Fraction(1)),  # equal in Python, shown and tested differently
        ("months_since_admission", Fraction(3), 3),
        ("task_results", ir.Ordinal(2, "grade", "good"), ir.Ordinal(2, "level", "good")),  # same rank, other scale
        ("political_ideology", ir.Ordinal(3, "grade", "excellent"), ir.EnumValue("excellent", 3, "grade")),
        ("sick_leave_months", 0.0, -0.0),  # floats are not evidence values: never shared
        ("sick_leave_months", Decimal("3"), Fraction(3)),  # a class keys do not know: built every time
    ],
)
def test_values_equal_in_python_but_not_to_the_reference_are_not_shared(field: str, one: object, other: object) -> None:
    program = PROGRAMS[HD21]
    for value in (one, other, one, other):
        compiled, reference = run_both(program, "party_member", {field: value}, {}, PERIODS[0])
        assert compiled == reference
        if isinstance(compiled, TraceNode):
            result = Result(compiled, "S", "party_member", None, PERIODS[0], "f", "v", "src")
            expected = dataclasses.replace(result, trace=reference)
            assert explain.to_json(result, program) == explain.to_json(expected, program)


def test_an_origin_that_cannot_be_a_key_is_evaluated_by_the_reference() -> None:
    program = PROGRAMS[HD21]
    origins: dict[str, object] = {"exempted": ["evidence"]}
    compiled, reference = run_both(program, "party_member", {"exempted": True}, origins, PERIODS[0])
    assert compiled == reference


def test_a_cycle_in_a_hand_built_program_is_left_to_the_reference() -> None:
    program = PROGRAMS[HD21]
    subject = program.subjects["party_member"]
    first = subject.not_classified[0]
    rules = dict(subject.rules)
    rules[first] = dataclasses.replace(
        rules[first], expr=ir.Or((ir.RuleRef(first), ir.FieldRef("exempted", ir.BoolType())))
    )
    cyclic = dataclasses.replace(
        program, subjects={**program.subjects, "party_member": dataclasses.replace(subject, rules=rules)}
    )
    compiled, reference = run_both(cyclic, "party_member", {"exempted": False}, {}, PERIODS[0])
    assert compiled == reference
    assert isinstance(compiled, TraceNode)
    assert "reference cycle" in {n.error for n in walk(compiled)}


def test_full_tables_are_emptied_and_the_traces_stay_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compiled, "LIMIT", 2)
    program = api.load_framework(HD21)  # a program of its own, compiled with the small limit
    plan = interpreter._PLANS.add(program, "party_member")
    run = plan.select(PERIODS[0])
    grades = ["Xuất sắc", "Tốt", "Trung bình", "Kém"]
    for months in range(80):
        raw = {
            "months_since_admission": months,
            "exempted": months % 3 == 0,
            "task_results": grades[months % 4],
            "political_ideology": grades[months // 5 % 4],
            "targets_assigned": 10,
            "targets_met": months % 11,
        }
        typed = validate_evidence(program, "party_member", raw)
        compiled, reference = run_both(program, "party_member", typed.values, typed.origins, PERIODS[0])
        assert compiled == reference
    tables = _tables(run)
    assert len(tables) > 10 and [t for t in tables if len(t) > 2] == []
    assert sum(map(len, tables)) > len(tables)  # the tables were used, not only emptied


def _tables(fn: object) -> list[dict[object, object]]:
    """The dicts a plan's function closes over, directly, in lists, or through the functions it closes over."""
    found: list[dict[object, object]] = []
    seen: set[int] = set()

    def visit(value: object) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif callable(value) and getattr(value, "__closure__", None):
            for cell in value.__closure__:  # type: ignore[attr-defined]
                visit(cell.cell_contents)

    visit(fn)
    return found


def test_an_error_is_raised_as_the_reference_raises_it() -> None:
    program = PROGRAMS[HD21]
    # Text compared with a number: the reference fails in the comparison; so does the plan, through it.
    compiled, reference = run_both(program, "party_member", {"months_since_admission": "abc"}, {}, PERIODS[0])
    assert compiled == reference
    assert compiled[0] is TypeError  # type: ignore[index]


def test_outcomes_are_shared_only_between_caps_of_the_same_bound() -> None:
    # HD21's member cap, bounded by evidence instead of a constant: two subjects whose every truth is the same and
    # whose bounds differ get different levels.
    program = PROGRAMS[HD21]
    subject = program.subjects["party_member"]
    bound = ir.FieldRef("civil_service_level", ir.OrdinalType(ir.LEVEL_SCALE))
    caps = tuple(dataclasses.replace(cap, at_most=bound) for cap in subject.caps)
    bounded = dataclasses.replace(
        program, subjects={**program.subjects, "party_member": dataclasses.replace(subject, caps=caps)}
    )
    grades = ["political_ideology", "ethics_lifestyle", "discipline_awareness", "working_style", "task_results"]
    raw: dict[str, object] = {
        **dict.fromkeys([*grades, "remedying_shortcomings"], "Tốt"),
        **dict.fromkeys(["exempted", "suspended", "degradation_concluded", "is_civil_servant"], False),
        **{"months_since_admission": 30, "targets_assigned": 10, "targets_met": 9, "discipline": []},
        **{"sick_leave_months": 4, "exemplary_with_products": False},
    }
    levels = []
    for level in ("HTT", "HT", "HTT"):
        typed = validate_evidence(bounded, "party_member", {**raw, "civil_service_level": level})
        compiled, reference = run_both(bounded, "party_member", typed.values, typed.origins, PERIODS[0])
        assert compiled == reference
        assert isinstance(compiled, TraceNode) and compiled.outcome is not None
        levels.append(compiled.outcome.level)
    assert levels == ["good", "completed", "good"]


# --- a record's truth without its node ------------------------------------------------------------------------------


def _conditions(expr: ir.Expr) -> list[tuple[ir.Expr, str | None]]:
    """Every sub-expression of ``expr`` with the records field it is evaluated over (None: the subject itself)."""
    found: list[tuple[ir.Expr, str | None]] = []

    def visit(e: ir.Expr, over: str | None) -> None:
        found.append((e, over))
        if isinstance(e, ir.Count | ir.Share | ir.Exists) and e.where is not None:
            inner = e.source.name if isinstance(e.source, ir.FieldRef) and over is None else "nested"
            visit(e.where, inner)
            return
        for child in ir.children(e):
            visit(child, over)

    visit(expr, None)
    return [(e, over) for e, over in found if over != "nested"]


CONDITION_KINDS = (ir.Compare, ir.And, ir.Or, ir.Not, ir.Member, ir.InPeriod, ir.Exists, ir.Known, ir.RuleRef)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_a_conditions_truth_alone_is_the_truth_of_its_node(data: st.DataObject) -> None:
    """``condition`` (what a count or share keeps of each record) gives the truth ``truth`` builds a node for, and
    raises what it raises, for every condition of every framework, over the subject and over each record."""
    program, kind = data.draw(st.sampled_from(SUBJECTS))
    subject = program.subjects[kind]
    values, origins = data.draw(evidences(program, kind))
    period = data.draw(st.sampled_from(PERIODS))
    checked = 0
    for rule in subject.rules.values():
        for expr, over in _conditions(rule.expr):
            if not isinstance(expr, CONDITION_KINDS):
                continue
            records = values.get(over, ()) if over is not None else (None,)
            for record in records if isinstance(records, tuple) else ():
                assert record is None or isinstance(record, ir.Record)
                outcomes = []
                for how in ("node", "alone"):
                    ctx = interpreter._Context(program, subject, values, origins, period)
                    try:
                        truth = ctx.truth(expr, record).truth if how == "node" else ctx.condition(expr, record)
                        outcomes.append(truth)
                    except Exception as error:  # both must fail alike
                        outcomes.append((type(error), str(error)))
                assert outcomes[0] == outcomes[1], (rule.id, expr)
                checked += 1
    assert checked > 0 or not subject.rules


def test_nodes_over_a_relation_are_built_for_every_subject_and_not_kept() -> None:
    """A relation's records name the related subjects: no two cells share them, so the nodes reading them are not
    kept (a table of them would only fill up), and every cell's trace is still the reference's."""
    program = api.load_framework(HD21)  # a program of its own: its plan's tables are this test's alone
    levels = [program.levels.ordinal(v.id) for v in program.levels.values]
    plan = interpreter._PLANS.add(program, "party_cell")
    run = plan.select(PERIODS[0])
    for cell in range(40):
        members = tuple(
            ir.Record({"id": f"C{cell}-M{m}", "kind": "party_member", "level": levels[(cell + m) % 4]}, m)
            for m in range(5)
        )
        values: dict[str, ir.Value] = {"members": members, "established_months": Fraction(30)}
        compiled, reference = run_both(program, "party_cell", values, {"members": "relation"}, PERIODS[0])
        assert compiled == reference
    assert sum(map(len, _tables(run))) < 40


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_a_rules_node_built_without_a_context_is_the_references(data: st.DataObject) -> None:
    program, kind = data.draw(st.sampled_from(SUBJECTS))
    values, origins = data.draw(evidences(program, kind))
    period = data.draw(st.sampled_from(PERIODS))
    subject = program.subjects[kind]
    built = 0
    for name in subject.rules:
        fast = interpreter.fast_rule(program, subject, name, period)
        if fast is None:
            continue
        built += 1
        found: list[object] = []
        for make in (
            lambda fast=fast: fast(values, origins),
            lambda name=name: interpreter._Context(program, subject, values, origins, period).rule(name),
        ):
            try:
                found.append(make())
            except Exception as error:  # both must fail alike
                found.append((type(error), str(error)))
        assert found[0] == found[1], name
    assert built or not subject.rules or kind not in program.subjects  # a kind without one: nothing to compare


def test_most_rules_of_the_members_kind_are_built_without_a_context() -> None:
    program = PROGRAMS[HD21]
    subject = program.subjects["party_member"]
    fast = [n for n in subject.rules if interpreter.fast_rule(program, subject, n, PERIODS[0]) is not None]
    assert "targets_under_half" in fast and "disciplined_in_year" not in fast  # exists(...) needs the context
    assert len(fast) >= len(subject.rules) // 2
