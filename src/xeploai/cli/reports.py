"""What machines read from ``check`` and ``test``: one-line diagnostics (``file:line:col: error: message [code]``,
the form editors' problem matchers read), and test reports as JUnit XML or JSON for CI.

In: issues, and the outcomes of framework test cases. Out: text; nothing is printed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from xml.etree import ElementTree

from xeploai.analysis.framework_tests import TestOutcome
from xeploai.program.issues import Issue

# Characters XML 1.0 cannot hold even escaped (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF): a
# test's name or message with one would make the whole report unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CODE = re.compile(r"^\[([a-z][a-z0-9-]*)\]")
# A case that could not be run at all is an error in JUnit's terms; one that ran and differed is a failure.
_ERROR_CODES = frozenset({"invalid-test", "unknown-subject-kind"})


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _one_line(text: str) -> str:
    """The text on one line, without control characters (a terminal would obey them, a matcher stop at them)."""
    return _CONTROL.sub("\ufffd", " ".join(text.split()))


def issue_line(issue: Issue, file: str, lang: str) -> str:
    """``file:line:col: severity: message (hint: …) [code]`` on one line; ``file: …`` when the issue has no place.

    >>> from xeploai.program.ir import Span
    >>> issue_line(Issue("unknown-reference", "unknown rule 'x'", span=Span("a.yaml", 3, 7)), "a.yaml", "en")
    "a.yaml:3:7: error: unknown rule 'x' [unknown-reference]"
    """
    where = f"{issue.span.file}:{issue.span.line}:{issue.span.col}" if issue.span is not None else file
    severity = "error" if issue.severity == "error" else "warning"  # the words problem matchers look for
    hint = issue.hint_in(lang)
    shown = f" ({'gợi ý' if lang == 'vi' else 'hint'}: {_one_line(hint)})" if hint else ""
    return f"{where}: {severity}: {_one_line(issue.message_in(lang))}{shown} [{issue.code}]"


def outcome_code(outcome: TestOutcome) -> str:
    """The issue code of a case that did not pass: the one its first message names, else ``test-failed``."""
    found = _CODE.match(outcome.messages[0]) if outcome.messages else None
    return found.group(1) if found else "test-failed"


def outcome_line(outcome: TestOutcome) -> str:
    """A case that did not pass, on one line at the place of the case in its tests file."""
    span = outcome.span
    where = f"{span.file}:{span.line}:{span.col}" if span is not None else outcome.file
    details = "; ".join(_one_line(_CODE.sub("", m).strip()) for m in outcome.messages)
    return f"{where}: error: {_one_line(outcome.name)}: {details} [{outcome_code(outcome)}]"


def tests_json(outcomes: Sequence[TestOutcome]) -> str:
    """Every case with whether it passed, what differed and where it is."""
    cases = [
        {
            "file": o.file,
            "name": o.name,
            "passed": o.passed,
            "code": None if o.passed else outcome_code(o),
            "messages": list(o.messages),
            "line": o.span.line if o.span is not None else None,
            "col": o.span.col if o.span is not None else None,
        }
        for o in outcomes
    ]
    passed = sum(o.passed for o in outcomes)
    report = {"passed": passed, "failed": len(outcomes) - passed, "cases": cases}
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def tests_junit(outcomes: Sequence[TestOutcome]) -> str:
    """A JUnit XML report: a ``testsuite`` per tests file, a ``testcase`` per case; a case that ran and differed
    has a ``failure``, one that could not run (an invalid tests file, an unknown subject kind) an ``error``."""
    root = ElementTree.Element("testsuites", name="xeploai test")
    by_file: dict[str, list[TestOutcome]] = {}
    for outcome in outcomes:
        by_file.setdefault(outcome.file, []).append(outcome)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for file, cases in by_file.items():
        suite = ElementTree.SubElement(root, "testsuite", name=_xml(file))
        counts = {"tests": len(cases), "failures": 0, "errors": 0}
        for outcome in cases:
            attributes = {"classname": _xml(file), "name": _xml(outcome.name), "file": _xml(file)}
            if outcome.span is not None:
                attributes["line"] = str(outcome.span.line)
            case = ElementTree.SubElement(suite, "testcase", attributes)
            if outcome.passed:
                continue
            code = outcome_code(outcome)
            tag = "error" if code in _ERROR_CODES else "failure"
            counts["errors" if tag == "error" else "failures"] += 1
            first = _one_line(_CODE.sub("", outcome.messages[0]).strip()) if outcome.messages else code
            element = ElementTree.SubElement(case, tag, message=_xml(first), type=code)
            element.text = _xml("\n".join(outcome.messages))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("skipped", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
