"""National-scale benchmarks of xeploai against other engines, on synthetic HD21 party members (issue 6).

Run from the repository root (the optional engines come with ``pip install -e '.[bench]'``):

    python benchmarks/run.py --sizes 10000,100000,1000000            # about 10 minutes on 2 cores
    python benchmarks/run.py --sizes 10000,100000,1000000 --nation   # and the 5.3 M-member nation from Parquet

Every engine runs in a process of its own for every size (``engines.py``), so peak memory is that engine's, and
a native crash loses one measurement, not the run. An engine whose rate at the previous size predicts more than
``--budget`` seconds is measured on the first members of the population and its time extrapolated linearly: the
tables say so wherever that happened. Results go to ``benchmarks/results/latest.json`` and into the generated
section of ``docs/benchmarks.md``; nothing there is written by hand.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = HERE / "results" / "latest.json"
BEGIN, END = "<!-- BEGIN GENERATED: benchmarks/run.py -->", "<!-- END GENERATED -->"
sys.path[:0] = [str(ROOT / "src"), str(HERE)]

import synthetic  # noqa: E402

ENGINES = {
    # name: (label, needs)
    "floor": ("numpy floor (hand-written, three-valued, condition bit columns)", "numpy"),
    "columnar": ("xeploai columnar runner (condition columns)", "columnar"),
    "python_hand": ("Python function (hand-written, two-valued)", ""),
    "zen": ("zen-engine, generated decision table, no trace", "zen"),
    "durable_hand": ("durable-rules (hand-written, two-valued)", "durable"),
    "validate": ("xeploai evidence validation (raw → typed)", ""),
    "zen_trace": ("zen-engine, generated decision table, with trace", "zen"),
    "interpreter": ("xeploai interpreter (full trace tree)", ""),
    "interpreter_raw": ("xeploai validation + interpreter (raw evidence → full trace tree)", ""),
    "durable_adapter": ("xeploai durable adapter (validation + routing + interpreter)", "durable"),
}
SEMANTICS = {"python_hand": "two-valued", "durable_hand": "two-valued"}
# The engines run on the adversarial populations (the others are the hd21 population's only: they do not share
# work between members, so varied evidence changes little for them, and they take most of the run's time).
VARIED_ENGINES = "floor,columnar,zen,zen_trace,validate,interpreter,interpreter_raw"


def available(need: str) -> str | None:
    """None when the engine can run here, else why not."""
    if need == "zen" and importlib.util.find_spec("zen") is None:
        return "zen-engine is not installed (pip install zen-engine)"
    if need == "durable" and importlib.util.find_spec("durable") is None:
        return "durable_rules is not installed (pip install durable-rules)"
    if need == "columnar":
        if not (ROOT / "src" / "xeploai" / "evaluation" / "runners" / "columnar.py").exists():
            return "src/xeploai/evaluation/runners/columnar.py is not present"
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import xeploai.evaluation.runners.columnar as c, xeploai.evaluation.runners.columnar_table as t; "
                "c.evaluate_table; t.EvidenceTable",
            ],
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            return (
                "xeploai.evaluation.runners.columnar does not import: "
                + (probe.stderr.strip().splitlines() or ["?"])[-1]
            )
    return None


def _env() -> dict[str, str]:
    paths = [str(ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def child(script: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh process; its report, or what went wrong."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / script), json.dumps(args)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            report: dict[str, Any] = json.loads(line[len("RESULT ") :])
            report["process_s"] = time.perf_counter() - started
            return report
    why = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
    return {"error": f"{why}: " + " | ".join(done.stderr.strip().splitlines()[-3:])}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        ram = int(mem.split()[1]) / 2**20
    except (OSError, StopIteration):
        ram = 0.0
    versions = {}
    for dist in ("numpy", "zen-engine", "durable_rules", "pyarrow"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "ram_gib": round(ram, 1),
        "python": platform.python_version(),
        "versions": versions,
        "load_average_at_start": os.getloadavg(),
    }


def rows_for(rate: float | None, size: int, budget: float) -> int:
    """All members, or as many as the budget allows at the rate measured at the previous size."""
    if rate is None or size / rate <= budget:
        return size
    return max(1000, min(size, int(rate * budget) // 1000 * 1000))


def agreement(
    out: Path, size: int, engines: list[str], incomplete: np.ndarray, population: str = "hd21"
) -> dict[str, dict[str, int]]:
    """Outcomes equal to the interpreter's on the members both measured (and on those with complete evidence)."""
    ref_path = out / f"interpreter-{population}-{size}.npy"
    if not ref_path.exists():
        return {}
    ref = np.load(ref_path)
    found: dict[str, dict[str, int]] = {}
    for engine in engines:
        path = out / f"{engine}-{population}-{size}.npy"
        if engine == "interpreter" or not path.exists():
            continue
        codes = np.load(path)
        n = min(len(codes), len(ref))
        same = codes[:n] == ref[:n]
        complete = ~incomplete[:n]
        found[engine] = {
            "compared": n,
            "equal": int(same.sum()),
            "complete": int(complete.sum()),
            "equal_complete": int((same & complete).sum()),
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated population sizes")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines to run (hd21)")
    parser.add_argument(
        "--populations",
        default=",".join(synthetic.POPULATIONS),
        help="comma-separated populations (benchmarks/synthetic.py): hd21, realistic, uniform",
    )
    parser.add_argument(
        "--varied-engines", default=VARIED_ENGINES, help="engines run on the populations other than hd21"
    )
    parser.add_argument("--budget", type=float, default=60.0, help="seconds an engine may take at one size")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--missing", type=float, default=0.003, help="share of members with one grading blank")
    parser.add_argument("--nation", action="store_true", help="also the 5.3 M-member nation, end to end")
    parser.add_argument("--nation-members", type=int, default=5_300_000)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = [e for e in args.engines.split(",") if e]
    populations = [p for p in args.populations.split(",") if p]
    for population in populations:
        if population not in synthetic.POPULATIONS:
            parser.error(f"unknown population {population!r}")
    varied = [e for e in args.varied_engines.split(",") if e]
    for engine in {*engines, *varied}:
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}")
    started = time.perf_counter()
    info = machine()
    print(f"{info['cores']} cores, {info['cpu']}, {info['ram_gib']} GiB; load {info['load_average_at_start']}")

    with tempfile.TemporaryDirectory(prefix="xeploai-bench-") as tmp:
        out = Path(tmp)
        skipped = {e: why for e in {*engines, *varied} if (why := available(ENGINES[e][1]))}
        for engine, why in skipped.items():
            print(f"{engine}: not available ({why})")
        checks = []
        for population in populations:
            args_check = {"engine": "selfcheck", "out": tmp, "seed": args.seed, "population": population}
            checks.append(child("engines.py", args_check, 600))
            print("self-check:", checks[-1])
        runs: list[dict[str, Any]] = []
        rates: dict[tuple[str, str], float | None] = {}
        for size in sizes:
            for population in populations:
                for engine in engines if population == "hd21" else varied:
                    if engine in skipped:
                        continue
                    rows = rows_for(rates.get((engine, population)), size, args.budget)
                    timeout = max(300.0, 6 * args.budget + 200)
                    report = child(
                        "engines.py",
                        {
                            "engine": engine,
                            "population": population,
                            "size": size,
                            "rows": rows,
                            "seed": args.seed,
                            "missing": args.missing,
                            "out": tmp,
                        },
                        timeout,
                    )
                    report.setdefault("engine", engine)
                    report.setdefault("population", population)
                    report.setdefault("size", size)
                    report.setdefault("rows", rows)
                    runs.append(report)
                    name = f"{engine} {population}"
                    if "error" in report:
                        print(f"{name:>26} {size:>9,}: FAILED {report['error']}")
                        rates[(engine, population)] = None
                        continue
                    rates[(engine, population)] = report["rate"]
                    sample = "" if rows == size else f" (measured {rows:,}, extrapolated)"
                    print(
                        f"{name:>26} {size:>9,}: {report['rate']:>13,.0f} members/s{sample}; "
                        f"peak {report['peak_mib']:,.0f} MiB",
                        flush=True,
                    )
                pop = synthetic.generate(size, args.seed, args.missing, population)
                for run in runs:
                    if run["size"] == size and run["population"] == population:
                        found = agreement(out, size, [run["engine"]], pop.incomplete, population)
                        run["agreement"] = found.get(run["engine"])
        nation = None
        if args.nation:
            import nation as nation_module

            nation = nation_module.run(args.nation_members, args.seed, args.missing, out)

    info["load_average_at_end"] = os.getloadavg()
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/run.py", *sys.argv[1:]]),
        "machine": info,
        "seed": args.seed,
        "missing": args.missing,
        "budget_s": args.budget,
        "sizes": sizes,
        "skipped": skipped,
        "populations": populations,
        "self_checks": checks,
        "runs": runs,
        "nation": nation,
        "total_s": time.perf_counter() - started,
    }
    # The checked-in results file goes with the page: a --no-doc run writes beside it, not over it.
    target = RESULTS if not args.no_doc else RESULTS.with_name("scratch.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    import report as report_module

    text = report_module.markdown(results)
    print(text)
    if not args.no_doc:
        report_module.write(DOC, text, BEGIN, END)
        print(f"wrote {DOC.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")
    else:
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
