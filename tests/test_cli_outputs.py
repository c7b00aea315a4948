"""What a framework author's CI, editor and shell read from the command line: test reports (JUnit XML, JSON),
one-line diagnostics, standard input, shell completion, and compressed explanations from ``batch``."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from paths import FIXTURES, ROOT
from test_determinism import _population
from xeploai import api
from xeploai.cli import app as cli

POPULATION_FRAMEWORK = FIXTURES / "population" / "2019-10-18.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- batch --traces-gz -------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["interpreter", "columnar"])
def test_batch_writes_the_explanations_gzip_compressed_and_the_same_on_every_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    if engine == "columnar":
        pytest.importorskip("numpy")
    data = _population(tmp_path / "in", None)
    common = ["batch", str(POPULATION_FRAMEWORK), str(data), "--period", "2020", "--quiet", "--engine", engine]
    assert run(capsys, *common, "--out", str(tmp_path / "plain"), "--traces")[0] == 0
    code, out, _ = run(capsys, *common, "--out", str(tmp_path / "gz"), "--traces-gz")
    assert code == 0
    assert run(capsys, *common, "--out", str(tmp_path / "again"), "--traces-gz")[0] == 0
    packed = tmp_path / "gz" / "giai-thich.jsonl.gz"
    assert f"{packed}" in out
    assert not (tmp_path / "gz" / "giai-thich.jsonl").exists()
    plain = (tmp_path / "plain" / "giai-thich.jsonl").read_bytes()
    assert gzip.decompress(packed.read_bytes()) == plain
    assert len(packed.read_bytes()) * 5 < len(plain)
    assert packed.read_bytes() == (tmp_path / "again" / "giai-thich.jsonl.gz").read_bytes()  # no time, no name
    assert json.loads(plain.splitlines()[0])["subject"]


def test_batch_help_says_how_large_the_explanations_are(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "batch", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "--traces-gz" in text
    assert "KB a subject" in text


# --- check --format lines: one problem a line, as editors' problem matchers read ---------------------------

BROKEN = FIXTURES / "broken" / "2020-01-01.yaml"
CLEAN = FIXTURES / "analysis" / "clean" / "2020-01-01.yaml"
ONE_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): .+ \[(?P<code>[a-z-]+)\]$"
)


def test_check_lines_prints_one_problem_a_line_as_file_line_col(capsys: pytest.CaptureFixture[str]) -> None:
    issues = api.check_file(BROKEN)
    code, out, err = run(capsys, "check", str(BROKEN), "--format", "lines", "--lang", "en")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == len(issues)
    matched = [ONE_LINE.match(line) for line in lines]
    assert all(matched), [line for line, m in zip(lines, matched, strict=True) if not m]
    assert [(m["code"], int(m["line"]), int(m["col"])) for m in matched if m] == [
        (i.code, i.span.line, i.span.col) for i in issues if i.span is not None
    ]
    assert {m["file"] for m in matched if m} == {str(BROKEN.relative_to(Path.cwd()))}
    assert "13" in err  # the count goes to standard error, so that standard output is the problems alone


def test_check_lines_of_a_clean_file_prints_nothing_on_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(CLEAN), "--format", "lines")
    assert (code, out) == (0, "")


# --- standard input -----------------------------------------------------------------------------------------


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_check_reads_a_framework_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, BROKEN.read_bytes())
    code, out, _ = run(capsys, "check", "-", "--format", "lines", "--lang", "en")
    assert code == 1
    assert out.splitlines() and all(line.startswith("<stdin>:") for line in out.splitlines())
    assert "[unknown-document]" in out
    stdin(monkeypatch, CLEAN.read_bytes())
    assert run(capsys, "check", "-")[0] == 0


def test_evaluate_reads_the_evidence_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
    code, from_file, _ = run(capsys, "evaluate", "party", str(evidence), "--format", "json")
    assert code == 0
    stdin(monkeypatch, evidence.read_bytes())
    code, from_stdin, _ = run(capsys, "evaluate", "party", "-", "--format", "json")
    assert code == 0
    assert json.loads(from_stdin)["outcome"] == json.loads(from_file)["outcome"]
    stdin(monkeypatch, b"subject: {kind: party_member}\nperiod: 2020\nevidence: {targets_met: many}\n")
    code, _, err = run(capsys, "evaluate", "party", "-", "--lang", "en")
    assert code == 3
    assert "<stdin>" in err


# --- test --format junit | json | lines -----------------------------------------------------------------------

TESTS_FILE = """\
framework: {framework}
period: 2020
cases:
  - name: every target met with excellent results is HTXS
    subject: member
    evidence: {{targets_assigned: 10, targets_met: 10, task_results: Xuất sắc}}
    expect: {{level: excellent}}
  - name: "a wrong expectation <fails> & says so \\x01"
    subject: member
    evidence: {{targets_assigned: 10, targets_met: 9, task_results: Xuất sắc}}
    expect: {{level: excellent}}
  - name: a case for a kind the framework lacks
    subject: membr
    evidence: {{}}
    expect: {{level: good}}
"""


@pytest.fixture
def tests_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.tests.yaml"
    path.write_text(TESTS_FILE.format(framework=CLEAN), encoding="utf-8")
    return path


def test_test_junit_is_valid_xml_with_the_right_counts(capsys: pytest.CaptureFixture[str], tests_file: Path) -> None:
    code, out, _ = run(capsys, "test", str(tests_file), "--format", "junit")
    assert code == 1
    root = ElementTree.fromstring(out.encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    (suite,) = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        str(tests_file),
        "3",
        "1",
        "1",
    )
    cases = suite.findall("testcase")
    assert cases[0].get("name") == "every target met with excellent results is HTXS"
    assert "<fails> & says so" in str(cases[1].get("name"))
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    failure = cases[1].find("failure")
    assert failure is not None and "level: expected excellent, got good" in (failure.text or "")
    assert cases[1].get("file") == str(tests_file) and cases[1].get("line") == "8"
    error = cases[2].find("error")
    assert error is not None and "membr" in (error.get("message") or "")


def test_test_json_lists_every_case(capsys: pytest.CaptureFixture[str], tests_file: Path) -> None:
    code, out, _ = run(capsys, "test", str(tests_file), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["passed"], report["failed"]) == (1, 2)
    assert [c["passed"] for c in report["cases"]] == [True, False, False]
    assert report["cases"][1]["line"] == 8
    assert "level: expected excellent, got good" in report["cases"][1]["messages"]


def test_test_lines_prints_a_failed_case_where_it_is(capsys: pytest.CaptureFixture[str], tests_file: Path) -> None:
    code, out, _ = run(capsys, "test", str(tests_file), "--format", "lines")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2 and all(ONE_LINE.match(line) for line in lines), lines
    assert lines[0].startswith(f"{tests_file}:8:")


# --- shell completion -------------------------------------------------------------------------------------


def complete(script: str, line: str) -> list[str]:
    """The words bash's completion offers for ``line`` (the cursor at its end)."""
    words = line.split(" ")
    program = (
        f"{script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_xeploai\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60, check=True)
    return sorted(w for w in done.stdout.splitlines() if w)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_offers_commands_options_and_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0
    assert complete(script, "xeploai ch") == ["check"]
    assert "evaluate" in complete(script, "xeploai ")
    assert complete(script, "xeploai check --fo") == ["--format"]
    assert complete(script, "xeploai check --format ") == ["json", "lines", "text"]
    assert complete(script, "xeploai test --format j") == ["json", "junit"]
    assert complete(script, "xeploai appeal ") == ["correct", "decide", "open", "show"]
    assert complete(script, "xeploai appeal decide --le") == ["--level"]
    assert complete(script, "xeploai batch --lang vi --engine c") == ["columnar"]
    assert complete(script, "xeploai --lang") == []  # --lang belongs to the subcommands


def test_zsh_completion_is_the_bash_one_through_bashcompinit(capsys: pytest.CaptureFixture[str]) -> None:
    code, script, _ = run(capsys, "completion", "zsh")
    assert code == 0
    assert "bashcompinit" in script and "complete -o" in script and "_xeploai" in script


def test_standard_input_over_the_size_limit_is_refused_like_a_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, b"a: " + b"x" * (21 * 1024 * 1024))
    code, out, _ = run(capsys, "check", "-", "--format", "lines", "--lang", "en")
    assert code == 1
    assert out == "<stdin>:1:1: error: the file is larger than 20 MiB [too-large]\n"


def test_the_deep_analysis_of_standard_input_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin(monkeypatch, CLEAN.read_bytes())
    code, _, err = run(capsys, "check", "-", "--deep", "--lang", "en")
    assert code == 2
    assert "not standard input" in err
