"""Named readings: the population under every reading, and the subjects whose result depends on it."""

from __future__ import annotations

from process_setup import run
from xeploai.analysis import readings

RUN = run()


def _runs() -> dict[tuple[str, str], readings.ReadingRun]:
    _, runs = readings.evaluate_readings(RUN.program, RUN.population, RUN.result.period)
    return {(r.reading.id, r.option.id): r for r in runs}


RUNS = _runs()


def test_a_quota_whose_result_changes_with_the_rounding_reading() -> None:
    run = RUNS["quota_rounding", "half_up"]
    assert [(d.subject, d.default, d.other) for d in run.differences] == [("c2", "HTT", "HTXS")]
    [group] = [g for g in run.groups if g.group == "to_2"]
    assert (group.base, group.allowed, group.kept) == (8, 2, ("c1", "c2"))
    assert run.option.cite.doc == "hd03" and run.reading.option(run.reading.default).cite.doc == "qd366"
    assert "members_excellent@to_2" in run.differences[0].quotas


def test_the_denominator_of_htt_and_above_counts_the_candidates() -> None:
    run = RUNS["quota_denominator", "htt_and_above"]
    [group] = [g for g in run.groups if g.group == "to_2"]
    assert (group.base, group.allowed) == (10, 2)
    assert [d.subject for d in run.differences] == ["c2"]


def test_rounding_scores_after_summing_changes_a_level() -> None:
    assert [d.subject for d in RUNS["score_rounding", "total"].differences] == ["d1"]
    assert not RUNS["score_rounding", "each"].differences


def test_rows_name_both_readings_and_their_sources() -> None:
    rows = readings.readings_rows(list(RUNS.values()))
    assert {r.get("subject") for r in rows} == {"c2", "d1", None}
    first = next(r for r in rows if r["reading"] == "quota_rounding = half_up")
    # labels and document numbers, not ids (it was "floor (floor)" and "hd03, …")
    assert first["default"] == "Làm tròn xuống" and first["option"] == "Từ 0,5 trở lên thành 1"
    assert str(first["option_source"]).startswith("03-HD/TVĐU") and str(first["default_source"]).startswith("366-QĐ/TW")


def test_every_reading_has_a_total_row() -> None:
    rows = readings.readings_rows(list(RUNS.values()))
    totals = {r["reading"]: r["changed"] for r in rows if "changed" in r}
    assert totals == {
        "quota_rounding = half_up": 1,
        "quota_denominator = htt_and_above": 1,
        "score_rounding = each": 0,
        "score_rounding = total": 1,
    }
    assert next(r for r in rows if r.get("changed") == 0)["name"] == "Tổng cộng: 0 người thay đổi"


def test_the_readings_taken_together() -> None:
    _, runs = readings.evaluate_readings(RUN.program, RUN.population, RUN.result.period, combine=True)
    combined = {r.name: r for r in runs if r.combined}
    assert len(combined) == 2  # 1 rounding × 1 denominator × 2 score options
    both = combined["quota_rounding = half_up + quota_denominator = htt_and_above + score_rounding = total"]
    assert {d.subject for d in both.differences} == {"c2", "d1"}
    [group] = [g for g in both.groups if g.group == "to_2"]
    assert (group.base, group.allowed) == (10, 2)
