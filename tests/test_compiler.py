"""The compiler builds an IR that depends on what a framework says, not on how its YAML is formatted."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from paths import GOOD, HD21
from xeploai import api
from xeploai.program import ir


def _reformat(source: Path, target_dir: Path, flow: bool | None, width: int, quote: bool) -> Path:
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    text = yaml.safe_dump(
        data,
        default_flow_style=flow,
        width=width,
        allow_unicode=True,
        sort_keys=False,
        default_style='"' if quote else None,
    )
    target = target_dir / source.name
    target.write_text("# reformatted\n\n" + text, encoding="utf-8")
    return target


@settings(max_examples=12, deadline=None)
@given(flow=st.sampled_from([False, True, None]), width=st.sampled_from([40, 80, 400]), quote=st.booleans())
def test_reformatting_a_framework_does_not_change_its_program(
    flow: bool | None, width: int, quote: bool, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    for source in (GOOD, HD21):
        if not source.exists():
            continue
        original = api.load_framework(source)
        copy = _reformat(source, tmp_path_factory.mktemp("fmt"), flow, width, quote)
        reformatted = api.load_framework(copy)
        assert reformatted.subjects == original.subjects
        assert reformatted.levels == original.levels and reformatted.scales == original.scales
        assert reformatted.records == original.records and reformatted.enums == original.enums


def test_the_program_keeps_spans_pointing_at_the_yaml() -> None:
    program = api.load_framework(GOOD)
    rule = program.subjects["member"].rules["under_half"]
    line = GOOD.read_text(encoding="utf-8").splitlines()[rule.span.line - 1]
    assert line.strip().startswith("under_half:")
    assert rule.cite == ir.Citation("HD21", "x") and rule.confidence is ir.Confidence.SECONDARY


def test_subject_kind_inherits_with_extends(good_text: str, write_framework) -> None:  # type: ignore[no-untyped-def]
    text = good_text + (
        "  leader:\n"
        "    extends: member\n"
        '    label: {vi: "Lãnh đạo", en: Leader}\n'
        "    evidence:\n"
        '      unit_failed: {type: bool, label: {vi: "Đơn vị KHT", en: "Unit failed"}}\n'
        "    rules:\n"
        '      unit_not_completed: {when: unit_failed, label: {vi: "Đơn vị KHT", en: "Unit KHT"},'
        " cite: {doc: HD21, at: y}, confidence: assumed}\n"
        "    not_completed: [under_half, disciplined, unit_not_completed]\n"
    )
    program = api.load_framework(write_framework(text))
    leader, member = program.subjects["leader"], program.subjects["member"]
    assert leader.extends == "member"
    assert set(leader.rules) == set(member.rules) | {"unit_not_completed"}
    assert leader.levels == member.levels and leader.caps == member.caps
    assert leader.not_completed == ("under_half", "disciplined", "unit_not_completed")
    assert leader.field_def("unit_failed") is not None and member.field_def("unit_failed") is None


def _exception(code: str, ident: str, reason: str, doc: str = "HD21") -> str:
    return (
        f"      - {{code: {code}, id: {ident}, reason: {{vi: {reason}, en: {reason}}}, cite: {{doc: {doc}, at: x}},"
        " confidence: assumed}\n"
    )


def test_declared_exceptions_and_better_directions_are_compiled_and_inherited(
    good_text: str,
    write_framework,  # type: ignore[no-untyped-def]
) -> None:
    text = good_text.replace(
        '      sick_leave_months: {type: number, default: 0, label: {vi: "Nghỉ ốm", en: Sick leave}}',
        '      sick_leave_months: {type: number, default: 0, better: lower, label: {vi: "Nghỉ ốm", en: Sick leave}}',
    )
    text += (
        "    exceptions:\n"
        + _exception("level-gap", "completed", "parent")
        + _exception("unused-field", "exempted", "x")
    )
    text += (
        '  leader:\n    extends: member\n    label: {vi: "Lãnh đạo", en: Leader}\n    exceptions:\n'
        + _exception("level-gap", "completed", "own")
        + _exception("non-monotone", "sick", "own")
    )
    program = api.load_framework(write_framework(text))
    member, leader = program.subjects["member"], program.subjects["leader"]
    assert [(e.code, e.id, e.reason.en) for e in member.exceptions] == [
        ("level-gap", "completed", "parent"),
        ("unused-field", "exempted", "x"),
    ]
    # The kind's own exception with the code and id of an inherited one replaces it; the others are inherited.
    assert [(e.code, e.id, e.reason.en) for e in leader.exceptions] == [
        ("level-gap", "completed", "own"),
        ("unused-field", "exempted", "x"),
        ("non-monotone", "sick", "own"),
    ]
    exception = member.exceptions[0]
    assert exception.cite == ir.Citation("HD21", "x") and exception.confidence is ir.Confidence.ASSUMED
    assert exception.span.line > 0
    sick = leader.field_def("sick_leave_months")
    assert sick is not None and sick.better == "lower"


def test_an_extending_framework_inherits_the_central_exceptions_and_adds_its_own(tmp_path: Path) -> None:
    central = (Path(__file__).parent / "fixtures" / "extension" / "party" / "2019-10-18.yaml").read_text(
        encoding="utf-8"
    )
    central += "    exceptions:\n" + _exception("level-gap", "completed", "central")
    local = (Path(__file__).parent / "fixtures" / "extension" / "party-local" / "2020-01-01.yaml").read_text(
        encoding="utf-8"
    )
    # An exception of the local layer may name a rule of the central one and cite a central document.
    local += "    exceptions:\n" + _exception("untested-rule", "results_good", "local")
    (tmp_path / "party").mkdir()
    (tmp_path / "party-local").mkdir()
    (tmp_path / "party" / "2019-10-18.yaml").write_text(central, encoding="utf-8")
    path = tmp_path / "party-local" / "2020-01-01.yaml"
    path.write_text(local, encoding="utf-8")
    assert api.check_file(path) == []
    member = api.load_framework(path).subjects["member"]
    assert [(e.code, e.id, e.reason.en) for e in member.exceptions] == [
        ("level-gap", "completed", "central"),
        ("untested-rule", "results_good", "local"),
    ]
