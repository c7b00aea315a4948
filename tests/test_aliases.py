"""Level names as people write them: declared aliases, codes, labels, without diacritics; anything else rejected."""

from __future__ import annotations

import pytest

from paths import HD21, ROOT
from process_setup import run
from xeploai import api
from xeploai.evaluation.population import evaluate_population
from xeploai.tables import spellings

RUN = run()


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("HTXSNV", "excellent"),
        ("htxs", "excellent"),
        ("Hoàn thành xuất sắc nhiệm vụ", "excellent"),
        ("hoan thanh xuat sac nhiem vu", "excellent"),
        ("  HOÀN THÀNH  TỐT ", "good"),
        ("Completed tasks", "completed"),
        ("không hoàn thành", "not_completed"),
        ("Tốt lắm", None),
        ("HTX", None),
    ],
)
def test_spellings(text: str, level: str | None) -> None:
    assert spellings.spellings(RUN.program).resolve(text) == level


def test_a_level_column_in_an_alias_is_read_as_the_level() -> None:
    row = next(r for r in RUN.population.subjects if r.id == "a1")
    assert row.evidence["civil_service_level"] == "HTT"


def test_an_unknown_spelling_rejects_the_row_with_its_value(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "tests/fixtures/process/population/population.yaml").read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace("civil_service_level: HTTNV", "civil_service_level: Tot lam"))
    population = spellings.read_population(tmp_path / "p.yaml", RUN.program)
    [rejection] = population.rejections
    assert (rejection.subject_id, rejection.value) == ("a1", "Tot lam") and rejection.row is not None
    assert "HTTNV" in rejection.reason
    result = evaluate_population(RUN.program, population, api.parse_period("2025"))
    assert result.reconciles()


def test_the_example_district_reads_the_same_through_aliases() -> None:
    program = api.load_framework(HD21)
    from xeploai.tables.reader import read_population

    plain = read_population(ROOT / "examples" / "district", program)
    spelled = spellings.read_population(ROOT / "examples" / "district", program)
    assert len(plain.subjects) == len(spelled.subjects) and len(plain.rejections) == len(spelled.rejections)
