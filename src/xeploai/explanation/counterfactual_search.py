"""Counterfactual search: the minimal sets of evidence changes that reach a level.

Input: a program, a subject kind, the typed evidence and the trace of its result, a target level. Output: minimal
assignments of new field values, each with the values its fields could take. Candidates are derived from the IR:
the failed rules of the target level (and of the levels above it), the triggers and not-classified rules that
hold, and the caps that lower, are walked down to their leaf comparisons, each leaf is solved for the fields it
reads, and the solutions are combined along the and/or structure; every candidate is re-evaluated
(``counterfactual_checker``) and minimised.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import assert_never

from xeploai.evaluation.trace import NodeKind, Result, TraceNode, Truth
from xeploai.explanation.counterfactual_checker import Checker, reaches
from xeploai.explanation.counterfactual_domains import (
    TIGHTEN_STEPS,
    Assignment,
    Domain,
    Finite,
    Key,
    Num,
    Records,
    assignment_key,
    comparison_holds,
    intersect,
    operand_value,
    pick_number,
    record_indices,
    same_value,
    solve_linear,
    value_rank,
    with_bounds,
)
from xeploai.program import ir

# Bounds of the search: candidate combinations tried (over all repair rounds), repair rounds, and the size up to
# which a set is checked against every strict subset (larger ones: every subset missing one change, or any part
# of a group of changes tied by at_most bounds).
MAX_COMBINATIONS = 128
REPAIR_ROUNDS = 2
EXHAUSTIVE_MINIMALITY = 4
_FIXPOINT_ROUNDS = 8


# --- needs -------------------------------------------------------------------------------------------------------


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
class Found:
    """A minimal set: the position of the candidate it came from, its values, and the values each of its fields
    could take in that candidate (for the texts)."""

    position: int
    assignment: Assignment
    domains: Mapping[str, Domain]


# --- the search --------------------------------------------------------------------------------------------------


@dataclass
class Search:
    """One search for the changes that reach ``target``: the goal as needs, candidates solved from it, verified and
    minimised; records what bounded it (``truncated``, ``unsolved``)."""

    program: ir.Program
    subject: ir.SubjectProgram
    values: Mapping[str, ir.Value]  # the typed evidence, defaults included
    raw: Mapping[str, object]
    period: ir.Period
    target: str
    max_combinations: int
    truncated: bool = False
    unsolved: list[str] = field(default_factory=list)
    memo: dict[tuple[_Need, tuple[object, ...]], Domain | None] = field(default_factory=dict)
    at_least: dict[str, ir.Compare] = field(default_factory=dict)  # per cap: its bound is at least the target

    # --- the goal, as alternatives of needs --------------------------------------------------------------------

    def goal(self, result: Result, changed: Assignment, record: bool) -> list[_Alternative]:
        """Every way, as derived from the IR and the trace of ``result`` (the evidence with ``changed`` applied),
        to reach at least the target.

        The not-classified rules and (above the lowest level) the triggers must fail; the rules of the target or of
        a better level must all hold; every cap that could lower the level below the target must not hold, or its
        bound must be at least the target.
        """
        root = result.trace
        stages = {n.kind: n for n in root.children if n.kind is not NodeKind.LEVEL}
        deriver = _Deriver(self, {**self.values, **changed}, record_indices(changed))
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

    def run(self, checker: Checker, base: Result, limit: int) -> tuple[list[Found], bool]:
        """Minimal sets, each with the position of its candidate in derivation order and the values its fields
        could take there, and whether more sets may exist.

        Candidates are solved from the goal, then verified by re-evaluation smallest first, and each verified one
        is minimised; the search stops once ``limit`` sets are found and no smaller candidate is left (candidates
        are built with one change per failing condition and seldom shrink). A candidate that falls short is
        repaired from the goal of its own evaluation, up to ``REPAIR_ROUNDS`` times, while sets are missing.
        """
        found: dict[Key, Found] = {}
        tried: set[frozenset[_Need]] = set()
        solved: set[Key] = set()
        frontier: list[tuple[_Alternative, Result, Assignment]] = [((), base, {})]
        budget = self.max_combinations
        more = False
        for depth in range(REPAIR_ROUNDS + 1):
            pool: list[tuple[int, _Alternative, Assignment, dict[str, Domain]]] = []
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
                    if answer is None or not answer[0] or assignment_key(answer[0]) in solved:
                        continue
                    solved.add(assignment_key(answer[0]))
                    pool.append((len(solved), needs, *answer))
            following: list[tuple[_Alternative, Result, Assignment]] = []
            for position, needs, assignment, domains in sorted(pool, key=lambda item: (len(item[2]), item[0])):
                kept = undominated([f.assignment for f in found.values()], self)
                if len(kept) >= limit and len(assignment) >= max(len(a) for a in kept):
                    more = True
                    break
                evaluated = checker.result(assignment)
                if evaluated is None:
                    continue
                if reaches(self.program, evaluated, self.target):
                    reduced = _minimize(assignment, self, checker)
                    if reduced is not None:
                        found.setdefault(assignment_key(reduced), Found(position, reduced, domains))
                else:
                    following.append((needs, evaluated, assignment))
            if more or len(found) >= limit:
                break
            frontier = following
        return list(found.values()), more

    # --- solving needs for values ------------------------------------------------------------------------------

    def solve(self, needs: Sequence[_Need]) -> tuple[Assignment, dict[str, Domain]] | None:
        """The values closest to the evidence that satisfy every need, and the values each field could take,
        found by fixpoint: each field's need is solved with the other fields at their latest values, and a field
        pushed past its ``at_most`` bound (or a bound pushed below it) brings the other field along. None when the
        needs conflict."""
        domains: dict[str, Domain] = {}
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
                domain: Domain | None = None
                for need in field_needs:
                    domain = intersect(domain, self.solved(need, fdef, values))
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
            if name in values and (name not in self.values or not same_value(values[name], self.values[name]))
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

    def solved(self, need: _Need, fdef: ir.FieldDef, values: Mapping[str, ir.Value]) -> Domain | None:
        """``domain``, memoised on the need and the values of the other fields its condition reads."""
        key = (
            need,
            tuple(assignment_key({n: values[n]}) for n in _reads(need.cond) if n != need.varies and n in values),
        )
        if key not in self.memo:
            self.memo[key] = self.domain(need, fdef, values)
        return self.memo[key]

    def domain(self, need: _Need, fdef: ir.FieldDef, values: Mapping[str, ir.Value]) -> Domain | None:
        """The values of ``need.varies`` that satisfy the need, the other fields at ``values``."""
        cond = need.cond
        match cond:
            case ir.Compare(ops=(op,), operands=(left, right)):
                if isinstance(fdef.type, ir.NumberType | ir.RecordsType):
                    return solve_linear(op, left, right, fdef, values)
                allowed = [
                    x
                    for x in self.candidates(fdef)
                    if comparison_holds(
                        op, operand_value(left, {**values, fdef.id: x}), operand_value(right, {**values, fdef.id: x})
                    )
                ]
                return Finite(tuple(allowed))
            case ir.FieldRef():
                return Finite((need.want,))
            case ir.Member(options=options, negated=negated):
                choices = [operand_value(o, values) for o in options]
                if any(c is None for c in choices):
                    return None
                if isinstance(fdef.type, ir.NumberType):
                    numbers = frozenset(c for c in choices if isinstance(c, Fraction))
                    inside = need.want != negated
                    return Num(points=numbers) if inside else Num(excluded=numbers)
                allowed = [x for x in self.candidates(fdef) if ((x in choices) != negated) == need.want]
                return Finite(tuple(allowed))
            case ir.Exists():
                return Records(remove=frozenset(need.remove))
            case ir.Known():
                if isinstance(fdef.type, ir.NumberType):
                    return Num()
                if isinstance(fdef.type, ir.RecordsType):
                    return Records()
                return Finite(tuple(self.candidates(fdef)))
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

    def pick(self, fdef: ir.FieldDef, domain: Domain) -> ir.Value | None:
        """The value of ``domain`` closest to the field's present value, or, for a missing field, the one just
        meeting the requirement."""
        before = self.values.get(fdef.id)
        match domain:
            case Num():
                if not isinstance(fdef.type, ir.NumberType):
                    return None
                old = before if isinstance(before, Fraction) else None
                return pick_number(with_bounds(domain, fdef), domain, old, fdef.type.integer)
            case Finite(allowed=allowed):
                if not allowed:
                    return None
                if before is not None and before in allowed:
                    return before
                if before is not None:
                    r = value_rank(before)
                    return min(allowed, key=lambda x: (abs(value_rank(x) - r), -value_rank(x)))
                everything = self.candidates(fdef)
                ranks = sorted(value_rank(x) for x in allowed)
                down_set = ranks == list(range(ranks[-1] + 1)) and len(ranks) < len(everything)
                return allowed[-1] if down_set else allowed[0]
            case Records(remove=remove, max_count=max_count, min_count=min_count):
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

    search: Search
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
                | ir.Sum()
            ):
                return []
            case _:
                assert_never(expr)

    def compare(self, expr: ir.Compare, want: bool) -> list[_Alternative]:
        """A chained comparison is the conjunction of its pairs; each pair is solved for each field it reads."""
        pairs = list(zip(expr.ops, expr.operands, expr.operands[1:], strict=False))
        per_pair: list[list[_Alternative]] = []
        for op, left, right in pairs:
            holds = comparison_holds(op, operand_value(left, self.values), operand_value(right, self.values))
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
                if domain is not None and domain != Finite(()):
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


# --- minimality and exactness ------------------------------------------------------------------------------------


def _minimize(assignment: Assignment, search: Search, checker: Checker) -> Assignment | None:
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


def _working_subset(assignment: Assignment, search: Search, checker: Checker) -> Assignment | None:
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


def _tighten(assignment: Assignment, search: Search, checker: Checker) -> Assignment:
    """Move each whole-number or graded value back toward the evidence while the target is still reached, so a
    value one step closer to the evidence no longer reaches it."""
    current = dict(assignment)
    for name in assignment:
        before = search.values.get(name)
        if before is None:
            continue
        for _ in range(TIGHTEN_STEPS):
            closer = _step_back(search, name, current[name], before)
            if closer is None or same_value(closer, before):
                break
            trial = {**current, name: closer}
            if not checker.works(trial):
                break
            current = trial
    return current


def _step_back(search: Search, name: str, value: ir.Value, before: ir.Value) -> ir.Value | None:
    fdef = search.subject.field_def(name)
    if fdef is None:
        return None
    if isinstance(value, Fraction) and isinstance(before, Fraction) and value.denominator == 1:
        if not (isinstance(fdef.type, ir.NumberType) and fdef.type.integer):
            return None
        return value - 1 if value > before else value + 1
    if isinstance(value, ir.Ordinal | ir.EnumValue) and isinstance(before, ir.Ordinal | ir.EnumValue):
        ranked = {value_rank(x): x for x in search.candidates(fdef)}
        rank = value.rank - 1 if value.rank > before.rank else value.rank + 1
        return ranked.get(rank)
    return None


def undominated(assignments: list[Assignment], search: Search) -> list[Assignment]:
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

    def dominates(a: Assignment, b: Assignment) -> bool:
        if set(a) != set(b) or assignment_key(a) == assignment_key(b):
            return False
        for name in a:
            (da, xa), (db, xb) = distance(name, a[name]), distance(name, b[name])
            if da != db or xa > xb or (da == 0 and not same_value(a[name], b[name]) and xa == xb):
                return False
        return True

    return [b for b in assignments if not any(dominates(a, b) for a in assignments)]
