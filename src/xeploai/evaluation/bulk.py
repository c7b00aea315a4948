"""Populations at national scale: typed columns per subject kind → levels, quotas and summary, column-wise.

Input: a ``BulkInput`` (units, one ``KindColumns`` per subject kind, committee decisions, rows already rejected
while reading), a program and the period. Output: a ``BulkResult`` whose levels, rejections, quota groups, result
rows and summary rows are identical to ``population.evaluate_population``'s on the same population; a subject's
full ``Result`` (trace, quota decisions included) is rebuilt on demand. Needs numpy (the ``columnar`` extra).
The stages are the sibling modules ``bulk_input`` (identity checks), ``bulk_relations`` (what collectives read),
``bulk_quotas`` and ``bulk_result`` (tables and reasons).
"""

from __future__ import annotations

import numpy as np

from xeploai.evaluation.bulk_input import (
    DECISION_CODE,
    STATUS_NOT_CLASSIFIED,
    BulkInput,
    KindOutcome,
    Progress,
    Units,
    check_identity,
    input_orders,
)
from xeploai.evaluation.bulk_quotas import QuotaRun, apply_quota
from xeploai.evaluation.bulk_relations import relation_column
from xeploai.evaluation.bulk_result import BulkResult
from xeploai.evaluation.links import links_own_kinds
from xeploai.evaluation.population import QuotaGroup, decision_rejections, rejected_by_unit, strata
from xeploai.evaluation.runners.columnar import evaluate_table
from xeploai.evaluation.trace import Decision
from xeploai.program import ir


def classify(
    program: ir.Program, bulk_input: BulkInput, period: ir.Period, *, progress: Progress | None = None
) -> BulkResult:
    """Classify a population given as columns: identity checks, every kind in the derived order (collectives
    reading their related subjects' final levels), then quotas; nothing is dropped.

    ``progress(done, total)`` counts rows: each kind's rows once it is evaluated, and the rows each quota ranges
    over once it is applied.
    """
    if links_own_kinds(program):
        raise ValueError("a framework whose fields link to its own kinds is classified by the interpreter")
    units = Units(bulk_input.units)
    given = list(bulk_input.kinds.values())
    orders = input_orders(given)
    unit_codes = [units.codes(c.units) for c in given]
    accepted, rejections = check_identity(program, given, orders, unit_codes, units)
    outcomes: dict[str, KindOutcome] = {}
    for columns, order, ok, codes in zip(given, orders, accepted, unit_codes, strict=True):
        n = len(columns.ids)
        outcomes[columns.kind] = KindOutcome(
            columns=columns,
            accepted=ok,
            evaluated=None,
            status=np.full(n, STATUS_NOT_CLASSIFIED, np.int8),
            level=np.full(n, -1, np.int8),
            decision=np.full(n, DECISION_CODE[Decision.ELIGIBILITY], np.int8),
            flags=np.zeros(n, np.uint64),
            unit_codes=codes,
            order=order,
        )
    order = strata(program)
    total = sum(len(o) for kind, o in outcomes.items() if kind in program.subjects)
    total += sum(len(outcomes[k]) for q in program.quotas for k in dict.fromkeys(q.kinds) if k in outcomes)
    done = 0
    rejected_units = rejected_by_unit([*bulk_input.rejections, *rejections])
    groups: list[QuotaGroup] = []
    runs: list[QuotaRun] = []
    decided = {(d.quota, d.group): d for d in bulk_input.decisions}
    for stratum in order:
        for kind in stratum.kinds:
            outcome = outcomes.get(kind)
            if outcome is None:
                continue
            relations = {
                relation.id: relation_column(
                    program,
                    relation,
                    np.where(outcome.accepted, outcome.unit_codes, -1),
                    outcome.columns.ids,
                    outcomes,
                    units,
                    rejected_units,
                )
                for relation in program.subjects[kind].relations
            }
            evaluated = evaluate_table(outcome.columns.table, period, relations)
            outcome = KindOutcome(
                columns=outcome.columns,
                accepted=outcome.accepted,
                evaluated=evaluated,
                status=evaluated.status.copy(),
                level=evaluated.level.copy(),
                decision=evaluated.decision.copy(),
                flags=outcome.flags,
                unit_codes=outcome.unit_codes,
                order=outcome.order,
            )
            outcomes[kind] = outcome
            done += len(outcome)
            if progress is not None:
                progress(done, total)
        # Quotas that demote run before quotas that only flag, so that a flag counts the levels that stand.
        quotas = [q for q_id in stratum.quotas for q in program.quotas if q.id == q_id]
        for quota in sorted(quotas, key=lambda q: (q.policy is not ir.QuotaPolicy.RANK, q.id)):
            run = apply_quota(program, quota, len(runs), outcomes, units, decided, groups)
            runs.append(run)
            done += sum(len(outcomes[k]) for k in dict.fromkeys(quota.kinds) if k in outcomes)
            if progress is not None:
                progress(done, total)
    rejections.extend(decision_rejections(bulk_input.decisions, groups))
    return BulkResult(
        program=program,
        period=period,
        kinds=outcomes,
        rejections=(*bulk_input.rejections, *rejections),
        strata=order,
        quota_groups=tuple(groups),
        rows_read=bulk_input.rows_read or sum(len(c.ids) for c in given),
        units=bulk_input.units,
        quotas=tuple(runs),
        unit_index=units,
    )
