"""The trace: a tree of evaluated nodes whose root carries the outcome, so the two cannot disagree.

Input: built by runners while they evaluate a program. Output: read by renderers (``explain``), tests and
receipts. Renderers are pure functions of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from xeploai.program.ir import Citation, Confidence, Period, Span, Text

TRACE_SCHEMA_VERSION = "xeploai.trace/1"


class Truth(enum.StrEnum):
    """Three-valued truth (Kleene): a condition is met, not met, or unknown for lack of evidence."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool) -> Truth:
        return Truth.MET if value else Truth.NOT_MET


class Status(enum.StrEnum):
    """A subject's outcome status. ``AWAITING_DECISION`` is left to the competent level (cấp có thẩm quyền): a quota
    candidate whose group is over its allowance with no recorded decision; it is never counted as a level."""

    CLASSIFIED = "classified"
    NOT_CLASSIFIED = "not_classified"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    AWAITING_DECISION = "awaiting_decision"  # a quota candidate over the allowance: the competent level decides
    # No level's conditions hold and no not-completed case does, where the text lists those cases without "does not
    # reach HT" (366 Điều 11 k4, NĐ90): the rules decide nothing, the competent level does (the ``level_gap`` reading).
    LEFT_TO_COMPETENT_LEVEL = "left_to_competent_level"


class Decision(enum.StrEnum):
    """How the outcome was decided; renderers pick their wording from it."""

    ELIGIBILITY = "eligibility"  # a not-classified rule held
    TRIGGER = "trigger"  # a not-completed trigger held
    BELOW_LOWEST = "below_lowest"  # no level's requirements held: the lowest level
    LEVEL = "level"  # the best level whose requirements all hold
    QUOTA = "quota"  # a quota lowered the level (by ranking, or by a committee's decision), or awaits a decision
    UNDETERMINED = "undetermined"  # missing evidence leaves more than one outcome possible
    GAP = "gap"  # no level's requirements held and no trigger: left to the competent level (never the lowest level)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a subject's evaluation decided: status, decision, level (before and after caps), reasons, what is
    missing and which levels remain possible."""

    status: Status
    decision: Decision
    level: str | None = None  # the final level when classified
    level_before_caps: str | None = None
    reasons: tuple[str, ...] = ()  # ids of the deciding rules and caps
    missing: tuple[str, ...] = ()  # evidence fields that were needed and absent
    # When undetermined: the levels (or "not_classified") still possible; when awaiting a quota decision: the level
    # the rules give (first) and the level the decision may move it to.
    possible: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # quotas exceeded and left for the competent committee's decision


class NodeKind(enum.StrEnum):
    OUTCOME = "outcome"
    ELIGIBILITY = "eligibility"  # the not-classified rules (any)
    TRIGGERS = "triggers"  # the not-completed triggers (any)
    LEVEL = "level"  # one level's requirements (all)
    CAPS = "caps"
    CAP = "cap"
    NOTES = "notes"
    NOTE = "note"
    RULE = "rule"
    AND = "and"
    OR = "or"
    NOT = "not"
    COMPARE = "compare"
    MEMBER = "member"
    IN_PERIOD = "in_period"
    EXISTS = "exists"
    KNOWN = "known"
    VALUE = "value"  # a boolean field or other leaf read as a condition
    QUOTA = "quota"  # a quota check on the subject's group (population runs only)
    VALUES = "values"  # the kind's computed values (scores from work tables), computed before the rules
    COMPUTED = "computed"  # one computed value, or one group of a grouped value (a month), with what it read
    LINK = "link"  # a field read from another result of the same person (population runs only)


@dataclass(frozen=True, slots=True)
class Read:
    """An evidence value read while evaluating a node."""

    name: str
    value: object  # display form: str, number, bool, or None when missing
    origin: str = (
        "evidence"  # evidence | default | missing | relation | derived | linked (another result of the person)
    )
    judgement: bool = False


@dataclass(frozen=True, slots=True)
class TraceNode:
    """One evaluated node of the trace: what it is, its truth, the rule and clause it stands for, the values it
    read and its children."""

    kind: NodeKind
    truth: Truth
    id: str = ""
    text: str = ""  # the condition as written in the framework
    label: Text | None = None
    cite: Citation | None = None
    confidence: Confidence | None = None
    span: Span | None = None
    op: str = ""  # for comparisons: the operator(s)
    operands: tuple[object, ...] = ()  # for comparisons: the evaluated operand values (display form)
    operand_texts: tuple[str, ...] = ()
    reads: tuple[Read, ...] = ()
    children: tuple[TraceNode, ...] = ()
    level: str | None = None  # LEVEL and CAP nodes: the level concerned
    outcome: Outcome | None = None  # the root only
    error: str | None = None  # e.g. division by zero
    details: tuple[tuple[str, object], ...] = ()  # QUOTA nodes: the group, the arithmetic, the ranking


@dataclass(frozen=True, slots=True)
class Result:
    """The result of evaluating one subject: the trace tree and where it came from."""

    trace: TraceNode
    subject_id: str
    subject_kind: str
    subject_name: str | None
    period: Period
    framework_family: str
    framework_version: str
    framework_source: str
    extras: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def outcome(self) -> Outcome:
        assert self.trace.outcome is not None
        return self.trace.outcome


def walk(node: TraceNode) -> list[TraceNode]:
    """All nodes of a trace, depth first, parents before children."""
    out = [node]
    for child in node.children:
        out.extend(walk(child))
    return out
