"""The official tables: Vietnamese headings in office order, and totals that reconcile with the population summary
(recomputed here from the results, not copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import HD21, ROOT
from process_setup import run
from xeploai import api
from xeploai.evaluation import report
from xeploai.evaluation.population import PopulationResult, evaluate_population
from xeploai.evaluation.trace import Status
from xeploai.process import forms
from xeploai.tables.reader import read_population

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture(scope="module")
def district() -> PopulationResult:
    program = api.load_framework(HD21)
    population = read_population(ROOT / "examples" / "district", program)
    return evaluate_population(program, population, api.parse_period("2020"))


def _sheet(path: Path, name: str) -> tuple[list[object], list[list[object]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    book.close()
    return rows[1], rows[2:]


def test_the_district_workbook_opens_with_the_headings_in_office_order(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = forms.official_tables(district)
    [path] = forms.write_official(built, tmp_path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(forms.SHEETS)
    header, _ = _sheet(path, "de_xuat")
    assert header[:5] == ["STT", "Mã", "Họ và tên", "Đơn vị", "Đối tượng"]
    assert header[5:8] == [
        "Cá nhân tự đánh giá, tự xếp loại",
        "Chi bộ nhận xét và đề xuất mức xếp loại",
        "Chi ủy nơi cư trú nhận xét",
    ]
    assert "Mức theo quy định" in header
    header, _ = _sheet(path, "kiem_soat_ty_le")
    assert header[:10] == [
        "STT",
        "Tỷ lệ áp dụng",
        "Nhóm",
        "Số HTT",
        "Tỷ lệ tối đa",
        "Cách làm tròn",
        "Số được HTXS",
        "Số đề nghị HTXS",
        "Số vượt",
        "Tình trạng",
    ]


def test_the_district_totals_reconcile_with_the_population_summary(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = forms.official_tables(district)
    [path] = forms.write_official(built, tmp_path)
    program = district.program
    summary_total = report.summary_rows(district)[-1]
    header, rows = _sheet(path, "tong_hop")
    total = dict(zip(header, rows[-1], strict=False))
    assert total["Tên đơn vị"] == "Tổng cộng"
    individuals = [r for r in district.results if not program.subjects[r.subject_kind].relations]
    for value in program.levels.values:
        counted = sum(1 for r in individuals if r.outcome.level == value.id and r.outcome.status is Status.CLASSIFIED)
        assert total[f"{value.code} ({value.label.vi})"] == counted == summary_total[value.code]
    not_classified = sum(1 for r in individuals if r.outcome.status is Status.NOT_CLASSIFIED)
    assert total["Không xếp loại"] == not_classified == summary_total["not_classified"]
    best, good = total["HTXS (Hoàn thành xuất sắc nhiệm vụ)"], total["HTT (Hoàn thành tốt nhiệm vụ)"]
    assert isinstance(best, int) and isinstance(good, int)
    assert total["Tỷ lệ HTXS/HTT (%)"] == f"{100 * best / good:.1f}"
    assert total["Tỷ lệ HTXS/(HTXS+HTT) (%)"] == f"{100 * best / (best + good):.1f}"
    # the lists: one row per not-classified subject, one per classified individual, the groups add up
    assert len(_sheet(path, "khong_xep_loai")[1]) == sum(
        1 for r in district.results if r.outcome.status is Status.NOT_CLASSIFIED
    )
    classified = sum(1 for r in individuals if r.outcome.status is Status.CLASSIFIED)
    assert len(_sheet(path, "quyet_dinh")[1]) == classified
    header, rows = _sheet(path, "tong_hop_nhom")
    assert dict(zip(header, rows[-1], strict=False))["Được xếp loại"] == classified
    improvement = _sheet(path, "khac_phuc")[1]
    assert len(improvement) == sum(1 for r in individuals if r.outcome.level in ("completed", "not_completed"))
    header, rows = _sheet(path, "kiem_soat_ty_le")
    quota = [dict(zip(header, r, strict=False)) for r in rows]
    assert sum(int(str(r["Số đề nghị HTXS"])) for r in quota) == sum(len(g.candidates) for g in district.quota_groups)
    school = next(r for r in quota if r["Số vượt"] == 7)
    assert school["Số được HTXS"] == 5 and school["Tình trạng"] == "Vượt tỷ lệ, đã xếp thứ tự"


def test_csv_tables_are_written_one_per_sheet(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    built = forms.official_tables(district)
    written = forms.write_official(built, tmp_path, "csv")
    assert [p.stem for p in written] == list(forms.SHEETS)
    first = (tmp_path / "tong_hop.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("Mã đơn vị,Tên đơn vị,Loại,Xếp loại tổ chức,Tổng số")


def test_the_process_tables_show_rungs_discrepancies_and_ballots(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = run()
    built = forms.official_tables(done.result, done.ladder, done.population)
    [path] = forms.write_official(built, tmp_path)
    header, rows = _sheet(path, "de_xuat")
    a2 = dict(zip(header, next(r for r in rows if r[1] == "a2"), strict=False))
    assert a2["Cá nhân tự đánh giá, xếp loại"] == "HTXS" and a2["Mức theo quy định"] == "HTT"
    assert a2["Chênh lệch phải giải trình"] == "self → appraisal"
    header, rows = _sheet(path, "chenh_lech")
    lines = [dict(zip(header, r, strict=False)) for r in rows if r[1] == "a2"]
    assert [(r["Tự đánh giá"], r["Thẩm định"], r["Chênh lệch"]) for r in lines[:2]] == [(30, 27, -3), (63, 60, -3)]
    assert all(r["Phải giải trình"] == "Có" for r in lines)
    header, rows = _sheet(path, "kiem_phieu")
    a3 = dict(zip(header, next(r for r in rows if r[1] == "a3"), strict=False))
    assert a3["Số phiếu HTXS"] == 4 and a3["Kết quả"] == "HTT" and "No level" not in str(a3["Cách tính"])
    header, rows = _sheet(path, "tong_hop_nhom")
    assert [r[0] for r in rows] == ["to_1", "to_2", "Tổng cộng"]
    header, _ = _sheet(path, "phieu_bau")
    assert header[-4:] == [
        "Hoàn thành xuất sắc nhiệm vụ (HTXS)",
        "Hoàn thành tốt nhiệm vụ (HTT)",
        "Hoàn thành nhiệm vụ (HT)",
        "Không hoàn thành nhiệm vụ (KHT)",
    ]


def test_text_that_looks_like_a_formula_stays_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = forms.Table("x", "X", (("a", "A"),), ({"a": "=1+1"},))
    [path] = forms.write_official({"x": table}, tmp_path)
    book = openpyxl.load_workbook(path)
    cell = book["x"]["A3"]
    assert cell.data_type == "s" and cell.value == "'=1+1"
