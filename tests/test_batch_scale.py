"""``xeploai batch`` at scale: a population folder read column-wise, the results table streamed; the files are the
ones the row-by-row path writes, byte for byte."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import HD21, ROOT
from xeploai import api
from xeploai.analysis import readings
from xeploai.cli import app as cli
from xeploai.cli import populations
from xeploai.evaluation import bulk, report
from xeploai.evaluation.bulk_input import from_population_input
from xeploai.tables import spellings
from xeploai.tables.writers import write_table

pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

from xeploai.tables import parquet  # noqa: E402  (needs pyarrow and numpy to read anything)

DISTRICT = ROOT / "examples" / "district"
PROGRAM = api.load_framework(HD21)


def _spelled(folder: Path) -> Path:
    """The district with level columns in other spellings: an alias, a label without diacritics, and one that
    names no level (its row is rejected)."""
    shutil.copytree(DISTRICT, folder)
    path = folder / "subjects.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("civil_service_level")
    filled = [r for r in rows[1:] if r[column]]
    filled[2][column], filled[4][column], filled[8][column] = "hoan thanh tot", "nonsense", "HTXSNV"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return folder


def _parquet(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.csv")):
        pq.write_table(pcsv.read_csv(path), target / f"{path.stem}.parquet")
    return target


def _files(folder: Path) -> dict[str, bytes]:
    # manifest.json records the command (another --out, another --engine): its list of files is compared instead
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}
    files["manifest.json files"] = json.dumps(json.loads((folder / "manifest.json").read_bytes())["files"]).encode()
    return files


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_read_spelled_equals_the_row_path_with_level_spellings(tmp_path: Path, form: str) -> None:
    folder = _spelled(tmp_path / "spelled")
    if form == "parquet":
        folder = _parquet(folder, tmp_path / "pq")
    rows = readings.prepare(PROGRAM, spellings.read_population(folder, PROGRAM))
    expected = from_population_input(PROGRAM, rows)
    got = parquet.read_spelled(folder, PROGRAM)
    assert got.rejections == expected.rejections and len(got.rejections) == 1
    assert "nonsense" in str(got.rejections[0].value)
    assert (got.units, got.decisions, got.rows_read) == (expected.units, expected.decisions, expected.rows_read)
    assert set(got.kinds) == set(expected.kinds)
    for kind, columns in expected.kinds.items():
        mine = got.kinds[kind]
        assert list(mine.ids) == list(columns.ids) and list(mine.rows) == list(columns.rows)
        assert all(mine.table.evidence(i) == columns.table.evidence(i) for i in range(len(columns.ids)))


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_batch_reads_a_folder_column_wise_with_the_same_files(
    tmp_path: Path, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _spelled(tmp_path / "spelled")
    if form == "parquet":
        folder = _parquet(folder, tmp_path / "pq")
    outs = {}
    for engine in ("interpreter", "columnar"):
        out = tmp_path / f"out-{engine}"
        args = ["batch", str(HD21), str(folder), "--period", "2020", "--out", str(out), "--quiet", "--engine", engine]
        assert cli.main(args) == 0
        outs[engine] = _files(out)
    capsys.readouterr()
    assert outs["interpreter"] == outs["columnar"]
    assert b"nonsense" in outs["columnar"]["bi-loai.csv"]


def test_only_folders_without_the_review_process_are_read_column_wise(tmp_path: Path) -> None:
    parser = cli.build_parser()

    def reads(*extra: str, data: str = str(DISTRICT)) -> bool:
        return populations._reads_columns(
            parser.parse_args(["batch", str(HD21), data, "--period", "2020", *extra]), PROGRAM
        )

    assert reads() and reads("--engine", "columnar")
    assert not reads("--engine", "interpreter")
    assert not reads("--process", "p") and not reads("--tables")
    assert not reads(data=str(tmp_path / "population.xlsx"))


def test_subject_rows_are_counted_without_reading_them(tmp_path: Path) -> None:
    assert parquet.subject_rows(DISTRICT, PROGRAM) == 3110
    assert parquet.subject_rows(_parquet(DISTRICT, tmp_path / "pq"), PROGRAM) == 3110


def test_write_table_streams_an_iterator_of_rows(tmp_path: Path) -> None:
    rows = [{"id": "=1+1", "name": None, "kind": "party_member", "unit": "U1", "level": "HTT"}, {"id": "B"}]

    def stream() -> Iterator[dict[str, object]]:
        yield from rows

    for ext in ("csv", "xlsx"):
        write_table(rows, report.RESULT_COLUMNS, tmp_path / f"list.{ext}")
        write_table(stream(), report.RESULT_COLUMNS, tmp_path / f"stream.{ext}")
    assert (tmp_path / "list.csv").read_bytes() == (tmp_path / "stream.csv").read_bytes()
    assert (tmp_path / "stream.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("'=1+1,,party_member")
    openpyxl = pytest.importorskip("openpyxl")
    listed, streamed = ([list(r) for r in openpyxl.load_workbook(tmp_path / f"{n}.xlsx").active.values]
                        for n in ("list", "stream"))  # fmt: skip
    assert listed == streamed and len(listed) == 3


def test_result_rows_report_progress_for_reasons_then_rows() -> None:
    result = bulk.classify(PROGRAM, parquet.read_spelled(DISTRICT, PROGRAM), api.parse_period(2020))
    reasons: list[tuple[int, int]] = []
    written: list[tuple[int, int]] = []
    rows = list(
        result.result_rows("vi", progress=lambda *p: written.append(p), reasons_progress=lambda *p: reasons.append(p))
    )
    assert reasons and reasons[-1][0] == reasons[-1][1] > 0
    assert written[-1] == (len(rows), len(rows)) == (3110, 3110)


@pytest.mark.parametrize(
    ("lang", "checking", "summarising"),
    [("vi", "Đang kiểm tra dữ liệu", "Đang lập bảng tổng hợp"), ("en", "Checking rows", "Summarising")],
)
def test_the_columnar_batch_says_each_stage_on_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str, checking: str, summarising: str
) -> None:
    args = ["batch", str(HD21), str(DISTRICT), "--period", "2020", "--out", str(tmp_path), "--engine", "columnar"]
    assert cli.main([*args, "--lang", lang]) == 0
    lines = capsys.readouterr().err.splitlines()
    total = parquet.READ_STAGES + 1  # HD21 declares level spellings: read_spelled's stages
    checked = [line for line in lines if line.startswith(checking)]
    assert checked[0].startswith(f"{checking}: 1/{total}") and checked[-1] == f"{checking}: {total}/{total} (100%)"
    at = [i for i, line in enumerate(lines) if line.startswith(summarising)]
    assert len(at) == 1 and lines.index(checked[-1]) < at[0]
