"""How well a framework's entries are sourced: counts of confirmed, secondary and assumed entries per subject kind,
and every entry whose citation carries no quote of the clause.

Input: a compiled program. Output: a ``Fidelity`` report (rows per kind, the entries without a quote), which
``xeploai check --fidelity`` prints and the framework pages print, so the figures in the docs are produced, not typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from xeploai.program import ir

MARKS = (ir.Confidence.CONFIRMED, ir.Confidence.SECONDARY, ir.Confidence.ASSUMED)

# Where an entry stands, besides a subject kind: the framework's quotas and its review process.
QUOTAS = "quotas"
PROCESS = "process"


@dataclass(frozen=True, slots=True)
class Entry:
    """One cited entry: a rule, cap, note or exception of a kind, a quota, or a process declaration."""

    where: str  # a subject kind, QUOTAS or PROCESS
    role: str  # rule, cap, note, exception, quota, rung, gap, ballot, quorum, reading
    id: str
    label: ir.Text
    cite: ir.Citation
    confidence: ir.Confidence

    @property
    def quoted(self) -> bool:
        return bool(self.cite.quote and self.cite.url)


@dataclass(frozen=True, slots=True)
class Fidelity:
    """The entries of one framework, in the order they are declared."""

    source: str
    entries: tuple[Entry, ...]

    def counts(self, where: str | None = None) -> dict[str, int]:
        """Entries per mark, for one kind (or section), or for the whole framework."""
        out = {mark.value: 0 for mark in MARKS}
        for entry in self.entries:
            if where is None or entry.where == where:
                out[entry.confidence.value] += 1
        return out

    def places(self) -> list[str]:
        """The kinds (and sections) that have entries, in order."""
        return list(dict.fromkeys(e.where for e in self.entries))

    def unquoted(self) -> list[Entry]:
        return [e for e in self.entries if not e.quoted]


def fidelity(program: ir.Program) -> Fidelity:
    """Every cited entry of ``program``; an entry a kind inherits unchanged is counted once, under the kind that
    declares it."""
    return Fidelity(program.info.source, tuple(_entries(program)))


def _inherited(program: ir.Program, kind: ir.SubjectProgram) -> ir.SubjectProgram | None:
    return program.subjects.get(kind.extends) if kind.extends else None


_Declared = TypeVar("_Declared", ir.Rule, ir.Cap, ir.Note, ir.FindingException)


def _own(entry: _Declared, parent: list[_Declared]) -> bool:
    return not any(entry == p and entry.span == p.span for p in parent)


def _entries(program: ir.Program) -> Iterator[Entry]:
    for kind_id, kind in program.subjects.items():
        parent = _inherited(program, kind)
        rules = list(parent.rules.values()) if parent else []
        caps = list(parent.caps) if parent else []
        notes = list(parent.notes) if parent else []
        exceptions = list(parent.exceptions) if parent else []
        for rule in kind.rules.values():
            if _own(rule, rules):
                yield Entry(kind_id, "rule", rule.id, rule.label, rule.cite, rule.confidence)
        for cap in kind.caps:
            if _own(cap, caps):
                yield Entry(kind_id, "cap", cap.id, cap.label, cap.cite, cap.confidence)
        for note in kind.notes:
            if _own(note, notes):
                yield Entry(kind_id, "note", note.id, note.label, note.cite, note.confidence)
        for exc in kind.exceptions:
            if _own(exc, exceptions):
                yield Entry(kind_id, "exception", f"{exc.code}:{exc.id}", exc.reason, exc.cite, exc.confidence)
    for quota in program.quotas:
        yield Entry(QUOTAS, "quota", quota.id, quota.label, quota.cite, quota.confidence)
    process = program.process
    if process is None:
        return
    for ladder in process.ladders:
        for rung in ladder.rungs:
            yield Entry(PROCESS, "rung", f"{ladder.id}.{rung.id}", rung.label, rung.cite, rung.confidence)
        for gap in ladder.gaps:
            yield Entry(PROCESS, "gap", f"{ladder.id}.{gap.id}", gap.label, gap.cite, gap.confidence)
    for ballot in process.ballots.values():
        yield Entry(PROCESS, "ballot", ballot.id, ballot.label, ballot.cite, ballot.confidence)
        if ballot.quorum_cite is not None and ballot.quorum_confidence is not None:
            label = ballot.quorum_label or ballot.label
            yield Entry(PROCESS, "quorum", f"{ballot.id}.quorum", label, ballot.quorum_cite, ballot.quorum_confidence)
    for reading in process.readings:
        for option in reading.options:
            yield Entry(PROCESS, "reading", f"{reading.id}.{option.id}", option.label, option.cite, option.confidence)
