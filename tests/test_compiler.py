"""The compiler builds an IR that depends on what a framework says, not on how its YAML is formatted."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from paths import GOOD, HD21
from xeploai import api, ir


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
