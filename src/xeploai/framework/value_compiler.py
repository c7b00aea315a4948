"""The compiler of computed values: a kind's ``values:`` declarations → ``ir.ComputedValue`` records, in order.

Input: the merged kind (its own and inherited ``values``), its scope and the record types. Output: the computed
values, or issues naming the file position of each problem (an unknown field, a formula that is not a number, a
grouped value whose field is not a records field, a key that is not a field of the grouped records).
"""

from __future__ import annotations

from collections.abc import Callable

from xeploai.framework import schema
from xeploai.framework.conditions import Scope, parse_condition
from xeploai.framework.resolver import Entry, MergedSubject, Path, SpanOf, StyleOf, condition_origin, dotted, text
from xeploai.program import ir
from xeploai.program.issues import Issue

_NUMBER = ir.NumberType()


def compile_values(
    subject: MergedSubject,
    scope: Scope,
    span_of: SpanOf,
    style_of: StyleOf,
    citation: Callable[[schema.Citation | None], ir.Citation],
) -> tuple[tuple[ir.ComputedValue, ...], list[Issue]]:
    """The kind's computed values in declaration order (the parent kind's first), and the problems found."""
    issues: list[Issue] = []
    values: list[ir.ComputedValue] = []
    formula_scope = Scope(scope.fields, scope.rules, scope.scales, scope.enums, scope.records, formulas=True)
    for field_id, entry in subject.values.items():
        doc: schema.ValueDoc = entry.doc
        fdef = scope.fields.get(field_id)
        if fdef is None:
            issues.append(_problem("unknown-reference", entry.path, span_of, _unknown_field(field_id)))
            continue
        if doc.per is None:
            compiled = _plain(field_id, fdef, doc, entry, formula_scope, span_of, style_of, issues)
        else:
            compiled = _grouped(field_id, fdef, doc, entry, formula_scope, span_of, style_of, issues)
        if compiled is not None:
            values.append(
                ir.ComputedValue(
                    target=field_id,
                    formulas=compiled,
                    label=text(doc.label) if doc.label else fdef.label,
                    cite=citation(doc.cite),
                    confidence=ir.Confidence(doc.confidence),
                    per=doc.per.records if doc.per else None,
                    key=doc.per.key if doc.per else None,
                    span=span_of(entry.path),
                )
            )
    return tuple(values), issues


def _plain(
    field_id: str,
    fdef: ir.FieldDef,
    doc: schema.ValueDoc,
    entry: Entry,
    scope: Scope,
    span_of: SpanOf,
    style_of: StyleOf,
    issues: list[Issue],
) -> tuple[ir.Formula, ...] | None:
    if not isinstance(fdef.type, ir.NumberType) or doc.formula is None or doc.fields:
        message = ir.Text(
            f"giá trị tính '{field_id}' cần một trường số và một công thức (formula:)",
            f"computed value '{field_id}' needs a number field and one formula (formula:)",
        )
        issues.append(_problem("type-error", entry.path, span_of, message))
        return None
    path: Path = (*entry.path, "formula")
    expr = _parse(doc.formula, path, scope, span_of, style_of, issues)
    return None if expr is None else (ir.Formula(field_id, expr, doc.formula, span_of(path)),)


def _grouped(
    field_id: str,
    fdef: ir.FieldDef,
    doc: schema.ValueDoc,
    entry: Entry,
    scope: Scope,
    span_of: SpanOf,
    style_of: StyleOf,
    issues: list[Issue],
) -> tuple[ir.Formula, ...] | None:
    assert doc.per is not None
    grouped = scope.fields.get(doc.per.records)
    if (
        not isinstance(fdef.type, ir.RecordsType)
        or grouped is None
        or not isinstance(grouped.type, ir.RecordsType)
        or doc.formula is not None
    ):
        message = ir.Text(
            f"giá trị tính theo nhóm '{field_id}' cần một trường bản ghi, nhóm một trường bản ghi"
            " (per.records) và công thức cho từng trường (fields:)",
            f"grouped value '{field_id}' needs a records field, a records field to group (per.records) and a"
            " formula per field (fields:)",
        )
        issues.append(_problem("type-error", entry.path, span_of, message))
        return None
    target = {f.id: f for f in scope.records[fdef.type.record].fields}
    source = {f.id: f for f in scope.records[grouped.type.record].fields}
    key = doc.per.key
    problems = [
        *([] if key in source else [f"'{key}' is not a field of the records of '{doc.per.records}'"]),
        *([] if key in target else [f"'{key}' is not a field of the records of '{field_id}'"]),
        *(f"'{name}' is not a field of the records of '{field_id}'" for name in doc.fields if name not in target),
    ]
    if problems:
        for problem in problems:
            issues.append(_problem("unknown-reference", (*entry.path, "per"), span_of, ir.Text(problem, problem)))
        return None
    fields = dict(scope.fields)
    formulas: list[ir.Formula] = []
    for name, formula in doc.fields.items():
        inner = Scope(fields, scope.rules, scope.scales, scope.enums, scope.records, formulas=True)
        path: Path = (*entry.path, "fields", name)
        expr = _parse(formula, path, inner, span_of, style_of, issues)
        if expr is None:
            return None
        formulas.append(ir.Formula(name, expr, formula, span_of(path)))
        fields[name] = ir.FieldDef(name, _NUMBER, target[name].label)
    return tuple(formulas)


def _parse(
    formula: str, path: Path, scope: Scope, span_of: SpanOf, style_of: StyleOf, issues: list[Issue]
) -> ir.Expr | None:
    expr, found = parse_condition(formula, condition_origin(path, span_of, style_of), dotted(path), scope, _NUMBER)
    issues.extend(found)
    if expr is not None and not found and _reads_period(expr):
        message = ir.Text(
            "công thức của giá trị tính không được đọc kỳ đánh giá (period): giá trị được tính một lần từ minh chứng",
            "a computed value's formula may not read the period: the value is computed once from the evidence",
        )
        issues.append(_problem("type-error", path, span_of, message))
        return None
    return None if found else expr


def _reads_period(expr: ir.Expr) -> bool:
    if isinstance(expr, ir.PeriodRef | ir.InPeriod):
        return True
    return any(_reads_period(child) for child in ir.children(expr))


def _problem(code: str, path: Path, span_of: SpanOf, message: ir.Text) -> Issue:
    return Issue.from_text(code, message, dotted(path), span_of(path))


def _unknown_field(field_id: str) -> ir.Text:
    return ir.Text(
        f"giá trị tính '{field_id}' không phải một trường minh chứng của loại đối tượng này",
        f"computed value '{field_id}' is not an evidence field of this subject kind",
    )
