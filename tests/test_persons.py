"""Persons: one person holds several results; the persons table checks the subject rows that name them."""

from __future__ import annotations

from pathlib import Path

from paths import FIXTURES
from xeploai import api
from xeploai.evaluation import population, report
from xeploai.evaluation.population import apply_persons
from xeploai.tables import reader

PARTY = api.load_framework(FIXTURES / "linked" / "party" / "2020-01-01.yaml")
PERIOD = api.parse_period(2020)
UNITS = [{"id": "C", "parent": None, "kind": "cell", "name": "Chi bộ"}]


def member(subject_id: str, person: str | None = None, name: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {"id": subject_id, "unit": "C", "kind": "party_member", "evidence": {"cell_work": "Tốt"}}
    if person is not None:
        row["person"] = person
    if name is not None:
        row["name"] = name
    return row


def classify(data: dict[str, object]) -> population.PopulationResult:
    return population.evaluate_population(PARTY, population.from_document(data, "dân.yaml"), PERIOD)


def test_a_row_naming_a_person_missing_from_the_persons_table_is_rejected_naming_file_row_column_and_value() -> None:
    data = {"units": UNITS, "persons": [{"id": "P1", "name": "Lê Văn A"}], "subjects": [member("M1", "P9")]}
    result = classify(data)
    assert result.results == ()
    (rejection,) = result.rejections
    assert (rejection.source, rejection.row, rejection.column, rejection.value) == ("dân.yaml", 1, "person", "P9")
    assert "P9" in rejection.reason_in("vi") and rejection.subject_row
    assert result.reconciles()


def test_a_person_listed_twice_is_rejected_and_the_first_is_kept() -> None:
    persons = [{"id": "P1", "name": "Lê Văn A"}, {"id": "P1", "name": "Lê Văn Á"}]
    result = classify({"units": UNITS, "persons": persons, "subjects": [member("M1", "P1")]})
    assert result.result("M1").subject_name == "Lê Văn A"
    (rejection,) = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (2, "id", "P1")
    assert not rejection.subject_row and result.reconciles()


def test_an_empty_subject_name_takes_the_persons_name_and_a_given_one_is_kept() -> None:
    persons = [{"id": "P1", "name": "Lê Văn A"}]
    subjects = [member("M1", "P1"), member("L1", "P1", name="Bí thư Lê Văn A")]
    subjects[1]["kind"] = "leader"
    subjects[1]["evidence"] = {"own_work": "Tốt"}
    result = classify({"units": UNITS, "persons": persons, "subjects": subjects})
    assert result.result("M1").subject_name == "Lê Văn A"
    assert result.result("L1").subject_name == "Bí thư Lê Văn A"
    assert result.result("M1").extras["person"] == "P1"


def test_with_a_persons_table_a_row_without_a_person_names_none_and_is_not_checked_but_a_named_one_is() -> None:
    # A row with an empty person cell (a collective, or the one-result-per-subject shape) is its own holder and is
    # classified; a row naming a person missing from the table is still rejected.
    persons = [{"id": "M1", "name": "Lê Văn A"}]
    subjects = [member("M1"), member("M2"), member("M3", person="P9")]
    result = classify({"units": UNITS, "persons": persons, "subjects": subjects})
    assert [r.subject_id for r in result.results] == ["M1", "M2"]
    assert result.result("M1").subject_name == "Lê Văn A"
    assert [(r.column, r.value) for r in result.rejections] == [("person", "P9")]


def test_old_tables_without_persons_keep_their_columns_and_each_row_is_its_own_person() -> None:
    result = classify({"units": UNITS, "subjects": [member("M1", name="A")]})
    assert not result.has_persons
    assert population.from_document({"units": UNITS, "subjects": [member("M1")]}).subjects[0].person_id == "M1"
    rows = report.result_rows(result, "vi")
    assert list(rows[0]) == [key for key, _ in report.RESULT_COLUMNS]
    assert report.result_columns(False) == list(report.RESULT_COLUMNS)


def test_a_person_column_adds_the_person_to_the_results_table() -> None:
    result = classify({"units": UNITS, "subjects": [member("M1", "P1", name="A")]})
    assert result.has_persons
    assert report.result_rows(result, "vi")[0]["person"] == "P1"
    assert report.result_columns(True)[-1] == report.PERSON_COLUMN


def test_applying_the_persons_table_twice_rejects_nothing_twice() -> None:
    persons = [{"id": "P1", "name": "A"}, {"id": "P1", "name": "B"}]
    data = population.from_document({"units": UNITS, "persons": persons, "subjects": [member("M1", "P1")]})
    once = apply_persons(data)
    assert apply_persons(once).rejections == once.rejections


def test_a_csv_folder_reads_the_vietnamese_person_header_and_persons_csv(tmp_path: Path) -> None:
    (tmp_path / "units.csv").write_text("id,parent,kind,name\nC,,cell,Chi bộ\n", encoding="utf-8")
    (tmp_path / "subjects.csv").write_text(
        "id,unit,kind,name,Mã cá nhân,cell_work\nM1,C,party_member,,P1,Tốt\nM2,C,party_member,,P7,Tốt\n",
        encoding="utf-8",
    )
    (tmp_path / "persons.csv").write_text("Mã cá nhân,Họ và tên\nP1,Lê Văn A\n", encoding="utf-8")
    data = reader.read_population(tmp_path, PARTY)
    assert data.has_persons and [p.id for p in data.persons] == ["P1"]
    result = population.evaluate_population(PARTY, data, PERIOD)
    assert result.result("M1").subject_name == "Lê Văn A"
    (rejection,) = result.rejections
    assert (Path(rejection.source).name, rejection.row, rejection.column, rejection.value) == (
        "subjects.csv",
        3,
        "person",
        "P7",
    )
