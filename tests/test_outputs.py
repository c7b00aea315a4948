"""Outputs that look finished are finished (issue 20, item 22): every file is written to a temporary name and renamed
once complete, one batch writes into a folder at a time, no link planted at an output name is written through, a
write error names the file it could not write, and manifest.json, written last, tells a finished run from a broken
one."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

import xeploai
from paths import FIXTURES
from xeploai.cli import app as cli
from xeploai.tables import writers

POPULATION = FIXTURES / "population" / "2019-10-18.yaml"
UNITS = "id,parent,kind,name,head\nD,,district,Huyện ủy,\nC1,D,grassroots_cell,Chi bộ,\n"
HEADER = "id,unit,kind,name,targets_assigned,targets_met,task_results\n"


def population(folder: Path, members: int = 60) -> Path:
    data = folder / "data"
    data.mkdir(exist_ok=True)
    (data / "units.csv").write_text(UNITS, encoding="utf-8")
    rows = "".join(f"A{i:04d},C1,member,Người {i},10,{5 + i % 6},Tốt\n" for i in range(members))
    (data / "subjects.csv").write_text(HEADER + rows, encoding="utf-8")
    return data


def batch(capsys: pytest.CaptureFixture[str], data: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    argv = ["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(out), "--quiet", "--lang", "en"]
    code = cli.main([*argv, *extra])
    got = capsys.readouterr()
    return code, got.out, got.err


def names(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    return [name for name in names(folder) if ".xeploai-tmp-" in name]


def test_a_finished_batch_ends_with_a_manifest_of_every_file_with_rows_and_hashes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from xeploai.tables.outputs import check_folder

    out = tmp_path / "out"
    code, stdout, err = batch(capsys, population(tmp_path), out, "--tables", "--traces")
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is True and manifest["schema"] == "xeploai.batch-manifest/1"
    assert manifest["command"][:2] == ["xeploai", "batch"] and "--tables" in manifest["command"]
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == names(out) - {"manifest.json"}
    for name, item in listed.items():
        content = (out / name).read_bytes()
        assert item["sha256"] == hashlib.sha256(content).hexdigest() and item["bytes"] == len(content)
    assert listed["ket-qua.csv"]["rows"] == 60 == listed["giai-thich.jsonl"]["rows"]
    assert (
        listed["tong-hop.csv"]["rows"] == len((out / "tong-hop.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
    )
    assert stdout.rstrip().splitlines()[-2].endswith("manifest.json")  # written last
    assert check_folder(out) == []
    (out / "ket-qua.csv").write_bytes((out / "ket-qua.csv").read_bytes()[:-40])  # cut, as a failing copy would
    assert check_folder(out) == ["ket-qua.csv is not the file the run wrote (its size or sha256 differs)"]


def test_a_second_batch_into_a_folder_in_use_stops_at_once_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    held = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a batch writing into the folder holds it
        code, _, err = batch(capsys, population(tmp_path), out)
    finally:
        os.close(held)
    assert code == 3
    assert f"cannot write {out}: another xeploai run is writing into this folder" in err
    assert names(out) == set()


def test_a_link_planted_at_an_output_name_is_not_written_through(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ket-qua.csv").symlink_to(victim)
    code, _, err = batch(capsys, population(tmp_path), out)
    assert code == 3
    assert f"cannot write {out / 'ket-qua.csv'}: it is a symbolic link" in err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (out / "ket-qua.csv").is_symlink() and not (out / "manifest.json").exists()


def failing_write_csv(fail_on: str, error: BaseException, after: int = 10):  # type: ignore[no-untyped-def]
    """``writers.write_csv`` that writes ``after`` rows of the file whose name ends in ``fail_on`` (for real, to
    disk) and then raises ``error`` — a full disk, or Ctrl+C half-way through."""
    original = writers.write_csv

    def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
        if not Path(path).name.endswith(fail_on):
            return original(path, header, rows)

        def cut() -> Iterable[Sequence[object]]:
            for n, row in enumerate(rows):
                if n == after:
                    raise error
                yield row

        return original(path, header, cut())

    return write_csv


def test_a_full_disk_names_the_file_it_could_not_write_and_leaves_nothing_under_its_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(writers, "write_csv", failing_write_csv("ket-qua.csv", full))
    out = tmp_path / "out"
    code, _, err = batch(capsys, population(tmp_path), out)
    assert code == 3
    assert f"cannot write {out / 'ket-qua.csv'}: No space left on device" in err
    assert "cannot read" not in err
    assert names(out) == set()  # no cut file under its name, no temporary file, no manifest


@pytest.mark.parametrize("table", ["ket-qua.csv", "tong-hop.csv"])
def test_ctrl_c_half_way_leaves_no_partial_table_and_no_manifest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    data = population(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(writers, "write_csv", failing_write_csv(table, KeyboardInterrupt(), after=1))
    code, _, _ = batch(capsys, data, out)
    assert code == 130
    assert not (out / table).exists() and not (out / "manifest.json").exists() and not temporaries(out)
    if table == "tong-hop.csv":  # the results table before it is complete
        assert len((out / "ket-qua.csv").read_text(encoding="utf-8-sig").splitlines()) == 61


def test_an_interrupted_rerun_leaves_the_folder_without_a_manifest_once_it_replaced_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xeploai.tables.outputs import check_folder

    data = population(tmp_path)
    out = tmp_path / "out"
    assert batch(capsys, data, out)[0] == 0
    population(tmp_path, members=90)  # the rerun classifies more members
    with monkeypatch.context() as patch:  # interrupted in the first table: the old run still stands whole
        patch.setattr(writers, "write_csv", failing_write_csv("ket-qua.csv", KeyboardInterrupt()))
        assert batch(capsys, data, out)[0] == 130
    assert check_folder(out) == []
    with monkeypatch.context() as patch:  # interrupted after the new results replaced the old: no finished run
        patch.setattr(writers, "write_csv", failing_write_csv("tong-hop.csv", KeyboardInterrupt(), after=1))
        assert batch(capsys, data, out)[0] == 130
    assert check_folder(out) == ["no manifest.json: the run did not finish, or is still running"]
    assert batch(capsys, data, out)[0] == 0
    assert check_folder(out) == []


KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from xeploai.cli import app
    from xeploai.tables import writers

    original = writers.write_csv

    def write_csv(path, header, rows):
        def rows_then_kill():
            for n, row in enumerate(rows):
                if n == 500:
                    os.kill(os.getpid(), signal.SIGKILL)  # no handler, no cleanup: as the kernel ends a process
                yield row
        return original(path, header, rows_then_kill())

    writers.write_csv = write_csv
    sys.exit(app.main(sys.argv[1:]))
    """
)


def test_sigkill_half_way_leaves_no_table_under_its_final_name(tmp_path: Path) -> None:
    data = population(tmp_path, members=2000)
    out = tmp_path / "out"
    argv = ["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(Path(xeploai.__file__).parent.parent)}  # the xeploai under test
    done = subprocess.run(
        [sys.executable, "-c", KILLED, *argv, "--engine", "interpreter"], env=env, capture_output=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL
    assert not (out / "ket-qua.csv").exists() and not (out / "manifest.json").exists()
    assert temporaries(out)  # the cut file is left under a temporary name only
    rerun = subprocess.run(
        [sys.executable, "-m", "xeploai", *argv], env=env, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert not temporaries(out)  # the next run removes what the killed one left
    assert len((out / "ket-qua.csv").read_text(encoding="utf-8-sig").splitlines()) == 2001
