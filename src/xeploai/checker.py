"""The checker: semantic checks of a whole framework document, reported all at once.

Input: the validated document model, the plain data (for text checks) and the loader's positions.
Output: ``Issue`` records (code, message, path, file:line:col, hint). Leaf checks say *what* is wrong; the
positions are looked up in one place, ``_at``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from fractions import Fraction
from pathlib import PurePath

from xeploai import ir, schema
from xeploai.compiler import (
    Declarations,
    Entry,
    MergedSubject,
    Path,
    SpanOf,
    StyleOf,
    base_subject,
    condition_origin,
    declarations,
    merged_subjects,
    parse_at_most,
    period_condition,
    ratio,
    subject_scope,
    with_period_fields,
)
from xeploai.conditions import parse_condition, reads
from xeploai.issues import Issue, did_you_mean

_DATE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def check(
    doc: schema.FrameworkDoc,
    data: object,
    span_of: SpanOf,
    style_of: StyleOf,
    source: str,
    base: ir.Program | None = None,
) -> list[Issue]:
    """Every problem of a framework document, in document order."""
    issues = [
        *_check_text(data, (), span_of),
        *_check_identity(doc, span_of, source),
        *_check_declarations(doc, span_of),
    ]
    decl = declarations(doc, base)
    subjects = merged_subjects(doc)
    if doc.levels is None and base is None:
        issues.append(
            Issue("missing-key", "missing key 'levels'", "levels", span_of(()), "list the levels, best first")
        )
    for kind, subject_doc in doc.subjects.items():
        path: Path = ("subjects", kind)
        if subject_doc.extends and subject_doc.extends not in doc.subjects:
            issues.append(
                Issue(
                    "unknown-declaration",
                    f"'{kind}' extends '{subject_doc.extends}', which is not a subject kind of this framework",
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                    did_you_mean(subject_doc.extends, doc.subjects),
                )
            )
        elif _extends_cycle(doc, kind):
            issues.append(
                Issue(
                    "reference-cycle",
                    f"'{kind}' extends itself through '{subject_doc.extends}'",
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                )
            )
        if subject_doc.label is None and base_subject(decl, kind) is None:
            issues.append(_missing_label(path, span_of, f"subject kind '{kind}'"))
        if kind in subjects:
            issues.extend(_check_subject(doc, subjects[kind], decl, span_of, style_of, subjects))
            issues.extend(_check_relations(doc, decl, subjects[kind], span_of))
    issues.extend(_check_kind_cycles(doc, subjects, span_of))
    issues.extend(_check_quotas(doc, subjects, decl, span_of))
    issues.extend(_check_extension(doc, subjects, decl, span_of))
    if doc.process is not None:
        issues.extend(_check_process(doc, doc.process, subjects, decl, span_of, style_of))
    issues.sort(key=lambda i: (i.span.line if i.span else 0, i.span.col if i.span else 0))
    return issues


def _extends_cycle(doc: schema.FrameworkDoc, kind: str) -> bool:
    seen = {kind}
    current = doc.subjects[kind].extends
    while current is not None and current in doc.subjects:
        if current in seen:
            return True
        seen.add(current)
        current = doc.subjects[current].extends
    return False


def _check_text(data: object, path: Path, span_of: SpanOf) -> Iterator[Issue]:
    """Every string (keys included) must be Unicode NFC."""
    match data:
        case str() if unicodedata.normalize("NFC", data) != data:
            yield Issue(
                "non-nfc-text",
                f"text is not in Unicode NFC: '{data[:60]}'",
                dotted(path),
                span_of(path),
                "save the file with composed Vietnamese characters (NFC)",
            )
        case dict():
            for key, value in data.items():
                if isinstance(key, str) and unicodedata.normalize("NFC", key) != key:
                    yield Issue("non-nfc-text", f"key is not in Unicode NFC: '{key}'", dotted(path), span_of(path))
                yield from _check_text(value, (*path, key), span_of)
        case list():
            for index, value in enumerate(data):
                yield from _check_text(value, (*path, index), span_of)


def _check_identity(doc: schema.FrameworkDoc, span_of: SpanOf, source: str) -> Iterator[Issue]:
    match = _DATE_NAME.match(PurePath(source).name)
    effective = doc.framework.effective_from.isoformat()
    if match and match.group(1) != effective:
        path: Path = ("framework", "effective_from")
        yield Issue(
            "effective-date-mismatch",
            f"effective_from is {effective} but the file is named {PurePath(source).name}",
            dotted(path),
            span_of(path),
            f"rename the file to {effective}.yaml or correct the date",
        )
    until = doc.framework.effective_until
    if until is not None and until < doc.framework.effective_from:
        path = ("framework", "effective_until")
        yield Issue("invalid-value", f"effective_until {until} is before effective_from", dotted(path), span_of(path))


def _check_declarations(doc: schema.FrameworkDoc, span_of: SpanOf) -> Iterator[Issue]:
    named: list[tuple[Path, list[schema.ScaleValue]]] = [(("levels",), doc.levels)] if doc.levels else []
    named += [(("scales", k, "values"), v.values) for k, v in doc.scales.items()]
    named += [(("enums", k, "values"), v.values) for k, v in doc.enums.items()]
    for path, values in named:
        for attr in ("id", "code"):
            seen: set[str] = set()
            for index, value in enumerate(values):
                key = getattr(value, attr)
                if key in seen:
                    yield Issue(
                        "invalid-value",
                        f"the {attr} '{key}' appears twice",
                        dotted((*path, index, attr)),
                        span_of((*path, index, attr)),
                    )
                seen.add(key)
    if ir.LEVEL_SCALE in doc.scales:
        path = ("scales", ir.LEVEL_SCALE)
        yield Issue("invalid-value", "'level' is reserved for the level scale", dotted(path), span_of(path))
    decl_ids: dict[str, Mapping[str, object]] = {
        "scale": doc.scales,
        "enum": doc.enums,
        "records": doc.records,
    }
    for record_id, record in doc.records.items():
        for name, f in record.fields.items():
            field_path: Path = ("records", record_id, "fields", name)
            yield from _check_field(f, field_path, decl_ids, {}, span_of, in_record=True)


def _check_field(
    f: schema.FieldDoc,
    path: Path,
    decl_ids: Mapping[str, Mapping[str, object]],
    siblings: Mapping[str, Entry],
    span_of: SpanOf,
    in_record: bool = False,
) -> Iterator[Issue]:
    if f.label is None:
        yield _missing_label(path, span_of, f"field '{path[-1]}'")
    if f.type in decl_ids:
        declared = decl_ids[f.type]
        if f.of is None:
            yield Issue(
                "missing-key",
                f"a field of type {f.type} needs 'of'",
                dotted(path),
                span_of(path),
                "name the " + {"scale": "scale", "enum": "enum", "records": "record type"}[f.type],
            )
        elif f.of not in declared:
            yield Issue(
                "unknown-declaration",
                f"'{f.of}' is not a declared {f.type}",
                dotted((*path, "of")),
                span_of((*path, "of")),
                did_you_mean(f.of, declared),
            )
        if f.type == "records" and in_record:
            yield Issue("invalid-value", "records cannot contain records", dotted(path), span_of(path))
    elif f.of is not None:
        yield Issue("unknown-key", "'of' is only for scale, enum and records fields", dotted(path), span_of(path))
    if f.at_most is not None:
        other = siblings.get(f.at_most)
        if other is None:
            yield Issue(
                "unknown-reference",
                f"at_most names '{f.at_most}', which is not a field of this subject kind",
                dotted((*path, "at_most")),
                span_of((*path, "at_most")),
                did_you_mean(f.at_most, siblings),
            )
        elif other.doc.type not in ("count", "number", "ratio") or f.type not in ("count", "number", "ratio"):
            yield Issue(
                "type-error",
                f"at_most compares numbers; '{path[-1]}' is {f.type} and '{f.at_most}' is {other.doc.type}",
                dotted((*path, "at_most")),
                span_of((*path, "at_most")),
            )
    if (f.min is not None or f.max is not None) and f.type not in ("count", "number", "ratio"):
        yield Issue("invalid-value", f"min and max apply to numbers, not {f.type}", dotted(path), span_of(path))


def _check_default(f: schema.FieldDoc, field: ir.FieldDef | None, path: Path, span_of: SpanOf) -> Iterator[Issue]:
    if f.default is not None and field is not None and field.default is None:
        yield Issue(
            "invalid-default",
            f"default {f.default!r} is not a valid {f.type}",
            dotted((*path, "default")),
            span_of((*path, "default")),
        )


def _missing_label(path: Path, span_of: SpanOf, what: str) -> Issue:
    return Issue(
        "missing-label",
        f"{what} has no label",
        dotted(path),
        span_of(path),
        "add label: {vi: ..., en: ...}",
    )


def _check_subject(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
    subjects: Mapping[str, MergedSubject],
) -> Iterator[Issue]:
    decl_ids: dict[str, Mapping[str, object]] = {
        "scale": doc.scales,
        "enum": doc.enums,
        "records": doc.records,
    }
    scope = subject_scope(subject, decl, span_of, subjects)
    own = set(subject.doc.evidence)
    for name, entry in subject.evidence.items():
        if name in own:
            yield from _check_field(entry.doc, entry.path, decl_ids, subject.evidence, span_of)
            yield from _check_default(entry.doc, scope.fields.get(name), entry.path, span_of)
    own_paths = {
        entry.path
        for entry in (
            *subject.rules.values(),
            *subject.overrides.values(),
            *subject.caps.values(),
            *subject.notes.values(),
        )
    }
    dependencies: dict[str, set[str]] = {}
    inherited = base_subject(decl, subject.kind)
    for rule in inherited.rules.values() if inherited else ():
        dependencies[rule.id] = reads(rule.expr)[1]
    for rule_id, entry in (*subject.rules.items(), *subject.overrides.items()):
        expr, found = parse_condition(
            entry.doc.when,
            condition_origin((*entry.path, "when"), span_of, style_of),
            dotted((*entry.path, "when")),
            scope,
        )
        if expr is not None:
            dependencies[rule_id] = reads(expr)[1]
        if entry.path in own_paths and entry.path[1] == subject.kind:
            yield from found
            yield from _check_cited(doc, decl, entry, span_of, f"rule '{rule_id}'")
    for group, what in ((subject.caps, "cap"), (subject.notes, "note")):
        for item_id, entry in group.items():
            if entry.path[1] != subject.kind:
                continue
            _, found = parse_condition(
                entry.doc.when,
                condition_origin((*entry.path, "when"), span_of, style_of),
                dotted((*entry.path, "when")),
                scope,
            )
            yield from found
            if what == "cap":
                _, found = parse_at_most(entry.doc.at_most, (*entry.path, "at_most"), scope, span_of, style_of)
                yield from found
            yield from _check_cited(doc, decl, entry, span_of, f"{what} '{item_id}'")
    yield from _check_lists(subject, decl, span_of)
    yield from _check_cycles(subject, dependencies, span_of)


def _legal_ids(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = [d.id for d in decl.base.info.legal_basis] if decl.base else []
    return [*inherited, *doc.framework.legal_basis]


def _kinds(doc: schema.FrameworkDoc, decl: Declarations) -> list[str]:
    inherited = list(decl.base.subjects) if decl.base else []
    return [*inherited, *(k for k in doc.subjects if k not in inherited)]


def _all_rules(subject: MergedSubject, decl: Declarations) -> list[str]:
    inherited = base_subject(decl, subject.kind)
    return [*(inherited.rules if inherited else ()), *subject.rules]


def _check_cited(
    doc: schema.FrameworkDoc, decl: Declarations, entry: Entry, span_of: SpanOf, what: str
) -> Iterator[Issue]:
    if entry.doc.label is None:
        yield _missing_label(entry.path, span_of, what)
    cite = entry.doc.cite
    if cite is None:
        yield Issue(
            "missing-citation",
            f"{what} has no citation",
            dotted(entry.path),
            span_of(entry.path),
            "add cite: {doc: <legal_basis id>, at: <article, clause>}",
        )
    elif cite.doc not in _legal_ids(doc, decl):
        path = (*entry.path, "cite", "doc")
        yield Issue(
            "unknown-document",
            f"'{cite.doc}' is not in framework.legal_basis",
            dotted(path),
            span_of(path),
            did_you_mean(cite.doc, _legal_ids(doc, decl)),
        )


def _check_lists(subject: MergedSubject, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    if not level_ids:  # no level scale at all: reported once as a missing key
        return
    inherited = base_subject(decl, subject.kind)
    known_rules = _all_rules(subject, decl)
    upper = level_ids[:-1]
    lists: list[tuple[Path, list[str]]] = []
    for entry in (subject.not_classified, subject.not_completed):
        if entry is not None and entry.path[1] == subject.kind:
            lists.append((entry.path, entry.doc))
    if subject.levels is None and inherited is None:
        path = subject.path
        yield Issue(
            "level-mismatch",
            f"subject kind '{subject.kind}' has no levels",
            dotted(path),
            span_of(path),
            "add levels: with the rules of " + ", ".join(upper),
        )
    elif subject.levels is not None and subject.levels.path[1] == subject.kind:
        given: Mapping[str, list[str]] = subject.levels.doc
        for level_id, rule_ids in given.items():
            path = (*subject.levels.path, level_id)
            if level_id not in upper:
                hint = (
                    f"'{level_id}' is the lowest level: it is reached through not_completed"
                    if level_id == level_ids[-1]
                    else did_you_mean(level_id, upper)
                )
                yield Issue(
                    "level-mismatch",
                    f"'{level_id}' is not a level above the lowest",
                    dotted(path),
                    span_of(path),
                    hint,
                )
            lists.append((path, rule_ids))
        missing = [level for level in upper if level not in given]
        if missing and inherited is None:
            yield Issue(
                "level-mismatch",
                "levels lacks " + ", ".join(missing),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        order = [level for level in given if level in upper]
        if order != [level for level in upper if level in given]:
            yield Issue(
                "level-mismatch",
                "levels are not in the order of the level scale (best first): " + ", ".join(order),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        yield from _check_reachable(subject, [level for level in upper if level in given], given, span_of)
    for path, rule_ids in lists:
        for index, rule_id in enumerate(rule_ids):
            if rule_id not in known_rules:
                yield Issue(
                    "not-a-rule",
                    f"'{rule_id}' is not a rule of '{subject.kind}'",
                    dotted((*path, index)),
                    span_of((*path, index)),
                    did_you_mean(rule_id, known_rules) or "list rule ids here; write the condition as a rule",
                )


def _check_reachable(
    subject: MergedSubject, ordered: list[str], given: Mapping[str, list[str]], span_of: SpanOf
) -> Iterator[Issue]:
    """A lower level whose rules include all rules of a higher level can only hold when the higher one does."""
    for i, higher in enumerate(ordered):
        for lower in ordered[i + 1 :]:
            if set(given[higher]) <= set(given[lower]):
                path = (*subject.levels.path, lower) if subject.levels else subject.path
                yield Issue(
                    "unreachable-level",
                    f"'{lower}' can never be the outcome: its rules include all rules of the better level '{higher}'",
                    dotted(path),
                    span_of(path),
                    f"a subject meeting '{lower}' always meets '{higher}' first",
                )
                break


def _check_cycles(subject: MergedSubject, dependencies: Mapping[str, set[str]], span_of: SpanOf) -> Iterator[Issue]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(rule_id: str, trail: list[str]) -> Iterator[Issue]:
        state[rule_id] = 1
        for dep in sorted(dependencies.get(rule_id, ())):
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    entry = subject.rules.get(dep) or subject.overrides.get(dep)
                    if entry is None:  # a cycle inside the extended framework is reported there
                        continue
                    yield Issue(
                        "reference-cycle",
                        "rules depend on each other in a cycle: " + " → ".join(cycle),
                        dotted((*entry.path, "when")),
                        span_of((*entry.path, "when")),
                        "a rule cannot depend on itself, directly or through others",
                    )
            elif dep in dependencies and state.get(dep) is None:
                yield from visit(dep, [*trail, dep])
        state[rule_id] = 2

    for rule_id in sorted(dependencies):
        if state.get(rule_id) is None:
            yield from visit(rule_id, [rule_id])


def _check_relations(
    doc: schema.FrameworkDoc, decl: Declarations, subject: MergedSubject, span_of: SpanOf
) -> Iterator[Issue]:
    for rel_id, entry in subject.relations.items():
        if entry.path[1] != subject.kind:
            continue
        if entry.doc.label is None:
            yield _missing_label(entry.path, span_of, f"relation '{rel_id}'")
        if rel_id in subject.evidence or rel_id in subject.rules:
            yield Issue(
                "invalid-value",
                f"relation '{rel_id}' has the name of an evidence field or rule of '{subject.kind}'",
                dotted(entry.path),
                span_of(entry.path),
            )
        for index, kind in enumerate(entry.doc.kinds):
            if kind not in _kinds(doc, decl):
                path = (*entry.path, "kinds", index)
                yield Issue(
                    "unknown-declaration",
                    f"'{kind}' is not a subject kind of this framework",
                    dotted(path),
                    span_of(path),
                    did_you_mean(kind, _kinds(doc, decl)),
                )


def _check_kind_cycles(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], span_of: SpanOf
) -> Iterator[Issue]:
    """Subject kinds read each other through relations; the reading must have an order."""
    reads_kinds = {
        kind: sorted({k for entry in s.relations.values() for k in entry.doc.kinds if k in doc.subjects})
        for kind, s in subjects.items()
    }
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(kind: str, trail: list[str]) -> Iterator[Issue]:
        state[kind] = 1
        for other in reads_kinds.get(kind, []):
            if state.get(other) == 1:
                cycle = [*trail[trail.index(other) :], other]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    path = (*subjects[kind].path, "relations")
                    yield Issue(
                        "reference-cycle",
                        "subject kinds read each other's results in a cycle: " + " → ".join(cycle),
                        dotted(path),
                        span_of(path),
                        "a kind cannot read, directly or through others, a kind that reads it",
                    )
            elif state.get(other) is None:
                yield from visit(other, [*trail, other])
        state[kind] = 2

    for kind in sorted(reads_kinds):
        if state.get(kind) is None:
            yield from visit(kind, [kind])


def _check_quotas(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    for quota_id, q in doc.quotas.items():
        path: Path = ("quotas", quota_id)
        entry = Entry(q, path)
        yield from _check_cited(doc, decl, entry, span_of, f"quota '{quota_id}'")
        for index, kind in enumerate(q.kinds):
            if kind not in _kinds(doc, decl):
                yield Issue(
                    "unknown-declaration",
                    f"'{kind}' is not a subject kind of this framework",
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                    did_you_mean(kind, doc.subjects),
                )
        for key, value in (("level", q.level), ("limit.of_level", q.limit.of_level), ("demote_to", q.demote_to)):
            if value not in level_ids:
                key_path = (*path, *key.split("."))
                yield Issue(
                    "level-mismatch",
                    f"'{value}' is not a level of this framework",
                    dotted(key_path),
                    span_of(key_path),
                    did_you_mean(value, level_ids),
                )
        if (
            q.level in level_ids
            and q.demote_to in level_ids
            and level_ids.index(q.demote_to) <= level_ids.index(q.level)
        ):
            yield Issue(
                "level-mismatch",
                f"demote_to '{q.demote_to}' must be below the quota's level '{q.level}'",
                dotted((*path, "demote_to")),
                span_of((*path, "demote_to")),
            )
        share = ratio(q.limit.ratio)
        if share is None or not 0 < share <= 1:
            ratio_path = (*path, "limit", "ratio")
            yield Issue(
                "invalid-value",
                f"ratio {q.limit.ratio!r} is not a share between 0 and 1 (write 0.2 or '20%')",
                dotted(ratio_path),
                span_of(ratio_path),
            )
        if (q.group_by.unit_kind is None) == (q.group_by.field is None):
            yield Issue(
                "invalid-value",
                "group_by needs exactly one of unit_kind and field",
                dotted((*path, "group_by")),
                span_of((*path, "group_by")),
            )
        needed = [("group_by.field", q.group_by.field)] if q.group_by.field else []
        needed += [(f"rank_by[{i}].field", k.field) for i, k in enumerate(q.rank_by)]
        for key, field_name in needed:
            for kind in q.kinds:
                if kind in subjects and field_name not in subjects[kind].evidence:
                    yield Issue(
                        "unknown-reference",
                        f"'{field_name}' is not an evidence field of '{kind}'",
                        f"{dotted(path)}.{key}",
                        span_of(path),
                        did_you_mean(field_name, subjects[kind].evidence),
                    )


def _check_extension(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    """An override must replace a rule that exists; a new rule must not silently replace one."""
    for kind, subject in subjects.items():
        inherited = base_subject(decl, kind)
        inherited_rules = set(inherited.rules) if inherited else set()
        for rule_id, entry in subject.overrides.items():
            if entry.path[1] == kind and rule_id not in inherited_rules:
                yield Issue(
                    "unknown-override",
                    f"'{rule_id}' overrides no rule of '{kind}' in the extended framework",
                    dotted(entry.path),
                    span_of(entry.path),
                    did_you_mean(rule_id, inherited_rules)
                    or ("this framework extends none" if decl.base is None else "write new rules under rules:"),
                )
        for rule_id, entry in subject.rules.items():
            if entry.path[1] == kind and rule_id in inherited_rules:
                yield Issue(
                    "duplicate-rule",
                    f"'{rule_id}' is already a rule of '{kind}' in the extended framework",
                    dotted(entry.path),
                    span_of(entry.path),
                    "to replace it, put it under overrides:",
                )


# --- the review process ----------------------------------------------------------------------------------------

_READING_VALUES: Mapping[str, tuple[str, ...]] = {
    "quota_denominator": ("of_level", "of_level_and_above"),
    "quota_rounding": ("floor", "half_up", "ceil"),
    "score_rounding": ("none", "each", "total"),
}


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", " ".join(text.casefold().split())).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _check_process(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process",)
    yield from _check_aliases(process, decl, span_of)
    kinds = _kinds(doc, decl)
    ballots = [*(decl.base.process.ballots if decl.base and decl.base.process else ()), *process.ballots]
    laddered: dict[str, str] = {}
    for ladder_id, ladder in process.ladders.items():
        path: Path = (*root, "ladders", ladder_id)
        if ladder.label is None:
            yield _missing_label(path, span_of, f"ladder '{ladder_id}'")
        for index, kind in enumerate(ladder.kinds):
            yield from _known_kind(kind, (*path, "kinds", index), kinds, span_of)
            if kind in laddered:
                yield Issue(
                    "invalid-value",
                    f"'{kind}' already climbs the ladder '{laddered[kind]}'; a kind has one ladder",
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                )
            laddered.setdefault(kind, ladder_id)
        rung_ids: list[str] = []
        for index, rung in enumerate(ladder.rungs):
            rung_path: Path = (*path, "rungs", index)
            if rung.id in rung_ids:
                yield Issue(
                    "invalid-value", f"the rung '{rung.id}' appears twice", dotted(rung_path), span_of(rung_path)
                )
            rung_ids.append(rung.id)
            yield from _check_cited(doc, decl, Entry(rung, rung_path), span_of, f"rung '{rung.id}'")
            if rung.ballot is not None and rung.ballot not in ballots:
                yield Issue(
                    "unknown-declaration",
                    f"'{rung.ballot}' is not a ballot of process.ballots",
                    dotted((*rung_path, "ballot")),
                    span_of((*rung_path, "ballot")),
                    did_you_mean(rung.ballot, ballots),
                )
        for index, name in enumerate(ladder.criteria):
            for kind in ladder.kinds:
                if kind in subjects and name not in subjects[kind].evidence:
                    yield Issue(
                        "unknown-reference",
                        f"'{name}' is not an evidence field of '{kind}'",
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                        did_you_mean(name, subjects[kind].evidence),
                    )
                elif kind in subjects and subjects[kind].evidence[name].doc.type not in ("count", "number", "scale"):
                    yield Issue(
                        "type-error",
                        f"a criterion is a score or a grade; '{name}' is {subjects[kind].evidence[name].doc.type}",
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                    )
        for gap_id, gap in ladder.gaps.items():
            gap_path: Path = (*path, "gaps", gap_id)
            yield from _check_cited(doc, decl, Entry(gap, gap_path), span_of, f"gap '{gap_id}'")
            for index, rung_id in enumerate(gap.between):
                if rung_id not in rung_ids:
                    yield Issue(
                        "unknown-reference",
                        f"'{rung_id}' is not a rung of the ladder '{ladder_id}'",
                        dotted((*gap_path, "between", index)),
                        span_of((*gap_path, "between", index)),
                        did_you_mean(rung_id, rung_ids),
                    )
            first, second = gap.between
            if first in rung_ids and second in rung_ids and rung_ids.index(first) >= rung_ids.index(second):
                yield Issue(
                    "invalid-value",
                    f"between lists the earlier rung first: '{first}' does not come before '{second}'",
                    dotted((*gap_path, "between")),
                    span_of((*gap_path, "between")),
                )
            if gap.points is None and gap.levels is None:
                yield Issue(
                    "invalid-value",
                    "a gap needs points, levels or both",
                    dotted(gap_path),
                    span_of(gap_path),
                    "for example points: 5 (a total-score difference) or levels: 1 (a different level)",
                )
    for ballot_id, ballot in process.ballots.items():
        path = (*root, "ballots", ballot_id)
        yield from _check_cited(doc, decl, Entry(ballot, path), span_of, f"ballot '{ballot_id}'")
        for key, value, upper in (("more_than", ballot.more_than, False), ("quorum", ballot.quorum, True)):
            share = None if value is None else ratio(value)
            if value is not None and (share is None or not 0 < share <= 1 or (share == 1 and not upper)):
                yield Issue(
                    "invalid-value",
                    f"{key} {value!r} is not a share between 0 and 1 (write 50%, 0.5 or 2/3)",
                    dotted((*path, key)),
                    span_of((*path, key)),
                )
    yield from _check_readings(doc, process, subjects, decl, span_of)
    if process.periods is not None:
        yield from _check_periods(doc, process.periods, subjects, decl, span_of, style_of)


def _known_kind(kind: str, path: Path, kinds: list[str], span_of: SpanOf) -> Iterator[Issue]:
    if kind not in kinds:
        yield Issue(
            "unknown-declaration",
            f"'{kind}' is not a subject kind of this framework",
            dotted(path),
            span_of(path),
            did_you_mean(kind, kinds),
        )


def _check_aliases(process: schema.ProcessDoc, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    owner: dict[str, str] = {}
    for value in decl.levels.values:
        for spelling in (value.id, value.code, value.label.vi, value.label.en):
            owner.setdefault(_strip_marks(spelling), value.id)
    for level, spellings in process.level_aliases.items():
        path: Path = ("process", "level_aliases", level)
        if level not in level_ids:
            yield Issue(
                "level-mismatch",
                f"'{level}' is not a level of this framework",
                dotted(path),
                span_of(path),
                did_you_mean(level, level_ids),
            )
            continue
        for index, spelling in enumerate(spellings):
            key = _strip_marks(spelling)
            other = owner.get(key)
            if other is not None and other != level:
                yield Issue(
                    "alias-conflict",
                    f"'{spelling}' would spell both '{other}' and '{level}'",
                    dotted((*path, index)),
                    span_of((*path, index)),
                    "a spelling (compared without case, spaces or diacritics) names one level",
                )
            owner.setdefault(key, level)


def _check_readings(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
) -> Iterator[Issue]:
    quotas: dict[str, tuple[str, Fraction | None, str]] = {}  # id → (rounding, ratio, of_level)
    for q in decl.base.quotas if decl.base else ():
        quotas[q.id] = (q.rounding.value, q.ratio, q.of_level)
    for quota_id, q_doc in doc.quotas.items():
        quotas[quota_id] = (q_doc.limit.rounding, ratio(q_doc.limit.ratio), q_doc.limit.of_level)
    for reading_id, reading in process.readings.items():
        path: Path = ("process", "readings", reading_id)
        if reading.label is None:
            yield _missing_label(path, span_of, f"reading '{reading_id}'")
        for option_id, option in reading.options.items():
            option_path: Path = (*path, "options", option_id)
            yield from _check_cited(doc, decl, Entry(option, option_path), span_of, f"reading option '{option_id}'")
            allowed = _READING_VALUES.get(reading.parameter)
            value = str(option.value).strip() if isinstance(option.value, str) else option.value
            if allowed is not None and value not in allowed:
                yield Issue(
                    "invalid-value",
                    f"{option.value!r} is not a value of {reading.parameter}; expected one of: {', '.join(allowed)}",
                    dotted((*option_path, "value")),
                    span_of((*option_path, "value")),
                )
            elif allowed is None:
                share = ratio(option.value)
                if share is None or not 0 < share <= 1:
                    yield Issue(
                        "invalid-value",
                        f"{option.value!r} is not a share between 0 and 1 (write 0.25 or '25%')",
                        dotted((*option_path, "value")),
                        span_of((*option_path, "value")),
                    )
        if reading.default not in reading.options:
            yield Issue(
                "reading-default",
                f"the default '{reading.default}' is not one of the options",
                dotted((*path, "default")),
                span_of((*path, "default")),
                did_you_mean(reading.default, reading.options),
            )
        concerned = reading.quotas if reading.quotas is not None else list(quotas)
        if reading.parameter.startswith("quota_"):
            for index, quota_id in enumerate(reading.quotas or ()):
                if quota_id not in quotas:
                    yield Issue(
                        "unknown-declaration",
                        f"'{quota_id}' is not a quota of this framework",
                        dotted((*path, "quotas", index)),
                        span_of((*path, "quotas", index)),
                        did_you_mean(quota_id, quotas),
                    )
            default = reading.options.get(reading.default)
            for quota_id in concerned:
                if default is None or quota_id not in quotas:
                    continue
                rounding, share, _ = quotas[quota_id]
                native = {
                    "quota_rounding": rounding,
                    "quota_denominator": "of_level",
                    "quota_ratio": share,
                }[reading.parameter]
                given: object = default.value
                if reading.parameter == "quota_ratio":
                    given = ratio(default.value)
                elif isinstance(given, str):
                    given = given.strip()
                if given != native:
                    shown = native if not isinstance(native, Fraction) else f"{float(native) * 100:g}%"
                    yield Issue(
                        "reading-default",
                        f"the default '{reading.default}' reads the quota '{quota_id}' as {default.value!r}, but the"
                        f" quota itself says {shown!r}",
                        dotted((*path, "default")),
                        span_of((*path, "default")),
                        "the default reading is what the quota declares; name the other readings as options",
                    )
        elif reading.quotas is not None:
            yield Issue(
                "invalid-value", "quotas is for quota readings", dotted((*path, "quotas")), span_of((*path, "quotas"))
            )
        if reading.parameter == "score_rounding":
            if not reading.fields:
                yield Issue(
                    "missing-key",
                    "a score reading names the score fields it sums",
                    dotted(path),
                    span_of(path),
                    "add fields: [general_criteria_score, task_results_score]",
                )
            for index, name in enumerate(reading.fields):
                owners = [k for k, s in subjects.items() if name in s.evidence]
                if not owners:
                    yield Issue(
                        "unknown-reference",
                        f"'{name}' is not an evidence field of any subject kind",
                        dotted((*path, "fields", index)),
                        span_of((*path, "fields", index)),
                    )


def _check_periods(
    doc: schema.FrameworkDoc,
    periods: schema.PeriodsDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process", "periods")
    kinds = _kinds(doc, decl)
    derived = {f.id for f in ir.PERIOD_FIELDS}
    entries: list[tuple[str, str, Path, schema.PeriodRuleDoc | schema.PeriodCapDoc]] = [
        *(("not_classified", i, (*root, "not_classified", i), r) for i, r in periods.not_classified.items()),
        *(("cap", i, (*root, "caps", i), c) for i, c in periods.caps.items()),
        *(("flag", i, (*root, "flags", i), f) for i, f in periods.flags.items()),
    ]
    for what, item_id, path, entry in entries:
        yield from _check_cited(doc, decl, Entry(entry, path), span_of, f"{what} '{item_id}'")
    reported: set[tuple[str, str, str]] = set()  # a condition's problem is reported once, not once per kind
    for index, kind in enumerate(periods.kinds):
        yield from _known_kind(kind, (*root, "kinds", index), kinds, span_of)
        subject = subjects.get(kind)
        if subject is None:
            continue
        for name in sorted(derived & set(subject.evidence)):
            if name == ir.QUARTERS_FIELD or subject.evidence[name].path[1] == kind:
                yield Issue(
                    "invalid-value",
                    f"'{kind}' declares the field '{name}', which quarterly results and dates fill in",
                    dotted(subject.evidence[name].path),
                    span_of(subject.evidence[name].path),
                    "rename the field; see docs/reference/process.md for the fields periods yield",
                )
        taken = {*_all_rules(subject, decl), *subject.caps, *subject.notes}
        scope = with_period_fields(subject_scope(subject, decl, span_of, subjects))
        for _what, item_id, path, entry in entries:
            if item_id in taken:
                yield Issue(
                    "invalid-value",
                    f"'{item_id}' is already a rule, cap or note of '{kind}'",
                    dotted(path),
                    span_of(path),
                    "give the period rule an id of its own",
                )
            _, found = period_condition(entry.when, (*path, "when"), scope, span_of, style_of)
            if isinstance(entry, schema.PeriodCapDoc):
                _, more = parse_at_most(entry.at_most, (*path, "at_most"), scope, span_of, style_of)
                found = [*found, *more]
            for issue in found:
                key = (issue.code, issue.path, issue.message)
                if key not in reported:
                    reported.add(key)
                    yield issue
