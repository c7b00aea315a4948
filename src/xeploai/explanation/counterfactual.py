"""Counterfactuals: the smallest changes of evidence that reach a level.

Input: a program, a subject kind, the subject's raw evidence and the period. Output: verified, minimal sets of
field changes with Vietnamese and English texts.

The search (``counterfactual_search``) derives candidates from the IR and solves them for values
(``counterfactual_domains``); every candidate is then checked by re-evaluating the changed evidence with the same
two stages as ``api.evaluate`` (evidence validation, then the interpreter; ``counterfactual_checker``), and only
what re-evaluation confirms is reported. These modules sit on the program side: they import neither the façade nor
the framework format.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal, assert_never

from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Result
from xeploai.explanation.counterfactual_checker import Checker, current_outcome, evaluate_raw, reaches
from xeploai.explanation.counterfactual_domains import Domain, Num, Records, assignment_key, raw_value, value_rank
from xeploai.explanation.counterfactual_search import MAX_COMBINATIONS, Found, Search, undominated
from xeploai.program import ir

__all__ = [
    "ChangeKind",
    "ChangeSearch",
    "ChangeSet",
    "FieldChange",
    "apply_changes",
    "for_each_higher_level",
    "level_id",
    "levels_not_reached",
    "search_changes",
    "smallest_changes",
    "to_text",
]


ChangeKind = Literal["numeric", "judgement", "flag", "records", "missing"]
_NO_TEXT = ir.Text("", "")


# --- results -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One evidence field changed: its raw value ``before`` (None when missing) and the raw value ``after``.

    ``after`` is what to write in the evidence (a number, a grade's Vietnamese label, a level's code, true/false,
    or the list of records that remain). ``actionable`` is false for recorded facts — records such as a
    disciplinary decision, and yes/no facts that are not judgements — which a review cannot simply redo.
    """

    field: str
    before: object
    after: object
    kind: ChangeKind
    actionable: bool = True
    text: ir.Text = _NO_TEXT


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changes that together reach at least the target level, verified by re-evaluation.

    ``reaches`` is the level the changed evidence gives (the lowest still possible, should some evidence stay
    missing without mattering).
    """

    changes: tuple[FieldChange, ...]
    reaches: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.changes)

    @property
    def actionable(self) -> bool:
        return all(c.actionable for c in self.changes)


@dataclass(frozen=True, slots=True)
class ChangeSearch:
    """The answer to "what is the smallest change that reaches ``target``", with what bounded it.

    ``current`` is the present outcome: a level id or a status (``not_classified``, ``insufficient_evidence``,
    ``left_to_competent_level``, …). ``reached``
    says the evidence already reaches at least the target (then ``sets`` is empty). ``more`` says further minimal
    sets may exist beyond the limit; ``truncated`` says the combination bound was hit, so other minimal sets may
    exist; ``unsolved`` names the rules, triggers and caps for which no change could be derived from the IR.
    """

    kind: str
    target: str
    current: str
    reached: bool
    sets: tuple[ChangeSet, ...]
    more: bool = False
    truncated: bool = False
    unsolved: tuple[str, ...] = ()


# --- the public functions ----------------------------------------------------------------------------------------


def smallest_changes(
    program: ir.Program,
    kind: str,
    raw_evidence: Mapping[str, object],
    period: ir.Period,
    target_level: str,
    *,
    limit: int = 5,
) -> list[ChangeSet]:
    """The minimal sets of evidence changes that make the outcome at least ``target_level``, smallest first.

    Empty when the evidence already reaches the target, or when no change can be derived (see
    ``search_changes`` for which of the two, and for the bounds of the search).
    """
    return list(search_changes(program, kind, raw_evidence, period, target_level, limit=limit).sets)


def for_each_higher_level(
    program: ir.Program, kind: str, raw_evidence: Mapping[str, object], period: ir.Period, *, limit: int = 5
) -> dict[str, list[ChangeSet]]:
    """For every level the evidence does not reach yet (best first, the lowest excluded), its smallest changes."""
    current = evaluate_raw(program, kind, dict(raw_evidence), period)
    return {
        level: smallest_changes(program, kind, raw_evidence, period, level, limit=limit)
        for level in levels_not_reached(program, current)
    }


def levels_not_reached(program: ir.Program, result: Result) -> list[str]:
    """The levels, best first and the lowest excluded, that ``result`` does not reach (see ``reaches``)."""
    ids = [v.id for v in program.levels.values]
    return [level for level in ids[:-1] if not reaches(program, result, level)]


def search_changes(
    program: ir.Program,
    kind: str,
    raw_evidence: Mapping[str, object],
    period: ir.Period,
    target_level: str,
    *,
    limit: int = 5,
    max_combinations: int = MAX_COMBINATIONS,
) -> ChangeSearch:
    """The minimal sets of evidence changes that reach at least ``target_level`` (an id, code or label).

    A set *reaches* the target when the evidence with its changes applied reaches it (see ``reaches``). It is
    *minimal* when no strict subset of its changes reaches it too. Raises ``EvidenceError`` for evidence that
    does not fit the subject kind, and ``ValueError`` for an unknown level.
    """
    target = level_id(program, target_level)
    raw = dict(raw_evidence)
    checker = Checker(program, kind, raw, period, target)
    typed = checker.typed
    base = checker.verified({})
    assert base is not None  # the evidence was just validated
    current = current_outcome(base)
    if reaches(program, base, target):
        return ChangeSearch(kind, target, current, True, ())
    search = Search(program, program.subjects[kind], typed.values, raw, period, target, max_combinations)
    found, more = search.run(checker, base, limit)
    kept = {assignment_key(a) for a in undominated([f.assignment for f in found], search)}
    ordered = [
        (s, f.position)
        for f in found
        if assignment_key(f.assignment) in kept and (s := _change_set(f, search, checker)) is not None
    ]
    sets = [s for s, _ in sorted(ordered, key=lambda pair: (_order(pair[0]), pair[1]))]
    return ChangeSearch(
        kind=kind,
        target=target,
        current=current,
        reached=False,
        sets=tuple(sets[:limit]),
        more=more or len(sets) > limit,
        truncated=search.truncated,
        unsolved=tuple(dict.fromkeys(search.unsolved)),
    )


def apply_changes(raw_evidence: Mapping[str, object], changes: ChangeSet | Iterable[FieldChange]) -> dict[str, object]:
    """The raw evidence with the changes applied (a new mapping; the given one is left as it is)."""
    out = dict(raw_evidence)
    items = changes.changes if isinstance(changes, ChangeSet) else changes
    for change in items:
        out[change.field] = change.after
    return out


def to_text(change_set: ChangeSet, lang: str = "vi") -> str:
    """The changes of a set, one per line, in Vietnamese (default) or English."""
    return "\n".join(f"- {c.text.get(lang)}" for c in change_set.changes)


def level_id(program: ir.Program, text: str) -> str:
    """The id of the level spelt ``text`` (its id, code, Vietnamese or English label, case-insensitive)."""
    wanted = _fold(text)
    for spelling in range(4):
        for value in program.levels.values:
            if _fold((value.id, value.code, value.label.vi, value.label.en)[spelling]) == wanted:
                return value.id
    known = ", ".join(f"{v.id} ({v.code})" for v in program.levels.values)
    raise ValueError(f"unknown level {text!r}; the framework's levels are: {known}")


# --- change sets and their texts ---------------------------------------------------------------------------------


def _order(change_set: ChangeSet) -> tuple[int, int]:
    """Fewest changes first, then fewest recorded facts."""
    return len(change_set.changes), sum(not c.actionable for c in change_set.changes)


def _change_set(found: Found, search: Search, checker: Checker) -> ChangeSet | None:
    """The change set of a minimal set, when re-evaluating the raw evidence with it confirms the target."""
    assignment = found.assignment
    result = checker.verified(assignment)
    if result is None or not reaches(search.program, result, search.target):
        return None
    outcome = result.outcome
    level = outcome.level if outcome.level is not None else min(outcome.possible, key=search.program.levels.rank)
    positions = {f.id: i for i, f in enumerate(search.subject.fields)}
    out: list[FieldChange] = []
    for name in sorted(assignment, key=lambda n: positions.get(n, len(positions))):
        fdef = search.subject.field_def(name)
        assert fdef is not None
        accepted = []
        if name not in search.values:  # a missing field: say which of its values reach the target
            accepted = [x for x in search.candidates(fdef) if checker.works({**assignment, name: x})]
        out.append(_field_change(search, fdef, assignment[name], found.domains.get(name), accepted))
    return ChangeSet(tuple(out), level)


def _field_change(
    search: Search, fdef: ir.FieldDef, value: ir.Value, domain: Domain | None, accepted: Sequence[ir.Value]
) -> FieldChange:
    """One change with its texts; ``accepted`` are the values of a yes/no, scale or enum field that reach the
    target with the other changes of the set."""
    name = fdef.id
    old = search.values.get(name)
    before: object = None
    if name in search.raw:
        before = search.raw[name]
    elif old is not None:  # the declared default
        before = raw_value(search.program, search.raw, name, old)
    kind: ChangeKind
    actionable = True
    match fdef.type:
        case _ if old is None:
            kind = "missing"
        case ir.NumberType():
            kind = "numeric"
        case ir.OrdinalType() | ir.EnumType() | ir.DateType() | ir.TextType() | ir.PeriodType():
            kind = "judgement"
        case ir.BoolType():
            kind = "flag"
            actionable = fdef.judgement  # a yes/no that is not a judgement is a recorded fact
        case ir.RecordsType():
            kind = "records"
            actionable = False
        case _:
            assert_never(fdef.type)
    requirement = _requirement(search, fdef, value, domain, accepted)
    text = _describe(search.program, fdef, kind, old, value, requirement, actionable)
    return FieldChange(name, before, raw_value(search.program, search.raw, name, value), kind, actionable, text)


def _describe(
    program: ir.Program,
    fdef: ir.FieldDef,
    kind: ChangeKind,
    old: ir.Value | None,
    new: ir.Value,
    requirement: ir.Text,
    actionable: bool,
) -> ir.Text:
    name = fdef.id

    def show(value: ir.Value | None, lang: str) -> str:
        return _show(program, value, lang)

    def technical(lang: str) -> str:
        if isinstance(new, tuple):
            count_old = len(old) if isinstance(old, tuple) else 0
            unit = "quyết định" if lang == "vi" else "records"
            return f"({name}: {count_old} → {len(new)} {unit})"
        return f"({name}: {show(old, lang)} → {show(new, lang)})"

    label_vi, label_en = _plain(fdef.label.vi), _plain(fdef.label.en)
    match kind:
        case "missing":
            text = ir.Text(
                f"Cần bổ sung {label_vi} ({name}): {requirement.vi}",
                f"{label_en} ({name}) must be supplied: {requirement.en}",
            )
        case "numeric" if isinstance(new, Fraction) and isinstance(old, Fraction) and _is_count(fdef):
            difference = abs(new - old)
            noun_vi, noun_en = _noun(label_vi, "vi"), _noun(label_en, "en")
            more = new > old
            text = ir.Text(
                f"Cần {'thêm' if more else 'bớt'} {show(difference, 'vi')} {noun_vi} {technical('vi')}",
                f"{show(difference, 'en')} {'more' if more else 'fewer'} {noun_en} {technical('en')}",
            )
        case "numeric":
            text = ir.Text(
                f"{label_vi} phải {requirement.vi} {technical('vi')}",
                f"{label_en} would have to be {requirement.en} {technical('en')}",
            )
        case "judgement" if fdef.judgement:
            text = ir.Text(
                f"{label_vi} phải được đánh giá mức “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en} would have to be graded “{show(new, 'en')}” {technical('en')}",
            )
        case "judgement":
            text = ir.Text(
                f"{label_vi} phải là “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en} would have to be “{show(new, 'en')}” {technical('en')}",
            )
        case "flag":
            text = ir.Text(
                f"{label_vi}: phải là “{show(new, 'vi')}” {technical('vi')}",
                f"{label_en}: would have to be “{show(new, 'en')}” {technical('en')}",
            )
        case "records":
            removed = _removed(program, fdef, old, new)
            text = ir.Text(
                f"{label_vi}: {removed.vi} phải không có hoặc không được tính trong kỳ đánh giá {technical('vi')}",
                f"{label_en}: {removed.en} would have to be absent or not count in the period {technical('en')}",
            )
        case _:
            assert_never(kind)
    if not actionable:
        text = ir.Text(
            f"{text.vi} — sự kiện đã được ghi nhận, không phải việc có thể khắc phục",
            f"{text.en} — a recorded fact, not actionable",
        )
    return text


def _is_count(fdef: ir.FieldDef) -> bool:
    return isinstance(fdef.type, ir.NumberType) and fdef.type.integer


def _requirement(
    search: Search, fdef: ir.FieldDef, value: ir.Value, domain: Domain | None, accepted: Sequence[ir.Value]
) -> ir.Text:
    """What the field's value must be: for a number, the bound solved for it ("under 3 (for example 2.9)"); for
    a yes/no, scale or enum field, the values that reach the target with the rest of the set ("“Tốt” or
    better")."""
    program = search.program
    everything = search.candidates(fdef)
    shown = ir.Text(_show(program, value, "vi"), _show(program, value, "en"))
    if everything and accepted:
        ranks = [value_rank(x) for x in accepted]
        low = min(accepted, key=value_rank)
        low_shown = ir.Text(_show(program, low, "vi"), _show(program, low, "en"))
        top = max(value_rank(x) for x in everything)
        if isinstance(value, bool) or len(accepted) == 1:
            return ir.Text(f"“{shown.vi}”", f"“{shown.en}”")
        if ranks == list(range(min(ranks), top + 1)):
            return ir.Text(f"“{low_shown.vi}” trở lên", f"“{low_shown.en}” or better")
        listed = [ir.Text(_show(program, x, "vi"), _show(program, x, "en")) for x in accepted]
        return ir.Text(
            "một trong " + ", ".join(f"“{t.vi}”" for t in listed), "one of " + ", ".join(f"“{t.en}”" for t in listed)
        )
    match domain:
        case Num(points=None) if domain.lo is not None or domain.hi is not None:
            parts = []
            if domain.lo is not None:
                lo = ir.Text(_show(program, domain.lo, "vi"), _show(program, domain.lo, "en"))
                parts.append(
                    ir.Text(f"trên {lo.vi}", f"over {lo.en}")
                    if domain.lo_open
                    else ir.Text(f"từ {lo.vi} trở lên", f"at least {lo.en}")
                )
            if domain.hi is not None:
                hi = ir.Text(_show(program, domain.hi, "vi"), _show(program, domain.hi, "en"))
                parts.append(
                    ir.Text(f"dưới {hi.vi}", f"under {hi.en}")
                    if domain.hi_open
                    else ir.Text(f"không quá {hi.vi}", f"at most {hi.en}")
                )
            return ir.Text(
                f"{' và '.join(p.vi for p in parts)} (ví dụ {shown.vi})",
                f"{' and '.join(p.en for p in parts)} (for example {shown.en})",
            )
        case Records():
            return ir.Text("danh sách không có quyết định nào được tính", "a list with no record that counts")
        case _:
            return ir.Text(f"“{shown.vi}”", f"“{shown.en}”")


def _removed(program: ir.Program, fdef: ir.FieldDef, old: ir.Value | None, new: ir.Value) -> ir.Text:
    kept = {r.index for r in new if isinstance(r, ir.Record)} if isinstance(new, tuple) else set()
    gone = [r for r in old if isinstance(r, ir.Record) and r.index not in kept] if isinstance(old, tuple) else []
    record_def = program.records.get(fdef.type.record) if isinstance(fdef.type, ir.RecordsType) else None

    def describe(record: ir.Record, lang: str) -> str:
        fields = record_def.fields if record_def else ()
        shown = [_show(program, record.values[f.id], lang) for f in fields if f.id in record.values]
        return ", ".join(s for s in shown if s not in ("không", "no"))

    noun = record_def.label if record_def else ir.Text("bản ghi", "record")
    return ir.Text(
        "; ".join(f"{noun.vi} ({describe(r, 'vi')})" for r in gone) or noun.vi,
        "; ".join(f"the {noun.en.lower()} ({describe(r, 'en')})" for r in gone) or noun.en,
    )


def _show(program: ir.Program, value: ir.Value | None, lang: str) -> str:
    match value:
        case None:
            return "(thiếu)" if lang == "vi" else "(missing)"
        case bool():
            return ("có" if value else "không") if lang == "vi" else ("yes" if value else "no")
        case Fraction():
            shown = interpreter.display(value)
            text = str(shown)
            return text.replace(".", ",") if lang == "vi" else text
        case ir.Ordinal(scale=scale_id, id=value_id):
            if scale_id == ir.LEVEL_SCALE:
                return program.level_code(value_id)
            for v in program.scales[scale_id].values:
                if v.id == value_id:
                    return v.label.get(lang)
            return value_id
        case ir.EnumValue(name=enum_id, id=value_id):
            enum = program.enums.get(enum_id)
            for v in enum.values if enum else ():
                if v.id == value_id:
                    return v.label.get(lang)
            return value_id
        case date():
            return value.isoformat()
        case tuple():
            return str(len(value))
        case ir.Period() | str():
            return str(value)
        case _:
            assert_never(value)


def _plain(label: str) -> str:
    """A label without its trailing parenthetical remark."""
    if label.endswith(")") and " (" in label:
        return label[: label.rindex(" (")]
    return label


def _noun(label: str, lang: str) -> str:
    """A count's label as the noun after "2 more": "Số chỉ tiêu đã hoàn thành" → "chỉ tiêu đã hoàn thành"."""
    text = label
    if lang == "vi":
        for prefix in ("Số ", "Tổng số "):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()
