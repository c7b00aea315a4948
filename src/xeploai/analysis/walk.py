"""Whole-framework analysis, walking the IR: a subject program → its conditions by key, the fields they read and
their linear forms, and for a declaration the kind that owns it and its path in the framework document.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from xeploai.program import ir


def walk(expr: ir.Expr) -> Iterator[ir.Expr]:
    yield expr
    for part in ir.children(expr):
        yield from walk(part)


def expressions(subject: ir.SubjectProgram) -> dict[str, ir.Expr]:
    """Every condition of a subject kind by key: rule ids, ``cap:<id>`` and ``note:<id>``."""
    out: dict[str, ir.Expr] = {rule_id: rule.expr for rule_id, rule in subject.rules.items()}
    for cap in subject.caps:
        out[f"cap:{cap.id}"] = cap.when
    for note in subject.notes:
        out[f"note:{note.id}"] = note.when
    return out


def top_reads(subject: ir.SubjectProgram, expr: ir.Expr, seen: set[str] | None = None) -> dict[str, None]:
    """The subject's fields and relations an expression reads, through the rules it refers to (ordered)."""
    seen = set() if seen is None else seen
    names: dict[str, None] = {}
    for node in walk(expr):
        if isinstance(node, ir.FieldRef):
            names[node.name] = None
        elif isinstance(node, ir.RuleRef) and node.name not in seen and node.name in subject.rules:
            seen.add(node.name)
            names.update(top_reads(subject, subject.rules[node.name].expr, seen))
    return names


def rule_refs(subject: ir.SubjectProgram, expr: ir.Expr, seen: set[str] | None = None) -> dict[str, None]:
    seen = set() if seen is None else seen
    out: dict[str, None] = {}
    for node in walk(expr):
        if isinstance(node, ir.RuleRef) and node.name not in seen and node.name in subject.rules:
            seen.add(node.name)
            out[node.name] = None
            out.update(rule_refs(subject, subject.rules[node.name].expr, seen))
    return out


def path_text(path: tuple[str, ...]) -> str:
    return "[].".join(path)


def relation_field(relation: ir.Relation) -> ir.FieldDef:
    return ir.FieldDef(relation.id, ir.RecordsType(relation.record), relation.label, required=False)


def owner_of(program: ir.Program, kind: str, what: str, ident: str) -> str:
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


def key_path(program: ir.Program, kind: str, key: str) -> tuple[str, ir.Span | None]:
    """The document path and span of a rule id or ``cap:``/``note:`` key."""
    subject = program.subjects[kind]
    if key.startswith("cap:"):
        cap_id = key[4:]
        cap = next(c for c in subject.caps if c.id == cap_id)
        return f"subjects.{owner_of(program, kind, 'caps', cap_id)}.caps.{cap_id}", cap.span
    if key.startswith("note:"):
        note_id = key[5:]
        note = next(n for n in subject.notes if n.id == note_id)
        return f"subjects.{owner_of(program, kind, 'notes', note_id)}.notes.{note_id}", note.span
    rule = subject.rules[key]
    return f"subjects.{owner_of(program, kind, 'rules', key)}.rules.{key}", rule.span


def key_name(key: str) -> tuple[str, str]:
    """(vi, en) words for the kind of a key: a rule, a cap or a note."""
    if key.startswith("cap:"):
        return f"giới hạn '{key[4:]}'", f"cap '{key[4:]}'"
    if key.startswith("note:"):
        return f"ghi chú '{key[5:]}'", f"note '{key[5:]}'"
    return f"quy tắc '{key}'", f"rule '{key}'"


def key_id(key: str) -> str:
    return key.split(":", 1)[1] if ":" in key else key


def field_of(program: ir.Program, subject: ir.SubjectProgram, path: tuple[str, ...]) -> ir.FieldDef | None:
    """The declaration of an evidence path: a field or relation, or a field of their records."""
    fdef = subject.field_def(path[0])
    if fdef is None:
        fdef = next((relation_field(r) for r in subject.relations if r.id == path[0]), None)
    for name in path[1:]:
        if fdef is None or not isinstance(fdef.type, ir.RecordsType):
            return None
        record = program.records.get(fdef.type.record)
        fdef = next((f for f in record.fields if f.id == name), None) if record else None
    return fdef


def declared_better(program: ir.Program, subject: ir.SubjectProgram, path: tuple[str, ...]) -> str | None:
    f = field_of(program, subject, path)
    return f.better if f is not None else None


Linear = tuple[dict[tuple[str, ...], Fraction], Fraction]


def linear(expr: ir.Expr, scope: tuple[str, ...]) -> Linear | None:
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
            inner = linear(operand, scope)
            return None if inner is None else ({p: -c for p, c in inner[0].items()}, -inner[1])
        case ir.Arith(op=op, left=left, right=right):
            a, b = linear(left, scope), linear(right, scope)
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
