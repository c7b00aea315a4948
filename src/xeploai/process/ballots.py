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

__all__ = ["BallotOutcome", "tally_ballot"]


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


def tally_ballot(rule: ir.BallotRule, tally: Tally, program: ir.Program) -> BallotOutcome:
    """The level a tally gives under ``rule``: quorum, then a strict majority, then the rule for no majority."""
    code = program.level_code
    order = [v.id for v in program.levels.values]
    steps: list[ir.Text] = []
    cast = sum(tally.votes.values())
    valid = tally.valid if tally.valid is not None else cast
    present = tally.present if tally.present is not None else valid
    if rule.quorum is not None and tally.entitled:
        if Fraction(present, tally.entitled) < rule.quorum:
            steps.append(
                ir.Text(
                    f"Có mặt {present}/{tally.entitled}, chưa đủ {_pct(rule.quorum)} số được triệu tập:"
                    " phiếu không có giá trị.",
                    f"{present} of {tally.entitled} present, under the quorum of {_pct(rule.quorum)}:"
                    " the ballot does not count.",
                )
            )
            return BallotOutcome(rule, tally, None, "no_quorum", tuple(steps))
        steps.append(
            ir.Text(
                f"Có mặt {present}/{tally.entitled} (đủ {_pct(rule.quorum)}).",
                f"{present} of {tally.entitled} present (quorum {_pct(rule.quorum)} reached).",
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
