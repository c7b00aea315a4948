"""The framework format's JSON Schema is generated from the models, checked in, and accepts real frameworks."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from paths import BROKEN, GOOD, ROOT
from xeploai.framework import schema

CHECKED_IN = ROOT / "schema" / "framework.schema.json"


def _load(path) -> object:  # type: ignore[no-untyped-def]
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_checked_in_schema_is_generated_from_the_models() -> None:
    generated = json.dumps(schema.json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert CHECKED_IN.read_text(encoding="utf-8") == generated, (
        "schema/framework.schema.json is stale: regenerate it with `xeploai schema > schema/framework.schema.json`"
    )


def test_schema_accepts_every_bundled_framework() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(CHECKED_IN.read_text(encoding="utf-8")))
    frameworks = [p for p in (ROOT / "frameworks").rglob("*.yaml") if not p.name.endswith(".tests.yaml")]
    for path in [GOOD, *frameworks]:
        errors = list(validator.iter_errors(_load(path)))
        assert errors == [], f"{path}: {errors[0].message if errors else ''}"


def test_schema_rejects_unknown_keys() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(CHECKED_IN.read_text(encoding="utf-8")))
    data = _load(GOOD)
    assert isinstance(data, dict)
    data["framework"]["verison"] = "x"
    assert not validator.is_valid(data)


def test_broken_fixture_is_structurally_valid_so_the_checker_finds_its_faults() -> None:
    # The broken fixture's faults are semantic (references, types, cycles): the schema alone cannot see them.
    validator = jsonschema.Draft202012Validator(json.loads(CHECKED_IN.read_text(encoding="utf-8")))
    assert validator.is_valid(_load(BROKEN))


@pytest.mark.parametrize("model", [schema.FrameworkDoc, schema.RuleDoc, schema.FieldDoc, schema.SubjectDoc])
def test_models_forbid_extra_keys_and_are_frozen(model) -> None:  # type: ignore[no-untyped-def]
    assert model.model_config["extra"] == "forbid" and model.model_config["frozen"] is True
