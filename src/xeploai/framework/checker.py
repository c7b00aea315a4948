"""The checker: semantic checks of a whole framework document, reported all at once.

Input: the validated document model, the plain data (for text checks) and the loader's positions.
Output: ``Issue`` records (code, message, path, file:line:col, hint). This module walks the document and checks
subject kinds, their rules, relations and exceptions (references and cycles); the leaf checks of declarations,
level lists and quotas, and the review process live in ``document_checks``, ``level_checks`` and ``process_checks``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace

from xeploai.framework import schema
from xeploai.framework.citation_checks import check_citations
from xeploai.framework.conditions import Scope, parse_condition, reads
from xeploai.framework.document_checks import (
    CITE_HINT,
    check_cited,
    check_declarations,
    check_default,
    check_field,
    check_identity,
    check_link,
    check_text,
    legal_ids,
    missing_label,
    not_a_kind,
    subject_kinds,
)
from xeploai.framework.level_checks import check_lists, check_quotas
from xeploai.framework.process_checks import check_gates, check_process
from xeploai.framework.resolver import (
    Declarations,
    MergedSubject,
    Path,
    SpanOf,
    StyleOf,
    base_subject,
    condition_origin,
    declarations,
    dotted,
    merged_subjects,
    parse_at_most,
    subject_scope,
    with_period_fields,
)
from xeploai.framework.value_compiler import compile_values
from xeploai.program import ir
from xeploai.program.issues import DECLARABLE_CODES, Issue, suggest


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
        *check_text(data, (), span_of),
        *check_identity(doc, span_of, source),
        *check_declarations(doc, span_of),
        *check_citations(data, span_of),
    ]
    decl = declarations(doc, base)
    subjects = merged_subjects(doc)
    if doc.levels is None and base is None:
        issues.append(
            Issue.from_text(
                "missing-key",
                ir.Text("thiếu khóa 'levels'", "missing key 'levels'"),
                "levels",
                span_of(()),
                ir.Text("liệt kê các mức xếp loại, mức tốt nhất trước", "list the levels, best first"),
            )
        )
    for kind, subject_doc in doc.subjects.items():
        path: Path = ("subjects", kind)
        if subject_doc.extends and subject_doc.extends not in doc.subjects:
            issues.append(
                Issue.from_text(
                    "unknown-declaration",
                    ir.Text(
                        f"'{kind}' mở rộng '{subject_doc.extends}', nhưng đó không phải loại đối tượng của khung tiêu"
                        " chí này",
                        f"'{kind}' extends '{subject_doc.extends}', which is not a subject kind of this framework",
                    ),
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                    suggest(subject_doc.extends, doc.subjects),
                )
            )
        elif _extends_cycle(doc, kind):
            issues.append(
                Issue.from_text(
                    "reference-cycle",
                    ir.Text(
                        f"'{kind}' tự mở rộng chính nó qua '{subject_doc.extends}'",
                        f"'{kind}' extends itself through '{subject_doc.extends}'",
                    ),
                    dotted((*path, "extends")),
                    span_of((*path, "extends")),
                )
            )
        if subject_doc.label is None and base_subject(decl, kind) is None:
            issues.append(missing_label(path, span_of, ir.Text(f"loại đối tượng '{kind}'", f"subject kind '{kind}'")))
        if kind in subjects:
            issues.extend(_check_subject(doc, subjects[kind], decl, span_of, style_of, subjects))
            issues.extend(_check_relations(doc, decl, subjects[kind], span_of))
            issues.extend(_check_exceptions(doc, subjects[kind], decl, span_of, subjects))
    issues.extend(_check_kind_cycles(doc, subjects, span_of))
    issues.extend(check_quotas(doc, subjects, decl, span_of))
    issues.extend(_check_extension(doc, subjects, decl, span_of))
    if doc.process is not None:
        issues.extend(check_process(doc, doc.process, subjects, decl, span_of, style_of))
    issues.extend(check_gates(doc, subjects, decl, span_of))
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
            yield from check_field(entry.doc, entry.path, decl_ids, subject.evidence, span_of)
            yield from check_default(entry.doc, scope.fields.get(name), entry.path, span_of)
            yield from check_link(doc, decl, subject.kind, entry, span_of)
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
            yield from check_cited(doc, decl, entry, span_of, ir.Text(f"quy tắc '{rule_id}'", f"rule '{rule_id}'"))
    for group, what, what_vi in ((subject.caps, "cap", "giới hạn mức"), (subject.notes, "note", "ghi chú")):
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
            named = ir.Text(f"{what_vi} '{item_id}'", f"{what} '{item_id}'")
            yield from check_cited(doc, decl, entry, span_of, named)
    yield from _check_values(doc, subject, decl, scope, span_of, style_of)
    yield from check_lists(subject, decl, span_of)
    yield from _check_cycles(subject, dependencies, span_of)


def _check_values(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    scope: Scope,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    """The kind's own computed values (``values:``), compiled as the compiler does: a formula that does not parse,
    names an unknown field or is not a number is reported here, where a plain ``check`` sees it; each value is
    cited. Inherited values are checked in the kind that declares them."""
    own = {value_id: entry for value_id, entry in subject.values.items() if entry.path[1] == subject.kind}
    if not own:
        return
    for value_id, entry in own.items():
        cite: schema.Citation | None = entry.doc.cite
        if cite is None:
            yield Issue.from_text(
                "missing-citation",
                ir.Text(
                    f"giá trị tính '{value_id}' chưa có trích dẫn căn cứ pháp lý",
                    f"computed value '{value_id}' has no citation",
                ),
                dotted(entry.path),
                span_of(entry.path),
                CITE_HINT,
            )
        elif cite.doc not in legal_ids(doc, decl):
            path = (*entry.path, "cite", "doc")
            yield Issue.from_text(
                "unknown-document",
                ir.Text(
                    f"'{cite.doc}' không có trong framework.legal_basis",
                    f"'{cite.doc}' is not in framework.legal_basis",
                ),
                dotted(path),
                span_of(path),
                suggest(cite.doc, legal_ids(doc, decl)),
            )

    def any_citation(cite: schema.Citation | None) -> ir.Citation:
        return ir.Citation(cite.doc, cite.at, tuple(cite.sources)) if cite else ir.Citation("", "")

    _, found = compile_values(replace(subject, values=own), scope, span_of, style_of, any_citation)
    yield from found


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
                    yield Issue.from_text(
                        "reference-cycle",
                        ir.Text(
                            "các quy tắc phụ thuộc nhau thành vòng: " + " → ".join(cycle),
                            "rules depend on each other in a cycle: " + " → ".join(cycle),
                        ),
                        dotted((*entry.path, "when")),
                        span_of((*entry.path, "when")),
                        ir.Text(
                            "một quy tắc không được phụ thuộc vào chính nó, trực tiếp hay qua các quy tắc khác",
                            "a rule cannot depend on itself, directly or through others",
                        ),
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
            yield missing_label(entry.path, span_of, ir.Text(f"quan hệ '{rel_id}'", f"relation '{rel_id}'"))
        if rel_id in subject.evidence or rel_id in subject.rules:
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"quan hệ '{rel_id}' trùng tên với một trường minh chứng hoặc quy tắc của '{subject.kind}'",
                    f"relation '{rel_id}' has the name of an evidence field or rule of '{subject.kind}'",
                ),
                dotted(entry.path),
                span_of(entry.path),
            )
        for index, kind in enumerate(entry.doc.kinds):
            if kind not in subject_kinds(doc, decl):
                path = (*entry.path, "kinds", index)
                yield Issue.from_text(
                    "unknown-declaration",
                    not_a_kind(kind),
                    dotted(path),
                    span_of(path),
                    suggest(kind, subject_kinds(doc, decl)),
                )


def _check_exceptions(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    subjects: Mapping[str, MergedSubject],
) -> Iterator[Issue]:
    """A declared exception names a finding code of the analysis and something of its kind, and cites the basis."""
    own = subject.doc.exceptions
    if not own:
        return
    ids = _exception_ids(doc, subject, decl, span_of, subjects)
    seen: set[tuple[str, str]] = set()
    for index, exception in enumerate(own):
        path: Path = (*subject.path, "exceptions", index)
        if exception.code not in DECLARABLE_CODES:
            codes = ", ".join(DECLARABLE_CODES)
            yield Issue.from_text(
                "unknown-finding-code",
                ir.Text(
                    f"'{exception.code}' không phải mã phát hiện của phân tích toàn khung",
                    f"'{exception.code}' is not a finding code of the whole-framework analysis",
                ),
                dotted((*path, "code")),
                span_of((*path, "code")),
                suggest(exception.code, DECLARABLE_CODES) or ir.Text(f"một trong: {codes}", f"one of: {codes}"),
            )
        if exception.id not in ids:
            alike = [i for i in ids if ("[]." in i) == ("[]." in exception.id)]  # record fields are suggested apart
            yield Issue.from_text(
                "unknown-exception-id",
                ir.Text(
                    f"'{exception.id}' không phải quy tắc, giới hạn mức, ghi chú, trường minh chứng, trường bản ghi hay"
                    f" mức xếp loại của '{subject.kind}'",
                    f"'{exception.id}' is no rule, cap, note, evidence field, record field or level of"
                    f" '{subject.kind}'",
                ),
                dotted((*path, "id")),
                span_of((*path, "id")),
                suggest(exception.id, sorted(alike))
                or ir.Text(
                    "trường bản ghi viết dạng <trường records>[].<trường>",
                    "a record field is written <records field>[].<field>",
                ),
            )
        if (exception.code, exception.id) in seen:
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"ngoại lệ {exception.code} '{exception.id}' được khai báo hai lần",
                    f"the exception {exception.code} '{exception.id}' is declared twice",
                ),
                dotted(path),
                span_of(path),
            )
        seen.add((exception.code, exception.id))
        if exception.cite is None:
            yield Issue.from_text(
                "missing-citation",
                ir.Text(
                    f"ngoại lệ {exception.code} '{exception.id}' chưa có trích dẫn căn cứ pháp lý",
                    f"the exception {exception.code} '{exception.id}' has no citation",
                ),
                dotted(path),
                span_of(path),
                CITE_HINT,
            )
        elif exception.cite.doc not in legal_ids(doc, decl):
            cite_path = (*path, "cite", "doc")
            yield Issue.from_text(
                "unknown-document",
                ir.Text(
                    f"'{exception.cite.doc}' không có trong framework.legal_basis",
                    f"'{exception.cite.doc}' is not in framework.legal_basis",
                ),
                dotted(cite_path),
                span_of(cite_path),
                suggest(exception.cite.doc, legal_ids(doc, decl)),
            )


def _exception_ids(
    doc: schema.FrameworkDoc,
    subject: MergedSubject,
    decl: Declarations,
    span_of: SpanOf,
    subjects: Mapping[str, MergedSubject],
) -> set[str]:
    """What an exception of a kind may name: its rules, caps, notes, fields (relations and the fields periods yield
    included), record fields as ``discipline[].form``, and the levels."""
    periods = doc.process.periods if doc.process is not None else None
    period_kinds = set(periods.kinds) if periods is not None else set()
    base_periods = decl.base.process.periods if decl.base and decl.base.process else None
    period_kinds |= set(base_periods.kinds) if base_periods is not None else set()
    scope = subject_scope(subject, decl, span_of, subjects)
    if subject.kind in period_kinds:
        scope = with_period_fields(scope)
    ids = {*scope.fields, *scope.rules, *subject.overrides, *subject.caps, *subject.notes}
    inherited = base_subject(decl, subject.kind)
    if inherited is not None:
        ids |= {c.id for c in inherited.caps} | {n.id for n in inherited.notes}
    if periods is not None and subject.kind in periods.kinds:
        ids |= {*periods.not_classified, *periods.caps, *periods.flags}
    ids |= {v.id for v in decl.levels.values}
    for name, f in scope.fields.items():
        record = scope.records.get(f.type.record) if isinstance(f.type, ir.RecordsType) else None
        if record is not None:
            ids |= {f"{name}[].{inner.id}" for inner in record.fields}
    return ids


def _check_kind_cycles(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], span_of: SpanOf
) -> Iterator[Issue]:
    """Subject kinds read each other through relations and linked results; the reading must have an order."""
    reads_kinds = {
        kind: sorted(
            {k for entry in s.relations.values() for k in entry.doc.kinds if k in doc.subjects}
            | {
                k
                for entry in s.evidence.values()
                if entry.doc.from_result is not None
                for k in entry.doc.from_result.kinds
                if k in doc.subjects and k != kind
            }
        )
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
                    yield Issue.from_text(
                        "reference-cycle",
                        ir.Text(
                            "các loại đối tượng đọc kết quả của nhau thành vòng: " + " → ".join(cycle),
                            "subject kinds read each other's results in a cycle: " + " → ".join(cycle),
                        ),
                        dotted(path),
                        span_of(path),
                        ir.Text(
                            "một loại đối tượng không được đọc, trực tiếp hay qua loại khác, kết quả của loại đang"
                            " đọc nó",
                            "a kind cannot read, directly or through others, a kind that reads it",
                        ),
                    )
            elif state.get(other) is None:
                yield from visit(other, [*trail, other])
        state[kind] = 2

    for kind in sorted(reads_kinds):
        if state.get(kind) is None:
            yield from visit(kind, [kind])


def _check_extension(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    """An override must replace a rule that exists; a new rule must not silently replace one."""
    for kind, subject in subjects.items():
        inherited = base_subject(decl, kind)
        inherited_rules = set(inherited.rules) if inherited else set()
        for rule_id, entry in subject.overrides.items():
            if entry.path[1] == kind and rule_id not in inherited_rules:
                yield Issue.from_text(
                    "unknown-override",
                    ir.Text(
                        f"'{rule_id}' không thay thế quy tắc nào của '{kind}' trong khung tiêu chí được mở rộng",
                        f"'{rule_id}' overrides no rule of '{kind}' in the extended framework",
                    ),
                    dotted(entry.path),
                    span_of(entry.path),
                    suggest(rule_id, inherited_rules)
                    or (
                        ir.Text("khung tiêu chí này không mở rộng khung nào", "this framework extends none")
                        if decl.base is None
                        else ir.Text("viết quy tắc mới trong rules:", "write new rules under rules:")
                    ),
                )
        for rule_id, entry in subject.rules.items():
            if entry.path[1] == kind and rule_id in inherited_rules:
                yield Issue.from_text(
                    "duplicate-rule",
                    ir.Text(
                        f"'{rule_id}' đã là quy tắc của '{kind}' trong khung tiêu chí được mở rộng",
                        f"'{rule_id}' is already a rule of '{kind}' in the extended framework",
                    ),
                    dotted(entry.path),
                    span_of(entry.path),
                    ir.Text(
                        "muốn thay thế thì đặt quy tắc này trong overrides:", "to replace it, put it under overrides:"
                    ),
                )
