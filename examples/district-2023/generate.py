"""Generate the fictional district "Sông Xanh" reviewed for 2023 under 124/HD25 (frameworks/party/2023-10-04.yaml).

DỮ LIỆU HƯ CẤU — huyện "Sông Xanh" năm 2023: cùng các đơn vị, cùng những con người của ví dụ năm 2020
(examples/district), với căn cứ đánh giá năm 2023 do chương trình này sinh ngẫu nhiên (hạt giống cố định
random.Random(2023)); không có người, đơn vị hay văn bản nào là thật.

FICTIONAL DATA — the district "Sông Xanh" in 2023: the units and people of the 2020 example (examples/district),
with 2023 evidence made up by this script (fixed seed random.Random(2023)); no person, unit or document is real.

The 2020 population is rebuilt by importing examples/district/generate.py (its seed 2020): the same ids, names,
units, titles and admission dates carry over, three years older. Members who left (expelled in 2020, died, moved
away) are dropped, new members admitted in 2021–2023 are added, and a residential cell of the town is split.

Writes, next to this script (or into --out DIR):
  units.csv       id,parent,kind,name,head
  subjects.csv    id,unit,kind,name, then one column per evidence field of party/2023-10-04 (field ids as headers)
  discipline.csv  subject,form,decided_on,counted_before,self_detected_remedied,violation_in_earlier_year,
                  violation_at_previous_unit
  decisions.csv   quota,group,approved,reference
  replay/         the same population in a form that both party/2019-10-18 (HD21) and party/2023-10-04 read
                  without rejecting a subject row, for `xeploai diff … --replay` (see README.md, "replay/")

Standard library only; the output is byte-for-byte the same on every run (a test regenerates and compares).
Run:  python examples/district-2023/generate.py            then
      xeploai batch frameworks/party/2023-10-04.yaml examples/district-2023 --period 2023 --out results/
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

SEED = 2023
PERIOD_YEAR = 2023
YEARS_LATER = PERIOD_YEAR - 2020


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
XS, T, TB, K = d20.XS, d20.T, d20.TB, d20.K
nfc, yn = d20.nfc, d20.yn

# --- evidence columns: every field of the kinds of party/2023-10-04 (`discipline` is a records field) -------------
MEMBER_FIELDS = [
    "exempted",
    "suspended",
    "committee_activities_suspended",
    "months_since_admission",
    "is_probationary",
    "is_civil_servant",
    "civil_service_level",
    "degradation_concluded",
    "forbidden_acts_violated",
    "exemplary_duty_violated",
    "targets_assigned",
    "targets_met",
    "targets_on_time",
    "targets_exceeded",
    "sick_leave_months",
    "maternity_leave_months",
    "political_ideology",
    "ethics_lifestyle",
    "discipline_awareness",
    "working_style",
    "commitment_fulfilment",
    "task_results",
    "prestige_exemplary",
    "remedying_shortcomings",
    "exemplary_with_products",
]
LEADER_FIELDS = list(d20.LEADER_FIELDS)  # unchanged from HD21; corruption_self_detected_remedied is also a committee's
ORG_FIELDS = [
    "collective_group",
    "established_months",
    "outstanding_achievements",
    "party_building_grade",
    "political_tasks_grade",
    "remedying_grade",
    "org_targets_assigned",
    "org_targets_met",
    "main_targets_all_met",
    "force_majeure",
    "org_disciplined",
    "self_detected_and_remedied",
    "subordinate_corruption_disciplined",
    "has_same_level_orgs",
    "same_level_orgs_level",
]
COLLECTIVE_FIELDS = [
    "disunity_concluded",
    "collective_disciplined",
    "collective_self_detected_remedied",
    "head_disciplined_in_year",
    "head_self_remedied",
    "head_degradation_concluded",
    "organization_level",
]
# Fields HD21 reads and 124 does not (leadership collectives): written only to replay/.
HD21_ONLY_FIELDS = ["united_innovative_with_products", "head_disciplined_warning_or_higher"]
SUBJECT_COLUMNS = ["id", "unit", "kind", "name", *MEMBER_FIELDS, *LEADER_FIELDS, *ORG_FIELDS, *COLLECTIVE_FIELDS]
DISCIPLINE_COLUMNS = [
    "subject",
    "form",
    "decided_on",
    "counted_before",
    "self_detected_remedied",
    "violation_in_earlier_year",
    "violation_at_previous_unit",
]
GRADED = (  # the member criteria graded by the cell besides task results (124 Điều 10 khoản 2)
    "political_ideology",
    "ethics_lifestyle",
    "discipline_awareness",
    "working_style",
    "commitment_fulfilment",
    "prestige_exemplary",
    "remedying_shortcomings",
)

# Groups with similar roles, functions and tasks (124 khoản 1 Điều 12) for the collectives' quotas
RESIDENTIAL, COMMUNE_OFFICE, SCHOOL, AGENCY = (
    "Chi bộ thôn, khu phố",
    "Chi bộ cơ quan xã, thị trấn",
    "Chi bộ trường học",
    "Chi bộ cơ quan, đơn vị sự nghiệp cấp huyện",
)
COMMITTEES = "Đảng bộ xã, thị trấn"
CIVIL_SHARE = {RESIDENTIAL: 0.12, COMMUNE_OFFICE: 0.9, SCHOOL: 1.0, AGENCY: 0.97}

# How likely each 2023 profile is, given the level the member was meant to have in 2020: people stay much alike.
PROFILE_ODDS = {  # (xs, t, ht) — the rest is kht
    "excellent": (0.45, 0.53, 0.02),
    "good": (0.1, 0.856, 0.042),
    "completed": (0.02, 0.65, 0.32),
    "not_completed": (0.0, 0.55, 0.4),
}
NEW_CELL_PARENT = "DB15"  # the town's committee: its largest residential cell is split in August 2023
DECISION_COMMITTEE = "DB04"  # Hòa Bình: its standing committee decides its members' overflow itself
MANY_DISCIPLINED = "DB02"  # Phú Mỹ: one of its 4 cells disciplined is 25 %, "more than 20 %" (KHT under 124)


def is_female(name: str) -> bool:
    """Whether a name of the 2020 generator was drawn as a woman's (its middle or given name says so)."""
    middle, given = name.split()[1], name.split()[-1]
    if (middle in d20.MIDDLE_FEMALE) != (middle in d20.MIDDLE_MALE):
        return middle in d20.MIDDLE_FEMALE
    return given in d20.GIVEN_FEMALE and given not in d20.GIVEN_MALE


class District2023(d20.District):
    """The 2020 district three years on; reuses the 2020 generator's names, units and helpers."""

    def __init__(self) -> None:
        super().__init__()
        self.base = d20.District()
        self.base.build()
        self.rng = random.Random(SEED)
        self.used_names = set(self.base.used_names)
        self.member_no = self.base.member_no
        self.group: dict[str, str] = {}  # unit id → the group of its cell (RESIDENTIAL, SCHOOL, …)

    # --- rows ------------------------------------------------------------------------------------------------------
    def subject(self, sid: str, unit: str, kind: str, name: str, evidence: dict[str, object]) -> None:
        row = {c: "" for c in SUBJECT_COLUMNS}
        row.update(id=sid, unit=unit, kind=kind, name=name)
        for key, value in evidence.items():
            assert key in row, key
            row[key] = yn(value) if isinstance(value, bool) else str(value)
        self.subjects.append(row)

    def row(self, sid: str) -> dict[str, str]:
        return next(r for r in self.subjects if r["id"] == sid)

    # --- a member's evidence ---------------------------------------------------------------------------------------
    def profile_for(self, level_2020: str | None) -> str:
        xs, t, ht = PROFILE_ODDS.get(level_2020 or "good", PROFILE_ODDS["good"])
        r = self.rng.random()
        return "xs" if r < xs else "t" if r < xs + t else "ht" if r < xs + t + ht else "kht"

    def member_evidence(self, civil: bool, female: bool, months: int, profile: str) -> tuple[dict[str, object], str]:
        """Evidence of one ordinary member for 2023, and the level 124/HD25 gives it (before quotas)."""
        rng = self.rng
        ev: dict[str, object] = {
            "exempted": False,
            "suspended": False,
            "months_since_admission": months,
            "is_civil_servant": civil,
            "degradation_concluded": False,
            "forbidden_acts_violated": False,
            "exemplary_duty_violated": False,
        }
        assigned = rng.randint(5, 12)
        met = on_time = assigned
        exceeded = 0
        grades = {k: T for k in GRADED}
        exemplary = False
        level = {"xs": "excellent", "t": "good", "ht": "completed", "kht": "not_completed"}[profile]
        if profile == "xs":
            task, exemplary = XS, True
            for k in grades:
                if rng.random() < 0.35:
                    grades[k] = XS
            half = math.ceil(assigned / 2)
            if rng.random() < 0.8:
                exceeded = rng.randint(half, assigned)
            else:  # outstanding, but fewer than half of the targets exceeded: HTXS under HD21, not under 124
                exceeded = rng.randint(1, half - 1)
                level = "good"
            cs = "HTXS" if rng.random() < 0.9 else "HTT"
            if civil and cs == "HTT":
                level = "good"
        elif profile == "t":
            task = T
            exceeded = rng.choice([0, 0, 0, 1, 1, 2])
            for k in grades:
                if rng.random() < 0.035:
                    grades[k] = TB
            if rng.random() < 0.06:  # one target late: HTT under HD21, HT under 124's (assumed) 100 % on time
                on_time = assigned - 1
                level = "completed"
            cs = rng.choice(["HTT"] * 9 + ["HTXS"])
        elif profile == "ht":
            task = TB
            for k in grades:
                if rng.random() < 0.2:
                    grades[k] = TB
            if rng.random() < 0.08:  # more than 20 % late: HT under HD21, KHT under 124's (assumed) HT rule
                on_time = assigned - max(2, math.floor(assigned * 0.2) + 1)
                met = on_time + rng.randint(0, 1)
                level = "not_completed"
            else:
                on_time = rng.randint(assigned - math.floor(assigned * 0.2), assigned)
                met = rng.randint(on_time, assigned)
            cs = rng.choice(["HT", "HT", "HTT"])
        else:  # KHT by the cell's gradings or by targets
            cs = "KHT" if rng.random() < 0.3 else "HT"
            if rng.random() < 0.5:
                task = K
                met = max(1, assigned // 2)
            else:
                task = TB
                met = assigned // 2 - 1 if assigned // 2 > 1 else 0
            on_time = max(0, met - rng.randint(0, 1))
            grades["working_style"] = rng.choice([TB, K])
        ev.update(targets_assigned=assigned, targets_met=met, targets_on_time=on_time)
        ev["targets_exceeded"] = min(exceeded, met)
        if civil:
            ev["civil_service_level"] = cs
        ev.update(grades)
        ev.update(task_results=task, exemplary_with_products=exemplary)
        return ev, self.time_off(ev, level, female, months)

    def carry_member(self, old: dict[str, str], unit: str) -> None:
        """A 2020 member three years on."""
        rng = self.rng
        months = int(old["months_since_admission"]) + 12 * YEARS_LATER
        level_2020 = self.base.intended.get(old["id"])
        if old["exempted"] == "true" or (months > 480 and rng.random() < 0.04):  # elderly members exempted
            ev: dict[str, object] = {
                "exempted": True,
                "suspended": False,
                "months_since_admission": months,
                "is_civil_servant": False,
                "degradation_concluded": False,
                "forbidden_acts_violated": False,
                "exemplary_duty_violated": False,
            }
            self.subject(old["id"], unit, "party_member", old["name"], ev)
            self.intended[old["id"]] = "not_classified"
            return
        female = is_female(old["name"])
        civil = old["is_civil_servant"] == "true"
        ev, level = self.member_evidence(civil, female, months, self.profile_for(level_2020))
        self.subject(old["id"], unit, "party_member", old["name"], ev)
        self.intended[old["id"]] = level

    def new_member(self, unit: str) -> None:
        """A member admitted in 2021–2023."""
        rng = self.rng
        sid = self.next_member_id()
        name, female = self.name()
        r = rng.random()
        months = rng.randint(1, 5) if r < 0.2 else rng.randint(6, 11) if r < 0.45 else rng.randint(12, 35)
        civil = rng.random() < CIVIL_SHARE[self.group[unit]]
        ev, level = self.member_evidence(civil, female, months, self.profile_for("good"))
        if months < 12:
            ev["is_probationary"] = True
        if months < 6:
            level = "not_classified"
        self.subject(sid, unit, "party_member", name, ev)
        self.intended[sid] = level

    # --- leaders ---------------------------------------------------------------------------------------------------
    def leader_evidence(self, title_group: str, is_head: bool | None, excellent: bool) -> tuple[dict[str, object], str]:
        rng = self.rng
        ev: dict[str, object] = {
            "exempted": False,
            "suspended": False,
            "is_civil_servant": True,
            "degradation_concluded": False,
            "forbidden_acts_violated": False,
            "exemplary_duty_violated": False,
            "sick_leave_months": 0,
            "title_group": title_group,
            "led_unit_corruption_disciplined": False,
        }
        assigned = rng.randint(6, 12)
        ev.update(targets_assigned=assigned, targets_met=assigned, targets_on_time=assigned)
        ev.update({k: T for k in GRADED})
        unit_assigned = rng.randint(8, 16)
        led_total = rng.randint(2, 6)
        if excellent:
            for k in GRADED:
                if rng.random() < 0.4:
                    ev[k] = XS
            ev.update(
                task_results=XS,
                exemplary_with_products=True,
                civil_service_level="HTXS",
                targets_exceeded=rng.randint(math.ceil(assigned / 2), assigned),
            )
            exceeded = rng.randint(math.ceil(unit_assigned * 0.5), unit_assigned)
            htt = rng.randint(math.ceil(led_total * 0.7), led_total)
            level = "excellent"
        else:
            ev.update(
                task_results=T,
                exemplary_with_products=False,
                civil_service_level="HTT",
                targets_exceeded=rng.randint(0, 2),
            )
            exceeded = rng.randint(1, math.ceil(unit_assigned * 0.5))
            htt = rng.randint(math.ceil(led_total * 0.5), led_total)
            level = "good"
        ev.update(
            unit_targets_assigned=unit_assigned,
            unit_targets_met=unit_assigned,
            unit_targets_exceeded=exceeded,
            unit_targets_on_time=rng.randint(math.ceil(unit_assigned * 0.8), unit_assigned),
            led_units_total=led_total,
            led_units_ht_or_better=led_total,
            led_units_htt_or_better=htt,
        )
        if is_head is not None:
            unit_level = rng.choice(["HTXS", "HTT", "HTT", "HTT"])
            ev.update(is_head=is_head, led_unit_level=unit_level)
            if is_head and excellent and unit_level == "HTT":
                level = "good"
        return ev, level

    def carry_leader(self, old: dict[str, str], unit: str) -> None:
        is_head = {"true": True, "false": False}.get(old["is_head"])
        odds = 0.4 if self.base.intended.get(old["id"], "excellent") == "excellent" else 0.12
        ev, level = self.leader_evidence(old["title_group"], is_head, self.rng.random() < odds)
        ev["months_since_admission"] = int(old["months_since_admission"]) + 12 * YEARS_LATER
        self.subject(old["id"], unit, old["kind"], old["name"], ev)
        if old["kind"] == "party_member_leader":
            self.intended[old["id"]] = level

    # --- organisations ---------------------------------------------------------------------------------------------
    def org_evidence(self, group: str, same_level: bool, months: int) -> dict[str, object]:
        rng = self.rng
        r = rng.random()
        quality = "xs" if r < 0.22 else "t" if r < 0.9 else "ht"
        if quality == "xs":  # 124 asks only the task-results criterion to be Xuất sắc; HD21 also party building
            grades = (XS if rng.random() < 0.6 else T, XS, T)
        elif quality == "t":
            grades = (T, T, T)
        else:  # a weak year: HT under HD21; 124 still gives HTT when the task-results criterion is Tốt
            grades = (TB, T, TB) if rng.random() < 0.5 else (T, TB, T)
        assigned = rng.randint(6, 15)
        met = assigned if quality != "ht" else assigned - rng.randint(1, 3)
        ev: dict[str, object] = {
            "collective_group": group,
            "established_months": months,
            "outstanding_achievements": quality == "xs",
            "party_building_grade": grades[0],
            "political_tasks_grade": grades[1],
            "remedying_grade": grades[2],
            "org_targets_assigned": assigned,
            "org_targets_met": met,
            "main_targets_all_met": quality != "ht" or rng.random() < 0.5,
            "force_majeure": False,
            "org_disciplined": False,
            "has_same_level_orgs": same_level,
        }
        if same_level:
            ev["same_level_orgs_level"] = rng.choice(["HTXS", "HTT", "HTT", "HTT", "HTT", "HT"])
        return ev

    def collective_evidence(self, group: str, months: int) -> dict[str, object]:
        rng = self.rng
        excellent = rng.random() < 0.3
        assigned = rng.randint(8, 15)
        met = assigned if rng.random() < 0.8 else assigned - 1
        ev: dict[str, object] = {
            "collective_group": group,
            "established_months": months,
            "outstanding_achievements": excellent,
            "party_building_grade": XS if excellent else T,
            "political_tasks_grade": XS if excellent else T,
            "remedying_grade": T,
            "disunity_concluded": False,
            "org_targets_assigned": assigned,
            "org_targets_met": met,
            "main_targets_all_met": True,  # one target short is not a main target missed
            "force_majeure": False,
            "collective_disciplined": False,
            "collective_self_detected_remedied": False,
            "head_disciplined_in_year": False,
            "head_self_remedied": False,
            "head_degradation_concluded": False,
        }
        if rng.random() < 0.7:
            ev["organization_level"] = rng.choice(["HTXS", "HTT", "HTT"])
        return ev

    # --- the district ----------------------------------------------------------------------------------------------
    def build(self) -> None:
        rng = self.rng
        base = self.base
        self.units = [dict(u) for u in base.units]
        for u in self.units:
            if u["kind"] in ("cell", "grassroots_cell"):
                self.group[u["id"]] = self.cell_group(u["name"])
        # people who left since 2020: the member expelled in December 2020, deaths among the elderly, moves away
        expelled = {d["subject"] for d in base.discipline if d["form"] == "Khai trừ"}
        left: set[str] = set(expelled)
        for r in base.subjects:
            if r["kind"] == "party_member" and r["id"] not in expelled:
                months = int(r["months_since_admission"])
                if rng.random() < (0.05 if months > 400 else 0.012):
                    left.add(r["id"])
        # the split: the town's largest residential cell gives about 40 % of its members to a new cell
        town_cells = [u for u in self.units if u["parent"] == f"U-{NEW_CELL_PARENT}" and "Khu phố" in u["name"]]
        size = {
            u["id"]: sum(1 for r in base.subjects if r["unit"] == u["id"] and r["id"] not in left) for u in town_cells
        }
        origin = max(town_cells, key=lambda u: (size[u["id"]], u["id"]))
        new_no = len([u for u in self.units if u["parent"] == f"U-{NEW_CELL_PARENT}"]) + 1
        new_cell = f"CB{NEW_CELL_PARENT[2:]}{new_no:02d}"
        new_name = f"Chi bộ Khu phố {len(town_cells) + 1}"
        at = max(i for i, u in enumerate(self.units) if u["parent"] == f"U-{NEW_CELL_PARENT}")
        self.units.insert(
            at + 1,
            {"id": f"U-{new_cell}", "parent": f"U-{NEW_CELL_PARENT}", "kind": "cell", "name": new_name, "head": ""},
        )
        self.group[f"U-{new_cell}"] = RESIDENTIAL
        movers = [r["id"] for r in base.subjects if r["unit"] == origin["id"] and r["kind"] == "party_member"]
        movers = sorted(rng.sample([m for m in movers if m not in left], round(size[origin["id"]] * 0.4)))

        last_member = {}
        for i, r in enumerate(base.subjects):
            if r["kind"] == "party_member":
                last_member[r["unit"]] = i
        for i, old in enumerate(base.subjects):
            kind, unit = old["kind"], old["unit"]
            if old["id"] in left or old["id"] in movers:
                pass
            elif kind == "party_member":
                self.carry_member(old, unit)
            elif kind in ("party_member_leader", "unit_head"):
                self.carry_leader(old, unit)
            elif kind == "party_cell":
                months = int(old["established_months"]) + 12 * YEARS_LATER
                self.subject(
                    old["id"],
                    unit,
                    kind,
                    old["name"],
                    self.org_evidence(self.group[unit], old["has_same_level_orgs"] == "true", months),
                )
            elif kind == "grassroots_committee":
                months = int(old["established_months"]) + 12 * YEARS_LATER
                ev = self.org_evidence(COMMITTEES, True, months)
                ev.update(subordinate_corruption_disciplined=False, corruption_self_detected_remedied=False)
                self.subject(old["id"], unit, kind, old["name"], ev)
            elif kind == "leadership_collective":
                months = int(old["established_months"]) + 12 * YEARS_LATER
                self.subject(
                    old["id"], unit, kind, old["name"], self.collective_evidence(old["collective_group"], months)
                )
            else:
                raise AssertionError(kind)
            if last_member.get(unit) == i:
                for _ in range(rng.randint(0, 3) if self.group[unit] == RESIDENTIAL else rng.randint(0, 2)):
                    self.new_member(unit)
            if kind == "party_cell" and unit == origin["id"]:
                # the new cell, set up in August 2023 (4 months: not classified), right after the one it came from
                for old_id in movers:
                    self.carry_member(next(r for r in base.subjects if r["id"] == old_id), f"U-{new_cell}")
                self.subject(new_cell, f"U-{new_cell}", "party_cell", new_name, self.org_evidence(RESIDENTIAL, True, 4))
        self.special_cases()
        self.committee_decisions()

    @staticmethod
    def cell_group(name: str) -> str:
        if "Thôn" in name or "Khu phố" in name:
            return RESIDENTIAL
        if "Cơ quan" in name:
            return COMMUNE_OFFICE
        if "Trường" in name:
            return SCHOOL
        return AGENCY

    # --- special cases ---------------------------------------------------------------------------------------------
    def discipline_row(
        self,
        row: dict[str, str],
        form: str,
        day: str,
        counted_before: bool = False,
        self_remedied: bool = False,
        earlier_year: bool = False,
        previous_unit: bool = False,
    ) -> None:
        self.discipline.append(
            {
                "subject": row["id"],
                "form": form,
                "decided_on": day,
                "counted_before": yn(counted_before),
                "self_detected_remedied": yn(self_remedied),
                "violation_in_earlier_year": yn(earlier_year),
                "violation_at_previous_unit": yn(previous_unit),
            }
        )
        if day.startswith(str(PERIOD_YEAR)) and not (counted_before or self_remedied or earlier_year):
            self.intended[row["id"]] = "not_completed"
            row["discipline_awareness"] = TB

    def special_cases(self) -> None:
        member = "party_member"
        # discipline of members: every form, in 2023 and 2022, and the three exceptions 124 adds (self-detected and
        # remedied; a violation of an earlier year disciplined now; a violation at the previous unit)
        for form, day, extra in [
            ("Khiển trách", "2023-03-14", {}),
            ("Khiển trách", "2023-08-21", {}),
            ("Cảnh cáo", "2023-06-09", {}),
            ("Khiển trách", "2023-05-17", {"self_remedied": True}),
            ("Khiển trách", "2023-10-30", {"self_remedied": True}),
            ("Cảnh cáo", "2023-04-12", {"earlier_year": True}),
            ("Khiển trách", "2023-09-26", {"previous_unit": True}),
            ("Khiển trách", "2022-11-18", {}),
            ("Cảnh cáo", "2022-06-03", {}),
            ("Khiển trách", "2023-01-10", {"counted_before": True}),
            ("Khai trừ", "2023-12-19", {}),
        ]:
            self.discipline_row(self.pick(member), form, day, **extra)
        # leaders: a commune vice-chair reprimanded (124: the UBND collective is KHT; HD21: only from a warning),
        # a deputy director warned (KHT collective under both), a deputy reprimanded who had found and remedied
        # the violation himself, and a deputy reprimanded for a violation at his previous unit
        self.discipline_row(self.pick("party_member_leader", "U-CB0601", level=None), "Khiển trách", "2023-07-25")
        self.discipline_row(self.pick("party_member_leader", "U-CBCS04", level=None), "Cảnh cáo", "2023-09-14")
        self.discipline_row(
            self.pick("party_member_leader", "U-CBCS06", level=None), "Khiển trách", "2023-06-28", self_remedied=True
        )
        self.discipline_row(
            self.pick("party_member_leader", "U-CB1201", level=None), "Khiển trách", "2023-11-08", previous_unit=True
        )
        # that deputy's collective had an outstanding year: 124 rules out HTXS for it ("no member disciplined")
        self.row("TT-CBCS06").update(
            outstanding_achievements="true",
            party_building_grade=XS,
            political_tasks_grade=XS,
            organization_level="HTXS",
        )
        # a head reprimanded: the collective reads it from head_disciplined_in_year (the head is evaluated after it)
        head = self.row("ND-CBCS07")
        self.discipline_row(head, "Khiển trách", "2023-10-05")
        collective = self.row("TT-CBCS07")
        collective["head_disciplined_in_year"] = "true"
        # a leader whose subordinate unit had a corruption case that the leader uncovered and remedied
        remedied = self.pick("party_member_leader", "U-CB0901", level=None)
        remedied["led_unit_corruption_disciplined"] = "true"
        remedied["corruption_self_detected_remedied"] = "true"
        # the new triggers of 124 điểm 4.3: the things members must not do, and the duty to set an example
        for field in ("forbidden_acts_violated", "forbidden_acts_violated", "exemplary_duty_violated"):
            row = self.pick(member)
            row[field] = "true"
            self.intended[row["id"]] = "not_completed"
        row = self.pick(member)
        row["degradation_concluded"] = "true"
        self.intended[row["id"]] = "not_completed"
        # the two new criteria graded Kém (KHT under 124; HD21 does not read them)
        for field in ("commitment_fulfilment", "prestige_exemplary"):
            row = self.pick(member)
            row[field] = K
            self.intended[row["id"]] = "not_completed"
        # suspended members (not classified) and a committee member suspended only from committee activities
        for _ in range(2):
            row = self.pick(member, level=None)
            row["suspended"] = "true"
            self.intended[row["id"]] = "not_classified"
        self.pick(member, level=None)["committee_activities_suspended"] = "true"
        # blanks: cells that have not recorded a grading or the targets on time (about 0.3 % of the rows)
        for field in (
            "targets_on_time",
            "targets_on_time",
            "commitment_fulfilment",
            "prestige_exemplary",
            "task_results",
            "task_results",
            "working_style",
            "commitment_fulfilment",
            "targets_on_time",
        ):
            row = self.pick(member, "U-CB10", level=None)
            row[field] = ""
            self.intended[row["id"]] = "insufficient"
        # organisations: a village cell disciplined (its committee has 4 cells: 25 % > 20 %, KHT under 124), a cell
        # disciplined that had found and remedied the violation itself (no exception for a cell under 124), a
        # committee with a subordinate unit's corruption case disciplined, and a cell hit by force majeure
        cells = [c for c in self.units if c["parent"] == f"U-{MANY_DISCIPLINED}"]
        assert len(cells) == 4, cells
        self.row(cells[-1]["id"][2:])["org_disciplined"] = "true"
        self.row("CB0602")["org_disciplined"] = "true"  # 1 of the 5 cells of Thành Công: 20 %, not more
        self.row("CB0602")["self_detected_and_remedied"] = "true"
        self.row("DB11")["subordinate_corruption_disciplined"] = "true"
        flooded = self.row("CB1303")
        flooded.update(force_majeure="true", main_targets_all_met="false")
        flooded["org_targets_met"] = str(int(flooded["org_targets_assigned"]) * 2 // 5)

    # --- committee decisions on quotas -----------------------------------------------------------------------------
    def committee_decisions(self) -> None:
        """The decisions the competent committees recorded on the HTXS quotas (all fictional).

        Hòa Bình's standing committee decides its members' overflow itself (the ranking is then not applied); the
        district's standing committee decides the groups of similar titles and roles that 124 leaves to it
        (leaders, cells, leadership collectives). Each keeps the best-ranked of the candidates it expects, no more
        than 20 % of those it expects at HTT; the engine then honours the decision for the actual candidates.
        Groups too small to allow any HTXS are still before the committee, so the engine flags them.
        """
        self.members_decision()
        district = "của Ban Thường vụ Huyện ủy Sông Xanh"
        leaders = [r for r in self.subjects if r["kind"] == "party_member_leader"]
        self.decide(
            "leaders_excellent",
            {r["id"]: (r["title_group"], self.intended[r["id"]]) for r in leaders},
            lambda r: -int(r["unit_targets_exceeded"]) / int(r["unit_targets_assigned"]),
            f"Quyết định số 1052-QĐ/HU ngày 12/01/2024 {district} về xếp loại chất lượng cán bộ lãnh đạo, quản lý "
            "năm 2023 (hư cấu)",
        )
        cells = [r for r in self.subjects if r["kind"] == "party_cell"]
        self.decide(
            "cells_excellent",
            {r["id"]: (r["collective_group"], self.cell_level(r)) for r in cells},
            lambda r: -int(r["org_targets_met"]) / int(r["org_targets_assigned"]),
            f"Quyết định số 1054-QĐ/HU ngày 12/01/2024 {district} về xếp loại chất lượng chi bộ năm 2023 (hư cấu)",
        )
        collectives = [r for r in self.subjects if r["kind"] == "leadership_collective"]
        self.decide(
            "collectives_excellent",
            {r["id"]: (r["collective_group"], self.collective_level(r)) for r in collectives},
            lambda r: -int(r["org_targets_met"]) / int(r["org_targets_assigned"]),
            f"Quyết định số 1053-QĐ/HU ngày 12/01/2024 {district} về xếp loại chất lượng tập thể lãnh đạo, quản lý "
            "năm 2023 (hư cấu)",
        )

    def decide(
        self,
        quota: str,
        expected: dict[str, tuple[str, str]],
        rank: Callable[[dict[str, str]], float],
        reference: str,
    ) -> None:
        """One decision per group whose expected candidates overflow: the best-ranked within 20 % keep HTXS.

        A group whose quota allows no HTXS at all is left to the committee (flagged): it has not decided yet.
        """
        for group in sorted({g for g, _ in expected.values()}):
            candidates = [i for i, (g, level) in expected.items() if g == group and level == "excellent"]
            base = sum(1 for g, level in expected.values() if g == group and level == "good")
            allowed = math.floor(base * 0.2)
            if len(candidates) <= allowed or allowed == 0:
                continue
            ranked = sorted(candidates, key=lambda i: (rank(self.row(i)), i))
            self.decisions.append(
                {"quota": quota, "group": group, "approved": " ".join(sorted(ranked[:allowed])), "reference": reference}
            )

    def cell_level(self, cell: dict[str, str]) -> str:
        """The level the district expects for a cell (the engine decides; this only shapes the decision)."""
        if int(cell["established_months"]) < 6:
            return "not_classified"
        if cell["org_disciplined"] == "true":
            return "not_completed"
        levels = [
            self.intended[r["id"]]
            for r in self.subjects
            if r["unit"] == cell["unit"] and r["kind"] in ("party_member", "party_member_leader")
        ]
        levels = [lv for lv in levels if lv != "not_classified"]
        if "insufficient" in levels:
            return "insufficient"
        good = sum(1 for lv in levels if lv in ("excellent", "good")) / len(levels)
        all_ht = "not_completed" not in levels
        grades = [cell["party_building_grade"], cell["political_tasks_grade"], cell["remedying_grade"]]
        same = cell["same_level_orgs_level"] if cell["has_same_level_orgs"] == "true" else "HTXS"
        if (
            cell["outstanding_achievements"] == "true"
            and cell["political_tasks_grade"] == XS
            and all(g in (XS, T) for g in grades)
            and all_ht
            and good >= 0.8
            and same in ("HTXS", "HTT")
        ):
            return "excellent"
        if cell["political_tasks_grade"] in (XS, T) and K not in grades and all_ht and good >= 0.5 and same != "KHT":
            return "good"
        return "completed" if K not in grades else "not_completed"

    def collective_level(self, collective: dict[str, str]) -> str:
        """The level the district expects for a leadership collective (as for cells: only shapes the decision)."""
        leaders = {
            r["id"] for r in self.subjects if r["unit"] == collective["unit"] and r["kind"] == "party_member_leader"
        }
        disciplined = [
            d
            for d in self.discipline
            if d["subject"] in leaders
            and d["decided_on"].startswith(str(PERIOD_YEAR))
            and "true" not in (d["counted_before"], d["violation_in_earlier_year"], d["violation_at_previous_unit"])
        ]
        if collective["head_disciplined_in_year"] == "true" or any(
            d["self_detected_remedied"] == "false" for d in disciplined
        ):
            return "not_completed"
        if collective["organization_level"] in ("HT", "KHT"):
            return "completed"
        if (
            collective["outstanding_achievements"] == "true"
            and not disciplined
            and collective["organization_level"] in ("", "HTXS")
        ):
            return "excellent"
        return "good"

    def members_decision(self) -> None:
        """Hòa Bình's standing committee decides which of its members' HTXS candidates keep the level."""
        gid = DECISION_COMMITTEE
        cells = {u["id"] for u in self.units if u["parent"] == f"U-{gid}"}
        in_group = [
            r for r in self.subjects if r["unit"] in cells and r["kind"] in ("party_member", "party_member_leader")
        ]

        def tally() -> tuple[list[str], int]:
            candidates = [r["id"] for r in in_group if self.intended[r["id"]] == "excellent"]
            return candidates, math.floor(sum(1 for r in in_group if self.intended[r["id"]] == "good") * 0.2)

        # make sure the group overflows by a few: some HTT members of village cells are outstanding this year
        eligible = iter(
            r
            for r in in_group
            if self.intended[r["id"]] == "good"
            and r["kind"] == "party_member"
            and r["is_civil_servant"] == "false"
            and r["sick_leave_months"] == "0"
            and r["is_probationary"] != "true"
            and r["id"] not in self._touched
        )
        promoted = 0
        candidates, allowed = tally()
        while promoted < 3 or len(candidates) <= allowed + 2:
            r = next(eligible)
            assigned = int(r["targets_assigned"])
            r.update(
                task_results=XS,
                exemplary_with_products="true",
                targets_met=str(assigned),
                targets_on_time=str(assigned),
                targets_exceeded=str(math.ceil(assigned / 2) + promoted % 3),
            )
            for k in GRADED:
                if r[k] == TB:
                    r[k] = T
            self.intended[r["id"]] = "excellent"
            self._touched.add(r["id"])
            promoted += 1
            candidates, allowed = tally()
        approved = sorted(self.rng.sample(candidates, allowed))
        commune = next(u["name"] for u in self.units if u["id"] == f"U-{gid}").removeprefix("Đảng bộ ")
        self.decisions.append(
            {
                "quota": "members_excellent",
                "group": f"U-{gid}",
                "approved": " ".join(approved),
                "reference": f"Quyết định số 71-QĐ/ĐU ngày 27/12/2023 của Ban Thường vụ Đảng ủy {commune} "
                "về xếp loại chất lượng đảng viên năm 2023 (hư cấu)",
            }
        )

    # --- output ----------------------------------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        tables: list[tuple[str, list[str], list[dict[str, str]]]] = [
            ("units.csv", ["id", "parent", "kind", "name", "head"], self.units),
            ("subjects.csv", SUBJECT_COLUMNS, self.subjects),
            ("discipline.csv", DISCIPLINE_COLUMNS, self.discipline),
            ("decisions.csv", ["quota", "group", "approved", "reference"], self.decisions),
        ]
        for file, columns, rows in tables:
            d20.write_csv(out / file, columns, [[row.get(c, "") for c in columns] for row in rows])
        header, cells = self.replay_columns()
        replay = out / "replay"
        for file, columns, rows in tables:
            if file == "subjects.csv":
                d20.write_csv(replay / file, header, [[cell(row) for cell in cells] for row in rows])
            else:
                d20.write_csv(replay / file, columns, [[row.get(c, "") for c in columns] for row in rows])

    def replay_columns(self) -> tuple[list[str], list[Callable[[dict[str, str]], str]]]:
        """The columns of replay/subjects.csv, which HD21 and 124 both read without rejecting a row.

        A table names a field for every row whatever its kind, and a value for a field that the row's kind does not
        have rejects the row. Three fields are declared by both versions for different kinds (124 gives cells and
        committees `collective_group` and `main_targets_all_met`, and leadership collectives
        `outstanding_achievements`; HD21 gives them to other kinds). Two of them are written twice: first under
        124's Vietnamese label, which only 124 knows (it reads that column and ignores the later one as a repeat),
        then under the field id with only the kinds HD21 gives it. `main_targets_all_met` has the same label in
        both, so cells and committees leave it blank: 124 reads it only when under half of the targets were met
        without force majeure, which no cell or committee here is.
        """
        hd21_kinds = {
            "collective_group": {"leadership_collective"},
            "outstanding_achievements": {"party_cell", "grassroots_committee"},
            "main_targets_all_met": {"leadership_collective"},
            "corruption_self_detected_remedied": {"party_member_leader", "unit_head"},
        }
        labels = {
            "collective_group": "Nhóm tập thể có vai trò, chức năng, nhiệm vụ tương đồng để tính tỷ lệ "
            '"Hoàn thành xuất sắc nhiệm vụ"',
            "outstanding_achievements": "Có nhiều thành tích nổi bật, là điển hình tiêu biểu để các tập thể khác học "
            "tập, noi theo",
        }

        def plain(column: str) -> Callable[[dict[str, str]], str]:
            return lambda row: row.get(column, "")

        def only(column: str, kinds: set[str]) -> Callable[[dict[str, str]], str]:
            return lambda row: row[column] if row["kind"] in kinds else ""

        header: list[str] = []
        cells: list[Callable[[dict[str, str]], str]] = []
        for column in SUBJECT_COLUMNS:
            header.append(labels.get(column, column))
            if column in labels:
                cells.append(plain(column))
            elif column in hd21_kinds:
                for row in self.subjects:  # a value dropped here must be one 124 does not need (checked, not hoped)
                    if row["kind"] not in hd21_kinds[column] and row[column] not in ("", "false"):
                        assert column == "main_targets_all_met" and self.met_half(row), (row["id"], column)
                cells.append(only(column, hd21_kinds[column]))
            else:
                cells.append(plain(column))
        for column in labels:  # HD21's reading of the two fields written under 124's label
            header.append(column)
            cells.append(only(column, hd21_kinds[column]))
        # HD21's fields for leadership collectives, from the same facts
        header += HD21_ONLY_FIELDS
        cells.append(only("outstanding_achievements", {"leadership_collective"}))
        cells.append(self.head_warned)
        return header, cells

    @staticmethod
    def met_half(row: dict[str, str]) -> bool:
        """Whether 124 can do without a cell's `main_targets_all_met`: half the targets met, or force majeure."""
        met, assigned = int(row["org_targets_met"]), int(row["org_targets_assigned"])
        return 2 * met >= assigned or row["force_majeure"] == "true"

    def head_warned(self, row: dict[str, str]) -> str:
        """HD21's `head_disciplined_warning_or_higher` of a leadership collective: its head warned or worse in 2023."""
        if row["kind"] != "leadership_collective":
            return ""
        head = next(u["head"] for u in self.units if u["id"] == row["unit"]) or None
        warned = any(
            d["subject"] == head
            and d["form"] != "Khiển trách"
            and d["decided_on"].startswith(str(PERIOD_YEAR))
            and d["counted_before"] == "false"
            for d in self.discipline
        )
        return yn(warned)


if __name__ == "__main__":
    d20.main(District2023, "the fictional district 'Sông Xanh' for 2023 (seed 2023)")
