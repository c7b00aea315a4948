"""Linked results and runs of several frameworks: a field reads another result of the same person, the order is
derived across frameworks, and each kind is classified under the file in force for it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from paths import FIXTURES, ROOT
from xeploai import api
from xeploai.cli import app as cli
from xeploai.evaluation import population, runs
from xeploai.evaluation.links import DIFFERS_FLAG
from xeploai.evaluation.trace import NodeKind, Result, Status, Truth
from xeploai.framework import selection
from xeploai.program import ir

LINKED = FIXTURES / "linked"
PARTY = api.load_framework(LINKED / "party" / "2020-01-01.yaml")
STATE = api.load_framework(LINKED / "state" / "2020-01-01.yaml")
PERIOD = api.parse_period(2020)
UNITS = [{"id": "C", "parent": None, "kind": "cell", "name": "Chi bộ"}]


def row(subject_id: str, kind: str, person: str, **evidence: object) -> dict[str, object]:
    return {"id": subject_id, "unit": "C", "kind": kind, "person": person, "evidence": evidence}


def run(*subjects: dict[str, object], programs: tuple[ir.Program, ...] = (PARTY, STATE)) -> runs.RunResult:
    data = population.from_document({"units": UNITS, "subjects": list(subjects)}, "dân.yaml")
    return runs.evaluate_run(list(programs), data, PERIOD)


def result(outcome: runs.RunResult, subject_id: str) -> Result:
    return next(r for r in outcome.results if r.subject_id == subject_id)


def link(r: Result) -> dict[str, object]:
    (node,) = [n for n in r.trace.children if n.kind is NodeKind.LINK]
    return {"truth": node.truth, "cite": node.cite, **dict(node.details)}


def test_the_party_member_reads_the_state_result_mapped_and_cited_as_computed_in_this_run() -> None:
    outcome = run(row("M1", "party_member", "P1", cell_work="Xuất sắc"), row("CS1", "civil_servant", "P1", work="TB"))
    member = result(outcome, "M1")
    assert result(outcome, "CS1").outcome.level == "limited_capacity"
    # limited_capacity is mapped to completed, and the cap "not above the State result" decides.
    assert (member.outcome.level, member.outcome.reasons) == ("completed", ("not_above_state",))
    seen = link(member)
    assert seen["origin"] == "computed" and seen["truth"] is Truth.MET
    assert (seen["subject"], seen["kind"], seen["family"], seen["level"]) == (
        "CS1",
        "civil_servant",
        "state",
        "HTNVHCNL",
    )
    assert str(seen["source"]).endswith("state/2020-01-01.yaml")
    assert seen["cite"] == ir.Citation("QD", "Điều 3 khoản 4")
    assert outcome.reconciles()


def test_without_a_computed_result_the_given_value_is_used_and_the_trace_says_so() -> None:
    outcome = run(row("M1", "party_member", "P1", cell_work="Xuất sắc", state_level="HTT"))
    member = result(outcome, "M1")
    assert (member.outcome.level, member.outcome.reasons) == ("good", ("not_above_state",))
    seen = link(member)
    assert (seen["origin"], seen["given"], seen["where"]) == ("given", "good", "dân.yaml:1, state_level")


def test_a_computed_result_wins_over_a_different_given_one_and_is_flagged() -> None:
    outcome = run(
        row("M1", "party_member", "P1", cell_work="Xuất sắc", state_level="HTXS"),
        row("CS1", "civil_servant", "P1", work="Tốt"),
    )
    member = result(outcome, "M1")
    assert (member.outcome.level, member.outcome.reasons) == ("good", ("not_above_state",))
    assert DIFFERS_FLAG in member.outcome.flags
    assert link(member)["given"] == "excellent"


def test_an_undetermined_linked_result_leaves_the_field_unknown_whatever_was_given() -> None:
    outcome = run(
        row("M1", "party_member", "P1", cell_work="Xuất sắc", state_level="HT"),
        row("CS1", "civil_servant", "P1"),
    )
    assert result(outcome, "CS1").outcome.status is Status.INSUFFICIENT_EVIDENCE
    member = result(outcome, "M1")
    seen = link(member)
    assert seen["truth"] is Truth.UNKNOWN and seen["status"] == "insufficient_evidence"
    # The given HT is not used: the cap reads known(state_level), which is false, so the cell's XS stands.
    assert (member.outcome.level, member.outcome.reasons) == ("excellent", ())  # no cap among the reasons


def test_two_results_a_field_could_read_make_the_reader_insufficient_naming_both() -> None:
    outcome = run(
        row("M1", "party_member", "P1", cell_work="Tốt"),
        row("CS1", "civil_servant", "P1", work="Tốt"),
        row("PE1", "public_employee", "P1", work="Tốt"),
    )
    member = result(outcome, "M1")
    assert member.outcome.status is Status.INSUFFICIENT_EVIDENCE and member.outcome.missing == ("state_level",)
    (issue,) = outcome.link_issues
    assert (issue.subject_id, issue.field, issue.others) == ("M1", "state_level", ("CS1", "PE1"))


def test_a_level_the_map_does_not_cover_and_the_field_cannot_hold_is_unknown_with_an_issue() -> None:
    field = PARTY.subjects["party_member"].field_def("state_level")
    assert field is not None and field.link is not None
    unmapped = dataclasses.replace(field, link=dataclasses.replace(field.link, mapping=()))
    subject = PARTY.subjects["party_member"]
    fields = tuple(unmapped if f.id == "state_level" else f for f in subject.fields)
    party = dataclasses.replace(
        PARTY, subjects={**PARTY.subjects, "party_member": dataclasses.replace(subject, fields=fields)}
    )
    outcome = run(
        row("M1", "party_member", "P1", cell_work="Tốt"),
        row("CS1", "civil_servant", "P1", work="TB"),
        programs=(party, STATE),
    )
    seen = link(result(outcome, "M1"))
    assert seen["truth"] is Truth.UNKNOWN
    (issue,) = outcome.link_issues
    assert "HTNVHCNL" in issue.reason.en


def test_the_order_is_derived_across_frameworks_and_within_one() -> None:
    assert [p.info.family for p in runs.program_order([PARTY, STATE])] == ["state", "party"]
    assert [s.kinds for s in population.strata(PARTY)] == [("party_member",), ("leader",)]
    outcome = run(row("L1", "leader", "P1", own_work="Xuất sắc"), row("M1", "party_member", "P1", cell_work="Tốt"))
    leader = result(outcome, "L1")
    assert (leader.outcome.level, link(leader)["subject"]) == ("good", "M1")


def test_frameworks_reading_each_other_are_an_order_error_naming_the_kinds() -> None:
    field = PARTY.subjects["leader"].field_def("member_level")
    assert field is not None and field.link is not None
    back = dataclasses.replace(field, id="party_level", link=dataclasses.replace(field.link, kinds=("leader",)))
    servant = STATE.subjects["civil_servant"]
    state = dataclasses.replace(
        STATE,
        subjects={**STATE.subjects, "civil_servant": dataclasses.replace(servant, fields=(*servant.fields, back))},
    )
    with pytest.raises(population.OrderError, match="civil_servant → leader"):
        runs.program_order([PARTY, state])


def test_a_kind_declared_by_two_frameworks_of_a_run_is_a_usage_error() -> None:
    with pytest.raises(runs.RunError, match="party_member"):
        run(programs=(PARTY, PARTY.__class__(**{f.name: getattr(PARTY, f.name) for f in dataclasses.fields(PARTY)})))


def test_a_row_of_a_kind_no_framework_declares_is_rejected_with_a_did_you_mean() -> None:
    outcome = run(row("X", "civil_servent", "P1"), row("M1", "party_member", "P1", cell_work="Tốt"))
    (rejection,) = outcome.rejections
    assert (rejection.row, rejection.column, rejection.value) == (1, "kind", "civil_servent")
    assert "civil_servant" in rejection.reason and outcome.reconciles()


def test_every_result_of_a_person_is_listed_with_its_framework() -> None:
    outcome = run(
        row("M1", "party_member", "P1", cell_work="Tốt"),
        row("CS1", "civil_servant", "P1", work="Tốt"),
        row("L1", "leader", "P1", own_work="Tốt"),
        row("M2", "party_member", "P2", cell_work="Tốt"),
    )
    mine = outcome.person_results("P1")
    assert [(r.subject_id, r.framework_family) for r in mine] == [("CS1", "state"), ("M1", "party"), ("L1", "party")]


def test_a_linked_kind_no_framework_of_the_run_declares_is_reported() -> None:
    assert runs.unknown_link_kinds([PARTY]) == (
        (PARTY.info.source, "party_member.state_level", "civil_servant"),
        (PARTY.info.source, "party_member.state_level", "public_employee"),
    )


# --- the checker -----------------------------------------------------------------------------------------------


def test_the_checker_wants_a_cited_link_not_read_from_its_own_kind_and_map_targets_of_the_field() -> None:
    text = (LINKED / "party" / "2020-01-01.yaml").read_text(encoding="utf-8")
    broken = text.replace("kinds: [party_member]\n", "kinds: [party_member, leader]\n          map: {good: fine}\n")
    broken = broken.replace(
        '          cite: {doc: QD, at: "Điều 3 khoản 4"}\n          confidence: assumed\n    rules:\n      own',
        "          confidence: assumed\n    rules:\n      own",
    )
    codes = sorted(i.code for i in api.check_text(broken, str(LINKED / "party" / "2020-01-01.yaml")))
    assert codes == ["missing-citation", "reference-cycle", "unknown-declaration"]


# --- the version per kind --------------------------------------------------------------------------------------


def test_for_2026_each_kind_resolves_the_file_in_force_for_it_across_families() -> None:
    kinds = ["civil_servant", "public_employee", "cadre", "party_member"]
    chosen = selection.select_kinds(ROOT / "frameworks", api.parse_period(2026), kinds)
    names = {k: f"{p.parent.name}/{p.stem}" for k, p in chosen.chosen.items()}
    assert names == {
        "civil_servant": "civil-service/2026-01-01",
        "public_employee": "civil-service/2023-09-15",
        "cadre": "civil-service/2023-09-15",
        "party_member": "party/2025-08-30",
    }
    assert len(chosen.programs) == 3  # only the files chosen are compiled
    assert "civil-service/2026-01-01 does not declare it" in chosen.reasons["public_employee"].en


def test_a_file_named_for_a_period_it_is_not_in_force_for_is_a_usage_error_unless_what_if(tmp_path: Path) -> None:
    future = ROOT / "frameworks" / "civil-service" / "2026-01-01.yaml"
    program = api.load_framework(future)
    reason = selection.out_of_force(future, program, api.parse_period(2020))
    assert reason is not None and "2026-01-01" in reason.en
    data = tmp_path / "dân.yaml"
    data.write_text("units: []\nsubjects: []\n", encoding="utf-8")
    argv = ["batch", str(future), str(data), "--period", "2020", "--out", str(tmp_path / "out"), "--quiet"]
    assert cli.main(argv) == 2
    assert cli.main([*argv, "--what-if"]) == 3  # past the check: an empty population is the only problem left


# --- the command line ------------------------------------------------------------------------------------------


def test_batch_over_a_folder_of_families_classifies_every_kind_and_accounts_for_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "dân.yaml"
    subjects = [
        row("M1", "party_member", "P1", cell_work="Xuất sắc"),
        row("CS1", "civil_servant", "P1", work="TB"),
        row("X", "civil_servent", "P2"),
    ]
    data.write_text(json.dumps({"units": UNITS, "subjects": subjects}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["batch", str(LINKED), str(data), "--period", "2020", "--out", str(out), "--lang", "en"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.index("1. state/2020-01-01") < printed.index("2. party/2020-01-01")
    assert "3 subject rows (people and collectives) = 2 classified" in printed
    assert "0 not decided by the rules + 1 rejected" in printed
    table = (out / "ket-qua.csv").read_text(encoding="utf-8-sig").splitlines()
    assert table[0].endswith("Mã cá nhân (person),Khung tiêu chí (framework)")
    assert any(line.startswith("M1,") and line.endswith(",P1,party/2020-01-01") for line in table)
    assert (out / "tong-hop-state-2020-01-01.csv").exists() and (out / "tong-hop-party-2020-01-01.csv").exists()


def test_explain_person_lists_every_result_with_the_linked_result_it_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "dân.yaml"
    subjects = [row("M1", "party_member", "P1", cell_work="Tốt"), row("CS1", "civil_servant", "P1", work="Tốt")]
    data.write_text(json.dumps({"units": UNITS, "subjects": subjects}, ensure_ascii=False), encoding="utf-8")
    argv = ["explain", str(LINKED), "--population", str(data), "--period", "2020", "--person", "P1", "--lang", "en"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "CS1 (civil_servant) — state/2020-01-01 (ND-test): HTTNV" in printed
    assert "state_level reads the result HTTNV of CS1 (civil_servant, state/ND-test), computed in this run" in printed


def test_the_columnar_engine_leaves_a_framework_with_linked_fields_to_the_interpreter_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("numpy")
    (tmp_path / "units.csv").write_text("id,parent,kind,name\nC,,cell,Chi bộ\n", encoding="utf-8")
    (tmp_path / "subjects.csv").write_text(
        "id,unit,kind,person,cell_work,state_level,own_work\n"
        "M1,C,party_member,P1,Xuất sắc,HTT,\nL1,C,leader,P1,,,Xuất sắc\n",
        encoding="utf-8",
    )
    tables = {}
    for engine in ("interpreter", "columnar"):
        out = tmp_path / engine
        argv = [
            "batch",
            str(LINKED / "party" / "2020-01-01.yaml"),
            str(tmp_path),
            "--period",
            "2020",
            "--out",
            str(out),
        ]
        assert cli.main([*argv, "--engine", engine, "--lang", "en"]) == 0
        tables[engine] = (out / "ket-qua.csv").read_text(encoding="utf-8-sig")
    assert "the interpreter classifies" in capsys.readouterr().err
    assert tables["columnar"] == tables["interpreter"]
    assert "L1,,leader,C,Chi bộ,classified,HTT,Good,Capped: Not above the member result,,P1" in tables["interpreter"]


def test_the_explanation_names_the_linked_result_its_file_and_clause_and_a_differing_given_value() -> None:
    from xeploai.explanation import explain

    outcome = run(
        row("M1", "party_member", "P1", cell_work="Xuất sắc", state_level="HTXS"),
        row("CS1", "civil_servant", "P1", work="Tốt"),
    )
    text = explain.to_text(result(outcome, "M1"), PARTY, "en")
    assert "reads the result HTTNV of CS1 (civil_servant), framework state ND-test" in text
    assert "computed in this run — QD (366-QĐ/TW), Điều 3 khoản 4" in text
    assert "differs from the value given in the table (excellent, dân.yaml:1, state_level)" in text
    assert "Quota exceeded" not in text
