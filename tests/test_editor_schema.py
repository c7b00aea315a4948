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
