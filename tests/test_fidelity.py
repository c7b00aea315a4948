"""Citations that a reader can check: the quote-and-address warnings, and the fidelity report per kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xeploai import api, cli
from xeploai.analysis.fidelity import fidelity

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "frameworks").glob("*/*[0-9].yaml"))

FRAMEWORK = """format: xeploai/1
framework:
  family: party
  version: T
  title: {vi: Thử, en: Test}
  effective_from: 2020-01-01
  legal_basis:
    hd: {number: 1-HD, title: {vi: Hướng dẫn, en: Guidance}, issuer: Ban}
levels:
  - {id: good, code: HTT, label: {vi: Tốt, en: Good}}
  - {id: bad, code: KHT, label: {vi: Không, en: Not}}
subjects:
  member:
    label: {vi: Đảng viên, en: Member}
    evidence:
      ok: {type: bool, label: {vi: Đạt, en: Met}}
    rules:
      met:
        when: ok
        label: {vi: Đạt, en: Met}
        cite: CITE
        confidence: MARK
    levels:
      good: [met]
"""


def _check(cite: str, mark: str) -> list[str]:
    text = FRAMEWORK.replace("CITE", cite).replace("MARK", mark)
    return [i.code for i in api.check_text(text, "t/2020-01-01.yaml")]


def test_a_secondary_entry_without_quote_or_address_is_warned() -> None:
    assert _check('{doc: hd, at: "Mục 1"}', "secondary") == ["unquoted-citation"]
    assert _check('{doc: hd, at: "Mục 1", quote: "Đạt"}', "confirmed") == ["unquoted-citation"]


def test_a_quoted_secondary_entry_and_an_assumed_one_pass() -> None:
    assert _check('{doc: hd, at: "Mục 1", quote: "Đạt", url: "https://example.org/a"}', "secondary") == []
    assert _check('{doc: hd, at: "(vị trí chưa xác định)"}', "assumed") == []


def test_a_quote_next_to_an_unknown_location_is_warned() -> None:
    cite = '{doc: hd, at: "(vị trí chưa xác định)", quote: "Đạt", url: "https://example.org/a"}'
    assert _check(cite, "assumed") == ["citation-location-unknown"]


def test_an_address_that_is_not_a_web_address_is_refused() -> None:
    assert "invalid-value" in _check('{doc: hd, at: "Mục 1", quote: "Đạt", url: "S16"}', "secondary")


def test_the_quote_is_compiled_into_the_citation() -> None:
    program = api.load_framework(ROOT / "frameworks" / "party" / "2025-08-30.yaml")
    cite = program.subjects["party_member"].rules["score_under_50"].cite
    assert cite.quote is not None and "dưới 50 điểm" in cite.quote
    assert cite.url is not None and cite.url.startswith("https://")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_bundled_secondary_or_confirmed_entry_quotes_its_clause(path: Path) -> None:
    report = fidelity(api.load_framework(path))
    assert [e.id for e in report.unquoted() if e.confidence.value != "assumed"] == []
    assert not [i for i in api.check_file(path) if i.severity == "warning"]


def test_fidelity_counts_an_inherited_entry_once_under_the_kind_that_declares_it() -> None:
    program = api.load_framework(ROOT / "frameworks" / "party" / "2019-10-18.yaml")
    report = fidelity(program)
    ids = [(e.where, e.id) for e in report.entries if e.role == "rule"]
    assert ("party_member", "degradation") in ids
    assert ("party_member_leader", "degradation") not in ids  # inherited unchanged
    total = report.counts()
    assert sum(total.values()) == len(report.entries)
    assert sum(sum(report.counts(w).values()) for w in report.places()) == len(report.entries)


def test_check_fidelity_prints_counts_per_kind_and_the_unquoted_entries(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "frameworks" / "party" / "2019-10-18.yaml")
    code = cli.main(["check", "--fidelity", "--lang", "en", path])
    out = capsys.readouterr().out
    assert code == 0
    assert "how its entries are sourced (confirmed / secondary / assumed)" in out
    assert "  grassroots_committee" in out and "  total" in out
    assert "party_member.task_results_good (rule, assumed)" in out
    code = cli.main(["check", "--fidelity", path])
    assert "độ tin cậy của các mục" in capsys.readouterr().out


def test_check_fidelity_json_has_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "frameworks" / "party" / "2025-08-30.yaml")
    assert cli.main(["check", "--fidelity", "--format", "json", path]) == 0
    report = json.loads(capsys.readouterr().out)["files"][0]["fidelity"]
    assert set(report["counts"]) == {"confirmed", "secondary", "assumed"}
    assert report["kinds"]["party_member"]["confirmed"] >= 20
    assert all(e["confidence"] == "assumed" for e in report["unquoted"])


def test_strict_fails_on_a_citation_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "party" / "2020-01-01.yaml"
    file.parent.mkdir()
    file.write_text(FRAMEWORK.replace("CITE", '{doc: hd, at: "Mục 1"}').replace("MARK", "secondary"), "utf-8")
    (tmp_path / "party" / "2020-01-01.tests.yaml").write_text(
        "format: xeploai-tests/1\nframework: 2020-01-01.yaml\ncases:\n"
        "  - {name: met, kind: member, evidence: {ok: true}, expect: {level: good, reasons: []}}\n"
        "  - {name: not met, kind: member, evidence: {ok: false}, expect: {level: bad, reasons: [met]}}\n",
        "utf-8",
    )
    assert cli.main(["check", str(file)]) == 0
    assert cli.main(["check", "--deep", "--strict", str(file)]) == 1
    capsys.readouterr()
