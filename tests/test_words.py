"""The words a user reads (issue 20, item 13): Vietnamese as an office writes it, English without Vietnamese
left in it, plurals that agree, and the same word never counting two different things."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from paths import HD21, ROOT
from xeploai import api
from xeploai.cli import app as cli
from xeploai.explanation import explain
from xeploai.explanation.messages import MESSAGES
from xeploai.program.issues import CODES_VI, Issue, render_issues

AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
DISTRICT = ROOT / "examples" / "district"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _an_explained(lang: str) -> str:
    program = api.load_framework(HD21)
    evidence = api.load_evidence_file(AN)
    assert evidence.period is not None
    result = api.evaluate(program, "party_member", evidence.evidence, period=evidence.period)
    return explain.to_text(result, program, lang)


def test_a_yes_no_requirement_reads_as_the_value_it_needs() -> None:
    text = _an_explained("vi")
    assert "Yêu cầu: is_civil_servant phải là “không”" in text
    assert "phải sai" not in text and "phải đúng" not in text


# "Căn cứ" is the legal basis; what a subject submits is "minh chứng".
_LEGAL = re.compile(r"căn cứ pháp lý|văn bản căn cứ|^căn cứ$|căn cứ dẫn văn bản", re.IGNORECASE)


def test_vietnamese_messages_say_minh_chung_for_evidence_and_can_cu_only_for_the_legal_basis() -> None:
    texts = [t.vi for t in MESSAGES.values()] + list(CODES_VI.values())
    wrong = [t for t in texts if re.search("căn cứ", t, re.IGNORECASE) and not _LEGAL.search(t)]
    assert wrong == []
    assert MESSAGES["outcome.insufficient_evidence"].vi == "Chưa đủ minh chứng để xếp loại"
    assert MESSAGES["field.citation"].vi == "Căn cứ"


def test_english_explanations_carry_no_vietnamese_placeholder() -> None:
    program = api.load_framework(ROOT / "frameworks" / "civil-service" / "2020-08-20.yaml")
    placeholders = [
        r.cite.at
        for s in program.subjects.values()
        for r in s.rules.values()
        if r.cite is not None and r.cite.at == "(vị trí chưa xác định)"
    ]
    assert placeholders  # the framework does leave some clauses unlocated
    from xeploai.explanation.messages import cite_place

    assert cite_place("(vị trí chưa xác định)", "en") == "(clause not yet located)"
    assert cite_place("(vị trí chưa xác định)", "vi") == "(vị trí chưa xác định)"
    assert cite_place("Điều 3", "en") == "Điều 3"


def test_english_plurals_agree_with_their_counts() -> None:
    one_warning = [Issue("unknown-version", "x", severity="warning"), Issue("invalid-value", "y")]
    assert "(1 error, 1 warning)" in render_issues(one_warning, "f.yaml", "en")
    from xeploai.explanation.messages import msg

    assert "1 group," in msg("cli.batch.quota", "en", groups=1, groups_s="", ranked=0, flagged=0, decided=0)
    from xeploai.explanation import verifier

    assert "1 difference." in verifier._WORDS["failed"].get("en").format(count=1, count_s="")
    assert "(s)" not in verifier._WORDS["failed"].en


@pytest.fixture(scope="module")
def batch_screens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import contextlib
    import io

    screens = {}
    for lang in ("vi", "en"):
        out = tmp_path_factory.mktemp(lang)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(
                ["batch", str(HD21), str(DISTRICT), "--period", "2020", "--out", str(out), "--quiet", "--lang", lang]
            )
        assert code == 0
        screens[lang] = buffer.getvalue()
    return screens


def _table_header(screen: str) -> str:
    return next(line for line in screen.splitlines() if "HTXS" in line and "HTT" in line and "quota" not in line)


def test_the_console_table_says_bi_loai_and_english_headers_in_english(batch_screens: dict[str, str]) -> None:
    vi, en = _table_header(batch_screens["vi"]), _table_header(batch_screens["en"])
    assert "Bị loại" in vi.split() or "Bị loại" in vi
    assert not re.search(r"\bLoại\b", vi.replace("Bị loại", ""))
    for word in ("Tổng", "Loại", "KXL", "CĐCC"):
        assert word not in en
    assert "Tổng cộng" not in batch_screens["en"]


def test_names_cut_to_the_column_end_with_an_ellipsis(batch_screens: dict[str, str]) -> None:
    long_name = "Chi bộ Phòng Nông nghiệp và Phát triển nông thôn"
    screen = batch_screens["vi"]
    assert long_name not in screen
    cut = next(line for line in screen.splitlines() if line.startswith("Chi bộ Phòng Nông nghiệp"))
    assert "…" in cut


def test_the_table_and_the_closing_line_name_what_each_counts(batch_screens: dict[str, str]) -> None:
    en = batch_screens["en"]
    assert "People" in _table_header(en)
    closing = next(line for line in en.splitlines() if "= " in line and "classified" in line)
    assert closing.startswith("3110 subject rows (people and collectives)")
    vi = batch_screens["vi"]
    assert "Cá nhân" in _table_header(vi)
    closing_vi = next(line for line in vi.splitlines() if "được xếp loại" in line and "= " in line)
    assert "dòng đối tượng (cá nhân và tập thể)" in closing_vi


def test_appeal_show_in_vietnamese_names_entry_kinds_in_vietnamese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    receipt = tmp_path / "an.receipt.json"
    assert run(capsys, "evaluate", str(HD21), str(AN), "--receipt", str(receipt))[0] == 0
    case = tmp_path / "case.jsonl"
    argv = ["--actor", "Chi bộ", "--time", "2021-01-05"]
    assert run(capsys, "appeal", "open", str(case), "--receipt", str(receipt), *argv, "--text", "Khiếu nại")[0] == 0
    assert run(capsys, "appeal", "decide", str(case), *argv, "--text", "Giữ nguyên", "--level", "good")[0] == 0
    code, out, _ = run(capsys, "appeal", "show", str(case))
    assert code == 0
    assert "kết quả ban đầu" in out and "khiếu nại" in out and "quyết định" in out
    assert " original " not in out and " decision " not in out
    assert "Hoàn thành tốt nhiệm vụ (HTT)" in out  # the level decided, not its id
    code, out, _ = run(capsys, "verify", str(receipt))
    assert "Kết quả: Hoàn thành tốt nhiệm vụ (HTT)" in out and "Kết quả: good" not in out


def test_argument_errors_follow_lang(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", "--lang", "en")
    assert code == 2 and "the following arguments are required" in err
    code, _, err = run(capsys, "evaluate")
    assert code == 2 and "thiếu đối số bắt buộc" in err
    code, _, err = run(capsys, "evaluate", "a.yaml", "b.yaml", "--format", "pdf")
    assert code == 2 and "lựa chọn không hợp lệ" in err
    assert unicodedata.is_normalized("NFC", err)
