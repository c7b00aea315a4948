"""Whole-framework analysis, which way is better: a subject program → for each evidence path a level depends on,
the rules that make a higher value better and those that make it worse, and the better direction that follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import assert_never

from xeploai.analysis.walk import declared_better, linear, path_text
from xeploai.program import ir

__all__ = ["field_directions"]


def field_directions(
    program: ir.Program, kind: str, better: Mapping[str, str] | None = None
) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The better direction of each evidence path a level depends on, with the rules voting each way.

    A path is a field (``sick_leave_months``), a records field's count (``discipline``) or a record field
    (``discipline[].form``). The direction is ``higher``, ``lower`` or ``ambiguous`` (as many uses each way);
    the caller's ``better``, then the field's own ``better:``, take precedence over the votes.
    """
    subject = program.subjects[kind]
    votes = Polarity(program, subject).votes()
    out: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for path, (up, down) in votes.items():
        name = path_text(path)
        declared = declared_better(program, subject, path)
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


class Polarity:
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
            case (
                ir.PeriodRef()
                | ir.Arith()
                | ir.Neg()
                | ir.Count()
                | ir.Extremum()
                | ir.Share()
                | ir.LevelOf()
                | ir.Sum()
            ):
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
            case ir.Sum(source=source, term=term, where=where):
                inner = self.source(source, 0, scope)
                self.value(term, sign, inner)
                if where is not None:
                    self.truth(where, 0, inner)
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
        a, b = linear(left, scope), linear(right, scope)
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
