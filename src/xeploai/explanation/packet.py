"""Dispute packets: one result explained for a complaint, as Markdown, one printable HTML page or plain text.

Input: a ``Result`` (redacted first when a ``Redaction`` is given), its ``Program``, a language and lines
prepared elsewhere (the smallest changes). Output: text. Every rendering comes from one list of blocks
(``packet_blocks``) built here, section by section, from the trace with the views of ``reasons`` and the findings of
``packet_findings``, so the Markdown, the HTML and the text always say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import assert_never

from xeploai.evaluation.trace import Decision, NodeKind, Read, Result, Status, walk
from xeploai.explanation import packet_blocks
from xeploai.explanation.explain import confidence_summary, gap_text, headline, link_lines
from xeploai.explanation.messages import msg
from xeploai.explanation.packet_blocks import (
    Block,
    Bullets,
    Heading,
    Inline,
    Para,
    Signatures,
    Style,
    Table,
    code,
    plain,
    strong,
)
from xeploai.explanation.packet_findings import (
    Context,
    cite_text,
    field_label,
    field_name,
    finding,
    level_text,
    name_inline,
    node_name,
    quota_finding,
    subject_text,
    value_text,
)
from xeploai.explanation.packet_words import WORDS, nfc, say
from xeploai.explanation.reasons import (
    caps_applied,
    notes_held,
    quota_checks,
    reasons_view,
    rules_by_confidence,
    why_not,
)
from xeploai.explanation.redact import Redaction, redact_result
from xeploai.program.ir import Confidence, Program

ExtraSections = Sequence[tuple[str, Sequence[str]]]


# --- the public API -----------------------------------------------------------------------------------------


def to_markdown(
    result: Result,
    program: Program,
    lang: str = "vi",
    *,
    redact: Redaction | None = None,
    extra_sections: ExtraSections = (),
    prepared_on: date | None = None,
) -> str:
    """The dispute packet as Markdown (GitHub-flavoured tables), in Vietnamese (default) or English.

    ``extra_sections`` are ``(title, lines)`` pairs printed after "why not a higher level" (for example the
    smallest changes that reach each level); ``prepared_on`` fills the preparer's date line, which is otherwise
    left blank, so equal inputs always give equal text.
    """
    lang = _lang(lang)
    title, blocks = _build(result, program, lang, redact, extra_sections, prepared_on)
    return nfc(packet_blocks.to_markdown(title, blocks, lang))


def to_html(
    result: Result,
    program: Program,
    lang: str = "vi",
    *,
    redact: Redaction | None = None,
    extra_sections: ExtraSections = (),
    prepared_on: date | None = None,
) -> str:
    """The dispute packet as one self-contained HTML page: inline CSS for screen and A4 print, no scripts, no
    fonts, images or anything else fetched over the network; every text is escaped."""
    lang = _lang(lang)
    title, blocks = _build(result, program, lang, redact, extra_sections, prepared_on)
    return nfc(packet_blocks.to_html(f"{title} — {subject_text(result)}", title, blocks, lang))


def to_text(
    result: Result,
    program: Program,
    lang: str = "vi",
    *,
    redact: Redaction | None = None,
    extra_sections: ExtraSections = (),
    prepared_on: date | None = None,
) -> str:
    """The dispute packet as plain text for a console or a text file: the same sections as the Markdown and the
    HTML (facts, path, why not, smallest changes, caps, quotas, notes, confidence, legal basis, signatures)."""
    lang = _lang(lang)
    title, blocks = _build(result, program, lang, redact, extra_sections, prepared_on)
    return nfc(packet_blocks.to_text(title, blocks))


def facts_json(result: Result, program: Program, lang: str = "vi") -> list[dict[str, object]]:
    """The packet's facts table as JSON: every evidence value read, once, in the framework's order of fields."""
    ctx = Context(result, program, program.subjects.get(result.subject_kind), _lang(lang))
    return [
        {
            "field": name,
            "label": field_label(name, ctx) or None,
            "value": value_text(name, read.value, ctx),
            "origin": read.origin,
            "judgement": read.judgement,
        }
        for name, read in _fact_reads(ctx)
    ]


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "vi"


# --- building the blocks ------------------------------------------------------------------------------------


def _build(
    result: Result,
    program: Program,
    lang: str,
    redaction: Redaction | None,
    extra_sections: ExtraSections,
    prepared_on: date | None,
) -> tuple[str, list[Block]]:
    if redaction is not None:
        result = redact_result(result, redaction, lang)
    ctx = Context(result, program, program.subjects.get(result.subject_kind), lang)
    blocks: list[Block] = [_headline(ctx)]
    if result.extras.get("redacted"):
        blocks.append(Para(plain(say("redacted", lang)), "notice"))
    blocks.append(_identity(ctx))
    sections: list[tuple[str, list[Block]]] = [
        (say("section.facts", lang), _facts(ctx)),
        (say("section.path", lang), _path(ctx)),
        (say("section.why_not", lang), _why_not(ctx)),
    ]
    for title, lines in extra_sections:
        sections.append((nfc(title), [Bullets(tuple(plain(nfc(line)) for line in lines))]))
    caps = _caps(ctx)
    if caps:
        sections.append((msg("section.caps", lang), caps))
    quotas = quota_checks(result)
    if quotas:
        sections.append((say("section.quotas", lang), [b for q in quotas for b in quota_finding(q, ctx)]))
    notes = notes_held(result)
    if notes:
        sections.append((msg("section.notes", lang), [finding(n, ctx, conditions=False) for n in notes]))
    sections.append((msg("section.confidence", lang), _confidence(ctx)))
    legal = _legal(ctx)
    if legal:
        sections.append((say("section.legal", lang), legal))
    for number, (title, content) in enumerate(sections, start=1):
        blocks.append(Heading(2, plain(f"{number}. {title}")))
        blocks += content
    blocks.append(Heading(2, plain(say("section.signatures", lang))))
    blocks.append(_signatures(lang, prepared_on))
    blocks.append(Para(plain(say("footer", lang)), "meta"))
    return say("title", lang), blocks


def _headline(ctx: Context) -> Para:
    result, lang = ctx.result, ctx.lang
    outcome = result.outcome
    text: list[tuple[Style, str]] = [
        ("strong", subject_text(result)),
        ("text", ": "),
        ("strong", headline(result, ctx.program, lang)),
    ]
    if lang == "en" and outcome.status is Status.CLASSIFIED and outcome.level is not None:
        # The official term is the Vietnamese one: the English packet shows it too.
        text += [("text", " — "), ("vi", headline(result, ctx.program, "vi"))]
    return Para(tuple(text), "lead")


def _format_date(day: date, lang: str) -> str:
    return day.isoformat() if lang == "en" else day.strftime("%d/%m/%Y")


def _period(ctx: Context) -> str:
    period, lang = ctx.result.period, ctx.lang
    key = f"period.{period.kind}"
    kind = msg(key, lang) if period.kind in ("annual", "quarterly", "ad_hoc") else period.kind
    return f"{_format_date(period.start, lang)} – {_format_date(period.end, lang)} ({kind})"


def _identity(ctx: Context) -> Table:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    info = program.info
    kind = ctx.subject.label.get(lang) if ctx.subject else result.subject_kind
    rows: list[tuple[Inline, Inline]] = [
        (plain(say("who", lang)), plain(subject_text(result))),
        (plain(say("kind", lang)), (("text", f"{kind} "), ("code", result.subject_kind))),
        (plain(say("outcome", lang)), strong(headline(result, program, lang))),
        (plain(msg("label.period", lang)), plain(_period(ctx))),
        (plain(msg("label.framework", lang)), plain(f"{info.title.get(lang)} ({result.framework_family})")),
        (plain(say("version", lang)), plain(result.framework_version)),
        (plain(say("file", lang)), code(result.framework_source)),
    ]
    if info.source_sha256:
        rows.append((plain(say("sha256", lang)), code(info.source_sha256)))
    if len(info.chain) > 1:
        chain = "; ".join(f"{file} {sha}" for file, sha in info.chain)
        rows.append((plain(say("chain", lang)), code(chain)))
    start = _format_date(info.effective_from, lang)
    if info.effective_until is not None:
        in_force = say("in_force.range", lang, start=start, end=_format_date(info.effective_until, lang))
    else:
        in_force = say("in_force.from", lang, start=start)
    rows.append((plain(say("in_force", lang)), plain(in_force)))
    selection = result.extras.get("selection_en" if lang == "en" else "selection_vi")
    if isinstance(selection, str):
        rows.append((plain(msg("label.selection", lang)), plain(selection)))
    return Table((say("item", lang), say("detail", lang)), tuple(rows), "fields")


# --- the path that decided it -------------------------------------------------------------------------------


def _path(ctx: Context) -> list[Block]:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    outcome = result.outcome
    reasons = reasons_view(result)
    blocks: list[Block] = []
    match outcome.decision:
        case Decision.ELIGIBILITY | Decision.TRIGGER:
            key = "decision.eligibility" if outcome.decision is Decision.ELIGIBILITY else "decision.trigger"
            blocks.append(Para(plain(msg(key, lang))))
            blocks += [finding(n, ctx) for n in reasons]
        case Decision.LEVEL | Decision.BELOW_LOWEST | Decision.QUOTA:
            before = outcome.level_before_caps or outcome.level
            if outcome.decision is Decision.BELOW_LOWEST:
                levels = program.levels.values
                above = levels[-2].id if len(levels) > 1 else program.lowest_level
                lowest = level_text(program.lowest_level, ctx)
                blocks.append(
                    Para(plain(msg("decision.below_lowest", lang, level=level_text(above, ctx), lowest=lowest)))
                )
            else:
                blocks.append(Para(plain(msg("decision.level", lang, level=level_text(before, ctx)))))
            failed = [n for n in reasons if n.kind is NodeKind.RULE]
            if failed:
                blocks.append(Para(plain(msg("decision.failed_above", lang, rules="").rstrip())))
                blocks.append(Bullets(tuple(name_inline(n, ctx) for n in failed)))
                blocks.append(Para(plain(say("path.see_why_not", lang))))
            lowering = [n for n in reasons if n.kind is NodeKind.CAP]
            if lowering:
                capped_to = _worst([n.level for n in lowering], ctx)
                text = msg("decision.capped", lang, level=level_text(capped_to, ctx), before=level_text(before, ctx))
                blocks.append(Para(plain(f"{text} {say('path.see_caps', lang)}")))
            if outcome.decision is Decision.QUOTA:
                text = msg("decision.quota", lang, level=level_text(outcome.level, ctx)).rstrip(":")
                blocks.append(Para(plain(f"{text}. {say('path.quota', lang)}")))
        case Decision.GAP:
            blocks.append(Para(plain(gap_text(program, lang))))
            failed = [n for n in reasons if n.kind is NodeKind.RULE]
            if failed:
                blocks.append(Para(plain(msg("decision.failed_above", lang, rules="").rstrip())))
                blocks.append(Bullets(tuple(name_inline(n, ctx) for n in failed)))
        case Decision.UNDETERMINED:
            blocks.append(Para(plain(msg("decision.undetermined", lang))))
            items: list[Inline] = []
            if outcome.missing:
                items.append(plain(msg("missing", lang, fields=", ".join(field_name(f, ctx) for f in outcome.missing))))
            if outcome.possible:
                possible = ", ".join(level_text(p, ctx) for p in outcome.possible)
                items.append(plain(msg("possible", lang, outcomes=possible)))
            if items:
                blocks.append(Bullets(tuple(items)))
            if reasons:
                blocks.append(Heading(3, plain(msg("section.unknown_rules", lang))))
                blocks += [finding(n, ctx) for n in reasons]
        case other:
            assert_never(other)
    quota_flags = [flag for flag in outcome.flags if flag != "linked-result-differs"]
    if quota_flags:
        names = ", ".join(_flag_name(flag, ctx) for flag in quota_flags)
        blocks.append(Para(plain(msg("decision.flags", lang, flags=names)), "notice"))
    links = link_lines(ctx.result, ctx.program, lang)
    if links:
        blocks.append(Heading(3, plain(msg("section.links", lang))))
        blocks.append(Bullets(tuple(plain(line) for line in links)))
    return blocks


def _worst(levels: Sequence[str | None], ctx: Context) -> str | None:
    order = [v.id for v in ctx.program.levels.values]
    known = [lv for lv in levels if lv in order]
    return max(known, key=order.index) if known else None


def _flag_name(flag: str, ctx: Context) -> str:
    for node in quota_checks(ctx.result):
        if node.id == flag:
            return node_name(node, ctx)
    return flag


# --- the facts ----------------------------------------------------------------------------------------------


def _fact_reads(ctx: Context) -> list[tuple[str, Read]]:
    """Every evidence value read (once), in the order the framework declares the fields."""
    first: dict[str, Read] = {}
    for node in walk(ctx.result.trace):
        for read in node.reads:
            if read.origin != "derived":
                first.setdefault(read.name, read)
    declared = [f.id for f in ctx.subject.fields] if ctx.subject else []
    declared += [r.id for r in ctx.subject.relations] if ctx.subject else []
    order = [n for n in declared if n in first] + [n for n in first if n not in declared]
    return [(name, first[name]) for name in order]


def _facts(ctx: Context) -> list[Block]:
    """Every evidence value read (once), in the order the framework declares the fields."""
    lang = ctx.lang
    reads = _fact_reads(ctx)
    if not reads:
        return [Para(plain(say("facts.none", lang)))]
    rows = []
    for name, read in reads:
        origins = [say(f"origin.{read.origin}", lang) if f"origin.{read.origin}" in WORDS else read.origin]
        if read.judgement:
            origins.append(say("origin.judgement", lang))
        label = field_label(name, ctx)
        item: Inline = (("text", f"{label} "), ("code", name)) if label else code(name)
        rows.append((item, plain(value_text(name, read.value, ctx)), plain(", ".join(origins))))
    head = (say("item", lang), say("facts.value", lang), say("facts.origin", lang))
    return [Table(head, tuple(rows), "facts")]


# --- why not higher, caps -----------------------------------------------------------------------------------


def _why_not(ctx: Context) -> list[Block]:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    outcome = result.outcome
    order = [v.id for v in program.levels.values]
    caps = caps_applied(result)
    blocks: list[Block] = []
    for level, failed in why_not(result, program).items():
        blocks.append(Heading(3, plain(msg("section.why_not", lang, level=level_text(level, ctx)))))
        if failed:
            blocks += [finding(n, ctx) for n in failed]
            continue
        lowering = [c for c in caps if c.level in order and order.index(str(c.level)) > order.index(level)]
        if lowering:
            names = ", ".join(node_name(c, ctx) for c in lowering)
            blocks.append(Para(plain(msg("why_not.capped", lang, caps=names))))
        elif outcome.decision is Decision.TRIGGER:
            blocks.append(Para(plain(say("why_not.trigger", lang))))
        elif outcome.decision is Decision.QUOTA:
            blocks.append(Para(plain(say("why_not.quota", lang))))
    if not blocks:
        if outcome.status is Status.NOT_CLASSIFIED:
            return [Para(plain(msg("decision.eligibility", lang).rstrip(":") + "."))]
        return [Para(plain(say("why_not.none", lang)))]
    return blocks


def _caps(ctx: Context) -> list[Block]:
    outcome = ctx.result.outcome
    lowering = [n for n in reasons_view(ctx.result) if n.kind is NodeKind.CAP]
    if outcome.decision in (Decision.ELIGIBILITY, Decision.TRIGGER):
        return []  # the caps never came into play
    caps = caps_applied(ctx.result)
    if not caps:
        return []
    blocks: list[Block] = []
    if lowering and outcome.level_before_caps and outcome.level_before_caps != outcome.level:
        before = level_text(outcome.level_before_caps, ctx)
        blocks.append(Para(plain(f"{msg('label.level_before_caps', ctx.lang)}: {before}")))
    return blocks + [finding(c, ctx) for c in caps]


# --- confidence, legal documents, signatures ----------------------------------------------------------------


def _confidence(ctx: Context) -> list[Block]:
    lang = ctx.lang
    marks = rules_by_confidence(ctx.result)
    rows = []
    for mark in (Confidence.SECONDARY, Confidence.ASSUMED):
        for node in marks[mark]:
            cite = cite_text(node.cite, ctx) if node.cite else "—"
            rows.append((name_inline(node, ctx), plain(msg(f"confidence.{mark.value}", lang)), plain(cite)))
    if not rows:
        return [Para(plain(line)) for line in confidence_summary(ctx.result, ctx.program, lang)]
    head = (say("confidence.rule", lang), say("confidence.mark", lang), msg("field.citation", lang))
    return [Para(plain(say("confidence.lead", lang))), Table(head, tuple(rows), "confidence")]


def _legal(ctx: Context) -> list[Block]:
    """The legal documents the packet cites, in the framework's order."""
    cited = {n.cite.doc for n in walk(ctx.result.trace) if n.cite is not None}
    rows = []
    for doc in ctx.program.info.legal_basis:
        if doc.id not in cited:
            continue
        issued = ", ".join(p for p in (doc.issuer, _format_date(doc.issued_on, ctx.lang) if doc.issued_on else "") if p)
        rows.append((plain(doc.number or doc.id), plain(doc.title.get(ctx.lang)), plain(issued or "—")))
    if not rows:
        return []
    head = (say("legal.number", ctx.lang), say("legal.title", ctx.lang), say("legal.issued", ctx.lang))
    return [Table(head, tuple(rows), "legal")]


def _signatures(lang: str, prepared_on: date | None) -> Signatures:
    blank = say("sign.date.blank", lang)
    prepared = (
        say(
            "sign.date",
            lang,
            day=prepared_on.day,
            month=prepared_on.month,
            year=prepared_on.year,
            iso=prepared_on.isoformat(),
        )
        if prepared_on
        else blank
    )
    return Signatures(
        (
            (say("sign.prepared_by", lang), say("sign.prepared_by.hint", lang), prepared),
            (say("sign.committee", lang), say("sign.committee.hint", lang), blank),
        )
    )
