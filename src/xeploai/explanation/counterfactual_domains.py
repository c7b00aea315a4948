"""Counterfactual domains: the values an evidence field may take, and a comparison solved for one field.

Input: IR operands and the typed evidence values. Output: domains (an interval of numbers, a finite set of grades,
records to remove), the value of a domain closest to the evidence, and typed values written back as raw evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import assert_never

from xeploai.evaluation.runners import interpreter
from xeploai.program import ir

Assignment = dict[str, ir.Value]  # field -> its new typed value
Key = tuple[tuple[str, object], ...]
TIGHTEN_STEPS = 64


# --- domains -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Num:
    """The values a number field may take: an interval, optionally only some points, minus excluded values."""

    lo: Fraction | None = None
    lo_open: bool = False
    hi: Fraction | None = None
    hi_open: bool = False
    points: frozenset[Fraction] | None = None
    excluded: frozenset[Fraction] = frozenset()

    def holds(self, x: Fraction) -> bool:
        if self.lo is not None and (x < self.lo or (self.lo_open and x == self.lo)):
            return False
        if self.hi is not None and (x > self.hi or (self.hi_open and x == self.hi)):
            return False
        return (self.points is None or x in self.points) and x not in self.excluded


@dataclass(frozen=True, slots=True)
class Finite:
    """The values a yes/no, scale or enum field may take, lowest rank first."""

    allowed: tuple[ir.Value, ...]


@dataclass(frozen=True, slots=True)
class Records:
    """What must become of a records field: records to remove, and bounds on how many remain."""

    remove: frozenset[int] = frozenset()
    max_count: int | None = None
    min_count: int = 0


Domain = Num | Finite | Records


# --- values and linear solving -----------------------------------------------------------------------------------


def operand_value(expr: ir.Expr, values: Mapping[str, ir.Value]) -> ir.Value | None:
    """The value of a simple operand (constants, fields, arithmetic on numbers); None when unknown."""
    match expr:
        case ir.Const(value=value):
            return value
        case ir.FieldRef(name=name):
            return values.get(name)
        case ir.Arith() | ir.Neg() | ir.Count():
            return _number(expr, values)
        case _:
            return None


def _number(expr: ir.Expr, values: Mapping[str, ir.Value]) -> Fraction | None:
    linear = _linear(expr, "", values)
    return linear[1] if linear is not None else None


def _linear(expr: ir.Expr, name: str, values: Mapping[str, ir.Value]) -> tuple[Fraction, Fraction] | None:
    """``expr`` as ``a * name + b`` with every other field at its value; None when not linear in ``name`` or
    unknown. A records field counts as its number of records."""
    match expr:
        case ir.Const(value=Fraction() as value):
            return Fraction(0), value
        case ir.FieldRef(name=ref) if ref == name:
            return Fraction(1), Fraction(0)
        case ir.FieldRef(name=ref):
            known = values.get(ref)
            return (Fraction(0), known) if isinstance(known, Fraction) else None
        case ir.Count(source=ir.FieldRef(name=ref), where=None):
            if ref == name:
                return Fraction(1), Fraction(0)
            records = values.get(ref)
            return (Fraction(0), Fraction(len(records))) if isinstance(records, tuple) else None
        case ir.Neg(operand=operand):
            inner = _linear(operand, name, values)
            return (-inner[0], -inner[1]) if inner is not None else None
        case ir.Arith(op=op, left=left, right=right):
            a = _linear(left, name, values)
            b = _linear(right, name, values)
            if a is None or b is None:
                return None
            match op:
                case ir.ArithOp.ADD:
                    return a[0] + b[0], a[1] + b[1]
                case ir.ArithOp.SUB:
                    return a[0] - b[0], a[1] - b[1]
                case ir.ArithOp.MUL:
                    if a[0] != 0 and b[0] != 0:
                        return None
                    return a[0] * b[1] + b[0] * a[1], a[1] * b[1]
                case ir.ArithOp.DIV:
                    if b[0] != 0 or b[1] == 0:
                        return None
                    return a[0] / b[1], a[1] / b[1]
                case _:
                    assert_never(op)
        case _:
            return None


_MIRROR = {
    ir.CompareOp.EQ: ir.CompareOp.EQ,
    ir.CompareOp.NE: ir.CompareOp.NE,
    ir.CompareOp.LT: ir.CompareOp.GT,
    ir.CompareOp.LE: ir.CompareOp.GE,
    ir.CompareOp.GT: ir.CompareOp.LT,
    ir.CompareOp.GE: ir.CompareOp.LE,
}


def solve_linear(
    op: ir.CompareOp, left: ir.Expr, right: ir.Expr, fdef: ir.FieldDef, values: Mapping[str, ir.Value]
) -> Domain | None:
    """Solve ``left op right`` for the field: ``a*x + b op 0`` gives ``x op' -b/a``."""
    a = _linear(left, fdef.id, values)
    b = _linear(right, fdef.id, values)
    if a is None or b is None:
        return None
    coefficient, constant = a[0] - b[0], a[1] - b[1]
    if coefficient == 0:
        return None
    bound = -constant / coefficient
    if coefficient < 0:
        op = _MIRROR[op]
    match op:
        case ir.CompareOp.EQ:
            domain = Num(points=frozenset({bound}))
        case ir.CompareOp.NE:
            domain = Num(excluded=frozenset({bound}))
        case ir.CompareOp.LT:
            domain = Num(hi=bound, hi_open=True)
        case ir.CompareOp.LE:
            domain = Num(hi=bound)
        case ir.CompareOp.GT:
            domain = Num(lo=bound, lo_open=True)
        case ir.CompareOp.GE:
            domain = Num(lo=bound)
        case _:
            assert_never(op)
    if isinstance(fdef.type, ir.RecordsType):
        # Records can be taken away (a decision absent), never invented: only an upper bound on their number.
        if domain.lo is not None or domain.points is not None or domain.excluded:
            low = _integer_floor(domain)
            return Records(min_count=low) if low is not None else None
        assert domain.hi is not None
        top = math.ceil(domain.hi) - 1 if domain.hi_open else math.floor(domain.hi)
        return Records(max_count=top) if top >= 0 else None
    return domain


def _integer_floor(domain: Num) -> int | None:
    if domain.points is not None:
        whole = sorted(p for p in domain.points if p.denominator == 1 and p >= 0)
        return int(whole[0]) if whole else None
    if domain.lo is not None:
        return math.floor(domain.lo) + 1 if domain.lo_open else math.ceil(domain.lo)
    return 0


def comparison_holds(op: ir.CompareOp, left: ir.Value | None, right: ir.Value | None) -> bool | None:
    """Whether ``left op right`` holds; None when a side is unknown or the two cannot be compared."""
    if left is None or right is None:
        return None
    try:
        return interpreter.compare_values(op, left, right)
    except TypeError:  # values of different types never compare: the condition cannot be solved this way
        return None


def intersect(a: Domain | None, b: Domain | None) -> Domain | None:
    """The values both domains allow (``a`` None: no bound yet); None when ``b`` is None or the kinds differ."""
    if b is None:
        return None
    if a is None:
        return b
    match a, b:
        case Num(), Num():
            lo, lo_open = _tighter(a.lo, a.lo_open, b.lo, b.lo_open, lower=True)
            hi, hi_open = _tighter(a.hi, a.hi_open, b.hi, b.hi_open, lower=False)
            if a.points is None:
                points = b.points
            elif b.points is None:
                points = a.points
            else:
                points = a.points & b.points
            return Num(lo, lo_open, hi, hi_open, points, a.excluded | b.excluded)
        case Finite(), Finite():
            return Finite(tuple(x for x in a.allowed if x in b.allowed))
        case Records(), Records():
            limits = [m for m in (a.max_count, b.max_count) if m is not None]
            return Records(a.remove | b.remove, min(limits) if limits else None, max(a.min_count, b.min_count))
        case _:
            return None


def _tighter(
    x: Fraction | None, x_open: bool, y: Fraction | None, y_open: bool, lower: bool
) -> tuple[Fraction | None, bool]:
    """The tighter of two bounds: the larger of two lower bounds, the smaller of two upper ones."""
    if x is None:
        return y, y_open
    if y is None:
        return x, x_open
    if x == y:
        return x, x_open or y_open
    x_wins = (x > y) == lower
    return (x, x_open) if x_wins else (y, y_open)


def with_bounds(domain: Num, fdef: ir.FieldDef) -> Num:
    """The domain, within the field's declared bounds (a count is a whole number ≥ 0)."""
    low, high = fdef.minimum, fdef.maximum
    if isinstance(fdef.type, ir.NumberType) and fdef.type.integer:
        low = Fraction(0) if low is None else max(low, Fraction(0))
    bounded = intersect(domain, Num(lo=low, hi=high))
    assert isinstance(bounded, Num)
    return bounded


def pick_number(domain: Num, needed: Num, before: Fraction | None, integer: bool) -> Fraction | None:
    """The number of ``domain`` closest to ``before``; for a missing field, the least value the needs allow
    (or the declared minimum when the needs only bound it from above)."""
    if before is not None and domain.holds(before) and (not integer or before.denominator == 1):
        return before
    if domain.points is not None:
        fits = sorted(p for p in domain.points if domain.holds(p) and (not integer or p.denominator == 1))
        if not fits:
            return None
        anchor = before if before is not None else fits[0]
        return min(fits, key=lambda p: (abs(p - anchor), -p))
    low = _edge(domain.lo, domain.lo_open, integer, up=True)
    high = _edge(domain.hi, domain.hi_open, integer, up=False)
    if low is not None and high is not None and low > high:
        return None
    if before is None:
        start = low if needed.lo is not None or high is None else (low if low is not None else high)
    elif low is not None and before < low:
        start = low
    elif high is not None and before > high:
        start = high
    else:
        start = before
    if start is None:
        start = Fraction(0)
    step = Fraction(1) if integer else _step(start)
    direction = 1 if before is None or start >= before else -1
    value = start
    for _ in range(TIGHTEN_STEPS):
        if domain.holds(value):
            return value
        value += direction * step
    return None


def _edge(bound: Fraction | None, is_open: bool, integer: bool, up: bool) -> Fraction | None:
    """The closest admissible value at a bound: a whole number for counts, a decimal just inside an open bound."""
    if bound is None:
        return None
    if integer:
        if up:
            return Fraction(math.floor(bound) + 1 if is_open else math.ceil(bound))
        return Fraction(math.ceil(bound) - 1 if is_open else math.floor(bound))
    if not is_open:
        return bound
    step = _step(bound)
    return bound + step if up else bound - step


def _step(bound: Fraction) -> Fraction:
    """One unit of the decimal place after the bound's last: 3 → 0.1, 2.5 → 0.01 (0.000001 at most)."""
    for places in range(7):
        if (bound * 10**places).denominator == 1:
            return Fraction(1, 10 ** (places + 1))
    return Fraction(1, 10**7)


def value_rank(value: ir.Value) -> int:
    """The rank of a grade, enum value or yes/no (0 for anything else)."""
    if isinstance(value, ir.Ordinal | ir.EnumValue):
        return value.rank
    if isinstance(value, bool):
        return int(value)
    return 0


def same_value(a: ir.Value, b: ir.Value) -> bool:
    """Equal values of the same type and rank; records lists by the records they keep."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return [r.index for r in a if isinstance(r, ir.Record)] == [r.index for r in b if isinstance(r, ir.Record)]
    return type(a) is type(b) and a == b and value_rank(a) == value_rank(b)


def record_indices(assignment: Assignment) -> dict[str, tuple[int, ...]]:
    """For each changed records field, the original position of each record that remains."""
    return {
        name: tuple(r.index for r in value if isinstance(r, ir.Record))
        for name, value in assignment.items()
        if isinstance(value, tuple)
    }


def assignment_key(assignment: Assignment) -> Key:
    """A hashable key of an assignment, telling apart values that compare equal across types."""
    out: list[tuple[str, object]] = []
    for name in sorted(assignment):
        value = assignment[name]
        if isinstance(value, tuple):
            out.append((name, ("records", *(r.index for r in value if isinstance(r, ir.Record)))))
        elif isinstance(value, ir.Ordinal | ir.EnumValue):
            out.append((name, (type(value).__name__, value.rank)))
        else:
            out.append((name, (type(value).__name__, value)))
    return tuple(out)


# --- raw evidence ------------------------------------------------------------------------------------------------


def raw_value(program: ir.Program, raw: Mapping[str, object], name: str, value: ir.Value | None) -> object:
    """A typed value as raw evidence: numbers as int (or an exact decimal), grades by their Vietnamese label,
    levels by their code, records as the raw records that remain."""
    match value:
        case None:
            return None
        case bool():
            return value
        case Fraction():
            if value.denominator == 1:
                return int(value)
            as_float = float(value)
            return as_float if Fraction(repr(as_float)) == value else value
        case ir.Ordinal(scale=scale_id, id=value_id):
            if scale_id == ir.LEVEL_SCALE:
                return program.level_code(value_id)
            for v in program.scales[scale_id].values:
                if v.id == value_id:
                    return v.label.vi
            return value_id
        case ir.EnumValue(name=enum_id, id=value_id):
            enum = program.enums.get(enum_id)
            for v in enum.values if enum else ():
                if v.id == value_id:
                    return v.label.vi
            return value_id
        case date():
            return value.isoformat()
        case tuple():
            items = raw.get(name)
            originals = list(items) if isinstance(items, list | tuple) else []
            return [originals[r.index] for r in value if isinstance(r, ir.Record) and r.index < len(originals)]
        case ir.Period():
            return {"start": value.start.isoformat(), "end": value.end.isoformat(), "kind": value.kind}
        case str():
            return value
        case _:
            assert_never(value)
