"""Compiling a subject kind for the interpreter: the program's IR → one specialised Python function per period.

Input: an ``ir.Program``, a subject kind and the interpreter's node builders (``Hooks``). Output: a ``Plan`` whose
functions map one subject's typed evidence to a trace tree equal to the interpreter's reference evaluation.

A rule's trace node is a pure function of the evidence fields it reads (directly or through the rules it refers
to) and of the period. A plan keeps, per rule, the nodes already built, keyed by those fields' values and origins,
and gives the same node object to every subject with the same values (hash-consing). A key holds each value with
its class and everything its display depends on (a scale value's scale and id, an enum value's name), so two keys
are equal only when the reference builds equal nodes from them. Caps and notes are shared the same way; the stage
and level nodes above the rules by their children's identities; the outcome by the truths it is decided from (an
undetermined outcome, which names missing evidence, is never shared). Only the root is built for every subject.
Every table is bounded (``LIMIT`` entries, emptied when full), so memory stays bounded whatever the evidence.

The plan is a closure over index tables worked out once from the IR (which fields each rule, cap and note reads,
which rules each stage and level holds); no code is generated, compiled or evaluated.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from xeploai import ir
from xeploai.trace import NodeKind, Outcome, Status, TraceNode, Truth

LIMIT = 4096  # entries of one table before it is emptied
PERIODS = 8  # periods compiled for one plan before they are all dropped
PLANS = 16  # (program, kind) pairs kept compiled before they are all dropped

Run = Callable[[Mapping[str, ir.Value], Mapping[str, str]], TraceNode]
Reference = Callable[[ir.Program, str, Mapping[str, ir.Value], Mapping[str, str], ir.Period], TraceNode]


@dataclasses.dataclass(frozen=True, slots=True)
class Hooks:
    """The interpreter's builders. A plan builds every node the first time through them, so the nodes it shares are
    the reference's own; ``context`` makes the per-subject context whose ``rule(name)`` gives a rule's node."""

    context: Callable[[ir.Program, ir.SubjectProgram, Mapping[str, ir.Value], Mapping[str, str], ir.Period], Any]
    cap_node: Callable[[Any, ir.Cap], tuple[TraceNode, ir.Ordinal | None]]
    note_node: Callable[[Any, ir.Note], TraceNode | None]
    level_node: Callable[[ir.LevelRequirement, tuple[TraceNode, ...]], TraceNode]
    stage_node: Callable[[NodeKind, tuple[TraceNode, ...]], TraceNode]
    decide: Callable[
        [
            ir.Program,
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[tuple[Truth, ir.Ordinal | None]],
        ],
        Outcome,
    ]
    reference: Reference


class Plan:
    """One subject kind of one program, compiled. ``last`` is the last period used and its function, read and
    written as one attribute so that threads sharing the plan never pair a period with another's function."""

    __slots__ = ("_build", "_by_period", "last", "program", "subject")

    def __init__(self, program: ir.Program, kind: str, hooks: Hooks) -> None:
        self.program = program
        self.subject = program.subjects[kind]
        self._build = _compile(program, kind, hooks)
        self._by_period: dict[ir.Period, Run] = {}
        self.last: tuple[object, Run] = (_NO_PERIOD, _unset)

    def select(self, period: ir.Period) -> Run:
        run = self._by_period.get(period)
        if run is None:
            if len(self._by_period) >= PERIODS:
                self._by_period.clear()
            run = self._by_period[period] = self._build(period)
        self.last = (period, run)
        return run


class Plans(dict[tuple[int, str], Plan]):
    """The plans of the last few (program, kind) pairs, by the program's identity (programs are unhashable). A plan
    holds its program, so an identity cannot be reused by another program while its plan is kept."""

    def __init__(self, hooks: Hooks) -> None:
        super().__init__()
        self.hooks = hooks

    def add(self, program: ir.Program, kind: str) -> Plan:
        if len(self) >= PLANS:
            self.clear()
        plan = self[(id(program), kind)] = Plan(program, kind, self.hooks)
        return plan


_NO_PERIOD = object()  # before the first period: no argument is this object


def _unset(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
    raise AssertionError("no period selected")


# --- keys ---------------------------------------------------------------------------------------------------------


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING = _Sentinel("MISSING")  # the field is absent
NO_KEY = _Sentinel("NO_KEY")  # a value of a class keys do not know: the nodes reading it are built every time
# Classes whose equal values display alike (not float: -0.0 == 0.0). A Fraction is keyed by its numerator and
# denominator, cheaper to hash than the Fraction.
SIMPLE = frozenset({bool, str, date, int})


def strict(value: object) -> object:
    """A hashable key equal for two values exactly when the interpreter builds equal nodes from them, or NO_KEY.

    >>> strict(True) == strict(Fraction(1))
    False
    """
    c = value.__class__
    if c in SIMPLE:
        return (c, value)
    if c is Fraction:
        assert isinstance(value, Fraction)
        return (c, value.numerator, value.denominator)
    if c is ir.Ordinal:
        assert isinstance(value, ir.Ordinal)
        return (c, value.rank, value.scale, value.id)
    if c is ir.EnumValue:
        assert isinstance(value, ir.EnumValue)
        return (c, value.id, value.rank, value.name)
    if c is ir.Period:
        assert isinstance(value, ir.Period)
        return (c, value.start, value.end, value.kind)
    if c is tuple:
        assert isinstance(value, tuple)
        parts: list[object] = [tuple]
        for item in value:
            if item.__class__ is ir.Record:
                fields: list[object] = [ir.Record, item.index]
                for name, v in item.values.items():
                    inner = strict(v)
                    if inner is NO_KEY or name.__class__ is not str:
                        return NO_KEY
                    fields.extend((name, inner))
                parts.append(tuple(fields))
            else:
                inner = strict(item)
                if inner is NO_KEY:
                    return NO_KEY
                parts.append(inner)
        return tuple(parts)
    return NO_KEY


def hashable(values: Mapping[str, object], origins: Mapping[str, object], period: object) -> bool:
    """Whether every key a plan makes of this evidence and period can be hashed."""
    try:
        hash(period)
        for value in values.values():
            hash(strict(value))
        for origin in origins.values():
            hash(origin)
    except TypeError:
        return False
    return True


def _key(value: object, origin: object) -> object:
    inner = strict(value)
    return NO_KEY if inner is NO_KEY else (inner, origin)


# --- what each rule reads -----------------------------------------------------------------------------------------


class _NotCompiled(Exception):
    """A program the plan does not handle (a rule referring to an unknown rule, or a cycle): the reference runs."""


class _Reads:
    """The evidence fields each rule reads, through the rules it refers to, each rule walked once."""

    def __init__(self, subject: ir.SubjectProgram) -> None:
        self.subject = subject
        self.done: dict[str, dict[str, None]] = {}

    def rule(self, name: str, active: tuple[str, ...] = ()) -> dict[str, None]:
        found = self.done.get(name)
        if found is not None:
            return found
        if name in active or name not in self.subject.rules:
            raise _NotCompiled(name)
        out: dict[str, None] = {}
        self.expr(self.subject.rules[name].expr, out, (*active, name))
        self.done[name] = out
        return out

    def expr(self, expr: ir.Expr, out: dict[str, None], active: tuple[str, ...] = ()) -> dict[str, None]:
        """Add to ``out`` the evidence fields ``expr`` reads; ``out``."""
        _reads(expr, out, lambda name: self.rule(name, active))
        return out


def _reads(expr: ir.Expr, out: dict[str, None], rule: Callable[[str], dict[str, None]]) -> None:
    match expr:
        case ir.RecordFieldRef():
            pass  # a record's fields are part of the key of the records field they come from
        case ir.FieldRef(name=name):
            out.setdefault(name)
        case ir.RuleRef(name=name):
            out.update(dict.fromkeys(rule(name)))
        case _:
            for child in ir.children(expr):
                _reads(child, out, rule)


# --- the generated function ---------------------------------------------------------------------------------------

_CODE = {Truth.NOT_MET: 0, Truth.UNKNOWN: 1, Truth.MET: 2}


def _compile(program: ir.Program, kind: str, hooks: Hooks) -> Callable[[ir.Period], Run]:
    """The builder of a subject kind's function for one period (a call of the reference when not compilable)."""
    try:
        return _generate(program, kind, hooks)
    except _NotCompiled:
        reference = hooks.reference

        def build(period: ir.Period) -> Run:
            def run(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                return reference(program, kind, values, origins, period)

            return run

        return build


def _field_key(value: object, origin: object) -> object:
    """The key of one evidence field: its value (by ``strict``'s rules, the common classes first) and its origin."""
    if value is MISSING:
        return MISSING
    c = value.__class__
    if c is Fraction:
        return (c, value.numerator, value.denominator, origin)  # type: ignore[attr-defined]
    if c is ir.Ordinal:
        return (c, value.rank, value.scale, value.id, origin)  # type: ignore[attr-defined]
    if c in SIMPLE:
        return (c, value, origin)
    if c is tuple and not value:
        return (_EMPTY, origin)
    return _key(value, origin)


_EMPTY = strict(())


def _store(table: dict[Any, Any], key: object, entry: object) -> None:
    if len(table) >= LIMIT:
        table.clear()
    table[key] = entry


def _generate(program: ir.Program, kind: str, hooks: Hooks) -> Callable[[ir.Period], Run]:
    """The plan as closures over index tables: which fields each rule, cap and note reads, which rules each stage
    and level holds. No code is generated or compiled from the framework."""
    subject = program.subjects[kind]
    rules = list(
        dict.fromkeys([*subject.not_classified, *subject.not_completed, *(r for q in subject.levels for r in q.rules)])
    )
    for name in rules:
        if name not in subject.rules:
            raise _NotCompiled(name)
    reads = _Reads(subject)
    rule_reads = [reads.rule(name) for name in rules]
    cap_reads = [reads.expr(cap.at_most, reads.expr(cap.when, {})) for cap in subject.caps]
    note_reads = [reads.expr(note.when, {}) for note in subject.notes]
    fields = list(dict.fromkeys(f for out in [*rule_reads, *cap_reads, *note_reads] for f in out))
    position = {f: i for i, f in enumerate(fields)}

    def indices(read: dict[str, None]) -> tuple[int, ...]:
        return tuple(position[f] for f in read)

    rule_idx = [indices(r) for r in rule_reads]
    cap_idx = [indices(r) for r in cap_reads]
    note_idx = [indices(r) for r in note_reads]
    rule_at = {name: j for j, name in enumerate(rules)}
    eligibility_at = tuple(rule_at[r] for r in subject.not_classified)
    triggers_at = tuple(rule_at[r] for r in subject.not_completed)
    levels_at = [(requirement, tuple(rule_at[r] for r in requirement.rules)) for requirement in subject.levels]
    caps = subject.caps
    notes = subject.notes
    context = hooks.context
    # The root, built for every subject as the reference's ``TraceNode(...)`` call would, one slot at a time.
    given = ("kind", "truth", "id", "level", "outcome", "children")
    defaults: list[tuple[Any, object]] = []
    for slot in dataclasses.fields(TraceNode):
        if slot.name in given:
            continue
        if slot.default is dataclasses.MISSING:
            raise _NotCompiled(f"trace field {slot.name} without a default")
        defaults.append((getattr(TraceNode, slot.name).__set__, slot.default))
    set_kind, set_truth, set_id, set_level, set_outcome, set_children = (
        getattr(TraceNode, name).__set__ for name in given
    )
    new = object.__new__

    def getter(idx: tuple[int, ...]) -> Callable[[list[object]], object]:
        """A node's key from the field keys: the field's own key when it reads one field, else their tuple."""
        if not idx:
            return lambda keys: ()
        return operator.itemgetter(*idx)

    def storable(key: object, idx: tuple[int, ...]) -> bool:
        """Whether a node's key may be stored: no field read without a key (worked out on a miss only)."""
        return key is not NO_KEY if len(idx) == 1 else NO_KEY not in key  # type: ignore[operator]

    rule_keys = [getter(idx) for idx in rule_idx]
    cap_keys = [getter(idx) for idx in cap_idx]
    note_keys = [getter(idx) for idx in note_idx]

    def build(period: ir.Period) -> Run:
        rule_tables: list[dict[Any, Any]] = [{} for _ in rules]
        cap_tables: list[dict[Any, Any]] = [{} for _ in caps]
        note_tables: list[dict[Any, Any]] = [{} for _ in notes]
        level_tables: list[dict[Any, Any]] = [{} for _ in levels_at]
        stage_tables: dict[NodeKind, dict[Any, Any]] = {k: {} for k in _STAGES}
        outcomes: dict[Any, Any] = {}

        def stage(kind: NodeKind, children: tuple[Any, ...], present: tuple[TraceNode, ...]) -> TraceNode:
            """The stage node over ``children``, shared by their identities (the node holds its children, so their
            identities stay theirs while the table holds it); a note that does not hold is None."""
            table = stage_tables[kind]
            key = tuple(map(id, children))
            node = table.get(key)
            if node is None:
                node = hooks.stage_node(kind, present)
                _store(table, key, node)
            return node

        def run(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
            vget = values.get
            oget = origins.get
            keys = list(map(_field_key, map(vget, fields, _missing), map(oget, fields, _evidence)))
            ctx = None
            # Rules, caps and notes, in the reference's order, so that an error is raised by the same rule.
            entries: list[tuple[TraceNode, int]] = []
            append = entries.append
            for j, table in enumerate(rule_tables):
                key = rule_keys[j](keys)
                entry = table.get(key)
                if entry is None:
                    if ctx is None:
                        ctx = context(program, subject, values, origins, period)
                    node = ctx.rule(rules[j])
                    entry = (node, _CODE[node.truth])
                    if storable(key, rule_idx[j]):
                        _store(table, key, entry)
                append(entry)
            rule_nodes = [e[0] for e in entries]
            codes: list[object] = [e[1] for e in entries]
            cap_entries = []
            for j, idx in enumerate(cap_idx):
                table = cap_tables[j]
                key = cap_keys[j](keys)
                entry = table.get(key)
                if entry is None:
                    if ctx is None:
                        ctx = context(program, subject, values, origins, period)
                    node, bound = hooks.cap_node(ctx, caps[j])
                    entry = (node, _CODE[node.truth], None if bound is None else bound.rank, bound)
                    if storable(key, idx):
                        _store(table, key, entry)
                cap_entries.append(entry)
                codes.append(entry[1])
                codes.append(entry[2])
            note_nodes: list[TraceNode | None] = []
            for j, idx in enumerate(note_idx):
                table = note_tables[j]
                key = note_keys[j](keys)
                found = table.get(key, MISSING)
                if found is MISSING:
                    if ctx is None:
                        ctx = context(program, subject, values, origins, period)
                    found = hooks.note_node(ctx, notes[j])
                    if storable(key, idx):
                        _store(table, key, found)
                note_nodes.append(found)

            eligible_nodes = tuple([rule_nodes[j] for j in eligibility_at])
            trigger_nodes = tuple([rule_nodes[j] for j in triggers_at])
            eligible = stage(NodeKind.ELIGIBILITY, eligible_nodes, eligible_nodes)
            triggered = stage(NodeKind.TRIGGERS, trigger_nodes, trigger_nodes)
            level_nodes = []
            for j, (requirement, at) in enumerate(levels_at):
                children = tuple([rule_nodes[i] for i in at])
                table = level_tables[j]
                key = tuple(map(id, children))
                level = table.get(key)
                if level is None:
                    level = hooks.level_node(requirement, children)
                    _store(table, key, level)
                level_nodes.append(level)
            cap_nodes = tuple([c[0] for c in cap_entries])
            capped = stage(NodeKind.CAPS, cap_nodes, cap_nodes)
            noted = stage(NodeKind.NOTES, tuple(note_nodes), tuple(t for t in note_nodes if t is not None))

            # The outcome, shared by the truths (and caps' bounds) it is decided from.
            signature = tuple(codes)
            decided = outcomes.get(signature)
            if decided is None:
                bounds = tuple((c[0].truth, c[3]) for c in cap_entries)
                outcome = hooks.decide(program, eligible_nodes, trigger_nodes, level_nodes, cap_nodes, bounds)
                undetermined = outcome.status is Status.INSUFFICIENT_EVIDENCE
                decided = (outcome, Truth.UNKNOWN if undetermined else Truth.MET)
                if not undetermined:
                    _store(outcomes, signature, decided)

            root = new(TraceNode)
            set_kind(root, NodeKind.OUTCOME)
            set_truth(root, decided[1])
            set_id(root, kind)
            set_level(root, decided[0].level)
            set_outcome(root, decided[0])
            set_children(root, (eligible, triggered, *level_nodes, capped, noted))
            for setter, default in defaults:
                setter(root, default)
            return root

        return run

    return build


_STAGES = (NodeKind.ELIGIBILITY, NodeKind.TRIGGERS, NodeKind.CAPS, NodeKind.NOTES)
_missing = itertools.repeat(MISSING)
_evidence = itertools.repeat("evidence")
