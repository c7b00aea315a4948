"""The synthetic nation end to end: Parquet files → classification of every member → quotas → summary.

FICTIONAL DATA: ``synthetic.generate`` at national size (5.3 M members in about 55,000 grassroots organisations
of cells of about 24), written as Parquet (members, their disciplinary decisions, units) the way an office's
export would hold them: grades and civil-service levels as text, absent values as nulls.

Three pipelines, each in a process of its own, timed in wall seconds from opening the files to the summary:

* ``population``: what xeploai ships for populations today, ``xeploai.population.evaluate_population`` (evidence
  validation, the interpreter with full traces, quotas with their trace nodes). Row by row, and holding every
  trace, it cannot take 5.3 M members on this machine: it is measured on whole grassroots organisations making
  1 % and 2 % of the members, and extrapolated linearly — labelled as such.
* ``columnar``: the columnar runner (``EvidenceTable.from_columns`` + ``evaluate_table``) on columns read from
  Parquet, then the HD21 member quota (20 % of "good", by grassroots organisation, ranked by targets exceeded)
  as numpy group-wise operations written here, since xeploai has no columnar quota step yet. Its final levels are
  compared with ``population``'s on the same 1 % slice.
* ``floor``: the same with the hand-written numpy floor instead of the columnar runner.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]

import engines  # noqa: E402
import synthetic  # noqa: E402

EPOCH = date(1970, 1, 1).toordinal()
GRADE_TEXT = ["Kém", "Trung bình", "Tốt", "Xuất sắc"]  # by rank
LEVEL_TEXT = ["KHT", "HT", "HTT", "HTXS"]
FORM_TEXT = ["Khiển trách", "Cảnh cáo", "Cách chức", "Khai trừ"]
SLICES = (0.01, 0.02)


# --- writing ----------------------------------------------------------------------------------------------------------


def write(members: int, seed: int, missing: float, folder: Path) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pop = synthetic.generate(members, seed, missing)
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    core = pop.has_core
    ids = np.char.mod("DV%08d", np.arange(pop.n))
    cells = np.char.mod("C%07d", pop.cell)

    def nullable(values: np.ndarray, known: np.ndarray) -> Any:
        return pa.array(values, mask=~known)

    def text(ranks: np.ndarray, labels: list[str]) -> Any:
        indices = pa.array(np.maximum(ranks, 0).astype(np.int8), mask=ranks < 0)
        return pa.DictionaryArray.from_arrays(indices, pa.array(labels))

    columns = {
        "id": pa.array(ids),
        "unit": pa.array(cells),
        "kind": pa.DictionaryArray.from_arrays(pa.array(np.zeros(pop.n, np.int8)), pa.array([synthetic.KIND])),
        "grassroots": pa.array(pop.grassroots),
        "exempted": pa.array(pop.exempted),
        "suspended": pa.array(pop.suspended),
        "committee_activities_suspended": nullable(pop.committee_suspended, pop.committee_suspended),
        "months_since_admission": pa.array(pop.months),
        "is_probationary": nullable(pop.probationary, pop.probationary),
        "is_civil_servant": pa.array(pop.civil),
        "civil_service_level": text(pop.civil_level, LEVEL_TEXT),
        "degradation_concluded": pa.array(pop.degradation),
        "targets_assigned": nullable(pop.assigned, core),
        "targets_met": nullable(pop.met, core),
        "targets_exceeded": nullable(pop.exceeded, core),
        "sick_leave_months": nullable(pop.sick, core),
        "maternity_leave_months": nullable(pop.maternity, core & (pop.maternity > 0)),
        **{g: text(pop.grades[g], GRADE_TEXT) for g in synthetic.ALL_GRADES},
        "exemplary_with_products": nullable(pop.exemplary, core),
    }
    pq.write_table(pa.table(columns), folder / "members.parquet")
    owner = np.repeat(np.arange(pop.n), np.diff(pop.disc_start))
    discipline = {
        "subject": pa.array(ids[owner]),
        "form": text(pop.disc_form.astype(np.int8), FORM_TEXT),
        "decided_on": pa.array((pop.disc_day - EPOCH).astype(np.int32), pa.date32()),
        "counted_before": nullable(pop.disc_counted, pop.disc_counted),
    }
    pq.write_table(pa.table(discipline), folder / "discipline.parquet")
    orgs = len(pop.cells_of)
    cell_parent = np.repeat(np.arange(orgs), pop.cells_of)
    units = {
        "id": pa.array(
            np.concatenate([np.char.mod("G%06d", np.arange(orgs)), np.char.mod("C%07d", np.arange(len(cell_parent)))])
        ),
        "parent": pa.array(
            np.concatenate([np.full(orgs, "", object), np.char.mod("G%06d", cell_parent).astype(object)]),
            mask=np.concatenate([np.ones(orgs, bool), np.zeros(len(cell_parent), bool)]),
        ),
        "kind": pa.array(["grassroots_committee"] * orgs + ["cell"] * len(cell_parent)),
    }
    pq.write_table(pa.table(units), folder / "units.parquet")
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    return {
        "members": pop.n,
        "grassroots": orgs,
        "cells": len(cell_parent),
        "write_s": time.perf_counter() - started,
        "parquet_mib": size / 2**20,
    }


# --- reading into columns -----------------------------------------------------------------------------------------


def _ranks(column: Any, labels: list[str]) -> np.ndarray:
    """A text column (dictionary or plain) as ranks by ``labels``, -1 where null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    lookup = np.array([labels.index(str(v)) for v in column.dictionary.to_pylist()] + [-1], np.int8)
    indices = column.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)
    return lookup[indices]


def _values(column: Any, fill: object) -> tuple[np.ndarray, np.ndarray]:
    """A column's values (nulls filled) and its known mask."""
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    known = ~column.is_null().to_numpy(zero_copy_only=False)
    return column.fill_null(fill).to_numpy(zero_copy_only=False), known


def read(folder: Path, grassroots_below: int | None = None) -> tuple[synthetic.Population, np.ndarray, np.ndarray]:
    """The members (of the first grassroots organisations, or all) as columns; their group codes and ids."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    filters = [("grassroots", "<", grassroots_below)] if grassroots_below is not None else None
    members = pq.read_table(folder / "members.parquet", filters=filters)
    units = pq.read_table(folder / "units.parquet")
    n = members.num_rows
    # The quota's group: each member's unit's parent, through the units table, as xeploai.population finds it.
    parent = units["parent"].take(pc.index_in(members["unit"], value_set=units["id"]))
    groups = pc.dictionary_encode(parent.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    ids = members["id"]
    discipline = pq.read_table(folder / "discipline.parquet")
    owner = pc.index_in(discipline["subject"], value_set=ids)
    keep = pc.is_valid(owner)
    discipline = discipline.filter(keep)
    owner_rows = owner.filter(keep).to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(owner_rows, kind="stable")
    owner_rows = owner_rows[order]
    disc_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner_rows, minlength=n), out=disc_start[1:])
    day, _ = _values(discipline["decided_on"].cast("int32"), 0)
    counted, _ = _values(discipline["counted_before"], False)

    def bools(name: str) -> tuple[np.ndarray, np.ndarray]:
        values, known = _values(members[name], False)
        return values.astype(bool), known

    def ints(name: str) -> tuple[np.ndarray, np.ndarray]:
        values, known = _values(members[name], 0)
        return values.astype(np.int64), known

    assigned, core = ints("targets_assigned")
    met, _ = ints("targets_met")
    exceeded, _ = ints("targets_exceeded")
    sick, _ = _values(members["sick_leave_months"], 0.0)
    maternity, _ = _values(members["maternity_leave_months"], 0.0)
    exemplary, _ = bools("exemplary_with_products")
    pop = synthetic.Population(
        n=n,
        seed=-1,
        exempted=bools("exempted")[0],
        suspended=bools("suspended")[0],
        committee_suspended=bools("committee_activities_suspended")[0],
        months=ints("months_since_admission")[0],
        probationary=bools("is_probationary")[0],
        civil=bools("is_civil_servant")[0],
        civil_level=_ranks(members["civil_service_level"], LEVEL_TEXT),
        degradation=bools("degradation_concluded")[0],
        assigned=assigned,
        met=met,
        exceeded=exceeded,
        sick=sick.astype(float),
        maternity=maternity.astype(float),
        grades={g: _ranks(members[g], GRADE_TEXT) for g in synthetic.ALL_GRADES},
        exemplary=exemplary,
        has_core=core,
        incomplete=np.zeros(n, bool),
        disc_start=disc_start,
        disc_form=_ranks(discipline["form"], FORM_TEXT)[order],
        disc_day=(day.astype(np.int64) + EPOCH)[order],
        disc_counted=counted.astype(bool)[order],
        grassroots=groups.astype(np.int32),
        cell=np.zeros(n, np.int32),
        cells_of=np.zeros(0, np.int64),
        # xeploai.tables' rule: a records table that is present gives every subject a list, empty when it has no row.
        disc_known=np.ones(n, bool),
    )
    return pop, groups, ids.to_numpy(zero_copy_only=False)


# --- quotas and the summary, group-wise ---------------------------------------------------------------------------


def apply_quota(
    codes: np.ndarray, groups: np.ndarray, exceeded: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """HD21 ``members_excellent``: per group, at most floor(20 % × members rated good) stay excellent, ranked by
    targets exceeded (descending) then id; the others become good. Final codes, groups ranked, members demoted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    good = np.bincount(groups, weights=codes == synthetic.GOOD, minlength=int(groups.max()) + 1 if len(groups) else 0)
    allowed = (good.astype(np.int64) * 1) // 5
    candidates = np.nonzero(codes == synthetic.EXCELLENT)[0]
    id_rank = pc.rank(pa.array(ids[candidates]), sort_keys="ascending").to_numpy(zero_copy_only=False)
    order = np.lexsort((id_rank, -exceeded[candidates], groups[candidates]))
    ranked = candidates[order]
    g = groups[ranked]
    first = np.searchsorted(g, g, side="left")
    position = np.arange(len(ranked)) - first
    demote = ranked[position >= allowed[g]]
    final = codes.copy()
    final[demote] = synthetic.GOOD
    counts = np.bincount(g, minlength=len(allowed))
    over = int(((counts > allowed) & (counts > 0)).sum())
    return final, over, len(demote)


def summary(codes: np.ndarray) -> dict[str, int]:
    counts = np.bincount(codes, minlength=len(synthetic.OUTCOMES))
    return {name: int(c) for name, c in zip(synthetic.OUTCOMES, counts, strict=True)}


def columnar_pipeline(folder: Path, runner: str, grassroots_below: int | None = None) -> dict[str, Any]:
    from xeploai import api

    started = time.perf_counter()
    pop, groups, ids = read(folder, grassroots_below)
    read_s = time.perf_counter() - started
    program = api.load_framework(engines.HD21)
    if runner == "columnar":
        from xeploai.runners import columnar as C

        table = C.EvidenceTable.from_columns(program, synthetic.KIND, engines.columnar_columns(pop))
        codes = engines.columnar_codes(C.evaluate_table(table, engines.PERIOD))
    else:
        import floor

        codes = floor.classify(pop, floor.outcome_table(program))[0]
    classified_s = time.perf_counter() - started
    final, over, demoted = apply_quota(codes, groups, pop.exceeded, ids)
    result = summary(final)
    return {
        "members": pop.n,
        "wall_s": time.perf_counter() - started,
        "read_s": read_s,
        "classify_s": classified_s - read_s,
        "groups_over_quota": over,
        "demoted": demoted,
        "summary": result,
        "final": final,
        "ids": ids,
    }


def population_pipeline(folder: Path, grassroots_below: int) -> dict[str, Any]:
    """xeploai.population on the first organisations: Parquet rows → PopulationInput → evaluate_population."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from xeploai import api
    from xeploai.population import PopulationInput, SubjectRow, Unit, evaluate_population
    from xeploai.trace import Status

    started = time.perf_counter()
    program = api.load_framework(engines.HD21)
    members = pq.read_table(folder / "members.parquet", filters=[("grassroots", "<", grassroots_below)])
    ids = members["id"]
    discipline = pq.read_table(folder / "discipline.parquet")
    discipline = discipline.filter(pc.is_in(discipline["subject"], value_set=ids))
    records: dict[str, list[dict[str, object]]] = {}
    for r in discipline.to_pylist():
        record: dict[str, object] = {"form": r["form"], "decided_on": r["decided_on"].isoformat()}
        if r["counted_before"]:
            record["counted_before"] = True
        records.setdefault(r["subject"], []).append(record)
    unit_rows = pq.read_table(folder / "units.parquet").to_pylist()
    used = set(members["unit"].to_pylist())
    parents = {u["parent"] for u in unit_rows if u["id"] in used}
    units = tuple(
        Unit(u["id"], u["parent"], u["kind"], u["id"]) for u in unit_rows if u["id"] in used or u["id"] in parents
    )
    fixed = {"id", "unit", "kind", "grassroots"}
    subjects = []
    for number, row in enumerate(members.to_pylist(), start=1):
        evidence = {k: v for k, v in row.items() if k not in fixed and v is not None}
        evidence["discipline"] = records.get(row["id"], [])  # a records table gives every subject a list
        subjects.append(SubjectRow(row["id"], row["unit"], row["kind"], None, evidence, number, "members.parquet"))
    population = PopulationInput(units=units, subjects=tuple(subjects), rows_read=len(subjects))
    result = evaluate_population(program, population, engines.PERIOD)
    codes = np.array([synthetic.outcome_code(r.outcome) for r in result.results], np.int8)
    wall = time.perf_counter() - started
    by_id = {r.subject_id: c for r, c in zip(result.results, codes, strict=True)}
    statuses = Counter(r.outcome.status for r in result.results)
    return {
        "members": len(subjects),
        "wall_s": wall,
        "rejected": len(result.rejections),
        "quota_groups": len(result.quota_groups),
        "insufficient": statuses[Status.INSUFFICIENT_EVIDENCE],
        "summary": summary(codes),
        "by_id": by_id,
    }


# --- the child process and the parent's view --------------------------------------------------------------------


def child_main() -> None:
    args = json.loads(sys.argv[1])
    folder = Path(args["folder"])
    task = args["task"]
    if task == "write":
        report = write(args["members"], args["seed"], args["missing"], folder)
    elif task in ("columnar", "floor"):
        out = columnar_pipeline(folder, task)
        report = {k: v for k, v in out.items() if k not in ("final", "ids")}
    else:
        below = args["grassroots_below"]
        out = population_pipeline(folder, below)
        report = {k: v for k, v in out.items() if k != "by_id"}
        try:  # the same slice through the columnar pipeline: do the final levels agree?
            other = columnar_pipeline(folder, "columnar", below)
            same = sum(out["by_id"][i] == c for i, c in zip(other["ids"], other["final"], strict=True))
            report["columnar_agrees"] = f"{same:,}/{len(out['by_id']):,}"
        except ImportError as error:
            report["columnar_agrees"] = f"not compared ({error})"
    report["peak_mib"] = engines.peak_mib()
    print("RESULT " + json.dumps(report), flush=True)


def run(members: int, seed: int, missing: float, out: Path) -> dict[str, Any]:
    """Write the nation, run the pipelines, and judge the target; called by run.py."""
    from run import child

    folder = out / "nation"
    base = {"folder": str(folder), "members": members, "seed": seed, "missing": missing}
    written = child("nation.py", {**base, "task": "write"}, 1800)
    print("nation written:", written)
    if "error" in written:
        return {
            "members": members,
            "grassroots": 0,
            "cells": 0,
            "write_s": 0,
            "parquet_mib": 0,
            "pipelines": [{"name": "write", "error": written["error"]}],
            "verdict": {"measured": "Parquet not written", "verdict": "not measured"},
        }
    pipelines: list[dict[str, Any]] = []
    for task, how in (
        ("columnar", "columnar runner + numpy quota step written in benchmarks/nation.py; measured"),
        ("floor", "numpy floor + the same quota step; measured"),
    ):
        report = child("nation.py", {**base, "task": task}, 1800)
        report["name"], report["how"] = task, how
        pipelines.append(report)
        print(task, report)
    points = []
    for share in SLICES:
        below = max(1, round(written["grassroots"] * share))
        report = child("nation.py", {**base, "task": "population", "grassroots_below": below}, 3600)
        report["name"] = f"population, {share:.0%} slice"
        report["how"] = (
            f"xeploai.population.evaluate_population on the first {below:,} grassroots organisations; measured"
            + (
                f"; final levels equal to the columnar pipeline's: {report['columnar_agrees']}"
                if "columnar_agrees" in report
                else ""
            )
        )
        pipelines.append(report)
        print("population", share, {k: v for k, v in report.items() if k != "how"})
        if "error" not in report:
            points.append((report["members"], report["wall_s"], report["peak_mib"]))
    notes = []
    verdict = {"measured": "the xeploai population pipeline failed", "verdict": "not measured"}
    if len(points) == 2:
        (n1, t1, m1), (n2, t2, m2) = points
        slope_t, slope_m = (t2 - t1) / (n2 - n1), (m2 - m1) / (n2 - n1)
        t_all, m_all = t1 + slope_t * (members - n1), m1 + slope_m * (members - n1)
        pipelines.append(
            {
                "name": "population, whole nation",
                "members": members,
                "wall_s": t_all,
                "peak_mib": m_all,
                "how": f"EXTRAPOLATED linearly from the two slices ({slope_t * 1e6:.0f} µs and "
                f"{slope_m * 1e6 / 1024:.1f} KiB per member)",
            }
        )
        col = next((p for p in pipelines if p["name"] == "columnar" and "error" not in p), None)
        col_text = (
            f"; the columnar runner with a numpy quota step (benchmark code, not in xeploai) measured "
            f"{col['wall_s']:.1f} s and {col['peak_mib'] / 1024:.2f} GiB end to end"
            if col
            else ""
        )
        met = t_all <= 60 and m_all <= 8 * 1024
        verdict = {
            "measured": f"xeploai.population: {t_all / 60:.0f} min and {m_all / 1024:.0f} GiB, extrapolated from "
            f"{n1:,} and {n2:,} members{col_text}",
            "verdict": "met" if met else "not met",
        }
        notes.append(
            "The nation holds members and their units only: collectives (cells, grassroots committees) and their "
            "heads are not generated, so their strata are not measured. The columnar and floor pipelines apply the "
            "member quota only."
        )
    return {**written, "pipelines": pipelines, "verdict": verdict, "notes": notes}


if __name__ == "__main__":
    child_main()
