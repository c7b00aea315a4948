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

The function's source is generated from the IR and compiled once per plan. It holds no text from the framework:
field and rule names are constants bound to generated identifiers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any, assert_never

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
    def go(e: ir.Expr) -> None:
        _reads(e, out, rule)

    match expr:
        case ir.Const() | ir.PeriodRef() | ir.RecordFieldRef():
            pass  # a record's fields are part of the key of the records field they come from
        case ir.FieldRef(name=name):
            out.setdefault(name)
        case ir.RuleRef(name=name):
            out.update(dict.fromkeys(rule(name)))
        case ir.Compare(operands=operands) | ir.And(operands=operands) | ir.Or(operands=operands):
            for o in operands:
                go(o)
        case ir.Not(operand=operand) | ir.Neg(operand=operand):
            go(operand)
        case ir.Arith(left=left, right=right):
            go(left)
            go(right)
        case ir.Member(item=item, options=options):
            go(item)
            for o in options:
                go(o)
        case ir.InPeriod(item=item):
            go(item)
        case ir.Count(source=source, where=where):
            go(source)
            if where is not None:
                go(where)
        case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
            go(source)
            go(where)
        case ir.LevelOf(source=source):
            go(source)
        case ir.Extremum(args=args):
            for a in args:
                go(a)
        case ir.Known(ref=ref):
            go(ref)
        case _:
            assert_never(expr)


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


def _tuple(items: Sequence[str]) -> str:
    return "(" + "".join(f"{x}, " for x in items) + ")"


class _Source:
    """Lines of generated code and the constants they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, object] = {}

    def add(self, indent: int, *lines: str) -> None:
        self.lines.extend("    " * indent + line for line in lines)

    def constant(self, prefix: str, value: object) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name


def _field_key(src: _Source, var: str, name: str, declared: ir.ValueType | None) -> None:
    """Code setting ``var`` to the key of one evidence field: its value (by ``strict``'s rules) and its origin.

    The cases are inlined, the likeliest for the declared type first."""
    n = src.constant("N", name)
    origin = f"oget({n}, EVIDENCE)"
    cases = {
        "fraction": ("c is FRACTION", f"(c, v.numerator, v.denominator, {origin})"),
        "ordinal": ("c is ORDINAL", f"(c, v.rank, v.scale, v.id, {origin})"),
        "simple": ("c in SIMPLE", f"(c, v, {origin})"),
        "records": ("c is TUPLE", f"KEY(v, {origin}) if v else (EMPTY, {origin})"),
    }
    match declared:
        case ir.NumberType():
            order = ["fraction", "simple", "ordinal"]
        case ir.OrdinalType():
            order = ["ordinal", "simple", "fraction"]
        case ir.RecordsType():
            order = ["records", "simple", "ordinal", "fraction"]
        case _:
            order = ["simple", "ordinal", "fraction"]
    src.add(2, f"v = vget({n}, MISSING)", "if v is MISSING:", f"    {var} = MISSING", "else:", "    c = v.__class__")
    for i, case in enumerate(order):
        test, key = cases[case]
        src.add(3, f"{'if' if i == 0 else 'elif'} {test}:", f"    {var} = {key}")
    src.add(3, "else:", f"    {var} = KEY(v, {origin})")


def _generate(program: ir.Program, kind: str, hooks: Hooks) -> Callable[[ir.Period], Run]:
    subject = program.subjects[kind]
    rules = list(
        dict.fromkeys([*subject.not_classified, *subject.not_completed, *(r for q in subject.levels for r in q.rules)])
    )
    for name in rules:
        if name not in subject.rules:
            raise _NotCompiled(name)
    reads = _Reads(subject)
    rule_reads = {name: reads.rule(name) for name in rules}
    cap_reads = [reads.expr(cap.at_most, reads.expr(cap.when, {})) for cap in subject.caps]
    note_reads = [reads.expr(note.when, {}) for note in subject.notes]
    fields = list(dict.fromkeys(f for out in [*rule_reads.values(), *cap_reads, *note_reads] for f in out))
    var = {f: f"F{i}" for i, f in enumerate(fields)}

    src = _Source()
    src.names.update(
        MISSING=MISSING,
        NO_KEY=NO_KEY,
        SIMPLE=SIMPLE,
        FRACTION=Fraction,
        ORDINAL=ir.Ordinal,
        TUPLE=tuple,
        EMPTY=strict(()),
        EVIDENCE="evidence",
        KEY=_key,
        LIMIT=LIMIT,
        PROGRAM=program,
        SUBJECT=subject,
        HOOKS=hooks,
        CODE=_CODE,
        INSUFFICIENT=Status.INSUFFICIENT_EVIDENCE,
        UNKNOWN=Truth.UNKNOWN,
        MET=Truth.MET,
        NEW=object.__new__,
        TRACE_NODE=TraceNode,
        id=id,
    )

    def key(reads: dict[str, None]) -> tuple[str, str]:
        """A node's key expression, and the test that it may be stored (no field without a key)."""
        used = [var[f] for f in reads]
        storable = " and ".join(f"{u} is not NO_KEY" for u in used) or "True"
        return (used[0] if len(used) == 1 else _tuple(used)), storable

    def memo(table: str, target: str, reads: dict[str, None], build: str, absent: str = "None") -> None:
        """Code setting ``target`` from ``table``, building it (from a context made once per subject) when absent."""
        expr, storable = key(reads)
        src.add(2, f"key = {expr}")
        src.add(2, f"{target} = {table}.get(key, {absent})" if absent != "None" else f"{target} = {table}.get(key)")
        src.add(2, f"if {target} is {absent}:")
        src.add(3, "if ctx is None:", "    ctx = HOOKS.context(PROGRAM, SUBJECT, values, origins, period)")
        src.add(3, f"{target} = {build}", f"if {storable}:", f"    store({table}, key, {target})")

    def shared(table: str, target: str, children: list[str], build: str) -> None:
        """Code setting ``target`` to the node over ``children``, shared by their identities (the node holds its
        children, so their identities stay theirs while the table holds it)."""
        src.add(2, f"key = {_tuple([f'id({c})' for c in children])}", f"{target} = {table}.get(key)")
        src.add(2, f"if {target} is None:", f"    {target} = {build}", f"    store({table}, key, {target})")

    tables = [f"R{j}" for j in range(len(rules))] + [f"C{j}" for j in range(len(cap_reads))]
    tables += [f"T{j}" for j in range(len(note_reads))] + [f"L{j}" for j in range(len(subject.levels))]
    tables += ["ELIGIBILITY", "TRIGGERS", "CAPS", "NOTES", "OUTCOMES"]
    src.add(0, "def build(period):")
    src.add(1, *(f"{t} = {{}}" for t in tables))
    src.add(
        1,
        "",
        "def store(table, key, entry):",
        "    if len(table) >= LIMIT:",
        "        table.clear()",
        "    table[key] = entry",
        "",
        "def rule(ctx, name):",
        "    node = ctx.rule(name)",
        "    return node, CODE[node.truth]",
        "",
        "def cap(ctx, cap):",
        "    node, bound = HOOKS.cap_node(ctx, cap)",
        "    return node, CODE[node.truth], None if bound is None else bound.rank, bound",
        "",
        "def decide(eligibility, triggers, levels, caps):",
        "    cap_nodes = tuple(c[0] for c in caps)",
        "    bounds = tuple((c[0].truth, c[3]) for c in caps)",
        "    outcome = HOOKS.decide(PROGRAM, eligibility, triggers, levels, cap_nodes, bounds)",
        "    undetermined = outcome.status is INSUFFICIENT",
        "    return outcome, UNKNOWN if undetermined else MET, not undetermined",
        "",
        "def run(values, origins):",
        "    vget = values.get",
        "    oget = origins.get",
        "    ctx = None",
    )
    for f in fields:
        declared = subject.field_def(f)
        _field_key(src, var[f], f, declared.type if declared else None)
    # Rules, caps and notes, in the reference's order, so that an error is raised by the same rule.
    node = {}
    for j, name in enumerate(rules):
        memo(f"R{j}", f"r{j}", rule_reads[name], f"rule(ctx, {src.constant('RULE', name)})")
        src.add(2, f"n{j}, c{j} = r{j}")
        node[name] = f"n{j}"
    for j, c in enumerate(subject.caps):
        memo(f"C{j}", f"cap{j}", cap_reads[j], f"cap(ctx, {src.constant('CAP', c)})")
    for j, n in enumerate(subject.notes):
        memo(f"T{j}", f"t{j}", note_reads[j], f"HOOKS.note_node(ctx, {src.constant('NOTE', n)})", absent="MISSING")

    eligibility = [node[r] for r in subject.not_classified]
    triggers = [node[r] for r in subject.not_completed]

    def stage(kind: NodeKind, children: str) -> str:
        return f"HOOKS.stage_node({src.constant('KIND', kind)}, {children})"

    shared("ELIGIBILITY", "eligible", eligibility, stage(NodeKind.ELIGIBILITY, _tuple(eligibility)))
    shared("TRIGGERS", "triggered", triggers, stage(NodeKind.TRIGGERS, _tuple(triggers)))
    levels = []
    for j, requirement in enumerate(subject.levels):
        children = [node[r] for r in requirement.rules]
        build = f"HOOKS.level_node({src.constant('REQUIREMENT', requirement)}, {_tuple(children)})"
        shared(f"L{j}", f"l{j}", children, build)
        levels.append(f"l{j}")
    caps = [f"cap{j}[0]" for j in range(len(subject.caps))]
    shared("CAPS", "capped", caps, stage(NodeKind.CAPS, _tuple(caps)))
    notes = [f"t{j}" for j in range(len(subject.notes))]
    present = f"tuple(t for t in {_tuple(notes)} if t is not None)"
    # A note that does not hold is None, whose identity never changes.
    shared("NOTES", "noted", notes, stage(NodeKind.NOTES, present))

    # The outcome, shared by the truths (and caps' bounds) it is decided from.
    signature = [f"c{j}" for j in range(len(rules))]
    for j in range(len(subject.caps)):
        signature += [f"cap{j}[1]", f"cap{j}[2]"]
    src.add(2, f"sig = {_tuple(signature)}", "o = OUTCOMES.get(sig)", "if o is None:")
    cap_entries = _tuple([f"cap{j}" for j in range(len(subject.caps))])
    src.add(3, f"o = decide({_tuple(eligibility)}, {_tuple(triggers)}, {_tuple(levels)}, {cap_entries})")
    src.add(3, "if o[2]:", "    store(OUTCOMES, sig, o)")

    # The root, built for every subject as the reference's ``TraceNode(...)`` call would, one slot at a time.
    given = {
        "kind": src.constant("KIND", NodeKind.OUTCOME),
        "truth": "o[1]",
        "id": src.constant("ID", kind),
        "level": "o[0].level",
        "outcome": "o[0]",
        "children": _tuple(["eligible", "triggered", *levels, "capped", "noted"]),
    }
    src.add(2, "root = NEW(TRACE_NODE)")
    for slot in dataclasses.fields(TraceNode):
        if slot.name in given:
            value = given[slot.name]
        elif slot.default is not dataclasses.MISSING:
            value = src.constant("DEFAULT", slot.default)
        else:
            raise _NotCompiled(f"trace field {slot.name} without a default")
        src.add(2, f"{src.constant('SET', getattr(TraceNode, slot.name).__set__)}(root, {value})")
    src.add(2, "return root")
    src.add(1, "", "return run")

    namespace = dict(src.names)
    exec(compile("\n".join(src.lines) + "\n", "<xeploai plan>", "exec"), namespace)
    made = namespace["build"]
    assert callable(made)
    return made
