"""The official tables: Vietnamese headings in office order, and totals that reconcile with the population summary
(recomputed here from the results, not copied)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
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


def _half_up(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def district() -> PopulationResult:
    program = api.load_framework(HD21)
    population = read_population(ROOT / "examples" / "district", program)
    return evaluate_population(program, population, api.parse_period("2020"))


def _sheet(path: Path, name: str) -> tuple[list[object], list[list[object]]]:
    """The headings (row ``forms.HEADING_ROW``, under the letterhead and the title) and the rows, up to the blank
    row before the signature block."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    book.close()
    header, rest = rows[forms.HEADING_ROW - 1], rows[forms.HEADING_ROW :]
    end = next((i for i, r in enumerate(rest) if all(c is None for c in r)), len(rest))
    return header, rest[:end]


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
        "Tỷ lệ tối đa (%)",
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
    # shares are numbers, in percent, rounded half up to one decimal (they were text)
    assert total["Tỷ lệ HTXS/HTT (%)"] == float(_half_up(Fraction(100 * best, good)))
    assert total["Tỷ lệ HTXS/(HTXS+HTT) (%)"] == float(_half_up(Fraction(100 * best, best + good)))
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
    # THPT Sông Xanh: 11 candidates, 5 allowed (7 over before issue 14, when its leaders' cadre results were
    # candidates of the members' quota too); the competent level decides who keeps HTXS
    school = next(r for r in quota if r["Số vượt"] == 6)
    assert school["Số được HTXS"] == 5 and school["Tình trạng"] == "Vượt tỷ lệ, chờ cấp có thẩm quyền quyết định"


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
    assert a2["Chênh lệch phải giải trình"] == "Cá nhân tự đánh giá, xếp loại → Cơ quan tham mưu thẩm định"
    header, rows = _sheet(path, "chenh_lech")
    lines = [dict(zip(header, r, strict=False)) for r in rows if r[1] == "a2"]
    # headed by the rungs of the framework's gap (they were always "Tự đánh giá" / "Thẩm định")
    first, second = "Cá nhân tự đánh giá, xếp loại", "Cơ quan tham mưu thẩm định"
    assert [(r[first], r[second], r["Chênh lệch"]) for r in lines[:2]] == [(30, 27, -3), (63, 60, -3)]
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
    cell = book["x"].cell(row=forms.HEADING_ROW + 1, column=1)
    # a text cell: never a formula, and no apostrophe shown to the office (it was "'=1+1")
    assert cell.data_type == "s" and cell.value == "=1+1" and cell.number_format == "@"


def _book(tables: dict[str, forms.Table], tmp_path: Path, letterhead: forms.Letterhead | None = None):  # type: ignore[no-untyped-def]
    [path] = forms.write_official(tables, tmp_path, "xlsx", letterhead)
    return path, openpyxl.load_workbook(path)


def test_every_form_has_the_party_header_the_date_and_place_and_its_signature_block(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    letterhead = forms.letterhead_for(district)
    assert letterhead.committee == "Huyện ủy Sông Xanh"
    letterhead = forms.Letterhead(letterhead.committee, "Đảng bộ tỉnh Hà Bắc", "Sông Xanh", date(2021, 1, 5))
    built = forms.official_tables(district)
    _, book = _book(built, tmp_path, letterhead)
    for name in forms.SHEETS:
        sheet = book[name]
        top = [[c for c in row if c is not None] for row in sheet.iter_rows(max_row=4, values_only=True)]
        assert top[0] == ["ĐẢNG BỘ TỈNH HÀ BẮC", "ĐẢNG CỘNG SẢN VIỆT NAM"]
        assert top[1] == ["HUYỆN ỦY SÔNG XANH", "Sông Xanh, ngày 05 tháng 01 năm 2021"]
        assert top[2] == ["*"] and top[3] == [built[name].title.upper()]
        values = [c for row in sheet.iter_rows(min_row=forms.HEADING_ROW + 1, values_only=True) for c in row]
        if name == "phieu_bau":
            assert "T/M BAN THƯỜNG VỤ" not in values  # a secret ballot is not signed
        elif name == "kiem_phieu":
            assert "TỔ TRƯỞNG TỔ KIỂM PHIẾU" in values
        else:
            assert "T/M BAN THƯỜNG VỤ" in values and "NGƯỜI LẬP BIỂU" in values
    assert unicodedata.is_normalized("NFC", "".join(forms.SHEETS.values()))


def test_shares_are_numbers_with_a_number_format_rounded_half_up(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert forms.share(1, 400) == Decimal("0.3")  # round(0.25, 1) == 0.2: the float's rounding is not used
    _, book = _book(forms.official_tables(district), tmp_path)
    sheet = book["tong_hop"]
    header = [c.value for c in sheet[forms.HEADING_ROW]]
    column = header.index("Tỷ lệ HTXS/HTT (%)") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(forms.HEADING_ROW + 1, sheet.max_row + 1)]
    numbers = [c for c in cells if c.value is not None]
    assert numbers and all(isinstance(c.value, int | float) and c.number_format == "0.0" for c in numbers)
    quota = book["kiem_soat_ty_le"]
    header = [c.value for c in quota[forms.HEADING_ROW]]
    assert quota.cell(row=forms.HEADING_ROW + 1, column=header.index("Tỷ lệ tối đa (%)") + 1).value == 20


def test_forms_show_labels_not_ids(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    program = district.program
    ids = {*program.subjects, "referred", "no_quorum", "no_ballots", "cell", "grassroots_committee", "district"}
    ids |= {name for subject in program.subjects.values() for name in subject.fields}
    path, book = _book(forms.official_tables(district), tmp_path)
    found = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for cell in row:
                if isinstance(cell, str):
                    words = set(re.findall(r"[a-z][a-z_]+", cell))
                    found |= words & ids
    assert found == set()
    _, rows = _sheet(path, "tong_hop")
    header, _ = _sheet(path, "tong_hop")
    own = [dict(zip(header, r, strict=False))["Xếp loại tổ chức"] for r in rows]
    assert any(str(o).startswith("Chi bộ") for o in own)


def test_columns_are_as_wide_as_their_content(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, book = _book(forms.official_tables(district), tmp_path)
    sheet = book["de_xuat"]
    _, rows = _sheet(path, "de_xuat")
    longest = max(len(str(r[2])) for r in rows)
    assert sheet.column_dimensions["C"].width >= longest * 0.9  # Họ và tên
    assert sheet.column_dimensions["A"].width < 10  # STT


def test_the_discrepancy_sheet_is_headed_by_the_framework_gap(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = _book(forms.official_tables(district), tmp_path)
    header, _ = _sheet(path, "chenh_lech")
    assert header[5:7] == ["Cá nhân tự đánh giá, tự xếp loại", "Chi bộ nhận xét và đề xuất mức xếp loại"]


def test_every_improvement_row_names_what_to_improve_even_when_a_cap_lowered_the_level(district, tmp_path) -> None:  # type: ignore[no-untyped-def]
    capped = [
        r for r in district.results if r.outcome.level == "completed" and r.outcome.level_before_caps != "completed"
    ]
    assert capped
    path, _ = _book(forms.official_tables(district), tmp_path)
    header, rows = _sheet(path, "khac_phuc")
    lines = {r[1]: dict(zip(header, r, strict=False)) for r in rows}
    assert all(line["Hạn chế, khuyết điểm (theo tiêu chuẩn chưa đạt)"] for line in lines.values())
    assert "Nghỉ ốm" in str(lines[capped[0].subject_id]["Hạn chế, khuyết điểm (theo tiêu chuẩn chưa đạt)"])


def _process_tables(*rows: object) -> tuple[dict[str, forms.Table], object]:
    import dataclasses

    from xeploai.process import ladder, process_tables

    done = run()
    inputs = dataclasses.replace(
        done.inputs,
        proposals=(*done.inputs.proposals, *[r for r in rows if isinstance(r, process_tables.Proposal)]),
        tallies=(*done.inputs.tallies, *[r for r in rows if isinstance(r, process_tables.Tally)]),
    )
    process = ladder.evaluate_process(done.result, done.population, inputs)
    return forms.official_tables(done.result, process, done.population), done


def test_the_proposal_sheet_flags_what_the_office_must_look_at(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from xeploai.process.process_tables import Proposal

    tables, _ = _process_tables(Proposal("a6", "self", "good"))
    path, _ = _book(tables, tmp_path)
    header, rows = _sheet(path, "de_xuat")
    by_id = {r[1]: dict(zip(header, r, strict=False)) for r in rows}
    assert "Cá nhân tự đánh giá, xếp loại: đối tượng không xếp loại" in str(by_id["a6"]["Khác mức quy định"])
    a5 = by_id["a5"]
    assert "Chi bộ đề xuất: chưa có đề xuất (bắt buộc)" in str(a5["Khác mức quy định"])
    assert "Cấp có thẩm quyền quyết định: chưa có đề xuất (bắt buộc)" in str(a5["Khác mức quy định"])
    assert "Q2/2025; Q3/2025" in str(a5["Lưu ý cấp có thẩm quyền"])  # the consecutive-KHT flag reaches the form


def test_a_referred_vote_shows_as_awaiting_the_committee(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from xeploai.process import ladder, process_tables
    from xeploai.program import ir

    done = run()
    assert done.program.process is not None
    rule = dataclasses.replace(done.program.process.ballots["cell_vote"], no_majority=ir.NoMajority.REFER)
    program = dataclasses.replace(
        done.program, process=dataclasses.replace(done.program.process, ballots={"cell_vote": rule})
    )
    result = evaluate_population(program, done.population, api.parse_period("2025"))
    process = ladder.evaluate_process(result, done.population, done.inputs)
    path, _ = _book(forms.official_tables(result, process, done.population), tmp_path)
    header, rows = _sheet(path, "de_xuat")
    a3 = dict(zip(header, next(r for r in rows if r[1] == "a3"), strict=False))
    assert a3["Chi bộ đề xuất"] == "Chờ cấp có thẩm quyền quyết định"
    assert "chờ cấp có thẩm quyền quyết định" in str(a3["Khác mức quy định"])
    header, rows = _sheet(path, "kiem_phieu")
    a3 = dict(zip(header, next(r for r in rows if r[1] == "a3"), strict=False))
    assert a3["Kết quả"] == "Chờ cấp có thẩm quyền quyết định"
    assert "43-HD/BTCTW" in str(a3["Quy định về số có mặt"]) and "từ 66.67%" in str(a3["Quy định về số có mặt"])
    del process_tables


def test_counts_and_the_decision_list_use_the_committee_decided_level(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from xeploai.process.process_tables import Proposal

    tables, done = _process_tables(Proposal("b1", "decision", "completed", reference="QĐ 15-QĐ/ĐU"))
    path, _ = _book(tables, tmp_path)
    header, rows = _sheet(path, "quyet_dinh")
    b1 = dict(zip(header, next(r for r in rows if r[1] == "b1"), strict=False))
    assert (b1["Mức xếp loại"], b1["Mức theo quy định"], b1["Khác mức theo quy định"]) == ("HT", "HTT", "Có")
    header, rows = _sheet(path, "tong_hop")
    total = dict(zip(header, rows[-1], strict=False))
    summary = report.summary_rows(done.result)[-1]  # type: ignore[attr-defined]
    assert total["HT (Hoàn thành nhiệm vụ)"] == summary["HT"] + 1
    assert total["HTT (Hoàn thành tốt nhiệm vụ)"] == summary["HTT"] - 1
