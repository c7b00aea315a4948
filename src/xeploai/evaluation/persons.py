"""Persons: the persons table of a population → subject rows that each belong to a listed person.

Input: a ``PopulationInput`` whose subject rows may name a person (``person``; empty: the row's own id) and whose
persons table (``persons``) may list them. Output: the same input with the rows of unknown persons and the persons
listed twice rejected, and every empty subject name taken from its person.
"""

from __future__ import annotations

from dataclasses import replace

from xeploai.evaluation.population import Person, PopulationInput, Rejection, SubjectRow
from xeploai.program import ir


def apply_persons(population: PopulationInput) -> PopulationInput:
    """Check the subject rows against the persons table, when there is one; without one, any person id goes.

    >>> from xeploai.evaluation.population import Unit
    >>> rows = (SubjectRow("S1", "U", "k", None, {}, 1, "s.csv", person="P1"), SubjectRow("S2", "U", "k", "", {}, 2,
    ...     "s.csv", person="P9"))
    >>> out = apply_persons(PopulationInput((), rows, persons=(Person("P1", "Lê Văn A"),)))
    >>> [r.name for r in out.subjects], [(r.row, r.column, r.value) for r in out.rejections]
    (['Lê Văn A'], [(2, 'person', 'P9')])
    """
    if not population.persons:
        return population
    rejections = list(population.rejections)
    known: dict[str, Person] = {}
    for person in population.persons:
        if not person.id:
            reason = ir.Text("người phải có mã", "a person needs an id")
            rejections.append(Rejection.from_text(person.source, person.row, "id", person.id, reason))
        elif person.id in known:
            first = known[person.id]
            reason = ir.Text(
                f"mã cá nhân '{person.id}' xuất hiện hai lần (dòng {first.row} và {person.row}); giữ dòng đầu tiên",
                f"the person id '{person.id}' appears twice (rows {first.row} and {person.row}); the first is kept",
            )
            rejections.append(Rejection.from_text(person.source, person.row, "id", person.id, reason))
        else:
            known[person.id] = person
    rows: list[SubjectRow] = []
    for row in population.subjects:
        holder = known.get(row.person_id)
        if holder is None:
            reason = ir.Text(
                f"người '{row.person_id}' không có trong bảng cá nhân (persons)",
                f"the person '{row.person_id}' is not in the persons table",
            )
            rejections.append(
                Rejection.from_text(
                    row.source, row.row, "person", row.person_id, reason, row.id or None, row.unit, row.kind, True
                )
            )
            continue
        rows.append(row if row.name else replace(row, name=holder.name or None))
    # The persons kept: applying the table again (a run, then each of its frameworks) rejects nothing twice.
    return replace(
        population,
        subjects=tuple(rows),
        rejections=tuple(rejections),
        persons=tuple(known.values()),
        has_persons=True,
    )
