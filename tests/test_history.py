"""Case histories: an append-only, hash-chained file whose tampering is found line by line; re-evaluation of
corrected evidence with the diff of the two explanations."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from paths import HD21, ROOT
from xeploai import api
from xeploai.evaluation.trace import Truth
from xeploai.explanation.history import (
    HISTORY_SCHEMA_VERSION,
    KINDS,
    CaseHistory,
    HistoryError,
    apply_corrections,
    entry_hash,
    reevaluate,
)
from xeploai.program.issues import EvidenceError

MEMBERS = ROOT / "examples" / "members"
T0 = "2021-01-{day:02d}T09:00:00+07:00"


@pytest.fixture
def history(tmp_path: Path) -> CaseHistory:
    """A history of five entries, one of each kind, in the order a dispute goes."""
    case = CaseHistory(tmp_path / "case.jsonl")
    for day, kind in enumerate(KINDS, 1):
        case.append(kind, f"actor {day}", f"entry of kind {kind}", {"day": day, "note": "Tốt"}, T0.format(day=day))
    return case


def lines_of(case: CaseHistory) -> list[str]:
    return case.path.read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(case: CaseHistory, lines: list[str]) -> None:
    case.path.write_text("".join(lines), encoding="utf-8")


def problems(case: CaseHistory, head: str | None = None) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in case.verify(head)]


# --- the chain ---------------------------------------------------------------------------------------------


def test_an_appended_history_verifies_and_chains_each_entry_to_the_one_before(history: CaseHistory) -> None:
    entries = history.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert [e.kind for e in entries] == list(KINDS)
    assert entries[0].prev_hash is None
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert all(e.hash == entry_hash(e.body()) for e in entries)
    assert history.verify() == []
    assert history.verify(head=entries[-1].hash) == []
    assert history.head() == entries[-1].hash


def test_each_line_is_canonical_json_with_the_documented_fields(history: CaseHistory) -> None:
    first = json.loads(lines_of(history)[0])
    assert list(first) == sorted(first)
    assert set(first) == {"schema", "seq", "time", "kind", "actor", "text", "data", "prev_hash", "hash"}
    assert first["schema"] == HISTORY_SCHEMA_VERSION
    assert first["time"] == "2021-01-01T09:00:00+07:00"
    assert "Tốt" in lines_of(history)[0]  # UTF-8, not escapes


def test_appending_never_rewrites_earlier_lines(history: CaseHistory) -> None:
    before = history.path.read_bytes()
    history.append("decision", "upper committee", "confirmed", {}, "2021-02-01")
    after = history.path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    assert history.verify() == []


def test_a_missing_file_is_an_empty_history(tmp_path: Path) -> None:
    case = CaseHistory(tmp_path / "none.jsonl")
    assert case.entries() == [] and case.verify() == [] and case.head() is None
    entry = case.append("original", "cell", "HTT", None, "2021-01-01")
    assert (entry.seq, entry.prev_hash) == (1, None)


@pytest.mark.parametrize("special", ["device", "fifo"])
def test_a_history_that_is_no_regular_file_is_refused_without_reading_it(tmp_path: Path, special: str) -> None:
    path = tmp_path / "case.jsonl"
    if special == "device":
        path.symlink_to("/dev/zero")  # read until memory runs out
    else:
        os.mkfifo(path)  # blocks until someone writes
    case = CaseHistory(path)
    for call in (case.entries, case.head, lambda: case.append("appeal", "a", "x", None, "2021-01-01")):
        with pytest.raises(HistoryError) as caught:
            call()
        assert "not a regular file" in str(caught.value)
    assert [p.code for p in case.verify()] == ["history-unreadable"]


def test_append_refuses_unknown_kinds_bad_times_and_non_json_data(tmp_path: Path) -> None:
    case = CaseHistory(tmp_path / "case.jsonl")
    with pytest.raises(ValueError, match="unknown entry kind 'complaint'"):
        case.append("complaint", "a", "b", {}, "2021-01-01")
    with pytest.raises(ValueError, match="not an ISO 8601"):
        case.append("appeal", "a", "b", {}, "15/03/2021")
    with pytest.raises(ValueError, match=r"data\.x is of type object"):
        case.append("appeal", "a", "b", {"x": object()}, "2021-01-01")
    assert not case.path.exists() or case.path.read_bytes() == b""


# --- tampering -------------------------------------------------------------------------------------------


def test_an_edited_line_is_named(history: CaseHistory) -> None:
    lines = lines_of(history)
    lines[2] = lines[2].replace("entry of kind evidence_added", "entry of kind evidence_forged")
    write_lines(history, lines)
    assert problems(history) == [(3, "line-edited")]
    [problem] = history.verify()
    assert "Line 3 (entry 3) was edited" in problem.message.en
    assert "Dòng 3 (mục 3) đã bị sửa" in problem.message.vi


def test_an_edited_line_with_a_recomputed_hash_breaks_the_link_of_the_next(history: CaseHistory) -> None:
    lines = lines_of(history)
    data = json.loads(lines[2])
    data["text"] = "rewritten"
    data["hash"] = entry_hash(data)
    lines[2] = json.dumps(data, ensure_ascii=False) + "\n"
    write_lines(history, lines)
    assert problems(history) == [(4, "chain-broken")]


def test_a_deleted_line_is_named(history: CaseHistory) -> None:
    lines = lines_of(history)
    del lines[2]
    write_lines(history, lines)
    assert problems(history) == [(3, "entry-missing")]
    assert "Entry 3 is missing before line 3" in history.verify()[0].message.en


def test_swapped_lines_are_named(history: CaseHistory) -> None:
    lines = lines_of(history)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(history, lines)
    found = problems(history)
    assert (3, "entry-out-of-order") in found
    assert {line for line, _ in found} <= {2, 3, 4} and 2 in {line for line, _ in found}


def test_an_inserted_line_is_named(history: CaseHistory) -> None:
    lines = lines_of(history)
    forged = json.loads(lines[1])
    forged["text"] = "a statement nobody made"
    forged["hash"] = entry_hash(forged)
    lines.insert(2, json.dumps(forged, ensure_ascii=False) + "\n")
    write_lines(history, lines)
    assert problems(history) == [(3, "entry-duplicated"), (4, "chain-broken")]


def test_lines_cut_off_the_end_need_the_head(history: CaseHistory) -> None:
    head = history.head()
    write_lines(history, lines_of(history)[:-1])
    assert history.verify() == []  # a chain alone cannot know it was longer
    assert problems(history, head) == [(4, "head-mismatch")]


def test_malformed_blank_and_unterminated_lines_are_named(history: CaseHistory) -> None:
    lines = lines_of(history)
    write_lines(history, [*lines[:2], "\n", "not json\n", *lines[2:4], lines[4].rstrip("\n")])
    found = problems(history)
    assert (3, "line-malformed") in found and (4, "line-malformed") in found
    assert (7, "line-unterminated") in found
    with pytest.raises(HistoryError):
        history.entries()


def test_append_refuses_to_extend_a_broken_history(history: CaseHistory) -> None:
    lines = lines_of(history)
    del lines[1]
    write_lines(history, lines)
    with pytest.raises(HistoryError, match="entry-missing"):
        history.append("decision", "committee", "final", {}, "2021-03-01")


def test_an_unreadable_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    case = CaseHistory(tmp_path / "case.jsonl")
    case.path.write_bytes(b'{"seq": 1}\n\xff\xfe\n')
    # every line is read on its own: the first (not an entry) is named as well as the second (not UTF-8)
    assert problems(case) == [(1, "line-malformed"), (2, "line-malformed")]
    directory = CaseHistory(tmp_path)
    assert [p.code for p in directory.verify()] == ["history-unreadable"]


# --- re-evaluation ---------------------------------------------------------------------------------------


def evaluated(name: str) -> tuple[api.Program, api.Result, dict[str, object]]:
    program = api.load_framework(HD21)
    ev = api.load_evidence_file(MEMBERS / name)
    assert ev.period is not None
    result = api.evaluate(
        program, ev.kind, ev.evidence, period=ev.period, subject_id=ev.subject_id, subject_name=ev.name
    )
    return program, result, dict(ev.evidence)


def test_corrected_sick_leave_lifts_the_cap_and_the_diff_names_evidence_and_cap() -> None:
    program, original, evidence = evaluated("le-van-cuong.yaml")
    assert original.outcome.level == "completed"
    new, diff = reevaluate(program, original, evidence, {"sick_leave_months": 2}, original.period)
    assert new.outcome.level == "good"
    assert diff.level == ("completed", "good") and diff.level_codes == ("HT", "HTT")
    assert diff.changed
    assert "sick_leave_cap" in diff.reasons_removed
    assert [(c.field, c.old, c.new) for c in diff.evidence] == [("sick_leave_months", 4, 2)]
    changes = {(r.kind, r.id): (r.old, r.new) for r in diff.rules}
    assert changes[("cap", "sick_leave_cap")] == (Truth.MET, Truth.NOT_MET)
    text = diff.to_text("en")
    assert "Level: HT → HTT" in text and "Evidence sick_leave_months: 4 → 2" in text
    assert "Mức xếp loại: HT → HTT" in diff.to_text()


def test_a_discipline_decided_in_an_earlier_year_no_longer_makes_the_member_kht() -> None:
    program, original, evidence = evaluated("tran-thi-binh.yaml")
    assert original.outcome.level == "not_completed"
    earlier_only = [{"form": "Khiển trách", "decided_on": "2019-11-26"}]
    new, diff = reevaluate(program, original, evidence, {"discipline": earlier_only}, original.period)
    assert new.outcome.level != "not_completed"
    assert diff.level is not None and diff.level[0] == "not_completed"
    assert "disciplined_in_year" in diff.reasons_removed
    assert ("rule", "disciplined_in_year") in {(r.kind, r.id) for r in diff.rules}
    assert [c.field for c in diff.evidence] == ["discipline"]
    json.dumps(diff.to_json(), ensure_ascii=False)  # history-ready


def test_no_correction_changes_nothing() -> None:
    program, original, evidence = evaluated("nguyen-van-an.yaml")
    new, diff = reevaluate(program, original, evidence, {"targets_met": 12.0}, original.period)
    assert new.outcome == original.outcome
    assert not diff.changed and diff.rules == () and diff.evidence == ()
    assert diff.to_text("en") == "Nothing changed.\n"


def test_removing_a_field_makes_it_unknown_and_the_outcome_insufficient() -> None:
    program, original, evidence = evaluated("nguyen-van-an.yaml")
    assert apply_corrections({"a": 1, "b": 2}, {"a": None, "c": 3}) == {"b": 2, "c": 3}
    new, diff = reevaluate(program, original, evidence, {"task_results": None}, original.period)
    assert new.outcome.status.value == "insufficient_evidence"
    assert diff.status == ("classified", "insufficient_evidence")
    assert "task_results" in diff.missing_added
    assert any(r.new is Truth.UNKNOWN for r in diff.rules)


def test_corrections_that_do_not_fit_are_an_evidence_error() -> None:
    program, original, evidence = evaluated("nguyen-van-an.yaml")
    with pytest.raises(EvidenceError):
        reevaluate(program, original, evidence, {"targets_met": "many"}, original.period)


def test_a_whole_dispute_is_recorded_and_verifies(tmp_path: Path) -> None:
    program, original, evidence = evaluated("le-van-cuong.yaml")
    case = CaseHistory(tmp_path / "DV-0003.jsonl")
    case.append("original", "chi bộ", "HT", {"outcome": original.outcome.level, "evidence": evidence}, "2021-01-05")
    case.append("appeal", "Lê Văn Cường", "Thời gian nghỉ ốm là 2 tháng", {}, "2021-01-10")
    corrections = {"sick_leave_months": 2}
    case.append("evidence_added", "Lê Văn Cường", "Giấy xác nhận", {"corrections": corrections}, "2021-01-10")
    new, diff = reevaluate(program, original, evidence, corrections, original.period)
    case.append("re_evaluated", "ban tổ chức", diff.to_text(), {"diff": diff.to_json()}, "2021-01-15")
    case.append("decision", "ban thường vụ", "Công nhận HTT", {"level": new.outcome.level}, "2021-01-20")
    assert case.verify() == []
    stored = case.entries()[3].data["diff"]
    assert stored["level"] == {"old": "completed", "new": "good"}
    assert stored["evidence"] == [{"field": "sick_leave_months", "old": 4, "new": 2}]


def test_an_appeal_replays_the_receipt_reevaluates_and_seals_the_new_result(tmp_path: Path) -> None:
    """The flow ``xeploai appeal`` follows: replay the original receipt, apply corrections, seal the new result."""
    from xeploai.explanation.receipt import make_receipt, read_evidence_json
    from xeploai.explanation.verifier import verify

    program, original, evidence = evaluated("nguyen-van-an.yaml")
    first = tmp_path / "original.json"
    first.write_text(make_receipt(original, program, evidence, evidence_source=None).to_json(), encoding="utf-8")
    checked = verify(first)
    assert checked.ok and checked.program is not None and checked.replayed is not None and checked.receipt
    stored = read_evidence_json(checked.receipt.evidence_json)
    corrections = {"sick_leave_months": 1.5}
    new, diff = reevaluate(checked.program, checked.replayed, stored, corrections)
    assert [(c.field, c.old, c.new) for c in diff.evidence] == [("sick_leave_months", stored["sick_leave_months"], 1.5)]
    assert diff.to_json()["evidence"] == [{"field": "sick_leave_months", "old": 0.5, "new": 1.5}]
    second = tmp_path / "re-evaluated.json"
    sealed = make_receipt(new, checked.program, apply_corrections(stored, corrections), evidence_source="appeal")
    second.write_text(sealed.to_json(), encoding="utf-8")
    assert verify(second).ok


def test_a_line_that_repeats_a_key_is_malformed(history: CaseHistory) -> None:
    lines = lines_of(history)
    lines[2] = lines[2].replace('{"actor":', '{"actor":"someone else","actor":', 1)
    write_lines(history, lines)
    assert (3, "line-malformed") in problems(history)
    assert "appears twice" in str(history.verify()[0])


def test_a_byte_order_mark_before_the_first_line_is_read_past(history: CaseHistory) -> None:
    history.path.write_bytes(b"\xef\xbb\xbf" + history.path.read_bytes())
    assert problems(history) == []
    history.append("decision", "committee", "final", {}, "2021-03-01")
    assert problems(history) == []
