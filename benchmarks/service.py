"""The decision service against the library and the command line, on this machine's loopback.

Run from the repository root:  PYTHONPATH=src python benchmarks/service.py [--seconds 5] [--clients 4]
                                [--out docs/benchmarks-service.md]
Starts ``xeploai serve`` on a free 127.0.0.1 port (a real uvicorn process), then measures, each for a bounded
time: one member's evaluation as a library call (``api.evaluate`` + ``explain.to_json``, the program loaded once)
and as ``POST /v1/evaluate`` over HTTP/1.1 with a new connection per request (as urllib makes it), sequentially
and with ``--clients`` concurrent clients; then the example district classified through ``POST /v1/populations``
against ``xeploai batch`` on the same folder (best of three each). Writes the numbers it saw to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_server import DISTRICT, Server, district_zip, running  # noqa: E402
from xeploai import __version__, api  # noqa: E402
from xeploai.explanation import explain  # noqa: E402

MEMBER = ROOT / "examples" / "members" / "nguyen-van-an.yaml"


def body() -> dict[str, object]:
    evidence = api.load_evidence_file(MEMBER)
    return {
        "framework": "party",
        "period": "2020",
        "subject": {"id": evidence.subject_id, "name": evidence.name, "kind": evidence.kind},
        "evidence": dict(evidence.evidence),
    }


def library_rate(seconds: float) -> tuple[float, int]:
    """Evaluations per second of the library call that the service makes (frameworks loaded once)."""
    family = api.load_family(ROOT / "frameworks" / "party")
    request = body()
    period = api.parse_period(2020)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        selection = family.select(period)
        result = api.evaluate(selection.program, "party_member", request["evidence"], period=period)  # type: ignore[arg-type]
        json.dumps(explain.to_json(result, selection.program, "vi"), ensure_ascii=False)
        count += 1
    return count / (time.perf_counter() - started), count


def http_rate(server: Server, seconds: float, clients: int) -> tuple[float, int, list[float]]:
    """Requests per second of ``POST /v1/evaluate`` with ``clients`` concurrent clients; and each one's latency."""
    request = body()
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    failures: list[int] = []

    def client() -> None:
        while time.perf_counter() < stop:
            began = time.perf_counter()
            reply = server.post_json("/v1/evaluate", request)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if reply.status != 200:
                    failures.append(reply.status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, f"statuses other than 200: {sorted(set(failures))}"
    return len(latencies) / elapsed, len(latencies), latencies


def batch_seconds(runs: int) -> float:
    """Wall time of ``xeploai batch party examples/district --period 2020`` (a new process, as a user runs it)."""
    best = float("inf")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            began = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "xeploai",
                    "batch",
                    "party",
                    str(DISTRICT),
                    "--period",
                    "2020",
                    "--quiet",
                    "--out",
                    out,
                ],
                env=env,
                check=True,
                capture_output=True,
            )
            best = min(best, time.perf_counter() - began)
    return best


def service_seconds(server: Server, runs: int) -> tuple[float, float, float]:
    """Wall time of uploading the zipped district and getting its summary back; the job's own time; and the
    first answer plus downloading the three tables ``batch`` writes (ket-qua, tong-hop, bi-loai as CSV)."""
    best, job_best, tables_best = float("inf"), float("inf"), float("inf")
    upload = district_zip()
    for _ in range(runs):
        began = time.perf_counter()
        reply = server.post_form(
            "/v1/populations", {"framework": "party", "period": "2020", "wait": "60"}, [("d.zip", upload)]
        )
        took = time.perf_counter() - began
        assert reply.status == 200, reply.text
        job = reply.json()
        assert isinstance(job, dict)
        for name in ("ket-qua.csv", "tong-hop.csv", "bi-loai.csv"):
            assert server.get(job["links"]["files"][name]).status == 200
        tables_best = min(tables_best, time.perf_counter() - began)
        best, job_best = min(best, took), min(job_best, float(job["seconds"]))
    return best, job_best, tables_best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="time per evaluation measurement (5)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each population timing; the best is kept (3)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks-service.md"), help="the report to write")
    args = parser.parse_args()

    lib_rate, lib_count = library_rate(args.seconds)
    print(f"library: {lib_rate:.0f} evaluations/s ({lib_count} in {args.seconds:g} s)")
    with running() as server:
        server.post_json("/v1/evaluate", body())  # the first request compiles the family; not timed
        seq_rate, seq_count, seq_lat = http_rate(server, args.seconds, 1)
        median = statistics.median(seq_lat) * 1e3
        print(f"service, 1 client: {seq_rate:.0f} requests/s ({seq_count}), median {median:.1f} ms")
        con_rate, con_count, con_lat = http_rate(server, args.seconds, args.clients)
        print(f"service, {args.clients} clients: {con_rate:.0f} requests/s ({con_count})")
        service_wall, service_job, service_tables = service_seconds(server, args.runs)
    batch_wall = batch_seconds(args.runs)
    print(f"district: service {service_wall:.2f} s (job {service_job:.2f} s), batch {batch_wall:.2f} s")

    rows = [
        ("library call (`api.evaluate` + explanation JSON)", f"{lib_rate:.0f}/s", f"{1e3 / lib_rate:.2f} ms", "1"),
        (
            "`POST /v1/evaluate`, 1 client",
            f"{seq_rate:.0f}/s",
            f"{statistics.median(seq_lat) * 1e3:.2f} ms (median)",
            f"{lib_rate / seq_rate:.1f}",
        ),
        (
            f"`POST /v1/evaluate`, {args.clients} concurrent clients",
            f"{con_rate:.0f}/s",
            f"{statistics.median(con_lat) * 1e3:.2f} ms (median)",
            f"{lib_rate / con_rate:.1f}",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    load = ", load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
    report = f"""# Benchmarks: the decision service

Generated by `PYTHONPATH=src python benchmarks/service.py` (xeploai {__version__}, Python
{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs{load}).
The numbers are what this run saw on this machine; the machine may be shared, so compare the ratios rather than the
absolute times. The ratio in the last column is the library's rate divided by the service's: 1.7 means a request
takes 1.7 times the library call. The server is a real `xeploai serve` process (uvicorn, one process) on
127.0.0.1; the clients are Python's urllib, one new connection per request, in the same machine.

## One evaluation

One member (`examples/members/nguyen-van-an.yaml`) under the family `party` for 2020, the version in force chosen
each time and the explanation JSON (`xeploai.explanation/1`) made each time; frameworks compiled once (the first
request, not timed) and reused. Each line ran for {args.seconds:g} s.

| how | evaluations | time each | library rate ÷ this rate |
| --- | --- | --- | --- |
{table}

## A population of the example district's size

`examples/district` (3,110 subject rows, 67 cells) for 2020: `xeploai batch party examples/district --period 2020`
as a new process (start-up, reading, classifying, writing three CSV tables), against uploading the same folder as a
.zip to `POST /v1/populations` and getting the summary and counts back (reading, classifying; tables are written
when downloaded). Best of {args.runs} runs each.

| how | seconds |
| --- | --- |
| `xeploai batch` (new process) | {batch_wall:.2f} |
| `POST /v1/populations` (upload to answer) | {service_wall:.2f} |
| of which the job itself | {service_job:.2f} |
| `POST /v1/populations`, then the three CSV tables downloaded | {service_tables:.2f} |
| ratio service (with the tables) / batch | {service_tables / batch_wall:.2f} |

`xeploai batch` pays a new process (Python start-up, imports, compiling the family) on every run, which the
service pays once, at its first request.
"""
    Path(args.out).write_text(report, encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
