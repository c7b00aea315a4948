"""Hypothesis strategies that build raw evidence for any subject kind of a compiled program."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hypothesis import strategies as st

from xeploai.program import ir


def _value(program: ir.Program, f: ir.FieldDef, depth: int = 0) -> st.SearchStrategy[object]:
    match f.type:
        case ir.BoolType():
            return st.booleans()
        case ir.NumberType(integer=True):
            low_int = int(f.minimum) if f.minimum is not None else 0
            return st.integers(min_value=low_int, max_value=int(f.maximum) if f.maximum is not None else 40)
        case ir.NumberType():
            low = float(f.minimum) if f.minimum is not None else 0.0
            high = float(f.maximum) if f.maximum is not None else 24.0
            return st.one_of(st.integers(int(low), int(high)), st.sampled_from([low, high, (low + high) / 2]))
        case ir.OrdinalType(scale=scale):
            values = program.scales[scale].values
            return st.sampled_from([v.label.vi for v in values] + [v.code for v in values])
        case ir.EnumType(name=name):
            return st.sampled_from([v.label.vi for v in program.enums[name].values])
        case ir.DateType():
            return st.dates(min_value=date(2017, 1, 1), max_value=date(2024, 12, 31)).map(date.isoformat)
        case ir.TextType():
            return st.text(max_size=5)
        case ir.RecordsType(record=record):
            fields = program.records[record].fields
            one = st.fixed_dictionaries(
                {g.id: _value(program, g, depth + 1) for g in fields if g.default is None},
                optional={g.id: _value(program, g, depth + 1) for g in fields if g.default is not None},
            )
            return st.lists(one, max_size=3)
        case _:
            raise AssertionError(f.type)


def evidence(program: ir.Program, kind: str) -> st.SearchStrategy[dict[str, object]]:
    """Raw evidence with any subset of the declared fields, values valid for their declaration."""
    fields = program.subjects[kind].fields

    optional = {f.id: _value(program, f) for f in fields}
    return st.fixed_dictionaries({}, optional=optional).map(lambda raw: within_bounds(fields, raw))


def within_bounds(fields: Sequence[ir.FieldDef], raw: dict[str, object]) -> dict[str, object]:
    """``raw`` with every bounded value (``at_most_field``) clamped to its bound, repeatedly, so that chains
    (a <= b <= c) settle too."""
    for _ in fields:
        for f in fields:
            other = f.at_most_field
            if other and f.id in raw and other in raw:
                a, b = raw[f.id], raw[other]
                if isinstance(a, int | float) and isinstance(b, int | float) and a > b:
                    raw[f.id] = b
    return raw
