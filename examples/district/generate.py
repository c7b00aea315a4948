"""Generate a synthetic, fictional district for the HD21 party framework (frameworks/party/2019-10-18.yaml).

DỮ LIỆU HƯ CẤU — huyện "Sông Xanh", mọi đơn vị, họ tên, số liệu và quyết định trong thư mục này đều do chương trình
này sinh ngẫu nhiên (hạt giống cố định random.Random(2020)); không có người, đơn vị hay văn bản nào là thật.

FICTIONAL DATA — the district "Sông Xanh", every unit, name, figure and decision in this folder is made up by this
script (fixed seed random.Random(2020)); no person, unit or document is real.

Writes, next to this script (or into --out DIR):
  units.csv       id,parent,kind,name,head
  subjects.csv    id,unit,kind,name, then one column per evidence field (field ids as headers)
  discipline.csv  subject,form,decided_on,counted_before
  decisions.csv   quota,group,approved,reference

Standard library only; the output is byte-for-byte the same on every run (a test regenerates and compares).
Run:  python examples/district/generate.py            then
      xeploai batch frameworks/party/2019-10-18.yaml examples/district --period 2020 --out results/
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

SEED = 2020
PERIOD_YEAR = 2020

# --- evidence columns (field ids of the kinds used; `discipline` is a records field: discipline.csv) ---------------
MEMBER_FIELDS = [
    "exempted",
    "suspended",
    "committee_activities_suspended",
    "months_since_admission",
    "is_probationary",
    "is_civil_servant",
    "civil_service_level",
    "degradation_concluded",
    "targets_assigned",
    "targets_met",
    "targets_exceeded",
    "sick_leave_months",
    "maternity_leave_months",
    "political_ideology",
    "ethics_lifestyle",
    "discipline_awareness",
    "working_style",
    "task_results",
    "remedying_shortcomings",
    "exemplary_with_products",
]
LEADER_FIELDS = [
    "title_group",
    "is_head",
    "led_unit_level",
    "led_unit_corruption_disciplined",
    "corruption_self_detected_remedied",
    "unit_targets_assigned",
    "unit_targets_met",
    "unit_targets_exceeded",
    "unit_targets_on_time",
    "led_units_total",
    "led_units_ht_or_better",
    "led_units_htt_or_better",
]
ORG_FIELDS = [
    "established_months",
    "outstanding_achievements",
    "party_building_grade",
    "political_tasks_grade",
    "remedying_grade",
    "org_targets_assigned",
    "org_targets_met",
    "force_majeure",
    "org_disciplined",
    "self_detected_and_remedied",
    "has_same_level_orgs",
    "same_level_orgs_level",
]
COLLECTIVE_FIELDS = [
    "collective_group",
    "united_innovative_with_products",
    "disunity_concluded",
    "main_targets_all_met",
    "collective_disciplined",
    "head_disciplined_warning_or_higher",
    "head_degradation_concluded",
    "organization_level",
]
SUBJECT_COLUMNS = ["id", "unit", "kind", "name", *MEMBER_FIELDS, *LEADER_FIELDS, *ORG_FIELDS, *COLLECTIVE_FIELDS]

XS, T, TB, K = "Xuất sắc", "Tốt", "Trung bình", "Kém"

# --- names ---------------------------------------------------------------------------------------------------------
FAMILY = [  # (family name, weight): a rough national distribution
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
]
MIDDLE_MALE = ["Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Công", "Xuân", "Duy", "Anh"]
MIDDLE_FEMALE = ["Thị", "Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Minh", "Hồng", "Kim", "Thúy", "Mai"]
GIVEN_MALE = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hùng",
    "Huy",
    "Khánh",
    "Khoa",
    "Lâm",
    "Long",
    "Lợi",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tài",
    "Thắng",
    "Thành",
    "Tiến",
    "Toàn",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Định",
    "Kiên",
    "Lực",
    "Quyết",
]
GIVEN_FEMALE = [
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hương",
    "Huyền",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Thảo",
    "Thu",
    "Thủy",
    "Trang",
    "Tuyết",
    "Vân",
    "Yến",
]

COMMUNES = [
    "Tân Lập",
    "Phú Mỹ",
    "An Hòa",
    "Hòa Bình",
    "Bình Minh",
    "Thành Công",
    "Quyết Thắng",
    "Đồng Tâm",
    "Hưng Đạo",
    "Tân Tiến",
    "Vĩnh Phúc",
    "Phước Lộc",
    "Trung Hòa",
    "Đông Phong",
]
TOWN = "Sông Xanh"
VILLAGES = [
    "Thôn Đông",
    "Thôn Tây",
    "Thôn Nam",
    "Thôn Bắc",
    "Thôn Trung",
    "Thôn Thượng",
    "Thôn Hạ",
    "Thôn Đồng Lạc",
    "Thôn Phú Xuân",
    "Thôn An Định",
    "Thôn Bình An",
    "Thôn Tân Hưng",
    "Thôn Làng Mới",
    "Thôn Cầu Đá",
]
# Grassroots cells directly under the district: (name, head's title, deputies' title group, collective name, its group)
AGENCY_CELLS = [
    (
        "Chi bộ Trường THPT Sông Xanh",
        "Hiệu trưởng trường THPT",
        "Phó Hiệu trưởng trường THPT",
        "Ban Giám hiệu Trường THPT Sông Xanh",
        "Ban giám hiệu trường THPT",
    ),
    (
        "Chi bộ Trường THPT Nguyễn Trãi",
        "Hiệu trưởng trường THPT",
        "Phó Hiệu trưởng trường THPT",
        "Ban Giám hiệu Trường THPT Nguyễn Trãi",
        "Ban giám hiệu trường THPT",
    ),
    (
        "Chi bộ Trung tâm Y tế huyện",
        "Giám đốc đơn vị sự nghiệp cấp huyện",
        "Phó Giám đốc đơn vị sự nghiệp cấp huyện",
        "Ban Giám đốc Trung tâm Y tế huyện",
        "Ban giám đốc đơn vị sự nghiệp cấp huyện",
    ),
    (
        "Chi bộ Trung tâm Văn hóa - Thể thao huyện",
        "Giám đốc đơn vị sự nghiệp cấp huyện",
        "Phó Giám đốc đơn vị sự nghiệp cấp huyện",
        "Ban Giám đốc Trung tâm Văn hóa - Thể thao huyện",
        "Ban giám đốc đơn vị sự nghiệp cấp huyện",
    ),
    (
        "Chi bộ Phòng Giáo dục và Đào tạo",
        "Trưởng phòng chuyên môn cấp huyện",
        "Phó Trưởng phòng chuyên môn cấp huyện",
        "Lãnh đạo Phòng Giáo dục và Đào tạo",
        "Lãnh đạo phòng chuyên môn cấp huyện",
    ),
    (
        "Chi bộ Phòng Tài chính - Kế hoạch",
        "Trưởng phòng chuyên môn cấp huyện",
        "Phó Trưởng phòng chuyên môn cấp huyện",
        "Lãnh đạo Phòng Tài chính - Kế hoạch",
        "Lãnh đạo phòng chuyên môn cấp huyện",
    ),
    (
        "Chi bộ Phòng Nông nghiệp và Phát triển nông thôn",
        "Trưởng phòng chuyên môn cấp huyện",
        "Phó Trưởng phòng chuyên môn cấp huyện",
        "Lãnh đạo Phòng Nông nghiệp và Phát triển nông thôn",
        "Lãnh đạo phòng chuyên môn cấp huyện",
    ),
    (
        "Chi bộ Ban Quản lý dự án đầu tư xây dựng huyện",
        "Giám đốc đơn vị sự nghiệp cấp huyện",
        "Phó Giám đốc đơn vị sự nghiệp cấp huyện",
        "Ban Giám đốc Ban Quản lý dự án huyện",
        "Ban giám đốc đơn vị sự nghiệp cấp huyện",
    ),
]
OVERFLOW_CELL = 0  # index in AGENCY_CELLS of the cell whose HTXS candidates overflow the 20 % quota (ranked)
DECISION_COMMITTEE = 2  # index in COMMUNES of the committee whose overflow the committee decides itself


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def yn(value: bool) -> str:
    return "true" if value else "false"


class District:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.units: list[dict[str, str]] = []
        self.subjects: list[dict[str, str]] = []
        self.discipline: list[dict[str, str]] = []
        self.decisions: list[dict[str, str]] = []
        self.member_no = 0
        self.used_names: set[str] = set()
        self.intended: dict[str, str] = {}  # subject id → level the generator means it to have before quotas
        self._touched: set[str] = set()  # subjects already given a special case

    # --- helpers ---------------------------------------------------------------------------------------------------
    def name(self, female: bool | None = None) -> tuple[str, bool]:
        rng = self.rng
        if female is None:
            female = rng.random() < 0.42
        for _ in range(50):
            family = rng.choices([f for f, _ in FAMILY], [w for _, w in FAMILY])[0]
            middle = rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE)
            given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
            full = f"{family} {middle} {given}"
            if full not in self.used_names or rng.random() < 0.15:  # a few namesakes, as in life
                self.used_names.add(full)
                return full, female
        return full, female

    def unit(self, uid: str, parent: str | None, kind: str, name: str, head: str = "") -> None:
        self.units.append({"id": uid, "parent": parent or "", "kind": kind, "name": name, "head": head})

    def subject(self, sid: str, unit: str, kind: str, name: str, evidence: dict[str, object]) -> None:
        row = {c: "" for c in SUBJECT_COLUMNS}
        row.update(id=sid, unit=unit, kind=kind, name=name)
        for key, value in evidence.items():
            assert key in row, key
            row[key] = yn(value) if isinstance(value, bool) else str(value)
        self.subjects.append(row)

    def next_member_id(self) -> str:
        self.member_no += 1
        return f"DV{self.member_no:04d}"

    # --- a member's evidence ---------------------------------------------------------------------------------------
    def member_evidence(
        self, civil_servant_share: float, female: bool, profile: str | None = None, seniority: str = "mixed"
    ) -> tuple[dict[str, object], str]:
        """Evidence of one ordinary member, and the level it is meant to produce (before quotas)."""
        rng = self.rng
        if seniority == "old":
            months = rng.randint(240, 660)
        elif seniority == "young":
            months = rng.randint(12, 240)
        else:
            months = rng.randint(12, 480)
        civil = rng.random() < civil_servant_share
        ev: dict[str, object] = {
            "exempted": False,
            "suspended": False,
            "months_since_admission": months,
            "is_civil_servant": civil,
            "degradation_concluded": False,
        }
        if profile is None:
            r = rng.random()
            profile = "xs" if r < 0.14 else "t" if r < 0.957 else "ht" if r < 0.99 else "kht"
        assigned = rng.randint(5, 12)
        met = assigned
        grades = {
            k: T
            for k in (
                "political_ideology",
                "ethics_lifestyle",
                "discipline_awareness",
                "working_style",
                "remedying_shortcomings",
            )
        }
        exceeded = 0
        level = {"xs": "excellent", "t": "good", "ht": "completed", "kht": "not_completed"}[profile]
        if profile == "xs":
            task, exemplary = XS, True
            exceeded = rng.randint(1, min(6, assigned))
            for k in grades:
                if rng.random() < 0.35:
                    grades[k] = XS
            cs = "HTXS" if rng.random() < 0.9 else "HTT"
            if civil and cs == "HTT":
                level = "good"
        elif profile == "t":
            task, exemplary = T, False
            exceeded = rng.choice([0, 0, 0, 1, 1, 2])
            for k in grades:
                if rng.random() < 0.04:
                    grades[k] = TB
            cs = rng.choice(["HTT"] * 9 + ["HTXS"])
        elif profile == "ht":
            task, exemplary = TB, False
            for k in grades:
                if rng.random() < 0.2:
                    grades[k] = TB
            met = max(math.ceil(assigned * 0.6), assigned - 2)
            cs = rng.choice(["HT", "HT", "HTT"])
        else:  # kht by the cell's gradings or by targets
            exemplary = False
            cs = "KHT" if rng.random() < 0.3 else "HT"
            if rng.random() < 0.5:
                task = K
                met = max(1, assigned // 2)
            else:
                task = TB
                met = assigned // 2 - 1 if assigned // 2 > 1 else 0
            grades["working_style"] = rng.choice([TB, K])
        ev.update(targets_assigned=assigned, targets_met=met, targets_exceeded=min(exceeded, met))
        if civil:
            ev["civil_service_level"] = cs
        ev.update(grades)
        ev.update(task_results=task, exemplary_with_products=exemplary)
        return ev, self.time_off(ev, level, female, months)

    def time_off(self, ev: dict[str, object], level: str, female: bool, months: int) -> str:
        """Sick and maternity leave drawn into ``ev``; the level a long sick leave lowers the member to."""
        rng = self.rng
        r = rng.random()
        if r < 0.012:
            ev["sick_leave_months"] = rng.choice([3, 3.5, 4, 5])
            if level in ("excellent", "good"):
                level = "completed"
        elif r < 0.07:
            ev["sick_leave_months"] = rng.choice([0.5, 1, 1.5, 2, 2.5])
        else:
            ev["sick_leave_months"] = 0
        if female and months < 300 and rng.random() < 0.05:
            ev["maternity_leave_months"] = rng.choice([4, 6])
        return level

    def add_member(
        self, unit: str, civil_servant_share: float, seniority: str = "mixed", profile: str | None = None
    ) -> str:
        sid = self.next_member_id()
        name, female = self.name()
        ev, level = self.member_evidence(civil_servant_share, female, profile, seniority)
        rng = self.rng
        r = rng.random()
        if seniority == "old" and r < 0.06:  # elderly members exempted from party work and activities
            ev = {
                "exempted": True,
                "suspended": False,
                "months_since_admission": ev["months_since_admission"],
                "is_civil_servant": False,
                "degradation_concluded": False,
            }
            level = "not_classified"
        elif r < 0.015:  # admitted during the last months of the year: not classified, probationary
            ev["months_since_admission"] = rng.randint(1, 5)
            ev["is_probationary"] = True
            level = "not_classified"
        elif r < 0.035:  # probationary members admitted 6 to 11 months before the end of the year
            ev["months_since_admission"] = rng.randint(6, 11)
            ev["is_probationary"] = True
        self.subject(sid, unit, "party_member", name, ev)
        self.intended[sid] = level
        return sid

    # --- leaders ---------------------------------------------------------------------------------------------------
    def leader_evidence(self, title_group: str, is_head: bool | None, excellent: bool) -> tuple[dict[str, object], str]:
        rng = self.rng
        ev: dict[str, object] = {
            "exempted": False,
            "suspended": False,
            "months_since_admission": rng.randint(120, 420),
            "is_civil_servant": True,
            "degradation_concluded": False,
        }
        assigned = rng.randint(6, 12)
        ev.update(targets_assigned=assigned, targets_met=assigned)
        ev.update(
            {
                k: T
                for k in (
                    "political_ideology",
                    "ethics_lifestyle",
                    "discipline_awareness",
                    "working_style",
                    "remedying_shortcomings",
                )
            }
        )
        unit_assigned = rng.randint(8, 16)
        led_total = rng.randint(2, 6)
        if excellent:
            ev.update(
                task_results=XS,
                exemplary_with_products=True,
                civil_service_level="HTXS",
                targets_exceeded=rng.randint(2, assigned),
            )
            exceeded = rng.randint(math.ceil(unit_assigned * 0.5), unit_assigned)
            on_time = rng.randint(math.ceil(unit_assigned * 0.8), unit_assigned)
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
            on_time = rng.randint(math.ceil(unit_assigned * 0.8), unit_assigned)
            htt = rng.randint(math.ceil(led_total * 0.5), led_total)
            level = "good"
        ev.update(
            sick_leave_months=0,
            title_group=title_group,
            led_unit_corruption_disciplined=False,
            unit_targets_assigned=unit_assigned,
            unit_targets_met=unit_assigned,
            unit_targets_exceeded=exceeded,
            unit_targets_on_time=on_time,
            led_units_total=led_total,
            led_units_ht_or_better=led_total,
            led_units_htt_or_better=htt,
        )
        if is_head is not None:
            unit_level = rng.choice(["HTXS", "HTT", "HTT", "HTT"])
            ev.update(is_head=is_head, led_unit_level=unit_level)
            if is_head and excellent and unit_level == "HTT":
                level = "good"  # the head is capped by the unit they head
        return ev, level

    def add_leader(self, unit: str, title_group: str, is_head: bool, excellent: bool) -> str:
        sid = self.next_member_id()
        name, _ = self.name()
        ev, level = self.leader_evidence(title_group, is_head, excellent)
        self.subject(sid, unit, "party_member_leader", name, ev)
        self.intended[sid] = level
        return sid

    def add_head(self, unit: str, hid: str, title_group: str) -> None:
        name, _ = self.name()
        ev, _ = self.leader_evidence(title_group, None, self.rng.random() < 0.6)
        self.subject(hid, unit, "unit_head", name, ev)

    # --- organisations ---------------------------------------------------------------------------------------------
    def org_evidence(self, same_level: bool, quality: str | None = None) -> dict[str, object]:
        rng = self.rng
        if quality is None:
            r = rng.random()
            quality = "xs" if r < 0.3 else "t" if r < 0.92 else "ht"
        grades = {"xs": (XS, XS, T), "t": (T, T, T), "ht": (TB, T, TB)}[quality]
        assigned = rng.randint(6, 15)
        met = assigned if quality != "ht" else assigned - rng.randint(1, 3)
        ev: dict[str, object] = {
            "established_months": rng.randint(36, 600),
            "outstanding_achievements": quality == "xs",
            "party_building_grade": grades[0],
            "political_tasks_grade": grades[1],
            "remedying_grade": grades[2],
            "org_targets_assigned": assigned,
            "org_targets_met": met,
            "org_disciplined": False,
            "has_same_level_orgs": same_level,
        }
        if same_level:
            ev["same_level_orgs_level"] = rng.choice(["HTXS", "HTT", "HTT", "HTT", "HTT", "HT"])
        return ev

    def collective_evidence(self, group: str, with_org_level: bool) -> dict[str, object]:
        rng = self.rng
        excellent = rng.random() < 0.35
        assigned = rng.randint(8, 15)
        ev: dict[str, object] = {
            "collective_group": group,
            "established_months": rng.randint(24, 60),
            "united_innovative_with_products": excellent,
            "party_building_grade": XS if excellent else T,
            "political_tasks_grade": XS if excellent else T,
            "remedying_grade": T,
            "disunity_concluded": False,
            "org_targets_assigned": assigned,
            "org_targets_met": assigned if rng.random() < 0.8 else assigned - 1,
            "main_targets_all_met": True,
            "collective_disciplined": False,
            "head_disciplined_warning_or_higher": False,
            "head_degradation_concluded": False,
        }
        if with_org_level:
            ev["organization_level"] = rng.choice(["HTXS", "HTT", "HTT"])
        return ev

    # --- the district ----------------------------------------------------------------------------------------------
    def build(self) -> None:
        rng = self.rng
        self.unit("U-HU", None, "district", "Huyện ủy Sông Xanh")
        committees = [(f"xã {c}", c) for c in COMMUNES] + [(f"thị trấn {TOWN}", TOWN)]
        for n, (label, short) in enumerate(committees, start=1):
            gid = f"DB{n:02d}"
            self.unit(f"U-{gid}", "U-HU", "grassroots_committee", f"Đảng bộ {label}", head=f"ND-{gid}")
            is_town = short == TOWN
            cells: list[tuple[str, str]] = [("Cơ quan", f"Chi bộ Cơ quan {'thị trấn' if is_town else 'xã'}")]
            if is_town:
                cells += [("Khu phố", f"Chi bộ Khu phố {k}") for k in range(1, rng.randint(4, 5) + 1)]
            else:
                for village in rng.sample(VILLAGES, rng.randint(2, 3)):
                    cells.append(("Thôn", f"Chi bộ {village}"))
                if rng.random() < 0.4:
                    cells.append(("Trường", f"Chi bộ Trường Tiểu học và THCS {short}"))
            for k, (sort, cell_name) in enumerate(cells, start=1):
                cid = f"CB{n:02d}{k:02d}"
                uid = f"U-{cid}"
                self.unit(uid, f"U-{gid}", "cell", cell_name)
                if sort == "Cơ quan":
                    # the commune's People's Committee leadership: its chair (head of the committee's government,
                    # capped by the UBND's own level) and two deputies, and their leadership collective
                    self.add_leader(uid, "Chủ tịch UBND xã, thị trấn", True, rng.random() < 0.3)
                    for _ in range(2):
                        self.add_leader(uid, "Phó Chủ tịch UBND xã, thị trấn", False, rng.random() < 0.25)
                    for _ in range(rng.randint(12, 22)):
                        self.add_member(uid, 0.9, "young")
                    self.subject(
                        f"TT-{cid}",
                        uid,
                        "leadership_collective",
                        f"Tập thể lãnh đạo UBND {label}",
                        self.collective_evidence("Tập thể lãnh đạo UBND xã, thị trấn", rng.random() < 0.7),
                    )
                    same_level = False
                elif sort == "Trường":
                    self.add_leader(uid, "Hiệu trưởng trường tiểu học, THCS", True, rng.random() < 0.3)
                    self.add_leader(uid, "Phó Hiệu trưởng trường tiểu học, THCS", False, rng.random() < 0.25)
                    for _ in range(rng.randint(10, 20)):
                        self.add_member(uid, 1.0, "young")
                    same_level = False
                else:  # residential cells: many retired and elderly members, few civil servants
                    for _ in range(rng.randint(38, 82)):
                        self.add_member(uid, 0.12, "old" if rng.random() < 0.6 else "mixed")
                    same_level = True
                self.subject(cid, uid, "party_cell", cell_name, self.org_evidence(same_level))
            self.subject(gid, f"U-{gid}", "grassroots_committee", f"Đảng bộ {label}", self.org_evidence(True))
            self.add_head(f"U-{gid}", f"ND-{gid}", "Bí thư Đảng ủy xã, thị trấn")

        for n, (cell_name, head_title, deputy_title, collective, group) in enumerate(AGENCY_CELLS, start=1):
            cid = f"CBCS{n:02d}"
            uid = f"U-{cid}"
            self.unit(uid, "U-HU", "grassroots_cell", cell_name, head=f"ND-{cid}")
            for _ in range(2):
                self.add_leader(uid, deputy_title, False, rng.random() < 0.25)
            size = rng.randint(18, 45)
            overflow = n - 1 == OVERFLOW_CELL
            for _ in range(size):
                self.add_member(uid, 0.97, "young", profile=("xs" if overflow and rng.random() < 0.33 else None))
            self.subject(cid, uid, "party_cell", cell_name, self.org_evidence(False))
            self.subject(
                f"TT-{cid}",
                uid,
                "leadership_collective",
                collective,
                self.collective_evidence(group, rng.random() < 0.7),
            )
            self.add_head(uid, f"ND-{cid}", f"Bí thư chi bộ kiêm {head_title[0].lower()}{head_title[1:]}")

        self.special_cases()
        self.committee_decision()

    # --- special cases: discipline, suspension, insufficient evidence, a newly established cell ----------------------
    def pick(self, kind: str, unit_prefix: str = "", level: str | None = "good") -> dict[str, str]:
        rows = [
            r
            for r in self.subjects
            if r["kind"] == kind
            and r["unit"].startswith(unit_prefix)
            and (level is None or self.intended.get(r["id"]) == level)
            and r["exempted"] != "true"
        ]
        rows = [r for r in rows if r["is_probationary"] != "true" and r["id"] not in self._touched]
        row = self.rng.choice(rows)
        self._touched.add(row["id"])
        return row

    def discipline_row(self, row: dict[str, str], form: str, day: str, counted_before: bool = False) -> None:
        self.discipline.append(
            {"subject": row["id"], "form": form, "decided_on": day, "counted_before": yn(counted_before)}
        )
        if day.startswith(str(PERIOD_YEAR)) and not counted_before:
            self.intended[row["id"]] = "not_completed"
            row["discipline_awareness"] = TB

    def special_cases(self) -> None:
        # discipline of every form, in the period and the year before (HD21: any form in the year ⇒ KHT)
        for form, day, counted in [
            ("Khiển trách", "2020-03-18", False),
            ("Khiển trách", "2020-09-07", False),
            ("Khiển trách", "2020-11-25", False),
            ("Khiển trách", "2019-10-02", False),
            ("Khiển trách", "2019-12-30", False),
            ("Khiển trách", "2020-01-15", True),
            ("Cảnh cáo", "2020-06-22", False),
            ("Cảnh cáo", "2019-08-14", False),
            ("Cảnh cáo", "2019-11-29", False),
            ("Cách chức", "2019-07-10", False),
            ("Khai trừ", "2020-12-21", False),
        ]:
            self.discipline_row(self.pick("party_member"), form, day, counted)
        # a deputy chair of a commune People's Committee warned in 2020: the UBND leadership collective is KHT
        deputy = self.pick("party_member_leader", "U-CB0301")
        self.discipline_row(deputy, "Cảnh cáo", "2020-07-30")
        # a deputy director dismissed from the post in 2020: that leadership collective is KHT too
        dismissed = self.pick("party_member_leader", "U-CBCS03")
        self.discipline_row(dismissed, "Cách chức", "2020-10-12")
        # a deputy reprimanded in 2020: KHT himself, but a reprimand does not make the collective KHT
        reprimanded = self.pick("party_member_leader", "U-CB0501")
        self.discipline_row(reprimanded, "Khiển trách", "2020-05-05")
        # a leader whose subordinate unit had a corruption case that the leader uncovered and remedied
        remedied = self.pick("party_member_leader", "U-CB0701", level=None)
        remedied["led_unit_corruption_disciplined"] = "true"
        remedied["corruption_self_detected_remedied"] = "true"
        # suspended members (not classified) and a committee member suspended only from committee activities
        for _ in range(2):
            row = self.pick("party_member", level=None)
            row["suspended"] = "true"
            self.intended[row["id"]] = "not_classified"
        self.pick("party_member", level=None)["committee_activities_suspended"] = "true"
        # a member concluded to show degradation
        row = self.pick("party_member", level="good")
        row["degradation_concluded"] = "true"
        self.intended[row["id"]] = "not_completed"
        # a handful of members whose cell has not yet recorded a grading: insufficient evidence
        for field in (
            "task_results",
            "task_results",
            "political_ideology",
            "working_style",
            "ethics_lifestyle",
            "task_results",
        ):
            row = self.pick("party_member", "U-CB1", level=None)
            row[field] = ""
            self.intended[row["id"]] = "insufficient"
        # a residential area cell set up in September 2020: not classified (< 6 months)
        new_cell = next(r for r in self.subjects if r["kind"] == "party_cell" and r["id"] == "CB0402")
        new_cell["established_months"] = "4"
        # a commune committee disciplined as an organisation, which detected and remedied the violation itself
        committee = next(r for r in self.subjects if r["id"] == "DB09")
        committee["org_disciplined"] = "true"
        committee["self_detected_and_remedied"] = "true"
        # a village cell disciplined as an organisation (not self-detected): KHT
        cell = next(r for r in self.subjects if r["id"] == "CB1102")
        cell["org_disciplined"] = "true"

    def committee_decision(self) -> None:
        """The committee of one commune decides itself which HTXS candidates keep the level (ranking not applied)."""
        gid = f"DB{DECISION_COMMITTEE + 1:02d}"
        in_group = [
            r
            for r in self.subjects
            if r["unit"].startswith(f"U-CB{gid[2:]}") and r["kind"] in ("party_member", "party_member_leader")
        ]
        # make sure the group overflows: promote a few HTT members of a village cell to HTXS candidates
        promoted = 0
        for r in in_group:
            if promoted >= 6:
                break
            if (
                self.intended[r["id"]] == "good"
                and r["kind"] == "party_member"
                and r["is_civil_servant"] == "false"
                and r["sick_leave_months"] == "0"
                and r["is_probationary"] != "true"
                and r["id"] not in self._touched
            ):
                r.update(
                    task_results=XS,
                    exemplary_with_products="true",
                    targets_exceeded=str(min(int(r["targets_met"]), 1 + promoted % 4)),
                )
                for k in (
                    "political_ideology",
                    "ethics_lifestyle",
                    "discipline_awareness",
                    "working_style",
                    "remedying_shortcomings",
                ):
                    if r[k] == TB:
                        r[k] = T
                self.intended[r["id"]] = "excellent"
                promoted += 1
        candidates = [r["id"] for r in in_group if self.intended[r["id"]] == "excellent"]
        base = sum(1 for r in in_group if self.intended[r["id"]] == "good")
        allowed = math.floor(base * 0.2)
        assert len(candidates) > allowed, (len(candidates), allowed)
        approved = sorted(self.rng.sample(candidates, allowed))
        # The members' quota counts party-member results only (a leader's cadre result is in the title-group quota):
        # the committee keeps none of the leaders' rows the draw named.
        kinds = {r["id"]: r["kind"] for r in in_group}
        approved = [i for i in approved if kinds[i] == "party_member"]
        commune = COMMUNES[DECISION_COMMITTEE]
        self.decisions.append(
            {
                "quota": "members_excellent",
                "group": f"U-{gid}",
                "approved": " ".join(approved),
                "reference": f"Quyết định số 52-QĐ/ĐU ngày 30/12/2020 của Ban Thường vụ Đảng ủy xã {commune} "
                "về xếp loại chất lượng đảng viên năm 2020 (hư cấu)",
            }
        )

    # --- output ----------------------------------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        tables = [
            ("units.csv", ["id", "parent", "kind", "name", "head"], self.units),
            ("subjects.csv", SUBJECT_COLUMNS, self.subjects),
            ("discipline.csv", ["subject", "form", "decided_on", "counted_before"], self.discipline),
            ("decisions.csv", ["quota", "group", "approved", "reference"], self.decisions),
        ]
        for file, columns, rows in tables:
            write_csv(out / file, columns, [[row.get(c, "") for c in columns] for row in rows])


# --- the new shape: persons, several results per person (issue 14) -------------------------------------------------
# The population above is the one every older test and the 2023 example rebuild (its random stream is untouched).
# `Persons2020` adds, with a random stream of its own: a persons table; a party-member row at the cell for every
# leader and head (so the cell's shares and the members' quota count them, its secretary included); and a State row
# (NĐ90, civil-service/2020-08-20) for every member who is a cadre, civil servant or public employee, whose level the
# party row reads instead of a typed-in `civil_service_level`.
PERSONS_SEED = 2020_14

STATE_FIELDS = ["months_worked", "absence_months", "targets_on_time", "leadership_criterion"]
# NĐ90 rates its general criteria "Thực hiện tốt / Đáp ứng / Không đáp ứng"; the party kinds rate fields of the same
# ids on their own grade scale. One column serves both: each row is read with the fields of its own kind.
GOOD, MET, NOT_MET = "Thực hiện tốt", "Đáp ứng", "Không đáp ứng"

# State kind and leader kind of a post, by the title group of the party leader row (NĐ90 Điều 4–15)
STATE_KIND_OF_TITLE = {
    "Chủ tịch UBND xã, thị trấn": "cadre",
    "Phó Chủ tịch UBND xã, thị trấn": "cadre",
    "Bí thư Đảng ủy xã, thị trấn": "cadre",
    "Hiệu trưởng trường tiểu học, THCS": "public_employee_manager",
    "Phó Hiệu trưởng trường tiểu học, THCS": "public_employee_manager",
    "Phó Hiệu trưởng trường THPT": "public_employee_manager",
    "Phó Giám đốc đơn vị sự nghiệp cấp huyện": "public_employee_manager",
    "Phó Trưởng phòng chuyên môn cấp huyện": "civil_servant_leader",
    "Bí thư chi bộ kiêm hiệu trưởng trường THPT": "public_employee_manager",
    "Bí thư chi bộ kiêm giám đốc đơn vị sự nghiệp cấp huyện": "public_employee_manager",
    "Bí thư chi bộ kiêm trưởng phòng chuyên môn cấp huyện": "civil_servant_leader",
}
LEADER_STATE_KINDS = ("cadre", "civil_servant_leader", "public_employee_manager")


@dataclass
class Person:
    """One person of the district and the ids of the results they hold this period."""

    id: str
    name: str
    member: str  # the party-member row at the cell
    leader: str = ""  # the leader row by title (party_member_leader) or the head's row (unit_head)
    state: str = ""  # the State row (cadre, civil servant or public employee under the decree)
    state_kind: str = ""
    state_level: str = ""  # HTXS / HTT / HT / KHT: the level the State row is built to reach


def state_kind_of_member(cell: str, workplace_kind: str, rng: random.Random) -> str:
    """The State kind of an ordinary member in the political system, from where they work (their cell's unit)."""
    if workplace_kind == "public_service_unit":
        return "public_employee"
    if workplace_kind == "agency":
        # a commune's own cell holds its civil servants and a few elected cadres; a district office, civil servants
        return "cadre" if cell.startswith("U-CB") and rng.random() < 0.2 else "civil_servant"
    return rng.choice(["civil_servant", "public_employee", "public_employee"])  # residents working elsewhere


def effective_level(row: dict[str, str]) -> str:
    """The State level the party form records for a member (the level the State row reaches under NĐ90): a run
    that classifies the State row reads the computed level instead (and flags a difference); a run of the party
    framework alone reads this one."""
    level = row["civil_service_level"]
    if not level:
        return ""
    if row["degradation_concluded"] == "true":
        return "KHT"
    if float(row["sick_leave_months"] or 0) >= 3 and level in ("HTXS", "HTT"):
        return "HT"  # NĐ90 caps an absence of 3 to 6 months at HT
    return level


def state_evidence(level: str, leader: bool, row: dict[str, str], rng: random.Random) -> dict[str, object]:
    """NĐ90 evidence (civil-service/2020-08-20) that gives ``level`` before any cap, with the member's leave."""
    assigned = rng.randint(6, 12)
    criteria = [GOOD] * 4
    on_time, exceeded = assigned, 0
    if level == "HTXS":
        exceeded = rng.randint(math.ceil(assigned / 2), assigned)
    elif level == "HTT":
        exceeded = rng.randint(0, math.ceil(assigned / 2) - 1)
        criteria = [rng.choice([GOOD, GOOD, MET]) for _ in criteria]
    elif level == "HT":
        on_time = assigned - max(1, math.floor(assigned * 0.2))  # some late, at most 20 %
        criteria = [rng.choice([GOOD, MET]) for _ in criteria]
    else:  # KHT: more than half of the targets late
        on_time = math.floor(assigned / 2) - 1
        criteria = [MET] * 4
    ev: dict[str, object] = {
        "months_worked": 12,
        "absence_months": row.get("sick_leave_months") or 0,
        "maternity_leave_months": row.get("maternity_leave_months") or 0,
        "degradation_concluded": row.get("degradation_concluded") == "true",
        "political_ideology": criteria[0],
        "ethics_lifestyle": criteria[1],
        "working_style": criteria[2],
        "discipline_awareness": criteria[3],
        "targets_assigned": assigned,
        "targets_met": assigned,
        "targets_on_time": on_time,
        "targets_exceeded": exceeded,
    }
    if leader:
        units = rng.randint(2, 6)
        unit_targets = rng.randint(8, 16)
        ev.update(
            leadership_criterion=GOOD if level in ("HTXS", "HTT") else MET,
            unit_targets_assigned=unit_targets,
            unit_targets_met=unit_targets if level != "KHT" else unit_targets // 2 - 1,
            unit_targets_exceeded=math.ceil(unit_targets / 2) if level == "HTXS" else 0,
            unit_targets_on_time=unit_targets if level in ("HTXS", "HTT") else math.ceil(unit_targets * 0.75),
            led_units_total=units,
            led_units_ht_or_better=units,
            led_units_htt_or_better=units if level == "HTXS" else math.ceil(units * (0.7 if level == "HTT" else 0.5)),
            led_unit_corruption_disciplined=row.get("led_unit_corruption_disciplined") == "true",
        )
    return ev


def state_units(units: list[dict[str, str]]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The State side of the district (its own tree of agencies and public service units) and, per party cell, the
    State unit its members who are cadres, civil servants or public employees work in ("" for residential cells,
    whose members work all over the district)."""
    rows = [{"id": "U-UBND", "parent": "", "kind": "agency", "name": "Ủy ban nhân dân huyện Sông Xanh", "head": ""}]
    where: dict[str, str] = {}
    for unit in units:
        uid, name = unit["id"], unit["name"]
        if unit["kind"] == "grassroots_committee":
            place = name.removeprefix("Đảng bộ ")
            rows.append(
                {"id": f"U-UB{uid[4:]}", "parent": "U-UBND", "kind": "agency", "name": f"UBND {place}", "head": ""}
            )
        elif unit["kind"] == "cell" and name.startswith("Chi bộ Cơ quan"):
            where[uid] = f"U-UB{uid[4:6]}"
        elif unit["kind"] == "cell" and name.startswith("Chi bộ Trường"):
            sid = f"U-TR{uid[4:]}"
            rows.append(
                {"id": sid, "parent": f"U-UB{uid[4:6]}", "kind": "public_service_unit", "name": name[7:], "head": ""}
            )
            where[uid] = sid
        elif unit["kind"] == "grassroots_cell":
            agency = "Phòng" in name
            sid = f"U-{'PH' if agency else 'DV'}{uid[6:]}"
            kind = "agency" if agency else "public_service_unit"
            rows.append({"id": sid, "parent": "U-UBND", "kind": kind, "name": name[7:], "head": ""})
            where[uid] = sid
        else:
            where[uid] = ""
    return rows, where


class Persons2020(District):
    """The 2020 district in the new shape: persons, leaders with two party results, members with a State result."""

    COLUMNS: ClassVar[list[str]] = [
        "id",
        "unit",
        "kind",
        "person",
        "name",
        *MEMBER_FIELDS,
        *LEADER_FIELDS,
        *STATE_FIELDS,
        *ORG_FIELDS,
        *COLLECTIVE_FIELDS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.persons: list[Person] = []

    def build(self) -> None:
        super().build()
        self.rng = random.Random(PERSONS_SEED)
        extra, self.state_unit_of = state_units(self.units)
        self.units += extra
        rows = self.subjects
        self.subjects = []
        for row in rows:
            self.reshape(row)
        self.discipline_by_title()

    def new_person(self, name: str, member: str) -> Person:
        person = Person(id=f"CN{len(self.persons) + 1:04d}", name=name, member=member)
        self.persons.append(person)
        return person

    def reshape(self, row: dict[str, str]) -> None:
        """One row of the base population, as the results of one person (or as itself for a collective)."""
        kind = row["kind"]
        if kind not in ("party_member", "party_member_leader", "unit_head"):
            self.subjects.append(row)
            return
        if kind == "party_member":
            person = self.new_person(row["name"], row["id"])
            typed = row["is_civil_servant"] == "true"
            self.subjects.append(dict(row, person=person.id, civil_service_level=effective_level(row)))
            if typed:
                workplace = self.state_unit_of[row["unit"]]
                kind_there = next((u["kind"] for u in self.units if u["id"] == workplace), "")
                self.add_state(person, row, state_kind_of_member(row["unit"], kind_there, self.rng))
            return
        # a leader or a head: the party-member result at the cell, then the result by title
        member_id = row["id"] if kind == "party_member_leader" else self.next_member_id()
        leader_id = f"LD-{row['id']}" if kind == "party_member_leader" else row["id"]
        person = self.new_person(row["name"], member_id)
        person.leader = leader_id
        member_row = {c: row[c] for c in ("name", *MEMBER_FIELDS)}
        member_row.update(
            id=member_id,
            unit=self.member_cell(row["unit"]),
            kind="party_member",
            person=person.id,
            civil_service_level=effective_level(row),
        )
        self.subjects.append(member_row)
        self.intended[member_id] = self.intended.get(row["id"], "good")
        self.subjects.append(dict(row, id=leader_id, person=person.id))
        self.add_state(person, row, STATE_KIND_OF_TITLE[row["title_group"]])

    def member_cell(self, unit: str) -> str:
        """The cell a head or leader belongs to as a party member: a committee's secretary sits in its own cell."""
        if unit.startswith("U-DB"):
            return f"U-CB{unit[4:]}01"
        return unit

    def add_state(self, person: Person, row: dict[str, str], state_kind: str) -> None:
        """The person's State result (NĐ90): a row of its own; the party rows read its level instead of a typed one."""
        level = row["civil_service_level"] or "HTT"
        sid = f"NN-{person.member}"
        ev = state_evidence(level, state_kind in LEADER_STATE_KINDS, row, self.rng)
        state_row = {c: "" for c in self.COLUMNS}
        workplace = self.state_unit_of[self.member_cell(row["unit"])] or self.workplace(state_kind, row["unit"])
        state_row.update(id=sid, unit=workplace, kind=state_kind, person=person.id, name=row["name"])
        for key, value in ev.items():
            state_row[key] = yn(value) if isinstance(value, bool) else str(value)
        self.subjects.append(state_row)
        person.state, person.state_kind, person.state_level = sid, state_kind, level

    def workplace(self, state_kind: str, cell: str) -> str:
        """Where a member of a residential cell works: a cadre at the commune, others at an agency or a public
        service unit of the district, by their kind."""
        if state_kind == "cadre":
            return f"U-UB{cell[4:6]}"
        wanted = "agency" if state_kind.startswith("civil_servant") else "public_service_unit"
        return self.rng.choice([u["id"] for u in self.units if u["kind"] == wanted and u["id"] != "U-UBND"])

    def discipline_by_title(self) -> None:
        """A leader's party discipline is a fact of both party results: the leader row gets the decision too."""
        leader_of = {p.member: p.leader for p in self.persons if p.leader.startswith("LD-")}
        for decision in list(self.discipline):
            if decision["subject"] in leader_of:
                self.discipline.append(dict(decision, subject=leader_of[decision["subject"]]))

    def write(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        tables = [
            ("units.csv", ["id", "parent", "kind", "name", "head"], self.units),
            ("persons.csv", ["id", "name"], [{"id": p.id, "name": p.name} for p in self.persons]),
            ("subjects.csv", self.COLUMNS, self.subjects),
            ("discipline.csv", ["subject", "form", "decided_on", "counted_before"], self.discipline),
            ("decisions.csv", ["quota", "group", "approved", "reference"], self.decisions),
        ]
        for file, columns, rows in tables:
            write_csv(out / file, columns, [[row.get(c, "") for c in columns] for row in rows])


def write_csv(path: Path, columns: list[str], rows: list[list[object]]) -> None:
    """A table as UTF-8 CSV with LF line ends, every header and cell in NFC (the folder is made if need be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([nfc(c) for c in columns])
        for row in rows:
            writer.writerow([nfc(str(cell)) for cell in row])


def main(make: type[District] = District, description: str = "the fictional district 'Sông Xanh' (seed 2020)") -> None:
    """Build a district (``make``) and write it to ``--out``, printing what it holds."""
    parser = argparse.ArgumentParser(description=f"Generate {description}.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    if make is District:
        parser.add_argument(
            "--persons",
            action="store_true",
            help="the new shape (persons.csv, leaders' two party results, NĐ90 State rows); needs a run of several"
            " frameworks: xeploai batch frameworks DIR --period 2020",
        )
    args = parser.parse_args()
    district = Persons2020() if getattr(args, "persons", False) else make()
    district.build()
    district.write(args.out)
    kinds: dict[str, int] = {}
    for row in district.subjects:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    print(
        f"{len(district.units)} units, {len(district.subjects)} subjects "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f"; {len(district.discipline)} disciplinary decisions, {len(district.decisions)} committee decision(s)"
    )


if __name__ == "__main__":
    main()
