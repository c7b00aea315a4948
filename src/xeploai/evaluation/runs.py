"""Runs of several frameworks: one population whose kinds several programs declare → each program's population
result, in the order the linked fields derive, every row accounted for.

Input: the programs of a run (each declaring its own kinds), a ``PopulationInput`` and a period; optionally, for
each kind, why its file was chosen. Output: a ``RunResult``: one ``PopulationResult`` per program (its results
record their framework file and why it was chosen), the rows of kinds no program declares, and the link issues.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from xeploai.evaluation.links import LinkedResult, LinkIssue
from xeploai.evaluation.population import (
    OrderError,
    PopulationInput,
    PopulationResult,
    Progress,
    Rejection,
    apply_persons,
    evaluate_population,
    rejected_rows,
)
from xeploai.evaluation.trace import Result
from xeploai.program import ir
from xeploai.program.issues import suggest


class RunError(Exception):
    """The programs of a run cannot be run together: a kind two of them declare (a usage error)."""


@dataclass(frozen=True)
class RunResult:
    """Every program's population result, in the derived order, and what belongs to no program."""

    parts: tuple[PopulationResult, ...]
    rejections: tuple[Rejection, ...]  # rows of kinds no program declares, and the persons table's problems
    rows_read: int
    link_issues: tuple[LinkIssue, ...] = ()
    unknown_link_kinds: tuple[tuple[str, str, str], ...] = ()  # (file, field, kind) no program of the run declares

    @property
    def results(self) -> tuple[Result, ...]:
        return tuple(r for part in self.parts for r in part.results)

    @property
    def all_rejections(self) -> tuple[Rejection, ...]:
        return (*self.rejections, *(r for part in self.parts for r in part.rejections))

    def reconciles(self) -> bool:
        """Input rows = results of every program + rejected rows (each counted once)."""
        return len(self.results) + rejected_rows(self.all_rejections) == self.rows_read

    def person_results(self, person: str) -> list[Result]:
        """Every result of one person in the run, in the order of the programs."""
        return [r for r in self.results if r.extras.get("person", r.subject_id) == person]


def program_order(programs: Sequence[ir.Program]) -> list[ir.Program]:
    """The programs in the order their linked fields need: a program after every program whose kinds it reads;
    a cycle is an ``OrderError`` naming the kinds that read each other."""
    owner = {kind: i for i, p in enumerate(programs) for kind in p.subjects}
    after: dict[int, set[int]] = {i: set() for i in range(len(programs))}
    reads: dict[tuple[int, int], list[str]] = {}
    for i, program in enumerate(programs):
        for kind, subject in program.subjects.items():
            for f in subject.fields:
                for source in f.link.kinds if f.link else ():
                    j = owner.get(source)
                    if j is not None and j != i:
                        after[i].add(j)
                        reads.setdefault((i, j), []).append(f"{kind} → {source}")
    order: list[int] = []
    while len(order) < len(programs):
        ready = [i for i in range(len(programs)) if i not in order and after[i] <= set(order)]
        if not ready:
            stuck = [i for i in range(len(programs)) if i not in order]
            edges = sorted(e for (i, j), es in reads.items() if i in stuck and j in stuck for e in es)
            raise OrderError("frameworks read each other's kinds in a cycle: " + ", ".join(edges))
        order.extend(ready)
    return [programs[i] for i in order]


def evaluate_run(
    programs: Sequence[ir.Program],
    population: PopulationInput,
    period: ir.Period,
    selected: Mapping[str, ir.Text] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Classify a population whose kinds several programs declare: rows go to the program declaring their kind,
    programs run in the derived order, and a linked field reads the final levels of the programs before it.

    ``selected``: for each kind, why its file was chosen (recorded in each result's ``extras["selected"]``).
    """
    owner: dict[str, ir.Program] = {}
    for program in programs:
        for kind in program.subjects:
            other = owner.get(kind)
            if other is not None and other is not program:
                raise RunError(
                    f"the kind {kind} is declared by two frameworks of the run: {other.info.source} and"
                    f" {program.info.source}"
                )
            owner[kind] = program
    rows_read = population.rows_read or len(population.subjects)
    population = apply_persons(population)
    rejections = [r for r in population.rejections if r.kind is None or r.kind not in owner]
    for row in population.subjects:
        if row.kind not in owner:
            hint = suggest(row.kind, sorted(owner))
            reason = ir.Text(
                f"'{row.kind}' không phải loại đối tượng của khung nào trong lần chạy"
                + (f"; {hint.vi}" if hint else ""),
                f"'{row.kind}' is not a subject kind of any framework of the run" + (f"; {hint.en}" if hint else ""),
            )
            rejections.append(
                Rejection.from_text(row.source, row.row, "kind", row.kind, reason, row.id or None, row.unit, None, True)
            )
    computed: dict[str, list[LinkedResult]] = {}

    def links(person: str, kinds: Sequence[str]) -> list[LinkedResult]:
        return [r for r in computed.get(person, []) if r.kind in kinds]

    parts: list[PopulationResult] = []
    for program in program_order(programs):
        part_input = replace(
            population,
            subjects=tuple(r for r in population.subjects if r.kind in program.subjects),
            rejections=tuple(r for r in population.rejections if r.kind is not None and r.kind in program.subjects),
            rows_read=0,
        )
        part = evaluate_population(program, part_input, period, progress, links)
        part = replace(part, results=tuple(_selected(r, selected) for r in part.results))
        persons = {row.id: row.person_id for row in part_input.subjects}
        for result in part.results:
            person = persons.get(result.subject_id, result.subject_id)
            computed.setdefault(person, []).append(LinkedResult.from_result(result, person, program))
        rejected = {r.subject_id for r in part.rejections if r.subject_row and r.subject_id}
        for row in part_input.subjects:
            if row.id in rejected and row.id not in {r.subject_id for r in part.results}:
                info = program.info
                computed.setdefault(row.person_id, []).append(
                    LinkedResult(row.id, row.kind, row.person_id, info.family, info.version, info.source, "rejected")
                )
        parts.append(part)
    return RunResult(
        parts=tuple(parts),
        rejections=tuple(rejections),
        rows_read=rows_read,
        link_issues=tuple(i for part in parts for i in part.link_issues),
        unknown_link_kinds=unknown_link_kinds(programs),
    )


def unknown_link_kinds(programs: Sequence[ir.Program]) -> tuple[tuple[str, str, str], ...]:
    """Linked fields naming a kind no program of the run declares: (file, kind.field, kind read)."""
    declared = {k for p in programs for k in p.subjects}
    return tuple(
        (p.info.source, f"{kind}.{f.id}", source)
        for p in programs
        for kind, subject in p.subjects.items()
        for f in subject.fields
        for source in (f.link.kinds if f.link else ())
        if source not in declared
    )


def _selected(result: Result, selected: Mapping[str, ir.Text] | None) -> Result:
    reason = selected.get(result.subject_kind) if selected else None
    if reason is None:
        return result
    return replace(result, extras={**result.extras, "selected": {"vi": reason.vi, "en": reason.en}})
