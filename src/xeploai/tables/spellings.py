"""Level names as people write them: ``HTXSNV``, ``HTXS``, "Hoàn thành xuất sắc nhiệm vụ", "hoan thanh tot" …

Input: a program (its level scale and the spellings its ``process.level_aliases`` declares) and text as typed.
Output: the level id, or a rejection naming the row, the column, the value and the spellings accepted.
Spellings are compared without case, repeated spaces or Vietnamese diacritics. ``read_population`` reads a
population whose level columns use any declared spelling; every other spelling rejects its row.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

from xeploai.evaluation.population import PopulationInput, Rejection, SubjectRow
from xeploai.program import ir

__all__ = ["LevelSpellings", "normalize_population", "read_population", "spellings", "text_levels"]


def fold(text: str) -> str:
    """Case, spaces and diacritics dropped: how spellings are compared.

    >>> fold("  Hoàn thành  XUẤT SẮC nhiệm vụ "), fold("Đạt")
    ('hoan thanh xuat sac nhiem vu', 'dat')
    """
    decomposed = unicodedata.normalize("NFD", " ".join(unicodedata.normalize("NFC", text).casefold().split()))
    return "".join(c for c in decomposed.replace("đ", "d") if not unicodedata.combining(c))


@dataclass(frozen=True)
class LevelSpellings:
    """Every accepted spelling of every level: id, code, labels and the framework's aliases."""

    by_spelling: Mapping[str, str]  # folded spelling → level id
    shown: Mapping[str, tuple[str, ...]]  # level id → spellings as declared, for messages
    codes: Mapping[str, str]  # level id → code

    def resolve(self, text: object) -> str | None:
        """The level id ``text`` spells, or None."""
        if not isinstance(text, str):
            return None
        return self.by_spelling.get(fold(text))

    def expected(self) -> str:
        return "; ".join(f"{self.codes[level]} ({', '.join(names)})" for level, names in self.shown.items())

    def reason(self, value: object, what: str = "level") -> str:
        return f"{value!r} is not a {what}; expected one of: {self.expected()} (case and diacritics are ignored)"

    def reason_text(self, value: object) -> ir.Text:
        """``reason`` for a level, in Vietnamese and English."""
        expected = self.expected()
        return ir.Text(
            f"{value!r} không phải một mức xếp loại; cần một trong: {expected} (không phân biệt hoa thường và dấu)",
            self.reason(value),
        )


def spellings(program: ir.Program) -> LevelSpellings:
    """The spellings of ``program``'s levels; a declared alias never takes a spelling of another level."""
    by_spelling: dict[str, str] = {}
    shown: dict[str, list[str]] = {}
    aliases = program.process.level_aliases if program.process else {}
    for value in program.levels.values:
        names = [value.code, value.label.vi, value.label.en, value.id]
        shown[value.id] = [value.code, value.label.vi, *aliases.get(value.id, ())]
        for name in names:
            by_spelling.setdefault(fold(name), value.id)
    for value in program.levels.values:
        for alias in aliases.get(value.id, ()):
            by_spelling.setdefault(fold(alias), value.id)
    codes = {v.id: v.code for v in program.levels.values}
    return LevelSpellings(by_spelling, {k: tuple(dict.fromkeys(v)) for k, v in shown.items()}, codes)


# --- populations ------------------------------------------------------------------------------------------------


def _is_level(ftype: ir.ValueType) -> bool:
    return isinstance(ftype, ir.OrdinalType) and ftype.scale == ir.LEVEL_SCALE


def _as_text(fdef: ir.FieldDef, levels: ir.Scale) -> ir.FieldDef:
    if not _is_level(fdef.type):
        return fdef
    default = fdef.default
    shown = None
    if isinstance(default, ir.Ordinal):
        shown = next(v.code for v in levels.values if v.id == default.id)
    return replace(fdef, type=ir.TextType(), default=shown)


def text_levels(program: ir.Program) -> ir.Program:
    """``program`` with every level-typed field (records included) read as text, for ``normalize_population``."""
    subjects = {
        kind: replace(s, fields=tuple(_as_text(f, program.levels) for f in s.fields))
        for kind, s in program.subjects.items()
    }
    records = {
        rid: replace(r, fields=tuple(_as_text(f, program.levels) for f in r.fields))
        for rid, r in program.records.items()
    }
    return replace(program, subjects=subjects, records=records)


def normalize_population(program: ir.Program, population: PopulationInput) -> PopulationInput:
    """Every level-typed value of every subject row spelled as its level's code; rows with another spelling rejected.

    A rejected row keeps its place in the counts: ``rows_read`` is unchanged and the row is listed with the column
    and the value.
    """
    known = spellings(program)
    kept: list[SubjectRow] = []
    rejections = list(population.rejections)
    for row in population.subjects:
        subject = program.subjects.get(row.kind)
        if subject is None:
            kept.append(row)
            continue
        evidence = dict(row.evidence)
        problems: list[Rejection] = []
        for fdef in subject.fields:
            if fdef.id not in evidence:
                continue
            column = row.columns.get(fdef.id, fdef.id)
            if _is_level(fdef.type):
                evidence[fdef.id] = _level(known, evidence[fdef.id], row, column, fdef.id, problems)
            elif isinstance(fdef.type, ir.RecordsType) and isinstance(evidence[fdef.id], list):
                record = program.records.get(fdef.type.record)
                level_fields = [f.id for f in record.fields if _is_level(f.type)] if record else []
                items: list[object] = []
                listed: list[object] = list(evidence[fdef.id])  # type: ignore[call-overload]
                for position, item in enumerate(listed):
                    if isinstance(item, Mapping):
                        copy = dict(item)
                        for sub in level_fields:
                            if sub in copy:
                                where = f"{column}[{position + 1}].{sub}"
                                copy[sub] = _level(known, copy[sub], row, where, f"{fdef.id}.{sub}", problems)
                        item = copy
                    items.append(item)
                evidence[fdef.id] = items
        if problems:
            rejections.extend(problems)
            continue
        kept.append(replace(row, evidence=evidence))
    return replace(
        population,
        subjects=tuple(kept),
        rejections=tuple(rejections),
        rows_read=population.rows_read or len(population.subjects),
    )


def _level(
    known: LevelSpellings, value: object, row: SubjectRow, column: str, name: str, problems: list[Rejection]
) -> object:
    if not isinstance(value, str):
        return value
    level = known.resolve(value)
    if level is None:
        why = known.reason_text(value)
        reason = ir.Text(f"{name}: {why.vi}", f"{name}: {why.en}")
        where = (row.source, row.row, column, value)
        problems.append(Rejection.from_text(*where, reason, row.id, row.unit, row.kind, subject_row=True))
        return value
    return known.codes[level]


def read_population(path: str | os.PathLike[str], program: ir.Program) -> PopulationInput:
    """``reader.read_population`` accepting every declared spelling of a level, and rejecting any other.

    The population is read with level columns as text, then each value is resolved through ``spellings``: a row
    whose level cannot be resolved is rejected with its row, column and value, like any other bad cell.
    """
    from xeploai.tables import reader

    return normalize_population(program, reader.read_population(path, text_levels(program)))
