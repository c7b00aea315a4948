"""Which engine ``xeploai batch`` should use, measured: both engines end to end, on the bundled districts and on
smaller and larger populations made from them.

Run from the repository root:  PYTHONPATH=src python benchmarks/batch_engines.py [--runs 3] [--no-doc]

For each population, ``xeploai batch FRAMEWORK DATA --period P --quiet --engine E`` runs as a new process (start-up,
reading, classifying, writing the CSV tables) ``--runs`` times for each engine, the two engines interleaved so that
the load of a shared machine falls on both alike; the table gets the median wall time of each and the engine
``--engine auto`` chose (``cli.engines.choose_engine``). The populations: ``examples/district`` (HD21, 2020) and
``examples/district-2023`` (HD25, 2023) as they are, with ``--tables`` too (the official forms, which read every
trace), then the first 1, 2, 4 and 8 of the district's 23 subtrees (grassroots committees and cells under the
district committee) and the whole district repeated 2 and 4 times (ids suffixed, so that every copy is its own).
Both engines must write the same results and summary tables, or the script stops. Writes its section of
docs/benchmarks.md (between its own markers) and benchmarks/results/batch_engines.json; ``--no-doc`` prints only.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xeploai.cli.engines import AUTO_COLUMNAR_ROWS, choose_engine  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "results" / "batch_engines.json"
BEGIN = "<!-- BEGIN GENERATED: benchmarks/batch_engines.py -->"
END = "<!-- END GENERATED: benchmarks/batch_engines.py -->"
DISTRICTS = {
    "district": (ROOT / "examples" / "district", ROOT / "frameworks" / "party" / "2019-10-18.yaml", "2020"),
    "district-2023": (ROOT / "examples" / "district-2023", ROOT / "frameworks" / "party" / "2023-10-04.yaml", "2023"),
}
ENGINES = ("interpreter", "columnar")
TABLES = ("units.csv", "subjects.csv", "discipline.csv", "decisions.csv")


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        writer.writerows(rows)


def subset(source: Path, target: Path, subtrees: int) -> None:
    """The district root and its first ``subtrees`` child units with everything under them."""
    target.mkdir(parents=True)
    header, units = _read(source / "units.csv")
    root = next(u["id"] for u in units if not u["parent"])
    children = [u["id"] for u in units if u["parent"] == root][:subtrees]
    keep = {root, *children}
    changed = True
    while changed:  # everything under the chosen children
        before = len(keep)
        keep |= {u["id"] for u in units if u["parent"] in keep and u["parent"] != root}
        changed = len(keep) != before
    _write(target / "units.csv", header, [u for u in units if u["id"] in keep])
    header, subjects = _read(source / "subjects.csv")
    kept = [s for s in subjects if s["unit"] in keep]
    ids = {s["id"] for s in kept}
    _write(target / "subjects.csv", header, kept)
    header, discipline = _read(source / "discipline.csv")
    _write(target / "discipline.csv", header, [d for d in discipline if d["subject"] in ids])
    header, decisions = _read(source / "decisions.csv")
    shown = []
    for d in decisions:
        approved = [a for a in d["approved"].split() if a in ids]
        if approved and (d["group"] in keep or not d["group"].startswith("U-")):
            shown.append({**d, "approved": " ".join(approved)})
    _write(target / "decisions.csv", header, shown)


def repeated(source: Path, target: Path, copies: int) -> None:
    """The district ``copies`` times under one district committee: in copy k > 1 every unit and subject id gets
    the suffix ``-k`` wherever a cell holds it (parents, heads, units, disciplined subjects, decided ids)."""
    target.mkdir(parents=True)
    tables = {name: _read(source / name) for name in TABLES}
    units = tables["units.csv"][1]
    root = next(u["id"] for u in units if not u["parent"])
    ids = {u["id"] for u in units} - {root} | {s["id"] for s in tables["subjects.csv"][1]}
    for name, (header, rows) in tables.items():
        out = []
        for copy in range(1, copies + 1):

            def mapped(cell: str, copy: int = copy) -> str:
                if copy == 1:
                    return cell
                if cell in ids:
                    return f"{cell}-{copy}"
                parts = cell.split(" ")
                if len(parts) > 1 and all(p in ids for p in parts):
                    return " ".join(f"{p}-{copy}" for p in parts)
                return cell

            for row in rows:
                if name == "units.csv" and row["id"] == root and copy > 1:
                    continue
                out.append({k: mapped(v) for k, v in row.items()})
        _write(target / name, header, out)


def populations(scratch: Path) -> list[tuple[str, Path, Path, str, tuple[str, ...]]]:
    """(name, data, framework, period, extra arguments) of every population measured."""
    district, hd21, year = DISTRICTS["district"]
    out: list[tuple[str, Path, Path, str, tuple[str, ...]]] = []
    for subtrees in (1, 2, 4, 8):
        folder = scratch / f"district-first-{subtrees}"
        subset(district, folder, subtrees)
        out.append((f"district, first {subtrees} of 23 subtrees", folder, hd21, year, ()))
    for name, (data, framework, period) in DISTRICTS.items():
        out.append((f"{name} (bundled)", data, framework, period, ()))
        out.append((f"{name} (bundled), --tables", data, framework, period, ("--tables",)))
        out.append((f"{name} (bundled), --traces-gz", data, framework, period, ("--traces-gz",)))
    for copies in (2, 4):
        folder = scratch / f"district-x{copies}"
        repeated(district, folder, copies)
        out.append((f"district × {copies}", folder, hd21, year, ()))
    return out


def _env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    env["XEPLOAI_CACHE_DIR"] = str(scratch / "cache")
    env.pop("XEPLOAI_NO_CACHE", None)
    return env


def batch(
    framework: Path, data: Path, period: str, engine: str, out: Path, extra: tuple[str, ...], scratch: Path
) -> float:
    argv = [sys.executable, "-m", "xeploai", "batch", str(framework), str(data), "--period", period]
    argv += ["--out", str(out), "--quiet", "--engine", engine, *extra]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=_env(scratch), capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return elapsed


def rows_of(data: Path) -> int:
    with (data / "subjects.csv").open(encoding="utf-8") as file:
        return sum(1 for _ in file) - 1


def measure(runs: int) -> list[dict[str, object]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="xeploai-batch-engines-") as folder:
        scratch = Path(folder)
        for name, data, framework, period, extra in populations(scratch):
            times: dict[str, list[float]] = {e: [] for e in ENGINES}
            outs = {e: scratch / "out" / name.replace(" ", "_") / e for e in ENGINES}
            for engine in ENGINES:  # warm-up, not timed: bytecode and the cache of compiled frameworks
                batch(framework, data, period, engine, outs[engine], extra, scratch)
            for _ in range(runs):
                for engine in ENGINES:
                    times[engine].append(batch(framework, data, period, engine, outs[engine], extra, scratch))
            for table in ("ket-qua.csv", "tong-hop.csv", "bi-loai.csv"):
                if not filecmp.cmp(outs["interpreter"] / table, outs["columnar"] / table, shallow=False):
                    raise SystemExit(f"{name}: the engines wrote different {table}")
            rows = rows_of(data)
            medians = {e: statistics.median(t) for e, t in times.items()}
            every_trace = bool({"--tables", "--traces-gz"} & set(extra))
            auto = choose_engine("auto", rows, process=False, every_trace=every_trace, lang="en")
            results.append(
                {
                    "population": name,
                    "rows": rows,
                    "options": list(extra),
                    "seconds": times,
                    "median": medians,
                    "auto": auto,
                    "faster": min(medians, key=lambda e: medians[e]),
                }
            )
            print(f"{name}: {rows} rows, {medians}, auto {auto}", flush=True)
    return results


def markdown(info: dict[str, object], results: list[dict[str, object]]) -> str:
    lines = [
        f"Generated by `{info['command']}` on {info['date']}: {info['runs']} runs of each engine and population, "
        "the engines interleaved; median wall times of `xeploai batch … --quiet` as a new process, CSV tables "
        "written, the cache of compiled frameworks warm.",
        "",
        f"Machine: {info['cpus']} cores, Python {info['python']}; load average at start {info['load_start']}, "
        f"at end {info['load_end']} (other sessions share this machine).",
        "",
        "| population | subject rows | interpreter s | columnar s | interpreter ÷ columnar | auto chooses |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        median: dict[str, float] = r["median"]  # type: ignore[assignment]
        auto = str(r["auto"])
        worse = median[auto] > min(median.values())
        mark = f"{auto} (slower by {median[auto] - min(median.values()):.2f} s)" if worse else f"{auto}"
        lines.append(
            f"| {r['population']} | {r['rows']:,} | {median['interpreter']:.2f} | {median['columnar']:.2f} | "
            f"{median['interpreter'] / median['columnar']:.2f} | {mark} |"
        )
    plain = sorted((r for r in results if not r["options"]), key=lambda r: int(r["rows"]))  # type: ignore[call-overload]
    interpreter_faster = [int(r["rows"]) for r in plain if r["faster"] == "interpreter"]  # type: ignore[call-overload]
    columnar_faster = [int(r["rows"]) for r in plain if r["faster"] == "columnar"]  # type: ignore[call-overload]
    lines += [
        "",
        "Without `--tables`, `--traces` or `--process`, the interpreter was faster up to "
        f"{max(interpreter_faster, default=0):,} subject rows and the columnar engine from "
        f"{min(columnar_faster, default=0):,}; `AUTO_COLUMNAR_ROWS` is {AUTO_COLUMNAR_ROWS:,}. With `--tables` or "
        "`--traces-gz` the columnar engine rebuilds every trace after its own work, and `auto` keeps the interpreter.",
    ]
    bundled = [r for r in results if "(bundled)" in str(r["population"]) and not r["options"]]
    never_slower = all(r["auto"] == r["faster"] for r in bundled)
    lines += [
        "",
        "Target (issue 18, 4): `--engine auto` never slower than the other engine on the bundled districts "
        f"(`xeploai batch FRAMEWORK DISTRICT --period P`): **{'met' if never_slower else 'not met'}**.",
    ]
    every_trace = [r for r in results if "(bundled)" in str(r["population"]) and r["options"]]
    if every_trace:
        gaps = []
        for r in every_trace:
            median: dict[str, float] = r["median"]  # type: ignore[assignment]
            gaps.append(abs(median["interpreter"] - median["columnar"]) / min(median.values()))
        lines.append(
            "With `--tables` or `--traces-gz` (every trace needed) the two engines are within "
            f"{100 * max(gaps):.0f} % of each other on the bundled districts; auto keeps the interpreter there, "
            "slower than the columnar engine where that row says so."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each engine and population (3)")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument(
        "--report-only", action="store_true", help="write the page again from the last results file, measuring nothing"
    )
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads(RESULTS.read_text(encoding="utf-8"))
        results = saved.pop("results")
        info: dict[str, object] = saved
    else:
        load_start = os.getloadavg()
        results = measure(args.runs)
        info = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["python", "benchmarks/batch_engines.py", *sys.argv[1:]]),
            "runs": args.runs,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_start": tuple(round(x, 2) for x in load_start),
            "load_end": tuple(round(x, 2) for x in os.getloadavg()),
        }
    text = markdown(info, results)
    print(text)
    if not args.no_doc:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        if not args.report_only:
            text_json = json.dumps({**info, "results": results}, indent=1, ensure_ascii=False) + "\n"
            RESULTS.write_text(text_json, "utf-8")
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import report

        report.write(DOC, text, BEGIN, END)
        print(f"wrote {DOC.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
