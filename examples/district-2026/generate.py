"""Generate the fictional district "Sông Xanh" for the 2026 review: NĐ335, NĐ90 as amended by NĐ48, and 366/HD43.

DỮ LIỆU HƯ CẤU — huyện "Sông Xanh", mọi đơn vị, họ tên, số liệu và quyết định trong thư mục này đều do chương trình
này sinh ngẫu nhiên (hạt giống cố định random.Random(2026), dựa trên ví dụ năm 2020 với hạt giống random.Random(2020));
không có người, đơn vị hay văn bản nào là thật.

FICTIONAL DATA — the district "Sông Xanh", every unit, name, figure and decision in this folder is made up by this
script (fixed seed random.Random(2026), built on the 2020 example and its seed random.Random(2020)); no person, unit
or document is real.

The 2020 district (examples/district/generate.py, imported by path) gives the units, the persons and their results:
the same ids and names six years on. Every result is then drawn anew for 2026, each under the version in force for
its kind on 31 December 2026:
  civil_servant, civil_servant_leader         civil-service/2026-01-01 (Nghị định 335/2025/NĐ-CP)
  public_employee(_manager), cadre            civil-service/2023-09-15 (Nghị định 90/2020, sửa đổi bởi 48/2023)
  party kinds                                 party/2025-08-30 (Quy định 366-QĐ/TW, Hướng dẫn 43-HD/BTCTW)

Writes, next to this script (or into --out DIR):
  units.csv            id,parent,kind,name,head (the party tree and the State tree)
  persons.csv          id,name
  subjects.csv         id,unit,kind,person,name, then one column per evidence field (field ids as headers)
  discipline.csv       one row per disciplinary decision, with the fields every version reads
  process/quarters.csv subject,quarter,level,note: the quarterly results of party members and leaders (366 Điều 15)

Standard library only; the output is byte-for-byte the same on every run (a test regenerates and compares).
Run:  python examples/district-2026/generate.py     then
      xeploai batch frameworks examples/district-2026 --period 2026 --process examples/district-2026/process
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

SEED = 2026
YEARS_SINCE_2020 = 6


def _district_2020() -> ModuleType:
    """examples/district/generate.py, imported by path (it is a script, not a package)."""
    path = Path(__file__).resolve().parent.parent / "district" / "generate.py"
    spec = importlib.util.spec_from_file_location("xeploai_example_district_2020", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


d20 = _district_2020()
nfc, yn, write_csv = d20.nfc, d20.yn, d20.write_csv

# --- columns ---------------------------------------------------------------------------------------------------------
PARTY_FIELDS = [  # party/2025-08-30: party_member, party_member_outside
    "exempted",
    "suspended",
    "committee_activities_suspended",
    "months_since_admission",
    "is_probationary",
    "role_group",
    "degradation_concluded",
    "forbidden_acts_violated",
    "exemplary_duty_violated",
    "self_detected_and_remedied",
    "tasks_assigned",
    "tasks_completed",
    "tasks_on_time",
    "tasks_exceeded",
    "general_criteria_score",
    "task_results_score",
    "shortcomings_identified",
    "shortcomings_remedied",
    "sick_leave_months",
    "maternity_leave_months",
]
LEADER_FIELDS = [  # party_member_leader, unit_head
    "is_head",
    "led_unit_level",
    "unit_tasks_assigned",
    "unit_tasks_completed",
    "unit_tasks_on_time",
    "unit_tasks_exceeded",
    "basic_targets_applicable",
    "basic_targets_all_met",
    "led_units_total",
    "led_units_kht",
    "confidence_vote_held",
    "low_confidence_share",
    "managed_corruption_disciplined",
]
STATE_FIELDS = [  # civil-service/2026-01-01 and civil-service/2023-09-15
    "task_group",
    "general_score",
    "task_score",
    "prohibitions_violated",
    "months_worked",
    "absence_months",
    "political_ideology",
    "ethics_lifestyle",
    "working_style",
    "discipline_awareness",
    "leadership_criterion",
    "targets_assigned",
    "targets_met",
    "targets_on_time",
    "targets_exceeded",
    "unit_targets_assigned",
    "unit_targets_met",
    "unit_targets_exceeded",
    "unit_targets_on_time",
    "led_units_ht_or_better",
    "led_units_htt_or_better",
    "led_unit_corruption_disciplined",
    "managed_not_completed",
    "organisation_score",
]
COLLECTIVE_FIELDS = [  # party_cell, grassroots_committee, leadership_collective
    "collective_group",
    "org_disciplined",
    "force_majeure",
    "cadre_violation_or_disunity_concluded",
    "head_degradation_concluded",
    "assessed_level",
]
SUBJECT_COLUMNS = list(
    dict.fromkeys(
        [
            "id",
            "unit",
            "kind",
            "person",
            "name",
            *PARTY_FIELDS,
            *LEADER_FIELDS,
            *STATE_FIELDS,
            *COLLECTIVE_FIELDS,
        ]
    )
)  # one column per field id: a field several kinds declare is one column
DISCIPLINE_COLUMNS = [
    "subject",
    "form",
    "decided_on",
    "duty_related",
]
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
LEVEL_CODES = {"xs": "HTXS", "t": "HTT", "ht": "HT", "kht": "KHT"}
GOOD, MET = d20.GOOD, d20.MET

NĐ335_KINDS = ("civil_servant", "civil_servant_leader")
STATE_KINDS = ("cadre", "civil_servant", "civil_servant_leader", "public_employee", "public_employee_manager")

# The named cases the README lists and the tests pin (person names are the 2020 district's)
PARTIAL_UNIT = "U-BP0101"  # Đảng bộ bộ phận khu dân cư xã Tân Lập, over two village cells
PARTIAL_CELLS = ("U-CB0102", "U-CB0103")
OVERFLOW_CELL = "U-CBCS01"  # Chi bộ Trường THPT Sông Xanh: more HTXS candidates than 20 % of its HTT members


@dataclass
class Result:
    """One result a person holds in 2026: a row of subjects.csv."""

    id: str
    unit: str
    kind: str
    evidence: dict[str, object] = field(default_factory=dict)


@dataclass
class Person2026:
    """A person of the 2020 district, six years on, with the results they hold in 2026."""

    id: str
    name: str
    female: bool
    profile: str  # xs, t, ht or kht: how well the year went, shared by the person's results
    results: list[Result] = field(default_factory=list)


def score_pair(profile: str, rng: random.Random) -> tuple[float, float]:
    """A (general /30, task /70) pair whose total lands in the band of ``profile`` (366 and NĐ335 share the bands)."""
    low, high = {"xs": (90, 98), "t": (72, 89), "ht": (52, 69), "kht": (38, 49)}[profile]
    total = rng.randint(low * 2, high * 2) / 2
    general = min(30.0, max(15.0, round(total * 0.3 * 2 + rng.choice([-1, 0, 1])) / 2))
    return general, total - general


def tasks(profile: str, rng: random.Random) -> dict[str, int]:
    """Tasks assigned, completed, on time and exceeded, consistent with ``profile`` under 366 Điều 11."""
    assigned = rng.randint(5, 12)
    done, on_time, exceeded = assigned, assigned, 0
    if profile == "xs":
        exceeded = rng.randint(math.ceil(assigned * 0.3), assigned)
    elif profile == "t":
        exceeded = rng.randint(0, 2)
    elif profile == "ht":
        on_time = assigned - 1  # one task late: at most 20 % late with five or more tasks
    return {"assigned": assigned, "completed": done, "on_time": on_time, "exceeded": min(exceeded, done)}


PRODUCTS = ["Báo cáo tổng hợp", "Hồ sơ thẩm định", "Văn bản tham mưu", "Hồ sơ một cửa", "Kế hoạch, đề án"]
WORK_COLUMNS = [
    "subject",
    "month",
    "product",
    "assigned",
    "completed",
    "completed_quality",
    "completed_on_time",
    "major_errors",
    "delays",
    "objective_cause",
    "cause_confirmed_by",
]


def work_table(subject: str, profile: str, rng: random.Random, months: range) -> list[dict[str, str]]:
    """Twelve months (or the months worked) of two products each, in converted units (NĐ335 Điều 14). How often a
    product falls short follows ``profile``: never for xs, now and then for t, often for ht, most months for kht."""
    shortfall = {"xs": 0.0, "t": 0.12, "ht": 0.45, "kht": 0.9}[profile]
    products = sorted(rng.sample(PRODUCTS, 2))
    rows = []
    for month in months:
        for product in products:
            assigned = rng.randint(4, 12)
            done = quality = on_time = assigned
            errors = delays = 0
            if rng.random() < shortfall:
                miss = rng.randint(1, max(1, assigned // (2 if profile == "kht" else 4)))
                done = assigned - miss if rng.random() < 0.5 else assigned
                quality = done - (1 if rng.random() < 0.5 else 0)
                on_time = done - rng.randint(0, miss)
                errors = 1 if quality < done else 0
                delays = 1 if on_time < done else 0
            rows.append(
                {
                    "subject": subject,
                    "month": str(month),
                    "product": product,
                    "assigned": str(assigned),
                    "completed": str(done),
                    "completed_quality": str(quality),
                    "completed_on_time": str(on_time),
                    "major_errors": str(errors),
                    "delays": str(delays),
                    "objective_cause": "false",
                    "cause_confirmed_by": "",
                }
            )
    return rows


def task_points(work: list[dict[str, str]]) -> float:
    """The task score civil-service/2026-01-01 computes from ``work`` (its default reading): per month
    70 × (quantity + quality + timeliness) ÷ 300, with 25 % of a product's quality (timeliness) points off per major
    error (delay); the year is the mean over the months with rows. Used only to choose a general-criteria score that
    puts the total in the profile's band; the engine computes the score itself."""
    months: dict[int, list[dict[str, str]]] = {}
    for row in work:
        months.setdefault(int(row["month"]), []).append(row)
    points = []
    for rows in months.values():
        assigned = sum(int(r["assigned"]) for r in rows)
        quantity = sum(int(r["completed"]) for r in rows) / assigned
        quality = sum(int(r["completed_quality"]) * max(0, 1 - 0.25 * int(r["major_errors"])) for r in rows) / assigned
        timely = sum(int(r["completed_on_time"]) * max(0, 1 - 0.25 * int(r["delays"])) for r in rows) / assigned
        points.append(70 * (quantity + quality + timely) / 3)
    return sum(points) / len(points)


def general_for(profile: str, task: float, rng: random.Random) -> float:
    """A general-criteria score (out of 30, in half points) that puts general + task in the band of ``profile``
    when it can."""
    low, high = {"xs": (90, 98), "t": (72, 89), "ht": (52, 69), "kht": (38, 49)}[profile]
    wanted = rng.randint(low, high) - task
    return min(30.0, max(10.0, math.ceil(wanted * 2) / 2))


class District2026:
    """The 2020 district's persons and units with their 2026 results."""

    def __init__(self) -> None:
        self.base = d20.Persons2020()
        self.base.build()
        self.rng = random.Random(SEED)
        # Draws added after the first release (leaders' NĐ335 components, the new collective kinds) come from their
        # own generator, so that every earlier draw — and every named case — stays as it was.
        self.extra = random.Random(SEED + 1)
        self.units = [dict(u) for u in self.base.units]
        self.unit_name = {u["id"]: u["name"] for u in self.units}
        self.persons: list[Person2026] = []
        self.collectives: list[Result] = []
        self.discipline: list[dict[str, str]] = []
        self.quarters: list[dict[str, str]] = []
        self.work: list[dict[str, str]] = []  # NĐ335 work tables: one row per product and month
        self.named: dict[str, str] = {}  # case → subject id, for the README and the tests

    # --- whole district -------------------------------------------------------------------------------------------
    def build(self) -> None:
        expelled = {d["subject"] for d in self.base.discipline if d["form"] == "Khai trừ"}
        rows_of: dict[str, list[dict[str, str]]] = {}
        for row in self.base.subjects:
            if row.get("person"):
                rows_of.setdefault(row["person"], []).append(row)
            else:
                self.collectives.append(self.collective(row))
        for base_person in self.base.persons:
            if base_person.member in expelled:
                continue  # expelled in December 2020: no longer a party member
            self.persons.append(self.person(base_person, rows_of[base_person.id]))
        self.special_cases()
        for person in self.persons:
            self.add_quarters(person)
        self.new_collectives()

    def grassroots_of(self, unit: str) -> str:
        """The grassroots organisation of a cell: its committee, or the grassroots cell itself."""
        return f"U-DB{unit[4:6]}" if unit.startswith("U-CB") and not unit.startswith("U-CBCS") else unit

    # --- persons ----------------------------------------------------------------------------------------------------
    def person(self, base: d20.Person, rows: list[dict[str, str]]) -> Person2026:
        rng = self.rng
        intended = self.base.intended.get(base.member, "good")
        odds = {"excellent": 0.45, "good": 0.13, "completed": 0.05, "not_completed": 0.05}.get(intended, 0.1)
        r = rng.random()
        profile = "xs" if r < odds else "t" if r < 0.96 else "ht" if r < 0.99 else "kht"
        person = Person2026(base.id, base.name, d20_is_female(base.name), profile)
        for row in rows:
            kind = row["kind"]
            if kind == "party_member":
                person.results.append(self.party_member(row, profile))
            elif kind in ("party_member_leader", "unit_head"):
                person.results.append(self.leader(row, profile))
            else:
                person.results.append(self.state(row, profile))
        return person

    def party_member(self, row: dict[str, str], profile: str) -> Result:
        """The party-member result at the cell (366 Điều 3 k4: classified on the tasks done at the cell)."""
        months = int(row["months_since_admission"]) + 12 * YEARS_SINCE_2020
        residential = d20_cell_sort(self.unit_name[row["unit"]]) == "residential"
        outside = residential and row["is_civil_servant"] != "true"
        ev: dict[str, object] = {
            "exempted": row["exempted"] == "true",
            "suspended": False,
            "months_since_admission": months,
            "is_probationary": False,
            "role_group": f"Đảng viên {self.unit_name[self.grassroots_of(row['unit'])]}",
            "degradation_concluded": False,
            "forbidden_acts_violated": False,
            "exemplary_duty_violated": False,
        }
        if row["exempted"] != "true":
            self.fill_scores(ev, profile)
            ev.update(sick_leave_months=0, maternity_leave_months=0)
        kind = "party_member_outside" if outside else "party_member"
        return Result(row["id"], row["unit"], kind, ev)

    def fill_scores(self, ev: dict[str, object], profile: str) -> None:
        general, task = score_pair(profile, self.rng)
        t = tasks(profile, self.rng)
        shortcomings = self.rng.choice([0, 0, 0, 1, 2])
        ev.update(
            tasks_assigned=t["assigned"],
            tasks_completed=t["completed"],
            tasks_on_time=t["on_time"],
            tasks_exceeded=t["exceeded"],
            general_criteria_score=general,
            task_results_score=task,
            shortcomings_identified=shortcomings,
            shortcomings_remedied=shortcomings if profile in ("xs", "t") else 0,
        )

    def leader(self, row: dict[str, str], profile: str) -> Result:
        """The result by title (366 Phụ lục 2–3): the leader's own scores and the unit led."""
        rng = self.rng
        ev: dict[str, object] = {
            "exempted": False,
            "suspended": False,
            "months_since_admission": int(row["months_since_admission"]) + 12 * YEARS_SINCE_2020,
            "role_group": row["title_group"],
            "degradation_concluded": False,
            "forbidden_acts_violated": False,
            "exemplary_duty_violated": False,
            "sick_leave_months": 0,
            "maternity_leave_months": 0,
        }
        self.fill_scores(ev, profile)
        unit_tasks = rng.randint(8, 16)
        led_total = rng.randint(2, 6)
        ev.update(
            unit_tasks_assigned=unit_tasks,
            unit_tasks_completed=unit_tasks,
            unit_tasks_on_time=unit_tasks if profile in ("xs", "t") else unit_tasks - 1,
            unit_tasks_exceeded=math.ceil(unit_tasks * 0.3) if profile == "xs" else rng.randint(0, 2),
            basic_targets_applicable=False,
            led_units_total=led_total,
            led_units_kht=0,
            confidence_vote_held=False,
            managed_corruption_disciplined=False,
        )
        if row["kind"] == "unit_head":
            ev["is_head"] = True
        else:
            ev["is_head"] = row["is_head"] == "true"
            if ev["is_head"]:  # a commune chair: the People's Committee's own level, classified outside this framework
                ev["led_unit_level"] = rng.choice(["HTXS", "HTT", "HTT", "HTT"])
        return Result(row["id"], row["unit"], row["kind"], ev)

    def state(self, row: dict[str, str], profile: str) -> Result:
        """The State result: NĐ335 scores for civil servants, NĐ90+48 targets for public employees and cadres."""
        rng = self.rng
        kind = row["kind"]
        agency = self.unit_name[row["unit"]]
        ev: dict[str, object] = {"degradation_concluded": False}
        if kind in NĐ335_KINDS:
            work = work_table(row["id"], profile, rng, months=range(1, 13))
            self.work.extend(work)
            task = task_points(work)
            if kind == "civil_servant_leader":
                # the leader's two own components (civil-service/2026-01-01, values.task_score of the leader)
                managed_kht = 1 if profile == "kht" else 0
                organisation = {"xs": 100, "t": self.extra.randint(16, 20) * 5, "ht": self.extra.randint(12, 16) * 5}
                ev.update(managed_not_completed=managed_kht, organisation_score=organisation.get(profile, 50))
                task = (300 * task + 70 * (100 - 50 * managed_kht + organisation.get(profile, 50))) / 500
            general = general_for(profile, task, rng)
            ev.update(
                general_score=general,
                prohibitions_violated=False,
                exemplary_duty_violated=False,
                task_group=f"{agency} — {'lãnh đạo' if kind == 'civil_servant_leader' else 'chuyên viên'}",
            )
            if kind == "civil_servant_leader":
                ev["led_unit_corruption_disciplined"] = False
        else:
            level = LEVEL_CODES[profile]
            nd90 = d20.state_evidence(level, kind in d20.LEADER_STATE_KINDS, {}, rng)
            ev.update(nd90)
            ev["task_group"] = f"{agency} — {'quản lý' if kind != 'public_employee' else 'viên chức'}"
        return Result(row["id"], row["unit"], kind, ev)

    # --- collectives ------------------------------------------------------------------------------------------------
    def collective(self, row: dict[str, str]) -> Result:
        """A party cell, grassroots committee or leadership collective under 366 Điều 11."""
        rng = self.rng
        r = rng.random()
        profile = "xs" if r < 0.25 else "t" if r < 0.95 else "ht"
        general, task = score_pair(profile, rng)
        t = tasks(profile, rng)
        ev: dict[str, object] = {
            "collective_group": collective_group(row, self.unit_name[row["unit"]]),
            "general_criteria_score": general,
            "task_results_score": task,
            "tasks_assigned": t["assigned"],
            "tasks_completed": t["completed"],
            "tasks_on_time": t["on_time"],
            "tasks_exceeded": t["exceeded"],
            "shortcomings_identified": 0,
        }
        if row["kind"] in ("party_cell", "grassroots_committee"):  # the district committee reads both
            ev["org_disciplined"] = False
        if row["kind"] == "leadership_collective":
            ev.update(
                unit_tasks_assigned=t["assigned"],
                unit_tasks_completed=t["completed"],
                basic_targets_applicable=False,
                force_majeure=False,
                self_detected_and_remedied=False,
                cadre_violation_or_disunity_concluded=False,
                head_degradation_concluded=False,
            )
        return Result(row["id"], row["unit"], row["kind"], ev)

    def new_collectives(self) -> None:
        """The collective kinds 366/HD43 and NĐ335 added (drawn from ``self.extra``): a partial committee
        (đảng bộ bộ phận) over two village cells of Tân Lập, each commune's party committee as a collective and its
        People's Committee as a same-level organisation read by the party organisation, the district committee over
        the grassroots organisations, and the district's three offices as State administrative agencies."""
        rng = self.extra
        parent = {u["id"]: u for u in self.units}
        partial = {"id": PARTIAL_UNIT, "parent": "U-DB01", "kind": "partial_committee", "head": ""}
        partial["name"] = "Đảng bộ bộ phận khu dân cư xã Tân Lập"
        self.units.insert(self.units.index(parent["U-DB01"]) + 1, partial)
        for cell in PARTIAL_CELLS:
            parent[cell]["parent"] = PARTIAL_UNIT
        self.unit_name[PARTIAL_UNIT] = partial["name"]
        added = [self.new_collective(f"BP-{PARTIAL_UNIT[2:]}", PARTIAL_UNIT, "partial_committee", rng)]
        committees = [u for u in self.units if u["kind"] == "grassroots_committee"]
        for unit in committees:
            commune = unit["name"].removeprefix("Đảng bộ ")
            added.append(self.new_collective(f"CU-{unit['id'][2:]}", unit["id"], "party_committee", rng))
            added.append(self.new_collective(f"UB-{unit['id'][2:]}", unit["id"], "same_level_organisation", rng))
            added[-1].evidence["name"] = f"Ủy ban nhân dân {commune}"
        added.append(self.new_collective("HU-U-HU", "U-HU", "upper_committee", rng))
        for unit in (u for u in self.units if u["id"].startswith("U-PH")):
            level = rng.choice(["HTXS", "HTT", "HTT", "HTT", "HT"])
            added.append(Result(f"CQ-{unit['id'][2:]}", unit["id"], "administrative_agency", {"assessed_level": level}))
        self.collectives.extend(added)

    def new_collective(self, sid: str, unit: str, kind: str, rng: random.Random) -> Result:
        """A collective of the kinds 366/HD43 added, scored like a cell (Phụ lục 4–5: 30 + 70 points)."""
        r = rng.random()
        profile = "xs" if r < 0.25 else "t" if r < 0.95 else "ht"
        general, task = score_pair(profile, rng)
        t = tasks(profile, rng)
        group = {
            "partial_committee": "Đảng bộ bộ phận",
            "party_committee": "Ban chấp hành đảng bộ xã, thị trấn",
            "same_level_organisation": "Ủy ban nhân dân xã, thị trấn",
            "upper_committee": "Đảng bộ huyện",
        }[kind]
        ev: dict[str, object] = {
            "collective_group": group,
            "general_criteria_score": general,
            "task_results_score": task,
            "tasks_assigned": t["assigned"],
            "tasks_completed": t["completed"],
            "tasks_on_time": t["on_time"],
            "tasks_exceeded": t["exceeded"],
            "shortcomings_identified": 0,
        }
        if kind == "partial_committee":
            ev["org_disciplined"] = False
        return Result(sid, unit, kind, ev)

    # --- the cases the README names ---------------------------------------------------------------------------------
    def result(self, sid: str) -> Result:
        return next(r for p in self.persons for r in p.results if r.id == sid)

    def pick(self, test: Callable[[Person2026], bool], profile: str = "t") -> Person2026:
        """The first person (in id order) of the wanted profile that ``test`` accepts and no case has taken yet."""
        taken = set(self.named.values())
        for person in self.persons:
            if person.profile == profile and not any(r.id in taken for r in person.results) and test(person):
                return person
        raise AssertionError("no person for a named case")

    def special_cases(self) -> None:
        rng = self.rng
        # a cell whose HTXS candidates exceed 20 % of its HTT members (366 điểm 1.5 khoản 1 Điều 11)
        for person in self.persons:
            member = person.results[0]
            overflow = member.unit == OVERFLOW_CELL and member.kind == "party_member" and rng.random() < 0.4
            if overflow and person.profile == "t" and len(person.results) <= 2:
                person.profile = "xs"
                person.results = [
                    self.party_member_again(member, "xs"),
                    *[self.restate(r, "xs") for r in person.results[1:]],
                ]
        # maternity leave: a public employee (NĐ90+48, classified on the time worked) and her party-member result
        mother = self.pick(lambda p: p.female and kinds(p) == ["party_member", "public_employee"])
        state = mother.results[1]
        state.evidence.update(months_worked=6, maternity_leave_months=6)
        mother.results[0].evidence["maternity_leave_months"] = 6
        self.named["maternity_public_employee"] = state.id
        self.named["maternity_member"] = mother.results[0].id
        # a civil servant (NĐ335) on maternity leave from July: her year is the mean of the six months worked
        mother = self.pick(lambda p: p.female and kinds(p) == ["party_member", "civil_servant"])
        sid = mother.results[1].id
        self.work = [w for w in self.work if w["subject"] != sid]
        self.work += work_table(sid, mother.profile, rng, months=range(1, 7))
        mother.results[0].evidence["maternity_leave_months"] = 6
        self.named["maternity_civil_servant"] = sid
        # a civil servant (NĐ335) reprimanded for a duty-related violation: KHT on both sides
        culprit = self.pick(lambda p: kinds(p) == ["party_member", "civil_servant"])
        for result in culprit.results:
            self.discipline.append(decision(result.id, "Khiển trách", "2026-06-15", duty_related=True))
        self.named["duty_discipline_civil_servant"] = culprit.results[1].id
        self.named["duty_discipline_member"] = culprit.results[0].id
        # a member who detected her own violation and remedied it: KHT stands until the competent level decides
        honest = self.pick(lambda p: kinds(p) == ["party_member"] and p.results[0].evidence.get("exempted") is False)
        self.discipline.append(decision(honest.results[0].id, "Khiển trách", "2026-04-20", duty_related=True))
        honest.results[0].evidence["self_detected_and_remedied"] = True
        self.named["self_detected_member"] = honest.results[0].id
        # a public employee and a civil servant in the same cell: two State versions side by side
        teacher = self.pick(lambda p: p.female and kinds(p) == ["party_member", "public_employee"])
        officer = self.pick(
            lambda p: kinds(p) == ["party_member", "civil_servant"] and p.results[0].unit == teacher.results[0].unit
        )
        self.named["public_employee_beside"] = teacher.results[1].id
        self.named["civil_servant_beside"] = officer.results[1].id

    def party_member_again(self, member: Result, profile: str) -> Result:
        ev = dict(member.evidence)
        self.fill_scores(ev, profile)
        return Result(member.id, member.unit, member.kind, ev)

    def restate(self, result: Result, profile: str) -> Result:
        self.work = [w for w in self.work if w["subject"] != result.id]
        row = {"kind": result.kind, "unit": result.unit, "id": result.id}
        return self.state(row, profile)

    # --- quarters (366 Điều 15) -------------------------------------------------------------------------------------
    def add_quarters(self, person: Person2026) -> None:
        """Four quarterly results for each party result of a person who is classified: the year's level in most
        quarters, one quarter lower now and then; a maternity leave leaves its quarters unclassified."""
        rng = self.rng
        for result in person.results:
            if result.kind not in ("party_member", "party_member_outside", "party_member_leader"):
                continue
            if result.evidence.get("exempted") is True:
                continue
            year = LEVEL_CODES[person.profile]
            for n, quarter in enumerate(QUARTERS):
                level = year
                if year == "HTXS" and rng.random() < 0.3:
                    level = "HTT"
                elif year == "HTT" and rng.random() < 0.05:
                    level = "HT"
                note = ""
                if result.evidence.get("maternity_leave_months") and n in (1, 2):
                    level, note = "", "Nghỉ chế độ thai sản"
                self.quarters.append({"subject": result.id, "quarter": quarter, "level": level, "note": note})

    # --- output -----------------------------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, str]]:
        out = []
        for person in self.persons:
            for result in person.results:
                out.append(row_of(result, person))
        out.extend(row_of(c, None) for c in self.collectives)
        return out

    def write(self, out: Path) -> None:
        persons = [{"id": p.id, "name": p.name} for p in self.persons]
        tables = [
            (out / "units.csv", ["id", "parent", "kind", "name", "head"], self.units),
            (out / "persons.csv", ["id", "name"], persons),
            (out / "subjects.csv", SUBJECT_COLUMNS, self.rows()),
            (out / "discipline.csv", DISCIPLINE_COLUMNS, self.discipline),
            (out / "head_discipline.csv", DISCIPLINE_COLUMNS, []),  # no head of a leadership collective disciplined
            (out / "process" / "quarters.csv", ["subject", "quarter", "level", "note"], self.quarters),
            (out / "work.csv", WORK_COLUMNS, self.work),
        ]
        for path, columns, rows in tables:
            write_csv(path, columns, [[row.get(c, "") for c in columns] for row in rows])


def kinds(person: Person2026) -> list[str]:
    return [r.kind for r in person.results]


def decision(subject: str, form: str, day: str, duty_related: bool) -> dict[str, str]:
    return {
        "subject": subject,
        "form": form,
        "decided_on": day,
        "duty_related": yn(duty_related),
    }


def row_of(result: Result, person: Person2026 | None) -> dict[str, str]:
    row = {"id": result.id, "unit": result.unit, "kind": result.kind}
    row["person"] = person.id if person else ""
    row["name"] = person.name if person else str(result.evidence.get("name", ""))
    for key, value in result.evidence.items():
        if key == "name":
            continue
        row[key] = yn(value) if isinstance(value, bool) else str(value)
    return row


def collective_group(row: dict[str, str], unit_name: str) -> str:
    if row["kind"] == "grassroots_committee":
        return "Đảng bộ xã, thị trấn"
    if row["kind"] == "leadership_collective":
        return "Tập thể lãnh đạo, quản lý"
    sort = d20_cell_sort(unit_name)
    return {
        "residential": "Chi bộ thôn, khu phố",
        "agency": "Chi bộ cơ quan xã, thị trấn",
        "school": "Chi bộ trường học",
        "grassroots": "Chi bộ cơ sở cơ quan, đơn vị cấp huyện",
    }[sort]


def d20_cell_sort(name: str) -> str:
    if name.startswith("Chi bộ Cơ quan"):
        return "agency"
    if name.startswith("Chi bộ Trường Tiểu học"):
        return "school"
    if name.startswith(("Chi bộ Thôn", "Chi bộ Khu phố")):
        return "residential"
    return "grassroots"


def d20_is_female(name: str) -> bool:
    middle, given = name.split()[1], name.split()[-1]
    if (middle in d20.MIDDLE_FEMALE) != (middle in d20.MIDDLE_MALE):
        return middle in d20.MIDDLE_FEMALE
    return given in d20.GIVEN_FEMALE and given not in d20.GIVEN_MALE


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate the fictional district 'Sông Xanh' for 2026 (seed 2026).")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args()
    district = District2026()
    district.build()
    district.write(args.out)
    counts: dict[str, int] = {}
    for row in district.rows():
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    print(
        f"{len(district.units)} units, {len(district.persons)} persons, {sum(counts.values())} results "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; {len(district.discipline)} disciplinary decisions, {len(district.quarters)} quarterly results"
    )
    for case, sid in sorted(district.named.items()):
        print(f"  {case}: {sid}")


if __name__ == "__main__":
    main()
