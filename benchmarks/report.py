"""The results of ``run.py`` as Markdown: throughput, ratios, memory, agreement, and each target of issue 6."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ORDER = [
    "floor",
    "columnar",
    "python_hand",
    "zen",
    "durable_hand",
    "validate",
    "zen_trace",
    "interpreter",
    "interpreter_raw",
    "durable_adapter",
]
LABELS = {
    "floor": "numpy floor, hand-written",
    "columnar": "xeploai columnar runner",
    "python_hand": "Python function, hand-written",
    "zen": "zen-engine, no trace",
    "durable_hand": "durable-rules, hand-written",
    "validate": "xeploai evidence validation",
    "zen_trace": "zen-engine, with trace",
    "interpreter": "xeploai interpreter, full trace",
    "interpreter_raw": "xeploai validation + interpreter, full trace",
    "durable_adapter": "xeploai durable adapter",
}
SEMANTICS = {
    "floor": "3-valued, int8 condition matrix, outcome by table lookup",
    "columnar": "3-valued, a truth column per rule, cap, note, level",
    "python_hand": "2-valued",
    "zen": "3-valued, generated from the IR",
    "durable_hand": "2-valued",
    "validate": "raw → typed evidence only",
    "zen_trace": "3-valued, generated from the IR, zen's trace",
    "interpreter": "3-valued, full trace tree",
    "interpreter_raw": "raw evidence → validation → full trace tree",
    "durable_adapter": "validation + durable_rules routing + interpreter",
}


def _n(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _size(n: int) -> str:
    return f"{n / 1e6:g} M" if n >= 1_000_000 else f"{n / 1e3:g} k"


def _runs(results: dict[str, Any], population: str = "hd21") -> dict[tuple[str, int], dict[str, Any]]:
    """The runs on one population, by engine and size."""
    return {(r["engine"], r["size"]): r for r in results["runs"] if r.get("population", "hd21") == population}


def _rate(run: dict[str, Any] | None) -> float | None:
    if not run or "error" in run or not run.get("rate"):
        return None
    return float(run["rate"])


def _cell(run: dict[str, Any] | None) -> str:
    if run is None:
        return "–"
    if "error" in run:
        return "failed"
    mark = "" if run["rows"] == run["size"] else " †"
    return _n(run["rate"]) + mark


def targets(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for each target of the issue."""
    runs = _runs(results)
    size = max(results["sizes"])
    at = f"at {_size(size)}" + ("" if size >= 1_000_000 else " (the target is stated at 1 M)")

    def rate(engine: str) -> float | None:
        return _rate(runs.get((engine, size)))

    def extrapolated(*engines: str) -> str:
        marks = [e for e in engines if (r := runs.get((e, size))) and "error" not in r and r["rows"] != r["size"]]
        return f"; {', '.join(marks)} measured on a sample, extrapolated" if marks else ""

    out: list[tuple[str, str, str]] = []
    floor, col, zt, dh, it = (
        rate("floor"),
        rate("columnar"),
        rate("zen_trace"),
        rate("durable_hand"),
        rate("interpreter"),
    )
    if floor and col:
        ratio = floor / col
        out.append(
            (
                "Columnar runner with condition columns ≤ 2× the numpy floor",
                f"{_n(ratio)}× the floor's time {at} ({_n(col)} vs {_n(floor)} members/s)",
                "met" if ratio <= 2 else "not met",
            )
        )
    else:
        out.append(
            ("Columnar runner with condition columns ≤ 2× the numpy floor", "columnar not measured", "not measured")
        )
    for name, other in (("zen-engine with trace", zt), ("durable-rules (hand-written)", dh)):
        if col and other:
            ratio = col / other
            out.append(
                (
                    f"Columnar runner ≥ 300× {name}",
                    f"{_n(ratio)}× {at}{extrapolated('columnar', 'zen_trace' if other is zt else 'durable_hand')}",
                    "met" if ratio >= 300 else "not met",
                )
            )
        else:
            out.append((f"Columnar runner ≥ 300× {name}", "not measured", "not measured"))
    if it and zt:
        ratio = it / zt
        out.append(
            (
                "Interpreter with its full trace ≥ 3× zen-engine with trace",
                f"{_n(ratio)}× {at} ({_n(it)} vs {_n(zt)} members/s){extrapolated('interpreter', 'zen_trace')}",
                "met" if ratio >= 3 else "not met",
            )
        )
    nation = results.get("nation")
    if nation:
        best = nation.get("verdict", {})
        out.append(
            (
                "Synthetic nation (5.3 M members, 55 k grassroots organisations) from Parquet ≤ 60 s, ≤ 8 GiB",
                best.get("measured", "see the nation section"),
                best.get("verdict", "not measured"),
            )
        )
    else:
        out.append(
            (
                "Synthetic nation (5.3 M members, 55 k grassroots organisations) from Parquet ≤ 60 s, ≤ 8 GiB",
                "not run (add --nation)",
                "not measured",
            )
        )
    rebuild = runs.get(("columnar", size)) or runs.get(("interpreter", size))
    if rebuild and "rebuild_ms_max" in rebuild:
        worst = rebuild["rebuild_ms_max"]
        source = "a columnar result" if rebuild["engine"] == "columnar" else "an interpreter batch"
        out.append(
            (
                "One member's full explanation rebuilt from a batch result ≤ 50 ms",
                f"median {_n(rebuild['rebuild_ms_median'])} ms, worst {_n(worst)} ms of 20 members, from {source} "
                f"{at} (trace rebuilt, then `explain.to_text`)",
                "met" if worst <= 50 else "not met",
            )
        )
    return out


POPULATION_TITLES = {
    "hd21": "hd21 (the district's distributions: targets assigned 5–12, sick leave in half months)",
    "realistic": "realistic (targets assigned 1–200, 75 % meet all; sick leave in days; 8 % with 1–3 decisions)",
    "uniform": "uniform (the realistic one with targets met uniform from 0 to targets assigned)",
}


def _populations(results: dict[str, Any]) -> list[str]:
    return list(results.get("populations", ["hd21"]))


def _fmt_ratio(x: float | None) -> str:
    return "–" if x is None else _n(x) + "×"


def issue18_targets(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for targets 1 and 5 of issue 18 (target 2 is the nation's, in ``targets``)."""
    sizes = results["sizes"]
    out: list[tuple[str, str, str]] = []
    for engine, bound, what in (
        ("interpreter", 3.0, "Interpreter with full trace ≥ 3× zen-engine with trace, at 10 k, 100 k and 1 M"),
        (
            "interpreter_raw",
            1.5,
            "Interpreter with full trace from raw evidence (validation included) ≥ 1.5× zen-engine with trace "
            "(zen timed on dicts prepared in advance: its own input conversion is not counted)",
        ),
    ):
        for population in _populations(results):
            runs = _runs(results, population)
            parts, ok = [], True
            for size in sizes:
                ratio = _ratio(runs, engine, "zen_trace", size)
                ok = ok and ratio is not None and ratio >= bound
                parts.append(f"{_size(size)} {_fmt_ratio(ratio)}")
            missing = [s for s in (10_000, 100_000, 1_000_000) if s not in sizes]
            verdict = "met" if ok and not missing else "not met" if not ok else "not measured at every size"
            out.append((f"{what}: {population} population", ", ".join(parts), verdict))
    checks = _checks(results)
    exact = [c for c in checks if c.get("population") != "hd21" and "columnar_table_equals_validation" in c]
    if exact:
        agree = all(c["columnar_table_equals_validation"] == c["members"] for c in exact)
        measured = "; ".join(
            f"{c['population']}: columnar table equals validation on {c['columnar_table_equals_validation']:,}/"
            f"{c['members']:,} members"
            for c in exact
        )
        out.append(
            (
                "Like-for-like tables; the columnar converter exact on day-level leave, its self-check on day-level "
                "data",
                measured + " (tables below)",
                "met" if agree else "not met",
            )
        )
    return out


def _ratio(runs: dict[tuple[str, int], dict[str, Any]], fast: str, slow: str, size: int) -> float | None:
    """How many times ``fast``'s members/s ``slow``'s are, at one size."""
    a, b = _rate(runs.get((fast, size))), _rate(runs.get((slow, size)))
    return a / b if a and b else None


def _checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    if "self_checks" in results:
        return list(results["self_checks"])
    return [results["self_check"]] if results.get("self_check") else []


def like_for_like(results: dict[str, Any]) -> list[str]:
    """Target 5's four comparisons, each a table of its own: population × size."""
    sizes = results["sizes"]
    head = " | ".join(f"{_size(s)}" for s in sizes)
    rule = "| --- | " + " | ".join("---:" for _ in sizes) + " |"
    lines = [
        "### Like for like",
        "",
        "Each table compares two engines doing the same work, in the same run; cells are how many times the first "
        "engine's members per CPU second the second's are (above 1: the first is faster).",
        "",
    ]

    def table(title: str, explain: str, cell: Any) -> None:
        nonlocal lines
        lines += [f"#### {title}", "", explain, "", f"| population | {head} |", rule]
        for population in _populations(results):
            runs = _runs(results, population)
            lines.append(f"| {population} | " + " | ".join(cell(runs, size) for size in sizes) + " |")
        lines.append("")

    def floor_vs_columnar(with_build: bool) -> Any:
        def cell(runs: dict[tuple[str, int], dict[str, Any]], size: int) -> str:
            f, c = runs.get(("floor", size)), runs.get(("columnar", size))
            if not f or not c or "error" in f or "error" in c or not f.get("cpu_s") or not c.get("cpu_s"):
                return "–"
            if not with_build:
                return f"{_n(f['cpu_s'] / c['cpu_s'])}× ({_ms(c['cpu_s'])} vs {_ms(f['cpu_s'])})"
            if "with_index_cpu_s" not in f or "table_build_s" not in c:
                return "–"
            floor_s, col_s = f["with_index_cpu_s"], c["cpu_s"] + c["table_build_s"]
            return f"{_n(floor_s / col_s)}× ({_ms(col_s)} vs {_ms(floor_s)})"

        return cell

    def pair(fast: str, slow: str) -> Any:
        def cell(runs: dict[tuple[str, int], dict[str, Any]], size: int) -> str:
            ratio = _ratio(runs, fast, slow, size)
            a, b = _rate(runs.get((fast, size))), _rate(runs.get((slow, size)))
            return "–" if ratio is None else f"{_n(ratio)}× ({_n(a or 0)} vs {_n(b or 0)}/s)"

        return cell

    table(
        "Columnar runner vs the numpy floor, the record-owner index built outside both timings",
        "The columnar runner's evaluation of a built table (which holds each records column's owner index) against "
        "the floor given the owner index built beforehand: CPU ratio floor ÷ columnar, then columnar's and the "
        "floor's CPU milliseconds (least of five).",
        floor_vs_columnar(False),
    )
    table(
        "Columnar runner including its table build vs the numpy floor including its index build",
        "`EvidenceTable.from_columns` (typed columns → the runner's table, owner indexes included) plus the "
        "evaluation, against the floor building its owner index inside its timing: the work from the same numpy "
        "columns to the outcomes, on both sides.",
        floor_vs_columnar(True),
    )
    table(
        "Columnar runner vs zen-engine without trace",
        "Neither keeps a per-member trace (the columnar runner keeps truth columns, from which a member's trace is "
        "rebuilt on demand).",
        pair("columnar", "zen"),
    )
    table(
        "Interpreter with its full trace vs zen-engine with its trace",
        "Both build a trace for every member (the interpreter its full trace tree, zen its JSON trace).",
        pair("interpreter", "zen_trace"),
    )
    table(
        "From raw evidence: validation + interpreter vs zen-engine with its trace",
        "The interpreter's side starts from raw evidence as in an evidence file (labels and ISO dates as text) and "
        "includes `validate_evidence`; zen's side starts from plain dicts of ranks and day numbers made before the "
        "timing, so zen's own input conversion is not counted at all (the comparison is tilted towards zen).",
        pair("interpreter_raw", "zen_trace"),
    )
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


def throughput(results: dict[str, Any], population: str) -> list[str]:
    runs = _runs(results, population)
    sizes = results["sizes"]
    largest = max(sizes)
    head = " | ".join(f"{_size(s)} members/s" for s in sizes)
    lines = [
        f"#### Population {POPULATION_TITLES.get(population, population)}",
        "",
        f"| engine | semantics | {head} | time ÷ floor's at {_size(largest)} | peak RSS at {_size(largest)} "
        f"| agrees with the interpreter at {_size(largest)} |",
        "| --- | --- | " + " | ".join("---:" for _ in sizes) + " | ---: | ---: | --- |",
    ]
    floor = _rate(runs.get(("floor", largest)))
    for engine in ORDER:
        if not any((engine, s) in runs for s in sizes):
            continue
        big = runs.get((engine, largest))
        rate = _rate(big)
        ratio = _n(floor / rate) + "×" if floor and rate else "–"
        peak = f"{big['peak_mib']:,.0f} MiB" if big and "peak_mib" in big else "–"
        agree = "–"
        if big and big.get("agreement"):
            a = big["agreement"]
            agree = f"{a['equal']:,}/{a['compared']:,}"
            if a["equal"] != a["compared"]:
                agree += f" (complete evidence: {a['equal_complete']:,}/{a['complete']:,})"
        elif engine == "interpreter":
            agree = "reference"
        cells = " | ".join(_cell(runs.get((engine, s))) for s in sizes)
        lines.append(f"| {LABELS[engine]} | {SEMANTICS[engine]} | {cells} | {ratio} | {peak} | {agree} |")
    lines.append("")
    return lines


def markdown(results: dict[str, Any]) -> str:
    runs = _runs(results)
    sizes = results["sizes"]
    largest = max(sizes)
    m = results["machine"]
    lines = [
        f"Generated by `{results['command']}` on {results['date']} in {results['total_s'] / 60:.1f} min.",
        "",
        f"Machine: {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), {m['ram_gib']} GiB, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f". Load average at start {tuple(round(x, 2) for x in m['load_average_at_start'])}, at end "
        f"{tuple(round(x, 2) for x in m['load_average_at_end'])} (other sessions share this machine; times are "
        "CPU seconds of the measuring process).",
        "",
        f"Populations: HD21 `party_member`, {', '.join(_populations(results))}; seed {results['seed']}, "
        f"{results['missing']:.1%} of members with one grading blank; budget {results['budget_s']:g} s per engine "
        "and size.",
        "",
    ]
    for check in _checks(results):
        if "error" in check:
            lines += [f"Self-check failed: {check['error']}", ""]
            continue
        n = check["members"]
        parts = [
            f"{k.replace('_', ' ')}: {v}/{n}"
            for k, v in check.items()
            if isinstance(v, int) and k not in ("members", "population")
        ]
        parts += [f"{k}: {v}" for k, v in check.items() if isinstance(v, str) and k != "population"]
        lines += [
            f"Self-check on {n:,} members of the {check.get('population', 'hd21')} population with "
            f"{check['missing']:.0%} missing values: " + "; ".join(parts),
            "",
        ]
    if results["skipped"]:
        lines += ["Not available: " + "; ".join(f"{k} ({v})" for k, v in results["skipped"].items()), ""]

    lines += ["### Targets", "", "| target | measured | verdict |", "| --- | --- | --- |"]
    lines += [f"| {t} | {measured} | **{verdict}** |" for t, measured, verdict in targets(results)]
    lines += [f"| {t} | {measured} | **{verdict}** |" for t, measured, verdict in issue18_targets(results)]
    lines += [""]
    lines += like_for_like(results)

    lines += ["### Throughput", ""]
    for population in _populations(results):
        lines += throughput(results, population)
    lines += [
        "† measured on the first members of the population (the tables' `rows`), rate extrapolated to the size.",
        "",
    ]

    present = [e for e in ORDER if _rate(runs.get((e, largest)))]
    if len(present) > 1:
        lines += [
            f"### Speed ratios at {_size(largest)}, hd21 population (row engine's members/s ÷ column engine's)",
            "",
            "| | " + " | ".join(LABELS[e] for e in present) + " |",
            "| --- | " + " | ".join("---:" for _ in present) + " |",
        ]
        for row in present:
            r = _rate(runs[(row, largest)])
            assert r is not None
            cells = []
            for col in present:
                c = _rate(runs[(col, largest)])
                assert c is not None
                cells.append(_n(r / c))
            lines.append(f"| {LABELS[row]} | " + " | ".join(cells) + " |")
        lines.append("")

    lines += [
        "### Memory and details",
        "",
        "| engine | population | size | members measured | CPU s | wall s | RSS before (MiB) | peak RSS (MiB) "
        "| notes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for population in _populations(results):
        pruns = _runs(results, population)
        for engine in ORDER:
            for size in sizes:
                run = pruns.get((engine, size))
                if run is None:
                    continue
                if "error" in run:
                    lines.append(
                        f"| {LABELS[engine]} | {population} | {size:,} | – | – | – | – | – | failed: {run['error']} |"
                    )
                    continue
                notes = []
                for key in (
                    "trace_bytes_per_member",
                    "table_rows",
                    "table_build_s",
                    "with_index_cpu_s",
                    "rebuild_ms_median",
                    "note",
                ):
                    if key in run:
                        value = run[key]
                        notes.append(f"{key.replace('_', ' ')} {_n(value) if isinstance(value, float) else value}")
                lines.append(
                    f"| {LABELS[engine]} | {population} | {size:,} | {run['rows']:,} | {run['cpu_s']:.4g} | "
                    f"{run['wall_s']:.4g} | {run['rss_before_mib']:,.0f} | {run['peak_mib']:,.0f} | "
                    f"{'; '.join(notes)} |"
                )
    lines.append("")
    nation = results.get("nation")
    if nation:
        lines += nation_markdown(nation)
    return "\n".join(lines)


def nation_markdown(nation: dict[str, Any]) -> list[str]:
    lines = [
        "### The synthetic nation, end to end from Parquet",
        "",
        f"{nation['members']:,} members in {nation['grassroots']:,} grassroots organisations and {nation['cells']:,} "
        f"cells; Parquet written in {nation['write_s']:.1f} s ({nation['parquet_mib']:,.0f} MiB on disk).",
        "",
        "| pipeline | members | wall s | peak RSS (MiB) | levels | how |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for p in nation["pipelines"]:
        if "error" in p:
            lines.append(f"| {p['name']} | – | – | – | – | failed: {p['error']} |")
            continue
        levels = ", ".join(f"{k} {v:,}" for k, v in p.get("summary", {}).items())
        how = p["how"]
        if "read_s" in p:
            how += (
                f" (reading Parquet {p['read_s']:.1f} s, classifying {p['classify_s']:.1f} s; quota: "
                f"{p['groups_over_quota']:,} organisations over it, {p['demoted']:,} members lowered)"
            )
        members = f"{p['members']:,}" if "members" in p else f"{nation['members']:,}"
        lines.append(f"| {p['name']} | {members} | {p['wall_s']:.1f} | {p['peak_mib']:,.0f} | {levels} | {how} |")
    lines.append("")
    for note in nation.get("notes", []):
        lines += [note, ""]
    return lines


def write(path: Path, text: str, begin: str, end: str) -> None:
    """Replace the generated section of ``path`` (between the markers), keeping everything else."""
    old = path.read_text(encoding="utf-8") if path.exists() else f"{begin}\n{end}\n"
    if begin not in old or end not in old:
        old = old.rstrip() + f"\n\n{begin}\n{end}\n"
    head, rest = old.split(begin, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{begin}\n\n{text}\n\n{end}{tail}", encoding="utf-8")
