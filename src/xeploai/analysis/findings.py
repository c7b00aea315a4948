"""Whole-framework analysis, findings: what the search for one subject kind saw → ``Finding`` records (levels no
evidence reaches, the gap below the lowest level, rules that never hold or never fail, shadowed list entries, better
evidence giving a worse level), each with evidence documents re-evaluated through ``inputs.evaluate``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from xeploai.analysis.domains import OMIT, Assignment
from xeploai.analysis.explorer import Explorer, Violation, trace_truths
from xeploai.analysis.walk import key_id, key_name, key_path, owner_of, path_text
from xeploai.evaluation import inputs
from xeploai.evaluation.trace import Decision, Status, Truth
from xeploai.program import ir
from xeploai.program.issues import Issue

__all__ = ["Counterexample", "Finding"]


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counterexample:
    """An evidence document and what ``inputs.evaluate`` gave for it.

    ``evidence`` is what an evidence file holds under ``evidence:``; ``relations`` the related subjects of a
    collective (``members: [{level: good, ...}]``), which a population supplies in real runs. ``truths`` gives
    the truth of the rules, caps (``cap:<id>``) and notes (``note:<id>``) the finding is about.
    """

    role: str  # witness | closest | before | after | suggested-test
    evidence: Mapping[str, object]
    relations: Mapping[str, object]
    period: str
    outcome: str  # a level id, not_classified or insufficient_evidence
    truths: Mapping[str, str] = field(default_factory=dict)

    def to_document(self, kind: str) -> dict[str, object]:
        """The counterexample as an evidence file (``xeploai evaluate`` reads it when it has no relations)."""
        document: dict[str, object] = {
            "subject": {"kind": kind},
            "period": self.period,
            "evidence": dict(self.evidence),
        }
        if self.relations:
            document["relations"] = dict(self.relations)
        return document

    def to_json(self) -> dict[str, object]:
        return {
            "role": self.role,
            "outcome": self.outcome,
            "period": self.period,
            "evidence": dict(self.evidence),
            "relations": dict(self.relations),
            "truths": dict(self.truths),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of the analysis: an ``Issue`` (code, message, path, span) with its evidence documents."""

    code: str
    kind: str  # the subject kind it was found in ("" for record types)
    path: str  # where to look in the framework document
    span: ir.Span | None
    message: ir.Text
    counterexamples: tuple[Counterexample, ...] = ()
    involves: tuple[str, ...] = ()  # ids of the rules, caps, notes, fields and levels concerned
    kinds: tuple[str, ...] = ()  # every subject kind it was found in
    exhaustive: bool = False  # for "never" findings: every boundary-value combination was tried
    declared: bool = False  # the framework (or the caller) declares it intended
    severity: str = "warning"
    exception: ir.FindingException | None = None  # the framework's declaration, when it declares it

    def to_issue(self, lang: str = "en") -> Issue:
        """The finding as an issue carrying both languages (the renderer picks one; ``lang`` is kept for callers)."""
        del lang
        hint = None
        if self.declared:
            hint = ir.Text(
                "đã được khai báo là ngoại lệ của khung tiêu chí", "declared as an exception of the framework"
            )
        if self.exception is not None and hint is not None:
            e = self.exception
            where = f"({e.cite.doc}, {e.cite.at}; {e.confidence.value}; {e.span})"
            hint = ir.Text(f"{hint.vi}: {e.reason.vi} {where}", f"{hint.en}: {e.reason.en} {where}")
        return Issue.from_text(self.code, self.message, self.path, self.span, hint, self.severity)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "kind": self.kind,
            "kinds": list(self.kinds),
            "path": self.path,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "col": self.span.col if self.span else None,
            "message": {"vi": self.message.vi, "en": self.message.en},
            "involves": list(self.involves),
            "exhaustive": self.exhaustive,
            "declared": self.declared,
            "exception": _exception_json(self.exception),
            "counterexamples": [c.to_json() for c in self.counterexamples],
        }


def _exception_json(e: ir.FindingException | None) -> dict[str, object] | None:
    if e is None:
        return None
    known = e.span != ir.NO_SPAN
    return {
        "code": e.code,
        "id": e.id,
        "reason": {"vi": e.reason.vi, "en": e.reason.en},
        "cite": {"doc": e.cite.doc, "at": e.cite.at, "sources": list(e.cite.sources)},
        "confidence": e.confidence.value,
        "file": e.span.file if known else None,
        "line": e.span.line if known else None,
        "col": e.span.col if known else None,
    }


# --- the findings of one subject kind ---------------------------------------------------------------------------


def counterexample(
    search: Explorer, role: str, assignment: Assignment, keys: Sequence[str] = ()
) -> Counterexample | None:
    """The assignment re-evaluated through ``inputs.evaluate`` (never from the cache)."""
    typed = search.space.strict(assignment)
    if typed is None:
        return None
    result = inputs.evaluate(search.program, search.kind, typed, period=search.period)
    truths = trace_truths(result.trace)
    missing = [k for k in keys if k not in truths]
    if missing:
        probed = search.probe(missing, assignment) or []
        truths.update(zip(missing, probed, strict=False))
    outcome = result.outcome
    evidence, relations = search.space.split(assignment)
    shown = outcome.level if outcome.status is Status.CLASSIFIED and outcome.level else outcome.status.value
    return Counterexample(
        role,
        evidence,
        relations,
        _period_text(search.period),
        shown,
        {k: truths[k].value for k in keys if k in truths},
    )


def kind_findings(search: Explorer) -> list[Finding]:
    """What one subject kind's search found: unreached levels and the gap, conditions that never change, shadowed
    entries, better evidence giving a worse level."""
    out: list[Finding] = []
    out.extend(_level_findings(search))
    out.extend(_truth_findings(search))
    out.extend(_shadow_findings(search))
    out.extend(_monotone_findings(search))
    return out


def _level_findings(search: Explorer) -> list[Finding]:
    out: list[Finding] = []
    level_code = search.program.level_code
    s = search.subject
    for level in search.levels:
        if level in search.reached:
            continue
        code = level_code(level)
        requirement = next((r for r in s.levels if r.level == level), None)
        if requirement is not None:
            path = f"subjects.{owner_of(search.program, search.kind, 'levels', level)}.levels.{level}"
            span: ir.Span | None = requirement.span
            keys: tuple[str, ...] = requirement.rules
        else:
            path = f"subjects.{owner_of(search.program, search.kind, 'not_completed', '')}.not_completed"
            span = s.span
            keys = s.not_completed
        closest = search.closest.get(level)
        examples: list[Counterexample] = []
        if closest is not None:
            (simple,) = search.simplify([closest[1].assignment], search.as_close(level, closest[0]))
            example = counterexample(search, "closest", simple, keys)
            if example is not None:
                examples.append(example)
        out.append(
            Finding(
                "level-never-reached",
                search.kind,
                path,
                span,
                ir.Text(
                    f"không bộ minh chứng nào trong {len(search.cache)} bộ đã thử cho '{search.kind}' đạt mức {code} "
                    f"('{level}'){' (đã thử mọi tổ hợp giá trị biên)' if search.complete else ''}",
                    f"none of the {len(search.cache)} evidence documents tried for '{search.kind}' reaches {code} "
                    f"('{level}'){' (every combination of the boundary values)' if search.complete else ''}",
                ),
                tuple(examples),
                (level, *keys),
                exhaustive=search.complete,
            )
        )
    if search.gap is not None and s.levels:
        last = s.levels[-1]
        lowest = search.lowest
        (simple,) = search.simplify(
            [search.gap[1].assignment], lambda x: x[0].outcome.decision is Decision.BELOW_LOWEST
        )
        example = counterexample(search, "witness", simple, (*s.not_completed, *last.rules))
        if example is not None and example.outcome == lowest:
            failed = [k for k in last.rules if example.truths.get(k) == Truth.NOT_MET.value]
            code, above = level_code(lowest), level_code(last.level)
            out.append(
                Finding(
                    "level-gap",
                    search.kind,
                    f"subjects.{owner_of(search.program, search.kind, 'levels', last.level)}.levels.{last.level}",
                    last.span,
                    ir.Text(
                        f"minh chứng không đạt yêu cầu của mức nào và không vướng trường hợp {code} nào vẫn bị xếp "
                        f"{code} theo mặc định (không đạt {above}: {', '.join(failed)})",
                        f"evidence that meets no level and triggers no {code} rule still falls to {code} by "
                        f"default (it fails {above}: {', '.join(failed)})",
                    ),
                    (example,),
                    (lowest, last.level, *failed),
                )
            )
    return out


def _truth_findings(search: Explorer) -> list[Finding]:
    out: list[Finding] = []
    for key in search.exprs:
        if key.startswith("__probe__"):
            continue
        seen = search.seen[key]
        if not seen:
            continue  # always unknown: reads nothing the search can supply
        path, span = key_path(search.program, search.kind, key)
        vi_name, en_name = key_name(key)
        fields = ", ".join(search.reads[key]) or "-"
        how_en = "every combination of the boundary values" if search.exhaustive[key] else "a sample"
        how_vi = "mọi tổ hợp giá trị biên" if search.exhaustive[key] else "một mẫu"
        for missing, code, word_vi, word_en in (
            (Truth.MET, "rule-never-holds", "không bao giờ đúng", "never holds"),
            (Truth.NOT_MET, "rule-always-holds", "luôn đúng", "never fails"),
        ):
            if missing in seen:
                continue
            other = Truth.NOT_MET if missing is Truth.MET else Truth.MET
            example = counterexample(search, "closest", seen[other][0], (key,))
            examples = (example,) if example is not None else ()
            out.append(
                Finding(
                    code,
                    search.kind,
                    path,
                    span,
                    ir.Text(
                        f"{vi_name} {word_vi} với {search.tried[key]} bộ minh chứng đã thử ({how_vi} của {fields})",
                        f"{en_name} {word_en} for the {search.tried[key]} evidence combinations tried ({how_en} "
                        f"of {fields})",
                    ),
                    examples,
                    (key_id(key),),
                    exhaustive=search.exhaustive[key] and bool(search.tried[key]),
                )
            )
    return out


def _shadow_findings(search: Explorer) -> list[Finding]:
    out: list[Finding] = []
    s = search.subject
    lists: list[tuple[str, str, tuple[str, ...], bool]] = [
        ("not_classified", "", s.not_classified, False),
        ("not_completed", "", s.not_completed, False),
        *(("levels", r.level, r.rules, True) for r in s.levels),
    ]
    for what, level, entries, conjunctive in lists:
        reported: set[str] = set()
        for i, a in enumerate(entries):
            for j, b in enumerate(entries):
                if a == b or (a, b) not in search.pair_exhaustive or (a, b) in search.refuted:
                    continue
                if (a, b) not in search.pair_witness:
                    continue  # a never holds alongside b: reported as never holding instead
                # In an "all" list, b adds nothing when a implies it; in an "any" list, a adds nothing.
                shadowed, by, index = (b, a, j) if conjunctive else (a, b, i)
                if Truth.NOT_MET not in search.seen.get(shadowed, {}) and conjunctive:
                    continue  # b always holds: reported as such
                if (by, shadowed) not in search.refuted and (entries.index(by) > entries.index(shadowed)):
                    continue  # equivalent entries: report the later one only
                if shadowed in reported:
                    continue
                reported.add(shadowed)
                owner = owner_of(search.program, search.kind, what, level)
                where = f"subjects.{owner}.{what}" + (f".{level}" if level else "") + f"[{index}]"
                example = counterexample(search, "witness", search.pair_witness[(a, b)], (a, b))
                name = f"levels.{level}" if level else what
                if conjunctive:
                    text = ir.Text(
                        f"trong {name}, '{b}' luôn đúng khi '{a}' đúng nên không bao giờ quyết định kết quả",
                        f"in {name}, '{b}' holds whenever '{a}' holds, so it never decides the outcome",
                    )
                else:
                    text = ir.Text(
                        f"trong {name}, '{a}' chỉ đúng khi '{b}' cũng đúng nên không bao giờ quyết định kết quả",
                        f"in {name}, '{a}' holds only when '{b}' holds too, so it never decides the outcome",
                    )
                requirement_span = next((r.span for r in s.levels if r.level == level), s.span)
                out.append(
                    Finding(
                        "shadowed-rule",
                        search.kind,
                        where,
                        s.rules[shadowed].span if shadowed in s.rules else requirement_span,
                        text,
                        (example,) if example is not None else (),
                        (shadowed, by),
                        exhaustive=search.pair_exhaustive[(a, b)],
                    )
                )
    return out


def _confirmed(search: Explorer, violation: Violation) -> tuple[Counterexample, Counterexample] | None:
    """The violation's two documents, simplified and re-evaluated; None unless the level really drops."""
    pair = search.simplify([violation.before.assignment, violation.after.assignment], search.worse, violation.path[0])
    before = counterexample(search, "before", pair[0], violation.culprits)
    after = counterexample(search, "after", pair[1], violation.culprits)
    if before is None or after is None or before.outcome not in search.levels or after.outcome not in search.levels:
        return None
    if search.program.levels.rank(after.outcome) >= search.program.levels.rank(before.outcome):
        return None
    return before, after


def _monotone_findings(search: Explorer) -> list[Finding]:
    out: list[Finding] = []
    level_code = search.program.level_code
    both_ways: dict[tuple[str, ...], list[tuple[Violation, Counterexample, Counterexample]]] = {}
    for key, violation in sorted(search.violations.items()):
        pair = _confirmed(search, violation)
        if pair is None:
            continue
        before, after = pair
        if key.startswith("~"):
            both_ways.setdefault(violation.path, []).append((violation, before, after))
            continue
        field_text = path_text(violation.path)
        change = _change(violation.path, before, after)
        culprits = ", ".join(violation.culprits) or "-"
        if key in search.exprs:
            path, span = key_path(search.program, search.kind, key)
        else:
            path, span = _field_path(search, violation.path[0])
        b_code, a_code = level_code(before.outcome), level_code(after.outcome)
        way_en = "higher" if violation.sign > 0 else "lower"
        way_vi = "cao hơn" if violation.sign > 0 else "thấp hơn"
        out.append(
            Finding(
                "non-monotone",
                search.kind,
                path,
                span,
                ir.Text(
                    f"minh chứng tốt hơn lại cho mức thấp hơn: {field_text} {change} (tốt hơn khi {way_vi}) làm mức "
                    f"giảm từ {b_code} xuống {a_code}; do: {culprits}",
                    f"better evidence gives a worse level: {field_text} {change} (better when {way_en}) lowers the "
                    f"level from {b_code} to {a_code}; because of: {culprits}",
                ),
                (before, after),
                tuple(dict.fromkeys([*map(key_id, violation.culprits), field_text, *_notes(violation)])),
            )
        )
    for field_path, found in both_ways.items():
        field_text = path_text(field_path)
        up, down = search.votes[field_path]
        moves_en = "; ".join(
            f"{_change(field_path, b, a)} lowers {level_code(b.outcome)} to {level_code(a.outcome)}"
            for _, b, a in found
        )
        moves_vi = "; ".join(
            f"{_change(field_path, b, a)} làm mức giảm từ {level_code(b.outcome)} xuống {level_code(a.outcome)}"
            for _, b, a in found
        )
        path, span = _field_path(search, field_path[0])
        blamed = [c for v, _, _ in found for c in v.culprits]
        out.append(
            Finding(
                "non-monotone",
                search.kind,
                path,
                span,
                ir.Text(
                    f"các quy tắc đọc {field_text} theo hai chiều ngược nhau (cao hơn là tốt hơn: "
                    f"{', '.join(up)}; thấp hơn là tốt hơn: {', '.join(down)}) nên không rõ chiều nào tốt hơn: "
                    f"{moves_vi}",
                    f"the rules read {field_text} both ways (better when higher: {', '.join(up)}; when lower: "
                    f"{', '.join(down)}), so neither way is better: {moves_en}",
                ),
                tuple(c for _, b, a in found for c in (b, a)),
                tuple(dict.fromkeys([field_text, *map(key_id, (*up, *down, *blamed))])),
            )
        )
    return out


def _field_path(search: Explorer, name: str) -> tuple[str, ir.Span | None]:
    if name in search.relations:
        return f"subjects.{search.kind}.relations.{name}", search.relations[name].span
    owner = owner_of(search.program, search.kind, "evidence", name)
    return f"subjects.{owner}.evidence.{name}", search.fields[name].span


def _notes(violation: Violation) -> list[str]:
    return [
        k[5:]
        for c in (violation.before, violation.after)
        for k, t in c.truths.items()
        if k.startswith("note:") and t is Truth.MET
    ]


def _change(path: tuple[str, ...], before: Counterexample, after: Counterexample) -> str:
    """``from 9 to 10``: the value at ``path`` in the two documents."""
    documents = [{**c.evidence, **c.relations} for c in (before, after)]
    shown = [_show_path(d, path) for d in documents]
    return f"from {shown[0]} to {shown[1]}"


def _show_path(assignment: Mapping[str, object], path: tuple[str, ...]) -> str:
    value = assignment.get(path[0], OMIT)
    if len(path) == 1 and isinstance(value, list):
        return f"{len(value)} record(s)"
    if len(path) == 2 and isinstance(value, list):
        return json.dumps([r.get(path[1]) for r in value if isinstance(r, dict)], ensure_ascii=False)
    return "(absent)" if value is OMIT else json.dumps(value, ensure_ascii=False)


def _period_text(period: ir.Period) -> str:
    if period.kind == "annual" and period.start.month == 1 and period.start.day == 1:
        return str(period.start.year)
    return f"{period.start.isoformat()}..{period.end.isoformat()}"
