"""Counterfactuals: the smallest changes of evidence that reach a level, and the comparison with a self-assessment.

Input: a program, a subject kind, the subject's raw evidence and the period (or, for the self-assessment, a result
and the level the subject proposed). Output: verified, minimal sets of field changes with Vietnamese and English
texts; and the reasons a self-assessed level differs from the computed one.

Candidates are derived from the IR: the failed rules of the target level (and of the levels above it), the
triggers and not-classified rules that hold, and the caps that lower, are walked down to their leaf comparisons,
each leaf is solved for the fields it reads, and the solutions are combined along the and/or structure. Every
candidate is then checked by re-evaluating the changed evidence with the same two stages as ``api.evaluate``
(evidence validation, then the interpreter); only what re-evaluation confirms is reported. This module sits on the
program side: it imports neither the façade nor the framework format.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Literal, assert_never

from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import NodeKind, Result, Status, TraceNode, Truth
from xeploai.program import ir
from xeploai.program.issues import EvidenceError

__all__ = [
    "ChangeKind",
    "ChangeSearch",
    "ChangeSet",
    "Comparison",
    "FieldChange",
    "Reason",
    "SelfAssessment",
    "apply_changes",
    "compare_self_assessment",
    "for_each_higher_level",
    "level_id",
    "levels_not_reached",
    "reaches",
    "search_changes",
    "smallest_changes",
    "to_text",
]

ChangeKind = Literal["numeric", "judgement", "flag", "records", "missing"]

NOT_CLASSIFIED = "not_classified"
INSUFFICIENT_EVIDENCE = "insufficient_evidence"

# Bounds of the search: candidate combinations tried (over all repair rounds), repair rounds, and the size up to
# which a set is checked against every strict subset (larger ones: every subset missing one change, or any part
# of a group of changes tied by at_most bounds).
MAX_COMBINATIONS = 128
REPAIR_ROUNDS = 2
EXHAUSTIVE_MINIMALITY = 4
_FIXPOINT_ROUNDS = 8
_NO_TEXT = ir.Text("", "")
_TIGHTEN_STEPS = 64


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One evidence field changed: its raw value ``before`` (None when missing) and the raw value ``after``.

    ``after`` is what to write in the evidence (a number, a grade's Vietnamese label, a level's code, true/false,
    or the list of records that remain). ``actionable`` is false for recorded facts — records such as a
    disciplinary decision, and yes/no facts that are not judgements — which a review cannot simply redo.
    """

    field: str
    before: object
    after: object
    kind: ChangeKind
    actionable: bool = True
    text: ir.Text = _NO_TEXT


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changes that together reach at least the target level, verified by re-evaluation.

    ``reaches`` is the level the changed evidence gives (the lowest still possible, should some evidence stay
    missing without mattering).
    """

    changes: tuple[FieldChange, ...]
    reaches: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.changes)

    @property
    def actionable(self) -> bool:
        return all(c.actionable for c in self.changes)


@dataclass(frozen=True, slots=True)
class ChangeSearch:
    """The answer to "what is the smallest change that reaches ``target``", with what bounded it.

    ``current`` is the present outcome: a level id, ``not_classified`` or ``insufficient_evidence``. ``reached``
    says the evidence already reaches at least the target (then ``sets`` is empty). ``more`` says further minimal
    sets may exist beyond the limit; ``truncated`` says the combination bound was hit, so other minimal sets may
    exist; ``unsolved`` names the rules, triggers and caps for which no change could be derived from the IR.
    """

    kind: str
    target: str
    current: str
    reached: bool
    sets: tuple[ChangeSet, ...]
    more: bool = False
    truncated: bool = False
    unsolved: tuple[str, ...] = ()


# --- the public functions ----------------------------------------------------------------------------------


def smallest_changes(
    program: ir.Program,
    kind: str,
    raw_evidence: Mapping[str, object],
    period: ir.Period,
    target_level: str,
    *,
    limit: int = 5,
) -> list[ChangeSet]:
    """The minimal sets of evidence changes that make the outcome at least ``target_level``, smallest first.

    Empty when the evidence already reaches the target, or when no change can be derived (see
    ``search_changes`` for which of the two, and for the bounds of the search).
    """
    return list(search_changes(program, kind, raw_evidence, period, target_level, limit=limit).sets)


def for_each_higher_level(
    program: ir.Program, kind: str, raw_evidence: Mapping[str, object], period: ir.Period, *, limit: int = 5
) -> dict[str, list[ChangeSet]]:
    """For every level the evidence does not reach yet (best first, the lowest excluded), its smallest changes."""
    current = _evaluate(program, kind, dict(raw_evidence), period)
    return {
        level: smallest_changes(program, kind, raw_evidence, period, level, limit=limit)
        for level in levels_not_reached(program, current)
    }


def levels_not_reached(program: ir.Program, result: Result) -> list[str]:
    """The levels, best first and the lowest excluded, that ``result`` does not reach (see ``reaches``)."""
    ids = [v.id for v in program.levels.values]
    return [level for level in ids[:-1] if not reaches(program, result, level)]


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


def search_changes(
    program: ir.Program,
    kind: str,
    raw_evidence: Mapping[str, object],
    period: ir.Period,
    target_level: str,
    *,
    limit: int = 5,
    max_combinations: int = MAX_COMBINATIONS,
) -> ChangeSearch:
    """The minimal sets of evidence changes that reach at least ``target_level`` (an id, code or label).

    A set *reaches* the target when the evidence with its changes applied reaches it (see ``reaches``). It is
    *minimal* when no strict subset of its changes reaches it too. Raises ``EvidenceError`` for evidence that
    does not fit the subject kind, and ``ValueError`` for an unknown level.
    """
    target = level_id(program, target_level)
    raw = dict(raw_evidence)
    checker = _Checker(program, kind, raw, period, target)
    typed = checker.typed
    base = checker.verified({})
    assert base is not None  # the evidence was just validated
    current = _current(base)
    if reaches(program, base, target):
        return ChangeSearch(kind, target, current, True, ())
    search = _Search(program, program.subjects[kind], typed.values, raw, period, target, max_combinations)
    found, more = search.run(checker, base, limit)
    kept = {_key(a) for a in _undominated([f.assignment for f in found], search)}
    ordered = [
        (s, f.position)
        for f in found
        if _key(f.assignment) in kept and (s := _change_set(f, search, checker)) is not None
    ]
    sets = [s for s, _ in sorted(ordered, key=lambda pair: (_order(pair[0]), pair[1]))]
    return ChangeSearch(
        kind=kind,
        target=target,
        current=current,
        reached=False,
        sets=tuple(sets[:limit]),
        more=more or len(sets) > limit,
        truncated=search.truncated,
        unsolved=tuple(dict.fromkeys(search.unsolved)),
    )


def apply_changes(raw_evidence: Mapping[str, object], changes: ChangeSet | Iterable[FieldChange]) -> dict[str, object]:
    """The raw evidence with the changes applied (a new mapping; the given one is left as it is)."""
    out = dict(raw_evidence)
    items = changes.changes if isinstance(changes, ChangeSet) else changes
    for change in items:
        out[change.field] = change.after
    return out


def to_text(change_set: ChangeSet, lang: str = "vi") -> str:
    """The changes of a set, one per line, in Vietnamese (default) or English."""
    return "\n".join(f"- {c.text.get(lang)}" for c in change_set.changes)


def level_id(program: ir.Program, text: str) -> str:
    """The id of the level spelt ``text`` (its id, code, Vietnamese or English label, case-insensitive)."""
    wanted = _fold(text)
    for spelling in range(4):
        for value in program.levels.values:
            if _fold((value.id, value.code, value.label.vi, value.label.en)[spelling]) == wanted:
                return value.id
    known = ", ".join(f"{v.id} ({v.code})" for v in program.levels.values)
    raise ValueError(f"unknown level {text!r}; the framework's levels are: {known}")


# --- the search ----------------------------------------------------------------------------------------------

_Assignment = dict[str, ir.Value]  # field -> its new typed value
_Key = tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class _Need:
    """A leaf condition that must hold (``want``) or fail, to be obtained by changing the field ``varies``.

    Comparisons are kept with ``want`` true and the operator adjusted; for ``exists`` over records, ``remove``
    holds the original positions of the records that satisfy (or may satisfy) the predicate. Needs are told apart
    by ``identity`` (the operator and the program's own nodes), which is cheap to hash, not by the condition.
    """

    cond: ir.Expr = field(compare=False)
    want: bool = True
    varies: str = ""
    remove: tuple[int, ...] = ()
    identity: tuple[object, ...] = ()


def _need(cond: ir.Expr, want: bool, varies: str, remove: tuple[int, ...] = ()) -> _Need:
    """A need on a condition whose operands are nodes of the program (alive as long as it is)."""
    match cond:
        case ir.Compare(ops=ops, operands=operands):
            identity: tuple[object, ...] = ("compare", ops, *(id(o) for o in operands))
        case _:
            identity = (type(cond).__name__, id(cond))
    return _Need(cond, want, varies, remove, identity)


_Alternative = tuple[_Need, ...]


@dataclass(frozen=True, slots=True)
class _Found:
    """A minimal set: the position of the candidate it came from, its values, and the values each of its fields
    could take in that candidate (for the texts)."""

    position: int
    assignment: _Assignment
    domains: Mapping[str, _Domain]


@dataclass(frozen=True, slots=True)
class _Num:
    """The values a number field may take: an interval, optionally only some points, minus excluded values."""

    lo: Fraction | None = None
    lo_open: bool = False
    hi: Fraction | None = None
    hi_open: bool = False
    points: frozenset[Fraction] | None = None
    excluded: frozenset[Fraction] = frozenset()

    def holds(self, x: Fraction) -> bool:
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return False
        if self.hi is not None and (x > self.hi or (self.hi_open and x == self.hi)):
            return False
        return (self.points is None or x in self.points) and x not in self.excluded


@dataclass(frozen=True, slots=True)
class _Finite:
    """The values a yes/no, scale or enum field may take, lowest rank first."""

    allowed: tuple[ir.Value, ...]


@dataclass(frozen=True, slots=True)
class _Records:
    """What must become of a records field: records to remove, and bounds on how many remain."""

    remove: frozenset[int] = frozenset()
    max_count: int | None = None
    min_count: int = 0


_Domain = _Num | _Finite | _Records


@dataclass
class _Search:
    program: ir.Program
    subject: ir.SubjectProgram
    values: Mapping[str, ir.Value]  # the typed evidence, defaults included
    raw: Mapping[str, object]
    period: ir.Period
    target: str
    max_combinations: int
    truncated: bool = False
    unsolved: list[str] = field(default_factory=list)
    memo: dict[tuple[_Need, tuple[object, ...]], _Domain | None] = field(default_factory=dict)
    at_least: dict[str, ir.Compare] = field(default_factory=dict)  # per cap: its bound is at least the target

    # --- the goal, as alternatives of needs --------------------------------------------------------------------

    def goal(self, result: Result, changed: _Assignment, record: bool) -> list[_Alternative]:
        """Every way, as derived from the IR and the trace of ``result`` (the evidence with ``changed`` applied),
        to reach at least the target.

        The not-classified rules and (above the lowest level) the triggers must fail; the rules of the target or of
        a better level must all hold; every cap that could lower the level below the target must not hold, or its
        bound must be at least the target.
        """
        root = result.trace
        stages = {n.kind: n for n in root.children if n.kind is not NodeKind.LEVEL}
        deriver = _Deriver(self, {**self.values, **changed}, _record_indices(changed))
        parts: list[tuple[str, list[_Alternative]]] = []
        for node in stages[NodeKind.ELIGIBILITY].children:
            parts.append((node.id, deriver.derive(ir.RuleRef(node.id), node, False)))
        levels = self.program.levels
        target_rank = levels.rank(self.target)
        if self.target != self.program.lowest_level:
            for node in stages[NodeKind.TRIGGERS].children:
                parts.append((node.id, deriver.derive(ir.RuleRef(node.id), node, False)))
            options: list[_Alternative] = []
            for level_node in root.children:
                if level_node.kind is NodeKind.LEVEL and levels.rank(level_node.id) >= target_rank:
                    rules = ir.And(tuple(ir.RuleRef(c.id) for c in level_node.children))
                    options.extend(deriver.derive(rules, level_node, True))
            parts.append((self.target, self._bounded(_unique(options))))
            for cap, node in zip(self.subject.caps, stages[NodeKind.CAPS].children, strict=True):
                bound = node.level
                if node.truth is Truth.NOT_MET or (bound is not None and levels.rank(bound) >= target_rank):
                    continue
                at_least = self.at_least.setdefault(
                    cap.id,
                    ir.Compare(
                        (ir.CompareOp.GE,),
                        (cap.at_most, ir.Const(levels.ordinal(self.target), ir.OrdinalType(ir.LEVEL_SCALE))),
                    ),
                )
                lifted = deriver.derive(cap.when, node.children[0], False) + deriver.derive(at_least, None, True)
                parts.append((cap.id, self._bounded(_unique(lifted))))
        if record:
            self.unsolved.extend(name for name, alternatives in parts if not alternatives)
        return self.product([alternatives for _, alternatives in parts])

    def product(self, parts: Sequence[list[_Alternative]]) -> list[_Alternative]:
        """Every combination of one alternative per part (needs merged), at most ``max_combinations``."""
        out: list[_Alternative] = []
        for combination in itertools.product(*[sorted(p, key=len) for p in parts]):
            if len(out) >= self.max_combinations:
                self.truncated = True
                break
            out.append(tuple(dict.fromkeys(need for alternative in combination for need in alternative)))
        return _unique(out)

    def _bounded(self, alternatives: list[_Alternative]) -> list[_Alternative]:
        if len(alternatives) > self.max_combinations:
            self.truncated = True
            return alternatives[: self.max_combinations]
        return alternatives

    # --- candidates, verified ------------------------------------------------------------------------------------

    def run(self, checker: _Checker, base: Result, limit: int) -> tuple[list[_Found], bool]:
        """Minimal sets, each with the position of its candidate in derivation order and the values its fields
        could take there, and whether more sets may exist.

        Candidates are solved from the goal, then verified by re-evaluation smallest first, and each verified one
        is minimised; the search stops once ``limit`` sets are found and no smaller candidate is left (candidates
        are built with one change per failing condition and seldom shrink). A candidate that falls short is
        repaired from the goal of its own evaluation, up to ``REPAIR_ROUNDS`` times, while sets are missing.
        """
        found: dict[_Key, _Found] = {}
        tried: set[frozenset[_Need]] = set()
        solved: set[_Key] = set()
        frontier: list[tuple[_Alternative, Result, _Assignment]] = [((), base, {})]
        budget = self.max_combinations
        more = False
        for depth in range(REPAIR_ROUNDS + 1):
            pool: list[tuple[int, _Alternative, _Assignment, dict[str, _Domain]]] = []
            for needs_so_far, result, changed in frontier:
                for alternative in self.goal(result, changed, record=depth == 0):
                    needs = tuple(dict.fromkeys((*needs_so_far, *alternative)))
                    if frozenset(needs) in tried:
                        continue
                    if budget <= 0:
                        self.truncated = True
                        break
                    budget -= 1
                    tried.add(frozenset(needs))
                    answer = self.solve(needs)
                    if answer is None or not answer[0] or _key(answer[0]) in solved:
                        continue
                    solved.add(_key(answer[0]))
                    pool.append((len(solved), needs, *answer))
            following: list[tuple[_Alternative, Result, _Assignment]] = []
            for position, needs, assignment, domains in sorted(pool, key=lambda item: (len(item[2]), item[0])):
                kept = _undominated([f.assignment for f in found.values()], self)
                if len(kept) >= limit and len(assignment) >= max(len(a) for a in kept):
                    more = True
                    break
                evaluated = checker.result(assignment)
                if evaluated is None:
                    continue
                if reaches(self.program, evaluated, self.target):
                    reduced = _minimize(assignment, self, checker)
                    if reduced is not None:
                        found.setdefault(_key(reduced), _Found(position, reduced, domains))
                else:
                    following.append((needs, evaluated, assignment))
            if more or len(found) >= limit:
                break
            frontier = following
        return list(found.values()), more

    # --- solving needs for values ------------------------------------------------------------------------------

    def solve(self, needs: Sequence[_Need]) -> tuple[_Assignment, dict[str, _Domain]] | None:
        """The values closest to the evidence that satisfy every need, and the values each field could take,
        found by fixpoint: each field's need is solved with the other fields at their latest values, and a field
        pushed past its ``at_most`` bound (or a bound pushed below it) brings the other field along. None when the
        needs conflict."""
        domains: dict[str, _Domain] = {}
        by_field: dict[str, list[_Need]] = {}
        for need in needs:
            by_field.setdefault(need.varies, []).append(need)
        values = dict(self.values)
        for _ in range(_FIXPOINT_ROUNDS):
            picked: dict[str, ir.Value] = {}
            for name, field_needs in by_field.items():
                fdef = self.subject.field_def(name)
                if fdef is None:
                    return None
                domain: _Domain | None = None
                for need in field_needs:
                    domain = _intersect(domain, self.solved(need, fdef, values))
                    if domain is None:
                        return None
                assert domain is not None
                domains[name] = domain
                value = self.pick(fdef, domain)
                if value is None:
                    return None
                picked[name] = value
            updated = {**self.values, **picked}
            companions = self.companions(updated, by_field)
            if not companions and updated == values:
                break
            for need in companions:
                by_field.setdefault(need.varies, []).append(need)
            values = updated
        else:
            return None
        assignment = {
            name: values[name]
            for name in by_field
            if name in values and (name not in self.values or not _same(values[name], self.values[name]))
        }
        return assignment, domains

    def companions(self, values: Mapping[str, ir.Value], by_field: Mapping[str, list[_Need]]) -> list[_Need]:
        """Needs that keep every ``at_most`` bound: ``a <= b`` on whichever of the two fields may move."""
        out: list[_Need] = []
        for fdef in self.subject.fields:
            other = fdef.at_most_field
            if other is None or fdef.id not in values or other not in values:
                continue
            a, b = values[fdef.id], values[other]
            if not (isinstance(a, Fraction) and isinstance(b, Fraction)) or a <= b:
                continue
            odef = self.subject.field_def(other)
            assert odef is not None
            cond = ir.Compare((ir.CompareOp.LE,), (ir.FieldRef(fdef.id, fdef.type), ir.FieldRef(other, odef.type)))
            mover = fdef.id if other in by_field and fdef.id not in by_field else other
            need = _Need(cond, True, mover, (), ("at_most", fdef.id, other))
            if need not in by_field.get(mover, []):
                out.append(need)
        return out

    def solved(self, need: _Need, fdef: ir.FieldDef, values: Mapping[str, ir.Value]) -> _Domain | None:
        """``domain``, memoised on the need and the values of the other fields its condition reads."""
        key = (need, tuple(_key({n: values[n]}) for n in _reads(need.cond) if n != need.varies and n in values))
        if key not in self.memo:
            self.memo[key] = self.domain(need, fdef, values)
        return self.memo[key]

    def domain(self, need: _Need, fdef: ir.FieldDef, values: Mapping[str, ir.Value]) -> _Domain | None:
        """The values of ``need.varies`` that satisfy the need, the other fields at ``values``."""
        cond = need.cond
        match cond:
            case ir.Compare(ops=(op,), operands=(left, right)):
                if isinstance(fdef.type, ir.NumberType | ir.RecordsType):
                    return _solve_linear(op, left, right, fdef, values)
                allowed = [
                    x
                    for x in self.candidates(fdef)
                    if _holds(op, _value(left, {**values, fdef.id: x}), _value(right, {**values, fdef.id: x}))
                ]
                return _Finite(tuple(allowed))
            case ir.FieldRef():
                return _Finite((need.want,))
            case ir.Member(options=options, negated=negated):
                choices = [_value(o, values) for o in options]
                if any(c is None for c in choices):
                    return None
                if isinstance(fdef.type, ir.NumberType):
                    numbers = frozenset(c for c in choices if isinstance(c, Fraction))
                    inside = need.want != negated
                    return _Num(points=numbers) if inside else _Num(excluded=numbers)
                allowed = [x for x in self.candidates(fdef) if ((x in choices) != negated) == need.want]
                return _Finite(tuple(allowed))
            case ir.Exists():
                return _Records(remove=frozenset(need.remove))
            case ir.Known():
                if isinstance(fdef.type, ir.NumberType):
                    return _Num()
                if isinstance(fdef.type, ir.RecordsType):
                    return _Records()
                return _Finite(tuple(self.candidates(fdef)))
            case _:
                return None

    def candidates(self, fdef: ir.FieldDef) -> list[ir.Value]:
        """Every value of a yes/no, scale or enum field, lowest rank first (empty for other types)."""
        match fdef.type:
            case ir.BoolType():
                return [False, True]
            case ir.OrdinalType(scale=scale_id):
                scale = self.scale(scale_id)
                return [scale.ordinal(v.id) for v in reversed(scale.values)]
            case ir.EnumType(name=name, values=ids):
                enum = self.program.enums.get(name)
                listed = [v.id for v in enum.values] if enum else list(ids)
                return [ir.EnumValue(v, i, name) for i, v in enumerate(listed)]
            case _:
                return []

    def scale(self, scale_id: str) -> ir.Scale:
        return self.program.levels if scale_id == ir.LEVEL_SCALE else self.program.scales[scale_id]

    def pick(self, fdef: ir.FieldDef, domain: _Domain) -> ir.Value | None:
        """The value of ``domain`` closest to the field's present value, or, for a missing field, the one just
        meeting the requirement."""
        before = self.values.get(fdef.id)
        match domain:
            case _Num():
                if not isinstance(fdef.type, ir.NumberType):
                    return None
                old = before if isinstance(before, Fraction) else None
                return _pick_number(_with_bounds(domain, fdef), domain, old, fdef.type.integer)
            case _Finite(allowed=allowed):
                if not allowed:
                    return None
                if before is not None and before in allowed:
                    return before
                if before is not None:
                    r = _rank(before)
                    return min(allowed, key=lambda x: (abs(_rank(x) - r), -_rank(x)))
                everything = self.candidates(fdef)
                ranks = sorted(_rank(x) for x in allowed)
                down_set = ranks == list(range(ranks[-1] + 1)) and len(ranks) < len(everything)
                return allowed[-1] if down_set else allowed[0]
            case _Records(remove=remove, max_count=max_count, min_count=min_count):
                records = before if isinstance(before, tuple) else ()
                kept = tuple(r for r in records if isinstance(r, ir.Record) and r.index not in remove)
                if max_count is not None:
                    kept = kept[: max(0, max_count)]
                return kept if len(kept) >= min_count else None
            case _:
                assert_never(domain)


@dataclass
class _Deriver:
    """Walks an IR expression beside its trace node and returns the alternatives that give it a truth."""

    search: _Search
    values: Mapping[str, ir.Value]  # the evidence the trace was made from
    indices: Mapping[str, tuple[int, ...]]  # records fields changed: the original position of each remaining record

    def derive(self, expr: ir.Expr, node: TraceNode | None, want: bool) -> list[_Alternative]:
        wanted = Truth.MET if want else Truth.NOT_MET
        if node is not None and node.truth is wanted:
            return [()]
        children: Sequence[TraceNode | None] = node.children if node is not None else ()
        match expr:
            case ir.RuleRef(name=name):
                rule = self.search.subject.rules.get(name)
                if rule is None:
                    return []
                body = node.children[0] if node is not None and node.kind is NodeKind.RULE and node.children else None
                return self.derive(rule.expr, body, want)
            case ir.And(operands=operands) | ir.Or(operands=operands):
                pairs = list(zip(operands, _pad(children, len(operands)), strict=True))
                conjunction = isinstance(expr, ir.And) == want  # every child must change, or any one may
                skip = Truth.MET if want else Truth.NOT_MET
                moving = [(o, n) for o, n in pairs if n is None or n.truth is not skip]
                derived = [self.derive(o, n, want) for o, n in moving]
                if conjunction:
                    return self.search.product(derived)
                return _unique([a for alternatives in derived for a in alternatives])
            case ir.Not(operand=operand):
                return self.derive(operand, children[0] if children else None, not want)
            case ir.Compare():
                return self.compare(expr, want)
            case ir.FieldRef(name=name):
                fdef = self.search.subject.field_def(name)
                return [(_need(expr, want, name),)] if fdef is not None and isinstance(fdef.type, ir.BoolType) else []
            case ir.Member(item=ir.FieldRef(name=name)):
                return [(_need(expr, want, name),)] if self.search.subject.field_def(name) is not None else []
            case ir.Exists(source=ir.FieldRef(name=name)) if not want:
                if self.search.subject.field_def(name) is None:
                    return []
                positions = self.indices.get(name)
                matching = [
                    positions[i] if positions is not None else i
                    for i, child in enumerate(children)
                    if child is not None and child.truth is not Truth.NOT_MET
                ]
                return [(_need(expr, False, name, tuple(matching)),)]
            case ir.Known(ref=ref) if want:
                return [(_need(expr, True, ref.name),)] if self.search.subject.field_def(ref.name) is not None else []
            case (
                ir.Const()
                | ir.RecordFieldRef()
                | ir.PeriodRef()
                | ir.Arith()
                | ir.Neg()
                | ir.Member()
                | ir.InPeriod()
                | ir.Count()
                | ir.Exists()
                | ir.Extremum()
                | ir.Known()
                | ir.Share()
                | ir.LevelOf()
            ):
                return []
            case _:
                assert_never(expr)

    def compare(self, expr: ir.Compare, want: bool) -> list[_Alternative]:
        """A chained comparison is the conjunction of its pairs; each pair is solved for each field it reads."""
        pairs = list(zip(expr.ops, expr.operands, expr.operands[1:], strict=False))
        per_pair: list[list[_Alternative]] = []
        for op, left, right in pairs:
            holds = _holds(op, _value(left, self.values), _value(right, self.values))
            if want and holds is True:
                continue
            per_pair.append(self.pair(op if want else _NEGATION[op], left, right))
        if want:
            return self.search.product(per_pair)
        return _unique([a for alternatives in per_pair for a in alternatives])

    def pair(self, op: ir.CompareOp, left: ir.Expr, right: ir.Expr) -> list[_Alternative]:
        out: list[_Alternative] = []
        for name in dict.fromkeys([*_fields_in(left), *_fields_in(right)]):
            fdef = self.search.subject.field_def(name)
            if fdef is None:
                continue
            if op is ir.CompareOp.NE and isinstance(fdef.type, ir.NumberType):
                ops = [ir.CompareOp.LT, ir.CompareOp.GT]  # "not equal" on a number: one side or the other
            else:
                ops = [op]
            for each in ops:
                need = _need(ir.Compare((each,), (left, right)), True, name)
                # A comparison that reads another missing field, or that no value of this one satisfies, is left
                # to the other fields (or reported unsolved).
                domain = self.search.domain(need, fdef, self.values)
                if domain is not None and domain != _Finite(()):
                    out.append((need,))
        return out


_NEGATION = {
    ir.CompareOp.EQ: ir.CompareOp.NE,
    ir.CompareOp.NE: ir.CompareOp.EQ,
    ir.CompareOp.LT: ir.CompareOp.GE,
    ir.CompareOp.LE: ir.CompareOp.GT,
    ir.CompareOp.GT: ir.CompareOp.LE,
    ir.CompareOp.GE: ir.CompareOp.LT,
}
_MIRROR = {
    ir.CompareOp.EQ: ir.CompareOp.EQ,
    ir.CompareOp.NE: ir.CompareOp.NE,
    ir.CompareOp.LT: ir.CompareOp.GT,
    ir.CompareOp.LE: ir.CompareOp.GE,
    ir.CompareOp.GT: ir.CompareOp.LT,
    ir.CompareOp.GE: ir.CompareOp.LE,
}


def _pad(children: Sequence[TraceNode | None], n: int) -> list[TraceNode | None]:
    return [*children[:n], *([None] * (n - len(children)))]


def _unique(alternatives: Iterable[_Alternative]) -> list[_Alternative]:
    seen: dict[frozenset[_Need], _Alternative] = {}
    for alternative in alternatives:
        seen.setdefault(frozenset(alternative), alternative)
    return list(seen.values())


def _reads(cond: ir.Expr) -> list[str]:
    """The evidence fields a leaf condition reads."""
    match cond:
        case ir.Compare(operands=operands):
            return [name for operand in operands for name in _fields_in(operand)]
        case ir.Member(item=item, options=options):
            return [name for operand in (item, *options) for name in _fields_in(operand)]
        case ir.FieldRef(name=name) | ir.Known(ref=ir.FieldRef(name=name)) | ir.Exists(source=ir.FieldRef(name=name)):
            return [name]
        case _:
            return []


def _fields_in(expr: ir.Expr) -> list[str]:
    """The evidence fields an arithmetic operand reads directly (records fields through ``count(field)``)."""
    match expr:
        case ir.FieldRef(name=name):
            return [name]
        case ir.Arith(left=left, right=right):
            return [*_fields_in(left), *_fields_in(right)]
        case ir.Neg(operand=operand):
            return _fields_in(operand)
        case ir.Count(source=ir.FieldRef(name=name), where=None):
            return [name]
        case _:
            return []


# --- values and linear solving ----------------------------------------------------------------------------------


def _value(expr: ir.Expr, values: Mapping[str, ir.Value]) -> ir.Value | None:
    """The value of a simple operand (constants, fields, arithmetic on numbers); None when unknown."""
    match expr:
        case ir.Const(value=value):
            return value
        case ir.FieldRef(name=name):
            return values.get(name)
        case ir.Arith() | ir.Neg() | ir.Count():
            return _number(expr, values)
        case _:
            return None


def _number(expr: ir.Expr, values: Mapping[str, ir.Value]) -> Fraction | None:
    linear = _linear(expr, "", values)
    return linear[1] if linear is not None else None


def _linear(expr: ir.Expr, name: str, values: Mapping[str, ir.Value]) -> tuple[Fraction, Fraction] | None:
    """``expr`` as ``a * name + b`` with every other field at its value; None when not linear in ``name`` or
    unknown. A records field counts as its number of records."""
    match expr:
        case ir.Const(value=Fraction() as value):
            return Fraction(0), value
        case ir.FieldRef(name=ref) if ref == name:
            return Fraction(1), Fraction(0)
        case ir.FieldRef(name=ref):
            known = values.get(ref)
            return (Fraction(0), known) if isinstance(known, Fraction) else None
        case ir.Count(source=ir.FieldRef(name=ref), where=None):
            if ref == name:
                return Fraction(1), Fraction(0)
            records = values.get(ref)
            return (Fraction(0), Fraction(len(records))) if isinstance(records, tuple) else None
        case ir.Neg(operand=operand):
            inner = _linear(operand, name, values)
            return (-inner[0], -inner[1]) if inner is not None else None
        case ir.Arith(op=op, left=left, right=right):
            a = _linear(left, name, values)
            b = _linear(right, name, values)
            if a is None or b is None:
                return None
            match op:
                case ir.ArithOp.ADD:
                    return a[0] + b[0], a[1] + b[1]
                case ir.ArithOp.SUB:
                    return a[0] - b[0], a[1] - b[1]
                case ir.ArithOp.MUL:
                    if a[0] != 0 and b[0] != 0:
                        return None
                    return a[0] * b[1] + b[0] * a[1], a[1] * b[1]
                case ir.ArithOp.DIV:
                    if b[0] != 0 or b[1] == 0:
                        return None
                    return a[0] / b[1], a[1] / b[1]
                case _:
                    assert_never(op)
        case _:
            return None


def _solve_linear(
    op: ir.CompareOp, left: ir.Expr, right: ir.Expr, fdef: ir.FieldDef, values: Mapping[str, ir.Value]
) -> _Domain | None:
    """Solve ``left op right`` for the field: ``a*x + b op 0`` gives ``x op' -b/a``."""
    a = _linear(left, fdef.id, values)
    b = _linear(right, fdef.id, values)
    if a is None or b is None:
        return None
    coefficient, constant = a[0] - b[0], a[1] - b[1]
    if coefficient == 0:
        return None
    bound = -constant / coefficient
    if coefficient < 0:
        op = _MIRROR[op]
    match op:
        case ir.CompareOp.EQ:
            domain = _Num(points=frozenset({bound}))
        case ir.CompareOp.NE:
            domain = _Num(excluded=frozenset({bound}))
        case ir.CompareOp.LT:
            domain = _Num(hi=bound, hi_open=True)
        case ir.CompareOp.LE:
            domain = _Num(hi=bound)
        case ir.CompareOp.GT:
            domain = _Num(lo=bound, lo_open=True)
        case ir.CompareOp.GE:
            domain = _Num(lo=bound)
        case _:
            assert_never(op)
    if isinstance(fdef.type, ir.RecordsType):
        # Records can be taken away (a decision absent), never invented: only an upper bound on their number.
        if domain.lo is not None or domain.points is not None or domain.excluded:
            low = _integer_floor(domain)
            return _Records(min_count=low) if low is not None else None
        assert domain.hi is not None
        top = math.ceil(domain.hi) - 1 if domain.hi_open else math.floor(domain.hi)
        return _Records(max_count=top) if top >= 0 else None
    return domain


def _integer_floor(domain: _Num) -> int | None:
    if domain.points is not None:
        whole = sorted(p for p in domain.points if p.denominator == 1 and p >= 0)
        return int(whole[0]) if whole else None
    if domain.lo is not None:
        return math.floor(domain.lo) + 1 if domain.lo_open else math.ceil(domain.lo)
    return 0


def _holds(op: ir.CompareOp, left: ir.Value | None, right: ir.Value | None) -> bool | None:
    if left is None or right is None:
        return None
    try:
        return interpreter.compare_values(op, left, right)
    except TypeError:  # values of different types never compare: the condition cannot be solved this way
        return None


def _intersect(a: _Domain | None, b: _Domain | None) -> _Domain | None:
    if b is None:
        return None
    if a is None:
        return b
    match a, b:
        case _Num(), _Num():
            lo, lo_open = _tighter(a.lo, a.lo_open, b.lo, b.lo_open, lower=True)
            hi, hi_open = _tighter(a.hi, a.hi_open, b.hi, b.hi_open, lower=False)
            if a.points is None:
                points = b.points
            elif b.points is None:
                points = a.points
            else:
                points = a.points & b.points
            return _Num(lo, lo_open, hi, hi_open, points, a.excluded | b.excluded)
        case _Finite(), _Finite():
            return _Finite(tuple(x for x in a.allowed if x in b.allowed))
        case _Records(), _Records():
            limits = [m for m in (a.max_count, b.max_count) if m is not None]
            return _Records(a.remove | b.remove, min(limits) if limits else None, max(a.min_count, b.min_count))
        case _:
            return None


def _tighter(
    x: Fraction | None, x_open: bool, y: Fraction | None, y_open: bool, lower: bool
) -> tuple[Fraction | None, bool]:
    """The tighter of two bounds: the larger of two lower bounds, the smaller of two upper ones."""
    if x is None:
        return y, y_open
    if y is None:
        return x, x_open
    if x == y:
        return x, x_open or y_open
    x_wins = (x > y) == lower
    return (x, x_open) if x_wins else (y, y_open)


def _with_bounds(domain: _Num, fdef: ir.FieldDef) -> _Num:
    """The domain, within the field's declared bounds (a count is a whole number ≥ 0)."""
    low, high = fdef.minimum, fdef.maximum
    if isinstance(fdef.type, ir.NumberType) and fdef.type.integer:
        low = Fraction(0) if low is None else max(low, Fraction(0))
    bounded = _intersect(domain, _Num(lo=low, hi=high))
    assert isinstance(bounded, _Num)
    return bounded


def _pick_number(domain: _Num, needed: _Num, before: Fraction | None, integer: bool) -> Fraction | None:
    """The number of ``domain`` closest to ``before``; for a missing field, the least value the needs allow
    (or the declared minimum when the needs only bound it from above)."""
    if before is not None and domain.holds(before) and (not integer or before.denominator == 1):
        return before
    if domain.points is not None:
        fits = sorted(p for p in domain.points if domain.holds(p) and (not integer or p.denominator == 1))
        if not fits:
            return None
        anchor = before if before is not None else fits[0]
        return min(fits, key=lambda p: (abs(p - anchor), -p))
    low = _edge(domain.lo, domain.lo_open, integer, up=True)
    high = _edge(domain.hi, domain.hi_open, integer, up=False)
    if low is not None and high is not None and low > high:
        return None
    if before is None:
        start = low if needed.lo is not None or high is None else (low if low is not None else high)
    elif low is not None and before < low:
        start = low
    elif high is not None and before > high:
        start = high
    else:
        start = before
    if start is None:
        start = Fraction(0)
    step = Fraction(1) if integer else _step(start)
    direction = 1 if before is None or start >= before else -1
    value = start
    for _ in range(_TIGHTEN_STEPS):
        if domain.holds(value):
            return value
        value += direction * step
    return None


def _edge(bound: Fraction | None, is_open: bool, integer: bool, up: bool) -> Fraction | None:
    """The closest admissible value at a bound: a whole number for counts, a decimal just inside an open bound."""
    if bound is None:
        return None
    if integer:
        if up:
            return Fraction(math.floor(bound) + 1 if is_open else math.ceil(bound))
        return Fraction(math.ceil(bound) - 1 if is_open else math.floor(bound))
    if not is_open:
        return bound
    step = _step(bound)
    return bound + step if up else bound - step


def _step(bound: Fraction) -> Fraction:
    """One unit of the decimal place after the bound's last: 3 → 0.1, 2.5 → 0.01 (0.000001 at most)."""
    for places in range(7):
        if (bound * 10**places).denominator == 1:
            return Fraction(1, 10 ** (places + 1))
    return Fraction(1, 10**7)


def _rank(value: ir.Value) -> int:
    if isinstance(value, ir.Ordinal | ir.EnumValue):
        return value.rank
    if isinstance(value, bool):
        return int(value)
    return 0


def _same(a: ir.Value, b: ir.Value) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return [r.index for r in a if isinstance(r, ir.Record)] == [r.index for r in b if isinstance(r, ir.Record)]
    return type(a) is type(b) and a == b and _rank(a) == _rank(b)


def _record_indices(assignment: _Assignment) -> dict[str, tuple[int, ...]]:
    return {
        name: tuple(r.index for r in value if isinstance(r, ir.Record))
        for name, value in assignment.items()
        if isinstance(value, tuple)
    }


def _key(assignment: _Assignment) -> _Key:
    out: list[tuple[str, object]] = []
    for name in sorted(assignment):
        value = assignment[name]
        if isinstance(value, tuple):
            out.append((name, ("records", *(r.index for r in value if isinstance(r, ir.Record)))))
        elif isinstance(value, ir.Ordinal | ir.EnumValue):
            out.append((name, (type(value).__name__, value.rank)))
        else:
            out.append((name, (type(value).__name__, value)))
    return tuple(out)


# --- verification ------------------------------------------------------------------------------------------------


class _Checker:
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
        self.cache: dict[_Key, Result | None] = {}

    def result(self, assignment: _Assignment) -> Result | None:
        """The result of the evidence with ``assignment`` applied; None when the changed evidence is invalid."""
        key = _key(assignment)
        if key not in self.cache:
            values = {**self.typed.values, **assignment}
            origins = {**self.typed.origins, **dict.fromkeys(assignment, "evidence")}
            if any(_breaks_bound(values, fdef) for fdef in self.subject.fields):
                self.cache[key] = None
            else:
                trace = interpreter.evaluate(self.program, self.kind, values, origins, self.period)
                self.cache[key] = _result(self.program, self.kind, trace, self.period)
        return self.cache[key]

    def works(self, assignment: _Assignment) -> bool:
        result = self.result(assignment)
        return result is not None and reaches(self.program, result, self.target)

    def verified(self, assignment: _Assignment) -> Result | None:
        """The result of the raw evidence with the changes written in, as ``api.evaluate`` gives it; None when the
        changed evidence is invalid."""
        raw = dict(self.raw)
        for name, value in assignment.items():
            raw[name] = _raw(self.program, self.raw, name, value)
        try:
            return _evaluate(self.program, self.kind, raw, self.period)
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


def _evaluate(program: ir.Program, kind: str, raw: Mapping[str, object], period: ir.Period) -> Result:
    typed = validate_evidence(program, kind, raw)
    return _result(program, kind, interpreter.evaluate(program, kind, typed.values, typed.origins, period), period)


def _current(result: Result) -> str:
    outcome = result.outcome
    if outcome.status is Status.CLASSIFIED and outcome.level is not None:
        return outcome.level
    return NOT_CLASSIFIED if outcome.status is Status.NOT_CLASSIFIED else INSUFFICIENT_EVIDENCE


# --- minimality and exactness ------------------------------------------------------------------------------------


def _minimize(assignment: _Assignment, search: _Search, checker: _Checker) -> _Assignment | None:
    """Drop every change the target does not need (each tried once), tighten every value to its boundary, then
    replace the set by a strict subset that still reaches the target, until none does."""
    current = dict(assignment)
    for _ in range(len(assignment) + 1):
        for name in list(current):
            trial = {n: v for n, v in current.items() if n != name}
            if trial and checker.works(trial):
                current = trial
        current = _tighten(current, search, checker)
        smaller = _working_subset(current, search, checker)
        if smaller is None:
            return current
        current = smaller
    return None


def _working_subset(assignment: _Assignment, search: _Search, checker: _Checker) -> _Assignment | None:
    """A strict subset of the changes that still reaches the target (smallest first), or None.

    Every strict subset is tried for up to ``EXHAUSTIVE_MINIMALITY`` changes. Beyond, the subsets missing one
    change, or any part of a group of changes tied by ``at_most`` bounds (such changes only make sense together:
    without the others, the evidence may break its bounds).
    """
    names = list(assignment)
    n = len(names)
    if n <= EXHAUSTIVE_MINIMALITY:
        removals: Iterable[tuple[str, ...]] = (
            tuple(r) for size in range(n - 1, 0, -1) for r in itertools.combinations(names, size)
        )
    else:
        removals = dict.fromkeys(
            [
                *((name,) for name in names),
                *(
                    r
                    for group in _tied(names, search.subject)
                    for size in range(2, len(group) + 1)
                    for r in itertools.combinations(group, size)
                ),
            ]
        )
    for removal in removals:
        smaller = {name: value for name, value in assignment.items() if name not in removal}
        if smaller and checker.works(smaller):
            return smaller
    return None


def _tied(names: Sequence[str], subject: ir.SubjectProgram) -> list[tuple[str, ...]]:
    """The groups (of two or more, at most four) of changed fields connected by ``at_most`` bounds."""
    group_of = {name: {name} for name in names}
    for fdef in subject.fields:
        other = fdef.at_most_field
        if other in group_of and fdef.id in group_of and group_of[fdef.id] is not group_of[other]:
            merged = group_of[fdef.id] | group_of[other]
            for name in merged:
                group_of[name] = merged
    groups = {tuple(n for n in names if n in g) for g in group_of.values() if 2 <= len(g) <= 4}
    return sorted(groups)


def _tighten(assignment: _Assignment, search: _Search, checker: _Checker) -> _Assignment:
    """Move each whole-number or graded value back toward the evidence while the target is still reached, so a
    value one step closer to the evidence no longer reaches it."""
    current = dict(assignment)
    for name in assignment:
        before = search.values.get(name)
        if before is None:
            continue
        for _ in range(_TIGHTEN_STEPS):
            closer = _step_back(search, name, current[name], before)
            if closer is None or _same(closer, before):
                break
            trial = {**current, name: closer}
            if not checker.works(trial):
                break
            current = trial
    return current


def _step_back(search: _Search, name: str, value: ir.Value, before: ir.Value) -> ir.Value | None:
    fdef = search.subject.field_def(name)
    if fdef is None:
        return None
    if isinstance(value, Fraction) and isinstance(before, Fraction) and value.denominator == 1:
        if not (isinstance(fdef.type, ir.NumberType) and fdef.type.integer):
            return None
        return value - 1 if value > before else value + 1
    if isinstance(value, ir.Ordinal | ir.EnumValue) and isinstance(before, ir.Ordinal | ir.EnumValue):
        ranked = {_rank(x): x for x in search.candidates(fdef)}
        rank = value.rank - 1 if value.rank > before.rank else value.rank + 1
        return ranked.get(rank)
    return None


def _undominated(assignments: list[_Assignment], search: _Search) -> list[_Assignment]:
    """Drop a set when another changes the same fields, each at least as close to the evidence."""

    def distance(name: str, value: ir.Value) -> tuple[int, Fraction]:
        before = search.values.get(name)
        if isinstance(value, Fraction) and isinstance(before, Fraction):
            return (1 if value > before else -1), abs(value - before)
        if isinstance(value, ir.Ordinal | ir.EnumValue) and isinstance(before, ir.Ordinal | ir.EnumValue):
            return (1 if value.rank > before.rank else -1), Fraction(abs(value.rank - before.rank))
        if isinstance(value, tuple):
            return 0, Fraction(-len(value))
        return 0, Fraction(0)

    def dominates(a: _Assignment, b: _Assignment) -> bool:
        if set(a) != set(b) or _key(a) == _key(b):
            return False
        for name in a:
            (da, xa), (db, xb) = distance(name, a[name]), distance(name, b[name])
            if da != db or xa > xb or (da == 0 and not _same(a[name], b[name]) and xa == xb):
                return False
        return True

    return [b for b in assignments if not any(dominates(a, b) for a in assignments)]


# --- change sets and their texts ---------------------------------------------------------------------------------


def _order(change_set: ChangeSet) -> tuple[int, int]:
    """Fewest changes first, then fewest recorded facts."""
    return len(change_set.changes), sum(not c.actionable for c in change_set.changes)


def _change_set(found: _Found, search: _Search, checker: _Checker) -> ChangeSet | None:
    """The change set of a minimal set, when re-evaluating the raw evidence with it confirms the target."""
    assignment = found.assignment
    result = checker.verified(assignment)
    if result is None or not reaches(search.program, result, search.target):
        return None
    outcome = result.outcome
    level = outcome.level if outcome.level is not None else min(outcome.possible, key=search.program.levels.rank)
    positions = {f.id: i for i, f in enumerate(search.subject.fields)}
    out: list[FieldChange] = []
    for name in sorted(assignment, key=lambda n: positions.get(n, len(positions))):
        fdef = search.subject.field_def(name)
        assert fdef is not None
        accepted = []
        if name not in search.values:  # a missing field: say which of its values reach the target
            accepted = [x for x in search.candidates(fdef) if checker.works({**assignment, name: x})]
        out.append(_field_change(search, fdef, assignment[name], found.domains.get(name), accepted))
    return ChangeSet(tuple(out), level)


def _field_change(
    search: _Search, fdef: ir.FieldDef, value: ir.Value, domain: _Domain | None, accepted: Sequence[ir.Value]
) -> FieldChange:
    """One change with its texts; ``accepted`` are the values of a yes/no, scale or enum field that reach the
    target with the other changes of the set."""
    name = fdef.id
    old = search.values.get(name)
    before: object = None
    if name in search.raw:
        before = search.raw[name]
    elif old is not None:  # the declared default
        before = _raw(search.program, search.raw, name, old)
    kind: ChangeKind
    actionable = True
    match fdef.type:
        case _ if old is None:
            kind = "missing"
        case ir.NumberType():
            kind = "numeric"
        case ir.OrdinalType() | ir.EnumType() | ir.DateType() | ir.TextType() | ir.PeriodType():
            kind = "judgement"
        case ir.BoolType():
            kind = "flag"
            actionable = fdef.judgement  # a yes/no that is not a judgement is a recorded fact
        case ir.RecordsType():
            kind = "records"
            actionable = False
        case _:
            assert_never(fdef.type)
    requirement = _requirement(search, fdef, value, domain, accepted)
    text = _describe(search.program, fdef, kind, old, value, requirement, actionable)
    return FieldChange(name, before, _raw(search.program, search.raw, name, value), kind, actionable, text)


def _raw(program: ir.Program, raw: Mapping[str, object], name: str, value: ir.Value | None) -> object:
    """A typed value as raw evidence: numbers as int (or an exact decimal), grades by their Vietnamese label,
    levels by their code, records as the raw records that remain."""
    match value:
        case None:
            return None
        case bool():
            return value
        case Fraction():
            if value.denominator == 1:
                return int(value)
            as_float = float(value)
            return as_float if Fraction(repr(as_float)) == value else value
        case ir.Ordinal(scale=scale_id, id=value_id):
            if scale_id == ir.LEVEL_SCALE:
                return program.level_code(value_id)
            for v in program.scales[scale_id].values:
                if v.id == value_id:
                    return v.label.vi
            return value_id
        case ir.EnumValue(name=enum_id, id=value_id):
            enum = program.enums.get(enum_id)
            for v in enum.values if enum else ():
                if v.id == value_id:
                    return v.label.vi
            return value_id
        case date():
            return value.isoformat()
        case tuple():
            items = raw.get(name)
            originals = list(items) if isinstance(items, list | tuple) else []
            return [originals[r.index] for r in value if isinstance(r, ir.Record) and r.index < len(originals)]
        case ir.Period():
            return {"start": value.start.isoformat(), "end": value.end.isoformat(), "kind": value.kind}
        case str():
            return value
        case _:
            assert_never(value)


def _describe(
    program: ir.Program,
    fdef: ir.FieldDef,
    kind: ChangeKind,
    old: ir.Value | None,
    new: ir.Value,
    requirement: ir.Text,
    actionable: bool,
) -> ir.Text:
    name = fdef.id

    def show(value: ir.Value | None, lang: str) -> str:
        return _show(program, value, lang)

    def technical(lang: str) -> str:
        if isinstance(new, tuple):
            count_old = len(old) if isinstance(old, tuple) else 0
            unit = "quyết định" if lang == "vi" else "records"
            return f"({name}: {count_old} → {len(new)} {unit})"
        return f"({name}: {show(old, lang)} → {show(new, lang)})"

    label_vi, label_en = _plain(fdef.label.vi), _plain(fdef.label.en)
    match kind:
        case "missing":
            text = ir.Text(
                f"Cần bổ sung {label_vi} ({name}): {requirement.vi}",
                f"{label_en} ({name}) must be supplied: {requirement.en}",
            )
        case "numeric" if isinstance(new, Fraction) and isinstance(old, Fraction) and _is_count(fdef):
            difference = abs(new - old)
            noun_vi, noun_en = _noun(label_vi, "vi"), _noun(label_en, "en")
            more = new > old
            text = ir.Text(
                f"Cần {'thêm' if more else 'bớt'} {show(difference, 'vi')} {noun_vi} {technical('vi')}",
                f"{show(difference, 'en')} {'more' if more else 'fewer'} {noun_en} {technical('en')}",
            )
        case "numeric":
            text = ir.Text(
                f"{label_vi} phải {requirement.vi} {technical('vi')}",
                f"{label_en} would have to be {requirement.en} {technical('en')}",
            )
        case "judgement" if fdef.judgement:
            text = ir.Text(
                f"{label_vi} phải được đánh giá mức “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en} would have to be graded “{show(new, 'en')}” {technical('en')}",
            )
        case "judgement":
            text = ir.Text(
                f"{label_vi} phải là “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en} would have to be “{show(new, 'en')}” {technical('en')}",
            )
        case "flag":
            text = ir.Text(
                f"{label_vi}: phải là “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en}: would have to be “{show(new, 'en')}” {technical('en')}",
            )
        case "records":
            removed = _removed(program, fdef, old, new)
            text = ir.Text(
                f"{label_vi}: {removed.vi} phải không có hoặc không được tính trong kỳ đánh giá {technical('vi')}",
                f"{label_en}: {removed.en} would have to be absent or not count in the period {technical('en')}",
            )
        case _:
            assert_never(kind)
    if not actionable:
        text = ir.Text(
            f"{text.vi} — sự kiện đã được ghi nhận, không phải việc có thể khắc phục",
            f"{text.en} — a recorded fact, not actionable",
        )
    return text


def _is_count(fdef: ir.FieldDef) -> bool:
    return isinstance(fdef.type, ir.NumberType) and fdef.type.integer


def _requirement(
    search: _Search, fdef: ir.FieldDef, value: ir.Value, domain: _Domain | None, accepted: Sequence[ir.Value]
) -> ir.Text:
    """What the field's value must be: for a number, the bound solved for it ("under 3 (for example 2.9)"); for
    a yes/no, scale or enum field, the values that reach the target with the rest of the set ("“Tốt” or
    better")."""
    program = search.program
    everything = search.candidates(fdef)
    shown = ir.Text(_show(program, value, "vi"), _show(program, value, "en"))
    if everything and accepted:
        ranks = [_rank(x) for x in accepted]
        low = min(accepted, key=_rank)
        low_shown = ir.Text(_show(program, low, "vi"), _show(program, low, "en"))
        top = max(_rank(x) for x in everything)
        if isinstance(value, bool) or len(accepted) == 1:
            return ir.Text(f"“{shown.vi}”", f"“{shown.en}”")
        if ranks == list(range(min(ranks), top + 1)):
            return ir.Text(f"“{low_shown.vi}” trở lên", f"“{low_shown.en}” or better")
        listed = [ir.Text(_show(program, x, "vi"), _show(program, x, "en")) for x in accepted]
        return ir.Text(
            "một trong " + ", ".join(f"“{t.vi}”" for t in listed), "one of " + ", ".join(f"“{t.en}”" for t in listed)
        )
    match domain:
        case _Num(points=None) if domain.lo is not None or domain.hi is not None:
            parts = []
            if domain.lo is not None:
                lo = ir.Text(_show(program, domain.lo, "vi"), _show(program, domain.lo, "en"))
                parts.append(
                    ir.Text(f"trên {lo.vi}", f"over {lo.en}")
                    if domain.lo_open
                    else ir.Text(f"từ {lo.vi} trở lên", f"at least {lo.en}")
                )
            if domain.hi is not None:
                hi = ir.Text(_show(program, domain.hi, "vi"), _show(program, domain.hi, "en"))
                parts.append(
                    ir.Text(f"dưới {hi.vi}", f"under {hi.en}")
                    if domain.hi_open
                    else ir.Text(f"không quá {hi.vi}", f"at most {hi.en}")
                )
            return ir.Text(
                f"{' và '.join(p.vi for p in parts)} (ví dụ {shown.vi})",
                f"{' and '.join(p.en for p in parts)} (for example {shown.en})",
            )
        case _Records():
            return ir.Text("danh sách không có quyết định nào được tính", "a list with no record that counts")
        case _:
            return ir.Text(f"“{shown.vi}”", f"“{shown.en}”")


def _removed(program: ir.Program, fdef: ir.FieldDef, old: ir.Value | None, new: ir.Value) -> ir.Text:
    kept = {r.index for r in new if isinstance(r, ir.Record)} if isinstance(new, tuple) else set()
    gone = [r for r in old if isinstance(r, ir.Record) and r.index not in kept] if isinstance(old, tuple) else []
    record_def = program.records.get(fdef.type.record) if isinstance(fdef.type, ir.RecordsType) else None

    def describe(record: ir.Record, lang: str) -> str:
        fields = record_def.fields if record_def else ()
        shown = [_show(program, record.values[f.id], lang) for f in fields if f.id in record.values]
        return ", ".join(s for s in shown if s not in ("không", "no"))

    noun = record_def.label if record_def else ir.Text("bản ghi", "record")
    return ir.Text(
        "; ".join(f"{noun.vi} ({describe(r, 'vi')})" for r in gone) or noun.vi,
        "; ".join(f"the {noun.en.lower()} ({describe(r, 'en')})" for r in gone) or noun.en,
    )


def _show(program: ir.Program, value: ir.Value | None, lang: str) -> str:
    match value:
        case None:
            return "(thiếu)" if lang == "vi" else "(missing)"
        case bool():
            return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
        case Fraction():
            shown = interpreter.display(value)
            text = str(shown)
            return text.replace(".", ",") if lang == "vi" else text
        case ir.Ordinal(scale=scale_id, id=value_id):
            if scale_id == ir.LEVEL_SCALE:
                return program.level_code(value_id)
            for v in program.scales[scale_id].values:
                if v.id == value_id:
                    return v.label.get(lang)
            return value_id
        case ir.EnumValue(name=enum_id, id=value_id):
            enum = program.enums.get(enum_id)
            for v in enum.values if enum else ():
                if v.id == value_id:
                    return v.label.get(lang)
            return value_id
        case date():
            return value.isoformat()
        case tuple():
            return str(len(value))
        case ir.Period() | str():
            return str(value)
        case _:
            assert_never(value)


def _plain(label: str) -> str:
    """A label without its trailing parenthetical remark."""
    if label.endswith(")") and " (" in label:
        return label[: label.rindex(" (")]
    return label


def _noun(label: str, lang: str) -> str:
    """A count's label as the noun after "2 more": "Số chỉ tiêu đã hoàn thành" → "chỉ tiêu đã hoàn thành"."""
    text = label
    if lang == "vi":
        for prefix in ("Số ", "Tổng số "):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


# --- self-assessment -----------------------------------------------------------------------------------------------

Comparison = Literal["same", "above", "below", "undetermined", "not_classified"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a self-assessed level differs from the computed one.

    ``kind``: ``failed_rule`` (a rule of the proposed level that failed), ``unknown_rule`` (one that could not be
    decided), ``trigger`` (a not-completed trigger that held), ``cap`` (a cap that lowered the level below the
    proposal), ``quota`` (a quota of a population run that lowered it), ``not_classified`` (an eligibility rule
    that held), ``missing`` (evidence still needed), or ``allows_more`` (the rules give a better level than
    proposed).
    """

    kind: Literal["failed_rule", "unknown_rule", "trigger", "cap", "quota", "not_classified", "missing", "allows_more"]
    id: str
    text: ir.Text


@dataclass(frozen=True, slots=True)
class SelfAssessment:
    """The subject's proposed level beside the computed outcome, with the reasons for a difference."""

    proposed: str
    computed: str  # a level id, ``not_classified`` or ``insufficient_evidence``
    comparison: Comparison
    reasons: tuple[Reason, ...]
    text: ir.Text

    def to_json(self) -> dict[str, object]:
        """The comparison as plain data, both languages kept."""
        return {
            "proposed": self.proposed,
            "computed": self.computed,
            "comparison": self.comparison,
            "text": {"vi": self.text.vi, "en": self.text.en},
            "reasons": [{"kind": r.kind, "id": r.id, "text": {"vi": r.text.vi, "en": r.text.en}} for r in self.reasons],
        }


def compare_self_assessment(result: Result, program: ir.Program, proposed_level: str) -> SelfAssessment:
    """Compare the level the subject proposed (an id, code or label) with the computed one.

    Above the computed level: the failed rules of the proposed level, and the triggers, caps or eligibility rules
    that decided. Below it: the fact that the rules allow more. Undetermined when missing evidence leaves both
    possible.
    """
    proposed = level_id(program, proposed_level)
    levels = program.levels
    outcome = result.outcome
    subject = program.subjects[result.subject_kind]
    root = result.trace
    stages = {n.kind: n for n in root.children if n.kind is not NodeKind.LEVEL}
    shown_p = _level_text(program, proposed)
    reasons: list[Reason] = []

    if outcome.status is Status.NOT_CLASSIFIED:
        for node in stages[NodeKind.ELIGIBILITY].children:
            if node.truth is Truth.MET:
                reasons.append(Reason("not_classified", node.id, _rule_text(subject, node.id, failed=False)))
        text = ir.Text(
            f"Đối tượng không được xếp loại, nên không so sánh được với mức tự đánh giá {shown_p.vi}.",
            f"The subject is not classified, so the self-assessed level {shown_p.en} cannot be compared.",
        )
        return SelfAssessment(proposed, NOT_CLASSIFIED, "not_classified", tuple(reasons), text)

    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        possible = [p for p in outcome.possible if p != NOT_CLASSIFIED]
        ranks = [levels.rank(p) for p in possible]
        if possible and levels.rank(proposed) > max(ranks) and NOT_CLASSIFIED not in outcome.possible:
            reasons.extend(_why_below(program, subject, root, proposed))
            comparison: Comparison = "above"
        elif possible and levels.rank(proposed) < min(ranks) and NOT_CLASSIFIED not in outcome.possible:
            comparison = "below"
        else:
            comparison = "undetermined"
        for name in outcome.missing:
            fdef = subject.field_def(name)
            label = fdef.label if fdef else ir.Text(name, name)
            reasons.append(
                Reason(
                    "missing", name, ir.Text(f"Thiếu thông tin: {label.vi} ({name})", f"Missing: {label.en} ({name})")
                )
            )
        listed = ", ".join(program.level_code(p) if p != NOT_CLASSIFIED else p for p in outcome.possible)
        text = ir.Text(
            f"Chưa đủ căn cứ để xếp loại (có thể là {listed}); mức tự đánh giá là {shown_p.vi}.",
            f"Insufficient evidence to classify (possible: {listed}); the self-assessed level is {shown_p.en}.",
        )
        return SelfAssessment(proposed, INSUFFICIENT_EVIDENCE, comparison, tuple(reasons), text)

    computed = outcome.level
    assert computed is not None
    shown_c = _level_text(program, computed)
    if proposed == computed:
        text = ir.Text(
            f"Mức tự đánh giá {shown_p.vi} trùng với kết quả xếp loại.",
            f"The self-assessed level {shown_p.en} matches the computed level.",
        )
        return SelfAssessment(proposed, computed, "same", (), text)
    if levels.rank(proposed) < levels.rank(computed):
        reason = ir.Text(
            f"Theo các quy tắc, đối tượng đạt mức {shown_c.vi}, cao hơn mức tự đánh giá {shown_p.vi}.",
            f"Under the rules the subject reaches {shown_c.en}, above the self-assessed {shown_p.en}.",
        )
        text = ir.Text(
            f"Mức tự đánh giá {shown_p.vi} thấp hơn kết quả xếp loại {shown_c.vi}: các quy tắc cho phép mức cao hơn.",
            f"The self-assessed level {shown_p.en} is below the computed level {shown_c.en}: the rules allow more.",
        )
        return SelfAssessment(proposed, computed, "below", (Reason("allows_more", computed, reason),), text)
    reasons.extend(_why_below(program, subject, root, proposed))
    text = ir.Text(
        f"Mức tự đánh giá {shown_p.vi} cao hơn kết quả xếp loại {shown_c.vi}.",
        f"The self-assessed level {shown_p.en} is above the computed level {shown_c.en}.",
    )
    return SelfAssessment(proposed, computed, "above", tuple(reasons), text)


def _why_below(program: ir.Program, subject: ir.SubjectProgram, root: TraceNode, proposed: str) -> list[Reason]:
    """Why the subject does not reach ``proposed``: triggers that held, the proposed level's failed (or undecided)
    rules, and caps and quotas that lower the level below it."""
    reasons: list[Reason] = []
    levels = program.levels
    for stage in root.children:
        if stage.kind is NodeKind.TRIGGERS:
            for node in stage.children:
                if node.truth is Truth.MET:
                    reasons.append(Reason("trigger", node.id, _rule_text(subject, node.id, failed=False)))
        elif stage.kind is NodeKind.LEVEL and stage.level == proposed:
            for node in stage.children:
                if node.truth is Truth.NOT_MET:
                    reasons.append(Reason("failed_rule", node.id, _rule_text(subject, node.id, failed=True)))
                elif node.truth is Truth.UNKNOWN:
                    reasons.append(Reason("unknown_rule", node.id, _rule_text(subject, node.id, failed=None)))
        elif stage.kind is NodeKind.QUOTA and stage.truth is Truth.NOT_MET and stage.level is not None:
            if levels.rank(stage.level) < levels.rank(proposed):
                label = stage.label or ir.Text(stage.id, stage.id)
                code = program.level_code(stage.level)
                reasons.append(
                    Reason(
                        "quota",
                        stage.id,
                        ir.Text(f"Tỷ lệ: {label.vi} (hạ xuống {code})", f"Quota: {label.en} (lowered to {code})"),
                    )
                )
        elif stage.kind is NodeKind.CAPS:
            for node in stage.children:
                bound = node.level
                if node.truth is Truth.MET and bound is not None and levels.rank(bound) < levels.rank(proposed):
                    cap = next((c for c in subject.caps if c.id == node.id), None)
                    label = cap.label if cap else ir.Text(node.id, node.id)
                    code = program.level_code(bound)
                    reasons.append(
                        Reason(
                            "cap",
                            node.id,
                            ir.Text(f"Giới hạn mức: {label.vi} (tối đa {code})", f"Cap: {label.en} (at most {code})"),
                        )
                    )
    return reasons


def _rule_text(subject: ir.SubjectProgram, rule_id: str, failed: bool | None) -> ir.Text:
    rule = subject.rules.get(rule_id)
    if rule is None:
        return ir.Text(rule_id, rule_id)
    if failed is True:
        detail = rule.fail or rule.label
        return ir.Text(f"Chưa đạt: {detail.vi}", f"Not met: {detail.en}")
    if failed is None:
        return ir.Text(f"Chưa xác định được: {rule.label.vi}", f"Could not be decided: {rule.label.en}")
    return ir.Text(rule.label.vi, rule.label.en)


def _level_text(program: ir.Program, level: str) -> ir.Text:
    label = program.level_label(level)
    code = program.level_code(level)
    return ir.Text(f"“{label.vi}” ({code})", f"“{label.en}” ({code})")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()
