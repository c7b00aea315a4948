"""Rules readings: options switch gated rules, caps and notes on; the program is compiled for the chosen options."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from paths import ROOT
from xeploai import api
from xeploai.analysis import readings
from xeploai.evaluation import inputs
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.population import PopulationInput, SubjectRow, Unit
from xeploai.evaluation.runners import interpreter
from xeploai.explanation import explain
from xeploai.program import gating, ir

HD25 = ROOT / "frameworks" / "party" / "2023-10-04.yaml"
ND90 = ROOT / "frameworks" / "civil-service" / "2020-08-20.yaml"
GATED = [HD25, ROOT / "frameworks" / "party" / "2025-08-30.yaml", ND90]
PERIOD = inputs.parse_period("2024")


def _member(**changes: object) -> dict[str, object]:
    """The baseline HTXS member of the 124 tests, with ``changes``."""
    tests = yaml.safe_load(HD25.with_name("2023-10-04.tests.yaml").read_text(encoding="utf-8"))
    evidence = dict(tests["cases"][0]["evidence"])
    evidence.update(changes)
    return evidence


def test_the_compiled_program_is_the_default_options_and_keeps_every_gated_entry() -> None:
    program = api.load_framework(HD25)
    member = program.subjects["party_member"]
    assert program.choice == {"sick_leave_124": "actual_results", "head_not_above_unit": "continuing_practice"}
    assert [c.id for c in member.caps if c.id == "sick_leave_cap"] == []
    [note] = [n for n in member.notes if n.id == "sick_leave_actual_results"]
    assert note.chosen is not None and note.chosen.option == "actual_results" and note.chosen.default
    assert program.ungated is not None
    full = program.ungated.subjects["party_member"]
    assert {"sick_leave_cap"} <= {c.id for c in full.caps}


def test_another_option_switches_its_entries_on_and_the_default_ones_off() -> None:
    program = gating.select(api.load_framework(HD25), {"sick_leave_124": "hd21_carry_over"})
    member = program.subjects["party_member"]
    [cap] = [c for c in member.caps if c.id == "sick_leave_cap"]
    assert cap.chosen is not None and cap.chosen.option == "hd21_carry_over" and not cap.chosen.default
    assert cap.confidence is ir.Confidence.ASSUMED
    assert "sick_leave_actual_results" not in {n.id for n in member.notes}
    # the other reading keeps its default; selecting again from the selected program starts from the full one
    assert program.choice["head_not_above_unit"] == "continuing_practice"
    back = gating.select(program, {"sick_leave_124": "actual_results"})
    assert back == api.load_framework(HD25)


def test_a_sick_member_under_each_option_and_the_explanation_names_the_reading() -> None:
    evidence = _member(sick_leave_months=4)
    default = api.load_framework(HD25)
    carried = gating.select(default, {"sick_leave_124": "hd21_carry_over"})
    first = inputs.evaluate(default, "party_member", evidence, period=PERIOD)
    second = inputs.evaluate(carried, "party_member", evidence, period=PERIOD)
    assert first.outcome.level == "excellent"
    assert second.outcome.level == "completed"
    text = explain.to_text(second, carried, "en")
    assert "Under the reading" in text and "HD21's cap carried over" in text and "the reading chosen" in text
    data = explain.to_json(second, carried, "vi")
    caps = [c["cap"] for c in data["caps"]]  # type: ignore[union-attr]
    assert caps[0]["reading"]["option"] == "hd21_carry_over"  # type: ignore[index]


@pytest.mark.parametrize("path", GATED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_columnar_agrees_with_the_interpreter_under_every_option(path: Path) -> None:
    columnar = pytest.importorskip("xeploai.evaluation.runners.columnar")
    base = api.load_framework(path)
    tests = yaml.safe_load(path.with_name(path.stem + ".tests.yaml").read_text(encoding="utf-8"))
    cases = [c for c in tests["cases"] if "evidence" in c]
    checked = 0
    for reading in gating.rule_readings(base):
        for option in reading.options:
            program = gating.select(base, {reading.id: option.id})
            for kind in sorted({c["subject"] for c in cases}):
                if program.subjects[kind].relations:
                    continue  # a collective reads related subjects: test_bulk compares those runners on populations
                typed = []
                for case in cases:
                    if case["subject"] != kind:
                        continue
                    try:
                        typed.append(validate_evidence(program, kind, case["evidence"]))
                    except Exception:  # evidence cases that test a rejection
                        continue
                period = inputs.parse_period(str(tests["period"]))
                result = columnar.classify_table(program, kind, typed, period=period)
                for i, ev in enumerate(typed):
                    expected = interpreter.evaluate(program, kind, ev.values, ev.origins, period)
                    assert result.outcome(i) == expected.outcome, (reading.id, option.id, kind, i)
                    checked += 1
    assert checked > 0


def test_xeploai_readings_lists_who_depends_on_a_rules_reading() -> None:
    program = api.load_framework(HD25)
    rows = [
        SubjectRow(f"m{i}", "cb1", "party_member", f"Đảng viên {i}", _member(sick_leave_months=months), i + 1)
        for i, months in enumerate((0, 4))
    ]
    population = PopulationInput(units=(Unit("cb1", None, "cell", "Chi bộ 1"),), subjects=tuple(rows))
    _, runs = readings.evaluate_readings(program, population, PERIOD, only=["sick_leave_124"])
    [run] = runs
    assert run.option.id == "hd21_carry_over"
    # under the default m1 is HTXS or, after the members' quota, pending or HTT; under HD21's cap it is HT
    [difference] = run.differences
    assert difference.subject == "m1" and difference.other == "HT" and not difference.default.startswith("HT ")


CHECK_BASE = """
format: xeploai/1
framework:
  family: test
  version: t
  title: {vi: Thử, en: Test}
  effective_from: 2020-01-01
  legal_basis:
    hd: {number: 1-HD, title: {vi: Hướng dẫn, en: Guidance}, issuer: X}
levels:
  - {id: good, code: T, label: {vi: Tốt, en: Good}}
  - {id: bad, code: K, label: {vi: Kém, en: Bad}}
subjects:
  member:
    label: {vi: Thành viên, en: Member}
    evidence:
      score: {type: number, label: {vi: Điểm, en: Score}}
    rules:
      high:
        when: score >= 5
        label: {vi: Cao, en: High}
        cite: {doc: hd, at: "Mục 1"}
        confidence: assumed
        reading: %(gate)s
      twice:
        when: %(twice)s
        label: {vi: Hai lần, en: Twice}
        cite: {doc: hd, at: "Mục 1"}
        confidence: assumed
    levels:
      good: [high, twice]
process:
  readings:
    strict:
      parameter: rules
      label: {vi: Đọc chặt, en: Strict}
      default: yes_strict
      options:
        yes_strict:
          {enables: [%(enables)s], label: {vi: Bật, en: Switched on}, cite: {doc: hd, at: "Mục 1"}, confidence: assumed}
        no_strict: {%(off)s label: {vi: Tắt, en: Switched off}, cite: {doc: hd, at: "Mục 1"}, confidence: assumed}
"""


def _codes(tmp_path: Path, **values: str) -> list[tuple[str, str]]:
    fields = {"gate": "strict", "twice": "score >= 1", "enables": "high", "off": "enables: [],"} | values
    path = tmp_path / "2020-01-01.yaml"
    path.write_text(CHECK_BASE % fields, encoding="utf-8")
    return [(i.code, i.path) for i in api.check_file(path) if i.severity == "error"]


def test_the_checker_accepts_a_well_formed_rules_reading(tmp_path: Path) -> None:
    assert _codes(tmp_path) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"enables": "twice"}, ("unknown-reference", "process.readings.strict.options.yes_strict.enables[0]")),
        ({"gate": "other"}, ("unknown-reference", "subjects.member.rules.high.reading")),
        ({"twice": "high and score >= 1"}, ("invalid-value", "subjects.member.rules.twice.when")),
        ({"off": "value: floor,"}, ("invalid-value", "process.readings.strict.options.no_strict")),
    ],
    ids=["enables-an-ungated-rule", "unknown-reading", "reads-a-gated-rule", "value-on-a-rules-reading"],
)
def test_the_checker_refuses_a_malformed_rules_reading(
    tmp_path: Path, values: dict[str, str], expected: tuple[str, str]
) -> None:
    assert expected in _codes(tmp_path, **values)
