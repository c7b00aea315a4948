"""End-to-end command-line workflows: batch, explain, receipts and verify, an appeal, diff, version choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paths import FIXTURES, ROOT
from xeploai import api
from xeploai.cli import app as cli
from xeploai.cli import output

PARTY = ROOT / "frameworks" / "party"
HD21 = PARTY / "2019-10-18.yaml"
AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_same_member_for_2019_2023_and_2025_picks_three_files_and_says_why(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chosen = {}
    for year, evidence in (
        ("2019", AN),
        ("2023", AN.with_name("nguyen-van-an-2023.yaml")),
        ("2025", AN.with_name("nguyen-van-an-2025.yaml")),
    ):
        code, out, err = run(
            capsys, "evaluate", str(PARTY), str(evidence), "--period", year, "--lang", "en", "--format", "json"
        )
        assert code == 0, err
        explanation = json.loads(out)
        chosen[year] = (Path(explanation["framework"]["source"]).name, explanation["framework"]["selection"]["en"])
        assert explanation["outcome"]["level"] == "good"
    assert [name for name, _ in chosen.values()] == ["2019-10-18.yaml", "2023-10-04.yaml", "2025-08-30.yaml"]
    assert "in force on 2023-12-31, the last day of the period" in chosen["2023"][1]
    assert "supersedes party/2019-10-18" in chosen["2023"][1]


def test_a_period_no_version_covers_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "evaluate", str(PARTY), str(AN), "--period", "2016")
    assert code == 2 and "no version of party is in force on 2016-12-31" in err


@pytest.mark.parametrize(
    ("last_day", "expected"),
    [
        ("2019-10-17", "2018-09-24.yaml"),
        ("2019-10-18", "2019-10-18.yaml"),
        ("2023-10-03", "2019-10-18.yaml"),
        ("2023-10-04", "2023-10-04.yaml"),
        ("2025-08-29", "2023-10-04.yaml"),
        ("2025-08-30", "2025-08-30.yaml"),
    ],
)
def test_switch_overs_at_their_boundaries(last_day: str, expected: str) -> None:
    period = api.parse_period(f"{last_day[:4]}-01-01..{last_day}")
    assert api.select_framework(PARTY, period).path.name == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        ("2018", "2015-08-01.yaml"),
        ("2020", "2020-08-20.yaml"),
        ("2023", "2023-09-15.yaml"),
        ("2026", "2026-01-01.yaml"),
    ],
)
def test_state_side_versions(year: str, expected: str) -> None:
    assert api.select_framework(ROOT / "frameworks" / "civil-service", api.parse_period(year)).path.name == expected


def test_batch_on_the_example_district_prints_the_order_and_reconciles(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys,
        "batch",
        str(HD21),
        str(ROOT / "examples" / "district"),
        "--period",
        "2020",
        "--out",
        str(tmp_path),
        "--quiet",
        "--lang",
        "en",
    )
    assert code == 0
    assert "3110 subject rows (people and collectives) = " in out and "+ 0 rejected" in out
    assert "party_cell — after" in out or "party_cell" in out
    assert (tmp_path / "ket-qua.csv").exists() and (tmp_path / "tong-hop.csv").exists()


def test_explain_renders_a_printable_page_and_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "an.html"
    code, _, _ = run(capsys, "explain", str(HD21), str(AN), "--output", str(page))
    html = page.read_text(encoding="utf-8")
    assert code == 0 and html.startswith("<!DOCTYPE html>") and "Hoàn thành tốt nhiệm vụ" in html
    code, out, _ = run(capsys, "explain", str(HD21), str(AN), "--format", "md", "--lang", "en")
    assert code == 0 and "Completed tasks well" in out
    assert "The smallest changes that would reach a higher level" in out


def test_explain_a_member_demoted_by_a_quota_from_a_population_with_redaction(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XEPLOAI_REDACT_SALT", "test-salt")
    code, out, _ = run(
        capsys,
        "explain",
        str(HD21),
        "--population",
        str(ROOT / "examples" / "district"),
        "--subject",
        "DV0498",
        "--period",
        "2020",
        "--format",
        "md",
        "--redact",
    )
    assert code == 0 and "DV0498" in out
    assert "DV0487" not in out  # another member of the quota group is pseudonymised


def test_receipt_verifies_and_tampering_is_detected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    receipt = tmp_path / "an.receipt.json"
    code, _, _ = run(capsys, "evaluate", str(HD21), str(AN), "--receipt", str(receipt))
    assert code == 0
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 0, out
    data = json.loads(receipt.read_text(encoding="utf-8"))
    data["outcome"]["level"] = "excellent"
    receipt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 1


def test_an_appeal_with_corrected_evidence_is_recorded_in_a_verified_chain(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    receipt, case = tmp_path / "an.receipt.json", tmp_path / "case.jsonl"
    assert run(capsys, "evaluate", str(HD21), str(AN), "--receipt", str(receipt))[0] == 0
    code, _, _ = run(
        capsys,
        "appeal",
        "open",
        str(case),
        "--receipt",
        str(receipt),
        "--actor",
        "Nguyễn Văn An",
        "--time",
        "2021-01-05",
        "--text",
        "Đề nghị xem xét lại",
    )
    assert code == 0
    corrections = tmp_path / "fix.yaml"
    corrections.write_text("exemplary_with_products: true\ncivil_service_level: HTXS\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        "appeal",
        "correct",
        str(case),
        "--receipt",
        str(receipt),
        "--corrections",
        str(corrections),
        "--actor",
        "Ban Tổ chức",
        "--time",
        "2021-01-10",
        "--lang",
        "en",
        "--new-receipt",
        str(tmp_path / "new.json"),
    )
    assert code == 0 and "HTXS" in out
    assert run(capsys, "verify", str(tmp_path / "new.json"))[0] == 0
    code, _, _ = run(
        capsys,
        "appeal",
        "decide",
        str(case),
        "--actor",
        "Đảng ủy",
        "--time",
        "2021-01-20",
        "--text",
        "Công nhận HTXS",
        "--level",
        "excellent",
    )
    assert code == 0
    code, out, _ = run(capsys, "appeal", "show", str(case))
    assert code == 0 and out.count("\n") >= 5
    lines = case.read_text(encoding="utf-8").splitlines()
    case.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n", encoding="utf-8")
    assert run(capsys, "appeal", "show", str(case))[0] == 1


def test_diff_hd21_to_124_on_the_example_district(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "diff",
        str(HD21),
        str(PARTY / "2023-10-04.yaml"),
        "--replay",
        str(ROOT / "examples" / "district"),
        "--period",
        "2020",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    member = next(k for k in data["kinds"] if k["kind"] == "party_member")
    changed = {c["id"]: c["status"] for c in member["changes"]}
    assert changed.get("disciplined_unless_self_remedied") == "added"
    assert changed.get("disciplined_in_year") == "removed"
    moved = {m["id"]: m for m in data["replay"]["moved"]}
    assert moved, "some members change level between HD21 and 124"
    assert sum(sum(row.values()) for row in data["replay"]["matrix"].values()) == 3110 - len(
        data["replay"]["only_before"]
    )


def test_local_extension_diff_names_the_override(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "diff",
        str(FIXTURES / "extension" / "party" / "2019-10-18.yaml"),
        str(FIXTURES / "extension" / "party-local" / "2020-01-01.yaml"),
    )
    assert code == 0 and "~ rule under_half" in out


PROCESS = FIXTURES / "process"


def test_batch_with_the_review_process_writes_the_official_tables_and_explains_the_ladder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(
        capsys,
        "batch",
        str(PROCESS / "party" / "2025-08-30.yaml"),
        str(PROCESS / "population" / "population.yaml"),
        "--period",
        "2025",
        "--process",
        str(PROCESS / "inputs"),
        "--tables",
        "--out",
        str(tmp_path),
        "--quiet",
        "--lang",
        "en",
    )
    assert code == 0
    assert "above what the rules allow" in out and "members_excellent" in out
    assert (tmp_path / "bieu-mau" / "kiem_soat_ty_le.csv").exists()
    assert (tmp_path / "bi-loai-quy-trinh.csv").exists()


def test_readings_lists_who_depends_on_the_rounding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(
        capsys,
        "readings",
        str(PROCESS / "party" / "2025-08-30.yaml"),
        str(PROCESS / "population" / "population.yaml"),
        "--period",
        "2025",
        "--process",
        str(PROCESS / "inputs"),
        "--out",
        str(tmp_path / "readings.csv"),
    )
    assert code == 0
    assert "quota_rounding = half_up: 1" in out and "c2 Ngô Văn Mười (C1): HTT → HTXS" in out
    assert (tmp_path / "readings.csv").exists()


PLANTED = FIXTURES / "analysis" / "planted" / "2020-01-01.yaml"
DECLARED = FIXTURES / "analysis" / "declared" / "2020-01-01.yaml"


def test_check_deep_prints_findings_with_counterexamples(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--deep", "--budget", "1", str(PLANTED), "--lang", "en")
    assert code == 0  # findings are warnings
    assert "[shadowed-rule]" in out and "evidence:" in out
    assert out.rstrip().endswith("1 file: 0 errors, 7 warnings")


def test_check_deep_strict_exits_1_while_a_finding_is_not_declared(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--deep", "--strict", "--budget", "1", str(DECLARED), "--lang", "en")
    assert code == 1
    assert "[rule-never-holds]" in out and "[level-gap]" not in out  # declared findings are counted, not shown
    assert "6 findings the framework declares as exceptions" in out
    assert out.rstrip().endswith("1 file: 0 errors, 2 warnings")


def test_check_deep_strict_passes_when_every_finding_is_declared(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--deep", "--strict", "--budget", "1", str(PARTY / "2018-09-24.yaml"))
    assert code == 0, out
    assert "phát hiện được khung tiêu chí khai báo là ngoại lệ" in out


def test_check_deep_json_lists_findings_with_counterexamples_and_declarations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ("check", "--deep", "--format", "json", "--budget", "1", "--seed", "3", str(DECLARED))
    code, out, _ = run(capsys, *argv)
    assert code == 0
    data = json.loads(out)
    assert data["findings"] == {"undeclared": 2, "declared": 6}
    (entry,) = data["files"]
    findings = {f["code"] + " " + f["path"]: f for f in entry["findings"]}
    gap = findings["level-gap subjects.member.levels.completed"]
    assert gap["declared"] is True and gap["exception"]["cite"] == {"doc": "hd", "at": "Mục 2", "sources": []}
    assert gap["counterexamples"][0]["outcome"] == "not_completed"
    never = findings["rule-never-holds subjects.member.rules.over_assigned"]
    assert never["declared"] is False and never["exception"] is None and never["exhaustive"] is True
    # The seed changes the search, not what a complete enumeration proves.
    again = json.loads(run(capsys, *argv[:-3], "--seed", "0", str(DECLARED))[1])
    assert {f["path"] for f in again["files"][0]["findings"]} == {f["path"] for f in entry["findings"]}


@pytest.mark.parametrize("option", ["--strict", "--seed=2"])
def test_strict_and_seed_need_deep(capsys: pytest.CaptureFixture[str], option: str) -> None:
    code, _, err = run(capsys, "check", option, str(PLANTED), "--lang", "en")
    assert code == output.EXIT_USAGE and "--deep" in err


def test_batch_shows_a_split_vote_as_awaiting_the_committee_and_reports_ignored_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inputs = tmp_path / "quy-trinh"
    inputs.mkdir()
    (inputs / "ballots.csv").write_text(
        "Mã đối tượng,Bậc,Tổng số,Có mặt,Phiếu hợp lệ,HTXS,HTT,HT,KHT,HTTT\n"
        "DV0001,cell,15,12,12,5,5,2,0,\n"
        "DV0002,cell,15,7,7,0,7,0,0,\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys,
        "batch",
        str(PARTY / "2019-10-18.yaml"),
        str(ROOT / "examples" / "district"),
        "--period",
        "2020",
        "--process",
        str(inputs),
        "--out",
        str(tmp_path / "out"),
        "--quiet",
        "--engine",
        "interpreter",
    )
    assert code == 0
    # a split vote under HD21's "refer" rule: awaiting the committee on the console and in the process results
    assert "Chi bộ nhận xét và đề xuất mức xếp loại: — — chờ cấp có thẩm quyền" in out
    # 7 of 15 present is not more than half (QĐ 24-QĐ/TW 9.3.2, read as the quorum)
    assert "Có mặt 7/15, chưa đủ số có mặt (có mặt quá 50% số được triệu tập — 24-QĐ/TW" in out
    results = (tmp_path / "out" / "quy-trinh.csv").read_text(encoding="utf-8-sig")
    assert "DV0001" in results and "Chờ cấp có thẩm quyền quyết định" in results
    assert "cột 'HTTT' không thuộc bảng ballots, bị bỏ qua; có phải là 'HTT'?" in err
