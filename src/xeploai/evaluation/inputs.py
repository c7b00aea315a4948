"""One subject's inputs: a period as people write it, an evidence file, and the evaluation of one subject.

In: a period spec (``2020``, ``2020-Q3``, ``START..END``), an evidence document (YAML or JSON, untrusted), a
program with raw or typed evidence. Out: ``Period``, ``EvidenceFile`` and a ``Result`` whose outcome is the root
of its trace (``evidence`` validates, ``runners.interpreter`` evaluates).
"""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import Result
from xeploai.framework import loader
from xeploai.program.ir import Period, Program, Span, Text
from xeploai.program.issues import EvidenceError, Issue


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
    """Read one subject's evidence document (YAML or JSON): ``subject``, ``period``, ``evidence``.

    Numbers follow the YAML 1.2 core rules (``012`` is twelve, ``yes`` is text), decimals are kept exactly, and
    the subject's id and name are the text as written (``0012`` is not 12).
    """
    return _evidence_file(loader.load_file(path, display=loader.display_path(path), core=True))


def load_evidence_text(content: str | bytes, source: str = "<stdin>") -> EvidenceFile:
    """Read one subject's evidence document from text that is in no file (``xeploai evaluate FRAMEWORK -`` reads
    standard input); problems name ``source``. Numbers are read as ``load_evidence_file`` reads them."""
    return _evidence_file(loader.load_yaml(content, source, core=True))


def _evidence_file(document: loader.Document) -> EvidenceFile:
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
        subject_id=document.text(("subject", "id"), subject.get("id", "")),
        name=document.text(("subject", "name"), name) if name is not None else None,
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
