"""Framework tests: ``*.tests.yaml`` files beside a framework → pass/fail per case.

Input: test files (evidence and the expected outcome, including the expected reasons). Output: one
``TestOutcome`` per case, with what differed. The runner evaluates through the same stages as ``xeploai.api``
(``framework.files`` and ``evaluation.inputs``), as users do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xeploai.evaluation import inputs, population
from xeploai.evaluation.trace import NodeKind, Result, Status, Truth
from xeploai.framework import files, loader
from xeploai.program import gating
from xeploai.program.ir import Period, Program, Span
from xeploai.program.issues import EvidenceError, FrameworkError


@dataclass(frozen=True)
class TestOutcome:
    """The result of one framework test case."""

    file: str
    name: str
    passed: bool
    messages: tuple[str, ...]
    span: Span | None


_CASE_KEYS = {"name", "subject", "evidence", "expect", "period", "population", "readings"}
_EXPECT_KEYS = {"level", "status", "reasons", "why_not", "missing", "notes", "possible", "flags"}


TESTS_SUFFIX = ".tests.yaml"
# A framework file is named by the day it takes effect (the checker's effective-date-mismatch holds it to that).
_FRAMEWORK_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.yaml$")


def tests_of(framework: Path) -> Path:
    """Where the tests of a framework file are: ``2019-10-18.yaml`` → ``2019-10-18.tests.yaml`` beside it."""
    return framework.with_name(framework.name.removesuffix(".yaml") + TESTS_SUFFIX)


def test_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The tests files named, those beside the framework files named, and those found under directories."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.rglob("*" + TESTS_SUFFIX)))
        elif _FRAMEWORK_NAME.match(p.name):
            found.append(tests_of(p))
        else:
            found.append(p)
    return found


def untested_frameworks(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The framework files named, or found under directories, that have no tests file beside them."""
    frameworks: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            frameworks.extend(f for f in sorted(p.rglob("*.yaml")) if _FRAMEWORK_NAME.match(f.name))
        elif _FRAMEWORK_NAME.match(p.name):
            frameworks.append(p)
    return [f for f in frameworks if not tests_of(f).is_file()]


def run(paths: Sequence[str | os.PathLike[str]]) -> list[TestOutcome]:
    """Every case of the tests files of ``paths``, and a failed outcome for each framework without tests: a
    version nobody tested must not pass."""
    untested = set(untested_frameworks(paths))
    outcomes: list[TestOutcome] = []
    for file in test_files(paths):
        if file.with_name(file.name.removesuffix(TESTS_SUFFIX) + ".yaml") in untested:
            continue
        outcomes.extend(run_file(file))
    for framework in sorted(untested):
        message = (
            f"[missing-tests] the framework has no tests: write {tests_of(framework).name} beside it"
            " (cases with evidence and the expected level and reasons)"
        )
        outcomes.append(TestOutcome(str(framework), "(file)", False, (message,), None))
    return outcomes


def _invalid(file: str, message: str, span: Span | None = None) -> TestOutcome:
    return TestOutcome(file, "(file)", False, (f"[invalid-test] {message}",), span)


def run_file(path: Path) -> list[TestOutcome]:
    try:
        document = loader.load_file(path, display=str(path))
    except FrameworkError as error:
        return [_invalid(str(path), str(error))]
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return [_invalid(document.source, "a test file has `framework`, `period` and a list of `cases`")]
    framework_path = path.parent / str(data.get("framework", ""))
    try:
        program = files.load_framework(framework_path)
    except FrameworkError as error:
        return [_invalid(document.source, f"the framework does not load:\n{error}")]
    except OSError as error:
        return [_invalid(document.source, f"cannot read the framework {framework_path}: {error.strerror}")]
    outcomes = []
    for index, case in enumerate(data["cases"]):
        span = document.span(("cases", index))
        outcomes.append(_run_case(document.source, program, data.get("period"), case, index, span))
    return outcomes


def _run_case(
    source: str, program: Program, default_period: object, case: object, index: int, span: Span | None
) -> TestOutcome:
    if not isinstance(case, dict):
        return TestOutcome(source, f"case {index + 1}", False, ("[invalid-test] a case is a mapping",), span)
    name = str(case.get("name", f"case {index + 1}"))
    problems = [f"[invalid-test] unknown key '{k}'" for k in case if k not in _CASE_KEYS]
    expect = case.get("expect")
    if not isinstance(expect, dict) or not expect:
        problems.append("[invalid-test] `expect` is required")
        expect = {}
    if "population" not in case:
        problems += [f"[invalid-test] unknown key 'expect.{k}'" for k in expect if k not in _EXPECT_KEYS]
    program, problem = _under_readings(program, case.get("readings"))
    if problem is not None:
        return TestOutcome(source, name, False, (problem,), span)
    if "population" in case:
        return _run_population_case(source, program, default_period, case, name, expect, span)
    kind = str(case.get("subject", ""))
    if kind not in program.subjects:
        problems.append(f"[unknown-subject-kind] '{kind}' is not a subject kind of the framework")
    if problems:
        return TestOutcome(source, name, False, tuple(problems), span)
    try:
        period_spec = case.get("period", default_period)
        period = inputs.parse_period(period_spec if isinstance(period_spec, str | int | dict) else str(period_spec))
    except ValueError as error:
        return TestOutcome(source, name, False, (f"[invalid-test] {error}",), span)
    out_of_force = _out_of_force(program, period)
    if out_of_force is not None:
        return TestOutcome(source, name, False, (out_of_force,), span)
    evidence = case.get("evidence", {})
    if not isinstance(evidence, dict):
        return TestOutcome(source, name, False, ("[invalid-test] evidence must be a mapping",), span)
    try:
        result = inputs.evaluate(program, kind, evidence, period=period, source=f"{source} ({name})")
    except EvidenceError as error:
        return TestOutcome(source, name, False, (str(error),), span)
    differences = compare(result, expect)
    return TestOutcome(source, name, not differences, tuple(differences), span)


def _under_readings(program: Program, readings: object) -> tuple[Program, str | None]:
    """The program under a case's ``readings`` (rules reading id → option id), or why they cannot be chosen."""
    if readings is None:
        return program, None
    declared = {r.id: r for r in gating.rule_readings(program)}
    if not isinstance(readings, dict):
        return program, "[invalid-test] readings maps a rules reading to one of its options"
    for reading_id, option_id in readings.items():
        reading = declared.get(str(reading_id))
        if reading is None:
            return program, f"[invalid-test] '{reading_id}' is not a rules reading of the framework"
        if str(option_id) not in {o.id for o in reading.options}:
            return program, f"[invalid-test] '{option_id}' is not an option of the reading '{reading_id}'"
    return gating.select(program, {str(k): str(v) for k, v in readings.items()}), None


def _run_population_case(
    source: str,
    program: Program,
    default_period: object,
    case: Mapping[str, object],
    name: str,
    expect: Mapping[str, object],
    span: Span | None,
) -> TestOutcome:
    """A case over a small population: ``expect`` maps subject ids to their expectations."""
    data = case["population"]
    if not isinstance(data, dict):
        return TestOutcome(source, name, False, ("[invalid-test] population must be a mapping",), span)
    try:
        period_spec = case.get("period", default_period)
        period = inputs.parse_period(period_spec if isinstance(period_spec, str | int | dict) else str(period_spec))
    except ValueError as error:
        return TestOutcome(source, name, False, (f"[invalid-test] {error}",), span)
    out_of_force = _out_of_force(program, period)
    if out_of_force is not None:
        return TestOutcome(source, name, False, (out_of_force,), span)
    outcome = population.evaluate_population(program, population.from_document(data, source), period)
    # Test messages are English; a rejection's Vietnamese reason follows its English one.
    problems = [
        f"[rejected] row {r.row} {r.column}: {r.reason}" + (f" / {r.reason_vi}" if r.reason_vi else "")
        for r in outcome.rejections
    ]
    by_id = {r.subject_id: r for r in outcome.results}
    for subject_id, wanted in expect.items():
        if str(subject_id) not in by_id:
            problems.append(f"{subject_id}: no result")
            continue
        if not isinstance(wanted, dict):
            problems.append(f"[invalid-test] expect.{subject_id} must be a mapping")
            continue
        problems += [f"{subject_id}: {difference}" for difference in compare(by_id[str(subject_id)], wanted)]
    return TestOutcome(source, name, not problems, tuple(problems), span)


def _out_of_force(program: Program, period: Period) -> str | None:
    """Why a case's period is not one the framework governs (the version chosen for a period is the one in force on
    its last day), or None."""
    info = program.info
    if period.end < info.effective_from:
        return (
            f"[invalid-test] the period {period} ends before the framework takes effect on"
            f" {info.effective_from.isoformat()}: another version governs it"
        )
    if info.effective_until is not None and period.end > info.effective_until:
        return (
            f"[invalid-test] the period {period} ends after the framework's last day in force"
            f" ({info.effective_until.isoformat()}): another version governs it"
        )
    return None


def _as_set(value: object) -> set[str]:
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)}


def compare(result: Result, expect: Mapping[str, object]) -> list[str]:
    """What differs between a result and an expectation (empty when the case passes)."""
    outcome = result.outcome
    found: list[str] = []
    if "status" in expect and str(expect["status"]) != outcome.status.value:
        found.append(f"status: expected {expect['status']}, got {outcome.status.value}")
    if "level" in expect:
        if outcome.status is not Status.CLASSIFIED:
            found.append(f"level: expected {expect['level']}, got {outcome.status.value}")
        elif str(expect["level"]) != outcome.level:
            found.append(f"level: expected {expect['level']}, got {outcome.level}")
    checks = (
        ("reasons", set(outcome.reasons)),
        ("missing", set(outcome.missing)),
        ("possible", set(outcome.possible)),
        ("flags", set(outcome.flags)),
    )
    for key, actual in checks:
        if key in expect and _as_set(expect[key]) != actual:
            found.append(f"{key}: expected {sorted(_as_set(expect[key]))}, got {sorted(actual)}")
    if "notes" in expect:
        notes = {n.id for c in result.trace.children if c.kind is NodeKind.NOTES for n in c.children}
        if _as_set(expect["notes"]) != notes:
            found.append(f"notes: expected {sorted(_as_set(expect['notes']))}, got {sorted(notes)}")
    why_not = expect.get("why_not")
    if why_not is not None:
        if not isinstance(why_not, dict):
            return [*found, "[invalid-test] why_not maps a level to its failed rules"]
        levels = {c.level: c for c in result.trace.children if c.kind is NodeKind.LEVEL}
        for level, rules in why_not.items():
            node = levels.get(str(level))
            if node is None:
                found.append(f"why_not: '{level}' is not a level with requirements")
                continue
            failed = {c.id for c in node.children if c.truth is Truth.NOT_MET}
            if _as_set(rules if rules is not None else []) != failed:
                found.append(f"why_not.{level}: expected {sorted(_as_set(rules or []))}, got {sorted(failed)}")
    return found
