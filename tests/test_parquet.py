"""Parquet population folders: ``reader.read_population`` reads them like CSV, and ``parquet.read_bulk`` reads the
same folders into typed columns with the table reader's verdicts — on the example district and on randomly
corrupted copies of part of it."""

from __future__ import annotations

import csv
import math
import shutil
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import HD21, ROOT
from xeploai.api import load_framework
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.population import PopulationInput, Rejection
from xeploai.program.ir import Program
from xeploai.tables.files import TableError
from xeploai.tables.reader import read_population

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")
pytest.importorskip("numpy")

from xeploai.api import parse_period  # noqa: E402
from xeploai.evaluation import bulk as bulk_module  # noqa: E402
from xeploai.evaluation.bulk_input import from_population_input  # noqa: E402
from xeploai.evaluation.population import evaluate_population  # noqa: E402
from xeploai.evaluation.runners.columnar import STATUSES  # noqa: E402
from xeploai.evaluation.trace import Status  # noqa: E402
from xeploai.tables import parquet  # noqa: E402  (needs pyarrow and numpy to read anything)
from xeploai.tables.columns import encode  # noqa: E402

DISTRICT = ROOT / "examples" / "district"
TABLES = ("units", "subjects", "discipline", "decisions")


@pytest.fixture(scope="module")
def program() -> Program:
    return load_framework(HD21)


def to_parquet(source: Path, target: Path) -> Path:
    """Every CSV table of ``source`` as Parquet in ``target``, typed as pyarrow infers them (blank → null)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        pq.write_table(pcsv.read_csv(path), target / f"{path.stem}.parquet")
    return target


def relative(population: PopulationInput, folder: Path) -> PopulationInput:
    """The population with sources relative to its folder and the Parquet suffix read as .csv."""

    def fix(text: str) -> str:
        return text.replace(str(folder), "").replace(".parquet", ".csv")

    return PopulationInput(
        tuple(replace(u, source=fix(u.source)) for u in population.units),
        tuple(
            replace(s, source=fix(s.source), columns={k: fix(v) for k, v in s.columns.items()})
            for s in population.subjects
        ),
        tuple(replace(d, source=fix(d.source)) for d in population.decisions),
        tuple(replace(r, source=fix(r.source)) for r in population.rejections),
        population.rows_read,
    )


def comparable(rejections: Sequence[Rejection]) -> list[Rejection]:
    """Rejections with a NaN value made comparable: two NaN floats are never equal, even when both readers saw it."""
    return [replace(r, value="NaN") if isinstance(r.value, float) and math.isnan(r.value) else r for r in rejections]


def assert_bulk_agrees(program: Program, folder: Path) -> PopulationInput:
    """``read_bulk`` gives the table reader's rejections, units, decisions and rows, and each kind's typed
    evidence is what ``validate_evidence`` makes of the table reader's subjects."""
    expected = read_population(folder, program)
    bulk = parquet.read_bulk(folder, program)
    assert comparable(bulk.rejections) == comparable(expected.rejections)
    # The same Vietnamese reasons as the table reader's, and every rejection has one.
    assert [r.reason_vi for r in bulk.rejections] == [r.reason_vi for r in expected.rejections]
    assert all(r.reason_vi for r in bulk.rejections)
    assert bulk.units == expected.units
    assert bulk.decisions == expected.decisions
    assert bulk.rows_read == expected.rows_read
    assert sum(len(k.ids) for k in bulk.kinds.values()) == len(expected.subjects)
    for kind, columns in bulk.kinds.items():
        rows = [s for s in expected.subjects if s.kind == kind]
        assert list(columns.ids) == [s.id for s in rows]
        assert list(columns.units) == [s.unit for s in rows]
        assert list(columns.rows) == [s.row for s in rows]
        names = list(columns.names) if columns.names is not None else [None] * len(rows)
        assert names == [s.name for s in rows]
        assert columns.source == (rows[0].source if rows else columns.source)
        for i, subject in enumerate(rows):
            assert columns.table.evidence(i) == validate_evidence(program, kind, subject.evidence), subject.id
    from_rows = from_population_input(program, expected)
    assert comparable(from_rows.rejections) == comparable(bulk.rejections)
    assert [r.reason_vi for r in from_rows.rejections] == [r.reason_vi for r in bulk.rejections]
    assert {k: list(c.ids) for k, c in from_rows.kinds.items()} == {k: list(c.ids) for k, c in bulk.kinds.items()}
    for kind, columns in from_rows.kinds.items():
        mine = bulk.kinds[kind].table
        assert all(mine.evidence(i) == columns.table.evidence(i) for i in range(len(columns.ids)))
    return expected


# --- reader.read_population ------------------------------------------------------------------------------------------


def test_the_district_as_parquet_reads_as_its_csv(program: Program, tmp_path: Path) -> None:
    folder = to_parquet(DISTRICT, tmp_path / "district")
    from_csv = read_population(DISTRICT, program)
    from_parquet = read_population(folder, program)
    assert relative(from_parquet, folder) == relative(from_csv, DISTRICT)
    assert from_parquet.subjects[0].source == str(folder / "subjects.parquet")
    assert from_parquet.subjects[0].row == 2  # numbered as in the CSV file: the header is row 1


def test_parquet_rows_are_numbered_as_in_csv_and_blank_rows_skipped(program: Program, tmp_path: Path) -> None:
    folder = to_parquet(DISTRICT, tmp_path / "pq")
    subjects = pcsv.read_csv(DISTRICT / "subjects.csv")
    blank = pa.table(
        {name: pa.nulls(1, column.type) for name, column in zip(subjects.column_names, subjects.columns, strict=True)}
    )
    pq.write_table(pa.concat_tables([subjects.slice(0, 3), blank, subjects.slice(3)]), folder / "subjects.parquet")
    population = read_population(folder, program)
    assert population.rows_read == len(subjects)
    assert [s.row for s in population.subjects[:5]] == [2, 3, 4, 6, 7]
    assert_bulk_agrees(program, folder)


def test_a_table_in_both_formats_is_refused(program: Program, tmp_path: Path) -> None:
    folder = tmp_path / "both"
    shutil.copytree(DISTRICT, folder)
    pq.write_table(pcsv.read_csv(DISTRICT / "units.csv"), folder / "units.parquet")
    with pytest.raises(TableError, match=r"both units\.csv and units\.parquet are in the directory"):
        read_population(folder, program)


def test_tables_of_both_formats_may_sit_side_by_side(program: Program, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(DISTRICT, folder)
    (folder / "discipline.csv").unlink()
    pq.write_table(pcsv.read_csv(DISTRICT / "discipline.csv"), folder / "discipline.parquet")
    mixed = read_population(folder, program)
    csv_only = read_population(DISTRICT, program)
    assert [s.evidence for s in mixed.subjects] == [s.evidence for s in csv_only.subjects]
    assert_bulk_agrees(program, folder)


def test_parquet_folder_problems(program: Program, tmp_path: Path) -> None:
    folder = to_parquet(DISTRICT, tmp_path / "pq")
    (folder / "subjects.parquet").unlink()
    with pytest.raises(TableError, match=r"no subjects\.csv in the directory \(nor subjects\.parquet\)"):
        read_population(folder, program)
    (folder / "subjects.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(TableError, match="cannot be read as a Parquet file"):
        read_population(folder, program)
    with pytest.raises(TableError, match="cannot be read as a Parquet file"):
        parquet.read_bulk(folder, program)
    with pytest.raises(TableError, match="not one Parquet file"):
        read_population(folder / "units.parquet", program)


def test_unknown_parquet_files_are_noted(program: Program, tmp_path: Path) -> None:
    folder = to_parquet(DISTRICT, tmp_path / "pq")
    pq.write_table(pcsv.read_csv(DISTRICT / "discipline.csv"), folder / "dicipline.parquet")
    population = read_population(folder, program)
    note = next(r for r in population.rejections if r.source.endswith("dicipline.parquet"))
    assert note.row is None and "did you mean 'discipline.parquet'?" in note.reason
    assert parquet.read_bulk(folder, program).rejections == population.rejections


def test_parquet_needs_pyarrow(program: Program, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = to_parquet(DISTRICT, tmp_path / "pq")
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    with pytest.raises(TableError, match=r"pip install 'xeploai\[parquet\]'"):
        read_population(folder, program)


def test_batch_reads_a_parquet_folder_as_its_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from xeploai.cli import app as cli

    folder = to_parquet(DISTRICT, tmp_path / "pq")
    for data, out in ((DISTRICT, tmp_path / "from-csv"), (folder, tmp_path / "from-parquet")):
        args = [str(HD21), str(data), "--period", "2020", "--out", str(out), "--quiet"]
        assert cli.main(["batch", *args]) == 0
    capsys.readouterr()
    for name in ("ket-qua.csv", "tong-hop.csv", "bi-loai.csv"):
        assert (tmp_path / "from-csv" / name).read_bytes() == (tmp_path / "from-parquet" / name).read_bytes()


# --- parquet.read_bulk -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_read_bulk_agrees_with_the_table_reader_on_the_district(program: Program, tmp_path: Path, form: str) -> None:
    folder = DISTRICT if form == "csv" else to_parquet(DISTRICT, tmp_path / "pq")
    expected = assert_bulk_agrees(program, folder)
    assert len(expected.subjects) == 3110 and not expected.rejections


def test_read_bulk_agrees_on_row_groups_and_dictionary_columns(program: Program, tmp_path: Path) -> None:
    """Several row groups, each with its own dictionary for a dictionary-typed column, nulls in typed columns."""
    folder = tmp_path / "groups"
    folder.mkdir()
    for path in sorted(DISTRICT.glob("*.csv")):
        table = pcsv.read_csv(path)
        for name in ("political_ideology", "kind", "unit", "form"):
            if name in table.column_names:
                index = table.column_names.index(name)
                table = table.set_column(index, name, table.column(name).combine_chunks().dictionary_encode())
        pq.write_table(table, folder / f"{path.stem}.parquet", row_group_size=257)
    assert pq.ParquetFile(folder / "subjects.parquet").metadata.num_row_groups > 10
    expected = assert_bulk_agrees(program, folder)
    assert len(expected.subjects) == 3110


def test_read_bulk_agrees_on_a_cycle_of_units_and_padded_ids(program: Program, tmp_path: Path) -> None:
    tables = sample(DISTRICT)
    units = tables["units"]
    units[1][1], units[2][1] = units[2][0], units[1][0]  # two committees, each the other's parent
    subjects = tables["subjects"]
    subjects[1][0] = f" \t{subjects[1][0]}\x1c "  # Python's whitespace, some of which Arrow's trim keeps
    subjects[2][0] = f"{subjects[2][0]}\u00a0"
    subjects[3][1] = f"  {subjects[3][1]}"
    for form in ("csv", "parquet"):
        population = assert_bulk_agrees(program, write_text(tables, tmp_path / form, form))
        assert any("form a cycle" in r.reason for r in population.rejections)


@pytest.mark.parametrize(
    "array",
    [
        pa.array([-100, 100, None, 0], pa.int8()),
        pa.array([2**64 - 1, 2**64 - 3, None], pa.uint64()),
        pa.chunked_array([pa.array([None, None], pa.int16()), pa.array([-(2**15), 2**15 - 1], pa.int16())]),
        pa.array([True, None, False]),
        pa.chunked_array([pa.array(["b", None]).dictionary_encode(), pa.array(["a", "b"]).dictionary_encode()]),
        pa.array([1.5, None, 1.5, -0.0]),
        pa.array([[1], None], pa.list_(pa.int64())),
    ],
)
def test_columns_encode_to_their_cells(array: Any) -> None:
    encoded = encode(array)
    assert [encoded.values[c] if c >= 0 else None for c in encoded.codes.tolist()] == array.to_pylist()


def test_read_bulk_gives_one_table_per_kind_in_the_programs_order(program: Program) -> None:
    bulk = parquet.read_bulk(DISTRICT, program)
    assert list(bulk.kinds) == [k for k in program.subjects if k in bulk.kinds]
    members = bulk.kinds["party_member"]
    assert len(members.table) == len(members.ids) == 2915
    assert members.source == str(DISTRICT / "subjects.csv")


def test_read_bulk_reports_progress_after_each_of_its_stages(program: Program) -> None:
    seen: list[tuple[int, int]] = []
    parquet.read_bulk(DISTRICT, program, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, parquet.READ_STAGES) for k in range(1, parquet.READ_STAGES + 1)]
    seen.clear()
    parquet.read_spelled(DISTRICT, program, progress=lambda done, total: seen.append((done, total)))
    total = parquet.READ_STAGES + 1
    assert seen == [(k, total) for k in range(1, total + 1)]


def test_the_district_read_as_columns_classifies_as_the_population_runner_does(program: Program) -> None:
    period = parse_period(2020)
    expected = evaluate_population(program, read_population(DISTRICT, program), period)
    result = bulk_module.classify(program, parquet.read_bulk(DISTRICT, program), period)
    levels = {}
    for outcome in result.kinds.values():
        for i in range(len(outcome)):
            rank = int(outcome.level[i])
            status = STATUSES[int(outcome.status[i])]
            level = program.levels.values[len(program.levels.values) - 1 - rank].id if rank >= 0 else None
            levels[str(outcome.columns.ids[i])] = (status, level if status is Status.CLASSIFIED else None)
    assert levels == {
        r.subject_id: (r.outcome.status, r.outcome.level if r.outcome.status is Status.CLASSIFIED else None)
        for r in expected.results
    }
    assert result.quota_groups == expected.quota_groups
    assert result.reconciles()


# --- corrupted copies ----------------------------------------------------------------------------------------------

SAMPLE_UNITS = ("U-DB03", "U-CB0301", "U-CB0302", "U-CBCS03")
TEXT_VALUES = [
    "",
    "   ",
    "abc",
    "-1",
    "0",
    "3",
    "12",
    "1.000",
    "1,5",
    "2.5",
    "75%",
    "0.5",
    "13",
    "99999999999999999999999",
    "nan",
    "inf",
    "x",
    "có",
    "KHÔNG",
    "TRUE",
    "Sai",
    "HTXS",
    "htt",
    "Hoàn thành tốt nhiệm vụ",
    "Xuất sắc",
    " Tốt ",
    "Trung binh",
    "Kém",
    "Cảnh cáo",
    "warning",
    "2020-05-05",
    "2020-13-01",
    "31/12/2020",
    "=1+1",
    "DV0001",
    "U-HU",
    "party_cell",
    "Chi bộ",
    "ghost",
    " DV0001",
    "DV0002\t",
    "Đ1",
    "U-CB0301 ",
]


def sample(folder: Path) -> dict[str, list[list[str]]]:
    """Part of the district as text tables: the units, the subjects of a few units, their records, decisions."""

    def read(name: str) -> list[list[str]]:
        with open(DISTRICT / f"{name}.csv", encoding="utf-8", newline="") as file:
            return list(csv.reader(file))

    subjects = read("subjects")
    kept = [subjects[0]] + [row for row in subjects[1:] if row[1] in SAMPLE_UNITS]
    ids = {row[0] for row in kept[1:]}
    discipline = read("discipline")
    records = [discipline[0]] + [row for row in discipline[1:] if row[0] in ids] + discipline[1:4]
    return {"units": read("units"), "subjects": kept, "discipline": records, "decisions": read("decisions")}


@st.composite
def corruptions(draw: st.DrawFn, tables: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    out = {name: [list(row) for row in rows] for name, rows in tables.items()}
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(TABLES))
        rows = out[name]
        if len(rows) < 2:
            continue
        row = draw(st.integers(1, len(rows) - 1))
        action = draw(st.sampled_from(["cell", "cell", "cell", "copy", "drop", "blank row"]))
        if action == "copy":
            rows.insert(draw(st.integers(1, len(rows))), list(rows[row]))
        elif action == "drop":
            del rows[row]
        elif action == "blank row":
            rows[row] = [""] * len(rows[0])
        else:
            column = draw(st.integers(0, len(rows[0]) - 1))
            rows[row][column] = draw(st.sampled_from([*TEXT_VALUES, *(c for r in rows[1:4] for c in r)]))
    return out


def write_text(tables: dict[str, list[list[str]]], folder: Path, form: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if form == "csv":
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as file:
                csv.writer(file).writerows(rows)
        else:
            header, body = rows[0], rows[1:]
            columns = {h: pa.array([r[i] or None for r in body], pa.string()) for i, h in enumerate(header)}
            pq.write_table(pa.table(columns), folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="module")
def base() -> dict[str, list[list[str]]]:
    return sample(DISTRICT)


counter = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_read_bulk_agrees_on_corrupted_text_tables(
    program: Program, base: dict[str, list[list[str]]], tmp_path: Path, data: st.DataObject
) -> None:
    tables = data.draw(corruptions(base))
    form = data.draw(st.sampled_from(["csv", "parquet"]))
    assert_bulk_agrees(program, write_text(tables, tmp_path / f"text-{next(counter)}", form))


TYPED: dict[str, Sequence[Any]] = {
    "int": [None, -3, 0, 1, 7, 12, 2**40, 10**18],
    "double": [None, 0.0, -0.0, 0.5, 2.5, 3.0, 12.0, 13.5, -1.0, math.nan, math.inf, 1e300],
    "bool": [None, True, False],
    "date": [None, date(2019, 12, 31), date(2020, 6, 1)],
    "string": [None, *TEXT_VALUES],
}


def arrow_kind(column: Any) -> str:
    if pa.types.is_integer(column.type):
        return "int"
    if pa.types.is_floating(column.type):
        return "double"
    if pa.types.is_boolean(column.type):
        return "bool"
    if pa.types.is_date(column.type):
        return "date"
    return "string"


CHANGES = st.lists(
    st.tuples(st.sampled_from(TABLES), st.integers(0, 99), st.integers(0, 10**6), st.integers(0, 99), st.booleans()),
    min_size=1,
    max_size=8,
)


def typed_tables(
    folder: Path, changes: Sequence[tuple[str, int, int, int, bool]], row_group_size: int | None = None
) -> Path:
    """The CSV tables of ``folder`` as Parquet typed as pyarrow infers them, with typed values changed."""
    tables = {name: pcsv.read_csv(folder / f"{name}.csv") for name in TABLES}
    for name, column_pick, row_pick, value_pick, as_dictionary in changes:
        table = tables[name]
        index = column_pick % table.num_columns
        column = table.column(index).combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        kind = "string" if pa.types.is_null(column.type) else arrow_kind(column)
        values = column.to_pylist()
        if values:
            values[row_pick % len(values)] = TYPED[kind][value_pick % len(TYPED[kind])]
        arrow = pa.array(values, pa.string() if kind == "string" else column.type)
        if kind == "string" and as_dictionary:
            arrow = arrow.dictionary_encode()
        tables[name] = table.set_column(index, table.column_names[index], arrow)
    for name, table in tables.items():
        (folder / f"{name}.csv").unlink()
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=row_group_size)
    return folder


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES, row_group_size=st.sampled_from([None, 5, 40]))
def test_read_bulk_agrees_on_corrupted_typed_parquet(
    program: Program,
    base: dict[str, list[list[str]]],
    tmp_path: Path,
    changes: list[tuple[str, int, int, int, bool]],
    row_group_size: int | None,
) -> None:
    folder = write_text(base, tmp_path / f"typed-{next(counter)}", "csv")
    assert_bulk_agrees(program, typed_tables(folder, changes, row_group_size))
