"""A population classified column-wise, as tables and results: the kinds' outcome columns → rows people read.

Input: the outcome columns of every kind, the quota runs and groups, the rejections. Output: a ``BulkResult`` whose
counts, result rows, summary rows and one-line reasons (worked out once per signature of the truth columns) are
identical to ``report``'s of ``population.evaluate_population``'s result; a subject's full ``Result`` on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from xeploai.evaluation import bulk_input, report
from xeploai.evaluation.bulk_input import (
    DECISION_CODE,
    STATUS_AWAITING,
    STATUS_CLASSIFIED,
    STATUS_INSUFFICIENT,
    STATUS_LEFT,
    STATUS_NOT_CLASSIFIED,
    Array,
    KindOutcome,
    Progress,
    Units,
    object_array,
    plain_strings,
    py_value,
)
from xeploai.evaluation.bulk_quotas import QuotaRun
from xeploai.evaluation.bulk_relations import relation_column
from xeploai.evaluation.links import LinkedResult, has_links, link_fields, with_links
from xeploai.evaluation.population import (
    PopulationResult,
    QuotaGroup,
    Rejection,
    RelatedSubject,
    Stratum,
    Unit,
    rejected_by_unit,
    rejected_rows,
    relation_records,
    subject_result,
    with_quota,
)
from xeploai.evaluation.runners import interpreter
from xeploai.evaluation.runners.columnar import DECISIONS, STATUSES, condition_codes
from xeploai.evaluation.runners.columnar_evaluator import subexpressions
from xeploai.evaluation.runners.columnar_table import RecordsColumn
from xeploai.evaluation.runners.columnar_values import MET, NOT_MET, UNKNOWN
from xeploai.evaluation.trace import Decision, Outcome, Result, Status
from xeploai.program import ir

# Rows of the results table made at a time: big enough for numpy to pay, small enough to hold.
_BLOCK = 1 << 16


@dataclass(frozen=True, eq=False)
class BulkResult:
    """A population classified column-wise: per kind, status and level columns; quota groups and rejections as
    ``population.evaluate_population`` gives them; any subject's ``Result`` rebuilt on demand."""

    program: ir.Program
    period: ir.Period
    kinds: Mapping[str, KindOutcome]
    rejections: tuple[Rejection, ...]
    strata: tuple[Stratum, ...]
    quota_groups: tuple[QuotaGroup, ...]
    rows_read: int
    units: tuple[Unit, ...]
    quotas: tuple[QuotaRun, ...]
    unit_index: Units
    cache: dict[str, Any] = field(default_factory=dict)

    # --- counts ------------------------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of subjects with a result (input rows that were not rejected)."""
        return sum(int(k.accepted.sum()) for k in self.kinds.values())

    def reconciles(self) -> bool:
        """Input rows = classified + not classified + insufficient + rejected."""
        return self.size + rejected_rows(self.rejections) == self.rows_read

    def counts(self) -> dict[str, int]:
        """Closing counts for the batch command, as ``report.counts_text`` gives them for a population."""
        out = {status.value: 0 for status in Status}
        for outcome in self.kinds.values():
            found = np.bincount(outcome.status[outcome.accepted], minlength=len(STATUSES))
            for code, status in enumerate(STATUSES):
                out[status.value] += int(found[code])
        out["rejected"] = rejected_rows(self.rejections)
        out["rows_read"] = self.rows_read
        return out

    # --- one subject -------------------------------------------------------------------------------------------

    def result(self, subject_id: str) -> Result:
        """The subject's ``Result``, equal to the one ``population.evaluate_population`` gives."""
        for kind, outcome in self.kinds.items():
            hits = np.flatnonzero((outcome.columns.ids == subject_id) & outcome.accepted)
            if len(hits):
                return self.result_at(kind, int(hits[0]))
        raise KeyError(subject_id)

    def result_at(self, kind: str, i: int, *, lean: bool = False) -> Result:
        """Row i of a kind as a ``Result``: its trace rebuilt by the interpreter, then the quotas' checks.

        With ``lean``, a related subject's record holds only the fields the kind's conditions read: the trace is
        the same (no other record field can appear in it), and it is built faster.
        """
        program, outcome = self.program, self.kinds[kind]
        columns = outcome.columns
        evidence = columns.table.evidence(i)
        values, origins = dict(evidence.values), dict(evidence.origins)
        for relation in program.subjects[kind].relations:
            values[relation.id] = self._related(kind, i, relation, lean)
            origins[relation.id] = "relation"
        linked = None
        if has_links(program.subjects[kind]):
            # Only the frameworks' other results can fill a linked field, and a column-wise run has none (``classify``
            # refuses a framework whose fields link to its own kinds): every linked field is as given in its row.
            where = f"{columns.source_of(i)}:{py_value(columns.rows[i])}"
            headers = columns.headers or {}
            linked = link_fields(
                program, kind, str(columns.ids[i]), columns.person_of(i), values, origins, headers, where, _no_results
            )
            values, origins = dict(linked.values), dict(linked.origins)
        trace = interpreter.evaluate(program, kind, values, origins, self.period)
        name = None if columns.names is None else columns.names[i]
        result = subject_result(
            program,
            self.period,
            trace,
            str(columns.ids[i]),
            kind,
            name,
            str(columns.units[i]),
            py_value(columns.rows[i]),
            columns.source_of(i),
        )
        if linked is not None:
            result = with_links(result, linked)
        for run in self.quotas:
            for group, rank in run.checks(kind, i):
                result = with_quota(program, result, run.quota, self.quota_groups[group], rank, self._names(run, group))
        return result

    def results(self, *, by_unit: bool = False) -> Iterator[Result]:
        """Every subject's ``Result`` (slow: one trace per subject), in input order, or by unit and id as the
        results table lists them."""
        for kind, i in self._by_unit_and_id() if by_unit else self._in_order():
            yield self.result_at(kind, i)

    def to_population(self) -> PopulationResult:
        """The same population as ``evaluate_population`` gives it, every trace rebuilt (slow: for small inputs,
        or for the reports that need every trace)."""
        return PopulationResult(
            program=self.program,
            period=self.period,
            results=tuple(self.results()),
            rejections=self.rejections,
            strata=self.strata,
            quota_groups=self.quota_groups,
            rows_read=self.rows_read,
            units=self.units,
        )

    def _in_order(self) -> Iterator[tuple[str, int]]:
        names, kinds, rows, _, _ = self._accepted()
        for k, row in zip(kinds.tolist(), rows.tolist(), strict=True):
            yield names[k], row

    def _accepted(self) -> tuple[list[str], Array, Array, Array, Array]:
        """Every accepted row in input order: kind names, and per row its kind (an index into them), its row and
        its unit code; then where each unit's rows start among them when sorted by unit (``_by_unit``)."""
        found = self.cache.get("accepted")
        if found is None:
            names = list(self.kinds)
            parts = [(j, np.flatnonzero(o.accepted)) for j, o in enumerate(self.kinds.values())]
            empty = np.zeros(0, np.int64)
            kinds = np.concatenate([np.full(len(r), j, np.int64) for j, r in parts] or [empty])
            rows = np.concatenate([r for _, r in parts] or [empty]).astype(np.int64)
            order = np.concatenate([self.kinds[names[j]].order[r] for j, r in parts] or [empty])
            unit = np.concatenate([self.kinds[names[j]].unit_codes[r] for j, r in parts] or [empty])
            sequence = np.argsort(order, kind="stable")
            kinds, rows, unit = kinds[sequence], rows[sequence], unit[sequence]
            by_unit = np.argsort(unit, kind="stable")  # input order within each unit
            starts = np.zeros(len(self.unit_index.ids) + 1, np.int64)
            np.cumsum(np.bincount(unit, minlength=len(self.unit_index.ids)), out=starts[1:])
            found = self.cache["accepted"] = (names, kinds, rows, by_unit, starts)
        return found

    def _names(self, run: QuotaRun, group: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for h in np.flatnonzero(run.group == group):
            columns = self.kinds[run.kinds[int(run.kind[h])]].columns
            row = int(run.row[h])
            subject_id = str(columns.ids[row])
            name = None if columns.names is None else columns.names[row]
            out[subject_id] = name or subject_id
        return out

    def _related(self, kind: str, i: int, relation: ir.Relation, lean: bool = False) -> tuple[ir.Record, ...]:
        """A collective's related records exactly as the population runner builds them (same order, same index);
        with ``lean``, holding only the record fields the kind's conditions read."""
        units, columns = self.unit_index, self.kinds[kind].columns
        unit_id = str(columns.units[i])
        unit_ids = [unit_id] if relation.source is ir.RelationSource.UNIT else units.children.get(unit_id, [])
        rejected = self._rejected_by_unit()
        names, kinds, rows, by_unit, starts = self._accepted()
        levels = self.program.levels.values
        read = None
        if lean:
            read = self.cache.get(f"read:{kind}:{relation.id}")
            if read is None:
                read = self.cache[f"read:{kind}:{relation.id}"] = _record_fields_read(
                    self.program.subjects[kind], relation
                )

        def related() -> Iterator[RelatedSubject | Rejection]:
            for u in unit_ids:
                code = units.code.get(u)
                picked = by_unit[starts[code] : starts[code + 1]] if code is not None else by_unit[:0]
                kinds_here = [names[k] for k in kinds[picked].tolist()]
                for other_kind, row in zip(kinds_here, rows[picked].tolist(), strict=True):
                    if other_kind not in relation.kinds or (other_kind == kind and row == i):
                        continue
                    other = self.kinds[other_kind]
                    if other.status[row] == STATUS_NOT_CLASSIFIED:
                        continue
                    rank = int(other.level[row])
                    level = levels[len(levels) - 1 - rank].id if rank >= 0 else None
                    c = other.columns
                    name = None if c.names is None else c.names[row]
                    if read is None:
                        values = c.table.evidence(row).values
                    else:
                        found = {f: c.table.value(f, row) for f in read}
                        values = {f: v for f, v in found.items() if v is not None}
                    yield RelatedSubject(str(c.ids[row]), other_kind, name, level, values)
                yield from rejected.get(u, [])

        return relation_records(self.program, relation, str(columns.ids[i]), related())

    def _rejected_by_unit(self) -> dict[str, list[Rejection]]:
        found = self.cache.get("rejected_by_unit")
        if found is None:
            found = self.cache["rejected_by_unit"] = rejected_by_unit(self.rejections)
        return found

    # --- tables --------------------------------------------------------------------------------------------------

    # Columns of the results table whose cells have few distinct values (a kind, a unit, a status, a level, a reason
    # per signature, a set of pending quotas): a writer can treat each distinct value once.
    REPEATED_RESULT_COLUMNS: ClassVar[frozenset[str]] = frozenset(
        {"kind", "unit_name", "status", "level", "level_label", "reason", "flags"}
    )

    def result_rows(
        self, lang: str = "vi", progress: Progress | None = None, reasons_progress: Progress | None = None
    ) -> Iterator[dict[str, object]]:
        """The rows of the results table, identical to ``report.result_rows`` of the same population: the rows of
        ``result_blocks``, each a dict keyed by ``report.RESULT_COLUMNS``."""
        keys = [key for key, _ in report.RESULT_COLUMNS]
        for block in self.result_blocks(lang, progress, reasons_progress):
            for values in zip(*block, strict=True):
                yield dict(zip(keys, values, strict=True))

    def result_blocks(
        self, lang: str = "vi", progress: Progress | None = None, reasons_progress: Progress | None = None
    ) -> Iterator[list[list[object]]]:
        """The results table a block of rows at a time, as columns: per block, one list of cells per column of
        ``report.RESULT_COLUMNS`` (in its order, all of one length), so that a writer never builds a row as a dict.

        The one-line reasons are worked out first (``reasons_progress(done, total)`` counts their signatures). Each
        column of a block is then gathered from the kinds' columns with lookup tables (unit names by unit code, level
        codes and labels by rank, statuses, quota flags by bit set), and ``progress(done, total)`` is called after
        each block has been consumed.
        """
        program = self.program
        reasons = self._all_reasons(lang, reasons_progress)
        names, kinds, rows = self._sorted_by_unit_and_id()
        level_ids = [v.id for v in reversed(program.levels.values)]  # by rank; rank -1 (none) is the last entry
        level_codes = object_array([*(program.level_code(v) for v in level_ids), ""])
        level_labels = object_array([*(program.level_label(v).get(lang) for v in level_ids), ""])
        statuses = object_array([s.value for s in STATUSES])
        unit_names = object_array([*(self.unit_index.by_id[u].name for u in self.unit_index.ids), ""])
        flags_text: dict[int, str] = {}
        keys = [key for key, _ in report.RESULT_COLUMNS]
        total = len(rows)
        for start in range(0, total, _BLOCK):
            block_kinds, block_rows = kinds[start : start + _BLOCK], rows[start : start + _BLOCK]
            m = len(block_rows)
            cells = {key: np.empty(m, object) for key in keys}
            for j, kind in enumerate(names):
                at = np.flatnonzero(block_kinds == j)
                if not len(at):
                    continue
                outcome = self.kinds[kind]
                columns = outcome.columns
                picked = block_rows[at]
                cells["id"][at] = columns.ids[picked]
                if columns.names is None:
                    cells["name"][at] = ""
                else:
                    found = columns.names[picked]
                    cells["name"][at] = np.where(found.astype(bool), found, "")  # name or "": None is no name
                cells["kind"][at] = kind
                cells["unit"][at] = columns.units[picked]
                cells["unit_name"][at] = unit_names[outcome.unit_codes[picked]]
                cells["status"][at] = statuses[outcome.status[picked]]
                # An awaiting row's level column holds the level the rules give; the table shows no level for it.
                shown_level = np.where(outcome.status[picked] == STATUS_AWAITING, -1, outcome.level[picked])
                cells["level"][at] = level_codes[shown_level]
                cells["level_label"][at] = level_labels[shown_level]
                cells["reason"][at] = reasons[kind][picked]
                bits, inverse = np.unique(outcome.flags[picked], return_inverse=True)
                texts = []
                for b in bits.tolist():
                    text = flags_text.get(b)
                    if text is None:
                        text = flags_text[b] = " ".join(run.quota.id for run in self.quotas if b >> run.bit & 1)
                    texts.append(text)
                cells["flags"][at] = object_array(texts)[inverse.ravel()]
            listed: list[list[object]] = [cells[key].tolist() for key in keys]
            listed[0] = list(map(str, listed[0]))  # id
            listed[3] = list(map(str, listed[3]))  # unit
            yield listed
            if progress is not None:
                progress(start + m, total)

    def summary_rows(self, individual_kinds: Sequence[str] | None = None) -> list[dict[str, object]]:
        """The per-unit summary, identical to ``report.summary_rows`` of the same population."""
        program = self.program
        kinds = set(individual_kinds or [k for k, s in program.subjects.items() if not s.relations])
        units = self.unit_index
        count = len(program.levels.values)
        # A column per level rank, then not classified, insufficient, awaiting a decision, left to the competent level.
        width = count + 4
        table = np.zeros((len(units.ids), width), np.int64)
        own: dict[str, list[tuple[str, str, str]]] = {}
        level_ids = [v.id for v in reversed(program.levels.values)]
        for kind, outcome in self.kinds.items():
            rows = np.flatnonzero(outcome.accepted)
            if kind in kinds:
                status = outcome.status[rows]
                category = np.where(status == STATUS_CLASSIFIED, outcome.level[rows], count)
                category = np.where(status == STATUS_INSUFFICIENT, count + 1, category)
                category = np.where(status == STATUS_AWAITING, count + 2, category)
                category = np.where(status == STATUS_LEFT, count + 3, category)
                flat = outcome.unit_codes[rows] * width + category
                table += np.bincount(flat, minlength=table.size).reshape(table.shape)
                continue
            columns = outcome.columns
            shown_by_rank = [program.level_code(level_id) for level_id in level_ids]
            facts = zip(
                columns.units[rows].tolist(),
                columns.ids[rows].tolist(),
                outcome.level[rows].tolist(),
                outcome.status[rows].tolist(),
                strict=True,
            )
            for unit, subject_id, rank, status in facts:
                shown = shown_by_rank[rank] if rank >= 0 and status == STATUS_CLASSIFIED else STATUSES[status].value
                own.setdefault(str(unit), []).append((kind, str(subject_id), shown))
        direct = {}
        present = np.flatnonzero(table.any(axis=1))
        for code, row in zip(present.tolist(), table[present].tolist(), strict=True):
            by_level = dict(zip(level_ids, row[:count], strict=True))
            direct[units.ids[code]] = report.UnitCounts(
                by_level, row[count], row[count + 1], 0, row[count + 2], row[count + 3]
            )
        return report.summary_table(program, self.units, direct, own, self.rejections, self.quota_groups)

    def _by_unit_and_id(self) -> list[tuple[str, int]]:
        """Every accepted row sorted by (unit, id), as the results table lists them."""
        names, kinds, rows = self._sorted_by_unit_and_id()
        return [(names[k], r) for k, r in zip(kinds.tolist(), rows.tolist(), strict=True)]

    def _sorted_by_unit_and_id(self) -> tuple[list[str], Array, Array]:
        """Every accepted row sorted by (unit, id): the kind names, then per row its kind (an index into them)
        and its row."""
        parts = [(kind, np.flatnonzero(o.accepted)) for kind, o in self.kinds.items()]
        kind_names = [kind for kind, _ in parts]
        empty = np.zeros(0, np.int64)
        kinds = np.concatenate([np.full(len(rows), j, np.int64) for j, (_, rows) in enumerate(parts)] or [empty])
        rows = np.concatenate([rows for _, rows in parts] or [empty]).astype(np.int64)
        units = np.concatenate([self.kinds[k].columns.units[r] for k, r in parts] or [np.zeros(0, object)])
        ids = np.concatenate([self.kinds[k].columns.ids[r] for k, r in parts] or [np.zeros(0, object)])
        n = len(rows)
        if n < bulk_input.SMALL or not plain_strings(ids) or not plain_strings(units):
            order: Array = np.array(sorted(range(n), key=lambda j: (str(units[j]), str(ids[j]))), np.int64)
        else:
            order = np.lexsort((ids.astype(str), units.astype(str)))
        return kind_names, kinds[order], rows[order]

    # --- one-line reasons, once per signature ----------------------------------------------------------------------

    def _all_reasons(self, lang: str, progress: Progress | None = None) -> dict[str, Array]:
        """Every kind's one-line reasons; ``progress(done, total)`` counts the signatures worked out."""
        total = sum(len(self._signatures(kind)[1]) for kind in self.kinds) if progress is not None else 0
        out: dict[str, Array] = {}
        done = 0
        for kind in self.kinds:
            step = None if progress is None else (lambda j, base=done: progress(base + j, total))
            out[kind] = self._reasons(kind, lang, step)
            done += len(self._signatures(kind)[1])
        if progress is not None:
            progress(total, total)
        return out

    def _reasons(self, kind: str, lang: str, progress: Callable[[int], None] | None = None) -> Array:
        """Row i's one-line reason (``report.one_line_reason``) for every accepted row of a kind.

        A reason is a function of a row's signature (see ``_signatures``): it is computed once per signature, from
        one row's rebuilt result; rows whose reason could name a record or a related subject are rebuilt one by one.
        ``progress(j)`` is told how many signatures are done, every hundred.
        """
        key = f"reasons:{kind}:{lang}"
        found = self.cache.get(key)
        if found is not None:
            return found
        signature, representatives = self._signatures(kind)
        outcome = self.kinds[kind]
        direct = outcome.evaluated is not None and _static_labels(self.program, kind)
        texts = []
        for j, row in enumerate(representatives, start=1):
            if direct and outcome.status[row] in (STATUS_CLASSIFIED, STATUS_NOT_CLASSIFIED):
                texts.append(self._decided_reason(kind, row, lang))
            else:
                result = self._representative(kind, row)
                texts.append(report.one_line_reason(result, self.program, lang))
            if progress is not None and j % 100 == 0:
                progress(j)
        out = np.empty(len(signature), object)
        accepted = signature >= 0
        out[accepted] = np.array(texts, object)[signature[accepted]] if texts else None
        self.cache[key] = out
        return out

    def _decided_reason(self, kind: str, row: int, lang: str) -> str:
        """A classified or not-classified row's one-line reason from its truth columns: the reasons the
        interpreter gives such an outcome (``interpreter._decided``), labelled as the trace labels them."""
        program, outcome = self.program, self.kinds[kind]
        evaluated = outcome.evaluated
        assert evaluated is not None
        subject = program.subjects[kind]
        rules = evaluated.rules
        levels = program.levels
        ids = [v.id for v in reversed(levels.values)]  # by rank
        decision = DECISIONS[int(outcome.decision[row])]
        rank, before = int(outcome.level[row]), int(evaluated.level_before_caps[row])
        reasons: list[str] = []
        lowered = None
        match decision:
            case Decision.ELIGIBILITY:
                reasons = [r for r in subject.not_classified if rules[r][row] == MET]
            case Decision.TRIGGER:
                reasons = [r for r in subject.not_completed if rules[r][row] == MET]
            case Decision.LEVEL | Decision.BELOW_LOWEST | Decision.GAP:
                for requirement in subject.levels:
                    if levels.rank(requirement.level) <= before:
                        break
                    reasons += [r for r in requirement.rules if rules[r][row] == NOT_MET and r not in reasons]
                for cap in subject.caps:
                    bound = int(evaluated.cap_bounds[cap.id][row])
                    if evaluated.caps[cap.id][row] == MET and 0 <= bound < before and before > 0:
                        reasons.append(cap.id)
            case Decision.QUOTA:
                for run in self.quotas:
                    hits = [
                        h for h in np.flatnonzero(run.demoted & (run.row == row)) if run.kinds[int(run.kind[h])] == kind
                    ]
                    if hits:
                        h = hits[0]
                        quota = run.quota
                        allowed = self.quota_groups[int(run.group[h])].allowed
                        lowered = report.QuotaLowering(quota.label.get(lang), quota.level, int(run.rank[h]), allowed)
                        break
            case Decision.UNDETERMINED:
                raise AssertionError("an undetermined row has no decided reason")
        result = Outcome(
            STATUSES[int(outcome.status[row])],
            decision,
            level=ids[rank] if rank >= 0 else None,
            level_before_caps=ids[before] if before >= 0 and decision is not Decision.GAP else None,
            reasons=tuple(reasons),
        )
        labels = {r.id: r.label for r in subject.rules.values()} | {c.id: c.label for c in subject.caps}
        return report.reason_text(program, kind, result, lambda r: labels[r].get(lang), lowered, lang)

    def _representative(self, kind: str, row: int) -> Result:
        key = f"representative:{kind}:{row}"
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self.result_at(kind, row, lean=True)
        return found

    def _signatures(self, kind: str) -> tuple[Array, list[int]]:
        """Per row, the index of its signature (-1 for rejected rows), and one row of each signature.

        Decided rows (classified or not classified): the status, decision, final level, level before caps, and the
        truth bits the outcome's reasons are made of — the not-classified rules that held (for that decision), the
        triggers that held, the failed rules of the levels above the level before caps and the caps that lowered
        it, or the quota that lowered the level with the rank and the allowance. Rows with insufficient evidence:
        the truth code of every condition (``columnar.condition_codes``), which fields are known and which records
        fields hold records; a row where a condition over its records was unknown is its own signature, since
        its reason names the record or the related subject.
        """
        key = f"signatures:{kind}"
        found = self.cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        outcome = self.kinds[kind]
        n = len(outcome)
        signature = np.full(n, -1, np.int64)
        representatives: list[int] = []
        rows = np.flatnonzero(outcome.accepted)
        if outcome.evaluated is None or not len(rows):
            self.cache[key] = (signature, representatives)
            return signature, representatives
        # Rows awaiting the competent level's quota decision are few: each is rebuilt.
        apart = outcome.status[rows] == STATUS_AWAITING
        alone: list[int] = rows[apart].tolist()
        rows = rows[~apart]
        undetermined = outcome.status[rows] == STATUS_INSUFFICIENT
        groups: list[tuple[Array, Array]] = []
        if not _static_labels(self.program, kind):
            alone.extend(rows.tolist())
        else:
            decided = rows[~undetermined]
            groups.append((decided, self._decided_keys(outcome, decided)))
            pending = rows[undetermined]
            if len(pending):
                keys, unclean = self._undetermined_keys(outcome, pending)
                alone.extend(pending[unclean].tolist())
                groups.append((pending[~unclean], keys[~unclean]))
        for subset, keys in groups:
            if not len(subset):
                continue
            first, inverse = _unique_rows(keys)
            signature[subset] = inverse + len(representatives)
            representatives.extend(subset[first].tolist())
        for row in alone:
            signature[row] = len(representatives)
            representatives.append(row)
        self.cache[key] = (signature, representatives)
        return signature, representatives

    def _decided_keys(self, outcome: KindOutcome, rows: Array) -> Array:
        evaluated = outcome.evaluated
        assert evaluated is not None
        program, subject = self.program, self.program.subjects[outcome.kind]
        m = len(rows)
        decision = outcome.decision[rows].astype(np.int64)
        before = evaluated.level_before_caps[rows].astype(np.int64)
        columns: list[Array] = [outcome.status[rows], decision, outcome.level[rows] + 1, before + 1]
        by_rules = (
            (decision == DECISION_CODE[Decision.LEVEL])
            | (decision == DECISION_CODE[Decision.BELOW_LOWEST])
            | (decision == DECISION_CODE[Decision.GAP])
        )

        def bits(names: Iterable[str], wanted: int, when: Array) -> None:
            for name in names:
                columns.append((evaluated.rules[name][rows] == wanted) & when)

        bits(subject.not_classified, MET, decision == DECISION_CODE[Decision.ELIGIBILITY])
        bits(subject.not_completed, MET, decision == DECISION_CODE[Decision.TRIGGER])
        # A level's failed rules count when the level is above the level before caps.
        for requirement in subject.levels:
            above = by_rules & (before < program.levels.rank(requirement.level))
            bits(dict.fromkeys(requirement.rules), NOT_MET, above)
        for cap in subject.caps:
            bound = evaluated.cap_bounds[cap.id][rows]
            applied = (evaluated.caps[cap.id][rows] == MET) & (bound >= 0) & (before > 0) & (bound < before)
            columns.append(applied & by_rules)
        # The quota that lowered the level first, with the rank and the allowance its reason quotes.
        first = np.zeros(m, np.int64)
        rank = np.zeros(m, np.int64)
        allowed = np.zeros(m, np.int64)
        position = np.full(len(outcome), -1, np.int64)
        position[rows] = np.arange(m)
        for number, run in enumerate(self.quotas, start=1):
            if outcome.kind not in run.kinds:
                continue
            mine = run.demoted & (run.kind == run.kinds.index(outcome.kind))
            for h in np.flatnonzero(mine):
                j = int(position[int(run.row[h])])
                if j >= 0 and not first[j]:
                    first[j], rank[j] = number, int(run.rank[h])
                    allowed[j] = self.quota_groups[int(run.group[h])].allowed
        columns += [first, rank, allowed]
        return _key_matrix(columns, m)

    def _undetermined_keys(self, outcome: KindOutcome, rows: Array) -> tuple[Array, Array]:
        """What an undetermined row's missing fields and unknown rules depend on (``interpreter._missing_fields``
        walks the unknown nodes the outcome consulted, and the rules they reach through unknown nodes): the codes
        of the eligibility, the triggers and every level, which rules and caps are unknown, which cap bounds are,
        which nodes on the way to a rule reference are, which fields are known and which records fields hold
        records. Rows where a record-level condition was unknown are flagged: their reasons name the record."""
        evaluated = outcome.evaluated
        assert evaluated is not None
        subject = self.program.subjects[outcome.kind]
        table = outcome.columns.table.take(rows)
        relations = {relation.id: self._relation(outcome, relation, rows) for relation in subject.relations}
        codes, unclean, nodes = condition_codes(table, self.period, relations)
        on_paths = _paths_to_rules(subject)
        columns: list[Array] = [evaluated.eligibility[rows], evaluated.triggers[rows]]
        columns += [evaluated.levels[r.level][rows] for r in subject.levels]
        columns += [evaluated.rules[name][rows] == UNKNOWN for name in subject.rules]
        for cap in subject.caps:
            columns += [evaluated.caps[cap.id][rows], evaluated.cap_bounds[cap.id][rows] >= 0]
        columns += [codes[:, j] == UNKNOWN for j, node in enumerate(nodes) if node in on_paths]
        for col in [*table.columns.values(), *relations.values()]:
            columns.append(col.known)
            if isinstance(col, RecordsColumn):
                columns.append(np.diff(col.offsets) > 0)
        return _key_matrix(columns, len(rows)), unclean

    def _relation(self, outcome: KindOutcome, relation: ir.Relation, rows: Array) -> RecordsColumn:
        holders = outcome.unit_codes[rows]
        return relation_column(
            self.program,
            relation,
            holders,
            outcome.columns.ids[rows],
            self.kinds,
            self.unit_index,
            self._rejected_by_unit(),
        )


def _no_results(person: str, kinds: Sequence[str]) -> list[LinkedResult]:
    """No other result of anyone: a column-wise run classifies one framework, which links to none of its own kinds."""
    return []


def _key_matrix(columns: Sequence[Array], m: int) -> Array:
    """Columns of small integers as one key per subject, equal for two subjects exactly when every column is: one
    number in mixed radix (each column's values counted from its least) when all the columns' ranges multiplied fit
    in 64 bits, else one byte row per subject (int64 columns take 8 bytes)."""
    packed = np.zeros(m, np.uint64)
    capacity = 1
    for col in columns if m else ():
        col = np.asarray(col)
        low = int(col.min()) if col.dtype != bool else 0
        size = (int(col.max()) if col.dtype != bool else 1) - low + 1
        capacity *= size
        if capacity >= 2**64:
            break
        packed = packed * np.uint64(size) + (col.astype(np.int64) - low).astype(np.uint64)
    else:
        return packed
    parts = []
    for col in columns:
        col = np.asarray(col)
        if col.dtype == bool or (col.dtype.kind in "iu" and col.dtype.itemsize == 1):
            parts.append(col.astype(np.uint8).reshape(m, 1))
        else:
            parts.append(np.ascontiguousarray(col.astype(np.int64)).view(np.uint8).reshape(m, 8))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _unique_rows(keys: Array) -> tuple[Array, Array]:
    """The first row of each distinct key (a number, or a row of bytes), and each row's index among the distinct
    keys."""
    flat = keys if keys.ndim == 1 else keys.view(np.dtype((np.void, keys.shape[1]))).ravel()
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _record_fields_read(subject: ir.SubjectProgram, relation: ir.Relation) -> set[str]:
    """The record fields of a relation that a kind's conditions may read (every record field named under a
    ``count``, ``exists`` or ``share`` of the relation), with the level ``level_of`` reads."""
    found = {"level"}

    def names(expr: ir.Expr) -> Iterator[str]:
        if isinstance(expr, ir.RecordFieldRef):
            yield expr.name
        for child in subexpressions(expr):
            yield from names(child)

    def visit(expr: ir.Expr) -> None:
        match expr:
            case (
                ir.Count(source=source, where=where)
                | ir.Exists(source=source, where=where)
                | ir.Share(source=source, where=where)
            ) if source.name == relation.id and where is not None:
                found.update(names(where))
            case _:
                pass
        for child in subexpressions(expr):
            visit(child)

    for expr in subject.expressions():
        visit(expr)
    return found


def _paths_to_rules(subject: ir.SubjectProgram) -> set[int]:
    """The ids of the condition nodes (of rules and caps, outside records calls) on the way to a rule reference:
    the nested rule's node is visited for its missing fields only when every node on its way is unknown."""
    found: set[int] = set()

    def visit(expr: ir.Expr, above: list[int]) -> None:
        if isinstance(expr, ir.RuleRef):
            found.update(above)
            return
        if isinstance(expr, ir.Count | ir.Exists | ir.Share | ir.LevelOf):
            return  # a condition over records: an unknown one makes the row its own signature
        for child in subexpressions(expr):
            visit(child, [*above, id(expr)])

    for rule in subject.rules.values():
        visit(rule.expr, [])
    for cap in subject.caps:
        visit(cap.when, [])
    return found


def _static_labels(program: ir.Program, kind: str) -> bool:
    """Whether a rule, cap, note or quota id names one thing only, so that the label a one-line reason shows for
    it does not depend on which nodes a trace holds (``report`` finds a label by id in the trace)."""
    subject = program.subjects[kind]
    seen: set[str] = set()
    groups = [
        list(subject.rules),
        [c.id for c in subject.caps],
        [n.id for n in subject.notes],
        [q.id for q in program.quotas if kind in q.kinds],
    ]
    for ids in groups:
        unique = set(ids)
        if unique & seen:
            return False
        seen |= unique
    return True
