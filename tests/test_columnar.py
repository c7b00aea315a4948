"""The columnar runner agrees with the interpreter on every row: statuses, levels, decisions and every condition
column, unknowns included; and any row's trace is rebuilt identical to the interpreter's."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import GOOD, HD21, ROOT
from strategies import _value, evidence
from xeploai import api
from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.runners import columnar, interpreter
from xeploai.evaluation.runners.columnar import DECISIONS, STATUSES, TRUTHS, classify_table, evaluate_table
from xeploai.evaluation.runners.columnar_table import Column, EvidenceTable, RecordsColumn, column_of
from xeploai.evaluation.trace import NodeKind, Status, Truth, walk
from xeploai.program import ir

FRAMEWORKS = sorted(p for p in (ROOT / "frameworks").glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))
PROGRAMS = {path: api.load_framework(path) for path in [*FRAMEWORKS, GOOD]}
# Every individual kind (collectives read related subjects and stay with the interpreter).
KINDS = [
    (path, kind)
    for path, program in PROGRAMS.items()
    for kind, subject in program.subjects.items()
    if not subject.relations
]
PERIODS = [api.parse_period(year) for year in (2019, 2020, 2023)]

# A framework that uses every operator the real ones do not: division (by zero too), min/max, membership, known,
# count/share, chained comparisons, negation, text, dates, unordered enums, caps bounded by evidence.
OPERATORS_YAML = """\
format: xeploai/1
framework:
  family: party
  version: OPS
  title: {vi: "Toán tử", en: "Operators"}
  effective_from: 2019-10-18
  legal_basis:
    x: {number: "1", title: {vi: "Thử", en: "Test"}, issuer: "Thử"}
levels:
  - {id: excellent, code: HTXS, label: {vi: "Xuất sắc", en: "Excellent"}}
  - {id: good, code: HTT, label: {vi: "Tốt", en: "Good"}}
  - {id: completed, code: HT, label: {vi: "Hoàn thành", en: "Completed"}}
  - {id: not_completed, code: KHT, label: {vi: "Không hoàn thành", en: "Not completed"}}
scales:
  grade:
    label: {vi: "Mức", en: "Grade"}
    values:
      - {id: excellent, code: XS, label: {vi: "Xuất sắc", en: Excellent}}
      - {id: good, code: T, label: {vi: "Tốt", en: Good}}
      - {id: average, code: TB, label: {vi: "Trung bình", en: Average}}
      - {id: poor, code: K, label: {vi: "Kém", en: Poor}}
enums:
  form:
    ordered: true
    values:
      - {id: reprimand, code: KT, label: {vi: "Khiển trách", en: Reprimand}}
      - {id: warning, code: CC, label: {vi: "Cảnh cáo", en: Warning}}
  place:
    ordered: false
    values:
      - {id: city, code: TP, label: {vi: "Thành phố", en: City}}
      - {id: rural, code: NT, label: {vi: "Nông thôn", en: Rural}}
records:
  decision:
    label: {vi: "Quyết định", en: "Decision"}
    fields:
      form: {type: enum, of: form, label: {vi: "Hình thức", en: Form}}
      decided_on: {type: date, label: {vi: "Ngày", en: Date}}
      severity: {type: number, min: 0, max: 10, label: {vi: "Mức độ", en: Severity}}
      grade: {type: scale, of: grade, label: {vi: "Mức", en: Grade}}
      counted_before: {type: bool, default: false, label: {vi: "Đã tính", en: Counted}}
subjects:
  member:
    label: {vi: "Đảng viên", en: Member}
    evidence:
      flag: {type: bool, label: {vi: "Cờ", en: Flag}}
      assigned: {type: count, label: {vi: "Giao", en: Assigned}}
      met: {type: count, at_most: assigned, label: {vi: "Đạt", en: Met}}
      score: {type: number, min: 0, max: 10, label: {vi: "Điểm", en: Score}}
      weight: {type: number, label: {vi: "Trọng số", en: Weight}}
      threshold: {type: number, default: 2.5, label: {vi: "Ngưỡng", en: Threshold}}
      grade_a: {type: scale, of: grade, label: {vi: "A", en: A}}
      grade_b: {type: scale, of: grade, label: {vi: "B", en: B}}
      place: {type: enum, of: place, label: {vi: "Nơi", en: Place}}
      joined_on: {type: date, label: {vi: "Ngày vào", en: Joined}}
      remark: {type: text, label: {vi: "Ghi chú", en: Remark}}
      cap_level: {type: level, required: false, label: {vi: "Mức trần", en: Cap level}}
      discipline: {type: records, of: decision, label: {vi: "Kỷ luật", en: Discipline}}
    rules:
      ratio_ok: {when: "met / assigned >= 70%", RULE}
      weighted: {when: "score / weight > threshold", RULE}
      always_zero: {when: "score / (weight - weight) > 1", RULE}
      const_zero: {when: "score / 0 > 1 or flag", RULE}
      arithmetic: {when: "(score + weight) * 3 - met / 4 >= 0.7 * 10 + -score", RULE}
      extremes: {when: "min(score, 0.7 * 10) >= 7 and max(score, weight, 1.5) < 9.5", RULE}
      grades: {when: 'max(grade_a, grade_b) >= "Tốt" and min(grade_a, "Tốt") == "Tốt"', RULE}
      members: {when: 'grade_a not in ["Kém", "TB"] and met in [0, 5, 10] and remark in ["a", ""] and place in ["TP"]',
        RULE}
      chained: {when: "0 < score <= 10 and met <= assigned < 20", RULE}
      known_score: {when: "known(score) and not known(weight)", RULE}
      counts: {when: "count(discipline) >= 2 or count(discipline, decided_on in period) == 1", RULE}
      shares: {when: 'share(discipline, form == "KT") >= 50%', RULE}
      old_discipline: {when: "exists(discipline, decided_on not in period and not counted_before)", RULE}
      severe: {when: "exists(discipline, severity >= score and grade <= grade_a)", RULE}
      flagged_warning: {when: 'exists(discipline, form >= "CC" and flagged)', RULE}
      flagged: {when: "flag == true and ratio_ok != weighted", RULE}
      texts: {when: 'remark == "ok" or remark != "x"', RULE}
      dates: {when: 'joined_on < "2020-06-01" and joined_on in period', RULE}
      place_city: {when: 'place == "TP"', RULE}
      zero_guard: {when: "assigned > 0 and met / assigned < 10%", RULE}
      nested: {when: 'exists(discipline, count(discipline) > 1 and known(score) and remark != "x"
        and exists(discipline, form == "CC"))', RULE}
      nested_share: {when: "exists(discipline, share(discipline, counted_before) < 1)", RULE}
      big: {when: "weight * weight > -weight + 1", RULE}
      two_ratios: {when: "met / assigned - score / weight < 1", RULE}
      unused: {when: "not flag", RULE}
    not_classified: [known_score]
    not_completed: [zero_guard, flagged_warning]
    levels:
      excellent: [ratio_ok, grades, extremes]
      good: [chained, members, weighted]
      completed: [texts, dates, counts]
    caps:
      lowered: {when: "shares or severe", at_most: cap_level, RULE}
      mixed: {when: "old_discipline", at_most: 'min(cap_level, "HT")', RULE}
      fixed: {when: "arithmetic", at_most: HTT, RULE}
    notes:
      city: {when: "place_city", RULE}
      weird: {when: "const_zero", RULE}
""".replace("RULE", 'label: {vi: "a", en: "a"}, cite: {doc: x, at: "1"}, confidence: assumed')


def _load_operators() -> ir.Program:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2019-10-18.yaml"
        path.write_text(OPERATORS_YAML, encoding="utf-8")
        return api.load_framework(path)


OPERATORS = _load_operators()
HD21_PROGRAM = PROGRAMS[HD21]


def examples(count: int) -> settings:
    """Few examples of many rows each: one example checks up to 50 subjects."""
    return settings(
        max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


# --- evidence -----------------------------------------------------------------------------------------------------


def complete(program: ir.Program, kind: str) -> st.SearchStrategy[dict[str, object]]:
    """Raw evidence with every field given, so that levels are reached and not only "insufficient evidence"."""
    fields = program.subjects[kind].fields

    def settle(raw: dict[str, object]) -> dict[str, object]:
        for _ in fields:
            for f in fields:
                a, b = raw.get(f.id), raw.get(f.at_most_field or "")
                if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
                    raw[f.id] = b
        return raw

    return st.fixed_dictionaries({f.id: _value(program, f) for f in fields}).map(settle)


def batches(program: ir.Program, kind: str, max_size: int = 50) -> st.SearchStrategy[list[dict[str, object]]]:
    one = st.one_of(evidence(program, kind), complete(program, kind))
    return st.lists(one, min_size=1, max_size=max_size)


def typed(program: ir.Program, kind: str, raws: Sequence[dict[str, object]]) -> list[Evidence]:
    return [validate_evidence(program, kind, raw) for raw in raws]


# --- agreement ----------------------------------------------------------------------------------------------------


def level_of(program: ir.Program, rank: int) -> str | None:
    ids = [v.id for v in program.levels.values]
    return None if rank < 0 else ids[len(ids) - 1 - rank]


def assert_agrees(result: columnar.ColumnarResult, evidences: Sequence[Evidence], period: ir.Period) -> None:
    """Every row of the columnar result is what the interpreter makes of the row's evidence."""
    program, kind = result.program, result.kind
    subject = program.subjects[kind]
    assert len(result) == len(evidences)
    for i, ev in enumerate(evidences):
        trace = interpreter.evaluate(program, kind, ev.values, ev.origins, period)
        outcome = trace.outcome
        assert outcome is not None
        row = f"row {i}: {dict(ev.values)}"
        assert STATUSES[result.status[i]] is outcome.status, row
        assert DECISIONS[result.decision[i]] is outcome.decision, row
        assert result.level_id(i) == outcome.level, row
        assert level_of(program, int(result.level_before_caps[i])) == outcome.level_before_caps, row
        if outcome.status in (Status.INSUFFICIENT_EVIDENCE, Status.LEFT_TO_COMPETENT_LEVEL):
            assert result.possible_outcomes(i) == outcome.possible, row
        else:
            assert result.possible_outcomes(i) == (outcome.level or interpreter.NOT_CLASSIFIED,), row

        eligibility, triggers, *levels, caps, _ = [c for c in trace.children if c.kind is not NodeKind.VALUES]
        assert TRUTHS[result.eligibility[i]] is eligibility.truth, row
        assert TRUTHS[result.triggers[i]] is triggers.truth, row
        for node in levels:
            assert TRUTHS[result.levels[node.id][i]] is node.truth, (row, node.id)
        for node in caps.children:
            assert TRUTHS[result.caps[node.id][i]] is node.truth, (row, node.id)
            assert level_of(program, int(result.cap_bounds[node.id][i])) == node.level, (row, node.id)
        # Rules no outcome consults and notes that do not hold are not in the trace: ask the interpreter directly.
        ctx = interpreter._Context(program, subject, ev.values, ev.origins, period)
        for name in subject.rules:
            assert TRUTHS[result.rules[name][i]] is ctx.rule(name).truth, (row, name)
        for note in subject.notes:
            assert TRUTHS[result.notes[note.id][i]] is ctx.truth(note.when).truth, (row, note.id)


def assert_trace_rebuilt(result: columnar.ColumnarResult, i: int, period: ir.Period) -> None:
    """Row i's rebuilt trace is the interpreter's, and its rule nodes hold the stored truth columns."""
    ev = result.evidence(i)
    rebuilt = result.trace(i)
    assert rebuilt == interpreter.evaluate(result.program, result.kind, ev.values, ev.origins, period)
    assert result.outcome(i) == rebuilt.outcome
    for node in walk(rebuilt):
        if node.kind is NodeKind.RULE:
            assert TRUTHS[result.rules[node.id][i]] is node.truth, node.id


@pytest.mark.parametrize(("path", "kind"), KINDS, ids=[f"{p.parent.name}/{p.stem}:{k}" for p, k in KINDS])
@examples(50)
@given(data=st.data())
def test_columnar_agrees_with_the_interpreter_on_random_populations(path: Path, kind: str, data: st.DataObject) -> None:
    program = PROGRAMS[path]
    evidences = typed(program, kind, data.draw(batches(program, kind)))
    period = data.draw(st.sampled_from(PERIODS))
    result = classify_table(program, kind, evidences, period=period)
    assert_agrees(result, evidences, period)
    assert_trace_rebuilt(result, data.draw(st.integers(0, len(evidences) - 1)), period)


@examples(300)
@given(data=st.data())
def test_columnar_agrees_on_every_operator(data: st.DataObject) -> None:
    evidences = typed(OPERATORS, "member", data.draw(batches(OPERATORS, "member")))
    period = data.draw(st.sampled_from(PERIODS))
    result = classify_table(OPERATORS, "member", evidences, period=period)
    assert_agrees(result, evidences, period)
    assert_trace_rebuilt(result, data.draw(st.integers(0, len(evidences) - 1)), period)


# --- typed columns ------------------------------------------------------------------------------------------------


@examples(40)
@given(data=st.data())
def test_columns_give_back_each_rows_evidence_and_the_same_columns(data: st.DataObject) -> None:
    program, kind = data.draw(st.sampled_from([(OPERATORS, "member"), (HD21_PROGRAM, "party_member_leader")]))
    evidences = typed(program, kind, data.draw(batches(program, kind, 20)))
    table = EvidenceTable.from_evidence(program, kind, evidences)
    again = EvidenceTable.from_columns(program, kind, table.columns, defaults=False)
    assert [again.evidence(i) for i in range(len(again))] == evidences
    first, second = evaluate_table(table, PERIODS[1]), evaluate_table(again, PERIODS[1])
    for name in first.rules:
        assert np.array_equal(first.rules[name], second.rules[name])
    assert np.array_equal(first.level, second.level) and np.array_equal(first.status, second.status)


@examples(40)
@given(data=st.data())
def test_absent_columns_take_defaults_as_validation_does(data: st.DataObject) -> None:
    program, kind = data.draw(st.sampled_from([(OPERATORS, "member"), (HD21_PROGRAM, "party_member")]))
    evidences = typed(program, kind, data.draw(batches(program, kind, 20)))
    # Only what was given: defaulted values are left out, as an empty cell of a table would be.
    columns = {
        f.id: column_of(
            program, f.type, [ev.values.get(f.id) if ev.origins.get(f.id) == "evidence" else None for ev in evidences]
        )
        for f in program.subjects[kind].fields
    }
    table = EvidenceTable.from_columns(program, kind, columns)
    assert [table.evidence(i) for i in range(len(table))] == evidences


def test_columns_of_numerators_over_one_denominator() -> None:
    n = 4
    columns = {
        "targets_assigned": Column(np.array([10, 10, 0, 7]), np.array([True, True, True, False])),
        "targets_met": Column(np.array([5, 4, 0, 0]), np.ones(n, bool)),
        "task_results": Column(np.array([3, 2, 1, 3]), np.ones(n, bool)),
        "sick_leave_months": Column(np.array([5, 6, 0, 0]), np.ones(n, bool), denominator=2),
    }
    table = EvidenceTable.from_columns(PROGRAMS[GOOD], "member", columns)
    result = evaluate_table(table, PERIODS[1])
    assert table.evidence(0).values["sick_leave_months"] == Fraction(5, 2)
    assert [result.level_id(i) for i in range(n)] == ["excellent", "not_completed", "completed", None]
    assert TRUTHS[result.rules["under_half"][3]] is Truth.UNKNOWN
    assert_agrees(result, [table.evidence(i) for i in range(n)], PERIODS[1])


def test_columns_as_arrow_gives_them_dates_and_large_integers() -> None:
    n = 3
    known = np.ones(n, bool)
    columns = {
        "joined_on": Column(np.array(["2020-03-01", "2021-01-01", "2019-12-31"], "datetime64[D]"), known),
        "weight": Column(np.array([2**62, 3, -(2**63)]), known),  # too large for int64 arithmetic
        "remark": Column(np.array(["ok", "x", None], object), np.array([True, True, False])),
    }
    table = EvidenceTable.from_columns(OPERATORS, "member", columns)
    assert table.evidence(0).values["joined_on"] == date(2020, 3, 1)
    assert table.evidence(2).values["weight"] == -(2**63)
    assert "remark" not in table.evidence(2).values
    result = evaluate_table(table, PERIODS[1])
    assert truths(result, "dates") == [Truth.MET, Truth.NOT_MET, Truth.NOT_MET]
    assert_agrees(result, [table.evidence(i) for i in range(n)], PERIODS[1])


def test_bad_columns_are_refused() -> None:
    program = PROGRAMS[GOOD]
    with pytest.raises(ValueError, match="not fields"):
        EvidenceTable.from_columns(program, "member", {"nope": Column(np.zeros(1), np.ones(1, bool))})
    with pytest.raises(ValueError, match="ranks"):
        EvidenceTable.from_columns(program, "member", {"task_results": Column(np.array([4]), np.ones(1, bool))})
    with pytest.raises(ValueError, match="no records"):
        records = RecordsColumn(np.array([0, 1]), np.zeros(1, bool), {})
        EvidenceTable.from_columns(program, "member", {"discipline": records}, defaults=False)


# --- boundaries ---------------------------------------------------------------------------------------------------


def classify(program: ir.Program, kind: str, *raws: dict[str, object]) -> columnar.ColumnarResult:
    evidences = typed(program, kind, raws)
    result = classify_table(program, kind, evidences, period=PERIODS[1])
    assert_agrees(result, evidences, PERIODS[1])
    return result


def truths(result: columnar.ColumnarResult, rule: str) -> list[Truth]:
    return [TRUTHS[c] for c in result.rules[rule]]


def test_exactly_half_of_the_targets_is_not_under_half() -> None:
    result = classify(
        HD21_PROGRAM,
        "party_member",
        {"targets_assigned": 10, "targets_met": 5},
        {"targets_assigned": 10, "targets_met": 4},
        {"targets_assigned": 9, "targets_met": 4},
        {"targets_assigned": 0, "targets_met": 0},
        {"targets_assigned": 10},
    )
    assert truths(result, "targets_under_half") == [
        Truth.NOT_MET,
        Truth.MET,
        Truth.MET,
        Truth.NOT_MET,
        Truth.UNKNOWN,
    ]


def test_decimal_evidence_is_exact_at_the_threshold() -> None:
    # 0.7 * 10 is exactly 7; 7 - 1e-9 would be below, and a float could land on either side.
    result = classify(
        OPERATORS,
        "member",
        {"score": 7, "weight": 0.1},
        {"score": 6.9999, "weight": 0.1},
        {"score": 7.0, "weight": 9.4},
        {"score": 7, "weight": 9.5},
    )
    assert truths(result, "extremes") == [Truth.MET, Truth.NOT_MET, Truth.MET, Truth.NOT_MET]


def test_division_by_zero_is_unknown_and_never_an_error() -> None:
    result = classify(
        OPERATORS,
        "member",
        {"assigned": 0, "met": 0, "score": 3, "weight": 0, "flag": False},
        {"assigned": 10, "met": 7, "score": 3, "weight": 1, "flag": True},
        {"assigned": 10, "met": 6, "score": 3, "weight": -2},
    )
    assert truths(result, "ratio_ok") == [Truth.UNKNOWN, Truth.MET, Truth.NOT_MET]
    assert truths(result, "weighted") == [Truth.UNKNOWN, Truth.MET, Truth.NOT_MET]
    assert truths(result, "always_zero") == [Truth.UNKNOWN] * 3
    assert truths(result, "const_zero") == [Truth.UNKNOWN, Truth.MET, Truth.UNKNOWN]
    assert any(node.error == "division by zero" for node in walk(result.trace(0)))


def test_numbers_too_large_for_int64_stay_exact() -> None:
    huge = 2**70 + 1
    result = classify(
        OPERATORS,
        "member",
        {"score": 1, "weight": huge, "met": 1, "assigned": 3},
        {"score": 9, "weight": Fraction(1, huge), "met": 1, "assigned": 3},
        {"score": 2, "weight": -huge},
    )
    assert truths(result, "weighted") == [Truth.NOT_MET, Truth.MET, Truth.NOT_MET]
    assert truths(result, "big") == [Truth.MET, Truth.NOT_MET, Truth.MET]
    again = EvidenceTable.from_columns(OPERATORS, "member", result.table.columns, defaults=False)
    assert again.evidence(1) == result.evidence(1)
    assert np.array_equal(evaluate_table(again, PERIODS[1]).rules["big"], result.rules["big"])


def test_products_that_could_overflow_int64_fall_back_to_fractions() -> None:
    # Each value fits in int64, their product would not: the bounds send the product to exact Fractions.
    rows = [{"weight": 2**40}, {"weight": -(2**35)}, {"weight": Fraction(1, 2**33)}]
    found = [truths(classify(OPERATORS, "member", row), "big")[0] for row in rows]
    assert found == [Truth.MET, Truth.MET, Truth.NOT_MET]


def test_records_missing_fields_make_their_conditions_unknown() -> None:
    result = classify(
        OPERATORS,
        "member",
        {"discipline": [{"form": "KT"}], "score": 5},
        {"discipline": [{"decided_on": "2020-02-02"}, {"form": "CC", "severity": 6}], "score": 5, "flag": True},
        {"discipline": [{"form": "CC", "decided_on": "2020-02-02", "severity": 2, "grade": "Kém"}], "score": 5},
    )
    assert truths(result, "counts") == [Truth.UNKNOWN, Truth.MET, Truth.MET]
    assert truths(result, "severe") == [Truth.UNKNOWN, Truth.UNKNOWN, Truth.NOT_MET]
    hd21 = classify(HD21_PROGRAM, "party_member", {"discipline": [{"form": "KT"}]}, {"discipline": []})
    assert truths(hd21, "disciplined_in_year") == [Truth.UNKNOWN, Truth.NOT_MET]


def test_rows_missing_fields_are_insufficient_evidence_with_their_possible_levels() -> None:
    result = classify(HD21_PROGRAM, "party_member", {}, {"exempted": True}, {"degradation_concluded": True})
    assert [STATUSES[s] for s in result.status] == [
        Status.INSUFFICIENT_EVIDENCE,
        Status.NOT_CLASSIFIED,
        Status.INSUFFICIENT_EVIDENCE,
    ]
    assert result.possible_outcomes(0) == ("excellent", "good", "completed", "not_completed", "not_classified")
    assert result.possible_outcomes(2) == ("not_completed", "not_classified")


def test_a_cap_with_an_unknown_bound_leaves_every_level_below_possible() -> None:
    grades = {"grade_a": "Xuất sắc", "grade_b": "Tốt", "remark": "ok", "place": "TP", "joined_on": "2020-03-01"}
    base = {**grades, "score": 8, "weight": 1, "assigned": 10, "met": 10, "discipline": []}
    reprimand = {"form": "KT", "decided_on": "2018-01-01", "severity": 9, "grade": "Tốt"}
    result = classify(
        OPERATORS,
        "member",
        {**base, "discipline": [reprimand]},
        {**base, "discipline": [reprimand], "cap_level": "HT"},
        base,
    )
    assert STATUSES[result.status[0]] is Status.INSUFFICIENT_EVIDENCE
    assert result.cap_bounds["lowered"][0] == -1
    assert result.level_id(1) == "completed"


def test_a_reference_cycle_is_unknown_as_in_the_interpreter() -> None:
    # The checker rejects cycles; a hand-built program may still have one. A rule whose condition equals the one
    # evaluated inside the cycle must not reuse its value.
    program = PROGRAMS[GOOD]
    subject = program.subjects["member"]
    exempted = ir.FieldRef("exempted", ir.BoolType())
    base = subject.rules["is_exempted"]
    rules = dict(subject.rules)
    rules["is_exempted"] = replace(base, expr=ir.And((ir.RuleRef("loop"), exempted)))
    rules["loop"] = replace(base, id="loop", expr=ir.Or((ir.RuleRef("is_exempted"), exempted)))
    rules["same_as_loop"] = replace(base, id="same_as_loop", expr=ir.Or((ir.RuleRef("is_exempted"), exempted)))
    cyclic = replace(program, subjects={**program.subjects, "member": replace(subject, rules=rules)})
    result = classify(cyclic, "member", {"exempted": False}, {"exempted": True}, {})
    assert truths(result, "loop") == [Truth.UNKNOWN, Truth.MET, Truth.UNKNOWN]
    assert truths(result, "same_as_loop") == [Truth.NOT_MET, Truth.MET, Truth.NOT_MET]


def test_a_row_becomes_the_interpreters_result() -> None:
    result = classify(HD21_PROGRAM, "party_member", {"exempted": True})
    one = result.result(0, "dv1", "Nguyễn Văn A")
    assert (one.subject_id, one.subject_name, one.outcome.status) == ("dv1", "Nguyễn Văn A", Status.NOT_CLASSIFIED)
    assert one.trace == result.trace(0)


def test_an_empty_table_has_empty_columns() -> None:
    result = classify_table(HD21_PROGRAM, "party_member", [], period=PERIODS[1])
    assert len(result) == 0 and result.level.shape == (0,) and result.rules["degradation"].shape == (0,)


def test_collectives_are_left_to_the_interpreter() -> None:
    with pytest.raises(NotImplementedError, match="collectives with the interpreter"):
        classify_table(HD21_PROGRAM, "party_cell", [], period=PERIODS[1])
