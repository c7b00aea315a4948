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
