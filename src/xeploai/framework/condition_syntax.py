"""The condition language, what it rejects in words: Python constructs outside its allow-list and the syntax
errors of Python's parser, in Vietnamese beside the English.

Input: an ``ast`` node or the message of a ``SyntaxError``. Output: an ``ir.Text`` for the issue's message.
"""

from __future__ import annotations

import ast
import re

from xeploai.program import ir

_SYNTAX_NAMES: dict[str, ir.Text] = {
    "Attribute": ir.Text("truy cập thuộc tính", "attribute access"),
    "Subscript": ir.Text("lấy phần tử theo chỉ số", "indexing"),
    "Lambda": ir.Text("hàm lambda", "lambda"),
    "IfExp": ir.Text("biểu thức if-else", "if-else expression"),
    "BinOp": ir.Text("toán tử này", "this operator"),
    "ListComp": ir.Text("biểu thức tạo danh sách (comprehension)", "comprehension"),
    "GeneratorExp": ir.Text("biểu thức sinh (generator)", "generator"),
    "Dict": ir.Text("ánh xạ viết trực tiếp", "mapping literal"),
    "List": ir.Text("danh sách đặt ngoài phép 'in'", "list outside 'in'"),
    "Tuple": ir.Text("bộ giá trị đặt ngoài phép 'in'", "tuple outside 'in'"),
    "JoinedStr": ir.Text("chuỗi f-string", "f-string"),
    "Starred": ir.Text("đối số có dấu *", "star argument"),
    "NamedExpr": ir.Text("phép gán", "assignment"),
    "Await": ir.Text("await", "await"),
}


def syntax_name(node: ast.AST) -> ir.Text:
    name = type(node).__name__
    return _SYNTAX_NAMES.get(name, ir.Text(name, name))


# What Python's parser says about a condition it cannot read, in Vietnamese; "{0}" stands for the group.
_SYNTAX_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), vi)
    for pattern, vi in (
        (r"invalid syntax", "cú pháp không hợp lệ"),
        (r"invalid syntax\. Perhaps you forgot a comma\?", "cú pháp không hợp lệ; có thể thiếu dấu phẩy?"),
        (r"invalid syntax\. Maybe you meant '==' or ':=' instead of '='\?", "cú pháp không hợp lệ; có phải cần '=='?"),
        (r"'(.)' was never closed", "dấu '{0}' chưa được đóng"),
        (r"unmatched '(.)'", "dấu '{0}' không có dấu mở tương ứng"),
        (
            r"closing parenthesis '(.)' does not match opening parenthesis '(.)'.*",
            "dấu đóng '{0}' không khớp với dấu mở '{1}'",
        ),
        (r"unterminated (?:triple-quoted )?string literal.*", "chuỗi chưa có dấu nháy đóng"),
        (r"invalid \w+ literal", "số viết không hợp lệ"),
        (r"invalid character '(.+)' \((U\+[0-9A-F]+)\)", "ký tự '{0}' ({1}) không hợp lệ"),
        (r"invalid non-printable character (U\+[0-9A-F]+)", "ký tự không in được {0}"),
        (r"leading zeros in decimal integer literals are not permitted.*", "số không được bắt đầu bằng chữ số 0"),
        (r"unexpected character after line continuation character", "ký tự không hợp lệ sau dấu '\\'"),
        (r"positional argument follows keyword argument", "đối số theo vị trí đứng sau đối số có tên"),
        (r"expected 'else' after 'if' expression", "thiếu 'else' sau biểu thức 'if'"),
        (r"unexpected indent|unindent does not match .*", "thụt lề không hợp lệ"),
        (r"unexpected EOF while parsing", "điều kiện kết thúc khi chưa viết xong"),
        (r"Generator expression must be parenthesized", "biểu thức sinh (generator) phải đặt trong ngoặc"),
        (r"too many nested parentheses", "quá nhiều dấu ngoặc lồng nhau"),
    )
)


def syntax_error(message: str) -> ir.Text:
    """Python's reason for a syntax error, with its Vietnamese translation.

    >>> syntax_error("'(' was never closed").vi
    "dấu '(' chưa được đóng"
    """
    for pattern, vi in _SYNTAX_ERRORS:
        found = pattern.fullmatch(message)
        if found is not None:
            for index, group in enumerate(found.groups()):
                vi = vi.replace(f"{{{index}}}", group)
            return ir.Text(vi, message)
    return ir.Text(f"lỗi cú pháp ({message})", message)
