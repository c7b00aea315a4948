"""Synthetic populations of HD21 party members (frameworks/party/2019-10-18.yaml, kind ``party_member``).

FICTIONAL DATA, generated with numpy from a fixed seed: the same size and seed give the same population on every
machine. Distributions follow examples/district/generate.py (which was written from the regulation's practice):
most members "good", about 14 % proposed "excellent", a few percent "completed", about 1 % "not completed";
exempted and newly admitted members; civil servants with their own classification; sick and maternity leave;
disciplinary decisions of the year, of the year before and already counted; and a small share of members one of
whose gradings is missing (insufficient evidence).

A population is a set of numpy columns (``Population``); converters turn a slice of it into the input each engine
takes: raw evidence as in an evidence file, typed evidence as ``xeploai.evidence`` makes it, plain JSON dicts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from xeploai import ir
from xeploai.evidence import Evidence

KIND = "party_member"
YEAR = 2020
GRADES = ("political_ideology", "ethics_lifestyle", "discipline_awareness", "working_style", "remedying_shortcomings")
TASK = "task_results"
ALL_GRADES = (*GRADES, TASK)
GRADE_LABEL = {3: "Xuất sắc", 2: "Tốt", 1: "Trung bình", 0: "Kém"}  # rank in the grade scale (best = 3)
LEVEL_CODE = {3: "HTXS", 2: "HTT", 1: "HT", 0: "KHT"}  # rank in the level scale
FORM_LABEL = {0: "Khiển trách", 1: "Cảnh cáo", 2: "Cách chức", 3: "Khai trừ"}  # rank in the ordered enum
MEMBERS_PER_GRASSROOTS = 96  # 5.3 million members in 55,000 grassroots organisations
MEMBERS_PER_CELL = 24

# Outcome codes shared by every engine of the benchmark.
NOT_CLASSIFIED, EXCELLENT, GOOD, COMPLETED, NOT_COMPLETED, INSUFFICIENT = range(6)
OUTCOMES = ("not_classified", "excellent", "good", "completed", "not_completed", "insufficient_evidence")
LEVEL_OUTCOME = {"excellent": EXCELLENT, "good": GOOD, "completed": COMPLETED, "not_completed": NOT_COMPLETED}


@dataclass
class Population:
    """Columns of one population; -1 marks a missing scale value, ``has_*`` masks other missing fields."""

    n: int
    seed: int
    exempted: np.ndarray
    suspended: np.ndarray
    committee_suspended: np.ndarray
    months: np.ndarray
    probationary: np.ndarray
    civil: np.ndarray
    civil_level: np.ndarray  # level rank 0..3, -1 when absent
    degradation: np.ndarray
    assigned: np.ndarray
    met: np.ndarray
    exceeded: np.ndarray
    sick: np.ndarray  # months, in halves
    maternity: np.ndarray
    grades: dict[str, np.ndarray]  # grade rank 0..3, -1 when absent
    exemplary: np.ndarray
    has_core: np.ndarray  # False for exempted members, who only have eligibility facts
    incomplete: np.ndarray  # a grading knocked out on purpose
    disc_start: np.ndarray  # the member's records are disc_*[disc_start[i]:disc_start[i + 1]]
    disc_form: np.ndarray
    disc_day: np.ndarray  # date.toordinal()
    disc_counted: np.ndarray
    grassroots: np.ndarray  # index of the member's grassroots organisation
    cell: np.ndarray  # index of the member's cell (global)
    cells_of: np.ndarray  # number of cells of each grassroots organisation
    disc_known: np.ndarray | None = None  # whether the records field is given at all; None: as ``has_core``

    @property
    def discipline_known(self) -> np.ndarray:
        return self.has_core if self.disc_known is None else self.disc_known

    def member_id(self, i: int) -> str:
        return f"DV{i:08d}"


def generate(n: int, seed: int = 2020, missing: float = 0.003) -> Population:
    """A population of ``n`` members; ``missing`` is the share of members with one grading left blank."""
    rng = np.random.default_rng(seed)
    u = rng.random
    profile_draw = u(n)
    # xs 14 %, t 81.7 %, ht 3.3 %, kht 1 % (the district generator's shares)
    profile = np.select([profile_draw < 0.14, profile_draw < 0.957, profile_draw < 0.99], [3, 2, 1], 0).astype(np.int8)
    months = rng.integers(12, 481, n).astype(np.int16)
    old = rng.random(n) < 0.35
    months = np.where(old, rng.integers(240, 661, n), months).astype(np.int16)
    civil = u(n) < 0.45
    assigned = rng.integers(5, 13, n).astype(np.int16)
    met = assigned.copy()
    exceeded = np.zeros(n, np.int16)
    grades = {g: np.full(n, 2, np.int8) for g in GRADES}
    task = np.full(n, 2, np.int8)
    exemplary = np.zeros(n, bool)
    civil_level = np.full(n, 2, np.int8)

    xs, t, ht, kht = (profile == 3), (profile == 2), (profile == 1), (profile == 0)
    task[xs] = 3
    exemplary[xs] = True
    exceeded[xs] = np.minimum(rng.integers(1, 7, n), assigned)[xs]
    for g in GRADES:
        grades[g][xs & (u(n) < 0.35)] = 3
        grades[g][t & (u(n) < 0.04)] = 1
        grades[g][ht & (u(n) < 0.2)] = 1
    civil_level[xs] = np.where(u(n) < 0.9, 3, 2)[xs]
    civil_level[t] = np.where(u(n) < 0.1, 3, 2)[t]
    exceeded[t] = rng.choice(np.array([0, 0, 0, 1, 1, 2], np.int16), n)[t]
    task[ht] = 1
    met[ht] = np.maximum(np.ceil(assigned * 0.6), assigned - 2).astype(np.int16)[ht]
    civil_level[ht] = np.where(u(n) < 2 / 3, 1, 2)[ht]
    civil_level[kht] = np.where(u(n) < 0.3, 0, 1)[kht]
    poor = kht & (u(n) < 0.5)
    task[poor] = 0
    met[poor] = np.maximum(1, assigned // 2)[poor]
    half = kht & ~poor
    task[half] = 1
    met[half] = np.where(assigned // 2 > 1, assigned // 2 - 1, 0)[half]
    grades["working_style"][kht] = np.where(u(n) < 0.5, 1, 0)[kht]
    exceeded = np.minimum(exceeded, met)
    grades[TASK] = task

    r = u(n)
    sick = np.where(r < 0.012, rng.choice(np.array([3, 3.5, 4, 5]), n), 0.0)
    sick = np.where((r >= 0.012) & (r < 0.07), rng.choice(np.array([0.5, 1, 1.5, 2, 2.5]), n), sick)
    maternity = np.where((months < 300) & (u(n) < 0.02), rng.choice(np.array([4.0, 6.0]), n), 0.0)

    # Eligibility: exempted elderly members, newly admitted and probationary members, a few suspended ones.
    r = u(n)
    exempted = old & (r < 0.06)
    newly = ~exempted & (r >= 0.06) & (r < 0.075)
    probation = ~exempted & (r >= 0.075) & (r < 0.095)
    months[newly] = rng.integers(1, 6, n)[newly]
    months[probation] = rng.integers(6, 12, n)[probation]
    probationary = newly | probation
    suspended = ~exempted & (u(n) < 0.001)
    committee_suspended = ~exempted & (u(n) < 0.002)
    degradation = ~exempted & (u(n) < 0.0005)
    has_core = ~exempted
    civil &= has_core
    civil_level = np.where(civil, civil_level, -1).astype(np.int8)

    # Disciplinary decisions: about 1.5 % of members, a few with two; 75 % decided in the year.
    count = np.where(has_core & (u(n) < 0.015), np.where(u(n) < 0.1, 2, 1), 0).astype(np.int64)
    disc_start = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=disc_start[1:])
    total = int(disc_start[-1])
    form_draw = rng.random(total)
    disc_form = np.select([form_draw < 0.7, form_draw < 0.9, form_draw < 0.97], [0, 1, 2], 3).astype(np.int8)
    in_year = rng.random(total) < 0.75
    first = date(YEAR, 1, 1).toordinal()
    disc_day = np.where(in_year, first + rng.integers(0, 366, total), first - 365 + rng.integers(0, 365, total))
    disc_counted = rng.random(total) < 0.05

    # A small share of members with one grading left blank by the cell: insufficient evidence (or not, when the
    # outcome does not depend on it).
    incomplete = has_core & (u(n) < missing)
    which = rng.integers(0, len(ALL_GRADES), n)
    for k, g in enumerate(ALL_GRADES):
        grades[g] = np.where(incomplete & (which == k), -1, grades[g]).astype(np.int8)
        grades[g] = np.where(has_core, grades[g], -1).astype(np.int8)

    # Units: members of a grassroots organisation are contiguous; cells of about 24 members inside it.
    orgs = max(1, round(n / MEMBERS_PER_GRASSROOTS))
    grassroots = np.sort(rng.integers(0, orgs, n)).astype(np.int32)
    sizes = np.bincount(grassroots, minlength=orgs)
    cells_of = np.maximum(1, sizes // MEMBERS_PER_CELL)
    first_cell = np.zeros(orgs, np.int64)
    np.cumsum(cells_of[:-1], out=first_cell[1:])
    position = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    cell = (first_cell[grassroots] + position % cells_of[grassroots]).astype(np.int32)

    return Population(
        n=n,
        seed=seed,
        exempted=exempted,
        suspended=suspended,
        committee_suspended=committee_suspended,
        months=months,
        probationary=probationary,
        civil=civil,
        civil_level=civil_level,
        degradation=degradation,
        assigned=assigned,
        met=met,
        exceeded=exceeded,
        sick=sick,
        maternity=maternity,
        grades=grades,
        exemplary=exemplary,
        has_core=has_core,
        incomplete=incomplete,
        disc_start=disc_start,
        disc_form=disc_form,
        disc_day=disc_day,
        disc_counted=disc_counted,
        grassroots=grassroots,
        cell=cell,
        cells_of=cells_of,
    )


# --- converters ----------------------------------------------------------------------------------------------------


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def raw_rows(pop: Population, start: int, stop: int) -> list[dict[str, object]]:
    """Raw evidence as in an evidence file (labels and codes as text, dates as ISO text), one dict per member."""
    cols = _lists(pop, start, stop)
    rows: list[dict[str, object]] = []
    for j in range(stop - start):
        ev: dict[str, object] = {
            "exempted": cols["exempted"][j],
            "suspended": cols["suspended"][j],
            "months_since_admission": cols["months"][j],
            "is_civil_servant": cols["civil"][j],
            "degradation_concluded": cols["degradation"][j],
        }
        if cols["committee_suspended"][j]:
            ev["committee_activities_suspended"] = True
        if cols["probationary"][j]:
            ev["is_probationary"] = True
        if cols["has_core"][j]:
            if cols["civil_level"][j] >= 0:
                ev["civil_service_level"] = LEVEL_CODE[cols["civil_level"][j]]
            ev["targets_assigned"] = cols["assigned"][j]
            ev["targets_met"] = cols["met"][j]
            ev["targets_exceeded"] = cols["exceeded"][j]
            ev["discipline"] = [
                {"form": FORM_LABEL[f], "decided_on": date.fromordinal(d).isoformat()}
                | ({"counted_before": True} if c else {})
                for f, d, c in cols["records"][j]
            ]
            ev["sick_leave_months"] = _number(cols["sick"][j])
            if cols["maternity"][j]:
                ev["maternity_leave_months"] = _number(cols["maternity"][j])
            for g in ALL_GRADES:
                rank = cols[g][j]
                if rank >= 0:
                    ev[g] = GRADE_LABEL[rank]
            ev["exemplary_with_products"] = cols["exemplary"][j]
        rows.append(ev)
    return rows


class Typed:
    """Builds typed evidence straight from columns, equal to what ``validate_evidence`` makes of ``raw_rows``
    (checked by the benchmark before it measures), without its cost: the interpreter is timed, not validation."""

    def __init__(self, program: ir.Program) -> None:
        grade = program.scales["grade"]
        self.grade = {grade.rank(v.id): grade.ordinal(v.id) for v in grade.values}
        self.level = {program.levels.rank(v.id): program.levels.ordinal(v.id) for v in program.levels.values}
        enum = program.enums["discipline_form"]
        self.form = {i: ir.EnumValue(v.id, i, enum.id) for i, v in enumerate(enum.values)}
        self.numbers: dict[float, Fraction] = {}

    def number(self, x: float) -> Fraction:
        found = self.numbers.get(x)
        if found is None:
            found = self.numbers[x] = Fraction(str(_number(x)))
        return found

    def rows(self, pop: Population, start: int, stop: int) -> list[Evidence]:
        cols = _lists(pop, start, stop)
        out: list[Evidence] = []
        number = self.number
        for j in range(stop - start):
            values: dict[str, ir.Value] = {
                "exempted": cols["exempted"][j],
                "suspended": cols["suspended"][j],
                "committee_activities_suspended": cols["committee_suspended"][j],
                "months_since_admission": number(cols["months"][j]),
                "is_probationary": cols["probationary"][j],
                "is_civil_servant": cols["civil"][j],
                "degradation_concluded": cols["degradation"][j],
            }
            origins = dict.fromkeys(values, "evidence")
            if not cols["committee_suspended"][j]:
                origins["committee_activities_suspended"] = "default"
            if not cols["probationary"][j]:
                origins["is_probationary"] = "default"
            if cols["has_core"][j]:
                if cols["civil_level"][j] >= 0:
                    values["civil_service_level"] = self.level[cols["civil_level"][j]]
                values["targets_assigned"] = number(cols["assigned"][j])
                values["targets_met"] = number(cols["met"][j])
                values["targets_exceeded"] = number(cols["exceeded"][j])
                values["discipline"] = tuple(
                    ir.Record({"form": self.form[f], "decided_on": date.fromordinal(d), "counted_before": c}, index)
                    for index, (f, d, c) in enumerate(cols["records"][j])
                )
                values["sick_leave_months"] = number(cols["sick"][j])
                values["maternity_leave_months"] = number(cols["maternity"][j])
                for g in ALL_GRADES:
                    rank = cols[g][j]
                    if rank >= 0:
                        values[g] = self.grade[rank]
                values["exemplary_with_products"] = cols["exemplary"][j]
                origins.update(dict.fromkeys(values.keys() - origins.keys(), "evidence"))
                if not cols["maternity"][j]:
                    origins["maternity_leave_months"] = "default"
            else:
                values["targets_exceeded"] = number(0)
                values["maternity_leave_months"] = number(0)
                origins["targets_exceeded"] = origins["maternity_leave_months"] = "default"
            out.append(Evidence(values, origins))
        return out


def plain_rows(pop: Population, start: int, stop: int) -> list[dict[str, object]]:
    """Typed values as plain JSON for other engines: numbers, scale and enum values as ranks, dates as day
    ordinals; absent fields absent. Defaults are filled in, as typed evidence has them."""
    cols = _lists(pop, start, stop)
    rows: list[dict[str, object]] = []
    for j in range(stop - start):
        ev: dict[str, object] = {
            "exempted": cols["exempted"][j],
            "suspended": cols["suspended"][j],
            "committee_activities_suspended": cols["committee_suspended"][j],
            "months_since_admission": cols["months"][j],
            "is_probationary": cols["probationary"][j],
            "is_civil_servant": cols["civil"][j],
            "degradation_concluded": cols["degradation"][j],
            "targets_exceeded": 0,
            "maternity_leave_months": 0,
        }
        if cols["has_core"][j]:
            if cols["civil_level"][j] >= 0:
                ev["civil_service_level"] = cols["civil_level"][j]
            ev["targets_assigned"] = cols["assigned"][j]
            ev["targets_met"] = cols["met"][j]
            ev["targets_exceeded"] = cols["exceeded"][j]
            ev["discipline"] = [{"form": f, "decided_on": d, "counted_before": c} for f, d, c in cols["records"][j]]
            ev["sick_leave_months"] = _number(cols["sick"][j])
            ev["maternity_leave_months"] = _number(cols["maternity"][j])
            for g in ALL_GRADES:
                rank = cols[g][j]
                if rank >= 0:
                    ev[g] = rank
            ev["exemplary_with_products"] = cols["exemplary"][j]
        rows.append(ev)
    return rows


def _lists(pop: Population, start: int, stop: int) -> dict[str, list]:  # type: ignore[type-arg]
    """A slice of every column as Python lists (one conversion per column, not per cell)."""
    s = slice(start, stop)
    cols: dict[str, list] = {  # type: ignore[type-arg]
        "exempted": pop.exempted[s].tolist(),
        "suspended": pop.suspended[s].tolist(),
        "committee_suspended": pop.committee_suspended[s].tolist(),
        "months": pop.months[s].tolist(),
        "probationary": pop.probationary[s].tolist(),
        "civil": pop.civil[s].tolist(),
        "civil_level": pop.civil_level[s].tolist(),
        "degradation": pop.degradation[s].tolist(),
        "assigned": pop.assigned[s].tolist(),
        "met": pop.met[s].tolist(),
        "exceeded": pop.exceeded[s].tolist(),
        "sick": pop.sick[s].tolist(),
        "maternity": pop.maternity[s].tolist(),
        "exemplary": pop.exemplary[s].tolist(),
        "has_core": pop.has_core[s].tolist(),
    }
    for g in ALL_GRADES:
        cols[g] = pop.grades[g][s].tolist()
    lo, hi = int(pop.disc_start[start]), int(pop.disc_start[stop])
    forms = pop.disc_form[lo:hi].tolist()
    days = pop.disc_day[lo:hi].tolist()
    counted = pop.disc_counted[lo:hi].tolist()
    bounds = (pop.disc_start[start : stop + 1] - lo).tolist()
    cols["records"] = [
        list(zip(forms[a:b], days[a:b], counted[a:b], strict=True)) for a, b in itertools.pairwise(bounds)
    ]
    return cols


def outcome_code(outcome: object) -> int:
    """An ``Outcome`` (of any runner) as the benchmark's outcome code."""
    status = str(getattr(outcome, "status", ""))
    if status == "not_classified":
        return NOT_CLASSIFIED
    if status == "insufficient_evidence":
        return INSUFFICIENT
    return LEVEL_OUTCOME[str(getattr(outcome, "level", ""))]
