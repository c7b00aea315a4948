"""Quick timing of the columnar runner on synthetic HD21 party members, against a hand-written numpy floor.

Run from the repository root:  PYTHONPATH=src python benchmarks/columnar_quick.py [--sizes 10000 100000 1000000]
Times are the least CPU time of this process over 7 runs, after two warm-up runs (the machine may be shared).
Prints one line per size: members; the columnar runner (every condition column, statuses, levels, decisions);
the floor (the same rules hand-written in numpy, two-valued, on complete data); their ratio; the columnar runner
on data with 5 % of the values missing; building the table from typed columns. The full benchmark suite, with
the other engines, is not this script.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from xeploai import api
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import columnar, interpreter
from xeploai.evaluation.runners.columnar_table import AnyColumn, Column, EvidenceTable, RecordsColumn, _choices
from xeploai.program import ir

ROOT = Path(__file__).resolve().parents[1]
HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"
KIND = "party_member"
PERIOD = api.parse_period(2020)


def synthetic_columns(program: ir.Program, kind: str, n: int, missing: float, seed: int = 0) -> dict[str, AnyColumn]:
    """Typed columns for n members: values valid for each declaration, ``missing`` of them absent."""
    rng = np.random.default_rng(seed)
    subject = program.subjects[kind]
    out: dict[str, AnyColumn] = {}

    def known(size: int) -> np.ndarray[Any, Any]:
        return rng.random(size) >= missing if missing else np.ones(size, bool)

    def column(f: ir.FieldDef, size: int, done: dict[str, AnyColumn]) -> AnyColumn:
        k = known(size)
        match f.type:
            case ir.BoolType():
                return Column(rng.random(size) < 0.05, k)
            case ir.NumberType(integer=True):
                values = rng.integers(0, 481 if f.unit == "tháng" else 21, size)
                other = done.get(f.at_most_field or "")
                if isinstance(other, Column):
                    values = np.minimum(values, rng.integers(0, 21, size) + other.values // 2)
                    values = np.minimum(values, other.values)
                return Column(values, k)
            case ir.NumberType():
                low = int(f.minimum or 0)
                high = int(f.maximum) if f.maximum is not None else 24
                halves = rng.integers(2 * low, 2 * high + 1, size)
                halves[rng.random(size) < 0.8] = 0  # most members take no leave
                return Column(halves, k, denominator=2)
            case ir.OrdinalType() | ir.EnumType():
                count = len(_choices(program, f.type))
                weights = np.arange(1, count + 1, dtype=float) ** 3  # mostly the better values
                return Column(rng.choice(count, size, p=weights / weights.sum()), k)
            case ir.DateType():
                start, end = date(2018, 1, 1).toordinal(), date(2022, 12, 31).toordinal()
                return Column(rng.integers(start, end + 1, size), k)
            case ir.TextType() | ir.PeriodType():
                return Column(np.full(size, "x", object), k)
            case ir.RecordsType(record=record):
                lengths = np.where(rng.random(size) < 0.03, rng.integers(1, 3, size), 0) * k
                offsets = np.concatenate([[0], np.cumsum(lengths)])
                total = int(offsets[-1])
                fields: dict[str, AnyColumn] = {}
                for g in program.records[record].fields:
                    fields[g.id] = column(g, total, fields)
                return RecordsColumn(offsets, k, {g: c for g, c in fields.items() if isinstance(c, Column)})
            case _:
                raise AssertionError(f.type)

    for f in subject.fields:
        out[f.id] = column(f, n, out)
    return out


def floor(cols: dict[str, AnyColumn], period: ir.Period) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The HD21 member rules written by hand: a bit column of the 16 conditions and a branch-free level."""

    def v(name: str) -> np.ndarray[Any, Any]:
        col = cols[name]
        assert isinstance(col, Column)
        return col.values

    discipline = cols["discipline"]
    assert isinstance(discipline, RecordsColumn)
    day = discipline.fields["decided_on"].values
    fresh = (day >= period.start.toordinal()) & (day <= period.end.toordinal())
    fresh &= ~discipline.fields["counted_before"].values
    rows = np.repeat(np.arange(len(discipline.known)), np.diff(discipline.offsets))
    disciplined = np.zeros(len(discipline.known), bool)
    disciplined[rows[fresh]] = True
    cs, csl, task = v("is_civil_servant"), v("civil_service_level"), v("task_results")
    others = [v(f) for f in ("political_ideology", "ethics_lifestyle", "discipline_awareness", "working_style")]
    others.append(v("remedying_shortcomings"))
    good_others = others[0] >= 2
    average_others = others[0] >= 1
    for o in others[1:]:
        good_others &= o >= 2
        average_others &= o >= 1
    conditions = [
        v("exempted"),
        v("suspended"),
        v("months_since_admission") < 6,
        v("degradation_concluded"),
        2 * v("targets_met") < v("targets_assigned"),
        cs & (csl == 0),
        disciplined,
        v("exemplary_with_products"),
        task == 3,
        good_others,
        ~cs | (csl >= 3),
        task >= 2,
        average_others,
        ~cs | (csl >= 2),
        average_others & (task >= 1),
        ~cs | (csl >= 1),
    ]
    bits = np.zeros(len(cs), np.uint32)
    for i, c in enumerate(conditions):
        bits |= c.astype(np.uint32) << np.uint32(i)
    c = conditions
    excellent = c[7] & c[8] & c[9] & c[10]
    good = c[11] & c[12] & c[13]
    completed = c[14] & c[15]
    level = np.maximum(
        np.maximum(excellent.view(np.int8) * np.int8(3), good.view(np.int8) * np.int8(2)), completed.view(np.int8)
    )
    sick = v("sick_leave_months") >= 6  # 3 months, in halves
    level = np.minimum(level, np.int8(3) - sick.view(np.int8) * np.int8(2))
    level *= ~(c[3] | c[4] | c[5] | c[6])
    level -= (c[0] | c[1] | c[2]).view(np.int8) * (level + np.int8(1))
    return bits, level


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """The least CPU time of this process over ``repeat`` runs: other processes on a shared machine do not count."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    program = api.load_framework(HD21)

    sample = EvidenceTable.from_columns(program, KIND, synthetic_columns(program, KIND, 2000, 0.05, 7))
    rows = [sample.evidence(i) for i in range(len(sample))]
    raws = [{k: columnar_raw(v) for k, v in e.values.items() if e.origins[k] == "evidence"} for e in rows]
    typed = [validate_evidence(program, KIND, r) for r in raws]
    start = time.process_time()
    for e in typed:
        interpreter.evaluate(program, KIND, e.values, e.origins, PERIOD)
    per_member = (time.process_time() - start) / len(typed)
    result = columnar.classify_table(program, KIND, typed, period=PERIOD)
    rebuild = best(lambda: result.trace(0), 20)
    print(f"interpreter with its trace: {1 / per_member:,.0f} members/s; one trace rebuilt: {rebuild * 1e3:.2f} ms")

    print(
        f"{'members':>10} {'columnar':>10} {'floor':>9} {'ratio':>6} {'5% missing':>11} {'table':>9} {'members/s':>12}"
    )
    for n in args.sizes:
        cols = synthetic_columns(program, KIND, n, 0.0)
        table = EvidenceTable.from_columns(program, KIND, cols)
        gappy = EvidenceTable.from_columns(program, KIND, synthetic_columns(program, KIND, n, 0.05, 1))
        runs: dict[str, Callable[[], object]] = {
            "build": partial(EvidenceTable.from_columns, program, KIND, cols),
            "columnar": partial(columnar.evaluate_table, table, PERIOD),
            "floor": partial(floor, cols, PERIOD),
            "missing": partial(columnar.evaluate_table, gappy, PERIOD),
        }
        for run in runs.values():  # warm up: the first runs also grow the process's heap
            run()
            run()
        t = {name: best(run, 7) for name, run in runs.items()}
        _, level = floor(cols, PERIOD)
        got = columnar.evaluate_table(table, PERIOD)
        agree = np.array_equal(np.where(got.status == 1, -1, got.level), level)
        print(
            f"{n:>10,} {t['columnar'] * 1e3:>8.1f}ms {t['floor'] * 1e3:>7.1f}ms {t['columnar'] / t['floor']:>6.2f} "
            f"{t['missing'] * 1e3:>9.1f}ms {t['build'] * 1e3:>7.1f}ms {n / t['columnar']:>12,.0f}"
            + ("" if agree else "  LEVELS DIFFER FROM THE FLOOR")
        )


def columnar_raw(value: ir.Value) -> object:
    """An IR value back to the raw form ``validate_evidence`` reads."""
    match value:
        case ir.Ordinal() | ir.EnumValue():
            return value.id
        case date():
            return value.isoformat()
        case tuple():
            return [{k: columnar_raw(v) for k, v in r.values.items()} for r in value]
        case _:
            return value


if __name__ == "__main__":
    main()
