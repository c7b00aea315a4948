"""JSON Schemas of the documents people write beside frameworks, for editors: a subject's evidence file, a
framework's tests file and a population document (``schema/evidence.schema.json``, ``tests.schema.json``,
``population.schema.json``, which are exactly what these functions return).

In: nothing, or a program and a subject kind for an evidence file of that kind. Out: JSON Schema (draft 2020-12)
documents. The keys come from the readers (``evaluation.inputs``, ``analysis.framework_tests``,
``tables.documents``), so that a schema accepts what the reader accepts and flags what it would reject.
"""

from __future__ import annotations

from typing import Final

from xeploai.analysis.framework_tests import _CASE_KEYS, _EXPECT_KEYS
from xeploai.evaluation.evidence import JSON_SCHEMA_DIALECT, evidence_json_schema
from xeploai.evaluation.trace import Status
from xeploai.program.ir import Program
from xeploai.tables.documents import _DOCUMENT_KEYS
from xeploai.tables.headers import DECISION_COLUMNS, PERSON_COLUMNS, SUBJECT_COLUMNS, UNIT_COLUMNS

__all__ = [
    "EDITOR_SCHEMAS",
    "evidence_file_schema",
    "population_schema",
    "tests_file_schema",
]

# The keys an evidence file may have (``evaluation.inputs.load_evidence_file`` reports any other).
EVIDENCE_FILE_KEYS: Final = ("subject", "period", "evidence", "framework")

_ID: Final = {"type": ["string", "integer"], "description": "an id: text (a number is read as its digits)"}
_TEXT: Final = {"type": "string"}
_OPTIONAL_ID: Final = {"type": ["string", "integer", "null"], "description": "an id, or empty"}
_NAMES: Final = {
    "description": "one id, or a list of them",
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
}


def _period() -> dict[str, object]:
    """A period as every document writes it: a year, a quarter, START..END, or a mapping."""
    date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return {
        "description": "the evaluation period: a year (2020), a quarter (2020-Q3), START..END, or {start, end}",
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": 9999},
            {
                "type": "string",
                "pattern": r"^\s*(\d{4}|\d{4}-?[Qq][1-4]|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})\s*$",
            },
            {
                "type": "object",
                "properties": {"start": date, "end": date, "kind": {"enum": ["annual", "quarterly", "ad_hoc"]}},
                "required": ["start", "end"],
                "additionalProperties": False,
            },
        ],
    }


def evidence_file_schema(program: Program | None = None, kind: str | None = None) -> dict[str, object]:
    """The schema of a whole evidence file: ``subject: {id, name, kind}``, ``period`` and ``evidence``.

    Without a program, ``evidence`` is any mapping (``schema/evidence.schema.json``); with a program and a subject
    kind, it is that kind's evidence schema and ``subject.kind`` is the kind. Raises ``EvidenceError``
    (``unknown-subject-kind``) for a kind the program does not declare.
    """
    evidence: dict[str, object] = {
        "type": "object",
        "description": "field: value for each evidence field of the subject kind; an absent field is unknown",
    }
    subject_kind: dict[str, object] = {"type": "string", "description": "the subject kind, e.g. party_member"}
    title = "xeploai evidence file"
    if program is not None and kind is not None:
        inner = evidence_json_schema(program, kind)
        evidence = {k: v for k, v in inner.items() if k != "$schema"}
        subject_kind = {"const": kind}
        title = f"{title}: {kind} ({program.info.family} {program.info.version})"
    properties: dict[str, object] = {
        "subject": {
            "type": "object",
            "properties": {"id": _ID, "name": _TEXT, "kind": subject_kind},
            "additionalProperties": False,
        },
        "period": _period(),
        "evidence": evidence,
        "framework": {"type": "string", "description": "the framework the evidence was collected for (a note)"},
    }
    assert tuple(properties) == EVIDENCE_FILE_KEYS
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": title,
        "description": "One subject's evidence, as `xeploai evaluate FRAMEWORK FILE` reads it.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def _population_defs() -> dict[str, object]:
    def entry(keys: list[str], properties: dict[str, object], required: list[str]) -> dict[str, object]:
        return {
            "type": "object",
            "properties": {key: properties.get(key, _ID) for key in keys},
            "required": required,
            "additionalProperties": False,
        }

    return {
        "unit": entry(
            list(UNIT_COLUMNS),
            {"name": _TEXT, "kind": _TEXT, "parent": _OPTIONAL_ID, "head": _OPTIONAL_ID},
            ["id", "kind"],
        ),
        "subject": entry(
            [*SUBJECT_COLUMNS, "evidence"],
            {"name": _TEXT, "kind": _TEXT, "person": _OPTIONAL_ID, "evidence": {"type": "object"}},
            ["id", "unit", "kind"],
        ),
        "person": entry(list(PERSON_COLUMNS), {"name": _TEXT}, ["id"]),
        "decision": entry(
            list(DECISION_COLUMNS), {"quota": _TEXT, "group": _TEXT, "approved": _NAMES, "reference": _TEXT}, []
        ),
    }


def _population_properties() -> dict[str, object]:
    properties: dict[str, object] = {
        "period": _period(),
        "units": {"type": "array", "items": {"$ref": "#/$defs/unit"}},
        "subjects": {"type": "array", "items": {"$ref": "#/$defs/subject"}},
        "decisions": {"type": "array", "items": {"$ref": "#/$defs/decision"}},
        "persons": {"type": "array", "items": {"$ref": "#/$defs/person"}},
    }
    assert tuple(properties) == _DOCUMENT_KEYS  # the reader's keys, in its order
    return properties


def population_schema() -> dict[str, object]:
    """The schema of a population document (YAML or JSON): ``units``, ``subjects``, ``decisions``, ``period``."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "xeploai population document",
        "description": "A population for `xeploai batch FRAMEWORK FILE`: units, subjects with their evidence, the"
        " committee's decisions, and the persons who hold the subjects' results.",
        "type": "object",
        "properties": _population_properties(),
        "required": ["units", "subjects"],
        "additionalProperties": False,
        "$defs": _population_defs(),
    }


def tests_file_schema() -> dict[str, object]:
    """The schema of a framework's tests file (``<effective-from>.tests.yaml``)."""
    ids = {"description": "an id, or a list of ids", "anyOf": [_TEXT, {"type": "array", "items": _TEXT}]}
    expect_properties: dict[str, object] = {
        "level": {"type": "string", "description": "the level's id"},
        "status": {"enum": [s.value for s in Status]},
        "reasons": ids,
        "why_not": {
            "type": "object",
            "description": "level id: the rules that failed for it",
            "additionalProperties": {"anyOf": [ids, {"type": "null"}]},
        },
        "missing": ids,
        "notes": ids,
        "possible": ids,
        "flags": ids,
    }
    assert set(expect_properties) == set(_EXPECT_KEYS)
    expect = {"type": "object", "properties": expect_properties, "additionalProperties": False, "minProperties": 1}
    case_properties: dict[str, object] = {
        "name": _TEXT,
        "subject": {"type": "string", "description": "the subject kind"},
        "evidence": {"type": "object"},
        "period": _period(),
        "readings": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "rules readings chosen for this case (reading id → option id); defaults otherwise",
        },
        "population": {
            "type": "object",
            "properties": _population_properties(),
            "additionalProperties": False,
        },
        "expect": {"type": "object", "minProperties": 1},
    }
    assert set(case_properties) == set(_CASE_KEYS)
    case = {
        "type": "object",
        "properties": case_properties,
        "required": ["expect"],
        "additionalProperties": False,
        # A population case expects per subject id; any other case expects of its one subject.
        "if": {"required": ["population"]},
        "then": {"properties": {"expect": {"additionalProperties": {"$ref": "#/$defs/expect"}}}},
        "else": {"required": ["subject"], "properties": {"expect": {"$ref": "#/$defs/expect"}}},
    }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "xeploai framework tests",
        "description": "Cases `xeploai test` runs: evidence (or a small population) and the expected outcome.",
        "type": "object",
        "properties": {
            "framework": {"type": "string", "description": "the framework file, relative to this file"},
            "period": _period(),
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
        "required": ["framework", "cases"],
        "$defs": {"case": case, "expect": expect, **_population_defs()},
    }


# The schemas checked in under schema/, by file name.
EDITOR_SCHEMAS: Final = {
    "evidence.schema.json": evidence_file_schema,
    "tests.schema.json": tests_file_schema,
    "population.schema.json": population_schema,
}
