"""The numpy floor: HD21's member rules written by hand over the population's columns, three-valued.

Every condition is a column of truth codes (0 not met, 1 unknown, 2 met: Kleene's *and* is the minimum, *or* the
maximum, *not* is 2 − x), written into one int8 row per rule of a condition matrix, which is what a columnar
runner stores to rebuild a trace. The outcome needs no branch: the truths of the six stages (eligibility,
triggers, the three levels, the cap) index a table of the 3⁶ combinations, filled once with the interpreter's
rule for unknowns (``zen_table.outcome_of``: an outcome is decided only when every possibility left leads to it).
This is the least work that computes what the interpreter computes for this kind; the columnar runner's target
is measured against it.
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import zen_table
from synthetic import OUTCOMES, YEAR, Population

from xeploai.program import ir

RULES = (
    "exempted_member",
    "suspended_member",
    "newly_admitted",
    "degradation",
    "targets_under_half",
    "civil_service_not_completed",
    "disciplined_in_year",
    "truly_exemplary",
    "task_results_excellent",
    "other_criteria_good",
    "civil_service_excellent",
    "task_results_good",
    "other_criteria_average",
    "civil_service_good",
    "all_criteria_average",
    "civil_service_completed",
    "sick_leave_cap",
)
OTHER = ("political_ideology", "ethics_lifestyle", "discipline_awareness", "working_style", "remedying_shortcomings")
I8 = np.int8


def outcome_table(program: ir.Program) -> np.ndarray:
    """Outcome code of every combination of stage truths, indexed by e·3⁵ + k·3⁴ + excellent·3³ + good·3² +
    completed·3 + cap (HD21's member kind: three levels below "excellent" included, one cap)."""
    subject = program.subjects["party_member"]
    table = np.empty(3**6, I8)
    for index, (e, k, l1, l2, l3, cap) in enumerate(itertools.product(range(3), repeat=6)):
        table[index] = OUTCOMES.index(zen_table.outcome_of(program, subject, e, k, [l1, l2, l3], [cap]))
    return table


def _known(value: np.ndarray, known: np.ndarray) -> np.ndarray:
    """A boolean column as truth codes, unknown where not known."""
    return (value & known).view(I8) * I8(2) + (~known).view(I8)


def _at_least(rank: np.ndarray, threshold: int) -> np.ndarray:
    """rank ≥ threshold, for ranks with −1 where absent."""
    return (rank >= threshold).view(I8) * I8(2) + (rank < 0).view(I8)


def _equals(rank: np.ndarray, wanted: int) -> np.ndarray:
    return (rank == wanted).view(I8) * I8(2) + (rank < 0).view(I8)


def owners(pop: Population) -> np.ndarray:
    """The record-owner index: the member of each disciplinary record (what the columnar runner's table holds
    as the records column's parents, built with the table)."""
    return np.repeat(np.arange(pop.n), np.diff(pop.disc_start))


def classify(pop: Population, table: np.ndarray, owner: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Outcome codes (``synthetic.OUTCOMES``), and the condition matrix: row i holds ``RULES[i]``'s truth codes.
    ``owner`` is ``owners(pop)`` when built beforehand (as the columnar runner's table has it); else it is built."""
    n = pop.n
    cond = np.empty((len(RULES), n), I8)
    row = {rule: cond[i] for i, rule in enumerate(RULES)}
    core = pop.has_core
    g = pop.grades
    level = pop.civil_level
    two = I8(2)

    np.multiply(pop.exempted.view(I8), two, out=row["exempted_member"])
    np.multiply(pop.suspended.view(I8), two, out=row["suspended_member"])
    np.multiply((pop.months < 6).view(I8), two, out=row["newly_admitted"])
    np.multiply(pop.degradation.view(I8), two, out=row["degradation"])
    row["targets_under_half"][:] = _known(2 * pop.met.astype(np.int32) < pop.assigned, core)
    civil = pop.civil.view(I8) * two  # always known
    np.minimum(civil, _equals(level, 0), out=row["civil_service_not_completed"])
    # exists(discipline, decided_on in period and not counted_before): record fields are always given here.
    first, last = date(YEAR, 1, 1).toordinal(), date(YEAR, 12, 31).toordinal()
    hit = (pop.disc_day >= first) & (pop.disc_day <= last) & ~pop.disc_counted
    if owner is None:
        owner = owners(pop)
    row["disciplined_in_year"][:] = _known(np.bincount(owner[hit], minlength=n) > 0, pop.discipline_known)
    row["truly_exemplary"][:] = _known(pop.exemplary, core)
    task = g["task_results"]
    row["task_results_excellent"][:] = _equals(task, 3)
    row["task_results_good"][:] = _at_least(task, 2)
    good = _at_least(g[OTHER[0]], 2)
    average = _at_least(g[OTHER[0]], 1)
    for k in OTHER[1:]:
        np.minimum(good, _at_least(g[k], 2), out=good)
        np.minimum(average, _at_least(g[k], 1), out=average)
    row["other_criteria_good"][:] = good
    row["other_criteria_average"][:] = average
    np.minimum(average, _at_least(task, 1), out=row["all_criteria_average"])
    not_civil = two - civil
    np.maximum(not_civil, _at_least(level, 3), out=row["civil_service_excellent"])
    np.maximum(not_civil, _at_least(level, 2), out=row["civil_service_good"])
    np.maximum(not_civil, _at_least(level, 1), out=row["civil_service_completed"])
    row["sick_leave_cap"][:] = _known(pop.sick >= 3, core)

    # The stages, then one gather: e·243 + k·81 + excellent·27 + good·9 + completed·3 + cap.
    e = cond[0:3].max(axis=0)
    k = cond[3:7].max(axis=0)
    excellent = cond[7:11].min(axis=0)
    good_level = cond[11:14].min(axis=0)
    completed = cond[14:16].min(axis=0)
    index = e.astype(np.int16) * 243
    for stage, weight in ((k, 81), (excellent, 27), (good_level, 9), (completed, 3), (row["sick_leave_cap"], 1)):
        index += stage * np.int16(weight)
    return table[index], cond
