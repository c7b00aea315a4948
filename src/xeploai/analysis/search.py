"""Whole-framework analysis: a compiled program (and the framework tests beside it) → findings with evidence.

Input: an ``ir.Program`` and, optionally, its ``*.tests.yaml``. Output: ``Finding`` records — levels no evidence
reaches, evidence that falls through every level, rules that never hold or never fail, shadowed list entries,
fields nothing reads, rules no test exercises, better evidence giving a worse level — each carrying evidence
documents that were re-evaluated through ``inputs.evaluate``. The search enumerates boundary values derived from the
program, then samples with a seeded ``random.Random``: the same program, tests, seed and budget give the same
findings. A finding that says "never" is the result of a bounded search, not a proof; it says whether the search was
exhaustive over the boundary values of the fields involved.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import assert_never

from xeploai.evaluation import inputs, population
from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Status, TraceNode, Truth
from xeploai.framework import loader
from xeploai.program import ir
from xeploai.program.issues import ANALYSIS_CODES, EvidenceError, FrameworkError, Issue

__all__ = [
    "CODES",
    "Counterexample",
    "Finding",
    "analyse",
    "field_directions",
    "find_tests",
]

# The codes of this module, in the order findings are sorted. Each has a section in docs/reference/issue-codes.md.
CODES = ANALYSIS_CODES

# How many full evaluations a second of budget buys, shared by the subject kinds. A fixed count, not a clock,
# keeps the search deterministic; the clock only stops a search that runs far slower than expected.
EVALUATIONS_PER_SECOND = 600
# The most combinations enumerated for one rule (or one pair of rules) before sampling instead.
ENUMERATION_LIMIT = 1024
_RECORD_OPTIONS = 48  # single-record choices per records field (a quarter of it when nested)
_RELATION_OPTIONS = 40  # lists of related subjects per relation
_DOMAIN_LIMIT = 24  # values per scalar field
_WITNESSES = 6  # evidence kept per rule and truth
_POOL = 400  # evaluated documents kept for mutation and monotonicity


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


def find_tests(program: ir.Program) -> Path | None:
    """The ``<effective-from>.tests.yaml`` beside the program's framework file, if there is one."""
    source = Path(program.info.source)
    candidate = source.with_name(source.name.removesuffix(".yaml") + ".tests.yaml")
    return candidate if candidate.is_file() else None


def analyse(
    program: ir.Program,
    tests_path: str | os.PathLike[str] | None,
    *,
    budget_seconds: float = 10,
    seed: int = 0,
    exceptions: Sequence[str] = (),
    better: Mapping[str, str] | None = None,
    period: ir.Period | None = None,
) -> list[Finding]:
    """Analyse every subject kind of ``program``; findings sorted by kind, code and path.

    ``tests_path``: the framework tests (``None``: no test coverage check, and no seeds from tests).
    ``exceptions``: findings to declare beyond the framework's own ``exceptions:``, each ``[code:][kind.]id``
    naming a rule, cap, note, field or level the finding involves; declared findings are kept with
    ``declared=True`` (and, when the framework declares them, its declaration in ``exception``).
    ``better``: the better direction of evidence fields (``{"sick_leave_months": "lower"}``, record fields as
    ``"discipline[].form"``), overriding the framework's ``better:`` and the direction derived from the rules.
    ``period``: the period evidence is evaluated for (default: the tests' period, else the year the framework
    takes effect).
    """
    started = time.monotonic()
    deadline = started + 3 * budget_seconds + 10  # the count budget normally ends the search well before
    tests = _read_tests(program, Path(tests_path)) if tests_path is not None else _Tests()
    chosen = period or tests.period or _default_period(program)
    kinds = _kind_order(program)
    total = max(int(budget_seconds * EVALUATIONS_PER_SECOND), 50 * len(kinds))
    findings: list[Finding] = []
    searches: dict[str, _Search] = {}
    truncated: list[str] = []
    for kind in kinds:
        rng = random.Random(f"xeploai-analysis:{seed}:{kind}")
        share = total // len(kinds)
        search = _Search(program, kind, chosen, rng, share, deadline, tests.seeds.get(kind, []), better or {})
        search.run()
        searches[kind] = search
        if search.truncated:
            truncated.append(kind)
        findings.extend(search.findings())
    findings.extend(_unused_fields(program, searches))
    if tests_path is not None:
        findings.extend(_untested(program, tests, searches))
    if truncated:
        findings.append(
            Finding(
                "analysis-truncated",
                truncated[0],
                "subjects",
                None,
                ir.Text(
                    f"phân tích dừng ở giới hạn thời gian khi xét {', '.join(truncated)}; kết quả có thể khác giữa "
                    "các máy",
                    f"the search stopped at its time limit for {', '.join(truncated)}; findings may differ between "
                    "machines",
                ),
                kinds=tuple(truncated),
            )
        )
    merged = _merge(findings)
    declared = [_declare(program, f, exceptions) for f in merged]
    order = {kind: i for i, kind in enumerate(kinds)}
    return sorted(declared, key=lambda f: (order.get(f.kind, len(order)), CODES.index(f.code), f.path))


def field_directions(
    program: ir.Program, kind: str, better: Mapping[str, str] | None = None
) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The better direction of each evidence path a level depends on, with the rules voting each way.

    A path is a field (``sick_leave_months``), a records field's count (``discipline``) or a record field
    (``discipline[].form``). The direction is ``higher``, ``lower`` or ``ambiguous`` (as many uses each way);
    the caller's ``better``, then the field's own ``better:``, take precedence over the votes.
    """
    subject = program.subjects[kind]
    votes = _Polarity(program, subject).votes()
    out: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for path, (up, down) in votes.items():
        name = _path_text(path)
        declared = _declared_better(program, subject, path)
        if better and name in better:
            out[name] = (better[name], up, down)
        elif declared is not None:
            out[name] = (declared, up, down)
        elif len(up) > len(down):
            out[name] = ("higher", up, down)
        elif len(down) > len(up):
            out[name] = ("lower", up, down)
        elif up:
            out[name] = ("ambiguous", up, down)
    return out


# --- declared exceptions, merging --------------------------------------------------------------------------


def _declare(program: ir.Program, finding: Finding, exceptions: Sequence[str]) -> Finding:
    """The finding, declared when the framework's exceptions (or the caller's) name it."""
    exception = _framework_exception(program, finding)
    if exception is not None:
        return replace(finding, declared=True, exception=exception)
    if _is_declared(finding, exceptions):
        return replace(finding, declared=True)
    return finding


def _framework_exception(program: ir.Program, finding: Finding) -> ir.FindingException | None:
    """The framework's exception declaring a finding: one naming its code and an id it involves, in every kind it
    was found in. A record type's field (found in no kind) is declared by any kind naming it through a records
    field (``discipline[].form``)."""
    kinds = finding.kinds or ((finding.kind,) if finding.kind else ())
    if not kinds:
        if len(finding.involves) < 2:
            return None
        name, record = finding.involves[0], finding.involves[1]
        for subject in program.subjects.values():
            for e in subject.exceptions:
                if e.code == finding.code and _record_field(program, subject, e.id) == (record, name):
                    return e
        return None
    first: ir.FindingException | None = None
    for kind in kinds:
        holder = program.subjects.get(kind)
        own = holder.exceptions if holder is not None else ()
        found = next((e for e in own if e.code == finding.code and e.id in finding.involves), None)
        if found is None:
            return None
        first = first or found
    return first


def _record_field(program: ir.Program, subject: ir.SubjectProgram, ident: str) -> tuple[str, str] | None:
    """``discipline[].form`` → (the record type of ``discipline``, ``form``)."""
    holder, sep, name = ident.partition("[].")
    f = _field_of(program, subject, (holder,)) if sep else None
    if f is None or not isinstance(f.type, ir.RecordsType):
        return None
    return f.type.record, name


def _field_of(program: ir.Program, subject: ir.SubjectProgram, path: tuple[str, ...]) -> ir.FieldDef | None:
    """The declaration of an evidence path: a field or relation, or a field of their records."""
    fdef = subject.field_def(path[0])
    if fdef is None:
        fdef = next((_relation_field(r) for r in subject.relations if r.id == path[0]), None)
    for name in path[1:]:
        if fdef is None or not isinstance(fdef.type, ir.RecordsType):
            return None
        record = program.records.get(fdef.type.record)
        fdef = next((f for f in record.fields if f.id == name), None) if record else None
    return fdef


def _declared_better(program: ir.Program, subject: ir.SubjectProgram, path: tuple[str, ...]) -> str | None:
    f = _field_of(program, subject, path)
    return f.better if f is not None else None


def _is_declared(finding: Finding, exceptions: Sequence[str]) -> bool:
    """Whether an entry ``[code:][kind.]id`` names the finding (``id`` may itself hold dots: ``discipline[].form``)."""
    for entry in exceptions:
        code, _, rest = entry.rpartition(":")
        if code and code != finding.code:
            continue
        if rest in finding.involves:
            return True
        kind, _, ident = rest.partition(".")
        if ident and kind in (*finding.kinds, finding.kind) and ident in finding.involves:
            return True
    return False


def _merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per code and path: a fault of a rule inherited by several kinds is reported once."""
    merged: dict[tuple[str, str], Finding] = {}
    for f in findings:
        key = (f.code, f.path)
        known = merged.get(key)
        kinds = f.kinds or ((f.kind,) if f.kind else ())
        if known is None:
            merged[key] = replace(f, kinds=kinds)
        else:
            extra = tuple(k for k in kinds if k not in known.kinds)
            merged[key] = replace(known, kinds=known.kinds + extra)
    return list(merged.values())


def _kind_order(program: ir.Program) -> list[str]:
    """Kinds with every parent before its children, otherwise in the framework's order."""
    out: list[str] = []

    def visit(kind: str) -> None:
        if kind in out:
            return
        parent = program.subjects[kind].extends
        if parent is not None and parent in program.subjects:
            visit(parent)
        out.append(kind)

    for kind in program.subjects:
        visit(kind)
    return out


def _default_period(program: ir.Program) -> ir.Period:
    year = program.info.effective_from.year
    return ir.Period(date(year, 1, 1), date(year, 12, 31), "annual")


# --- walking the IR ----------------------------------------------------------------------------------------


def _walk(expr: ir.Expr) -> Iterator[ir.Expr]:
    yield expr
    for part in ir.children(expr):
        yield from _walk(part)


def _expressions(subject: ir.SubjectProgram) -> dict[str, ir.Expr]:
    """Every condition of a subject kind by key: rule ids, ``cap:<id>`` and ``note:<id>``."""
    out: dict[str, ir.Expr] = {rule_id: rule.expr for rule_id, rule in subject.rules.items()}
    for cap in subject.caps:
        out[f"cap:{cap.id}"] = cap.when
    for note in subject.notes:
        out[f"note:{note.id}"] = note.when
    return out


def _top_reads(subject: ir.SubjectProgram, expr: ir.Expr, seen: set[str] | None = None) -> dict[str, None]:
    """The subject's fields and relations an expression reads, through the rules it refers to (ordered)."""
    seen = set() if seen is None else seen
    names: dict[str, None] = {}
    for node in _walk(expr):
        if isinstance(node, ir.FieldRef):
            names[node.name] = None
        elif isinstance(node, ir.RuleRef) and node.name not in seen and node.name in subject.rules:
            seen.add(node.name)
            names.update(_top_reads(subject, subject.rules[node.name].expr, seen))
    return names


def _rule_refs(subject: ir.SubjectProgram, expr: ir.Expr, seen: set[str] | None = None) -> dict[str, None]:
    seen = set() if seen is None else seen
    out: dict[str, None] = {}
    for node in _walk(expr):
        if isinstance(node, ir.RuleRef) and node.name not in seen and node.name in subject.rules:
            seen.add(node.name)
            out[node.name] = None
            out.update(_rule_refs(subject, subject.rules[node.name].expr, seen))
    return out


def _path_text(path: tuple[str, ...]) -> str:
    return "[].".join(path)


def _relation_field(relation: ir.Relation) -> ir.FieldDef:
    return ir.FieldDef(relation.id, ir.RecordsType(relation.record), relation.label, required=False)


def _owner(program: ir.Program, kind: str, what: str, ident: str) -> str:
    """The ancestor kind that declares a rule, cap, note or field exactly as ``kind`` has it (itself if changed)."""
    owner = kind
    current = program.subjects[kind]
    mine = _declaration(current, what, ident)
    while current.extends is not None and current.extends in program.subjects:
        parent = program.subjects[current.extends]
        if mine is None or _declaration(parent, what, ident) != mine:
            break
        owner, current = current.extends, parent
    return owner


def _declaration(subject: ir.SubjectProgram, what: str, ident: str) -> object:
    if what == "rules":
        return subject.rules.get(ident)
    if what == "caps":
        return next((c for c in subject.caps if c.id == ident), None)
    if what == "notes":
        return next((n for n in subject.notes if n.id == ident), None)
    if what == "evidence":
        return subject.field_def(ident)
    if what == "levels":
        return next((r.rules for r in subject.levels if r.level == ident), None)
    if what in ("not_classified", "not_completed"):
        return subject.not_classified if what == "not_classified" else subject.not_completed
    return None


def _key_path(program: ir.Program, kind: str, key: str) -> tuple[str, ir.Span | None]:
    """The document path and span of a rule id or ``cap:``/``note:`` key."""
    subject = program.subjects[kind]
    if key.startswith("cap:"):
        cap_id = key[4:]
        cap = next(c for c in subject.caps if c.id == cap_id)
        return f"subjects.{_owner(program, kind, 'caps', cap_id)}.caps.{cap_id}", cap.span
    if key.startswith("note:"):
        note_id = key[5:]
        note = next(n for n in subject.notes if n.id == note_id)
        return f"subjects.{_owner(program, kind, 'notes', note_id)}.notes.{note_id}", note.span
    rule = subject.rules[key]
    return f"subjects.{_owner(program, kind, 'rules', key)}.rules.{key}", rule.span


def _key_name(key: str) -> tuple[str, str]:
    """(vi, en) words for the kind of a key: a rule, a cap or a note."""
    if key.startswith("cap:"):
        return f"giới hạn '{key[4:]}'", f"cap '{key[4:]}'"
    if key.startswith("note:"):
        return f"ghi chú '{key[5:]}'", f"note '{key[5:]}'"
    return f"quy tắc '{key}'", f"rule '{key}'"


def _key_id(key: str) -> str:
    return key.split(":", 1)[1] if ":" in key else key


# --- which way is better: the polarity of each read ----------------------------------------------------------


class _Polarity:
    """Walks the conditions a level depends on and records, for each evidence path, whether a higher value
    makes a better level more likely (+1), less likely (-1), or either (0), with the rule that says so."""

    def __init__(self, program: ir.Program, subject: ir.SubjectProgram) -> None:
        self.program = program
        self.subject = subject
        self.found: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        self.rule = ""
        self.active: set[tuple[str, int, tuple[str, ...]]] = set()

    def votes(self) -> dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]]:
        s = self.subject
        for rule_id in s.not_completed:
            self.rule = rule_id
            self.truth(ir.RuleRef(rule_id), -1, ())
        for requirement in s.levels:
            for rule_id in requirement.rules:
                self.rule = rule_id
                self.truth(ir.RuleRef(rule_id), 1, ())
        for cap in s.caps:
            self.rule = f"cap:{cap.id}"
            self.truth(cap.when, -1, ())
            self.value(cap.at_most, 1, ())
        out: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for path in sorted(self.found):
            up = tuple(dict.fromkeys(r for sign, r in self.found[path] if sign > 0))
            down = tuple(dict.fromkeys(r for sign, r in self.found[path] if sign < 0))
            out[path] = (up, down)
        return out

    def note(self, path: tuple[str, ...], sign: int) -> None:
        self.found.setdefault(path, []).append((sign, self.rule))

    def truth(self, expr: ir.Expr, sign: int, scope: tuple[str, ...]) -> None:
        match expr:
            case ir.RuleRef(name=name):
                rule = self.subject.rules.get(name)
                marker = (name, sign, scope)
                if rule is None or marker in self.active:
                    return
                self.active.add(marker)
                self.truth(rule.expr, sign, scope)
                self.active.discard(marker)
            case ir.And(operands=operands) | ir.Or(operands=operands):
                for operand in operands:
                    self.truth(operand, sign, scope)
            case ir.Not(operand=operand):
                self.truth(operand, -sign, scope)
            case ir.Compare(ops=ops, operands=operands):
                for op, left, right in zip(ops, operands, operands[1:], strict=False):
                    self.compare(op, left, right, sign, scope)
            case ir.Member(item=item, options=options):
                for part in (item, *options):
                    self.value(part, 0, scope)
            case ir.InPeriod(item=item):
                self.value(item, 0, scope)
            case ir.Exists(source=source, where=where):
                inner = self.source(source, sign, scope)
                self.truth(where, sign, inner)
            case ir.Known():
                return
            case ir.Const() | ir.FieldRef() | ir.RecordFieldRef():
                self.value(expr, sign, scope)
            case ir.PeriodRef() | ir.Arith() | ir.Neg() | ir.Count() | ir.Extremum() | ir.Share() | ir.LevelOf():
                self.value(expr, sign, scope)
            case _:
                assert_never(expr)

    def source(self, source: ir.FieldRef | ir.RecordFieldRef, sign: int, scope: tuple[str, ...]) -> tuple[str, ...]:
        path = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
        self.note(path, sign)
        return path

    def value(self, expr: ir.Expr, sign: int, scope: tuple[str, ...]) -> None:
        match expr:
            case ir.Const() | ir.PeriodRef():
                return
            case ir.FieldRef(name=name):
                self.note((name,), sign)
            case ir.RecordFieldRef(name=name):
                self.note((*scope, name), sign)
            case ir.Arith(op=op, left=left, right=right):
                if op is ir.ArithOp.ADD:
                    self.value(left, sign, scope)
                    self.value(right, sign, scope)
                elif op is ir.ArithOp.SUB or op is ir.ArithOp.DIV:
                    self.value(left, sign, scope)
                    self.value(right, -sign, scope)
                else:
                    for one, other in ((left, right), (right, left)):
                        factor = _constant(other)
                        if factor is not None:
                            self.value(one, sign if factor > 0 else -sign if factor < 0 else 0, scope)
                        elif _constant(one) is None:
                            self.value(one, 0, scope)
            case ir.Neg(operand=operand):
                self.value(operand, -sign, scope)
            case ir.Count(source=source, where=where):
                inner = self.source(source, sign, scope)
                if where is not None:
                    self.truth(where, sign, inner)
            case ir.Share(source=source, where=where):
                inner = self.source(source, 0, scope)
                self.truth(where, sign, inner)
            case ir.LevelOf(source=source):
                inner = self.source(source, 0, scope)
                self.note((*inner, "level"), sign)
            case ir.Extremum(args=args):
                for arg in args:
                    self.value(arg, sign, scope)
            case (
                ir.RuleRef()
                | ir.Compare()
                | ir.And()
                | ir.Or()
                | ir.Not()
                | ir.Member()
                | ir.InPeriod()
                | ir.Exists()
                | ir.Known()
            ):
                self.truth(expr, sign, scope)
            case _:
                assert_never(expr)

    def compare(self, op: ir.CompareOp, left: ir.Expr, right: ir.Expr, sign: int, scope: tuple[str, ...]) -> None:
        a, b = _linear(left, scope), _linear(right, scope)
        if a is not None and b is not None and op not in (ir.CompareOp.EQ, ir.CompareOp.NE):
            # Net coefficients, so that `assigned - on_time <= 20% * assigned` reads `assigned` once, as 80%.
            way = 1 if op in (ir.CompareOp.GT, ir.CompareOp.GE) else -1
            terms = dict(a[0])
            for path, c in b[0].items():
                terms[path] = terms.get(path, Fraction(0)) - c
            for path, c in terms.items():
                if c != 0:
                    self.note(path, sign * way * (1 if c > 0 else -1))
            return
        if op in (ir.CompareOp.GT, ir.CompareOp.GE):
            self.value(left, sign, scope)
            self.value(right, -sign, scope)
        elif op in (ir.CompareOp.LT, ir.CompareOp.LE):
            self.value(left, -sign, scope)
            self.value(right, sign, scope)
        else:
            flip = 1 if op is ir.CompareOp.EQ else -1
            left_way, right_way = self.equality(left, right), self.equality(right, left)
            self.value(left, sign * flip * left_way, scope)
            self.value(right, sign * flip * right_way, scope)

    def equality(self, one: ir.Expr, other: ir.Expr) -> int:
        """How ``one == other`` moves with ``one``: +1 when it means ``one >= other`` (other is the top of one's
        range), -1 when it means ``one <= other`` (the bottom), 0 otherwise."""
        if isinstance(other, ir.Const):
            value = other.value
            if isinstance(value, ir.Ordinal):
                scale = self.program.levels if value.scale == ir.LEVEL_SCALE else self.program.scales.get(value.scale)
                if scale is not None:
                    top = len(scale.values) - 1
                    return 1 if value.rank == top else -1 if value.rank == 0 else 0
                return 0
            if isinstance(value, bool):
                return 1 if value else -1
            if isinstance(value, ir.EnumValue):
                enum = self.program.enums.get(value.name)
                if enum is not None and enum.ordered:
                    return 1 if value.rank == len(enum.values) - 1 else -1 if value.rank == 0 else 0
                return 0
            if isinstance(value, Fraction):
                low, high = self.bounds(one)
                return 1 if high is not None and value >= high else -1 if low is not None and value <= low else 0
            return 0
        if isinstance(one, ir.FieldRef) and isinstance(other, ir.FieldRef):
            mine = self.subject.field_def(one.name)
            theirs = self.subject.field_def(other.name)
            if mine is not None and mine.at_most_field == other.name:
                return 1
            if theirs is not None and theirs.at_most_field == one.name:
                return -1
        return 0

    def bounds(self, expr: ir.Expr) -> tuple[Fraction | None, Fraction | None]:
        if isinstance(expr, ir.Share):
            return Fraction(0), Fraction(1)
        if isinstance(expr, ir.Count):
            return Fraction(0), None
        if isinstance(expr, ir.FieldRef):
            f = self.subject.field_def(expr.name)
            if f is not None and isinstance(f.type, ir.NumberType):
                low = f.minimum if f.minimum is not None else (Fraction(0) if f.type.integer else None)
                return low, f.maximum
        return None, None


def _constant(expr: ir.Expr) -> Fraction | None:
    if isinstance(expr, ir.Const) and isinstance(expr.value, Fraction) and not isinstance(expr.value, bool):
        return expr.value
    if isinstance(expr, ir.Neg):
        inner = _constant(expr.operand)
        return -inner if inner is not None else None
    return None


# --- the values worth trying: boundary values from the program ---------------------------------------------

Linear = tuple[dict[tuple[str, ...], Fraction], Fraction]


def _linear(expr: ir.Expr, scope: tuple[str, ...]) -> Linear | None:
    """``expr`` as Σ coefficient × path + constant, when it is linear in number fields."""
    match expr:
        case ir.Const(value=value):
            if isinstance(value, Fraction) and not isinstance(value, bool):
                return {}, value
            return None
        case ir.FieldRef(name=name, type=ir.NumberType()):
            return {(name,): Fraction(1)}, Fraction(0)
        case ir.RecordFieldRef(name=name, type=ir.NumberType()):
            return {(*scope, name): Fraction(1)}, Fraction(0)
        case ir.Neg(operand=operand):
            inner = _linear(operand, scope)
            return None if inner is None else ({p: -c for p, c in inner[0].items()}, -inner[1])
        case ir.Arith(op=op, left=left, right=right):
            a, b = _linear(left, scope), _linear(right, scope)
            if a is None or b is None:
                return None
            if op is ir.ArithOp.ADD or op is ir.ArithOp.SUB:
                k = 1 if op is ir.ArithOp.ADD else -1
                terms = dict(a[0])
                for p, c in b[0].items():
                    terms[p] = terms.get(p, Fraction(0)) + k * c
                return terms, a[1] + k * b[1]
            if op is ir.ArithOp.MUL:
                if not a[0]:
                    return {p: c * a[1] for p, c in b[0].items()}, a[1] * b[1]
                if not b[0]:
                    return {p: c * b[1] for p, c in a[0].items()}, a[1] * b[1]
                return None
            if op is ir.ArithOp.DIV and not b[0] and b[1] != 0:
                return {p: c / b[1] for p, c in a[0].items()}, a[1] / b[1]
            return None
        case _:
            return None


def _thresholds(
    subject: ir.SubjectProgram, base: Mapping[tuple[str, ...], list[Fraction]]
) -> dict[tuple[str, ...], list[Fraction]]:
    """For each number path, the values where some comparison changes truth, given the others' base values."""
    found: dict[tuple[str, ...], list[Fraction]] = {}

    def visit(expr: ir.Expr, scope: tuple[str, ...]) -> None:
        match expr:
            case ir.Compare(operands=operands):
                for left, right in itertools.pairwise(operands):
                    a, b = _linear(left, scope), _linear(right, scope)
                    if a is None or b is None:
                        continue
                    terms = dict(a[0])
                    for p, c in b[0].items():
                        terms[p] = terms.get(p, Fraction(0)) - c
                    constant = a[1] - b[1]
                    paths = [p for p, c in terms.items() if c != 0]
                    for p in paths:
                        others = [q for q in paths if q != p]
                        choices = [base.get(q, [Fraction(0)]) for q in others]
                        combos = list(itertools.islice(itertools.product(*choices), 64))
                        for combo in combos:
                            rest = constant + sum(
                                (terms[q] * v for q, v in zip(others, combo, strict=True)), Fraction(0)
                            )
                            found.setdefault(p, []).append(-rest / terms[p])
            case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
                inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                visit(where, inner)
                return
            case ir.Count(source=source, where=where):
                if where is not None:
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    visit(where, inner)
                return
            case _:
                pass
        for part in ir.children(expr):
            visit(part, scope)

    for expr in _expressions(subject).values():
        visit(expr, ())
    for cap in subject.caps:
        visit(cap.at_most, ())
    return found


class _Omit:
    """The choice of leaving a field out of the evidence."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()


def _raw_number(value: Fraction) -> object:
    if value.denominator == 1:
        return int(value)
    as_float = float(value)
    return as_float if Fraction(str(as_float)) == value else str(value)


def _near(value: Fraction, integer: bool, step: Fraction) -> list[Fraction]:
    if integer:
        low, high = math.floor(value), math.ceil(value)
        return [Fraction(v) for v in dict.fromkeys((low - 1, low, high, high + 1))]
    return [value - step, value, value + step]


# --- the search for one subject kind -------------------------------------------------------------------------


Assignment = dict[str, object]


@dataclass
class _Sample:
    assignment: Assignment
    outcome: Outcome
    truths: dict[str, Truth]

    @property
    def level(self) -> str | None:
        return self.outcome.level if self.outcome.status is Status.CLASSIFIED else None


@dataclass
class _Violation:
    before: _Sample
    after: _Sample
    path: tuple[str, ...]
    sign: int
    culprits: tuple[str, ...]


class _Search:
    def __init__(
        self,
        program: ir.Program,
        kind: str,
        period: ir.Period,
        rng: random.Random,
        budget: int,
        deadline: float,
        seeds: Sequence[Assignment],
        better: Mapping[str, str],
    ) -> None:
        self.program = program
        self.kind = kind
        self.subject = program.subjects[kind]
        self.period = period
        self.rng = rng
        self.budget = budget
        self.deadline = deadline
        self.seeds = list(seeds)
        self.truncated = False
        self.used = 0
        s = self.subject
        self.relations = {r.id: r for r in s.relations}
        self.fields: dict[str, ir.FieldDef] = {f.id: f for f in s.fields}
        for relation in s.relations:
            self.fields[relation.id] = _relation_field(relation)
        self.augmented = replace(
            program,
            subjects={**program.subjects, kind: replace(s, fields=tuple(_relation_field(r) for r in s.relations))},
        )
        self.loose = replace(
            program,
            subjects={
                **program.subjects,
                kind: replace(s, fields=tuple(replace(f, at_most_field=None) for f in s.fields)),
            },
        )
        self.converted: dict[tuple[str, str], ir.Value | None] = {}
        self.exprs = _expressions(s)
        self.reads = {key: self._closure(_top_reads(s, expr)) for key, expr in self.exprs.items()}
        self.known_reads = {n.ref.name for e in self.exprs.values() for n in _walk(e) if isinstance(n, ir.Known)}
        self.paths = self._read_paths()
        self.domains: dict[tuple[str, str], list[object]] = {}
        self.options: dict[tuple[str, ...], list[dict[str, object]]] = {}
        self.partial: set[str] = set(self.relations)  # fields whose values are a sample, not every combination
        self.predicates = self._predicates()
        self._build_domains()
        self.levels = [v.id for v in program.levels.values]
        self.lowest = program.lowest_level
        self.cache: dict[str, _Sample | None] = {}
        self.seen: dict[str, dict[Truth, list[Assignment]]] = {key: {} for key in self.exprs}
        self.tried: dict[str, int] = dict.fromkeys(self.exprs, 0)
        self.exhaustive: dict[str, bool] = dict.fromkeys(self.exprs, False)
        self.pairs = self._pairs()
        self.refuted: set[tuple[str, str]] = set()
        self.pair_witness: dict[tuple[str, str], Assignment] = {}
        self.pair_exhaustive: dict[tuple[str, str], bool] = {}
        self.reached: dict[str, _Sample] = {}
        self.closest: dict[str, tuple[tuple[int, int], _Sample]] = {}
        self.gap: tuple[int, _Sample] | None = None
        self.pool: list[_Sample] = []
        self.pool_seen = 0
        self.violations: dict[str, _Violation] = {}
        self.probes: dict[tuple[str, ...], ir.Program] = {}
        self.needs_of: dict[str, list[list[tuple[str, Truth]]]] = {}
        self.complete = False  # every complete document (every combination of boundary values) was evaluated
        polarity = _Polarity(program, s).votes()
        self.votes = polarity
        self.moves: list[tuple[tuple[str, ...], int]] = []
        self.ambiguous: set[tuple[str, ...]] = set()
        for path, (up, down) in polarity.items():
            name = _path_text(path)
            way = better.get(name) or _declared_better(program, s, path)
            if way is not None:
                self.moves.append((path, 1 if way == "higher" else -1))
            elif len(up) > len(down):
                self.moves.append((path, 1))
            elif len(down) > len(up):
                self.moves.append((path, -1))
            elif up:
                # As many uses each way: try both, and report the disagreement itself if a level drops.
                self.moves.extend([(path, 1), (path, -1)])
                self.ambiguous.add(path)
        self.moves = [(p, sign) for p, sign in self.moves if self._movable(p)]

    # --- declarations and domains ------------------------------------------------------------------------

    def _closure(self, names: Mapping[str, None]) -> tuple[str, ...]:
        """The fields read, with the fields that bound them (so combinations respect ``at_most``)."""
        out = dict(names)
        for name in list(out):
            f = self.subject.field_def(name)
            while f is not None and f.at_most_field is not None and f.at_most_field not in out:
                out[f.at_most_field] = None
                f = self.subject.field_def(f.at_most_field)
        return tuple(out)

    def _read_paths(self) -> dict[tuple[str, ...], None]:
        found: dict[tuple[str, ...], None] = {}

        def visit(expr: ir.Expr, scope: tuple[str, ...]) -> None:
            match expr:
                case ir.FieldRef(name=name):
                    found[(name,)] = None
                case ir.RecordFieldRef(name=name):
                    found[(*scope, name)] = None
                case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    found[inner] = None
                    visit(where, inner)
                    return
                case ir.Count(source=source, where=where):
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    found[inner] = None
                    if where is not None:
                        visit(where, inner)
                    return
                case ir.LevelOf(source=source):
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    found[inner] = None
                    found[(*inner, "level")] = None
                    return
                case _:
                    pass
            for part in ir.children(expr):
                visit(part, scope)

        for expr in self.exprs.values():
            visit(expr, ())
        for cap in self.subject.caps:
            visit(cap.at_most, ())
        return found

    def _predicates(self) -> dict[tuple[str, ...], list[ir.Expr]]:
        """The conditions on single records: ``where`` of every exists, count and share, by records path."""
        found: dict[tuple[str, ...], dict[ir.Expr, None]] = {}

        def visit(expr: ir.Expr, scope: tuple[str, ...]) -> None:
            match expr:
                case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    found.setdefault(inner, {})[where] = None
                    visit(where, inner)
                    return
                case ir.Count(source=source, where=where):
                    inner = (source.name,) if isinstance(source, ir.FieldRef) else (*scope, source.name)
                    if where is not None:
                        found.setdefault(inner, {})[where] = None
                        visit(where, inner)
                    return
                case _:
                    pass
            for part in ir.children(expr):
                visit(part, scope)

        for expr in self.exprs.values():
            visit(expr, ())
        for cap in self.subject.caps:
            visit(cap.at_most, ())
        return {path: list(exprs) for path, exprs in found.items()}

    def record_fields(self, path: tuple[str, ...]) -> list[ir.FieldDef]:
        """The fields of the records at ``path`` (a records field or relation, possibly nested)."""
        fdef = self.fields.get(path[0])
        for name in path[1:]:
            if fdef is None or not isinstance(fdef.type, ir.RecordsType):
                return []
            record = self.program.records.get(fdef.type.record)
            fdef = next((f for f in record.fields if f.id == name), None) if record else None
        if fdef is None or not isinstance(fdef.type, ir.RecordsType):
            return []
        record = self.program.records.get(fdef.type.record)
        return list(record.fields) if record else []

    def field_at(self, path: tuple[str, ...]) -> ir.FieldDef | None:
        if len(path) == 1:
            return self.fields.get(path[0])
        return next((f for f in self.record_fields(path[:-1]) if f.id == path[-1]), None)

    def _build_domains(self) -> None:
        base: dict[tuple[str, ...], list[Fraction]] = {}
        for path in self._number_paths():
            f = self.field_at(path)
            assert f is not None and isinstance(f.type, ir.NumberType)
            base[path] = self._base_numbers(f)
        thresholds = _thresholds(self.subject, base)
        for path in self._number_paths():
            f = self.field_at(path)
            assert f is not None
            self.domains[("/".join(path[:-1]), path[-1])] = self._numbers(f, base[path], thresholds.get(path, []))

    def _number_paths(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        for name, f in self.fields.items():
            if isinstance(f.type, ir.NumberType):
                out.append((name,))
        for path in self.paths:
            inner = self.field_at(path) if len(path) > 1 else None
            if inner is not None and isinstance(inner.type, ir.NumberType):
                out.append(path)
        return list(dict.fromkeys(out))

    def _bounds(self, f: ir.FieldDef) -> tuple[Fraction | None, Fraction | None]:
        assert isinstance(f.type, ir.NumberType)
        low = f.minimum
        if f.type.integer:
            low = Fraction(0) if low is None else max(low, Fraction(0))
        return low, f.maximum

    def _base_numbers(self, f: ir.FieldDef) -> list[Fraction]:
        assert isinstance(f.type, ir.NumberType)
        low, high = self._bounds(f)
        if f.type.integer:
            values = [Fraction(v) for v in range(0, 11)]
            if high is not None:
                values.append(high)
            return [v for v in values if (low is None or v >= low) and (high is None or v <= high)]
        start = low if low is not None else Fraction(0)
        end = high if high is not None else start + 10
        return list(dict.fromkeys([start, (start + end) / 2, end]))

    def _numbers(self, f: ir.FieldDef, base: list[Fraction], thresholds: list[Fraction]) -> list[object]:
        assert isinstance(f.type, ir.NumberType)
        low, high = self._bounds(f)
        span = (high - low) if high is not None and low is not None else None
        step = Fraction(1, 100) if span is not None and span <= 1 else Fraction(1, 2)
        near: list[Fraction] = []
        for t in thresholds:
            near.extend(_near(t, f.type.integer, step))
        ok = [
            v
            for v in dict.fromkeys(near)
            if (low is None or v >= low) and (high is None or v <= high) and (not f.type.integer or v.denominator == 1)
        ]
        others = [v for v in base if v not in ok]
        if len(ok) > _DOMAIN_LIMIT:
            ok = sorted(ok)[:: math.ceil(len(ok) / _DOMAIN_LIMIT)]
        room = max(_DOMAIN_LIMIT - len(ok), 3)
        if len(others) > room:
            others = sorted(others)[:: math.ceil(len(others) / room)]
        return [_raw_number(v) for v in sorted(dict.fromkeys([*ok, *others]))]

    def domain(self, owner: str, f: ir.FieldDef) -> list[object]:
        """The raw values worth trying for a field (``owner``: "" for the subject, else the records' path)."""
        key = (owner, f.id)
        if key in self.domains:
            return self.domains[key]
        values: list[object]
        match f.type:
            case ir.BoolType():
                values = [False, True]
            case ir.NumberType():
                values = self._numbers(f, self._base_numbers(f), [])
            case ir.OrdinalType(scale=scale_id):
                scale = self.program.levels if scale_id == ir.LEVEL_SCALE else self.program.scales[scale_id]
                values = [v.id for v in scale.values]
            case ir.EnumType(name=name, values=ids):
                enum = self.program.enums.get(name)
                values = [v.id for v in enum.values] if enum else list(ids)
            case ir.DateType():
                p = self.period
                one = timedelta(days=1)
                values = [d.isoformat() for d in (p.start - one, p.start, p.end, p.end + one)]
            case ir.PeriodType():
                values = [{"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}]
            case ir.TextType():
                values = ["x"]
            case ir.RecordsType():
                path = (*tuple(p for p in owner.split("/") if p), f.id)
                values = self._record_lists(path)
            case _:
                assert_never(f.type)
        self.domains[key] = values
        return values

    def _record_lists(self, path: tuple[str, ...]) -> list[object]:
        relation = self.relations.get(path[0]) if len(path) == 1 else None
        if relation is not None:
            return [self._relation_list(relation, n % 6) for n in range(_RELATION_OPTIONS)]
        options = self.record_options(path)
        lists: list[object] = [[]]
        lists.extend([o] for o in options)
        for _ in range(min(6, len(options))):
            lists.append([self.rng.choice(options), self.rng.choice(options)])
        return lists

    def record_options(self, path: tuple[str, ...]) -> list[dict[str, object]]:
        """Single records for the records at ``path``: combinations of the values of the fields that are read,
        chosen so that each condition on these records (``exists(discipline, ...)``) both holds and fails."""
        if path in self.options:
            return self.options[path]
        fields = [f for f in self.record_fields(path) if (*path, f.id) in self.paths]
        owner = "/".join(path)
        choices = [self.domain(owner, f) for f in fields]
        total = math.prod(len(c) for c in choices)
        if total <= ENUMERATION_LIMIT:
            combos = list(itertools.product(*choices))
        else:
            combos = [tuple(self.rng.choice(c) for c in choices) for _ in range(ENUMERATION_LIMIT)]
            self.partial.add(path[0])
        records = [{f.id: v for f, v in zip(fields, combo, strict=True)} for combo in combos]
        limit = _RECORD_OPTIONS if len(path) == 1 else _RECORD_OPTIONS // 4
        chosen: dict[int, None] = {}
        for predicate in self.predicates.get(path, []):
            held, failed = self.split_records(path, predicate, records)
            chosen.update(dict.fromkeys(held[: limit // 4]))
            chosen.update(dict.fromkeys(failed[: limit // 8]))
        rest = [i for i in range(len(records)) if i not in chosen]
        self.rng.shuffle(rest)
        chosen.update(dict.fromkeys(rest[: max(limit - len(chosen), 0)]))
        if len(chosen) < len(records):
            self.partial.add(path[0])
        self.options[path] = [records[i] for i in sorted(chosen)]
        return self.options[path]

    def split_records(
        self, path: tuple[str, ...], predicate: ir.Expr, records: list[dict[str, object]]
    ) -> tuple[list[int], list[int]]:
        """The records (by index) for which a condition on one record holds, and those for which it fails."""
        holder = self.field_at(path)
        if holder is None or not isinstance(holder.type, ir.RecordsType):
            return [], []
        probe_field = ir.FieldDef("records", holder.type, holder.label, required=False)
        rule = ir.Rule(
            "holds",
            ir.Exists(ir.FieldRef("records", holder.type), predicate),
            "",
            holder.label,
            ir.Citation("", ""),
            ir.Confidence.ASSUMED,
        )
        subject = replace(
            self.subject,
            fields=(probe_field,),
            rules={"holds": rule},
            not_classified=(),
            not_completed=(),
            levels=(ir.LevelRequirement(self.program.levels.values[0].id, ("holds",)),),
            caps=(),
            notes=(),
            relations=(),
        )
        program = replace(self.program, subjects={self.kind: subject})
        held: list[int] = []
        failed: list[int] = []
        for index, record in enumerate(records):
            try:
                typed = validate_evidence(program, self.kind, {"records": [record]})
            except EvidenceError:
                continue
            trace = interpreter.evaluate(program, self.kind, typed.values, typed.origins, self.period)
            level = next(c for c in trace.children if c.kind is NodeKind.LEVEL)
            truth = level.children[0].truth
            if truth is Truth.MET:
                held.append(index)
            elif truth is Truth.NOT_MET:
                failed.append(index)
        self.rng.shuffle(held)
        self.rng.shuffle(failed)
        return held, failed

    def _relation_list(self, relation: ir.Relation, size: int) -> list[dict[str, object]]:
        fields = [f for f in self.record_fields((relation.id,)) if (relation.id, f.id) in self.paths]
        records: list[dict[str, object]] = []
        for i in range(size):
            record: dict[str, object] = {"id": f"S{i + 1}", "kind": relation.kinds[i % len(relation.kinds)]}
            for f in fields:
                if f.id in ("id", "kind"):
                    continue
                if f.id == "level" and self.rng.random() < 0.1:
                    continue
                record[f.id] = self.rng.choice(self.domain(relation.id, f))
            records.append(record)
        return records

    def top_domain(self, name: str) -> list[object]:
        f = self.fields[name]
        values = self.domain("", f)
        if name in self.relations:
            return values
        if f.default is not None or not f.required or name in self.known_reads:
            return [*values, OMIT]
        return values

    # --- evaluation ----------------------------------------------------------------------------------------

    def split(self, assignment: Mapping[str, object]) -> tuple[dict[str, object], dict[str, object]]:
        evidence = {k: v for k, v in assignment.items() if k not in self.relations and v is not OMIT}
        relations = {k: v for k, v in assignment.items() if k in self.relations and v is not OMIT}
        return evidence, relations

    def typed(self, assignment: Mapping[str, object]) -> Evidence | None:
        """Typed evidence for the search: each value converted once by the evidence stage and cached, defaults
        and ``at_most`` bounds applied as ``validate_evidence`` does. Counterexamples go through ``strict``."""
        values: dict[str, ir.Value] = {}
        origins: dict[str, str] = {}
        for name, raw in assignment.items():
            if raw is OMIT:
                continue
            key = (name, json.dumps(raw, sort_keys=True, ensure_ascii=False, default=repr))
            if key not in self.converted:
                self.converted[key] = self.convert(name, raw)
            value = self.converted[key]
            if value is None:
                return None
            values[name] = value
            origins[name] = "relation" if name in self.relations else "evidence"
        for f in self.subject.fields:
            if f.id not in values and f.default is not None:
                values[f.id] = f.default
                origins[f.id] = "default"
        for f in self.subject.fields:
            other = f.at_most_field
            if other is not None and f.id in values and other in values and _exceeds(values[f.id], values[other]):
                return None
        return Evidence(values, origins)

    def convert(self, name: str, raw: object) -> ir.Value | None:
        program = self.augmented if name in self.relations else self.loose
        try:
            typed = validate_evidence(program, self.kind, {name: raw})
        except EvidenceError:
            return None
        return typed.values.get(name)

    def strict(self, assignment: Mapping[str, object]) -> Evidence | None:
        """Typed evidence exactly as ``inputs.evaluate`` makes it from raw evidence (``validate_evidence``)."""
        evidence, relations = self.split(assignment)
        try:
            typed = validate_evidence(self.program, self.kind, evidence)
            if not self.relations:
                return typed
            extra = validate_evidence(self.augmented, self.kind, relations)
        except EvidenceError:
            return None
        values = {**typed.values, **extra.values}
        origins = {**typed.origins, **{k: "relation" for k in extra.values}}
        return Evidence(values, origins)

    def evaluate(self, assignment: Assignment, *, count: bool = True) -> _Sample | None:
        if count:
            self.used += 1  # every attempt counts, so that the budget ends the search even when all is cached
        key = json.dumps(assignment, sort_keys=True, ensure_ascii=False, default=repr)
        if key in self.cache:
            return self.cache[key]
        typed = self.typed(assignment)
        sample = None
        if typed is not None:
            result = inputs.evaluate(self.program, self.kind, typed, period=self.period)
            sample = _Sample(dict(assignment), result.outcome, _truths(result.trace))
            self.observe(sample)
        self.cache[key] = sample
        return sample

    def exhausted(self) -> bool:
        if self.used >= self.budget:
            return True
        if time.monotonic() > self.deadline:
            self.truncated = True
            return True
        return False

    # --- observations --------------------------------------------------------------------------------------

    def witness(self, key: str, truth: Truth, assignment: Assignment) -> None:
        kept = self.seen[key].setdefault(truth, [])
        if len(kept) < _WITNESSES:
            kept.append({k: v for k, v in assignment.items() if k in self.reads[key]} or dict(assignment))

    def observe(self, sample: _Sample) -> None:
        for key, truth in sample.truths.items():
            if key in self.seen and truth is not Truth.UNKNOWN:
                self.witness(key, truth, sample.assignment)
        for a, b in self.pairs:
            if sample.truths.get(a) is Truth.MET and sample.truths.get(b) is Truth.NOT_MET:
                self.refuted.add((a, b))
        level = sample.level
        if level is None:
            return
        self.reached.setdefault(level, sample)
        for target in self.levels:
            if target in self.reached:
                continue
            near = self.closeness(target, sample)
            known = self.closest.get(target)
            if known is None or near > known[0]:
                self.closest[target] = (near, sample)
        if sample.outcome.decision is Decision.BELOW_LOWEST and self.subject.levels:
            last = self.subject.levels[-1]
            met = sum(sample.truths.get(r) is Truth.MET for r in last.rules)
            if self.gap is None or met > self.gap[0]:
                self.gap = (met, sample)
        self.pool_seen += 1
        if len(self.pool) < _POOL:
            self.pool.append(sample)
        else:
            slot = self.rng.randrange(self.pool_seen)
            if slot < _POOL:
                self.pool[slot] = sample

    # --- the phases ----------------------------------------------------------------------------------------

    def run(self) -> None:
        self.enumerate()
        names = list(self.fields)
        if math.prod(len(self.top_domain(n)) for n in names) <= self.budget // 2:
            # Small enough to try every complete document: "never" findings are then exhaustive.
            for assignment in self.combos(names, self.budget // 2)[0]:
                if self.exhausted():
                    return
                self.evaluate(assignment)
            self.complete = not self.truncated
        for seed in self.seeds:
            if self.exhausted():
                return
            typed = self.strict(seed)
            if typed is not None:  # written as the search writes values (ids, not labels), so moves apply
                self.evaluate({k: _raw(v) for k, v in typed.values.items() if typed.origins.get(k) == "evidence"})
        for _ in range(max(10, self.budget // 20)):
            if self.exhausted():
                return
            self.evaluate(self.random_assignment())
        self.reach_levels(self.budget // 4)
        self.monotone_anchors()
        tasks = (self.random_step, self.mutate_step, self.monotone_step, self.monotone_step, self.directed_step)
        turn = 0
        while not self.exhausted():
            tasks[turn % len(tasks)]()
            turn += 1

    def combos(self, names: Sequence[str], limit: int) -> tuple[list[Assignment], bool]:
        """Every combination of the values of ``names`` (and True), or a sample of ``limit`` (and False)."""
        choices = [self.top_domain(n) for n in names]
        total = math.prod(len(c) for c in choices)
        if total <= limit:
            complete = not any(n in self.partial for n in names)
            return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)], complete
        sample = [{n: self.rng.choice(c) for n, c in zip(names, choices, strict=True)} for _ in range(limit)]
        return [self.fix_bounds(a) for a in sample], False

    def probe(self, keys: Sequence[str], assignment: Assignment) -> list[Truth] | None:
        """The truth of each key for a (partial) assignment, evaluating only those conditions."""
        typed = self.typed(assignment)
        if typed is None:
            return None
        program = self.probes.get(tuple(keys))
        if program is None:
            program = self.probe_program(keys)
            self.probes[tuple(keys)] = program
        trace = interpreter.evaluate(program, self.kind, typed.values, typed.origins, self.period)
        level = next(c for c in trace.children if c.kind is NodeKind.LEVEL)
        return [c.truth for c in level.children]

    def probe_program(self, keys: Sequence[str]) -> ir.Program:
        s = self.subject
        rules = dict(s.rules)
        ids: list[str] = []
        for key in keys:
            if key in rules:
                ids.append(key)
                continue
            rule_id = f"__probe__{key}"
            expr = self.exprs[key]
            rules[rule_id] = ir.Rule(rule_id, expr, key, ir.Text(key, key), ir.Citation("", ""), ir.Confidence.ASSUMED)
            ids.append(rule_id)
        requirement = ir.LevelRequirement(self.program.levels.values[0].id, tuple(ids))
        probe = replace(s, rules=rules, not_classified=(), not_completed=(), levels=(requirement,), caps=(), notes=())
        return replace(self.program, subjects={self.kind: probe})

    def enumerate(self) -> None:
        """Every combination of the boundary values of the fields a condition reads (or of two conditions of one
        list that share a field); each combination is probed for every condition reading only those fields."""
        jobs: dict[tuple[str, ...], dict[str, None]] = {}
        for key in self.exprs:
            jobs.setdefault(tuple(sorted(self.reads[key])), {})[key] = None
        for a, b in self.pairs:
            job = jobs.setdefault(tuple(sorted({*self.reads[a], *self.reads[b]})), {})
            job[a] = job[b] = None
        for names, own in jobs.items():
            inside = [k for k in self.exprs if k in own]
            pairs = [(a, b) for a, b in self.pairs if a in own and b in own]
            assignments, complete = self.combos(names, ENUMERATION_LIMIT)
            for key in inside:
                self.exhaustive[key] = self.exhaustive[key] or complete
            for pair in pairs:
                self.pair_exhaustive[pair] = self.pair_exhaustive.get(pair, False) or complete
            for assignment in assignments:
                truths = self.probe(inside, assignment)
                if truths is None:
                    continue
                found = dict(zip(inside, truths, strict=True))
                for key, truth in found.items():
                    self.tried[key] += 1
                    if truth is not Truth.UNKNOWN:
                        self.witness(key, truth, assignment)
                for a, b in pairs:
                    if found[a] is Truth.MET and found[b] is Truth.NOT_MET:
                        self.refuted.add((a, b))
                    elif found[a] is Truth.MET and found[b] is Truth.MET:
                        self.pair_witness.setdefault((a, b), assignment)
            if time.monotonic() > self.deadline:
                self.truncated = True
                return

    def _pairs(self) -> list[tuple[str, str]]:
        """Pairs (a, b) of entries of one list whose conditions share a field: candidates for a ⇒ b."""
        s = self.subject
        lists = [s.not_classified, s.not_completed, *(r.rules for r in s.levels)]
        out: dict[tuple[str, str], None] = {}
        for entries in lists:
            for a, b in itertools.permutations(dict.fromkeys(entries), 2):
                if a in self.reads and b in self.reads and set(self.reads[a]) & set(self.reads[b]):
                    out[(a, b)] = None
        return list(out)

    def random_assignment(self) -> Assignment:
        assignment: Assignment = {}
        for name in self.fields:
            assignment[name] = self.rng.choice(self.top_domain(name))
        return self.fix_bounds(assignment)

    def fix_bounds(self, assignment: Assignment) -> Assignment:
        for _ in self.subject.fields:
            changed = False
            for f in self.subject.fields:
                other = f.at_most_field
                if other is None:
                    continue
                mine, theirs = assignment.get(f.id, OMIT), assignment.get(other, OMIT)
                a, b = self.order(f, mine), self.order(self.fields[other], theirs)
                if a is not None and b is not None and a > b:
                    assignment[f.id] = theirs
                    changed = True
            if not changed:
                break
        return assignment

    def order(self, f: ir.FieldDef | None, raw: object) -> Fraction | None:
        """Where a raw value stands in its field's order (None: unordered, or absent)."""
        if f is None or raw is OMIT:
            return None
        match f.type:
            case ir.BoolType():
                return Fraction(int(raw)) if isinstance(raw, bool) else None
            case ir.NumberType():
                if isinstance(raw, bool):
                    return None
                if isinstance(raw, int):
                    return Fraction(raw)
                if isinstance(raw, float):
                    return Fraction(str(raw))
                if isinstance(raw, str):
                    return Fraction(raw)
                return None
            case ir.OrdinalType(scale=scale_id):
                scale = self.program.levels if scale_id == ir.LEVEL_SCALE else self.program.scales.get(scale_id)
                ids = [v.id for v in scale.values] if scale else []
                return Fraction(len(ids) - 1 - ids.index(raw)) if raw in ids else None
            case ir.EnumType(name=name):
                enum = self.program.enums.get(name)
                if enum is None or not enum.ordered:
                    return None
                ids = [v.id for v in enum.values]
                return Fraction(ids.index(raw)) if raw in ids else None
            case ir.DateType() | ir.PeriodType() | ir.TextType() | ir.RecordsType():
                return None
            case _:
                assert_never(f.type)

    def mutate(self, assignment: Assignment, names: Sequence[str], times: int) -> Assignment:
        out = dict(assignment)
        for _ in range(times):
            name = self.rng.choice(list(names))
            out[name] = self.rng.choice(self.top_domain(name))
        return self.fix_bounds(out)

    def random_step(self) -> None:
        self.evaluate(self.random_assignment())

    def mutate_step(self) -> None:
        if not self.pool:
            self.random_step()
            return
        base = self.rng.choice(self.pool)
        self.evaluate(self.mutate(base.assignment, list(self.fields), self.rng.randint(1, 3)))

    # --- reaching a target: levels and the gap ------------------------------------------------------------

    def needs(self, target: str) -> list[list[tuple[str, Truth]]]:
        """What must hold for ``target`` (a level id, or "gap"): each need is a list of alternatives."""
        known = self.needs_of.get(target)
        if known is None:
            known = self.needs_of[target] = self._needs(target)
        return known

    def _needs(self, target: str) -> list[list[tuple[str, Truth]]]:
        s = self.subject
        out: list[list[tuple[str, Truth]]] = [[(r, Truth.NOT_MET)] for r in s.not_classified]
        if target == self.lowest:
            return [*out, [(r, Truth.MET) for r in s.not_completed]]
        out.extend([(r, Truth.NOT_MET)] for r in s.not_completed)
        wanted = next((r for r in s.levels if r.level == target), None)
        for requirement in s.levels:
            if wanted is not None and requirement.level == target:
                out.extend([(r, Truth.MET)] for r in requirement.rules)
                break
            others = [r for r in requirement.rules if wanted is None or r not in wanted.rules]
            out.append([(r, Truth.NOT_MET) for r in others])  # empty when the level cannot fail: never met
        if wanted is not None:
            out.extend([(f"cap:{c.id}", Truth.NOT_MET)] for c in s.caps)
        return out

    def possible(self, target: str) -> bool:
        return all(self.needs(target))

    def reached_target(self, target: str, sample: _Sample) -> bool:
        if target == "gap":
            return sample.outcome.decision is Decision.BELOW_LOWEST
        return sample.level == target

    def as_close(self, target: str, near: tuple[int, int]) -> Callable[[Sequence[_Sample]], bool]:
        return lambda samples: self.closeness(target, samples[0]) >= near

    def closeness(self, target: str, sample: _Sample) -> tuple[int, int]:
        """How near a sample comes to a level: its rules that hold, then everything else it needs."""
        own = next((r.rules for r in self.subject.levels if r.level == target), self.subject.not_completed)
        met = sum(sample.truths.get(r) is Truth.MET for r in own)
        return met, self.score(self.needs(target), sample)

    def score(self, needs: list[list[tuple[str, Truth]]], sample: _Sample) -> int:
        return sum(any(sample.truths.get(k) is t for k, t in need) for need in needs)

    def climb(self, target: str, steps: int) -> None:
        needs = self.needs(target)
        start = max(self.pool, key=lambda p: self.score(needs, p), default=None) if self.pool else None
        current = start or self.evaluate(self.random_assignment())
        if current is None:
            return
        best = self.score(needs, current)
        for _ in range(steps):
            if self.exhausted() or self.reached_target(target, current):
                return
            open_needs = [n for n in needs if n and not any(current.truths.get(k) is t for k, t in n)]
            if not open_needs:
                current = self.evaluate(self.mutate(current.assignment, list(self.fields), 1)) or current
                continue
            key, truth = self.rng.choice(self.rng.choice(open_needs))
            candidate = dict(current.assignment)
            witnesses = self.seen.get(key, {}).get(truth, [])
            if witnesses and self.rng.random() < 0.7:
                candidate.update(self.rng.choice(witnesses))
                candidate = self.fix_bounds(candidate)
            else:
                names = self.reads.get(key) or tuple(self.fields)
                candidate = self.mutate(candidate, names, 1)
            sample = self.evaluate(candidate)
            if sample is None:
                continue
            value = self.score(needs, sample)
            if value >= best:
                current, best = sample, value

    def targets(self) -> list[str]:
        wanted = [lv for lv in self.levels if lv not in self.reached]
        if self.gap is None and self.subject.levels and self.possible("gap"):
            wanted.append("gap")
        return wanted

    def reach_levels(self, budget: int) -> None:
        stop = self.used + budget
        for target in self.targets():
            for _ in range(3):
                if self.used >= stop or self.exhausted():
                    return
                if target in self.reached or (target == "gap" and self.gap is not None):
                    break
                self.climb(target, 60)

    def directed_step(self) -> None:
        targets = self.targets()
        if not targets:
            self.mutate_step()
            return
        self.climb(self.rng.choice(targets), 20)

    # --- monotonicity --------------------------------------------------------------------------------------

    def _movable(self, path: tuple[str, ...]) -> bool:
        if len(path) > 2:
            return False
        f = self.field_at(path)
        if f is None:
            return False
        if isinstance(f.type, ir.RecordsType):
            return len(path) == 1 and path[0] not in self.relations
        return self.order(f, self.domain("/".join(path[:-1]), f)[0]) is not None

    def improvements(self, assignment: Assignment, path: tuple[str, ...], sign: int, every: bool) -> list[Assignment]:
        """Assignments that differ from ``assignment`` by one value moved in the better direction of ``path``,
        nearest first; without ``every``, the nearest and one other chosen at random."""
        top = path[0]
        f = self.field_at(path)
        current = assignment.get(top, OMIT)
        if f is None or current is OMIT:
            return []
        moved: list[tuple[Fraction, Assignment]] = []
        if len(path) == 1 and isinstance(f.type, ir.RecordsType):
            if not isinstance(current, list):
                return []
            if sign < 0:
                moved = [
                    (Fraction(0), {**assignment, top: current[:i] + current[i + 1 :]}) for i in range(len(current))
                ]
            else:
                moved = [(Fraction(0), {**assignment, top: [*current, o]}) for o in self.record_options(path)[:3]]
        elif len(path) == 1:
            here = self.order(f, current)
            if here is None:
                return []
            for u in self.domain("", f):
                there = self.order(f, u)
                if there is not None and (there - here) * sign > 0:
                    moved.append((abs(there - here), {**assignment, top: u}))
        elif isinstance(current, list):
            for i, record in enumerate(current):
                if not isinstance(record, dict):
                    continue
                here = self.order(f, record.get(path[1], OMIT))
                if here is None:
                    continue
                for u in self.domain(top, f):
                    there = self.order(f, u)
                    if there is not None and (there - here) * sign > 0:
                        changed = [*current]
                        changed[i] = {**record, path[1]: u}
                        moved.append((abs(there - here), {**assignment, top: changed}))
        moved.sort(key=lambda m: m[0])
        out = [m[1] for m in moved]
        if not every and len(out) > 2:
            return [out[0], self.rng.choice(out[1:])]
        return out

    def check_move(self, before: _Sample, after_assignment: Assignment, path: tuple[str, ...], sign: int) -> None:
        after = self.evaluate(after_assignment)
        if after is None or before.level is None or after.level is None:
            return
        rank = self.program.levels.rank
        if rank(after.level) >= rank(before.level):
            return
        culprits = self.culprits(before, after)
        key = culprits[0] if culprits else _path_text(path)
        if path in self.ambiguous:
            key = f"~{_path_text(path)}~{sign}"
        if key not in self.violations:
            self.violations[key] = _Violation(before, after, path, sign, culprits)

    def worse(self, pair: Sequence[_Sample]) -> bool:
        before, after = pair
        if before.level is None or after.level is None:
            return False
        return self.program.levels.rank(after.level) < self.program.levels.rank(before.level)

    def culprits(self, before: _Sample, after: _Sample) -> tuple[str, ...]:
        """The conditions that turned against the subject: a level rule that stopped holding, a trigger or cap
        that started to."""
        s = self.subject
        out: dict[str, None] = {}
        for rule_id in s.not_completed:
            if before.truths.get(rule_id) is Truth.NOT_MET and after.truths.get(rule_id) is Truth.MET:
                out[rule_id] = None
        for requirement in s.levels:
            for rule_id in requirement.rules:
                if before.truths.get(rule_id) is Truth.MET and after.truths.get(rule_id) is Truth.NOT_MET:
                    out[rule_id] = None
        for cap in s.caps:
            key = f"cap:{cap.id}"
            if before.truths.get(key) is Truth.NOT_MET and after.truths.get(key) is Truth.MET:
                out[key] = None
        return tuple(out)

    def monotone_anchors(self) -> None:
        """From a document of each level reached: every value of each directed field in turn (a sweep), and
        the one-step moves of records. A level that drops between two neighbouring values is a violation."""
        anchors = [self.reached[lv] for lv in self.levels if lv in self.reached]
        for anchor in anchors:
            for path, sign in self.moves:
                if self.exhausted():
                    return
                f = self.field_at(path)
                if len(path) == 1 and f is not None and not isinstance(f.type, ir.RecordsType):
                    self.sweep(anchor, path, sign, f)
                    continue
                for candidate in self.improvements(anchor.assignment, path, sign, every=True)[:6]:
                    self.check_move(anchor, candidate, path, sign)

    def sweep(self, anchor: _Sample, path: tuple[str, ...], sign: int, f: ir.FieldDef) -> None:
        ordered: list[tuple[Fraction, _Sample]] = []
        for value in self.domain("", f):
            rank = self.order(f, value)
            sample = self.evaluate({**anchor.assignment, path[0]: value}) if rank is not None else None
            if rank is not None and sample is not None and sample.level is not None:
                ordered.append((rank, sample))
        ordered.sort(key=lambda item: item[0] * sign)  # worse values first
        for (_, worse), (_, better) in itertools.pairwise(ordered):
            self.check_move(worse, better.assignment, path, sign)

    def monotone_step(self) -> None:
        classified = [p for p in self.pool if p.level is not None]
        if not classified or not self.moves:
            self.mutate_step()
            return
        base = self.rng.choice(classified)
        path, sign = self.rng.choice(self.moves)
        candidates = self.improvements(base.assignment, path, sign, every=False)
        if not candidates:
            self.used += 1  # an empty move still costs a turn, so that the loop always ends
            return
        self.check_move(base, self.rng.choice(candidates), path, sign)

    # --- simpler counterexamples -------------------------------------------------------------------------

    def simplify(
        self, assignments: Sequence[Assignment], holds: Callable[[Sequence[_Sample]], bool], keep: str = ""
    ) -> list[Assignment]:
        """Leave out what a claim does not need: optional fields omitted, records and relations emptied. Each
        change is made to every document at once and kept only when the claim still holds after evaluation."""
        current = [dict(a) for a in assignments]
        for name in self.fields:
            if name == keep:
                continue
            f = self.fields[name]
            plain: list[object] = []
            if name not in self.relations and (f.default is not None or not f.required):
                plain.append(OMIT)
            if isinstance(f.type, ir.RecordsType):
                plain.append([])
            for value in plain:
                if all(a.get(name, OMIT) == value for a in current):
                    break
                trial = [{**a, name: value} for a in current]
                samples = [self.evaluate(t, count=False) for t in trial]
                if all(sample is not None for sample in samples) and holds([x for x in samples if x is not None]):
                    current = trial
                    break
        return [{k: v for k, v in a.items() if v is not OMIT} for a in current]

    # --- findings ------------------------------------------------------------------------------------------

    def counterexample(self, role: str, assignment: Assignment, keys: Sequence[str] = ()) -> Counterexample | None:
        """The assignment re-evaluated through ``inputs.evaluate`` (never from the cache)."""
        typed = self.strict(assignment)
        if typed is None:
            return None
        result = inputs.evaluate(self.program, self.kind, typed, period=self.period)
        truths = _truths(result.trace)
        missing = [k for k in keys if k not in truths]
        if missing:
            probed = self.probe(missing, assignment) or []
            truths.update(zip(missing, probed, strict=False))
        outcome = result.outcome
        evidence, relations = self.split(assignment)
        shown = outcome.level if outcome.status is Status.CLASSIFIED and outcome.level else outcome.status.value
        return Counterexample(
            role,
            evidence,
            relations,
            _period_text(self.period),
            shown,
            {k: truths[k].value for k in keys if k in truths},
        )

    def level_code(self, level: str) -> str:
        return self.program.level_code(level)

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        out.extend(self.level_findings())
        out.extend(self.truth_findings())
        out.extend(self.shadow_findings())
        out.extend(self.monotone_findings())
        return out

    def level_findings(self) -> list[Finding]:
        out: list[Finding] = []
        s = self.subject
        for level in self.levels:
            if level in self.reached:
                continue
            code = self.level_code(level)
            requirement = next((r for r in s.levels if r.level == level), None)
            if requirement is not None:
                path = f"subjects.{_owner(self.program, self.kind, 'levels', level)}.levels.{level}"
                span: ir.Span | None = requirement.span
                keys: tuple[str, ...] = requirement.rules
            else:
                path = f"subjects.{_owner(self.program, self.kind, 'not_completed', '')}.not_completed"
                span = s.span
                keys = s.not_completed
            closest = self.closest.get(level)
            examples: list[Counterexample] = []
            if closest is not None:
                (simple,) = self.simplify([closest[1].assignment], self.as_close(level, closest[0]))
                example = self.counterexample("closest", simple, keys)
                if example is not None:
                    examples.append(example)
            out.append(
                Finding(
                    "level-never-reached",
                    self.kind,
                    path,
                    span,
                    ir.Text(
                        f"không bộ căn cứ nào trong {len(self.cache)} bộ đã thử cho '{self.kind}' đạt mức {code} "
                        f"('{level}'){' (đã thử mọi tổ hợp giá trị biên)' if self.complete else ''}",
                        f"none of the {len(self.cache)} evidence documents tried for '{self.kind}' reaches {code} "
                        f"('{level}'){' (every combination of the boundary values)' if self.complete else ''}",
                    ),
                    tuple(examples),
                    (level, *keys),
                    exhaustive=self.complete,
                )
            )
        if self.gap is not None and s.levels:
            last = s.levels[-1]
            lowest = self.lowest
            (simple,) = self.simplify(
                [self.gap[1].assignment], lambda x: x[0].outcome.decision is Decision.BELOW_LOWEST
            )
            example = self.counterexample("witness", simple, (*s.not_completed, *last.rules))
            if example is not None and example.outcome == lowest:
                failed = [k for k in last.rules if example.truths.get(k) == Truth.NOT_MET.value]
                code, above = self.level_code(lowest), self.level_code(last.level)
                out.append(
                    Finding(
                        "level-gap",
                        self.kind,
                        f"subjects.{_owner(self.program, self.kind, 'levels', last.level)}.levels.{last.level}",
                        last.span,
                        ir.Text(
                            f"căn cứ không đạt yêu cầu của mức nào và không vướng trường hợp {code} nào vẫn bị xếp "
                            f"{code} theo mặc định (không đạt {above}: {', '.join(failed)})",
                            f"evidence that meets no level and triggers no {code} rule still falls to {code} by "
                            f"default (it fails {above}: {', '.join(failed)})",
                        ),
                        (example,),
                        (lowest, last.level, *failed),
                    )
                )
        return out

    def truth_findings(self) -> list[Finding]:
        out: list[Finding] = []
        for key in self.exprs:
            if key.startswith("__probe__"):
                continue
            seen = self.seen[key]
            if not seen:
                continue  # always unknown: reads nothing the search can supply
            path, span = _key_path(self.program, self.kind, key)
            vi_name, en_name = _key_name(key)
            fields = ", ".join(self.reads[key]) or "-"
            how_en = "every combination of the boundary values" if self.exhaustive[key] else "a sample"
            how_vi = "mọi tổ hợp giá trị biên" if self.exhaustive[key] else "một mẫu"
            for missing, code, word_vi, word_en in (
                (Truth.MET, "rule-never-holds", "không bao giờ đúng", "never holds"),
                (Truth.NOT_MET, "rule-always-holds", "luôn đúng", "never fails"),
            ):
                if missing in seen:
                    continue
                other = Truth.NOT_MET if missing is Truth.MET else Truth.MET
                example = self.counterexample("closest", seen[other][0], (key,))
                examples = (example,) if example is not None else ()
                out.append(
                    Finding(
                        code,
                        self.kind,
                        path,
                        span,
                        ir.Text(
                            f"{vi_name} {word_vi} với {self.tried[key]} bộ căn cứ đã thử ({how_vi} của {fields})",
                            f"{en_name} {word_en} for the {self.tried[key]} evidence combinations tried ({how_en} "
                            f"of {fields})",
                        ),
                        examples,
                        (_key_id(key),),
                        exhaustive=self.exhaustive[key] and bool(self.tried[key]),
                    )
                )
        return out

    def shadow_findings(self) -> list[Finding]:
        out: list[Finding] = []
        s = self.subject
        lists: list[tuple[str, str, tuple[str, ...], bool]] = [
            ("not_classified", "", s.not_classified, False),
            ("not_completed", "", s.not_completed, False),
            *(("levels", r.level, r.rules, True) for r in s.levels),
        ]
        for what, level, entries, conjunctive in lists:
            reported: set[str] = set()
            for i, a in enumerate(entries):
                for j, b in enumerate(entries):
                    if a == b or (a, b) not in self.pair_exhaustive or (a, b) in self.refuted:
                        continue
                    if (a, b) not in self.pair_witness:
                        continue  # a never holds alongside b: reported as never holding instead
                    # In an "all" list, b adds nothing when a implies it; in an "any" list, a adds nothing.
                    shadowed, by, index = (b, a, j) if conjunctive else (a, b, i)
                    if Truth.NOT_MET not in self.seen.get(shadowed, {}) and conjunctive:
                        continue  # b always holds: reported as such
                    if (by, shadowed) not in self.refuted and (entries.index(by) > entries.index(shadowed)):
                        continue  # equivalent entries: report the later one only
                    if shadowed in reported:
                        continue
                    reported.add(shadowed)
                    owner = _owner(self.program, self.kind, what, level)
                    where = f"subjects.{owner}.{what}" + (f".{level}" if level else "") + f"[{index}]"
                    example = self.counterexample("witness", self.pair_witness[(a, b)], (a, b))
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
                            self.kind,
                            where,
                            s.rules[shadowed].span if shadowed in s.rules else requirement_span,
                            text,
                            (example,) if example is not None else (),
                            (shadowed, by),
                            exhaustive=self.pair_exhaustive[(a, b)],
                        )
                    )
        return out

    def confirmed(self, violation: _Violation) -> tuple[Counterexample, Counterexample] | None:
        """The violation's two documents, simplified and re-evaluated; None unless the level really drops."""
        pair = self.simplify([violation.before.assignment, violation.after.assignment], self.worse, violation.path[0])
        before = self.counterexample("before", pair[0], violation.culprits)
        after = self.counterexample("after", pair[1], violation.culprits)
        if before is None or after is None or before.outcome not in self.levels or after.outcome not in self.levels:
            return None
        if self.program.levels.rank(after.outcome) >= self.program.levels.rank(before.outcome):
            return None
        return before, after

    def monotone_findings(self) -> list[Finding]:
        out: list[Finding] = []
        both_ways: dict[tuple[str, ...], list[tuple[_Violation, Counterexample, Counterexample]]] = {}
        for key, violation in sorted(self.violations.items()):
            pair = self.confirmed(violation)
            if pair is None:
                continue
            before, after = pair
            if key.startswith("~"):
                both_ways.setdefault(violation.path, []).append((violation, before, after))
                continue
            path_text = _path_text(violation.path)
            change = _change(violation.path, before, after)
            culprits = ", ".join(violation.culprits) or "-"
            if key in self.exprs:
                path, span = _key_path(self.program, self.kind, key)
            else:
                path, span = self.field_path(violation.path[0])
            b_code, a_code = self.level_code(before.outcome), self.level_code(after.outcome)
            way_en = "higher" if violation.sign > 0 else "lower"
            way_vi = "cao hơn" if violation.sign > 0 else "thấp hơn"
            out.append(
                Finding(
                    "non-monotone",
                    self.kind,
                    path,
                    span,
                    ir.Text(
                        f"căn cứ tốt hơn lại cho mức thấp hơn: {path_text} {change} (tốt hơn khi {way_vi}) làm mức "
                        f"giảm từ {b_code} xuống {a_code}; do: {culprits}",
                        f"better evidence gives a worse level: {path_text} {change} (better when {way_en}) lowers the "
                        f"level from {b_code} to {a_code}; because of: {culprits}",
                    ),
                    (before, after),
                    tuple(dict.fromkeys([*map(_key_id, violation.culprits), path_text, *self.notes(violation)])),
                )
            )
        for field_path, found in both_ways.items():
            path_text = _path_text(field_path)
            up, down = self.votes[field_path]
            moves_en = "; ".join(
                f"{_change(field_path, b, a)} lowers {self.level_code(b.outcome)} to {self.level_code(a.outcome)}"
                for _, b, a in found
            )
            moves_vi = "; ".join(
                f"{_change(field_path, b, a)} làm mức giảm từ {self.level_code(b.outcome)} xuống "
                f"{self.level_code(a.outcome)}"
                for _, b, a in found
            )
            path, span = self.field_path(field_path[0])
            blamed = [c for v, _, _ in found for c in v.culprits]
            out.append(
                Finding(
                    "non-monotone",
                    self.kind,
                    path,
                    span,
                    ir.Text(
                        f"các quy tắc đọc {path_text} theo hai chiều ngược nhau (cao hơn là tốt hơn: "
                        f"{', '.join(up)}; thấp hơn là tốt hơn: {', '.join(down)}) nên không rõ chiều nào tốt hơn: "
                        f"{moves_vi}",
                        f"the rules read {path_text} both ways (better when higher: {', '.join(up)}; when lower: "
                        f"{', '.join(down)}), so neither way is better: {moves_en}",
                    ),
                    tuple(c for _, b, a in found for c in (b, a)),
                    tuple(dict.fromkeys([path_text, *map(_key_id, (*up, *down, *blamed))])),
                )
            )
        return out

    def field_path(self, name: str) -> tuple[str, ir.Span | None]:
        if name in self.relations:
            return f"subjects.{self.kind}.relations.{name}", self.relations[name].span
        return f"subjects.{_owner(self.program, self.kind, 'evidence', name)}.evidence.{name}", self.fields[name].span

    def notes(self, violation: _Violation) -> list[str]:
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


def _raw(value: ir.Value) -> object:
    """A typed value as raw evidence writes it: ids for scale and enum values, ISO dates, plain numbers."""
    match value:
        case bool() | str():
            return value
        case Fraction():
            return _raw_number(value)
        case ir.Ordinal(id=ident) | ir.EnumValue(id=ident):
            return ident
        case date():
            return value.isoformat()
        case ir.Period(start=start, end=end):
            return {"start": start.isoformat(), "end": end.isoformat()}
        case tuple():
            return [{k: _raw(v) for k, v in r.values.items()} for r in value if isinstance(r, ir.Record)]
        case _:
            assert_never(value)


def _exceeds(value: ir.Value, bound: ir.Value) -> bool:
    if isinstance(value, Fraction) and isinstance(bound, Fraction):
        return value > bound
    if isinstance(value, ir.Ordinal) and isinstance(bound, ir.Ordinal) and value.scale == bound.scale:
        return value > bound
    if isinstance(value, date) and isinstance(bound, date):
        return value > bound
    return False


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


def _truths(trace: TraceNode) -> dict[str, Truth]:
    """The truth of every rule, cap and note evaluated in a trace, by key."""
    out: dict[str, Truth] = {}
    stack = [trace]
    while stack:
        node = stack.pop()
        if node.kind is NodeKind.RULE:
            out.setdefault(node.id, node.truth)
        elif node.kind is NodeKind.CAP:
            out[f"cap:{node.id}"] = node.truth
        elif node.kind is NodeKind.NOTE:
            out[f"note:{node.id}"] = node.truth
        stack.extend(node.children)
    return out


# --- fields nothing reads ----------------------------------------------------------------------------------


def _unused_fields(program: ir.Program, searches: Mapping[str, _Search]) -> list[Finding]:
    read: dict[str, set[str]] = {kind: set() for kind in program.subjects}
    record_reads: dict[str, set[str]] = {}
    for kind, search in searches.items():
        for path in search.paths:
            read[kind].add(path[0])
            for depth in range(1, len(path)):
                holder = search.field_at(path[:depth])
                if holder is None or not isinstance(holder.type, ir.RecordsType):
                    break
                record_reads.setdefault(holder.type.record, set()).add(path[depth])
                relation = search.relations.get(path[0]) if depth == 1 else None
                if relation is not None:
                    for other in relation.kinds:
                        read.setdefault(other, set()).add(path[depth])
    for quota in program.quotas:
        for kind in quota.kinds:
            read.setdefault(kind, set()).update(k.field for k in quota.rank_by)
            if quota.group_field:
                read.setdefault(kind, set()).add(quota.group_field)
    # A field inherited unchanged is one declaration: it is unused only when no kind sharing it reads it.
    sharing: dict[tuple[str, str], list[str]] = {}
    for kind in searches:
        for f in program.subjects[kind].fields:
            sharing.setdefault((_owner(program, kind, "evidence", f.id), f.id), []).append(kind)
    out: list[Finding] = []
    for (owner, name), kinds in sharing.items():
        if any(name in read.get(k, set()) for k in kinds):
            continue
        search = searches[kinds[0]]
        field_def = search.fields[name]
        examples = _same_outcome(search, field_def)
        out.append(
            Finding(
                "unused-field",
                kinds[0],
                f"subjects.{owner}.evidence.{field_def.id}",
                field_def.span,
                ir.Text(
                    f"trường căn cứ '{field_def.id}' được khai báo nhưng không quy tắc, giới hạn, ghi chú hay tỷ lệ "
                    f"nào của {', '.join(kinds)} đọc",
                    f"evidence field '{field_def.id}' is declared but no rule, cap, note or quota of "
                    f"{', '.join(kinds)} reads it",
                ),
                examples,
                (field_def.id,),
                kinds=tuple(kinds),
                exhaustive=True,
            )
        )
    relation_records = {r.record for s in program.subjects.values() for r in s.relations}
    holders: dict[str, list[tuple[str, str]]] = {}
    for kind, search in searches.items():
        for f in search.fields.values():
            if isinstance(f.type, ir.RecordsType):
                holders.setdefault(f.type.record, []).append((kind, f.id))
    for record_id, record in program.records.items():
        if record_id in relation_records:
            continue
        held = holders.get(record_id, [])
        if held and not any(name in read.get(kind, set()) for kind, name in held):
            continue  # every field holding these records is reported unused itself: its record's fields add nothing
        used = record_reads.get(record_id, set())
        for f in record.fields:
            if f.id in used:
                continue
            out.append(
                Finding(
                    "unused-field",
                    "",
                    f"records.{record_id}.fields.{f.id}",
                    f.span if f.span != ir.NO_SPAN else None,
                    ir.Text(
                        f"trường '{f.id}' của bản ghi '{record_id}' được khai báo nhưng không điều kiện nào đọc",
                        f"field '{f.id}' of record type '{record_id}' is declared but no condition reads it",
                    ),
                    (),
                    (f.id, record_id),
                    exhaustive=True,
                )
            )
    return out


def _raw_default(f: ir.FieldDef) -> object:
    value = f.default
    if isinstance(value, Fraction) and not isinstance(value, bool):
        return _raw_number(value)
    if isinstance(value, tuple):
        return [] if not value else None
    return value


def _same(samples: Sequence[_Sample]) -> bool:
    return samples[0].outcome == samples[1].outcome


def _same_outcome(search: _Search, f: ir.FieldDef) -> tuple[Counterexample, ...]:
    """Two documents that differ only in the unread field and get the same outcome, re-evaluated."""
    base = next((search.reached[lv] for lv in search.levels if lv in search.reached), None)
    if base is None:
        return ()
    now = base.assignment.get(f.id, OMIT)
    values = [v for v in search.domain("", f) if v != now and not (now is OMIT and v == _raw_default(f))]
    if not values:
        return ()
    changed = search.fix_bounds({**base.assignment, f.id: values[0]})
    pair = search.simplify([base.assignment, changed], _same, keep=f.id)
    before = search.counterexample("before", pair[0])
    after = search.counterexample("after", pair[1])
    if before is None or after is None or before.outcome != after.outcome:
        return ()
    return (before, after)


# --- rules no framework test exercises -----------------------------------------------------------------------


@dataclass
class _Tests:
    period: ir.Period | None = None
    seeds: dict[str, list[Assignment]] = field(default_factory=dict)
    truths: dict[tuple[str, str], set[Truth]] = field(default_factory=dict)  # (kind, key) → truths seen
    reasons: dict[str, set[str]] = field(default_factory=dict)  # kind → rule and cap ids among reasons
    cases: int = 0


def _read_tests(program: ir.Program, path: Path) -> _Tests:
    """Evaluate every case of a framework test file, recording what each rule was and what decided."""
    tests = _Tests()
    try:
        document = loader.load_file(path, display=str(path))
    except (FrameworkError, OSError):
        return tests
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        return tests
    default = data.get("period")
    try:
        tests.period = inputs.parse_period(default) if isinstance(default, str | int | dict | date) else None
    except ValueError:
        tests.period = None
    for case in data["cases"]:
        if not isinstance(case, dict):
            continue
        spec = case.get("period", default)
        try:
            period = inputs.parse_period(spec) if isinstance(spec, str | int | dict | date) else tests.period
        except ValueError:
            continue
        if period is None:
            continue
        if isinstance(case.get("population"), dict):
            outcome = population.evaluate_population(program, population.from_document(case["population"]), period)
            for result in outcome.results:
                _record_case(tests, result.subject_kind, result.trace)
            continue
        kind, evidence = case.get("subject"), case.get("evidence")
        if not isinstance(kind, str) or kind not in program.subjects or not isinstance(evidence, dict):
            continue
        try:
            result = inputs.evaluate(program, kind, evidence, period=period)
        except EvidenceError:
            continue
        tests.seeds.setdefault(kind, []).append({str(k): v for k, v in evidence.items()})
        _record_case(tests, kind, result.trace)
    return tests


def _record_case(tests: _Tests, kind: str, trace: TraceNode) -> None:
    tests.cases += 1
    for key, truth in _truths(trace).items():
        tests.truths.setdefault((kind, key), set()).add(truth)
    if trace.outcome is not None:
        tests.reasons.setdefault(kind, set()).update(trace.outcome.reasons)


def _untested(program: ir.Program, tests: _Tests, searches: Mapping[str, _Search]) -> list[Finding]:
    """A rule (or cap) is exercised when some case has it among the reasons, or its truth differs across cases
    (met in one, not met in another). Kinds that inherit a rule unchanged share its cases."""
    groups: dict[tuple[str, str], list[str]] = {}
    for kind, subject in program.subjects.items():
        for rule_id in subject.rules:
            groups.setdefault(("rules", f"{_owner(program, kind, 'rules', rule_id)}:{rule_id}"), []).append(kind)
        for cap in subject.caps:
            groups.setdefault(("caps", f"{_owner(program, kind, 'caps', cap.id)}:{cap.id}"), []).append(kind)
    out: list[Finding] = []
    for (what, ident), kinds in groups.items():
        owner, _, name = ident.partition(":")
        key = name if what == "rules" else f"cap:{name}"
        truths: set[Truth] = set()
        decided = False
        for kind in kinds:
            truths |= tests.truths.get((kind, key), set())
            decided = decided or name in tests.reasons.get(kind, set())
        if decided or {Truth.MET, Truth.NOT_MET} <= truths:
            continue
        subject = program.subjects[owner]
        if what == "rules" and not _in_use(subject, name):
            continue  # a rule no list, cap or note uses: nothing to test
        seen = sorted(t.value for t in truths - {Truth.UNKNOWN})
        unseen = [t for t in (Truth.MET, Truth.NOT_MET) if t not in truths]
        search = searches.get(owner)
        examples: tuple[Counterexample, ...] = ()
        if search is not None:
            examples = _suggested_test(search, key, unseen)
        span = subject.rules[name].span if what == "rules" else next(c.span for c in subject.caps if c.id == name)
        noun_vi, noun_en = ("quy tắc", "rule") if what == "rules" else ("giới hạn", "cap")
        state_en = f"always {' / '.join(seen)}" if seen else "never evaluated to met or not met"
        state_vi = f"luôn {' / '.join(seen)}" if seen else "chưa từng được xác định đúng hay sai"
        out.append(
            Finding(
                "untested-rule",
                owner,
                f"subjects.{owner}.{what}.{name}",
                span,
                ir.Text(
                    f"không ca kiểm thử nào của khung tác động đến {noun_vi} '{name}': {state_vi} trong "
                    f"{tests.cases} kết quả và không lần nào là lý do",
                    f"no framework test exercises {noun_en} '{name}': it is {state_en} in the {tests.cases} results "
                    "and never among the reasons",
                ),
                examples,
                (name,),
                kinds=tuple(kinds),
            )
        )
    return out


def _in_use(subject: ir.SubjectProgram, rule_id: str) -> bool:
    listed = [*subject.not_classified, *subject.not_completed, *(r for lv in subject.levels for r in lv.rules)]
    exprs = [*(c.when for c in subject.caps), *(c.at_most for c in subject.caps), *(n.when for n in subject.notes)]
    refs: dict[str, None] = {}
    for r in listed:
        refs[r] = None
        refs.update(_rule_refs(subject, subject.rules[r].expr) if r in subject.rules else {})
    for e in exprs:
        refs.update(_rule_refs(subject, e))
    return rule_id in refs


def _suggested_test(search: _Search, key: str, unseen: Sequence[Truth]) -> tuple[Counterexample, ...]:
    """A whole evidence document for a new case: the rule among the reasons, else with a truth no case had."""
    samples = [*search.reached.values(), *search.pool]
    bare = _key_id(key)
    claims: list[Callable[[Sequence[_Sample]], bool]] = [
        lambda x: bare in x[0].outcome.reasons,
        lambda x: any(x[0].truths.get(key) is t for t in unseen),
    ]
    # The fewest reasons first: a case the rule decides alone is the clearest test.
    samples.sort(key=lambda p: len(p.outcome.reasons))
    for claim in claims:
        for sample in samples:
            if claim([sample]):
                (simple,) = search.simplify([sample.assignment], claim)
                example = search.counterexample("suggested-test", simple, (key,))
                return (example,) if example is not None else ()
    return ()
