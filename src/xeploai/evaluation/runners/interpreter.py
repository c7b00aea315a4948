"""The interpreter: program × one subject's typed evidence → the trace tree, whose root is the outcome.

Input: an ``ir.Program``, a subject kind, typed evidence (absent ≠ false) and the period. Output: a
``trace.TraceNode`` tree. Logic is three-valued (Kleene); an outcome that depends on missing evidence is
"insufficient evidence", naming the fields, never a silent "not met".

``_evaluate_reference`` builds every node of one subject; ``evaluate`` runs a plan compiled from the program once
(``runners._compiled``) that builds each node through the same functions the first time and shares it with every
later subject whose evidence gives an equal node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, assert_never

from xeploai.evaluation.runners import _compiled
from xeploai.evaluation.runners import values as computed_values
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Read, Status, TraceNode, Truth
from xeploai.program import ir


class _Unknown:
    """A value that cannot be computed: missing evidence, or an arithmetic error (``reason``)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
_Val = ir.Value | _Unknown
NOT_CLASSIFIED = "not_classified"


def display(value: object) -> object:
    """A value as traces show it: numbers as int or float, scale and enum values by their label."""
    match value:
        case _Unknown():
            return None
        case bool():
            return value
        case Fraction():
            return int(value) if value.denominator == 1 else round(float(value), 6)
        case date():
            return value.isoformat()
        case ir.Period():
            return str(value)
        case tuple():
            return [{k: display(v) for k, v in r.values.items()} for r in value if isinstance(r, ir.Record)]
        case _:
            return value


@dataclass
class _Context:
    program: ir.Program
    subject: ir.SubjectProgram
    values: Mapping[str, ir.Value]
    origins: Mapping[str, str]
    period: ir.Period
    rules: dict[str, TraceNode] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    within: list[str] = field(default_factory=list)  # the records field being iterated, for naming what is missing

    # --- labels for display --------------------------------------------------------------------------------

    def show(self, value: _Val) -> object:
        match value:
            case ir.Ordinal(scale=scale_id, id=value_id):
                scale = self.program.scales.get(scale_id)
                for v in scale.values if scale else ():
                    if v.id == value_id:
                        return v.label.vi
                return value_id
            case ir.EnumValue(name=enum_id, id=value_id):
                enum = self.program.enums.get(enum_id)
                for v in enum.values if enum else ():
                    if v.id == value_id:
                        return v.label.vi
                return value_id
            case tuple():
                records = [r for r in value if isinstance(r, ir.Record)]
                ids = [r.values.get("id") for r in records]
                if ids and all(isinstance(i, str) for i in ids):
                    return ids  # related subjects are named by id; their own traces hold the rest
                return [{k: self.show(v) for k, v in r.values.items()} for r in records]
            case _:
                return display(value)

    def read(self, name: str) -> tuple[_Val, Read]:
        f = self.subject.field_def(name)
        judgement = f.judgement if f else False
        if name not in self.values:
            return UNKNOWN, Read(name, None, "missing", judgement)
        value = self.values[name]
        return value, Read(name, self.show(value), self.origins.get(name, "evidence"), judgement)

    # --- values --------------------------------------------------------------------------------------------

    def value(self, expr: ir.Expr, record: ir.Record | None, reads: list[Read]) -> _Val:
        match expr:
            case ir.Const(value=constant):
                return constant
            case ir.FieldRef(name=name):
                value, read = self.read(name)
                reads.append(read)
                return value
            case ir.RecordFieldRef(name=name):
                if record is None or name not in record.values:
                    if record is not None and self.within:
                        reads.append(Read(f"{self.within[-1]}[{record.index}].{name}", None, "missing"))
                    return UNKNOWN
                return record.values[name]
            case ir.PeriodRef():
                return self.period
            case ir.Arith(op=op, left=left, right=right):
                return _arith(op, self.value(left, record, reads), self.value(right, record, reads))
            case ir.Neg(operand=operand):
                inner = self.value(operand, record, reads)
                return -inner if isinstance(inner, Fraction) else inner
            case ir.Count(source=source, where=where, text=text):
                return self.count(source, where, record, reads, text)
            case ir.Share(source=source, where=where, text=text):
                counted = self.count(source, where, record, reads, text)
                total = self.count(source, None, record, [])
                if isinstance(counted, _Unknown) or isinstance(total, _Unknown):
                    return UNKNOWN
                assert isinstance(counted, Fraction) and isinstance(total, Fraction)
                return _Unknown("no related subjects") if total == 0 else counted / total
            case ir.LevelOf(source=source):
                related = self.records(source, reads, record)
                if isinstance(related, _Unknown):
                    return related
                levels = [r.values.get("level") for r in related]
                if not levels:
                    return _Unknown("no related subject is classified")
                if any(not isinstance(level, ir.Ordinal) for level in levels):
                    return UNKNOWN
                return min(level for level in levels if isinstance(level, ir.Ordinal))
            case ir.Sum(source=source, term=term, where=where):
                return self.sum(source, term, where, record, reads)
            case ir.Extremum(fn=fn, args=args):
                values = [self.value(arg, record, reads) for arg in args]
                unknown = next((v for v in values if isinstance(v, _Unknown)), None)
                if unknown is not None:
                    return unknown
                pick = min if fn == "min" else max
                return pick(values)  # type: ignore[type-var]
            case (
                ir.RuleRef()
                | ir.Compare()
                | ir.And()
                | ir.Or()
                | ir.Not()
                | ir.Member()
                | ir.InPeriod()
                | ir.Exists()
                | ir.Known()
            ):
                truth = self.truth(expr, record).truth
                return UNKNOWN if truth is Truth.UNKNOWN else truth is Truth.MET
            case _:
                assert_never(expr)

    def records(
        self, source: ir.FieldRef | ir.RecordFieldRef, reads: list[Read], record: ir.Record | None = None
    ) -> tuple[ir.Record, ...] | _Unknown:
        if isinstance(source, ir.RecordFieldRef):
            nested = self.value(source, record, reads)
            if isinstance(nested, _Unknown):
                return nested
            assert isinstance(nested, tuple)
            return tuple(r for r in nested if isinstance(r, ir.Record))
        value, read = self.read(source.name)
        reads.append(read)
        if isinstance(value, _Unknown):
            return value
        assert isinstance(value, tuple)
        return tuple(r for r in value if isinstance(r, ir.Record))

    def count(
        self,
        source: ir.FieldRef | ir.RecordFieldRef,
        where: ir.Expr | None,
        record: ir.Record | None,
        reads: list[Read],
        text: str = "",
    ) -> _Val:
        records = self.records(source, reads, record)
        if isinstance(records, _Unknown):
            return records
        if where is None:
            return Fraction(len(records))
        self.within.append(source.name)
        truths = [self.condition(where, r) for r in records]
        self.within.pop()
        ids = [r.values.get("id") for r in records]
        if ids and all(isinstance(i, str) for i in ids):
            # Related subjects: name who did and did not satisfy the condition.
            split = {t.value: [str(i) for i, u in zip(ids, truths, strict=True) if u is t] for t in Truth}
            reads.append(Read(source.name, {k: v for k, v in split.items() if v}, "derived"))
        if Truth.UNKNOWN in truths:
            return UNKNOWN
        return Fraction(truths.count(Truth.MET))

    def sum(
        self,
        source: ir.FieldRef | ir.RecordFieldRef,
        term: ir.Expr,
        where: ir.Expr | None,
        record: ir.Record | None,
        reads: list[Read],
    ) -> _Val:
        """The term added up over the records (that satisfy ``where``); each record's part is read as
        ``work[3]`` (with its product or id) so that a dispute can point at the record that cost the points."""
        records = self.records(source, reads, record)
        if isinstance(records, _Unknown):
            return records
        total = Fraction(0)
        unknown: _Unknown | None = None
        self.within.append(source.name)
        for r in records:
            if where is not None:
                truth = self.condition(where, r)
                if truth is Truth.NOT_MET:
                    continue
                if truth is Truth.UNKNOWN:
                    unknown = UNKNOWN
                    continue
            part = self.value(term, r, reads)
            reads.append(Read(f"{_record_name(source.name, r)}: {_text_of(term)}", self.show(part), "computed"))
            if isinstance(part, _Unknown):
                unknown = unknown or part
            elif isinstance(part, Fraction):
                total += part
        self.within.pop()
        return unknown if unknown is not None else total

    # --- truth alone ------------------------------------------------------------------------------------------

    def condition(self, expr: ir.Expr, record: ir.Record | None) -> Truth:
        """``self.truth(expr, record).truth``, without building the nodes where only the truth is kept (a count
        or share over records keeps each record's truth, not its node): comparisons and their and/or/not; anything
        else is built by ``truth``. Every operand is evaluated as ``truth`` evaluates it (no short cut), so the
        rules it refers to and the errors it raises are the same."""
        match expr:
            case ir.Compare(operands=operands, ops=ops):
                scratch: list[Read] = []  # the node's reads: not kept
                return _chain_truth(ops, [self.value(o, record, scratch) for o in operands])
            case ir.And(operands=operands):
                return kleene_and([self.condition(o, record) for o in operands])
            case ir.Or(operands=operands):
                return kleene_or([self.condition(o, record) for o in operands])
            case ir.Not(operand=operand):
                return kleene_not(self.condition(operand, record))
            case _:
                return self.truth(expr, record).truth

    # --- truth, with its trace -------------------------------------------------------------------------------

    def truth(self, expr: ir.Expr, record: ir.Record | None = None) -> TraceNode:
        match expr:
            case ir.RuleRef(name=name):
                return self.rule(name)
            case ir.And(operands=operands, text=text, span=span):
                children = tuple(self.truth(o, record) for o in operands)
                return TraceNode(
                    NodeKind.AND,
                    kleene_and(c.truth for c in children),
                    text=text,
                    span=span,
                    children=children,
                )
            case ir.Or(operands=operands, text=text, span=span):
                children = tuple(self.truth(o, record) for o in operands)
                return TraceNode(
                    NodeKind.OR, kleene_or(c.truth for c in children), text=text, span=span, children=children
                )
            case ir.Not(operand=operand, text=text, span=span):
                child = self.truth(operand, record)
                return TraceNode(NodeKind.NOT, kleene_not(child.truth), text=text, span=span, children=(child,))
            case ir.Compare():
                return self.compare(expr, record)
            case ir.Member(item=item, options=options, negated=negated, text=text, span=span):
                reads: list[Read] = []
                value = self.value(item, record, reads)
                choices = [self.value(o, record, reads) for o in options]
                if isinstance(value, _Unknown) or any(isinstance(c, _Unknown) for c in choices):
                    truth = Truth.UNKNOWN
                else:
                    truth = Truth.of((value in choices) != negated)
                return TraceNode(
                    NodeKind.MEMBER,
                    truth,
                    text=text,
                    span=span,
                    op="not in" if negated else "in",
                    operands=(self.show(value), [self.show(c) for c in choices]),
                    reads=tuple(reads),
                )
            case ir.InPeriod(item=item, negated=negated, text=text, span=span):
                reads = []
                value = self.value(item, record, reads)
                if isinstance(value, _Unknown):
                    truth = Truth.UNKNOWN
                else:
                    assert isinstance(value, date)
                    truth = Truth.of((self.period.start <= value <= self.period.end) != negated)
                return TraceNode(
                    NodeKind.IN_PERIOD,
                    truth,
                    text=text,
                    span=span,
                    op="not in" if negated else "in",
                    operands=(self.show(value), str(self.period)),
                    reads=tuple(reads),
                )
            case ir.Exists(source=source, where=where, text=text, span=span):
                reads = []
                records = self.records(source, reads, record)
                if isinstance(records, _Unknown):
                    return TraceNode(NodeKind.EXISTS, Truth.UNKNOWN, text=text, span=span, reads=tuple(reads))
                self.within.append(source.name)
                children = tuple(self.truth(where, r) for r in records)
                self.within.pop()
                matching = [i for i, c in enumerate(children) if c.truth is Truth.MET]
                return TraceNode(
                    NodeKind.EXISTS,
                    kleene_or(c.truth for c in children),
                    text=text,
                    span=span,
                    operands=(len(records), matching),
                    reads=tuple(reads),
                    children=children,
                )
            case ir.Known(ref=ref, text=text, span=span):
                _, read = self.read(ref.name)
                return TraceNode(
                    NodeKind.KNOWN, Truth.of(read.origin != "missing"), text=text, span=span, reads=(read,)
                )
            case ir.Const() | ir.FieldRef() | ir.RecordFieldRef():
                reads = []
                value = self.value(expr, record, reads)
                truth = Truth.UNKNOWN if isinstance(value, _Unknown) else Truth.of(value is True)
                text = expr.text if isinstance(expr, ir.Const) else expr.name
                return TraceNode(
                    NodeKind.VALUE,
                    truth,
                    text=text,
                    span=expr.span,
                    operands=(self.show(value),),
                    reads=tuple(reads),
                )
            case (
                ir.PeriodRef()
                | ir.Arith()
                | ir.Neg()
                | ir.Count()
                | ir.Extremum()
                | ir.Share()
                | ir.LevelOf()
                | ir.Sum()
            ):
                raise TypeError(f"not a condition: {expr!r}")  # the checker rejects these
            case _:
                assert_never(expr)

    def compare(self, expr: ir.Compare, record: ir.Record | None) -> TraceNode:
        reads: list[Read] = []
        values = [self.value(o, record, reads) for o in expr.operands]
        error = next((v.reason for v in values if isinstance(v, _Unknown) and v.reason), None)
        return TraceNode(
            NodeKind.COMPARE,
            _chain_truth(expr.ops, values),
            text=expr.text,
            span=expr.span,
            op=",".join(str(op) for op in expr.ops),
            operands=tuple(self.show(v) for v in values),
            operand_texts=tuple(_text_of(o) for o in expr.operands),
            reads=tuple(reads),
            error=error,
        )

    def rule(self, name: str) -> TraceNode:
        cached = self.rules.get(name)
        if cached is not None:
            return cached
        rule = self.subject.rules[name]
        if name in self.active:  # the checker rejects cycles; this guards against a hand-built program
            return TraceNode(NodeKind.RULE, Truth.UNKNOWN, id=name, error="reference cycle")
        self.active.add(name)
        body = self.truth(rule.expr)
        self.active.discard(name)
        node = TraceNode(
            NodeKind.RULE,
            body.truth,
            id=name,
            **_declared(rule),
            reads=_unique_reads(body),
            children=(body,),
        )
        self.rules[name] = node
        return node


def _record_name(source: str, record: ir.Record) -> str:
    """``work[3]``, or ``work[3] (Báo cáo tháng)`` when the record names its product, task or id."""
    label = next((record.values[k] for k in ("product", "task", "id") if isinstance(record.values.get(k), str)), None)
    return f"{source}[{record.index}]" + (f" ({label})" if label else "")


def _text_of(expr: ir.Expr) -> str:
    match expr:
        case ir.FieldRef(name=name) | ir.RecordFieldRef(name=name) | ir.RuleRef(name=name):
            return name
        case ir.PeriodRef():
            return "period"
        case _:
            return expr.text


def _unique_reads(node: TraceNode) -> tuple[Read, ...]:
    """The evidence read anywhere under a node, once each, in order of first reading (rules excluded)."""
    seen: dict[str, Read] = {}

    def visit(n: TraceNode) -> None:
        for read in n.reads:
            seen.setdefault(read.name, read)
        for child in n.children:
            if child.kind is not NodeKind.RULE:
                visit(child)

    visit(node)
    return tuple(seen.values())


def _arith(op: ir.ArithOp, left: _Val, right: _Val) -> _Val:
    if left.__class__ is Fraction and right.__class__ is Fraction:
        # Exact arithmetic is slow in pure Python: a result already computed is looked up by the operands' integers
        # (a Fraction is immutable, so sharing one is safe; division by zero is not cached).
        assert isinstance(left, Fraction) and isinstance(right, Fraction)
        key = (op, left.numerator, left.denominator, right.numerator, right.denominator)
        found = _ARITH.get(key)
        if found is not None:
            return found
        result = _arith_exact(op, left, right)
        if isinstance(result, Fraction):
            if len(_ARITH) >= _ARITH_LIMIT:
                _ARITH.clear()
            _ARITH[key] = result
        return result
    if isinstance(left, _Unknown):
        return left
    if isinstance(right, _Unknown):
        return right
    assert isinstance(left, Fraction) and isinstance(right, Fraction)
    return _arith_exact(op, left, right)


_ARITH: dict[tuple[ir.ArithOp, int, int, int, int], Fraction] = {}
_ARITH_LIMIT = 65536


def _arith_exact(op: ir.ArithOp, left: Fraction, right: Fraction) -> _Val:
    match op:
        case ir.ArithOp.ADD:
            return left + right
        case ir.ArithOp.SUB:
            return left - right
        case ir.ArithOp.MUL:
            return left * right
        case ir.ArithOp.DIV:
            if right == 0:
                return _Unknown("division by zero")
            return left / right
        case _:
            assert_never(op)


def _chain_truth(ops: Sequence[ir.CompareOp], values: Sequence[_Val]) -> Truth:
    """The truth of a comparison chain (``a < b <= c``): each pair compared, unknown where either side is."""
    truths = [
        Truth.UNKNOWN
        if isinstance(left, _Unknown) or isinstance(right, _Unknown)
        else Truth.of(compare_values(op, left, right))
        for op, left, right in zip(ops, values, values[1:], strict=False)
    ]
    return kleene_and(truths)


def compare_values(op: ir.CompareOp, left: ir.Value, right: ir.Value) -> bool:
    """One comparison of two known values; scale and enum values compare by rank."""
    if left.__class__ is Fraction and right.__class__ is Fraction:
        # Two exact numbers compare as their cross products (denominators are positive): integers, not Fractions.
        assert isinstance(left, Fraction) and isinstance(right, Fraction)
        x, y = left.numerator * right.denominator, right.numerator * left.denominator
        match op:
            case ir.CompareOp.EQ:
                return x == y
            case ir.CompareOp.NE:
                return x != y
            case ir.CompareOp.LT:
                return x < y
            case ir.CompareOp.LE:
                return x <= y
            case ir.CompareOp.GT:
                return x > y
            case ir.CompareOp.GE:
                return x >= y
    a: Any = left.rank if isinstance(left, ir.Ordinal | ir.EnumValue) else left
    b: Any = right.rank if isinstance(right, ir.Ordinal | ir.EnumValue) else right
    match op:
        case ir.CompareOp.EQ:
            return bool(a == b)
        case ir.CompareOp.NE:
            return bool(a != b)
        case ir.CompareOp.LT:
            return bool(a < b)
        case ir.CompareOp.LE:
            return bool(a <= b)
        case ir.CompareOp.GT:
            return bool(a > b)
        case ir.CompareOp.GE:
            return bool(a >= b)
        case _:
            assert_never(op)


def kleene_and(truths: Iterable[Truth]) -> Truth:
    seen = set(truths)
    if Truth.NOT_MET in seen:
        return Truth.NOT_MET
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.MET


def kleene_or(truths: Iterable[Truth]) -> Truth:
    seen = set(truths)
    if Truth.MET in seen:
        return Truth.MET
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.NOT_MET


def kleene_not(truth: Truth) -> Truth:
    return {Truth.MET: Truth.NOT_MET, Truth.NOT_MET: Truth.MET, Truth.UNKNOWN: Truth.UNKNOWN}[truth]


# --- a rule's node without a context ------------------------------------------------------------------------------
#
# For a plan's first sight of a rule's inputs (a new pair of targets assigned and met, say): the rule's node built
# by closures made once per rule and period from the IR, without a ``_Context``. Each closure does what the
# ``_Context`` method of the same name does for that expression, in the same order, through the same functions
# (``_arith``, ``_chain_truth``, ``compare_values``, ``display``), so the node is equal to the reference's and
# the same errors are raised. Only the expressions below are compiled; a rule with any other (a rule reference, a
# count over records, ...) is left to the reference, and ``fast_rule`` gives None.

_ValueFn = Callable[[Mapping[str, ir.Value], Mapping[str, str], list[Read]], _Val]
_NodeFn = Callable[[Mapping[str, ir.Value], Mapping[str, str]], TraceNode]


class _FastRules:
    """Closures building one subject kind's rule nodes for one period."""

    def __init__(self, program: ir.Program, subject: ir.SubjectProgram, period: ir.Period) -> None:
        self.subject = subject
        self.period = period
        self.shower = _Context(program, subject, {}, {}, period)  # ``show`` reads the program only

    def show(self, value: _Val) -> object:
        c = value.__class__
        if c is Fraction:
            assert isinstance(value, Fraction)
            return int(value) if value.denominator == 1 else round(float(value), 6)
        if c is bool:
            return value
        return self.shower.show(value)

    def rule(self, name: str) -> _NodeFn | None:
        rule = self.subject.rules.get(name)
        body = None if rule is None else self.truth(rule.expr)
        if rule is None or body is None:
            return None
        text, label, cite, confidence, span = rule.text, rule.label, rule.cite, rule.confidence, rule.span

        def build(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
            node = body(values, origins)
            return TraceNode(
                NodeKind.RULE,
                node.truth,
                id=name,
                text=text,
                label=label,
                cite=cite,
                confidence=confidence,
                span=span,
                reads=_unique_reads(node),
                children=(node,),
            )

        return build

    def truth(self, expr: ir.Expr) -> _NodeFn | None:
        show = self.show
        match expr:
            case ir.And(operands=operands, text=text, span=span) | ir.Or(operands=operands, text=text, span=span):
                parts = [self.truth(o) for o in operands]
                if any(p is None for p in parts):
                    return None
                kind, combine = (NodeKind.AND, kleene_and) if isinstance(expr, ir.And) else (NodeKind.OR, kleene_or)
                built = [p for p in parts if p is not None]

                def junction(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                    children = tuple([p(values, origins) for p in built])
                    return TraceNode(kind, combine(c.truth for c in children), text=text, span=span, children=children)

                return junction
            case ir.Not(operand=operand, text=text, span=span):
                inner = self.truth(operand)
                if inner is None:
                    return None

                def negation(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                    child = inner(values, origins)
                    return TraceNode(NodeKind.NOT, kleene_not(child.truth), text=text, span=span, children=(child,))

                return negation
            case ir.Compare(operands=operands, ops=ops, text=text, span=span):
                found = [self.value(o) for o in operands]
                if any(f is None for f in found):
                    return None
                fns = [f for f in found if f is not None]
                op = ",".join(str(o) for o in ops)
                texts = tuple(_text_of(o) for o in operands)

                def comparison(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                    reads: list[Read] = []
                    vals = [f(values, origins, reads) for f in fns]
                    error = next((v.reason for v in vals if isinstance(v, _Unknown) and v.reason), None)
                    return TraceNode(
                        NodeKind.COMPARE,
                        _chain_truth(ops, vals),
                        text=text,
                        span=span,
                        op=op,
                        operands=tuple([show(v) for v in vals]),
                        operand_texts=texts,
                        reads=tuple(reads),
                        error=error,
                    )

                return comparison
            case ir.Known(ref=ref, text=text, span=span):
                read = self.value(ref)
                assert read is not None

                def known(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                    reads: list[Read] = []
                    read(values, origins, reads)
                    return TraceNode(
                        NodeKind.KNOWN, Truth.of(reads[0].origin != "missing"), text=text, span=span, reads=(reads[0],)
                    )

                return known
            case ir.Const() | ir.FieldRef():
                get = self.value(expr)
                assert get is not None
                label = expr.text if isinstance(expr, ir.Const) else expr.name
                where = expr.span

                def plain(values: Mapping[str, ir.Value], origins: Mapping[str, str]) -> TraceNode:
                    reads: list[Read] = []
                    value = get(values, origins, reads)
                    truth = Truth.UNKNOWN if isinstance(value, _Unknown) else Truth.of(value is True)
                    return TraceNode(
                        NodeKind.VALUE, truth, text=label, span=where, operands=(show(value),), reads=tuple(reads)
                    )

                return plain
            case _:
                return None

    def value(self, expr: ir.Expr) -> _ValueFn | None:
        match expr:
            case ir.Const(value=constant):
                return lambda values, origins, reads: constant
            case ir.FieldRef(name=name):
                f = self.subject.field_def(name)
                judgement = f.judgement if f else False
                show = self.show

                def read(values: Mapping[str, ir.Value], origins: Mapping[str, str], reads: list[Read]) -> _Val:
                    if name not in values:
                        reads.append(Read(name, None, "missing", judgement))
                        return UNKNOWN
                    value = values[name]
                    reads.append(Read(name, show(value), origins.get(name, "evidence"), judgement))
                    return value

                return read
            case ir.PeriodRef():
                period = self.period
                return lambda values, origins, reads: period
            case ir.Arith(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                if a is None or b is None:
                    return None
                first, second = a, b
                return lambda values, origins, reads: _arith(
                    op, first(values, origins, reads), second(values, origins, reads)
                )
            case ir.Neg(operand=operand):
                inner = self.value(operand)
                if inner is None:
                    return None
                found = inner

                def negative(values: Mapping[str, ir.Value], origins: Mapping[str, str], reads: list[Read]) -> _Val:
                    v = found(values, origins, reads)
                    return -v if isinstance(v, Fraction) else v

                return negative
            case ir.Compare() | ir.And() | ir.Or() | ir.Not() | ir.Known():
                node = self.truth(expr)
                if node is None:
                    return None
                condition = node

                def truth(values: Mapping[str, ir.Value], origins: Mapping[str, str], reads: list[Read]) -> _Val:
                    t = condition(values, origins).truth
                    return UNKNOWN if t is Truth.UNKNOWN else t is Truth.MET

                return truth
            case _:
                return None


def fast_rule(program: ir.Program, subject: ir.SubjectProgram, name: str, period: ir.Period) -> _NodeFn | None:
    """A function of one subject's values and origins giving rule ``name``'s node, equal to the reference's; None
    when the rule holds an expression these closures do not build."""
    return _FastRules(program, subject, period).rule(name)


# --- the outcome -----------------------------------------------------------------------------------------------


def evaluate(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> TraceNode:
    """Evaluate one subject; the returned root node carries the outcome.

    The first call for a program and kind compiles it (``runners._compiled``); the trace is equal to what
    ``_evaluate_reference`` builds, and may share nodes, all immutable, with other subjects' traces.
    """
    return _with_values(program, kind, values, origins, period, _evaluate_planned)


def derive_values(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> computed_values.Derived:
    """The kind's computed values filled in (``values.derive``), evaluated by this interpreter."""
    return computed_values.derive(program, kind, values, origins, period, _Context)


def _with_values(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
    run: Callable[[ir.Program, str, Mapping[str, ir.Value], Mapping[str, str], ir.Period], TraceNode],
) -> TraceNode:
    """Evaluate one subject with ``run``; a kind that declares computed values has them filled in first, and their
    node put first under the root."""
    if not program.subjects[kind].values:
        return run(program, kind, values, origins, period)
    derived = derive_values(program, kind, values, origins, period)
    root = run(program, kind, derived.values, derived.origins, period)
    assert derived.node is not None
    return dataclasses.replace(root, children=(derived.node, *root.children))


def _evaluate_planned(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> TraceNode:
    subject = program.subjects[kind]
    plan = _PLANS.get((id(program), kind))
    if plan is None or plan.program is not program or plan.subject is not subject:
        plan = _PLANS.add(program, kind)
    last, run = plan.last
    try:
        if period is last:
            return run(values, origins)
        return plan.select(period)(values, origins)
    except TypeError:
        if _compiled.hashable(values, origins, period):
            raise  # the reference raises it too: the plan built the failing node through it
        # An unhashable value or origin that slipped past validation: the reference says what happens to it.
        return _evaluate_stages(program, kind, values, origins, period)


def _evaluate_reference(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> TraceNode:
    """Evaluate one subject node by node, sharing nothing with other subjects: what ``evaluate`` must equal."""
    return _with_values(program, kind, values, origins, period, _evaluate_stages)


def _evaluate_stages(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> TraceNode:
    subject = program.subjects[kind]
    ctx = _Context(program, subject, values, origins, period)
    eligibility = [ctx.rule(r) for r in subject.not_classified]
    triggers = [ctx.rule(r) for r in subject.not_completed]
    level_nodes = [_level_node(req, tuple(ctx.rule(r) for r in req.rules)) for req in subject.levels]
    caps = [_cap_node(ctx, cap) for cap in subject.caps]
    cap_nodes = [node for node, _ in caps]
    bounds = [(node.truth, bound) for node, bound in caps]
    note_nodes = [node for node in (_note_node(ctx, note) for note in subject.notes) if node is not None]
    outcome = _decide(program, subject, eligibility, triggers, level_nodes, cap_nodes, bounds)
    children = (
        _stage_node(NodeKind.ELIGIBILITY, tuple(eligibility)),
        _stage_node(NodeKind.TRIGGERS, tuple(triggers)),
        *level_nodes,
        _stage_node(NodeKind.CAPS, tuple(cap_nodes)),
        _stage_node(NodeKind.NOTES, tuple(note_nodes)),
    )
    return _root(kind, outcome, children)


def _declared(item: ir.Rule | ir.Cap | ir.Note) -> dict[str, Any]:
    """What a rule's, cap's or note's node shows of its declaration: its text, label, citation, confidence and
    place in the file."""
    return {"text": item.text, "label": item.label, "cite": item.cite, "confidence": item.confidence, "span": item.span}


def _level_node(requirement: ir.LevelRequirement, children: tuple[TraceNode, ...]) -> TraceNode:
    return TraceNode(
        NodeKind.LEVEL,
        kleene_and(c.truth for c in children),
        id=requirement.level,
        level=requirement.level,
        span=requirement.span,
        children=children,
    )


def _stage_node(kind: NodeKind, children: tuple[TraceNode, ...]) -> TraceNode:
    """The eligibility, triggers and caps nodes hold if any child holds; the notes node if it has a child."""
    if kind is NodeKind.NOTES:
        return TraceNode(kind, Truth.of(bool(children)), children=children)
    return TraceNode(kind, kleene_or(c.truth for c in children), children=children)


def _root(kind: str, outcome: Outcome, children: tuple[TraceNode, ...]) -> TraceNode:
    root_truth = Truth.UNKNOWN if outcome.status is Status.INSUFFICIENT_EVIDENCE else Truth.MET
    return TraceNode(NodeKind.OUTCOME, root_truth, id=kind, level=outcome.level, outcome=outcome, children=children)


def _cap_node(ctx: _Context, cap: ir.Cap) -> tuple[TraceNode, ir.Ordinal | None]:
    """A cap's node, and its bound when known."""
    when = ctx.truth(cap.when)
    bound_reads: list[Read] = []
    bound = ctx.value(cap.at_most, None, bound_reads)
    known_bound = bound if isinstance(bound, ir.Ordinal) else None
    node = TraceNode(
        NodeKind.CAP,
        when.truth,
        id=cap.id,
        **_declared(cap),
        level=known_bound.id if known_bound else None,
        reads=(*_unique_reads(when), *bound_reads),
        children=(when,),
    )
    return node, known_bound


def _note_node(ctx: _Context, note: ir.Note) -> TraceNode | None:
    """A note's node when its condition holds; a note that does not hold leaves no node."""
    when = ctx.truth(note.when)
    if when.truth is not Truth.MET:
        return None
    return TraceNode(
        NodeKind.NOTE,
        when.truth,
        id=note.id,
        **_declared(note),
        reads=_unique_reads(when),
        children=(when,),
    )


def _decide(
    program: ir.Program,
    subject: ir.SubjectProgram,
    eligibility: Sequence[TraceNode],
    triggers: Sequence[TraceNode],
    level_nodes: Sequence[TraceNode],
    cap_nodes: Sequence[TraceNode],
    bounds: Sequence[tuple[Truth, ir.Ordinal | None]],
) -> Outcome:
    """The outcome from the stages' nodes: every outcome still possible given the unknowns, stage by stage.

    Decided outcomes depend on the nodes' truths, their ids and the caps' bounds only; an undetermined one also
    names the missing evidence read under the unknown nodes.
    """
    levels = program.levels
    lowest = program.lowest_level
    e_truth = kleene_or(n.truth for n in eligibility)
    k_truth = kleene_or(n.truth for n in triggers)
    possible: list[str] = []
    consulted: list[TraceNode] = []
    if e_truth is not Truth.NOT_MET:
        possible.append(NOT_CLASSIFIED)
        consulted.extend(eligibility)
    pre_cap: list[str] = []
    if e_truth is not Truth.MET:
        if k_truth is not Truth.NOT_MET:
            pre_cap.append(lowest)
            consulted.extend(triggers)
        if k_truth is not Truth.MET:
            reached = False
            for node in level_nodes:
                if node.truth is Truth.NOT_MET:
                    continue
                pre_cap.append(node.id)
                if node.truth is Truth.UNKNOWN:
                    consulted.append(node)
                    continue
                reached = True
                break
            if not reached:
                pre_cap.append(lowest)
    for level in dict.fromkeys(pre_cap):
        for final in _capped(levels, level, bounds):
            if final not in possible:
                possible.append(final)

    if len(possible) == 1:
        outcome = _decided(
            possible[0], pre_cap, e_truth, eligibility, k_truth, triggers, level_nodes, cap_nodes, bounds, levels
        )
        if outcome.decision is Decision.BELOW_LOWEST and subject.gap_to_competent_level:
            # The text lists the not-completed cases without "does not reach HT": the rules place the subject at
            # no level, and the failed conditions are what the competent level decides on.
            return Outcome(Status.LEFT_TO_COMPETENT_LEVEL, Decision.GAP, reasons=outcome.reasons)
        return outcome
    cap_unknown = [n for n, (t, b) in zip(cap_nodes, bounds, strict=True) if t is Truth.UNKNOWN or b is None]
    consulted.extend(cap_unknown)
    unknown_nodes = [n for n in consulted if n.truth is Truth.UNKNOWN or n.kind is NodeKind.CAP]
    missing = _missing_fields(unknown_nodes)
    reasons = _unknown_rules(unknown_nodes)
    ranked = sorted(possible, key=lambda p: -1 if p == NOT_CLASSIFIED else levels.rank(p), reverse=True)
    return Outcome(
        Status.INSUFFICIENT_EVIDENCE,
        Decision.UNDETERMINED,
        reasons=tuple(reasons),
        missing=tuple(missing),
        possible=tuple(ranked),
    )


def _capped(levels: ir.Scale, level: str, bounds: Sequence[tuple[Truth, ir.Ordinal | None]]) -> list[str]:
    """The final levels possible for a pre-cap level, given each cap's truth and bound."""
    if level == levels.values[-1].id:
        return [level]
    results = {levels.rank(level)}
    for truth, bound in bounds:
        if truth is Truth.NOT_MET:
            continue
        if bound is None:  # an unknown bound: anything at or below the level
            results |= {r for r in range(0, max(results) + 1)}
            continue
        lowered = {min(r, bound.rank) for r in results}
        results = lowered if truth is Truth.MET else results | lowered
    ids = [v.id for v in levels.values]
    return [ids[len(ids) - 1 - r] for r in sorted(results, reverse=True)]


def _decided(
    final: str,
    pre_cap: list[str],
    e_truth: Truth,
    eligibility: Sequence[TraceNode],
    k_truth: Truth,
    triggers: Sequence[TraceNode],
    level_nodes: Sequence[TraceNode],
    cap_nodes: Sequence[TraceNode],
    bounds: Sequence[tuple[Truth, ir.Ordinal | None]],
    levels: ir.Scale,
) -> Outcome:
    if final == NOT_CLASSIFIED:
        held = tuple(n.id for n in eligibility if n.truth is Truth.MET)
        return Outcome(Status.NOT_CLASSIFIED, Decision.ELIGIBILITY, reasons=held)
    if k_truth is Truth.MET:
        held = tuple(n.id for n in triggers if n.truth is Truth.MET)
        return Outcome(Status.CLASSIFIED, Decision.TRIGGER, level=final, level_before_caps=final, reasons=held)
    before = pre_cap[-1] if pre_cap else final
    failed: list[str] = []
    for node in level_nodes:
        if node.id == before:
            break
        failed.extend(c.id for c in node.children if c.truth is Truth.NOT_MET and c.id not in failed)
    applied = [
        node.id
        for node, (truth, bound) in zip(cap_nodes, bounds, strict=True)
        if truth is Truth.MET
        and bound is not None
        and before != levels.values[-1].id
        and bound.rank < levels.rank(before)
    ]
    decision = Decision.BELOW_LOWEST if before == levels.values[-1].id else Decision.LEVEL
    return Outcome(
        Status.CLASSIFIED,
        decision,
        level=final,
        level_before_caps=before,
        reasons=(*failed, *applied),
    )


def _missing_fields(nodes: list[TraceNode]) -> list[str]:
    missing: list[str] = []

    def visit(node: TraceNode) -> None:
        if node.truth is not Truth.UNKNOWN and node.kind is not NodeKind.CAP:
            return
        for read in node.reads:
            if read.origin == "missing" and read.name not in missing:
                missing.append(read.name)
            if read.origin == "derived" and isinstance(read.value, dict):
                # Related subjects whose own results are unknown: name each one.
                for subject_id in read.value.get(Truth.UNKNOWN.value, []):
                    if f"{read.name}[{subject_id}]" not in missing:
                        missing.append(f"{read.name}[{subject_id}]")
        for child in node.children:
            visit(child)

    for node in nodes:
        visit(node)
    return missing


def _unknown_rules(nodes: list[TraceNode]) -> list[str]:
    found: list[str] = []
    for node in nodes:
        if node.kind is NodeKind.RULE and node.truth is Truth.UNKNOWN:
            found.append(node.id)
        elif node.kind is NodeKind.LEVEL:
            found.extend(c.id for c in node.children if c.truth is Truth.UNKNOWN and c.id not in found)
        elif node.kind is NodeKind.CAP and node.truth is Truth.UNKNOWN:
            found.append(node.id)
    return list(dict.fromkeys(found))


# The compiled plans of the last few programs, by identity: a cache, not state (a plan's traces equal the
# reference's), bounded in entries and in the nodes each plan keeps.
_PLANS = _compiled.Plans(
    _compiled.Hooks(
        context=_Context,
        cap_node=_cap_node,
        note_node=_note_node,
        level_node=_level_node,
        stage_node=_stage_node,
        decide=_decide,
        reference=_evaluate_stages,
        fast_rule=fast_rule,
    )
)
