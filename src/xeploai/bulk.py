"""Populations at national scale: typed columns per subject kind → levels, quotas and summary, column-wise.

Input: a ``BulkInput`` (units, one ``KindColumns`` per subject kind, committee decisions, rows already rejected
while reading), a program and the period. Output: a ``BulkResult`` whose levels, rejections, quota groups, result
rows and summary rows are identical to ``population.evaluate_population``'s on the same population; a subject's
full ``Result`` (trace, quota decisions included) is rebuilt on demand. Needs numpy (the ``columnar`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xeploai.population import CommitteeDecision, Rejection, Unit
from xeploai.runners.columnar import EvidenceTable

Array = Any  # numpy arrays; numpy is imported by the columnar runner


@dataclass(frozen=True, eq=False)
class KindColumns:
    """The subjects of one kind as columns, rows aligned: who they are, where they sit, their typed evidence.

    ``ids``, ``units`` and ``names`` are object arrays of ``str`` (``names`` may hold ``None``); ``rows`` holds the
    source row number of each subject (as ``Rejection.row`` and ``Result.extras["row"]`` report it). The evidence
    in ``table`` is valid for its declaration (ranges, ``at_most``, choices): rows that were not are rejected by
    the reader and appear in ``BulkInput.rejections`` instead. Identity problems (a duplicate id, an unknown unit)
    are the runner's to find, so that every source of columns is judged alike.
    """

    kind: str
    ids: Array
    units: Array
    names: Array | None
    rows: Array
    table: EvidenceTable
    source: str


@dataclass(frozen=True)
class BulkInput:
    """A population as columns: the counterpart of ``population.PopulationInput``."""

    units: tuple[Unit, ...]
    kinds: Mapping[str, KindColumns]
    decisions: tuple[CommitteeDecision, ...] = ()
    rejections: tuple[Rejection, ...] = ()  # rows already rejected while reading
    rows_read: int = 0  # subject rows in the input, rejected ones included
