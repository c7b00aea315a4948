"""How long the command line takes to answer for one member, in fresh processes, against ``import yaml``.

Run from the repository root:  PYTHONPATH=src python benchmarks/cli_latency.py [--runs 21] [--before REV] [--no-doc]

Each command below runs ``--runs`` times as a new process (the commands interleaved, round after round, so that
the load of a shared machine falls on all of them alike); the page gets the median and the fastest wall time of
each, and each median divided by the median of ``python -c 'import yaml'`` measured in the same run. Bytecode is
cached (in a scratch folder, ``PYTHONPYCACHEPREFIX``) as it is for an installed package, and filled by a first run
of every command, not timed. The evaluations run with a cache of compiled frameworks that is warm (filled by that
first run), cold (a new empty cache folder every run: compile and store) and off (``XEPLOAI_NO_CACHE=1``: compile,
store nothing); their outputs must be byte-identical, or the script stops. ``--before REV`` runs ``--version``
and the two evaluations of git revision REV too (exported to a scratch folder), interleaved with the others, so
that before and after are compared in one run (their outputs must be identical too). Writes its section of
docs/benchmarks.md (between its own markers) and benchmarks/results/cli_latency.json; ``--no-doc`` prints only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "results" / "cli_latency.json"
BEGIN, END = "<!-- BEGIN GENERATED: benchmarks/cli_latency.py -->", "<!-- END GENERATED: benchmarks/cli_latency.py -->"
MEMBER = "examples/members/nguyen-van-an.yaml"
FRAMEWORK = "frameworks/party/2019-10-18.yaml"
TARGET_MS = 150.0
# The commands run at ``--before REV`` too (that revision has no cache: "warm" means nothing there).
BEFORE = ("version", "file_warm", "family_warm")

PY = sys.executable
XEPLOAI = [PY, "-m", "xeploai"]

# (key, label, argv, cache mode); cache mode: None (the command reads no framework), "warm", "cold" or "off".
COMMANDS: list[tuple[str, str, list[str], str | None]] = [
    ("python", "`python -c pass`", [PY, "-c", "pass"], None),
    ("yaml", "`python -c 'import yaml'`", [PY, "-c", "import yaml"], None),
    ("version", "`xeploai --version`", [*XEPLOAI, "--version"], None),
    ("file_warm", "`xeploai evaluate FILE MEMBER`, cache warm", [*XEPLOAI, "evaluate", FRAMEWORK, MEMBER], "warm"),
    ("file_cold", "… cache cold (empty)", [*XEPLOAI, "evaluate", FRAMEWORK, MEMBER], "cold"),
    ("file_off", "… cache off", [*XEPLOAI, "evaluate", FRAMEWORK, MEMBER], "off"),
    (
        "family_warm",
        "`xeploai evaluate party MEMBER --period 2020` (the family: 4 versions read), cache warm",
        [*XEPLOAI, "evaluate", "party", MEMBER, "--period", "2020"],
        "warm",
    ),
    ("family_off", "… cache off", [*XEPLOAI, "evaluate", "party", MEMBER, "--period", "2020"], "off"),
]


def _before(revision: str, scratch: Path) -> Path:
    """The repository at ``revision`` (``git archive``), to run its command line beside this one's."""
    folder = scratch / "before"
    folder.mkdir()
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _env(mode: str | None, warm_dir: Path, scratch: Path, root: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root / "src")
    # Bytecode cached, as an installed package has it (pip compiles on install), but outside the repository.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    env.pop("XEPLOAI_NO_CACHE", None)
    env["XEPLOAI_CACHE_DIR"] = str(warm_dir)
    if mode == "cold":
        fresh = Path(tempfile.mkdtemp(dir=scratch))
        env["XEPLOAI_CACHE_DIR"] = str(fresh / "cache")
    elif mode == "off":
        env["XEPLOAI_NO_CACHE"] = "1"
    return env


def _run(argv: list[str], env: dict[str, str], root: Path = ROOT) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return elapsed, done.stdout


def measure(runs: int, before: str | None) -> dict[str, object]:
    """Every command ``runs`` times, interleaved; times in ms, and whether the evaluations' outputs agree."""
    commands = [(key, argv, mode, ROOT) for key, _, argv, mode in COMMANDS]
    times: dict[str, list[float]] = {key: [] for key, *_ in COMMANDS}
    outputs: dict[str, set[bytes]] = {}
    with tempfile.TemporaryDirectory(prefix="xeploai-cli-latency-") as folder:
        scratch = Path(folder)
        warm = scratch / "warm"
        if before is not None:
            old = _before(before, scratch)
            for key, _, argv, mode in COMMANDS:
                if key in BEFORE:
                    commands.append((f"before_{key}", argv, mode, old))
                    times[f"before_{key}"] = []
        for _, argv, mode, root in commands:  # fills the warm cache and the bytecode cache; not timed
            _run(argv, _env(mode, warm, scratch, root), root)
        for _ in range(runs):
            for key, argv, mode, root in commands:
                elapsed, out = _run(argv, _env(mode, warm, scratch, root), root)
                times[key].append(elapsed * 1000)
                if mode is not None:
                    outputs.setdefault(key.removeprefix("before_").split("_")[0], set()).add(out)
                if mode == "cold":
                    for entry in scratch.iterdir():
                        if entry.name not in ("warm", "pycache", "before"):
                            shutil.rmtree(entry)
    identical = {what: len(seen) == 1 for what, seen in outputs.items()}
    if not all(identical.values()):
        raise SystemExit(f"outputs differ between cache modes: {identical}")
    return {"times_ms": times, "identical_outputs": identical}


def markdown(results: dict[str, object]) -> str:
    times: dict[str, list[float]] = results["times_ms"]  # type: ignore[assignment]
    yaml_median = statistics.median(times["yaml"])
    machine: dict[str, object] = results["machine"]  # type: ignore[assignment]
    lines = [
        f"Generated by `{results['command']}` on {results['date']}: {results['runs']} runs of each command, "
        "interleaved.",
        "",
        f"Machine: {machine['cpus']} cores, Python {machine['python']}; load average at start "
        f"{machine['load_start']}, at end {machine['load_end']} (other sessions share this machine: compare the "
        "ratios, taken in the same run, rather than the milliseconds).",
        "",
        "| command | median ms | fastest ms | median ÷ `import yaml` |",
        "| --- | --- | --- | --- |",
    ]
    for key, label, _, _ in COMMANDS:
        median = statistics.median(times[key])
        lines.append(f"| {label} | {median:.0f} | {min(times[key]):.0f} | {median / yaml_median:.2f} |")
    for key, label, _, _ in COMMANDS:
        if f"before_{key}" in times:
            shown = label.removesuffix(", cache warm") + f", at {results['before']} (before the cache)"
            median = statistics.median(times[f"before_{key}"])
            lines.append(f"| {shown} | {median:.0f} | {min(times[f'before_{key}']):.0f} | {median / yaml_median:.2f} |")
    warm = statistics.median(times["file_warm"])
    verdict = "met" if warm <= TARGET_MS else "not met"
    lines += [
        "",
        f"Target (issue 18, 3): `xeploai evaluate` of one member ≤ {TARGET_MS:.0f} ms warm: **{verdict}** "
        f"({warm:.0f} ms median, {warm / yaml_median:.2f}× `import yaml`; cache off "
        f"{statistics.median(times['file_off']):.0f} ms).",
        "Outputs byte-identical with the cache warm, cold and off: "
        + ", ".join(f"{what}: {'yes' if same else 'NO'}" for what, same in results["identical_outputs"].items())  # type: ignore[attr-defined]
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (21)")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--before", metavar="REV", help="also run the command line of git revision REV")
    args = parser.parse_args()
    load_start = os.getloadavg()
    measured = measure(args.runs, args.before)
    results: dict[str, object] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/cli_latency.py", *sys.argv[1:]]),
        "runs": args.runs,
        "before": args.before,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_start": tuple(round(x, 2) for x in load_start),
            "load_end": tuple(round(x, 2) for x in os.getloadavg()),
        },
        **measured,
    }
    text = markdown(results)
    print(text)
    if not args.no_doc:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import report

        report.write(DOC, text, BEGIN, END)
        print(f"wrote {DOC.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
