"""The checker reports every problem of a framework at once, each with a code, a path and a position."""

from __future__ import annotations

import time

import pytest

from paths import BROKEN, GOOD
from xeploai import api
from xeploai.program.issues import FrameworkError


def codes_at(path) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(i.code, i.path, i.span.line if i.span else 0) for i in api.check_file(path)]


def test_clean_fixture_has_no_issues() -> None:
    assert api.check_file(GOOD) == []


def test_broken_fixture_reports_every_planted_fault_with_its_position() -> None:
    found = codes_at(BROKEN)
    assert found == [
        ("effective-date-mismatch", "framework.effective_from", 7),
        ("missing-label", "subjects.member.rules.is_exempted", 46),
        ("unknown-document", "subjects.member.rules.is_exempted.cite.doc", 46),
        ("type-error", "subjects.member.rules.under_half.when", 47),
        ("missing-citation", "subjects.member.rules.disciplined", 48),
        ("unknown-reference", "subjects.member.rules.results_excellent.when", 49),
        ("unknown-literal", "subjects.member.rules.results_good.when", 50),
        ("reference-cycle", "subjects.member.rules.loop_a.when", 52),
        ("unsupported-syntax", "subjects.member.rules.odd_syntax.when", 54),
        ("reference-cycle", "subjects.member.rules.loop_c.when", 55),
        ("non-nfc-text", "subjects.member.rules.loop_c.label.vi", 55),
        ("not-a-rule", "subjects.member.not_classified[1]", 56),
        ("unreachable-level", "subjects.member.levels.completed", 61),
    ]


def test_misspelt_names_get_a_did_you_mean_hint() -> None:
    hints = {i.code: i.hint for i in api.check_file(BROKEN)}
    assert hints["unknown-reference"] == "did you mean 'task_results'?"
    assert hints["unknown-literal"] == "did you mean 'Tốt'?"
    assert hints["unknown-document"] == "did you mean 'HD21'?"
    assert hints["not-a-rule"] == "did you mean 'is_exempted'?"


def test_condition_positions_point_inside_the_string() -> None:
    issue = next(i for i in api.check_file(BROKEN) if i.code == "unknown-reference")
    line = BROKEN.read_text(encoding="utf-8").splitlines()[issue.span.line - 1]  # type: ignore[union-attr]
    assert line[issue.span.col - 1 :].startswith("task_result ==")  # type: ignore[union-attr]


def test_loading_a_broken_framework_raises_one_error_listing_all_problems() -> None:
    with pytest.raises(FrameworkError) as caught:
        api.load_framework(BROKEN)
    text = str(caught.value)
    assert text.startswith("13 problems in ")
    assert "[unreachable-level]" in text and "[missing-citation]" in text


def test_unknown_key_is_reported_with_its_position(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    path = write_framework(good_text.replace("  version: HD21", "  version: HD21\n  verison: HD21"))
    issues = api.check_file(path)
    assert [(i.code, i.path, i.span.line) for i in issues] == [("unknown-key", "framework.verison", 5)]  # type: ignore[union-attr]
    assert issues[0].hint == "did you mean 'version'?"


def test_missing_format_key_is_a_format_version_issue(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    path = write_framework(good_text.replace("format: xeploai/1\n", ""))
    assert [i.code for i in api.check_file(path)] == ["format-version"]


def test_levels_must_match_the_level_scale(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text.replace("      excellent: [results_excellent]\n", "").replace(
        "      completed: [results_average]", "      completed: [results_average]\n      not_completed: [under_half]"
    )
    codes = [(i.code, i.path) for i in api.check_file(write_framework(text))]
    assert ("level-mismatch", "subjects.member.levels") in codes
    assert ("level-mismatch", "subjects.member.levels.not_completed") in codes


def test_field_of_an_undeclared_scale_is_reported(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text.replace("{type: scale, of: grade,", "{type: scale, of: grades,")
    issues = api.check_file(write_framework(text))
    declared = [i for i in issues if i.code == "unknown-declaration"]
    assert len(declared) == 1 and declared[0].hint == "did you mean 'grade'?"


def test_default_that_does_not_fit_its_field_is_reported(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text.replace("{type: bool, default: false,", "{type: bool, default: 3,")
    assert [i.code for i in api.check_file(write_framework(text))] == ["invalid-default"]


def test_extends_of_an_unknown_subject_kind_is_reported(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text.replace(
        '    label: {vi: "Đảng viên", en: Member}', '    extends: membr\n    label: {vi: "Đảng viên", en: Member}'
    )
    issues = api.check_file(write_framework(text))
    assert [(i.code, i.hint) for i in issues] == [("unknown-declaration", None)] or any(
        i.code == "unknown-declaration" for i in issues
    )


def test_yaml_problems_surface_as_issues_not_tracebacks(write_framework) -> None:  # type: ignore[no-untyped-def]
    path = write_framework("format: xeploai/1\nframework: {family: party\n")
    issues = api.check_file(path)
    assert issues and issues[0].code == "yaml-syntax"


# --- declared exceptions and better directions (format keys for the whole-framework analysis) ---------------------


def _exception(code: str, ident: str, doc: str = "HD21") -> str:
    return (
        f"      - {{code: {code}, id: '{ident}', reason: {{vi: Lý do, en: Reason}}, cite: {{doc: {doc}, at: x}},"
        " confidence: assumed}\n"
    )


def test_exceptions_name_a_finding_code_something_of_the_kind_and_a_document(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = (
        good_text
        + "    exceptions:\n"
        + "".join(
            [
                _exception("level-gap", "completed"),  # a level
                _exception("unused-field", "discipline[].form"),  # a record field through its records field
                _exception("non-monotone", "sick"),  # a cap
                _exception("level-gapp", "completed"),
                _exception("unused-field", "sick_leave_month"),
                _exception("unused-field", "discipline[].kind"),
                _exception("shadowed-rule", "under_half", doc="HD12"),
                _exception("analysis-truncated", "member"),
            ]
        )
    )
    path = write_framework(text)
    issues = api.check_file(path)
    lines = text.splitlines()
    at = [lines[i.span.line - 1][i.span.col - 1 :][:20] if i.span else "" for i in issues]
    assert [(i.code, i.path) for i in issues] == [
        ("unknown-finding-code", "subjects.member.exceptions[3].code"),
        ("unknown-exception-id", "subjects.member.exceptions[4].id"),
        ("unknown-exception-id", "subjects.member.exceptions[5].id"),
        ("unknown-document", "subjects.member.exceptions[6].cite.doc"),
        ("unknown-finding-code", "subjects.member.exceptions[7].code"),
        ("unknown-exception-id", "subjects.member.exceptions[7].id"),
    ]
    assert at == [
        "level-gapp, id: 'com",
        "'sick_leave_month', ",
        "'discipline[].kind',",
        "HD12, at: x}, confid",
        "analysis-truncated, ",
        "'member', reason: {v",
    ]
    hints = [i.hint for i in issues]
    assert hints[:4] == [
        "did you mean 'level-gap'?",
        "did you mean 'sick_leave_months'?",
        "did you mean 'discipline[].form'?",
        "did you mean 'HD21'?",
    ]
    with pytest.raises(FrameworkError):
        api.load_framework(path)


def test_an_exception_is_checked_where_it_is_written_not_again_in_each_kind_inheriting_it(
    good_text: str,
    write_framework,  # type: ignore[no-untyped-def]
) -> None:
    text = good_text + "    exceptions:\n" + _exception("unused-field", "sick_leave_month")
    text += '  leader:\n    extends: member\n    label: {vi: "Lãnh đạo", en: Leader}\n'
    assert [(i.code, i.path) for i in api.check_file(write_framework(text))] == [
        ("unknown-exception-id", "subjects.member.exceptions[0].id")
    ]


def test_an_exception_declared_twice_in_a_kind_is_reported(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text + "    exceptions:\n" + _exception("level-gap", "completed") * 2
    assert [(i.code, i.path) for i in api.check_file(write_framework(text))] == [
        ("invalid-value", "subjects.member.exceptions[1]")
    ]


def test_better_needs_a_field_whose_values_have_an_order(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text.replace(
        '      decided_on: {type: date, label: {vi: "Ngày", en: Date}}',
        '      decided_on: {type: date, better: lower, label: {vi: "Ngày", en: Date}}',
    ).replace(
        '      sick_leave_months: {type: number, default: 0, label: {vi: "Nghỉ ốm", en: Sick leave}}',
        '      sick_leave_months: {type: number, default: 0, better: lower, label: {vi: "Nghỉ ốm", en: Sick leave}}',
    )
    issues = api.check_file(write_framework(text))
    assert [(i.code, i.path) for i in issues] == [("invalid-value", "records.decision.fields.decided_on.better")]
    assert "date" in issues[0].message


def _with_rules(good_text: str, count: int) -> str:
    anchor = "    not_classified: [is_exempted]\n"
    rules = "".join(
        f'      r{i}: {{when: "targets_met >= {i}", label: {{vi: "R", en: "R"}}, cite: {{doc: HD21, at: "x"}}, '
        "confidence: assumed}\n"
        for i in range(count)
    )
    return good_text.replace(anchor, rules + anchor)


def test_a_framework_with_more_rules_than_the_limit_is_refused_at_once(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    from xeploai.framework import files

    started = time.monotonic()
    issues = api.check_file(write_framework(_with_rules(good_text, files.MAX_RULES + 1)))
    assert time.monotonic() - started < 15  # loading only: no rule is checked
    (issue,) = issues
    assert issue.code == "too-large" and issue.path == "subjects"
    assert f"{files.MAX_RULES + 8:,}" in issue.message  # the fixture has six rules and a cap
    assert api.check_file(write_framework(_with_rules(good_text, 100))) == []


def test_a_framework_file_over_its_size_limit_is_refused(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    from xeploai.framework import files

    padding = "#" * 1000 + "\n"
    text = good_text + padding * (files.MAX_FRAMEWORK_BYTES // len(padding) + 1)
    (issue,) = api.check_file(write_framework(text))
    assert issue.code == "too-large" and "MiB" in issue.message


@pytest.mark.parametrize(
    ("old", "new", "path", "clash"),
    [
        # a level whose label is another level's code: `at_most: HT` would land on it
        ('en: "Good"}}', 'en: "HT"}}', "levels[2].code", "'HT' (levels[1].label.en)"),
        # codes differing only by case
        ("code: HTT,", "code: ht,", "levels[2].code", "'ht' (levels[1].code)"),
        # an id that is another level's code
        ("{id: excellent, code: HTXS,", "{id: ht, code: HTXS,", "levels[2].code", "'ht' (levels[0].id)"),
        # a label differing from another's only by its diacritics
        (
            '{vi: "Hoàn thành nhiệm vụ", en: "Completed"}',
            '{vi: "Hoan thanh tot nhiem vu", en: "Completed"}',
            "levels[2].label.vi",
            "(levels[1].label.vi)",
        ),
        # the same gaps in a grade scale
        (
            '{vi: "Kém", en: Poor}',
            '{vi: "Kem", en: TB}',
            "scales.grade.values[3].label.en",
            "'TB' (scales.grade.values[2].code)",
        ),
        ("code: T,", "code: xs,", "scales.grade.values[1].code", "(scales.grade.values[0].code)"),
    ],
)
def test_spellings_that_name_two_values_of_a_scale_are_refused(  # type: ignore[no-untyped-def]
    good_text: str, write_framework, old: str, new: str, path: str, clash: str
) -> None:
    assert old in good_text
    issues = [
        i for i in api.check_file(write_framework(good_text.replace(old, new, 1))) if i.code == "ambiguous-spelling"
    ]
    assert [i.path for i in issues] == [path], [i.render() for i in issues]
    assert clash in issues[0].message


def test_a_cap_cannot_land_on_a_level_spelled_like_its_bound(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    # "HT" was the code of 'completed' and the English label of 'good': four months of sick leave kept HTT.
    path = write_framework(good_text.replace('en: "Good"}}', 'en: "HT"}}', 1))
    with pytest.raises(FrameworkError) as caught:
        api.load_framework(path)
    assert "ambiguous-spelling" in {i.code for i in caught.value.issues}


def test_the_bundled_frameworks_spell_every_value_once() -> None:
    from paths import ROOT

    for path in sorted((ROOT / "frameworks").glob("*/*.yaml")):
        if not path.name.endswith(".tests.yaml"):
            assert [i for i in api.check_file(path) if i.code == "ambiguous-spelling"] == [], path
