"""Self-assessment: the level a subject proposed for themself beside the computed one.

Input: a ``Result``, its ``Program`` and the proposed level (an id, code or label). Output: a ``SelfAssessment`` —
the same, above, below or undetermined — with the reasons for a difference in Vietnamese and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xeploai.evaluation.trace import NodeKind, Result, Status, TraceNode, Truth
from xeploai.explanation.counterfactual import level_id
from xeploai.explanation.counterfactual_checker import INSUFFICIENT_EVIDENCE, NOT_CLASSIFIED
from xeploai.program import ir

Comparison = Literal["same", "above", "below", "undetermined", "not_classified"]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a self-assessed level differs from the computed one.

    ``kind``: ``failed_rule`` (a rule of the proposed level that failed), ``unknown_rule`` (one that could not be
    decided), ``trigger`` (a not-completed trigger that held), ``cap`` (a cap that lowered the level below the
    proposal), ``quota`` (a quota of a population run that lowered it), ``not_classified`` (an eligibility rule
    that held), ``missing`` (evidence still needed), or ``allows_more`` (the rules give a better level than
    proposed).
    """

    kind: Literal["failed_rule", "unknown_rule", "trigger", "cap", "quota", "not_classified", "missing", "allows_more"]
    id: str
    text: ir.Text


@dataclass(frozen=True, slots=True)
class SelfAssessment:
    """The subject's proposed level beside the computed outcome, with the reasons for a difference."""

    proposed: str
    computed: str  # a level id, ``not_classified``, ``insufficient_evidence`` or ``left_to_competent_level``
    comparison: Comparison
    reasons: tuple[Reason, ...]
    text: ir.Text

    def to_json(self) -> dict[str, object]:
        """The comparison as plain data, both languages kept."""
        return {
            "proposed": self.proposed,
            "computed": self.computed,
            "comparison": self.comparison,
            "text": {"vi": self.text.vi, "en": self.text.en},
            "reasons": [{"kind": r.kind, "id": r.id, "text": {"vi": r.text.vi, "en": r.text.en}} for r in self.reasons],
        }


def compare_self_assessment(result: Result, program: ir.Program, proposed_level: str) -> SelfAssessment:
    """Compare the level the subject proposed (an id, code or label) with the computed one.

    Above the computed level: the failed rules of the proposed level, and the triggers, caps or eligibility rules
    that decided. Below it: the fact that the rules allow more. Undetermined when missing evidence leaves both
    possible.
    """
    proposed = level_id(program, proposed_level)
    levels = program.levels
    outcome = result.outcome
    subject = program.subjects[result.subject_kind]
    root = result.trace
    stages = {n.kind: n for n in root.children if n.kind is not NodeKind.LEVEL}
    shown_p = _level_text(program, proposed)
    reasons: list[Reason] = []

    if outcome.status is Status.NOT_CLASSIFIED:
        for node in stages[NodeKind.ELIGIBILITY].children:
            if node.truth is Truth.MET:
                reasons.append(Reason("not_classified", node.id, _rule_text(subject, node.id, failed=False)))
        text = ir.Text(
            f"Đối tượng không được xếp loại, nên không so sánh được với mức tự đánh giá {shown_p.vi}.",
            f"The subject is not classified, so the self-assessed level {shown_p.en} cannot be compared.",
        )
        return SelfAssessment(proposed, NOT_CLASSIFIED, "not_classified", tuple(reasons), text)

    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        possible = [p for p in outcome.possible if p != NOT_CLASSIFIED]
        ranks = [levels.rank(p) for p in possible]
        if possible and levels.rank(proposed) > max(ranks) and NOT_CLASSIFIED not in outcome.possible:
            reasons.extend(_why_below(program, subject, root, proposed))
            comparison: Comparison = "above"
        elif possible and levels.rank(proposed) < min(ranks) and NOT_CLASSIFIED not in outcome.possible:
            comparison = "below"
        else:
            comparison = "undetermined"
        for name in outcome.missing:
            fdef = subject.field_def(name)
            label = fdef.label if fdef else ir.Text(name, name)
            reasons.append(
                Reason(
                    "missing", name, ir.Text(f"Thiếu thông tin: {label.vi} ({name})", f"Missing: {label.en} ({name})")
                )
            )
        listed = ", ".join(program.level_code(p) if p != NOT_CLASSIFIED else p for p in outcome.possible)
        text = ir.Text(
            f"Chưa đủ minh chứng để xếp loại (có thể là {listed}); mức tự đánh giá là {shown_p.vi}.",
            f"Insufficient evidence to classify (possible: {listed}); the self-assessed level is {shown_p.en}.",
        )
        return SelfAssessment(proposed, INSUFFICIENT_EVIDENCE, comparison, tuple(reasons), text)

    if outcome.status is Status.LEFT_TO_COMPETENT_LEVEL:
        # The rules place the subject at no level: the proposed level's failed rules are what the competent level
        # weighs; nothing is above or below.
        reasons.extend(_why_below(program, subject, root, proposed))
        text = ir.Text(
            f"Quy định không xếp được mức: cấp có thẩm quyền quyết định; mức tự đánh giá là {shown_p.vi}.",
            f"Not decided by the rules: the competent level decides; the self-assessed level is {shown_p.en}.",
        )
        return SelfAssessment(proposed, outcome.status.value, "undetermined", tuple(reasons), text)

    computed = outcome.level if outcome.status is not Status.AWAITING_DECISION else outcome.possible[0]
    assert computed is not None
    shown_c = _level_text(program, computed)
    if proposed == computed:
        text = ir.Text(
            f"Mức tự đánh giá {shown_p.vi} trùng với kết quả xếp loại.",
            f"The self-assessed level {shown_p.en} matches the computed level.",
        )
        return SelfAssessment(proposed, computed, "same", (), text)
    if levels.rank(proposed) < levels.rank(computed):
        reason = ir.Text(
            f"Theo các quy tắc, đối tượng đạt mức {shown_c.vi}, cao hơn mức tự đánh giá {shown_p.vi}.",
            f"Under the rules the subject reaches {shown_c.en}, above the self-assessed {shown_p.en}.",
        )
        text = ir.Text(
            f"Mức tự đánh giá {shown_p.vi} thấp hơn kết quả xếp loại {shown_c.vi}: các quy tắc cho phép mức cao hơn.",
            f"The self-assessed level {shown_p.en} is below the computed level {shown_c.en}: the rules allow more.",
        )
        return SelfAssessment(proposed, computed, "below", (Reason("allows_more", computed, reason),), text)
    reasons.extend(_why_below(program, subject, root, proposed))
    text = ir.Text(
        f"Mức tự đánh giá {shown_p.vi} cao hơn kết quả xếp loại {shown_c.vi}.",
        f"The self-assessed level {shown_p.en} is above the computed level {shown_c.en}.",
    )
    return SelfAssessment(proposed, computed, "above", tuple(reasons), text)


def _why_below(program: ir.Program, subject: ir.SubjectProgram, root: TraceNode, proposed: str) -> list[Reason]:
    """Why the subject does not reach ``proposed``: triggers that held, the proposed level's failed (or undecided)
    rules, and caps and quotas that lower the level below it."""
    reasons: list[Reason] = []
    levels = program.levels
    for stage in root.children:
        if stage.kind is NodeKind.TRIGGERS:
            for node in stage.children:
                if node.truth is Truth.MET:
                    reasons.append(Reason("trigger", node.id, _rule_text(subject, node.id, failed=False)))
        elif stage.kind is NodeKind.LEVEL and stage.level == proposed:
            for node in stage.children:
                if node.truth is Truth.NOT_MET:
                    reasons.append(Reason("failed_rule", node.id, _rule_text(subject, node.id, failed=True)))
                elif node.truth is Truth.UNKNOWN:
                    reasons.append(Reason("unknown_rule", node.id, _rule_text(subject, node.id, failed=None)))
        elif stage.kind is NodeKind.QUOTA and stage.truth is Truth.NOT_MET and stage.level is not None:
            if levels.rank(stage.level) < levels.rank(proposed):
                label = stage.label or ir.Text(stage.id, stage.id)
                code = program.level_code(stage.level)
                reasons.append(
                    Reason(
                        "quota",
                        stage.id,
                        ir.Text(f"Tỷ lệ: {label.vi} (hạ xuống {code})", f"Quota: {label.en} (lowered to {code})"),
                    )
                )
        elif stage.kind is NodeKind.CAPS:
            for node in stage.children:
                bound = node.level
                if node.truth is Truth.MET and bound is not None and levels.rank(bound) < levels.rank(proposed):
                    cap = next((c for c in subject.caps if c.id == node.id), None)
                    label = cap.label if cap else ir.Text(node.id, node.id)
                    code = program.level_code(bound)
                    reasons.append(
                        Reason(
                            "cap",
                            node.id,
                            ir.Text(f"Giới hạn mức: {label.vi} (tối đa {code})", f"Cap: {label.en} (at most {code})"),
                        )
                    )
    return reasons


def _rule_text(subject: ir.SubjectProgram, rule_id: str, failed: bool | None) -> ir.Text:
    rule = subject.rules.get(rule_id)
    if rule is None:
        return ir.Text(rule_id, rule_id)
    if failed is True:
        detail = rule.fail or rule.label
        return ir.Text(f"Chưa đạt: {detail.vi}", f"Not met: {detail.en}")
    if failed is None:
        return ir.Text(f"Chưa xác định được: {rule.label.vi}", f"Could not be decided: {rule.label.en}")
    return ir.Text(rule.label.vi, rule.label.en)


def _level_text(program: ir.Program, level: str) -> ir.Text:
    label = program.level_label(level)
    code = program.level_code(level)
    return ir.Text(f"“{label.vi}” ({code})", f"“{label.en}” ({code})")
