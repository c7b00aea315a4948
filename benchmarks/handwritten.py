"""HD21's member rules written by hand for a conventional rules engine (durable_rules) and as a Python function.

Both are two-valued, as rules are usually written by hand: an absent value simply fails the test that reads it,
so a member whose gradings are incomplete falls through to a lower level instead of "insufficient evidence".
They agree with the interpreter on every member whose evidence is complete; the benchmark reports both counts.
Input: ``synthetic.plain_rows`` (numbers, ranks and day ordinals). Grade ranks: 3 Xuất sắc, 2 Tốt, 1 Trung bình,
0 Kém; level ranks: 3 HTXS, 2 HTT, 1 HT, 0 KHT.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from synthetic import COMPLETED, EXCELLENT, GOOD, NOT_CLASSIFIED, NOT_COMPLETED, YEAR

FIRST, LAST = date(YEAR, 1, 1).toordinal(), date(YEAR, 12, 31).toordinal()
OTHER = ("political_ideology", "ethics_lifestyle", "discipline_awareness", "working_style", "remedying_shortcomings")


def classify(m: dict[str, Any]) -> int:
    """One member's outcome code, two-valued."""
    if m.get("exempted") or m.get("suspended") or m.get("months_since_admission", 99) < 6:
        return NOT_CLASSIFIED
    civil = m.get("is_civil_servant")
    level = m.get("civil_service_level", -1)
    assigned, met = m.get("targets_assigned"), m.get("targets_met")
    if (
        m.get("degradation_concluded")
        or (assigned is not None and met is not None and met < 0.5 * assigned)
        or (civil and level == 0)
        or any(FIRST <= d["decided_on"] <= LAST and not d["counted_before"] for d in m.get("discipline", ()))
    ):
        return NOT_COMPLETED
    task = m.get("task_results", -1)
    grades = [m.get(k, -1) for k in OTHER]
    sick = m.get("sick_leave_months")
    uncapped = sick is not None and sick < 3
    if (
        uncapped
        and m.get("exemplary_with_products")
        and task == 3
        and min(grades) >= 2
        and (civil is False or level >= 3)
    ):
        return EXCELLENT
    if uncapped and task >= 2 and min(grades) >= 1 and (civil is False or level >= 2):
        return GOOD
    if task >= 1 and min(grades) >= 1 and (civil is False or level >= 1):
        return COMPLETED
    return NOT_COMPLETED


def _ge(field: str, value: int) -> dict[str, object]:
    return {"$gte": {field: value}}


def durable_ruleset(record: Callable[[int, int], None]) -> dict[str, dict[str, object]]:
    """The same rules in durable_rules' JSON rule language: one event per member, the rule of highest priority
    that matches consumes it. ``record(member, outcome)`` is called by the actions."""

    def act(code: int) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            record(int(c.m.member), code)

        return action

    not_civil_or = {
        3: {"$or": [{"is_civil_servant": False}, _ge("civil_service_level", 3)]},
        2: {"$or": [{"is_civil_servant": False}, _ge("civil_service_level", 2)]},
        1: {"$or": [{"is_civil_servant": False}, _ge("civil_service_level", 1)]},
    }
    in_year = {"$and": [_ge("$i.decided_on", FIRST), {"$lte": {"$i.decided_on": LAST}}, {"$i.counted_before": False}]}
    half = {"$mul": {"$l": {"$m": "targets_assigned"}, "$r": 0.5}}
    return {
        "not_classified": {
            "all": [{"m": {"$or": [{"exempted": True}, {"suspended": True}, {"$lt": {"months_since_admission": 6}}]}}],
            "pri": 1,
            "run": act(NOT_CLASSIFIED),
        },
        "not_completed": {
            "all": [
                {
                    "m": {
                        "$or": [
                            {"degradation_concluded": True},
                            {"$lt": {"targets_met": half}},
                            {"$and": [{"is_civil_servant": True}, {"civil_service_level": 0}]},
                            {"$iany": {"discipline": in_year}},
                        ]
                    }
                }
            ],
            "pri": 2,
            "run": act(NOT_COMPLETED),
        },
        "excellent": {
            "all": [
                {
                    "m": {
                        "$and": [
                            {"$lt": {"sick_leave_months": 3}},
                            {"exemplary_with_products": True},
                            {"task_results": 3},
                            *(_ge(k, 2) for k in OTHER),
                            not_civil_or[3],
                        ]
                    }
                }
            ],
            "pri": 3,
            "run": act(EXCELLENT),
        },
        "good": {
            "all": [
                {
                    "m": {
                        "$and": [
                            {"$lt": {"sick_leave_months": 3}},
                            _ge("task_results", 2),
                            *(_ge(k, 1) for k in OTHER),
                            not_civil_or[2],
                        ]
                    }
                }
            ],
            "pri": 4,
            "run": act(GOOD),
        },
        "completed": {
            "all": [{"m": {"$and": [_ge("task_results", 1), *(_ge(k, 1) for k in OTHER), not_civil_or[1]]}}],
            "pri": 5,
            "run": act(COMPLETED),
        },
        "below": {"all": [{"m": {"$ex": {"member": 1}}}], "pri": 6, "run": act(NOT_COMPLETED)},
    }
