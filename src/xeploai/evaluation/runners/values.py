"""Computed values: a kind's declared values (``values:``) × typed evidence → the evidence with them filled in.

Input: a program, a kind, typed evidence and the period. Output: the values and origins with every computed value
the evidence does not give (origin ``computed``), and the trace nodes that show how: one node per value, and for a
grouped value (the months of a work table) one child per group whose reads name each record and its part, so that a
dispute can point at the month and the product that cost the points. A value the evidence gives is used as given
(its node says so). Every runner fills values through ``derive`` (``evidence.validate_evidence`` calls it), so they
all read the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

from xeploai.evaluation.trace import NodeKind, Read, TraceNode, Truth
from xeploai.program import ir

COMPUTED = "computed"  # the origin of a value filled in by ``derive``


class Evaluator(Protocol):
    """What ``derive`` needs of the interpreter's evaluation context (``interpreter._Context``)."""

    def value(self, expr: ir.Expr, record: ir.Record | None, reads: list[Read]) -> Any: ...

    def read(self, name: str) -> tuple[Any, Read]: ...

    def show(self, value: Any) -> object: ...


# program, kind program, values, origins, period → an evaluator over them
EvaluatorFactory = Callable[
    [ir.Program, ir.SubjectProgram, Mapping[str, ir.Value], Mapping[str, str], ir.Period], Evaluator
]


@dataclass(frozen=True, slots=True)
class Derived:
    values: Mapping[str, ir.Value]
    origins: Mapping[str, str]
    node: TraceNode | None  # the VALUES stage node; None when the kind declares no values


def derive(
    program: ir.Program,
    kind: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
    evaluator: EvaluatorFactory,
) -> Derived:
    """Fill in the kind's computed values that the evidence does not give, in declaration order.

    A value already marked ``computed`` (evidence derived before) is computed again, so deriving twice gives the
    same evidence and the same nodes.
    """
    subject = program.subjects[kind]
    if not subject.values:
        return Derived(values, origins, None)
    out = {k: v for k, v in values.items() if origins.get(k) != COMPUTED}
    out_origins = {k: o for k, o in origins.items() if o != COMPUTED}
    nodes: list[TraceNode] = []
    for declared in subject.values:
        if declared.target in out:
            _, read = evaluator(program, subject, out, out_origins, period).read(declared.target)
            nodes.append(_given(declared, read))
            continue
        ctx = evaluator(program, subject, out, out_origins, period)
        value: ir.Value | None
        if declared.per is None:
            node, value = _plain(ctx, declared)
        else:
            node, value = _grouped(ctx, evaluator, program, subject, declared, out, out_origins, period)
        nodes.append(node)
        if value is not None:
            out[declared.target] = value
            out_origins[declared.target] = COMPUTED
    stage = TraceNode(NodeKind.VALUES, _all(n.truth for n in nodes), children=tuple(nodes))
    return Derived(out, out_origins, stage)


def _declared(value: ir.ComputedValue) -> dict[str, object]:
    return {
        "id": value.target,
        "label": value.label,
        "cite": value.cite,
        "confidence": value.confidence,
        "span": value.span,
    }


def _given(declared: ir.ComputedValue, read: Read) -> TraceNode:
    return TraceNode(
        NodeKind.COMPUTED,
        Truth.MET,
        op="given",
        operands=(read.value,),
        reads=(read,),
        **_declared(declared),  # type: ignore[arg-type]
    )


def _plain(ctx: Evaluator, declared: ir.ComputedValue) -> tuple[TraceNode, Fraction | None]:
    (formula,) = declared.formulas
    reads: list[Read] = []
    value = ctx.value(formula.expr, None, reads)
    known = value if isinstance(value, Fraction) else None
    node = TraceNode(
        NodeKind.COMPUTED,
        Truth.UNKNOWN if known is None else Truth.MET,
        text=formula.text,
        op="computed",
        operands=(ctx.show(value),),
        reads=tuple(reads),
        error=getattr(value, "reason", None),
        **_declared(declared),  # type: ignore[arg-type]
    )
    return node, known


def _grouped(
    ctx: Evaluator,
    evaluator: EvaluatorFactory,
    program: ir.Program,
    subject: ir.SubjectProgram,
    declared: ir.ComputedValue,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    period: ir.Period,
) -> tuple[TraceNode, tuple[ir.Record, ...] | None]:
    assert declared.per is not None and declared.key is not None
    source, read = ctx.read(declared.per)
    if not isinstance(source, tuple):
        node = TraceNode(NodeKind.COMPUTED, Truth.UNKNOWN, op="grouped", reads=(read,), **_declared(declared))  # type: ignore[arg-type]
        return node, None
    groups: dict[ir.Value | None, list[ir.Record]] = {}
    for record in source:
        if isinstance(record, ir.Record):
            groups.setdefault(record.values.get(declared.key), []).append(record)
    children: list[TraceNode] = []
    records: list[ir.Record] = []
    for index, key in enumerate(sorted(groups, key=_order)):
        scoped: dict[str, ir.Value] = {**values, declared.per: tuple(groups[key])}
        group: dict[str, ir.Value] = {} if key is None else {declared.key: key}
        reads: list[Read] = []
        error: str | None = None
        known = True
        for formula in declared.formulas:
            value = evaluator(program, subject, {**scoped, **group}, origins, period).value(formula.expr, None, reads)
            if not isinstance(value, Fraction):
                known, error = False, getattr(value, "reason", None)
                break
            group[formula.id] = value
        records.append(ir.Record(group, index))
        children.append(
            TraceNode(
                NodeKind.COMPUTED,
                Truth.MET if known else Truth.UNKNOWN,
                id=f"{declared.target}[{index}]",
                text=f"{declared.key} = {ctx.show(key) if key is not None else '?'}",
                op="group",
                operands=tuple((name, ctx.show(v)) for name, v in group.items()),
                reads=tuple(reads),
                error=error,
            )
        )
    truth = _all(c.truth for c in children)
    node = TraceNode(
        NodeKind.COMPUTED,
        truth,
        op="grouped",
        operands=(len(records),),
        reads=(read,),
        children=tuple(children),
        **_declared(declared),  # type: ignore[arg-type]
    )
    return node, (tuple(records) if truth is Truth.MET else None)


def _all(truths: Iterable[Truth]) -> Truth:
    return Truth.UNKNOWN if Truth.UNKNOWN in set(truths) else Truth.MET


def _order(key: object) -> tuple[int, Fraction | str]:
    """Groups in the order of their keys (numbers, then text); a missing key last."""
    if isinstance(key, Fraction):
        return (0, key)
    if isinstance(key, str):
        return (1, key)
    return (2, "")
