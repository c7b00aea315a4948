"""Dispute-packet blocks: the document model every rendering of a packet draws, and the renderings.

Input: a title and a list of blocks (headings, paragraphs, bullets, tables, findings, signatures). Output: Markdown
(GitHub-flavoured tables), one self-contained HTML page with inline CSS for screen and A4 print, or plain text for a
console (aligned columns, no markup).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, assert_never

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


def plain(text: str) -> Inline:
    """Text set as it is."""
    return (("text", text),)


def code(text: str) -> Inline:
    """Text set as code (ids, conditions as written, file names)."""
    return (("code", text),)


def strong(text: str) -> Inline:
    """Text set in bold."""
    return (("strong", text),)


def to_markdown(title: str, blocks: Sequence[Block], lang: str) -> str:
    """The blocks as Markdown under ``title`` as the level-one heading; every text escaped."""
    lines = [f"# {_md_escape(title)}", ""]
    for block in blocks:
        lines += _md_block(block, lang)
    return "\n".join(lines).rstrip("\n") + "\n"


def to_html(title: str, heading: str, blocks: Sequence[Block], lang: str) -> str:
    """The blocks as one HTML page titled ``title``, under ``heading``: no scripts, nothing fetched, every text
    escaped."""
    body: list[str] = []
    for block in blocks:
        body += _html_block(block, lang)
    return _HTML_PAGE.format(
        lang=lang,
        title=html.escape(title),
        css=_CSS,
        h1=html.escape(heading),
        body="\n".join(body),
    )


def to_text(title: str, blocks: Sequence[Block]) -> str:
    """The blocks as plain text under ``title``: headings underlined, tables in aligned columns, no markup."""
    lines = [title, "=" * len(title), ""]
    for block in blocks:
        lines += _text_block(block)
    return "\n".join(line.rstrip() for line in lines).rstrip("\n") + "\n"


# --- plain text ---------------------------------------------------------------------------------------------


def _text_inline(text: Inline) -> str:
    # Without a typeface to set it apart, an id after its label goes in parentheses: "Tasks met (targets_met)".
    parts = [f"({value})" if style == "code" and i else value for i, (style, value) in enumerate(text)]
    return "".join(parts).replace("\n", " ")


def _text_block(block: Block) -> list[str]:
    match block:
        case Heading(level=level, text=text):
            heading = _text_inline(text)
            return ["", heading, ("-" if level <= 2 else "·") * len(heading)]
        case Para(text=text):
            return [_text_inline(text), ""]
        case Bullets(items=items):
            return [*(f"- {_text_inline(item)}" for item in items), ""]
        case Table(head=head, rows=rows):
            cells = [list(head), *([_text_inline(c) for c in row] for row in rows)]
            widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(head))]
            lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) for row in cells]
            lines.insert(1, "  ".join("-" * w for w in widths))
            return [*lines, ""]
        case Finding(title=title, blocks=blocks):
            lines = [f"* {_text_inline(title)}"]
            for inner in blocks:
                lines += [f"    {line}" if line else "" for line in _text_block(inner)]
            return lines
        case Signatures(columns=columns):
            lines = []
            for role_text, hint, when in columns:
                lines += [f"{role_text} — {when}", f"  {hint}", "", ""]
            return lines
        case other:
            assert_never(other)


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
            unbolded: Inline = tuple(("text", v) if s == "strong" else (s, v) for s, v in title)
            lines = [f"#### {_md_inline(unbolded)}", ""]
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
