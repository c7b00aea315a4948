"""Synthetic populations of HD21 party members (frameworks/party/2019-10-18.yaml, kind ``party_member``).

FICTIONAL DATA, generated with numpy from a fixed seed: the same size and seed give the same population on every
machine. Distributions follow examples/district/generate.py (which was written from the regulation's practice):
most members "good", about 14 % proposed "excellent", a few percent "completed", about 1 % "not completed";
exempted and newly admitted members; civil servants with their own classification; sick and maternity leave;
disciplinary decisions of the year, of the year before and already counted; and a small share of members one of
whose gradings is missing (insufficient evidence).

Three populations (``POPULATIONS``): ``hd21``, the district's distributions above (targets assigned 5–12, a few
dozen distinct pairs of targets assigned and met, sick leave in half months); ``realistic``, the same members with
the evidence of real forms (targets assigned 1–200 and 75 % meeting all of them, the others meeting fewer; sick
leave counted in days, written in months to two decimals; 8 % of members with 1–3 disciplinary decisions spread
over two years); and ``uniform``, the realistic one with ``targets_met`` uniform from 0 to ``targets_assigned``.
The last two are adversarial for an engine that shares work between members with equal evidence.

A population is a set of numpy columns (``Population``); converters turn a slice of it into the input each engine
takes: raw evidence as in an evidence file, typed evidence as ``evaluation.evidence`` makes it, plain JSON dicts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from xeploai.evaluation.evidence import Evidence
from xeploai.program import ir

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
    sick: np.ndarray  # months: halves in ``hd21``, days / 30 to two decimals in the others
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


POPULATIONS = ("hd21", "realistic", "uniform")


def generate(n: int, seed: int = 2020, missing: float = 0.003, population: str = "hd21") -> Population:
    """A population of ``n`` members; ``missing`` is the share of members with one grading left blank;
    ``population`` one of ``POPULATIONS`` (``hd21`` draws exactly what it drew before the others existed)."""
    if population not in POPULATIONS:
        raise ValueError(f"unknown population {population!r}: one of {', '.join(POPULATIONS)}")
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

    pop = Population(
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
    if population != "hd21":
        _real_forms(pop, np.random.default_rng(seed + 7), uniform=population == "uniform")
    return pop


def _real_forms(pop: Population, rng: np.random.Generator, uniform: bool) -> None:
    """Targets, sick leave and disciplinary decisions as real forms give them (a second fixed seed, so that the
    rest of the population is the ``hd21`` one)."""
    n = pop.n
    core = pop.has_core
    assigned = rng.integers(1, 201, n)
    if uniform:
        met = np.floor(rng.random(n) * (assigned + 1)).astype(np.int64)
    else:
        met = np.where(rng.random(n) < 0.75, assigned, np.floor(rng.random(n) * assigned).astype(np.int64))
    pop.assigned = assigned.astype(np.int16)
    pop.met = met.astype(np.int16)
    pop.exceeded = np.minimum(pop.exceeded, pop.met).astype(np.int16)
    # Sick leave in days (1–30 for most of those with any, up to 150 for a few), written in months to two decimals.
    r = rng.random(n)
    days = np.where(r < 0.056, rng.integers(1, 31, n), np.where(r < 0.07, rng.integers(31, 151, n), 0))
    pop.sick = np.round(days / 30, 2)
    # 8 % of members with 1–3 disciplinary decisions, dated uniformly over the year before and the year.
    count = np.where(core & (rng.random(n) < 0.08), rng.integers(1, 4, n), 0).astype(np.int64)
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(count, out=starts[1:])
    total = int(starts[-1])
    form_draw = rng.random(total)
    pop.disc_start = starts
    pop.disc_form = np.select([form_draw < 0.7, form_draw < 0.9, form_draw < 0.97], [0, 1, 2], 3).astype(np.int8)
    pop.disc_day = date(YEAR - 1, 1, 1).toordinal() + rng.integers(0, 731, total)
    pop.disc_counted = rng.random(total) < 0.05


# --- converters ----------------------------------------------------------------------------------------------------


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def exact_numerators(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Decimal numbers (as an evidence file writes them, ``_number``) as int64 numerators over one common
    denominator, exactly as validation reads each of them: ``Fraction(str(value))``. Raises ValueError when the
    common denominator would not fit int64 (no rounding, ever).

    >>> exact_numerators(np.array([0.0, 1.57, 3.0]))
    (array([  0, 157, 300]), 100)
    """
    distinct, inverse = np.unique(x, return_inverse=True)
    exact = [Fraction(str(_number(v))) for v in distinct.tolist()]
    common = math.lcm(*(f.denominator for f in exact)) if exact else 1
    numerators = [f.numerator * (common // f.denominator) for f in exact]
    if common >= 2**62 or any(abs(v) >= 2**62 for v in numerators):
        raise ValueError(f"no exact int64 numerators over a common denominator for {len(exact)} distinct values")
    return np.array(numerators, np.int64)[inverse.reshape(x.shape)], common


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


# --- the nation's organisations ------------------------------------------------------------------------------------
#
# FICTIONAL DATA as well. Around a ``Population`` of members: districts of about 78 grassroots organisations under
# one root; each grassroots organisation is a grassroots committee (đảng bộ cơ sở) with the members' cells under it,
# or (one in ten) a grassroots cell (chi bộ cơ sở) holding its members itself. As in examples/district: every cell
# and committee is a collective subject (``party_cell``, ``grassroots_committee``); a committee's first cell (its
# "Cơ quan" cell) holds the commune People's Committee leaders (a chair, who is the head of that body, and two
# deputies: ``party_member_leader``) and their ``leadership_collective``; a grassroots cell has two deputies and a
# collective; every grassroots organisation has a ``unit_head``, the head of its unit, evaluated after it.

ORGS_PER_DISTRICT = 78
GRASSROOTS_CELL_SHARE = 0.1
DECISION_SHARE = 0.01  # grassroots committees whose committee decided the members' quota itself
LEVEL_RANK = {"HTXS": 3, "HTT": 2, "HT": 1, "KHT": 0}
CHAIR, DEPUTY = "Chủ tịch UBND xã, phường, thị trấn", "Phó Chủ tịch UBND xã, phường, thị trấn"
AGENCY_DEPUTY = "Phó Thủ trưởng cơ quan, đơn vị cấp huyện"
SECRETARY, CELL_SECRETARY = "Bí thư Đảng ủy xã, phường, thị trấn", "Bí thư chi bộ cơ sở kiêm thủ trưởng đơn vị"
COMMUNE_COLLECTIVE, AGENCY_COLLECTIVE = "Tập thể lãnh đạo UBND xã, phường, thị trấn", "Ban lãnh đạo cơ quan cấp huyện"
TITLES = [CHAIR, DEPUTY, AGENCY_DEPUTY, SECRETARY, CELL_SECRETARY]
COLLECTIVE_GROUPS = [COMMUNE_COLLECTIVE, AGENCY_COLLECTIVE]


@dataclass
class Block:
    """The subjects of one kind as columns: who they are, where they sit, their evidence.

    ``fields`` maps an evidence field to its values and known mask (None: known everywhere). Grades and levels are
    ranks (-1 where absent) written as their labels; text fields are indices into ``labels[field]``.
    """

    kind: str
    ids: np.ndarray
    units: np.ndarray
    org: np.ndarray  # the grassroots organisation of each subject (slices keep whole organisations)
    names: np.ndarray | None
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]]
    labels: dict[str, list[str]]


@dataclass
class Nation:
    """A population of members and everything around it: units, collective subjects, heads, decisions."""

    members: Population
    orgs: int
    grassroots_cell: np.ndarray  # per organisation: it is a grassroots cell (no cells under it)
    district: np.ndarray  # per organisation: its district
    cell_org: np.ndarray  # per cell: its organisation (cells of grassroots cells are not units)
    blocks: list[Block]
    decisions: list[tuple[int, list[int]]]  # (organisation, members it approves as excellent)

    def org_id(self, g: np.ndarray) -> np.ndarray:
        return np.char.mod("G%06d", g)

    def member_units(self) -> np.ndarray:
        pop = self.members
        cells = np.char.mod("C%07d", pop.cell)
        return np.where(self.grassroots_cell[pop.grassroots], self.org_id(pop.grassroots), cells)


def _between(rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int) -> np.ndarray:
    """Integers uniformly in [low, high], bounds per row."""
    low_a, high_a = np.broadcast_to(low, n), np.broadcast_to(high, n)
    return (low_a + np.floor(rng.random(n) * (high_a - low_a + 1))).astype(np.int64)


def _pick(rng: np.random.Generator, choices: list[int], n: int) -> np.ndarray:
    return np.array(choices, np.int64)[rng.integers(0, len(choices), n)]


def _leader_fields(
    rng: np.random.Generator, n: int, title: np.ndarray, excellent: np.ndarray, is_head: np.ndarray | None
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], dict[str, list[str]]]:
    """Evidence of leaders (examples/district/generate.py's ``leader_evidence``), column-wise."""
    assigned = _between(rng, 6, 12, n)
    unit_assigned = _between(rng, 8, 16, n)
    led_total = _between(rng, 2, 6, n)
    half, most = np.ceil(unit_assigned * 0.5).astype(np.int64), np.ceil(unit_assigned * 0.8).astype(np.int64)
    exceeded = np.where(excellent, _between(rng, 2, assigned, n), _between(rng, 0, 2, n))
    unit_exceeded = np.where(excellent, _between(rng, half, unit_assigned, n), _between(rng, 1, half, n))
    htt_low = np.where(excellent, np.ceil(led_total * 0.7), np.ceil(led_total * 0.5)).astype(np.int64)
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "exempted": (np.zeros(n, bool), None),
        "suspended": (np.zeros(n, bool), None),
        "months_since_admission": (_between(rng, 120, 420, n), None),
        "is_civil_servant": (np.ones(n, bool), None),
        "civil_service_level": (np.where(excellent, 3, 2), None),
        "degradation_concluded": (np.zeros(n, bool), None),
        "targets_assigned": (assigned, None),
        "targets_met": (assigned, None),
        "targets_exceeded": (np.minimum(exceeded, assigned), None),
        "sick_leave_months": (np.zeros(n), None),
        **{g: (np.full(n, 2, np.int64), None) for g in GRADES},
        "task_results": (np.where(excellent, 3, 2), None),
        "exemplary_with_products": (excellent.copy(), None),
        "title_group": (title, None),
        "led_unit_corruption_disciplined": (np.zeros(n, bool), None),
        "unit_targets_assigned": (unit_assigned, None),
        "unit_targets_met": (unit_assigned, None),
        "unit_targets_exceeded": (unit_exceeded, None),
        "unit_targets_on_time": (_between(rng, most, unit_assigned, n), None),
        "led_units_total": (led_total, None),
        "led_units_ht_or_better": (led_total, None),
        "led_units_htt_or_better": (_between(rng, htt_low, led_total, n), None),
    }
    if is_head is not None:
        fields["is_head"] = (is_head, None)
        fields["led_unit_level"] = (_pick(rng, [3, 2, 2, 2], n), None)
    return fields, {"title_group": TITLES}


def _org_fields(
    rng: np.random.Generator, n: int, same_level: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Evidence of cells and committees (``org_evidence``), column-wise, with a few special cases: newly set up
    (not classified), disciplined as an organisation (some self-detected), a grading not yet recorded."""
    r = rng.random(n)
    quality = np.select([r < 0.3, r < 0.92], [2, 1], 0)  # 2 excellent, 1 good, 0 completed
    assigned = _between(rng, 6, 15, n)
    met = np.where(quality == 0, assigned - _between(rng, 1, 3, n), assigned)
    established = np.where(rng.random(n) < 0.003, _between(rng, 1, 5, n), _between(rng, 36, 600, n))
    disciplined = rng.random(n) < 0.002
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "established_months": (established, None),
        "outstanding_achievements": (quality == 2, None),
        "party_building_grade": (np.array([1, 2, 3])[quality], None),
        "political_tasks_grade": (np.array([2, 2, 3])[quality], None),
        "remedying_grade": (np.array([1, 2, 2])[quality], None),
        "org_targets_assigned": (assigned, None),
        "org_targets_met": (met, None),
        "org_disciplined": (disciplined, None),
        "self_detected_and_remedied": (disciplined & (rng.random(n) < 0.5), disciplined),
        "has_same_level_orgs": (same_level, None),
        "same_level_orgs_level": (np.where(same_level, _pick(rng, [3, 2, 2, 2, 2, 1], n), -1), None),
    }
    blank = rng.random(n) < 0.002
    grade = fields["political_tasks_grade"][0]
    fields["political_tasks_grade"] = (np.where(blank, -1, grade), None)
    return fields


def _collective_fields(
    rng: np.random.Generator, n: int, group: np.ndarray
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], dict[str, list[str]]]:
    """Evidence of leadership collectives (``collective_evidence``), column-wise."""
    excellent = rng.random(n) < 0.35
    assigned = _between(rng, 8, 15, n)
    with_level = rng.random(n) < 0.7
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "collective_group": (group, None),
        "established_months": (_between(rng, 24, 60, n), None),
        "united_innovative_with_products": (excellent, None),
        "party_building_grade": (np.where(excellent, 3, 2), None),
        "political_tasks_grade": (np.where(excellent, 3, 2), None),
        "remedying_grade": (np.full(n, 2, np.int64), None),
        "disunity_concluded": (np.zeros(n, bool), None),
        "org_targets_assigned": (assigned, None),
        "org_targets_met": (np.where(rng.random(n) < 0.8, assigned, assigned - 1), None),
        "main_targets_all_met": (np.ones(n, bool), None),
        "collective_disciplined": (np.zeros(n, bool), None),
        "head_disciplined_warning_or_higher": (np.zeros(n, bool), None),
        "head_degradation_concluded": (np.zeros(n, bool), None),
        "organization_level": (np.where(with_level, _pick(rng, [3, 2, 2], n), -1), None),
    }
    return fields, {"collective_group": COLLECTIVE_GROUPS}


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.mod(f"{prefix}%0{width}d", numbers)


def nation(n: int, seed: int = 2020, missing: float = 0.003) -> Nation:
    """The members of ``generate(n, seed, missing)`` and the organisations around them (a second fixed seed)."""
    pop = generate(n, seed, missing)
    rng = np.random.default_rng(seed + 1)
    orgs = len(pop.cells_of)
    gcell = rng.random(orgs) < GRASSROOTS_CELL_SHARE
    district = np.arange(orgs) // ORGS_PER_DISTRICT
    cell_org = np.repeat(np.arange(orgs), pop.cells_of)
    first_cell = np.concatenate([[0], np.cumsum(pop.cells_of)[:-1]])
    committees = np.flatnonzero(~gcell)
    cells_g = np.flatnonzero(gcell)
    blocks: list[Block] = []

    members = Block(KIND, _ids("DV", np.arange(n), 8), np.empty(0, object), pop.grassroots, None, {}, {})
    blocks.append(members)  # its evidence and units are written from the Population itself

    # Leaders: a chair and two deputies in each committee's first cell; two deputies in each grassroots cell.
    org_l = np.concatenate([np.repeat(committees, 3), np.repeat(cells_g, 2)])
    role = np.concatenate([np.tile([0, 1, 1], len(committees)), np.full(2 * len(cells_g), 2)])
    units_l = np.where(gcell[org_l], _ids("G", org_l, 6), _ids("C", first_cell[org_l], 7))
    excellent = rng.random(len(org_l)) < np.where(role == 0, 0.3, 0.25)
    fields, labels = _leader_fields(rng, len(org_l), role, excellent, role == 0)
    order = np.argsort(org_l, kind="stable")
    leaders = _sorted(Block("party_member_leader", np.empty(0), units_l, org_l, None, fields, labels), order)
    leaders.ids = _ids("LD", np.arange(len(org_l)), 7)
    blocks.append(leaders)

    # Leadership collectives: one per grassroots organisation, beside its leaders.
    all_orgs = np.arange(orgs)
    units_c = np.where(gcell, _ids("G", all_orgs, 6), _ids("C", first_cell, 7))
    fields, labels = _collective_fields(rng, orgs, gcell.astype(np.int64))
    blocks.append(Block("leadership_collective", _ids("TT", all_orgs, 6), units_c, all_orgs, None, fields, labels))

    # Cells: every cell of a committee (the first one is its "Cơ quan" cell), and every grassroots cell.
    real = np.flatnonzero(~gcell[cell_org])
    office = real == first_cell[cell_org[real]]
    cell_ids = np.concatenate([_ids("CB", real, 7), _ids("CBCS", cells_g, 6)])
    cell_units = np.concatenate([_ids("C", real, 7), _ids("G", cells_g, 6)])
    cell_orgs = np.concatenate([cell_org[real], cells_g])
    same_level = np.concatenate([~office, np.zeros(len(cells_g), bool)])
    order = np.argsort(cell_orgs, kind="stable")
    blocks.append(
        _sorted(
            Block("party_cell", cell_ids, cell_units, cell_orgs, None, _org_fields(rng, len(cell_ids), same_level), {}),
            order,
        )
    )

    # Grassroots committees, then the heads of every grassroots organisation.
    blocks.append(
        Block(
            "grassroots_committee",
            _ids("DB", committees, 6),
            _ids("G", committees, 6),
            committees,
            None,
            _org_fields(rng, len(committees), np.ones(len(committees), bool)),
            {},
        )
    )
    fields, labels = _leader_fields(rng, orgs, np.where(gcell, 4, 3), rng.random(orgs) < 0.6, None)
    blocks.append(Block("unit_head", _ids("ND", all_orgs, 6), _ids("G", all_orgs, 6), all_orgs, None, fields, labels))

    # Committees that decided the members' quota themselves: they keep half of their exemplary members.
    decisions: list[tuple[int, list[int]]] = []
    starts = np.searchsorted(pop.grassroots, np.arange(orgs + 1))
    for g in np.flatnonzero(~gcell & (rng.random(orgs) < DECISION_SHARE)).tolist():
        exemplary = np.flatnonzero(pop.exemplary[starts[g] : starts[g + 1]]) + starts[g]
        if len(exemplary) >= 2:
            kept = rng.choice(exemplary, len(exemplary) // 2, replace=False)
            decisions.append((g, sorted(kept.tolist())))
    return Nation(pop, orgs, gcell, district, cell_org, blocks, decisions)


def _sorted(block: Block, order: np.ndarray) -> Block:
    """The block's rows in ``order`` (by organisation); ids follow their rows when there are any."""
    fields = {f: (v[order], None if k is None else k[order]) for f, (v, k) in block.fields.items()}
    names = None if block.names is None else block.names[order]
    ids = block.ids[order] if len(block.ids) == len(order) else block.ids
    return Block(block.kind, ids, block.units[order], block.org[order], names, fields, block.labels)
