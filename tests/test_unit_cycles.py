"""A cycle of unit parents (a caller who built the units by hand) is named, never followed forever."""

from __future__ import annotations

import pytest

from paths import ROOT
from xeploai import api
from xeploai.evaluation import population

pytest.importorskip("numpy")
from xeploai.evaluation.bulk_input import Units

HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"


def cyclic_population() -> population.PopulationInput:
    units = (
        population.Unit("A", "B", "party_cell", "Chi bộ A"),
        population.Unit("B", "A", "party_cell", "Chi bộ B"),
    )
    return population.PopulationInput(units, (), rows_read=0)


def test_unit_group_names_the_cycle_instead_of_looping() -> None:
    program = api.load_framework(HD21)
    quota = next(q for q in program.quotas if q.group_unit_kinds)
    units = {u.id: u for u in cyclic_population().units}
    with pytest.raises(ValueError, match="cycle of parents: A → B → A"):
        population.unit_group(units, "A", quota)


def test_the_column_wise_grouping_refuses_the_cycle_too() -> None:
    program = api.load_framework(HD21)
    quota = next(q for q in program.quotas if q.group_unit_kinds)
    with pytest.raises(ValueError, match="cycle of parents: A → B → A"):
        Units(cyclic_population().units).groups_of(quota)
