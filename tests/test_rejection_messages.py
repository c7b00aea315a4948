"""Rejection reasons in Vietnamese and English: every rejected row, column and table says why in both languages,
the Vietnamese in NFC; the rejections table (bi-loai) and the batch notes are in the chosen language."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from paths import FIXTURES, GOOD
from test_tables import DOCUMENT, EXTRA_FIELDS, HEADER, QUOTA, UNITS, population_dir, write_csv
from xeploai import api
from xeploai.cli import app as cli
from xeploai.evaluation import bulk, population, report
from xeploai.evaluation.bulk_input import from_population_input
from xeploai.evaluation.population import PopulationInput, Rejection
from xeploai.program.ir import Program
from xeploai.tables.reader import read_population

POPULATION = FIXTURES / "population" / "2019-10-18.yaml"
PERIOD = api.parse_period(2020)


@pytest.fixture(scope="module")
def program() -> Program:
    return api.load_framework(GOOD)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Program:
    text = GOOD.read_text(encoding="utf-8")
    anchor = '      sick_leave_months: {type: number, default: 0, label: {vi: "Nghỉ ốm", en: Sick leave}}\n'
    path = tmp_path_factory.mktemp("rich") / "2019-10-18.yaml"
    path.write_text(text.replace(anchor, anchor + EXTRA_FIELDS) + QUOTA, encoding="utf-8")
    return api.load_framework(path)


# --- the corrupted inputs of tests/test_tables.py and tests/test_hostile.py, gathered ------------------------

BAD_ROWS = [
    HEADER,
    ["m1", "c1", "member", "An", "", "5", "4", "T"],
    ["", "c1", "member", "No id", "", "", "", ""],
    ["m1", "c2", "member", "Twice", "", "", "", ""],
    ["m4", "c1", "membr", "Typo", "", "", "", ""],
    ["m5", "c11", "member", "Nowhere", "", "", "", ""],
    ["m6", "", "", "Nothing", "", "", "", ""],
    ["m7", "c1", "member", "Shifted", "", "", "", "", "T"],
    ["m8", "c1", "member", "Bad cells", "maybe", "1.000", "=A1", "Rất tốt"],
    ["m9", "c1", "member", "Out of range", "", "-3", "", ""],
    ["m10", "c1", "member", "Over", "", "3", "4", ""],
    ["m11", "c1", "member", "Half", "", "2.5", "", ""],
    ["m12", "c3", "member", "Rejected unit", "", "", "", ""],
]
BAD_UNITS = [
    ["id", "parent", "kind", "name", "head", ""],
    ["d1", "", "district", "Huyện A", "", ""],
    ["c1", "d1", "grassroots_cell", "Chi bộ 1", "m99", ""],
    ["c2", "d1", "grassroots_cell", "Chi bộ 2", "", "stray"],
    ["c1", "d1", "grassroots_cell", "Twice", "", ""],
    ["", "d1", "grassroots_cell", "No id", "", ""],
    ["c3", "d9", "grassroots_cell", "Orphan", "", ""],
    ["c4", "c5", "grassroots_cell", "Loop", "", ""],
    ["c5", "c4", "grassroots_cell", "Loop", "", ""],
    ["c6", "c3", "", "No kind", "", ""],
    ["c7", "c3", "grassroots_cell", "Under a rejected unit", "", ""],
]


def _rows_and_units(root: Path, program: Program, rich: Program) -> PopulationInput:
    return read_population(population_dir(root, BAD_ROWS, BAD_UNITS), program)


def _header_problems(root: Path, program: Program, rich: Program) -> PopulationInput:
    header = ["id", "unit", "kind", "", "targets_assigned", "Số chỉ tiêu được giao", "targt_met", "discipline", "Mã"]
    subjects = [header, ["m1", "c1", "member", "x", "2", "3", "1", "KT", "m1"]]
    population_dir(root, subjects, notes=[["a"]], discipline=[])
    (root / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    return read_population(root, program)


def _records(root: Path, program: Program, rich: Program) -> PopulationInput:
    subjects = [HEADER, ["m1", "c1", "member", "", "", "", "", ""], ["m2", "c1", "member", "", "", "", "", ""]]
    discipline = [
        ["subject", "form", "decided_on", "x"],
        ["m1", "KT", "2020-01-01", ""],
        ["m2", "phê bình", "2020-02-30", ""],
        ["m9", "KT", "2020-01-01", ""],
        ["", "KT", "2020-01-01", ""],
        ["d1", "KT", "31/12/2020 10:00", "y"],
    ]
    return read_population(population_dir(root, subjects, discipline=discipline), program)


def _cells(root: Path, program: Program, rich: Program) -> PopulationInput:
    header = ["id", "unit", "kind", "attendance", "joined_on", "sick_leave_months"]
    subjects = [
        header,
        ["m1", "c1", "member", "abc", "hôm qua", "1,5"],
        ["m2", "c1", "member", "50%", "31/02/2020", "7%"],
        ["m3", "c1", "member", "0.5", "45000", "x"],
    ]
    return read_population(population_dir(root, subjects), rich)


def _decisions(root: Path, program: Program, rich: Program) -> PopulationInput:
    subjects = [HEADER, ["m1", "c1", "member"], ["m2", "c1", "member"]]
    decisions = [
        ["quota", "group", "approved", "reference"],
        ["excellent_share", "c1", "m1; m2", "QĐ 12"],
        ["excellent_shar", "c2", "m1", "QĐ 13"],
        ["excellent_share", "c2", "m1 m7", "QĐ 14"],
        ["excellent_share", "c1", "m1", "QĐ 15"],
        ["", "c3", "m1", ""],
        ["excellent_share", "", "m1", "QĐ 16"],
    ]
    return read_population(population_dir(root, subjects, decisions=decisions), rich)


def _empty_tables(root: Path, program: Program, rich: Program) -> PopulationInput:
    write_csv(root / "units.csv", [["id", "parent"]])
    (root / "subjects.csv").write_bytes(b"")
    (root / "discipline.csv").write_bytes(b"")
    return read_population(root, program)


def _no_kind_column(root: Path, program: Program, rich: Program) -> PopulationInput:
    return read_population(population_dir(root, [["id", "unit"], ["m1", "c1"]], [UNITS[0]]), program)


def _document(root: Path, program: Program, rich: Program) -> PopulationInput:
    path = root / "pop.yaml"
    extra = "periods: 2020\nsubjects2: []\n"
    bad = (
        "  - {id: m8, unit: c1, kind: member, name: [a], evidence: 3}\n"
        "  - {id: m9, unit: c1, kind: member, evidence: {targets_assigned: 2, targets_met: 3}}\n"
    )
    path.write_text(DOCUMENT.replace("subjects:\n", "subjects:\n" + bad, 1) + extra, encoding="utf-8")
    return read_population(path, program)


def _empty_document(root: Path, program: Program, rich: Program) -> PopulationInput:
    path = root / "pop.yaml"
    path.write_text("units: []\nsubjects: []\n", encoding="utf-8")
    return read_population(path, program)


def _workbook(root: Path, program: Program, rich: Program) -> PopulationInput:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "units"
    for row in UNITS:
        book.active.append(row)
    sheet = book.create_sheet("subjects")
    for row in BAD_ROWS[:4]:
        sheet.append(row)
    book.create_sheet("notes").append(["a"])
    book.save(root / "pop.xlsx")
    return read_population(root / "pop.xlsx", program)


def _from_document(root: Path, program: Program, rich: Program) -> PopulationInput:
    units = [{"id": "c1", "parent": None, "kind": "grassroots_cell", "name": "C1"}]
    subjects = [
        {"id": "m1", "unit": "c1", "kind": "member", "evidence": {"targets_assigned": -1}},
        {"id": "m1", "unit": "c1", "kind": "member", "evidence": {}},
        {"id": "", "unit": "c1", "kind": "member", "evidence": {}},
        {"id": "m3", "unit": "c11", "kind": "member", "evidence": {}},
        {"id": "m4", "unit": "c1", "kind": "membr", "evidence": {}},
        {"id": "m5", "unit": "c1", "kind": "member", "evidence": "x"},
        {"id": "m6", "unit": "c1", "kind": "member", "evidence": {}},
        {"id": "m6", "unit": "c1", "kind": "member", "evidence": {}},
        "not a mapping",
    ]
    return population.from_document({"units": units, "subjects": subjects, "decisions": {}}, "doc")


CASES: dict[str, Callable[[Path, Program, Program], PopulationInput]] = {
    "rows and units": _rows_and_units,
    "header problems": _header_problems,
    "records": _records,
    "cells": _cells,
    "decisions": _decisions,
    "empty tables": _empty_tables,
    "no kind column": _no_kind_column,
    "document": _document,
    "empty document": _empty_document,
    "workbook": _workbook,
    "plain data": _from_document,
}


def _all_rejections(data: PopulationInput, program: Program) -> tuple[Rejection, ...]:
    """What reading gives, and what classifying adds (row problems and evidence of rows read as data)."""
    return population.evaluate_population(program, data, PERIOD).rejections


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_rejection_has_a_vietnamese_reason_in_nfc(
    case: str, tmp_path: Path, program: Program, rich: Program
) -> None:
    data = CASES[case](tmp_path, program, rich)
    used = rich if case in ("cells", "decisions") else program
    rejections = _all_rejections(data, used)
    assert rejections
    for r in rejections:
        assert r.reason_vi, r
        assert unicodedata.is_normalized("NFC", r.reason_vi), r
        assert r.reason_vi != r.reason, r
        assert r.reason_in("vi") == r.reason_vi and r.reason_in("en") == r.reason


# --- exact texts ---------------------------------------------------------------------------------------------


def _at(rejections: tuple[Rejection, ...], row: int, column: str) -> Rejection:
    (found,) = [r for r in rejections if r.row == row and r.column == column]
    return found


def test_an_unknown_unit_is_named_with_its_closest_unit_in_both_languages(
    tmp_path: Path, program: Program, rich: Program
) -> None:
    rejection = _at(_rows_and_units(tmp_path, program, rich).rejections, 6, "unit")
    assert rejection.reason == "the unit 'c11' is not among the units; did you mean 'c1'?"
    assert rejection.reason_vi == "đơn vị 'c11' không có trong danh sách đơn vị; có phải là 'c1'?"
    plain = _all_rejections(_from_document(tmp_path, program, rich), program)
    rejection = _at(plain, 4, "unit")
    assert rejection.reason == "the unit 'c11' is not in the units table"
    assert rejection.reason_vi == "đơn vị 'c11' không có trong bảng đơn vị"
    rejection = _at(plain, 5, "kind")
    assert rejection.reason == "'membr' is not a subject kind of the framework; did you mean 'member'?"
    assert rejection.reason_vi == "'membr' không phải loại đối tượng của khung; có phải là 'member'?"


def test_an_evidence_value_out_of_range_says_so_in_both_languages(
    tmp_path: Path, program: Program, rich: Program
) -> None:
    rejection = _at(_rows_and_units(tmp_path, program, rich).rejections, 10, "targets_assigned")
    assert rejection.reason == "targets_assigned = -3; expected a whole number ≥ 0 (count)"
    assert rejection.reason_vi == "targets_assigned = -3; cần một số nguyên ≥ 0 (số đếm)"
    # The population runner gives the evidence stage's message too, without its hint.
    rejection = _at(_all_rejections(_from_document(tmp_path, program, rich), program), 1, "targets_assigned")
    assert rejection.reason == "targets_assigned = -1; expected a whole number ≥ 0 (count)"
    assert rejection.reason_vi == "targets_assigned = -1; cần một số nguyên ≥ 0 (số đếm)"


def test_a_duplicate_id_names_the_first_row_in_both_languages(tmp_path: Path, program: Program, rich: Program) -> None:
    rejection = _at(_rows_and_units(tmp_path, program, rich).rejections, 4, "id")
    source = str(tmp_path / "subjects.csv")
    assert rejection.reason == f"duplicate subject id 'm1'; it is first used at {source} row 2"
    assert rejection.reason_vi == f"mã đối tượng 'm1' bị trùng; đã dùng lần đầu tại {source} dòng 2"
    rejection = _at(_all_rejections(_from_document(tmp_path, program, rich), program), 8, "id")
    assert rejection.reason == "the id 'm6' appears twice; the first row is kept"
    assert rejection.reason_vi == "mã 'm6' xuất hiện hai lần; giữ dòng đầu tiên"


def test_the_columnar_runner_gives_the_same_vietnamese_reasons(tmp_path: Path, program: Program, rich: Program) -> None:
    data = _from_document(tmp_path, program, rich)
    expected = population.evaluate_population(program, data, PERIOD)
    got = bulk.classify(program, from_population_input(program, data), PERIOD)
    assert got.rejections == expected.rejections
    assert [r.reason_in("vi") for r in got.rejections] == [r.reason_in("vi") for r in expected.rejections]


# --- reconciliation: only subject rows are rows read ---------------------------------------------------------


def test_rejected_decision_rows_are_not_counted_as_rejected_subject_rows(
    tmp_path: Path, program: Program, rich: Program
) -> None:
    data = _decisions(tmp_path, program, rich)
    rejected = {(r.source, r.row) for r in data.rejections if r.row is not None}
    assert len(rejected) == 5 and all(r.source.endswith("decisions.csv") for r in data.rejections)
    result = population.evaluate_population(rich, data, PERIOD)
    assert result.rows_read == 2 and len(result.results) == 2
    assert result.reconciles() and population.rejected_rows(result.rejections) == 0
    columns = bulk.classify(rich, from_population_input(rich, data), PERIOD)
    assert columns.reconciles() and columns.counts()["rejected"] == 0


def test_a_subject_rejected_for_its_records_counts_once(tmp_path: Path, program: Program, rich: Program) -> None:
    result = population.evaluate_population(program, _records(tmp_path, program, rich), PERIOD)
    assert result.rows_read == 2 and len(result.results) == 1
    assert population.rejected_rows(result.rejections) == 1 and result.reconciles()


def test_the_summary_counts_a_subject_row_with_several_problems_once(
    tmp_path: Path, program: Program, rich: Program
) -> None:
    result = population.evaluate_population(program, _rows_and_units(tmp_path, program, rich), PERIOD)
    assert len([r for r in result.rejections if r.row == 9 and r.subject_row]) == 4  # one row, four bad cells
    rows = {row["unit"]: row for row in report.summary_rows(result)}
    # c1: rows 3, 5, 8, 9, 10, 11 and 12 are rejected; m1 (row 2) is its one member with a result.
    assert (rows["c1"]["rejected"], rows["c1"]["members"]) == (7, 8)
    assert result.reconciles() and population.rejected_rows(result.rejections) == 11


# --- what users read: the rejections table and the batch notes ------------------------------------------------

BATCH_UNITS = "id,parent,kind,name,head\nD,,district,Huyện ủy,\nC1,D,grassroots_cell,Chi bộ,\n"
BATCH_SUBJECTS = (
    "id,unit,kind,name,targets_assigned,targets_met,task_results,ghi_chu\n"
    "M1,C1,member,An,10,9,Tốt,\n"
    "M1,C1,member,Twice,10,9,Tốt,\n"
    "M2,C11,member,Bình,10,9,Tốt,\n"
    "M3,C1,member,Cúc,-3,0,Tốt,\n"
)


def _batch(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[list[list[str]], str, str]:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "units.csv").write_text(BATCH_UNITS, encoding="utf-8")
    (data / "subjects.csv").write_text(BATCH_SUBJECTS, encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(out), "--quiet", *extra])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    with open(out / "bi-loai.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    return rows, stdout, stderr


def test_the_rejections_table_and_the_notes_are_in_vietnamese_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, stdout, stderr = _batch(tmp_path, capsys)
    assert rows[0][-1] == "Lý do (reason)"
    reasons = [r[-1] for r in rows[1:]]
    source = str(tmp_path / "data" / "subjects.csv")
    assert f"mã đối tượng 'M1' bị trùng; đã dùng lần đầu tại {source} dòng 2" in reasons
    assert "đơn vị 'C11' không có trong danh sách đơn vị; có phải là 'C1'?" in reasons
    assert "targets_assigned = -3; cần một số nguyên ≥ 0 (số đếm)" in reasons
    assert all(unicodedata.is_normalized("NFC", r) for r in reasons)
    assert "Ghi chú: " in stderr and "[ghi_chu]: cột không xác định, bỏ qua" in stderr
    assert "+ 3 bị loại" in stdout and "không khớp" not in stdout


def test_the_rejections_table_and_the_notes_are_in_english_with_lang_en(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, stdout, stderr = _batch(tmp_path, capsys, "--lang", "en")
    reasons = [r[-1] for r in rows[1:]]
    source = str(tmp_path / "data" / "subjects.csv")
    assert f"duplicate subject id 'M1'; it is first used at {source} row 2" in reasons
    assert "the unit 'C11' is not among the units; did you mean 'C1'?" in reasons
    assert "targets_assigned = -3; expected a whole number ≥ 0 (count)" in reasons
    assert "Note: " in stderr and "[ghi_chu]: unknown column, ignored" in stderr
    assert "+ 3 rejected" in stdout and "do not reconcile" not in stdout


# --- family folders --------------------------------------------------------------------------------------------


def test_batch_and_readings_accept_a_family_folder_and_say_which_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, stderr = _batch(tmp_path, capsys, "--lang", "en")
    assert "Framework chosen" not in stderr  # a file is used as given
    data = tmp_path / "data"
    family = FIXTURES / "population"
    code = cli.main(["batch", str(family), str(data), "--period", "2020", "--out", str(tmp_path / "o"), "--quiet"])
    _, stderr = capsys.readouterr()
    assert code == 0 and "Chọn khung tiêu chí: 2019-10-18.yaml" in stderr
    process = FIXTURES / "process"
    argv = ["readings", str(process / "party"), str(process / "population" / "population.yaml"), "--period", "2025"]
    code = cli.main([*argv, "--process", str(process / "inputs"), "--lang", "en"])
    out, stderr = capsys.readouterr()
    assert code == 0 and "Framework chosen: 2025-08-30.yaml" in stderr and "quota_rounding = half_up: 1" in out
