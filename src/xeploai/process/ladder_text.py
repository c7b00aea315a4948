"""The ladder in words: one subject's rungs, how each compares with the allowed level, and why.

Input: a ``LadderRow`` (or a whole ``ProcessResult``) of ``ladder.evaluate_process`` and its program.
Output: plain-text lines citing the clauses (what ``xeploai batch --process`` prints), and a flat JSON view.
"""

from __future__ import annotations

from typing import Any

from xeploai.process.ladder import LadderRow, ProcessResult, cite_text
from xeploai.program import ir

__all__ = ["as_rows", "explain_ladder", "relation_text"]


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
        if view.mismatch:
            lines.append(
                f"    {'proposal differs from its tally' if en else 'đề xuất khác kết quả kiểm phiếu'}: {view.mismatch}"
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


def as_rows(result: ProcessResult) -> list[dict[str, Any]]:
    """A flat view (one row per subject and rung) for JSON output."""
    program = result.population.program
    out: list[dict[str, Any]] = []
    for row in result.rows:
        for view in row.rungs:
            out.append(
                {
                    "subject": row.result.subject_id,
                    "rung": view.rung.id,
                    "level": program.level_code(view.level) if view.level else None,
                    "allowed": program.level_code(row.allowed) if row.allowed else None,
                    "relation": view.relation,
                    "findings": [f.id for f in view.findings],
                }
            )
    return out
