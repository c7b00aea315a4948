"""Tables, reading for a run of several frameworks: one population read once per framework → one input.

Input: a population path and the programs of a run. Output: one ``PopulationInput`` whose rows are each read
by the program declaring their kind, with the problems every reading agrees on (a row of a kind no program
declares, a broken unit) reported once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from xeploai.evaluation.population import CommitteeDecision, PopulationInput, Rejection, SubjectRow
from xeploai.program import ir
from xeploai.program.issues import suggest
from xeploai.tables.reader import read_population


def _key(r: Rejection) -> tuple[object, ...]:
    return (r.source, r.row, r.column, r.reason, r.subject_id)


def _whole_run(rejection: Rejection, programs: Sequence[ir.Program]) -> Rejection:
    """An unknown kind's rejection, its did-you-mean taken from every program of the run."""
    kinds = sorted({k for p in programs for k in p.subjects})
    hint = suggest(str(rejection.value), kinds)
    vi = f"'{rejection.value}' không phải loại đối tượng của khung nào trong lần chạy ({', '.join(kinds)})"
    en = f"'{rejection.value}' is not a subject kind of any framework of the run ({', '.join(kinds)})"
    reason = ir.Text(vi + (f"; {hint.vi}" if hint else ""), en + (f"; {hint.en}" if hint else ""))
    return replace(rejection, reason=reason.en, reason_vi=reason.vi)


def read_run_population(path: str | os.PathLike[str], programs: Sequence[ir.Program]) -> PopulationInput:
    """Read a population whose kinds several programs declare: each subject row as the program of its kind reads
    it; what is wrong for every program (units, unknown kinds, a malformed row) once."""
    parts = [read_population(path, program) for program in programs]
    if len(parts) == 1:
        return parts[0]
    rows: list[SubjectRow] = []
    kept: list[Rejection] = []
    placed: set[tuple[str, int | None, str | None]] = set()  # rows a program took (read, or rejected as its kind)
    for program, part in zip(programs, parts, strict=True):
        rows.extend(r for r in part.subjects if r.kind in program.subjects)
        placed |= {(r.source, r.row, r.id) for r in part.subjects if r.kind in program.subjects}
        own = [r for r in part.rejections if r.kind is not None and r.kind in program.subjects]
        placed |= {(r.source, r.row, r.subject_id) for r in own if r.subject_row}
        fields = {f.id for k in {r.kind for r in part.subjects} for f in program.subjects[k].fields}
        kept.extend(own)
        kept.extend(r for r in part.rejections if r.row is None and r.kind is None and r.column in fields)
    # A subject row no program took is rejected by every reading (each with its own did-you-mean): the first
    # reading's words are kept. Other problems (units, decisions, persons, notes) are kept when all agree.
    everywhere = set.intersection(*({_key(r) for r in part.rejections} for part in parts))
    rows_everywhere = set.intersection(
        *({(r.source, r.row, r.subject_id) for r in part.rejections if r.subject_row} for part in parts)
    )
    seen = {_key(r) for r in kept}
    for r in parts[0].rejections:
        key = _key(r)
        where = (r.source, r.row, r.subject_id)
        if key in seen or where in placed:
            continue
        if (r.subject_row and where in rows_everywhere) or (not r.subject_row and key in everywhere):
            kept.append(_whole_run(r, programs) if r.subject_row and r.column == "kind" else r)
            seen.add(key)
    decisions: dict[tuple[str, str], CommitteeDecision] = {}
    for part in parts:
        for d in part.decisions:
            decisions.setdefault((d.quota, d.group), d)
    first = parts[0]
    return replace(
        first,
        subjects=tuple(sorted(rows, key=lambda r: (r.source, r.row if r.row is not None else -1))),
        decisions=tuple(decisions.values()),
        rejections=tuple(kept),
        has_persons=any(p.has_persons for p in parts),
    )
