"""Tests of population tables: CSV directories, XLSX workbooks and YAML/JSON documents → PopulationInput, and
the writers of result tables (CSV with BOM, XLSX, formula neutralisation)."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from paths import GOOD
from xeploai.api import load_framework
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.population import PopulationInput, Rejection
from xeploai.program.ir import EnumValue, Program
from xeploai.tables.files import TableError
from xeploai.tables.reader import read_population
from xeploai.tables.templates import template
from xeploai.tables.writers import write_rejections, write_table

openpyxl = pytest.importorskip("openpyxl")

UNITS = [
    ["id", "parent", "kind", "name", "head"],
    ["d1", "", "district", "Huyện A", ""],
    ["c1", "d1", "grassroots_cell", "Chi bộ 1", "m1"],
    ["c2", "d1", "grassroots_cell", "Chi bộ 2", ""],
]
HEADER = ["id", "unit", "kind", "name", "exempted", "targets_assigned", "targets_met", "task_results"]

# Fields the fixture lacks, for the coercions of ratio, date and text, and a quota for committee decisions.
EXTRA_FIELDS = """\
      attendance: {type: ratio, required: false, label: {vi: "Tỷ lệ dự họp", en: "Attendance"}}
      joined_on: {type: date, required: false, label: {vi: "Ngày vào Đảng", en: "Admission date"}}
      remarks: {type: text, required: false, label: {vi: "Ghi chú", en: "Remarks"}}
"""
QUOTA = """\
quotas:
  excellent_share:
    kinds: [member]
    level: excellent
    group_by: {unit_kind: [grassroots_cell]}
    limit: {ratio: 20%, of_level: good, rounding: floor}
    when_exceeded: flag
    demote_to: good
    label: {vi: "Tỷ lệ hoàn thành xuất sắc", en: "Share of excellent"}
    cite: {doc: HD21, at: "x"}
    confidence: secondary
"""


@pytest.fixture(scope="module")
def program() -> Program:
    return load_framework(GOOD)


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Program:
    text = GOOD.read_text(encoding="utf-8")
    anchor = '      sick_leave_months: {type: number, default: 0, label: {vi: "Nghỉ ốm", en: Sick leave}}\n'
    assert anchor in text
    path = tmp_path_factory.mktemp("rich") / "2019-10-18.yaml"
    path.write_text(text.replace(anchor, anchor + EXTRA_FIELDS) + QUOTA, encoding="utf-8")
    return load_framework(path)


def write_csv(path: Path, rows: Sequence[Sequence[object]], delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file, delimiter=delimiter).writerows(rows)
    return path


def population_dir(
    root: Path,
    subjects: Sequence[Sequence[object]],
    units: Sequence[Sequence[object]] = UNITS,
    **tables: Sequence[Sequence[object]],
) -> Path:
    write_csv(root / "units.csv", units)
    write_csv(root / "subjects.csv", subjects)
    for name, rows in tables.items():
        write_csv(root / f"{name}.csv", rows)
    return root


def rows_of(population: PopulationInput, source_end: str) -> list[Rejection]:
    """The rejections of data rows (not table-level notes) from sources ending in ``source_end``."""
    return [r for r in population.rejections if r.row is not None and r.source.endswith(source_end)]


def assert_reconciles(population: PopulationInput, subjects_source: str = "subjects.csv") -> None:
    rejected = {r.row for r in rows_of(population, subjects_source)}
    assert population.rows_read == len(population.subjects) + len(rejected)


def only(rejections: Sequence[Rejection], column: str | None) -> Rejection:
    found = [r for r in rejections if r.column == column]
    assert len(found) == 1, found
    return found[0]


# --- column mapping ----------------------------------------------------------------------------------------


def test_columns_map_by_field_id_and_by_vietnamese_or_english_label(tmp_path: Path, program: Program) -> None:
    header = ["ID", " Unit ", "kind", "name", "Miễn", "TARGETS", "đạt", "  Kết   quả "]
    root = population_dir(tmp_path, [header, ["m1", "c1", "member", "An", "không", "5", "4", "Tốt"]])
    population = read_population(root, program)
    assert population.rejections == ()
    (row,) = population.subjects
    assert row.evidence == {
        "exempted": False,
        "targets_assigned": 5,
        "targets_met": 4,
        "task_results": "Tốt",
    }
    assert row.columns["targets_assigned"] == "TARGETS"
    assert row.columns["task_results"] == "  Kết   quả "


def test_a_header_in_decomposed_unicode_maps_like_its_nfc_form(tmp_path: Path, program: Program) -> None:
    header = [*HEADER[:7], unicodedata.normalize("NFD", "Kết quả")]
    root = population_dir(tmp_path, [header, ["m1", "c1", "member", "An", "", "5", "4", "T"]])
    (row,) = read_population(root, program).subjects
    assert row.evidence["task_results"] == "T"


def test_an_unknown_column_is_reported_once_and_rejects_no_row(tmp_path: Path, program: Program) -> None:
    rows = [[*HEADER, "targets_mett"], *([f"m{i}", "c1", "member", "", "", "5", "4", "T", "9"] for i in range(3))]
    population = read_population(population_dir(tmp_path, rows), program)
    assert len(population.subjects) == 3
    (note,) = population.rejections
    assert (note.row, note.column, note.value) == (None, "targets_mett", None)
    assert "unknown column" in note.reason and "did you mean 'targets_met'?" in note.reason


def test_a_records_field_column_in_the_subjects_table_is_ignored_with_a_note(tmp_path: Path, program: Program) -> None:
    rows = [[*HEADER, "discipline"], ["m1", "c1", "member", "", "", "5", "4", "T", "KT"]]
    population = read_population(population_dir(tmp_path, rows), program)
    (note,) = population.rejections
    assert note.row is None and note.column == "discipline" and "its own table" in note.reason
    assert "discipline" not in population.subjects[0].evidence


def test_a_missing_required_column_is_noted_once(tmp_path: Path, program: Program) -> None:
    rows = [HEADER[:7], ["m1", "c1", "member", "", "", "5", "4"], ["m2", "c1", "member", "", "", "5", "4"]]
    population = read_population(population_dir(tmp_path, rows), program)
    assert len(population.subjects) == 2
    (note,) = population.rejections
    assert note.row is None and note.column == "task_results" and "unknown for every such subject" in note.reason


# --- cell coercion -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("có", True),
        ("Có", True),
        ("co", True),
        ("x", True),
        ("X", True),
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("đúng", True),
        ("Dung", True),
        ("không", False),
        ("KHONG", False),
        ("false", False),
        ("0", False),
        ("no", False),
        ("sai", False),
    ],
)
def test_yes_no_words_become_booleans(tmp_path: Path, program: Program, text: str, value: bool) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", text, "", "", ""]])
    (row,) = read_population(root, program).subjects
    assert row.evidence == {"exempted": value}


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("3.0", 3), ("3,0", 3), (" 7 ", 7), ("+2", 2)])
def test_counts_accept_whole_numbers_written_with_a_zero_fraction(
    tmp_path: Path, program: Program, text: str, value: int
) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", "", "9", text, ""]])
    (row,) = read_population(root, program).subjects
    assert row.evidence["targets_met"] == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ba", "is not a whole number"),
        ("2.5", "expected a whole number ≥ 0 (count)"),
        ("-1", "expected a whole number ≥ 0 (count)"),
        ("1.000", "ambiguous"),
        ("=A1+1", "formulas are not evaluated"),
    ],
)
def test_a_bad_count_rejects_the_row_naming_its_cell(
    tmp_path: Path, program: Program, text: str, expected: str
) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", "", text, "", ""]])
    population = read_population(root, program)
    assert population.subjects == ()
    rejection = only(rows_of(population, "subjects.csv"), "targets_assigned")
    assert (rejection.row, rejection.value, rejection.subject_id) == (2, text, "m1")
    assert expected in rejection.reason
    assert_reconciles(population)


@pytest.mark.parametrize(("text", "value"), [("1.5", Fraction(3, 2)), ("1,5", Fraction(3, 2)), ("4", Fraction(4))])
def test_numbers_take_a_decimal_point_or_comma(tmp_path: Path, program: Program, text: str, value: Fraction) -> None:
    root = population_dir(tmp_path, [[*HEADER, "Nghỉ ốm"], ["m1", "c1", "member", "", "", "", "", "", text]])
    (row,) = read_population(root, program).subjects
    typed = validate_evidence(program, "member", row.evidence)
    assert typed.values["sick_leave_months"] == value


def test_a_percentage_is_a_ratio_and_only_a_ratio(tmp_path: Path, rich: Program) -> None:
    rows = [
        [*HEADER, "attendance", "sick_leave_months"],
        ["m1", "c1", "member", "", "", "", "", "", "75%", ""],
        ["m2", "c1", "member", "", "", "", "", "", "0,5", ""],
        ["m3", "c1", "member", "", "", "", "", "", "", "50%"],
        ["m4", "c1", "member", "", "", "", "", "", "150%", ""],
    ]
    population = read_population(population_dir(tmp_path, rows), rich)
    first, second = population.subjects
    assert validate_evidence(rich, "member", first.evidence).values["attendance"] == Fraction(3, 4)
    assert validate_evidence(rich, "member", second.evidence).values["attendance"] == Fraction(1, 2)
    rejected = rows_of(population, "subjects.csv")
    assert [(r.row, r.column, r.value) for r in rejected] == [
        (4, "sick_leave_months", "50%"),
        (5, "attendance", "150%"),
    ]
    assert "only a ratio field" in rejected[0].reason
    assert "from 0 to 1" in rejected[1].reason


@pytest.mark.parametrize(("text", "value"), [("2020-03-15", date(2020, 3, 15)), ("15/03/2020", date(2020, 3, 15))])
def test_dates_are_iso_or_day_month_year(tmp_path: Path, rich: Program, text: str, value: date) -> None:
    root = population_dir(tmp_path, [[*HEADER, "joined_on"], ["m1", "c1", "member", "", "", "", "", "", text]])
    (row,) = read_population(root, rich).subjects
    assert row.evidence["joined_on"] == value


@pytest.mark.parametrize("text", ["31/02/2020", "03/15/2020", "2020/03/15", "hôm qua"])
def test_a_bad_date_rejects_the_row(tmp_path: Path, rich: Program, text: str) -> None:
    root = population_dir(tmp_path, [[*HEADER, "joined_on"], ["m1", "c1", "member", "", "", "", "", "", text]])
    population = read_population(root, rich)
    rejection = only(rows_of(population, "subjects.csv"), "joined_on")
    assert rejection.value == text and "date" in rejection.reason
    assert population.subjects == ()


def test_text_is_kept_as_written_and_choices_are_left_for_the_evidence_stage(tmp_path: Path, rich: Program) -> None:
    header = [*HEADER, "remarks"]
    rows = [header, ["m1", "c1", "member", "", "", "", "", "xuất sắc", '=HYPERLINK("http://x")']]
    (row,) = read_population(population_dir(tmp_path, rows), rich).subjects
    assert row.evidence == {"task_results": "xuất sắc", "remarks": '=HYPERLINK("http://x")'}


def test_an_unknown_grade_is_rejected_with_the_evidence_stage_hint(tmp_path: Path, program: Program) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", "", "", "", "Trung binh"]])
    rejection = only(rows_of(read_population(root, program), "subjects.csv"), "task_results")
    assert rejection.value == "Trung binh"
    assert "is not a value of scale 'grade'" in rejection.reason and "did you mean 'Trung bình'?" in rejection.reason


def test_a_blank_cell_leaves_the_field_unknown_not_false_or_zero(tmp_path: Path, program: Program) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", "  ", "", "", ""]])
    (row,) = read_population(root, program).subjects
    assert row.evidence == {}
    typed = validate_evidence(program, "member", row.evidence)
    assert "targets_met" not in typed.values
    assert typed.origins["exempted"] == "default"


def test_every_bad_cell_of_a_row_is_reported_and_the_whole_row_is_rejected(tmp_path: Path, program: Program) -> None:
    rows = [HEADER, ["m1", "c1", "member", "An", "có lẽ", "5", "7", "Giỏi"], ["m2", "c1", "member", "", "", "", "", ""]]
    population = read_population(population_dir(tmp_path, rows), program)
    assert [s.id for s in population.subjects] == ["m2"]
    rejected = rows_of(population, "subjects.csv")
    assert {r.row for r in rejected} == {2}
    assert [(r.column, r.value) for r in rejected] == [
        ("exempted", "có lẽ"),
        ("task_results", "Giỏi"),
        ("targets_met", "7"),  # more than targets_assigned
    ]
    assert all(r.subject_id == "m1" and r.unit == "c1" and r.kind == "member" for r in rejected)
    assert "exceeds targets_assigned" in rejected[2].reason
    assert_reconciles(population)


# --- rejections of rows ------------------------------------------------------------------------------------


def test_identity_problems_reject_the_row_with_row_column_and_value(tmp_path: Path, program: Program) -> None:
    rows = [
        HEADER,
        ["m1", "c1", "member", "An", "", "", "", ""],
        ["", "c1", "member", "No id", "", "", "", ""],
        ["m1", "c2", "member", "Twice", "", "", "", ""],
        ["m4", "c1", "membr", "Typo", "", "", "", ""],
        ["m5", "c9", "member", "Nowhere", "", "", "", ""],
        ["m6", "", "", "Nothing", "", "", "", ""],
        ["m7", "c1", "Đảng viên", "By label", "", "", "", ""],
    ]
    population = read_population(population_dir(tmp_path, rows), program)
    assert [s.id for s in population.subjects] == ["m1", "m7"]
    assert population.subjects[1].kind == "member"
    found = {(r.row, r.column): r for r in rows_of(population, "subjects.csv")}
    assert set(found) == {(3, "id"), (4, "id"), (5, "kind"), (6, "unit"), (7, "unit"), (7, "kind")}
    assert found[3, "id"].value == "" and "missing subject id" in found[3, "id"].reason
    assert "duplicate subject id 'm1'" in found[4, "id"].reason and "row 2" in found[4, "id"].reason
    assert found[5, "kind"].value == "membr" and "did you mean 'member'?" in found[5, "kind"].reason
    assert found[6, "unit"].value == "c9" and "'c9' is not among the units" in found[6, "unit"].reason
    assert found[6, "unit"].unit is None  # an unknown unit is no unit a collective could read
    assert "missing unit" in found[7, "unit"].reason and "missing subject kind" in found[7, "kind"].reason
    assert_reconciles(population)


def test_subjects_keep_the_input_order_and_reading_is_deterministic(tmp_path: Path, program: Program) -> None:
    ids = ["m9", "m1", "m5", "m3"]
    rows = [HEADER, *([i, "c1", "member", "", "", "", "", ""] for i in ids)]
    root = population_dir(tmp_path, rows)
    first, second = read_population(root, program), read_population(root, program)
    assert [s.id for s in first.subjects] == ids
    assert first == second


def test_a_row_with_more_cells_than_the_header_is_rejected_as_shifted(tmp_path: Path, program: Program) -> None:
    rows = [HEADER, ["m1", "c1", "member", "Nguyễn", "Văn An", "", "5", "4", "T"]]
    population = read_population(population_dir(tmp_path, rows), program)
    rejection = only(rows_of(population, "subjects.csv"), None)
    assert rejection.row == 2 and "shifted" in rejection.reason
    assert population.subjects == ()


def test_semicolon_separated_csv_is_read(tmp_path: Path, program: Program) -> None:
    write_csv(tmp_path / "units.csv", UNITS, delimiter=";")
    write_csv(tmp_path / "subjects.csv", [HEADER, ["m1", "c1", "member", "An", "", "5", "4", "T"]], delimiter=";")
    (row,) = read_population(tmp_path, program).subjects
    assert row.evidence == {"targets_assigned": 5, "targets_met": 4, "task_results": "T"}


# --- units -------------------------------------------------------------------------------------------------


def test_unit_problems_reject_the_unit_and_the_units_and_subjects_under_it(tmp_path: Path, program: Program) -> None:
    units = [
        ["id", "parent", "kind", "name", "head"],
        ["d1", "", "district", "Huyện", ""],
        ["c1", "d1", "grassroots_cell", "Chi bộ 1", "m1"],
        ["c1", "d1", "grassroots_cell", "Chi bộ 1 again", ""],
        ["g1", "d9", "grassroots_committee", "Orphan", ""],
        ["c3", "g1", "grassroots_cell", "Under the orphan", ""],
        ["x1", "x2", "grassroots_cell", "Cycle 1", ""],
        ["x2", "x1", "grassroots_cell", "Cycle 2", ""],
        ["c5", "d1", "", "No kind", "nobody"],
    ]
    subjects = [HEADER, ["m1", "c1", "member", "", "", "", "", ""], ["m3", "c3", "member", "", "", "", "", ""]]
    population = read_population(population_dir(tmp_path, subjects, units), program)
    assert [u.id for u in population.units] == ["d1", "c1"]
    assert population.units[1].head == "m1"
    found = {(r.row, r.column): r for r in rows_of(population, "units.csv")}
    assert set(found) == {(4, "id"), (5, "parent"), (6, "parent"), (7, "parent"), (8, "parent"), (9, "kind")}
    assert "duplicate unit id 'c1'" in found[4, "id"].reason
    assert found[5, "parent"].value == "d9" and "'d9' is not among the units" in found[5, "parent"].reason
    assert "'g1' was rejected" in found[6, "parent"].reason
    assert "cycle: x1 → x2 → x1" in found[7, "parent"].reason and "cycle" in found[8, "parent"].reason
    (m3,) = rows_of(population, "subjects.csv")
    assert (m3.row, m3.column, m3.value) == (3, "unit", "c3") and "'c3' was rejected" in m3.reason
    assert [s.id for s in population.subjects] == ["m1"]
    assert_reconciles(population)


def test_a_head_who_is_no_subject_is_reported_and_dropped(tmp_path: Path, program: Program) -> None:
    units = [UNITS[0], ["c1", "", "grassroots_cell", "Chi bộ", "dv002"]]
    population = read_population(population_dir(tmp_path, [HEADER, ["dv001", "c1", "member"]], units), program)
    assert population.units[0].head is None
    rejection = only(rows_of(population, "units.csv"), "head")
    assert rejection.value == "dv002" and "did you mean 'dv001'?" in rejection.reason
    assert [s.id for s in population.subjects] == ["dv001"]


# --- records tables ----------------------------------------------------------------------------------------


def test_a_records_table_is_joined_to_its_subjects_in_order(tmp_path: Path, program: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member", "", "", "", "", ""], ["m2", "c1", "member", "", "", "", "", ""]]
    discipline = [
        ["subject", "Hình thức", "decided_on"],
        ["m1", "KT", "15/03/2020"],
        ["m1", "Cảnh cáo", "2020-06-01"],
    ]
    population = read_population(population_dir(tmp_path, subjects, discipline=discipline), program)
    assert population.rejections == ()
    m1, m2 = population.subjects
    assert m1.evidence["discipline"] == [
        {"form": "KT", "decided_on": date(2020, 3, 15)},
        {"form": "Cảnh cáo", "decided_on": date(2020, 6, 1)},
    ]
    assert m1.columns["discipline"].endswith("discipline.csv")
    assert m2.evidence["discipline"] == []  # the table lists every record: none for m2
    forms = validate_evidence(program, "member", m1.evidence).values["discipline"]
    assert isinstance(forms, tuple) and forms[1].values["form"] == EnumValue("warning", 1, "discipline_form")


def test_without_a_records_table_the_field_is_left_to_its_default(tmp_path: Path, program: Program) -> None:
    root = population_dir(tmp_path, [HEADER, ["m1", "c1", "member", "", "", "", "", ""]])
    (row,) = read_population(root, program).subjects
    assert "discipline" not in row.evidence


def test_a_bad_record_rejects_its_subject_pointing_at_the_records_row(tmp_path: Path, program: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member", "", "", "", "", ""], ["m2", "c1", "member", "", "", "", "", ""]]
    discipline = [
        ["subject", "form", "decided_on"],
        ["m1", "KT", "2020-01-01"],
        ["m2", "phê bình", "2020-02-30"],
        ["m9", "KT", "2020-01-01"],
        ["", "KT", "2020-01-01"],
    ]
    population = read_population(population_dir(tmp_path, subjects, discipline=discipline), program)
    assert [s.id for s in population.subjects] == ["m1"]
    in_records = rows_of(population, "discipline.csv")
    by_place = {(r.row, r.column): r for r in in_records}
    assert set(by_place) == {(3, "decided_on"), (3, "form"), (4, "subject"), (5, "subject")}
    assert by_place[3, "decided_on"].value == "2020-02-30" and by_place[3, "decided_on"].subject_id == "m2"
    assert by_place[3, "form"].value == "phê bình" and "enum 'discipline_form'" in by_place[3, "form"].reason
    assert "no subject 'm9'" in by_place[4, "subject"].reason
    assert "missing subject id" in by_place[5, "subject"].reason
    (summary,) = rows_of(population, "subjects.csv")
    assert (summary.row, summary.subject_id) == (3, "m2") and "discipline.csv row 3" in summary.reason
    assert_reconciles(population)


def test_a_header_only_records_table_means_no_records_and_says_so(tmp_path: Path, program: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member", "", "", "", "", ""]]
    population = read_population(population_dir(tmp_path, subjects, discipline=[["subject", "form"]]), program)
    (row,) = population.subjects
    assert row.evidence["discipline"] == []
    (note,) = population.rejections
    assert note.row is None and "no subject has any discipline record" in note.reason


# --- decisions ---------------------------------------------------------------------------------------------


def test_committee_decisions_are_read_and_checked(tmp_path: Path, rich: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member"], ["m2", "c1", "member"]]
    decisions = [
        ["quota", "group", "approved", "reference"],
        ["excellent_share", "c1", "m1; m2", "QĐ 12-QĐ/HU, 20/12/2020"],
        ["excellent_shar", "c2", "m1", "QĐ 13"],
        ["excellent_share", "c2", "m1 m7", "QĐ 14"],
        ["excellent_share", "c1", "m1", "QĐ 15"],
        ["excellent_share", "c2", "", ""],
    ]
    population = read_population(population_dir(tmp_path, subjects, decisions=decisions), rich)
    (decision,) = population.decisions
    assert (decision.quota, decision.group, decision.approved) == ("excellent_share", "c1", ("m1", "m2"))
    assert decision.reference == "QĐ 12-QĐ/HU, 20/12/2020" and decision.row == 2
    found = {(r.row, r.column): r for r in rows_of(population, "decisions.csv")}
    assert set(found) == {(3, "quota"), (4, "approved"), (5, "group"), (6, "reference")}
    assert "did you mean 'excellent_share'?" in found[3, "quota"].reason
    assert "m7" in found[4, "approved"].reason
    assert "already decided at" in found[5, "group"].reason


# --- empty tables and unreadable inputs --------------------------------------------------------------------


def test_an_empty_subjects_table_is_a_note_not_a_traceback(tmp_path: Path, program: Program) -> None:
    (tmp_path / "units.csv").write_text("id,parent,kind\nc1,,grassroots_cell\n", encoding="utf-8")
    (tmp_path / "subjects.csv").write_bytes(b"")
    population = read_population(tmp_path, program)
    assert (population.rows_read, population.subjects) == (0, ())
    (note,) = population.rejections
    assert note.row is None and "the subjects table is empty" in note.reason


def test_a_header_only_subjects_table_is_a_note(tmp_path: Path, program: Program) -> None:
    units = [UNITS[0], ["c1", "", "grassroots_cell", "Chi bộ", ""]]
    population = read_population(population_dir(tmp_path, [HEADER], units), program)
    assert population.rows_read == 0
    (note,) = population.rejections
    assert "has a header but no rows" in note.reason


def test_without_units_every_subject_is_rejected_and_counted(tmp_path: Path, program: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member"], ["m2", "c1", "member"]]
    population = read_population(population_dir(tmp_path, subjects, units=[["id", "parent", "kind"]]), program)
    assert population.subjects == ()
    assert any(r.row is None and "units table has a header but no rows" in r.reason for r in population.rejections)
    assert_reconciles(population)
    assert population.rows_read == 2


def test_a_table_without_the_kind_column_rejects_each_row_and_says_why_once(tmp_path: Path, program: Program) -> None:
    population = read_population(population_dir(tmp_path, [["id", "unit"], ["m1", "c1"], ["m2", "c1"]]), program)
    notes = [r for r in population.rejections if r.row is None]
    assert [(n.column, "no 'kind' column" in n.reason) for n in notes] == [("kind", True)]
    assert {r.row for r in rows_of(population, "subjects.csv")} == {2, 3}
    assert_reconciles(population)


def test_unreadable_inputs_raise_a_table_error_with_a_clear_message(tmp_path: Path, program: Program) -> None:
    with pytest.raises(TableError, match="no such file or directory"):
        read_population(tmp_path / "missing", program)
    (tmp_path / "b").mkdir()
    write_csv(tmp_path / "b" / "units.csv", UNITS)
    with pytest.raises(TableError, match=r"no subjects\.csv in the directory"):
        read_population(tmp_path / "b", program)
    (tmp_path / "b" / "subjects.csv").write_bytes(b"id,unit,kind,name\nm1,c1,member,Ng\xf4\n")  # saved as ANSI
    with pytest.raises(TableError, match=r"is not UTF-8 \(byte 0xf4 on line 2\); save it as 'CSV UTF-8'"):
        read_population(tmp_path / "b", program)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TableError, match=r"save the workbook as \.xlsx"):
        read_population(tmp_path / "old.xls", program)
    (tmp_path / "fake.xlsx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(TableError, match=r"cannot be read as an \.xlsx workbook"):
        read_population(tmp_path / "fake.xlsx", program)


def test_a_stray_csv_file_is_noted_with_a_did_you_mean(tmp_path: Path, program: Program) -> None:
    subjects = [HEADER, ["m1", "c1", "member"]]
    population = read_population(population_dir(tmp_path, subjects, dicipline=[["subject"]]), program)
    (note,) = population.rejections
    assert note.source.endswith("dicipline.csv") and "did you mean 'discipline.csv'?" in note.reason


# --- xlsx --------------------------------------------------------------------------------------------------


def test_an_xlsx_template_filled_in_reads_back(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "chi-bo.xlsx"
    template(program, ["member"], path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["subjects", "units", "discipline", "huong_dan"]
    header = [c.value for c in book["subjects"][1]]
    assert header == [
        "id",
        "unit",
        "kind",
        "name",
        "exempted",
        "targets_assigned",
        "targets_met",
        "task_results",
        "sick_leave_months",
    ]
    book["units"].append(["c1", None, "grassroots_cell", "Chi bộ 1", 101])
    subjects = book["subjects"]
    subjects.append([101, "c1", "member", "An", False, 5.0, 4, "Xuất sắc", 0.5])
    subjects.append(["m2", "c1", "member", "=cmd|'/c calc'!A1", 1, 5, "=2+3", "T", None])
    subjects.append(["m3", "c1", "member", "Chi", "x", 3, 3, "TB", datetime(2020, 1, 1)])
    book["discipline"].append([101, "Khiển trách", datetime(2020, 5, 1)])
    book.save(path)

    population = read_population(path, program)
    assert population.units[0].head == "101"
    (m1,) = population.subjects
    assert (m1.id, m1.name, m1.source) == ("101", "An", f"{path}[subjects]")
    assert m1.evidence == {
        "exempted": False,
        "targets_assigned": 5,
        "targets_met": 4,
        "task_results": "Xuất sắc",
        "sick_leave_months": 0.5,
        "discipline": [{"form": "Khiển trách", "decided_on": date(2020, 5, 1)}],
    }
    rejected = {r.row: r for r in rows_of(population, "[subjects]")}
    assert (rejected[3].column, rejected[3].value) == ("targets_met", "=2+3")  # a formula is text, never run
    assert "formulas are not evaluated" in rejected[3].reason
    assert (rejected[4].column, rejected[4].value) == ("sick_leave_months", datetime(2020, 1, 1))
    assert_reconciles(population, "[subjects]")


def test_the_template_guide_explains_every_column(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "mau.xlsx"
    template(program, ["member"], path)
    guide = list(openpyxl.load_workbook(path)["huong_dan"].iter_rows(values_only=True))
    header, rows = guide[0], {(r[0], r[1]): dict(zip(guide[0], r, strict=True)) for r in guide[1:]}
    assert header[:4] == ("Bảng (sheet)", "Cột (column)", "Tên tiếng Việt (Vietnamese label)", "English label")
    results = rows["subjects", "task_results"]
    assert results["Tên tiếng Việt (Vietnamese label)"] == "Kết quả"
    assert results["Kiểu (type)"] == "scale grade"
    assert "Xuất sắc (XS)" in str(results["Giá trị chấp nhận (accepted values)"])
    assert results["Đánh giá (judgement)"] == "có"
    assert rows["subjects", "targets_assigned"]["Bắt buộc (required)"] == "có"
    assert rows["subjects", "exempted"]["Bắt buộc (required)"] == "không"  # it has a default
    assert "≤ targets_assigned" in str(rows["subjects", "targets_met"]["Giá trị chấp nhận (accepted values)"])
    assert ("discipline", "decided_on") in rows and ("units", "parent") in rows


def test_each_template_header_carries_its_labels_as_a_comment(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "mau.xlsx"
    template(program, ["member"], path)
    book = openpyxl.load_workbook(path)
    for sheet in ("subjects", "units", "discipline"):
        for cell in book[sheet][1]:
            assert cell.comment is not None, f"{sheet}!{cell.coordinate} ({cell.value}) has no comment"
    comments = {c.value: c.comment.text for c in book["subjects"][1]}
    assert comments["targets_met"].splitlines()[0] == "Đạt"  # the Vietnamese label first, then the English one
    assert "Met" in comments["targets_met"]
    assert comments["name"].splitlines()[0] == "Họ và tên"
    assert {c.value: c.comment.text for c in book["units"][1]}["kind"].splitlines()[0] == "Loại đơn vị"
    assert {c.value: c.comment.text for c in book["discipline"][1]}["decided_on"].splitlines()[0] == "Ngày"


def test_the_template_offers_unit_kinds_in_a_drop_down(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "mau.xlsx"
    template(program, ["member"], path)
    units = openpyxl.load_workbook(path)["units"]
    kind_column = [c.value for c in units[1]].index("kind") + 1
    letter = openpyxl.utils.get_column_letter(kind_column)
    (validation,) = [v for v in units.data_validations.dataValidation if f"{letter}2" in v.sqref]
    assert validation.type == "list"
    options = validation.formula1.strip('"').split(",")
    assert {"grassroots_cell", "grassroots_committee"} <= set(options)
    assert not validation.showErrorMessage  # a kind the list does not offer stays allowed


def test_a_csv_template_is_the_subjects_header_with_a_bom(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "mau.csv"
    template(program, ["member"], path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").strip() == ",".join([*HEADER, "sick_leave_months"])


def test_a_template_for_an_unknown_kind_is_refused(tmp_path: Path, program: Program) -> None:
    with pytest.raises(TableError, match="did you mean 'member'"):
        template(program, ["membr"], tmp_path / "mau.xlsx")


def test_xlsx_without_openpyxl_says_how_to_install_it(
    tmp_path: Path, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # the import then fails as if it were not installed
    (tmp_path / "pop.xlsx").write_bytes(b"")
    with pytest.raises(TableError, match=r"pip install 'xeploai\[xlsx\]'"):
        read_population(tmp_path / "pop.xlsx", program)
    with pytest.raises(TableError, match=r"pip install 'xeploai\[xlsx\]'"):
        write_table([], [("a", "A")], tmp_path / "out.xlsx")


# --- documents ---------------------------------------------------------------------------------------------

DOCUMENT = """\
period: 2020
units:
  - {id: d1, kind: district, name: Huyện}
  - {id: c1, parent: d1, kind: grassroots_cell, name: Chi bộ 1, head: m1}
subjects:
  - id: m1
    unit: c1
    kind: member
    name: An
    evidence:
      targets_assigned: 5
      targets_met: 5
      task_results: Tốt
      discipline: [{form: KT, decided_on: 2020-03-01}]
  - id: m2
    unit: c1
    kind: member
    evidence: {task_results: Tot, discipline: [{form: XX, decided_on: 2020-03-01}]}
  - {id: m3, unit: c1, kind: member, evidnce: {}}
  - not a mapping
"""


def test_a_yaml_document_is_read_with_rejections_at_the_entry_line(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "pop.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    population = read_population(path, program)
    assert [u.id for u in population.units] == ["d1", "c1"]
    (m1,) = population.subjects
    assert m1.evidence["discipline"] == [{"form": "KT", "decided_on": date(2020, 3, 1)}]
    assert population.rows_read == 4
    found = {(r.row, r.column): r for r in population.rejections}
    assert set(found) == {
        (15, "evidence.task_results"),
        (15, "evidence.discipline[0].form"),
        (19, "evidnce"),
        (20, "subjects[3]"),
    }
    assert found[15, "evidence.discipline[0].form"].value == "XX"
    assert "did you mean 'evidence'?" in found[19, "evidnce"].reason
    assert population.rows_read == len(population.subjects) + len({row for row, _ in found})


def test_a_json_document_is_read_like_yaml(tmp_path: Path, program: Program) -> None:
    document = {
        "units": [{"id": "c1", "kind": "grassroots_cell"}],
        "subjects": [{"id": "m1", "unit": "c1", "kind": "member", "evidence": {"targets_assigned": 2}}],
        "decisions": [],
    }
    path = tmp_path / "pop.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    population = read_population(path, program)
    assert population.rejections == ()
    assert population.subjects[0].evidence == {"targets_assigned": 2}


def test_document_ids_are_the_text_as_written_so_0012_does_not_take_over_member_10(
    tmp_path: Path, program: Program
) -> None:
    path = tmp_path / "pop.yaml"
    path.write_text(
        "units:\n  - {id: 010, kind: grassroots_cell}\n"
        "subjects:\n"
        "  - {id: 0012, unit: 010, kind: member, name: No, evidence: {targets_assigned: 1}}\n"
        "  - {id: 10, unit: 010, kind: member, name: yes, evidence: {targets_assigned: 1}}\n"
        "  - {id: 1.50, unit: 010, kind: member, name: 12, evidence: {targets_assigned: 1}}\n",
        encoding="utf-8",
    )
    population = read_population(path, program)
    assert population.rejections == ()
    assert [(s.id, s.name, s.unit) for s in population.subjects] == [
        ("0012", "No", "010"),
        ("10", "yes", "010"),
        ("1.50", "12", "010"),
    ]
    assert [u.id for u in population.units] == ["010"]


# Evidence as a CSV cell and as a YAML document value: the two forms must give the same typed evidence.
SAME_IN_BOTH = [
    ("targets_assigned", "012", Fraction(12)),
    ("targets_met", "05", Fraction(5)),
    ("sick_leave_months", "2.99999999999999999999", Fraction("2.99999999999999999999")),
    ("sick_leave_months", "0.1", Fraction(1, 10)),
    ("sick_leave_months", "3", Fraction(3)),
    ("exempted", "true", True),
    ("exempted", "false", False),
]


@pytest.mark.parametrize(("field", "text", "typed"), SAME_IN_BOTH)
def test_csv_cells_and_yaml_documents_read_numbers_alike(
    tmp_path: Path, program: Program, field: str, text: str, typed: object
) -> None:
    folder = population_dir(tmp_path / "csv", [["id", "unit", "kind", field], ["m1", "c1", "member", text]])
    document = tmp_path / "pop.yaml"
    document.write_text(
        "units: [{id: c1, kind: grassroots_cell}]\n"
        f"subjects: [{{id: m1, unit: c1, kind: member, evidence: {{{field}: {text}}}}}]\n",
        encoding="utf-8",
    )
    read = [read_population(source, program) for source in (folder, document)]
    values = [validate_evidence(program, "member", p.subjects[0].evidence).values[field] for p in read]
    assert values == [typed, typed]


def test_a_broken_document_raises_a_table_error_with_the_loader_issues(tmp_path: Path, program: Program) -> None:
    path = tmp_path / "pop.yaml"
    path.write_text("units: [\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_population(path, program)
    assert caught.value.issues and caught.value.issues[0].code == "yaml-syntax"
    path.write_text("units: []\n", encoding="utf-8")
    with pytest.raises(TableError, match="needs both units and subjects"):
        read_population(path, program)


# --- writers -----------------------------------------------------------------------------------------------

HOSTILE = ["=1+1", "+1", "-1+2", "@SUM(A1)", "=cmd|'/c calc'!A1", "Tốt"]


def test_csv_output_has_a_bom_and_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows: list[Mapping[str, object]] = [{"text": t, "n": -3} for t in HOSTILE]
    write_table(rows, [("text", "Văn bản (text)"), ("n", "Số (n)")], path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert read[0] == ["Văn bản (text)", "Số (n)"]
    assert [r[0] for r in read[1:]] == ["'=1+1", "'+1", "'-1+2", "'@SUM(A1)", "'=cmd|'/c calc'!A1", "Tốt"]
    assert {r[1] for r in read[1:]} == {"-3"}  # a number is no formula


def test_xlsx_output_stores_formula_like_text_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows: list[Mapping[str, object]] = [
        {"text": t, "n": i, "d": date(2020, 1, i + 1), "f": Fraction(1, 4)} for i, t in enumerate(HOSTILE)
    ]
    write_table(rows, [("text", "Văn bản"), ("n", "Số"), ("d", "Ngày"), ("f", "Tỷ lệ")], path)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == HOSTILE
    assert {c.data_type for c in cells} == {"s"}
    assert sheet["B3"].value == 1 and sheet["C2"].value == datetime(2020, 1, 1) and sheet["D2"].value == 0.25


def test_rejections_are_written_with_bilingual_headers(tmp_path: Path, program: Program) -> None:
    root = population_dir(tmp_path / "pop", [HEADER, ["m1", "c1", "member", "", "", "=2+2", "", ""]])
    population = read_population(root, program)
    for name in ("rejections.csv", "rejections.xlsx"):
        write_rejections(population.rejections, tmp_path / name)
    text = (tmp_path / "rejections.csv").read_text(encoding="utf-8-sig")
    read = list(csv.reader(text.splitlines()))
    assert read[0] == ["Nguồn (source)", "Dòng (row)", "Cột (column)", "Giá trị (value)", "Lý do (reason)"]
    assert read[1][1:4] == ["2", "targets_assigned", "'=2+2"]
    sheet = openpyxl.load_workbook(tmp_path / "rejections.xlsx").active
    assert sheet["B1"].value == "Dòng (row)" and sheet["D2"].value == "=2+2" and sheet["D2"].data_type == "s"


def test_an_unknown_output_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"\.csv or \.xlsx"):
        write_table([], [("a", "A")], tmp_path / "out.txt")


# --- rows lost without a word (issue 20, item 21) ------------------------------------------------------------

SUBJECT_LINES = [f"m{i},c1,member,Thành viên {i},,10,9,Tốt\n" for i in range(1, 7)]


def write_subjects(root: Path, text: str) -> Path:
    write_csv(root / "units.csv", UNITS)
    (root / "subjects.csv").write_text(",".join(HEADER) + "\n" + text, encoding="utf-8")
    return root


def both_readers(root: Path, program: Program) -> list[tuple[int, list[str], dict[int, str]]]:
    """rows_read, the ids classified and the rejected rows' reasons, by the row and by the columnar reader."""
    from xeploai.tables.parquet import read_bulk

    population = read_population(root, program)
    bulk = read_bulk(root, program)
    out = []
    for rows_read, ids, rejections in (
        (population.rows_read, [s.id for s in population.subjects], population.rejections),
        (bulk.rows_read, [str(i) for kind in bulk.kinds.values() for i in kind.ids], bulk.rejections),
    ):
        rejected = {r.row: r.reason for r in rejections if r.subject_row and r.row is not None}
        out.append((rows_read, ids, rejected))
    return out


def test_an_unclosed_quote_rejects_its_row_and_swallows_no_other(tmp_path: Path, program: Program) -> None:
    lines = list(SUBJECT_LINES)
    lines[1] = 'm2,c1,member,"Thành viên 2,,10,9,Tốt\n'  # the quote is never closed
    for rows_read, ids, rejected in both_readers(write_subjects(tmp_path, "".join(lines)), program):
        assert rows_read == 6  # every line of the file, not the five records the csv module saw
        assert ids == ["m1", "m3", "m4", "m5", "m6"]
        assert list(rejected) == [3]
        assert "quote" in rejected[3] and "line 7" in rejected[3]


def test_a_quote_closed_rows_later_rejects_the_two_rows_that_hold_it(tmp_path: Path, program: Program) -> None:
    lines = list(SUBJECT_LINES)
    lines[1] = 'm2,c1,member,"Thành viên 2,,10,9,Tốt\n'
    lines[3] = 'm4,c1,member,Thành viên 4",,10,9,Tốt\n'  # closes the quote opened two lines above
    for rows_read, ids, rejected in both_readers(write_subjects(tmp_path, "".join(lines)), program):
        assert rows_read == 6
        assert ids == ["m1", "m3", "m5", "m6"]
        assert sorted(rejected) == [3, 5]


def test_a_quoted_cell_with_a_line_break_is_still_one_cell(tmp_path: Path, program: Program) -> None:
    text = SUBJECT_LINES[0] + 'm2,c1,member,"Thành viên\nhai",,10,9,Tốt\n' + SUBJECT_LINES[2]
    population = read_population(write_subjects(tmp_path, text), program)
    assert [s.name for s in population.subjects] == ["Thành viên 1", "Thành viên\nhai", "Thành viên 3"]
    assert population.rejections == ()


def test_a_cell_over_the_csv_field_limit_rejects_its_row_only(tmp_path: Path, program: Program) -> None:
    lines = list(SUBJECT_LINES)
    lines[2] = f"m3,c1,member,{'x' * 200_000},,10,9,Tốt\n"
    for rows_read, ids, rejected in both_readers(write_subjects(tmp_path, "".join(lines)), program):
        assert rows_read == 6
        assert ids == ["m1", "m2", "m4", "m5", "m6"]
        assert list(rejected) == [4] and "131,072" in rejected[4]


def test_a_subjects_table_without_its_header_row_is_refused(tmp_path: Path, program: Program) -> None:
    write_csv(tmp_path / "units.csv", UNITS)
    (tmp_path / "subjects.csv").write_text("".join(SUBJECT_LINES), encoding="utf-8")
    first_row = r"the first row \('m1', 'c1', 'member', 'Thành viên 1', …\) does not look like a header"
    with pytest.raises(TableError, match=first_row):
        read_population(tmp_path, program)
    from xeploai.tables.parquet import read_bulk

    with pytest.raises(TableError, match="does not look like a header"):
        read_bulk(tmp_path, program)


def _workbook(path: Path, subjects: int, sheets: Sequence[str] = ("units", "subjects")) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in sheets:
        sheet = book.create_sheet(name)
        if name.casefold() == "units":
            for row in UNITS:
                sheet.append(row)
        else:
            sheet.append(HEADER)
            for i in range(1, subjects + 1):
                sheet.append([f"m{i}", "c1", "member", f"Thành viên {i}", None, 10, 9, "Tốt"])
    book.save(path)
    return path


def _rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as old:
        items = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in items:
            new.writestr(info, change(data) if info.filename == member else data)


def test_rows_below_a_stale_dimension_tag_are_read(tmp_path: Path, program: Program) -> None:
    path = _workbook(tmp_path / "d.xlsx", 10)
    _rewrite(path, "xl/worksheets/sheet2.xml", lambda xml: xml.replace(b'ref="A1:H11"', b'ref="A1:H6"'))
    population = read_population(path, program)
    assert population.rows_read == 10 and len(population.subjects) == 10


def test_two_sheets_named_alike_are_refused_and_a_hidden_one_is_noted(tmp_path: Path, program: Program) -> None:
    path = _workbook(tmp_path / "two.xlsx", 2, ("units", "subjects", "extra"))
    # Excel and openpyxl refuse such names; a workbook written by other means can still hold them.
    _rewrite(path, "xl/workbook.xml", lambda xml: xml.replace(b'name="extra"', b'name="SUBJECTS"'))
    with pytest.raises(TableError, match="'subjects' and 'SUBJECTS'"):
        read_population(path, program)
    path = _workbook(tmp_path / "hidden.xlsx", 2)
    book = openpyxl.load_workbook(path)
    book["subjects"].sheet_state = "hidden"
    book.save(path)
    population = read_population(path, program)
    assert len(population.subjects) == 2
    (note,) = [r for r in population.rejections if r.row is None]
    assert note.source.endswith("[subjects]") and "hidden" in note.reason


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_opened(tmp_path: Path, program: Program) -> None:
    from xeploai.tables import files

    path = _workbook(tmp_path / "bomb.xlsx", 2)
    data = bytearray(path.read_bytes())
    # Say in the central directory that the subjects sheet unpacks to more than the limit (a zip bomb does).
    name = b"xl/worksheets/sheet2.xml"
    at = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    data[at + 24 : at + 28] = (files.MAX_WORKBOOK_BYTES + 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(TableError, match="unpacks to more than") as caught:
        read_population(path, program)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
