"""Named readings of ambiguous clauses: evaluate a population under every reading and list who depends on it.

Input: a program whose ``process.readings`` names the readings of a clause (the quota's denominator, its rounding,
its ratio, the rounding of scores before or after summing them), each with a default and a source; a population;
the period. Output: for every reading and every option other than the default, the subjects whose status, level
or pending flags differ from the default run, with both outcomes and the quota arithmetic under each reading.

A ``level_gap`` reading says who decides a subject that fits no level and no not-completed case: the competent level
(a status of its own) or the lowest level (the old assumed exception). Rounding and ratio readings replace the
quota's own figures; a rules reading selects the program its option reads (``gating.select``: the rules, caps and
notes that option switches on). A denominator of "HTT and above" counts the
candidates too (``base + candidates``); the number allowed per group is computed from the default run's quota
groups, and the kept candidates (in the quota's own ranking) are fed back as the group's outcome, until nothing
changes (collectives and later quotas then read the levels that stand under the reading). Score readings round the
summed score fields before evaluation: ``each`` rounds every field, ``total`` rounds their sum. With ``combine``,
the readings are also taken together: one run per combination of their other options (at most ``MAX_COMBINATIONS``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from xeploai.evaluation.population import (
    CommitteeDecision,
    PopulationInput,
    PopulationResult,
    QuotaGroup,
    evaluate_population,
)
from xeploai.evaluation.trace import Decision, Result, Status
from xeploai.framework.compiler import with_level_gap
from xeploai.program import gating, ir

__all__ = ["Difference", "GroupUnderReading", "ReadingRun", "evaluate_readings", "prepare", "variant"]

SIMULATED = "(mô phỏng cách hiểu / reading simulated)"
MAX_COMBINATIONS = 32  # combined runs of several readings: beyond this many, only the single readings are run


@dataclass(frozen=True)
class GroupUnderReading:
    quota: str
    group: str
    group_name: str
    base: int
    allowed: int
    candidates: tuple[str, ...]
    kept: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Difference:
    subject: str
    name: str
    kind: str
    unit: str
    default: str  # outcome under the default reading, e.g. "HTXS" or "HTXS (chờ: leaders_excellent)"
    other: str
    quotas: tuple[str, ...]  # the quota groups involved ("quota@group")


@dataclass(frozen=True)
class ReadingRun:
    reading: ir.Reading
    option: ir.ReadingOption
    result: PopulationResult
    groups: tuple[GroupUnderReading, ...]
    differences: tuple[Difference, ...]
    combined: tuple[tuple[ir.Reading, ir.ReadingOption], ...] = ()  # several readings taken together (first above)

    @property
    def choices(self) -> tuple[tuple[ir.Reading, ir.ReadingOption], ...]:
        return self.combined or ((self.reading, self.option),)

    @property
    def name(self) -> str:
        """``quota_rounding = half_up`` or, for a combination, ``quota_rounding = half_up + score_rounding = total``."""
        return " + ".join(f"{reading.id} = {option.id}" for reading, option in self.choices)


def _round(value: Fraction, decimals: int) -> Fraction:
    quantum = Decimal(1).scaleb(-decimals)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return Fraction(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def _to_fraction(raw: object) -> Fraction | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Fraction):
        return Fraction(raw)
    if isinstance(raw, float | Decimal):
        return Fraction(str(raw))
    if isinstance(raw, str):
        try:
            return Fraction(Decimal(raw.strip().replace(",", ".")))
        except Exception:
            return None
    return None


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def prepare(
    program: ir.Program, population: PopulationInput, choice: Mapping[str, str] | None = None
) -> PopulationInput:
    """The population with the score readings of ``choice`` (reading id → option id; defaults otherwise) applied."""
    process = program.process
    if process is None:
        return population
    rows = list(population.subjects)
    for reading in process.readings:
        if reading.parameter is not ir.ReadingParameter.SCORE_ROUNDING:
            continue
        mode = reading.option((choice or {}).get(reading.id, reading.default)).value
        if mode == "none":
            continue
        out = []
        for row in rows:
            values = {name: _to_fraction(row.evidence.get(name)) for name in reading.fields if name in row.evidence}
            if not values or any(v is None for v in values.values()):
                out.append(row)
                continue
            exact = {k: v for k, v in values.items() if v is not None}
            evidence = dict(row.evidence)
            if mode == "each":
                for name, value in exact.items():
                    evidence[name] = _plain(_round(value, reading.decimals))
            else:  # total: the rounded sum, the difference carried by the last field that can take it
                total = sum(exact.values(), Fraction(0))
                delta = _round(total, reading.decimals) - total
                for name in reversed(list(exact)):
                    if exact[name] + delta >= 0:
                        evidence[name] = _plain(exact[name] + delta)
                        break
            out.append(replace(row, evidence=evidence))
        rows = out
    return replace(population, subjects=tuple(rows), rows_read=population.rows_read or len(population.subjects))


def variant(program: ir.Program, reading: ir.Reading, option: ir.ReadingOption) -> ir.Program:
    """``program`` with what ``option`` reads: the quota figures (rounding, ratio), who decides a subject that fits
    no level (``level_gap``: the competent level, or the lowest level), or the rules, caps and notes a rules
    reading's option switches on; other readings leave it as it is."""
    if reading.parameter is ir.ReadingParameter.RULES:
        return gating.select(program, {reading.id: option.id})
    if reading.parameter is ir.ReadingParameter.QUOTA_ROUNDING:
        rounding = ir.Rounding(option.value)
        quotas = tuple(replace(q, rounding=rounding) if q.id in reading.quotas else q for q in program.quotas)
        return replace(program, quotas=quotas)
    if reading.parameter is ir.ReadingParameter.QUOTA_RATIO:
        share = Fraction(option.value.rstrip("%")) / (100 if option.value.endswith("%") else 1)
        quotas = tuple(replace(q, ratio=share) if q.id in reading.quotas else q for q in program.quotas)
        return replace(program, quotas=quotas)
    if reading.parameter is ir.ReadingParameter.LEVEL_GAP:
        return replace(program, subjects=with_level_gap(program.subjects, reading, option))
    return program


def _allowed(quota: ir.Quota, base: int) -> int:
    exact = quota.ratio * base
    if quota.rounding is ir.Rounding.FLOOR:
        return math.floor(exact)
    if quota.rounding is ir.Rounding.CEIL:
        return math.ceil(exact)
    return math.floor(exact + Fraction(1, 2))


def _with_denominator(
    program: ir.Program, population: PopulationInput, period: ir.Period, quotas: Sequence[str]
) -> tuple[PopulationResult, tuple[GroupUnderReading, ...]]:
    """Evaluate with "HTT and above" as the denominator of ``quotas`` (see the module's docstring)."""
    by_id = {q.id: q for q in program.quotas}
    real = {(d.quota, d.group) for d in population.decisions}
    simulated: dict[tuple[str, str], CommitteeDecision] = {}
    views: dict[tuple[str, str], GroupUnderReading] = {}
    result = evaluate_population(program, population, period)
    for _ in range(len(program.subjects) + 2):
        changed = False
        for group in result.quota_groups:
            key = (group.quota, group.group)
            quota = by_id[group.quota]
            if group.quota not in quotas or key in real:
                continue
            base = group.base + len(group.candidates)
            allowed = _allowed(quota, base)
            within = len(group.candidates) <= allowed
            kept = group.candidates if within or quota.policy is ir.QuotaPolicy.FLAG else group.candidates[:allowed]
            status = "within" if within else ("ranked" if quota.policy is ir.QuotaPolicy.RANK else "flagged")
            views[key] = GroupUnderReading(
                group.quota, group.group, group.group_name, base, allowed, group.candidates, kept, status
            )
            if quota.policy is ir.QuotaPolicy.FLAG:
                continue  # a flagged group's levels stand: only who awaits the decision depends on the reading
            wanted = CommitteeDecision(group.quota, group.group, kept, SIMULATED, simulated=True)
            if simulated.get(key) != wanted:
                simulated[key] = wanted
                changed = True
        if not changed:
            break
        decisions = (*population.decisions, *simulated.values())
        result = evaluate_population(program, replace(population, decisions=decisions), period)
    # A flag-policy group keeps its levels; only whether it is flagged depends on the reading.
    flagged = {key for key, view in views.items() if view.status == "flagged"}
    results = tuple(_reflag(r, program, flagged, views) for r in result.results)
    return replace(result, results=results), tuple(views.values())


def _reflag(
    result: Result,
    program: ir.Program,
    flagged: set[tuple[str, str]],
    views: Mapping[tuple[str, str], GroupUnderReading],
) -> Result:
    outcome = result.outcome
    flags = list(outcome.flags)
    for (quota_id, group), view in views.items():
        if result.subject_id not in view.candidates:
            continue
        policy = next(q.policy for q in program.quotas if q.id == quota_id)
        if policy is not ir.QuotaPolicy.FLAG:
            continue
        flags = [f for f in flags if f != quota_id]
        if (quota_id, group) in flagged:
            flags.append(quota_id)
    if tuple(flags) == outcome.flags:
        return result
    new = replace(outcome, flags=tuple(flags))
    quotas = {q.id: q for q in program.quotas}
    waiting = [f for f in flags if f in quotas and quotas[f].policy is ir.QuotaPolicy.FLAG]
    if waiting and outcome.status is Status.CLASSIFIED:
        # A group the reading newly puts over its allowance: its candidates await the competent level's decision.
        quota = quotas[waiting[0]]
        new = replace(
            new,
            status=Status.AWAITING_DECISION,
            level=None,
            decision=Decision.QUOTA,
            possible=(quota.level, quota.demote_to),
        )
    elif not waiting and outcome.status is Status.AWAITING_DECISION and outcome.possible:
        # Within its allowance under the reading: the candidate keeps the level the rules give it.
        new = replace(new, status=Status.CLASSIFIED, level=outcome.possible[0], decision=Decision.LEVEL, possible=())
    return replace(result, trace=replace(result.trace, level=new.level, outcome=new))


def _groups(result: PopulationResult) -> tuple[GroupUnderReading, ...]:
    return tuple(
        GroupUnderReading(g.quota, g.group, g.group_name, g.base, g.allowed, g.candidates, g.kept, g.status)
        for g in result.quota_groups
    )


def _shown(result: Result, program: ir.Program) -> str:
    outcome = result.outcome
    text = program.level_code(outcome.level) if outcome.level else outcome.status.value
    if outcome.flags:
        text += f" (chờ / pending: {', '.join(outcome.flags)})"
    return text


def _involved(groups: Sequence[QuotaGroup | GroupUnderReading], subject: str) -> list[str]:
    return [f"{g.quota}@{g.group}" for g in groups if subject in g.candidates]


def evaluate_readings(
    program: ir.Program,
    population: PopulationInput,
    period: ir.Period,
    only: Sequence[str] | None = None,
    combine: bool = False,
) -> tuple[PopulationResult, list[ReadingRun]]:
    """The default run, and one run per other option of each reading (or of the readings in ``only``); with
    ``combine``, one run per combination of the other options of every reading too."""
    process = program.process
    baseline = evaluate_population(program, prepare(program, population), period)
    if process is None:
        return baseline, []
    before = {r.subject_id: r for r in baseline.results}
    chosen = [r for r in process.readings if only is None or r.id in only]
    plans: list[tuple[tuple[ir.Reading, ir.ReadingOption], ...]] = [
        ((reading, option),) for reading in chosen for option in reading.options if option.id != reading.default
    ]
    if combine and len(chosen) > 1:
        others = [[(r, o) for o in r.options if o.id != r.default] for r in chosen]
        if math.prod(len(o) for o in others) <= MAX_COMBINATIONS:
            plans.extend(tuple(combo) for combo in itertools.product(*others))
    runs: list[ReadingRun] = []
    for plan in plans:
        prepared = prepare(program, population, {reading.id: option.id for reading, option in plan})
        changed = program
        for reading, option in plan:
            changed = variant(changed, reading, option)
        denominator = [
            r
            for r, o in plan
            if r.parameter is ir.ReadingParameter.QUOTA_DENOMINATOR and o.value == "of_level_and_above"
        ]
        if denominator:
            result, groups = _with_denominator(changed, prepared, period, denominator[0].quotas)
        else:
            result = evaluate_population(changed, prepared, period)
            groups = _groups(result)
        differences = []
        for other in result.results:
            mine = before.get(other.subject_id)
            if mine is None:
                continue
            a, b = _shown(mine, program), _shown(other, program)
            if a != b:
                involved = _involved(baseline.quota_groups, other.subject_id) + _involved(groups, other.subject_id)
                differences.append(
                    Difference(
                        other.subject_id,
                        other.subject_name or "",
                        other.subject_kind,
                        str(other.extras.get("unit", "")),
                        a,
                        b,
                        tuple(dict.fromkeys(involved)),
                    )
                )
        differences.sort(key=lambda d: (d.unit, d.subject))
        reading, option = plan[0]
        combined = plan if len(plan) > 1 else ()
        runs.append(ReadingRun(reading, option, result, groups, tuple(differences), combined))
    return baseline, runs


def _source(program: ir.Program, cite: ir.Citation) -> str:
    doc = next((legal.number for legal in program.info.legal_basis if legal.id == cite.doc), cite.doc)
    return f"{doc}, {cite.at}"


def readings_rows(runs: Sequence[ReadingRun], lang: str = "vi") -> list[dict[str, object]]:
    """One row per subject whose outcome depends on a reading, then a total row per run (``xeploai readings``
    prints or writes these): readings and options by their labels, sources by the document's number."""
    rows: list[dict[str, object]] = []
    for run in runs:
        program = run.result.program
        choices = run.choices
        common = {
            "reading": run.name,
            "reading_label": " + ".join(r.label.get(lang) for r, _ in choices),
            "default": " + ".join(r.option(r.default).label.get(lang) for r, _ in choices),
            "default_source": "; ".join(_source(program, r.option(r.default).cite) for r, _ in choices),
            "option": " + ".join(o.label.get(lang) for _, o in choices),
            "option_source": "; ".join(_source(program, o.cite) for _, o in choices),
        }
        for d in run.differences:
            rows.append(
                {
                    **common,
                    "subject": d.subject,
                    "name": d.name,
                    "unit": d.unit,
                    "under_default": d.default,
                    "under_option": d.other,
                    "quota_groups": " ".join(d.quotas),
                }
            )
        total = len(run.differences)
        rows.append(
            {
                **common,
                "name": (f"Total: {total} subject(s) change" if lang == "en" else f"Tổng cộng: {total} người thay đổi"),
                "changed": total,
            }
        )
    return rows


READINGS_COLUMNS: Sequence[tuple[str, str]] = (
    ("reading", "Điều khoản (reading)"),
    ("reading_label", "Nội dung (clause)"),
    ("default", "Cách hiểu mặc định (default)"),
    ("default_source", "Nguồn mặc định (default source)"),
    ("option", "Cách hiểu khác (other reading)"),
    ("option_source", "Nguồn (source)"),
    ("subject", "Mã (id)"),
    ("name", "Họ tên (name)"),
    ("unit", "Đơn vị (unit)"),
    ("under_default", "Kết quả theo mặc định (default result)"),
    ("under_option", "Kết quả theo cách hiểu khác (other result)"),
    ("quota_groups", "Nhóm tỷ lệ (quota groups)"),
    ("changed", "Số người thay đổi (subjects changed)"),
)
