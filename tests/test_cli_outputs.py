"""What a framework author's CI, editor and shell read from the command line: test reports (JUnit XML, JSON),
one-line diagnostics, standard input, shell completion, and compressed explanations from ``batch``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from paths import FIXTURES
from test_determinism import _population
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
