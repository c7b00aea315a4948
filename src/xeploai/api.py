"""The façade: the one module users import, and the only one that knows the order of the packages.

framework (load → validate → check → compile) → evaluation (evidence → runner) → explanation.
Everything a program embedding xeploai needs is importable from here; each name is defined in the stage that
owns it and re-exported, so ``xeploai.api.evaluate`` and ``xeploai.evaluation.inputs.evaluate`` are one function.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Sequence

from xeploai.evaluation.evidence import evidence_json_schema as _evidence_json_schema
from xeploai.evaluation.inputs import (
    EvidenceFile,
    PeriodError,
    evaluate,
    load_evidence_file,
    load_evidence_text,
    parse_period,
)
from xeploai.evaluation.trace import Result
from xeploai.framework.families import (
    Family,
    bundled_families,
    example_district,
    frameworks_root,
    load_family,
    resolve_framework,
    schema_root,
)
from xeploai.framework.files import (
    NoFrameworkError,
    Selection,
    check_file,
    check_paths,
    check_text,
    framework_files,
    framework_json_schema,
    load_framework,
    select_framework,
    select_from,
)
from xeploai.program.ir import Period, Program
from xeploai.program.issues import EvidenceError, FrameworkError, Issue

# The analysis package (framework tests) is imported when first used: evaluating a subject does not need it, and a
# command that only evaluates starts faster without it (``TestOutcome`` is still importable from here).
if typing.TYPE_CHECKING:
    from xeploai.analysis.framework_tests import TestOutcome

__all__ = [
    "EvidenceError",
    "EvidenceFile",
    "Family",
    "FrameworkError",
    "Issue",
    "NoFrameworkError",
    "Period",
    "PeriodError",
    "Program",
    "Result",
    "Selection",
    "TestOutcome",
    "bundled_families",
    "check_file",
    "check_paths",
    "check_text",
    "evaluate",
    "evidence_json_schema",
    "example_district",
    "framework_files",
    "framework_json_schema",
    "frameworks_root",
    "load_evidence_file",
    "load_evidence_text",
    "load_family",
    "load_framework",
    "parse_period",
    "resolve_framework",
    "run_framework_tests",
    "schema_root",
    "select_framework",
    "select_from",
]


def evidence_json_schema(program: Program, kind: str) -> dict[str, object]:
    """The JSON Schema of one subject kind's evidence, for forms and systems that collect it."""
    return _evidence_json_schema(program, kind)


def run_framework_tests(paths: Sequence[str | os.PathLike[str]]) -> list[TestOutcome]:
    """Run the ``*.tests.yaml`` files named or found under directories."""
    from xeploai.analysis import framework_tests

    return framework_tests.run(paths)


def __getattr__(name: str) -> object:
    """The names re-exported from packages imported when first used (PEP 562)."""
    if name == "TestOutcome":
        from xeploai.analysis.framework_tests import TestOutcome

        return TestOutcome
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
