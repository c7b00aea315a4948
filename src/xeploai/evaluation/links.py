"""Linked results: a field whose value is another result of the same person, computed in the same run.

Input: a subject's typed evidence, its kind's fields with ``from_result`` and the results of the same person that
the run has computed so far (``LinkedResult``). Output: the values and origins the runner reads, one ``link`` node
per linked field for the trace, and what the outcome must say (flags, an unknown field's reason).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Result, Status, TraceNode, Truth
from xeploai.program import ir

# The flag an outcome carries when a linked field's computed value differs from the value given in the row.
DIFFERS_FLAG = "linked-result-differs"
# The origin a trace's reads give a value taken from another result of the run.
LINKED_ORIGIN = "linked"


@dataclass(frozen=True)
class LinkedResult:
    """Another result of a person, as a linked field sees it: who, under which framework file, and its final level
    (None when it is undetermined, not classified, or its row was rejected)."""

    subject_id: str
    kind: str
    person: str
    family: str
    version: str
    source: str
    status: str  # a ``Status`` value, or "rejected"
    level: str | None = None  # the level id in the source framework
    level_code: str | None = None

    @classmethod
    def from_result(cls, result: Result, person: str, program: ir.Program) -> LinkedResult:
        """The final level of ``result`` (after its quotas) as a linked field reads it."""
        outcome = result.outcome
        level = outcome.level if outcome.status is Status.CLASSIFIED else None
        return cls(
            result.subject_id,
            result.subject_kind,
            person,
            result.framework_family,
            result.framework_version,
            result.framework_source,
            outcome.status.value,
            level,
            program.level_code(level) if level else None,
        )


# The person's results of some kinds, computed so far in the run: ``lookup(person, kinds)``.
Lookup = Callable[[str, Sequence[str]], list[LinkedResult]]


@dataclass(frozen=True)
class LinkIssue:
    """A linked field that could not be read (two sources, a level it cannot hold): the reading subject, the
    field, the results concerned, and why."""

    subject_id: str
    field: str
    others: tuple[str, ...]
    reason: ir.Text


@dataclass(frozen=True)
class Linked:
    """What a subject's linked fields give: the values and origins to evaluate with, the trace nodes, and what the
    outcome must carry."""

    values: dict[str, ir.Value]
    origins: dict[str, str]
    nodes: tuple[TraceNode, ...] = ()
    flags: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # fields left unknown because two results compete: the outcome is insufficient
    issues: tuple[LinkIssue, ...] = ()


def has_links(subject: ir.SubjectProgram) -> bool:
    return any(f.link is not None for f in subject.fields)


def links_own_kinds(program: ir.Program) -> bool:
    """Whether a field links to a result of the same framework: such a field is filled as the run evaluates, so
    only the interpreter's run classifies the framework (a field linked to another framework's kinds is, in a run
    of this framework alone, as given in its row)."""
    return any(
        k in program.subjects for s in program.subjects.values() for f in s.fields if f.link for k in f.link.kinds
    )


def link_fields(
    program: ir.Program,
    kind: str,
    subject_id: str,
    person: str,
    values: Mapping[str, ir.Value],
    origins: Mapping[str, str],
    columns: Mapping[str, str],
    where: str,
    lookup: Lookup,
) -> Linked:
    """The subject's evidence with every linked field filled from the person's other results."""
    out_values = dict(values)
    out_origins = dict(origins)
    nodes: list[TraceNode] = []
    flags: list[str] = []
    unknown: list[str] = []
    issues: list[LinkIssue] = []
    for fdef in program.subjects[kind].fields:
        link = fdef.link
        if link is None:
            continue
        given = values.get(fdef.id) if origins.get(fdef.id) == "evidence" else None
        found = [r for r in lookup(person, link.kinds) if r.subject_id != subject_id]
        details: list[tuple[str, object]] = [("field", fdef.id), ("person", person)]
        column = columns.get(fdef.id, fdef.id)
        if not found:
            origin = "given" if given is not None else "missing"
            details += [("origin", origin), ("given", _shown(given)), ("where", f"{where}, {column}")]
            nodes.append(_node(link, fdef, Truth.MET if given is not None else Truth.UNKNOWN, details))
            continue
        if len(found) > 1:
            ids = tuple(sorted(r.subject_id for r in found))
            reason = ir.Text(
                f"người '{person}' có {len(ids)} kết quả đọc được cho trường '{fdef.id}': " + ", ".join(ids),
                f"person '{person}' holds {len(ids)} results the field '{fdef.id}' could read: " + ", ".join(ids),
            )
            issues.append(LinkIssue(subject_id, fdef.id, ids, reason))
            out_values.pop(fdef.id, None)
            out_origins[fdef.id] = "missing"
            unknown.append(fdef.id)
            details += [("origin", "ambiguous"), ("others", list(ids)), ("reason", reason)]
            nodes.append(_node(link, fdef, Truth.UNKNOWN, details))
            continue
        other = found[0]
        details += [
            ("origin", "computed"),
            ("subject", other.subject_id),
            ("kind", other.kind),
            ("family", other.family),
            ("version", other.version),
            ("source", other.source),
            ("status", other.status),
            ("level", other.level_code),
        ]
        out_values.pop(fdef.id, None)
        out_origins[fdef.id] = "missing"
        if other.level is None:
            details.append(("reason", _undetermined(other)))
            nodes.append(_node(link, fdef, Truth.UNKNOWN, details))
            continue
        value = linked_value(program, fdef, link, other)
        if value is None:
            reason = ir.Text(
                f"mức '{other.level_code}' của {other.subject_id} không có trong map và không phải giá trị của trường"
                f" '{fdef.id}'",
                f"the level '{other.level_code}' of {other.subject_id} is not in the map and is not a value of the"
                f" field '{fdef.id}'",
            )
            issues.append(LinkIssue(subject_id, fdef.id, (other.subject_id,), reason))
            details.append(("reason", reason))
            nodes.append(_node(link, fdef, Truth.UNKNOWN, details))
            continue
        out_values[fdef.id] = value
        out_origins[fdef.id] = LINKED_ORIGIN
        details.append(("value", _shown(value)))
        if given is not None and given != value:
            details += [("given", _shown(given)), ("where", f"{where}, {column}")]
            if DIFFERS_FLAG not in flags:
                flags.append(DIFFERS_FLAG)
        nodes.append(_node(link, fdef, Truth.MET, details))
    return Linked(out_values, out_origins, tuple(nodes), tuple(flags), tuple(unknown), tuple(issues))


def linked_value(program: ir.Program, fdef: ir.FieldDef, link: ir.FieldLink, other: LinkedResult) -> ir.Value | None:
    """The source level as a value of ``fdef``: through ``map`` (by the level's id or code), else by an equal id
    or code; None when the field cannot hold it."""
    mapping = dict(link.mapping)
    target = mapping.get(other.level or "", mapping.get(other.level_code or ""))
    candidates = [target] if target is not None else [other.level, other.level_code]
    for candidate in candidates:
        if candidate is None:
            continue
        value = typed(program, fdef.type, candidate)
        if value is not None:
            return value
    return None


def typed(program: ir.Program, value_type: ir.ValueType, raw: str) -> ir.Value | None:
    """A level id or code as a value of ``value_type`` (an id or code of its scale or enum), or None."""
    match value_type:
        case ir.OrdinalType(scale=scale_id):
            scale = program.scales.get(scale_id)
            found = _choice(scale.values if scale else (), raw)
            return scale.ordinal(found.id) if scale and found else None
        case ir.EnumType(name=name, values=ids):
            enum = program.enums.get(name)
            found = _choice(enum.values if enum else (), raw)
            return ir.EnumValue(found.id, ids.index(found.id), name) if found and found.id in ids else None
        case ir.TextType():
            return raw
        case ir.BoolType():
            return {"true": True, "false": False}.get(raw)
    return None


def _choice(values: Iterable[ir.ScaleValue], raw: str) -> ir.ScaleValue | None:
    return next((v for v in values if raw in (v.id, v.code)), None)


def _undetermined(other: LinkedResult) -> ir.Text:
    match other.status:
        case "rejected":
            return ir.Text(
                f"dòng của {other.subject_id} ({other.kind}) bị từ chối", f"the row of {other.subject_id} was rejected"
            )
        case Status.NOT_CLASSIFIED.value:
            return ir.Text(
                f"{other.subject_id} ({other.kind}) không được xếp loại",
                f"{other.subject_id} ({other.kind}) is not classified",
            )
    return ir.Text(
        f"{other.subject_id} ({other.kind}) chưa đủ minh chứng để xếp loại",
        f"{other.subject_id} ({other.kind}) has insufficient evidence",
    )


def _shown(value: ir.Value | None) -> object:
    match value:
        case None:
            return None
        case ir.Ordinal(id=value_id) | ir.EnumValue(id=value_id):
            return value_id
    return value if isinstance(value, bool | str) else str(value)


def _node(link: ir.FieldLink, fdef: ir.FieldDef, truth: Truth, details: list[tuple[str, object]]) -> TraceNode:
    return TraceNode(
        NodeKind.LINK,
        truth,
        id=fdef.id,
        label=link.label,
        cite=link.cite,
        confidence=link.confidence,
        span=link.span,
        details=tuple(details),
    )


def with_links(result: Result, linked: Linked) -> Result:
    """A result with its link nodes added to the trace, the flags to its outcome, and, when two results compete
    for a field, insufficient evidence naming it."""
    if not linked.nodes:
        return result
    outcome: Outcome = result.outcome
    if linked.unknown and outcome.status is not Status.NOT_CLASSIFIED:
        outcome = replace(
            outcome,
            status=Status.INSUFFICIENT_EVIDENCE,
            decision=Decision.UNDETERMINED,
            level=None,
            missing=tuple(dict.fromkeys((*outcome.missing, *linked.unknown))),
        )
    if linked.flags:
        outcome = replace(outcome, flags=(*outcome.flags, *linked.flags))
    trace = replace(
        result.trace, level=outcome.level, outcome=outcome, children=(*result.trace.children, *linked.nodes)
    )
    return replace(result, trace=trace)
