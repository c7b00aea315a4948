"""Tests of one subject's inputs: an evidence file is read with YAML 1.2 number rules, exactly, within bounds."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from paths import GOOD
from xeploai.api import load_framework
from xeploai.evaluation.inputs import evaluate, load_evidence_file
from xeploai.program.ir import Program
from xeploai.program.issues import EvidenceError, FrameworkError


@pytest.fixture(scope="module")
def program() -> Program:
    return load_framework(GOOD)


def evidence_file(tmp_path: Path, body: str, subject: str = "{id: A, name: An, kind: member}") -> Path:
    path = tmp_path / "an.yaml"
    path.write_text(f"subject: {subject}\nperiod: 2020\nevidence:\n{body}", encoding="utf-8")
    return path


def level_of(program: Program, path: Path) -> str | None:
    file = load_evidence_file(path)
    assert file.period is not None
    result = evaluate(program, file.kind, file.evidence, period=file.period, spans=file.spans)
    return result.outcome.level


def test_leading_zeros_are_decimal_not_octal_so_five_of_twelve_is_under_half(tmp_path: Path, program: Program) -> None:
    path = evidence_file(tmp_path, "  targets_assigned: 012\n  targets_met: 05\n  task_results: Tốt\n")
    file = load_evidence_file(path)
    assert file.evidence["targets_assigned"] == 12 and file.evidence["targets_met"] == 5
    assert level_of(program, path) == "not_completed"  # 5 of 12 is under half; read as octal it was 5 of 10


def test_yaml_1_1_words_and_forms_stay_text(tmp_path: Path) -> None:
    body = "  a: yes\n  b: Off\n  c: 0x1F\n  d: 1:30\n  e: 0o17\n  f: 1_000\n  g: true\n  h: 1.5\n  i: ~\n"
    file = load_evidence_file(evidence_file(tmp_path, body))
    assert file.evidence == {
        "a": "yes",
        "b": "Off",
        "c": "0x1F",
        "d": "1:30",
        "e": "0o17",
        "f": "1_000",
        "g": True,
        "h": 1.5,
        "i": None,
    }


def test_subject_ids_and_names_are_the_text_as_written(tmp_path: Path) -> None:
    file = load_evidence_file(evidence_file(tmp_path, "  targets_assigned: 1\n", "{id: 0012, name: No, kind: member}"))
    assert file.subject_id == "0012"
    assert file.name == "No"
    file = load_evidence_file(evidence_file(tmp_path, "  targets_assigned: 1\n", "{id: 1.50, name: 12, kind: member}"))
    assert (file.subject_id, file.name) == ("1.50", "12")


def test_a_decimal_below_three_months_is_kept_exactly_and_the_cap_does_not_apply(
    tmp_path: Path, program: Program
) -> None:
    body = "  targets_assigned: 10\n  targets_met: 9\n  task_results: Tốt\n"
    body += "  sick_leave_months: 2.99999999999999999999\n"
    path = evidence_file(tmp_path, body)
    assert load_evidence_file(path).evidence["sick_leave_months"] == Decimal("2.99999999999999999999")
    assert level_of(program, path) == "good"  # through a float it was 3.0, and the cap made it "completed"


def test_a_decimal_a_float_holds_exactly_stays_a_float(tmp_path: Path) -> None:
    file = load_evidence_file(evidence_file(tmp_path, "  a: 0.5\n  b: 3.0\n  c: 1e3\n"))
    assert file.evidence == {"a": 0.5, "b": 3.0, "c": 1000.0}


@pytest.mark.parametrize("digits", [400, 4000])
def test_a_count_with_hundreds_of_digits_is_refused_by_the_evidence_stage(
    tmp_path: Path, program: Program, digits: int
) -> None:
    path = evidence_file(tmp_path, f"  targets_assigned: {'9' * digits}\n  targets_met: 9\n  task_results: Tốt\n")
    with pytest.raises(EvidenceError) as caught:
        level_of(program, path)
    (issue,) = caught.value.issues
    assert issue.code == "number-too-long" and issue.path == "targets_assigned"


@pytest.mark.parametrize("literal", ["1e-999999999", "0.10000000000000000000000000000000001"])
def test_a_number_with_too_many_decimals_is_refused_quickly(tmp_path: Path, program: Program, literal: str) -> None:
    path = evidence_file(tmp_path, f"  sick_leave_months: {literal}\n")
    started = time.monotonic()
    with pytest.raises(EvidenceError) as caught:
        level_of(program, path)
    assert time.monotonic() - started < 2
    assert [i.code for i in caught.value.issues] == ["number-too-long"]


def test_a_huge_exponent_is_an_infinity_read_quickly(tmp_path: Path, program: Program) -> None:
    path = evidence_file(tmp_path, "  sick_leave_months: 1e999999999\n")
    started = time.monotonic()
    with pytest.raises(EvidenceError) as caught:
        level_of(program, path)
    assert time.monotonic() - started < 2
    assert [i.code for i in caught.value.issues] == ["not-finite"]


def test_a_lone_surrogate_escape_is_refused_at_its_position(tmp_path: Path) -> None:
    path = evidence_file(tmp_path, "  targets_assigned: 1\n", '{id: A, name: "\\ud800", kind: member}')
    with pytest.raises(FrameworkError) as caught:
        load_evidence_file(path)
    (issue,) = caught.value.issues
    assert issue.code == "yaml-syntax" and "surrogate" in issue.message
    assert issue.span is not None and issue.span.line == 1
