"""Dispute-packet findings: one node of a result's trace as a block of the packet.

Input: a rule, cap, note or quota check of the trace, with the result, its ``Program`` and the language. Output:
a ``Finding`` block — what decided the node, a row per deciding condition, its clause and confidence — and the
names, levels and evidence values the packet's sections are written with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import assert_never

from xeploai.evaluation.trace import NodeKind, Read, Result, TraceNode, Truth
from xeploai.explanation.explain import NOT_CLASSIFIED, format_value
from xeploai.explanation.messages import cite_place, msg
from xeploai.explanation.packet_blocks import (
    Block,
    Bullets,
    Finding,
    Inline,
    Para,
    Style,
    Table,
    Tone,
    code,
    plain,
)
from xeploai.explanation.packet_words import WORDS, say
from xeploai.explanation.reasons import deciding_conditions, role
from xeploai.program.ir import Citation, Program, RecordsType, SubjectProgram, Text


@dataclass(frozen=True, slots=True)
class Context:
    """What every block of one packet is written from."""

    result: Result
    program: Program
    subject: SubjectProgram | None
    lang: str


def subject_text(result: Result) -> str:
    """``Nguyễn Văn An (DV001)``; the name or the id alone when only one is known (or both are the same)."""
    if result.subject_name and result.subject_id and result.subject_name != result.subject_id:
        return f"{result.subject_name} ({result.subject_id})"
    return result.subject_name or result.subject_id or result.subject_kind


def level_text(level_id: str | None, ctx: Context) -> str:
    """``Hoàn thành tốt nhiệm vụ (HTT)``; the not-classified pseudo-level and unknown ids as they are."""
    if level_id is None:
        return "—"
    if level_id == NOT_CLASSIFIED:
        return msg("outcome.not_classified", ctx.lang)
    try:
        return f"{ctx.program.level_label(level_id).get(ctx.lang)} ({ctx.program.level_code(level_id)})"
    except KeyError:
        return level_id


def _code_of(level_id: object, ctx: Context) -> str:
    try:
        return ctx.program.level_code(str(level_id))
    except KeyError:
        return str(level_id)


# --- evidence values --------------------------------------------------------------------------------------------------


def field_label(name: str, ctx: Context) -> str | None:
    """The label of an evidence field or relation of the subject, in the packet's language."""
    if ctx.subject is None:
        return None
    fdef = ctx.subject.field_def(name)
    if fdef is not None:
        return fdef.label.get(ctx.lang)
    relation = next((r for r in ctx.subject.relations if r.id == name), None)
    return relation.label.get(ctx.lang) if relation else None


def field_name(name: str, ctx: Context) -> str:
    """``label (id)``, or the id alone when the field has no label."""
    label = field_label(name, ctx)
    return f"{label} ({name})" if label else name


def value_text(name: str, value: object, ctx: Context) -> str:
    """A read value, with record fields by their labels and a number followed by its unit (in Vietnamese)."""
    lang = ctx.lang
    fdef = ctx.subject.field_def(name) if ctx.subject else None
    if fdef is None:
        return format_value(value, lang)
    if isinstance(fdef.type, RecordsType) and isinstance(value, list) and value:
        record = ctx.program.records.get(fdef.type.record)
        labels = {f.id: f.label.get(lang) for f in record.fields} if record else {}
        parts = []
        for item in value:
            if isinstance(item, Mapping):
                parts.append(", ".join(f"{labels.get(str(k), k)}: {format_value(v, lang)}" for k, v in item.items()))
            else:
                parts.append(format_value(item, lang))
        return "; ".join(f"({p})" for p in parts)
    shown = format_value(value, lang)
    if fdef.unit and lang == "vi" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{shown} {fdef.unit}"
    return shown


# --- findings -----------------------------------------------------------------------------------------------


def _label(node: TraceNode, ctx: Context) -> Text | None:
    if node.label is not None:
        return node.label
    subject = ctx.subject
    if subject is None or not node.id:
        return None
    match node.kind:
        case NodeKind.RULE:
            rule = subject.rules.get(node.id)
            return rule.label if rule else None
        case NodeKind.CAP:
            return next((c.label for c in subject.caps if c.id == node.id), None)
        case NodeKind.NOTE:
            return next((n.label for n in subject.notes if n.id == node.id), None)
        case _:
            return None


def node_name(node: TraceNode, ctx: Context) -> str:
    """``label [id]`` of a rule, cap or note; its id, text or kind when it has no label."""
    label = _label(node, ctx)
    if label is None:
        return node.id or node.text or node.kind.value
    return f"{label.get(ctx.lang)} [{node.id}]" if node.id else label.get(ctx.lang)


def name_inline(node: TraceNode, ctx: Context) -> Inline:
    """The label followed by the id set as code."""
    label = _label(node, ctx)
    if label is None:
        return code(node.id) if node.id else plain(node.text or node.kind.value)
    return (("text", f"{label.get(ctx.lang)} "), ("code", node.id)) if node.id else plain(label.get(ctx.lang))


def _title(node: TraceNode, ctx: Context) -> Inline:
    label = _label(node, ctx)
    parts: list[tuple[Style, str]] = [("strong", label.get(ctx.lang) if label else node.id or node.text)]
    if label is not None and node.id:
        parts += [("text", " "), ("code", node.id)]
    parts.append(("text", f": {msg(f'truth.{node.truth.value}', ctx.lang)}"))
    if node.kind is NodeKind.CAP and node.level:
        parts.append(("text", f" ({msg('cap.at_most', ctx.lang, level=level_text(node.level, ctx))})"))
    return tuple(parts)


def _message(node: TraceNode, ctx: Context) -> str | None:
    """The rule's own pass or fail sentence, when the framework gives one."""
    if node.kind is not NodeKind.RULE or ctx.subject is None:
        return None
    rule = ctx.subject.rules.get(node.id)
    if rule is None:
        return None
    text = rule.pass_ if node.truth is Truth.MET else rule.fail if node.truth is Truth.NOT_MET else None
    return text.get(ctx.lang) if text else None


def cite_text(cite: Citation, ctx: Context) -> str:
    """The clause: the document's number (``21-HD/BTCTW``) and the location inside it."""
    doc = next((d.number for d in ctx.program.info.legal_basis if d.id == cite.doc and d.number), cite.doc)
    return f"{doc}, {cite_place(cite.at, ctx.lang)}" if cite.at else doc


def _meta(node: TraceNode, ctx: Context) -> Para | None:
    parts = []
    if node.cite is not None:
        parts.append(f"{msg('field.citation', ctx.lang)}: {cite_text(node.cite, ctx)}")
    if node.confidence is not None:
        parts.append(f"{msg('field.confidence', ctx.lang)}: {msg(f'confidence.{node.confidence.value}', ctx.lang)}")
    return Para(plain(" · ".join(parts)), "meta") if parts else None


def finding(node: TraceNode, ctx: Context, *, conditions: bool = True) -> Finding:
    """A rule, cap or note with its message, its deciding conditions (unless ``conditions`` is false), error,
    clause and confidence."""
    lang = ctx.lang
    blocks: list[Block] = []
    message = _message(node, ctx)
    if message:
        blocks.append(Para(plain(message)))
    if conditions:
        rows = _condition_rows(node, ctx, 0)
        if node.text and (len(rows) != 1 or node.text != _row_text(node, ctx)):
            blocks.append(Para((("text", f"{say('rule.as_written', lang)}: "), ("code", node.text))))
        if rows:
            head = (msg("field.condition", lang), msg("field.actual", lang), msg("field.required", lang))
            blocks.append(Table(head, tuple(rows), "conditions"))
    if node.error:
        blocks.append(Para(plain(f"{msg('field.error', lang)}: {node.error}")))
    meta = _meta(node, ctx)
    if meta is not None:
        blocks.append(meta)
    return Finding(_title(node, ctx), _tone(node.truth), tuple(blocks))


def _tone(truth: Truth) -> Tone:
    match truth:
        case Truth.MET:
            return "met"
        case Truth.NOT_MET:
            return "not_met"
        case Truth.UNKNOWN:
            return "unknown"
        case other:
            assert_never(other)


def _row_text(node: TraceNode, ctx: Context) -> str:
    conds = deciding_conditions(node)
    return conds[0].text if len(conds) == 1 else ""


def _condition_rows(rule: TraceNode, ctx: Context, depth: int) -> list[tuple[Inline, Inline, Inline]]:
    """A row per deciding condition of ``rule``: the condition, the actual value(s), the requirement; a rule
    the condition refers to is a row of its own followed by its conditions, indented."""
    lang = ctx.lang
    pad: Inline = (("text", "↳ " * depth),) if depth else ()
    rows: list[tuple[Inline, Inline, Inline]] = []
    for cond in deciding_conditions(rule):
        truth = msg(f"truth.{cond.truth.value}", lang)
        negated = _negated(cond, rule)
        if role(cond.kind) == "rule":
            must = say("condition.must_not_hold" if negated else "condition.must_hold", lang)
            rows.append(((*pad, ("strong", node_name(cond, ctx))), plain(truth), plain(must)))
            rows += _condition_rows(cond, ctx, depth + 1)
            continue
        text: Inline = (*pad, ("code", cond.text or cond.kind.value), ("text", f" ({truth})"))
        actual, required = _actual_and_required(cond, negated, ctx)
        if cond.error:
            required = (*required, ("text", f"; {msg('field.error', lang)}: {cond.error}"))
        rows.append((text, plain(actual), required))
    return rows


def _negated(leaf: TraceNode, rule: TraceNode) -> bool:
    """Whether ``leaf`` explains ``rule`` through an odd number of ``not``s (their truths differ)."""
    known = (Truth.MET, Truth.NOT_MET)
    return leaf.truth in known and rule.truth in known and leaf.truth is not rule.truth


_OPS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}


def _actual_and_required(leaf: TraceNode, negated: bool, ctx: Context) -> tuple[str, Inline]:
    """The actual value(s) of one condition and what it requires, worded as the plain-text explanation does;
    an ``exists`` also shows the entries that matched, a share or count who met it and who did not."""
    lang = ctx.lang
    ops = [o for o in leaf.op.split(",") if o]
    if leaf.kind is NodeKind.COMPARE and len(ops) == 1 and len(leaf.operands) == 2:
        texts = (*leaf.operand_texts, "", "")
        actual = _operand(texts[0], leaf.operands[0], ctx)
        right = format_value(leaf.operands[1], lang)
        required = f"{_OPS.get(ops[0], ops[0])} {right}"
        if texts[1] and texts[1] != right and texts[1].strip("\"'") != right:
            required += f" ({texts[1]})"
    elif leaf.kind is NodeKind.COMPARE and ops and len(leaf.operands) == len(ops) + 1:
        values = [format_value(v, lang) for v in leaf.operands]
        chain = [values[0]]
        for op, value in zip(ops, values[1:], strict=True):
            chain += [_OPS.get(op, op), value]
        actual, required = " ".join(chain), leaf.text
    else:
        key = "required.not_holds" if negated else "required.holds"
        if leaf.kind is NodeKind.EXISTS:
            shown = _exists_text(leaf, ctx)
        else:
            shown = "; ".join(_read_text(r, ctx) for r in leaf.reads if r.origin != "derived")
        return _with_split(shown or "—", leaf, ctx), _msg_with_code(key, lang, "text", leaf.text or leaf.kind.value)
    if negated:
        required = msg("required.negated", lang, requirement=required)
    return _with_split(actual, leaf, ctx), plain(required)


def _msg_with_code(key: str, lang: str, name: str, code: str) -> Inline:
    """A catalogue message whose argument ``name`` is a condition as written, set as code."""
    marker = "\x00"
    before, _, after = msg(key, lang, **{name: marker}).partition(marker)
    return tuple(part for part in (("text", before), ("code", code), ("text", after)) if part[1])


def _exists_text(leaf: TraceNode, ctx: Context) -> str:
    """``exists(list, …)``: the list, how many entries match and which (operands: the size and the indices)."""
    source = next((r for r in leaf.reads if r.origin != "derived"), None)
    if source is None:
        return ""
    total, indices = (*leaf.operands, None, None)[:2]
    if not isinstance(indices, list | tuple):
        return _read_text(source, ctx)
    entries = source.value if isinstance(source.value, list) else []
    matching = [entries[i] for i in indices if isinstance(i, int) and 0 <= i < len(entries)]
    count = say("exists.matching", ctx.lang, count=len(matching), total=total)
    if not matching:
        return f"{field_name(source.name, ctx)}: {count}"
    return f"{field_name(source.name, ctx)}: {count}: {value_text(source.name, matching, ctx)}"


def _operand(text: str, value: object, ctx: Context) -> str:
    shown = format_value(value, ctx.lang)
    if not text or text == shown or text.strip("\"'") == shown:
        return shown
    return f"{field_name(text, ctx)} = {shown}"


def _read_text(read: Read, ctx: Context) -> str:
    marks = []
    if read.origin in ("default", "missing"):
        marks.append(msg(f"read.{read.origin}", ctx.lang))
    if read.judgement:
        marks.append(msg("read.judgement", ctx.lang))
    suffix = f" ({', '.join(marks)})" if marks else ""
    return f"{field_name(read.name, ctx)} = {value_text(read.name, read.value, ctx)}{suffix}"


def _with_split(actual: str, leaf: TraceNode, ctx: Context) -> str:
    """Adds who met a share or count condition and who did not (derived reads name them by id)."""
    parts = []
    for read in leaf.reads:
        if read.origin == "derived" and isinstance(read.value, Mapping):
            for truth in Truth:
                ids = read.value.get(truth.value)
                if isinstance(ids, list) and ids:
                    parts.append(f"{msg(f'truth.{truth.value}', ctx.lang)}: {format_value(ids, ctx.lang)}")
    if not parts:
        return actual
    return f"{actual} — {say('share.split', ctx.lang)}: {'; '.join(parts)}"


# --- quotas -------------------------------------------------------------------------------------------------


def quota_finding(node: TraceNode, ctx: Context) -> list[Block]:
    """A quota check in words: the group, the arithmetic, the ranking, where the subject stands and who else
    was considered (by name, or by pseudonym in a redacted packet)."""
    lang = ctx.lang
    d = dict(node.details)
    level = _code_of(d.get("level"), ctx)
    of_level = _code_of(d.get("of_level"), ctx)
    quota = next((q for q in ctx.program.quotas if q.id == node.id), None)
    demote = _code_of(quota.demote_to, ctx) if quota else "—"
    candidates = [str(c) for c in _as_list(d.get("candidates"))]
    kept = {str(c) for c in _as_list(d.get("kept"))}
    names_raw = d.get("names")
    names = {str(k): str(v) for k, v in names_raw.items()} if isinstance(names_raw, Mapping) else {}
    base = d.get("base")
    allowed = d.get("allowed")
    status = str(d.get("status", ""))
    count = len(candidates)

    ratio = _fraction(d.get("ratio"))
    items: list[Inline] = []
    group = str(d.get("group_name") or d.get("group") or "")
    if d.get("group") and d.get("group_name") and d.get("group") != d.get("group_name"):
        group = f"{d['group_name']} ({d['group']})"
    items.append(plain(say("quota.group", lang, group=group)))
    if ratio is not None and isinstance(base, int):
        exact = base * ratio
        pct = f"{format_value(ratio * 100, lang)}%"
        arrow = "" if exact == allowed else f" → {allowed}"
        rounding = str(d.get("rounding", ""))
        rounding_text = say(f"rounding.{rounding}", lang) if f"rounding.{rounding}" in WORDS else rounding
        arith = say(
            "quota.arith",
            lang,
            level=level,
            of_level=of_level,
            pct=pct,
            base=base,
            exact=format_value(exact, lang),
            arrow=arrow,
            rounding=rounding_text,
        )
        items.append(plain(arith))
        items.append(plain(say("quota.base", lang, base=base, of_level=of_level, allowed=allowed, level=level)))
    keys = _rank_keys(d.get("rank_by"), ctx)
    keys_text = f"{keys}, {say('quota.ties', lang)}" if keys else say("quota.ties", lang)
    match status:
        case "within":
            items.append(plain(say("quota.within", lang, count=count, level=level)))
        case "ranked":
            items.append(
                plain(
                    say("quota.ranked", lang, count=count, level=level, allowed=allowed, keys=keys_text, demote=demote)
                )
            )
        case "flagged":
            items.append(plain(say("quota.flagged", lang, count=count, level=level, allowed=allowed)))
            if d.get("ranking") == "flag":
                items.append(plain(say("quota.suggestion", lang, keys=keys_text)))
        case "decided":
            kept_names = ", ".join(_person(c, names) for c in candidates if c in kept) or msg("value.none", lang)
            moved_names = ", ".join(_person(c, names) for c in candidates if c not in kept) or msg("value.none", lang)
            decision = str(d.get("decision") or "—")
            items.append(
                plain(say("quota.decided", lang, count=count, level=level, decision=decision, kept=kept_names))
            )
            items.append(
                plain(
                    say(
                        "quota.record",
                        lang,
                        decision=decision,
                        by=str(d.get("decided_by") or "—"),
                        on=str(d.get("decided_on") or "—"),
                        kept=kept_names,
                        moved=moved_names,
                        source=str(d.get("source") or "—"),
                    )
                )
            )
            if d.get("raised_to") is not None:
                raised = format_value(d.get("raised_to"), lang)
                ceiling = format_value(d.get("ceiling"), lang)
                cite = str(d.get("ceiling_cite") or "")
                allowed_raised = d.get("raised_allowed")
                items.append(
                    plain(say("quota.raised", lang, raised=raised, ceiling=ceiling, cite=cite, allowed=allowed_raised))
                )
        case _:
            pass

    def fate(subject_id: str) -> str:
        if status == "flagged":
            return say("quota.pending", lang)
        return say(
            "quota.keeps" if subject_id in kept else "quota.lowered",
            lang,
            level=level if subject_id in kept else demote,
        )

    me = ctx.result.subject_id
    rank = d.get("rank")
    if me in candidates and isinstance(rank, int):
        who = _person(me, names) if me in names else subject_text(ctx.result)
        items.append(plain(say("quota.position", lang, who=who, rank=rank, count=count, fate=fate(me))))
    blocks: list[Block] = [Bullets(tuple(items))]
    others = [(i, c) for i, c in enumerate(candidates, start=1) if c != me]
    if others:
        blocks.append(Para(plain(say("quota.others", lang, level=level))))
        head = (say("quota.rank", lang), say("quota.person", lang), say("outcome", lang))
        rows = tuple((plain(str(i)), plain(_person(c, names)), plain(fate(c))) for i, c in others)
        blocks.append(Table(head, rows, "others"))
    else:
        blocks.append(Para(plain(say("quota.others.none", lang, level=level))))
    meta = _meta(node, ctx)
    if meta is not None:
        blocks.append(meta)
    # The title says what the quota did to the subject, not the truth of a check.
    title = (*name_inline(node, ctx), ("text", f": {fate(me)}" if me in candidates else ""))
    return [Finding(tuple(p for p in title if p[1]), _tone(node.truth), tuple(blocks))]


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _fraction(value: object) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Fraction):
        return None
    try:
        return Fraction(str(value)) if not isinstance(value, Fraction) else value
    except ValueError:
        return None


def _person(subject_id: str, names: Mapping[str, str]) -> str:
    """``Đảng viên X2 (X2)``; a pseudonym (or a name equal to its id) once."""
    name = names.get(subject_id)
    if not name or name == subject_id:
        return subject_id
    return f"{name} ({subject_id})"


def _rank_keys(value: object, ctx: Context) -> str:
    parts = []
    for key in _as_list(value):
        field_id, _, order = str(key).partition(" ")
        words = say("quota.asc" if order == "asc" else "quota.desc", ctx.lang)
        parts.append(f"{field_label(field_id, ctx) or field_id} ({words})")
    return ", ".join(parts)
