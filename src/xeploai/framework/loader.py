"""The loader stage: YAML text -> plain Python data with a source map, safely and with bounded effort.

Input: the text of one YAML document (``str`` or UTF-8 ``bytes``). Output: a ``Document`` holding the data and
the position and scalar style of every node, or a ``FrameworkError`` carrying every problem found.
"""

from __future__ import annotations

import os
import pathlib
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, NoReturn, Protocol

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark, MarkedYAMLError
from yaml.events import AliasEvent, Event, MappingStartEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from xeploai.program.ir import Span, Text
from xeploai.program.issues import FrameworkError, Issue

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_SCALAR_BYTES",
    "MAX_TEXT_BYTES",
    "Document",
    "Path",
    "format_path",
    "load_file",
    "load_yaml",
]

MAX_TEXT_BYTES: Final = 20 * 1024 * 1024
MAX_SCALAR_BYTES: Final = 1024 * 1024
MAX_ALIAS_NODES: Final = 100_000  # nodes built again because an alias repeats them
MAX_DEPTH: Final = 100  # collections nested inside each other, counting the root

Path = tuple[str | int, ...]


class _Mark(Protocol):
    """A position as PyYAML reports it (0-based); its pure-Python and libyaml marks both fit."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded YAML document: plain data and, per path, where each value and key is and how it is quoted.

    A path is a tuple of mapping keys and sequence indexes, e.g. ``("levels", 2, "label")``.
    """

    data: object  # dict/list/str/int/float/bool/None/datetime.date/datetime.datetime
    source: str
    spans: dict[Path, Span]  # path -> position of the value node
    key_spans: dict[Path, Span]  # path -> position of the mapping key (mapping entries only)
    styles: dict[Path, str]  # path -> scalar style: "" plain, "'", '"', "|", ">"
    texts: dict[Path, str] = field(default_factory=dict)  # path -> the text of a plain scalar read as no string

    def text(self, path: Sequence[str | int], value: object) -> str:
        """``value`` (the data at ``path``) as the text it was written as: ids are text, ``0012`` is not 12."""
        if isinstance(value, str):
            return value
        return self.texts.get(tuple(path), str(value))

    def span(self, path: Sequence[str | int]) -> Span | None:
        """The span of ``path``, or of its nearest ancestor with one (a missing key points at its mapping)."""
        key = tuple(path)
        while True:
            found = self.spans.get(key)
            if found is not None or not key:
                return found
            key = key[:-1]


_PLAIN_KEY = re.compile(r"[^.\[\]\s'\"]+")


def format_path(path: Sequence[str | int]) -> str:
    """The path as issues show it.

    >>> format_path(("subjects", "party_member", "levels", 2))
    'subjects.party_member.levels[2]'
    >>> format_path(("labels", "a b"))
    "labels['a b']"
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def load_yaml(text: str | bytes, source: str, *, core: bool = False) -> Document:
    """Load one YAML document; ``source`` is the file name used in spans and issues.

    With ``core`` (evidence and population documents), plain scalars are read by the YAML 1.2 core rules: ``012``
    is twelve, ``0x1F``, ``0o17``, ``1:30``, ``1_000``, ``yes`` and ``No`` are text, and a decimal a float cannot
    hold exactly is a ``Decimal``. Frameworks keep PyYAML's YAML 1.1 rules (their files were written for them).
    Raises ``FrameworkError`` with every problem found; no other exception escapes for any input.
    """
    if isinstance(text, bytes):
        text = _decode(text, source)
    else:
        text = text.removeprefix("\ufeff")
        if _utf8_size(text) > MAX_TEXT_BYTES:
            _fail(source, _too_large_text(source))
    root, builder = _compose(text, source, core)
    data: object = None
    try:
        data = builder.build(root, (), 0)
    except _StopError:
        pass
    except RecursionError:
        builder.issues.extend(_nesting_issue(source, "", None))

    if builder.issues:
        _fail(source, builder.issues)
    return Document(data, source, builder.spans, builder.key_spans, builder.styles, builder.texts)


def load_file(
    path: str | os.PathLike[str], display: str | None = None, *, core: bool = False, limit: int = MAX_TEXT_BYTES
) -> Document:
    """Load the YAML file at ``path``; spans and issues name it ``display`` (default: the path as given).

    ``OSError`` (missing or unreadable file) propagates; any problem with the content is a ``FrameworkError``,
    among them a path that is no regular file (a FIFO, a device such as ``/dev/zero``), refused before reading.
    ``core`` is ``load_yaml``'s; ``limit`` bounds the file's size in bytes.
    """
    source = display if display is not None else os.fspath(path)
    content = read_regular_file(path, source, limit)
    return load_yaml(content, source, core=core)


def read_regular_file(path: str | os.PathLike[str], source: str, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file at ``path``: a FIFO, a device or a folder is refused without waiting or
    reading (``not-a-file``), a file over ``limit`` bytes is refused (``too-large``). ``OSError`` propagates."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        what = _special_kind(mode)
        message = Text(f"đường dẫn này là {what.vi}, không phải một tệp", f"the path is {what.en}, not a file")
        hint = Text("đưa đường dẫn tới chính tệp YAML", "give the path of the YAML file itself")
        _fail(source, [Issue.from_text("not-a-file", message, "", Span(source, 1, 1), hint=hint)])
    with open(descriptor, "rb", closefd=True) as file:
        content = file.read(limit + 1)  # one byte more is enough to know it is too large
    if len(content) > limit:
        _fail(source, _too_large_text(source, limit))
    return content


def _special_kind(mode: int) -> Text:
    if stat.S_ISFIFO(mode):
        return Text("một đường ống (FIFO)", "a FIFO (named pipe)")
    if stat.S_ISDIR(mode):
        return Text("một thư mục", "a folder")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return Text("một thiết bị", "a device")
    if stat.S_ISSOCK(mode):
        return Text("một socket", "a socket")
    return Text("một tệp đặc biệt", "a special file")


# --- text ---------------------------------------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"


def _fail(source: str, issues: Sequence[Issue]) -> NoReturn:
    # A node expanded by several aliases (say, a duplicated key inside an anchor used three times) reports the
    # same problem once per expansion; keep the first.
    seen: set[tuple[str, str, Span | None]] = set()
    unique: list[Issue] = []
    for issue in issues:
        key = (issue.code, issue.message, issue.span)
        if key not in seen:
            seen.add(key)
            unique.append(issue)
    unique.sort(key=lambda i: (i.span.line, i.span.col) if i.span else (0, 0))
    raise FrameworkError(source, unique)


def _utf8_size(text: str) -> int:
    if len(text) * 4 <= MAX_TEXT_BYTES or len(text) > MAX_TEXT_BYTES:
        return len(text)  # the exact size does not matter on either side of the limit
    return len(text.encode("utf-8", "surrogatepass"))


def _too_large_text(source: str, size: int = MAX_TEXT_BYTES) -> list[Issue]:
    limit = f"{size / (1024 * 1024):g}"
    message = Text(f"tệp lớn hơn {limit.replace('.', ',')} MiB", f"the file is larger than {limit} MiB")
    return [Issue.from_text("too-large", message, "", Span(source, 1, 1))]


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_TEXT_BYTES:
        _fail(source, _too_large_text(source))
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as err:
        offset = skip + err.start
        line = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        message = Text(
            f"byte 0x{data[offset]:02x} ở vị trí {offset} (dòng {line}) không phải UTF-8 hợp lệ",
            f"byte 0x{data[offset]:02x} at offset {offset} (line {line}) is not valid UTF-8",
        )
        hint = Text("lưu tệp với bảng mã UTF-8", "save the file as UTF-8")
        _fail(source, [Issue.from_text("not-utf8", message, "", Span(source, line, col), hint=hint)])


def _span(source: str, mark: _Mark | None) -> Span | None:
    return None if mark is None else Span(source, mark.line + 1, mark.column + 1)


def _reader_issue(source: str, text: str, err: ReaderError) -> list[Issue]:
    position = int(err.position)
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    character = err.character if isinstance(err.character, int) else ord(err.character)
    reason = _yaml_text(str(err.reason))
    message = Text(
        f"ký tự #x{character:04x} không được chấp nhận: {reason.vi}",
        f"unacceptable character #x{character:04x}: {reason.en}",
    )
    return [Issue.from_text("yaml-syntax", message, "", Span(source, line, col))]


_DUPLICATE_ANCHOR = re.compile(r"found duplicate anchor '(.*)'; first occurrence")


def _syntax_issue(source: str, err: yaml.YAMLError) -> list[Issue]:
    if not isinstance(err, MarkedYAMLError):
        return [Issue.from_text("yaml-syntax", _yaml_text(str(err)), "", None)]
    problem = err.problem or err.context or "the YAML cannot be parsed"
    mark = err.problem_mark or err.context_mark
    hint = None
    anchor = _DUPLICATE_ANCHOR.match(err.context or "")
    if anchor is not None and err.context_mark is not None:
        line, col = err.context_mark.line + 1, err.context_mark.column + 1
        hint = Text(
            f"lần xuất hiện đầu tiên ở dòng {line}, cột {col}",
            f"the first occurrence is at line {line}, column {col}",
        )
        message = Text(f"neo &{anchor[1]} bị trùng", f"duplicate anchor &{anchor[1]}")
        return [Issue.from_text("yaml-syntax", message, "", _span(source, mark), hint=hint)]
    if err.problem and err.context:
        hint = _yaml_text(err.context)
        if err.context_mark is not None:
            line, col = err.context_mark.line + 1, err.context_mark.column + 1
            hint = Text(
                f"{hint.vi}, bắt đầu ở dòng {line}, cột {col}",
                f"{hint.en} that starts at line {line}, column {col}",
            )
    return [Issue.from_text("yaml-syntax", _yaml_text(problem), "", _span(source, mark), hint=hint)]


# What PyYAML says, in Vietnamese: its problems and contexts are a fixed set of phrases, some with a quoted value.
_YAML_PHRASES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern, re.DOTALL), vi)
    for pattern, vi in (
        (r"the YAML cannot be parsed", "không đọc được cú pháp YAML"),
        (r"while scanning for the next token", "khi tìm thành phần tiếp theo"),
        (r"while scanning a simple key", "khi đọc một khóa"),
        (r"while scanning a plain scalar", "khi đọc một giá trị không có dấu nháy"),
        (r"while scanning a quoted scalar", "khi đọc một chuỗi trong dấu nháy"),
        (r"while scanning a double-quoted scalar", "khi đọc một chuỗi trong dấu nháy kép"),
        (r"while scanning a block scalar", "khi đọc một khối văn bản (| hoặc >)"),
        (r"while scanning a directive", "khi đọc một chỉ thị (%)"),
        (r"while scanning an anchor", "khi đọc một neo (&)"),
        (r"while scanning an alias", "khi đọc một bí danh (*)"),
        (r"while (?:scanning|parsing) a tag(?: URI)?", "khi đọc một thẻ (!)"),
        (r"while parsing a (?:block |flow )?node", "khi đọc một nút"),
        (r"while parsing a flow sequence", "khi đọc một danh sách viết trong [ ]"),
        (r"while parsing a flow mapping", "khi đọc một ánh xạ viết trong { }"),
        (r"while parsing a block mapping", "khi đọc một ánh xạ viết theo thụt lề"),
        (r"while parsing a block collection", "khi đọc một danh sách viết theo thụt lề"),
        (r"while composing a mapping", "khi dựng một ánh xạ"),
        (r"found character (.+) that cannot start any token", "ký tự {0} không thể mở đầu một thành phần nào"),
        (r"could not find expected ':'", "không tìm thấy dấu ':' cần có"),
        (r"mapping values are not allowed here", "không được đặt giá trị của ánh xạ (sau dấu ':') ở đây"),
        (r"sequence entries are not allowed here", "không được đặt mục danh sách ('- ') ở đây"),
        (r"mapping keys are not allowed here", "không được đặt khóa của ánh xạ ('? ') ở đây"),
        (r"found unknown escape character (.+)", "ký tự thoát {0} không hợp lệ"),
        (r"found unexpected end of stream", "tệp kết thúc khi chưa đóng chuỗi"),
        (r"found unexpected document separator", "gặp dấu phân cách tài liệu ('---' hoặc '...') không đúng chỗ"),
        (r"found undefined tag handle (.+)", "tiền tố thẻ {0} chưa được khai báo"),
        (r"found undefined alias (.+)", "bí danh {0} chưa được định nghĩa: không có neo nào mang tên này"),
        (r"found non-specific tag '!'", "thẻ '!' không chỉ rõ kiểu"),
        (
            r"found incompatible YAML document \(version 1\.\* is required\)",
            "tài liệu YAML không tương thích (cần phiên bản 1.*)",
        ),
        (r"found duplicate YAML directive", "chỉ thị %YAML bị lặp lại"),
        (r"duplicate tag handle (.+)", "tiền tố thẻ {0} bị khai báo lặp lại"),
        (r"special characters are not allowed", "không được dùng ký tự điều khiển"),
    )
)
_EXPECTED_BUT: Final = re.compile(r"expected (.+?), but (?:found|got) (.+)", re.DOTALL)

_YAML_EXPECTED: Final[dict[str, str]] = {
    "<block end>": "chỗ kết thúc khối (thụt lề chưa đúng?)",
    "the node content": "nội dung của nút",
    "a comment or a line break": "một chú thích hoặc một dấu xuống dòng",
    "alphabetic or numeric character": "một chữ cái hoặc chữ số",
    "' '": "một dấu cách",
    "a digit": "một chữ số",
    "a digit or '.'": "một chữ số hoặc '.'",
    "a digit or ' '": "một chữ số hoặc dấu cách",
    "URI": "một URI",
    "chomping or indentation indicators": "chỉ báo cắt dòng hoặc thụt lề",
    "indentation indicator in the range 1-9": "chỉ báo thụt lề từ 1 đến 9",
    "URI escape sequence of 2 hexadecimal numbers": "chuỗi thoát URI gồm 2 chữ số thập lục phân",
}


def _yaml_text(phrase: str) -> Text:
    """A PyYAML problem or context, with its Vietnamese translation.

    >>> _yaml_text("expected ',' or ']', but got ':'").vi
    "cần ',' hoặc ']', nhưng gặp ':'"
    """
    expected = _EXPECTED_BUT.fullmatch(phrase)
    if expected is not None:
        return Text(f"cần {_yaml_expected(expected[1])}, nhưng gặp {expected[2]}", phrase)
    for pattern, vi in _YAML_PHRASES:
        found = pattern.fullmatch(phrase)
        if found is not None:
            return Text(vi.replace("{0}", found[1]) if pattern.groups else vi, phrase)
    return Text(f"lỗi cú pháp YAML: {phrase}", phrase)


def _yaml_expected(what: str) -> str:
    escape = re.fullmatch(r"escape sequence of (\d+) hexadecimal numbers", what)
    if escape is not None:
        return f"chuỗi thoát gồm {escape[1]} chữ số thập lục phân"
    if what in _YAML_EXPECTED:
        return _YAML_EXPECTED[what]
    return " hoặc ".join(what.rsplit(" or ", 1))


def _nesting_issue(source: str, path: str, span: Span | None) -> list[Issue]:
    message = Text(
        f"tài liệu lồng nhau sâu quá {MAX_DEPTH} cấp", f"the document nests more than {MAX_DEPTH} collections deep"
    )
    return [Issue.from_text("nesting-limit", message, path, span)]


# --- composing ----------------------------------------------------------------------------------------------


def _compose(text: str, source: str, core: bool) -> tuple[Node, _Builder]:
    """The node tree of the first document, and a builder holding the problems found after it."""
    builder = _Builder(source, core)
    loader: _Loader | None = None
    try:
        loader = (_CoreLoader if core else _Loader)(text)  # it checks for unprintable characters at once
        root = loader.get_node() if loader.check_node() else None
        if root is None or _is_empty(root):
            message = Text("tệp không chứa tài liệu YAML nào", "the file holds no YAML document")
            issue = Issue.from_text("empty-document", message, "", Span(source, 1, 1))
            _fail(source, [issue])
        # Only the first document is read; the start of a second one is enough to report it.
        try:
            if not loader.check_event(StreamEndEvent):
                builder.add(
                    "multiple-documents",
                    Text(
                        "một tài liệu YAML thứ hai bắt đầu ở đây; mỗi tệp chỉ chứa đúng một tài liệu",
                        "a second YAML document starts here; a file holds exactly one",
                    ),
                    (),
                    loader.next_event().start_mark,
                    hint=Text("xóa dòng '---' hoặc tách thành hai tệp", "remove the '---' line or split the file"),
                )
        except yaml.YAMLError as err:
            builder.issues.extend(_syntax_issue(source, err))
    except _TooDeepError as err:
        _fail(source, _nesting_issue(source, "", _span(source, err.mark)))
    except RecursionError:
        _fail(source, _nesting_issue(source, "", None))
    except ReaderError as err:
        _fail(source, _reader_issue(source, text, err))
    except yaml.YAMLError as err:
        _fail(source, _syntax_issue(source, err))
    finally:
        if loader is not None:
            loader.dispose()
    return root, builder


class _TooDeepError(Exception):
    def __init__(self, mark: _Mark | None) -> None:
        super().__init__("too deep")
        self.mark = mark


class _StopError(Exception):
    """Building stops: the issue that says why is already recorded."""


class _Alias(Node):
    """An alias occurrence: the composer would return the anchored node itself, losing where the alias is."""

    def __init__(self, target: Node, anchor: str, start_mark: Mark | None, end_mark: Mark | None) -> None:
        super().__init__(target.tag, None, start_mark, end_mark)
        self.target = target
        self.anchor = anchor


class _Loader(yaml.SafeLoader):
    """SafeLoader's composer, bounded in depth (it recurses per level) and keeping alias positions."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def next_event(self) -> Event:
        """The next event, not consumed (``peek_event`` with a type)."""
        self.check_event()
        event: Event = self.current_event
        return event

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.next_event()
            target = super().compose_node(parent, index)
            assert isinstance(event, AliasEvent) and target is not None
            # The pure-Python parser makes yaml.error.Mark; libyaml's marks would be typed differently.
            start = event.start_mark if isinstance(event.start_mark, Mark) else None
            end = event.end_mark if isinstance(event.end_mark, Mark) else None
            return _Alias(target, str(event.anchor), start, end)
        if not self.check_event(SequenceStartEvent, MappingStartEvent):
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise _TooDeepError(self.next_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _CoreLoader(_Loader):
    """``_Loader`` resolving plain scalars by the YAML 1.2 core schema (dates kept, as YAML 1.1 reads them)."""


_CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (
        "timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$""",
        "0123456789",
    ),
):
    _CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + _tag, re.compile(_pattern, re.X), list(_first))


def _is_empty(root: Node) -> bool:
    # A document with nothing but '---' (or comments) composes to an empty plain null.
    return isinstance(root, ScalarNode) and root.value == "" and root.style is None and root.tag == _NULL


# --- building -----------------------------------------------------------------------------------------------

_STD = "tag:yaml.org,2002:"
_STR = _STD + "str"
_NULL = _STD + "null"
_SEQ = _STD + "seq"
_MAP = _STD + "map"
_MERGE = _STD + "merge"
_VALUE = _STD + "value"
_TIMESTAMP = _STD + "timestamp"

_SAFE = SafeConstructor()
_SCALARS: Final[dict[str, Callable[[ScalarNode], object]]] = {
    _STR: _SAFE.construct_yaml_str,
    _NULL: _SAFE.construct_yaml_null,
    _STD + "bool": _SAFE.construct_yaml_bool,
    _STD + "int": _SAFE.construct_yaml_int,
    _STD + "float": _SAFE.construct_yaml_float,
    _TIMESTAMP: _SAFE.construct_yaml_timestamp,
}


# Beyond this exponent a float is infinite or zero, and a Decimal's exact value would take the exponent's digits.
_FLOAT_EXPONENT: Final = 400
_INFINITY: Final = float("inf")


def _core_int(node: ScalarNode) -> int:
    return int(str(node.value), 10)  # "012" is twelve: no octal, hexadecimal or sexagesimal forms


def _core_float(node: ScalarNode) -> float | Decimal:
    """A decimal as a float when the float is exactly the written number, else as a ``Decimal``: 2.99999999999999999999
    stays below 3, as the table reader keeps it."""
    text = str(node.value)
    if text.lstrip("+-").lower() in (".inf", ".nan"):
        return float(_SAFE.construct_yaml_float(node))
    exact = Decimal(text)
    approximate = float(text)
    if exact.adjusted() > _FLOAT_EXPONENT or approximate in (_INFINITY, -_INFINITY):
        return approximate  # infinite: refused as not finite
    if exact.is_zero() or (approximate != 0 and Decimal(repr(approximate)) == exact):
        return approximate
    return exact  # a Decimal; one with too many digits is refused by the evidence stage


_CORE_SCALARS: Final[dict[str, Callable[[ScalarNode], object]]] = {
    **_SCALARS,
    _STD + "int": _core_int,
    _STD + "float": _core_float,
}


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STD) if tag.startswith(_STD) else tag


def _short(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _scalar_too_long(value: str) -> bool:
    if len(value) > MAX_SCALAR_BYTES:
        return True
    return len(value) * 4 > MAX_SCALAR_BYTES and len(value.encode("utf-8", "surrogatepass")) > MAX_SCALAR_BYTES


def _is_plain(node: ScalarNode, value: str) -> bool:
    return node.style is None and node.value == value


class _Builder:
    """Walks composed nodes into plain data, recording spans and styles and collecting issues."""

    def __init__(self, source: str, core: bool = False) -> None:
        self.source = source
        self.scalars = _CORE_SCALARS if core else _SCALARS
        self.texts: dict[Path, str] = {}
        self.issues: list[Issue] = []
        self.spans: dict[Path, Span] = {}
        self.key_spans: dict[Path, Span] = {}
        self.styles: dict[Path, str] = {}
        self.expanded = 0  # nodes built inside alias expansions
        self.aliases: list[_Alias] = []  # aliases being expanded, outermost first
        self.building: set[int] = set()  # ids of collections being built, to spot an alias inside its anchor

    def add(self, code: str, message: Text, path: Path, mark: _Mark | None, hint: Text | None = None) -> None:
        self.issues.append(Issue.from_text(code, message, format_path(path), _span(self.source, mark), hint))

    def build(self, node: Node, path: Path, depth: int) -> object:
        """The value of ``node`` at ``path``; ``depth`` counts the collections around it."""
        self.spans[path] = _span(self.source, node.start_mark) or Span(self.source, 0, 0)
        if not isinstance(node, _Alias):
            return self._build(node, path, depth)
        if id(node.target) in self.building:
            self.add(
                "alias-limit",
                Text(
                    f"bí danh *{node.anchor} trỏ tới chính tập hợp chứa nó",
                    f"alias *{node.anchor} refers to a collection that contains it",
                ),
                path,
                node.start_mark,
            )
            return None
        self.aliases.append(node)
        try:
            return self._build(node.target, path, depth)
        finally:
            self.aliases.pop()

    def _count(self) -> None:
        if not self.aliases:
            return
        self.expanded += 1
        if self.expanded > MAX_ALIAS_NODES:
            outer = self.aliases[0]
            limit = f"{MAX_ALIAS_NODES:,}"
            message = Text(
                f"các bí danh mở rộng thành hơn {limit.replace(',', '.')} nút (bắt đầu từ *{outer.anchor} ở đây)",
                f"aliases expand to more than {limit} nodes (from *{outer.anchor} here)",
            )
            hint = Text("viết thẳng các giá trị lặp lại thay vì dùng bí danh", "write the repeated values out")
            self.add("alias-limit", message, (), outer.start_mark, hint=hint)
            raise _StopError

    def _build(self, node: Node, path: Path, depth: int) -> object:
        self._count()
        if isinstance(node, ScalarNode):
            self.styles[path] = node.style or ""
            return self._scalar(node, path)
        if depth >= MAX_DEPTH:  # only reachable through aliases: the composer refuses deeper text
            self.issues.extend(_nesting_issue(self.source, format_path(path), self.spans[path]))
            raise _StopError
        self.building.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path, depth + 1)
            if isinstance(node, MappingNode):
                return self._mapping(node, path, depth + 1)
            raise AssertionError(f"unexpected node {node!r}")  # the composer makes only the three kinds
        finally:
            self.building.discard(id(node))

    def _check_collection_tag(self, node: Node, expected: str, kind: str, path: Path) -> None:
        if node.tag == expected:
            return
        tag = _show_tag(node.tag)
        if node.tag in _SCALARS or node.tag in (_SEQ, _MAP):
            message = Text(f"thẻ {tag} không dùng được cho {_KINDS_VI[kind]}", f"the tag {tag} cannot mark a {kind}")
        else:
            message = Text(f"thẻ {tag} không được phép", f"the tag {tag} is not allowed")
        self.add("forbidden-tag", message, path, node.start_mark, hint=_TAG_HINT)

    def _sequence(self, node: SequenceNode, path: Path, depth: int) -> list[object]:
        self._check_collection_tag(node, _SEQ, "sequence", path)
        return [self.build(item, (*path, index), depth) for index, item in enumerate(node.value)]

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[object, object]:
        self._check_collection_tag(node, _MAP, "mapping", path)
        result: dict[object, object] = {}
        first: dict[object, _Mark | None] = {}
        for key_node, value_node in node.value:
            key_target = key_node.target if isinstance(key_node, _Alias) else key_node
            if not isinstance(key_target, ScalarNode):
                kind = "sequence" if isinstance(key_target, SequenceNode) else "mapping"
                message = Text(
                    f"{_KINDS_VI[kind]} được dùng làm khóa của ánh xạ; khóa phải là giá trị đơn",
                    f"a {kind} is used as a mapping key; keys must be scalars",
                )
                self.add("non-scalar-key", message, path, key_node.start_mark)
                continue
            if key_target.tag == _MERGE and _is_plain(key_target, "<<"):
                message = Text("không hỗ trợ khóa gộp (<<)", "merge keys (<<) are not supported")
                hint = Text("viết thẳng các mục được gộp", "write the merged entries out")
                self.add("merge-key", message, path, key_node.start_mark, hint=hint)
                continue
            self._count()
            key = self._scalar(key_target, path)
            part: str | int = key if isinstance(key, str | int) and not isinstance(key, bool) else key_target.value
            entry = (*path, part)
            if key in first:
                earlier = first[key]
                where = (
                    Text(f"dòng {earlier.line + 1}", f"line {earlier.line + 1}")
                    if earlier is not None
                    else Text("phía trên", "earlier")
                )
                self.add(
                    "duplicate-key",
                    Text(f"khóa {_short(str(part))} bị lặp lại", f"duplicate key {_short(str(part))}"),
                    entry,
                    key_node.start_mark,
                    hint=Text(f"lần xuất hiện đầu tiên ở {where.vi}", f"the first occurrence is at {where.en}"),
                )
                self.build(value_node, entry, depth)  # for the problems inside it; the first value stays
                continue
            first[key] = key_node.start_mark
            self.key_spans[entry] = _span(self.source, key_node.start_mark) or Span(self.source, 0, 0)
            result[key] = self.build(value_node, entry, depth)
        return result

    def _scalar(self, node: ScalarNode, path: Path) -> object:
        value: str = node.value
        if _scalar_too_long(value):
            limit = MAX_SCALAR_BYTES // 1024
            message = Text(f"một giá trị đơn dài hơn {limit} KiB", f"a scalar longer than {limit} KiB")
            self.add("too-large", message, path, node.start_mark)
            return value
        tag = node.tag
        lone: int | None = None
        if _SURROGATE.search(value) is not None:
            try:  # a pair written as two escapes (JSON's way for characters beyond U+FFFF) is one character
                node.value = value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError as err:
                lone = ord(value[err.start // 2])
        if lone is not None:
            code = lone
            message = Text(
                f"giá trị chứa U+{code:04X}, một nửa cặp thay thế (surrogate) đứng riêng, không phải một ký tự",
                f"the value holds U+{code:04X}, a lone surrogate, which is not a character",
            )
            escape = f"\\u{code:04x}"
            hint = Text(f"bỏ chuỗi thoát {escape} đi", f"remove the escape {escape}")
            self.add("yaml-syntax", message, path, node.start_mark, hint=hint)
            return value.encode("utf-8", "replace").decode("utf-8")
        if (tag == _MERGE and _is_plain(node, "<<")) or (tag == _VALUE and _is_plain(node, "=")):
            return value  # YAML 1.1 special keys, as values plain text
        construct = self.scalars.get(tag)
        if construct is None:
            kind = "sequence" if tag == _SEQ else "mapping" if tag == _MAP else None
            shown = _show_tag(tag)
            if kind:
                message = Text(
                    f"thẻ {shown} không dùng được cho một giá trị đơn (thẻ này dành cho {_KINDS_VI[kind]})",
                    f"the tag {shown} cannot mark a scalar (it is for a {kind})",
                )
            else:
                message = Text(f"thẻ {shown} không được phép", f"the tag {shown} is not allowed")
            self.add("forbidden-tag", message, path, node.start_mark, hint=_TAG_HINT)
            return value
        if tag != _STR and node.style is None:
            self.texts[path] = value
        try:
            return construct(node)
        except Exception as err:  # a regex miss, int('x'), a day 31 in April...: each is just a bad value
            reason = _date_reason(str(err)) if isinstance(err, ValueError) and tag == _TIMESTAMP else None
            message = Text(
                f"{_short(value)} không phải giá trị {_show_tag(tag)} hợp lệ" + (f" ({reason.vi})" if reason else ""),
                f"{_short(value)} is not a valid {_show_tag(tag)}" + (f" ({reason.en})" if reason else ""),
            )
            hint = Text("đặt giá trị trong dấu nháy nếu đó là văn bản", "quote it if it is meant as text")
            self.add("yaml-syntax", message, path, node.start_mark, hint=hint)
            return value


_SURROGATE: Final = re.compile("[\ud800-\udfff]")

_TAG_HINT = Text(
    "chỉ được dùng các thẻ !!str, !!int, !!float, !!bool, !!null, !!timestamp, !!seq và !!map",
    "only !!str, !!int, !!float, !!bool, !!null, !!timestamp, !!seq and !!map are allowed",
)
_KINDS_VI: Final[dict[str, str]] = {"sequence": "một danh sách", "mapping": "một ánh xạ"}

_DATE_REASONS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"day is out of range for month"), "ngày vượt quá số ngày của tháng"),
    (re.compile(r"month must be in 1\.\.12"), "tháng phải từ 1 đến 12"),
    (re.compile(r"year (-?\d+) is out of range"), "năm {0} nằm ngoài khoảng cho phép"),
    (re.compile(r"hour must be in 0\.\.23"), "giờ phải từ 0 đến 23"),
    (re.compile(r"minute must be in 0\.\.59"), "phút phải từ 0 đến 59"),
    (re.compile(r"second must be in 0\.\.59"), "giây phải từ 0 đến 59"),
)


def _date_reason(reason: str) -> Text:
    """Why a date or time cannot exist (Python's words), with its Vietnamese translation."""
    for pattern, vi in _DATE_REASONS:
        found = pattern.fullmatch(reason)
        if found is not None:
            return Text(vi.format(*found.groups()), reason)
    return Text(reason, reason)


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as the user should read it in messages: relative to the working folder when inside it."""
    p = pathlib.Path(path)
    try:
        return str(p.resolve().relative_to(pathlib.Path.cwd()))
    except ValueError:
        return str(p)
