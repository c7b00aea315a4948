"""Population reports: a population result → rows of the results table and of the per-unit summary.

Input: a ``population.PopulationResult`` (or, through ``result_row`` and ``summary_table``, the columns of a
``bulk_result.BulkResult``). Output: plain rows (mappings) that ``tables`` writes as CSV, XLSX or Parquet. Every row
is a view of the traces: the one-line reason is read from the outcome and its deciding nodes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from xeploai.evaluation.population import PopulationResult, QuotaGroup, Rejection, Unit, rejected_rows
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Result, Status, TraceNode
from xeploai.program import ir

TOTAL_NAME = "Tổng cộng (total)"  # the unit name of the summary's last row, in the files as printed


def _t(vi: str, en: str, lang: str) -> str:
    return en if lang == "en" else vi


def _rule_label(result: Result, rule_id: str, lang: str) -> str:
    def find(node: TraceNode) -> TraceNode | None:
        if node.id == rule_id and node.label is not None and node.kind is not NodeKind.LEVEL:
            return node
        for child in node.children:
            found = find(child)
            if found is not None:
                return found
        return None

    node = find(result.trace)
    return node.label.get(lang) if node is not None and node.label is not None else rule_id


def one_line_reason(result: Result, program: ir.Program, lang: str = "vi") -> str:
    """The outcome's deciding reason in one line, for tables."""
    outcome = result.outcome
    lowered = None
    if outcome.status is Status.CLASSIFIED and outcome.decision is Decision.QUOTA:
        quota = next(n for n in result.trace.children if n.kind is NodeKind.QUOTA and n.truth.value == "not_met")
        details = dict(quota.details)
        label = quota.label.get(lang) if quota.label else quota.id
        lowered = QuotaLowering(label, str(details["level"]), details["rank"], details["allowed"])
    return reason_text(program, result.subject_kind, outcome, lambda r: _rule_label(result, r, lang), lowered, lang)


@dataclass(frozen=True)
class QuotaLowering:
    """The quota check that lowered a level, as a one-line reason quotes it: its label, the level it lowered,
    the subject's rank in the group and the number allowed."""

    label: str
    level: str
    rank: object
    allowed: object


def reason_text(
    program: ir.Program,
    kind: str,
    outcome: Outcome,
    label: Callable[[str], str],
    lowered: QuotaLowering | None,
    lang: str = "vi",
) -> str:
    """The one-line reason of an outcome: ``label`` names a rule or cap by id (as the trace labels it), and
    ``lowered`` is the quota check that lowered the level, when a quota did."""
    labels = [label(r) for r in outcome.reasons]
    if outcome.status is Status.NOT_CLASSIFIED:
        return _t("Không xếp loại: ", "Not classified: ", lang) + "; ".join(labels)
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        missing = ", ".join(outcome.missing) or "; ".join(labels)
        return _t("Chưa đủ minh chứng, thiếu: ", "Insufficient evidence, missing: ", lang) + missing
    assert outcome.level is not None
    code = program.level_code
    if outcome.decision is Decision.TRIGGER:
        return code(outcome.level) + ": " + "; ".join(labels)
    if outcome.decision is Decision.QUOTA:
        assert lowered is not None
        return _t(
            f"Hạ từ {code(lowered.level)} do {lowered.label} (xếp thứ {lowered.rank}, được {lowered.allowed})",
            f"Lowered from {code(lowered.level)} by {lowered.label} (rank {lowered.rank}, {lowered.allowed} allowed)",
            lang,
        )
    if outcome.decision is Decision.BELOW_LOWEST:
        return _t("Không đạt mức HT: ", "Does not meet HT: ", lang) + "; ".join(labels[:3])
    levels = [v.id for v in program.levels.values]
    before = outcome.level_before_caps or outcome.level
    caps = [r for r in outcome.reasons if any(c.id == r for c in program.subjects[kind].caps)]
    parts = []
    if caps:
        parts.append(_t("Giới hạn: ", "Capped: ", lang) + "; ".join(label(c) for c in caps))
    higher = levels[: levels.index(before)]
    # The reasons hold the failed requirements of every level above; the line names those of the next one up.
    next_up = next((req.rules for req in program.subjects[kind].levels if higher and req.level == higher[-1]), ())
    failed = [label(r) for r in outcome.reasons if r not in caps and r in next_up]
    if higher and failed:
        parts.append(_t(f"Chưa đạt {code(higher[-1])}: ", f"Not {code(higher[-1])}: ", lang) + "; ".join(failed[:3]))
    return " · ".join(parts) or _t("Đạt mọi tiêu chuẩn của mức", "Meets every requirement of the level", lang)


RESULT_COLUMNS: Sequence[tuple[str, str]] = (
    ("id", "Mã (id)"),
    ("name", "Họ tên / Tên (name)"),
    ("kind", "Đối tượng (kind)"),
    ("unit", "Đơn vị (unit)"),
    ("unit_name", "Tên đơn vị (unit name)"),
    ("status", "Tình trạng (status)"),
    ("level", "Mức (level)"),
    ("level_label", "Mức xếp loại (level label)"),
    ("reason", "Lý do (reason)"),
    ("flags", "Chờ quyết định (pending)"),
)


# Shown only when the input named persons, and when a run used several framework files: old tables stay the same.
PERSON_COLUMN: tuple[str, str] = ("person", "Mã cá nhân (person)")
FRAMEWORK_COLUMN: tuple[str, str] = ("framework", "Khung tiêu chí (framework)")


def result_columns(persons: bool = False, frameworks: bool = False) -> list[tuple[str, str]]:
    """The results table's columns: ``RESULT_COLUMNS``, then the person and the framework file when asked."""
    return [*RESULT_COLUMNS, *([PERSON_COLUMN] if persons else []), *([FRAMEWORK_COLUMN] if frameworks else [])]


def framework_name(result: Result) -> str:
    """``family/effective-date`` of the file a result was made under (its version label when it has no file)."""
    stem = os.path.splitext(os.path.basename(result.framework_source))[0]
    return f"{result.framework_family}/{stem or result.framework_version}"


def result_rows(population: PopulationResult, lang: str = "vi", frameworks: bool = False) -> list[dict[str, object]]:
    """The results table's rows, with the person (when the input named persons) and, with ``frameworks``, the
    framework file of each result."""
    program = population.program
    units = {u.id: u for u in population.units}
    rows: list[dict[str, object]] = []
    subject_units = _subject_units(population)
    # Sorted by unit and id, not by input order: the same population gives the same table however it was typed.
    ordered = sorted(population.results, key=lambda r: (subject_units.get(r.subject_id, ""), r.subject_id))
    for result in ordered:
        outcome = result.outcome
        rows.append(
            result_row(
                program,
                units,
                subject_id=result.subject_id,
                name=result.subject_name,
                kind=result.subject_kind,
                unit=subject_units.get(result.subject_id, ""),
                status=outcome.status,
                level=outcome.level,
                reason=one_line_reason(result, program, lang),
                flags=outcome.flags,
                lang=lang,
            )
        )
        if population.has_persons:
            rows[-1]["person"] = str(result.extras.get("person") or result.subject_id)
        if frameworks:
            rows[-1]["framework"] = framework_name(result)
    return rows


def result_row(
    program: ir.Program,
    units: Mapping[str, Unit],
    *,
    subject_id: str,
    name: str | None,
    kind: str,
    unit: str,
    status: Status,
    level: str | None,
    reason: str,
    flags: Sequence[str],
    lang: str,
) -> dict[str, object]:
    """One row of the results table."""
    return {
        "id": subject_id,
        "name": name or "",
        "kind": kind,
        "unit": unit,
        "unit_name": units[unit].name if unit in units else "",
        "status": status.value,
        "level": program.level_code(level) if level else "",
        "level_label": program.level_label(level).get(lang) if level else "",
        "reason": reason,
        "flags": " ".join(flags),
    }


def _subject_units(population: PopulationResult) -> dict[str, str]:
    units: dict[str, str] = {}
    for result in population.results:
        unit = result.extras.get("unit")
        if isinstance(unit, str):
            units[result.subject_id] = unit
    return units


@dataclass(frozen=True)
class UnitCounts:
    """Individuals counted by outcome: by level (level id → count), not classified, insufficient, rejected rows."""

    by_level: dict[str, int]
    not_classified: int
    insufficient: int
    rejected: int

    @property
    def classified(self) -> int:
        return sum(self.by_level.values())


def summary_columns(program: ir.Program) -> list[tuple[str, str]]:
    columns = [
        ("unit", "Đơn vị (unit)"),
        ("unit_name", "Tên đơn vị (name)"),
        ("unit_kind", "Loại (kind)"),
        ("own_level", "Xếp loại tổ chức (own level)"),
        ("members", "Tổng số (subjects)"),
        ("classified", "Được xếp loại (classified)"),
    ]
    for value in program.levels.values:
        columns.append((value.code, f"{value.code} ({value.label.en})"))
        columns.append((f"{value.code}_share", f"{value.code} %"))
    columns += [
        ("not_classified", "Không xếp loại (not classified)"),
        ("insufficient", "Chưa đủ minh chứng (insufficient)"),
        ("rejected", "Dòng bị loại (rejected rows)"),
        ("quota", "Tỷ lệ HTXS (quota)"),
    ]
    return columns


def summary_count_columns(program: ir.Program) -> frozenset[str]:
    """The keys of ``summary_columns`` that are counts by definition (subjects in all, classified, at each level,
    not classified, insufficient, rejected rows): int64 in a Parquet table. The others are text: the unit's id, name
    and kind, its collectives' levels, each level's share (one decimal, empty without classified subjects) and the
    quota status."""
    levels = [value.code for value in program.levels.values]
    return frozenset({"members", "classified", *levels, "not_classified", "insufficient", "rejected"})


def summary_rows(
    population: PopulationResult,
    individual_kinds: Sequence[str] | None = None,
    decided: Mapping[str, str] | None = None,
) -> list[dict[str, object]]:
    """One row per unit with the counts of its individuals at each level (its whole subtree), then a total row.

    Individuals are the subject kinds that read no other subjects unless ``individual_kinds`` says otherwise.
    ``decided`` (subject id → level id) counts a classified subject at the level the competent committee decided
    (the decision rung of the review process) instead of the level of the rules.
    """
    program = population.program
    kinds = set(individual_kinds or [k for k, s in program.subjects.items() if not s.relations])
    subject_units = _subject_units(population)
    direct: dict[str, UnitCounts] = {}
    own: dict[str, list[tuple[str, str, str]]] = {}
    for result in population.results:
        unit = subject_units.get(result.subject_id)
        if unit is None:
            continue
        outcome = result.outcome
        if result.subject_kind not in kinds:
            shown = program.level_code(outcome.level) if outcome.level else outcome.status.value
            own.setdefault(unit, []).append((result.subject_kind, result.subject_id, shown))
            continue
        c = direct.get(unit) or UnitCounts({v.id: 0 for v in program.levels.values}, 0, 0, 0)
        if outcome.status is Status.NOT_CLASSIFIED:
            c = UnitCounts(c.by_level, c.not_classified + 1, c.insufficient, 0)
        elif outcome.status is Status.INSUFFICIENT_EVIDENCE:
            c = UnitCounts(c.by_level, c.not_classified, c.insufficient + 1, 0)
        elif outcome.level is not None:
            c.by_level[(decided or {}).get(result.subject_id, outcome.level)] += 1
        direct[unit] = c
    return summary_table(program, population.units, direct, own, population.rejections, population.quota_groups)


def summary_table(
    program: ir.Program,
    unit_rows: Sequence[Unit],
    direct: Mapping[str, UnitCounts],
    own: Mapping[str, Sequence[tuple[str, str, str]]],
    rejections: Sequence[Rejection],
    quota_groups: Sequence[QuotaGroup],
) -> list[dict[str, object]]:
    """The summary rows from what each unit holds directly: its individuals' counts (``direct``), its collectives'
    outcomes (``own``: kind, id and the level code or status shown), the rejected rows and the quota groups."""
    units = {u.id: u for u in unit_rows}
    children: dict[str | None, list[str]] = {}
    for u in unit_rows:
        children.setdefault(u.parent if u.parent in units else None, []).append(u.id)
    by_unit: dict[str, list[Rejection]] = {}
    for r in rejections:
        if r.unit is not None:
            by_unit.setdefault(r.unit, []).append(r)
    rejected_by_unit = {unit: rejected_rows(found) for unit, found in by_unit.items()}
    quotas_by_group: dict[str, list[QuotaGroup]] = {}
    for g in quota_groups:
        quotas_by_group.setdefault(g.group, []).append(g)

    done: dict[str, UnitCounts] = {}

    def counts(unit_id: str) -> UnitCounts:
        return done[unit_id]

    def subtree(unit_id: str) -> UnitCounts:
        # Each unit's subtree is counted once, from its children's counts (units are shared by the rows and the
        # total); the children are counted first (see below), so no walk recurses down a deep hierarchy.
        mine = direct.get(unit_id)
        by_level = {v.id: mine.by_level.get(v.id, 0) if mine else 0 for v in program.levels.values}
        not_classified = mine.not_classified if mine else 0
        insufficient = mine.insufficient if mine else 0
        rejected = rejected_by_unit.get(unit_id, 0)
        for child in children.get(unit_id, []):
            sub = counts(child)
            for key, n in sub.by_level.items():
                by_level[key] += n
            not_classified += sub.not_classified
            insufficient += sub.insufficient
            rejected += sub.rejected
        return UnitCounts(by_level, not_classified, insufficient, rejected)

    def row(unit: Unit | None, c: UnitCounts) -> dict[str, object]:
        classified = c.classified
        out: dict[str, object] = {
            "unit": unit.id if unit else "",
            "unit_name": unit.name if unit else TOTAL_NAME,
            "unit_kind": unit.kind if unit else "",
            "own_level": _own_level(own.get(unit.id, []) if unit else []),
            "members": classified + c.not_classified + c.insufficient + c.rejected,
            "classified": classified,
        }
        for value in program.levels.values:
            n = c.by_level[value.id]
            out[value.code] = n
            out[f"{value.code}_share"] = f"{100 * n / classified:.1f}" if classified else ""
        out["not_classified"] = c.not_classified
        out["insufficient"] = c.insufficient
        out["rejected"] = c.rejected
        out["quota"] = "; ".join(_quota_text(g) for g in quotas_by_group.get(unit.id, [])) if unit else ""
        return out

    rows = []
    roots = sorted(children.get(None, []))
    # Depth first, children in id order, with a stack rather than recursion: a hierarchy may be thousands deep.
    ordered: list[str] = []
    stack = roots[::-1]
    while stack:
        unit_id = stack.pop()
        ordered.append(unit_id)
        stack.extend(sorted(children.get(unit_id, []), reverse=True))
    for unit_id in reversed(ordered):  # every child before its parent
        done[unit_id] = subtree(unit_id)
    for unit_id in ordered:
        rows.append(row(units[unit_id], counts(unit_id)))
    grand = [counts(r) for r in roots]
    total = UnitCounts(
        {v.id: sum(c.by_level[v.id] for c in grand) for v in program.levels.values},
        sum(c.not_classified for c in grand),
        sum(c.insufficient for c in grand),
        sum(c.rejected for c in grand),
    )
    rows.append(row(None, total))
    return rows


def _own_level(collectives: Sequence[tuple[str, str, str]]) -> str:
    """``kind: level`` of each collective of a unit, by kind and id."""
    return "; ".join(f"{kind}: {shown}" for kind, _, shown in sorted(collectives, key=lambda c: (c[0], c[1])))


def _quota_text(group: QuotaGroup) -> str:
    status = {
        "within": "trong tỷ lệ (within)",
        "ranked": "vượt, đã xếp hạng (ranked)",
        "flagged": "vượt, chờ cấp ủy quyết định (flagged)",
        "decided": "theo quyết định (decided)",
    }[group.status]
    return (
        f"{group.quota}: {len(group.candidates)} đề xuất / {group.allowed} được phép ({group.base} {('HTT')}), {status}"
    )


def counts_text(population: PopulationResult, lang: str = "vi") -> Mapping[str, int]:
    """Closing counts for the batch command: every input row ends in exactly one of these."""
    out = {"classified": 0, "not_classified": 0, "insufficient_evidence": 0}
    for result in population.results:
        out[result.outcome.status.value if result.outcome.status is not Status.CLASSIFIED else "classified"] += 1
    out["rejected"] = rejected_rows(population.rejections)
    out["rows_read"] = population.rows_read
    return out
