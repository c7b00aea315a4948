"""Problems as data: every stage reports what is wrong as ``Issue`` records, never as tracebacks.

Input: whatever a stage found. Output: issue records, and one exception carrying all of them whose text starts
with the count. Every code is documented in ``docs/reference/issue-codes.md`` (a test enforces it).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xeploai.program.ir import Span, Text

# Every issue code, with a one-line summary. docs/reference/issue-codes.md has a section per code.
CODES: dict[str, str] = {
    # loader: YAML text -> plain data with positions
    "cannot-read": "the framework file does not exist or cannot be read",
    "not-utf8": "the file is not valid UTF-8",
    "too-large": "the file, a scalar in it, or the framework's number of rules exceeds a size limit",
    "not-a-file": "the path of a file names a FIFO, a device or a folder, which is refused before reading",
    "yaml-syntax": "the YAML cannot be parsed",
    "empty-document": "the file holds no document",
    "multiple-documents": "the file holds more than one YAML document",
    "duplicate-key": "a mapping repeats a key",
    "forbidden-tag": "a YAML tag other than the standard scalar, sequence and mapping tags",
    "merge-key": "a YAML merge key (<<), which this format does not support",
    "non-scalar-key": "a mapping key that is not a plain scalar",
    "alias-limit": "aliases expand to more nodes than allowed (an alias bomb)",
    "nesting-limit": "the document nests deeper than allowed",
    "framework-link": "the framework path is a symbolic link to a file outside its folder, refused unread",
    # schema: plain data -> framework model
    "format-version": "the `format` key is missing or names an unsupported version",
    "unknown-key": "a key the format does not define",
    "missing-key": "a required key is absent",
    "invalid-value": "a value of the wrong type or form",
    # conditions
    "unsupported-syntax": "a condition uses syntax the condition language does not have",
    "unknown-reference": "a name that is neither an evidence field, a rule, nor a record field in scope",
    "type-error": "operands of incompatible types",
    "unknown-literal": "a text literal that is no value of the scale, enum or type it is compared with",
    # checker: semantic checks of a whole framework
    "reference-cycle": "rules that depend on each other in a cycle",
    "unreachable-level": "a level that can never be the outcome because of the order of levels",
    "missing-citation": "a rule, cap or note without a citation",
    "unquoted-citation": "a secondary or confirmed entry whose citation lacks the clause's quote or the source's"
    " address (a warning)",
    "citation-location-unknown": "a citation that quotes its source but still says '(vị trí chưa xác định)' (a"
    " warning)",
    "missing-label": "a rule, field or level without both a Vietnamese and an English label",
    "unknown-document": "a citation naming a document that is not in the legal basis",
    "effective-date-mismatch": "the effective date disagrees with the file name",
    "non-nfc-text": "text that is not in Unicode NFC",
    "not-a-rule": "a list entry that is not the id of a rule of the subject",
    "level-mismatch": "the levels of a subject do not match the framework's level scale",
    "unknown-declaration": "a reference to a scale, enum, record type or subject kind that is not declared",
    "invalid-default": "a default value that does not fit its field",
    "unknown-override": "an override names a rule that the extended framework does not have",
    "duplicate-rule": "a new rule has the id of a rule of the extended framework (use overrides)",
    "extends-path": "the framework to extend cannot be found, or lies outside the frameworks folder",
    "unknown-version": "`supersedes` names a version that has no file in the frameworks folder (a warning)",
    "alias-conflict": "a level spelling (alias) that would name two levels",
    "ambiguous-spelling": "two values of one scale (levels, grades, enum values) spelled alike without case or marks",
    "reading-default": "a named reading whose default is not an option, or disagrees with what the quota declares",
    "unknown-finding-code": "a declared exception names a code that is not a finding of the whole-framework analysis",
    "unknown-exception-id": "a declared exception names an id that is no rule, cap, note, field or level of the kind",
    # evidence: raw evidence -> typed evidence
    "unknown-field": "evidence names a field the subject kind does not declare",
    "wrong-type": "an evidence value of the wrong type",
    "null-value": "an explicit null; omit the field to leave it unknown",
    "not-finite": "NaN or an infinity where a number is expected",
    "number-too-long": "a number with more digits than xeploai reads (30 before the point, 30 after)",
    "out-of-range": "a number outside its declared bounds",
    "exceeds-field": "a value larger than the field it is bounded by (e.g. targets met > targets assigned)",
    "unknown-choice": "a value that is not one of the declared choices",
    "unknown-subject-kind": "evidence or a test names a subject kind the framework does not declare",
    # framework tests
    "test-failed": "a framework test case whose outcome differs from the expectation",
    "invalid-test": "a framework test file that cannot be read",
    "missing-tests": "a framework file with no tests file beside it (`xeploai test` fails)",
    # whole-framework analysis (xeploai.analysis.search): warnings, each with evidence documents
    "level-never-reached": "no evidence the analysis tried reaches the level",
    "level-gap": "evidence that meets no level's rules and no trigger falls to the lowest level by default",
    "rule-never-holds": "a rule, cap or note whose condition holds for no evidence the analysis tried",
    "rule-always-holds": "a rule, cap or note whose condition fails for no evidence the analysis tried",
    "shadowed-rule": "an entry of a list that another entry of the same list implies, so it never decides",
    "non-monotone": "better evidence (one value moved in its better direction) gives a worse level",
    "unused-field": "an evidence or record field that no rule, cap, note or quota reads",
    "untested-rule": "a rule or cap that no framework test exercises",
    "analysis-truncated": "the analysis stopped at its time limit before its evaluation budget was spent",
    # the decision service (xeploai serve): problems of a request rather than of a file
    "unknown-framework": "a request names a framework or family the service does not serve, or none is in force",
    "not-found": "a request names a job, subject, file or path that does not exist (or is not finished yet)",
    "internal-error": "a bug in xeploai; the service logs it and answers without internals",
}

# The codes of the whole-framework analysis, in the order its findings are sorted; a framework may declare any of
# them but the last as intended (``exceptions:`` of a subject kind).
ANALYSIS_CODES: tuple[str, ...] = (
    "level-never-reached",
    "level-gap",
    "rule-never-holds",
    "rule-always-holds",
    "shadowed-rule",
    "non-monotone",
    "unused-field",
    "untested-rule",
    "analysis-truncated",
)
DECLARABLE_CODES: tuple[str, ...] = ANALYSIS_CODES[:-1]


# The same, in Vietnamese: what a user reading `--lang vi` sees before an issue's message when it has no
# Vietnamese one of its own.
CODES_VI: dict[str, str] = {
    "cannot-read": "không đọc được tệp khung tiêu chí",
    "not-utf8": "tệp không phải UTF-8 hợp lệ",
    "too-large": "tệp, một giá trị hoặc số quy tắc của khung vượt giới hạn kích thước",
    "not-a-file": "đường dẫn không phải một tệp thường (đường ống, thiết bị hoặc thư mục)",
    "yaml-syntax": "không đọc được cú pháp YAML",
    "empty-document": "tệp không có nội dung",
    "multiple-documents": "tệp có nhiều hơn một tài liệu YAML",
    "duplicate-key": "một khóa bị lặp lại",
    "forbidden-tag": "thẻ YAML không được phép",
    "merge-key": "khóa gộp YAML (<<) không được hỗ trợ",
    "non-scalar-key": "khóa không phải giá trị đơn",
    "alias-limit": "bí danh YAML mở rộng quá giới hạn",
    "nesting-limit": "lồng nhau quá sâu",
    "framework-link": "đường dẫn khung tiêu chí là liên kết tới tệp ngoài thư mục của nó, không được đọc",
    "format-version": "thiếu hoặc sai khóa `format`",
    "unknown-key": "khóa không có trong định dạng",
    "missing-key": "thiếu khóa bắt buộc",
    "invalid-value": "giá trị sai kiểu hoặc sai dạng",
    "unsupported-syntax": "cú pháp điều kiện không được hỗ trợ",
    "unknown-reference": "tên không xác định",
    "type-error": "sai kiểu trong điều kiện",
    "unknown-literal": "giá trị không thuộc thang, danh mục hoặc kiểu được so sánh",
    "reference-cycle": "các quy tắc phụ thuộc nhau thành vòng",
    "unreachable-level": "mức không bao giờ đạt được do thứ tự các mức",
    "missing-citation": "thiếu căn cứ pháp lý",
    "unquoted-citation": "một mục đánh dấu secondary hoặc confirmed mà trích dẫn thiếu đoạn trích điều khoản hoặc"
    " địa chỉ nguồn (cảnh báo)",
    "citation-location-unknown": "trích dẫn có đoạn trích nguồn nhưng vẫn ghi '(vị trí chưa xác định)' (cảnh báo)",
    "missing-label": "thiếu nhãn tiếng Việt hoặc tiếng Anh",
    "unknown-document": "căn cứ dẫn văn bản không có trong danh mục văn bản",
    "effective-date-mismatch": "ngày hiệu lực không khớp tên tệp",
    "non-nfc-text": "văn bản không ở dạng Unicode NFC",
    "not-a-rule": "mục trong danh sách không phải mã quy tắc",
    "level-mismatch": "các mức không khớp thang mức xếp loại",
    "unknown-declaration": "tham chiếu tới thang, danh mục, loại bản ghi hoặc loại đối tượng chưa khai báo",
    "invalid-default": "giá trị mặc định không hợp với trường",
    "unknown-override": "thay thế một quy tắc không có trong khung được mở rộng",
    "duplicate-rule": "quy tắc mới trùng mã quy tắc của khung được mở rộng",
    "extends-path": "không tìm thấy khung được mở rộng hoặc đường dẫn nằm ngoài thư mục khung",
    "unknown-version": "supersedes nêu một phiên bản không có tệp trong thư mục khung",
    "alias-conflict": "cách viết mức xếp loại trùng nhau",
    "ambiguous-spelling": "hai giá trị của một thang viết giống nhau khi bỏ hoa thường và dấu",
    "reading-default": "cách hiểu mặc định không hợp lệ",
    "unknown-finding-code": "ngoại lệ nêu một mã phát hiện không có trong phân tích toàn khung",
    "unknown-exception-id": "ngoại lệ nêu một mã không phải quy tắc, giới hạn, ghi chú, trường hay mức của loại",
    "unknown-field": "minh chứng có trường không được khai báo",
    "wrong-type": "giá trị sai kiểu",
    "null-value": "giá trị rỗng (null); bỏ trường đi nếu chưa biết",
    "not-finite": "NaN hoặc vô cực ở chỗ cần một số",
    "number-too-long": "số có quá nhiều chữ số (tối đa 30 chữ số phần nguyên, 30 chữ số thập phân)",
    "out-of-range": "số nằm ngoài giới hạn",
    "exceeds-field": "giá trị lớn hơn trường giới hạn nó",
    "unknown-choice": "giá trị không thuộc các lựa chọn đã khai báo",
    "unknown-subject-kind": "loại đối tượng không có trong khung",
    "test-failed": "ca kiểm thử cho kết quả khác mong đợi",
    "invalid-test": "tệp kiểm thử không đọc được",
    "missing-tests": "khung tiêu chí không có tệp kiểm thử đi kèm",
    "level-never-reached": "mức không bao giờ là kết quả",
    "level-gap": "có bộ minh chứng không dẫn tới mức nào",
    "rule-never-holds": "quy tắc không bao giờ thỏa",
    "rule-always-holds": "quy tắc luôn thỏa",
    "shadowed-rule": "quy tắc bị che bởi quy tắc khác trong cùng danh sách",
    "non-monotone": "minh chứng tốt hơn lại cho mức thấp hơn",
    "unused-field": "trường minh chứng không được quy tắc nào đọc",
    "untested-rule": "quy tắc chưa có ca kiểm thử nào",
    "analysis-truncated": "phân tích dừng vì hết thời gian cho phép",
    "unknown-framework": "dịch vụ không có khung tiêu chí này",
    "not-found": "không có việc, đối tượng, tệp hoặc đường dẫn này",
    "internal-error": "lỗi nội bộ của xeploai",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: a stable kebab-case code, a one-line message, where it is, and an optional hint.

    ``message`` and ``hint`` are English; ``message_vi`` and ``hint_vi`` say the same in Vietnamese (build both
    with ``Issue.from_text``). An issue made without them shows its English text in either language.
    """

    code: str
    message: str
    path: str = ""  # dotted path in the document, e.g. subjects.party_member.levels.good[2]
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"  # error | warning
    message_vi: str = ""
    hint_vi: str | None = None

    @classmethod
    def from_text(
        cls,
        code: str,
        message: Text,
        path: str = "",
        span: Span | None = None,
        hint: Text | None = None,
        severity: str = "error",
    ) -> Issue:
        """An issue whose message and hint are given in Vietnamese and English.

        >>> issue = Issue.from_text("unknown-reference", Text("tên 'x' không xác định", "unknown name 'x'"))
        >>> issue.message, issue.message_in("vi")
        ("unknown name 'x'", "tên 'x' không xác định")
        """
        return cls(
            code,
            message.en,
            path,
            span,
            hint.en if hint is not None else None,
            severity,
            unicodedata.normalize("NFC", message.vi),
            unicodedata.normalize("NFC", hint.vi) if hint is not None else None,
        )

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` unless ``en``), the English one when no Vietnamese was given."""
        return self.message_vi if lang != "en" and self.message_vi else self.message

    def hint_in(self, lang: str) -> str | None:
        return self.hint_vi if lang != "en" and self.hint_vi else self.hint

    def render(self, lang: str = "en") -> str:
        vi = lang == "vi"
        lines = []
        if self.path:
            lines.append(self.path)
        # Without a Vietnamese message, the Vietnamese summary of the code precedes the English one.
        summary = CODES_VI.get(self.code, "") if vi and not self.message_vi else ""
        message = self.message_in(lang)
        lines.append(f"  {summary}: {message} [{self.code}]" if summary else f"  {message} [{self.code}]")
        if self.span is not None:
            lines.append(f"  {'tại' if vi else 'at'} {self.span}")
        hint = self.hint_in(lang)
        if hint:
            lines.append(f"  {'gợi ý' if vi else 'hint'}: {hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "message_vi": self.message_in("vi"),
            "path": self.path,
            "file": self.span.file if self.span else None,
            "line": self.span.line if self.span else None,
            "col": self.span.col if self.span else None,
            "hint": self.hint,
            "hint_vi": self.hint_in("vi"),
        }


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint for a misspelt name.

    >>> did_you_mean("targets_met_al", ["targets_met_all", "exempted"])
    "did you mean 'targets_met_all'?"
    """
    suggestion = suggest(name, candidates)
    return suggestion.en if suggestion is not None else None


def suggest(name: str, candidates: Iterable[str]) -> Text | None:
    """``did_you_mean`` in Vietnamese and English.

    >>> suggest("targets_met_al", ["targets_met_all", "exempted"])
    Text(vi="có phải là 'targets_met_all'?", en="did you mean 'targets_met_all'?")
    """
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return closest_text(matches[0]) if matches else None


def closest_text(match: str) -> Text:
    """The did-you-mean hint for a name already found to be the closest."""
    return Text(f"có phải là '{match}'?", f"did you mean '{match}'?")


def _count(n: int, noun: str) -> str:
    """``1 error``, ``2 errors``: an English count that agrees with its noun."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_issues(issues: Sequence[Issue], source: str, lang: str = "en") -> str:
    """Every issue of a file, with a count first, in ``lang`` (``vi`` or ``en``)."""
    errors = [i for i in issues if i.severity == "error"]
    if lang == "vi":
        head = f"{len(issues)} vấn đề trong {source}"
        if len(errors) != len(issues):
            head += f" ({len(errors)} lỗi, {len(issues) - len(errors)} cảnh báo)"
    else:
        noun = "problem" if len(issues) == 1 else "problems"
        head = f"{len(issues)} {noun} in {source}"
        if len(errors) != len(issues):
            warnings = len(issues) - len(errors)
            head += f" ({_count(len(errors), 'error')}, {_count(warnings, 'warning')})"
    return "\n".join([head, *(i.render(lang) for i in issues)])


class FrameworkError(Exception):
    """A framework file has problems; ``issues`` holds all of them."""

    def __init__(self, source: str, issues: Sequence[Issue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__(render_issues(self.issues, source))


class EvidenceError(Exception):
    """Evidence does not fit the declared fields; ``issues`` names every key, value and expectation."""

    def __init__(self, source: str, issues: Sequence[Issue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        super().__init__(render_issues(self.issues, source))
