"""Terminal and file hygiene (issue 20, item 25): control characters from files never reach the terminal raw, a
framework link out of its folder is not read through, a hierarchy 1,000 units deep is classified, and workbooks
are byte-identical across runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from paths import FIXTURES, HD21, ROOT
from xeploai.cli import app as cli

AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
POPULATION = FIXTURES / "population" / "2019-10-18.yaml"
TITLE = "\x1b]0;pwned\x07"  # sets the terminal's title (OSC)
CLEAR = "\x1b[2J"  # clears the screen (CSI)
RAW = ("\x1b", "\x07", "\x9b", "\r")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def hostile_member(tmp_path: Path) -> Path:
    text = AN.read_text(encoding="utf-8").replace("name: Nguyễn Văn An", 'name: "An \\e]0;pwned\\a \\e[2J \\x9b1m"')
    path = tmp_path / "an.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_escape_sequences_in_a_name_are_shown_escaped_not_sent_to_the_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "evaluate", str(HD21), str(hostile_member(tmp_path)), "--lang", "en")
    assert code == 0, err
    assert not any(c in out + err for c in RAW)
    assert "An \\x1b]0;pwned\\x07 \\x1b[2J \\x9b1m (DV-0001)" in out


def test_json_on_the_console_stays_json_of_the_same_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "evaluate", str(HD21), str(hostile_member(tmp_path)), "--format", "json")
    assert code == 0
    assert not any(c in out for c in RAW)
    assert json.loads(out)["subject"]["name"] == f"An {TITLE} {CLEAR} \x9b1m"


def test_a_unit_name_with_escape_sequences_is_escaped_in_the_batch_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "units.csv").write_text(
        f"id,parent,kind,name,head\nD,,district,Huyện {TITLE}{CLEAR},\nC1,D,grassroots_cell,Chi bộ,\n",
        encoding="utf-8",
    )
    (data / "subjects.csv").write_text(
        "id,unit,kind,name,targets_assigned,targets_met,task_results\n"
        f"A1,C1,member,Tên {CLEAR},10,9,Tốt\nA2,C1,member,B,x{TITLE},9,Tốt\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys, "batch", str(POPULATION), str(data), "--period", "2020", "--out", str(tmp_path / "out"), "--quiet"
    )
    assert code == 0, err
    assert not any(c in out + err for c in RAW)
    assert "Huyện \\x1b]0;pwned\\x07\\x1b[2J" in out


def test_argument_errors_quote_the_argument_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "x.yaml", f"--{TITLE}{CLEAR}")  # "unrecognized arguments: …"
    assert code == 2
    assert "\x1b" not in err and "\\x1b]0;pwned\\x07" in err


def test_terminal_safe_keeps_line_breaks_tabs_and_vietnamese() -> None:
    from xeploai.cli.output import terminal_safe

    assert terminal_safe("Nguyễn Văn An\n\tHTT") == "Nguyễn Văn An\n\tHTT"
    assert terminal_safe("a\rb\x00c\u202ed\ud800") == "a\\x0db\\x00c\\u202ed\\ud800"


# --- a framework path that links elsewhere ------------------------------------------------------------------


def test_a_framework_link_to_a_file_outside_its_folder_is_refused_unread(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    private = tmp_path / "private.txt"
    private.write_text("secret-first-line: the office's private notes\nmore\n", encoding="utf-8")
    folder = tmp_path / "frameworks" / "party"
    folder.mkdir(parents=True)
    link = folder / "2020-01-01.yaml"
    link.symlink_to(private)
    code, out, err = run(capsys, "check", str(link), "--lang", "en")
    assert code == 1
    assert "secret-first-line" not in out + err and "private notes" not in out + err
    assert "[framework-link]" in out + err and "symbolic link" in out + err
    code, out, err = run(capsys, "evaluate", str(link), str(AN), "--lang", "en")
    assert code == 3 and "secret-first-line" not in out + err and "[framework-link]" in err


def test_a_framework_link_within_its_folder_is_followed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "party"
    folder.mkdir()
    (folder / HD21.name).write_bytes(HD21.read_bytes())
    (folder / "current.yaml").symlink_to(HD21.name)
    code, out, err = run(capsys, "evaluate", str(folder / "current.yaml"), str(AN), "--lang", "en")
    assert code == 0, err
    assert "(HTT)" in out


# --- a hierarchy 1,000 units deep ---------------------------------------------------------------------------


def deep_population(folder: Path, depth: int) -> Path:
    data = folder / "deep"
    data.mkdir()
    units = ["id,parent,kind,name,head", "U0,,district,Gốc,"]
    units += [f"U{i},U{i - 1},grassroots_committee,Cấp {i},," for i in range(1, depth)]
    (data / "units.csv").write_text("\n".join(units) + "\n", encoding="utf-8")
    (data / "subjects.csv").write_text(
        "id,unit,kind,name,targets_assigned,targets_met,task_results\n"
        f"A1,U{depth - 1},member,Dưới cùng,10,9,Tốt\nA2,U{depth // 2},member,Giữa,10,10,Tốt\n",
        encoding="utf-8",
    )
    return data


@pytest.mark.parametrize("engine", ["interpreter", "columnar"])
def test_a_hierarchy_a_thousand_units_deep_is_classified_without_a_recursion_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, engine: str
) -> None:
    pytest.importorskip("numpy")
    data = deep_population(tmp_path, 1000)
    out_dir = tmp_path / "out"
    argv = ["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(out_dir), "--quiet"]
    code, _, err = run(capsys, *argv, "--engine", engine, "--lang", "en")
    assert code == 0, err[-2000:]
    summary = (out_dir / "tong-hop.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(summary) == 1 + 1000 + 1  # the header, every unit, the total
    assert summary[1].startswith("U0,") and summary[2].startswith("U1,")  # parents before their children


def test_the_official_forms_of_a_deep_hierarchy_are_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = deep_population(tmp_path, 1000)
    argv = ["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(tmp_path / "out"), "--quiet"]
    code, _, err = run(capsys, *argv, "--tables", "--engine", "interpreter")
    assert code == 0, err[-2000:]


# --- workbooks: the same bytes on every run -----------------------------------------------------------------


def test_xlsx_outputs_are_byte_identical_across_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    data = deep_population(tmp_path, 3)
    runs = []
    for name in ("first", "second"):
        out_dir = tmp_path / name
        argv = ["batch", str(POPULATION), str(data), "--period", "2020", "--out", str(out_dir), "--quiet"]
        code, _, err = run(capsys, *argv, "--format", "xlsx", "--tables")
        assert code == 0, err
        template = tmp_path / f"{name}-template.xlsx"
        assert run(capsys, "template", str(POPULATION), "--kinds", "member", "-o", str(template))[0] == 0
        runs.append(
            {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob("*.xlsx"))}
            | {"template": template.read_bytes()}
        )
        if name == "first":
            time.sleep(2.1)  # a zip stores times to two seconds: the runs fall in different ones
    assert set(runs[0]) >= {"ket-qua.xlsx", "tong-hop.xlsx", "bi-loai.xlsx", "bieu-mau/bieu_mau.xlsx", "template"}
    differing = [name for name in runs[0] if runs[0][name] != runs[1][name]]
    assert not differing
