"""Explanations: pure renderers of a result's trace tree.

Input: a ``Result`` (its trace, whose root carries the outcome), the ``Program`` it was evaluated with, for
labels, codes and legal documents, and the views of the trace from ``reasons``. Output: plain-text and JSON
renderings in Vietnamese (default) or English.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import assert_never

from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Read, Result, Status, TraceNode, Truth
from xeploai.explanation.messages import cite_place, msg
from xeploai.explanation.reasons import (
    caps_applied,
    deciding_conditions,
    notes_held,
    quota_checks,
    reasons_view,
    role,
    rules_by_confidence,
    why_not,
)
from xeploai.program.ir import (
    Citation,
    Confidence,
    FieldDef,
    Period,
    Program,
    ReadingChoice,
    ReadingParameter,
    RecordsType,
    Span,
    SubjectProgram,
    Text,
)

EXPLANATION_SCHEMA_VERSION = "xeploai.explanation/1"

NOT_CLASSIFIED = "not_classified"  # the pseudo-level used in ``Outcome.possible``

Json = dict[str, object]

# --- shared rendering helpers ------------------------------------------------------------------------------

_PRETTY_OPS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}


@dataclass(frozen=True, slots=True)
class _Ctx:
    program: Program
    subject: SubjectProgram | None
    lang: str


def _ctx(result: Result, program: Program, lang: str) -> _Ctx:
    return _Ctx(program, program.subjects.get(result.subject_kind), "en" if lang == "en" else "vi")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fmt_number(value: float | Fraction) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return f"{value:.10g}"


def format_value(value: object, lang: str = "vi") -> str:
    """A display value of a trace (operand or read) as text.

    >>> format_value(None), format_value(True, "en"), format_value(0.5), format_value(12.0)
    ('(thiếu)', 'yes', '0.5', '12')
    """
    match value:
        case None:
            return msg("value.missing", lang)
        case bool():
            return msg("value.true" if value else "value.false", lang)
        case int():
            return str(value)
        case float() | Fraction():
            return _fmt_number(value)
        case str():
            return _nfc(value)
        case Text():
            return value.get(lang)
        case date():
            return value.isoformat()
        case Period():
            return _format_period(value, lang)
        case Mapping():
            return ", ".join(f"{k}: {format_value(v, lang)}" for k, v in value.items())
        case tuple() | list():
            if not value:
                return msg("value.none", lang)
            if all(isinstance(v, Mapping) for v in value):  # records: one parenthesised group each
                return "; ".join(f"({format_value(v, lang)})" for v in value)
            return ", ".join(format_value(v, lang) for v in value)
        case _:
            return str(value)


def _format_date(day: date, lang: str) -> str:
    return day.isoformat() if lang == "en" else day.strftime("%d/%m/%Y")


def _format_period(period: Period, lang: str) -> str:
    key = f"period.{period.kind}"
    kind = msg(key, lang) if key in _PERIOD_KINDS else period.kind
    return f"{_format_date(period.start, lang)} – {_format_date(period.end, lang)} ({kind})"


_PERIOD_KINDS = {"period.annual", "period.quarterly", "period.ad_hoc"}


def _level_text(program: Program, level_id: str | None, lang: str) -> str:
    """``Hoàn thành tốt nhiệm vụ (HTT)``; the not-classified pseudo-level and unknown ids as they are."""
    if level_id is None:
        return "—"
    if level_id == NOT_CLASSIFIED:
        return msg("outcome.not_classified", lang)
    try:
        return f"{program.level_label(level_id).get(lang)} ({program.level_code(level_id)})"
    except KeyError:
        return level_id


def _cite_text(program: Program, cite: Citation, lang: str) -> str:
    doc = cite.doc
    for legal in program.info.legal_basis:
        if legal.id == cite.doc and legal.number and legal.number != legal.id:
            doc = f"{cite.doc} ({legal.number})"
            break
    return f"{doc}, {cite_place(cite.at, lang)}" if cite.at else doc


def _node_label(node: TraceNode, ctx: _Ctx) -> Text | None:
    if node.label is not None:
        return node.label
    if ctx.subject is None or not node.id:
        return None
    match node.kind:
        case NodeKind.RULE:
            rule = ctx.subject.rules.get(node.id)
            return rule.label if rule else None
        case NodeKind.CAP:
            return next((c.label for c in ctx.subject.caps if c.id == node.id), None)
        case NodeKind.NOTE:
            return next((n.label for n in ctx.subject.notes if n.id == node.id), None)
        case _:
            return None


def _node_name(node: TraceNode, ctx: _Ctx) -> str:
    label = _node_label(node, ctx)
    if label is None:
        return node.id or node.text or node.kind.value
    return f"{label.get(ctx.lang)} [{node.id}]" if node.id else label.get(ctx.lang)


def _chosen(node: TraceNode, ctx: _Ctx) -> ReadingChoice | None:
    """The option of a rules reading under which this rule, cap or note acts (``gating``), if it is gated."""
    if ctx.subject is None or not node.id:
        return None
    match node.kind:
        case NodeKind.RULE:
            rule = ctx.subject.rules.get(node.id)
            return rule.chosen if rule else None
        case NodeKind.CAP:
            return next((c.chosen for c in ctx.subject.caps if c.id == node.id), None)
        case NodeKind.NOTE:
            return next((n.chosen for n in ctx.subject.notes if n.id == node.id), None)
        case _:
            return None


def _reading_text(chosen: ReadingChoice, program: Program, lang: str) -> str:
    return msg(
        "field.reading_value",
        lang,
        reading=chosen.reading_label.get(lang),
        option=chosen.option_label.get(lang),
        cite=_cite_text(program, chosen.cite, lang),
        confidence=msg(f"confidence.{chosen.confidence.value}", lang),
        default=msg("reading.default" if chosen.default else "reading.chosen", lang),
    )


def _rule_message(node: TraceNode, ctx: _Ctx) -> Text | None:
    """The rule's own pass or fail sentence, when the framework gives one."""
    if node.kind is not NodeKind.RULE or ctx.subject is None:
        return None
    rule = ctx.subject.rules.get(node.id)
    if rule is None:
        return None
    if node.truth is Truth.MET:
        return rule.pass_
    if node.truth is Truth.NOT_MET:
        return rule.fail
    return None


def _confidence(node: TraceNode, lang: str) -> str | None:
    return msg(f"confidence.{node.confidence.value}", lang) if node.confidence is not None else None


def _field_def(name: str, ctx: _Ctx) -> FieldDef | None:
    fields = ctx.subject.fields if ctx.subject else ()
    return next((f for f in fields if f.id == name), None)


def _field_label(name: str, ctx: _Ctx) -> str | None:
    fdef = _field_def(name, ctx)
    return fdef.label.get(ctx.lang) if fdef else None


def _named(name: str, ctx: _Ctx) -> str:
    label = _field_label(name, ctx)
    return f"{label} ({name})" if label else name


def _op_text(op: str) -> str:
    return _PRETTY_OPS.get(op, op)


def _negated(leaf: TraceNode, rule: TraceNode) -> bool:
    """Whether ``leaf`` explains ``rule`` through an odd number of ``not``s (their truths differ)."""
    known = (Truth.MET, Truth.NOT_MET)
    return leaf.truth in known and rule.truth in known and leaf.truth is not rule.truth


def _operand_text(text: str, value: object, ctx: _Ctx) -> str:
    shown = format_value(value, ctx.lang)
    if not text or text == shown or text.strip("\"'") == shown:
        return shown
    return f"{_named(text, ctx)} = {shown}"


def _reads_text(reads: Sequence[Read], ctx: _Ctx) -> str:
    parts = []
    for read in reads:
        marks = []
        if read.origin != "evidence" and f"read.{read.origin}" in _READ_ORIGINS:
            marks.append(msg(f"read.{read.origin}", ctx.lang))
        if read.judgement:
            marks.append(msg("read.judgement", ctx.lang))
        suffix = f" ({', '.join(marks)})" if marks else ""
        parts.append(f"{_named(read.name, ctx)} = {format_value(read.value, ctx.lang)}{suffix}")
    return "; ".join(parts)


_READ_ORIGINS = {"read.default", "read.missing", "read.derived"}


def actual_and_required(leaf: TraceNode, negated: bool, ctx: _Ctx) -> tuple[str | None, str]:
    """The actual value(s) and the requirement of one deciding condition, as text."""
    ops = [o for o in leaf.op.split(",") if o]
    if leaf.kind is NodeKind.COMPARE and len(ops) == 1 and len(leaf.operands) == 2:
        texts = (*leaf.operand_texts, "", "")
        actual = _operand_text(texts[0], leaf.operands[0], ctx)
        right = format_value(leaf.operands[1], ctx.lang)
        required = f"{_op_text(ops[0])} {right}"
        if texts[1] and texts[1] != right and texts[1].strip("\"'") != right:
            required += f" ({texts[1]})"
    elif leaf.kind is NodeKind.COMPARE and len(leaf.operands) == len(ops) + 1 and ops:
        values = [format_value(v, ctx.lang) for v in leaf.operands]
        chain = [values[0]]
        for op, value in zip(ops, values[1:], strict=True):
            chain += [_op_text(op), value]
        actual = " ".join(chain)
        required = leaf.text
    else:
        key = "required.not_holds" if negated else "required.holds"
        return _reads_text(leaf.reads, ctx) or None, msg(key, ctx.lang, text=leaf.text or leaf.kind.value)
    if negated:
        required = msg("required.negated", ctx.lang, requirement=required)
    return actual, required


# --- plain text ---------------------------------------------------------------------------------------------


def gap_text(program: Program, lang: str = "vi") -> str:
    """Why a subject is left to the competent level: no level and no not-completed case, with the ``level_gap``
    reading that says so (its label, the option applied and its source)."""
    levels = program.levels.values
    above = levels[-2].id if len(levels) > 1 else program.lowest_level
    reading = next(
        (r for r in (program.process.readings if program.process else ()) if r.parameter is ReadingParameter.LEVEL_GAP),
        None,
    )
    option = reading.option(reading.default) if reading is not None else None
    doc = ""
    if option is not None:
        doc = next((d.number for d in program.info.legal_basis if d.id == option.cite.doc), option.cite.doc)
    return msg(
        "decision.gap",
        lang,
        lowest=program.level_code(program.lowest_level),
        level=_level_text(program, above, lang),
        reading=reading.label.get(lang) if reading is not None else "level_gap",
        option=option.label.get(lang) if option is not None else "",
        source=f"{doc}, {option.cite.at}" if option is not None else "",
    )


def headline(result: Result, program: Program, lang: str = "vi") -> str:
    """The outcome in a few words: the level's label and code, or not classified / insufficient evidence."""
    outcome = result.outcome
    match outcome.status:
        case Status.CLASSIFIED:
            return _level_text(program, outcome.level, lang)
        case Status.NOT_CLASSIFIED:
            return msg("outcome.not_classified", lang)
        case Status.INSUFFICIENT_EVIDENCE:
            return msg("outcome.insufficient_evidence", lang)
        case Status.AWAITING_DECISION:
            if not outcome.possible:
                return msg("outcome.awaiting_decision", lang)
            return msg("outcome.awaiting_proposed", lang, level=_level_text(program, outcome.possible[0], lang))
        case Status.LEFT_TO_COMPETENT_LEVEL:
            return msg("outcome.left_to_competent_level", lang)
        case other:
            assert_never(other)


def _who(result: Result) -> str:
    if result.subject_name and result.subject_id:
        return f"{result.subject_name} ({result.subject_id})"
    return result.subject_name or result.subject_id or result.subject_kind


def to_text(result: Result, program: Program, lang: str = "vi") -> str:
    """A plain-text explanation of one result, in Vietnamese (default) or English."""
    ctx = _ctx(result, program, lang)
    lang = ctx.lang
    outcome = result.outcome
    lines: list[str] = [f"{_who(result)}: {headline(result, program, lang)}"]
    kind_label = ctx.subject.label.get(lang) if ctx.subject else result.subject_kind
    lines.append(f"{msg('label.subject', lang)}: {kind_label} ({result.subject_kind})")
    source = msg("framework.source", lang, file=result.framework_source)
    title = program.info.title.get(lang)
    lines.append(
        f"{msg('label.framework', lang)}: {result.framework_family} {result.framework_version} — {title} ({source})"
    )
    lines.append(f"{msg('label.period', lang)}: {_format_period(result.period, lang)}")
    selection = result.extras.get("selection_en" if lang == "en" else "selection_vi")
    if isinstance(selection, str):
        lines.append(f"{msg('label.selection', lang)}: {selection}")

    lines += ["", f"{msg('section.reasons', lang)}:"]
    lines += _reasons_lines(result, ctx)

    lines += _why_not_lines(result, ctx)

    caps = [n for n in reasons_view(result) if n.kind is NodeKind.CAP]
    if caps:
        lines += ["", f"{msg('section.caps', lang)}:"]
        if outcome.level_before_caps and outcome.level_before_caps != outcome.level:
            before = _level_text(program, outcome.level_before_caps, lang)
            lines.append(f"  {msg('label.level_before_caps', lang)}: {before}")
        for cap in caps:
            _render_finding(lines, cap, ctx, 1)

    lines += _values_lines(result, ctx)

    notes = notes_held(result)
    if notes:
        lines += ["", f"{msg('section.notes', lang)}:"]
        for note in notes:
            _render_finding(lines, note, ctx, 1, conditions=False)

    lines += ["", f"{msg('section.confidence', lang)}:"]
    lines += [f"  {line}" for line in confidence_summary(result, program, lang)]
    return _nfc("\n".join(lines) + "\n")


def _values_lines(result: Result, ctx: _Ctx) -> list[str]:
    """The computed values (``values:``): each value with its clause, and for a grouped value each group (a month)
    with its figures and the part of every record (a product) in them."""
    stage = next((n for n in result.trace.children if n.kind is NodeKind.VALUES), None)
    if stage is None or ctx.subject is None:
        return []
    lang, program = ctx.lang, ctx.program
    lines = ["", f"{msg('section.values', lang)}:"]
    for node in stage.children:
        label = node.label.get(lang) if node.label else node.id
        if node.op == "given":
            shown = msg("values.given", lang, value=node.operands[0] if node.operands else "")
        elif node.truth is Truth.UNKNOWN:
            shown = msg("values.unknown", lang)
        else:
            shown = str(node.operands[0]) if node.op == "computed" else ""
        lines.append(f"  - {node.id}: {shown}".rstrip())
        lines.append(f"    {label}")
        if node.cite is not None:
            lines.append(f"    {msg('field.citation', lang)}: {_cite_text(program, node.cite, lang)}")
        confidence = _confidence(node, lang)
        if confidence:
            lines.append(f"    {msg('field.confidence', lang)}: {confidence}")
        for group in node.children:
            figures = ", ".join(f"{pair[0]} {pair[1]}" for pair in group.operands if isinstance(pair, tuple))
            lines.append(f"    {_group_title(ctx, node.id, group.text)}: {figures}")
            for read in group.reads:
                lines.append(f"      {read.name} = {read.value}")
    return lines


def _group_title(ctx: _Ctx, value_id: str, text: str) -> str:
    """``month = 3`` as "Tháng 3" / "Month 3", by the label of the key field of the grouped value's records."""
    key, _, shown = text.partition(" = ")
    assert ctx.subject is not None
    fdef = ctx.subject.field_def(value_id)
    record = ctx.program.records.get(fdef.type.record) if fdef and isinstance(fdef.type, RecordsType) else None
    label = next((f.label.get(ctx.lang) for f in record.fields if f.id == key), key) if record else key
    return f"{label} {shown}"


def _reasons_lines(result: Result, ctx: _Ctx) -> list[str]:
    lang, program, outcome = ctx.lang, ctx.program, result.outcome
    lines: list[str] = []
    reasons = reasons_view(result)
    match outcome.decision:
        case Decision.ELIGIBILITY | Decision.TRIGGER:
            key = "decision.eligibility" if outcome.decision is Decision.ELIGIBILITY else "decision.trigger"
            lines.append(f"  {msg(key, lang)}")
            for node in reasons:
                _render_finding(lines, node, ctx, 2)
        case Decision.LEVEL | Decision.BELOW_LOWEST | Decision.QUOTA:
            before = outcome.level_before_caps or outcome.level
            if outcome.decision is not Decision.BELOW_LOWEST:
                lines.append(f"  {msg('decision.level', lang, level=_level_text(program, before, lang))}")
            else:
                levels = program.levels.values
                above = levels[-2].id if len(levels) > 1 else program.lowest_level
                text = msg(
                    "decision.below_lowest",
                    lang,
                    level=_level_text(program, above, lang),
                    lowest=_level_text(program, program.lowest_level, lang),
                )
                lines.append(f"  {text}")
            capped_to = _lowest(program, [n.level for n in reasons if n.kind is NodeKind.CAP])
            if capped_to is not None:
                capped = msg(
                    "decision.capped",
                    lang,
                    level=_level_text(program, capped_to, lang),
                    before=_level_text(program, before, lang),
                )
                lines.append(f"  {capped}")
            failed = [n for n in reasons if n.kind is NodeKind.RULE]
            if failed:
                names = ", ".join(_node_name(n, ctx) for n in failed)
                lines.append(f"  {msg('decision.failed_above', lang, rules=names)}")
            quotas = [n for n in reasons if n.kind is NodeKind.QUOTA]
            if outcome.status is Status.AWAITING_DECISION:
                proposed, lower = (*outcome.possible, "", "")[:2]
                text = msg(
                    "decision.awaiting",
                    lang,
                    level=_level_text(program, proposed, lang),
                    lower=_level_text(program, lower, lang),
                )
                lines.append(f"  {text}")
                for node in quota_checks(result):
                    _render_finding(lines, node, ctx, 2)
                    _quota_lines(lines, node, lang)
            elif outcome.decision is Decision.QUOTA:
                lines.append(f"  {msg('decision.quota', lang, level=_level_text(program, outcome.level, lang))}")
                for node in quotas:
                    _render_finding(lines, node, ctx, 2)
                    _quota_lines(lines, node, lang)
        case Decision.GAP:
            lines.append(f"  {gap_text(program, lang)}")
            failed = [n for n in reasons if n.kind is NodeKind.RULE]
            if failed:
                names = ", ".join(_node_name(n, ctx) for n in failed)
                lines.append(f"  {msg('decision.failed_above', lang, rules=names)}")
        case Decision.UNDETERMINED:
            lines.append(f"  {msg('decision.undetermined', lang)}")
            if outcome.missing:
                fields = ", ".join(_named(f, ctx) for f in outcome.missing)
                lines.append(f"  {msg('missing', lang, fields=fields)}")
            if outcome.possible:
                outcomes = ", ".join(_level_text(program, p, lang) for p in outcome.possible)
                lines.append(f"  {msg('possible', lang, outcomes=outcomes)}")
            if reasons:
                lines.append(f"  {msg('section.unknown_rules', lang)}:")
                for node in reasons:
                    _render_finding(lines, node, ctx, 2)
        case other:
            assert_never(other)
    quota_flags = [flag for flag in outcome.flags if flag != "linked-result-differs"]
    if quota_flags:
        names = ", ".join(_flag_name(flag, result, ctx) for flag in quota_flags)
        lines.append(f"  {msg('decision.flags', lang, flags=names)}")
    links = link_lines(result, program, lang)
    if links:
        lines.append(f"  {msg('section.links', lang)}:")
        lines.extend(f"    {line}" for line in links)
    return lines


def link_lines(result: Result, program: Program, lang: str) -> list[str]:
    """One sentence per linked field of the result: the other result it read (who, which file, its level), or the
    value given as input, or why it is unknown; each with its citation."""
    out: list[str] = []
    for node in result.trace.children:
        if node.kind is not NodeKind.LINK:
            continue
        details = dict(node.details)
        cite = _cite_text(program, node.cite, lang) if node.cite else ""
        field = node.label.get(lang) + f" ({node.id})" if node.label else node.id
        reason = details.get("reason")
        if isinstance(reason, Text):
            out.append(msg("link.unknown", lang, field=field, reason=reason.get(lang), cite=cite))
        elif details.get("origin") == "computed":
            framework = f"{details.get('family')} {details.get('version')}"
            out.append(
                msg(
                    "link.computed",
                    lang,
                    field=field,
                    level=details.get("level"),
                    subject=details.get("subject"),
                    kind=details.get("kind"),
                    framework=framework,
                    source=details.get("source"),
                    cite=cite,
                )
            )
            if details.get("given") is not None:
                out.append(msg("link.differs", lang, given=details.get("given"), where=details.get("where")))
        else:
            value = details.get("given")
            shown = "—" if value is None else str(value)
            out.append(msg("link.given", lang, field=field, value=shown, where=details.get("where"), cite=cite))
    return out


def _quota_lines(lines: list[str], node: TraceNode, lang: str) -> None:
    """Under a quota check: that its ranking is only the tool's suggestion, and the decision it followed."""
    details = dict(node.details)
    keys = details.get("rank_by")
    if details.get("ranking") == "flag" and isinstance(keys, list) and keys:
        lines.append(f"      {msg('decision.quota_suggestion', lang, keys=', '.join(map(str, keys)))}")
    if details.get("status") == "decided":
        decided = msg(
            "decision.quota_decided",
            lang,
            reference=details.get("decision") or "",
            by=details.get("decided_by") or "?",
            on=details.get("decided_on") or "?",
            source=details.get("source") or "",
        )
        lines.append(f"      {decided}")


def _lowest(program: Program, levels: Sequence[str | None]) -> str | None:
    """The worst of ``levels`` on the program's scale (None when there is none)."""
    order = [v.id for v in program.levels.values]
    known = [lv for lv in levels if lv in order]
    return max(known, key=order.index) if known else None


def _flag_name(flag: str, result: Result, ctx: _Ctx) -> str:
    for node in quota_checks(result):
        if node.id == flag:
            return _node_name(node, ctx)
    return flag


def _why_not_lines(result: Result, ctx: _Ctx) -> list[str]:
    lang, program, outcome = ctx.lang, ctx.program, result.outcome
    lines: list[str] = []
    order = [v.id for v in program.levels.values]
    caps = caps_applied(result)
    for level, failed in why_not(result, program).items():
        body: list[str] = []
        if failed:
            for node in failed:
                _render_finding(body, node, ctx, 1)
        else:
            lowering = [
                c for c in caps if c.level in order and level in order and order.index(c.level) > order.index(level)
            ]
            if lowering:
                names = ", ".join(_node_name(c, ctx) for c in lowering)
                body.append(f"  {msg('why_not.capped', lang, caps=names)}")
            elif outcome.decision is Decision.TRIGGER:
                body.append(f"  {msg('why_not.trigger', lang)}")
            elif outcome.decision is Decision.QUOTA:
                body.append(f"  {msg('why_not.quota', lang)}")
        if body:
            lines += ["", f"{msg('section.why_not', lang, level=_level_text(program, level, lang))}:", *body]
    return lines


def _render_finding(lines: list[str], node: TraceNode, ctx: _Ctx, depth: int, *, conditions: bool = True) -> None:
    """A rule, cap or note with why it has its truth: its deciding conditions, clause and confidence."""
    lang = ctx.lang
    pad = "  " * depth
    sub = pad + "  "
    head = f"{pad}- {_node_name(node, ctx)}: {msg(f'truth.{node.truth.value}', lang)}"
    if node.kind is NodeKind.CAP and node.level:
        head += f" ({msg('cap.at_most', lang, level=_level_text(ctx.program, node.level, lang))})"
    lines.append(head)
    message = _rule_message(node, ctx)
    if message is not None:
        lines.append(f"{sub}{message.get(lang)}")
    for key, value in node.details:
        lines.append(f"{sub}{key}: {format_value(value, lang)}")
    if conditions:
        if node.text:
            lines.append(f"{sub}{msg('field.condition', lang)}: {node.text}")
        _render_conditions(lines, node, ctx, sub)
    if node.error:
        lines.append(f"{sub}{msg('field.error', lang)}: {node.error}")
    if node.cite is not None:
        lines.append(f"{sub}{msg('field.citation', lang)}: {_cite_text(ctx.program, node.cite, lang)}")
    mark = _confidence(node, lang)
    if mark is not None:
        lines.append(f"{sub}{msg('field.confidence', lang)}: {mark}")
    chosen = _chosen(node, ctx)
    if chosen is not None:
        lines.append(f"{sub}{msg('field.reading', lang)}: {_reading_text(chosen, ctx.program, lang)}")
    if node.span is not None and node.span.line > 0 and node.kind in (NodeKind.RULE, NodeKind.CAP, NodeKind.NOTE):
        # The file shows the layer a rule comes from when a local framework extends a central one.
        lines.append(f"{sub}{msg('field.rule_at', lang)}: {node.span}")


def _render_conditions(lines: list[str], rule: TraceNode, ctx: _Ctx, pad: str) -> None:
    lang = ctx.lang
    for cond in deciding_conditions(rule):
        if role(cond.kind) == "rule":
            _render_finding(lines, cond, ctx, len(pad) // 2 + 1)
            continue
        negated = _negated(cond, rule)
        if cond.text and cond.text != rule.text:
            truth = msg(f"truth.{cond.truth.value}", lang)
            lines.append(f"{pad}{msg('field.condition', lang)}: {cond.text} ({truth})")
        actual, required = actual_and_required(cond, negated, ctx)
        if actual is not None:
            lines.append(f"{pad}{msg('field.actual', lang)}: {actual}")
        lines.append(f"{pad}{msg('field.required', lang)}: {required}")
        if cond.error:
            lines.append(f"{pad}{msg('field.error', lang)}: {cond.error}")


def confidence_summary(result: Result, program: Program, lang: str = "vi") -> list[str]:
    """A line per weaker confidence mark naming the rules that carry it, or one saying all are confirmed."""
    ctx = _ctx(result, program, lang)
    marks = rules_by_confidence(result)
    lines = []
    for mark, key in (
        (Confidence.SECONDARY, "confidence.uses_secondary"),
        (Confidence.ASSUMED, "confidence.uses_assumed"),
    ):
        if marks[mark]:
            names = ", ".join(_node_name(n, ctx) for n in marks[mark])
            lines.append(msg(key, ctx.lang, rules=names))
    return lines or [msg("confidence.all_confirmed", ctx.lang)]


# --- JSON ---------------------------------------------------------------------------------------------------


def to_json(result: Result, program: Program, lang: str = "vi") -> Json:
    """The explanation as JSON-ready data (``xeploai.explanation/1``; see schema/explanation.schema.json).

    Keys come in a fixed order, so equal results serialize to equal text.
    """
    ctx = _ctx(result, program, lang)
    info = program.info
    marks = rules_by_confidence(result)
    reasons = reasons_view(result)
    return {
        "schema": EXPLANATION_SCHEMA_VERSION,
        "lang": ctx.lang,
        "subject": {
            "id": result.subject_id,
            "name": result.subject_name,
            "kind": result.subject_kind,
            "kind_label": _text_json(ctx.subject.label) if ctx.subject else None,
        },
        "period": _period_json(result.period),
        "framework": {
            "family": result.framework_family,
            "version": result.framework_version,
            "title": _text_json(info.title),
            "source": result.framework_source,
            "source_sha256": info.source_sha256,
            "effective_from": info.effective_from.isoformat(),
            "selection": {
                "vi": result.extras.get("selection_vi"),
                "en": result.extras.get("selection_en"),
            }
            if "selection_vi" in result.extras
            else None,
        },
        "outcome": _outcome_json(result, ctx),
        "reasons": [_finding_json(n, None, ctx) for n in reasons],
        "why_not": [
            {
                "level": level,
                "code": _code(program, level),
                "label": _level_label_json(program, level),
                "rules": [_finding_json(n, None, ctx) for n in failed],
            }
            for level, failed in why_not(result, program).items()
        ],
        "caps": [
            {
                "at_most": c.level,
                "code": _code(program, c.level),
                "lowered": any(c is r for r in reasons),
                "cap": _finding_json(c, None, ctx),
            }
            for c in caps_applied(result)
        ],
        "notes": [_finding_json(n, None, ctx) for n in notes_held(result)],
        "confidence": {
            "secondary": [_rule_ref_json(n, ctx) for n in marks[Confidence.SECONDARY]],
            "assumed": [_rule_ref_json(n, ctx) for n in marks[Confidence.ASSUMED]],
            "summary": confidence_summary(result, program, ctx.lang),
        },
        "trace": trace_to_json(result.trace),
    }


def _text_json(text: Text) -> Json:
    return {"vi": text.vi, "en": text.en}


def _period_json(period: Period) -> Json:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "kind": period.kind}


def _code(program: Program, level: str | None) -> str | None:
    if level is None:
        return None
    try:
        return program.level_code(level)
    except KeyError:
        return None


def _level_label_json(program: Program, level: str | None) -> Json | None:
    if level is None:
        return None
    if level == NOT_CLASSIFIED:
        return {"vi": msg("outcome.not_classified", "vi"), "en": msg("outcome.not_classified", "en")}
    try:
        return _text_json(program.level_label(level))
    except KeyError:
        return None


def _outcome_json(result: Result, ctx: _Ctx) -> Json:
    outcome, program = result.outcome, ctx.program
    missing = []
    for name in outcome.missing:
        fdef = _field_def(name, ctx)
        missing.append({"field": name, "label": _text_json(fdef.label) if fdef else None})
    return {
        "status": outcome.status.value,
        "decision": outcome.decision.value,
        "level": outcome.level,
        "code": _code(program, outcome.level),
        "label": _level_label_json(program, outcome.level),
        "level_before_caps": outcome.level_before_caps,
        "headline": headline(result, program, ctx.lang),
        "reasons": list(outcome.reasons),
        "missing": missing,
        "flags": list(outcome.flags),
        "possible": [
            {"level": p, "code": _code(program, p), "label": _level_label_json(program, p)} for p in outcome.possible
        ],
    }


def _rule_ref_json(node: TraceNode, ctx: _Ctx) -> Json:
    label = _node_label(node, ctx)
    return {"kind": node.kind.value, "id": node.id, "label": _text_json(label) if label else None}


def _finding_json(node: TraceNode, rule: TraceNode | None, ctx: _Ctx) -> Json:
    """A rule, cap, note or condition with what decided it; conditions nest under the rule they explain."""
    is_rule = role(node.kind) == "rule"
    negated = rule is not None and _negated(node, rule)
    actual: object = None
    required: object = None
    if node.kind is NodeKind.COMPARE and len(node.operands) == 2 and "," not in node.op:
        actual, required = (_json_value(v) for v in node.operands)
    label = _node_label(node, ctx)
    message = _rule_message(node, ctx)
    conditions = [_finding_json(c, node, ctx) for c in deciding_conditions(node)] if is_rule else []
    return {
        "kind": node.kind.value,
        "id": node.id,
        "label": _text_json(label) if label else None,
        "text": node.text,
        "truth": node.truth.value,
        "negated": negated,
        "message": _text_json(message) if message else None,
        "op": node.op,
        "operands": [_json_value(v) for v in node.operands],
        "operand_texts": list(node.operand_texts),
        "actual": actual,
        "required": required,
        "reads": [_read_json(r) for r in node.reads],
        "level": node.level,
        "details": _details_json(node),
        "cite": _cite_json(node.cite),
        "confidence": node.confidence.value if node.confidence else None,
        "reading": _reading_json(_chosen(node, ctx)),
        "span": _span_json(node.span),
        "error": node.error,
        "conditions": conditions,
    }


def _reading_json(chosen: ReadingChoice | None) -> Json | None:
    if chosen is None:
        return None
    return {
        "reading": chosen.reading,
        "option": chosen.option,
        "label": _text_json(chosen.reading_label),
        "option_label": _text_json(chosen.option_label),
        "cite": _cite_json(chosen.cite),
        "confidence": chosen.confidence.value,
        "default": chosen.default,
    }


def _json_value(value: object) -> object:
    """A display value as JSON: scalars as they are, exact numbers as int or float, anything else as text."""
    match value:
        case None | bool() | int() | str():
            return value
        case float():
            return value if math.isfinite(value) else str(value)
        case Fraction():
            return value.numerator if value.denominator == 1 else float(value)
        case date():
            return value.isoformat()
        case Text():
            return _text_json(value)
        case Mapping():
            return {str(k): _json_value(v) for k, v in value.items()}
        case tuple() | list():
            return [_json_value(v) for v in value]
        case _:
            return str(value)


def _details_json(node: TraceNode) -> list[Json]:
    return [{"name": name, "value": _json_value(value)} for name, value in node.details]


def _read_json(read: Read) -> Json:
    return {
        "name": read.name,
        "value": _json_value(read.value),
        "origin": read.origin,
        "judgement": read.judgement,
    }


def _cite_json(cite: Citation | None) -> Json | None:
    if cite is None:
        return None
    return {"doc": cite.doc, "at": cite.at, "sources": list(cite.sources)}


def _span_json(span: Span | None) -> Json | None:
    return None if span is None else {"file": span.file, "line": span.line, "col": span.col}


def _outcome_trace_json(outcome: Outcome | None) -> Json | None:
    if outcome is None:
        return None
    return {
        "status": outcome.status.value,
        "decision": outcome.decision.value,
        "level": outcome.level,
        "level_before_caps": outcome.level_before_caps,
        "reasons": list(outcome.reasons),
        "missing": list(outcome.missing),
        "possible": list(outcome.possible),
        "flags": list(outcome.flags),
    }


def trace_to_json(node: TraceNode) -> Json:
    """Every field of a trace node, children last, recursively."""
    return {
        "kind": node.kind.value,
        "truth": node.truth.value,
        "id": node.id,
        "text": node.text,
        "label": _text_json(node.label) if node.label else None,
        "cite": _cite_json(node.cite),
        "confidence": node.confidence.value if node.confidence else None,
        "span": _span_json(node.span),
        "op": node.op,
        "operands": [_json_value(v) for v in node.operands],
        "operand_texts": list(node.operand_texts),
        "reads": [_read_json(r) for r in node.reads],
        "level": node.level,
        "outcome": _outcome_trace_json(node.outcome),
        "error": node.error,
        "details": _details_json(node),
        "children": [trace_to_json(c) for c in node.children],
    }
