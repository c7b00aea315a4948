"""Fuzzing: the loader, the checker, the evaluator and the table readers end every input in issues, rejections or
results — never an unexpected exception, and within a time limit.

CI runs a fixed, derandomized budget (the whole file in well under a minute). ``scripts/fuzz-long`` runs the same
tests with ``XEPLOAI_FUZZ_EXAMPLES`` examples each and a random seed; what it found is in docs/fuzzing.md, and every
crash it found is kept below as a regression test.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from paths import FIXTURES, GOOD, HD21, ROOT
from xeploai import api
from xeploai.framework import loader
from xeploai.program.issues import EvidenceError, FrameworkError
from xeploai.tables.files import TableError
from xeploai.tables.reader import read_population

LONG = int(os.environ.get("XEPLOAI_FUZZ_EXAMPLES", "0"))
TIME_LIMIT = 10.0  # seconds for one call; the inputs are small, so anything near it is a hang

T = TypeVar("T")


def budget(examples: int) -> Callable[[T], T]:
    """CI: ``examples`` derandomized examples. Long runs: ``XEPLOAI_FUZZ_EXAMPLES`` random ones."""
    return settings(
        max_examples=LONG or examples,
        deadline=None,
        derandomize=not LONG,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],  # no patch files
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


def timed(call: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        return call()
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s"


PROGRAM = api.load_framework(GOOD)
HD21_PROGRAM = api.load_framework(HD21)
PERIOD = api.parse_period(2020)
FRAMEWORKS = [
    GOOD,
    FIXTURES / "analysis" / "planted" / "2020-01-01.yaml",
    ROOT / "frameworks/civil-service/2026-01-01.yaml",
]


# --- the loader: any text, any bytes, YAML-ish token soup, any plain structure ------------------------------

YAML_TOKENS = [
    "{", "}", "[", "]", ": ", ":", "- ", "-", ", ", "\n", "\n  ", "  ", "\t", "&a ", "*a ", "&b [*a, *a] ",
    "!!python/object:os.system ", "!!binary ", "!tag ", "<<: ", "? ", "'", '"', "|\n", ">-\n", "# c\n", "---\n",
    "...\n", "%YAML 1.1\n", "key",
    "Tốt", "To\u0302\u0301t", "\ufeff", "1e999", "-.inf", ".nan", "0x1F", "0o17", "2019-02-30", "~", "null", "true",
    "yes", "=1+1", "@x", "\\", "\x00", "\x85", "\u2028", "é",
]  # fmt: skip


def yamlish() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=60).map("".join)


def plain_data() -> st.SearchStrategy[object]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20)
        | st.dates().map(date.isoformat)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=30,
    )


def load(content: str | bytes) -> None:
    try:
        document = timed(lambda: loader.load_yaml(content, "<fuzz>"))
    except FrameworkError as error:
        assert error.issues, "a FrameworkError carries its issues"
        assert all(issue.code for issue in error.issues)
        return
    assert isinstance(document, loader.Document)


@budget(150)
@given(st.text(max_size=300))
def test_the_loader_answers_any_text(text: str) -> None:
    load(text)


@budget(150)
@given(st.binary(max_size=300))
def test_the_loader_answers_any_bytes(data: bytes) -> None:
    load(data)


@budget(200)
@given(yamlish())
def test_the_loader_answers_yaml_token_soup(text: str) -> None:
    load(text)


@budget(100)
@given(plain_data())
def test_the_loader_reads_back_any_plain_structure(data: object) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        document = timed(lambda: loader.load_yaml(text, "<fuzz>"))
    except FrameworkError:
        return  # e.g. a key that is not a plain scalar after dumping
    assert document.data == yaml.safe_load(text) or document.data is None


# --- the checker: real frameworks, mutated -----------------------------------------------------------------


def paths_of(data: object, here: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield here
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths_of(value, (*here, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths_of(value, (*here, index))


def at(data: Any, path: tuple[object, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


NEAR_KEYS = ["when", "label", "cite", "confidence", "levels", "rules", "evidence", "type", "of", "id", "vi", "en"]
ODD_VALUES: list[object] = [
    None, True, 0, -1, 10**30, 1.5, "", "x", "Tốt", "HTXS", "not a condition (", "a and or b", "targets_met <", [],
    {}, [None], {"x": 1}, "2019-13-45", "../../../etc/passwd", "=1+1",
]  # fmt: skip


@st.composite
def mutated_framework(draw: st.DrawFn) -> tuple[str, str]:
    """A real framework with one to three random deletions, renamings and value swaps, dumped back to YAML."""
    source = draw(st.sampled_from(FRAMEWORKS))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in paths_of(data) if p]
        path = draw(st.sampled_from(paths))
        parent = at(data, path[:-1])
        last = path[-1]
        operation = draw(st.sampled_from(["delete", "rename", "swap", "odd"]))
        if operation == "delete":
            del parent[last]  # type: ignore[arg-type]
        elif operation == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from(NEAR_KEYS) | st.text(min_size=1, max_size=12))
            parent[new] = parent.pop(last)
        elif operation == "swap":
            other = draw(st.sampled_from(paths))
            parent[last] = copy.deepcopy(at(data, other))  # type: ignore[index]
        else:
            parent[last] = draw(st.sampled_from(ODD_VALUES) | plain_data())  # type: ignore[index]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)
    return source.name, text


@budget(60)
@given(mutated_framework())
def test_the_checker_answers_mutated_frameworks(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "party" / name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        issues = timed(lambda: api.check_file(path))
        assert all(issue.code and issue.message for issue in issues)
        try:
            program = timed(lambda: api.load_framework(path))
        except FrameworkError as error:
            assert error.issues
            return
        # A mutation the checker accepts is a framework: it evaluates empty evidence without an exception.
        for kind in program.subjects:
            result = timed(lambda kind=kind: api.evaluate(program, kind, {}, period=PERIOD))  # type: ignore[misc]
            assert result.outcome.status.value in ("classified", "not_classified", "insufficient_evidence")


# --- the evaluator: arbitrary JSON-like evidence ----------------------------------------------------------


def json_like() -> st.SearchStrategy[object]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**40), max_value=10**40)
        | st.floats()
        | st.text(max_size=12)
        | st.sampled_from(["Tốt", "Xuất sắc", "HTXS", "KT", "2020-05-01", "2020-02-30", "50%", "1e309", "-0"])
        | st.dates()
        | st.decimals(allow_nan=True)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=20,
    )


@st.composite
def evidence_for(draw: st.DrawFn, program: api.Program) -> tuple[str, dict[object, object]]:
    kind = draw(st.sampled_from(list(program.subjects)) | st.text(max_size=6))
    names = [f.id for s in program.subjects.values() for f in s.fields]
    keys = st.sampled_from(names) | st.text(max_size=8) | st.integers() | st.none()
    record_names = [f.id for r in program.records.values() for f in r.fields]
    values = json_like() | st.lists(
        st.dictionaries(st.sampled_from(record_names) | st.text(max_size=4), json_like(), max_size=4), max_size=3
    )
    evidence = draw(st.dictionaries(keys, values, max_size=8))
    return kind, evidence


def evaluate(program: api.Program, kind: str, evidence: object) -> None:
    try:
        result = timed(lambda: api.evaluate(program, kind, evidence, period=PERIOD))  # type: ignore[arg-type]
    except EvidenceError as error:
        assert error.issues and all(issue.code for issue in error.issues)
        return
    outcome = result.outcome
    assert outcome.status.value in ("classified", "not_classified", "insufficient_evidence")
    assert (outcome.level is not None) == (outcome.status.value == "classified")


@budget(200)
@given(evidence_for(PROGRAM))
def test_the_evaluator_answers_arbitrary_evidence(case: tuple[str, dict[object, object]]) -> None:
    evaluate(PROGRAM, *case)


@budget(100)
@given(evidence_for(HD21_PROGRAM))
def test_the_evaluator_answers_arbitrary_evidence_for_every_hd21_kind(case: tuple[str, dict[object, object]]) -> None:
    evaluate(HD21_PROGRAM, *case)


@budget(50)
@given(json_like())
def test_the_evaluator_answers_evidence_that_is_not_a_mapping(evidence: object) -> None:
    evaluate(PROGRAM, "member", evidence)


# --- the table readers: random CSV content in a folder ---------------------------------------------------

CELLS = st.text(max_size=12) | st.sampled_from(
    ["id", "unit", "kind", "member", "u1", "d1", "Tốt", "TRUE", "1,5", "=cmd|'/c calc'!A1", "+1", "-1", "@SUM(A1)",
     "\ufeffid", '"', "\n", ";", "\t", "2020-01-01", "01/02/2020", "1e999", "NaN"]
)  # fmt: skip
UNIT_HEADER = ["id", "parent", "kind", "name", "head"]
SUBJECT_HEADER = ["id", "unit", "kind", "name", *[f.id for f in PROGRAM.subjects["member"].fields]]


@st.composite
def csv_table(draw: st.DrawFn, header: list[str]) -> str:
    columns = draw(st.one_of(st.just(header), st.lists(CELLS, max_size=6), st.permutations(header)))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(columns) + 2), max_size=5))
    out = io.StringIO()
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def population_folder(draw: st.DrawFn) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if draw(st.booleans()):
        files["units.csv"] = draw(csv_table(UNIT_HEADER)).encode()
    if draw(st.booleans()) or not files:
        files["subjects.csv"] = draw(csv_table(SUBJECT_HEADER)).encode()
    if draw(st.booleans()):
        files["discipline.csv"] = draw(csv_table(["subject", "form", "decided_on"])).encode()
    if draw(st.booleans()):
        name = draw(st.sampled_from(["units.csv", "subjects.csv", "dicipline.csv", "decisions.csv"]))
        files[name] = draw(st.binary(max_size=200))
    return files


def read(path: Path) -> None:
    try:
        population = timed(lambda: read_population(path, PROGRAM))
    except TableError as error:
        assert str(error)
        return
    for rejection in population.rejections:
        assert rejection.reason


@budget(100)
@given(population_folder())
def test_the_table_reader_answers_random_csv_folders(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, content in files.items():
            (Path(folder) / name).write_bytes(content)
        read(Path(folder))


@budget(60)
@given(st.sampled_from(["pop.yaml", "pop.json", "pop.xlsx"]), st.binary(max_size=300) | yamlish().map(str.encode))
def test_the_table_reader_answers_random_documents_and_workbooks(name: str, content: bytes) -> None:
    if name.endswith(".xlsx"):
        pytest.importorskip("openpyxl")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        read(path)


@budget(60)
@given(plain_data())
def test_the_table_reader_answers_random_population_structures(data: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pop.yaml"
        path.write_text(yaml.safe_dump({"units": data, "subjects": data}, allow_unicode=True), encoding="utf-8")
        read(path)


# --- crashes the long runs found, kept as regression tests (see docs/fuzzing.md) -----------------------------


def write_good(folder: Path, old: str, new: str) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = folder / "party" / GOOD.name
    path.parent.mkdir()
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


# Found by scripts/fuzz-long (docs/fuzzing.md), fixed: a field declared without a label crashed the checker
# (resolver.text asserted) instead of reporting missing-label.
def test_a_record_field_without_a_label_is_a_missing_label_issue(tmp_path: Path) -> None:
    old = 'decided_on: {type: date, label: {vi: "Ngày", en: Date}}'
    path = write_good(tmp_path, old, "decided_on: {type: date}")
    assert [issue.code for issue in api.check_file(path)] == ["missing-label"]


def test_an_evidence_field_without_a_label_is_a_missing_label_issue(tmp_path: Path) -> None:
    old = 'targets_assigned: {type: count, label: {vi: "Chỉ tiêu", en: Targets}}'
    path = write_good(tmp_path, old, "targets_assigned: {type: count}")
    assert [issue.code for issue in api.check_file(path)] == ["missing-label"]


# Found by scripts/fuzz-long (docs/fuzzing.md), fixed: a framework without `levels:` crashed the checker with an
# IndexError in level_checks.check_lists instead of reporting the missing level scale.
def test_a_framework_without_levels_is_reported_not_a_crash(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    start, end = text.index("levels:\n"), text.index("scales:\n")
    path = tmp_path / "party" / GOOD.name
    path.parent.mkdir()
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    issues = api.check_file(path)
    assert issues and all(issue.severity == "error" for issue in issues)
