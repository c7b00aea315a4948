"""Whole-framework analysis, the search for one subject kind: a program, a kind, a period, a seeded random source
and a budget of evaluations → the evidence documents tried and what they showed (the truth of each condition, the
levels reached and the closest misses, pairs of conditions, better evidence that gave a worse level).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import assert_never

from xeploai.analysis.domains import ENUMERATION_LIMIT, OMIT, Assignment, Domains, raw_number
from xeploai.analysis.polarity import Polarity
from xeploai.analysis.walk import declared_better, path_text
from xeploai.evaluation import inputs
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Status, TraceNode, Truth
from xeploai.program import ir

_WITNESSES = 6  # evidence kept per rule and truth
_POOL = 400  # evaluated documents kept for mutation and monotonicity


@dataclass
class Sample:
    assignment: Assignment
    outcome: Outcome
    truths: dict[str, Truth]

    @property
    def level(self) -> str | None:
        return self.outcome.level if self.outcome.status is Status.CLASSIFIED else None


@dataclass
class Violation:
    before: Sample
    after: Sample
    path: tuple[str, ...]
    sign: int
    culprits: tuple[str, ...]


class Explorer:
    """The search for one subject kind: enumeration per condition, then whole documents, within a budget of
    evaluations; what it saw (witnesses, levels reached, violations) is what the findings are made of."""

    def __init__(
        self,
        program: ir.Program,
        kind: str,
        period: ir.Period,
        rng: random.Random,
        budget: int,
        deadline: float,
        seeds: Sequence[Assignment],
        better: Mapping[str, str],
    ) -> None:
        self.space = Domains(program, kind, period, rng)
        self.program = program
        self.kind = kind
        self.subject = program.subjects[kind]
        self.period = period
        self.rng = rng
        self.budget = budget
        self.deadline = deadline
        self.seeds = list(seeds)
        self.truncated = False
        self.used = 0
        s = self.subject
        # The space's declarations, read at every step of the search.
        self.relations = self.space.relations
        self.fields = self.space.fields
        self.exprs = self.space.exprs
        self.reads = self.space.reads
        self.levels = [v.id for v in program.levels.values]
        self.lowest = program.lowest_level
        self.cache: dict[str, Sample | None] = {}
        self.seen: dict[str, dict[Truth, list[Assignment]]] = {key: {} for key in self.exprs}
        self.tried: dict[str, int] = dict.fromkeys(self.exprs, 0)
        self.exhaustive: dict[str, bool] = dict.fromkeys(self.exprs, False)
        self.pairs = self._pairs()
        self.refuted: set[tuple[str, str]] = set()
        self.pair_witness: dict[tuple[str, str], Assignment] = {}
        self.pair_exhaustive: dict[tuple[str, str], bool] = {}
        self.reached: dict[str, Sample] = {}
        self.closest: dict[str, tuple[tuple[int, int], Sample]] = {}
        self.gap: tuple[int, Sample] | None = None
        self.pool: list[Sample] = []
        self.pool_seen = 0
        self.violations: dict[str, Violation] = {}
        self.probes: dict[tuple[str, ...], ir.Program] = {}
        self.needs_of: dict[str, list[list[tuple[str, Truth]]]] = {}
        self.complete = False  # every complete document (every combination of boundary values) was evaluated
        polarity = Polarity(program, s).votes()
        self.votes = polarity
        self.moves: list[tuple[tuple[str, ...], int]] = []
        self.ambiguous: set[tuple[str, ...]] = set()
        for path, (up, down) in polarity.items():
            name = path_text(path)
            way = better.get(name) or declared_better(program, s, path)
            if way is not None:
                self.moves.append((path, 1 if way == "higher" else -1))
            elif len(up) > len(down):
                self.moves.append((path, 1))
            elif len(down) > len(up):
                self.moves.append((path, -1))
            elif up:
                # As many uses each way: try both, and report the disagreement itself if a level drops.
                self.moves.extend([(path, 1), (path, -1)])
                self.ambiguous.add(path)
        self.moves = [(p, sign) for p, sign in self.moves if self._movable(p)]

    # --- evaluation ------------------------------------------------------------------------------------------------

    def evaluate(self, assignment: Assignment, *, count: bool = True) -> Sample | None:
        if count:
            self.used += 1  # every attempt counts, so that the budget ends the search even when all is cached
        key = json.dumps(assignment, sort_keys=True, ensure_ascii=False, default=repr)
        if key in self.cache:
            return self.cache[key]
        typed = self.space.typed(assignment)
        sample = None
        if typed is not None:
            result = inputs.evaluate(self.program, self.kind, typed, period=self.period)
            sample = Sample(dict(assignment), result.outcome, trace_truths(result.trace))
            self.observe(sample)
        self.cache[key] = sample
        return sample

    def exhausted(self) -> bool:
        if self.used >= self.budget:
            return True
        if time.monotonic() > self.deadline:
            self.truncated = True
            return True
        return False

    # --- observations --------------------------------------------------------------------------------------

    def witness(self, key: str, truth: Truth, assignment: Assignment) -> None:
        kept = self.seen[key].setdefault(truth, [])
        if len(kept) < _WITNESSES:
            kept.append({k: v for k, v in assignment.items() if k in self.reads[key]} or dict(assignment))

    def observe(self, sample: Sample) -> None:
        for key, truth in sample.truths.items():
            if key in self.seen and truth is not Truth.UNKNOWN:
                self.witness(key, truth, sample.assignment)
        for a, b in self.pairs:
            if sample.truths.get(a) is Truth.MET and sample.truths.get(b) is Truth.NOT_MET:
                self.refuted.add((a, b))
        level = sample.level
        if level is None:
            return
        self.reached.setdefault(level, sample)
        for target in self.levels:
            if target in self.reached:
                continue
            near = self.closeness(target, sample)
            known = self.closest.get(target)
            if known is None or near > known[0]:
                self.closest[target] = (near, sample)
        if sample.outcome.decision is Decision.BELOW_LOWEST and self.subject.levels:
            last = self.subject.levels[-1]
            met = sum(sample.truths.get(r) is Truth.MET for r in last.rules)
            if self.gap is None or met > self.gap[0]:
                self.gap = (met, sample)
        self.pool_seen += 1
        if len(self.pool) < _POOL:
            self.pool.append(sample)
        else:
            slot = self.rng.randrange(self.pool_seen)
            if slot < _POOL:
                self.pool[slot] = sample

    # --- the phases ----------------------------------------------------------------------------------------

    def run(self) -> None:
        self.enumerate()
        names = list(self.fields)
        if math.prod(len(self.space.top_domain(n)) for n in names) <= self.budget // 2:
            # Small enough to try every complete document: "never" findings are then exhaustive.
            for assignment in self.space.combos(names, self.budget // 2)[0]:
                if self.exhausted():
                    return
                self.evaluate(assignment)
            self.complete = not self.truncated
        for seed in self.seeds:
            if self.exhausted():
                return
            typed = self.space.strict(seed)
            if typed is not None:  # written as the search writes values (ids, not labels), so moves apply
                self.evaluate({k: _raw(v) for k, v in typed.values.items() if typed.origins.get(k) == "evidence"})
        for _ in range(max(10, self.budget // 20)):
            if self.exhausted():
                return
            self.evaluate(self.space.random_assignment())
        self.reach_levels(self.budget // 4)
        self.monotone_anchors()
        tasks = (self.random_step, self.mutate_step, self.monotone_step, self.monotone_step, self.directed_step)
        turn = 0
        while not self.exhausted():
            tasks[turn % len(tasks)]()
            turn += 1

    def probe(self, keys: Sequence[str], assignment: Assignment) -> list[Truth] | None:
        """The truth of each key for a (partial) assignment, evaluating only those conditions."""
        typed = self.space.typed(assignment)
        if typed is None:
            return None
        program = self.probes.get(tuple(keys))
        if program is None:
            program = self.probe_program(keys)
            self.probes[tuple(keys)] = program
        trace = interpreter.evaluate(program, self.kind, typed.values, typed.origins, self.period)
        level = next(c for c in trace.children if c.kind is NodeKind.LEVEL)
        return [c.truth for c in level.children]

    def probe_program(self, keys: Sequence[str]) -> ir.Program:
        s = self.subject
        rules = dict(s.rules)
        ids: list[str] = []
        for key in keys:
            if key in rules:
                ids.append(key)
                continue
            rule_id = f"__probe__{key}"
            expr = self.exprs[key]
            rules[rule_id] = ir.Rule(rule_id, expr, key, ir.Text(key, key), ir.Citation("", ""), ir.Confidence.ASSUMED)
            ids.append(rule_id)
        requirement = ir.LevelRequirement(self.program.levels.values[0].id, tuple(ids))
        probe = replace(s, rules=rules, not_classified=(), not_completed=(), levels=(requirement,), caps=(), notes=())
        return replace(self.program, subjects={self.kind: probe})

    def enumerate(self) -> None:
        """Every combination of the boundary values of the fields a condition reads (or of two conditions of one
        list that share a field); each combination is probed for every condition reading only those fields."""
        jobs: dict[tuple[str, ...], dict[str, None]] = {}
        for key in self.exprs:
            jobs.setdefault(tuple(sorted(self.reads[key])), {})[key] = None
        for a, b in self.pairs:
            job = jobs.setdefault(tuple(sorted({*self.reads[a], *self.reads[b]})), {})
            job[a] = job[b] = None
        for names, own in jobs.items():
            inside = [k for k in self.exprs if k in own]
            pairs = [(a, b) for a, b in self.pairs if a in own and b in own]
            assignments, complete = self.space.combos(names, ENUMERATION_LIMIT)
            for key in inside:
                self.exhaustive[key] = self.exhaustive[key] or complete
            for pair in pairs:
                self.pair_exhaustive[pair] = self.pair_exhaustive.get(pair, False) or complete
            for assignment in assignments:
                truths = self.probe(inside, assignment)
                if truths is None:
                    continue
                found = dict(zip(inside, truths, strict=True))
                for key, truth in found.items():
                    self.tried[key] += 1
                    if truth is not Truth.UNKNOWN:
                        self.witness(key, truth, assignment)
                for a, b in pairs:
                    if found[a] is Truth.MET and found[b] is Truth.NOT_MET:
                        self.refuted.add((a, b))
                    elif found[a] is Truth.MET and found[b] is Truth.MET:
                        self.pair_witness.setdefault((a, b), assignment)
            if time.monotonic() > self.deadline:
                self.truncated = True
                return

    def _pairs(self) -> list[tuple[str, str]]:
        """Pairs (a, b) of entries of one list whose conditions share a field: candidates for a ⇒ b."""
        s = self.subject
        lists = [s.not_classified, s.not_completed, *(r.rules for r in s.levels)]
        out: dict[tuple[str, str], None] = {}
        for entries in lists:
            for a, b in itertools.permutations(dict.fromkeys(entries), 2):
                if a in self.reads and b in self.reads and set(self.reads[a]) & set(self.reads[b]):
                    out[(a, b)] = None
        return list(out)

    def random_step(self) -> None:
        self.evaluate(self.space.random_assignment())

    def mutate_step(self) -> None:
        if not self.pool:
            self.random_step()
            return
        base = self.rng.choice(self.pool)
        self.evaluate(self.space.mutate(base.assignment, list(self.fields), self.rng.randint(1, 3)))

    # --- reaching a target: levels and the gap ------------------------------------------------------------

    def needs(self, target: str) -> list[list[tuple[str, Truth]]]:
        """What must hold for ``target`` (a level id, or "gap"): each need is a list of alternatives."""
        known = self.needs_of.get(target)
        if known is None:
            known = self.needs_of[target] = self._needs(target)
        return known

    def _needs(self, target: str) -> list[list[tuple[str, Truth]]]:
        s = self.subject
        out: list[list[tuple[str, Truth]]] = [[(r, Truth.NOT_MET)] for r in s.not_classified]
        if target == self.lowest:
            return [*out, [(r, Truth.MET) for r in s.not_completed]]
        out.extend([(r, Truth.NOT_MET)] for r in s.not_completed)
        wanted = next((r for r in s.levels if r.level == target), None)
        for requirement in s.levels:
            if wanted is not None and requirement.level == target:
                out.extend([(r, Truth.MET)] for r in requirement.rules)
                break
            others = [r for r in requirement.rules if wanted is None or r not in wanted.rules]
            out.append([(r, Truth.NOT_MET) for r in others])  # empty when the level cannot fail: never met
        if wanted is not None:
            out.extend([(f"cap:{c.id}", Truth.NOT_MET)] for c in s.caps)
        return out

    def possible(self, target: str) -> bool:
        return all(self.needs(target))

    def reached_target(self, target: str, sample: Sample) -> bool:
        if target == "gap":
            return sample.outcome.decision is Decision.BELOW_LOWEST
        return sample.level == target

    def as_close(self, target: str, near: tuple[int, int]) -> Callable[[Sequence[Sample]], bool]:
        return lambda samples: self.closeness(target, samples[0]) >= near

    def closeness(self, target: str, sample: Sample) -> tuple[int, int]:
        """How near a sample comes to a level: its rules that hold, then everything else it needs."""
        own = next((r.rules for r in self.subject.levels if r.level == target), self.subject.not_completed)
        met = sum(sample.truths.get(r) is Truth.MET for r in own)
        return met, self.score(self.needs(target), sample)

    def score(self, needs: list[list[tuple[str, Truth]]], sample: Sample) -> int:
        return sum(any(sample.truths.get(k) is t for k, t in need) for need in needs)

    def climb(self, target: str, steps: int) -> None:
        needs = self.needs(target)
        start = max(self.pool, key=lambda p: self.score(needs, p), default=None) if self.pool else None
        current = start or self.evaluate(self.space.random_assignment())
        if current is None:
            return
        best = self.score(needs, current)
        for _ in range(steps):
            if self.exhausted() or self.reached_target(target, current):
                return
            open_needs = [n for n in needs if n and not any(current.truths.get(k) is t for k, t in n)]
            if not open_needs:
                current = self.evaluate(self.space.mutate(current.assignment, list(self.fields), 1)) or current
                continue
            key, truth = self.rng.choice(self.rng.choice(open_needs))
            candidate = dict(current.assignment)
            witnesses = self.seen.get(key, {}).get(truth, [])
            if witnesses and self.rng.random() < 0.7:
                candidate.update(self.rng.choice(witnesses))
                candidate = self.space.fix_bounds(candidate)
            else:
                names = self.reads.get(key) or tuple(self.fields)
                candidate = self.space.mutate(candidate, names, 1)
            sample = self.evaluate(candidate)
            if sample is None:
                continue
            value = self.score(needs, sample)
            if value >= best:
                current, best = sample, value

    def targets(self) -> list[str]:
        wanted = [lv for lv in self.levels if lv not in self.reached]
        if self.gap is None and self.subject.levels and self.possible("gap"):
            wanted.append("gap")
        return wanted

    def reach_levels(self, budget: int) -> None:
        stop = self.used + budget
        for target in self.targets():
            for _ in range(3):
                if self.used >= stop or self.exhausted():
                    return
                if target in self.reached or (target == "gap" and self.gap is not None):
                    break
                self.climb(target, 60)

    def directed_step(self) -> None:
        targets = self.targets()
        if not targets:
            self.mutate_step()
            return
        self.climb(self.rng.choice(targets), 20)

    # --- monotonicity --------------------------------------------------------------------------------------

    def _movable(self, path: tuple[str, ...]) -> bool:
        if len(path) > 2:
            return False
        f = self.space.field_at(path)
        if f is None:
            return False
        if isinstance(f.type, ir.RecordsType):
            return len(path) == 1 and path[0] not in self.relations
        return self.space.order(f, self.space.domain("/".join(path[:-1]), f)[0]) is not None

    def improvements(self, assignment: Assignment, path: tuple[str, ...], sign: int, every: bool) -> list[Assignment]:
        """Assignments that differ from ``assignment`` by one value moved in the better direction of ``path``,
        nearest first; without ``every``, the nearest and one other chosen at random."""
        top = path[0]
        f = self.space.field_at(path)
        current = assignment.get(top, OMIT)
        if f is None or current is OMIT:
            return []
        moved: list[tuple[Fraction, Assignment]] = []
        if len(path) == 1 and isinstance(f.type, ir.RecordsType):
            if not isinstance(current, list):
                return []
            if sign < 0:
                moved = [
                    (Fraction(0), {**assignment, top: current[:i] + current[i + 1 :]}) for i in range(len(current))
                ]
            else:
                moved = [(Fraction(0), {**assignment, top: [*current, o]}) for o in self.space.record_options(path)[:3]]
        elif len(path) == 1:
            here = self.space.order(f, current)
            if here is None:
                return []
            for u in self.space.domain("", f):
                there = self.space.order(f, u)
                if there is not None and (there - here) * sign > 0:
                    moved.append((abs(there - here), {**assignment, top: u}))
        elif isinstance(current, list):
            for i, record in enumerate(current):
                if not isinstance(record, dict):
                    continue
                here = self.space.order(f, record.get(path[1], OMIT))
                if here is None:
                    continue
                for u in self.space.domain(top, f):
                    there = self.space.order(f, u)
                    if there is not None and (there - here) * sign > 0:
                        changed = [*current]
                        changed[i] = {**record, path[1]: u}
                        moved.append((abs(there - here), {**assignment, top: changed}))
        moved.sort(key=lambda m: m[0])
        out = [m[1] for m in moved]
        if not every and len(out) > 2:
            return [out[0], self.rng.choice(out[1:])]
        return out

    def check_move(self, before: Sample, after_assignment: Assignment, path: tuple[str, ...], sign: int) -> None:
        after = self.evaluate(after_assignment)
        if after is None or before.level is None or after.level is None:
            return
        rank = self.program.levels.rank
        if rank(after.level) >= rank(before.level):
            return
        culprits = self.culprits(before, after)
        key = culprits[0] if culprits else path_text(path)
        if path in self.ambiguous:
            key = f"~{path_text(path)}~{sign}"
        if key not in self.violations:
            self.violations[key] = Violation(before, after, path, sign, culprits)

    def worse(self, pair: Sequence[Sample]) -> bool:
        before, after = pair
        if before.level is None or after.level is None:
            return False
        return self.program.levels.rank(after.level) < self.program.levels.rank(before.level)

    def culprits(self, before: Sample, after: Sample) -> tuple[str, ...]:
        """The conditions that turned against the subject: a level rule that stopped holding, a trigger or cap
        that started to."""
        s = self.subject
        out: dict[str, None] = {}
        for rule_id in s.not_completed:
            if before.truths.get(rule_id) is Truth.NOT_MET and after.truths.get(rule_id) is Truth.MET:
                out[rule_id] = None
        for requirement in s.levels:
            for rule_id in requirement.rules:
                if before.truths.get(rule_id) is Truth.MET and after.truths.get(rule_id) is Truth.NOT_MET:
                    out[rule_id] = None
        for cap in s.caps:
            key = f"cap:{cap.id}"
            if before.truths.get(key) is Truth.NOT_MET and after.truths.get(key) is Truth.MET:
                out[key] = None
        return tuple(out)

    def monotone_anchors(self) -> None:
        """From a document of each level reached: every value of each directed field in turn (a sweep), and
        the one-step moves of records. A level that drops between two neighbouring values is a violation."""
        anchors = [self.reached[lv] for lv in self.levels if lv in self.reached]
        for anchor in anchors:
            for path, sign in self.moves:
                if self.exhausted():
                    return
                f = self.space.field_at(path)
                if len(path) == 1 and f is not None and not isinstance(f.type, ir.RecordsType):
                    self.sweep(anchor, path, sign, f)
                    continue
                for candidate in self.improvements(anchor.assignment, path, sign, every=True)[:6]:
                    self.check_move(anchor, candidate, path, sign)

    def sweep(self, anchor: Sample, path: tuple[str, ...], sign: int, f: ir.FieldDef) -> None:
        ordered: list[tuple[Fraction, Sample]] = []
        for value in self.space.domain("", f):
            rank = self.space.order(f, value)
            sample = self.evaluate({**anchor.assignment, path[0]: value}) if rank is not None else None
            if rank is not None and sample is not None and sample.level is not None:
                ordered.append((rank, sample))
        ordered.sort(key=lambda item: item[0] * sign)  # worse values first
        for (_, worse), (_, better) in itertools.pairwise(ordered):
            self.check_move(worse, better.assignment, path, sign)

    def monotone_step(self) -> None:
        classified = [p for p in self.pool if p.level is not None]
        if not classified or not self.moves:
            self.mutate_step()
            return
        base = self.rng.choice(classified)
        path, sign = self.rng.choice(self.moves)
        candidates = self.improvements(base.assignment, path, sign, every=False)
        if not candidates:
            self.used += 1  # an empty move still costs a turn, so that the loop always ends
            return
        self.check_move(base, self.rng.choice(candidates), path, sign)

    # --- simpler counterexamples -------------------------------------------------------------------------

    def simplify(
        self, assignments: Sequence[Assignment], holds: Callable[[Sequence[Sample]], bool], keep: str = ""
    ) -> list[Assignment]:
        """Leave out what a claim does not need: optional fields omitted, records and relations emptied. Each
        change is made to every document at once and kept only when the claim still holds after evaluation."""
        current = [dict(a) for a in assignments]
        for name in self.fields:
            if name == keep:
                continue
            f = self.fields[name]
            plain: list[object] = []
            if name not in self.relations and (f.default is not None or not f.required):
                plain.append(OMIT)
            if isinstance(f.type, ir.RecordsType):
                plain.append([])
            for value in plain:
                if all(a.get(name, OMIT) == value for a in current):
                    break
                trial = [{**a, name: value} for a in current]
                samples = [self.evaluate(t, count=False) for t in trial]
                if all(sample is not None for sample in samples) and holds([x for x in samples if x is not None]):
                    current = trial
                    break
        return [{k: v for k, v in a.items() if v is not OMIT} for a in current]


def _raw(value: ir.Value) -> object:
    """A typed value as raw evidence writes it: ids for scale and enum values, ISO dates, plain numbers."""
    match value:
        case bool() | str():
            return value
        case Fraction():
            return raw_number(value)
        case ir.Ordinal(id=ident) | ir.EnumValue(id=ident):
            return ident
        case date():
            return value.isoformat()
        case ir.Period(start=start, end=end):
            return {"start": start.isoformat(), "end": end.isoformat()}
        case tuple():
            return [{k: _raw(v) for k, v in r.values.items()} for r in value if isinstance(r, ir.Record)]
        case _:
            assert_never(value)


def trace_truths(trace: TraceNode) -> dict[str, Truth]:
    """The truth of every rule, cap and note evaluated in a trace, by key."""
    out: dict[str, Truth] = {}
    stack = [trace]
    while stack:
        node = stack.pop()
        if node.kind is NodeKind.RULE:
            out.setdefault(node.id, node.truth)
        elif node.kind is NodeKind.CAP:
            out[f"cap:{node.id}"] = node.truth
        elif node.kind is NodeKind.NOTE:
            out[f"note:{node.id}"] = node.truth
        stack.extend(node.children)
    return out
