"""The column-wise population pipeline agrees with ``population.evaluate_population`` on everything it reports:
every subject's status, level and decision, its full ``Result`` (quota checks included), the rejections, the quota
groups, the results table (one-line reasons included, computed once per signature) and the summary; and
``xeploai batch`` writes the same files with either engine."""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import FIXTURES, HD21, ROOT
from strategies import within_bounds
from xeploai import api
from xeploai.cli import app as cli
from xeploai.cli import engines
from xeploai.cli import populations as cli_populations
from xeploai.evaluation import bulk, bulk_input, bulk_result, population, report
from xeploai.evaluation.bulk_input import BulkInput, KindColumns, from_population_input
from xeploai.evaluation.bulk_result import BulkResult
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners.columnar import DECISIONS, STATUSES
from xeploai.evaluation.runners.columnar_table import EvidenceTable
from xeploai.evaluation.trace import Decision, NodeKind, Status
from xeploai.program import ir
from xeploai.tables.reader import read_population
from xeploai.tables.writers import write_csv_blocks, write_table

DISTRICT = ROOT / "examples" / "district"
HD21_PROGRAM = api.load_framework(HD21)
PERIOD_2020 = api.parse_period(2020)

# Every framework whose kinds read each other or whose quotas limit them, with a period it applies to.
PATHS = sorted(p for p in (ROOT / "frameworks").glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))
PATHS.append(FIXTURES / "population" / "2019-10-18.yaml")
PROGRAMS = {path: api.load_framework(path) for path in PATHS}
POPULATION_FRAMEWORKS = [
    path for path, p in PROGRAMS.items() if p.quotas or any(s.relations for s in p.subjects.values())
]


def _period(program: ir.Program) -> ir.Period:
    start = program.info.effective_from
    return api.parse_period(start.year + (start.month > 1))


# --- what must agree -----------------------------------------------------------------------------------------------


def _outcomes(result: BulkResult) -> dict[str, tuple[Status, str | None, Decision]]:
    levels = [v.id for v in reversed(result.program.levels.values)]
    out = {}
    for outcome in result.kinds.values():
        for i in np.flatnonzero(outcome.accepted):
            rank = int(outcome.level[i])
            status = STATUSES[int(outcome.status[i])]
            if status is Status.AWAITING_DECISION:
                rank = -1  # the level column holds the level the rules give; the outcome has no level
            out[str(outcome.columns.ids[i])] = (
                status,
                levels[rank] if rank >= 0 else None,
                DECISIONS[int(outcome.decision[i])],
            )
    return out


def assert_agrees(
    program: ir.Program, data: population.PopulationInput, period: ir.Period, sample: int | None = None
) -> tuple[population.PopulationResult, BulkResult]:
    expected = population.evaluate_population(program, data, period)
    got = bulk.classify(program, from_population_input(program, data), period)
    assert got.rejections == expected.rejections
    # Equal rejections carry the same Vietnamese reasons; every one has its own.
    assert [r.reason_vi for r in got.rejections] == [r.reason_vi for r in expected.rejections]
    assert all(r.reason_vi for r in got.rejections)
    assert got.quota_groups == expected.quota_groups
    assert got.strata == expected.strata and got.rows_read == expected.rows_read
    assert _outcomes(got) == {
        r.subject_id: (r.outcome.status, r.outcome.level, r.outcome.decision) for r in expected.results
    }
    chosen = expected.results if sample is None else random.Random(0).sample(expected.results, sample)
    for result in chosen:
        rebuilt = got.result(result.subject_id)
        assert rebuilt == result, result.subject_id
        assert rebuilt.extras == result.extras
    for lang in ("vi", "en"):
        assert list(got.result_rows(lang)) == report.result_rows(expected, lang)
    assert got.summary_rows() == report.summary_rows(expected)
    assert got.counts() == report.counts_text(expected) and got.reconciles() == expected.reconciles()
    return expected, got


# --- the example district ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def district() -> population.PopulationInput:
    return read_population(DISTRICT, HD21_PROGRAM)


def test_the_district_agrees_with_the_population_runner_subject_for_subject(
    district: population.PopulationInput,
) -> None:
    expected, got = assert_agrees(HD21_PROGRAM, district, PERIOD_2020)
    # The district exercises every path of a central framework: quotas within, decided and flagged (no bundled
    # framework ranks: the competent level decides); collectives undetermined.
    assert {g.status for g in got.quota_groups} == {"within", "flagged", "decided"}
    awaiting = [r for r in expected.results if r.outcome.status is Status.AWAITING_DECISION]
    assert awaiting and got.counts()["awaiting_decision"] == len(awaiting)
    assert any(r.outcome.decision is Decision.QUOTA for r in expected.results)
    assert {r.subject_kind for r in expected.results if r.outcome.status is Status.INSUFFICIENT_EVIDENCE} >= {
        "party_member",
        "party_cell",
        "grassroots_committee",
        "unit_head",
    }


def test_numpy_sorting_gives_the_order_python_gives(
    district: population.PopulationInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large inputs sort candidates and result rows with numpy; force that path on the district.
    monkeypatch.setattr(bulk_input, "SMALL", 0)
    assert_agrees(HD21_PROGRAM, district, PERIOD_2020, sample=200)


def test_every_one_line_reason_equals_the_trace_based_one(district: population.PopulationInput) -> None:
    expected = population.evaluate_population(HD21_PROGRAM, district, PERIOD_2020)
    got = bulk.classify(HD21_PROGRAM, from_population_input(HD21_PROGRAM, district), PERIOD_2020)
    for lang in ("vi", "en"):
        reasons = {kind: got._reasons(kind, lang) for kind in got.kinds}
        for result in expected.results:
            outcome = got.kinds[result.subject_kind]
            i = int(np.flatnonzero(outcome.columns.ids == result.subject_id)[0])
            assert reasons[result.subject_kind][i] == report.one_line_reason(result, HD21_PROGRAM, lang)
    # Far fewer full rebuilds than rows: one per signature.
    signatures = sum(len(got._signatures(kind)[1]) for kind in got.kinds)
    assert signatures < len(expected.results) / 5


# --- random populations --------------------------------------------------------------------------------------------

UNITS = [
    {"id": "D", "parent": None, "kind": "district", "name": "Huyện ủy"},
    {"id": "G1", "parent": "D", "kind": "grassroots_committee", "name": "Đảng bộ xã A"},
    {"id": "C11", "parent": "G1", "kind": "cell", "name": "Chi bộ thôn 1"},
    {"id": "C12", "parent": "G1", "kind": "cell", "name": "Chi bộ thôn 2"},
    {"id": "G2", "parent": "D", "kind": "grassroots_committee", "name": "Đảng bộ xã B"},
    {"id": "C21", "parent": "G2", "kind": "cell", "name": "Chi bộ thôn 3"},
    {"id": "B1", "parent": "D", "kind": "grassroots_cell", "name": "Chi bộ cơ sở"},
    {"id": "A1", "parent": "ZZ", "kind": "agency", "name": "Sở"},  # its parent is not in the table: a root
    {"id": "A2", "parent": "A1", "kind": "office", "name": "Phòng"},
]
GROUPS = ["Nhóm A", "Nhóm B", "Đội C"]


def _value(program: ir.Program, f: ir.FieldDef, draw: st.DrawFn) -> object:
    """A valid raw value, leaning to good grades and ordinary facts so that quotas have candidates."""
    match f.type:
        case ir.BoolType():
            return draw(st.sampled_from([False, False, False, True]))
        case ir.NumberType(integer=True):
            return draw(st.integers(0, 3) | st.integers(0, 40))
        case ir.NumberType():
            low = float(f.minimum) if f.minimum is not None else 0.0
            high = float(f.maximum) if f.maximum is not None else 24.0
            return draw(st.sampled_from([low, high, (low + high) / 2, high - 0.5]) | st.integers(int(low), int(high)))
        case ir.OrdinalType(scale=scale):
            values = (program.levels if scale == ir.LEVEL_SCALE else program.scales[scale]).values
            best = [values[0], values[0], values[min(1, len(values) - 1)]]
            return draw(st.sampled_from([v.label.vi for v in [*best, *values]] + [values[-1].code]))
        case ir.EnumType(name=name):
            return draw(st.sampled_from([v.label.vi for v in program.enums[name].values]))
        case ir.DateType():
            return draw(st.dates(date(2017, 1, 1), date(2027, 12, 31))).isoformat()
        case ir.TextType():
            return draw(st.sampled_from(GROUPS))
        case ir.RecordsType(record=record):
            fields = program.records[record].fields
            out = []
            for _ in range(draw(st.integers(0, 2))):
                one = {g.id: _value(program, g, draw) for g in fields}
                # Now and then a record field is left out: conditions reading it are unknown.
                for g in fields:
                    if draw(st.integers(0, 9)) == 0:
                        one.pop(g.id)
                out.append(one)
            return out
        case _:
            raise AssertionError(f.type)


def _evidence(program: ir.Program, kind: str, draw: st.DrawFn) -> dict[str, object]:
    fields = program.subjects[kind].fields
    raw = {f.id: _value(program, f, draw) for f in fields if draw(st.integers(0, 11))}  # ~1 in 12 left out
    return within_bounds(fields, raw)  # targets_met <= targets_assigned, and chains of them


@st.composite
def populations(draw: st.DrawFn, program: ir.Program) -> dict[str, Any]:
    kinds = list(program.subjects)
    individuals = [k for k in kinds if not program.subjects[k].relations]
    # A few evidence templates per kind, shared by several subjects: ties at the quota boundaries.
    templates = {k: [_evidence(program, k, draw) for _ in range(draw(st.integers(1, 3)))] for k in kinds}
    subjects: list[Any] = []
    number = 0
    for unit in UNITS:
        for _ in range(draw(st.integers(0, 5) | st.integers(0, 12))):
            kind = draw(st.sampled_from([*individuals, *individuals, *kinds]))
            evidence = dict(draw(st.sampled_from(templates[kind])))
            if draw(st.booleans()):
                evidence.update(_evidence(program, kind, draw))
            number += 1
            subjects.append(
                {
                    "id": f"S{number:02}",
                    "unit": unit["id"],
                    "kind": kind,
                    "name": f"Người {number}",
                    "evidence": evidence,
                }
            )
    draw(st.randoms(use_true_random=False)).shuffle(subjects)
    ids = [s["id"] for s in subjects]
    usable = list(subjects)
    # Rows that cannot be used: every kind of problem, so that collectives read rejected rows too.
    for _ in range(draw(st.integers(0, 4))) if subjects else ():
        row = dict(draw(st.sampled_from(usable)))
        problem = draw(st.sampled_from(["unit", "kind", "id", "duplicate", "evidence", "value", "not a row"]))
        if problem == "not a row":
            subjects.append("không phải một dòng")
            continue
        row["id"] = f"X{len(subjects)}"
        match problem:
            case "unit":
                row["unit"] = "NOWHERE"
            case "kind":
                row["kind"] = "nope"
            case "id":
                row["id"] = ""
            case "duplicate":
                row["id"] = draw(st.sampled_from(ids))
            case "evidence":
                row["evidence"] = "không phải evidence"
            case "value":
                fields = [f.id for f in program.subjects[row["kind"]].fields if isinstance(f.type, ir.NumberType)]
                row["evidence"] = {**row["evidence"], draw(st.sampled_from(fields)): "nhiều"} if fields else {}
        subjects.insert(draw(st.integers(0, len(subjects))), row)
    decisions = []
    for quota in program.quotas:
        if draw(st.booleans()):
            groups = ["G1", "G2", "B1", "D", "A1", *GROUPS]
            approved = draw(st.lists(st.sampled_from(ids), max_size=6)) if ids else []
            decisions.append(
                {"quota": quota.id, "group": draw(st.sampled_from(groups)), "approved": approved, "reference": "QĐ 1"}
            )
    return {"units": UNITS, "subjects": subjects, "decisions": decisions}


def _random_population_test(path: Path) -> Any:
    program = PROGRAMS[path]
    period = _period(program)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(populations(program))
    def check(document: dict[str, Any]) -> None:
        data = population.from_document(document, "test")
        assert_agrees(program, data, period)

    return check


@pytest.mark.parametrize("path", POPULATION_FRAMEWORKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_random_populations_agree_with_the_population_runner(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_input, "SMALL", 0)  # the numpy paths, which large inputs take
    _random_population_test(path)()


# --- columns from another reader: the runner's own identity checks -------------------------------------------------


def _columns_without_checks(program: ir.Program, data: population.PopulationInput) -> BulkInput:
    """Every row as columns, its evidence validated but its identity not checked (as a Parquet reader gives it)."""
    by_kind: dict[str, list[tuple[int, population.SubjectRow]]] = {}
    for position, row in enumerate(data.subjects):
        by_kind.setdefault(row.kind, []).append((position, row))
    kinds = {}
    for kind, entries in by_kind.items():
        known = kind in program.subjects
        evidences = [validate_evidence(program, kind if known else "member", r.evidence) for _, r in entries]
        kinds[kind] = KindColumns(
            kind=kind,
            ids=np.array([r.id for _, r in entries], object),
            units=np.array([r.unit for _, r in entries], object),
            names=np.array([r.name for _, r in entries], object),
            rows=np.array([r.row for _, r in entries], np.int64),
            table=EvidenceTable.from_evidence(program, kind if known else "member", evidences),
            source="test",
        )
    return BulkInput(data.units, kinds, data.decisions, data.rejections, data.rows_read)


def test_identity_problems_in_columns_are_rejected_as_the_population_runner_rejects_them() -> None:
    program = PROGRAMS[FIXTURES / "population" / "2019-10-18.yaml"]
    member = {"targets_assigned": 10, "targets_met": 9, "task_results": "Xuất sắc", "targets_exceeded": 1}
    rows = [
        {"id": "M1", "unit": "C11", "kind": "member", "evidence": member},
        {"id": "M1", "unit": "C12", "kind": "member", "evidence": member},  # a duplicate: the first row is kept
        {"id": "M2", "unit": "NOWHERE", "kind": "member", "evidence": member},
        {"id": "M2", "unit": "C11", "kind": "member", "evidence": member},  # not a duplicate: the first was rejected
        {"id": "", "unit": "C11", "kind": "member", "evidence": member},
        {"id": "M3", "unit": "C11", "kind": "nope", "evidence": member},
        {"id": "M1", "unit": "C11", "kind": "nope", "evidence": member},  # a duplicate before an unknown kind
        {"id": "CB", "unit": "C11", "kind": "cell", "evidence": {}},
        {"id": "M4", "unit": "C11", "kind": "member", "evidence": member},
    ]
    data = population.from_document({"units": UNITS, "subjects": rows}, "test")
    expected = population.evaluate_population(program, data, PERIOD_2020)
    got = bulk.classify(program, _columns_without_checks(program, data), PERIOD_2020)
    assert got.rejections == expected.rejections and len(got.rejections) == 5
    assert [r.reason_in("vi") for r in got.rejections] == [r.reason_in("vi") for r in expected.rejections]
    assert all(r.reason_vi and r.reason_vi != r.reason for r in got.rejections)
    assert got.result("CB") == expected.result("CB")
    assert list(got.result_rows()) == report.result_rows(expected)


# --- the rest of the API -------------------------------------------------------------------------------------------


def test_a_subject_without_a_result_is_a_key_error(district: population.PopulationInput) -> None:
    got = bulk.classify(HD21_PROGRAM, from_population_input(HD21_PROGRAM, district), PERIOD_2020)
    with pytest.raises(KeyError):
        got.result("nobody")
    quota_nodes = [n for n in got.result("DV0317").trace.children if n.kind is NodeKind.QUOTA]
    assert quota_nodes and dict(quota_nodes[0].details)["status"] == "decided"


def test_progress_counts_rows_up_to_the_total(district: population.PopulationInput) -> None:
    seen: list[tuple[int, int]] = []
    data = from_population_input(HD21_PROGRAM, district, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(district.subjects), len(district.subjects))
    seen.clear()
    bulk.classify(HD21_PROGRAM, data, PERIOD_2020, progress=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == seen[-1][1]


def test_to_population_gives_the_population_result(district: population.PopulationInput) -> None:
    expected = population.evaluate_population(HD21_PROGRAM, district, PERIOD_2020)
    got = bulk.classify(HD21_PROGRAM, from_population_input(HD21_PROGRAM, district), PERIOD_2020)
    assert got.to_population() == expected


# --- the batch command ---------------------------------------------------------------------------------------------


def _files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "manifest.json":  # it records the command: compared by its files below
            yield str(path.relative_to(folder)), path.read_bytes()
    if (folder / "manifest.json").exists():
        yield "manifest.json files", json.dumps(json.loads((folder / "manifest.json").read_bytes())["files"]).encode()


def _batch(tmp_path: Path, engine: str, *extra: str) -> tuple[int, dict[str, bytes]]:
    out = tmp_path / engine
    code = cli.main(["batch", str(HD21), str(DISTRICT), "--period", "2020", "--out", str(out), "--quiet",
                     "--engine", engine, *extra])  # fmt: skip
    return code, dict(_files(out))


def test_batch_writes_the_same_files_with_either_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_i, by_interpreter = _batch(tmp_path, "interpreter", "--traces")
    printed_i = capsys.readouterr().out
    code_c, by_columns = _batch(tmp_path, "columnar", "--traces")
    printed_c = capsys.readouterr().out
    assert code_i == code_c == 0
    tables = {"ket-qua.csv", "tong-hop.csv", "bi-loai.csv", "giai-thich.jsonl"}
    assert set(by_interpreter) == {*tables, "manifest.json files"}
    assert by_interpreter == by_columns

    # The screen summary is the same too, but for the folder names and the time.
    def same(text: str) -> list[str]:
        return [line for line in text.splitlines() if "/interpreter" not in line and "/columnar" not in line][:-1]

    assert same(printed_i) == same(printed_c)


def test_batch_auto_engine_is_columnar_from_the_threshold_without_a_review_process() -> None:
    parser = cli.build_parser()
    small = parser.parse_args(["batch", "f.yaml", "d", "--period", "2020"])
    assert cli_populations._batch_engine(small, engines.AUTO_COLUMNAR_ROWS - 1, "vi", HD21_PROGRAM) == "interpreter"
    assert cli_populations._batch_engine(small, engines.AUTO_COLUMNAR_ROWS, "vi", HD21_PROGRAM) == "columnar"
    with_process = parser.parse_args(["batch", "f.yaml", "d", "--period", "2020", "--process", "p"])
    assert cli_populations._batch_engine(with_process, 10**6, "vi", HD21_PROGRAM) == "interpreter"
    forced = parser.parse_args(["batch", "f.yaml", "d", "--period", "2020", "--engine", "interpreter"])
    assert cli_populations._batch_engine(forced, 10**6, "vi", HD21_PROGRAM) == "interpreter"
    # A framework whose kinds compute values (NĐ335 work tables) stays with the interpreter, however large.
    nd335 = api.load_framework(ROOT / "frameworks" / "civil-service" / "2026-01-01.yaml")
    assert cli_populations._batch_engine(small, 10**6, "vi", nd335) == "interpreter"


# --- the results table as blocks of columns ------------------------------------------------------------------------


def _written(tmp_path: Path, result: BulkResult, lang: str = "vi") -> list[bytes]:
    """The results table as ``write_table`` writes its rows, then as ``write_csv_blocks`` writes its blocks (with
    the repeated columns looked up per distinct value, then with every column cell by cell)."""
    write_table(result.result_rows(lang), report.RESULT_COLUMNS, tmp_path / "rows.csv")
    repeated = result.REPEATED_RESULT_COLUMNS
    write_csv_blocks(result.result_blocks(lang), report.RESULT_COLUMNS, tmp_path / "blocks.csv", repeated)
    write_csv_blocks(result.result_blocks(lang), report.RESULT_COLUMNS, tmp_path / "cells.csv")
    return [(tmp_path / f"{name}.csv").read_bytes() for name in ("rows", "blocks", "cells")]


def test_result_blocks_are_written_as_the_bytes_of_the_result_rows(
    district: population.PopulationInput, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_result, "_BLOCK", 500)  # several blocks, the last one shorter
    got = bulk.classify(HD21_PROGRAM, from_population_input(HD21_PROGRAM, district), PERIOD_2020)
    blocks = list(got.result_blocks())
    assert len(blocks) == 7 and all(len(column) == 500 for column in blocks[0])
    keys = [key for key, _ in report.RESULT_COLUMNS]
    assert [dict(zip(keys, row, strict=True)) for b in blocks for row in zip(*b, strict=True)] == list(
        got.result_rows()
    )
    for lang in ("vi", "en"):
        rows, by_blocks, by_cells = _written(tmp_path, got, lang)
        assert rows == by_blocks == by_cells
        assert rows.startswith(b"\xef\xbb\xbf") and rows.count(b"\r\n") == 3111


def test_result_blocks_neutralise_formulas_as_the_result_rows_do(tmp_path: Path) -> None:
    program = PROGRAMS[FIXTURES / "population" / "2019-10-18.yaml"]
    member = {"targets_assigned": 10, "targets_met": 9, "task_results": "Xuất sắc", "targets_exceeded": 1}
    units = [
        {"id": "D", "parent": None, "kind": "district", "name": '=HYPERLINK("x")'},
        {"id": "+G1", "parent": "D", "kind": "grassroots_committee", "name": "@Đảng bộ, xã A"},
        {"id": "-C11", "parent": "+G1", "kind": "cell", "name": "-Chi bộ thôn 1"},
        {"id": "C12", "parent": "+G1", "kind": "cell", "name": '+Chi bộ "thôn" 2'},
    ]
    people = [("=1+1", "=SUM(A1:A9)"), ("+84", None), ("-5", "-"), ("@me", "@Nguyễn, Văn A"), ("\tT", "Lê\nB"),
              ("A,1", "\"Trần\""), ("B", None)]  # fmt: skip
    subjects = [
        {"id": sid, "unit": ("-C11", "C12", "+G1")[i % 3], "kind": "member", "name": name, "evidence": member}
        for i, (sid, name) in enumerate(people)
    ]
    subjects.append({"id": "=CB", "unit": "-C11", "kind": "cell", "name": None, "evidence": {}})
    data = population.from_document({"units": units, "subjects": subjects}, "test")
    got = bulk.classify(program, from_population_input(program, data), PERIOD_2020)
    assert got.size == len(subjects)
    rows, by_blocks, by_cells = _written(tmp_path, got)
    assert rows == by_blocks == by_cells
    text = rows.decode("utf-8-sig")
    for shown in ("'=1+1", "'=SUM(A1:A9)", "'+84", "'-5", "'@me", "'=CB", "'-C11", "'-Chi bộ thôn 1",
                  '"\'@Đảng bộ, xã A"', '"\'+Chi bộ ""thôn"" 2"', '"Lê\nB"', '"""Trần"""', "'\tT,"):  # fmt: skip
        assert shown in text, shown
    assert "\r\nB,,member,'-C11," in text  # no name: an empty cell


class _Shown(str):
    """Text that shows as other text (``str`` gives it): written as shown."""

    def __str__(self) -> str:
        return "=" + self.upper()


class _Plain(enum.Enum):
    ONE = "-1"


_CELLS = st.one_of(
    st.none(),
    st.builds(_Shown, st.sampled_from(["a", "b,c"])),
    st.sampled_from([_Plain.ONE, Status.CLASSIFIED]),
    st.text(alphabet=st.sampled_from('ab,"\r\n=+-@\t é'), max_size=6),
    st.sampled_from(["=1+1", "-", "", "Tốt", "a,b", 'x"y']),
    st.integers(-3, 3),
    st.booleans(),
    st.floats(allow_nan=False),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.tuples(
            st.lists(st.lists(_CELLS, min_size=width, max_size=width), max_size=12),
            st.lists(st.booleans(), min_size=width, max_size=width),
            st.integers(1, 5),
        )
    )
)
def test_write_csv_blocks_writes_what_write_table_writes(tmp_path: Path, table: Any) -> None:
    rows, repeated, size = table
    columns = [(f"c{j}", f"=head {j}") for j in range(len(repeated))]
    keys = [key for key, _ in columns]
    chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
    blocks = [[[] for _ in keys], *([list(c) for c in zip(*chunk, strict=True)] for chunk in chunks)]  # one empty
    write_table([dict(zip(keys, row, strict=True)) for row in rows], columns, tmp_path / "rows.csv")
    chosen = [key for key, r in zip(keys, repeated, strict=True) if r]
    write_csv_blocks(blocks, columns, tmp_path / "blocks.csv", chosen)
    assert (tmp_path / "blocks.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()


def test_write_csv_blocks_keeps_equal_cells_of_other_types_apart(tmp_path: Path) -> None:
    # 1, True and 1.0 are equal (and so are "a" and _Shown("a")) but written differently: a repeated column
    # holding them is not worked out per distinct value.
    cells: list[object] = [1, True, 1.0, "a", _Shown("a"), None, "=x", 0, False]
    columns = [("c", "c"), ("d", "d")]
    write_table([{"c": v, "d": v} for v in cells], columns, tmp_path / "rows.csv")
    write_csv_blocks([[cells, cells]], columns, tmp_path / "blocks.csv", repeated={"c", "d"})
    assert (tmp_path / "blocks.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()
    assert b"\r\n1,1\r\nTRUE,TRUE\r\n1.0,1.0\r\na,a\r\n'=A,'=A\r\n,\r\n" in (tmp_path / "rows.csv").read_bytes()


def test_write_csv_blocks_keeps_text_apart_from_an_equal_str_subclass(tmp_path: Path) -> None:
    # "a" == _Shown("a") and they hash alike, so a set of the cells keeps one of them: the repeated column must
    # still write each as write_table does (found by the property test above).
    cells: list[object] = ["a", _Shown("a"), "a"]
    columns = [("c", "c")]
    tables_rows = [{"c": v} for v in cells]
    write_table(tables_rows, columns, tmp_path / "rows.csv")
    write_csv_blocks([[cells]], columns, tmp_path / "blocks.csv", repeated={"c"})
    assert (tmp_path / "blocks.csv").read_bytes() == (tmp_path / "rows.csv").read_bytes()


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 40).flatmap(
        lambda m: st.lists(
            st.one_of(
                st.lists(st.booleans(), min_size=m, max_size=m).map(lambda v: np.array(v, bool)),
                st.lists(st.integers(-3, 5), min_size=m, max_size=m).map(lambda v: np.array(v, np.int8)),
                st.lists(st.integers(-(2**40), 2**40), min_size=m, max_size=m).map(lambda v: np.array(v, np.int64)),
            ),
            max_size=6,
        ).map(lambda columns: (m, columns))
    )
)
def test_signature_keys_are_equal_exactly_when_every_column_is(given_columns: tuple[int, list[Any]]) -> None:
    """Rows share a signature key when, and only when, they agree in every column: whether the key is one packed
    number (the columns' ranges fit in 64 bits) or a row of bytes (wide columns)."""
    m, columns = given_columns
    first, inverse = bulk_result._unique_rows(bulk_result._key_matrix(columns, m))
    rows = [tuple(int(c[i]) for c in columns) for i in range(m)]
    assert len(inverse) == m
    for i in range(m):
        for j in range(m):
            assert (inverse[i] == inverse[j]) == (rows[i] == rows[j])
    assert sorted(rows[f] for f in first) == sorted(set(rows))
    assert all(rows.index(rows[f]) == f for f in first)  # the first row of each key


def test_wide_signature_columns_are_not_packed_into_a_number_that_wraps() -> None:
    # Packed in 64 bits, rows 0 and 1 would wrap to the same number: 2**24 and 2**24 * (2**40 + 1) mod 2**64.
    wide = [np.array([0, 2**24, 2**40], np.int64), np.array([2**24, 0, 2**40], np.int64)]
    _, inverse = bulk_result._unique_rows(bulk_result._key_matrix(wide, 3))
    assert len(set(inverse.tolist())) == 3
