"""The condition language: condition strings → typed IR expressions, without ``eval``.

Input: a condition as written in a framework and the names in scope. Output: an ``ir.Expr`` and the issues
found (unsupported syntax, unknown names with a did-you-mean hint, type errors), each with a position.
The string is parsed by the standard ``ast`` module in ``eval`` mode and walked against an allow-list.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from xeploai.framework.condition_syntax import syntax_error, syntax_name
from xeploai.program import ir
from xeploai.program.issues import Issue, suggest


@dataclass(frozen=True)
class Scope:
    """The names a condition may use."""

    fields: Mapping[str, ir.FieldDef]
    rules: frozenset[str]
    scales: Mapping[str, ir.Scale]
    enums: Mapping[str, ir.EnumDef]
    records: Mapping[str, ir.RecordDef]
    record_fields: Mapping[str, ir.FieldDef] | None = None  # inside count(...) and exists(...)
    formulas: bool = False  # a value's formula: sum(...) is allowed

    def names(self) -> list[str]:
        names = [*self.fields, *self.rules, "period"]
        if self.record_fields:
            names.extend(self.record_fields)
        return names


@dataclass(frozen=True, slots=True)
class _Literal:
    """A text literal whose type is settled by the operand it is compared with."""

    text: str
    span: ir.Span


@dataclass(frozen=True, slots=True)
class _Invalid:
    """Stands in for a sub-expression that already produced an issue, so one mistake is reported once."""


_Typed = tuple[ir.Expr | _Literal | _Invalid, "ir.ValueType | None"]

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)(\s*)%")
_FUNCTIONS = ("count", "exists", "share", "sum", "level_of", "min", "max", "known")
_COMPARE_OPS: dict[type[ast.cmpop], ir.CompareOp] = {
    ast.Eq: ir.CompareOp.EQ,
    ast.NotEq: ir.CompareOp.NE,
    ast.Lt: ir.CompareOp.LT,
    ast.LtE: ir.CompareOp.LE,
    ast.Gt: ir.CompareOp.GT,
    ast.GtE: ir.CompareOp.GE,
}
_ARITH_OPS: dict[type[ast.operator], ir.ArithOp] = {
    ast.Add: ir.ArithOp.ADD,
    ast.Sub: ir.ArithOp.SUB,
    ast.Mult: ir.ArithOp.MUL,
    ast.Div: ir.ArithOp.DIV,
}
_ORDERING = {ir.CompareOp.LT, ir.CompareOp.LE, ir.CompareOp.GT, ir.CompareOp.GE}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


def match_choice(text: str, values: Sequence[ir.ScaleValue]) -> ir.ScaleValue | None:
    """The value whose id, code, Vietnamese or English label is ``text`` (NFC, case-insensitive)."""
    wanted = normalize(text)
    for value in values:
        if wanted in {
            normalize(value.id),
            normalize(value.code),
            normalize(value.label.vi),
            normalize(value.label.en),
        }:
            return value
    return None


@dataclass
class _Parser:
    source: str  # the rewritten source (percent signs replaced)
    original: str
    origin: ir.Span
    path: str
    scope: Scope
    percent_at: set[int] = field(default_factory=set)  # offsets of literals that were written with %
    issues: list[Issue] = field(default_factory=list)

    # --- positions and problems ---------------------------------------------------------------------------

    def span(self, node: ast.AST) -> ir.Span:
        line = getattr(node, "lineno", 1)
        col = _char_col(self.source, line, getattr(node, "col_offset", 0))
        if line == 1:
            return ir.Span(self.origin.file, self.origin.line, self.origin.col + col)
        return ir.Span(self.origin.file, self.origin.line + line - 1, col + 1)

    def text(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.original, node)
        return segment if segment is not None else ""

    def problem(self, code: str, message: ir.Text, node: ast.AST, hint: ir.Text | None = None) -> _Typed:
        self.issues.append(Issue.from_text(code, message, self.path, self.span(node), hint))
        return _Invalid(), None

    # --- the walker --------------------------------------------------------------------------------------

    def expr(self, node: ast.AST) -> _Typed:
        match node:
            case ast.Constant(value=bool() as value):
                return ir.Const(value, ir.BoolType(), self.text(node), self.span(node)), ir.BoolType()
            case ast.Constant(value=int() | float() | complex()):
                return self.number(node)
            case ast.Constant(value=str() as value):
                return _Literal(unicodedata.normalize("NFC", value), self.span(node)), None
            case ast.Name(id=name):
                return self.name(name, node)
            case ast.BoolOp(op=op, values=values):
                return self.bool_op(op, values, node)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                inner, inner_type = self.expr(operand)
                if not self.expect_bool(inner, inner_type, operand):
                    return _Invalid(), None
                assert not isinstance(inner, _Literal | _Invalid)
                return ir.Not(inner, self.text(node), self.span(node)), ir.BoolType()
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                inner, inner_type = self.expr(operand)
                if isinstance(inner, _Invalid):
                    return inner, None
                if not isinstance(inner_type, ir.NumberType) or isinstance(inner, _Literal):
                    described = _describe(inner_type)
                    message = ir.Text(
                        f"'-' cần một số, không phải {described.vi}", f"'-' needs a number, not {described.en}"
                    )
                    return self.problem("type-error", message, node)
                return ir.Neg(inner, self.text(node), self.span(node)), inner_type
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITH_OPS:
                return self.arith(_ARITH_OPS[type(op)], left, right, node)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self.compare(left, ops, comparators, node)
            case ast.Call():
                return self.call(node)
            case _:
                syntax = syntax_name(node)
                return self.problem(
                    "unsupported-syntax",
                    ir.Text(
                        f"'{self.text(node)}' không thuộc ngôn ngữ điều kiện ({syntax.vi})",
                        f"'{self.text(node)}' is not part of the condition language ({syntax.en})",
                    ),
                    node,
                    ir.Text(
                        "xem docs/reference/framework-format.md#conditions",
                        "see docs/reference/framework-format.md#conditions",
                    ),
                )

    def number(self, node: ast.Constant) -> _Typed:
        offset = _offset(self.source, node)
        if isinstance(node.value, complex):
            if offset not in self.percent_at:
                message = ir.Text("ngôn ngữ điều kiện không có số phức", "complex numbers are not part of the language")
                return self.problem("unsupported-syntax", message, node)
            digits = (ast.get_source_segment(self.source, node) or "").rstrip("j ")
            if too_many_digits(digits):
                return self.too_long(node)
            value = Fraction(digits) / 100
            return ir.Const(value, ir.NumberType(), self.text(node), self.span(node)), ir.NumberType()
        literal = ast.get_source_segment(self.source, node) or str(node.value)
        if too_many_digits(literal.replace("_", "")):
            return self.too_long(node)
        try:
            value = Fraction(literal.replace("_", ""))
        except ValueError:
            value = Fraction(str(node.value))
        integer = isinstance(node.value, int)
        return ir.Const(value, ir.NumberType(integer), self.text(node), self.span(node)), ir.NumberType(integer)

    def too_long(self, node: ast.AST) -> _Typed:
        return self.problem("number-too-long", _too_long_text(self.text(node)), node)

    def name(self, name: str, node: ast.AST) -> _Typed:
        span = self.span(node)
        if self.scope.record_fields is not None and name in self.scope.record_fields:
            f = self.scope.record_fields[name]
            return ir.RecordFieldRef(name, f.type, span), f.type
        if name == "period":
            return ir.PeriodRef(span), ir.PeriodType()
        if name in ("true", "false") and name not in self.scope.fields and name not in self.scope.rules:
            return ir.Const(name == "true", ir.BoolType(), name, span), ir.BoolType()
        if name in self.scope.fields:
            f = self.scope.fields[name]
            return ir.FieldRef(name, f.type, span), f.type
        if name in self.scope.rules:
            return ir.RuleRef(name, span), ir.BoolType()
        hint = suggest(name, self.scope.names())
        if hint is None and self._is_choice(name):
            hint = ir.Text(
                f'giá trị của thang hoặc danh mục phải viết trong dấu nháy: "{name}"',
                f'a value of a scale or enum is written as a text literal: "{name}"',
            )
        message = ir.Text(f"tên '{name}' không xác định", f"unknown name '{name}'")
        return self.problem("unknown-reference", message, node, hint)

    def _is_choice(self, name: str) -> bool:
        scales = [s.values for s in self.scope.scales.values()] + [e.values for e in self.scope.enums.values()]
        return any(match_choice(name, values) for values in scales)

    def expect_bool(self, expr: object, expr_type: ir.ValueType | None, node: ast.AST) -> bool:
        if isinstance(expr, _Invalid):
            return False
        if isinstance(expr, _Literal) or not isinstance(expr_type, ir.BoolType):
            described = _describe(expr_type)
            message = ir.Text(
                f"'{self.text(node)}' là {described.vi}, không phải một điều kiện",
                f"'{self.text(node)}' is {described.en}, not a condition",
            )
            self.problem("type-error", message, node)
            return False
        return True

    def bool_op(self, op: ast.boolop, values: list[ast.expr], node: ast.AST) -> _Typed:
        operands: list[ir.Expr] = []
        ok = True
        for value in values:
            inner, inner_type = self.expr(value)
            if self.expect_bool(inner, inner_type, value):
                assert not isinstance(inner, _Literal | _Invalid)
                operands.append(inner)
            else:
                ok = False
        if not ok:
            return _Invalid(), None
        if isinstance(op, ast.And):
            return ir.And(tuple(operands), self.text(node), self.span(node)), ir.BoolType()
        return ir.Or(tuple(operands), self.text(node), self.span(node)), ir.BoolType()

    def arith(self, op: ir.ArithOp, left: ast.expr, right: ast.expr, node: ast.AST) -> _Typed:
        lhs, lhs_type = self.expr(left)
        rhs, rhs_type = self.expr(right)
        if isinstance(lhs, _Invalid) or isinstance(rhs, _Invalid):
            return _Invalid(), None
        for side, side_type, side_node in ((lhs, lhs_type, left), (rhs, rhs_type, right)):
            if isinstance(side, _Literal) or not isinstance(side_type, ir.NumberType):
                described = _describe(side_type)
                return self.problem(
                    "type-error",
                    ir.Text(
                        f"'{op}' cần các số; '{self.text(side_node)}' là {described.vi}",
                        f"'{op}' needs numbers; '{self.text(side_node)}' is {described.en}",
                    ),
                    node,
                )
        assert not isinstance(lhs, _Literal) and not isinstance(rhs, _Literal)
        integer = (
            isinstance(lhs_type, ir.NumberType)
            and isinstance(rhs_type, ir.NumberType)
            and lhs_type.integer
            and rhs_type.integer
            and op != ir.ArithOp.DIV
        )
        result_type = ir.NumberType(integer)
        return ir.Arith(op, lhs, rhs, self.text(node), self.span(node)), result_type

    # --- comparisons -------------------------------------------------------------------------------------

    def compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr], node: ast.AST) -> _Typed:
        if any(isinstance(op, ast.In | ast.NotIn) for op in ops):
            if len(ops) != 1:
                message = ir.Text(
                    "không được nối 'in' với các phép so sánh khác", "'in' cannot be chained with other comparisons"
                )
                return self.problem("unsupported-syntax", message, node)
            return self.membership(left, isinstance(ops[0], ast.NotIn), comparators[0], node)
        cmp_ops: list[ir.CompareOp] = []
        for op in ops:
            if type(op) not in _COMPARE_OPS:
                syntax = syntax_name(op)
                message = ir.Text(
                    f"không hỗ trợ phép so sánh '{syntax.vi}'", f"'{syntax.en}' comparisons are not supported"
                )
                return self.problem("unsupported-syntax", message, node)
            cmp_ops.append(_COMPARE_OPS[type(op)])
        raw = [self.expr(operand) for operand in [left, *comparators]]
        if any(isinstance(expr, _Invalid) for expr, _ in raw):
            return _Invalid(), None
        # The type of the comparison is set by the first typed operand; text literals follow it.
        typed = [t for e, t in raw if not isinstance(e, _Literal)]
        if not typed:
            message = ir.Text(
                "phép so sánh cần ít nhất một trường, quy tắc hoặc số",
                "a comparison needs at least one field, rule or number",
            )
            return self.problem("type-error", message, node)
        common = typed[0]
        operands: list[ir.Expr] = []
        for (expr, expr_type), operand_node in zip(raw, [left, *comparators], strict=True):
            if isinstance(expr, _Literal):
                coerced = self.coerce(expr, common, operand_node)
                if coerced is None:
                    return _Invalid(), None
                operands.append(coerced)
                continue
            assert not isinstance(expr, _Invalid)
            if not _comparable(common, expr_type):
                left_type, right_type, shown = _describe(common), _describe(expr_type), self.text(operand_node)
                return self.problem(
                    "type-error",
                    ir.Text(
                        f"không thể so sánh {left_type.vi} với {right_type.vi} ('{shown}')",
                        f"cannot compare {left_type.en} with {right_type.en} ('{shown}')",
                    ),
                    node,
                )
            operands.append(expr)
        for cmp_op in cmp_ops:
            problem = _ordering_problem(cmp_op, common)
            if problem:
                return self.problem("type-error", problem, node)
        return ir.Compare(tuple(cmp_ops), tuple(operands), self.text(node), self.span(node)), ir.BoolType()

    def coerce(self, literal: _Literal, target: ir.ValueType | None, node: ast.AST) -> ir.Expr | None:
        """A text literal read as a value of ``target``: a scale or enum value, a date, or text."""
        match target:
            case ir.OrdinalType(scale=scale_id):
                scale = self.scope.scales[scale_id]
                value = match_choice(literal.text, scale.values)
                if value is None:
                    accepted = [v.label.vi for v in scale.values] + [v.code for v in scale.values]
                    self.problem(
                        "unknown-literal",
                        ir.Text(
                            f"'{literal.text}' không phải giá trị của thang '{scale_id}'",
                            f"'{literal.text}' is not a value of the scale '{scale_id}'",
                        ),
                        node,
                        suggest(literal.text, accepted) or _one_of(accepted),
                    )
                    return None
                return ir.Const(scale.ordinal(value.id), target, literal.text, literal.span)
            case ir.EnumType(name=enum_id):
                enum = self.scope.enums[enum_id]
                value = match_choice(literal.text, enum.values)
                if value is None:
                    accepted = [v.label.vi for v in enum.values] + [v.id for v in enum.values]
                    self.problem(
                        "unknown-literal",
                        ir.Text(
                            f"'{literal.text}' không phải giá trị của danh mục '{enum_id}'",
                            f"'{literal.text}' is not a value of '{enum_id}'",
                        ),
                        node,
                        suggest(literal.text, accepted) or _one_of(accepted),
                    )
                    return None
                rank = [v.id for v in enum.values].index(value.id)
                return ir.Const(ir.EnumValue(value.id, rank, enum_id), target, literal.text, literal.span)
            case ir.DateType():
                try:
                    day = date.fromisoformat(literal.text)
                except ValueError:
                    message = ir.Text(
                        f"'{literal.text}' không phải một ngày (YYYY-MM-DD)",
                        f"'{literal.text}' is not a date (YYYY-MM-DD)",
                    )
                    self.problem("unknown-literal", message, node)
                    return None
                return ir.Const(day, target, literal.text, literal.span)
            case ir.TextType():
                return ir.Const(literal.text, target, literal.text, literal.span)
            case _:
                described = _describe(target)
                message = ir.Text(
                    f"không thể so sánh {described.vi} với văn bản '{literal.text}'",
                    f"cannot compare {described.en} with the text '{literal.text}'",
                )
                self.problem("type-error", message, node)
                return None

    def membership(self, left: ast.expr, negated: bool, right: ast.expr, node: ast.AST) -> _Typed:
        item, item_type = self.expr(left)
        if isinstance(item, _Invalid):
            return _Invalid(), None
        if isinstance(item, _Literal):
            message = ir.Text(
                "vế trái của 'in' phải là một trường, không phải một giá trị viết trực tiếp",
                "the left side of 'in' must be a field, not a literal",
            )
            return self.problem("type-error", message, node)
        if isinstance(right, ast.Name) and right.id == "period":
            if not isinstance(item_type, ir.DateType):
                described = _describe(item_type)
                return self.problem(
                    "type-error",
                    ir.Text(
                        f"'in period' cần một ngày; '{self.text(left)}' là {described.vi}",
                        f"'in period' needs a date; '{self.text(left)}' is {described.en}",
                    ),
                    node,
                )
            return ir.InPeriod(item, negated, self.text(node), self.span(node)), ir.BoolType()
        if not isinstance(right, ast.List | ast.Tuple):
            message = ir.Text(
                "'in' cần một danh sách như [\"a\", \"b\"] hoặc 'period'",
                "'in' needs a list such as [\"a\", \"b\"] or 'period'",
            )
            return self.problem("unsupported-syntax", message, node)
        options: list[ir.Expr] = []
        for element in right.elts:
            option, option_type = self.expr(element)
            if isinstance(option, _Invalid):
                return _Invalid(), None
            if isinstance(option, _Literal):
                coerced = self.coerce(option, item_type, element)
                if coerced is None:
                    return _Invalid(), None
                options.append(coerced)
            elif not _comparable(item_type, option_type):
                item_text, option_text = _describe(item_type), _describe(option_type)
                return self.problem(
                    "type-error",
                    ir.Text(
                        f"không thể so sánh {item_text.vi} với {option_text.vi}",
                        f"cannot compare {item_text.en} with {option_text.en}",
                    ),
                    element,
                )
            else:
                options.append(option)
        return ir.Member(item, tuple(options), negated, self.text(node), self.span(node)), ir.BoolType()

    # --- functions ---------------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> _Typed:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = self.text(node.func)
            return self.problem(
                "unknown-reference",
                ir.Text(f"hàm '{name}' không xác định", f"unknown function '{name}'"),
                node,
                suggest(name, _FUNCTIONS)
                or ir.Text("các hàm: " + ", ".join(_FUNCTIONS), "functions: " + ", ".join(_FUNCTIONS)),
            )
        if node.keywords:
            message = ir.Text("hàm không nhận đối số có tên", "functions take no keyword arguments")
            return self.problem("unsupported-syntax", message, node)
        fn = node.func.id
        args = node.args
        if fn == "sum":
            return self.sum_call(args, node)
        if fn in ("count", "exists", "share"):
            return self.records_call(fn, args, node)
        if fn == "level_of":
            return self.level_of(args, node)
        if fn == "known":
            if len(args) != 1 or not isinstance(args[0], ast.Name) or args[0].id not in self.scope.fields:
                message = ir.Text("known(...) nhận đúng một trường minh chứng", "known(...) takes one evidence field")
                return self.problem("type-error", message, node)
            ref, _ = self.name(args[0].id, args[0])
            assert isinstance(ref, ir.FieldRef)
            return ir.Known(ref, self.text(node), self.span(node)), ir.BoolType()
        return self.extremum(fn, args, node)

    def records_call(self, fn: str, args: list[ast.expr], node: ast.Call) -> _Typed:
        wanted = ir.Text("1 hoặc 2", "1 or 2") if fn == "count" else ir.Text("2", "2")
        if not args or len(args) > 2 or (fn != "count" and len(args) != 2):
            message = ir.Text(
                f"{fn}(...) nhận {wanted.vi} đối số: danh sách bản ghi và một điều kiện",
                f"{fn}(...) takes {wanted.en} arguments: records and a condition",
            )
            return self.problem("type-error", message, node)
        source, source_type = self.expr(args[0])
        if isinstance(source, _Invalid):
            return _Invalid(), None
        if not isinstance(source, ir.FieldRef | ir.RecordFieldRef) or not isinstance(source_type, ir.RecordsType):
            return self.problem(
                "type-error",
                ir.Text(
                    f"đối số đầu tiên của {fn}(...) phải là một trường bản ghi; '{self.text(args[0])}' không phải",
                    f"{fn}(...) needs a records field first; '{self.text(args[0])}' is not one",
                ),
                node,
            )
        where: ir.Expr | None = None
        if len(args) == 2:
            record_fields = {f.id: f for f in self.scope.records[source_type.record].fields}
            inner_scope = Scope(
                self.scope.fields,
                self.scope.rules,
                self.scope.scales,
                self.scope.enums,
                self.scope.records,
                record_fields,
                formulas=self.scope.formulas,
            )
            inner = _Parser(
                self.source, self.original, self.origin, self.path, inner_scope, self.percent_at, self.issues
            )
            predicate, predicate_type = inner.expr(args[1])
            if not inner.expect_bool(predicate, predicate_type, args[1]):
                return _Invalid(), None
            assert not isinstance(predicate, _Literal | _Invalid)
            where = predicate
        if fn == "count":
            return ir.Count(source, where, self.text(node), self.span(node)), ir.NumberType(integer=True)
        assert where is not None
        if fn == "share":
            return ir.Share(source, where, self.text(node), self.span(node)), ir.NumberType()
        return ir.Exists(source, where, self.text(node), self.span(node)), ir.BoolType()

    def sum_call(self, args: list[ast.expr], node: ast.Call) -> _Typed:
        if not self.scope.formulas:
            message = ir.Text(
                "sum(...) chỉ dùng trong công thức của giá trị tính (values:), không dùng trong điều kiện",
                "sum(...) is allowed only in the formulas of computed values (values:), not in conditions",
            )
            return self.problem("unsupported-syntax", message, node)
        if len(args) not in (2, 3):
            message = ir.Text(
                "sum(...) nhận 2 hoặc 3 đối số: danh sách bản ghi, số hạng và (tùy chọn) một điều kiện",
                "sum(...) takes 2 or 3 arguments: records, a term and (optionally) a condition",
            )
            return self.problem("type-error", message, node)
        source, source_type = self.expr(args[0])
        if isinstance(source, _Invalid):
            return _Invalid(), None
        if not isinstance(source, ir.FieldRef | ir.RecordFieldRef) or not isinstance(source_type, ir.RecordsType):
            return self.problem(
                "type-error",
                ir.Text(
                    f"đối số đầu tiên của sum(...) phải là một trường bản ghi; '{self.text(args[0])}' không phải",
                    f"sum(...) needs a records field first; '{self.text(args[0])}' is not one",
                ),
                node,
            )
        record_fields = {f.id: f for f in self.scope.records[source_type.record].fields}
        inner_scope = Scope(
            self.scope.fields,
            self.scope.rules,
            self.scope.scales,
            self.scope.enums,
            self.scope.records,
            record_fields,
            formulas=True,
        )
        inner = _Parser(self.source, self.original, self.origin, self.path, inner_scope, self.percent_at, self.issues)
        term, term_type = inner.expr(args[1])
        if isinstance(term, _Invalid):
            return _Invalid(), None
        if isinstance(term, _Literal) or not isinstance(term_type, ir.NumberType):
            message = ir.Text(
                f"số hạng của sum(...) phải là một số; '{self.text(args[1])}' không phải",
                f"the term of sum(...) must be a number; '{self.text(args[1])}' is not",
            )
            return self.problem("type-error", message, args[1])
        where: ir.Expr | None = None
        if len(args) == 3:
            predicate, predicate_type = inner.expr(args[2])
            if not inner.expect_bool(predicate, predicate_type, args[2]):
                return _Invalid(), None
            assert not isinstance(predicate, _Literal | _Invalid)
            where = predicate
        return ir.Sum(source, term, where, self.text(node), self.span(node)), ir.NumberType()

    def level_of(self, args: list[ast.expr], node: ast.Call) -> _Typed:
        if len(args) != 1:
            message = ir.Text("level_of(...) nhận đúng một quan hệ", "level_of(...) takes one relation")
            return self.problem("type-error", message, node)
        source, source_type = self.expr(args[0])
        if isinstance(source, _Invalid):
            return _Invalid(), None
        level_type = ir.OrdinalType(ir.LEVEL_SCALE)
        if (
            not isinstance(source, ir.FieldRef)
            or not isinstance(source_type, ir.RecordsType)
            or not any(f.id == "level" and f.type == level_type for f in self.scope.records[source_type.record].fields)
        ):
            message = ir.Text(
                f"level_of(...) cần một quan hệ; '{self.text(args[0])}' không phải quan hệ",
                f"level_of(...) needs a relation; '{self.text(args[0])}' is not one",
            )
            return self.problem("type-error", message, node)
        return ir.LevelOf(source, self.text(node), self.span(node)), level_type

    def extremum(self, fn: str, args: list[ast.expr], node: ast.Call) -> _Typed:
        if len(args) < 2:
            message = ir.Text(f"{fn}(...) cần từ hai đối số trở lên", f"{fn}(...) takes two or more arguments")
            return self.problem("type-error", message, node)
        parsed = [self.expr(arg) for arg in args]
        if any(isinstance(e, _Invalid) for e, _ in parsed):
            return _Invalid(), None
        typed = [t for e, t in parsed if not isinstance(e, _Literal)]
        if not typed:
            message = ir.Text(f"{fn}(...) cần ít nhất một trường", f"{fn}(...) needs at least one field")
            return self.problem("type-error", message, node)
        common = typed[0]
        if not isinstance(common, ir.NumberType | ir.OrdinalType):
            message = ir.Text(
                f"{fn}(...) nhận các số hoặc các giá trị của cùng một thang",
                f"{fn}(...) takes numbers or values of one scale",
            )
            return self.problem("type-error", message, node)
        exprs: list[ir.Expr] = []
        for (expr, expr_type), arg in zip(parsed, args, strict=True):
            if isinstance(expr, _Literal):
                coerced = self.coerce(expr, common, arg)
                if coerced is None:
                    return _Invalid(), None
                exprs.append(coerced)
            elif not _comparable(common, expr_type):
                message = ir.Text(
                    f"các đối số của {fn}(...) phải cùng một kiểu", f"{fn}(...) arguments must have one type"
                )
                return self.problem("type-error", message, arg)
            else:
                assert not isinstance(expr, _Invalid)
                exprs.append(expr)
        result_type = ir.NumberType() if isinstance(common, ir.NumberType) else common
        return ir.Extremum(fn, tuple(exprs), self.text(node), self.span(node)), result_type


def _char_col(source: str, line: int, byte_col: int) -> int:
    """``ast`` counts columns in UTF-8 bytes; Vietnamese text needs them in characters."""
    lines = source.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _offset(source: str, node: ast.AST) -> int:
    """The character offset of a node in a single- or multi-line source."""
    line = getattr(node, "lineno", 1)
    col = _char_col(source, line, getattr(node, "col_offset", 0))
    lines = source.split("\n")
    return sum(len(lines[i]) + 1 for i in range(line - 1)) + col


def _describe(value_type: ir.ValueType | None) -> ir.Text:
    if value_type is None:
        return ir.Text("một chuỗi viết trong dấu nháy", "a text literal")
    match value_type:
        case ir.BoolType():
            return ir.Text("một điều kiện (có/không)", "a condition (yes/no)")
        case ir.NumberType(integer=True):
            return ir.Text("một số đếm", "a count")
        case ir.NumberType():
            return ir.Text("một số", "a number")
        case ir.OrdinalType(scale=scale):
            return ir.Text(f"một giá trị của thang '{scale}'", f"a value of the scale '{scale}'")
        case ir.EnumType(name=name):
            return ir.Text(f"một giá trị của danh mục '{name}'", f"a value of '{name}'")
        case ir.DateType():
            return ir.Text("một ngày", "a date")
        case ir.PeriodType():
            return ir.Text("kỳ đánh giá", "the period")
        case ir.RecordsType(record=record):
            return ir.Text(f"một danh sách bản ghi '{record}'", f"a list of '{record}' records")
        case ir.TextType():
            return ir.Text("một đoạn văn bản", "a text")
    return ir.Text(str(value_type), str(value_type))


def _one_of(accepted: Sequence[str]) -> ir.Text:
    listed = ", ".join(accepted)
    return ir.Text(f"một trong: {listed}", f"one of: {listed}")


def _comparable(a: ir.ValueType | None, b: ir.ValueType | None) -> bool:
    if a is None or b is None:
        return True
    if isinstance(a, ir.NumberType) and isinstance(b, ir.NumberType):
        return True
    return a == b and not isinstance(a, ir.RecordsType | ir.PeriodType)


def _ordering_problem(op: ir.CompareOp, value_type: ir.ValueType | None) -> ir.Text | None:
    if op not in _ORDERING:
        return None
    match value_type:
        case ir.NumberType() | ir.OrdinalType() | ir.DateType():
            return None
        case ir.EnumType(ordered=True):
            return None
        case ir.EnumType(name=name):
            return ir.Text(
                f"'{op}' cần một danh mục có thứ tự; danh mục '{name}' không có thứ tự",
                f"'{op}' needs an ordered enum; '{name}' is not ordered",
            )
        case _:
            described = _describe(value_type)
            return ir.Text(
                f"không dùng '{op}' để so sánh thứ tự {described.vi} được",
                f"'{op}' cannot order {described.en}",
            )


def _prepare(text: str) -> tuple[str, set[int]]:
    """Rewrite ``50%`` as ``50j`` (same length, so positions stay right) and remember where."""
    percent_at: set[int] = set()

    def replace(match: re.Match[str]) -> str:
        percent_at.add(match.start())
        return match.group(1) + "j" + match.group(2)

    return _PERCENT.sub(replace, text), percent_at


def too_many_digits(literal: str) -> bool:
    """Whether a number literal has more digits than a number may have; cheap, whatever its exponent.

    >>> too_many_digits("0.7"), too_many_digits("1e999999999"), too_many_digits("1" * 31), too_many_digits("x")
    (False, True, True, False)
    """
    try:
        exact = Decimal(literal)
    except InvalidOperation:
        return False
    if not exact.is_finite() or exact.is_zero():
        return not exact.is_finite()
    _, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    decimals = -exponent - (len(digits) - len("".join(map(str, digits)).rstrip("0")))
    return exact.adjusted() >= ir.NUMBER_WHOLE_DIGITS or decimals > ir.NUMBER_DECIMALS


def _too_long_text(literal: str) -> ir.Text:
    shown = literal if len(literal) <= 40 else literal[:37] + "..."
    whole, decimals = ir.NUMBER_WHOLE_DIGITS, ir.NUMBER_DECIMALS
    return ir.Text(
        f"số {shown} quá dài: một số phải nhỏ hơn 10^{whole} và có tối đa {decimals} chữ số thập phân",
        f"the number {shown} is too long: a number must be below 10^{whole} with at most {decimals} decimals",
    )


def parse_condition(
    text: str,
    origin: ir.Span,
    path: str,
    scope: Scope,
    expect: ir.ValueType = ir.BoolType(),  # noqa: B008 - frozen dataclass, safe as a default
) -> tuple[ir.Expr | None, list[Issue]]:
    """Parse and type-check one condition. ``origin`` is where its first character is in the file."""
    source, percent_at = _prepare(text)
    parser = _Parser(source, text, origin, path, scope, percent_at)
    try:
        tree = ast.parse(source.strip("\n"), mode="eval")
    except SyntaxError as error:
        col = (error.offset or 1) - 1
        line = error.lineno or 1
        span = ir.Span(origin.file, origin.line + line - 1, (origin.col if line == 1 else 1) + col)
        if "integer string conversion" in error.msg:  # Python refuses integer literals of thousands of digits
            return None, [Issue.from_text("number-too-long", _too_long_text("…"), path, span)]
        reason = syntax_error(error.msg)
        message = ir.Text(f"không đọc được '{text}': {reason.vi}", f"cannot parse '{text}': {reason.en}")
        return None, [Issue.from_text("unsupported-syntax", message, path, span)]
    except (ValueError, RecursionError, MemoryError):
        message = ir.Text(
            "điều kiện lồng nhau quá sâu hoặc sai dạng", "the condition is too deeply nested or malformed"
        )
        return None, [Issue.from_text("unsupported-syntax", message, path, origin)]
    try:
        expr, expr_type = parser.expr(tree.body)
    except RecursionError:
        message = ir.Text("điều kiện lồng nhau quá sâu", "the condition is too deeply nested")
        return None, [Issue.from_text("unsupported-syntax", message, path, origin)]
    if isinstance(expr, _Invalid):
        return None, parser.issues
    if isinstance(expr, _Literal):
        if isinstance(expect, ir.OrdinalType):
            coerced = parser.coerce(expr, expect, tree.body)
            return coerced, parser.issues
        described = _describe(expect)
        message = ir.Text(
            f"'{text}' là một chuỗi viết trong dấu nháy, không phải {described.vi}",
            f"'{text}' is a text literal, not {described.en}",
        )
        parser.problem("type-error", message, tree.body)
        return None, parser.issues
    if not _comparable(expect, expr_type) or (isinstance(expect, ir.BoolType) and expr_type != expect):
        found, wanted = _describe(expr_type), _describe(expect)
        message = ir.Text(f"'{text}' là {found.vi}, không phải {wanted.vi}", f"'{text}' is {found.en}, not {wanted.en}")
        parser.problem("type-error", message, tree.body)
        return None, parser.issues
    return expr, parser.issues


def reads(expr: ir.Expr) -> tuple[set[str], set[str]]:
    """The evidence fields and the rules an expression reads directly."""
    fields: set[str] = set()
    rules: set[str] = set()

    def visit(node: ir.Expr) -> None:
        match node:
            case ir.FieldRef(name=name):
                fields.add(name)
            case ir.RuleRef(name=name):
                rules.add(name)
            case ir.Const() | ir.RecordFieldRef() | ir.PeriodRef():
                pass
            case ir.Compare(operands=operands) | ir.And(operands=operands) | ir.Or(operands=operands):
                for operand in operands:
                    visit(operand)
            case ir.Extremum(args=args):
                for arg in args:
                    visit(arg)
            case ir.Not(operand=operand) | ir.Neg(operand=operand):
                visit(operand)
            case ir.Arith(left=left, right=right):
                visit(left)
                visit(right)
            case ir.Member(item=item, options=options):
                visit(item)
                for option in options:
                    visit(option)
            case ir.InPeriod(item=item):
                visit(item)
            case ir.Count(source=source, where=where):
                visit(source)
                if where is not None:
                    visit(where)
            case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
                visit(source)
                visit(where)
            case ir.LevelOf(source=source):
                visit(source)
            case ir.Known(ref=ref):
                visit(ref)
            case ir.Sum(source=source, term=term, where=where):
                visit(source)
                visit(term)
                if where is not None:
                    visit(where)

    visit(expr)
    return fields, rules
