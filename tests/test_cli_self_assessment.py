"""`xeploai explain --self-assessment`: the packet compares the level the subject proposed with the computed one."""

from __future__ import annotations

import json

import pytest

from paths import ROOT
from xeploai.cli import app as cli

HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"
AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"  # HTT under HD21; not HTXS: no exemplary products


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_proposal_above_the_computed_level_lists_the_failed_rules_of_the_proposed_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "explain", str(HD21), str(AN), "--format", "json", "--self-assessment", "HTXS")
    assert code == 0, err
    assessment = json.loads(out)["self_assessment"]
    assert (assessment["proposed"], assessment["computed"], assessment["comparison"]) == ("excellent", "good", "above")
    failed = {r["id"] for r in assessment["reasons"] if r["kind"] == "failed_rule"}
    assert failed == {"truly_exemplary", "civil_service_excellent"}


def test_the_comparison_is_a_section_of_the_markdown_packet_in_both_languages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "explain", str(HD21), str(AN), "--format", "md", "--self-assessment", "HTXS")
    assert code == 0
    assert "So sánh với mức tự đánh giá" in out and "cao hơn kết quả xếp loại" in out
    code, out, _ = run(
        capsys, "explain", str(HD21), str(AN), "--format", "text", "--lang", "en", "--self-assessment", "good"
    )
    assert code == 0
    assert "Compared with the self-assessed level" in out and "matches the computed level" in out


def test_an_unknown_level_is_a_usage_error_naming_the_levels(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", str(HD21), str(AN), "--lang", "en", "--self-assessment", "perfect")
    assert code == 2
    assert "Unknown level 'perfect'" in err and "excellent (HTXS)" in err
