"""Dispute packets: golden renderings (text, Markdown, HTML) of the cases disputes are about, and the packet's
promises — every section present, the quota arithmetic in words, escaping, determinism, no network.

Goldens live in tests/goldens/<case>.<lang>.<ext> and are compared byte for byte. After a deliberate change,
regenerate them with ``XEPLOAI_UPDATE_GOLDENS=1 python -m pytest tests/test_packet.py`` and review ``git diff``.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from paths import FIXTURES, HD21
from xeploai import api
from xeploai.evaluation import population
from xeploai.evaluation.trace import Result
from xeploai.explanation import explain, packet, reasons
from xeploai.explanation.redact import Redaction, redact_result
from xeploai.program.ir import Program

GOLDENS = Path(__file__).resolve().parent / "goldens"
UPDATE = os.environ.get("XEPLOAI_UPDATE_GOLDENS") == "1"
LANGS = ("vi", "en")

POPULATION = api.load_framework(FIXTURES / "population" / "2019-10-18.yaml")
PARTY = api.load_framework(HD21)
PERIOD = api.parse_period(2020)
SALT = "golden-salt"  # a fixed salt: the redacted goldens pin the pseudonyms too

# --- the cases --------------------------------------------------------------------------------------------------

UNITS = [
    {"id": "D", "parent": None, "kind": "district", "name": "Huyện ủy Thử"},
    {"id": "C1", "parent": "D", "kind": "grassroots_cell", "name": "Chi bộ Thôn Đông"},
]


def _member(subject_id: str, name: str, grade: str = "Tốt", exceeded: int = 0) -> dict[str, object]:
    evidence = {"targets_assigned": 10, "targets_met": 9, "task_results": grade, "targets_exceeded": exceeded}
    return {"id": subject_id, "unit": "C1", "kind": "member", "name": name, "evidence": evidence}


def quota_population() -> population.PopulationResult:
    """Ten members rated HTT allow 20% × 10 = 2 HTXS; four qualify, ranked by targets exceeded."""
    subjects = [_member(f"DV-2{i:02}", f"Đảng viên thứ {i + 1}") for i in range(10)]
    subjects += [
        _member("DV-101", "Phạm Văn Hùng", "Xuất sắc", 3),
        _member("DV-102", "Hoàng Thị Lan", "Xuất sắc", 5),
        _member("DV-103", "Vũ Minh Tuấn", "Xuất sắc", 3),
        _member("DV-104", "Đỗ Thu Hà", "Xuất sắc", 1),
    ]
    data = {"units": UNITS, "subjects": subjects}
    return population.evaluate_population(POPULATION, population.from_document(data, "golden"), PERIOD)


def quota_case() -> tuple[Result, Program]:
    return quota_population().result("DV-103"), POPULATION


def _party(subject_id: str, name: str, kind: str, evidence: dict[str, object]) -> tuple[Result, Program]:
    result = api.evaluate(PARTY, kind, evidence, period=PERIOD, subject_id=subject_id, subject_name=name)
    return result, PARTY


MEMBER = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 98,
    "is_civil_servant": True,
    "civil_service_level": "HTT",
    "degradation_concluded": False,
    "targets_assigned": 12,
    "targets_met": 12,
    "discipline": [],
    "sick_leave_months": 0.5,
    "political_ideology": "Tốt",
    "ethics_lifestyle": "Tốt",
    "discipline_awareness": "Tốt",
    "working_style": "Tốt",
    "task_results": "Xuất sắc",
    "remedying_shortcomings": "Tốt",
    "exemplary_with_products": False,
}


def discipline_case() -> tuple[Result, Program]:
    """Warned in August 2020: KHT whatever else holds (the 2019 reprimand belongs to 2019)."""
    discipline = [
        {"form": "Khiển trách", "decided_on": "2019-11-26"},
        {"form": "Cảnh cáo", "decided_on": "2020-08-14"},
    ]
    evidence = {**MEMBER, "discipline": discipline, "task_results": "Tốt", "ethics_lifestyle": "Trung bình"}
    return _party("DV-0002", "Trần Thị Bình", "party_member", evidence)


def sick_leave_case() -> tuple[Result, Program]:
    """HTT by the rules, capped at HT by four months of sick leave."""
    evidence = {**MEMBER, "sick_leave_months": 4, "task_results": "Tốt", "working_style": "Trung bình"}
    evidence.update(targets_assigned=6, targets_met=5, months_since_admission=62)
    return _party("DV-0003", "Lê Văn Cường", "party_member", evidence)


def insufficient_case() -> tuple[Result, Program]:
    """The cell has not graded task results yet: HTT, HT or KHT are all still possible."""
    evidence = {k: v for k, v in MEMBER.items() if k != "task_results"}
    return _party("DV-0001", "Nguyễn Văn An", "party_member", evidence)


CASES: dict[str, Callable[[], tuple[Result, Program]]] = {
    "quota_htxs_denied": quota_case,
    "kht_discipline": discipline_case,
    "ht_sick_leave": sick_leave_case,
    "insufficient_evidence": insufficient_case,
}
REDACTED = "quota_htxs_denied_redacted"


def renderings(case: str, lang: str) -> dict[str, str]:
    """The three renderings of a case: ``txt`` (explain.to_text), ``md`` and ``html`` (the packet)."""
    if case == REDACTED:
        result, program = quota_case()
        redaction = Redaction(keep=set(), salt=SALT)
        return {
            "txt": explain.to_text(redact_result(result, redaction, lang), program, lang),
            "md": packet.to_markdown(result, program, lang, redact=redaction),
            "html": packet.to_html(result, program, lang, redact=redaction),
        }
    result, program = CASES[case]()
    return {
        "txt": explain.to_text(result, program, lang),
        "md": packet.to_markdown(result, program, lang),
        "html": packet.to_html(result, program, lang),
    }


GOLDEN_IDS = [(case, lang) for case in [*CASES, REDACTED] for lang in LANGS]


def check_golden(name: str, actual: str) -> None:
    path = GOLDENS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden {name}: run with XEPLOAI_UPDATE_GOLDENS=1, then review it with git diff"
    expected = path.read_bytes()
    if actual.encode("utf-8") != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8").splitlines(), actual.splitlines(), f"golden/{name}", "rendered", lineterm=""
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            f"{name} differs from its golden (XEPLOAI_UPDATE_GOLDENS=1 regenerates it; review with git diff):\n" + shown
        )


# --- goldens ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "lang"), GOLDEN_IDS, ids=[f"{c}.{lang}" for c, lang in GOLDEN_IDS])
def test_renderings_match_their_goldens(case: str, lang: str) -> None:
    for ext, text in renderings(case, lang).items():
        check_golden(f"{case}.{lang}.{ext}", text)


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {f"{c}.{lang}.{ext}" for c, lang in GOLDEN_IDS for ext in ("txt", "md", "html")}
    stray = sorted(p.name for p in GOLDENS.iterdir() if p.is_file() and p.name not in expected)
    assert not stray, f"golden files of no case (delete them): {stray}"


def test_the_cases_have_the_outcomes_they_are_named_for() -> None:
    quota, _ = quota_case()
    assert (quota.outcome.level, quota.outcome.decision.value) == ("good", "quota")
    kht, _ = discipline_case()
    assert (kht.outcome.level, kht.outcome.decision.value) == ("not_completed", "trigger")
    ht, _ = sick_leave_case()
    assert (ht.outcome.level, ht.outcome.level_before_caps) == ("completed", "good")
    unknown, _ = insufficient_case()
    assert unknown.outcome.status.value == "insufficient_evidence"


# --- what every packet holds ----------------------------------------------------------------------------------

SECTIONS_VI = [
    "Thông tin đã dùng",
    "Kết quả và cách xác định",
    "Vì sao không đạt mức cao hơn",
    "Độ tin cậy của các quy tắc đã dùng",
    "Văn bản căn cứ",
]


def _headings(markdown: str) -> list[str]:
    return [re.sub(r"^\d+\. ", "", line[3:]) for line in markdown.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("case", list(CASES))
def test_packet_sections_come_in_order_and_end_with_the_signatures(case: str) -> None:
    result, program = CASES[case]()
    markdown = packet.to_markdown(result, program)
    headings = _headings(markdown)
    present = [h for h in headings if h in SECTIONS_VI]
    assert present == SECTIONS_VI
    assert headings[-1] == "Xác nhận"
    for words in ("Người lập", "Đại diện cấp ủy", "Ngày …… tháng …… năm ……"):
        assert words in markdown
    english = packet.to_markdown(result, program, "en")
    assert "Prepared by" in english and "For the committee" in english and "Date: " in english


def test_headline_names_the_subject_and_the_level_with_its_vietnamese_label_and_code() -> None:
    result, program = sick_leave_case()
    assert "**Lê Văn Cường (DV-0003)**: **Hoàn thành nhiệm vụ (HT)**" in packet.to_markdown(result, program)
    english = packet.to_markdown(result, program, "en")
    assert "**Completed tasks (HT)** — Hoàn thành nhiệm vụ (HT)" in english
    assert '<span lang="vi">Hoàn thành nhiệm vụ (HT)</span>' in packet.to_html(result, program, "en")


def test_framework_block_gives_file_version_sha256_and_period() -> None:
    result, program = discipline_case()
    markdown = packet.to_markdown(result, program)
    assert f"`{program.info.source_sha256}`" in markdown
    assert "| Tệp khung tiêu chí | `frameworks/party/2019-10-18.yaml` |" in markdown
    assert "| Phiên bản | HD21 |" in markdown
    assert "| Kỳ đánh giá | 01/01/2020 – 31/12/2020 (cả năm) |" in markdown


def test_an_extended_framework_lists_every_file_of_the_chain_with_its_hash() -> None:
    program = api.load_framework(FIXTURES / "extension" / "party-local" / "2020-01-01.yaml")
    evidence = {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt"}
    result = api.evaluate(program, "member", evidence, period=PERIOD, subject_id="A")
    markdown = packet.to_markdown(result, program)
    assert len(program.info.chain) == 2
    for file, sha in program.info.chain:
        assert f"{file} {sha}" in markdown


def test_facts_mark_judgements_defaults_and_missing_values() -> None:
    result, program = insufficient_case()
    markdown = packet.to_markdown(result, program)
    assert "| Tư tưởng chính trị `political_ideology` | Tốt | hồ sơ, đánh giá của tập thể/cá nhân |" in markdown
    assert "`task_results` | (thiếu) | thiếu, đánh giá của tập thể/cá nhân |" in markdown
    quota, program = quota_case()
    assert "| Nghỉ ốm `sick_leave_months` | 0 | mặc định (không khai) |" in packet.to_markdown(quota, program)


def test_every_failed_rule_above_the_outcome_is_shown_with_actual_required_clause_and_confidence() -> None:
    result, program = sick_leave_case()
    markdown = packet.to_markdown(result, program)
    for level, failed in reasons.why_not(result, program).items():
        assert f"### Vì sao không đạt mức {program.level_label(level).vi}" in markdown
        for node in failed:
            assert f"`{node.id}`: không đạt" in markdown
    assert (
        '| `working_style >= "Tốt"` (không đạt) | Tác phong, lề lối làm việc (working_style) = Trung bình | ≥ Tốt |'
        in (markdown)
    )
    assert "*Căn cứ: 21-HD/BTCTW, 2.3 a (Khung tiêu chuẩn các mức chất lượng), Tiết 2 Điểm B Mục II" in markdown
    assert "Độ tin cậy: nguồn thứ cấp*" in markdown
    # Capped, not failed: HTT is explained by the cap, which has a section of its own.
    assert "Đáp ứng các yêu cầu của mức này nhưng bị giới hạn bởi" in markdown
    assert "## 4. Giới hạn mức đã áp dụng" in markdown
    assert "Mức trước khi áp dụng giới hạn: Hoàn thành tốt nhiệm vụ (HTT)" in markdown


def test_the_trigger_shows_the_decision_that_counted_not_last_years() -> None:
    result, program = discipline_case()
    markdown = packet.to_markdown(result, program)
    assert "1/2 khớp điều kiện: (Hình thức kỷ luật: Cảnh cáo, Ngày quyết định kỷ luật: 2020-08-14" in markdown


def test_quota_arithmetic_is_in_words_with_the_rank_and_the_other_members() -> None:
    result, program = quota_case()
    markdown = packet.to_markdown(result, program)
    assert "HTXS không quá 20% số HTT: 10 × 20% = 2 (làm tròn xuống)." in markdown
    assert "Vũ Minh Tuấn (DV-103) xếp thứ 3/4: hạ xuống HTT." in markdown
    assert "xếp thứ tự theo Chỉ tiêu vượt (cao hơn xếp trước), bằng nhau thì theo thứ tự mã" in markdown
    for row in (
        "| 1 | Hoàng Thị Lan (DV-102) | giữ mức HTXS |",
        "| 2 | Phạm Văn Hùng (DV-101) | giữ mức HTXS |",
        "| 4 | Đỗ Thu Hà (DV-104) | hạ xuống HTT |",
    ):
        assert row in markdown
    english = packet.to_markdown(result, program, "en")
    assert "HTXS at most 20% of HTT: 10 × 20% = 2 (rounded down)." in english
    assert "Vũ Minh Tuấn (DV-103) ranks 3 of 4: lowered to HTT." in english


def _quota_run(
    good: int, excellent: int, decisions: list[dict[str, object]] | None = None
) -> population.PopulationResult:
    subjects = [_member(f"G{i}", f"Người {i}") for i in range(good)]
    subjects += [_member(f"X{i}", f"Ứng viên {i}", "Xuất sắc", i) for i in range(excellent)]
    data = {"units": UNITS, "subjects": subjects, "decisions": decisions or []}
    return population.evaluate_population(POPULATION, population.from_document(data, "t"), PERIOD)


def test_quota_shows_the_rounding_when_the_exact_share_is_not_whole() -> None:
    run = _quota_run(7, 3)
    markdown = packet.to_markdown(run.result("X0"), POPULATION)
    assert "HTXS không quá 20% số HTT: 7 × 20% = 1.4 → 1 (làm tròn xuống)." in markdown
    assert "Ứng viên 0 (X0) xếp thứ 3/3: hạ xuống HTT." in markdown


def test_quota_within_the_limit_and_by_a_committee_decision() -> None:
    within = packet.to_markdown(_quota_run(10, 1).result("X0"), POPULATION)
    assert "1 người đủ điều kiện HTXS, không vượt số được phép: không ai bị hạ." in within
    assert "Không có ai khác trong nhóm được xét HTXS." in within
    decision = {"quota": "members_excellent", "group": "C1", "approved": ["X0"], "reference": "Quyết định số 7-QĐ/CB"}
    decided = packet.to_markdown(_quota_run(5, 2, [decision]).result("X1"), POPULATION)
    assert "theo quyết định của cấp có thẩm quyền (Quyết định số 7-QĐ/CB), giữ mức HTXS: Ứng viên 0 (X0)." in decided
    assert "Ứng viên 1 (X1) xếp thứ 1/2: hạ xuống HTT." in decided


def test_quota_left_to_the_committee_is_flagged(write_framework) -> None:  # type: ignore[no-untyped-def]
    text = (FIXTURES / "population" / "2019-10-18.yaml").read_text(encoding="utf-8")
    program = api.load_framework(write_framework(text.replace("when_exceeded: rank", "when_exceeded: flag")))
    subjects = [
        _member("G0", "Người 0"),
        _member("X0", "Ứng viên 0", "Xuất sắc"),
        _member("X1", "Ứng viên 1", "Xuất sắc"),
    ]
    run = population.evaluate_population(
        program, population.from_document({"units": UNITS, "subjects": subjects}), PERIOD
    )
    markdown = packet.to_markdown(run.result("X0"), program)
    assert "vượt số được phép (0): chờ cấp có thẩm quyền xem xét, quyết định." in markdown
    assert "> Vượt tỷ lệ, cần cấp có thẩm quyền xem xét, quyết định" in markdown
    assert "| 2 | Ứng viên 1 (X1) | chờ cấp có thẩm quyền quyết định |" in markdown


def test_share_conditions_say_who_met_them_and_who_did_not() -> None:
    subjects = [
        _member("M1", "A"),
        _member("M2", "B"),
        _member("M3", "C", "Trung bình"),
        _member("M4", "D", "Trung bình"),
    ]
    subjects.append({"id": "CB", "unit": "C1", "kind": "cell", "name": "Chi bộ Thôn Đông", "evidence": {}})
    run = population.evaluate_population(
        POPULATION, population.from_document({"units": UNITS, "subjects": subjects}), PERIOD
    )
    markdown = packet.to_markdown(run.result("CB"), POPULATION)
    assert "Theo từng người: đạt: M1, M2; không đạt: M3, M4" in markdown


def test_not_classified_packet_has_no_level_above() -> None:
    result, program = _party("DV-9", "Người mới", "party_member", {**MEMBER, "months_since_admission": 3})
    markdown = packet.to_markdown(result, program)
    assert "**Người mới (DV-9)**: **Không xếp loại**" in markdown
    assert "Đảng viên mới kết nạp chưa đủ 6 tháng" in markdown


def test_extra_sections_and_the_preparation_date_are_printed_only_when_given() -> None:
    result, program = sick_leave_case()
    extra = [("Điều gì phải khác để đạt mức cao hơn", ["Để đạt HTT: nghỉ ốm dưới 3 tháng (thực tế 4).", "<b>*x*</b>"])]
    markdown = packet.to_markdown(result, program, extra_sections=extra, prepared_on=date(2021, 1, 5))
    headings = _headings(markdown)
    assert headings.index("Điều gì phải khác để đạt mức cao hơn") == headings.index("Vì sao không đạt mức cao hơn") + 1
    assert "- Để đạt HTT: nghỉ ốm dưới 3 tháng (thực tế 4)." in markdown
    assert "- \\<b\\>\\*x\\*\\</b\\>" in markdown
    assert "| Ngày 05 tháng 01 năm 2021 | Ngày …… tháng …… năm …… |" in markdown
    page = packet.to_html(result, program, "en", extra_sections=extra, prepared_on=date(2021, 1, 5))
    assert "<li>&lt;b&gt;*x*&lt;/b&gt;</li>" in page and "Date: 2021-01-05" in page
    plain = packet.to_markdown(result, program)
    assert "Điều gì phải khác" not in plain and date.today().strftime("%d/%m/%Y") not in plain


# --- the HTML page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_html_is_one_self_contained_printable_page(case: str) -> None:
    result, program = CASES[case]()
    page = packet.to_html(result, program)
    assert page.startswith('<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">')
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for banned in ("<script", "<link", "<img", "<iframe", "@import", "url(", "@font-face", "http://", "https://"):
        assert banned not in lowered, banned
    assert "default-src 'none'" in page
    assert "@page {\n  size: A4;" in page and "@media print" in page
    assert "break-inside: avoid" in page and "print-color-adjust: exact" in page
    assert packet.to_html(result, program, "en").startswith('<!DOCTYPE html>\n<html lang="en">')


def test_html_and_markdown_escape_every_text() -> None:
    result, program = sick_leave_case()
    hostile = replace(result, subject_name='<script>alert("x")</script> & *bold* | [a](b)')
    page = packet.to_html(hostile, program)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; *bold* | [a](b)" in page
    markdown = packet.to_markdown(hostile, program)
    assert '\\<script\\>alert("x")\\</script\\> & \\*bold\\* \\| \\[a](b)' in markdown


def test_renderings_are_deterministic_and_nfc() -> None:
    result, program = quota_case()
    decomposed = replace(result, subject_name=unicodedata.normalize("NFD", "Vũ Minh Tuấn"))
    for render in (packet.to_markdown, packet.to_html):
        first = render(decomposed, program)
        assert first == render(decomposed, program)
        assert unicodedata.is_normalized("NFC", first)
        assert "Vũ Minh Tuấn" in first


def test_vietnamese_text_keeps_its_diacritics_in_nfc() -> None:
    result, program = discipline_case()
    page = packet.to_html(result, program)
    for words in ("Hoàn thành", "Xuất sắc", "Không hoàn thành nhiệm vụ (KHT)", "Trần Thị Bình", "Đại diện cấp ủy"):
        assert unicodedata.normalize("NFC", words) in page
    assert unicodedata.normalize("NFD", "Hoàn thành") not in page
