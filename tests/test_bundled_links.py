"""The bundled frameworks linked: one person's State result read by the party-member result, under the version
in force for each kind (issue 14), with the leader's two party results kept apart."""

from __future__ import annotations

from typing import Any

from paths import ROOT
from xeploai import api
from xeploai.evaluation import population, runs
from xeploai.evaluation.trace import NodeKind, Result
from xeploai.framework import selection

FRAMEWORKS = ROOT / "frameworks"
UNITS = [
    {"id": "D", "parent": None, "kind": "district", "name": "Huyện ủy Sông Xanh"},
    {"id": "C1", "parent": "D", "kind": "grassroots_cell", "name": "Chi bộ Phòng Giáo dục"},
]
CRITERIA_DONE_WELL = {
    "political_ideology": "Thực hiện tốt",
    "ethics_lifestyle": "Thực hiện tốt",
    "working_style": "Thực hiện tốt",
    "discipline_awareness": "Thực hiện tốt",
}
HD21_MEMBER_HTXS: dict[str, Any] = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 120,
    "is_civil_servant": True,
    "degradation_concluded": False,
    "targets_assigned": 10,
    "targets_met": 10,
    "discipline": [],
    "sick_leave_months": 0,
    "political_ideology": "Tốt",
    "ethics_lifestyle": "Tốt",
    "discipline_awareness": "Tốt",
    "working_style": "Tốt",
    "task_results": "Xuất sắc",
    "remedying_shortcomings": "Tốt",
    "exemplary_with_products": True,
}
QD366_MEMBER_HTXS: dict[str, Any] = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 120,
    "degradation_concluded": False,
    "discipline": [],
    "forbidden_acts_violated": False,
    "exemplary_duty_violated": False,
    "tasks_assigned": 10,
    "tasks_completed": 10,
    "tasks_on_time": 10,
    "tasks_exceeded": 3,
    "general_criteria_score": 28,
    "task_results_score": 64,
    "shortcomings_identified": 0,
}


def row(subject_id: str, kind: str, person: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"id": subject_id, "unit": "C1", "kind": kind, "person": person, "name": person, "evidence": evidence}


def classify(period: int, *subjects: dict[str, Any]) -> runs.RunResult:
    when = api.parse_period(period)
    chosen = selection.select_kinds(FRAMEWORKS, when, {s["kind"] for s in subjects})
    assert chosen.undeclared == ()
    data = population.from_document({"units": UNITS, "subjects": list(subjects)}, "dân.yaml")
    return runs.evaluate_run([p for _, p in chosen.programs], data, when, chosen.reasons)


def result(outcome: runs.RunResult, subject_id: str) -> Result:
    return next(r for r in outcome.results if r.subject_id == subject_id)


def link_details(r: Result) -> dict[str, object]:
    (node,) = [n for n in r.trace.children if n.kind is NodeKind.LINK]
    return dict(node.details)


def test_a_2019_civil_servant_with_limited_capacity_is_read_as_ht_by_the_hd21_party_member() -> None:
    # NĐ56/88 (civil-service/2015-08-01): 8 of 10 tasks done, criteria done well → "Hoàn thành nhiệm vụ nhưng còn
    # hạn chế về năng lực"; HD21 maps it to HT, so the member, HTXS on every party criterion, is HT: the
    # CBCCVC conditions of HTXS and HTT fail (2.3 a; the HTT link is assumed).
    state = {**CRITERIA_DONE_WELL, "discipline": [], "conduct_failings": False, "targets_assigned": 10}
    state |= {"targets_met": 8, "targets_on_time": 8}
    outcome = classify(
        2019,
        row("CC1", "civil_servant", "P1", state),
        row("DV1", "party_member", "P1", HD21_MEMBER_HTXS),
    )
    civil, member = result(outcome, "CC1"), result(outcome, "DV1")
    assert civil.outcome.level == "limited_capacity"
    assert "2015-08-01" in repr(civil.extras["selected"])
    assert (member.outcome.level, member.outcome.reasons) == (
        "completed",
        ("civil_service_excellent", "civil_service_good"),
    )
    seen = link_details(member)
    assert (seen["origin"], seen["subject"], seen["level"]) == ("computed", "CC1", "HTHCNL")
    assert outcome.reconciles()


def _public_employee_htt() -> dict[str, Any]:
    evidence = {**CRITERIA_DONE_WELL, "months_worked": 12, "absence_months": 0, "degradation_concluded": False}
    return evidence | {
        "discipline": [],
        "targets_assigned": 10,
        "targets_met": 10,
        "targets_on_time": 10,
        "targets_exceeded": 4,
    }


def _civil_servant_htt() -> dict[str, Any]:
    evidence = {"general_score": 29.5, "task_score": 60, "degradation_concluded": False, "discipline": []}
    return evidence | {"prohibitions_violated": False, "exemplary_duty_violated": False}


def test_a_2026_public_employee_under_nd90_48_bounds_the_366_party_member() -> None:
    # Điều 3 k4 under the default reading (not above the State level, assumed): the public employee is HTT under
    # NĐ90+48 (NĐ335 does not declare public employees), so the member, HTXS on every party criterion, is HTT.
    outcome = classify(
        2026,
        row("VC1", "public_employee", "P1", _public_employee_htt()),
        row("DV1", "party_member", "P1", QD366_MEMBER_HTXS),
    )
    assert result(outcome, "VC1").outcome.level == "good"
    assert "2023-09-15" in repr(result(outcome, "VC1").extras["selected"])
    member = result(outcome, "DV1")
    assert (member.outcome.level, member.outcome.reasons) == ("good", ("state_allows_excellent",))
    assert link_details(member)["subject"] == "VC1"
    assert outcome.reconciles()


def test_a_2026_civil_servant_under_nd335_bounds_the_366_party_member() -> None:
    outcome = classify(
        2026,
        row("CC2", "civil_servant", "P2", _civil_servant_htt()),
        row("DV2", "party_member", "P2", QD366_MEMBER_HTXS),
    )
    assert result(outcome, "CC2").outcome.level == "good"
    assert "2026-01-01" in repr(result(outcome, "CC2").extras["selected"])
    member = result(outcome, "DV2")
    assert (member.outcome.level, member.outcome.reasons) == ("good", ("state_allows_excellent",))
    assert link_details(member)["subject"] == "CC2"
