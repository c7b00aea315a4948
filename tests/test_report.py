"""The one-line reason of the result tables: the requirements of the level just above, never of a level further up."""

from __future__ import annotations

import pytest

from paths import HD21, ROOT
from xeploai import api
from xeploai.evaluation.population import PopulationResult, evaluate_population
from xeploai.evaluation.report import one_line_reason
from xeploai.evaluation.trace import Decision
from xeploai.tables.reader import read_population


@pytest.fixture(scope="module")
def district() -> PopulationResult:
    program = api.load_framework(HD21)
    return evaluate_population(
        program, read_population(ROOT / "examples" / "district", program), api.parse_period("2020")
    )


def test_the_reason_of_an_ht_member_names_only_htt_requirements(district: PopulationResult) -> None:
    program = district.program
    checked = 0
    for result in district.results:
        outcome = result.outcome
        if outcome.level_before_caps != "completed" or outcome.decision is not Decision.LEVEL:
            continue
        if result.subject_kind != "party_member":
            continue
        subject = program.subjects[result.subject_kind]
        good = next(req for req in subject.levels if req.level == "good")
        excellent_only = {
            r for req in subject.levels if req.level == "excellent" for r in req.rules if r not in good.rules
        }
        reason = one_line_reason(result, program)
        assert reason.startswith("Chưa đạt HTT: ")
        named = reason.removeprefix("Chưa đạt HTT: ")
        for rule in excellent_only:
            label = subject.rules[rule].label.vi
            assert label not in named, (result.subject_id, reason)
        checked += 1
    assert checked > 0
