"""Counterfactual checks: changed evidence re-evaluated, and whether a result reaches a level.

Input: a program, a subject kind, the raw evidence, the period and a target level; changes as typed values. Output:
the result of the changed evidence (memoised), evaluated with the same two stages as ``api.evaluate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Result, Status, TraceNode
from xeploai.explanation.counterfactual_domains import Assignment, Key, assignment_key, raw_value
from xeploai.program import ir
from xeploai.program.issues import EvidenceError

NOT_CLASSIFIED = "not_classified"
INSUFFICIENT_EVIDENCE = "insufficient_evidence"


def reaches(program: ir.Program, result: Result, level: str) -> bool:
    """Whether ``result`` reaches at least ``level``: whatever any still-missing evidence turns out to be, the
    subject is classified at ``level`` or better.

    That is, the outcome is classified at ``level`` or better, or it is "insufficient evidence" and every outcome
    it leaves possible is a level at ``level`` or better (never "not classified").
    """
    outcome = result.outcome
    rank = program.levels.rank(level)
    if outcome.status is Status.CLASSIFIED:
        return outcome.level is not None and program.levels.rank(outcome.level) >= rank
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        possible = outcome.possible
        return bool(possible) and all(p != NOT_CLASSIFIED and program.levels.rank(p) >= rank for p in possible)
    return False


class Checker:
    """Re-evaluates changed evidence; memoised.

    ``verified`` runs the same two stages as ``api.evaluate`` on the raw evidence with the changes written in
    (validation, then the interpreter): every reported set passes it. The many checks of the search itself
    (candidates, subsets, tightening) use ``result``, which hands the typed values straight to the interpreter
    after checking the only cross-field constraint of evidence, the ``at_most`` bounds.
    """

    def __init__(self, program: ir.Program, kind: str, raw: Mapping[str, object], period: ir.Period, target: str):
        self.program = program
        self.kind = kind
        self.subject = program.subjects[kind]
        self.raw = raw
        self.typed = validate_evidence(program, kind, raw)
        self.period = period
        self.target = target
        self.cache: dict[Key, Result | None] = {}

    def result(self, assignment: Assignment) -> Result | None:
        """The result of the evidence with ``assignment`` applied; None when the changed evidence is invalid."""
        key = assignment_key(assignment)
        if key not in self.cache:
            values = {**self.typed.values, **assignment}
            origins = {**self.typed.origins, **dict.fromkeys(assignment, "evidence")}
            if any(_breaks_bound(values, fdef) for fdef in self.subject.fields):
                self.cache[key] = None
            else:
                trace = interpreter.evaluate(self.program, self.kind, values, origins, self.period)
                self.cache[key] = _result(self.program, self.kind, trace, self.period)
        return self.cache[key]

    def works(self, assignment: Assignment) -> bool:
        result = self.result(assignment)
        return result is not None and reaches(self.program, result, self.target)

    def verified(self, assignment: Assignment) -> Result | None:
        """The result of the raw evidence with the changes written in, as ``api.evaluate`` gives it; None when the
        changed evidence is invalid."""
        raw = dict(self.raw)
        for name, value in assignment.items():
            raw[name] = raw_value(self.program, self.raw, name, value)
        try:
            return evaluate_raw(self.program, self.kind, raw, self.period)
        except EvidenceError:
            return None


def _breaks_bound(values: Mapping[str, ir.Value], fdef: ir.FieldDef) -> bool:
    other = fdef.at_most_field
    if other is None or fdef.id not in values or other not in values:
        return False
    a, b = values[fdef.id], values[other]
    return isinstance(a, Fraction) and isinstance(b, Fraction) and a > b


def _result(program: ir.Program, kind: str, trace: TraceNode, period: ir.Period) -> Result:
    info = program.info
    return Result(trace, "", kind, None, period, info.family, info.version, info.source)


def evaluate_raw(program: ir.Program, kind: str, raw: Mapping[str, object], period: ir.Period) -> Result:
    """The result of raw evidence, validated then interpreted as ``api.evaluate`` does."""
    typed = validate_evidence(program, kind, raw)
    return _result(program, kind, interpreter.evaluate(program, kind, typed.values, typed.origins, period), period)


def current_outcome(result: Result) -> str:
    """The outcome as one id: the level, or the status (``not_classified``, ``insufficient_evidence``,
    ``awaiting_decision``, ``left_to_competent_level``)."""
    outcome = result.outcome
    if outcome.status is Status.CLASSIFIED and outcome.level is not None:
        return outcome.level
    return outcome.status.value
