"""Ballots: the tally of a secret ballot under the rule the framework declares for it.

Input: a ``BallotRule`` of ``process.ballots`` (quorum, the majority needed and of what, what happens without a
majority), a ``Tally`` of the process tables and the program (its levels, best first).
Output: a ``BallotOutcome``: the level the tally gives, or none (no quorum, referred), with every step of the
arithmetic in Vietnamese and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from xeploai.process.process_tables import Tally
from xeploai.program import ir

__all__ = ["BallotOutcome", "quorum_rule", "tally_ballot"]


@dataclass(frozen=True)
class BallotOutcome:
    """What a tally gives under its declared rule, and every step of the arithmetic (Vietnamese, English)."""

    rule: ir.BallotRule
    tally: Tally
    level: str | None  # None: no quorum, or referred to the competent committee
    status: str  # majority | cumulative | below_plurality | referred | no_quorum | no_ballots
    steps: tuple[ir.Text, ...]

    def text(self, lang: str = "vi") -> str:
        return " ".join(step.get(lang) for step in self.steps)


def _pct(share: Fraction) -> str:
    value = float(share * 100)
    return f"{value:.4g}%"


def quorum_rule(rule: ir.BallotRule, program: ir.Program) -> ir.Text:
    """Which quorum applies to a ballot, with its clause and confidence mark, or that the framework declares none."""
    if rule.quorum is None:
        return ir.Text("khung tiêu chí không quy định số có mặt tối thiểu", "the framework declares no quorum")
    share = _pct(rule.quorum)
    vi = f"có mặt {'quá' if rule.quorum_strict else 'từ'} {share} số được triệu tập"
    en = f"{'more than' if rule.quorum_strict else 'at least'} {share} of those entitled present"
    cite = rule.quorum_cite or rule.cite
    confidence = rule.quorum_confidence or rule.confidence
    doc = next((legal.number for legal in program.info.legal_basis if legal.id == cite.doc), cite.doc)
    mark = {
        ir.Confidence.CONFIRMED: ("", ""),
        ir.Confidence.SECONDARY: (", theo nguồn thứ cấp", ", per a secondary source"),
        ir.Confidence.ASSUMED: (", giả định", ", assumed"),
    }[confidence]
    return ir.Text(f"{vi} — {doc}, {cite.at}{mark[0]}", f"{en} — {doc}, {cite.at}{mark[1]}")


def tally_ballot(rule: ir.BallotRule, tally: Tally, program: ir.Program) -> BallotOutcome:
    """The level a tally gives under ``rule``: quorum, then a strict majority, then the rule for no majority."""
    code = program.level_code
    order = [v.id for v in program.levels.values]
    steps: list[ir.Text] = []
    cast = sum(tally.votes.values())
    valid = tally.valid if tally.valid is not None else cast
    present = tally.present if tally.present is not None else valid
    quorum = quorum_rule(rule, program)
    if rule.quorum is None:
        steps.append(ir.Text(f"{quorum.vi}.", f"{quorum.en}."))
    elif not tally.entitled:
        steps.append(
            ir.Text(
                f"Không có tổng số được triệu tập: chưa kiểm được số có mặt ({quorum.vi}).",
                f"No number entitled to vote: the quorum cannot be checked ({quorum.en}).",
            )
        )
    else:
        share = Fraction(present, tally.entitled)
        if share < rule.quorum or (rule.quorum_strict and share == rule.quorum):
            steps.append(
                ir.Text(
                    f"Có mặt {present}/{tally.entitled}, chưa đủ số có mặt ({quorum.vi}): phiếu không có giá trị.",
                    f"{present} of {tally.entitled} present, no quorum ({quorum.en}): the ballot does not count.",
                )
            )
            return BallotOutcome(rule, tally, None, "no_quorum", tuple(steps))
        steps.append(
            ir.Text(
                f"Có mặt {present}/{tally.entitled}, đủ số có mặt ({quorum.vi}).",
                f"{present} of {tally.entitled} present, quorum reached ({quorum.en}).",
            )
        )
    denominator = {ir.MajorityOf.VALID: valid, ir.MajorityOf.PRESENT: present, ir.MajorityOf.ENTITLED: tally.entitled}[
        rule.majority_of
    ]
    what = {
        ir.MajorityOf.VALID: ("phiếu hợp lệ", "valid ballots"),
        ir.MajorityOf.PRESENT: ("người có mặt", "those present"),
        ir.MajorityOf.ENTITLED: ("người được triệu tập", "those entitled"),
    }[rule.majority_of]
    if not denominator:
        steps.append(ir.Text(f"Không có {what[0]}.", f"No {what[1]}."))
        return BallotOutcome(rule, tally, None, "no_ballots", tuple(steps))
    needed = rule.more_than * denominator
    shown = ", ".join(f"{code(level)} {tally.votes.get(level, 0)}" for level in order)
    steps.append(
        ir.Text(
            f"Phiếu: {shown}; cần trên {_pct(rule.more_than)} của {denominator} {what[0]} (trên {float(needed):g}).",
            f"Ballots: {shown}; a level needs more than {_pct(rule.more_than)} of {denominator} {what[1]}"
            f" (more than {float(needed):g}).",
        )
    )
    for level in order:
        if tally.votes.get(level, 0) > needed:
            steps.append(
                ir.Text(
                    f"{code(level)} đạt {tally.votes[level]} phiếu, quá tỷ lệ.",
                    f"{code(level)} has {tally.votes[level]}, a majority.",
                )
            )
            return BallotOutcome(rule, tally, level, "majority", tuple(steps))
    steps.append(ir.Text("Không mức nào đạt quá tỷ lệ.", "No level has a majority."))
    match rule.no_majority:
        case ir.NoMajority.CUMULATIVE:
            running = 0
            for level in order:
                running += tally.votes.get(level, 0)
                if running > needed:
                    steps.append(
                        ir.Text(
                            f"Cộng dồn từ mức cao xuống: đến {code(level)} được {running} phiếu, quá tỷ lệ"
                            f" ⇒ {code(level)}.",
                            f"Counting each ballot for a level also for every lower level: {running} support"
                            f" {code(level)} or better ⇒ {code(level)}.",
                        )
                    )
                    return BallotOutcome(rule, tally, level, "cumulative", tuple(steps))
            steps.append(ir.Text("Cộng dồn vẫn không quá tỷ lệ.", "Even counted cumulatively, no majority."))
            return BallotOutcome(rule, tally, None, "referred", tuple(steps))
        case ir.NoMajority.BELOW_PLURALITY:
            most = max(order, key=lambda lv: (tally.votes.get(lv, 0), -order.index(lv)))
            below = order[min(order.index(most) + 1, len(order) - 1)]
            steps.append(
                ir.Text(
                    f"Mức nhiều phiếu nhất là {code(most)} ⇒ lấy mức liền dưới {code(below)}.",
                    f"The most votes went to {code(most)} ⇒ the level just below, {code(below)}.",
                )
            )
            return BallotOutcome(rule, tally, below, "below_plurality", tuple(steps))
        case ir.NoMajority.REFER:
            steps.append(
                ir.Text("Chuyển cấp có thẩm quyền xem xét, quyết định.", "Referred to the competent committee.")
            )
            return BallotOutcome(rule, tally, None, "referred", tuple(steps))
    raise AssertionError(rule.no_majority)
