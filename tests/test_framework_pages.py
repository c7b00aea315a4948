"""Framework pages: generated from the frameworks and their notes, Vietnamese first, and committed up to date."""

from __future__ import annotations

from paths import ROOT
from xeploai import api
from xeploai.analysis import framework_pages
from xeploai.analysis.fidelity import fidelity

PAGES = {p.path.name: p.text for p in framework_pages.pages(ROOT / "frameworks", ROOT / "docs")}


def test_the_committed_pages_are_what_the_generator_makes() -> None:
    stale = [
        name
        for name, text in PAGES.items()
        if (ROOT / "docs" / "frameworks" / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, f"run scripts/framework-pages: {stale}"


def test_vietnamese_comes_first_then_english() -> None:
    for name, text in PAGES.items():
        vi, en = text.index("## Tiếng Việt"), text.index("## English")
        assert vi < en, name
        assert "### Câu hỏi" not in text[en:], name


def test_rules_link_to_the_source_address_not_a_digest_id() -> None:
    text = PAGES["party-2025-08-30.md"]
    assert "https://github.com/tnt305/tai_lieu_noi_bo/" in text
    rows = [line for line in text.splitlines() if line.startswith("| `") and "| secondary |" in line]
    assert rows and all("](http" in row and "“" in row for row in rows)
    assert "[T2]" not in text.split("### Ghi chú biên soạn")[0]


def test_the_form_letters_that_swap_between_hd25_and_hd43_are_flagged() -> None:
    hd25 = api.load_framework(ROOT / "frameworks" / "party" / "2023-10-04.yaml")
    hd43 = api.load_framework(ROOT / "frameworks" / "party" / "2025-08-30.yaml")
    assert [code for code, _, _ in framework_pages.form_swaps(hd43, hd25)] == ["2A", "2B"]
    assert "ký hiệu mẫu đổi nghĩa" in PAGES["party-2025-08-30.md"]
    assert "ký hiệu mẫu đổi nghĩa" not in PAGES["party-2023-10-04.md"]


def test_the_fidelity_counts_are_those_of_check_fidelity() -> None:
    program = api.load_framework(ROOT / "frameworks" / "civil-service" / "2023-09-15.yaml")
    total = fidelity(program).counts()
    row = f"| **Σ** | **{total['confirmed']}** | **{total['secondary']}** | **{total['assumed']}** |"
    assert row in PAGES["civil-service-2023-09-15.md"]


def test_what_changed_is_computed_from_the_two_programs() -> None:
    text = PAGES["party-2023-10-04.md"]
    section = text.split("### Thay đổi so với phiên bản trước")[1].split("###")[0]
    assert "`party/2019-10-18` → `party/2023-10-04`" in section
    assert "`disciplined_unless_self_remedied` | thêm |" in section
    assert "Đây là phiên bản đầu tiên" in PAGES["party-2018-09-24.md"]


def test_an_evidence_field_names_the_form_it_is_read_from() -> None:
    text = PAGES["party-2025-08-30.md"]
    assert "| `general_criteria_score` |" in text and "Phụ lục 4" in text
