"""Framework diff: two programs → what changed rule by rule, and, replayed on a population, who changes level.

Input: two compiled programs (for example HD21 and 124/HD25) and optionally one population result under each,
read from one input or from one input per version. Output: a ``FrameworkDiff`` (per subject kind: rules, caps,
notes, lists and fields added, removed, changed) and a ``Replay`` (every subject whose outcome differs, with the
rules that made the difference and how the versions differ on each; a from × to matrix; those rules ranked by
subjects; the subjects only one version evaluated, with the other's rejections; both runs' counts), made by
``replay`` and re-exported here. Pure functions of their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from xeploai.analysis.replay import (
    INSUFFICIENT,
    NOT_CLASSIFIED,
    Cause,
    Moved,
    Replay,
    RuleCount,
    Run,
    Transition,
    Unmatched,
    outcome_key,
    replay,
    replay_json,
    replay_lines,
)
from xeploai.explanation.messages import DEFAULT_LANG
from xeploai.program import ir

__all__ = [
    "INSUFFICIENT",
    "NOT_CLASSIFIED",
    "Cause",
    "Change",
    "FrameworkDiff",
    "KindDiff",
    "Moved",
    "Replay",
    "RuleCount",
    "Run",
    "Transition",
    "Unmatched",
    "diff_programs",
    "level_codes",
    "outcome_key",
    "replay",
    "to_json",
    "to_text",
]


@dataclass(frozen=True)
class Change:
    """One item that differs: ``before`` and ``after`` are display texts (None when absent on that side)."""

    kind: str  # rule | cap | note | field | list | level | relation | quota | kind
    id: str
    before: str | None
    after: str | None
    aspects: tuple[str, ...] = ()  # what changed: when, cite, confidence, label, type, …

    @property
    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


@dataclass(frozen=True)
class KindDiff:
    kind: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class FrameworkDiff:
    before: ir.FrameworkInfo
    after: ir.FrameworkInfo
    kinds: tuple[KindDiff, ...]
    quotas: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.quotas and all(not k.changes for k in self.kinds)


def _rule_text(rule: ir.Rule) -> str:
    return rule.text


def _cite_text(cite: ir.Citation) -> str:
    return f"{cite.doc}: {cite.at}"


def _compare_items(
    kind: str, before: Mapping[str, object], after: Mapping[str, object], describe: object
) -> list[Change]:
    assert callable(describe)
    changes: list[Change] = []
    for item_id in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(item_id), after.get(item_id)
        if a is None:
            changes.append(Change(kind, item_id, None, describe(b)))
        elif b is None:
            changes.append(Change(kind, item_id, describe(a), None))
        else:
            aspects = _aspects(a, b)
            if aspects:
                changes.append(Change(kind, item_id, describe(a), describe(b), aspects))
    return changes


def _aspects(a: object, b: object) -> tuple[str, ...]:
    """Which meaningful attributes differ (spans and source texts of sub-expressions are not compared)."""
    names = (
        "text",
        "expr",
        "when",
        "at_most",
        "cite",
        "confidence",
        "label",
        "type",
        "required",
        "default",
        "minimum",
        "maximum",
        "at_most_field",
        "judgement",
        "kinds",
        "source",
    )
    out = []
    for name in names:
        if hasattr(a, name) and getattr(a, name) != getattr(b, name):
            if name == "expr" and "text" in out:
                continue
            out.append("when" if name in ("expr", "text") and "when" not in out else name)
    return tuple(dict.fromkeys(n for n in out if n not in ("expr", "text")))


def _describe_rule(rule: object) -> str:
    assert isinstance(rule, ir.Rule | ir.Cap | ir.Note)
    text = rule.text
    if isinstance(rule, ir.Cap):
        at_most = rule.at_most.text if isinstance(rule.at_most, ir.Const) else "…"
        text = f"{text} ⇒ ≤ {at_most}"
    return f"{text}  [{_cite_text(rule.cite)}; {rule.confidence}]"


def _describe_field(f: object) -> str:
    assert isinstance(f, ir.FieldDef)
    bounds = ""
    if f.at_most_field:
        bounds = f" ≤ {f.at_most_field}"
    return f"{f.type}{bounds}" + ("" if f.required else " (optional)")


def _describe_relation(r: object) -> str:
    assert isinstance(r, ir.Relation)
    return f"{', '.join(r.kinds)} from {r.source}"


def _list_changes(name: str, before: Sequence[str], after: Sequence[str]) -> list[Change]:
    if list(before) == list(after):
        return []
    removed = [r for r in before if r not in after]
    added = [r for r in after if r not in before]
    detail = []
    if added:
        detail.append("+" + ", +".join(added))
    if removed:
        detail.append("-" + ", -".join(removed))
    return [Change("list", name, ", ".join(before) or "—", ", ".join(after) or "—", tuple(detail) or ("order",))]


def diff_programs(before: ir.Program, after: ir.Program) -> FrameworkDiff:
    kinds: list[KindDiff] = []
    for kind in [*before.subjects, *(k for k in after.subjects if k not in before.subjects)]:
        a, b = before.subjects.get(kind), after.subjects.get(kind)
        if a is None or b is None:
            present = b if a is None else a
            assert present is not None
            label = present.label.vi
            kinds.append(
                KindDiff(kind, (Change("kind", kind, None if a is None else label, None if b is None else label),))
            )
            continue
        changes = [
            *_compare_items("field", {f.id: f for f in a.fields}, {f.id: f for f in b.fields}, _describe_field),
            *_compare_items(
                "relation", {r.id: r for r in a.relations}, {r.id: r for r in b.relations}, _describe_relation
            ),
            *_compare_items("rule", a.rules, b.rules, _describe_rule),
            *_list_changes("not_classified", a.not_classified, b.not_classified),
            *_list_changes("not_completed", a.not_completed, b.not_completed),
        ]
        levels_a = {r.level: r.rules for r in a.levels}
        levels_b = {r.level: r.rules for r in b.levels}
        for level in [*levels_a, *(k for k in levels_b if k not in levels_a)]:
            changes += _list_changes(f"levels.{level}", levels_a.get(level, ()), levels_b.get(level, ()))
        changes += _compare_items("cap", {c.id: c for c in a.caps}, {c.id: c for c in b.caps}, _describe_rule)
        changes += _compare_items("note", {n.id: n for n in a.notes}, {n.id: n for n in b.notes}, _describe_rule)
        kinds.append(KindDiff(kind, tuple(changes)))
    quotas = _compare_items("quota", {q.id: q for q in before.quotas}, {q.id: q for q in after.quotas}, _describe_quota)
    return FrameworkDiff(before.info, after.info, tuple(kinds), tuple(quotas))


def _describe_quota(q: object) -> str:
    assert isinstance(q, ir.Quota)
    group = f"unit kinds {', '.join(q.group_unit_kinds)}" if q.group_unit_kinds else f"field {q.group_field}"
    ratio = float(q.ratio) * 100
    return (
        f"{q.level} ≤ {ratio:g}% × {q.of_level} ({q.rounding}) per {group}; {q.policy}"
        f"  [{_cite_text(q.cite)}; {q.confidence}]"
    )


# --- rendering ---------------------------------------------------------------------------------------------------


def to_text(
    diff: FrameworkDiff,
    replayed: Replay | None = None,
    codes: Mapping[str, str] | None = None,
    lang: str = DEFAULT_LANG,
) -> str:
    """The diff as text: per subject kind, each change with its two sides, then the replay (in ``lang``)."""
    lines = [
        f"--- {diff.before.source} ({diff.before.version}, {diff.before.effective_from})",
        f"+++ {diff.after.source} ({diff.after.version}, {diff.after.effective_from})",
    ]
    symbol = {"added": "+", "removed": "-", "changed": "~"}
    for kind_diff in diff.kinds:
        if not kind_diff.changes:
            continue
        lines += ["", f"[{kind_diff.kind}]"]
        for change in kind_diff.changes:
            aspects = f" ({', '.join(change.aspects)})" if change.aspects else ""
            lines.append(f"  {symbol[change.status]} {change.kind} {change.id}{aspects}")
            if change.before is not None and change.status != "added":
                lines.append(f"      before: {change.before}")
            if change.after is not None and change.status != "removed":
                lines.append(f"      after:  {change.after}")
    if diff.quotas:
        lines += ["", "[quotas]"]
        for change in diff.quotas:
            lines.append(f"  {symbol[change.status]} quota {change.id}")
            if change.before is not None:
                lines.append(f"      before: {change.before}")
            if change.after is not None:
                lines.append(f"      after:  {change.after}")
    if diff.empty:
        lines += ["", "no differences"]
    if replayed is not None:
        lines += replay_lines(replayed, codes or {}, lang)
    return "\n".join(lines) + "\n"


def to_json(diff: FrameworkDiff, replayed: Replay | None = None) -> dict[str, object]:
    def change(c: Change) -> dict[str, object]:
        return {
            "type": c.kind,
            "id": c.id,
            "status": c.status,
            "before": c.before,
            "after": c.after,
            "aspects": list(c.aspects),
        }

    out: dict[str, object] = {
        "schema": "xeploai.diff/1",
        "before": {"source": diff.before.source, "version": diff.before.version},
        "after": {"source": diff.after.source, "version": diff.after.version},
        "kinds": [{"kind": k.kind, "changes": [change(c) for c in k.changes]} for k in diff.kinds],
        "quotas": [change(c) for c in diff.quotas],
    }
    if replayed is not None:
        out["replay"] = replay_json(replayed)
    return out


def level_codes(programs: Iterable[ir.Program]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for program in programs:
        codes.update({v.id: v.code for v in program.levels.values})
    return codes
