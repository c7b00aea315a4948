"""Framework diff: what changed rule by rule, and who changes level when a population is replayed."""

from __future__ import annotations

from paths import FIXTURES
from xeploai import api
from xeploai.analysis import diff
from xeploai.evaluation import population

CENTRAL = api.load_framework(FIXTURES / "extension" / "party" / "2019-10-18.yaml")
LOCAL = api.load_framework(FIXTURES / "extension" / "party-local" / "2020-01-01.yaml")
PERIOD = api.parse_period(2020)


def changes_of(result: diff.FrameworkDiff, kind: str) -> dict[tuple[str, str], diff.Change]:
    found = next(k for k in result.kinds if k.kind == kind)
    return {(c.kind, c.id): c for c in found.changes}


def test_diff_lists_changed_added_and_inherited_rules() -> None:
    changes = changes_of(diff.diff_programs(CENTRAL, LOCAL), "member")
    under_half = changes[("rule", "under_half")]
    assert under_half.status == "changed"
    assert under_half.before is not None and under_half.before.startswith("targets_met < 50% * targets_assigned")
    assert under_half.after is not None and under_half.after.startswith("targets_met < 60% * targets_assigned")
    assert set(under_half.aspects) >= {"when", "cite", "confidence", "label"}
    assert changes[("rule", "residence_negative")].status == "added"
    assert changes[("cap", "residence_cap")].status == "added"
    assert changes[("field", "residence_comment_negative")].status == "added"
    assert ("rule", "disciplined") not in changes  # unchanged rules are not listed


def test_diff_of_a_framework_with_itself_is_empty() -> None:
    assert diff.diff_programs(CENTRAL, CENTRAL).empty


def _population(program):  # type: ignore[no-untyped-def]
    data = {
        "units": [{"id": "C1", "parent": None, "kind": "grassroots_cell", "name": "Chi bộ"}],
        "subjects": [
            {
                "id": "A",
                "unit": "C1",
                "kind": "member",
                "evidence": {"targets_assigned": 10, "targets_met": 5, "task_results": "Tốt"},
            },
            {
                "id": "B",
                "unit": "C1",
                "kind": "member",
                "evidence": {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt"},
            },
            {
                "id": "C",
                "unit": "C1",
                "kind": "member",
                "evidence": {
                    "targets_assigned": 10,
                    "targets_met": 9,
                    "task_results": "Tốt",
                    "residence_comment_negative": True,
                },
            },
        ],
    }
    return population.evaluate_population(program, population.from_document(data), PERIOD)


def test_replay_lists_who_changes_and_why_with_a_matrix() -> None:
    replayed = diff.replay(_population(CENTRAL), _population(LOCAL))
    moved = {m.subject_id: m for m in replayed.moved}
    assert set(moved) == {"A"}  # C's row is rejected under the central framework (unknown field)
    assert (moved["A"].before, moved["A"].after) == ("good", "not_completed")
    assert moved["A"].reasons_after == ("under_half",) and "under_half" in moved["A"].rules_changed
    assert replayed.matrix["good"]["not_completed"] == 1 and replayed.matrix["good"]["good"] == 1
    assert replayed.only_after == ("C",)


def test_text_and_json_renderings_carry_the_same_changes() -> None:
    changes = diff.diff_programs(CENTRAL, LOCAL)
    replayed = diff.replay(_population(CENTRAL), _population(LOCAL))
    text = diff.to_text(changes, replayed, diff.level_codes([CENTRAL, LOCAL]))
    assert "~ rule under_half" in text and "A Đảng viên" not in text and "HTT → KHT" in text
    data = diff.to_json(changes, replayed)
    member = next(k for k in data["kinds"] if k["kind"] == "member")  # type: ignore[union-attr]
    assert {c["id"] for c in member["changes"]} >= {"under_half", "residence_cap"}
    assert data["replay"]["matrix"]["good"]["not_completed"] == 1  # type: ignore[index]
