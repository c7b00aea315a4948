"""The durable-rules runner: events about subjects' evidence → each touched subject's outcome, kept current.

Input: an ``ir.Program``, one subject kind that reads no related subjects, the period, then ``Event`` records as
they arrive during the year (a subject's evidence loaded, a field set or withdrawn, a record such as a disciplinary
decision added). Output: an ``Update`` per touched subject carrying its recomputed trace, whose root is the outcome.

What durable_rules (an optional dependency, imported only when a runner is made) does here, and what it does not:

* It routes. The kind is compiled into one durable_rules ruleset with a rule per declared evidence field and one
  for a whole-evidence load; every event is posted to it, its Rete network matches the event to the rule of its
  field, and that rule's action records the event. From the IR we know which rules, caps and notes read each field
  (through rule references too): an event on a field that none of them reads leaves the outcome as it was.
* It does not evaluate. Its conditions are two-valued (an absent attribute just fails to match), cannot express
  ``exists`` over records or dates in a period, and compare strings with numbers when given mixed types. So the
  three-valued evaluation stays with the interpreter: every recomputed trace *is* the interpreter's trace for the
  subject's evidence, and the two runners agree by construction. Evidence is validated and typed by
  ``evaluation.evidence`` in the caller's thread before anything is posted; messages carry typed, normalised values
  (numbers as numbers, scale and enum values as their rank, dates as ISO text) that no condition compares.

Its traps, and how this module avoids them:

* One process-wide ruleset registry (``durable.lang``'s host): not used. Each runner builds its own ruleset, under
  a name unique in the process, and deletes it on ``close``.
* A ruleset indexes at most 1,024 sessions and corrupts memory beyond (the process crashes later): each runner
  uses a single session, whatever the number of subjects, whose state lives here keyed by subject id; at most
  ``MAX_LIVE_RUNNERS`` runners exist at once in a process.
* ``durable.engine.Host`` starts timer threads that run actions in the background, so ``post_batch`` may return
  before they ran: no host is created; actions run in the caller's thread, and a batch returns only when every one
  of its events has been routed (checked by sequence number), or raises.
* Exceptions raised inside actions are swallowed into the session state: actions here catch everything, and the
  caller re-raises it as ``DurableError``.
* A message attribute named ``id`` is taken as the message's identity (a rule testing it never returned in our
  trials): messages name the subject ``subject``.

A runner keeps each subject's evidence and trace, to apply the next event and to say which rules changed: tens of
KiB per subject, so a province fits in memory and the whole country does not (use the columnar runner for that).
"""

from __future__ import annotations

import enum
import importlib
import itertools
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, assert_never

from xeploai.evaluation.evidence import Evidence, validate_evidence
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.trace import NodeKind, Outcome, TraceNode, Truth, walk
from xeploai.program import ir
from xeploai.program.issues import EvidenceError, Issue, did_you_mean, suggest

# durable_rules keeps every ruleset in one process-wide table of native handles; a runner holds one ruleset.
MAX_LIVE_RUNNERS = 64
_BATCH = 1000  # events per native call: bounded message size, and a bounded amount of work between checks
_SESSION = "xeploai"  # the one durable_rules session of a runner (sessions are capped at 1,024 per ruleset)
_LOAD = "$load"  # the routing key of whole-evidence loads (no field id starts with "$")

_live_lock = threading.Lock()
_live = 0
_names = itertools.count(1)


class DurableError(RuntimeError):
    """durable_rules failed, or did not route every event of a batch; no subject's state was changed."""


class DurableUnavailableError(ImportError):
    """The optional dependency durable_rules is not installed."""


class Op(enum.StrEnum):
    LOAD = "load"  # the subject's whole evidence (a mapping as in an evidence file), replacing what was known
    SET = "set"  # one field takes a value
    WITHDRAW = "withdraw"  # one field is withdrawn: it is missing again (or takes its default)
    ADD_RECORD = "add_record"  # one record, such as a disciplinary decision, is added to a records field


@dataclass(frozen=True, slots=True)
class Event:
    """Something learnt about one subject. ``value`` is raw, as in an evidence file: the whole evidence for
    ``LOAD``, the field's value for ``SET``, one record (a mapping) for ``ADD_RECORD``; unused for ``WITHDRAW``."""

    subject: str
    op: Op
    field: str = ""
    value: object = None


@dataclass(frozen=True, slots=True)
class Update:
    """A subject's outcome after the events of a batch that concern it."""

    subject: str
    trace: TraceNode  # the interpreter's trace for the subject's current evidence; its root carries the outcome
    previous: Outcome | None  # before the batch; None for a subject seen for the first time
    events: tuple[int, ...]  # sequence numbers of the events applied, in order
    affected: tuple[str, ...]  # rules, caps and notes reading a field the events touched (all for a load)
    changed: tuple[str, ...]  # rules and caps whose truth differs from before (every one for a new subject)
    recomputed: bool  # False when no event touched a field that any rule, cap or note reads

    @property
    def outcome(self) -> Outcome:
        assert self.trace.outcome is not None
        return self.trace.outcome


@dataclass
class _Subject:
    raw: dict[str, object]
    evidence: Evidence
    trace: TraceNode


@dataclass
class _Staged:
    raw: dict[str, object]
    evidence: Evidence
    events: list[int]
    fields: set[str]  # routing keys of its events


# --- what reads what -----------------------------------------------------------------------------------------------


def fields_read(subject: ir.SubjectProgram) -> dict[str, tuple[str, ...]]:
    """Evidence field → the rules, caps and notes that read it, directly or through rule references.

    Fields that nothing reads (a ranking key of a quota, say) are absent.
    """
    readers: dict[str, list[str]] = {}
    owners: list[tuple[str, tuple[ir.Expr, ...]]] = [(r.id, (r.expr,)) for r in subject.rules.values()]
    owners += [(c.id, (c.when, c.at_most)) for c in subject.caps]
    owners += [(n.id, (n.when,)) for n in subject.notes]
    for owner, exprs in owners:
        seen: set[str] = set()
        names: set[str] = set()
        for expr in exprs:
            names |= _fields(expr, subject, seen)
        for name in sorted(names):
            readers.setdefault(name, []).append(owner)
    return {name: tuple(ids) for name, ids in readers.items()}


def _fields(expr: ir.Expr, subject: ir.SubjectProgram, seen: set[str]) -> set[str]:
    def each(exprs: Iterable[ir.Expr]) -> set[str]:
        out: set[str] = set()
        for e in exprs:
            out |= _fields(e, subject, seen)
        return out

    match expr:
        case ir.FieldRef(name=name):
            # A computed value is read through the evidence it is computed from: changing a work row or a
            # criterion's points changes the total that the rules read.
            value = next((v for v in subject.values if v.target == name), None)
            if value is None or f"value:{name}" in seen:
                return {name}
            seen.add(f"value:{name}")
            return {name, *((value.per,) if value.per else ()), *each(f.expr for f in value.formulas)}
        case ir.RuleRef(name=name):
            if name in seen or name not in subject.rules:
                return set()
            seen.add(name)
            return _fields(subject.rules[name].expr, subject, seen)
        case ir.Const() | ir.RecordFieldRef() | ir.PeriodRef():
            return set()
        case ir.Compare(operands=operands) | ir.And(operands=operands) | ir.Or(operands=operands):
            return each(operands)
        case ir.Not(operand=operand) | ir.Neg(operand=operand):
            return _fields(operand, subject, seen)
        case ir.Arith(left=left, right=right):
            return each((left, right))
        case ir.Member(item=item, options=options):
            return each((item, *options))
        case ir.InPeriod(item=item):
            return _fields(item, subject, seen)
        case ir.Count(source=source, where=where):
            return each((source,) if where is None else (source, where))
        case ir.Exists(source=source, where=where) | ir.Share(source=source, where=where):
            return each((source, where))
        case ir.Sum(source=source, term=term, where=where):
            return each((source, term) if where is None else (source, term, where))
        case ir.Extremum(args=args):
            return each(args)
        case ir.Known(ref=ref):
            return {ref.name}
        case ir.LevelOf(source=source):
            return {source.name}
        case _:
            assert_never(expr)


# --- messages: typed, normalised values ------------------------------------------------------------------------------


def plain(value: ir.Value) -> object:
    """A typed value as durable_rules receives it: JSON types, ordered values as numbers.

    >>> plain(Fraction(7, 2)), plain(Fraction(7)), plain(ir.Ordinal(2, "grade", "good"))
    (3.5, 7, 2)
    """
    match value:
        case bool():
            return value
        case Fraction():
            return int(value) if value.denominator == 1 else float(value)
        case ir.Ordinal(rank=rank) | ir.EnumValue(rank=rank):
            return rank
        case date():
            return value.isoformat()
        case ir.Period():
            return str(value)
        case str():
            return value
        case tuple():
            return [{k: plain(v) for k, v in r.values.items()} for r in value]
        case _:
            assert_never(value)


# --- the native side -------------------------------------------------------------------------------------------------


def _native() -> tuple[Any, Any]:
    """durable.engine and durable_rules_engine, imported on first use."""
    try:
        engine = importlib.import_module("durable.engine")
        native = importlib.import_module("durable_rules_engine")
    except ImportError as error:
        raise DurableUnavailableError(
            "the durable runner needs the optional dependency durable_rules: pip install 'xeploai[durable]'"
        ) from error
    return engine, native


class _NoHost:
    """What a durable ruleset asks of its host. Actions here never post to other rulesets or name actions."""

    def get_action(self, name: str) -> Callable[[Any], None]:
        raise DurableError(f"no action named {name!r}")

    def assert_event(self, ruleset: str, message: object) -> None:
        raise DurableError(f"actions do not post to other rulesets ({ruleset!r})")

    def assert_fact(self, ruleset: str, fact: object) -> None:
        raise DurableError(f"actions do not assert facts in other rulesets ({ruleset!r})")

    def retract_fact(self, ruleset: str, fact: object) -> None:
        raise DurableError(f"actions do not retract facts in other rulesets ({ruleset!r})")


def _claim() -> str:
    global _live
    with _live_lock:
        if _live >= MAX_LIVE_RUNNERS:
            raise DurableError(
                f"{_live} durable runners are open in this process (at most {MAX_LIVE_RUNNERS}); close some first"
            )
        _live += 1
        return f"xeploai_{os.getpid()}_{next(_names)}"


def _release(native: Any, handle: int | None) -> None:
    global _live
    with _live_lock:
        _live -= 1
    if handle is not None:
        native.delete_ruleset(handle)


# --- the runner ------------------------------------------------------------------------------------------------------


class DurableRunner:
    """One subject kind's outcomes, kept current as evidence events arrive. Thread-safe; close it when done.

    For example (HD21): ``runner = DurableRunner(program, "party_member", period)``, then
    ``runner.post(Event("dv1", Op.LOAD, value=evidence)).outcome.level`` gives ``'good'``, and a disciplinary
    decision of the year, ``runner.post(Event("dv1", Op.ADD_RECORD, "discipline", {"form": "Khiển trách",
    "decided_on": "2020-05-04"}))``, gives an update whose outcome is ``not_completed`` and whose ``changed``
    names ``disciplined_in_year``.
    """

    def __init__(self, program: ir.Program, kind: str, period: ir.Period) -> None:
        subject = program.subjects.get(kind)
        if subject is None:
            hint = did_you_mean(kind, program.subjects)
            raise ValueError(f"'{kind}' is not a subject kind of the framework" + (f"; {hint}" if hint else ""))
        if subject.relations:
            raise ValueError(
                f"'{kind}' reads related subjects ({', '.join(r.id for r in subject.relations)}); "
                "the durable runner evaluates individual kinds only, populations go through evaluation.population"
            )
        engine, native = _native()
        self.program = program
        self.kind = kind
        self.period = period
        self._subject = subject
        self._declared = {f.id: f for f in subject.fields}
        self._readers = fields_read(subject)
        self._order = [*subject.rules, *(c.id for c in subject.caps), *(n.id for n in subject.notes)]
        self._subjects: dict[str, _Subject] = {}
        self._lock = threading.Lock()
        self._routed: list[tuple[int, str]] = []  # (sequence number, routing key), appended by actions
        self._errors: list[BaseException] = []  # raised inside actions or reported by the engine
        self._seq = itertools.count(1)
        self._native = native
        self.name = _claim()
        self._finalizer = weakref.finalize(self, _release, native, None)
        try:
            definition = {
                f"route_{i}": {"all": [{"m": {"route": key}}], "run": self._action(key)}
                for i, key in enumerate([_LOAD, *self._declared])
            }
            self._ruleset = engine.Ruleset(self.name, _NoHost(), definition)
        except BaseException:
            self._finalizer()
            raise
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _release, native, self._ruleset._handle)
        self._message_not_handled = engine.MessageNotHandledException

    # --- public ----------------------------------------------------------------------------------------------------

    def post(self, event: Event) -> Update:
        """Apply one event; the subject's update."""
        return self.post_batch([event])[0]

    def post_batch(self, events: Sequence[Event]) -> list[Update]:
        """Apply events in order, all or nothing; one update per touched subject, in order of first event.

        Raises ``EvidenceError`` when an event leaves a subject's evidence invalid (naming the event), and
        ``DurableError`` when durable_rules fails; in both cases no subject changes.
        """
        with self._lock:
            if not self._finalizer.alive:
                raise DurableError(f"the durable runner {self.name} is closed")
            staged, messages = self._stage(events)
            self._route(messages)
            return self._commit(staged)

    def load(self, evidences: Mapping[str, Mapping[str, object]]) -> list[Update]:
        """Load (or replace) the evidence of many subjects: subject id → raw evidence."""
        return self.post_batch([Event(s, Op.LOAD, value=e) for s, e in evidences.items()])

    def trace(self, subject: str) -> TraceNode:
        """The subject's current trace (``KeyError`` for a subject no event has named)."""
        with self._lock:
            return self._subjects[subject].trace

    def outcome(self, subject: str) -> Outcome:
        trace = self.trace(subject)
        assert trace.outcome is not None
        return trace.outcome

    def evidence(self, subject: str) -> Evidence:
        with self._lock:
            return self._subjects[subject].evidence

    def subjects(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._subjects)

    def close(self) -> None:
        """Delete the native ruleset; the runner cannot be used afterwards. Closing twice is harmless."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> DurableRunner:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- stages of a batch -----------------------------------------------------------------------------------------

    def _stage(self, events: Sequence[Event]) -> tuple[dict[str, _Staged], list[dict[str, object]]]:
        """Validate every event against the subject's evidence as it would stand after it; nothing is stored."""
        staged: dict[str, _Staged] = {}
        messages: list[dict[str, object]] = []
        for event in events:
            seq = next(self._seq)
            source = f"event {seq} ({event.op} {event.field or 'evidence'} of subject '{event.subject}')"
            current = staged.get(event.subject)
            known = self._subjects.get(event.subject)
            raw = dict(current.raw if current else known.raw if known else {})
            raw = self._apply(event, raw, source)
            typed = validate_evidence(self.program, self.kind, raw, source)
            if current is None:
                current = staged[event.subject] = _Staged(raw, typed, [], set())
            current.raw, current.evidence = raw, typed
            current.events.append(seq)
            key = _LOAD if event.op is Op.LOAD else event.field
            current.fields.add(key)
            message: dict[str, object] = {
                "sid": _SESSION,
                "seq": seq,
                "subject": event.subject,
                "op": event.op.value,
                "route": key,
            }
            if event.op is not Op.LOAD and event.field in typed.values:
                message["value"] = plain(typed.values[event.field])
            messages.append(message)
        return staged, messages

    def _apply(self, event: Event, raw: dict[str, object], source: str) -> dict[str, object]:
        def problem(code: str, vi: str, en: str, hint: ir.Text | None = None) -> EvidenceError:
            return EvidenceError(source, [Issue.from_text(code, ir.Text(vi, en), event.field, None, hint)])

        if not isinstance(event.subject, str) or not event.subject:
            raise problem(
                "wrong-type",
                f"một sự kiện cần mã đối tượng, không phải {event.subject!r}",
                f"an event needs a subject id, not {event.subject!r}",
            )
        match event.op:
            case Op.LOAD:
                if not isinstance(event.value, Mapping):
                    raise problem(
                        "wrong-type",
                        "sự kiện nạp mang toàn bộ minh chứng: một ánh xạ trường -> giá trị",
                        "a load carries the whole evidence: a mapping of field -> value",
                    )
                return dict(event.value)
            case Op.SET | Op.WITHDRAW | Op.ADD_RECORD:
                pass
            case _:
                assert_never(event.op)
        fdef = self._declared.get(event.field)
        if fdef is None:
            raise problem(
                "unknown-field",
                f"'{event.field}' không phải trường của loại đối tượng '{self.kind}'",
                f"'{event.field}' is not a field of subject kind '{self.kind}'",
                suggest(event.field, self._declared),
            )
        if event.op is Op.SET:
            raw[event.field] = event.value
        elif event.op is Op.WITHDRAW:
            raw.pop(event.field, None)
        else:
            if not isinstance(fdef.type, ir.RecordsType):
                raise problem(
                    "wrong-type",
                    f"'{event.field}' là trường kiểu {fdef.type}, không phải trường danh sách bản ghi",
                    f"'{event.field}' is a {fdef.type} field, not a records field",
                )
            before = raw.get(event.field, [])
            if not isinstance(before, list | tuple):
                raise problem(
                    "wrong-type",
                    f"'{event.field}' đang chứa {before!r}, không phải danh sách bản ghi",
                    f"'{event.field}' holds {before!r}, not a list of records",
                )
            raw[event.field] = [*before, event.value]
        return raw

    def _route(self, messages: list[dict[str, object]]) -> None:
        """Post the messages to durable_rules and run its actions here, until each message has been routed."""
        self._routed.clear()
        self._errors.clear()
        for start in range(0, len(messages), _BATCH):
            chunk = messages[start : start + _BATCH]
            try:
                state = self._ruleset.assert_events(chunk)
                self._ruleset.do_actions(state, self._completed)
            except self._message_not_handled as error:
                raise DurableError(f"durable_rules matched no rule: {error.message}") from error
            except Exception as error:
                raise DurableError(f"durable_rules failed: {error}") from error
            if self._errors:
                raise DurableError(f"an action failed inside durable_rules: {self._errors[0]!r}") from self._errors[0]
        expected = {int(str(m["seq"])): str(m["route"]) for m in messages}
        routed = {seq: key for seq, key in self._routed if seq in expected}
        if routed != expected:
            missing = sorted(set(expected) - set(routed))
            raise DurableError(
                f"durable_rules returned before routing {len(missing)} of {len(expected)} events "
                f"(first missing: {missing[:5]}); nothing was applied"
            )

    def _commit(self, staged: dict[str, _Staged]) -> list[Update]:
        updates = []
        for subject_id, change in staged.items():
            known = self._subjects.get(subject_id)
            if _LOAD in change.fields:
                affected = tuple(self._order)
            else:
                touched = {owner for key in change.fields for owner in self._readers.get(key, ())}
                affected = tuple(owner for owner in self._order if owner in touched)
            recompute = known is None or bool(affected)
            if recompute:
                ev = change.evidence
                trace = interpreter.evaluate(self.program, self.kind, ev.values, ev.origins, self.period)
            else:
                assert known is not None
                trace = known.trace
            before = _truths(known.trace) if known else {}
            after = _truths(trace)
            changed = tuple(i for i in self._order if i in after and before.get(i) != after[i])
            self._subjects[subject_id] = _Subject(change.raw, change.evidence, trace)
            updates.append(
                Update(
                    subject=subject_id,
                    trace=trace,
                    previous=known.trace.outcome if known else None,
                    events=tuple(change.events),
                    affected=affected,
                    changed=changed,
                    recomputed=recompute,
                )
            )
        return updates

    # --- durable_rules callbacks -----------------------------------------------------------------------------------

    def _action(self, key: str) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            # Whatever escapes an action, durable_rules writes into the session state and forgets.
            try:
                self._routed.append((int(c.m.seq), key))
            except BaseException as error:
                self._errors.append(error)

        return action

    def _completed(self, error: BaseException | str | None, _state: object) -> None:
        if error:
            self._errors.append(error if isinstance(error, BaseException) else DurableError(str(error)))


def _truths(trace: TraceNode) -> dict[str, Truth]:
    return {n.id: n.truth for n in walk(trace) if n.kind in (NodeKind.RULE, NodeKind.CAP) and n.id}
