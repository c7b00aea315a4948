"""The process test population (tests/fixtures/process): read, apply quarters and dates, evaluate, climb the ladder."""

from __future__ import annotations

from dataclasses import dataclass

from paths import ROOT
from xeploai import api
from xeploai.evaluation.population import PopulationInput, PopulationResult, evaluate_population
from xeploai.process import ladder, periods, process_tables
from xeploai.program import ir
from xeploai.tables import spellings

PROCESS = ROOT / "tests" / "fixtures" / "process"
FRAMEWORK = PROCESS / "party" / "2025-08-30.yaml"
POPULATION = PROCESS / "population" / "population.yaml"
INPUTS = PROCESS / "inputs"


@dataclass(frozen=True)
class Run:
    program: ir.Program
    population: PopulationInput
    inputs: process_tables.ProcessInput
    result: PopulationResult
    ladder: ladder.ProcessResult


def run(period: str = "2025") -> Run:
    program = api.load_framework(FRAMEWORK)
    when = api.parse_period(period)
    population = spellings.read_population(POPULATION, program)
    inputs = process_tables.read_process(INPUTS, program, [s.id for s in population.subjects], period=when)
    population, facts = periods.apply_periods(
        program, population, when, inputs.quarters, inputs.events, inputs.unread_quarters
    )
    result = evaluate_population(program, population, when)
    return Run(program, population, inputs, result, ladder.evaluate_process(result, population, inputs, facts))


BAD = (
    PROCESS / "bad"
)  # process tables with the rows a secretary gets wrong: impossible tallies, duplicates, unknown columns


def run_bad(period: str = "2025") -> Run:
    """The process population with the bad process tables of ``tests/fixtures/process/bad``."""
    program = api.load_framework(FRAMEWORK)
    when = api.parse_period(period)
    population = spellings.read_population(POPULATION, program)
    inputs = process_tables.read_process(BAD, program, [s.id for s in population.subjects], period=when)
    population, facts = periods.apply_periods(
        program, population, when, inputs.quarters, inputs.events, inputs.unread_quarters
    )
    result = evaluate_population(program, population, when)
    return Run(program, population, inputs, result, ladder.evaluate_process(result, population, inputs, facts))


RUN_PROGRAM = api.load_framework(FRAMEWORK)
