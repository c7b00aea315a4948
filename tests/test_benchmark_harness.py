"""The benchmark harness's converters (benchmarks/): each engine's input says what validation says.

The columnar runner's input converter once rounded leave to half months; its self-check could not see it, as the
synthetic values were all halves. These tests run on the day-level populations (sick leave in days, written in
months to two decimals), so they fail on a converter that rounds.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import engines  # noqa: E402
import synthetic  # noqa: E402

from xeploai import api  # noqa: E402
from xeploai.evaluation.evidence import validate_evidence  # noqa: E402
from xeploai.evaluation.runners import interpreter  # noqa: E402

HD21 = api.load_framework(engines.HD21)


@pytest.mark.parametrize("population", ["realistic", "uniform"])
def test_columnar_input_is_exact_on_day_level_leave(population: str) -> None:
    from xeploai.evaluation.runners.columnar import evaluate_table
    from xeploai.evaluation.runners.columnar_table import EvidenceTable

    pop = synthetic.generate(3000, 11, missing=0.02, population=population)
    days = pop.sick[pop.sick > 0]
    assert (days * 2 != np.rint(days * 2)).sum() > 50  # not halves: a rounding converter changes these
    table = EvidenceTable.from_columns(HD21, synthetic.KIND, engines.columnar_columns(pop))
    raws = synthetic.raw_rows(pop, 0, pop.n)
    differ = [i for i, raw in enumerate(raws) if table.evidence(i) != validate_evidence(HD21, synthetic.KIND, raw)]
    assert differ == []
    outcomes = engines.columnar_codes(evaluate_table(table, engines.PERIOD))
    typed = synthetic.Typed(HD21).rows(pop, 0, pop.n)
    reference = [
        synthetic.outcome_code(interpreter.evaluate(HD21, synthetic.KIND, t.values, t.origins, engines.PERIOD).outcome)
        for t in typed
    ]
    assert outcomes.tolist() == reference


def test_exact_numerators_read_each_value_as_validation_does() -> None:
    values = np.array([0.0, 1.57, 2.97, 3.0, 0.5, 12.0])
    numerators, denominator = synthetic.exact_numerators(values)
    assert denominator == 100
    assert [Fraction(int(v), denominator) for v in numerators] == [
        Fraction(str(x)) for x in [0, 1.57, 2.97, 3, 0.5, 12]
    ]
    with pytest.raises(ValueError, match="int64"):
        synthetic.exact_numerators(np.array([1e-19, 1 / 3]))


def test_real_form_populations_have_their_shapes() -> None:
    hd21 = synthetic.generate(20_000, 5)
    real = synthetic.generate(20_000, 5, population="realistic")
    uniform = synthetic.generate(20_000, 5, population="uniform")
    # Everything but the targets, the leave and the decisions is the hd21 population's.
    assert (real.grades["task_results"] == hd21.grades["task_results"]).all()
    core = real.has_core
    assert real.assigned.min() >= 1 and real.assigned.max() == 200
    share_all = (real.met[core] == real.assigned[core]).mean()
    assert 0.73 < share_all < 0.77
    assert (uniform.met <= uniform.assigned).all() and (uniform.met == 0).any()
    assert 0.3 < (2 * uniform.met[core] < uniform.assigned[core]).mean() < 0.7
    records = np.diff(real.disc_start)
    assert 0.07 < (records[core] > 0).mean() < 0.09 and records.max() == 3
    assert len(np.unique(hd21.met * 1000 + hd21.assigned)) < 100 < len(np.unique(real.met * 1000 + real.assigned))
    with pytest.raises(ValueError, match="unknown population"):
        synthetic.generate(10, population="nation")


@pytest.mark.parametrize("population", ["realistic", "uniform"])
def test_interpreter_traces_on_the_varied_populations_are_the_references(population: str) -> None:
    """The interpreter's shared and context-free nodes give, on varied evidence, the traces its reference builds
    node by node (what the interpreter built before it shared anything)."""
    pop = synthetic.generate(1500, 3, missing=0.02, population=population)
    for ev in synthetic.Typed(HD21).rows(pop, 0, pop.n):
        fast = interpreter.evaluate(HD21, synthetic.KIND, ev.values, ev.origins, engines.PERIOD)
        reference = interpreter._evaluate_reference(HD21, synthetic.KIND, ev.values, ev.origins, engines.PERIOD)
        assert fast == reference
