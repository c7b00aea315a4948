"""``xeploai appeal`` on damaged histories, full disks and wrong arguments (issue 20, item 24): damage is listed by
line with exit 1, an append is whole or not at all, a level or a time the command cannot use is a usage error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import xeploai
from paths import HD21, ROOT
from xeploai.cli import app as cli

AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def decide(case: Path, *extra: str) -> list[str]:
    return ["appeal", "decide", str(case), "--actor", "Đảng ủy", "--text", "Quyết định", *extra]


@pytest.fixture
def case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A case opened from a verified receipt of Nguyễn Văn An: two entries (original, appeal)."""
    receipt, history = tmp_path / "an.receipt.json", tmp_path / "case.jsonl"
    assert run(capsys, "evaluate", str(HD21), str(AN), "--receipt", str(receipt))[0] == 0
    opened = ["appeal", "open", str(history), "--receipt", str(receipt), "--actor", "An", "--time", "2021-01-05"]
    assert run(capsys, *opened, "--text", "Đề nghị xem xét lại")[0] == 0
    return history


DAMAGE = {
    "a cut last line": lambda lines: [*lines[:-1], lines[-1][: len(lines[-1]) // 2]],
    "a garbage line": lambda lines: [lines[0], b"\x00garbage{\n", *lines[1:]],
    "a line that is not UTF-8": lambda lines: [lines[0], b'{"actor": "\xff\xfe"}\n', *lines[1:]],
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_history_is_listed_by_line_with_exit_1_never_an_internal_error(
    case: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    lines = case.read_bytes().splitlines(keepends=True)
    case.write_bytes(b"".join(DAMAGE[damage](lines)))
    before = case.read_bytes()
    code, out, err = run(capsys, "appeal", "show", str(case), "--lang", "en")
    assert code == 1, err
    line = 2
    assert out.startswith("1. 2021-01-05 original")  # the readable entries are still shown
    assert f"Line {line}" in err and "[line-" in err and "is damaged" in err
    code, _, err = run(capsys, *decide(case, "--time", "2021-01-20", "--lang", "en"))
    assert code == 1 and f"Line {line}" in err and "nothing is appended to a damaged history" in err
    assert case.read_bytes() == before


def test_an_unknown_level_is_refused_naming_the_frameworks_levels(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.read_bytes()
    code, _, err = run(capsys, *decide(case, "--time", "2021-01-20", "--level", "LEGENDARY", "--lang", "en"))
    assert code == 2
    assert "Unknown level 'LEGENDARY'" in err and "party HD21" in err
    assert "excellent (HTXS)" in err and "not_completed (KHT)" in err
    assert case.read_bytes() == before


def test_a_level_given_by_its_code_is_recorded_by_id(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *decide(case, "--time", "2021-01-20", "--level", "HTXS"))[0] == 0
    from xeploai.explanation.history import CaseHistory

    assert CaseHistory(case).entries()[-1].data == {"level": "excellent", "level_code": "HTXS"}


def test_a_time_that_is_not_iso_8601_is_a_usage_error_naming_the_format(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.read_bytes()
    code, _, err = run(capsys, *decide(case, "--time", "yesterday", "--lang", "en"))
    assert code == 2
    assert "invalid time 'yesterday'" in err and "ISO 8601" in err and "2021-03-15" in err
    assert case.read_bytes() == before


FULL_DISK = textwrap.dedent(
    """
    import os, resource, signal, sys
    from xeploai.cli import app

    case = sys.argv[1]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, as on a full disk
    limit = os.path.getsize(case) + 40  # room for 40 bytes of the new line: the write is cut short
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    sys.exit(app.main(sys.argv[2:]))
    """
)


def test_an_append_that_the_disk_cuts_short_leaves_the_history_as_it_was(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.read_bytes()
    # no bytecode written: under the file size limit it would be cut and break later imports
    env = {"PYTHONPATH": str(Path(xeploai.__file__).parent.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [*decide(case, "--time", "2021-01-20", "--level", "HTT", "--lang", "en")]
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(case), *argv], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 3, done.stderr
    assert f"cannot write {case}: File too large" in done.stderr
    assert case.read_bytes() == before  # no partial line: the history stays readable
    assert run(capsys, "appeal", "show", str(case))[0] == 0
    assert run(capsys, *decide(case, "--time", "2021-01-21", "--level", "HTT"))[0] == 0
    assert run(capsys, "appeal", "show", str(case))[0] == 0
