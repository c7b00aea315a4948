"""Whole-framework analysis, the values worth trying: a subject program → for each field its boundary values (the
thresholds of the comparisons it takes part in, and their neighbours), single records that make each condition on
records hold and fail, and the typed evidence a choice of these values makes.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from typing import assert_never

from xeploai.analysis.walk import expressions, linear, relation_field, top_reads, walk
from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import NodeKind, Truth
from xeploai.program import ir
from xeploai.program.issues import EvidenceError

# The most combinations enumerated for one rule (or one pair of rules) before sampling instead.
ENUMERATION_LIMIT = 1024
_RECORD_OPTIONS = 48  # single-record choices per records field (a quarter of it when nested)
_RELATION_OPTIONS = 40  # lists of related subjects per relation
_DOMAIN_LIMIT = 24  # values per scalar field

Assignment = dict[str, object]


class _Omit:
    """The choice of leaving a field out of the evidence."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()


def raw_number(value: Fraction) -> object:
    if value.denominator == 1:
        return int(value)
    as_float = float(value)
    return as_float if Fraction(str(as_float)) == value else str(value)


def _near(value: Fraction, integer: bool, step: Fraction) -> list[Fraction]:
    if integer:
        low, high = math.floor(value), math.ceil(value)
        return [Fraction(v) for v in dict.fromkeys((low - 1, low, high, high + 1))]
    return [value - step, value, value + step]


def _thresholds(
    subject: ir.SubjectProgram, base: Mapping[tuple[str, ...], list[Fraction]]
) -> dict[tuple[str, ...], list[Fraction]]:
    """For each number path, the values where some comparison changes truth, given the others' base values."""
    found: dict[tuple[str, ...], list[Fraction]] = {}

    def visit(expr: ir.Expr, scope: tuple[str, ...]) -> None:
        match expr:
            case ir.Compare(operands=operands):
                for left, right in itertools.pairwise(operands):
                    a, b = linear(left, scope), linear(right, scope)
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

    for expr in expressions(subject).values():
        visit(expr, ())
    for cap in subject.caps:
        visit(cap.at_most, ())
    return found


def _exceeds(value: ir.Value, bound: ir.Value) -> bool:
    if isinstance(value, Fraction) and isinstance(bound, Fraction):
        return value > bound
    if isinstance(value, ir.Ordinal) and isinstance(bound, ir.Ordinal) and value.scale == bound.scale:
        return value > bound
    if isinstance(value, date) and isinstance(bound, date):
        return value > bound
    return False


class Domains:
    """The values worth trying for each field of one subject kind, read from its conditions, and the typed
    evidence a choice of them makes."""

    def __init__(self, program: ir.Program, kind: str, period: ir.Period, rng: random.Random) -> None:
        self.program = program
        self.kind = kind
        self.subject = program.subjects[kind]
        self.period = period
        self.rng = rng
        s = self.subject
        self.relations = {r.id: r for r in s.relations}
        self.fields: dict[str, ir.FieldDef] = {f.id: f for f in s.fields}
        for relation in s.relations:
            self.fields[relation.id] = relation_field(relation)
        self.augmented = replace(
            program,
            subjects={**program.subjects, kind: replace(s, fields=tuple(relation_field(r) for r in s.relations))},
        )
        self.loose = replace(
            program,
            subjects={
                **program.subjects,
                kind: replace(s, fields=tuple(replace(f, at_most_field=None) for f in s.fields)),
            },
        )
        self.converted: dict[tuple[str, str], ir.Value | None] = {}
        self.exprs = expressions(s)
        self.reads = {key: self._closure(top_reads(s, expr)) for key, expr in self.exprs.items()}
        self.known_reads = {n.ref.name for e in self.exprs.values() for n in walk(e) if isinstance(n, ir.Known)}
        self.paths = self._read_paths()
        self.domains: dict[tuple[str, str], list[object]] = {}
        self.options: dict[tuple[str, ...], list[dict[str, object]]] = {}
        self.partial: set[str] = set(self.relations)  # fields whose values are a sample, not every combination
        self.predicates = self._predicates()
        self._build_domains()

    # --- declarations and domains ----------------------------------------------------------------------------------

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
        return [raw_number(v) for v in sorted(dict.fromkeys([*ok, *others]))]

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

    # --- typed evidence --------------------------------------------------------------------------------------------

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

    # --- assignments: combinations, random choices, moves ----------------------------------------------------------

    def combos(self, names: Sequence[str], limit: int) -> tuple[list[Assignment], bool]:
        """Every combination of the values of ``names`` (and True), or a sample of ``limit`` (and False)."""
        choices = [self.top_domain(n) for n in names]
        total = math.prod(len(c) for c in choices)
        if total <= limit:
            complete = not any(n in self.partial for n in names)
            return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)], complete
        sample = [{n: self.rng.choice(c) for n, c in zip(names, choices, strict=True)} for _ in range(limit)]
        return [self.fix_bounds(a) for a in sample], False

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
