"""Values and truth codes during columnar evaluation: typed columns (or constants) → compared, computed, combined.

Input: column values as the evaluator reads them from an ``EvidenceTable`` (ranks and day ordinals, exact rationals,
Python objects) and truth codes (0 not met, 1 unknown, 2 met). Output: the same kinds of values, row by row as the
interpreter would compute them: comparisons as truth codes, exact arithmetic, extrema, Kleene "and" and "or".
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, TypeAlias, assert_never

import numpy as np

from xeploai.evaluation.runners.columnar_table import LIMIT, Array
from xeploai.program import ir

# A column, or one scalar standing for every row (constants stay scalars until something needs a column).
Vec: TypeAlias = Any

NOT_MET, UNKNOWN, MET = 0, 1, 2

_OPS: dict[ir.CompareOp, Callable[[Any, Any], Any]] = {
    ir.CompareOp.EQ: operator.eq,
    ir.CompareOp.NE: operator.ne,
    ir.CompareOp.LT: operator.lt,
    ir.CompareOp.LE: operator.le,
    ir.CompareOp.GT: operator.gt,
    ir.CompareOp.GE: operator.ge,
}


# --- values during evaluation --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Ord:
    """Integers that compare like the IR values: scale and enum ranks, day ordinals, or truth codes of booleans."""

    v: Vec
    known: Array | None  # None: known in every row


@dataclass(slots=True)
class Rat:
    """Exact rationals: ``num / den`` with ``den`` > 0, one denominator for the column or one per row.

    ``nmax`` and ``dmax`` bound the magnitudes, so overflow is ruled out before any product is computed.
    """

    num: Vec
    den: Vec
    known: Array | None
    nmax: int
    dmax: int


@dataclass(slots=True)
class Obj:
    """Python values, one per row (text, periods, Fractions too large for int64); None where unknown."""

    v: Vec
    known: Array | None


Val: TypeAlias = Ord | Rat | Obj


def is_col(x: Vec) -> bool:
    return isinstance(x, np.ndarray)


def both_known(a: Array | None, b: Array | None) -> Array | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _mul(x: Vec, y: Vec) -> Vec:
    if not is_col(y) and y == 1:
        return x
    if not is_col(x) and x == 1:
        return y
    return x * y


def truth_codes(cmp: Vec, known: Array | None) -> Vec:
    """Truth codes of a fresh two-valued result (reused in place) whose operands may be unknown.

    Branch-free: np.where is slow on unpredictable masks, and fresh memory costs more than arithmetic.
    """
    if not is_col(cmp):
        if known is None:
            return MET if cmp else NOT_MET
        cmp = known.copy() if cmp else np.zeros_like(known)
    elif known is not None:
        cmp &= known
    r: Array = cmp.view(np.int8)
    r += r
    if known is not None:
        r += 1
        r -= known.view(np.int8)
    return r


def full(x: Vec, n: int, dtype: Any = np.int8) -> Array:
    return x if is_col(x) else np.full(n, x, dtype)


def blend(cond: Array, a: Vec, b: Vec, dtype: Any) -> Array:
    """``np.where(cond, a, b)`` by bit operations, several times faster on unpredictable masks."""
    mask = cond.astype(dtype)
    np.negative(mask, out=mask)
    bv = np.asarray(b, dtype)
    mask &= np.asarray(a, dtype) ^ bv
    mask ^= bv
    return mask


def gather(value: Val, parent: Array) -> Val:
    """A subject-level value repeated for each record of a records field."""

    def pick(x: Vec) -> Vec:
        return x[parent] if is_col(x) else x

    known = None if value.known is None else value.known[parent]
    match value:
        case Ord(v=v):
            return Ord(pick(v), known)
        case Rat(num=num, den=den, nmax=nmax, dmax=dmax):
            return Rat(pick(num), pick(den), known, nmax, dmax)
        case Obj(v=v):
            return Obj(pick(v), known)
        case _:
            assert_never(value)


def const_value(value: ir.Value) -> Val:
    match value:
        case bool():
            return Ord(MET if value else NOT_MET, None)
        case Fraction():
            return _rat_of(value)
        case ir.Ordinal(rank=rank) | ir.EnumValue(rank=rank):
            return Ord(rank, None)
        case date():
            return Ord(value.toordinal(), None)
        case str() | ir.Period():
            return Obj(value, None)
        case tuple():
            raise NotImplementedError("records constants are not columnar")
        case _:
            assert_never(value)


def _rat_of(value: Fraction, known: Array | None = None) -> Val:
    if abs(value.numerator) >= LIMIT or value.denominator >= LIMIT:
        return Obj(value, known)
    return Rat(value.numerator, value.denominator, known, abs(value.numerator), value.denominator)


def _python(value: Val, n: int) -> Vec:
    """A value as Python objects (an object array, or one object), None where unknown."""
    match value:
        case Rat(num=num, den=den, known=known):
            if known is None and not is_col(num) and not is_col(den):
                return Fraction(int(num), int(den))
            nums = np.broadcast_to(num, n).tolist()
            dens = np.broadcast_to(den, n).tolist()
            oks = [True] * n if known is None else known.tolist()
            out = np.empty(n, object)
            out[:] = [Fraction(a, b) if ok else None for a, b, ok in zip(nums, dens, oks, strict=True)]
            return out
        case Ord(v=v, known=known) | Obj(v=v, known=known):
            if known is None and not is_col(v):
                return int(v) if isinstance(v, np.integer) else v
            values = v.tolist() if is_col(v) and v.dtype != object else list(np.broadcast_to(v, n))
            oks = [True] * n if known is None else known.tolist()
            out = np.empty(n, object)
            out[:] = [x if ok else None for x, ok in zip(values, oks, strict=True)]
            return out
        case _:
            assert_never(value)


def _rows(x: Vec) -> Iterable[Any]:
    return x if is_col(x) else itertools.repeat(x)


def pairwise(fn: Callable[[Any, Any], Any], a: Vec, b: Vec, n: int, dtype: Any = bool) -> Vec:
    """``fn`` row by row over Python values; rows where either side is None give None (or False for bool)."""
    if not is_col(a) and not is_col(b):
        return None if a is None or b is None else fn(a, b)
    empty = False if dtype is bool else None
    results = (empty if x is None or y is None else fn(x, y) for x, y in zip(_rows(a), _rows(b), strict=False))
    if dtype is bool:
        return np.fromiter(results, bool, n)
    out = np.empty(n, object)
    out[:] = list(results)
    return out


def _known_of(values: Vec, n: int) -> Array | None:
    if not is_col(values):
        return None if values is not None else np.zeros(n, bool)
    known = np.fromiter((x is not None for x in values), bool, n)
    return None if known.all() else known


def _same(a: Vec, b: Vec) -> bool:
    return not is_col(a) and not is_col(b) and a == b


def _rat_sides(a: Rat, b: Rat) -> tuple[Vec, Vec] | None:
    """Numerators scaled to a common denominator, or None when that could overflow."""
    if _same(a.den, b.den):
        return a.num, b.num
    if a.nmax * b.dmax >= LIMIT or b.nmax * a.dmax >= LIMIT:
        return None
    return _mul(a.num, b.den), _mul(b.num, a.den)


def compare(op: ir.CompareOp, a: Val, b: Val, n: int) -> tuple[Vec, Array | None]:
    """Two-valued comparison of two values, and where both are known."""
    known = both_known(a.known, b.known)
    fn = _OPS[op]
    if isinstance(a, Ord) and isinstance(b, Ord):
        return fn(a.v, b.v), known
    if isinstance(a, Rat) and isinstance(b, Rat):
        sides = _rat_sides(a, b)
        if sides is not None:
            return fn(*sides), known
    return pairwise(fn, _python(a, n), _python(b, n), n), known


# --- arithmetic -----------------------------------------------------------------------------------------------------


def arith(op: ir.ArithOp, a: Val, b: Val, n: int) -> Val:
    if isinstance(a, Rat) and isinstance(b, Rat):
        if a.known is None and b.known is None and not any(map(is_col, (a.num, a.den, b.num, b.den))):
            # Constants fold exactly, so 0.7 * 10 is 7 before any column sees it.
            left, right = Fraction(int(a.num), int(a.den)), Fraction(int(b.num), int(b.den))
            if op is ir.ArithOp.DIV and right == 0:
                return Rat(0, 1, np.zeros(n, bool), 0, 1)
            return _rat_of(_fraction_op(op, left, right))
        done = _rat_arith(op, a, b, n)
        if done is not None:
            return done
    known = both_known(a.known, b.known)
    result = pairwise(lambda x, y: _python_op(op, x, y), _python(a, n), _python(b, n), n, object)
    if op is ir.ArithOp.DIV:
        known = both_known(known, _known_of(result, n))
    return Obj(result, known)


def _fraction_op(op: ir.ArithOp, x: Fraction, y: Fraction) -> Fraction:
    match op:
        case ir.ArithOp.ADD:
            return x + y
        case ir.ArithOp.SUB:
            return x - y
        case ir.ArithOp.MUL:
            return x * y
        case ir.ArithOp.DIV:
            return x / y
        case _:
            assert_never(op)


def _python_op(op: ir.ArithOp, x: Fraction, y: Fraction) -> Fraction | None:
    if op is ir.ArithOp.DIV and y == 0:
        return None  # the interpreter's "division by zero": unknown
    return _fraction_op(op, x, y)


def _rat_arith(op: ir.ArithOp, a: Rat, b: Rat, n: int) -> Val | None:
    """Vectorised exact arithmetic, or None when the bounds do not rule out an overflow."""
    known = both_known(a.known, b.known)
    match op:
        case ir.ArithOp.ADD | ir.ArithOp.SUB:
            sign = 1 if op is ir.ArithOp.ADD else -1
            if not is_col(a.den) and not is_col(b.den):
                common = math.lcm(int(a.den), int(b.den))
                fa, fb = common // int(a.den), common // int(b.den)
                nmax = a.nmax * fa + b.nmax * fb
                if nmax >= LIMIT or common >= LIMIT:
                    return None
                num = _mul(a.num, fa) + sign * _mul(b.num, fb)
                return Rat(num, common, known, nmax, common)
            nmax, dmax = a.nmax * b.dmax + b.nmax * a.dmax, a.dmax * b.dmax
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            num = _mul(a.num, b.den) + sign * _mul(b.num, a.den)
            return Rat(num, _mul(a.den, b.den), known, nmax, dmax)
        case ir.ArithOp.MUL:
            a, b = (b, a) if is_col(a.num) and not is_col(b.num) else (a, b)
            num_a, den_b = a.num, b.den
            if not is_col(num_a) and not is_col(den_b):
                # A constant factor p/q times x/d: cancel gcd(p, d) first so denominators stay small.
                g = math.gcd(int(num_a), int(den_b)) or 1
                num_a, den_b = int(num_a) // g, int(den_b) // g
            nmax, dmax = a.nmax * b.nmax, a.dmax * b.dmax
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            return Rat(_mul(num_a, b.num), _mul(a.den, den_b), known, nmax, dmax)
        case ir.ArithOp.DIV:
            if not is_col(b.num) and not is_col(b.den):
                if b.num == 0:
                    return Rat(0, 1, np.zeros(n, bool), 0, 1)
                inverse = _rat_of(Fraction(int(b.den), int(b.num)), b.known)
                return _rat_arith(ir.ArithOp.MUL, a, inverse, n) if isinstance(inverse, Rat) else None
            nmax, dmax = a.nmax * b.dmax, a.dmax * max(b.nmax, 1)
            if nmax >= LIMIT or dmax >= LIMIT:
                return None
            zero = np.broadcast_to(b.num == 0, (n,))
            signs = np.where(b.num < 0, -1, 1)
            num = _mul(_mul(a.num, b.den), signs)
            den = np.where(zero, 1, _mul(a.den, np.abs(b.num)))
            known = both_known(known, ~zero) if zero.any() else known
            return Rat(np.where(zero, 0, num), den, known, nmax, dmax)
        case _:
            assert_never(op)


def extremum(fn: str, values: list[Val], n: int) -> Val:
    known: Array | None = None
    for v in values:
        known = both_known(known, v.known)
    if all(isinstance(v, Ord) for v in values):
        pick = np.minimum if fn == "min" else np.maximum
        first = values[0]
        assert isinstance(first, Ord)
        out: Vec = first.v
        for v in values[1:]:
            assert isinstance(v, Ord)
            out = pick(out, v.v)
        return Ord(out, known)
    if all(isinstance(v, Rat) for v in values):
        best = values[0]
        assert isinstance(best, Rat)
        for v in values[1:]:
            assert isinstance(v, Rat)
            sides = _rat_sides(best, v)
            if sides is None:
                break
            keep = sides[0] <= sides[1] if fn == "min" else sides[0] >= sides[1]
            best = Rat(
                np.where(keep, best.num, v.num) if is_col(keep) else (best.num if keep else v.num),
                np.where(keep, best.den, v.den) if is_col(keep) else (best.den if keep else v.den),
                known,
                max(best.nmax, v.nmax),
                max(best.dmax, v.dmax),
            )
        else:
            return best
    pick_py: Callable[[Any, Any], Any] = min if fn == "min" else max
    out_py = _python(values[0], n)
    for v in values[1:]:
        out_py = pairwise(pick_py, out_py, _python(v, n), n, object)
    return Obj(out_py, known)


# --- Kleene logic -----------------------------------------------------------------------------------------------------


def kleene_all(codes: Sequence[Vec]) -> Vec:
    """Kleene "and": the least code (not met < unknown < met); met when there is nothing to hold."""
    return _fold(np.minimum, min, MET, NOT_MET, codes)


def kleene_any(codes: Sequence[Vec]) -> Vec:
    """Kleene "or": the greatest code; not met when there is nothing."""
    return _fold(np.maximum, max, NOT_MET, MET, codes)


def _fold(ufunc: np.ufunc, pick: Callable[[int, int], int], identity: int, absorbing: int, codes: Sequence[Vec]) -> Vec:
    """Scalars folded first, then columns, in place after the first (no fresh array per operand)."""
    scalar = identity
    columns = []
    for c in codes:
        if is_col(c):
            columns.append(c)
        else:
            scalar = pick(scalar, int(c))
    if scalar == absorbing or not columns:
        return scalar
    out: Array = columns[0] if scalar == identity else ufunc(columns[0], scalar)
    owned = scalar != identity
    for c in columns[1:]:
        if owned:
            ufunc(out, c, out=out)
        else:
            out, owned = ufunc(out, c), True
    return out
