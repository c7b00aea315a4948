"""Populations: collectives read their members' results, quotas limit HTXS per group, in a derived order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from paths import FIXTURES
from xeploai import api
from xeploai.evaluation import population
from xeploai.evaluation.trace import NodeKind, Status

FRAMEWORK = FIXTURES / "population" / "2019-10-18.yaml"
PROGRAM = api.load_framework(FRAMEWORK)
PERIOD = api.parse_period(2020)
UNITS = [
    {"id": "D", "parent": None, "kind": "district", "name": "Huyện ủy Thử"},
    {"id": "C1", "parent": "D", "kind": "grassroots_cell", "name": "Chi bộ Thôn Đông"},
    {"id": "C2", "parent": "D", "kind": "grassroots_cell", "name": "Chi bộ Thôn Tây"},
]


def member(subject_id: str, unit: str = "C1", grade: str = "Tốt", exceeded: int = 0, **extra: object) -> dict:
    evidence = {"targets_assigned": 10, "targets_met": 9, "task_results": grade, "targets_exceeded": exceeded}
    evidence.update(extra)
    return {"id": subject_id, "unit": unit, "kind": "member", "name": f"Đảng viên {subject_id}", "evidence": evidence}


def cell(unit: str = "C1", **evidence: object) -> dict:
    return {"id": f"CB-{unit}", "unit": unit, "kind": "cell", "name": f"Chi bộ {unit}", "evidence": evidence}


def head(unit: str = "C1", grade: str = "Xuất sắc") -> dict:
    return {"id": f"H-{unit}", "unit": unit, "kind": "head", "name": "Bí thư", "evidence": {"own_results": grade}}


def run(subjects: list[dict], decisions: list[dict] | None = None, program=PROGRAM) -> population.PopulationResult:  # type: ignore[no-untyped-def]
    data = {"units": UNITS, "subjects": subjects, "decisions": decisions or []}
    return population.evaluate_population(program, population.from_document(data, "test"), PERIOD)


def level(result: population.PopulationResult, subject_id: str) -> str | None:
    return result.result(subject_id).outcome.level


def test_order_is_derived_members_then_their_quota_then_cells_then_heads() -> None:
    order = [(s.kinds, s.quotas) for s in population.strata(PROGRAM)]
    assert order == [(("member",), ()), ((), ("members_excellent",)), (("cell",), ()), (("head",), ())]


def test_cell_is_excellent_when_all_members_are_at_least_ht_and_80_percent_htt() -> None:
    result = run([*(member(f"M{i}") for i in range(5)), cell()])
    assert level(result, "CB-C1") == "excellent"


def test_cell_is_good_at_exactly_half_htt_and_names_the_members_behind_the_share() -> None:
    subjects = [member("M1"), member("M2"), member("M3", grade="Trung bình"), member("M4", grade="Trung bình"), cell()]
    result = run(subjects)
    outcome = result.result("CB-C1").outcome
    assert (outcome.level, outcome.reasons) == ("good", ("most_at_least_good",))
    rule = next(n for n in result.result("CB-C1").trace.children if n.kind is NodeKind.LEVEL).children[1]
    derived = [r for n in [rule, *rule.children] for r in n.reads if r.origin == "derived"]
    assert derived[0].value == {"met": ["M1", "M2"], "not_met": ["M3", "M4"]}


def test_a_member_with_insufficient_evidence_makes_the_cell_insufficient() -> None:
    incomplete = member("M2")
    del incomplete["evidence"]["task_results"]
    result = run([member("M1"), incomplete, cell()])
    outcome = result.result("CB-C1").outcome
    assert outcome.status is Status.INSUFFICIENT_EVIDENCE and outcome.missing == ("members[M2]",)


def test_not_classified_members_are_left_out_of_the_shares() -> None:
    result = run([member("M1"), member("M2", exempted=True, task_results="Kém"), cell()])
    assert result.result("M2").outcome.status is Status.NOT_CLASSIFIED
    assert level(result, "CB-C1") == "excellent"


def test_a_member_warned_in_the_year_keeps_the_cell_from_excellent() -> None:
    warned = member("M2", discipline=[{"form": "cảnh cáo", "decided_on": "2020-03-01"}])
    result = run([member("M1"), warned, cell()])
    assert level(result, "M2") == "not_completed"
    assert level(result, "CB-C1") == "not_completed"  # no level's rules hold: HT needs no warned member


def test_head_is_capped_by_the_collective_they_head() -> None:
    subjects = [member("M1"), member("M2", grade="Trung bình"), cell(), head()]
    result = run(subjects)
    assert level(result, "CB-C1") == "good"
    outcome = result.result("H-C1").outcome
    assert (outcome.level, outcome.level_before_caps, outcome.reasons) == (
        "good",
        "excellent",
        ("not_above_collective",),
    )


def test_quota_ranks_candidates_and_demotes_the_rest_with_the_arithmetic() -> None:
    subjects = [member(f"M{i:02}") for i in range(10)]
    subjects += [
        member("X1", grade="Xuất sắc", exceeded=3),
        member("X2", grade="Xuất sắc", exceeded=5),
        member("X3", grade="Xuất sắc", exceeded=3),
        member("X4", grade="Xuất sắc", exceeded=1),
    ]
    result = run(subjects)
    group = result.quota_groups[0]
    assert (group.group, group.base, group.allowed) == ("C1", 10, 2)
    assert group.candidates == ("X2", "X1", "X3", "X4")  # by targets exceeded, the tie broken by id
    assert (group.kept, group.demoted, group.status) == (("X2", "X1"), ("X3", "X4"), "ranked")
    demoted = result.result("X3")
    assert (demoted.outcome.level, demoted.outcome.reasons) == ("good", ("members_excellent",))
    quota = next(n for n in demoted.trace.children if n.kind is NodeKind.QUOTA)
    details = dict(quota.details)
    assert (details["rank"], details["allowed"], details["names"]["X2"]) == (3, 2, "Đảng viên X2")
    assert level(result, "X1") == "excellent"


def test_quota_is_per_group() -> None:
    subjects = [member(f"A{i}", "C1") for i in range(5)] + [member("AX", "C1", grade="Xuất sắc")]
    subjects += [member(f"B{i}", "C2") for i in range(2)] + [member("BX", "C2", grade="Xuất sắc")]
    result = run(subjects)
    assert (level(result, "AX"), level(result, "BX")) == ("excellent", "good")


def test_committee_decision_is_honoured_and_cited() -> None:
    subjects = [member(f"M{i:02}") for i in range(5)]
    subjects += [member("X1", grade="Xuất sắc", exceeded=9), member("X2", grade="Xuất sắc", exceeded=1)]
    decision = {"quota": "members_excellent", "group": "C1", "approved": ["X2"], "reference": "Quyết định số 7-QĐ/CB"}
    result = run(subjects, [decision])
    assert (level(result, "X1"), level(result, "X2")) == ("good", "excellent")
    quota = next(n for n in result.result("X1").trace.children if n.kind is NodeKind.QUOTA)
    assert dict(quota.details)["decision"] == "Quyết định số 7-QĐ/CB"
    assert result.quota_groups[0].status == "decided"


def test_flag_policy_leaves_the_group_for_the_committee(write_framework) -> None:  # type: ignore[no-untyped-def]
    text = FRAMEWORK.read_text(encoding="utf-8").replace("when_exceeded: rank", "when_exceeded: flag")
    program = api.load_framework(write_framework(text))
    subjects = [member("M1"), member("X1", grade="Xuất sắc"), member("X2", grade="Xuất sắc")]
    result = run(subjects, program=program)
    assert result.quota_groups[0].status == "flagged"
    # Every candidate awaits the competent level's decision: no level, neither HTXS nor HTT.
    for subject in ("X1", "X2"):
        outcome = result.result(subject).outcome
        assert outcome.status is Status.AWAITING_DECISION
        assert (outcome.level, outcome.possible, outcome.flags) == (None, ("excellent", "good"), ("members_excellent",))
    assert result.reconciles()


def test_kinds_reading_each_other_are_a_cycle(write_framework) -> None:  # type: ignore[no-untyped-def]
    text = FRAMEWORK.read_text(encoding="utf-8").replace(
        '    label: {vi: "Đảng viên", en: Member}\n',
        '    label: {vi: "Đảng viên", en: Member}\n'
        '    relations:\n      cells: {kinds: [cell], from: unit, label: {vi: "Chi bộ", en: Cells}}\n',
    )
    issues = api.check_file(write_framework(text))
    assert [i.code for i in issues] == ["reference-cycle"]
    assert "member → cell → member" in issues[0].message or "cell → member → cell" in issues[0].message


def test_rejected_rows_are_reported_and_their_cell_is_not_classified_on_partial_data() -> None:
    bad = member("M2", targets_met=12)  # more targets met than assigned
    result = run([member("M1"), bad, {"id": "M3", "unit": "C9", "kind": "member", "evidence": {}}, cell()])
    reasons = {(r.subject_id, r.column) for r in result.rejections}
    assert reasons == {("M2", "targets_met"), ("M3", "unit")}
    assert result.result("CB-C1").outcome.status is Status.INSUFFICIENT_EVIDENCE
    assert result.reconciles()


# --- properties ------------------------------------------------------------------------------------------------

grades = st.sampled_from(["Xuất sắc", "Xuất sắc", "Tốt", "Tốt", "Tốt", "Trung bình", "Kém"])


@st.composite
def populations(draw: st.DrawFn) -> list[dict]:
    subjects = []
    for unit in ("C1", "C2"):
        for i in range(draw(st.integers(0, 12))):
            subjects.append(member(f"{unit}-{i:02}", unit, draw(grades), draw(st.integers(0, 3))))
        subjects.append(cell(unit))
        subjects.append(head(unit, draw(grades)))
    return subjects


@settings(max_examples=60, deadline=None)
@given(populations(), st.randoms(use_true_random=False))
def test_population_laws(subjects: list[dict], rnd: random.Random) -> None:
    result = run(subjects)
    # Every input row is accounted for.
    assert result.reconciles() and len(result.results) == len(subjects)
    # After quota resolution no group exceeds its quota.
    for group in result.quota_groups:
        final = [level(result, i) for i in group.candidates]
        assert final.count("excellent") <= max(group.allowed, 0) or group.status == "decided"
        if group.status == "flagged":  # over the allowance: every candidate awaits the decision
            assert all(result.result(i).outcome.status is Status.AWAITING_DECISION for i in group.candidates)
    # No head is above the collective they head.
    rank = {v.id: PROGRAM.levels.rank(v.id) for v in PROGRAM.levels.values}
    for unit in ("C1", "C2"):
        head_level, cell_level = level(result, f"H-{unit}"), level(result, f"CB-{unit}")
        if head_level is not None and cell_level is not None:
            assert rank[head_level] <= rank[cell_level]
    # Shuffling the input rows changes no result.
    shuffled = list(subjects)
    rnd.shuffle(shuffled)
    again = run(shuffled)
    assert {r.subject_id: r.trace for r in again.results} == {r.subject_id: r.trace for r in result.results}
