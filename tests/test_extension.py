"""Local extensions: a framework extends another, overrides rules that exist, adds its own; traces show layers."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import FIXTURES
from xeploai import api
from xeploai.evaluation.trace import NodeKind, walk

LOCAL = FIXTURES / "extension" / "party-local" / "2020-01-01.yaml"
CENTRAL = FIXTURES / "extension" / "party" / "2019-10-18.yaml"
PERIOD = api.parse_period(2020)


@pytest.fixture
def local_copy(tmp_path: Path) -> Path:
    """A copy of the two-layer fixture that a test may edit."""
    for source in (LOCAL, CENTRAL):
        target = tmp_path / source.parent.name / source.name
        target.parent.mkdir(exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / LOCAL.parent.name / LOCAL.name


def test_override_replaces_the_central_rule() -> None:
    program = api.load_framework(LOCAL)
    result = api.evaluate(
        program, "member", {"targets_assigned": 10, "targets_met": 5, "task_results": "Tốt"}, period=PERIOD
    )
    assert (result.outcome.level, result.outcome.reasons) == ("not_completed", ("under_half",))
    central = api.evaluate(
        api.load_framework(CENTRAL),
        "member",
        {"targets_assigned": 10, "targets_met": 5, "task_results": "Tốt"},
        period=PERIOD,
    )
    assert central.outcome.level == "good"


def test_added_cap_applies_and_central_rules_are_kept() -> None:
    program = api.load_framework(LOCAL)
    evidence = {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt", "residence_comment_negative": True}
    result = api.evaluate(program, "member", evidence, period=PERIOD)
    assert (result.outcome.level, result.outcome.reasons) == ("completed", ("results_excellent", "residence_cap"))
    assert set(program.subjects["member"].rules) >= set(api.load_framework(CENTRAL).subjects["member"].rules)


def test_the_trace_shows_the_layer_each_rule_came_from() -> None:
    program = api.load_framework(LOCAL)
    result = api.evaluate(
        program, "member", {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt"}, period=PERIOD
    )
    files = {n.id: n.span.file for n in walk(result.trace) if n.kind is NodeKind.RULE and n.span}
    assert files["under_half"].endswith("party-local/2020-01-01.yaml")
    assert files["disciplined"].endswith("party/2019-10-18.yaml")


def test_the_program_records_the_whole_chain() -> None:
    chain = api.load_framework(LOCAL).info.chain
    assert [Path(f).name for f, _ in chain] == ["2019-10-18.yaml", "2020-01-01.yaml"]
    assert all(len(digest) == 64 for _, digest in chain)


def test_override_of_a_rule_that_does_not_exist_is_rejected(local_copy: Path) -> None:
    text = local_copy.read_text(encoding="utf-8").replace("      under_half: {when:", "      under_halff: {when:")
    local_copy.write_text(text, encoding="utf-8")
    issues = api.check_file(local_copy)
    assert [(i.code, i.hint) for i in issues] == [("unknown-override", "did you mean 'under_half'?")]


def test_new_rule_with_a_central_rule_id_must_be_an_override(local_copy: Path) -> None:
    text = local_copy.read_text(encoding="utf-8").replace(
        "      residence_negative: {when:", "      disciplined: {when:"
    )
    local_copy.write_text(text, encoding="utf-8")
    assert [i.code for i in api.check_file(local_copy)] == ["duplicate-rule"]


@pytest.mark.parametrize("reference", ["../../../../etc/passwd", "/etc/passwd", "../party/2099-01-01.yaml"])
def test_extends_outside_the_frameworks_folder_or_missing_is_rejected(local_copy: Path, reference: str) -> None:
    text = local_copy.read_text(encoding="utf-8").replace("../party/2019-10-18.yaml", reference)
    local_copy.write_text(text, encoding="utf-8")
    issues = api.check_file(local_copy)
    assert [i.code for i in issues] == ["extends-path"] and issues[0].span is not None
