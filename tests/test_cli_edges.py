"""Requests that are wrong must not look like success: each one ends in exit 2 or a clear warning (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import FIXTURES, ROOT
from xeploai.cli import app as cli

PROCESS = FIXTURES / "process"
PROCESS_FRAMEWORK = PROCESS / "party" / "2025-08-30.yaml"
PROCESS_POPULATION = PROCESS / "population" / "population.yaml"
HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"
HD16 = ROOT / "frameworks" / "party" / "2018-09-24.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- 1. readings --only names readings the framework declares ------------------------------------------------


def test_readings_only_an_undeclared_reading_is_a_usage_error_naming_the_declared_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["readings", str(PROCESS_FRAMEWORK), str(PROCESS_POPULATION), "--period", "2025"]
    code, out, err = run(capsys, *argv, "--only", "nope", "--lang", "en")
    assert code == 2, out
    assert "unknown reading 'nope'" in err and "quota_rounding" in err
    assert out == ""
    code, _, err = run(capsys, *argv, "--only", "quota_roundin")
    assert code == 2 and "không có cách hiểu 'quota_roundin'" in err and "quota_rounding" in err


def test_readings_on_a_framework_that_declares_none_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "readings", str(HD16), str(ROOT / "examples" / "district"), "--period", "2019", "--lang", "en"
    )
    assert code == 2 and "declares no readings" in err


# --- 5. options are checked before any work ------------------------------------------------------------------


def test_check_budget_without_deep_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(HD21), "--budget", "5", "--lang", "en")
    assert code == 2 and "--budget" in err and "--deep" in err
    assert out == ""


@pytest.mark.parametrize("name", ["r.txt", "r", "r.CSV.bak"])
def test_readings_out_of_an_unknown_format_fails_before_any_work(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    from xeploai.analysis import readings

    def no_work(*_: object, **__: object) -> object:
        raise AssertionError("the readings were evaluated before the options were checked")

    monkeypatch.setattr(readings, "evaluate_readings", no_work)
    argv = ["readings", str(PROCESS_FRAMEWORK), str(PROCESS_POPULATION), "--period", "2025"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / name), "--lang", "en")
    assert code == 2 and "must end in .csv, .xlsx or .parquet" in err


def test_readings_out_parquet_without_pyarrow_fails_before_any_work(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    from xeploai.analysis import readings

    def no_work(*_: object, **__: object) -> object:
        raise AssertionError("the readings were evaluated before the options were checked")

    monkeypatch.setattr(readings, "evaluate_readings", no_work)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    argv = ["readings", str(PROCESS_FRAMEWORK), str(PROCESS_POPULATION), "--period", "2025"]
    code, _, err = run(capsys, *argv, "--out", str(tmp_path / "r.parquet"), "--lang", "en")
    assert code == 2 and "need pyarrow" in err


# --- 2. a framework without tests does not pass ------------------------------------------------------------


def _copy_framework(tmp_path: Path, name: str = "2018-09-24.yaml", *, tests: bool = False) -> Path:
    """A copy of a bundled party framework in ``tmp_path/party``, with or without its tests file."""
    folder = tmp_path / "party"
    folder.mkdir(exist_ok=True)
    source = ROOT / "frameworks" / "party" / name
    (folder / name).write_bytes(source.read_bytes())
    if tests:
        tests_name = name.removesuffix(".yaml") + ".tests.yaml"
        (folder / tests_name).write_bytes(source.with_name(tests_name).read_bytes())
    return folder / name


def test_test_fails_on_a_folder_holding_a_framework_without_tests(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    framework = _copy_framework(tmp_path)
    code, out, err = run(capsys, "test", str(tmp_path), "--lang", "en")
    assert code == 1, out + err
    assert "[missing-tests]" in out and str(framework) in out and "2018-09-24.tests.yaml" in out


def test_test_on_a_framework_file_runs_the_tests_beside_it_or_fails_without_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    framework = _copy_framework(tmp_path)
    code, out, _ = run(capsys, "test", str(framework), "--lang", "en")
    assert code == 1 and "[missing-tests]" in out
    framework = _copy_framework(tmp_path, tests=True)
    code, out, _ = run(capsys, "test", str(framework), "--lang", "en")
    assert code == 0 and "[missing-tests]" not in out and "0 failed" in out


def test_test_still_passes_on_the_bundled_frameworks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", str(ROOT / "frameworks"), "--lang", "en")
    assert code == 0 and out.rstrip().endswith(" 0 failed")


def test_check_deep_strict_reports_every_rule_untested_without_a_tests_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from xeploai import api

    framework = _copy_framework(tmp_path)
    code, out, _ = run(capsys, "check", "--deep", "--strict", "--budget", "1", str(framework), "--lang", "en")
    assert code == 1, out
    assert "no tests file" in out and "2018-09-24.tests.yaml" in out
    # Every rule that a level, cap or note uses is reported: none is exercised by a test.
    program = api.load_framework(framework)
    used = {rule for subject in program.subjects.values() for level in subject.levels for rule in level.rules}
    reported = out.count("[untested-rule]")
    assert reported >= len(used) > 0


# --- 3. test periods the framework does not govern; supersedes naming no version ----------------------------


def test_test_case_whose_period_ends_before_the_framework_takes_effect_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    framework = _copy_framework(tmp_path, tests=True)
    tests_file = framework.with_name("2018-09-24.tests.yaml")
    text = tests_file.read_text(encoding="utf-8")
    assert "\nperiod: 2018\n" in text
    tests_file.write_text(text.replace("\nperiod: 2018\n", "\nperiod: 2017\n"), encoding="utf-8")
    code, out, _ = run(capsys, "test", str(tests_file), "--lang", "en")
    assert code == 1
    assert "the period 2017-01-01..2017-12-31 ends before the framework takes effect on 2018-09-24" in out


def test_supersedes_naming_a_version_that_does_not_exist_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    framework = _copy_framework(tmp_path, "2025-08-30.yaml")
    _copy_framework(tmp_path, "2023-10-04.yaml")
    code, out, _ = run(capsys, "check", str(framework), "--lang", "en")
    assert code == 0 and "[unknown-version]" not in out  # party/2023-10-04 is beside it
    text = framework.read_text(encoding="utf-8")
    framework.write_text(text.replace("supersedes: party/2023-10-04", "supersedes: party/2024-01-01"), "utf-8")
    code, out, _ = run(capsys, "check", str(framework), "--lang", "en")
    assert "[unknown-version]" in out and "party/2024-01-01" in out and "1 warning" in out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("civil-service/2023-09-15", "the family party"),
        ("party/2026-01-01", "takes effect after"),
        ("party/2025-08-30", "takes effect after"),
        ("party-2023-10-04", "family/YYYY-MM-DD"),
    ],
)
def test_supersedes_of_another_family_or_a_later_date_is_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str, expected: str
) -> None:
    framework = _copy_framework(tmp_path, "2025-08-30.yaml")
    text = framework.read_text(encoding="utf-8")
    framework.write_text(text.replace("supersedes: party/2023-10-04", f"supersedes: {value}"), "utf-8")
    code, out, _ = run(capsys, "check", str(framework), "--lang", "en")
    assert code == 1 and "framework.supersedes" in out and expected in out


# --- 7. check on a file that is not a framework --------------------------------------------------------------


def test_check_on_an_evidence_file_says_to_use_evaluate(capsys: pytest.CaptureFixture[str]) -> None:
    evidence = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
    code, out, _ = run(capsys, "check", str(evidence), "--lang", "en")
    assert code == 1
    assert "this looks like an evidence file" in out and "xeploai evaluate" in out
    assert "did you mean 'evidence'?" not in out
    code, out, _ = run(capsys, "check", str(evidence))
    assert "tệp minh chứng" in out and "xeploai evaluate" in out


def test_check_on_a_tests_file_says_to_use_test(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(ROOT / "frameworks" / "party" / "2019-10-18.tests.yaml"), "--lang", "en")
    assert code == 1 and "this looks like a framework tests file" in out and "xeploai test" in out


def test_an_unknown_key_is_never_hinted_as_itself(tmp_path: Path) -> None:
    """A key the format knows elsewhere ('evidence' of a subject kind) misplaced at the top: no "did you mean" it."""
    from xeploai import api

    framework = _copy_framework(tmp_path)
    text = framework.read_text(encoding="utf-8")
    framework.write_text(text.replace("format: xeploai/1\n", "format: xeploai/1\nevidence: {}\n", 1), "utf-8")
    issues = [i for i in api.check_file(framework) if i.code == "unknown-key"]
    assert [i.path for i in issues] == ["evidence"]
    assert issues[0].hint is None or "'evidence'" not in issues[0].hint


# --- 8. the API raises what it documents ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["khong-co.yaml", "folder"])
def test_load_framework_on_a_missing_or_unreadable_path_raises_framework_error(tmp_path: Path, name: str) -> None:
    from xeploai import api

    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    with pytest.raises(api.FrameworkError) as raised:
        api.load_framework(path)
    (issue,) = raised.value.issues
    assert str(path) in str(raised.value)
    if name == "folder":  # a folder is named as such (the loader refuses what is not a regular file)
        assert issue.code == "not-a-file" and "thư mục" in issue.message_in("vi")
    else:
        assert issue.code == "cannot-read" and issue.message_in("vi").startswith("không đọc được tệp")


def test_evaluate_with_a_missing_framework_names_it_and_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    evidence = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
    code, _, err = run(capsys, "evaluate", "khong-co.yaml", str(evidence), "--lang", "en")
    assert code == 3 and "khong-co.yaml" in err and "[cannot-read]" in err


def test_the_api_exports_every_public_name_it_defines() -> None:
    import types

    from xeploai import api

    public = {
        name
        for name, value in vars(api).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    public -= {"Sequence"}  # a typing import, not part of the API
    # Names of packages the façade imports when first used (``api.__getattr__``): not in its namespace until then.
    lazy = {"TestOutcome"}
    assert set(api.__all__) == public | lazy
    assert all(getattr(api, name).__name__ == name for name in lazy)
    assert len(api.__all__) == len(set(api.__all__))
    namespace: dict[str, object] = {}
    exec("from xeploai.api import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(api.__all__)


# --- 11. explain --format text|json carry what the packet carries -----------------------------------------------

AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"


def test_explain_text_has_the_packets_sections(capsys: pytest.CaptureFixture[str]) -> None:
    code, md, _ = run(capsys, "explain", str(HD21), str(AN), "--format", "md", "--lang", "en")
    assert code == 0
    code, text, _ = run(capsys, "explain", str(HD21), str(AN), "--format", "text", "--lang", "en")
    assert code == 0
    sections = [line.removeprefix("## ") for line in md.splitlines() if line.startswith("## ")]
    assert len(sections) >= 6
    for title in sections:
        assert title in text.splitlines(), title
    assert "The smallest changes that would reach a higher level" in text
    assert "targets_assigned" in text  # a row of the facts table
    assert "|" not in text and "**" not in text  # plain text, no Markdown


def test_explain_json_has_the_facts_and_the_smallest_changes(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code, out, _ = run(capsys, "explain", str(HD21), str(AN), "--format", "json", "--lang", "en")
    assert code == 0
    document = json.loads(out)
    facts = {f["field"]: f for f in document["facts"]}
    assert facts["targets_assigned"]["origin"] and facts["targets_assigned"]["value"]
    (first, *_) = document["smallest_changes"]
    assert first["level"] == "excellent" and first["code"] == "HTXS"
    change = first["change_sets"][0]["changes"][0]
    assert {"field", "before", "after", "text"} <= change.keys() and change["text"]["en"]
    assert document["confidence"]["summary"]


# --- 12. the documented options are accepted ---------------------------------------------------------------------


def test_keep_takes_several_ids_as_documented() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["explain", "party", "an.yaml", "--redact", "--keep", "DV1", "DV2", "--keep", "DV3"])
    assert args.keep == ["DV1", "DV2", "DV3"]


def test_the_cli_reference_synopsis_names_only_options_the_parser_accepts() -> None:
    """Every ``--option`` of the synopsis of docs/reference/cli.md and of receipts.md's command lines exists."""
    import re

    parser = cli.build_parser()
    commands = {
        name: sub
        for action in parser._subparsers._group_actions  # type: ignore[union-attr]
        for name, sub in action.choices.items()
    }
    appeal = {
        name: sub
        for action in commands["appeal"]._subparsers._group_actions  # type: ignore[union-attr]
        for name, sub in action.choices.items()
    }

    def options(sub: object) -> set[str]:
        if isinstance(sub, list):  # ``appeal open|correct|decide``: an option of any of them
            return set().union(*map(options, sub))
        return {o for a in sub._actions for o in a.option_strings}  # type: ignore[attr-defined]

    docs = ROOT / "docs" / "reference"
    lines = (docs / "cli.md").read_text(encoding="utf-8").split("```")[1].splitlines()
    lines += [
        line for line in (docs / "receipts.md").read_text(encoding="utf-8").splitlines() if "xeploai appeal" in line
    ]
    current = None
    for line in lines:
        words = line.split()
        if len(words) > 1 and words[0] == "xeploai" and words[1] in commands:
            current = commands[words[1]]
            named = words[2].split("|") if words[1] == "appeal" and len(words) > 2 else []
            if named and all(name in appeal for name in named):
                current = [appeal[name] for name in named]
        if current is None:
            continue
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line):
            assert option in options(current) | {"--help", "--version"}, f"{option} in: {line.strip()}"
