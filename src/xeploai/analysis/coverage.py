"""Whole-framework analysis, coverage: the searches of every subject kind and the framework tests → fields nothing
reads (``unused-field``) and rules no test exercises (``untested-rule``), with evidence documents; reading the tests
also gives the search its seeds and period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from xeploai.analysis.domains import OMIT, Assignment, raw_number
from xeploai.analysis.explorer import Explorer, Sample, trace_truths
from xeploai.analysis.findings import Counterexample, Finding, counterexample
from xeploai.analysis.walk import key_id, owner_of, rule_refs
from xeploai.evaluation import inputs, population
from xeploai.evaluation.trace import TraceNode, Truth
from xeploai.framework import loader
from xeploai.program import ir
from xeploai.program.issues import EvidenceError, FrameworkError

# --- fields nothing reads ----------------------------------------------------------------------------------


def _value_reads(
    program: ir.Program, subject: ir.SubjectProgram, read: set[str], record_reads: dict[str, set[str]]
) -> None:
    """What the kind's computed values read: the fields their formulas name, the record fields read inside
    ``sum``/``count`` over a records field, the grouped field and its key; a grouped value's own record type is
    read whole (its fields are the formulas' results)."""

    def visit(expr: ir.Expr, record: str | None) -> None:
        match expr:
            case ir.FieldRef(name=name):
                read.add(name)
            case ir.RecordFieldRef(name=name) if record is not None:
                record_reads.setdefault(record, set()).add(name)
            case ir.Sum(source=ir.FieldRef(type=ir.RecordsType(record=inner)) as source, term=term, where=where):
                visit(source, record)
                visit(term, inner)
                if where is not None:
                    visit(where, inner)
                return
            case ir.Count(source=ir.FieldRef(type=ir.RecordsType(record=inner)) as source, where=where):
                visit(source, record)
                if where is not None:
                    visit(where, inner)
                return
        for child in ir.children(expr):
            visit(child, record)

    for value in subject.values:
        fdef = subject.field_def(value.target)
        if value.per is not None:
            read.add(value.per)
            grouped = subject.field_def(value.per)
            if grouped is not None and isinstance(grouped.type, ir.RecordsType) and value.key is not None:
                record_reads.setdefault(grouped.type.record, set()).add(value.key)
            if fdef is not None and isinstance(fdef.type, ir.RecordsType):
                own = program.records[fdef.type.record]
                record_reads.setdefault(own.id, set()).update(f.id for f in own.fields)
        for formula in value.formulas:
            visit(formula.expr, None)


def unused_fields(program: ir.Program, searches: Mapping[str, Explorer]) -> list[Finding]:
    read: dict[str, set[str]] = {kind: set() for kind in program.subjects}
    record_reads: dict[str, set[str]] = {}
    for kind, search in searches.items():
        for path in search.space.paths:
            read[kind].add(path[0])
            for depth in range(1, len(path)):
                holder = search.space.field_at(path[:depth])
                if holder is None or not isinstance(holder.type, ir.RecordsType):
                    break
                record_reads.setdefault(holder.type.record, set()).add(path[depth])
                relation = search.relations.get(path[0]) if depth == 1 else None
                if relation is not None:
                    for other in relation.kinds:
                        read.setdefault(other, set()).add(path[depth])
    for kind in searches:
        _value_reads(program, program.subjects[kind], read[kind], record_reads)
    for quota in program.quotas:
        for kind in quota.kinds:
            read.setdefault(kind, set()).update(k.field for k in quota.rank_by)
            if quota.group_field:
                read.setdefault(kind, set()).add(quota.group_field)
    # A field inherited unchanged is one declaration: it is unused only when no kind sharing it reads it.
    sharing: dict[tuple[str, str], list[str]] = {}
    for kind in searches:
        for f in program.subjects[kind].fields:
            sharing.setdefault((owner_of(program, kind, "evidence", f.id), f.id), []).append(kind)
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
                    f"trường minh chứng '{field_def.id}' được khai báo nhưng không quy tắc, giới hạn, ghi chú hay"
                    f" tỷ lệ nào của {', '.join(kinds)} đọc",
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
        return raw_number(value)
    if isinstance(value, tuple):
        return [] if not value else None
    return value


def _same(samples: Sequence[Sample]) -> bool:
    return samples[0].outcome == samples[1].outcome


def _same_outcome(search: Explorer, f: ir.FieldDef) -> tuple[Counterexample, ...]:
    """Two documents that differ only in the unread field and get the same outcome, re-evaluated."""
    base = next((search.reached[lv] for lv in search.levels if lv in search.reached), None)
    if base is None:
        return ()
    now = base.assignment.get(f.id, OMIT)
    values = [v for v in search.space.domain("", f) if v != now and not (now is OMIT and v == _raw_default(f))]
    if not values:
        return ()
    changed = search.space.fix_bounds({**base.assignment, f.id: values[0]})
    pair = search.simplify([base.assignment, changed], _same, keep=f.id)
    before = counterexample(search, "before", pair[0])
    after = counterexample(search, "after", pair[1])
    if before is None or after is None or before.outcome != after.outcome:
        return ()
    return (before, after)


# --- rules no framework test exercises -----------------------------------------------------------------------


@dataclass
class Tests:
    period: ir.Period | None = None
    seeds: dict[str, list[Assignment]] = field(default_factory=dict)
    truths: dict[tuple[str, str], set[Truth]] = field(default_factory=dict)  # (kind, key) → truths seen
    reasons: dict[str, set[str]] = field(default_factory=dict)  # kind → rule and cap ids among reasons
    cases: int = 0


def read_tests(program: ir.Program, path: Path) -> Tests:
    """Evaluate every case of a framework test file, recording what each rule was and what decided."""
    tests = Tests()
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


def _record_case(tests: Tests, kind: str, trace: TraceNode) -> None:
    tests.cases += 1
    for key, truth in trace_truths(trace).items():
        tests.truths.setdefault((kind, key), set()).add(truth)
    if trace.outcome is not None:
        tests.reasons.setdefault(kind, set()).update(trace.outcome.reasons)


def untested(program: ir.Program, tests: Tests, searches: Mapping[str, Explorer]) -> list[Finding]:
    """A rule (or cap) is exercised when some case has it among the reasons, or its truth differs across cases
    (met in one, not met in another). Kinds that inherit a rule unchanged share its cases."""
    groups: dict[tuple[str, str], list[str]] = {}
    for kind, subject in program.subjects.items():
        for rule_id in subject.rules:
            groups.setdefault(("rules", f"{owner_of(program, kind, 'rules', rule_id)}:{rule_id}"), []).append(kind)
        for cap in subject.caps:
            groups.setdefault(("caps", f"{owner_of(program, kind, 'caps', cap.id)}:{cap.id}"), []).append(kind)
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
        refs.update(rule_refs(subject, subject.rules[r].expr) if r in subject.rules else {})
    for e in exprs:
        refs.update(rule_refs(subject, e))
    return rule_id in refs


def _suggested_test(search: Explorer, key: str, unseen: Sequence[Truth]) -> tuple[Counterexample, ...]:
    """A whole evidence document for a new case: the rule among the reasons, else with a truth no case had."""
    samples = [*search.reached.values(), *search.pool]
    bare = key_id(key)
    claims: list[Callable[[Sequence[Sample]], bool]] = [
        lambda x: bare in x[0].outcome.reasons,
        lambda x: any(x[0].truths.get(key) is t for t in unseen),
    ]
    # The fewest reasons first: a case the rule decides alone is the clearest test.
    samples.sort(key=lambda p: len(p.outcome.reasons))
    for claim in claims:
        for sample in samples:
            if claim([sample]):
                (simple,) = search.simplify([sample.assignment], claim)
                example = counterexample(search, "suggested-test", simple, (key,))
                return (example,) if example is not None else ()
    return ()
