"""The façade: the only module that knows the order of the stages.

load (loader) → validate (schema) → check (checker) → compile (compiler) → evaluate (runners.interpreter).
Everything a program embedding xeploai needs is importable from here.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from xeploai import checker, compiler, loader, schema
from xeploai.evidence import Evidence, validate_evidence
from xeploai.evidence import evidence_json_schema as _evidence_json_schema
from xeploai.ir import Period, Program, Span, Text
from xeploai.issues import EvidenceError, FrameworkError, Issue
from xeploai.runners import interpreter
from xeploai.trace import Result

__all__ = [
    "EvidenceError",
    "EvidenceFile",
    "FrameworkError",
    "Issue",
    "Period",
    "PeriodError",
    "Program",
    "Result",
    "TestOutcome",
    "check_file",
    "check_paths",
    "evaluate",
    "evidence_json_schema",
    "framework_json_schema",
    "load_evidence_file",
    "load_framework",
    "parse_period",
    "run_framework_tests",
    "select_framework",
]


@dataclass(frozen=True)
class EvidenceFile:
    """One subject's evidence document: who, which period, and the raw evidence values."""

    kind: str
    subject_id: str
    name: str | None
    period: Period | None
    evidence: Mapping[str, object]
    source: str
    spans: Mapping[tuple[str | int, ...], Span]


@dataclass(frozen=True)
class TestOutcome:
    """The result of one framework test case."""

    file: str
    name: str
    passed: bool
    messages: tuple[str, ...]
    span: Span | None


def _spans(document: loader.Document) -> tuple[compiler.SpanOf, compiler.StyleOf]:
    fallback = Span(document.source, 1, 1)

    def span_of(path: compiler.Path) -> Span:
        return document.span(path) or fallback

    def style_of(path: compiler.Path) -> str:
        return document.styles.get(tuple(path), "")

    return span_of, style_of


def _with_spans(issues: list[tuple[Issue, tuple[int | str, ...]]], span_of: compiler.SpanOf) -> list[Issue]:
    out = []
    for issue, path in issues:
        out.append(replace(issue, span=span_of(path)))
    return out


@dataclass(frozen=True)
class _FrontEnd:
    document: loader.Document
    doc: schema.FrameworkDoc | None
    issues: list[Issue]
    base: Program | None = None


def _front_end(path: str | os.PathLike[str], chain: tuple[Path, ...] = ()) -> _FrontEnd:
    """Load, validate and check a framework file (and the one it extends); the model is None when invalid."""
    document = loader.load_file(path, display=_display(path))
    span_of, style_of = _spans(document)
    doc, problems = schema.validate(document.data)
    if doc is None:
        return _FrontEnd(document, None, _with_spans(problems, span_of))
    base = None
    if doc.framework.extends is not None:
        here = ("framework", "extends")
        target, problem = _extension_target(Path(path), doc.framework.extends, chain)
        if problem is not None:
            issue = Issue.from_text("extends-path", problem, "framework.extends", span_of(here))
            return _FrontEnd(document, doc, [issue])
        assert target is not None
        try:
            base = _load(target, (*chain, Path(path).resolve()))
        except FrameworkError as error:
            count = len(error.issues)
            message = Text(
                f"khung tiêu chí được mở rộng {doc.framework.extends} có {count} vấn đề; hãy kiểm tra khung đó trước",
                f"the extended framework {doc.framework.extends} has {count} problem(s); check it first",
            )
            issue = Issue.from_text("extends-path", message, "framework.extends", span_of(here))
            return _FrontEnd(document, doc, [issue])
    issues = checker.check(doc, document.data, span_of, style_of, document.source, base)
    return _FrontEnd(document, doc, issues, base)


def _extension_target(path: Path, reference: str, chain: tuple[Path, ...]) -> tuple[Path | None, Text | None]:
    """The file an ``extends`` names, resolved from the extending file, kept inside the frameworks folder."""
    if Path(reference).is_absolute():
        return None, Text(
            f"extends phải là đường dẫn tương đối tính từ tệp này, không phải {reference!r}",
            f"extends must be a path relative to this file, not {reference!r}",
        )
    root = path.resolve().parent.parent  # frameworks/<family>/<file>: the frameworks folder
    target = (path.resolve().parent / reference).resolve()
    if root not in target.parents:
        folder = os.path.relpath(root)
        return None, Text(
            f"{reference!r} trỏ ra ngoài thư mục khung tiêu chí {folder}",
            f"{reference!r} points outside the frameworks folder {folder}",
        )
    if not target.is_file():
        return None, Text(f"{reference!r} không tồn tại", f"{reference!r} does not exist")
    if target == path.resolve() or target in chain:
        return None, Text(
            f"{reference!r} tự mở rộng chính nó qua một chuỗi mở rộng",
            f"{reference!r} extends itself through a chain of extensions",
        )
    return target, None


def _display(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def check_file(path: str | os.PathLike[str]) -> list[Issue]:
    """Every problem of one framework file (an empty list when it is clean)."""
    try:
        return _front_end(path).issues
    except FrameworkError as error:
        return list(error.issues)


def load_framework(path: str | os.PathLike[str]) -> Program:
    """Load, check and compile a framework file; raises ``FrameworkError`` with every problem."""
    return _load(Path(path), ())


def _load(path: Path, chain: tuple[Path, ...]) -> Program:
    front = _front_end(path, chain)
    errors = [i for i in front.issues if i.severity == "error"]
    if front.doc is None or errors:
        raise FrameworkError(front.document.source, front.issues)
    span_of, style_of = _spans(front.document)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return compiler.compile_program(front.doc, span_of, style_of, front.document.source, digest, front.base)


def framework_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Framework files named or found under directories (``*.yaml`` except ``*.tests.yaml``), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*.yaml")) if not f.name.endswith(".tests.yaml"))
        else:
            found.append(p)
    return found


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> dict[str, list[Issue]]:
    """Check framework files (directories are searched for ``*.yaml`` frameworks); file → its issues."""
    return {str(f): check_file(f) for f in framework_files(paths)}


_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period that cannot be read; ``text`` says why in Vietnamese and English (``str()`` is the English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def parse_period(spec: str | int | date | Mapping[str, object]) -> Period:
    """``2020`` → the calendar year 2020; ``2020-Q3`` → its third quarter; ``{start, end}`` → ad hoc.

    Raises ``PeriodError`` (a ``ValueError``) for anything else.

    >>> str(parse_period("2021-Q2"))
    '2021-04-01..2021-06-30'
    """
    if isinstance(spec, Mapping):
        start, end = spec.get("start"), spec.get("end")
        try:
            first = start if isinstance(start, date) else date.fromisoformat(str(start))
            last = end if isinstance(end, date) else date.fromisoformat(str(end))
        except ValueError as error:
            raise PeriodError(
                Text(
                    f"một kỳ đánh giá cần ngày bắt đầu và ngày kết thúc (YYYY-MM-DD), không phải {dict(spec)!r}",
                    f"a period needs start and end dates (YYYY-MM-DD), not {dict(spec)!r}",
                )
            ) from error
        if last < first:
            raise PeriodError(
                Text(
                    f"kỳ đánh giá kết thúc ({last}) trước khi bắt đầu ({first})",
                    f"the period ends ({last}) before it starts ({first})",
                )
            )
        kind = str(spec.get("kind", "ad_hoc"))
        return Period(first, last, kind)
    text = str(spec).strip()
    if re.fullmatch(r"\d{4}", text):
        year = _year(text)
        return Period(date(year, 1, 1), date(year, 12, 31), "annual")
    quarter = _QUARTER.match(text)
    if quarter:
        year, q = _year(quarter.group(1)), int(quarter.group(2))
        last_month = 3 * q
        return Period(
            date(year, last_month - 2, 1),
            date(year, last_month, calendar.monthrange(year, last_month)[1]),
            "quarterly",
        )
    if ".." in text:
        start_text, _, end_text = text.partition("..")
        return parse_period({"start": start_text, "end": end_text})
    raise PeriodError(
        Text(
            f"'{text}' không phải kỳ đánh giá: hãy viết năm (2020), quý (2020-Q3) hoặc BẮT_ĐẦU..KẾT_THÚC",
            f"'{text}' is not a period: write a year (2020), a quarter (2020-Q3) or START..END",
        )
    )


def _year(digits: str) -> int:
    year = int(digits)
    if year < 1:  # the year 0000 has no dates
        raise PeriodError(Text(f"năm {year} nằm ngoài khoảng cho phép", f"year {year} is out of range"))
    return year


def load_evidence_file(path: str | os.PathLike[str]) -> EvidenceFile:
    """Read one subject's evidence document (YAML or JSON): ``subject``, ``period``, ``evidence``."""
    document = loader.load_file(path, display=_display(path))
    data = document.data
    problems: list[Issue] = []
    if not isinstance(data, dict):
        message = Text("tệp minh chứng phải là một ánh xạ", "an evidence file is a mapping")
        raise EvidenceError(document.source, [Issue.from_text("wrong-type", message, "", document.span(()))])
    for key in data:
        if key not in ("subject", "period", "evidence", "framework"):
            problems.append(
                Issue.from_text(
                    "unknown-field",
                    Text(f"khóa '{key}' không có trong tệp minh chứng", f"unknown key '{key}'"),
                    str(key),
                    document.span((key,)),
                    Text(
                        "tệp minh chứng có các khóa subject, period và evidence",
                        "an evidence file has subject, period and evidence",
                    ),
                )
            )
    subject = data.get("subject", {})
    evidence = data.get("evidence", {})
    if not isinstance(subject, dict) or not isinstance(subject.get("kind", ""), str):
        problems.append(
            Issue.from_text(
                "wrong-type",
                Text(
                    "subject phải là một ánh xạ gồm id, name và kind",
                    "subject must be a mapping with id, name and kind",
                ),
                "subject",
                document.span(("subject",)),
            )
        )
        subject = {}
    if not isinstance(evidence, dict):
        problems.append(
            Issue.from_text(
                "wrong-type",
                Text("evidence phải là một ánh xạ trường: giá trị", "evidence must be a mapping of field: value"),
                "evidence",
                document.span(("evidence",)),
            )
        )
        evidence = {}
    period = None
    if "period" in data:
        try:
            raw_period = data["period"]
            period = parse_period(raw_period if isinstance(raw_period, str | int | date | dict) else str(raw_period))
        except PeriodError as error:
            problems.append(Issue.from_text("wrong-type", error.text, "period", document.span(("period",))))
    if problems:
        raise EvidenceError(document.source, problems)
    spans = {tuple(p[1:]): s for p, s in document.spans.items() if p and p[0] == "evidence"}
    name = subject.get("name")
    return EvidenceFile(
        kind=str(subject.get("kind", "")),
        subject_id=str(subject.get("id", "")),
        name=str(name) if name is not None else None,
        period=period,
        evidence=evidence,
        source=document.source,
        spans=spans,
    )


def evaluate(
    program: Program,
    kind: str,
    evidence: Mapping[str, object] | Evidence,
    *,
    period: Period,
    subject_id: str = "",
    subject_name: str | None = None,
    source: str = "<evidence>",
    spans: Mapping[tuple[str | int, ...], Span] | None = None,
) -> Result:
    """Evaluate one subject; raises ``EvidenceError`` for evidence that does not fit its declaration.

    Missing evidence is not an error: the outcome says "insufficient evidence" and names the fields.
    """
    typed = evidence if isinstance(evidence, Evidence) else validate_evidence(program, kind, evidence, source, spans)
    trace = interpreter.evaluate(program, kind, typed.values, typed.origins, period)
    return Result(
        trace=trace,
        subject_id=subject_id,
        subject_kind=kind,
        subject_name=subject_name,
        period=period,
        framework_family=program.info.family,
        framework_version=program.info.version,
        framework_source=program.info.source,
    )


@dataclass(frozen=True)
class Selection:
    """The framework chosen for a family and a period, and why (recorded with every result made from it)."""

    program: Program
    path: Path
    reason: str  # in English; ``reason_vi`` in Vietnamese
    reason_vi: str
    candidates: tuple[tuple[str, date, date | None], ...]  # every version of the family: file, from, until


class NoFrameworkError(Exception):
    """No framework of the family is in force for the period."""


def select_framework(family_dir: str | os.PathLike[str], period: Period) -> Selection:
    """The version of a family in force for a period: the one in force on the period's last day.

    The review of a period happens at its end, under the rules then in force: the version with the latest
    ``effective_from`` on or before the period's end whose ``effective_until`` (if any) is not before it.
    """
    folder = Path(family_dir)
    files = [f for f in sorted(folder.glob("*.yaml")) if not f.name.endswith(".tests.yaml")]
    if not files:
        raise NoFrameworkError(f"no framework files in {folder}")
    programs = [(f, load_framework(f)) for f in files]
    candidates = tuple((str(f), p.info.effective_from, p.info.effective_until) for f, p in programs)
    day = period.end
    in_force = [
        (f, p)
        for f, p in programs
        if p.info.effective_from <= day and (p.info.effective_until is None or p.info.effective_until >= day)
    ]
    if not in_force:
        known = "; ".join(f"{Path(f).name}: {start}..{until or ''}" for f, start, until in candidates)
        raise NoFrameworkError(
            f"no version of {folder.name} is in force on {day.isoformat()} (the end of the period {period}); "
            f"versions: {known}"
        )
    path, program = max(in_force, key=lambda item: item[1].info.effective_from)
    others = [Path(f).name for f, _ in in_force if f != path]
    if program.info.supersedes and not others:
        others = [program.info.supersedes]
    info = program.info
    reason = (
        f"{path.name} ({info.version}) is in force on {day.isoformat()}, the last day of the period {period}: "
        f"effective from {info.effective_from.isoformat()}"
        + (f" until {info.effective_until.isoformat()}" if info.effective_until else "")
        + (f"; it supersedes {', '.join(others)}" if others else "")
    )
    reason_vi = (
        f"{path.name} ({info.version}) có hiệu lực vào ngày {day.strftime('%d/%m/%Y')}, ngày cuối của kỳ đánh giá: "
        f"hiệu lực từ {info.effective_from.strftime('%d/%m/%Y')}"
        + (f" đến {info.effective_until.strftime('%d/%m/%Y')}" if info.effective_until else "")
        + (f"; thay thế {', '.join(others)}" if others else "")
    )
    return Selection(program, path, reason, reason_vi, candidates)


def evidence_json_schema(program: Program, kind: str) -> dict[str, object]:
    """The JSON Schema of one subject kind's evidence, for forms and systems that collect it."""
    return _evidence_json_schema(program, kind)


def framework_json_schema() -> dict[str, object]:
    """The JSON Schema of the framework format."""
    return schema.json_schema()


def run_framework_tests(paths: Sequence[str | os.PathLike[str]]) -> list[TestOutcome]:
    """Run the ``*.tests.yaml`` files named or found under directories."""
    from xeploai import testing  # the test runner is a stage of its own

    return testing.run(paths)
