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
    assert {r["subject"] for r in rows} == {"c2", "d1"}
    first = next(r for r in rows if r["reading"] == "quota_rounding")
    assert first["default"] == "floor (floor)" and str(first["option_source"]).startswith("hd03")
