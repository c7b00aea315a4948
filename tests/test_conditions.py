"""The condition language parses without eval into typed IR, and rejects what it does not have."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from xeploai.framework.conditions import Scope, parse_condition
from xeploai.program import ir

T = ir.Text


def _scale(scale_id: str, values: list[tuple[str, str, str]]) -> ir.Scale:
    return ir.Scale(scale_id, T(scale_id, scale_id), tuple(ir.ScaleValue(i, c, T(vi, i)) for i, c, vi in values))


GRADE = _scale(
    "grade",
    [("excellent", "XS", "Xuất sắc"), ("good", "T", "Tốt"), ("average", "TB", "Trung bình"), ("poor", "K", "Kém")],
)
LEVELS = _scale(
    "level",
    [
        ("excellent", "HTXS", "Hoàn thành xuất sắc nhiệm vụ"),
        ("good", "HTT", "Hoàn thành tốt nhiệm vụ"),
        ("completed", "HT", "Hoàn thành nhiệm vụ"),
        ("not_completed", "KHT", "Không hoàn thành nhiệm vụ"),
    ],
)
FORM = ir.EnumDef(
    "form",
    (
        ir.ScaleValue("reprimand", "KT", T("khiển trách", "reprimand")),
        ir.ScaleValue("warning", "CC", T("cảnh cáo", "warning")),
    ),
    ordered=True,
)
SIDE = ir.EnumDef(
    "side",
    (ir.ScaleValue("left", "L", T("trái", "left")), ir.ScaleValue("right", "R", T("phải", "right"))),
    ordered=False,
)
FORM_TYPE = ir.EnumType("form", ("reprimand", "warning"), True)
DECISION = ir.RecordDef(
    "decision",
    T("d", "d"),
    (ir.FieldDef("form", FORM_TYPE, T("f", "f")), ir.FieldDef("decided_on", ir.DateType(), T("d", "d"))),
)
FIELDS = {
    f.id: f
    for f in [
        ir.FieldDef("targets_met", ir.NumberType(True), T("a", "a")),
        ir.FieldDef("targets_assigned", ir.NumberType(True), T("a", "a")),
        ir.FieldDef("ideology", ir.OrdinalType("grade"), T("a", "a")),
        ir.FieldDef("civil_service_level", ir.OrdinalType("level"), T("a", "a")),
        ir.FieldDef("is_civil_servant", ir.BoolType(), T("a", "a")),
        ir.FieldDef("side", ir.EnumType("side", ("left", "right"), False), T("a", "a")),
        ir.FieldDef("discipline", ir.RecordsType("decision"), T("a", "a")),
        ir.FieldDef("admitted_on", ir.DateType(), T("a", "a")),
    ]
}
SCOPE = Scope(
    FIELDS,
    frozenset({"other_rule"}),
    {"grade": GRADE, "level": LEVELS},
    {"form": FORM, "side": SIDE},
    {"decision": DECISION},
)
AT = ir.Span("f.yaml", 10, 20)


def parse(text: str) -> ir.Expr:
    expr, issues = parse_condition(text, AT, "rules.x.when", SCOPE)
    assert issues == [], issues
    assert expr is not None
    return expr


def problems(text: str) -> list[tuple[str, int]]:
    expr, issues = parse_condition(text, AT, "rules.x.when", SCOPE)
    assert expr is None
    return [(i.code, i.span.col if i.span else 0) for i in issues]


def test_percent_literals_are_exact_fractions() -> None:
    expr = parse("targets_met < 50% * targets_assigned")
    assert isinstance(expr, ir.Compare)
    right = expr.operands[1]
    assert isinstance(right, ir.Arith) and right.left == ir.Const(Fraction(1, 2), ir.NumberType())


def test_decimal_literals_do_not_lose_precision() -> None:
    expr = parse("targets_met >= 0.7 * targets_assigned")
    assert isinstance(expr, ir.Compare) and isinstance(expr.operands[1], ir.Arith)
    assert expr.operands[1].left == ir.Const(Fraction(7, 10), ir.NumberType())


def test_chained_comparison_keeps_every_operator() -> None:
    expr = parse("0 <= targets_met <= targets_assigned")
    assert isinstance(expr, ir.Compare) and expr.ops == (ir.CompareOp.LE, ir.CompareOp.LE)


def test_grade_literal_is_read_by_vietnamese_label_code_or_id() -> None:
    by_label, by_code, by_id = parse('ideology >= "Tốt"'), parse('ideology >= "T"'), parse('ideology >= "good"')
    assert by_label == by_code == by_id


def test_level_literal_by_code() -> None:
    expr = parse('civil_service_level >= "HTT"')
    assert isinstance(expr, ir.Compare)
    assert expr.operands[1] == ir.Const(ir.Ordinal(2, "level", "good"), ir.OrdinalType("level"))


def test_records_predicate_sees_record_fields_and_the_period() -> None:
    expr = parse('exists(discipline, decided_on in period and form >= "cảnh cáo")')
    assert isinstance(expr, ir.Exists) and isinstance(expr.where, ir.And)


def test_count_with_and_without_predicate() -> None:
    assert isinstance(parse("count(discipline) >= 1"), ir.Compare)
    assert isinstance(parse('count(discipline, form == "khiển trách") == 0'), ir.Compare)


def test_membership_in_a_list_of_enum_values() -> None:
    expr = parse('side in ["trái", "right"]')
    assert isinstance(expr, ir.Member) and len(expr.options) == 2


def test_rule_references_and_boolean_fields_combine() -> None:
    expr = parse('not is_civil_servant or (other_rule and civil_service_level == "HTXS")')
    assert isinstance(expr, ir.Or)


def test_unknown_name_points_at_the_name() -> None:
    assert problems("targets_met > targets_asigned") == [("unknown-reference", 34)]


def test_record_fields_are_not_in_scope_outside_their_predicate() -> None:
    assert problems('form == "cảnh cáo"') == [("unknown-reference", 20)]


@pytest.mark.parametrize(
    "text",
    [
        "ideology > 3",
        "targets_met + ideology > 1",
        "is_civil_servant > other_rule",
        'side > "trái"',
        "targets_met",
        "count(targets_met) > 1",
        "admitted_on in [1, 2]",
    ],
)
def test_type_errors_are_reported(text: str) -> None:
    assert [code for code, _ in problems(text)] == ["type-error"]


@pytest.mark.parametrize(
    "text",
    [
        "targets_met.real > 1",
        "targets_met[0] > 1",
        "(lambda: 1)() > 0",
        "targets_met % 2 == 0",
        "targets_met if other_rule else 0",
        "__import__('os')",
        "3j > 1",
        "targets_met >",
    ],
)
def test_syntax_outside_the_language_is_refused(text: str) -> None:
    found = problems(text)
    assert found and found[0][0] in {"unsupported-syntax", "unknown-reference"}


def test_unknown_function_gets_a_hint() -> None:
    expr, issues = parse_condition("cont(discipline) > 1", AT, "p", SCOPE)
    assert expr is None and issues[0].code == "unknown-reference" and issues[0].hint == "did you mean 'count'?"


def test_unknown_literal_gets_a_hint() -> None:
    expr, issues = parse_condition('ideology >= "Xuat sac"', AT, "p", SCOPE)
    assert expr is None and issues[0].code == "unknown-literal" and issues[0].hint == "did you mean 'Xuất sắc'?"


def test_bare_scale_value_hints_at_quoting() -> None:
    _, issues = parse_condition("civil_service_level >= HTT", AT, "p", SCOPE)
    assert issues[0].hint is not None and '"HTT"' in issues[0].hint


def test_deeply_nested_condition_is_an_issue_not_a_crash() -> None:
    text = "(" * 400 + "other_rule" + ")" * 400
    expr, issues = parse_condition(text, AT, "p", SCOPE)
    assert expr is None or issues == []
    long_chain = " and ".join(["other_rule"] * 3000)
    expr, issues = parse_condition(long_chain, AT, "p", SCOPE)
    assert (expr is None) == bool(issues)


def test_positions_are_excluded_from_equality() -> None:
    a, _ = parse_condition("targets_met >= 1", ir.Span("a.yaml", 1, 1), "p", SCOPE)
    b, _ = parse_condition("targets_met >= 1", ir.Span("b.yaml", 90, 7), "p", SCOPE)
    assert a == b


def test_percent_and_positions_after_vietnamese_text() -> None:
    # ast counts columns in UTF-8 bytes; literals and positions must be counted in characters.
    expr = parse('side == "trái" or targets_met >= 50% * targets_assigned')
    assert isinstance(expr, ir.Or)
    _, issues = parse_condition('side == "trái" or targets_mett > 1', AT, "p", SCOPE)
    assert [(i.code, i.span.col if i.span else 0) for i in issues] == [("unknown-reference", 20 + 18)]


@pytest.mark.parametrize(
    "literal",
    ["1e999999999", "1e-999999999", "0.5e-999999999", "1" * 400, "0." + "1" * 40, "1_" + "0" * 30],
)
def test_a_literal_with_too_many_digits_is_refused_quickly(literal: str) -> None:
    started = time.monotonic()
    found = problems(f"targets_met >= {literal}")
    assert time.monotonic() - started < 2
    assert found == [("number-too-long", 35)]


def test_a_literal_of_thousands_of_digits_is_refused_not_a_crash() -> None:
    assert [code for code, _ in problems("targets_met >= " + "9" * 5000)] == ["number-too-long"]
