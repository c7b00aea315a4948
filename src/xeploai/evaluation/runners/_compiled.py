"""Compiling a subject kind for the interpreter: the program's IR → one specialised Python function per period.

Input: an ``ir.Program``, a subject kind and the interpreter's node builders (``Hooks``). Output: a ``Plan`` whose
functions map one subject's typed evidence to a trace tree equal to the interpreter's reference evaluation.

A rule's trace node is a pure function of the evidence fields it reads (directly or through the rules it refers
to) and of the period. Rules, caps and notes that read the same fields form one group; a plan keeps, per group,
the nodes already built, keyed by those fields' values and origins, and gives the same node objects to every
subject with the same values (hash-consing). A key holds each value with its class and everything its display
depends on (a scale value's scale and id, an enum value's name), so two keys are equal only when the reference
builds equal nodes from them. The stage and level nodes above the rules are shared by the identities of the group
entries their rules come from (each kept entry holds those entries, so their identities stay theirs); the outcome
by the truths and caps' bounds it is decided from (an undetermined outcome, which names missing evidence, is never
shared). Only the root is built for every subject. Every table is bounded (``LIMIT`` entries, emptied when full),
so memory stays bounded whatever the evidence.

The plan is a closure over index tables worked out once from the IR (which fields each rule, cap and note reads,
which rules each stage and level holds); no code is generated, compiled or evaluated.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from xeploai.evaluation.trace import NodeKind, Outcome, Status, TraceNode, Truth
from xeploai.program import ir

LIMIT = 65536  # entries of one table before it is emptied
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
            ir.SubjectProgram,
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[TraceNode],
            Sequence[tuple[Truth, ir.Ordinal | None]],
        ],
        Outcome,
    ]
    reference: Reference
    # A rule's node from one subject's values and origins without a context (None: the rule needs the context).
    fast_rule: Callable[
        [ir.Program, ir.SubjectProgram, str, ir.Period],
        Callable[[Mapping[str, ir.Value], Mapping[str, str]], TraceNode] | None,
    ]


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
    caps = subject.caps
    notes = subject.notes
    reads = _Reads(subject)
    # The units, in the reference's order (rules, caps, notes), and the evidence fields each reads.
    unit_reads = [
        *(reads.rule(name) for name in rules),
        *(reads.expr(cap.at_most, reads.expr(cap.when, {})) for cap in caps),
        *(reads.expr(note.when, {}) for note in notes),
    ]
    # The fields keyed, then the relations: a relation's records name the related subjects, so no two subjects
    # share them and they are not keyed (the nodes reading them are built for every subject).
    all_read = dict.fromkeys(f for out in unit_reads for f in out)
    related = {r.id for r in subject.relations}
    fields = [f for f in all_read if f not in related]
    unkeyed = [NO_KEY] * (len(all_read) - len(fields))
    position = {f: i for i, f in enumerate([*fields, *(f for f in all_read if f in related)])}
    # Units reading the same fields are one group, looked up with one key: a group's entry is its units' results
    # (a rule's node, a cap's node and bound, a note's node or None), in the reference's order.
    by_fields: dict[tuple[int, ...], list[int]] = {}
    for u, read in enumerate(unit_reads):
        by_fields.setdefault(tuple(sorted(position[f] for f in read)), []).append(u)
    group_idx = list(by_fields)
    group_units = list(by_fields.values())
    group_of = [0] * len(unit_reads)
    for g, members in enumerate(group_units):
        for u in members:
            group_of[u] = g
    flat_order = [u for members in group_units for u in members]
    in_reference_order = _picker([flat_order.index(u) for u in range(len(unit_reads))])
    rule_at = {name: j for j, name in enumerate(rules)}
    n_rules, n_caps = len(rules), len(caps)
    pick_eligible = _picker([rule_at[r] for r in subject.not_classified])
    pick_triggers = _picker([rule_at[r] for r in subject.not_completed])
    pick_caps = _picker(range(n_rules, n_rules + n_caps))
    pick_notes = _picker(range(n_rules + n_caps, len(unit_reads)))
    stage_node = hooks.stage_node
    level_node = hooks.level_node

    def level_maker(requirement: ir.LevelRequirement, at: list[int]) -> Callable[[Sequence[Any]], TraceNode]:
        pick = _picker(at)
        return lambda units: level_node(requirement, pick(units))

    # The root's children, in order (the stages and the levels): what each is built from, and the units it holds.
    makers: list[tuple[Callable[[Sequence[Any]], TraceNode], list[int]]] = [
        (
            lambda units: stage_node(NodeKind.ELIGIBILITY, pick_eligible(units)),
            [rule_at[r] for r in subject.not_classified],
        ),
        (
            lambda units: stage_node(NodeKind.TRIGGERS, pick_triggers(units)),
            [rule_at[r] for r in subject.not_completed],
        ),
        *(
            (level_maker(requirement, [rule_at[r] for r in requirement.rules]), [rule_at[r] for r in requirement.rules])
            for requirement in subject.levels
        ),
        (
            lambda units: stage_node(NodeKind.CAPS, tuple([c[0] for c in pick_caps(units)])),
            list(range(n_rules, n_rules + n_caps)),
        ),
        (
            lambda units: stage_node(NodeKind.NOTES, tuple([t for t in pick_notes(units) if t is not None])),
            list(range(n_rules + n_caps, len(unit_reads))),
        ),
    ]
    # A child is shared by the identities of the group entries its units come from.
    block_groups = [_picker(sorted({group_of[u] for u in held})) for _, held in makers]
    # A child over a relation's rules is built for every subject, as those rules are: it is never kept.
    related_group = [any(i >= len(fields) for i in idx) for idx in group_idx]
    block_kept = [not any(related_group[group_of[u]] for u in held) for _, held in makers]
    block_makers = [make for make, _ in makers]
    group_keys = [_getter(idx) for idx in group_idx]
    context = hooks.context

    def unit(ctx: Any, u: int) -> tuple[object, tuple[object, ...]]:
        """A unit's result and what of it the outcome is decided from: a rule's truth, a cap's truth and bound."""
        if u < n_rules:
            node = ctx.rule(rules[u])
            return node, (_CODE[node.truth],)
        if u < n_rules + n_caps:
            node, bound = hooks.cap_node(ctx, caps[u - n_rules])
            return (node, bound), (_CODE[node.truth], None if bound is None else bound.rank)
        return hooks.note_node(ctx, notes[u - n_rules - n_caps]), ()

    # The root, built for every subject as the reference's ``TraceNode(...)`` call would, one slot at a time: the
    # slots' defaults, with the four the root sets per subject put in.
    names = [slot.name for slot in dataclasses.fields(TraceNode)]
    template: list[object] = []
    for slot in dataclasses.fields(TraceNode):
        if slot.default is dataclasses.MISSING and slot.name not in ("kind", "truth"):
            raise _NotCompiled(f"trace field {slot.name} without a default")
        template.append(slot.default)
    template[names.index("kind")] = NodeKind.OUTCOME
    template[names.index("id")] = kind
    at_truth, at_level, at_outcome, at_children = map(names.index, ("truth", "level", "outcome", "children"))
    setters = [getattr(TraceNode, name).__set__ for name in names]
    new = object.__new__

    def build(period: ir.Period) -> Run:
        tables: list[dict[Any, Any]] = [{} for _ in group_idx]
        block_tables: list[dict[Any, Any]] = [{} for _ in makers]
        outcomes: dict[Any, Any] = {}
        # What a group entry gives the outcome, as a number: one number per distinct codes, never given to others.
        signatures: dict[tuple[object, ...], int] = {}
        numbers = itertools.count()
        # Rules whose nodes closures build without a context (the reference's functions, no context to set up).
        fast = [hooks.fast_rule(program, subject, name, period) for name in rules]

        def miss(
            values: Mapping[str, ir.Value], origins: Mapping[str, str], keys: list[object], found: list[Any]
        ) -> list[Any]:
            """The groups not found, built through the reference's builders in the reference's order (so that an
            error is raised by the unit the reference raises it in: a found unit was built before without one)."""
            ctx = None
            built: dict[int, tuple[object, tuple[object, ...]]] = {}
            for u, g in enumerate(group_of):
                if found[g] is None:
                    quick = fast[u] if u < n_rules else None
                    if quick is not None:
                        node = quick(values, origins)
                        built[u] = (node, (_CODE[node.truth],))
                        continue
                    if ctx is None:
                        ctx = context(program, subject, values, origins, period)
                    built[u] = unit(ctx, u)
            found = list(found)
            for g, entry in enumerate(found):
                if entry is None:
                    members = [built[u] for u in group_units[g]]
                    codes = tuple(itertools.chain.from_iterable(codes for _, codes in members))
                    number = signatures.get(codes)
                    if number is None:
                        number = next(numbers)
                        _store(signatures, codes, number)
                    entry = found[g] = (tuple([result for result, _ in members]), number)
                    key = keys[g]
                    if key is not NO_KEY if len(group_idx[g]) == 1 else NO_KEY not in key:  # type: ignore[operator]
                        _store(tables[g], key, entry)
            return found

        def block_miss(found: list[Any], keys: list[tuple[int, ...]], blocks: list[Any]) -> list[Any]:
            """The root's children not found: built from the units, kept with the group entries they come from
            (so that those entries' identities stay theirs while the child is kept)."""
            units = in_reference_order(list(_chain(map(_first, found))))
            blocks = list(blocks)
            for b, entry in enumerate(blocks):
                if entry is None:
                    entry = blocks[b] = (block_makers[b](units), block_groups[b](found))
                    if block_kept[b]:
                        _store(block_tables[b], keys[b], entry)
            return blocks

        def run(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
            fkeys = list(map(_field_key, map(values.get, fields, _missing), map(origins.get, fields, _evidence)))
            fkeys += unkeyed
            keys = list(map(_call, group_keys, itertools.repeat(fkeys)))
            found = list(map(dict.get, tables, keys))
            if None in found:
                found = miss(values, origins, keys, found)
            ids = list(map(id, found))
            block_keys = list(map(_call, block_groups, itertools.repeat(ids)))
            blocks = list(map(dict.get, block_tables, block_keys))
            if None in blocks:
                blocks = block_miss(found, block_keys, blocks)
            children = tuple(map(_first, blocks))

            # The outcome, shared by the truths (and caps' bounds) it is decided from; an undetermined one also names
            # the evidence missing under the unknown nodes, and is never shared.
            signature = tuple(map(_second, found))
            decided = outcomes.get(signature)
            if decided is None:
                units = in_reference_order(list(_chain(map(_first, found))))
                cap_entries = pick_caps(units)
                outcome = hooks.decide(
                    program,
                    subject,
                    pick_eligible(units),
                    pick_triggers(units),
                    children[2:-2],
                    tuple([c[0] for c in cap_entries]),
                    tuple([(c[0].truth, c[1]) for c in cap_entries]),
                )
                undetermined = outcome.status is Status.INSUFFICIENT_EVIDENCE
                decided = (outcome, Truth.UNKNOWN if undetermined else Truth.MET, outcome.level)
                if not undetermined:
                    _store(outcomes, signature, decided)

            root = new(TraceNode)
            slots = template.copy()
            slots[at_truth] = decided[1]
            slots[at_level] = decided[2]
            slots[at_outcome] = decided[0]
            slots[at_children] = children
            _consume(map(_call, setters, itertools.repeat(root), slots))
            return root

        return run

    return build


def _picker(idx: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """The items at ``idx`` of a sequence, as a tuple whatever their number."""
    idx = tuple(idx)
    if not idx:
        return lambda items: ()
    if len(idx) == 1:
        (i,) = idx
        return lambda items: (items[i],)
    return operator.itemgetter(*idx)


def _getter(idx: tuple[int, ...]) -> Callable[[list[object]], object]:
    """A group's key from the field keys: the field's own key when it reads one field, else their tuple."""
    if not idx:
        return lambda keys: ()
    return operator.itemgetter(*idx)


_call = operator.call
_chain = itertools.chain.from_iterable
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)
_CODE = {Truth.NOT_MET: 0, Truth.UNKNOWN: 1, Truth.MET: 2}
_consume = collections.deque[object](maxlen=0).extend  # runs an iterator to its end, keeping nothing
_missing = itertools.repeat(MISSING)
_evidence = itertools.repeat("evidence")
