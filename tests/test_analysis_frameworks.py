"""Every bundled framework passes its own whole-framework analysis: each finding is fixed or declared.

The budget is smaller than the command's default so that the suite stays quick; ``scripts/test`` runs
``xeploai check --deep --strict frameworks/`` with the default budget as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import ROOT
from xeploai import api
from xeploai.analysis.search import analyse, find_tests

FRAMEWORKS = sorted(p for p in (ROOT / "frameworks").glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))
BUDGET = 3  # seconds of evaluations per framework (a count, so the findings do not depend on the machine)


def test_there_are_frameworks_to_analyse() -> None:
    assert len(FRAMEWORKS) >= 7


@pytest.mark.parametrize("path", FRAMEWORKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_finding_is_fixed_or_declared(path: Path) -> None:
    program = api.load_framework(path)
    tests = find_tests(program)
    assert tests is not None, "a bundled framework has its tests beside it"
    findings = analyse(program, tests, budget_seconds=BUDGET)
    undeclared = [f"{f.code} {f.path}: {f.message.en}" for f in findings if not f.declared]
    assert undeclared == [], "fix these or declare them under the kind's exceptions:\n" + "\n".join(undeclared)
    assert all(f.exception is not None for f in findings), "declared by the framework itself, not by the caller"
