"""Editor support: every framework file names the published JSON Schema the way yaml-language-server reads it,
validates against that schema (Draft 2020-12) as an editor would see it, and the structurally broken fixtures are
rejected — by the schema, at the place the checker reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from paths import FIXTURES, ROOT
from xeploai import api

SCHEMA = ROOT / "schema" / "framework.schema.json"
FRAMEWORKS = sorted(p for p in (ROOT / "frameworks").rglob("*.yaml") if not p.name.endswith(".tests.yaml"))
BROKEN = FIXTURES / "schema-broken"
MARKER = "# yaml-language-server: $schema="


def as_json(path: Path) -> Any:
    """The document as an editor's JSON view of it: YAML dates are strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_there_are_frameworks_to_check() -> None:
    assert len(FRAMEWORKS) >= 2


@pytest.mark.parametrize("path", FRAMEWORKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_framework_begins_with_the_schema_reference(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    expected = Path(os.path.relpath(SCHEMA, path.parent)).as_posix()
    assert first == MARKER + expected, f"the first line of {path.name} should be '{MARKER}{expected}'"
    assert (path.parent / first.removeprefix(MARKER)).resolve() == SCHEMA.resolve()


@pytest.mark.parametrize("path", FRAMEWORKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_framework_validates_against_the_schema(path: Path, validator: jsonschema.Draft202012Validator) -> None:
    errors = sorted(validator.iter_errors(as_json(path)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


BROKEN_CASES = {
    # fixture: the JSON Schema keyword that rejects it and where; the code `xeploai check` gives and where
    "unknown-key": (
        ("additionalProperties", "subjects.member.rules.is_exempted"),
        ("unknown-key", "subjects.member.rules.is_exempted.whenever"),
    ),
    "wrong-type": (
        ("anyOf", "subjects.member.evidence.exempted.label"),
        ("invalid-value", "subjects.member.evidence.exempted.label"),
    ),
    "missing-key": (
        ("required", "subjects.member.caps.sick"),
        ("missing-key", "subjects.member.caps.sick.at_most"),
    ),
    "bad-confidence": (
        ("enum", "subjects.member.rules.results_good.confidence"),
        ("invalid-value", "subjects.member.rules.results_good.confidence"),
    ),
}


def test_every_broken_fixture_is_listed() -> None:
    assert sorted(p.stem for p in BROKEN.glob("*.yaml")) == sorted(BROKEN_CASES)


@pytest.mark.parametrize("name", sorted(BROKEN_CASES))
def test_the_schema_rejects_each_broken_fixture_where_the_checker_does(
    name: str, validator: jsonschema.Draft202012Validator
) -> None:
    rejected, reported = BROKEN_CASES[name]
    path = BROKEN / f"{name}.yaml"
    assert path.read_text(encoding="utf-8").startswith(MARKER + "../../../schema/framework.schema.json\n")
    errors = list(validator.iter_errors(as_json(path)))
    assert errors, f"the schema accepts {name}.yaml"
    assert [(e.validator, ".".join(map(str, e.absolute_path))) for e in errors] == [rejected]
    assert [(i.code, i.path) for i in api.check_file(path)] == [reported]


def test_the_published_schema_is_what_the_command_prints() -> None:
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == api.framework_json_schema()


# --- the documents written beside frameworks: evidence files, tests files, population documents ---------------

DOCUMENT_SCHEMAS = ("evidence.schema.json", "tests.schema.json", "population.schema.json")
EVIDENCE_FILES = sorted((ROOT / "examples" / "members").glob("*.yaml"))
TESTS_FILES = sorted((ROOT / "frameworks").rglob("*.tests.yaml")) + sorted(FIXTURES.rglob("*.tests.yaml"))
POPULATION_DOCUMENT = FIXTURES / "process" / "population" / "population.yaml"


def document_validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schema" / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def messages(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


@pytest.mark.parametrize("name", DOCUMENT_SCHEMAS)
def test_each_published_document_schema_is_what_the_command_prints(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from xeploai.cli import app

    assert app.main(["schema", "--document", name.removesuffix(".schema.json")]) == 0
    printed = capsys.readouterr().out
    assert (ROOT / "schema" / name).read_text(encoding="utf-8") == printed


def test_there_are_documents_to_validate() -> None:
    assert len(EVIDENCE_FILES) >= 3 and len(TESTS_FILES) >= 7 and POPULATION_DOCUMENT.exists()


@pytest.mark.parametrize("path", EVIDENCE_FILES, ids=lambda p: p.name)
def test_a_real_evidence_file_validates_against_the_evidence_file_schema(path: Path) -> None:
    assert messages(document_validator("evidence.schema.json"), as_json(path)) == []
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == MARKER + "../../schema/evidence.schema.json"


def test_the_evidence_file_schema_flags_what_the_reader_rejects() -> None:
    validator = document_validator("evidence.schema.json")
    document = as_json(EVIDENCE_FILES[0])
    document["evidnce"] = document.pop("evidence")
    assert messages(validator, document) == [": Additional properties are not allowed ('evidnce' was unexpected)"]
    assert messages(validator, {**as_json(EVIDENCE_FILES[0]), "period": "2020-Q5"})


def test_the_evidence_schema_of_one_kind_covers_a_whole_evidence_file(capsys: pytest.CaptureFixture[str]) -> None:
    from xeploai.cli import app

    path = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
    assert app.main(["schema", "--evidence", "party/2019-10-18", "party_member", "--whole"]) == 0
    whole = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    assert messages(whole, as_json(path)) == []
    wrong = as_json(path)
    wrong["evidence"]["targets_met"] = "twelve"
    assert [m.split(":")[0] for m in messages(whole, wrong)] == ["evidence.targets_met"]


@pytest.mark.parametrize("path", TESTS_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_tests_file_validates_against_the_tests_schema(path: Path) -> None:
    assert messages(document_validator("tests.schema.json"), as_json(path)) == []


def test_the_tests_schema_flags_a_misspelt_expectation() -> None:
    document = {
        "framework": "2019-10-18.yaml",
        "period": 2020,
        "cases": [{"name": "x", "subject": "member", "evidence": {}, "expect": {"levle": "good"}}],
    }
    assert messages(document_validator("tests.schema.json"), document) == [
        "cases.0.expect: Additional properties are not allowed ('levle' was unexpected)"
    ]


def test_a_population_document_validates_against_the_population_schema() -> None:
    validator = document_validator("population.schema.json")
    assert messages(validator, as_json(POPULATION_DOCUMENT)) == []
    broken = as_json(POPULATION_DOCUMENT)
    broken["subjects"][0]["nmae"] = broken["subjects"][0].pop("name")
    assert messages(validator, broken) == ["subjects.0: Additional properties are not allowed ('nmae' was unexpected)"]
