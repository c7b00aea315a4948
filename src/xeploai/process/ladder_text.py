"""The ladder in words: one subject's rungs, how each compares with the allowed level, and why.

Input: a ``LadderRow`` (or a whole ``ProcessResult``) of ``ladder.evaluate_process`` and its program.
Output: plain-text lines citing the clauses (what ``xeploai batch --process`` prints), and a flat JSON view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xeploai.process.ladder import LadderRow, ProcessResult, cite_text
from xeploai.program import ir

__all__ = ["LADDER_COLUMNS", "as_rows", "explain_ladder", "needs_attention", "relation_text"]


_RELATION = {
    "agrees": ("khớp với mức được phép", "agrees with the allowed level"),
    "above": ("cao hơn mức quy định cho phép", "above what the rules allow"),
    "below": ("thấp hơn mức quy định cho phép", "below what the rules allow"),
    "missing": ("chưa có đề xuất (bắt buộc)", "no proposal yet (required)"),
    "no_level": ("không đề xuất mức", "no level proposed"),
    "pending": ("chờ cấp có thẩm quyền", "awaits the competent committee"),
    "undetermined": ("chưa đủ minh chứng để so sánh", "evidence insufficient to compare"),
    "not_classified": ("đối tượng không xếp loại", "the subject is not classified"),
}


def relation_text(relation: str, lang: str = "vi") -> str:
    vi, en = _RELATION[relation]
    return en if lang == "en" else vi


def explain_ladder(row: LadderRow, program: ir.Program, lang: str = "vi") -> list[str]:
    """The ladder of one subject in plain text: each rung, how it compares, and why, with clauses."""
    en = lang == "en"
    code = program.level_code
    result = row.result
    who = f"{result.subject_name or result.subject_id} ({result.subject_id})"
    allowed = code(row.allowed) if row.allowed else result.outcome.status.value
    lines = [f"{who}: {'allowed level' if en else 'mức quy định cho phép'} {allowed} — {row.reason}"]
    for view in row.rungs:
        shown = code(view.level) if view.level else "—"
        lines.append(f"  {view.rung.label.get(lang)}: {shown} — {relation_text(view.relation, lang)}")
        if view.ballot is not None:
            lines.append(f"    {'ballot' if en else 'bỏ phiếu'}: {view.ballot.text(lang)}")
            lines.append(f"    {view.ballot.rule.label.get(lang)} — {cite_text(program, view.ballot.rule.cite)}")
        if view.mismatch is not None:
            lines.append(
                f"    {'proposal differs from its tally' if en else 'đề xuất khác kết quả kiểm phiếu'}:"
                f" {view.mismatch.get(lang)}"
            )
        if view.relation == "above":
            lines.append("    " + ("breaks:" if en else "vướng:"))
        for finding in view.findings if view.relation in ("above", "pending", "not_classified", "undetermined") else ():
            lines.append(f"      - {finding.text(program, lang)}")
    for d in row.discrepancies:
        status = (
            ("explained: " if en else "đã giải trình: ") + (d.explanation or "")
            if d.explained
            else ("explanation required" if en else "phải giải trình")
        )
        size = []
        if d.points_gap is not None:
            size.append(f"{float(d.points_gap):g} {'points' if en else 'điểm'}")
        if d.level_gap:
            size.append(f"{d.level_gap} {'level(s)' if en else 'mức'}")
        lines.append(
            f"  {d.gap.label.get(lang)} ({d.first} → {d.second}: {', '.join(size)}): {status}"
            f" — {cite_text(program, d.gap.cite)}"
        )
    for flag in row.flags:
        lines.append(f"  {'flag' if en else 'lưu ý cấp có thẩm quyền'}: {flag.text(program, lang)}")
    if row.period is not None and row.period.quarters:
        quarters = ", ".join(f"{q.name} {code(q.level) if q.level else '—'}" for q in row.period.quarters)
        lines.append(f"  {'quarters' if en else 'các quý'}: {quarters}")
    return lines


def needs_attention(row: LadderRow) -> bool:
    """Whether a subject's ladder is printed: a rung above the rules, a vote awaiting the committee or void, a
    proposal its tally contradicts, a discrepancy not yet explained or a flag for the committee."""
    return (
        any(
            view.relation in ("above", "pending")
            or view.mismatch is not None
            or (view.ballot is not None and view.ballot.level is None)  # referred, or void (no quorum)
            for view in row.rungs
        )
        or any(not d.explained for d in row.discrepancies)
        or bool(row.flags)
    )


LADDER_COLUMNS: Sequence[tuple[str, str]] = (
    ("subject", "Mã (subject)"),
    ("name", "Họ tên (name)"),
    ("rung", "Bậc (rung)"),
    ("rung_label", "Bậc đề xuất (rung label)"),
    ("level", "Mức của bậc (level)"),
    ("allowed", "Mức theo quy định (allowed)"),
    ("relation", "So với quy định (relation)"),
    ("relation_label", "Nhận xét (relation label)"),
    ("ballot", "Kiểm phiếu (ballot)"),
    ("mismatch", "Đề xuất khác kiểm phiếu (mismatch)"),
    ("findings", "Quy định liên quan (findings)"),
    ("flags", "Lưu ý cấp có thẩm quyền (flags)"),
)


def as_rows(result: ProcessResult, lang: str = "vi") -> list[dict[str, Any]]:
    """A flat view, one row per subject and rung (the process results table and the JSON output): a split vote
    reads "awaiting the competent committee's decision" in the level column."""
    program = result.population.program
    pending = "Awaiting the competent committee's decision" if lang == "en" else "Chờ cấp có thẩm quyền quyết định"
    out: list[dict[str, Any]] = []
    for row in result.rows:
        flags = "; ".join(f.text(program, lang) for f in row.flags)
        for view in row.rungs:
            level = program.level_code(view.level) if view.level else None
            if level is None and view.relation == "pending" and view.ballot is not None:
                level = pending
            out.append(
                {
                    "subject": row.result.subject_id,
                    "name": row.result.subject_name or "",
                    "rung": view.rung.id,
                    "rung_label": view.rung.label.get(lang),
                    "level": level,
                    "allowed": program.level_code(row.allowed) if row.allowed else None,
                    "relation": view.relation,
                    "relation_label": relation_text(view.relation, lang),
                    "ballot": view.ballot.text(lang) if view.ballot else "",
                    "mismatch": view.mismatch.get(lang) if view.mismatch else "",
                    "findings": "; ".join(f.id for f in view.findings),
                    "flags": flags,
                }
            )
    return out
