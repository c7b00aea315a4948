"""The synthetic nation end to end: a population folder of Parquet tables → every subject classified → summary.

FICTIONAL DATA: ``synthetic.nation`` at national size — 5.3 M members in about 55,000 grassroots organisations
(committees with cells of about 24 members, and grassroots cells), with the HD21 collectives and heads as subjects
(cells, grassroots committees, the commune People's Committee leaders and their leadership collectives, the head of
every grassroots organisation) and a few committee decisions on the members' quota. It is written as the folder
``xeploai batch`` reads (``units``, ``subjects`` with a ``kind`` column, ``discipline`` keyed by subject,
``decisions``), as Parquet the way an office's export would hold it: typed columns, grades and levels as text,
absent values as nulls.

Three pipelines, each in a process of its own, timed in wall seconds from opening the folder to the summary:

* ``xeploai``: ``parquet.read_bulk`` (reading and checking every cell, column-wise) → ``bulk.classify`` (members,
  quotas, collectives, heads, in the regulation's order) → ``BulkResult.summary_rows``; writing the results table
  (one row per subject) is timed apart. On the 1 % slice its final levels are compared with ``population``'s.
* ``population``: ``reader.read_population`` → ``population.evaluate_population`` (the interpreter with full
  traces, row by row). It cannot hold 5.3 M traces on this machine: it is measured on slices of whole grassroots
  organisations (1 % and 2 %, written beside the nation) and extrapolated linearly — labelled as such.
* ``floor``: the members only, read from the same Parquet, classified by the hand-written numpy floor, and the
  member quota as numpy group-wise operations: the least work for the biggest stratum, for scale.
"""

from __future__ import annotations

import json
import os
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


def member_fields(pop: synthetic.Population) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """The members' evidence in ``synthetic.Block`` form: blanks where an office leaves a default or an unknown."""
    core = pop.has_core
    fields: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
        "exempted": (pop.exempted, None),
        "suspended": (pop.suspended, None),
        "committee_activities_suspended": (pop.committee_suspended, pop.committee_suspended),
        "months_since_admission": (pop.months, None),
        "is_probationary": (pop.probationary, pop.probationary),
        "is_civil_servant": (pop.civil, None),
        "civil_service_level": (pop.civil_level, None),
        "degradation_concluded": (pop.degradation, None),
        "targets_assigned": (pop.assigned, core),
        "targets_met": (pop.met, core),
        "targets_exceeded": (pop.exceeded, core),
        "sick_leave_months": (pop.sick, core),
        "maternity_leave_months": (pop.maternity, core & (pop.maternity > 0)),
        **{g: (pop.grades[g], None) for g in synthetic.ALL_GRADES},
        "exemplary_with_products": (pop.exemplary, core),
    }
    return fields


def _column(
    pa: Any,
    ftype: Any,
    parts: list[tuple[int, tuple[np.ndarray, np.ndarray | None] | None]],
    total: int,
    labels: list[str] | None,
) -> Any:
    """One evidence column of the subjects table over every block (``parts``: each block's size and values)."""
    from xeploai.program import ir

    textual = isinstance(ftype, ir.OrdinalType | ir.TextType)
    if isinstance(ftype, ir.BoolType):
        values = np.zeros(total, bool)
    elif isinstance(ftype, ir.NumberType):
        values = np.zeros(total, np.int32 if ftype.integer else np.float64)
    else:
        values = np.full(total, -1, np.int8)
    known = np.zeros(total, bool)
    at = 0
    for size, part in parts:
        if part is not None:
            data, mask = part
            values[at : at + size] = data
            known[at : at + size] = True if mask is None else mask
        at += size
    if textual:
        known &= values >= 0
        indices = pa.array(np.maximum(values, 0), mask=~known)
        return pa.DictionaryArray.from_arrays(indices, pa.array(labels))
    return pa.array(values, mask=~known)


def write_batch(nation: synthetic.Nation, program: Any, folder: Path, below: int | None = None) -> dict[str, int]:
    """The nation (or its first ``below`` grassroots organisations) as a batch folder of Parquet tables."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xeploai.program import ir

    folder.mkdir(parents=True, exist_ok=True)
    pop = nation.members
    keep_org = np.ones(nation.orgs, bool) if below is None else np.arange(nation.orgs) < below
    member_rows = keep_org[pop.grassroots]
    member_ids = synthetic._ids("DV", np.arange(pop.n), 8)

    # Subjects: members first, then each kind of the blocks, every kind's evidence in one table.
    parts: list[tuple[synthetic.Block, np.ndarray]] = []
    for block in nation.blocks:
        parts.append((block, keep_org[block.org]))
    sizes = [int(rows.sum()) for _, rows in parts]
    total = sum(sizes)
    fields: dict[str, Any] = {}
    for subject in program.subjects.values():
        for f in subject.fields:
            if not isinstance(f.type, ir.RecordsType):
                fields.setdefault(f.id, f.type)
    member_evidence = member_fields(pop)
    columns: dict[str, Any] = {
        "id": pa.array(np.concatenate([member_ids[member_rows], *(b.ids[r] for b, r in parts[1:])])),
        "unit": pa.array(np.concatenate([nation.member_units()[member_rows], *(b.units[r] for b, r in parts[1:])])),
        "kind": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(len(parts), dtype=np.int8), sizes)), pa.array([b.kind for b, _ in parts])
        ),
    }
    for fid, ftype in fields.items():
        values: list[tuple[int, tuple[np.ndarray, np.ndarray | None] | None]] = []
        labels: list[str] | None = None
        if isinstance(ftype, ir.OrdinalType):
            labels = GRADE_TEXT if ftype.scale == "grade" else LEVEL_TEXT
        for (block, rows), size in zip(parts, sizes, strict=True):
            given = member_evidence.get(fid) if block.kind == synthetic.KIND else block.fields.get(fid)
            if isinstance(ftype, ir.TextType) and fid in block.labels:
                labels = block.labels[fid]
            values.append(
                (size, None if given is None else (given[0][rows], None if given[1] is None else given[1][rows]))
            )
        if isinstance(ftype, ir.TextType) and labels is None:
            continue
        columns[fid] = _column(pa, ftype, values, total, labels)
    pq.write_table(pa.table(columns), folder / "subjects.parquet")
    del columns

    owner = np.repeat(np.arange(pop.n), np.diff(pop.disc_start))
    kept = member_rows[owner]
    form = pop.disc_form.astype(np.int8)[kept]
    discipline = {
        "subject": pa.array(member_ids[owner[kept]]),
        "form": pa.DictionaryArray.from_arrays(pa.array(form), pa.array(FORM_TEXT)),
        "decided_on": pa.array((pop.disc_day[kept] - EPOCH).astype(np.int32), pa.date32()),
        "counted_before": pa.array(pop.disc_counted[kept], mask=~pop.disc_counted[kept]),
    }
    pq.write_table(pa.table(discipline), folder / "discipline.parquet")

    orgs = np.flatnonzero(keep_org)
    districts = np.unique(nation.district[orgs])
    cells = np.flatnonzero(keep_org[nation.cell_org] & ~nation.grassroots_cell[nation.cell_org])
    org_kind = np.where(nation.grassroots_cell[orgs], "grassroots_cell", "grassroots_committee")
    units = {
        "id": pa.array(
            ["TW", *synthetic._ids("H", districts, 4), *nation.org_id(orgs), *synthetic._ids("C", cells, 7)]
        ),
        "parent": pa.array(
            [
                None,
                *(["TW"] * len(districts)),
                *synthetic._ids("H", nation.district[orgs], 4),
                *nation.org_id(nation.cell_org[cells]),
            ]
        ),
        "kind": pa.array(["central", *(["district"] * len(districts)), *org_kind, *(["cell"] * len(cells))]),
        "name": pa.array(
            [
                "Trung ương (hư cấu)",
                *(f"Huyện {d} (hư cấu)" for d in districts.tolist()),
                *(f"Tổ chức cơ sở đảng {g} (hư cấu)" for g in orgs.tolist()),
                *(f"Chi bộ {c} (hư cấu)" for c in cells.tolist()),
            ]
        ),
        "head": pa.array([None, *([None] * len(districts)), *synthetic._ids("ND", orgs, 6), *([None] * len(cells))]),
    }
    pq.write_table(pa.table(units), folder / "units.parquet")

    decided = [(g, approved) for g, approved in nation.decisions if keep_org[g]]
    decisions = {
        "quota": pa.array(["members_excellent"] * len(decided), pa.string()),
        "group": pa.array([f"G{g:06d}" for g, _ in decided], pa.string()),
        "approved": pa.array([" ".join(member_ids[a]) for _, a in decided], pa.string()),
        "reference": pa.array(
            [f"Quyết định số {g}-QĐ/ĐU ngày 30/12/2020 của Ban Thường vụ Đảng ủy (hư cấu)" for g, _ in decided],
            pa.string(),
        ),
    }
    pq.write_table(pa.table(decisions), folder / "decisions.parquet")
    counts = {block.kind: size for (block, _), size in zip(parts, sizes, strict=True)}
    return {
        "subjects": total,
        "members": counts[synthetic.KIND],
        "grassroots": len(orgs),
        "cells": len(cells) + int(nation.grassroots_cell[orgs].sum()),
        "units": len(units["id"]),
        "records": int(kept.sum()),
        "decisions": len(decided),
        **{f"kind {k}": v for k, v in counts.items()},
    }


def write(members: int, seed: int, missing: float, folder: Path) -> dict[str, Any]:
    """The nation and its 1 % and 2 % slices (whole grassroots organisations), each a batch folder."""
    from xeploai import api

    program = api.load_framework(engines.HD21)
    nation = synthetic.nation(members, seed, missing)
    started = time.perf_counter()
    info: dict[str, Any] = write_batch(nation, program, folder / "all")
    info["write_s"] = time.perf_counter() - started
    info["parquet_mib"] = sum(f.stat().st_size for f in (folder / "all").glob("*.parquet")) / 2**20
    info["slices"] = {}
    for share in SLICES:
        below = max(1, round(nation.orgs * share))
        name = f"slice-{share:.0%}".replace("%", "")
        info["slices"][str(share)] = {
            "folder": name,
            "below": below,
            **write_batch(nation, program, folder / name, below),
        }
    return info


# --- the pipelines ----------------------------------------------------------------------------------------------------


def _stages(program: Any, kinds: Any) -> list[str]:
    """The steps ``bulk.classify`` reports progress after, in its order: each kind present, then each quota."""
    from xeploai.evaluation.population import strata
    from xeploai.program import ir

    labels: list[str] = []
    for stratum in strata(program):
        labels += [kind for kind in stratum.kinds if kind in kinds]
        quotas = [q for q_id in stratum.quotas for q in program.quotas if q.id == q_id]
        labels += [f"quota {q.id}" for q in sorted(quotas, key=lambda q: (q.policy is not ir.QuotaPolicy.RANK, q.id))]
    return labels


def outcome_codes(result: Any) -> dict[str, int]:
    """Every accepted subject's final outcome (``synthetic.OUTCOMES`` code) in a ``BulkResult``, by id."""
    from xeploai.evaluation.runners.columnar import STATUSES
    from xeploai.evaluation.trace import Status

    out: dict[str, int] = {}
    for outcome in result.kinds.values():
        rows = np.flatnonzero(outcome.accepted)
        status = outcome.status[rows]
        level = outcome.level[rows].astype(np.int16)
        codes = np.select(
            [status == STATUSES.index(Status.NOT_CLASSIFIED), status == STATUSES.index(Status.INSUFFICIENT_EVIDENCE)],
            [synthetic.NOT_CLASSIFIED, synthetic.INSUFFICIENT],
            4 - level,  # level rank 3 (excellent) → code 1 … rank 0 → code 4
        )
        out.update(zip(outcome.columns.ids[rows].tolist(), codes.tolist(), strict=True))
    return out


def summary(codes: np.ndarray) -> dict[str, int]:
    counts = np.bincount(codes, minlength=len(synthetic.OUTCOMES))
    return {name: int(c) for name, c in zip(synthetic.OUTCOMES, counts, strict=True)}


def xeploai_pipeline(folder: Path, results: Path | None = None) -> dict[str, Any]:
    """``read_bulk`` → ``classify`` → summary rows; then, timed apart, the results table."""
    from xeploai import api
    from xeploai.evaluation import bulk, report
    from xeploai.tables import parquet
    from xeploai.tables.writers import write_csv_blocks

    started, cpu = time.perf_counter(), time.process_time()
    program = api.load_framework(engines.HD21)
    loaded = time.perf_counter()
    timings: dict[str, float] = {}
    bulk_input = parquet.read_bulk(folder, program, timings=timings)
    read = time.perf_counter()
    marks: list[float] = []
    result = bulk.classify(
        program, bulk_input, engines.PERIOD, progress=lambda done, total: marks.append(time.perf_counter())
    )
    classified = time.perf_counter()
    rows = result.summary_rows()
    done = time.perf_counter()
    peak = engines.peak_mib()
    labels = _stages(program, bulk_input.kinds)
    steps: dict[str, float] = {}
    previous = read
    for label, mark in zip(labels, marks, strict=False):
        steps[label] = mark - previous
        previous = mark
    codes = outcome_codes(result)
    kinds = Counter(kind for kind, o in result.kinds.items() for _ in range(int(o.accepted.sum())))
    out: dict[str, Any] = {
        "members": int(kinds.get(synthetic.KIND, 0)),
        "subjects": len(codes),
        "kinds": dict(kinds),
        "wall_s": done - started,
        "cpu_s": time.process_time() - cpu,
        "load_average": os.getloadavg(),
        "stages": {
            "loading the framework": loaded - started,
            **{f"read_bulk: {k}": v for k, v in timings.items()},
            **{f"classify: {k}": v for k, v in steps.items()},
            "classify: rest": classified - previous,
            "summary rows": done - classified,
        },
        "rejected": len(result.rejections),
        "reconciles": result.reconciles(),
        "quota_groups": len(result.quota_groups),
        "quota_status": dict(Counter(g.status for g in result.quota_groups)),
        "demoted": sum(len(g.demoted) for g in result.quota_groups),
        "summary_rows": len(rows),
        "summary": summary(np.fromiter(codes.values(), np.int64, len(codes))),
        "peak_mib": peak,
        "codes": codes,
    }
    if results is not None:
        results.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        blocks = result.result_blocks("vi")  # as xeploai batch writes it: reasons, then blocks of columns
        write_csv_blocks(blocks, report.RESULT_COLUMNS, results / "ket-qua.csv", result.REPEATED_RESULT_COLUMNS)
        out["write_results_s"] = time.perf_counter() - started
        out["peak_with_results_mib"] = engines.peak_mib()
    return out


def cli_pipeline(folder: Path, out: Path) -> dict[str, Any]:
    """``xeploai batch FRAMEWORK FOLDER --period 2020 --out OUT --quiet`` in this process: reading, checking,
    classifying, the summary, and writing the three tables (the results table one row per subject)."""
    import contextlib
    import io

    from xeploai import cli

    started = time.perf_counter()
    args = ["batch", str(engines.HD21), str(folder), "--period", "2020", "--out", str(out), "--quiet"]
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    return {
        "exit": code,
        "wall_s": time.perf_counter() - started,
        "peak_mib": engines.peak_mib(),
        "results_mib": (out / "ket-qua.csv").stat().st_size / 2**20 if code == 0 else 0,
    }


def population_pipeline(folder: Path) -> dict[str, Any]:
    """``reader.read_population`` → ``evaluate_population``, every subject with its full trace."""
    from xeploai import api
    from xeploai.evaluation.population import evaluate_population
    from xeploai.tables.reader import read_population

    started = time.perf_counter()
    program = api.load_framework(engines.HD21)
    data = read_population(folder, program)
    read = time.perf_counter()
    result = evaluate_population(program, data, engines.PERIOD)
    wall = time.perf_counter() - started
    codes = {r.subject_id: synthetic.outcome_code(r.outcome) for r in result.results}
    return {
        "members": sum(1 for r in result.results if r.subject_kind == synthetic.KIND),
        "subjects": len(result.results),
        "wall_s": wall,
        "reading_s": read - started,
        "rejected": len(result.rejections),
        "quota_groups": len(result.quota_groups),
        "summary": summary(np.fromiter(codes.values(), np.int64, len(codes))),
        "peak_mib": engines.peak_mib(),
        "codes": codes,
    }


# --- the floor: members only, numpy by hand -----------------------------------------------------------------------


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


def read_members(folder: Path) -> tuple[synthetic.Population, np.ndarray, np.ndarray]:
    """The ``party_member`` rows as the floor's columns; each one's quota group (its grassroots organisation, the
    unit itself or its parent) and its id."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    members = pq.read_table(folder / "subjects.parquet", filters=[("kind", "=", synthetic.KIND)])
    units = pq.read_table(folder / "units.parquet")
    n = members.num_rows
    position = pc.index_in(members["unit"], value_set=units["id"])
    parent = units["parent"].take(position)
    is_cell = pc.equal(units["kind"].take(position), "cell")
    group = pc.if_else(is_cell, parent, members["unit"])
    groups = pc.dictionary_encode(group.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    ids = members["id"]
    discipline = pq.read_table(folder / "discipline.parquet")
    owner = pc.index_in(discipline["subject"], value_set=ids)
    keep = pc.is_valid(owner)
    discipline = discipline.filter(keep)
    owner_rows = owner.filter(keep).to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(owner_rows, kind="stable")
    disc_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner_rows, minlength=n), out=disc_start[1:])
    day, _ = _values(discipline["decided_on"].cast("int32"), 0)
    counted, _ = _values(discipline["counted_before"], False)

    def bools(name: str) -> np.ndarray:
        return _values(members[name], False)[0].astype(bool)

    def ints(name: str) -> tuple[np.ndarray, np.ndarray]:
        values, known = _values(members[name], 0)
        return values.astype(np.int64), known

    assigned, core = ints("targets_assigned")
    pop = synthetic.Population(
        n=n,
        seed=-1,
        exempted=bools("exempted"),
        suspended=bools("suspended"),
        committee_suspended=bools("committee_activities_suspended"),
        months=ints("months_since_admission")[0],
        probationary=bools("is_probationary"),
        civil=bools("is_civil_servant"),
        civil_level=_ranks(members["civil_service_level"], LEVEL_TEXT),
        degradation=bools("degradation_concluded"),
        assigned=assigned,
        met=ints("targets_met")[0],
        exceeded=ints("targets_exceeded")[0],
        sick=_values(members["sick_leave_months"], 0.0)[0].astype(float),
        maternity=_values(members["maternity_leave_months"], 0.0)[0].astype(float),
        grades={g: _ranks(members[g], GRADE_TEXT) for g in synthetic.ALL_GRADES},
        exemplary=bools("exemplary_with_products"),
        has_core=core,
        incomplete=np.zeros(n, bool),
        disc_start=disc_start,
        disc_form=_ranks(discipline["form"], FORM_TEXT)[order],
        disc_day=(day.astype(np.int64) + EPOCH)[order],
        disc_counted=counted.astype(bool)[order],
        grassroots=groups.astype(np.int32),
        cell=np.zeros(n, np.int32),
        cells_of=np.zeros(0, np.int64),
        disc_known=np.ones(n, bool),  # a records table that is present gives every subject a list
    )
    return pop, groups, ids.to_numpy(zero_copy_only=False)


def apply_quota(
    codes: np.ndarray, groups: np.ndarray, exceeded: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """HD21 ``members_excellent`` over members only: per group, at most floor(20 % × members rated good) stay
    excellent, ranked by targets exceeded (descending) then id. Final codes, groups over it, members demoted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    good = np.bincount(groups, weights=codes == synthetic.GOOD, minlength=int(groups.max()) + 1 if len(groups) else 0)
    allowed = good.astype(np.int64) // 5
    candidates = np.nonzero(codes == synthetic.EXCELLENT)[0]
    id_rank = pc.rank(pa.array(ids[candidates]), sort_keys="ascending").to_numpy(zero_copy_only=False)
    order = np.lexsort((id_rank, -exceeded[candidates], groups[candidates]))
    ranked = candidates[order]
    g = groups[ranked]
    position = np.arange(len(ranked)) - np.searchsorted(g, g, side="left")
    demote = ranked[position >= allowed[g]]
    final = codes.copy()
    final[demote] = synthetic.GOOD
    counts = np.bincount(g, minlength=len(allowed))
    return final, int(((counts > allowed) & (counts > 0)).sum()), len(demote)


def floor_pipeline(folder: Path) -> dict[str, Any]:
    import floor

    from xeploai import api

    started = time.perf_counter()
    pop, groups, ids = read_members(folder)
    read = time.perf_counter()
    program = api.load_framework(engines.HD21)
    codes = floor.classify(pop, floor.outcome_table(program))[0]
    final, over, demoted = apply_quota(codes, groups, pop.exceeded, ids)
    return {
        "members": pop.n,
        "wall_s": time.perf_counter() - started,
        "stages": {"reading members": read - started, "floor and quota": time.perf_counter() - read},
        "groups_over_quota": over,
        "demoted": demoted,
        "summary": summary(final),
        "peak_mib": engines.peak_mib(),
    }


# --- the child process and the parent's view --------------------------------------------------------------------


def child_main() -> None:
    args = json.loads(sys.argv[1])
    folder = Path(args["folder"])
    task = args["task"]
    if task == "write":
        report = write(args["members"], args["seed"], args["missing"], folder)
    elif task == "xeploai":
        out = xeploai_pipeline(folder / "all", folder / "results" if args.get("results") else None)
        report = {k: v for k, v in out.items() if k != "codes"}
    elif task == "floor":
        report = floor_pipeline(folder / "all")
    elif task == "cli":
        report = cli_pipeline(folder / "all", folder / "cli-out")
    else:
        out = population_pipeline(folder / args["slice"])
        report = {k: v for k, v in out.items() if k != "codes"}
        if args.get("compare"):  # the same slice through the xeploai pipeline: do the final levels agree?
            other = xeploai_pipeline(folder / args["slice"])["codes"]
            same = sum(other.get(i) == c for i, c in out["codes"].items())
            report["xeploai_agrees"] = f"{same:,}/{len(out['codes']):,}" + (
                "" if len(other) == len(out["codes"]) else f" ({len(other):,} subjects on the xeploai side)"
            )
            report["peak_mib"] = engines.peak_mib()
    print("RESULT " + json.dumps(report), flush=True)


def _stage_text(stages: dict[str, float]) -> str:
    return "; ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items() if seconds >= 0.05)


def run(members: int, seed: int, missing: float, out: Path) -> dict[str, Any]:
    """Write the nation, run the pipelines, and judge the target; called by run.py."""
    from run import child

    folder = out / "nation"
    base = {"folder": str(folder), "members": members, "seed": seed, "missing": missing}
    written = child("nation.py", {**base, "task": "write"}, 3600)
    print("nation written:", {k: v for k, v in written.items() if k != "slices"})
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
    main = child("nation.py", {**base, "task": "xeploai", "results": True}, 3600)
    main["name"] = "xeploai"
    if "error" not in main:
        main["how"] = (
            f"parquet.read_bulk → bulk.classify → summary rows, all {main['subjects']:,} subjects "
            f"(CPU {main['cpu_s']:.1f} s of the process; load average {main['load_average'][0]:.1f} at the end) "
            f"({', '.join(f'{k} {v:,}' for k, v in main['kinds'].items())}); measured. Stages: "
            f"{_stage_text(main['stages'])}. Quota groups {main['quota_groups']:,} "
            f"({', '.join(f'{k} {v:,}' for k, v in main['quota_status'].items())}), {main['demoted']:,} lowered; "
            f"{main['rejected']:,} rejections; reconciles: {main['reconciles']}. Writing the results table "
            f"(ket-qua.csv, one row per subject) took {main.get('write_results_s', 0):.1f} s more, peak "
            f"{main.get('peak_with_results_mib', 0):,.0f} MiB"
        )
    pipelines.append(main)
    print("xeploai", {k: v for k, v in main.items() if k != "how"})
    command = child("nation.py", {**base, "task": "cli"}, 3600)
    command["name"] = "xeploai batch"
    if "error" not in command:
        command["how"] = (
            "the command end to end, in a process of its own: xeploai batch frameworks/party/2019-10-18.yaml "
            "FOLDER --period 2020 --out OUT --quiet (parquet.read_spelled → bulk.classify → the summary, and the "
            f"three tables written, the results table {command['results_mib']:,.0f} MiB); measured"
        )
    pipelines.append(command)
    print("xeploai batch", command)
    floor_report = child("nation.py", {**base, "task": "floor"}, 1800)
    floor_report["name"] = "floor (members only)"
    if "error" not in floor_report:
        floor_report["how"] = (
            f"party_member rows only: numpy floor + the member quota as numpy group operations, written in "
            f"benchmarks/; measured. Stages: {_stage_text(floor_report['stages'])}; "
            f"{floor_report['groups_over_quota']:,} organisations over the quota, {floor_report['demoted']:,} lowered"
        )
    pipelines.append(floor_report)
    print("floor", floor_report)
    points = []
    for share in SLICES:
        info = written["slices"][str(share)]
        args = {**base, "task": "population", "slice": info["folder"], "compare": share == SLICES[0]}
        report = child("nation.py", args, 3600)
        report["name"] = f"population, {share:.0%} slice"
        if "error" not in report:
            report["how"] = (
                f"tables.read_population (reading {report['reading_s']:.1f} s) → evaluate_population on the first "
                f"{info['below']:,} grassroots organisations ({report['subjects']:,} subjects); measured"
                + (
                    f"; final levels equal to the xeploai pipeline's on the same slice: {report['xeploai_agrees']}"
                    if "xeploai_agrees" in report
                    else ""
                )
            )
            points.append((report["subjects"], report["wall_s"], report["peak_mib"]))
        pipelines.append(report)
        print("population", share, {k: v for k, v in report.items() if k != "how"})
    subjects = written["subjects"]
    if len(points) == 2:
        (n1, t1, m1), (n2, t2, m2) = points
        slope_t, slope_m = (t2 - t1) / (n2 - n1), (m2 - m1) / (n2 - n1)
        pipelines.append(
            {
                "name": "population, whole nation",
                "members": written["members"],
                "wall_s": t1 + slope_t * (subjects - n1),
                "peak_mib": m1 + slope_m * (subjects - n1),
                "how": f"EXTRAPOLATED linearly by subjects from the two slices ({slope_t * 1e6:.0f} µs and "
                f"{slope_m * 1e6 / 1024:.1f} KiB per subject)",
            }
        )
    if "error" in main:
        verdict = {"measured": f"the xeploai pipeline failed: {main['error']}", "verdict": "not measured"}
    else:
        met = main["wall_s"] <= 60 and main["peak_mib"] <= 8 * 1024
        verdict = {
            "measured": f"xeploai (parquet.read_bulk → bulk.classify → summary), all {main['subjects']:,} subjects: "
            f"{main['wall_s']:.1f} s and {main['peak_mib'] / 1024:.2f} GiB",
            "verdict": "met" if met else "not met",
        }
    notes = [
        f"The nation's folder: {written['subjects']:,} subject rows ("
        + ", ".join(f"{k.removeprefix('kind ')} {v:,}" for k, v in written.items() if k.startswith("kind "))
        + f"), {written['units']:,} units, {written['records']:,} disciplinary decisions, {written['decisions']:,} "
        "committee decisions. Times are wall seconds of a process of its own, peak memory its ru_maxrss."
    ]
    return {**written, "pipelines": pipelines, "verdict": verdict, "notes": notes}


if __name__ == "__main__":
    child_main()
