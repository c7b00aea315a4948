"""Replay: one population classified under two framework versions → who changes outcome, and why.

Input: one ``PopulationResult`` under each version (from one input, or from one input per version). Output: a
``Replay`` — every subject whose outcome differs, with the rules that made the difference and how the versions
differ on each; a from × to matrix; those rules ranked by subjects; the subjects only one version evaluated, with the
other's rejections; both runs' counts and what the inputs lacked (subjects insufficient under both, ignored
columns) — and its text and JSON renderings. Pure functions of their inputs; ``diff`` puts it beside the rule diff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from xeploai.evaluation.population import PopulationResult, Rejection
from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, TraceNode, Truth, walk
from xeploai.explanation.messages import msg
from xeploai.program import ir
from xeploai.program.ir import Text

NOT_CLASSIFIED = "not_classified"
INSUFFICIENT = "insufficient_evidence"
# Left to the competent level (a quota's decision, or no level by the rules): rows and columns only when they occur.
DECIDED_ELSEWHERE = (Status.AWAITING_DECISION.value, Status.LEFT_TO_COMPETENT_LEVEL.value)


# --- replay ------------------------------------------------------------------------------------------------------

# Weakest first: a count of subjects shows the weakest mark among the rules it counts.
CONFIDENCE_ORDER = (ir.Confidence.ASSUMED.value, ir.Confidence.SECONDARY.value, ir.Confidence.CONFIRMED.value)
CHANGES = ("added", "removed", "changed", "role")
SYMBOLS = {"added": "+", "removed": "-", "changed": "~", "role": "="}


def outcome_key(result: Result) -> str:
    outcome = result.outcome
    if outcome.status is Status.CLASSIFIED:
        assert outcome.level is not None
        return outcome.level
    return outcome.status.value


@dataclass(frozen=True)
class Cause:
    """A rule that made one subject's outcome differ, and how the two versions differ on it.

    ``change`` is ``added`` (a rule of the later version only), ``removed`` (of the earlier version only),
    ``changed`` (of both, with another result for this subject) or ``role`` (of both, with the same result, but
    only one version requires it for the level in question).
    """

    rule: str
    change: str
    confidence: str | None  # the mark in the version whose trace explains the change
    label: Text | None = None


@dataclass(frozen=True)
class Moved:
    """A subject whose outcome differs between the two frameworks, and the rules that made the difference."""

    subject_id: str
    name: str | None
    kind: str
    before: str
    after: str
    reasons_before: tuple[str, ...]
    reasons_after: tuple[str, ...]
    rules_changed: tuple[str, ...]  # rules, caps and quotas of both frameworks whose result differs for this subject
    causes: tuple[Cause, ...] = ()  # the rules that kept the lower of the two sides from the higher outcome
    added: tuple[str, ...] = ()  # reasons of the new outcome that are rules of the later framework only
    removed: tuple[str, ...] = ()  # reasons of the old outcome that are rules of the earlier framework only


@dataclass(frozen=True)
class RuleCount:
    """A rule ranked by the number of changed subjects whose change it explains."""

    rule: str
    change: str
    confidence: str | None  # the weakest mark among the subjects counted
    label: Text | None
    subjects: int
    transitions: tuple[tuple[str, str, int], ...]  # (from, to, subjects), most subjects first
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    """All subjects that went from one outcome to another, with the rules responsible, most subjects first."""

    before: str
    after: str
    subjects: int
    rules: tuple[RuleCount, ...]


@dataclass(frozen=True)
class Unmatched:
    """A subject evaluated under one framework only; ``problems`` say why the other framework has no result."""

    subject_id: str
    name: str | None
    kind: str
    side: str  # before | after: the framework that evaluated it
    outcome: str
    problems: tuple[str, ...]  # the other framework's rejections of its row; empty when its input lacks the subject
    problems_vi: tuple[str, ...] = ()  # the same in Vietnamese

    def problems_in(self, lang: str) -> tuple[str, ...]:
        return self.problems_vi if lang != "en" and self.problems_vi else self.problems


@dataclass(frozen=True)
class Run:
    """One side of the replay: the rows read and what became of them."""

    version: str
    rows_read: int
    evaluated: int  # classified, not classified or insufficient evidence
    rejected: int
    notes: int  # every problem the reader reported, ignored columns and rejected decision rows included
    ignored_columns: tuple[str, ...] = ()  # input columns this version does not read (each once)
    missing_fields: tuple[str, ...] = ()  # required evidence fields this version's input has no column for


@dataclass(frozen=True)
class Replay:
    moved: tuple[Moved, ...]
    matrix: Mapping[str, Mapping[str, int]]  # from outcome → to outcome → number of subjects
    only_before: tuple[str, ...] = ()  # subjects evaluated under one framework only (e.g. rejected by the other)
    only_after: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = field(default=())  # the row and column order of the matrix
    transitions: tuple[Transition, ...] = ()  # most subjects first
    rules: tuple[RuleCount, ...] = ()  # the rules responsible for changes, most subjects first
    unmatched: tuple[Unmatched, ...] = ()
    runs: tuple[Run, ...] = ()  # before, after
    compared: int = 0  # subjects evaluated under both frameworks: the total of the matrix


def _rule_results(trace: TraceNode) -> dict[str, str]:
    """The result of each rule, cap and quota in a trace: its truth, and for a cap that holds the level it allows."""
    found: dict[str, str] = {}
    for node in walk(trace):
        if node.kind in (NodeKind.RULE, NodeKind.CAP, NodeKind.QUOTA) and node.id not in found:
            bound = f" ≤ {node.level}" if node.kind is NodeKind.CAP and node.truth is Truth.MET else ""
            found[node.id] = node.truth.value + bound
    return found


def _defined(program: ir.Program) -> dict[str, frozenset[str]]:
    """The ids a subject kind's trace can name: its rules, caps and notes, and the program's quotas."""
    quotas = {q.id for q in program.quotas}
    return {
        kind: frozenset({*sp.rules, *(c.id for c in sp.caps), *(n.id for n in sp.notes), *quotas})
        for kind, sp in program.subjects.items()
    }


def _nodes(trace: TraceNode, ids: Iterable[str]) -> list[TraceNode]:
    """The first rule, cap or quota node of each id, in the order of ``ids``."""
    first: dict[str, TraceNode] = {}
    for node in walk(trace):
        if node.kind in (NodeKind.RULE, NodeKind.CAP, NodeKind.QUOTA):
            first.setdefault(node.id, node)
    return [first[i] for i in dict.fromkeys(ids) if i in first]


def _why_not(result: Result, target: str, levels: Sequence[str]) -> list[TraceNode]:
    """The nodes of ``result``'s trace that kept it from ``target``, a better level the other framework gave.

    Not classified, insufficient evidence and a KHT trigger are explained by their own reasons. Otherwise the
    failed requirements of every level from ``target`` down to the level reached before caps; or, when that level
    was at least ``target``, the caps and quotas that lowered it.
    """
    outcome = result.outcome
    if outcome.status is not Status.CLASSIFIED or outcome.decision is Decision.TRIGGER or target not in levels:
        return _nodes(result.trace, outcome.reasons)
    top = levels.index(target)
    reached = outcome.level_before_caps or outcome.level or ""
    found: list[TraceNode] = []
    if reached in levels and levels.index(reached) > top:
        for node in result.trace.children:
            if (
                node.kind is NodeKind.LEVEL
                and node.id in levels
                and top <= levels.index(node.id) < levels.index(reached)
            ):
                found.extend(c for c in node.children if c.truth is Truth.NOT_MET)
    else:
        for node in result.trace.children:
            if node.kind is NodeKind.CAPS:
                found.extend(
                    c
                    for c in node.children
                    if c.truth is Truth.MET and c.level in levels and levels.index(c.level) > top
                )
            elif node.kind is NodeKind.QUOTA and node.truth is Truth.NOT_MET:
                found.append(node)
    return list({n.id: n for n in found}.values()) or _nodes(result.trace, outcome.reasons)


def _change(
    rule: str, defined_a: frozenset[str], defined_b: frozenset[str], a: Mapping[str, str], b: Mapping[str, str]
) -> str:
    """How the versions differ on ``rule`` for one subject (see ``Cause``), from the ids each defines for its kind
    and the results each trace gives."""
    if rule not in defined_a:
        return "added"
    if rule not in defined_b:
        return "removed"
    if rule in a and rule in b and a[rule] != b[rule]:
        return "changed"
    return "role"


def _problem_text(rejection: Rejection, lang: str = "en") -> str:
    where = rejection.source + (f":{rejection.row}" if rejection.row is not None else "")
    column = f" [{rejection.column}]" if rejection.column else ""
    return f"{where}{column} {rejection.reason_in(lang)}"


def _run(result: PopulationResult) -> Run:
    rows = result.rows_read or len(result.results)
    ignored: dict[str, None] = {}
    missing: dict[str, None] = {}
    for note in result.rejections:
        if note.row is not None or note.column is None:
            continue
        # The readers' column notes (tables.headers, tables.reader): an unread column says "ignored"; a required
        # field without a column names "the required field". Their English wording is stable for this reason.
        if "required field" in note.reason:
            missing[note.column] = None
        elif "ignored" in note.reason:
            ignored[note.column] = None
    return Run(
        result.program.info.version,
        rows,
        len(result.results),
        rows - len(result.results),
        len(result.rejections),
        tuple(ignored),
        tuple(missing),
    )


def replay(before: PopulationResult, after: PopulationResult) -> Replay:
    """Compare the same population classified under two frameworks; subjects are matched by id.

    Each side may come from its own input. A subject evaluated under one framework only is listed with the other
    side's rejections of its row (or none, when the other input lacks it), never silently dropped.
    """
    a = {r.subject_id: r for r in before.results}
    b = {r.subject_id: r for r in after.results}
    levels = [v.id for v in after.program.levels.values]
    for v in before.program.levels.values:
        if v.id not in levels:
            levels.append(v.id)
    seen = {outcome_key(r) for r in (*a.values(), *b.values())}
    order = (*levels, *(k for k in DECIDED_ELSEWHERE if k in seen), INSUFFICIENT, NOT_CLASSIFIED)
    defined_a, defined_b = _defined(before.program), _defined(after.program)
    matrix: dict[str, dict[str, int]] = {row: {col: 0 for col in order} for row in order}
    moved: list[Moved] = []
    for subject_id, first in a.items():
        second = b.get(subject_id)
        if second is None:
            continue
        key_a, key_b = outcome_key(first), outcome_key(second)
        matrix[key_a][key_b] += 1
        if key_a == key_b:
            continue
        results_a, results_b = _rule_results(first.trace), _rule_results(second.trace)
        rules_a = defined_a.get(first.subject_kind, frozenset())
        rules_b = defined_b.get(second.subject_kind, frozenset())
        changed = tuple(sorted(r for r in results_a.keys() & results_b.keys() if results_a[r] != results_b[r]))
        # The lower side explains the change: why it did not reach what the other side reached.
        if key_a in levels and key_b in levels:
            b_is_lower = levels.index(key_b) > levels.index(key_a)
        else:
            b_is_lower = key_b not in levels
        lower, target = (second, key_a) if b_is_lower else (first, key_b)
        causes = tuple(
            Cause(
                node.id,
                _change(node.id, rules_a, rules_b, results_a, results_b),
                node.confidence.value if node.confidence is not None else None,
                node.label,
            )
            for node in _why_not(lower, target, levels)
        )
        moved.append(
            Moved(
                subject_id,
                first.subject_name,
                first.subject_kind,
                key_a,
                key_b,
                first.outcome.reasons,
                second.outcome.reasons,
                changed,
                causes,
                tuple(r for r in second.outcome.reasons if r in rules_b and r not in rules_a),
                tuple(r for r in first.outcome.reasons if r in rules_a and r not in rules_b),
            )
        )
    unmatched = [
        *_unmatched(a, b, after, "before"),
        *_unmatched(b, a, before, "after"),
    ]
    transitions, ranked = _rank(moved)
    return Replay(
        moved=tuple(moved),
        matrix=matrix,
        only_before=tuple(sorted(a.keys() - b.keys())),
        only_after=tuple(sorted(b.keys() - a.keys())),
        outcomes=order,
        transitions=transitions,
        rules=ranked,
        unmatched=tuple(unmatched),
        runs=(_run(before), _run(after)),
        compared=sum(1 for subject_id in a if subject_id in b),
    )


def _unmatched(
    evaluated: Mapping[str, Result], other: Mapping[str, Result], other_run: PopulationResult, side: str
) -> list[Unmatched]:
    problems: dict[str, list[str]] = {}
    problems_vi: dict[str, list[str]] = {}
    for rejection in other_run.rejections:
        if rejection.subject_id is not None:
            problems.setdefault(rejection.subject_id, []).append(_problem_text(rejection))
            problems_vi.setdefault(rejection.subject_id, []).append(_problem_text(rejection, "vi"))
    return [
        Unmatched(
            subject_id,
            result.subject_name,
            result.subject_kind,
            side,
            outcome_key(result),
            tuple(dict.fromkeys(problems.get(subject_id, []))),
            tuple(dict.fromkeys(problems_vi.get(subject_id, []))),
        )
        for subject_id, result in sorted(evaluated.items())
        if subject_id not in other
    ]


def _weakest(marks: Iterable[str | None]) -> str | None:
    known = [m for m in marks if m is not None]
    return min(known, key=lambda m: CONFIDENCE_ORDER.index(m) if m in CONFIDENCE_ORDER else -1) if known else None


@dataclass
class _Tally:
    """What one rule explains: subjects per transition, the marks and kinds met, its label."""

    subjects: dict[tuple[str, str], int] = field(default_factory=dict)
    marks: set[str | None] = field(default_factory=set)
    kinds: dict[str, None] = field(default_factory=dict)
    label: Text | None = None


def _rank(moved: Sequence[Moved]) -> tuple[tuple[Transition, ...], tuple[RuleCount, ...]]:
    """The moves grouped by transition, and the rules ranked by the number of subjects whose change they explain."""

    by_move: dict[tuple[str, str], list[Moved]] = {}
    for m in moved:
        by_move.setdefault((m.before, m.after), []).append(m)
    tallies: dict[tuple[str, str], _Tally] = {}
    for m in moved:
        for cause in m.causes:
            tally = tallies.setdefault((cause.rule, cause.change), _Tally())
            key = (m.before, m.after)
            tally.subjects[key] = tally.subjects.get(key, 0) + 1
            tally.marks.add(cause.confidence)
            tally.kinds[m.kind] = None
            tally.label = tally.label or cause.label

    def count(rule: tuple[str, str], tally: _Tally, only: tuple[str, str] | None = None) -> RuleCount:
        moves = sorted(
            ((f, t, n) for (f, t), n in tally.subjects.items() if only is None or (f, t) == only),
            key=lambda x: -x[2],
        )
        return RuleCount(
            rule[0],
            rule[1],
            _weakest(tally.marks),
            tally.label,
            sum(n for *_, n in moves),
            tuple(moves),
            tuple(tally.kinds),
        )

    def rank_key(c: RuleCount) -> tuple[object, ...]:
        return (-c.subjects, CHANGES.index(c.change), c.rule)

    ranked = sorted((count(rule, tally) for rule, tally in tallies.items()), key=rank_key)
    transitions = [
        Transition(
            move[0],
            move[1],
            len(members),
            tuple(
                sorted(
                    (count(rule, tally, move) for rule, tally in tallies.items() if move in tally.subjects),
                    key=rank_key,
                )
            ),
        )
        for move, members in by_move.items()
    ]
    transitions.sort(key=lambda t: -t.subjects)
    return tuple(transitions), tuple(ranked)


# --- rendering ---------------------------------------------------------------------------------------------------


def _pad(text: str, width: int) -> str:
    return text if len(text) >= width else text + " " * (width - len(text))


def replay_lines(replayed: Replay, codes: Mapping[str, str], lang: str) -> list[str]:
    def short(key: str) -> str:
        shorts = {
            INSUFFICIENT: "CĐCC",
            NOT_CLASSIFIED: "KXL",
            Status.AWAITING_DECISION.value: "CQĐ",  # chờ quyết định
            Status.LEFT_TO_COMPETENT_LEVEL.value: "CTQ",  # cấp có thẩm quyền quyết định
        }
        return codes.get(key, shorts.get(key, key))

    def mark(confidence: str | None) -> str:
        return msg(f"confidence.{confidence}", lang) if confidence in CONFIDENCE_ORDER else "—"

    def ids(items: Iterable[str]) -> str:
        return ", ".join(items)

    lines = ["", msg("diff.replay.head", lang, moved=len(replayed.moved), compared=replayed.compared)]
    lines += warning_lines(replayed, lang)
    for m in replayed.moved:
        lines.append(f"  {m.subject_id} {m.name or ''} ({m.kind}): {short(m.before)} → {short(m.after)}")
        causes = ", ".join(f"{SYMBOLS[c.change]}{c.rule} ({mark(c.confidence)})" for c in m.causes) or "—"
        lines.append("      " + msg("diff.replay.causes", lang, rules=causes))
        if m.added:
            lines.append("      " + msg("diff.replay.added", lang, rules=ids(m.added)))
        if m.removed:
            lines.append("      " + msg("diff.replay.removed", lang, rules=ids(m.removed)))
        if m.rules_changed:
            lines.append("      " + msg("diff.replay.changed", lang, rules=ids(m.rules_changed)))
    used = [
        o for o in replayed.outcomes if any(replayed.matrix[o].values()) or any(r[o] for r in replayed.matrix.values())
    ]
    corner = msg("diff.replay.matrix", lang)
    width = max(len(corner) + 2, *(len(short(o)) + 2 for o in used)) if used else len(corner) + 2
    lines += ["", corner.ljust(width) + "".join(_pad(short(o), width) for o in used)]
    for row in used:
        lines.append(_pad(short(row), width) + "".join(_pad(str(replayed.matrix[row][col]), width) for col in used))
    if replayed.rules:
        lines += ["", msg("diff.replay.ranking", lang), "  " + msg("diff.replay.legend", lang)]
        rule_width = max(len(c.rule) for c in replayed.rules) + 2
        mark_width = max(len(mark(c.confidence)) for c in replayed.rules) + 2
        for c in replayed.rules:
            moves = ", ".join(f"{short(f)} → {short(t)} {n}" for f, t, n in c.transitions)
            label = f" — {c.label.get(lang)}" if c.label is not None else ""
            rule = f"{SYMBOLS[c.change]} {_pad(c.rule, rule_width)}"
            lines.append(f"  {c.subjects:>5}  {rule}{_pad(mark(c.confidence), mark_width)}{moves}{label}")
    lines += _reconciliation_lines(replayed, short, lang)
    return lines


def insufficient_both(replayed: Replay) -> int:
    """The subjects with insufficient evidence under both versions: the replay cannot tell whether they change."""
    return replayed.matrix.get(INSUFFICIENT, {}).get(INSUFFICIENT, 0)


def warning_lines(replayed: Replay, lang: str) -> list[str]:
    """What makes "n of m change" misleading, said before the list: subjects that no version could classify, and
    inputs with columns a version does not read or without the fields it requires."""

    def some(names: Sequence[str]) -> str:
        return ", ".join(names[:6]) + (", …" if len(names) > 6 else "")

    lines = []
    both = insufficient_both(replayed)
    if both:
        lines.append(msg("diff.replay.warn_insufficient", lang, both=both, compared=replayed.compared))
    for side, run in zip(("A", "B"), replayed.runs, strict=False):
        if run.ignored_columns:
            lines.append(
                msg(
                    "diff.replay.warn_ignored",
                    lang,
                    side=side,
                    version=run.version,
                    count=len(run.ignored_columns),
                    columns=some(run.ignored_columns),
                )
            )
        if run.missing_fields:
            lines.append(
                msg(
                    "diff.replay.warn_missing",
                    lang,
                    side=side,
                    version=run.version,
                    count=len(run.missing_fields),
                    fields=some(run.missing_fields),
                )
            )
    return lines


def _reconciliation_lines(replayed: Replay, short: Callable[[str], str], lang: str) -> list[str]:
    lines: list[str] = []
    if replayed.unmatched:
        lines += ["", msg("diff.replay.unmatched", lang, count=len(replayed.unmatched))]
        for u in replayed.unmatched:
            side, other = ("A", "B") if u.side == "before" else ("B", "A")
            key = "diff.replay.rejected_by" if u.problems else "diff.replay.absent_from"
            head = f"{u.subject_id} {u.name or ''} ({u.kind}): {short(u.outcome)}"
            lines.append("  " + msg(key, lang, subject=head, side=side, other=other))
            lines.extend(f"      {p}" for p in u.problems_in(lang))
    if len(replayed.runs) == 2:
        lines += ["", msg("diff.replay.reconcile", lang)]
        for side, run in zip(("A", "B"), replayed.runs, strict=True):
            counts = msg(
                "diff.replay.run",
                lang,
                side=side,
                version=run.version,
                rows=run.rows_read,
                evaluated=run.evaluated,
                rejected=run.rejected,
            )
            notes = msg("diff.replay.notes", lang, notes=run.notes) if run.notes else ""
            lines.append(f"  {counts}{notes}")
        rejected = {
            side: sum(1 for u in replayed.unmatched if u.side == side and u.problems) for side in ("before", "after")
        }
        lines.append(
            "  "
            + msg(
                "diff.replay.compared",
                lang,
                compared=replayed.compared,
                only_a=len(replayed.only_before),
                a_rejected=rejected["before"],
                a_absent=len(replayed.only_before) - rejected["before"],
                only_b=len(replayed.only_after),
                b_rejected=rejected["after"],
                b_absent=len(replayed.only_after) - rejected["after"],
            )
        )
    return lines


def replay_json(replayed: Replay) -> dict[str, object]:
    def label(text: Text | None) -> dict[str, str] | None:
        return None if text is None else {"vi": text.vi, "en": text.en}

    def rule_count(c: RuleCount) -> dict[str, object]:
        return {
            "rule": c.rule,
            "change": c.change,
            "confidence": c.confidence,
            "label": label(c.label),
            "subjects": c.subjects,
            "kinds": list(c.kinds),
            "transitions": [{"from": f, "to": t, "subjects": n} for f, t, n in c.transitions],
        }

    def run(r: Run) -> dict[str, object]:
        return {
            "version": r.version,
            "rows_read": r.rows_read,
            "evaluated": r.evaluated,
            "rejected": r.rejected,
            "notes": r.notes,
            "ignored_columns": list(r.ignored_columns),
            "missing_fields": list(r.missing_fields),
        }

    out: dict[str, object] = {
        "moved": [
            {
                "id": m.subject_id,
                "name": m.name,
                "kind": m.kind,
                "before": m.before,
                "after": m.after,
                "reasons_before": list(m.reasons_before),
                "reasons_after": list(m.reasons_after),
                "rules_changed": list(m.rules_changed),
                "causes": [{"rule": c.rule, "change": c.change, "confidence": c.confidence} for c in m.causes],
                "added_reasons": list(m.added),
                "removed_reasons": list(m.removed),
            }
            for m in replayed.moved
        ],
        "matrix": {row: dict(cols) for row, cols in replayed.matrix.items()},
        "compared": replayed.compared,
        "insufficient_both": insufficient_both(replayed),
        "only_before": list(replayed.only_before),
        "only_after": list(replayed.only_after),
        "transitions": [
            {
                "from": t.before,
                "to": t.after,
                "subjects": t.subjects,
                "rules": [
                    {"rule": c.rule, "change": c.change, "confidence": c.confidence, "subjects": c.subjects}
                    for c in t.rules
                ],
            }
            for t in replayed.transitions
        ],
        "rules": [rule_count(c) for c in replayed.rules],
        "unmatched": [
            {
                "id": u.subject_id,
                "name": u.name,
                "kind": u.kind,
                "evaluated_under": u.side,
                "outcome": u.outcome,
                "problems": list(u.problems),
                "problems_vi": list(u.problems_in("vi")),
            }
            for u in replayed.unmatched
        ],
    }
    if len(replayed.runs) == 2:
        out["runs"] = {"before": run(replayed.runs[0]), "after": run(replayed.runs[1])}
    return out
