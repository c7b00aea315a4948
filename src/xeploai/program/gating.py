"""Rule readings: the program as one choice of options of its ``rules`` readings reads the clauses.

Input: a program whose rules, caps or notes say ``reading: <id>`` (a ``rules`` reading of ``process.readings``)
and a choice (reading id → option id; each reading's default otherwise). Output: the program in which only the
gated entries that the chosen options list in ``enables`` remain; the others are gone from the kind's rules, its
level requirements, its not-classified and not-completed lists, its caps and notes. Each remaining gated entry
carries the choice (``chosen``) and the lower of its own confidence and the option's, so every outcome it decides
cites the reading. Runners evaluate the selected program as any other, so they need no knowledge of readings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TypeVar

from xeploai.program import ir

__all__ = ["rule_readings", "select"]

E = TypeVar("E", ir.Rule, ir.Cap, ir.Note)
_ORDER = (ir.Confidence.ASSUMED, ir.Confidence.SECONDARY, ir.Confidence.CONFIRMED)


def rule_readings(program: ir.Program) -> tuple[ir.Reading, ...]:
    """The readings of ``program`` that switch rules, caps or notes on and off."""
    process = program.process
    if process is None:
        return ()
    return tuple(r for r in process.readings if r.parameter is ir.ReadingParameter.RULES)


def _lower(a: ir.Confidence, b: ir.Confidence) -> ir.Confidence:
    return a if _ORDER.index(a) <= _ORDER.index(b) else b


def select(program: ir.Program, choice: Mapping[str, str] | None = None) -> ir.Program:
    """``program`` under ``choice`` (merged over the choice it was selected with; defaults otherwise).

    Raises ``KeyError`` for an option the reading does not have (callers check names first).
    """
    full = program.ungated or program
    readings = rule_readings(full)
    chosen_ids = {**program.choice, **(choice or {})}
    picked: dict[str, ir.ReadingChoice] = {}
    enabled: dict[str, set[str]] = {}
    for reading in readings:
        option = reading.option(chosen_ids.get(reading.id, reading.default))
        picked[reading.id] = ir.ReadingChoice(
            reading.id,
            option.id,
            reading.label,
            option.label,
            option.cite,
            option.confidence,
            option.id == reading.default,
        )
        enabled[reading.id] = set(option.enables)
    if not readings:
        return program

    def on(reading: str | None, entry_id: str) -> bool:
        return reading is None or entry_id in enabled.get(reading, set())

    def mark(entry: E) -> E:
        if entry.reading is None or entry.reading not in picked:
            return entry
        gate = picked[entry.reading]
        return replace(entry, chosen=gate, confidence=_lower(entry.confidence, gate.confidence))

    subjects: dict[str, ir.SubjectProgram] = {}
    for kind, subject in full.subjects.items():
        rules = {rid: mark(r) for rid, r in subject.rules.items() if on(r.reading, rid)}
        subjects[kind] = replace(
            subject,
            rules=rules,
            not_classified=tuple(r for r in subject.not_classified if r in rules),
            not_completed=tuple(r for r in subject.not_completed if r in rules),
            levels=tuple(replace(level, rules=tuple(r for r in level.rules if r in rules)) for level in subject.levels),
            caps=tuple(mark(c) for c in subject.caps if on(c.reading, c.id)),
            notes=tuple(mark(n) for n in subject.notes if on(n.reading, n.id)),
        )
    return replace(
        program,
        subjects=subjects,
        choice={reading_id: gate.option for reading_id, gate in picked.items()},
        ungated=full,
    )
