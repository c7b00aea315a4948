"""Reasons: the views of a result's trace tree that the renderers explain it with.

Input: a ``Result`` (its trace, whose root carries the outcome) and, for the levels, its ``Program``. Output: trace
nodes — the deciding children and conditions of a node, the nodes that decided the outcome, the failed rules of
every level above it, the caps applied, the notes held, the quota checks and the rules used.
"""

from __future__ import annotations

from typing import Literal, assert_never

from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, TraceNode, Truth, walk
from xeploai.program.ir import Confidence, Program

Role = Literal["root", "any", "all", "each", "not", "rule", "leaf"]


def role(kind: NodeKind) -> Role:
    """How a node of ``kind`` combines its children.

    ``any``/``all`` are disjunctions and conjunctions; ``each`` holds independent children (caps, notes);
    ``rule`` nodes (rules, caps, notes, quota checks) take the truth of their condition; ``leaf`` nodes have no boolean
    children.

    >>> role(NodeKind.LEVEL), role(NodeKind.TRIGGERS), role(NodeKind.COMPARE)
    ('all', 'any', 'leaf')
    """
    match kind:
        case NodeKind.OUTCOME:
            return "root"
        case NodeKind.ELIGIBILITY | NodeKind.TRIGGERS | NodeKind.OR:
            return "any"
        case NodeKind.LEVEL | NodeKind.AND:
            return "all"
        case NodeKind.CAPS | NodeKind.NOTES:
            return "each"
        case NodeKind.NOT:
            return "not"
        case NodeKind.RULE | NodeKind.CAP | NodeKind.NOTE | NodeKind.QUOTA | NodeKind.LINK:
            return "rule"
        case (
            NodeKind.COMPARE | NodeKind.MEMBER | NodeKind.IN_PERIOD | NodeKind.EXISTS | NodeKind.KNOWN | NodeKind.VALUE
        ):
            return "leaf"
        case _:
            assert_never(kind)


def deciding_children(node: TraceNode) -> tuple[TraceNode, ...]:
    """The children that decide ``node``'s truth.

    A failing *all* is explained by its failing children, a holding *any* by its holding children, an unknown
    one by its unknown children; a holding *all* and a failing *any* need every child. Of caps and notes, the
    ones that held.
    """
    children = node.children
    match role(node.kind):
        case "leaf":
            return ()
        case "root" | "not":
            return children
        case "each":
            return tuple(c for c in children if c.truth is Truth.MET)
        case "all":
            if node.truth is Truth.MET:
                return children
            return tuple(c for c in children if c.truth is node.truth) or children
        case "any":
            if node.truth is Truth.NOT_MET:
                return children
            return tuple(c for c in children if c.truth is node.truth) or children
        case "rule":
            return tuple(c for c in children if c.truth is node.truth) or children
        case other:
            assert_never(other)


def deciding_conditions(node: TraceNode) -> list[TraceNode]:
    """The conditions that decide a rule, cap or note: the leaves (comparisons, memberships, values …) and
    the nested rules reached through its ``and``/``or``/``not`` structure along deciding children."""
    found: list[TraceNode] = []

    def visit(n: TraceNode) -> None:
        if role(n.kind) in ("leaf", "rule") or not n.children:
            found.append(n)
            return
        for child in deciding_children(n):
            visit(child)

    for child in deciding_children(node):
        visit(child)
    return found


def reasons_view(result: Result) -> list[TraceNode]:
    """The nodes that decided the outcome, in trace order.

    Not classified: the not-classified rules that held. KHT by a trigger: the triggers that held. A level:
    the failed rules of every level above the level before caps, then the caps that lowered it, then (when a
    quota lowered it) the quota checks. Insufficient evidence: the unknown rules (and caps) that left the
    outcome open.
    """
    root = result.trace
    outcome = result.outcome
    match outcome.decision:
        case Decision.ELIGIBILITY:
            return _deciding_of_stage(root, NodeKind.ELIGIBILITY)
        case Decision.TRIGGER:
            return _deciding_of_stage(root, NodeKind.TRIGGERS)
        case Decision.LEVEL | Decision.BELOW_LOWEST | Decision.QUOTA:
            before = outcome.level_before_caps or outcome.level
            found: list[TraceNode] = []
            for level_node in _level_nodes(root):
                if level_node.level == before:
                    break
                found.extend(c for c in level_node.children if c.truth is Truth.NOT_MET)
            found.extend(_lowering_caps(root, before))
            if outcome.decision is Decision.QUOTA:
                found.extend(quota_checks(result))
            return found
        case Decision.UNDETERMINED:
            found = []
            for stage in root.children:
                if stage.truth is not Truth.UNKNOWN and stage.kind is not NodeKind.CAPS:
                    continue
                found.extend(c for c in stage.children if c.truth is Truth.UNKNOWN)
            return found
        case other:
            assert_never(other)


def why_not(result: Result, program: Program) -> dict[str, list[TraceNode]]:
    """For every level above the outcome (best first), the rules of that level that failed.

    Above a classified level: every better level. Under insufficient evidence: the levels better than the best
    one still possible. Not classified: none. A level whose rules all held (it was capped) maps to ``[]``.
    """
    order = [v.id for v in program.levels.values]
    outcome = result.outcome
    bound: int | None = None
    if outcome.status is Status.CLASSIFIED and outcome.level in order:
        bound = order.index(outcome.level)
    elif outcome.status is Status.INSUFFICIENT_EVIDENCE:
        positions = [order.index(p) for p in outcome.possible if p in order]
        bound = min(positions) if positions else None
    if bound is None:
        return {}
    nodes = {n.level: n for n in _level_nodes(result.trace)}
    failed: dict[str, list[TraceNode]] = {}
    for level in order[:bound]:
        node = nodes.get(level)
        failed[level] = [c for c in node.children if c.truth is Truth.NOT_MET] if node else []
    return failed


def caps_applied(result: Result) -> list[TraceNode]:
    """The caps whose condition held, in trace order."""
    caps = _stage(result.trace, NodeKind.CAPS)
    return [c for c in caps.children if c.truth is Truth.MET] if caps else []


def quota_checks(result: Result) -> list[TraceNode]:
    """The quota checks of the trace (population runs only), in trace order."""
    return [n for n in walk(result.trace) if n.kind is NodeKind.QUOTA]


def notes_held(result: Result) -> list[TraceNode]:
    """The notes whose condition held, in trace order."""
    notes = _stage(result.trace, NodeKind.NOTES)
    return [c for c in notes.children if c.truth is Truth.MET] if notes else []


def rules_used(result: Result) -> list[TraceNode]:
    """The rules and caps the outcome depends on, first occurrence of each, in trace order.

    Only the stages that decided the outcome count (eligibility for "not classified"; also the triggers for KHT
    by a trigger; also the levels down to the one reached and the caps for a level; every stage but the notes
    when undetermined), and inside them the deciding rules, with the rules they reference along deciding
    conditions. Every cap of a counted stage is used, held or not, and so is every quota check; notes never
    change the level.
    """
    used: list[TraceNode] = []
    seen: set[tuple[NodeKind, str]] = set()

    def visit(node: TraceNode) -> None:
        key = (node.kind, node.id)
        if key not in seen:
            seen.add(key)
            used.append(node)
        for cond in deciding_conditions(node):
            if role(cond.kind) == "rule":
                visit(cond)

    for stage in _deciding_stages(result):
        children = stage.children if stage.kind is NodeKind.CAPS else deciding_children(stage)
        for child in children:
            if child.kind in (NodeKind.RULE, NodeKind.CAP):
                visit(child)
    for quota in quota_checks(result):
        visit(quota)
    return used


def rules_by_confidence(result: Result) -> dict[Confidence, list[TraceNode]]:
    """The rules used (see ``rules_used``) grouped by their confidence mark."""
    out: dict[Confidence, list[TraceNode]] = {c: [] for c in Confidence}
    for node in rules_used(result):
        if node.confidence is not None:
            out[node.confidence].append(node)
    return out


def _deciding_stages(result: Result) -> list[TraceNode]:
    outcome = result.outcome
    stages: list[TraceNode] = []
    reached_level = False
    for stage in result.trace.children:
        match stage.kind:
            case NodeKind.ELIGIBILITY:
                stages.append(stage)
            case NodeKind.TRIGGERS:
                if outcome.decision is not Decision.ELIGIBILITY:
                    stages.append(stage)
            case NodeKind.LEVEL:
                if outcome.decision in (Decision.BELOW_LOWEST, Decision.UNDETERMINED) or (
                    outcome.decision in (Decision.LEVEL, Decision.QUOTA) and not reached_level
                ):
                    stages.append(stage)
                reached_level = reached_level or stage.level == (outcome.level_before_caps or outcome.level)
            case NodeKind.CAPS:
                if outcome.decision is not Decision.ELIGIBILITY and outcome.decision is not Decision.TRIGGER:
                    stages.append(stage)
            case _:
                pass
    return stages


def _stage(root: TraceNode, kind: NodeKind) -> TraceNode | None:
    for child in root.children:
        if child.kind is kind:
            return child
    return None


def _level_nodes(root: TraceNode) -> list[TraceNode]:
    return [c for c in root.children if c.kind is NodeKind.LEVEL]


def _deciding_of_stage(root: TraceNode, kind: NodeKind) -> list[TraceNode]:
    stage = _stage(root, kind)
    return [c for c in stage.children if c.truth is Truth.MET] if stage else []


def _lowering_caps(root: TraceNode, before: str | None) -> list[TraceNode]:
    """Caps that held and whose level is below ``before`` (levels ranked by the order of the LEVEL nodes)."""
    order = [n.level for n in _level_nodes(root)]

    def position(level: str | None) -> int:
        return order.index(level) if level in order else len(order)

    caps = _stage(root, NodeKind.CAPS)
    if caps is None:
        return []
    return [
        c for c in caps.children if c.truth is Truth.MET and (before is None or position(c.level) > position(before))
    ]
