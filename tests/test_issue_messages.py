"""Every issue says what is wrong in Vietnamese (the default) and in English.

The broken fixtures, the hostile-input corpus and a few more broken frameworks and evidence documents are run
through the stages; each issue they produce must carry a Vietnamese message (and hint) of its own, in NFC.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from paths import BROKEN, FIXTURES, GOOD
from test_hostile import CASES as HOSTILE
from test_hostile import Case
from xeploai import api
from xeploai.cli import app as cli
from xeploai.cli import output
from xeploai.program.ir import Span, Text
from xeploai.program.issues import EvidenceError, FrameworkError, Issue, render_issues

GOOD_TEXT = GOOD.read_text(encoding="utf-8")
BROKEN_FRAMEWORKS = sorted(
    p for p in FIXTURES.rglob("*.yaml") if not p.name.endswith(".tests.yaml") and p.parent.name != "population"
)

# Broken variants of the good fixture, one mistake each, for the stages the fixtures reach only in part.
FRAMEWORK_VARIANTS: dict[str, str] = {
    "yaml syntax": GOOD_TEXT.replace('title: {vi: "Thử", en: "Test"}', 'title: {vi: "Thử", en: "Test"'),
    "tab": GOOD_TEXT.replace("  family: party", "\tfamily: party"),
    "unclosed quote": GOOD_TEXT.replace("version: HD21", 'version: "HD21'),
    "undefined alias": GOOD_TEXT.replace("version: HD21", "version: *nowhere"),
    "second document": GOOD_TEXT + "---\nx: 1\n",
    "empty": "---\n",
    "merge key": GOOD_TEXT.replace("  version: HD21", "  version: HD21\n  <<: {a: 1}"),
    "sequence as key": GOOD_TEXT.replace("  version: HD21", "  version: HD21\n  ? [a, b]\n  : 1"),
    "bad date": GOOD_TEXT.replace("effective_from: 2019-10-18", "effective_from: 2019-02-31"),
    "tag on a mapping": GOOD_TEXT.replace("scales:\n", "scales: !!str\n"),
    "format": GOOD_TEXT.replace("format: xeploai/1", "format: xeploai/9"),
    "missing key": GOOD_TEXT.replace("  version: HD21\n", ""),
    "wrong types": GOOD_TEXT.replace("confidence: assumed}", "confidence: [1]}").replace(
        "default: false", "default: false, required: maybe"
    ),
    "one level": GOOD_TEXT.split("  - {id: good")[0] + GOOD_TEXT[GOOD_TEXT.index("scales:") :],
    "conditions": GOOD_TEXT.replace("when: exempted,", 'when: "exempted and (targets_met +",')
    .replace('when: "targets_met < 50% * targets_assigned"', "when: \"targets_met < 'Tốt' or -exempted\"")
    .replace('when: "exists(discipline, decided_on in period)"', 'when: "exists(discipline) and coutn(x) > 1"')
    .replace("when: 'task_results == \"Xuất sắc\"'", "when: 'task_results in [\"Xuat sac\"] and max(1)'")
    .replace("when: 'task_results >= \"Tốt\"'", "when: 'targets_met is 3 or level_of(exempted) == 1'")
    .replace("when: 'task_results >= \"Trung bình\"'", "when: 'exempted[0] or {1: 2} or known(1)'"),
    "fields": GOOD_TEXT.replace("of: grade, judgement", "of: grades, judgement")
    .replace("at_most: targets_assigned,", "at_most: targets_asigned,")
    .replace("sick_leave_months: {type: number, default: 0,", "sick_leave_months: {type: date, default: 0, min: 1,")
    .replace("exempted: {type: bool, default: false,", "exempted: {type: bool, of: grade, default: false,")
    .replace("targets_assigned: {type: count, label", "targets_assigned: {type: scale, label"),
    "lists": GOOD_TEXT.replace("    levels:\n      excellent: [results_excellent]\n", "    levels:\n")
    .replace("      good: [results_good]\n", "      good: [results_good]\n      excellent: [results_excellent]\n")
    .replace("not_completed: [under_half, disciplined]", "not_completed: [under_half, disciplined, nobody]")
    .replace("completed: [results_average]", "completed: [results_good]\n      not_completed: []"),
    "declarations": GOOD_TEXT.replace(
        "effective_from: 2019-10-18", "effective_from: 2019-10-18\n  effective_until: 2018-01-01"
    )
    .replace("{id: average, code: TB", "{id: good, code: TB")
    .replace(
        "scales:\n",
        "scales:\n  level:\n    label: {vi: a, en: b}\n    values: [{id: a, code: A, label: {vi: a, en: a}},"
        " {id: b, code: B, label: {vi: b, en: b}}]\n",
    )
    .replace('label: {vi: "Đảng viên", en: Member}', "extends: member")
    .replace('label: {vi: "Miễn", en: "Exempted"}, cite: {doc: HD21, at: "x"}, ', 'cite: {doc: HD12, at: "x"}, ')
    .replace('label: {vi: "Dưới 50%", en: "Under half"}, cite: {doc: HD21, at: "x"}, ', ""),
    "quotas": GOOD_TEXT
    + "quotas:\n  q:\n    kinds: [membr]\n    level: excelent\n    group_by: {}\n"
    + "    limit: {ratio: 2, of_level: good, rounding: floor}\n    when_exceeded: rank\n"
    + "    rank_by: [{field: score}]\n    demote_to: excellent\n    confidence: assumed\n",
    "better and exceptions": GOOD_TEXT.replace(
        "exempted: {type: bool, default: false,", "exempted: {type: bool, default: false, better: lower,"
    )
    .replace("decided_on: {type: date, label", "decided_on: {type: date, better: higher, label")
    .replace(
        '    label: {vi: "Đảng viên", en: Member}\n',
        '    label: {vi: "Đảng viên", en: Member}\n    exceptions:\n'
        "      - {code: level-gapp, id: nothing, reason: {vi: a, en: a}, confidence: assumed}\n"
        "      - {code: level-gap, id: good, reason: {vi: a, en: a}, cite: {doc: HD12, at: x}, confidence: assumed}\n"
        "      - {code: level-gap, id: good, reason: {vi: a, en: a}, confidence: assumed}\n",
    ),
    "relations": GOOD_TEXT.replace(
        '    label: {vi: "Đảng viên", en: Member}\n',
        '    label: {vi: "Đảng viên", en: Member}\n    relations:\n      exempted: {kinds: [cell], from: unit}\n',
    ),
}

# The process fixture, with mistakes in its ladders, ballots, readings and level spellings.
PROCESS = FIXTURES / "process" / "party" / "2025-08-30.yaml"
PROCESS_VARIANT = (
    PROCESS.read_text(encoding="utf-8")
    .replace("good: [HTTNV, Hoàn thành tốt]", "good: [HTTNV, Hoàn thành tốt, Xuat sac]\n    excelent: [X]")
    .replace(
        "kinds: [party_member]\n      label: {vi: Trình tự",
        "kinds: [party_member, party_membr]\n      label: {vi: Trình tự",
    )
    .replace("criteria: [general_criteria_score, task_results_score]", "criteria: [general_criteria_score, no_score]")
    .replace("- id: residence", "- id: self")
    .replace("ballot: cell_vote", "ballot: cell_vot")
    .replace("between: [self, appraisal]\n          points: 5\n          levels: 1", "between: [appraisal, selff]")
    .replace("more_than: 50%", "more_than: 150%")
    .replace("default: floor", "default: flor")
    .replace("          value: floor", "          value: floors")
    .replace("fields: [general_criteria_score, task_results_score]", "fields: [no_score]")
    .replace("parameter: quota_denominator", "parameter: quota_denominator\n      quotas: [nope]")
)

# Evidence documents for the member of the good fixture, each with mistakes.
EVIDENCE_VARIANTS: dict[str, str] = {
    "types": "evidence:\n  exempted: 1\n  targets_assigned: 2.5\n  task_results: Trung binh\n  tagets_met: 1\n",
    "records": "evidence:\n  discipline: [{form: Canh cao, decided_on: '2020-13-01'}, 3, {form: reprimand, when: 1}]\n",
    "bad date": "evidence:\n  discipline: [{form: reprimand, decided_on: 2020-13-01}]\n",
    "null and bounds": "evidence:\n  exempted: null\n  targets_assigned: 3\n  targets_met: 4\n"
    "  sick_leave_months: .inf\n",
    "file shape": "subject: []\nperiod: 2020-Q5\nevidence: [1]\nextra: 1\n",
    "not a mapping": "[1, 2]\n",
}


def _framework_issues(path: Path) -> list[Issue]:
    return api.check_file(path)


def _evidence_issues(framework: Path, evidence: Path) -> list[Issue]:
    program = api.load_framework(framework)
    try:
        document = api.load_evidence_file(evidence)
        api.evaluate(program, "member", document.evidence, period=api.parse_period("2020"))
    except (EvidenceError, FrameworkError) as error:
        return list(error.issues)
    return []


def _hostile_issues(case: Case, folder: Path) -> list[Issue]:
    target = case.write(folder)
    if case.command == "check":
        return _framework_issues(target)
    return _evidence_issues(GOOD, target)


def _assert_bilingual(issue: Issue) -> None:
    where = f"[{issue.code}] {issue.message}"
    assert issue.message_vi, f"no Vietnamese message: {where}"
    assert unicodedata.normalize("NFC", issue.message_vi) == issue.message_vi, where
    assert issue.message_vi != issue.message, f"the Vietnamese message is the English one: {where}"
    if issue.hint is not None:
        assert issue.hint_vi, f"no Vietnamese hint: {where} / {issue.hint}"
        assert unicodedata.normalize("NFC", issue.hint_vi) == issue.hint_vi, where
        assert issue.hint_vi != issue.hint, f"the Vietnamese hint is the English one: {where} / {issue.hint}"


@pytest.mark.parametrize("path", BROKEN_FRAMEWORKS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_issue_of_the_fixtures_has_a_vietnamese_message(path: Path) -> None:
    for issue in _framework_issues(path):
        _assert_bilingual(issue)


@pytest.mark.parametrize("case", [c for c in HOSTILE if c.command != "batch"], ids=lambda c: c.name)
def test_every_issue_of_the_hostile_corpus_has_a_vietnamese_message(case: Case, tmp_path: Path) -> None:
    issues = _hostile_issues(case, tmp_path)
    assert [i for i in issues if i.code == case.expect_code] or case.expect_code is None
    for issue in issues:
        _assert_bilingual(issue)


@pytest.mark.parametrize("name", list(FRAMEWORK_VARIANTS))
def test_every_issue_of_a_broken_framework_has_a_vietnamese_message(
    name: str, write_framework: Callable[..., Path]
) -> None:
    issues = _framework_issues(write_framework(FRAMEWORK_VARIANTS[name]))
    assert issues
    for issue in issues:
        _assert_bilingual(issue)


def test_every_issue_of_a_broken_process_has_a_vietnamese_message(write_framework: Callable[..., Path]) -> None:
    issues = _framework_issues(write_framework(PROCESS_VARIANT, "2025-08-30.yaml"))
    assert len(issues) >= 10
    for issue in issues:
        _assert_bilingual(issue)


@pytest.mark.parametrize("name", list(EVIDENCE_VARIANTS))
def test_every_issue_of_broken_evidence_has_a_vietnamese_message(name: str, tmp_path: Path) -> None:
    path = tmp_path / "an.yaml"
    head = "subject: {id: A, name: An, kind: member}\nperiod: 2020\n"
    body = EVIDENCE_VARIANTS[name]
    path.write_text(body if body.startswith(("subject", "[")) else head + body, encoding="utf-8")
    issues = _evidence_issues(GOOD, path)
    assert issues
    for issue in issues:
        _assert_bilingual(issue)


# --- specific messages, in both languages -------------------------------------------------------------------


def test_an_unknown_reference_says_so_with_its_did_you_mean_in_both_languages() -> None:
    (issue,) = [i for i in api.check_file(BROKEN) if i.code == "unknown-reference"]
    assert (issue.message, issue.hint) == ("unknown name 'task_result'", "did you mean 'task_results'?")
    assert (issue.message_vi, issue.hint_vi) == ("tên 'task_result' không xác định", "có phải là 'task_results'?")
    assert issue.message_in("vi") == issue.message_vi and issue.message_in("en") == issue.message


def test_a_duplicate_key_names_the_key_and_both_lines_in_both_languages(write_framework: Callable[..., Path]) -> None:
    path = write_framework(GOOD_TEXT.replace("  version: HD21", "  version: HD21\n  version: HD22"))
    with pytest.raises(FrameworkError) as caught:
        api.load_framework(path)
    (issue,) = caught.value.issues
    assert issue.code == "duplicate-key" and issue.span is not None and issue.span.line == 5
    assert (issue.message, issue.hint) == ("duplicate key 'version'", "the first occurrence is at line 4")
    assert (issue.message_vi, issue.hint_vi) == ("khóa 'version' bị lặp lại", "lần xuất hiện đầu tiên ở dòng 4")


def test_an_out_of_range_evidence_value_says_what_was_expected_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "an.yaml"
    path.write_text("subject: {id: A, kind: member}\nperiod: 2020\nevidence:\n  targets_assigned: -3\n", "utf-8")
    (issue,) = _evidence_issues(GOOD, path)
    assert issue.code == "out-of-range"
    assert issue.message == "targets_assigned = -3; expected a whole number ≥ 0 (count)"
    assert issue.message_vi == "targets_assigned = -3; cần một số nguyên ≥ 0 (số đếm)"


def test_a_yaml_syntax_error_is_translated_with_its_context(write_framework: Callable[..., Path]) -> None:
    (issue,) = api.check_file(write_framework(FRAMEWORK_VARIANTS["yaml syntax"]))
    assert issue.code == "yaml-syntax" and issue.hint is not None and issue.hint_vi is not None
    assert issue.message == "expected ',' or '}', but got '<scalar>'"
    assert issue.message_vi == "cần ',' hoặc '}', nhưng gặp '<scalar>'"
    assert issue.hint.startswith("while parsing a flow mapping that starts at line 5")
    assert issue.hint_vi.startswith("khi đọc một ánh xạ viết trong { }, bắt đầu ở dòng 5")


def test_a_pydantic_error_is_translated(write_framework: Callable[..., Path]) -> None:
    issues = api.check_file(write_framework(GOOD_TEXT.replace("confidence: assumed}", "confidence: certain}", 1)))
    (issue,) = issues
    assert issue.message == "input should be 'confirmed', 'secondary' or 'assumed': 'certain'"
    assert issue.message_vi == "giá trị phải là 'confirmed', 'secondary' hoặc 'assumed'; giá trị đã ghi: 'certain'"


# --- rendering ------------------------------------------------------------------------------------------------


def test_render_shows_the_message_of_the_language_asked_for() -> None:
    issue = Issue.from_text(
        "unknown-reference",
        Text("tên 'x' không xác định", "unknown name 'x'"),
        "a.when",
        Span("f.yaml", 3, 9),
        Text("có phải là 'y'?", "did you mean 'y'?"),
    )
    assert (
        issue.render("vi")
        == "a.when\n  tên 'x' không xác định [unknown-reference]\n  tại f.yaml:3:9\n  gợi ý: có phải là 'y'?"
    )
    assert (
        issue.render("en")
        == "a.when\n  unknown name 'x' [unknown-reference]\n  at f.yaml:3:9\n  hint: did you mean 'y'?"
    )


def test_an_issue_without_a_vietnamese_message_shows_the_code_summary_before_the_english_one() -> None:
    issue = Issue("unknown-reference", "unknown name 'x'")
    assert issue.message_in("vi") == "unknown name 'x'"
    assert issue.render("vi") == "  tên không xác định: unknown name 'x' [unknown-reference]"
    assert issue.to_json()["message_vi"] == "unknown name 'x'"


def test_the_command_line_shows_vietnamese_details_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["check", str(BROKEN)])
    out = capsys.readouterr().out
    assert code == 1
    assert "tên 'task_result' không xác định [unknown-reference]" in out
    assert "gợi ý: có phải là 'task_results'?" in out
    assert "unknown name" not in out and "did you mean" not in out


def test_the_command_line_shows_english_details_with_lang_en(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["check", str(BROKEN), "--lang", "en"])
    out = capsys.readouterr().out
    assert "unknown name 'task_result' [unknown-reference]" in out
    assert "hint: did you mean 'task_results'?" in out
    assert "không xác định" not in out


def test_evaluate_reports_evidence_problems_in_vietnamese_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "an.yaml"
    path.write_text("subject: {id: A, kind: member}\nperiod: 2020\nevidence:\n  targets_assigned: -3\n", "utf-8")
    code = cli.main(["evaluate", str(GOOD), str(path)])
    err = capsys.readouterr().err
    assert code == output.EXIT_INVALID
    assert "targets_assigned = -3; cần một số nguyên ≥ 0 (số đếm) [out-of-range]" in err


def test_json_output_of_check_carries_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["check", str(BROKEN), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    (issue,) = [i for i in report["files"][0]["issues"] if i["code"] == "unknown-reference"]
    assert issue["message"] == "unknown name 'task_result'"
    assert issue["message_vi"] == "tên 'task_result' không xác định"
    assert (issue["hint"], issue["hint_vi"]) == ("did you mean 'task_results'?", "có phải là 'task_results'?")


def test_render_issues_counts_in_the_language_asked_for() -> None:
    issues = api.check_file(BROKEN)
    assert render_issues(issues, "a.yaml", "vi").startswith(f"{len(issues)} vấn đề trong a.yaml")
