"""The command line: argument parsing, exit codes, output, and never a traceback for a user.

The api functions are replaced by stubs here; end-to-end runs on the bundled framework live elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from test_explain import PERIOD, PROGRAM, good_result
from xeploai import api
from xeploai.cli import app as cli
from xeploai.cli import output, subjects
from xeploai.evaluation.trace import Result
from xeploai.program.ir import Span
from xeploai.program.issues import EvidenceError, FrameworkError, Issue

ROOT = Path(__file__).resolve().parents[1]

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``xeploai`` in-process: (exit code, stdout, stderr)."""

    def go(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


def raiser(error: BaseException) -> Callable[..., object]:
    def fail(*_: object, **__: object) -> object:
        raise error

    return fail


EVIDENCE = api.EvidenceFile(
    kind="party_member",
    subject_id="dv-001",
    name="Nguyễn Văn An",
    period=PERIOD,
    evidence={"targets_met": 8},
    source="an.yaml",
    spans={},
)


@pytest.fixture
def stub_evaluation(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Stub the api so that ``evaluate`` returns the hand-built HTT result; records the call."""
    calls: dict[str, object] = {}

    def evaluate(program: object, kind: str, evidence: object, **kw: object) -> Result:
        calls.update(kind=kind, evidence=evidence, **kw)
        return good_result()

    monkeypatch.setattr(api, "load_framework", lambda path: PROGRAM)
    monkeypatch.setattr(api, "load_evidence_file", lambda path: EVIDENCE)
    monkeypatch.setattr(api, "evaluate", evaluate)
    return calls


FRAMEWORK_ERROR = FrameworkError(
    "frameworks/party/2019-10-18.yaml",
    [
        Issue(
            "unknown-reference",
            "unknown rule 'targets_met_al'",
            "subjects.party_member.levels.good.all[2]",
            Span("frameworks/party/2019-10-18.yaml", 88, 11),
            "did you mean 'targets_met_all'?",
        )
    ],
)
EVIDENCE_ERROR = EvidenceError(
    "an.yaml",
    [Issue("wrong-type", "targets_met: expected a count, got 'nhiều'", "targets_met", Span("an.yaml", 4, 16))],
)


# --- parsing ------------------------------------------------------------------------------------------------


def test_parser_reads_evaluate_options() -> None:
    argv = "evaluate fw.yaml ev.yaml --kind party_member --period 2020-Q3 --format json --lang en"
    args = cli.build_parser().parse_args(argv.split())
    assert (args.command, args.framework, args.evidence) == ("evaluate", "fw.yaml", "ev.yaml")
    assert (args.kind, args.period, args.format, args.lang) == ("party_member", "2020-Q3", "json", "en")
    assert args.handler is subjects.run_evaluate


def test_parser_defaults() -> None:
    args = cli.build_parser().parse_args(["evaluate", "fw.yaml", "ev.yaml"])
    assert (args.kind, args.period, args.format, args.lang) == (None, None, "text", "vi")
    args = cli.build_parser().parse_args(["check", "a.yaml", "dir"])
    assert args.paths == ["a.yaml", "dir"] and args.format == "text"
    args = cli.build_parser().parse_args(["schema", "--evidence", "fw.yaml", "party_member"])
    assert args.evidence == ["fw.yaml", "party_member"]
    assert cli.build_parser().parse_args(["schema"]).evidence is None
    assert cli.build_parser().parse_args(["test", "frameworks"]).paths == ["frameworks"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["check"],
        ["test"],
        ["evaluate", "fw.yaml"],
        ["evaluate", "fw.yaml", "ev.yaml", "--format", "html"],
        ["evaluate", "fw.yaml", "ev.yaml", "--lang", "fr"],
        ["schema", "--evidence", "fw.yaml"],
        ["check", "a.yaml", "--no-such-option"],
    ],
)
def test_usage_errors_exit_2_with_usage_on_stderr(run: Run, argv: list[str]) -> None:
    code, out, err = run(*argv)
    assert code == output.EXIT_USAGE
    assert "usage: xeploai" in err
    assert "Traceback" not in out + err


def test_help_and_version_exit_0(run: Run) -> None:
    code, out, _ = run("--help")
    assert code == 0 and "evaluate" in out and "exit codes" in out
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("xeploai ")


# --- evaluate -----------------------------------------------------------------------------------------------


def test_evaluate_prints_the_explanation(run: Run, stub_evaluation: dict[str, object]) -> None:
    code, out, err = run("evaluate", "fw.yaml", "an.yaml")
    assert code == 0, err
    assert out.splitlines()[0] == "Nguyễn Văn An (dv-001): Hoàn thành tốt nhiệm vụ (HTT)"
    assert "Vì sao không đạt mức Hoàn thành xuất sắc nhiệm vụ (HTXS):" in out
    assert stub_evaluation["kind"] == "party_member"
    assert stub_evaluation["period"] == PERIOD
    assert stub_evaluation["subject_id"] == "dv-001"


def test_evaluate_json_in_english(run: Run, stub_evaluation: dict[str, object]) -> None:
    code, out, _ = run("evaluate", "fw.yaml", "an.yaml", "--format", "json", "--lang", "en")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "xeploai.explanation/1"
    assert data["lang"] == "en"
    assert data["outcome"]["headline"] == "Completed tasks well (HTT)"


def test_evaluate_options_override_the_file(run: Run, stub_evaluation: dict[str, object]) -> None:
    code, _, err = run("evaluate", "fw.yaml", "an.yaml", "--kind", "party_member_leader", "--period", "2021")
    assert code == 0, err
    assert stub_evaluation["kind"] == "party_member_leader"
    assert str(stub_evaluation["period"]) == "2021-01-01..2021-12-31"


def test_evaluate_without_a_period_is_a_usage_error(
    run: Run, stub_evaluation: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    no_period = api.EvidenceFile("party_member", "dv-001", None, None, {}, "an.yaml", {})
    monkeypatch.setattr(api, "load_evidence_file", lambda path: no_period)
    code, out, err = run("evaluate", "fw.yaml", "an.yaml")
    assert code == output.EXIT_USAGE
    assert "--period" in err and out == ""


def test_evaluate_without_a_kind_is_a_usage_error(
    run: Run, stub_evaluation: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    no_kind = api.EvidenceFile("", "dv-001", None, PERIOD, {}, "an.yaml", {})
    monkeypatch.setattr(api, "load_evidence_file", lambda path: no_kind)
    code, _, err = run("evaluate", "fw.yaml", "an.yaml", "--lang", "en")
    assert code == output.EXIT_USAGE
    assert "--kind" in err


def test_evaluate_with_a_bad_period_is_a_usage_error(run: Run, stub_evaluation: dict[str, object]) -> None:
    code, _, err = run("evaluate", "fw.yaml", "an.yaml", "--period", "năm ngoái")
    assert code == output.EXIT_USAGE
    assert "năm ngoái" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("target", "error", "expected"),
    [
        ("load_framework", FRAMEWORK_ERROR, "unknown rule 'targets_met_al' [unknown-reference]"),
        ("load_evidence_file", EVIDENCE_ERROR, "expected a count, got 'nhiều' [wrong-type]"),
        ("evaluate", EVIDENCE_ERROR, "at an.yaml:4:16"),
    ],
)
def test_invalid_input_exits_3_with_the_rendered_issues(
    run: Run,
    stub_evaluation: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: Exception,
    expected: str,
) -> None:
    monkeypatch.setattr(api, target, raiser(error))
    code, out, err = run("evaluate", "fw.yaml", "an.yaml", "--lang", "en")
    assert code == output.EXIT_INVALID
    assert out == ""
    assert err.startswith("1 problem in ")
    assert expected in err
    assert "Traceback" not in err
    code, _, err = run("evaluate", "fw.yaml", "an.yaml")  # Vietnamese by default
    assert code == output.EXIT_INVALID and err.startswith("1 vấn đề trong ")
    assert expected.split(" [")[0].removeprefix("at ") in err


def test_a_missing_file_exits_3_naming_it(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        api, "load_framework", raiser(FileNotFoundError(2, "No such file or directory", "khong-co.yaml"))
    )
    code, _, err = run("evaluate", "khong-co.yaml", "an.yaml", "--lang", "en")
    assert code == output.EXIT_INVALID
    assert err.strip() == "xeploai evaluate: cannot read khong-co.yaml: No such file or directory"


def test_an_unexpected_error_exits_4_without_a_traceback(
    run: Run, stub_evaluation: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    monkeypatch.setattr(api, "evaluate", raiser(RuntimeError("boom")))
    code, out, err = run("evaluate", "fw.yaml", "an.yaml")
    assert code == output.EXIT_INTERNAL
    assert out == ""
    assert "Traceback" not in err
    assert "RuntimeError: boom" in err
    assert "XEPLOAI_DEBUG=1" in err
    assert "lỗi nội bộ" in err


def test_debug_mode_shows_the_traceback(
    run: Run, stub_evaluation: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    monkeypatch.setattr(api, "evaluate", raiser(RuntimeError("boom")))
    code, _, err = run("evaluate", "fw.yaml", "an.yaml", "--lang", "en")
    assert code == output.EXIT_INTERNAL
    assert "Traceback" in err and "internal error" in err


def test_interrupt_exits_130(run: Run, stub_evaluation: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "evaluate", raiser(KeyboardInterrupt()))
    code, _, err = run("evaluate", "fw.yaml", "an.yaml")
    assert code == output.EXIT_INTERRUPTED
    assert "Traceback" not in err


# --- check --------------------------------------------------------------------------------------------------


def test_check_prints_every_issue_and_exits_1_on_errors(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    results = {"a.yaml": list(FRAMEWORK_ERROR.issues), "b.yaml": []}
    monkeypatch.setattr(api, "check_paths", lambda paths: results)
    code, out, _ = run("check", "a.yaml", "b.yaml", "--lang", "en")
    assert code == output.EXIT_PROBLEMS
    assert "1 problem in a.yaml" in out
    assert "hint: did you mean 'targets_met_all'?" in out
    assert "b.yaml" not in out
    assert out.rstrip().endswith("2 files: 1 error, 0 warnings")


def test_check_of_clean_files_says_ok(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "check_paths", lambda paths: {"a.yaml": [], "b.yaml": []})
    code, out, _ = run("check", "frameworks")
    assert code == 0
    assert out == "ok: 2 tệp, không có vấn đề\n"


def test_check_warnings_alone_exit_0(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    warning = Issue("non-nfc-text", "text is not in NFC", severity="warning")
    monkeypatch.setattr(api, "check_paths", lambda paths: {"a.yaml": [warning]})
    code, out, _ = run("check", "a.yaml", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["errors"] == 0 and data["warnings"] == 1
    assert data["files"][0]["ok"] is True
    assert data["files"][0]["issues"][0]["code"] == "non-nfc-text"


# --- test ---------------------------------------------------------------------------------------------------


def test_test_prints_failing_cases_and_counts(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = [
        api.TestOutcome("t.tests.yaml", "passes", True, (), None),
        api.TestOutcome(
            "t.tests.yaml",
            "a disciplined member is KHT",
            False,
            ("level: expected not_completed, got good", "reasons: expected ['a'],\ngot []"),
            Span("t.tests.yaml", 12, 5),
        ),
    ]
    monkeypatch.setattr(api, "run_framework_tests", lambda paths: outcomes)
    code, out, _ = run("test", "frameworks", "--lang", "en")
    assert code == output.EXIT_PROBLEMS
    assert "FAIL t.tests.yaml: a disciplined member is KHT" in out
    assert "  level: expected not_completed, got good" in out
    assert "  got []" in out
    assert "  at t.tests.yaml:12:5" in out
    assert "passes" not in out
    assert out.rstrip().endswith("1 passed, 1 failed")


def test_test_all_passing_exits_0(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = [api.TestOutcome("t.tests.yaml", "ok", True, (), None)]
    monkeypatch.setattr(api, "run_framework_tests", lambda paths: outcomes)
    code, out, _ = run("test", "frameworks")
    assert code == 0
    assert out == "1 đạt, 0 không đạt\n"


def test_test_without_any_case_exits_1(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "run_framework_tests", lambda paths: [])
    code, _, err = run("test", "empty", "--lang", "en")
    assert code == output.EXIT_PROBLEMS
    assert "no test cases found" in err


# --- schema -------------------------------------------------------------------------------------------------


def test_schema_prints_the_framework_schema(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "framework_json_schema", lambda: {"title": "Khung tiêu chí"})
    code, out, _ = run("schema")
    assert code == 0
    assert json.loads(out) == {"title": "Khung tiêu chí"}


def test_schema_of_evidence(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "load_framework", lambda path: PROGRAM)
    monkeypatch.setattr(api, "evidence_json_schema", lambda program, kind: {"title": kind})
    code, out, _ = run("schema", "--evidence", "fw.yaml", "party_member")
    assert code == 0
    assert json.loads(out) == {"title": "party_member"}


def test_schema_of_an_unknown_kind_exits_3_with_a_hint(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "load_framework", lambda path: PROGRAM)
    code, out, err = run("schema", "--evidence", "fw.yaml", "party_membr", "--lang", "en")
    assert code == output.EXIT_INVALID
    assert out == ""
    assert "[unknown-subject-kind]" in err
    assert "did you mean 'party_member'?" in err


# --- the process --------------------------------------------------------------------------------------------

SCRIPT = """
import sys
from xeploai import api
from xeploai.cli import app as cli
api.framework_json_schema = lambda: {"title": "Hoàn thành xuất sắc nhiệm vụ"}
def boom(*a, **k):
    raise RuntimeError("boom")
api.check_paths = boom
raise SystemExit(cli.main(sys.argv[1:]))
"""


def _process(*argv: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != cli.DEBUG_ENV}
    env.update(PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="ascii", LC_ALL="C", LANG="C")
    return subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True, env=env, check=False)


def test_output_is_utf8_whatever_the_locale() -> None:
    proc = _process("schema")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.decode("utf-8")) == {"title": "Hoàn thành xuất sắc nhiệm vụ"}


def test_a_crashing_process_shows_no_traceback() -> None:
    proc = _process("check", "x.yaml")
    assert proc.returncode == output.EXIT_INTERNAL
    err = proc.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert "lỗi nội bộ" in err


def test_python_dash_m_runs_the_cli() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "xeploai", "--version"], capture_output=True, env=env, check=False, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("xeploai ")
