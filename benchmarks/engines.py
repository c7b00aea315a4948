"""Each engine of the benchmark, measured in a process of its own (``run.py`` starts one per engine and size).

A measurement generates the population (fixed seed), converts slices of it to the engine's input outside the
timed section, times the engine alone in CPU seconds of the process (``time.process_time``: other processes on
a shared machine do not count; wall seconds are kept too), writes the outcome code of every measured member for
the agreement check, and reports the process's resident memory before the timed work and at its peak.

Row-at-a-time engines stream the population in chunks, as a batch run over a file would; column engines take
whole columns. Engines faster than a second are run five times and the least time is kept.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402

from xeploai import api  # noqa: E402
from xeploai.evaluation.runners import interpreter  # noqa: E402
from xeploai.explanation import explain  # noqa: E402
from xeploai.program import ir  # noqa: E402

HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"
PERIOD = api.parse_period(synthetic.YEAR)
CHUNK = 10_000
REBUILDS = 20  # members whose full explanation is rebuilt from a batch result


def rss_mib() -> float:
    """The process's resident memory now."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Clock:
    """CPU and wall seconds of the timed sections only."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0

    def run(self, fn: Callable[[], Any]) -> Any:
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        self.cpu += time.process_time() - c
        self.wall += time.perf_counter() - w
        return out


def best_of(fn: Callable[[], Any], clock: Clock, at_least: int = 5) -> Any:
    """Run ``fn`` until it has run ``at_least`` times (or for 20 s); keep the least time."""
    times: list[tuple[float, float]] = []
    out = None
    spent = 0.0
    while len(times) < at_least and (spent < 20 or not times):
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        times.append((time.process_time() - c, time.perf_counter() - w))
        spent += times[-1][1]
    cpu, wall = min(times)
    clock.cpu, clock.wall = cpu, wall
    return out


def chunks(rows: int) -> list[tuple[int, int]]:
    return [(s, min(s + CHUNK, rows)) for s in range(0, rows, CHUNK)]


# --- the engines ------------------------------------------------------------------------------------------------------


def interpreter_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    typed = synthetic.Typed(program)
    codes = np.empty(rows, np.int8)
    evaluate = interpreter.evaluate
    code = synthetic.outcome_code

    for start, stop in chunks(rows):
        evidences = typed.rows(pop, start, stop)

        def work(evidences: list[Any] = evidences, start: int = start) -> None:
            for j, ev in enumerate(evidences):
                trace = evaluate(program, synthetic.KIND, ev.values, ev.origins, PERIOD)
                codes[start + j] = code(trace.outcome)

        clock.run(work)
    # A batch keeps each member's typed evidence; the explanation is the trace evaluated again, then rendered.
    times = []
    for i in np.linspace(0, rows - 1, min(REBUILDS, rows)).astype(int):
        ev = typed.rows(pop, int(i), int(i) + 1)[0]
        t = time.perf_counter()
        trace = evaluate(program, synthetic.KIND, ev.values, ev.origins, PERIOD)
        result = api.Result(trace, pop.member_id(int(i)), synthetic.KIND, None, PERIOD, "party", "HD21", str(HD21))
        explain.to_text(result, program)
        times.append(time.perf_counter() - t)
    return codes, {"rebuild_ms_median": statistics.median(times) * 1e3, "rebuild_ms_max": max(times) * 1e3}


def validate_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    from xeploai.evaluation.evidence import validate_evidence

    for start, stop in chunks(rows):
        raws = synthetic.raw_rows(pop, start, stop)

        def work(raws: list[dict[str, object]] = raws) -> None:
            for raw in raws:
                validate_evidence(program, synthetic.KIND, raw)

        clock.run(work)
    return None, {}


def interpreter_raw_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    """From raw evidence as in an evidence file: ``validate_evidence``, then the interpreter with its full trace,
    both timed (the batch a user runs over an evidence file)."""
    from xeploai.evaluation.evidence import validate_evidence

    codes = np.empty(rows, np.int8)
    evaluate = interpreter.evaluate
    code = synthetic.outcome_code
    kind = synthetic.KIND
    for start, stop in chunks(rows):
        raws = synthetic.raw_rows(pop, start, stop)

        def work(raws: list[dict[str, object]] = raws, start: int = start) -> None:
            for j, raw in enumerate(raws):
                ev = validate_evidence(program, kind, raw)
                codes[start + j] = code(evaluate(program, kind, ev.values, ev.origins, PERIOD).outcome)

        clock.run(work)
    return codes, {"note": "includes evidence validation (raw evidence as in an evidence file)"}


def durable_adapter_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    from xeploai.evaluation.runners.durable import DurableRunner, Event, Op

    codes = np.empty(rows, np.int8)
    with DurableRunner(program, synthetic.KIND, PERIOD) as runner:
        for start, stop in chunks(rows):
            events = [
                Event(pop.member_id(start + j), Op.LOAD, value=raw)
                for j, raw in enumerate(synthetic.raw_rows(pop, start, stop))
            ]

            def work(events: list[Any] = events, start: int = start) -> None:
                for s in range(0, len(events), 1000):
                    for j, update in enumerate(runner.post_batch(events[s : s + 1000])):
                        codes[start + s + j] = synthetic.outcome_code(update.outcome)

            clock.run(work)
    return codes, {"note": "includes evidence validation (the adapter takes raw evidence events)"}


def _zen(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock, trace: bool) -> tuple[Any, dict]:
    import zen
    import zen_table

    jdm = zen_table.decision(program, synthetic.KIND, PERIOD)
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"hd21": jdm}}})
    options = {"trace": True} if trace else None
    codes = np.empty(rows, np.int8)
    for start, stop in chunks(rows):
        inputs = synthetic.plain_rows(pop, start, stop)

        def work(inputs: list[dict[str, object]] = inputs, start: int = start) -> None:
            evaluate = engine.evaluate
            for j, row in enumerate(inputs):
                out = evaluate("hd21", row, options) if options else evaluate("hd21", row)
                codes[start + j] = out["result"]["outcome"]

        clock.run(work)
    extra: dict[str, object] = {"table_rows": len(jdm["nodes"][2]["content"]["rules"])}  # type: ignore[index]
    if trace:
        sample = synthetic.plain_rows(pop, 0, min(rows, 1000))
        sizes = [len(json.dumps(engine.evaluate("hd21", r, options)["trace"])) for r in sample]
        extra["trace_bytes_per_member"] = statistics.mean(sizes)
    return codes, extra


def zen_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    return _zen(program, pop, rows, clock, trace=False)


def zen_trace_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    return _zen(program, pop, rows, clock, trace=True)


def durable_hand_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    import handwritten
    from durable import engine

    codes = np.full(rows, -1, np.int8)

    def record(member: int, code: int) -> None:
        codes[member] = code

    class NoHost:  # no durable.engine.Host: its timer threads would run actions in the background
        def get_action(self, name: str) -> None:
            raise KeyError(name)

    ruleset = engine.Ruleset("hd21_by_hand", NoHost(), handwritten.durable_ruleset(record))
    errors: list[object] = []
    for start, stop in chunks(rows):
        messages = [dict(m, sid="hd21", member=start + j) for j, m in enumerate(synthetic.plain_rows(pop, start, stop))]

        def work(messages: list[dict[str, object]] = messages) -> None:
            for s in range(0, len(messages), 1000):
                state = ruleset.assert_events(messages[s : s + 1000])
                ruleset.do_actions(state, lambda e, _: errors.append(e) if e else None)

        clock.run(work)
    if errors or (codes < 0).any():
        raise RuntimeError(f"durable_rules left {(codes < 0).sum()} members unrouted; errors: {errors[:3]}")
    return codes, {"note": "two-valued, written by hand"}


def python_hand_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    import handwritten

    codes = np.empty(rows, np.int8)
    for start, stop in chunks(rows):
        inputs = synthetic.plain_rows(pop, start, stop)

        def work(inputs: list[dict[str, object]] = inputs, start: int = start) -> None:
            classify = handwritten.classify
            codes[start : start + len(inputs)] = [classify(m) for m in inputs]

        clock.run(work)
    return codes, {"note": "two-valued, written by hand"}


def floor_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    import floor

    table = floor.outcome_table(program)
    # Like for like: the record-owner index is built outside the timing, as the columnar runner's table holds it;
    # the time with the index built inside is kept too (to compare with the columnar runner and its table build).
    owner = floor.owners(pop)
    codes, _ = best_of(lambda: floor.classify(pop, table, owner), clock)
    with_index = Clock()
    best_of(lambda: floor.classify(pop, table), with_index)
    return codes, {
        "condition_columns": f"int8 matrix, {len(floor.RULES)} rows",
        "with_index_cpu_s": with_index.cpu,
    }


def columnar_columns(pop: synthetic.Population) -> dict[str, Any]:
    """The population as the columnar runner's typed columns (what a Parquet reader produces)."""
    from xeploai.evaluation.runners.columnar_table import Column, RecordsColumn

    core = pop.has_core
    every = np.ones(pop.n, bool)
    records = np.ones(len(pop.disc_form), bool)
    # Leave in months, exact: day-level values (1.57 months) are not halves, and must not become them.
    sick, sick_over = synthetic.exact_numerators(pop.sick)
    maternity, maternity_over = synthetic.exact_numerators(pop.maternity)

    def col(values: np.ndarray, known: np.ndarray, denominator: int = 1) -> Any:
        return Column(values, known, denominator=denominator)

    return {
        "exempted": col(pop.exempted, every),
        "suspended": col(pop.suspended, every),
        "committee_activities_suspended": col(pop.committee_suspended, pop.committee_suspended.copy()),
        "months_since_admission": col(pop.months.astype(np.int64), every),
        "is_probationary": col(pop.probationary, pop.probationary.copy()),
        "is_civil_servant": col(pop.civil, every),
        "civil_service_level": col(np.maximum(pop.civil_level, 0), pop.civil_level >= 0),
        "degradation_concluded": col(pop.degradation, every),
        "targets_assigned": col(pop.assigned.astype(np.int64), core),
        "targets_met": col(pop.met.astype(np.int64), core),
        "targets_exceeded": col(pop.exceeded.astype(np.int64), core),
        "discipline": RecordsColumn(
            pop.disc_start,
            pop.discipline_known,
            {
                "form": col(pop.disc_form, records),
                "decided_on": col(pop.disc_day.astype(np.int64), records),
                "counted_before": col(pop.disc_counted, pop.disc_counted.copy()),
            },
        ),
        "sick_leave_months": col(sick, core, sick_over),
        "maternity_leave_months": col(maternity, core & (pop.maternity > 0), maternity_over),
        "exemplary_with_products": col(pop.exemplary, core),
        **{name: col(np.maximum(rank, 0), rank >= 0) for name, rank in pop.grades.items()},
    }


def columnar_codes(result: Any) -> np.ndarray:
    """Outcome codes from a ``ColumnarResult``: status 0 classified, 1 not classified, 2 insufficient."""
    level = np.asarray(result.level).astype(np.int16)
    status = np.asarray(result.status)
    return np.where(status == 1, 0, np.where(status == 2, 5, 4 - level)).astype(np.int8)


def columnar_engine(program: ir.Program, pop: synthetic.Population, rows: int, clock: Clock) -> tuple[Any, dict]:
    from xeploai.evaluation.runners.columnar import evaluate_table
    from xeploai.evaluation.runners.columnar_table import EvidenceTable

    columns = columnar_columns(pop)
    build = Clock()
    table = best_of(lambda: EvidenceTable.from_columns(program, synthetic.KIND, columns), build, at_least=3)
    result = best_of(lambda: evaluate_table(table, PERIOD), clock)
    times = []
    for i in np.linspace(0, rows - 1, min(REBUILDS, rows)).astype(int):
        t = time.perf_counter()
        explain.to_text(result.result(int(i), pop.member_id(int(i))), program)
        times.append(time.perf_counter() - t)
    extra = {
        "table_build_s": build.cpu,
        "rebuild_ms_median": statistics.median(times) * 1e3,
        "rebuild_ms_max": max(times) * 1e3,
        "condition_columns": f"{len(result.rules)} rules, {len(result.caps)} caps, int8 truth codes",
    }
    return columnar_codes(result), extra


ENGINES: dict[str, Callable[[ir.Program, synthetic.Population, int, Clock], tuple[Any, dict]]] = {
    "floor": floor_engine,
    "columnar": columnar_engine,
    "python_hand": python_hand_engine,
    "interpreter": interpreter_engine,
    "interpreter_raw": interpreter_raw_engine,
    "validate": validate_engine,
    "durable_adapter": durable_adapter_engine,
    "zen": zen_engine,
    "zen_trace": zen_trace_engine,
    "durable_hand": durable_hand_engine,
}


def measure(
    engine: str, size: int, rows: int, seed: int, missing: float, out: Path, population: str = "hd21"
) -> dict[str, object]:
    """Measure one engine on the first ``rows`` members of a population of ``size``; the report as a dict."""
    program = api.load_framework(HD21)
    pop = synthetic.generate(size, seed, missing, population)
    clock = Clock()
    before = rss_mib()
    codes, extra = ENGINES[engine](program, pop, rows, clock)
    report: dict[str, object] = {
        "engine": engine,
        "population": population,
        "size": size,
        "rows": rows,
        "cpu_s": clock.cpu,
        "wall_s": clock.wall,
        "rate": rows / clock.cpu if clock.cpu else None,
        "rss_before_mib": before,
        "peak_mib": peak_mib(),
        **extra,
    }
    if codes is not None:
        np.save(out / f"{engine}-{population}-{size}.npy", np.asarray(codes, np.int8))
    return report


def self_check(out: Path, seed: int, population: str = "realistic") -> dict[str, object]:
    """Before anything is timed: the fast converters give what xeploai's validation gives, and every engine
    that claims the interpreter's semantics gives its outcomes (and the floor its condition truths) on a
    population with many missing values. Run on each population measured; the realistic and uniform ones have
    day-level leave (1.57 months), which a converter rounding to half months gets wrong."""
    import floor
    import zen
    import zen_table

    from xeploai.evaluation.evidence import validate_evidence
    from xeploai.evaluation.trace import NodeKind, Truth, walk

    program = api.load_framework(HD21)
    pop = synthetic.generate(4000, seed, missing=0.05, population=population)
    typed = synthetic.Typed(program).rows(pop, 0, pop.n)
    raws = synthetic.raw_rows(pop, 0, pop.n)
    checks: dict[str, object] = {"population": population, "members": pop.n, "missing": 0.05}
    checks["typed_equals_validation"] = sum(
        validate_evidence(program, synthetic.KIND, r) == t for r, t in zip(raws, typed, strict=True)
    )
    traces = [interpreter.evaluate(program, synthetic.KIND, t.values, t.origins, PERIOD) for t in typed]
    reference = np.array([synthetic.outcome_code(t.outcome) for t in traces], np.int8)
    codes, cond = floor.classify(pop, floor.outcome_table(program))
    checks["floor_outcomes"] = int((codes == reference).sum())
    agree = 0
    code = {Truth.NOT_MET: 0, Truth.UNKNOWN: 1, Truth.MET: 2}
    for i, trace in enumerate(traces):
        truths = {n.id: n.truth for n in walk(trace) if n.kind in (NodeKind.RULE, NodeKind.CAP)}
        agree += all(code[truths[r]] == cond[b, i] for b, r in enumerate(floor.RULES))
    checks["floor_conditions"] = agree
    jdm = zen_table.decision(program, synthetic.KIND, PERIOD)
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"hd21": jdm}}})
    plain = synthetic.plain_rows(pop, 0, pop.n)
    checks["zen_outcomes"] = sum(
        int(engine.evaluate("hd21", r)["result"]["outcome"]) == c for r, c in zip(plain, reference, strict=True)
    )
    try:
        from xeploai.evaluation.runners.columnar import evaluate_table
        from xeploai.evaluation.runners.columnar_table import EvidenceTable

        table = EvidenceTable.from_columns(program, synthetic.KIND, columnar_columns(pop))
        checks["columnar_table_equals_validation"] = sum(table.evidence(i) == t for i, t in enumerate(typed))
        checks["columnar_outcomes"] = int((columnar_codes(evaluate_table(table, PERIOD)) == reference).sum())
    except ImportError as error:
        checks["columnar"] = f"not available: {error}"
    return {k: int(v) if isinstance(v, np.integer | bool) else v for k, v in checks.items()}


def main() -> None:
    args = json.loads(sys.argv[1])
    out = Path(args["out"])
    population = args.get("population", "hd21")
    if args["engine"] == "selfcheck":
        report = self_check(out, args["seed"], population)
    else:
        report = measure(args["engine"], args["size"], args["rows"], args["seed"], args["missing"], out, population)
    print("RESULT " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
