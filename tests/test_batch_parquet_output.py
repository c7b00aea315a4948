"""``xeploai batch --format parquet``: every table batch writes, as Parquet files that mirror the CSV files.

Each table has a fixed schema (text columns ``string``, counts and row numbers ``int64``), the rows and cells of the
CSV table (a None cell is null where CSV writes an empty field; text without the CSV's formula apostrophe), the same
tables from either engine, and the results table written a row group per block. Without pyarrow the option is a
usage error before any work is done.
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Iterator
from datetime import date
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from paths import FIXTURES, HD21, ROOT
from xeploai.cli import app as cli
from xeploai.cli import output
from xeploai.cli import populations as cli_populations
from xeploai.evaluation import bulk_result, report
from xeploai.evaluation.population import Rejection
from xeploai.tables import writers

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("numpy")

DISTRICT = ROOT / "examples" / "district"
PROCESS = FIXTURES / "process"
ENGINES = ("interpreter", "columnar")
TABLES = ("ket-qua", "tong-hop", "bi-loai")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

TEXT, COUNT = pa.string(), pa.int64()
# The fixed schemas, spelled out here rather than taken from the code under test.
RESULTS_SCHEMA = pa.schema(
    [
        ("Mã (id)", TEXT),
        ("Họ tên / Tên (name)", TEXT),
        ("Đối tượng (kind)", TEXT),
        ("Đơn vị (unit)", TEXT),
        ("Tên đơn vị (unit name)", TEXT),
        ("Tình trạng (status)", TEXT),
        ("Mức (level)", TEXT),
        ("Mức xếp loại (level label)", TEXT),
        ("Lý do (reason)", TEXT),
        ("Chờ quyết định (pending)", TEXT),
    ]
)
SUMMARY_SCHEMA = pa.schema(
    [
        ("Đơn vị (unit)", TEXT),
        ("Tên đơn vị (name)", TEXT),
        ("Loại (kind)", TEXT),
        ("Xếp loại tổ chức (own level)", TEXT),
        ("Tổng số (subjects)", COUNT),
        ("Được xếp loại (classified)", COUNT),
        ("HTXS (Completed tasks excellently)", COUNT),
        ("HTXS %", TEXT),
        ("HTT (Completed tasks well)", COUNT),
        ("HTT %", TEXT),
        ("HT (Completed tasks)", COUNT),
        ("HT %", TEXT),
        ("KHT (Did not complete tasks)", COUNT),
        ("KHT %", TEXT),
        ("Không xếp loại (not classified)", COUNT),
        ("Chưa đủ minh chứng (insufficient)", COUNT),
        ("Chờ cấp có thẩm quyền quyết định tỷ lệ (awaiting decision)", COUNT),
        ("Quy định không xếp được mức, cấp có thẩm quyền quyết định (left to the competent level)", COUNT),
        ("Dòng bị loại (rejected rows)", COUNT),
        ("Tỷ lệ HTXS (quota)", TEXT),
    ]
)
REJECTIONS_SCHEMA = pa.schema(
    [
        ("Nguồn (source)", TEXT),
        ("Dòng (row)", COUNT),
        ("Cột (column)", TEXT),
        ("Giá trị (value)", TEXT),
        ("Lý do (reason)", TEXT),
    ]
)
SCHEMAS = {"ket-qua": RESULTS_SCHEMA, "tong-hop": SUMMARY_SCHEMA, "bi-loai": REJECTIONS_SCHEMA}


def _planted(folder: Path) -> Path:
    """The district with rejected rows: a level written as a formula, a negative count, and a column no field has
    (a note about the whole column: a rejection without a row number)."""
    shutil.copytree(DISTRICT, folder)
    path = folder / "subjects.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    level, months = rows[0].index("civil_service_level"), rows[0].index("months_since_admission")
    rows[0].append("ghi_chu")
    for row in rows[1:]:
        row.append("")
    filled = [r for r in rows[1:] if r[level]]
    filled[3][level] = "=HTXS"
    filled[5][months] = "-3"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return folder


def _batch(data: Path, out: Path, engine: str, fmt: str, *extra: str) -> Path:
    args = ["batch", str(HD21), str(data), "--period", "2020", "--out", str(out), "--quiet", "--engine", engine]
    assert cli.main([*args, "--format", fmt, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    """The output folder of each (population, engine, format): the district as it is, and with rejected rows."""
    root = tmp_path_factory.mktemp("parquet-output")
    populations = {"district": DISTRICT, "planted": _planted(root / "planted")}
    return {
        (name, engine, fmt): _batch(data, root / f"{name}-{engine}-{fmt}", engine, fmt)
        for name, data in populations.items()
        for engine in ENGINES
        for fmt in ("csv", "parquet")
    }


def _csv_table(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _without_apostrophe(text: str) -> str:
    """A CSV field as the value it shows: the apostrophe that neutralises a formula dropped."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def _as_csv_text(value: object) -> str:
    """A Parquet cell as the CSV field it mirrors: null is an empty field, an int its digits."""
    if value is None:
        return ""
    assert isinstance(value, str | int) and not isinstance(value, bool), value
    return str(value)


def _assert_mirrors(parquet_path: Path, csv_path: Path, schema: Any) -> Any:
    """The Parquet table has ``schema`` exactly and the rows and cells of the CSV table; returns the table."""
    table = pq.read_table(parquet_path)
    assert table.schema.equals(schema, check_metadata=False), f"{parquet_path.name}:\n{table.schema}"
    header, rows = _csv_table(csv_path)
    assert table.column_names == header
    assert table.num_rows == len(rows)
    for index, name in enumerate(header):
        cells = table.column(name).to_pylist()
        if schema.field(name).type == COUNT:
            assert all(v is None or type(v) is int for v in cells)
        else:
            assert all(v is None or type(v) is str for v in cells)
        shown = [_as_csv_text(v) for v in cells]
        assert shown == [_without_apostrophe(row[index]) for row in rows], f"{parquet_path.name}: column {name}"
    return table


@pytest.mark.parametrize("population", ["district", "planted"])
@pytest.mark.parametrize("engine", ENGINES)
def test_every_parquet_table_mirrors_the_csv_with_its_fixed_schema(
    runs: dict[tuple[str, str, str], Path], engine: str, population: str
) -> None:
    parquet_out, csv_out = runs[population, engine, "parquet"], runs[population, engine, "csv"]
    # manifest.json (issue 20): the run's files with their rows and hashes, written last
    assert sorted(p.name for p in parquet_out.iterdir()) == sorted([f"{t}.parquet" for t in TABLES] + ["manifest.json"])
    written = {name: _assert_mirrors(parquet_out / f"{name}.parquet", csv_out / f"{name}.csv", SCHEMAS[name])
               for name in TABLES}  # fmt: skip
    assert written["ket-qua"].num_rows == 3110 - (2 if population == "planted" else 0)
    assert written["tong-hop"].num_rows > 1
    rejections = written["bi-loai"]
    if population == "district":
        assert rejections.num_rows == 0
        return
    values = rejections.column("Giá trị (value)").to_pylist()
    assert "=HTXS" in values  # the CSV's "'=HTXS" without its apostrophe
    assert any("'=HTXS" in row for row in _csv_table(csv_out / "bi-loai.csv")[1])
    assert None in rejections.column("Dòng (row)").to_pylist()  # the note about the column ghi_chu
    assert {type(r) for r in rejections.column("Dòng (row)").to_pylist()} == {int, type(None)}


@pytest.mark.parametrize("population", ["district", "planted"])
def test_both_engines_write_equal_parquet_tables(runs: dict[tuple[str, str, str], Path], population: str) -> None:
    for name in TABLES:
        interpreter = pq.read_table(runs[population, "interpreter", "parquet"] / f"{name}.parquet")
        columnar = pq.read_table(runs[population, "columnar", "parquet"] / f"{name}.parquet")
        assert interpreter.equals(columnar), name


@pytest.mark.parametrize("engine", ENGINES)
def test_the_results_table_is_a_row_group_per_block(
    runs: dict[tuple[str, str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    monkeypatch.setattr(bulk_result, "_BLOCK", 1000)  # the columnar engine's blocks
    monkeypatch.setattr(writers, "PARQUET_BLOCK", 1000)  # the interpreter's rows, batched by the writer
    out = _batch(DISTRICT, tmp_path / "out", engine, "parquet")
    metadata = pq.ParquetFile(out / "ket-qua.parquet").metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sizes == [1000, 1000, 1000, 110]
    whole = pq.read_table(runs["district", engine, "parquet"] / "ket-qua.parquet")
    assert pq.read_table(out / "ket-qua.parquet").equals(whole)
    assert pq.ParquetFile(runs["district", engine, "parquet"] / "ket-qua.parquet").metadata.num_row_groups == 1


def test_blocks_are_written_as_they_come(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer takes a block, writes it and only then asks for the next: the blocks are never gathered."""
    events: list[str] = []
    made = writers._parquet_array

    def logged(pa_module: Any, cells: Any, count: bool) -> Any:
        events.append("array")
        return made(pa_module, cells, count)

    monkeypatch.setattr(writers, "_parquet_array", logged)
    columns = [("a", "A"), ("n", "N")]

    def blocks() -> Iterator[list[list[object]]]:
        for k in range(3):
            events.append(f"block {k}")
            yield [[f"x{k}", None], [k, None]]

    writers.write_parquet_blocks(blocks(), columns, tmp_path / "t.parquet", counts={"n"})
    assert events == ["block 0", "array", "array", "block 1", "array", "array", "block 2", "array", "array"]
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.schema.equals(pa.schema([("A", TEXT), ("N", COUNT)]))
    assert table.to_pydict() == {"A": ["x0", None, "x1", None, "x2", None], "N": [0, None, 1, None, 2, None]}


class _Colour(Enum):
    RED = "=red"


def test_rejected_values_of_any_type_are_the_csv_text(tmp_path: Path) -> None:
    values: list[object] = ["=1+1", "-", Fraction(3, 2), Fraction(4), 7, -2.5, True, date(2020, 2, 29), _Colour.RED]
    values.append(None)
    rejections = [Rejection("s.csv", i + 2, "c", v, "why") for i, v in enumerate(values)]
    rejections.append(Rejection("s.csv", None, "c", None, "a note about the column"))
    writers.write_rejections(rejections, tmp_path / "bi-loai.csv")
    writers.write_rejections(rejections, tmp_path / "bi-loai.parquet")
    table = _assert_mirrors(tmp_path / "bi-loai.parquet", tmp_path / "bi-loai.csv", REJECTIONS_SCHEMA)
    assert table.column("Giá trị (value)").to_pylist() == [
        "=1+1", "-", "1.5", "4", "7", "-2.5", "TRUE", "2020-02-29", "=red", None, None
    ]  # fmt: skip
    assert table.column("Dòng (row)").to_pylist() == [*range(2, 12), None]


def test_the_review_process_rejections_are_parquet_too(tmp_path: Path) -> None:
    common = [
        "batch",
        str(PROCESS / "party" / "2025-08-30.yaml"),
        str(PROCESS / "population" / "population.yaml"),
        "--period",
        "2025",
        "--process",
        str(PROCESS / "inputs"),
        "--quiet",
    ]
    assert cli.main([*common, "--out", str(tmp_path / "csv")]) == 0
    assert cli.main([*common, "--out", str(tmp_path / "pq"), "--format", "parquet", "--tables"]) == 0
    ladder = _assert_mirrors(
        tmp_path / "pq" / "bi-loai-quy-trinh.parquet", tmp_path / "csv" / "bi-loai-quy-trinh.csv", REJECTIONS_SCHEMA
    )
    assert ladder.num_rows == 1 and ladder.column("Dòng (row)").to_pylist() == [12]
    program = cli_populations._program_in_force(
        str(PROCESS / "party" / "2025-08-30.yaml"), output._period("2025", "en"), "en"
    )
    for name in TABLES:
        assert pq.read_table(tmp_path / "pq" / f"{name}.parquet").num_rows == len(
            _csv_table(tmp_path / "csv" / f"{name}.csv")[1]
        )
    summary = pq.read_table(tmp_path / "pq" / "tong-hop.parquet")
    counted = {h for key, h in report.summary_columns(program) if key in report.summary_count_columns(program)}
    assert {f.name for f in summary.schema if f.type == COUNT} == counted
    assert (tmp_path / "pq" / "bieu-mau" / "kiem_soat_ty_le.csv").exists()  # the official forms stay CSV


@pytest.mark.parametrize(("lang", "words"), [("vi", "--format parquet cần pyarrow"), ("en", "--format parquet needs")])
def test_without_pyarrow_parquet_output_is_a_usage_error_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str, words: str
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow...` raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)

    def no_work(*_: object) -> None:
        raise AssertionError("the framework was loaded before the check")

    monkeypatch.setattr(cli_populations, "_program_in_force", no_work)
    out = tmp_path / "out"
    args = ["batch", str(HD21), str(DISTRICT), "--period", "2020", "--out", str(out), "--format", "parquet"]
    code = cli.main([*args, "--lang", lang])
    err = capsys.readouterr().err
    assert code == output.EXIT_USAGE == 2
    assert words in err and "pip install 'xeploai[parquet]'" in err
    assert not out.exists()
