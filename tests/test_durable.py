"""The durable-rules runner: events keep outcomes current, and every outcome is the interpreter's.

durable_rules is native code that can take the process down (its traps are listed in the module's docstring), so
every test that loads it runs in a child pytest process started by ``test_durable_runner_in_a_subprocess``: a
crash there fails that one test instead of ending the run. In the parent those tests are skipped with that reason.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import HD21, ROOT
from strategies import evidence
from xeploai import api
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.runners import durable, interpreter
from xeploai.evaluation.runners.durable import DurableError, DurableRunner, DurableUnavailableError, Event, Op
from xeploai.evaluation.trace import Decision, Status, Truth
from xeploai.program import ir
from xeploai.program.issues import EvidenceError

CHILD = os.environ.get("XEPLOAI_DURABLE_CHILD") == "1"
in_child = pytest.mark.skipif(not CHILD, reason="loads durable_rules: runs in the child process of the test below")

HD21_PROGRAM = api.load_framework(HD21)
PERIOD = api.parse_period(2020)
FRAMEWORKS = sorted(p for p in (ROOT / "frameworks").glob("*/*.yaml") if not p.name.endswith(".tests.yaml"))
PROGRAMS = {str(p.relative_to(ROOT)): api.load_framework(p) for p in FRAMEWORKS}
# Every individual kind of every bundled framework: what the durable runner accepts.
KINDS = [(name, kind) for name, prog in PROGRAMS.items() for kind, s in prog.subjects.items() if not s.relations]
IN_YEAR = {"form": "Khiển trách", "decided_on": "2020-05-04"}
MEMBER: dict[str, object] = {
    "exempted": False,
    "suspended": False,
    "months_since_admission": 98,
    "is_civil_servant": False,
    "degradation_concluded": False,
    "targets_assigned": 10,
    "targets_met": 10,
    "discipline": [],
    "sick_leave_months": 0,
    "political_ideology": "Tốt",
    "ethics_lifestyle": "Tốt",
    "discipline_awareness": "Tốt",
    "working_style": "Tốt",
    "task_results": "Tốt",
    "remedying_shortcomings": "Tốt",
    "exemplary_with_products": False,
}

_runners: dict[tuple[str, str], DurableRunner] = {}
_ids = itertools.count(1)


def runner_for(name: str, kind: str) -> DurableRunner:
    """One runner per framework and kind for the whole child process: runners are few and long-lived."""
    if (name, kind) not in _runners:
        _runners[(name, kind)] = DurableRunner(PROGRAMS[name], kind, PERIOD)
    return _runners[(name, kind)]


def expected_trace(program: ir.Program, kind: str, raw: dict[str, object]) -> object:
    typed = validate_evidence(program, kind, raw)
    return interpreter.evaluate(program, kind, typed.values, typed.origins, PERIOD)


# --- in the parent: no native code ---------------------------------------------------------------------------------


def test_durable_runner_in_a_subprocess() -> None:
    if CHILD:
        pytest.skip("this is the child process")
    paths = [str(ROOT / "src"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "XEPLOAI_DURABLE_CHILD": "1", "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    # Importing native code can itself crash: try it in a process of its own first.
    probe = [sys.executable, "-c", "import durable.engine, durable_rules_engine"]
    tried = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=120, check=False)
    if tried.returncode != 0:
        why = (tried.stderr.strip().splitlines() or [f"exit status {tried.returncode}"])[-1]
        pytest.skip(f"durable_rules cannot be imported ({why}); pip install 'xeploai[durable]'")
    command = [
        sys.executable,
        "-m",
        "pytest",
        __file__,
        "-o",
        "addopts=--strict-markers",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    output = (done.stdout + done.stderr)[-6000:]
    if done.returncode < 0:
        pytest.fail(f"the child process was killed by {signal.Signals(-done.returncode).name}:\n{output}")
    assert done.returncode == 0, output
    assert " passed" in done.stdout, output


def test_the_module_imports_without_durable_rules_and_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)
    with pytest.raises(DurableUnavailableError, match=r"pip install 'xeploai\[durable\]'"):
        DurableRunner(HD21_PROGRAM, "party_member", PERIOD)


def test_fields_read_follow_every_rule_cap_and_note_of_hd21_members() -> None:
    readers = durable.fields_read(HD21_PROGRAM.subjects["party_member"])
    assert readers["discipline"] == ("disciplined_in_year",)
    assert readers["sick_leave_months"] == ("sick_leave_cap",)
    assert readers["maternity_leave_months"] == ("maternity_actual_time",)
    assert set(readers["task_results"]) == {"task_results_excellent", "task_results_good", "all_criteria_average"}
    assert "targets_exceeded" not in readers  # only ranks candidates of a quota: it never changes an outcome


def test_messages_carry_typed_values_that_compare_as_numbers() -> None:
    assert durable.plain(Fraction(7)) == 7 and isinstance(durable.plain(Fraction(7)), int)
    assert durable.plain(Fraction(7, 2)) == 3.5
    grade = HD21_PROGRAM.scales["grade"]
    assert durable.plain(grade.ordinal("excellent")) > durable.plain(grade.ordinal("good"))
    assert durable.plain(date(2020, 5, 4)) == "2020-05-04"
    assert durable.plain(True) is True


def test_a_kind_that_reads_related_subjects_is_refused() -> None:
    with pytest.raises(ValueError, match="related subjects"):
        DurableRunner(HD21_PROGRAM, "party_cell", PERIOD)


def test_an_unknown_kind_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="did you mean 'party_member'"):
        DurableRunner(HD21_PROGRAM, "party_membr", PERIOD)


# --- in the child: durable_rules loaded ----------------------------------------------------------------------------


@in_child
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_durable_runner_agrees_with_the_interpreter_on_random_subjects(data: st.DataObject) -> None:
    name, kind = data.draw(st.sampled_from(KINDS))
    program = PROGRAMS[name]
    raws = data.draw(st.lists(evidence(program, kind), min_size=1, max_size=4))
    runner = runner_for(name, kind)
    for raw in raws:
        subject = f"s{next(_ids)}"
        try:
            expected = expected_trace(program, kind, raw)
        except EvidenceError:
            with pytest.raises(EvidenceError):
                runner.post(Event(subject, Op.LOAD, value=raw))
            continue
        update = runner.post(Event(subject, Op.LOAD, value=raw))
        assert update.trace == expected  # levels, statuses, every condition's truth, unknowns and missing fields
        assert runner.trace(subject) == expected


def _events(subjects: list[str]) -> st.SearchStrategy[Event]:
    kind = "party_member"
    fields = [f.id for f in HD21_PROGRAM.subjects[kind].fields]
    one_field = evidence(HD21_PROGRAM, kind).filter(bool).flatmap(lambda raw: st.sampled_from(sorted(raw.items())))
    record = st.fixed_dictionaries(
        {"form": st.sampled_from(["Khiển trách", "Cảnh cáo", "Cách chức"]), "decided_on": st.dates().map(str)},
        optional={"counted_before": st.booleans()},
    )
    who = st.sampled_from(subjects)
    return st.one_of(
        st.builds(lambda s, raw: Event(s, Op.LOAD, value=raw), who, evidence(HD21_PROGRAM, kind)),
        st.builds(lambda s, kv: Event(s, Op.SET, kv[0], kv[1]), who, one_field),
        st.builds(lambda s, f: Event(s, Op.WITHDRAW, f), who, st.sampled_from(fields)),
        st.builds(lambda s, r: Event(s, Op.ADD_RECORD, "discipline", r), who, record),
    )


def _model(raws: dict[str, dict[str, object]], event: Event) -> dict[str, object]:
    raw = dict(raws.get(event.subject, {}))
    if event.op is Op.LOAD:
        assert isinstance(event.value, dict)
        return dict(event.value)
    if event.op is Op.SET:
        raw[event.field] = event.value
    elif event.op is Op.WITHDRAW:
        raw.pop(event.field, None)
    else:
        before = raw.get(event.field, [])
        assert isinstance(before, list)
        raw[event.field] = [*before, event.value]
    return raw


@in_child
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_events_in_any_order_leave_each_member_as_the_interpreter_classifies_its_evidence(
    data: st.DataObject,
) -> None:
    runner = runner_for("frameworks/party/2019-10-18.yaml", "party_member")
    subjects = [f"e{next(_ids)}" for _ in range(3)]
    raws: dict[str, dict[str, object]] = {}
    for event in data.draw(st.lists(_events(subjects), max_size=12)):
        candidate = _model(raws, event)
        try:
            validate_evidence(HD21_PROGRAM, "party_member", candidate)
        except EvidenceError:
            with pytest.raises(EvidenceError):
                runner.post(event)
            continue
        update = runner.post(event)
        raws[event.subject] = candidate
        assert update.trace == expected_trace(HD21_PROGRAM, "party_member", candidate)
    for subject, raw in raws.items():
        assert runner.trace(subject) == expected_trace(HD21_PROGRAM, "party_member", raw)


@in_child
def test_a_disciplinary_decision_in_the_year_makes_the_member_not_completed() -> None:
    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        assert runner.post(Event("dv1", Op.LOAD, value=MEMBER)).outcome.level == "good"
        update = runner.post(Event("dv1", Op.ADD_RECORD, "discipline", IN_YEAR))
        assert (update.outcome.level, update.outcome.decision) == ("not_completed", Decision.TRIGGER)
        assert update.previous is not None and update.previous.level == "good"
        assert update.affected == ("disciplined_in_year",)
        assert update.changed == ("disciplined_in_year",)


@in_child
def test_completed_targets_arriving_one_by_one_update_the_outcome() -> None:
    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        start = {k: v for k, v in MEMBER.items() if k != "targets_met"}
        first = runner.post(Event("dv1", Op.LOAD, value=start))
        assert first.outcome.status is Status.INSUFFICIENT_EVIDENCE
        assert "targets_met" in first.outcome.missing
        assert runner.post(Event("dv1", Op.SET, "targets_met", 4)).outcome.level == "not_completed"
        update = runner.post(Event("dv1", Op.SET, "targets_met", 9))
        assert update.outcome.level == "good"
        assert update.changed == ("targets_under_half",)


@in_child
def test_an_event_on_a_field_no_condition_reads_does_not_recompute() -> None:
    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        before = runner.post(Event("dv1", Op.LOAD, value=MEMBER))
        update = runner.post(Event("dv1", Op.SET, "targets_exceeded", 2))
        assert not update.recomputed and update.affected == () and update.changed == ()
        assert update.trace is before.trace
        assert runner.evidence("dv1").values["targets_exceeded"] == Fraction(2)


@in_child
def test_invalid_evidence_is_rejected_naming_the_event_and_the_batch_changes_nothing() -> None:
    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        runner.post(Event("dv1", Op.LOAD, value=MEMBER))
        batch = [Event("dv1", Op.SET, "targets_met", 3), Event("dv1", Op.SET, "targets_met", 11)]
        with pytest.raises(EvidenceError, match="exceeds") as caught:
            runner.post_batch(batch)
        assert "set targets_met of subject 'dv1'" in caught.value.source
        with pytest.raises(EvidenceError, match="did you mean 'task_results'"):
            runner.post(Event("dv1", Op.WITHDRAW, "task_result"))
        assert runner.outcome("dv1").level == "good"
        assert runner.evidence("dv1").values["targets_met"] == Fraction(10)


@in_child
def test_an_exception_inside_an_action_is_raised_to_the_caller_and_nothing_changes() -> None:
    class Exploding(list[tuple[int, str]]):
        def append(self, item: tuple[int, str]) -> None:
            raise RuntimeError("boom inside the action")

    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        runner.post(Event("dv1", Op.LOAD, value=MEMBER))
        runner._routed = Exploding()
        with pytest.raises(DurableError, match="boom inside the action") as caught:
            runner.post(Event("dv1", Op.ADD_RECORD, "discipline", IN_YEAR))
        assert isinstance(caught.value.__cause__, RuntimeError)
        assert runner.outcome("dv1").level == "good"
        runner._routed = []
        assert runner.post(Event("dv1", Op.ADD_RECORD, "discipline", IN_YEAR)).outcome.level == "not_completed"


@in_child
def test_a_batch_returns_only_when_every_event_is_routed_with_no_background_thread() -> None:
    threads = threading.active_count()
    with DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as runner:
        assert threading.active_count() == threads
        # More subjects than the 1,024 sessions a durable_rules ruleset can index: one session serves them all.
        members = {f"m{i}": {**MEMBER, "targets_met": i % 11} for i in range(1500)}
        updates = runner.load(members)
        events = [Event(f"m{i}", Op.ADD_RECORD, "discipline", IN_YEAR) for i in range(0, 1500, 3)]
        discipline = runner.post_batch(events)
        assert threading.active_count() == threads
    assert [u.subject for u in updates] == list(members)
    assert all(u.trace == expected_trace(HD21_PROGRAM, "party_member", members[u.subject]) for u in updates)
    assert len(discipline) == 500 and {u.outcome.level for u in discipline} == {"not_completed"}
    assert all(u.events == (1500 + 1 + n,) for n, u in enumerate(discipline))


@in_child
def test_runners_have_unique_names_and_do_not_see_each_other() -> None:
    with (
        DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as one,
        DurableRunner(HD21_PROGRAM, "party_member", PERIOD) as two,
    ):
        assert one.name != two.name
        one.post(Event("dv1", Op.LOAD, value=MEMBER))
        two.post(Event("dv1", Op.LOAD, value={**MEMBER, "exempted": True}))
        assert one.outcome("dv1").level == "good"
        assert two.outcome("dv1").status is Status.NOT_CLASSIFIED
        assert one.trace("dv1").children[0].truth is Truth.NOT_MET


@in_child
def test_closed_runners_free_their_rulesets_and_open_ones_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(200):  # far more rulesets than may live at once: closing frees each one
        DurableRunner(HD21_PROGRAM, "party_member", PERIOD).close()
    monkeypatch.setattr(durable, "MAX_LIVE_RUNNERS", durable._live + 2)
    first = DurableRunner(HD21_PROGRAM, "party_member", PERIOD)
    second = DurableRunner(HD21_PROGRAM, "party_member", PERIOD)
    with pytest.raises(DurableError, match="close some first"):
        DurableRunner(HD21_PROGRAM, "party_member", PERIOD)
    first.close()
    first.close()
    with pytest.raises(DurableError, match="closed"):
        first.post(Event("dv1", Op.LOAD, value=MEMBER))
    DurableRunner(HD21_PROGRAM, "party_member", PERIOD).close()
    second.close()
