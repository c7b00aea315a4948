"""The engine ``xeploai batch --engine auto`` chooses (``cli/engines.py``): the columnar one from the measured
threshold, the interpreter when every trace is needed or numpy is missing, and the one asked for otherwise."""

from __future__ import annotations

import importlib.util

import pytest

from paths import ROOT
from xeploai.cli import app as cli
from xeploai.cli import engines
from xeploai.cli import populations as cli_populations
from xeploai.cli.output import UsageError
from xeploai.framework.files import load_framework
from xeploai.tables import parquet

DISTRICTS = [
    (ROOT / "examples" / "district", ROOT / "frameworks" / "party" / "2019-10-18.yaml"),
    (ROOT / "examples" / "district-2023", ROOT / "frameworks" / "party" / "2023-10-04.yaml"),
]


def choose(rows: int, requested: str = "auto", *, process: bool = False, every_trace: bool = False) -> str:
    return engines.choose_engine(requested, rows, process=process, every_trace=every_trace, lang="en")


def test_auto_is_columnar_from_the_measured_threshold() -> None:
    assert choose(engines.AUTO_COLUMNAR_ROWS - 1) == "interpreter"
    assert choose(engines.AUTO_COLUMNAR_ROWS) == "columnar"
    assert choose(0) == "interpreter"


@pytest.mark.parametrize("data, framework", DISTRICTS, ids=["district", "district-2023"])
def test_auto_classifies_the_bundled_districts_column_wise(data: object, framework: object) -> None:
    """Measured (docs/benchmarks.md): two to three times faster there, and the same files."""
    program = load_framework(framework)  # type: ignore[arg-type]
    rows = parquet.subject_rows(data, program)  # type: ignore[arg-type]
    assert rows > 3000
    args = cli.build_parser().parse_args(["batch", str(framework), str(data), "--period", "2020"])
    assert cli_populations._batch_engine(args, rows, "en", program) == "columnar"


@pytest.mark.parametrize("option", ["--tables", "--traces", "--traces-gz", "--process=p"])
def test_auto_stays_with_the_interpreter_when_every_trace_is_needed(option: str) -> None:
    args = cli.build_parser().parse_args(["batch", "f.yaml", "d", "--period", "2020", option])
    program = load_framework(ROOT / "frameworks" / "party" / "2019-10-18.yaml")
    assert cli_populations._batch_engine(args, 10**6, "en", program) == "interpreter"


def test_the_engine_asked_for_is_the_engine_used() -> None:
    assert choose(10**6, "interpreter") == "interpreter"
    assert choose(1, "columnar") == "columnar"
    assert choose(1, "columnar", every_trace=True) == "columnar"


def test_without_numpy_auto_is_the_interpreter_and_columnar_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "numpy" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert choose(10**6) == "interpreter"
    with pytest.raises(UsageError, match="numpy"):
        choose(10, "columnar")
