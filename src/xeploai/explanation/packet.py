"""Dispute packets: one result explained for a complaint, as Markdown and as one printable HTML page.

Input: a ``Result`` (redacted first when a ``Redaction`` is given), its ``Program``, a language and lines
prepared elsewhere (the smallest changes). Output: text. Both renderings come from one list of blocks built from
the trace with ``explain``'s views, so the Markdown and the HTML always say the same thing.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal, assert_never

from xeploai.evaluation.trace import Decision, NodeKind, Read, Result, Status, TraceNode, Truth, walk
from xeploai.explanation.explain import NOT_CLASSIFIED, confidence_summary, format_value, headline
from xeploai.explanation.messages import msg
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
from xeploai.explanation.redact import Redaction, redact_result
from xeploai.program.ir import Citation, Confidence, Program, RecordsType, SubjectProgram, Text

ExtraSections = Sequence[tuple[str, Sequence[str]]]

# --- the words of the packet (the rest comes from explanation.messages and the framework) --------------------------

_WORDS: dict[str, Text] = {
    "title": Text("Hồ sơ giải trình kết quả đánh giá, xếp loại chất lượng", "Classification explanation packet"),
    "redacted": Text(
        "Bản gửi người đề nghị xem xét lại: họ tên và mã của những người khác được thay bằng bí danh.",
        "Complainant's copy: other people's names and ids are replaced by pseudonyms.",
    ),
    "item": Text("Mục", "Item"),
    "detail": Text("Nội dung", "Detail"),
    "who": Text("Người được đánh giá", "Subject"),
    "kind": Text("Loại đối tượng", "Subject kind"),
    "outcome": Text("Kết quả", "Outcome"),
    "version": Text("Phiên bản", "Version"),
    "file": Text("Tệp khung tiêu chí", "Framework file"),
    "sha256": Text("SHA-256", "SHA-256"),
    "chain": Text("Các tệp khung tiêu chí (tệp gốc trước)", "Framework files (the central one first)"),
    "in_force": Text("Hiệu lực", "In force"),
    "in_force.from": Text("từ {start}", "from {start}"),
    "in_force.range": Text("từ {start} đến {end}", "from {start} to {end}"),
    "section.path": Text("Kết quả và cách xác định", "The outcome and how it was decided"),
    "section.facts": Text("Thông tin đã dùng", "Facts used"),
    "section.why_not": Text("Vì sao không đạt mức cao hơn", "Why not a higher level"),
    "section.quotas": Text("Quy định về tỷ lệ", "Quotas"),
    "section.legal": Text("Văn bản căn cứ", "Legal documents cited"),
    "section.signatures": Text("Xác nhận", "Signatures"),
    "facts.value": Text("Giá trị", "Value"),
    "facts.origin": Text("Nguồn", "Source"),
    "origin.evidence": Text("hồ sơ", "evidence"),
    "origin.judgement": Text("đánh giá của tập thể/cá nhân", "human judgement"),
    "origin.default": Text("mặc định (không khai)", "default (not given)"),
    "origin.missing": Text("thiếu", "missing"),
    "origin.relation": Text("kết quả của đối tượng liên quan", "results of related subjects"),
    "facts.none": Text("Không có thông tin nào được đọc.", "No evidence was read."),
    "path.quota": Text("Chi tiết ở mục «Quy định về tỷ lệ».", "See «Quotas» for the details."),
    "path.see_why_not": Text(
        "Chi tiết từng điều kiện ở mục «Vì sao không đạt mức cao hơn».",
        "Each condition is detailed under «Why not a higher level».",
    ),
    "path.see_caps": Text("Chi tiết ở mục «Giới hạn mức đã áp dụng».", "See «Caps applied» for the details."),
    "why_not.trigger": Text(
        "Thuộc trường hợp không hoàn thành nhiệm vụ (xem mục «Kết quả và cách xác định»).",
        "Falls under a case of not completing tasks (see «The outcome and how it was decided»).",
    ),
    "why_not.quota": Text(
        "Đáp ứng các yêu cầu của mức này nhưng bị hạ theo quy định về tỷ lệ (xem mục «Quy định về tỷ lệ»).",
        "Meets the requirements of this level but was lowered by a quota (see «Quotas»).",
    ),
    "exists.matching": Text("{count}/{total} khớp điều kiện", "{count} of {total} match"),
    "why_not.none": Text("Không có mức nào cao hơn kết quả này.", "There is no level above this outcome."),
    "rule.as_written": Text("Quy tắc", "Rule"),
    "condition.must_hold": Text("phải đạt", "must hold"),
    "condition.must_not_hold": Text("không được đạt", "must not hold"),
    "share.split": Text("Theo từng người", "Person by person"),
    "quota.group": Text("Nhóm: {group}", "Group: {group}"),
    "quota.arith": Text(
        "{level} không quá {pct} số {of_level}: {base} × {pct} = {exact}{arrow} ({rounding}).",
        "{level} at most {pct} of {of_level}: {base} × {pct} = {exact}{arrow} ({rounding}).",
    ),
    "quota.base": Text(
        "{base} là số người xếp {of_level} trong nhóm trước khi áp dụng tỷ lệ;"
        " được phép tối đa {allowed} người {level}.",
        "{base} is the number rated {of_level} in the group before the quota; at most {allowed} may be {level}.",
    ),
    "rounding.floor": Text("làm tròn xuống", "rounded down"),
    "rounding.ceil": Text("làm tròn lên", "rounded up"),
    "rounding.half_up": Text("làm tròn, từ 0,5 trở lên làm tròn lên", "rounded to the nearest, halves up"),
    "quota.within": Text(
        "{count} người đủ điều kiện {level}, không vượt số được phép: không ai bị hạ.",
        "{count} met the requirements of {level}, within the limit: nobody was lowered.",
    ),
    "quota.ranked": Text(
        "{count} người đủ điều kiện {level}, vượt số được phép ({allowed}): xếp thứ tự theo {keys};"
        " {allowed} người đầu giữ mức {level}, những người còn lại xếp {demote}.",
        "{count} met the requirements of {level}, more than the {allowed} allowed: ranked by {keys};"
        " the first {allowed} keep {level}, the others are rated {demote}.",
    ),
    "quota.flagged": Text(
        "{count} người đủ điều kiện {level}, vượt số được phép ({allowed}): chờ cấp có thẩm quyền xem xét, quyết định.",
        "{count} met the requirements of {level}, more than the {allowed} allowed: left to the competent"
        " committee's decision.",
    ),
    "quota.decided": Text(
        "{count} người đủ điều kiện {level}; theo quyết định của cấp có thẩm quyền ({decision}),"
        " giữ mức {level}: {kept}.",
        "{count} met the requirements of {level}; by the competent committee's decision ({decision}), keeping"
        " {level}: {kept}.",
    ),
    "quota.position": Text("{who} xếp thứ {rank}/{count}: {fate}.", "{who} ranks {rank} of {count}: {fate}."),
    "quota.ties": Text("bằng nhau thì theo thứ tự mã", "ties by id"),
    "quota.desc": Text("cao hơn xếp trước", "highest first"),
    "quota.asc": Text("thấp hơn xếp trước", "lowest first"),
    "quota.keeps": Text("giữ mức {level}", "keeps {level}"),
    "quota.lowered": Text("hạ xuống {level}", "lowered to {level}"),
    "quota.pending": Text("chờ cấp có thẩm quyền quyết định", "awaiting the competent committee's decision"),
    "quota.others": Text(
        "Những người khác trong nhóm được xét {level}:", "The others in the group considered for {level}:"
    ),
    "quota.others.none": Text(
        "Không có ai khác trong nhóm được xét {level}.", "Nobody else in the group was considered for {level}."
    ),
    "quota.rank": Text("Thứ tự", "Rank"),
    "quota.person": Text("Người", "Person"),
    "confidence.lead": Text(
        "Kết quả này dựa vào các quy tắc sau, chưa được xác nhận trực tiếp trong văn bản chính thức:",
        "This outcome relies on the following rules, which are not confirmed in the official text:",
    ),
    "confidence.rule": Text("Quy tắc", "Rule"),
    "confidence.mark": Text("Độ tin cậy", "Confidence"),
    "legal.number": Text("Số hiệu", "Number"),
    "legal.title": Text("Tên văn bản", "Title"),
    "legal.issued": Text("Cơ quan ban hành, ngày", "Issued by, on"),
    "sign.prepared_by": Text("Người lập", "Prepared by"),
    "sign.prepared_by.hint": Text("(Ký, ghi rõ họ tên)", "(Signature and full name)"),
    "sign.committee": Text("Đại diện cấp ủy", "For the committee"),
    "sign.committee.hint": Text("(Ký, ghi rõ họ tên, chức vụ)", "(Signature, full name and position)"),
    "sign.date.blank": Text("Ngày …… tháng …… năm ……", "Date: ……………………"),
    "sign.date": Text("Ngày {day:02d} tháng {month:02d} năm {year}", "Date: {iso}"),
    "footer": Text(
        "Lập từ vết đánh giá của xeploai. Mọi kết luận trên có thể kiểm tra lại bằng tệp khung tiêu chí"
        " (mã SHA-256 ở trên) và các văn bản căn cứ đã dẫn.",
        "Prepared from xeploai's evaluation trace. Every finding above can be checked against the framework file"
        " (SHA-256 above) and the legal documents cited.",
    ),
}


def _say(key: str, lang: str, **fmt: object) -> str:
    text = _WORDS[key].get(lang)
    return _nfc(text.format(**fmt) if fmt else text)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- the block model: what both renderers draw --------------------------------------------------------------

Style = Literal["text", "code", "strong", "vi"]
Inline = tuple[tuple[Style, str], ...]
Tone = Literal["", "met", "not_met", "unknown", "notice", "lead", "meta"]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 2 sections, 3 subsections
    text: Inline


@dataclass(frozen=True, slots=True)
class Para:
    text: Inline
    tone: Tone = ""


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Table:
    head: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    kind: str = ""  # a CSS class: "fields", "conditions" …


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule, cap, note or quota check with what decided it; printed as a unit, never split across pages."""

    title: Inline
    tone: Tone
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Signatures:
    columns: tuple[tuple[str, str, str], ...]  # role, hint, date line


Block = Heading | Para | Bullets | Table | Finding | Signatures


def _t(text: str) -> Inline:
    return (("text", text),)


def _code(text: str) -> Inline:
    return (("code", text),)


def _strong(text: str) -> Inline:
    return (("strong", text),)


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
    lines = [f"# {_md_escape(title)}", ""]
    for block in blocks:
        lines += _md_block(block, lang)
    return _nfc("\n".join(lines).rstrip("\n") + "\n")


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
    body: list[str] = []
    for block in blocks:
        body += _html_block(block, lang)
    page = _HTML_PAGE.format(
        lang=lang,
        title=html.escape(f"{title} — {_who(result)}"),
        css=_CSS,
        h1=html.escape(title),
        body="\n".join(body),
    )
    return _nfc(page)


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "vi"


# --- building the blocks ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ctx:
    result: Result
    program: Program
    subject: SubjectProgram | None
    lang: str


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
    ctx = _Ctx(result, program, program.subjects.get(result.subject_kind), lang)
    blocks: list[Block] = [_headline(ctx)]
    if result.extras.get("redacted"):
        blocks.append(Para(_t(_say("redacted", lang)), "notice"))
    blocks.append(_identity(ctx))
    sections: list[tuple[str, list[Block]]] = [
        (_say("section.facts", lang), _facts(ctx)),
        (_say("section.path", lang), _path(ctx)),
        (_say("section.why_not", lang), _why_not(ctx)),
    ]
    for title, lines in extra_sections:
        sections.append((_nfc(title), [Bullets(tuple(_t(_nfc(line)) for line in lines))]))
    caps = _caps(ctx)
    if caps:
        sections.append((msg("section.caps", lang), caps))
    quotas = quota_checks(result)
    if quotas:
        sections.append((_say("section.quotas", lang), [b for q in quotas for b in _quota(q, ctx)]))
    notes = notes_held(result)
    if notes:
        sections.append((msg("section.notes", lang), [_finding(n, ctx, conditions=False) for n in notes]))
    sections.append((msg("section.confidence", lang), _confidence(ctx)))
    legal = _legal(ctx)
    if legal:
        sections.append((_say("section.legal", lang), legal))
    for number, (title, content) in enumerate(sections, start=1):
        blocks.append(Heading(2, _t(f"{number}. {title}")))
        blocks += content
    blocks.append(Heading(2, _t(_say("section.signatures", lang))))
    blocks.append(_signatures(lang, prepared_on))
    blocks.append(Para(_t(_say("footer", lang)), "meta"))
    return _say("title", lang), blocks


def _who(result: Result) -> str:
    if result.subject_name and result.subject_id and result.subject_name != result.subject_id:
        return f"{result.subject_name} ({result.subject_id})"
    return result.subject_name or result.subject_id or result.subject_kind


def _level(level_id: str | None, ctx: _Ctx) -> str:
    """``Hoàn thành tốt nhiệm vụ (HTT)``; the not-classified pseudo-level and unknown ids as they are."""
    if level_id is None:
        return "—"
    if level_id == NOT_CLASSIFIED:
        return msg("outcome.not_classified", ctx.lang)
    try:
        return f"{ctx.program.level_label(level_id).get(ctx.lang)} ({ctx.program.level_code(level_id)})"
    except KeyError:
        return level_id


def _code_of(level_id: object, ctx: _Ctx) -> str:
    try:
        return ctx.program.level_code(str(level_id))
    except KeyError:
        return str(level_id)


def _headline(ctx: _Ctx) -> Para:
    result, lang = ctx.result, ctx.lang
    outcome = result.outcome
    text: list[tuple[Style, str]] = [
        ("strong", _who(result)),
        ("text", ": "),
        ("strong", headline(result, ctx.program, lang)),
    ]
    if lang == "en" and outcome.status is Status.CLASSIFIED and outcome.level is not None:
        # The official term is the Vietnamese one: the English packet shows it too.
        text += [("text", " — "), ("vi", headline(result, ctx.program, "vi"))]
    return Para(tuple(text), "lead")


def _format_date(day: date, lang: str) -> str:
    return day.isoformat() if lang == "en" else day.strftime("%d/%m/%Y")


def _period(ctx: _Ctx) -> str:
    period, lang = ctx.result.period, ctx.lang
    key = f"period.{period.kind}"
    kind = msg(key, lang) if period.kind in ("annual", "quarterly", "ad_hoc") else period.kind
    return f"{_format_date(period.start, lang)} – {_format_date(period.end, lang)} ({kind})"


def _identity(ctx: _Ctx) -> Table:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    info = program.info
    kind = ctx.subject.label.get(lang) if ctx.subject else result.subject_kind
    rows: list[tuple[Inline, Inline]] = [
        (_t(_say("who", lang)), _t(_who(result))),
        (_t(_say("kind", lang)), (("text", f"{kind} "), ("code", result.subject_kind))),
        (_t(_say("outcome", lang)), _strong(headline(result, program, lang))),
        (_t(msg("label.period", lang)), _t(_period(ctx))),
        (_t(msg("label.framework", lang)), _t(f"{info.title.get(lang)} ({result.framework_family})")),
        (_t(_say("version", lang)), _t(result.framework_version)),
        (_t(_say("file", lang)), _code(result.framework_source)),
    ]
    if info.source_sha256:
        rows.append((_t(_say("sha256", lang)), _code(info.source_sha256)))
    if len(info.chain) > 1:
        chain = "; ".join(f"{file} {sha}" for file, sha in info.chain)
        rows.append((_t(_say("chain", lang)), _code(chain)))
    start = _format_date(info.effective_from, lang)
    if info.effective_until is not None:
        in_force = _say("in_force.range", lang, start=start, end=_format_date(info.effective_until, lang))
    else:
        in_force = _say("in_force.from", lang, start=start)
    rows.append((_t(_say("in_force", lang)), _t(in_force)))
    selection = result.extras.get("selection_en" if lang == "en" else "selection_vi")
    if isinstance(selection, str):
        rows.append((_t(msg("label.selection", lang)), _t(selection)))
    return Table((_say("item", lang), _say("detail", lang)), tuple(rows), "fields")


# --- the path that decided it -------------------------------------------------------------------------------


def _path(ctx: _Ctx) -> list[Block]:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    outcome = result.outcome
    reasons = reasons_view(result)
    blocks: list[Block] = []
    match outcome.decision:
        case Decision.ELIGIBILITY | Decision.TRIGGER:
            key = "decision.eligibility" if outcome.decision is Decision.ELIGIBILITY else "decision.trigger"
            blocks.append(Para(_t(msg(key, lang))))
            blocks += [_finding(n, ctx) for n in reasons]
        case Decision.LEVEL | Decision.BELOW_LOWEST | Decision.QUOTA:
            before = outcome.level_before_caps or outcome.level
            if outcome.decision is Decision.BELOW_LOWEST:
                levels = program.levels.values
                above = levels[-2].id if len(levels) > 1 else program.lowest_level
                lowest = _level(program.lowest_level, ctx)
                blocks.append(Para(_t(msg("decision.below_lowest", lang, level=_level(above, ctx), lowest=lowest))))
            else:
                blocks.append(Para(_t(msg("decision.level", lang, level=_level(before, ctx)))))
            failed = [n for n in reasons if n.kind is NodeKind.RULE]
            if failed:
                blocks.append(Para(_t(msg("decision.failed_above", lang, rules="").rstrip())))
                blocks.append(Bullets(tuple(_name_inline(n, ctx) for n in failed)))
                blocks.append(Para(_t(_say("path.see_why_not", lang))))
            lowering = [n for n in reasons if n.kind is NodeKind.CAP]
            if lowering:
                capped_to = _worst([n.level for n in lowering], ctx)
                text = msg("decision.capped", lang, level=_level(capped_to, ctx), before=_level(before, ctx))
                blocks.append(Para(_t(f"{text} {_say('path.see_caps', lang)}")))
            if outcome.decision is Decision.QUOTA:
                text = msg("decision.quota", lang, level=_level(outcome.level, ctx)).rstrip(":")
                blocks.append(Para(_t(f"{text}. {_say('path.quota', lang)}")))
        case Decision.UNDETERMINED:
            blocks.append(Para(_t(msg("decision.undetermined", lang))))
            items: list[Inline] = []
            if outcome.missing:
                items.append(_t(msg("missing", lang, fields=", ".join(_field_name(f, ctx) for f in outcome.missing))))
            if outcome.possible:
                possible = ", ".join(_level(p, ctx) for p in outcome.possible)
                items.append(_t(msg("possible", lang, outcomes=possible)))
            if items:
                blocks.append(Bullets(tuple(items)))
            if reasons:
                blocks.append(Heading(3, _t(msg("section.unknown_rules", lang))))
                blocks += [_finding(n, ctx) for n in reasons]
        case other:
            assert_never(other)
    if outcome.flags:
        names = ", ".join(_flag_name(flag, ctx) for flag in outcome.flags)
        blocks.append(Para(_t(msg("decision.flags", lang, flags=names)), "notice"))
    return blocks


def _worst(levels: Sequence[str | None], ctx: _Ctx) -> str | None:
    order = [v.id for v in ctx.program.levels.values]
    known = [lv for lv in levels if lv in order]
    return max(known, key=order.index) if known else None


def _flag_name(flag: str, ctx: _Ctx) -> str:
    for node in quota_checks(ctx.result):
        if node.id == flag:
            return _name(node, ctx)
    return flag


# --- the facts ----------------------------------------------------------------------------------------------


def _facts(ctx: _Ctx) -> list[Block]:
    """Every evidence value read (once), in the order the framework declares the fields."""
    lang = ctx.lang
    first: dict[str, Read] = {}
    for node in walk(ctx.result.trace):
        for read in node.reads:
            if read.origin != "derived":
                first.setdefault(read.name, read)
    declared = [f.id for f in ctx.subject.fields] if ctx.subject else []
    declared += [r.id for r in ctx.subject.relations] if ctx.subject else []
    order = [n for n in declared if n in first] + [n for n in first if n not in declared]
    if not order:
        return [Para(_t(_say("facts.none", lang)))]
    rows = []
    for name in order:
        read = first[name]
        origins = [_say(f"origin.{read.origin}", lang) if f"origin.{read.origin}" in _WORDS else read.origin]
        if read.judgement:
            origins.append(_say("origin.judgement", lang))
        label = _field_label(name, ctx)
        item: Inline = (("text", f"{label} "), ("code", name)) if label else _code(name)
        rows.append((item, _t(_value_text(name, read.value, ctx)), _t(", ".join(origins))))
    head = (_say("item", lang), _say("facts.value", lang), _say("facts.origin", lang))
    return [Table(head, tuple(rows), "facts")]


def _field_label(name: str, ctx: _Ctx) -> str | None:
    if ctx.subject is None:
        return None
    fdef = ctx.subject.field_def(name)
    if fdef is not None:
        return fdef.label.get(ctx.lang)
    relation = next((r for r in ctx.subject.relations if r.id == name), None)
    return relation.label.get(ctx.lang) if relation else None


def _field_name(name: str, ctx: _Ctx) -> str:
    label = _field_label(name, ctx)
    return f"{label} ({name})" if label else name


def _value_text(name: str, value: object, ctx: _Ctx) -> str:
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


def _label(node: TraceNode, ctx: _Ctx) -> Text | None:
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


def _name(node: TraceNode, ctx: _Ctx) -> str:
    label = _label(node, ctx)
    if label is None:
        return node.id or node.text or node.kind.value
    return f"{label.get(ctx.lang)} [{node.id}]" if node.id else label.get(ctx.lang)


def _name_inline(node: TraceNode, ctx: _Ctx) -> Inline:
    label = _label(node, ctx)
    if label is None:
        return _code(node.id) if node.id else _t(node.text or node.kind.value)
    return (("text", f"{label.get(ctx.lang)} "), ("code", node.id)) if node.id else _t(label.get(ctx.lang))


def _title(node: TraceNode, ctx: _Ctx) -> Inline:
    label = _label(node, ctx)
    parts: list[tuple[Style, str]] = [("strong", label.get(ctx.lang) if label else node.id or node.text)]
    if label is not None and node.id:
        parts += [("text", " "), ("code", node.id)]
    parts.append(("text", f": {msg(f'truth.{node.truth.value}', ctx.lang)}"))
    if node.kind is NodeKind.CAP and node.level:
        parts.append(("text", f" ({msg('cap.at_most', ctx.lang, level=_level(node.level, ctx))})"))
    return tuple(parts)


def _message(node: TraceNode, ctx: _Ctx) -> str | None:
    """The rule's own pass or fail sentence, when the framework gives one."""
    if node.kind is not NodeKind.RULE or ctx.subject is None:
        return None
    rule = ctx.subject.rules.get(node.id)
    if rule is None:
        return None
    text = rule.pass_ if node.truth is Truth.MET else rule.fail if node.truth is Truth.NOT_MET else None
    return text.get(ctx.lang) if text else None


def _cite(cite: Citation, ctx: _Ctx) -> str:
    """The clause: the document's number (``21-HD/BTCTW``) and the location inside it."""
    doc = next((d.number for d in ctx.program.info.legal_basis if d.id == cite.doc and d.number), cite.doc)
    return f"{doc}, {cite.at}" if cite.at else doc


def _meta(node: TraceNode, ctx: _Ctx) -> Para | None:
    parts = []
    if node.cite is not None:
        parts.append(f"{msg('field.citation', ctx.lang)}: {_cite(node.cite, ctx)}")
    if node.confidence is not None:
        parts.append(f"{msg('field.confidence', ctx.lang)}: {msg(f'confidence.{node.confidence.value}', ctx.lang)}")
    return Para(_t(" · ".join(parts)), "meta") if parts else None


def _finding(node: TraceNode, ctx: _Ctx, *, conditions: bool = True) -> Finding:
    lang = ctx.lang
    blocks: list[Block] = []
    message = _message(node, ctx)
    if message:
        blocks.append(Para(_t(message)))
    if conditions:
        rows = _condition_rows(node, ctx, 0)
        if node.text and (len(rows) != 1 or node.text != _row_text(node, ctx)):
            blocks.append(Para((("text", f"{_say('rule.as_written', lang)}: "), ("code", node.text))))
        if rows:
            head = (msg("field.condition", lang), msg("field.actual", lang), msg("field.required", lang))
            blocks.append(Table(head, tuple(rows), "conditions"))
    if node.error:
        blocks.append(Para(_t(f"{msg('field.error', lang)}: {node.error}")))
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


def _row_text(node: TraceNode, ctx: _Ctx) -> str:
    conds = deciding_conditions(node)
    return conds[0].text if len(conds) == 1 else ""


def _condition_rows(rule: TraceNode, ctx: _Ctx, depth: int) -> list[tuple[Inline, Inline, Inline]]:
    """A row per deciding condition of ``rule``: the condition, the actual value(s), the requirement; a rule
    the condition refers to is a row of its own followed by its conditions, indented."""
    lang = ctx.lang
    pad: Inline = (("text", "↳ " * depth),) if depth else ()
    rows: list[tuple[Inline, Inline, Inline]] = []
    for cond in deciding_conditions(rule):
        truth = msg(f"truth.{cond.truth.value}", lang)
        negated = _negated(cond, rule)
        if role(cond.kind) == "rule":
            must = _say("condition.must_not_hold" if negated else "condition.must_hold", lang)
            rows.append(((*pad, ("strong", _name(cond, ctx))), _t(truth), _t(must)))
            rows += _condition_rows(cond, ctx, depth + 1)
            continue
        text: Inline = (*pad, ("code", cond.text or cond.kind.value), ("text", f" ({truth})"))
        actual, required = _actual_and_required(cond, negated, ctx)
        if cond.error:
            required = (*required, ("text", f"; {msg('field.error', lang)}: {cond.error}"))
        rows.append((text, _t(actual), required))
    return rows


def _negated(leaf: TraceNode, rule: TraceNode) -> bool:
    """Whether ``leaf`` explains ``rule`` through an odd number of ``not``s (their truths differ)."""
    known = (Truth.MET, Truth.NOT_MET)
    return leaf.truth in known and rule.truth in known and leaf.truth is not rule.truth


_OPS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "="}


def _actual_and_required(leaf: TraceNode, negated: bool, ctx: _Ctx) -> tuple[str, Inline]:
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
    return _with_split(actual, leaf, ctx), _t(required)


def _msg_with_code(key: str, lang: str, name: str, code: str) -> Inline:
    """A catalogue message whose argument ``name`` is a condition as written, set as code."""
    marker = "\x00"
    before, _, after = msg(key, lang, **{name: marker}).partition(marker)
    return tuple(part for part in (("text", before), ("code", code), ("text", after)) if part[1])


def _exists_text(leaf: TraceNode, ctx: _Ctx) -> str:
    """``exists(list, …)``: the list, how many entries match and which (operands: the size and the indices)."""
    source = next((r for r in leaf.reads if r.origin != "derived"), None)
    if source is None:
        return ""
    total, indices = (*leaf.operands, None, None)[:2]
    if not isinstance(indices, list | tuple):
        return _read_text(source, ctx)
    entries = source.value if isinstance(source.value, list) else []
    matching = [entries[i] for i in indices if isinstance(i, int) and 0 <= i < len(entries)]
    count = _say("exists.matching", ctx.lang, count=len(matching), total=total)
    if not matching:
        return f"{_field_name(source.name, ctx)}: {count}"
    return f"{_field_name(source.name, ctx)}: {count}: {_value_text(source.name, matching, ctx)}"


def _operand(text: str, value: object, ctx: _Ctx) -> str:
    shown = format_value(value, ctx.lang)
    if not text or text == shown or text.strip("\"'") == shown:
        return shown
    return f"{_field_name(text, ctx)} = {shown}"


def _read_text(read: Read, ctx: _Ctx) -> str:
    marks = []
    if read.origin in ("default", "missing"):
        marks.append(msg(f"read.{read.origin}", ctx.lang))
    if read.judgement:
        marks.append(msg("read.judgement", ctx.lang))
    suffix = f" ({', '.join(marks)})" if marks else ""
    return f"{_field_name(read.name, ctx)} = {_value_text(read.name, read.value, ctx)}{suffix}"


def _with_split(actual: str, leaf: TraceNode, ctx: _Ctx) -> str:
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
    return f"{actual} — {_say('share.split', ctx.lang)}: {'; '.join(parts)}"


# --- why not higher, caps -----------------------------------------------------------------------------------


def _why_not(ctx: _Ctx) -> list[Block]:
    result, program, lang = ctx.result, ctx.program, ctx.lang
    outcome = result.outcome
    order = [v.id for v in program.levels.values]
    caps = caps_applied(result)
    blocks: list[Block] = []
    for level, failed in why_not(result, program).items():
        blocks.append(Heading(3, _t(msg("section.why_not", lang, level=_level(level, ctx)))))
        if failed:
            blocks += [_finding(n, ctx) for n in failed]
            continue
        lowering = [c for c in caps if c.level in order and order.index(str(c.level)) > order.index(level)]
        if lowering:
            names = ", ".join(_name(c, ctx) for c in lowering)
            blocks.append(Para(_t(msg("why_not.capped", lang, caps=names))))
        elif outcome.decision is Decision.TRIGGER:
            blocks.append(Para(_t(_say("why_not.trigger", lang))))
        elif outcome.decision is Decision.QUOTA:
            blocks.append(Para(_t(_say("why_not.quota", lang))))
    if not blocks:
        if outcome.status is Status.NOT_CLASSIFIED:
            return [Para(_t(msg("decision.eligibility", lang).rstrip(":") + "."))]
        return [Para(_t(_say("why_not.none", lang)))]
    return blocks


def _caps(ctx: _Ctx) -> list[Block]:
    outcome = ctx.result.outcome
    lowering = [n for n in reasons_view(ctx.result) if n.kind is NodeKind.CAP]
    if outcome.decision in (Decision.ELIGIBILITY, Decision.TRIGGER):
        return []  # the caps never came into play
    caps = caps_applied(ctx.result)
    if not caps:
        return []
    blocks: list[Block] = []
    if lowering and outcome.level_before_caps and outcome.level_before_caps != outcome.level:
        before = _level(outcome.level_before_caps, ctx)
        blocks.append(Para(_t(f"{msg('label.level_before_caps', ctx.lang)}: {before}")))
    return blocks + [_finding(c, ctx) for c in caps]


# --- quotas -------------------------------------------------------------------------------------------------


def _quota(node: TraceNode, ctx: _Ctx) -> list[Block]:
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
    items.append(_t(_say("quota.group", lang, group=group)))
    if ratio is not None and isinstance(base, int):
        exact = base * ratio
        pct = f"{format_value(ratio * 100, lang)}%"
        arrow = "" if exact == allowed else f" → {allowed}"
        rounding = str(d.get("rounding", ""))
        rounding_text = _say(f"rounding.{rounding}", lang) if f"rounding.{rounding}" in _WORDS else rounding
        arith = _say(
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
        items.append(_t(arith))
        items.append(_t(_say("quota.base", lang, base=base, of_level=of_level, allowed=allowed, level=level)))
    keys = _rank_keys(d.get("rank_by"), ctx)
    keys_text = f"{keys}, {_say('quota.ties', lang)}" if keys else _say("quota.ties", lang)
    match status:
        case "within":
            items.append(_t(_say("quota.within", lang, count=count, level=level)))
        case "ranked":
            items.append(
                _t(_say("quota.ranked", lang, count=count, level=level, allowed=allowed, keys=keys_text, demote=demote))
            )
        case "flagged":
            items.append(_t(_say("quota.flagged", lang, count=count, level=level, allowed=allowed)))
        case "decided":
            kept_names = ", ".join(_person(c, names) for c in candidates if c in kept) or msg("value.none", lang)
            decision = str(d.get("decision") or "—")
            items.append(_t(_say("quota.decided", lang, count=count, level=level, decision=decision, kept=kept_names)))
        case _:
            pass

    def fate(subject_id: str) -> str:
        if status == "flagged":
            return _say("quota.pending", lang)
        return _say(
            "quota.keeps" if subject_id in kept else "quota.lowered",
            lang,
            level=level if subject_id in kept else demote,
        )

    me = ctx.result.subject_id
    rank = d.get("rank")
    if me in candidates and isinstance(rank, int):
        who = _person(me, names) if me in names else _who(ctx.result)
        items.append(_t(_say("quota.position", lang, who=who, rank=rank, count=count, fate=fate(me))))
    blocks: list[Block] = [Bullets(tuple(items))]
    others = [(i, c) for i, c in enumerate(candidates, start=1) if c != me]
    if others:
        blocks.append(Para(_t(_say("quota.others", lang, level=level))))
        head = (_say("quota.rank", lang), _say("quota.person", lang), _say("outcome", lang))
        rows = tuple((_t(str(i)), _t(_person(c, names)), _t(fate(c))) for i, c in others)
        blocks.append(Table(head, rows, "others"))
    else:
        blocks.append(Para(_t(_say("quota.others.none", lang, level=level))))
    meta = _meta(node, ctx)
    if meta is not None:
        blocks.append(meta)
    # The title says what the quota did to the subject, not the truth of a check.
    title = (*_name_inline(node, ctx), ("text", f": {fate(me)}" if me in candidates else ""))
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


def _rank_keys(value: object, ctx: _Ctx) -> str:
    parts = []
    for key in _as_list(value):
        field_id, _, order = str(key).partition(" ")
        words = _say("quota.asc" if order == "asc" else "quota.desc", ctx.lang)
        parts.append(f"{_field_label(field_id, ctx) or field_id} ({words})")
    return ", ".join(parts)


# --- confidence, legal documents, signatures ----------------------------------------------------------------


def _confidence(ctx: _Ctx) -> list[Block]:
    lang = ctx.lang
    marks = rules_by_confidence(ctx.result)
    rows = []
    for mark in (Confidence.SECONDARY, Confidence.ASSUMED):
        for node in marks[mark]:
            cite = _cite(node.cite, ctx) if node.cite else "—"
            rows.append((_name_inline(node, ctx), _t(msg(f"confidence.{mark.value}", lang)), _t(cite)))
    if not rows:
        return [Para(_t(line)) for line in confidence_summary(ctx.result, ctx.program, lang)]
    head = (_say("confidence.rule", lang), _say("confidence.mark", lang), msg("field.citation", lang))
    return [Para(_t(_say("confidence.lead", lang))), Table(head, tuple(rows), "confidence")]


def _legal(ctx: _Ctx) -> list[Block]:
    """The legal documents the packet cites, in the framework's order."""
    cited = {n.cite.doc for n in walk(ctx.result.trace) if n.cite is not None}
    rows = []
    for doc in ctx.program.info.legal_basis:
        if doc.id not in cited:
            continue
        issued = ", ".join(p for p in (doc.issuer, _format_date(doc.issued_on, ctx.lang) if doc.issued_on else "") if p)
        rows.append((_t(doc.number or doc.id), _t(doc.title.get(ctx.lang)), _t(issued or "—")))
    if not rows:
        return []
    head = (_say("legal.number", ctx.lang), _say("legal.title", ctx.lang), _say("legal.issued", ctx.lang))
    return [Table(head, tuple(rows), "legal")]


def _signatures(lang: str, prepared_on: date | None) -> Signatures:
    blank = _say("sign.date.blank", lang)
    prepared = (
        _say(
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
            (_say("sign.prepared_by", lang), _say("sign.prepared_by.hint", lang), prepared),
            (_say("sign.committee", lang), _say("sign.committee.hint", lang), blank),
        )
    )


# --- Markdown -----------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"[\\`*<>|]|(?<!\w)_|_(?!\w)|\[(?=[^\]]*\][(\[:])|&(?=#?\w+;)")


_MD_BLOCK_START = re.compile(r"^(\d*)([#>+=-]|(?<=\d)[.)])")


def _md_escape(text: str) -> str:
    """Text as Markdown that shows it as it is: emphasis, code, HTML, links and entities are escaped; an
    underscore inside a word (``is_exempted``) is left alone, as Markdown does."""
    return _MD_SPECIAL.sub(lambda m: "&amp;" if m.group() == "&" else "\\" + m.group(), text)


def _md_inline(text: Inline) -> str:
    out = []
    for style, value in text:
        match style:
            case "text" | "vi":
                out.append(_md_escape(value))
            case "code":
                fence = "``" if "`" in value else "`"
                pad = " " if value.startswith("`") or value.endswith("`") else ""
                out.append(f"{fence}{pad}{value}{pad}{fence}")
            case "strong":
                out.append(f"**{_md_escape(value)}**")
            case other:
                assert_never(other)
    return "".join(out)


def _md_cell(text: Inline) -> str:
    # In a table a pipe ends the cell even inside a code span; escaped text already has it as \|.
    escaped: Inline = tuple((s, v.replace("|", "\\|")) if s == "code" else (s, v) for s, v in text)
    return _md_inline(escaped).replace("\n", " ")


def _md_block(block: Block, lang: str) -> list[str]:
    match block:
        case Heading(level=level, text=text):
            return [f"{'#' * level} {_md_inline(text)}", ""]
        case Para(text=text, tone=tone):
            # A paragraph that starts like a heading, a quote or a list item must not become one.
            line = _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), _md_inline(text), count=1)
            if tone == "notice":
                return [f"> {line}", ""]
            if tone == "meta":
                return [f"*{line}*", ""]
            return [line, ""]
        case Bullets(items=items):
            return [*(f"- {_md_inline(item)}" for item in items), ""]
        case Table(head=head, rows=rows):
            lines = [
                "| " + " | ".join(_md_escape(h) for h in head) + " |",
                "| " + " | ".join("---" for _ in head) + " |",
            ]
            lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
            return [*lines, ""]
        case Finding(title=title, blocks=blocks):
            plain: Inline = tuple(("text", v) if s == "strong" else (s, v) for s, v in title)
            lines = [f"#### {_md_inline(plain)}", ""]
            for inner in blocks:
                lines += _md_block(inner, lang)
            return lines
        case Signatures(columns=columns):
            # Empty rows leave room to sign on a printout of the Markdown.
            sig_rows = [[_md_escape(when) for _, _, when in columns], [_md_escape(hint) for _, hint, _ in columns]]
            sig_rows += [[" " for _ in columns]] * 3
            lines = [
                "| " + " | ".join(f"**{_md_escape(r)}**" for r, _, _ in columns) + " |",
                "| " + " | ".join(":---:" for _ in columns) + " |",
            ]
            lines += ["| " + " | ".join(row) + " |" for row in sig_rows]
            return [*lines, ""]
        case other:
            assert_never(other)


# --- HTML ---------------------------------------------------------------------------------------------------


def _html_inline(text: Inline) -> str:
    out = []
    for style, value in text:
        escaped = html.escape(value)
        match style:
            case "text":
                out.append(escaped)
            case "vi":
                out.append(f'<span lang="vi">{escaped}</span>')
            case "code":
                out.append(f"<code>{escaped}</code>")
            case "strong":
                out.append(f"<strong>{escaped}</strong>")
            case other:
                assert_never(other)
    return "".join(out)


def _html_block(block: Block, lang: str) -> list[str]:
    match block:
        case Heading(level=level, text=text):
            return [f"<h{level}>{_html_inline(text)}</h{level}>"]
        case Para(text=text, tone=tone):
            cls = f' class="{tone}"' if tone else ""
            return [f"<p{cls}>{_html_inline(text)}</p>"]
        case Bullets(items=items):
            return ["<ul>", *(f"<li>{_html_inline(item)}</li>" for item in items), "</ul>"]
        case Table(head=head, rows=rows, kind=kind):
            cls = f' class="{kind}"' if kind else ""
            lines = [
                f"<table{cls}>",
                "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead>",
            ]
            lines.append("<tbody>")
            for row in rows:
                cells = list(row)
                if kind == "fields":
                    first = f'<th scope="row">{_html_inline(cells[0])}</th>'
                    lines.append("<tr>" + first + "".join(f"<td>{_html_inline(c)}</td>" for c in cells[1:]) + "</tr>")
                else:
                    lines.append("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in cells) + "</tr>")
            lines += ["</tbody>", "</table>"]
            return lines
        case Finding(title=title, tone=tone, blocks=blocks):
            lines = [f'<section class="finding {tone}">', f"<h4>{_html_inline(title)}</h4>"]
            for inner in blocks:
                lines += _html_block(inner, lang)
            return [*lines, "</section>"]
        case Signatures(columns=columns):
            lines = ['<div class="signatures">']
            for role_text, hint, when in columns:
                lines += [
                    '<div class="signature">',
                    f'<p class="date">{html.escape(when)}</p>',
                    f'<p class="role">{html.escape(role_text)}</p>',
                    f'<p class="hint">{html.escape(hint)}</p>',
                    '<div class="space"></div>',
                    "</div>",
                ]
            return [*lines, "</div>"]
        case other:
            assert_never(other)


_CSS = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
html {
  background: #e8e8e4; color: #161616;
  font: 12pt/1.45 "Times New Roman", "Liberation Serif", "Noto Serif", "DejaVu Serif", serif;
}
body { margin: 0; padding: 16px 8px; }
.sheet {
  background: #fff; max-width: 210mm; margin: 0 auto; padding: 16mm 16mm 18mm;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.25);
}
h1 { font-size: 15pt; text-align: center; text-transform: uppercase; margin: 0 0 8pt; letter-spacing: 0.02em; }
h2 { font-size: 13pt; margin: 16pt 0 6pt; padding-bottom: 2pt; border-bottom: 1px solid #777; }
h3 { font-size: 12pt; margin: 12pt 0 4pt; }
h4 { font-size: 11.5pt; margin: 0 0 3pt; }
p { margin: 4pt 0; }
p.lead { text-align: center; font-size: 13pt; margin: 0 0 10pt; }
p.notice { border: 1px solid #b58900; background: #fdf6e3; padding: 4pt 8pt; }
p.meta { color: #444; font-size: 10.5pt; }
ul { margin: 4pt 0; padding-left: 18pt; }
li { margin: 2pt 0; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; font-size: 10.5pt; }
th, td { border: 1px solid #999; padding: 3pt 5pt; text-align: left; vertical-align: top; }
thead th { background: #ecebe6; }
table.fields th[scope="row"] { width: 28%; font-weight: normal; background: #f6f5f1; }
table.conditions td:first-child { width: 34%; }
code {
  font-family: "DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", monospace; font-size: 9pt;
  overflow-wrap: anywhere;
}
.finding { border-left: 3pt solid #888; padding: 2pt 0 2pt 8pt; margin: 6pt 0 10pt; }
.finding.not_met { border-left-color: #a4161a; }
.finding.met { border-left-color: #2b6a30; }
.finding.unknown { border-left-color: #b58900; }
.signatures { display: flex; justify-content: space-between; gap: 24pt; margin-top: 10pt; }
.signature { flex: 1; text-align: center; }
.signature p { margin: 2pt 0; }
.signature .date { font-style: italic; }
.signature .role { font-weight: bold; text-transform: uppercase; }
.signature .hint { font-style: italic; font-size: 10.5pt; }
.signature .space { height: 26mm; }
@page {
  size: A4;
  margin: 18mm 16mm 20mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; }
}
@media print {
  html { background: #fff; font-size: 11.5pt; }
  body { padding: 0; }
  .sheet { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  .finding, tr, .signatures, table.fields { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

# The policy forbids every fetch: the page works offline and cannot leak who opened it.
_HTML_PAGE = """\
<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<main class="sheet">
<h1>{h1}</h1>
{body}
</main>
</body>
</html>
"""
