"""The columnar evaluator: a subject kind's conditions × an ``EvidenceTable`` → truth codes and values per row.

Input: an ``EvidenceTable``, the period and, for a collective kind, the records of its related subjects (one CSR
``RecordsColumn`` per relation). Output: a ``Run`` that evaluates any rule, condition or expression of the kind over
every row at once (truth codes, or values), sub-expressions shared, records calls as segment operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import assert_never

import numpy as np

from xeploai.evaluation.runners.columnar_table import (
    AnyColumn,
    Array,
    Column,
    EvidenceTable,
    RecordsColumn,
    magnitude_bound,
)
from xeploai.evaluation.runners.columnar_values import (
    MET,
    UNKNOWN,
    Obj,
    Ord,
    Rat,
    Val,
    Vec,
    arith,
    both_known,
    compare,
    const_value,
    extremum,
    gather,
    is_col,
    kleene_all,
    kleene_any,
    pairwise,
    truth_codes,
)
from xeploai.program import ir


@dataclass
class _Frame:
    """Where expressions are evaluated: the subjects, or the records of a records field (of the subjects, or of
    the records of an enclosing frame, as a related subject's disciplinary decisions)."""

    size: int
    parent: Array | None = None  # the row of the enclosing frame of each record
    root: Array | None = None  # the subject row of each record
    outer: int = 0  # the number of rows of the enclosing frame
    records: RecordsColumn | None = None
    source: str = ""  # the path of the records field: "discipline", "members.discipline"
    values: dict[ir.Expr, Val] = field(default_factory=dict)
    truths: dict[ir.Expr, Vec] = field(default_factory=dict)


class Run:
    """One evaluation of a table: rules, conditions and values of the kind over every row, computed when first asked."""

    def __init__(
        self,
        table: EvidenceTable,
        period: ir.Period,
        memo: bool = True,
        relations: Mapping[str, RecordsColumn] | None = None,
        record: bool = False,
    ) -> None:
        self.table = table
        self.program = table.program
        self.subject = table.subject
        self.period = period
        self.n = len(table)
        self.top = _Frame(self.n)
        self.frames: dict[str, _Frame] = {}
        self.rules: dict[str, Vec] = {}
        self.active: set[str] = set()
        self.relations = dict(relations or {})
        self.columns: dict[str, AnyColumn] = {**table.columns, **self.relations}
        # Facts about the data (see ``EvidenceTable``), for record fields of relations computed when first needed.
        self.facts_complete: dict[str, bool] = dict(table.complete)
        self.facts_bounds: dict[str, int] = dict(table.bounds)
        self.facts_longest: dict[str, int] = dict(table.longest)
        # Sub-expressions that occur more than once are evaluated once; others are not kept, so that their memory is
        # reused at once. A reference cycle turns this off (see ``evaluate_table``).
        self.shared = _shared(self.subject) if memo else set()
        self.cycle = False
        # With ``record``: the truth codes of every condition evaluated for the subjects, by node, and the rows where
        # a condition over records, or a record field it read, was unknown (see ``condition_codes``).
        self.recorded: dict[int, Vec] | None = {} if record else None
        self.unclean: Array | None = np.zeros(self.n, bool) if record else None

    # --- facts ---------------------------------------------------------------------------------------------------

    def complete(self, key: str, col: AnyColumn) -> bool:
        found = self.facts_complete.get(key)
        if found is None:
            found = self.facts_complete[key] = bool(np.asarray(col.known).all())
        return found

    def bound(self, key: str, col: Column) -> int:
        found = self.facts_bounds.get(key)
        if found is None:
            found = self.facts_bounds[key] = magnitude_bound(col)
        return found

    def longest(self, key: str, col: RecordsColumn) -> int:
        found = self.facts_longest.get(key)
        if found is None:
            lengths = np.diff(col.offsets)
            found = self.facts_longest[key] = int(lengths.max()) if len(lengths) else 0
        return found

    # --- evidence ----------------------------------------------------------------------------------------------

    def column(self, col: Column, ftype: ir.ValueType, key: str, frame: _Frame) -> Val:
        known = None if self.complete(key, col) else col.known
        if known is not None and frame.root is not None and self.unclean is not None:
            # A record field read where it is missing: the trace names the record, row by row.
            self.unclean[frame.root[~known]] = True
        match ftype:
            case ir.BoolType():
                codes = col.values.view(np.int8)
                codes = codes + codes
                if known is not None:
                    codes += 1
                    codes -= known.view(np.int8)
                return Ord(codes, known)
            case ir.NumberType():
                if col.values.dtype == object:
                    return Obj(col.values, known)
                return Rat(col.values, col.denominator, known, self.bound(key, col), col.denominator)
            case ir.OrdinalType() | ir.EnumType() | ir.DateType():
                return Ord(col.values, known)
            case ir.TextType() | ir.PeriodType():
                return Obj(col.values, known)
            case ir.RecordsType():
                raise TypeError(f"the records field '{key}' is not a value")  # the checker rejects this
            case _:
                assert_never(ftype)

    def records(self, source: ir.FieldRef | ir.RecordFieldRef, frame: _Frame) -> tuple[RecordsColumn, _Frame] | None:
        """The records a records call reads, and the frame of their rows; None when there is no record under
        consideration (a record field named outside ``count``/``exists``: unknown, as in the interpreter)."""
        col: AnyColumn
        if isinstance(source, ir.FieldRef):
            key = source.name
            col = self.columns[key]
            outer = self.top
        else:
            if frame.records is None:
                return None
            key = f"{frame.source}.{source.name}"
            col = frame.records.fields[source.name]
            outer = frame
        assert isinstance(col, RecordsColumn)
        found = self.frames.get(key)
        if found is None:
            parent = self.table.parents.get(key) if outer is self.top else None
            if parent is None:
                parent = np.repeat(np.arange(outer.size, dtype=np.int64), np.diff(col.offsets))
            root = parent if outer.root is None else outer.root[parent]
            found = _Frame(len(parent), parent, root, outer.size, col, key)
            self.frames[key] = found
        return col, found

    # --- values ------------------------------------------------------------------------------------------------

    def value(self, expr: ir.Expr, frame: _Frame) -> Val:
        if isinstance(expr, ir.Const):
            return const_value(expr.value)
        if id(expr) not in self.shared:
            return self._value(expr, frame)
        cached = frame.values.get(expr)
        if cached is None:
            cached = self._value(expr, frame)
            frame.values[expr] = cached
        return cached

    def _value(self, expr: ir.Expr, frame: _Frame) -> Val:
        n = frame.size
        match expr:
            case ir.Const(value=constant):
                return const_value(constant)
            case ir.FieldRef(name=name, type=ftype):
                if frame.root is not None:
                    return gather(self.value(expr, self.top), frame.root)
                col = self.columns[name]
                assert isinstance(col, Column)
                return self.column(col, ftype, name, frame)
            case ir.RecordFieldRef(name=name, type=ftype):
                if frame.records is None:
                    return Ord(UNKNOWN, np.zeros(n, bool))  # no record under consideration: unknown
                sub = frame.records.fields[name]
                assert isinstance(sub, Column)
                return self.column(sub, ftype, f"{frame.source}.{name}", frame)
            case ir.PeriodRef():
                return Obj(self.period, None)
            case ir.Arith(op=op, left=left, right=right):
                return arith(op, self.value(left, frame), self.value(right, frame), n)
            case ir.Neg(operand=operand):
                inner = self.value(operand, frame)
                match inner:
                    case Rat(num=num, den=den, known=known, nmax=nmax, dmax=dmax):
                        return Rat(-num, den, known, nmax, dmax)
                    case Obj(v=v, known=known):
                        return Obj(pairwise(lambda x, _: -x, v, v, n, object), known)
                    case _:
                        return inner
            case ir.Count(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    return gather(self.value(expr, self.top), frame.root)
                return self.count(source, where, frame)
            case ir.Share(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    return gather(self.value(expr, self.top), frame.root)
                counted = self.count(source, where, frame)
                found = self.records(source, frame)
                if found is None:
                    return counted  # unknown in every row
                col, child = found
                lengths = np.diff(col.offsets)
                empty = lengths == 0
                known = both_known(counted.known, ~empty if empty.any() else None)
                longest = max(self.longest(child.source, col), 1)
                return Rat(counted.num, np.maximum(lengths, 1), known, longest, longest)
            case ir.LevelOf(source=source):
                if frame.root is not None:
                    return gather(self.value(expr, self.top), frame.root)
                return self.level_of(source)
            case ir.Extremum(fn=fn, args=args):
                return extremum(fn, [self.value(a, frame) for a in args], n)
            case ir.Sum():
                # sum(...) is refused in conditions; computed values reach the table already filled in by
                # evidence validation (``runners.values``), so a condition reads them as ordinary fields.
                raise TypeError(f"sum(...) outside a computed value: {expr!r}")
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
                codes = self.truth(expr, frame)
                if is_col(codes):
                    unknown = codes == UNKNOWN
                    return Ord(codes, ~unknown if unknown.any() else None)
                return Ord(codes, None if codes != UNKNOWN else np.zeros(n, bool))
            case _:
                assert_never(expr)

    def count(self, source: ir.FieldRef | ir.RecordFieldRef, where: ir.Expr | None, frame: _Frame) -> Rat:
        found = self.records(source, frame)
        if found is None:
            return Rat(0, 1, np.zeros(frame.size, bool), 0, 1)
        col, child = found
        known = None if self.complete(child.source, col) else col.known
        longest = self.longest(child.source, col)
        if where is None:
            return Rat(np.diff(col.offsets), 1, known, longest, 1)
        codes = self.truth(where, child)
        met = self.segment_count(codes == MET, child)
        unknown = self.segment_any(codes == UNKNOWN, child)
        if unknown is not None:
            known = both_known(known, ~unknown)
        return Rat(met, 1, known, longest, 1)

    def level_of(self, source: ir.FieldRef) -> Ord:
        """The lowest level of the related records; unknown when there is none, or one is unknown."""
        found = self.records(source, self.top)
        assert found is not None
        col, child = found
        level = col.fields["level"]
        assert isinstance(level, Column)
        lengths = np.diff(col.offsets)
        known = lengths > 0
        if not self.complete(child.source, col):
            known &= col.known
        if not self.complete(f"{child.source}.level", level):
            unknown = self.segment_any(~level.known, child)
            if unknown is not None:
                known &= ~unknown
        out = np.zeros(self.n, level.values.dtype)
        rows = np.flatnonzero(lengths > 0)
        if len(rows):
            out[rows] = np.minimum.reduceat(level.values, col.offsets[:-1][rows])
        return Ord(out, None if known.all() else known)

    def segment_count(self, mask: Vec, frame: _Frame) -> Array:
        assert frame.records is not None and frame.parent is not None
        if not is_col(mask):
            return np.diff(frame.records.offsets) if mask else np.zeros(frame.outer, np.int64)
        return np.bincount(frame.parent[mask], minlength=frame.outer)

    def segment_any(self, mask: Vec, frame: _Frame) -> Array | None:
        """Rows of the enclosing frame with a record where ``mask`` holds; None when there is none at all."""
        assert frame.records is not None and frame.parent is not None
        if not is_col(mask):
            return np.diff(frame.records.offsets) > 0 if mask else None
        hits = frame.parent[mask]
        if not len(hits):
            return None
        out = np.zeros(frame.outer, bool)
        out[hits] = True
        return out

    # --- truth -------------------------------------------------------------------------------------------------

    def truth(self, expr: ir.Expr, frame: _Frame) -> Vec:
        """The truth codes of a condition in a frame: an int8 column, or one code for every row."""
        if id(expr) not in self.shared:
            codes = self._truth(expr, frame)
        else:
            codes = frame.truths.get(expr)
            if codes is None:
                codes = self._truth(expr, frame)
                frame.truths[expr] = codes
        if self.recorded is not None:
            self.note(expr, frame, codes)
        return codes

    def note(self, expr: ir.Expr, frame: _Frame, codes: Vec) -> None:
        assert self.recorded is not None and self.unclean is not None
        if frame.root is None:
            if id(expr) not in self.recorded:
                self.recorded[id(expr)] = codes.copy() if is_col(codes) else codes
        elif is_col(codes):
            self.unclean[frame.root[codes == UNKNOWN]] = True
        elif codes == UNKNOWN:
            self.unclean[frame.root] = True

    def _truth(self, expr: ir.Expr, frame: _Frame) -> Vec:
        n = frame.size
        match expr:
            case ir.RuleRef(name=name):
                codes = self.rule(name)
                return codes[frame.root] if frame.root is not None and is_col(codes) else codes
            case ir.And(operands=operands):
                return kleene_all([self.truth(o, frame) for o in operands])
            case ir.Or(operands=operands):
                return kleene_any([self.truth(o, frame) for o in operands])
            case ir.Not(operand=operand):
                return 2 - self.truth(operand, frame)
            case ir.Compare(ops=ops, operands=operands):
                values = [self.value(o, frame) for o in operands]
                pairs = zip(ops, values, values[1:], strict=False)
                return kleene_all([truth_codes(*compare(op, left, right, n)) for op, left, right in pairs])
            case ir.Member(item=item, options=options, negated=negated):
                value = self.value(item, frame)
                known = value.known
                hit: Vec = False
                for option in options:
                    cmp, both = compare(ir.CompareOp.EQ, value, self.value(option, frame), n)
                    known = both_known(known, both)
                    hit = hit | cmp
                return truth_codes(hit ^ negated if is_col(hit) else bool(hit) != negated, known)
            case ir.InPeriod(item=item, negated=negated):
                value = self.value(item, frame)
                assert isinstance(value, Ord)
                start, end = self.period.start.toordinal(), self.period.end.toordinal()
                inside = (value.v >= start) & (value.v <= end)
                return truth_codes(inside ^ negated if is_col(inside) else bool(inside) != negated, value.known)
            case ir.Exists(source=source, where=where):
                if isinstance(source, ir.FieldRef) and frame.root is not None:
                    codes = self.truth(expr, self.top)
                    return codes[frame.root] if is_col(codes) else codes
                found = self.records(source, frame)
                if found is None:
                    return UNKNOWN
                col, child = found
                codes = self.truth(where, child)
                met = self.segment_any(codes == MET, child)
                unknown = self.segment_any(codes == UNKNOWN, child)
                out = np.zeros(n, np.int8)
                if met is not None:
                    out += met.view(np.int8)
                    out += met.view(np.int8)
                if unknown is not None:
                    out += (unknown & ~met if met is not None else unknown).view(np.int8)
                if not self.complete(child.source, col):
                    out += (~col.known).view(np.int8)  # rows without the field have no records: 0 becomes 1
                return out
            case ir.Known(ref=ref):
                if frame.root is not None:
                    codes = self.truth(expr, self.top)
                    return codes[frame.root] if is_col(codes) else codes
                field_col = self.columns[ref.name]
                if self.complete(ref.name, field_col):
                    return MET
                known = field_col.known.view(np.int8)
                return known + known
            case ir.Const() | ir.FieldRef() | ir.RecordFieldRef():
                value = self.value(expr, frame)
                if isinstance(expr.type, ir.BoolType):
                    assert isinstance(value, Ord)
                    return value.v
                return truth_codes(False, value.known)  # not a boolean: never "is True"
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
                raise TypeError(f"not a condition: {expr!r}")  # the checker rejects these
            case _:
                assert_never(expr)

    def rule(self, name: str) -> Vec:
        cached = self.rules.get(name)
        if cached is not None:
            return cached
        if name in self.active:  # the checker rejects cycles; as the interpreter, a cycle is unknown
            self.cycle = True
            return UNKNOWN
        self.active.add(name)
        codes = self.truth(self.subject.rules[name].expr, self.top)
        self.active.discard(name)
        self.rules[name] = codes
        return codes


def _shared(subject: ir.SubjectProgram) -> set[int]:
    """The ids of the expression nodes that occur more than once (structurally) in a subject's conditions."""
    seen: dict[ir.Expr, list[int]] = {}

    def visit(expr: ir.Expr) -> None:
        if isinstance(expr, ir.Const):
            return
        ids = seen.setdefault(expr, [])
        ids.append(id(expr))
        if len(ids) == 1:
            for child in _children(expr):
                visit(child)

    for expr in subject.expressions():
        visit(expr)
    return {i for ids in seen.values() if len(ids) > 1 for i in ids}


def subexpressions(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    """The direct sub-expressions of an expression (a records call's source and predicate included)."""
    return _children(expr)


def _children(expr: ir.Expr) -> tuple[ir.Expr, ...]:
    """``ir.children``, except that ``known(field)`` reads the field's presence, not its value: no sub-expression."""
    return () if isinstance(expr, ir.Known) else ir.children(expr)
