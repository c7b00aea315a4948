"""Population reports: a population result → rows of the results table and of the per-unit summary.

Input: a ``population.PopulationResult``. Output: plain rows (mappings) that ``tables`` writes as CSV or XLSX.
Every row is a view of the traces: the one-line reason is read from the outcome and its deciding nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xeploai import ir
from xeploai.population import PopulationResult, QuotaGroup, Unit
from xeploai.trace import Decision, NodeKind, Result, Status, TraceNode


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
    labels = [_rule_label(result, r, lang) for r in outcome.reasons]
    if outcome.status is Status.NOT_CLASSIFIED:
        return _t("Không xếp loại: ", "Not classified: ", lang) + "; ".join(labels)
    if outcome.status is Status.INSUFFICIENT_EVIDENCE:
        missing = ", ".join(outcome.missing) or "; ".join(labels)
        return _t("Chưa đủ căn cứ, thiếu: ", "Insufficient evidence, missing: ", lang) + missing
    assert outcome.level is not None
    code = program.level_code
    if outcome.decision is Decision.TRIGGER:
        return code(outcome.level) + ": " + "; ".join(labels)
    if outcome.decision is Decision.QUOTA:
        quota = next(n for n in result.trace.children if n.kind is NodeKind.QUOTA and n.truth.value == "not_met")
        details = dict(quota.details)
        label = quota.label.get(lang) if quota.label else quota.id
        return _t(
            f"Hạ từ {code(str(details['level']))} do {label} (xếp thứ {details['rank']}, được {details['allowed']})",
            f"Lowered from {code(str(details['level']))} by {label}"
            f" (rank {details['rank']}, {details['allowed']} allowed)",
            lang,
        )
    if outcome.decision is Decision.BELOW_LOWEST:
        return _t("Không đạt mức HT: ", "Does not meet HT: ", lang) + "; ".join(labels[:3])
    levels = [v.id for v in program.levels.values]
    before = outcome.level_before_caps or outcome.level
    caps = [r for r in outcome.reasons if any(c.id == r for c in program.subjects[result.subject_kind].caps)]
    parts = []
    if caps:
        parts.append(_t("Giới hạn: ", "Capped: ", lang) + "; ".join(_rule_label(result, c, lang) for c in caps))
    higher = levels[: levels.index(before)]
    failed = [_rule_label(result, r, lang) for r in outcome.reasons if r not in caps]
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


def result_rows(population: PopulationResult, lang: str = "vi") -> list[dict[str, object]]:
    program = population.program
    units = {u.id: u for u in population.units}
    rows: list[dict[str, object]] = []
    subject_units = _subject_units(population)
    # Sorted by unit and id, not by input order: the same population gives the same table however it was typed.
    ordered = sorted(population.results, key=lambda r: (subject_units.get(r.subject_id, ""), r.subject_id))
    for result in ordered:
        outcome = result.outcome
        level = outcome.level
        unit = subject_units.get(result.subject_id, "")
        rows.append(
            {
                "id": result.subject_id,
                "name": result.subject_name or "",
                "kind": result.subject_kind,
                "unit": unit,
                "unit_name": units[unit].name if unit in units else "",
                "status": outcome.status.value,
                "level": program.level_code(level) if level else "",
                "level_label": program.level_label(level).get(lang) if level else "",
                "reason": one_line_reason(result, program, lang),
                "flags": " ".join(outcome.flags),
            }
        )
    return rows


def _subject_units(population: PopulationResult) -> dict[str, str]:
    units: dict[str, str] = {}
    for result in population.results:
        unit = result.extras.get("unit")
        if isinstance(unit, str):
            units[result.subject_id] = unit
    return units


@dataclass(frozen=True)
class _Counts:
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
        ("insufficient", "Chưa đủ căn cứ (insufficient)"),
        ("rejected", "Dòng bị loại (rejected rows)"),
        ("quota", "Tỷ lệ HTXS (quota)"),
    ]
    return columns


def summary_rows(
    population: PopulationResult, individual_kinds: Sequence[str] | None = None
) -> list[dict[str, object]]:
    """One row per unit with the counts of its individuals at each level (its whole subtree), then a total row.

    Individuals are the subject kinds that read no other subjects unless ``individual_kinds`` says otherwise.
    """
    program = population.program
    kinds = set(individual_kinds or [k for k, s in program.subjects.items() if not s.relations])
    units = {u.id: u for u in population.units}
    subject_units = _subject_units(population)
    children: dict[str | None, list[str]] = {}
    for u in population.units:
        children.setdefault(u.parent if u.parent in units else None, []).append(u.id)
    direct: dict[str, list[Result]] = {}
    own: dict[str, list[Result]] = {}
    for result in population.results:
        unit = subject_units.get(result.subject_id)
        if unit is None:
            continue
        (direct if result.subject_kind in kinds else own).setdefault(unit, []).append(result)
    rejected_by_unit: dict[str, int] = {}
    for r in population.rejections:
        if r.unit is not None and r.row is not None:
            rejected_by_unit[r.unit] = rejected_by_unit.get(r.unit, 0) + 1
    quotas_by_group: dict[str, list[QuotaGroup]] = {}
    for g in population.quota_groups:
        quotas_by_group.setdefault(g.group, []).append(g)

    def counts(unit_id: str) -> _Counts:
        by_level = {v.id: 0 for v in program.levels.values}
        not_classified = insufficient = 0
        for result in direct.get(unit_id, []):
            outcome = result.outcome
            if outcome.status is Status.NOT_CLASSIFIED:
                not_classified += 1
            elif outcome.status is Status.INSUFFICIENT_EVIDENCE:
                insufficient += 1
            elif outcome.level is not None:
                by_level[outcome.level] += 1
        total = _Counts(by_level, not_classified, insufficient, rejected_by_unit.get(unit_id, 0))
        for child in children.get(unit_id, []):
            sub = counts(child)
            total = _Counts(
                {k: total.by_level[k] + sub.by_level[k] for k in by_level},
                total.not_classified + sub.not_classified,
                total.insufficient + sub.insufficient,
                total.rejected + sub.rejected,
            )
        return total

    def row(unit: Unit | None, c: _Counts) -> dict[str, object]:
        out: dict[str, object] = {
            "unit": unit.id if unit else "",
            "unit_name": unit.name if unit else "Tổng cộng (total)",
            "unit_kind": unit.kind if unit else "",
            "own_level": _own_level(own.get(unit.id, []) if unit else [], program),
            "members": c.classified + c.not_classified + c.insufficient + c.rejected,
            "classified": c.classified,
        }
        for value in program.levels.values:
            n = c.by_level[value.id]
            out[value.code] = n
            out[f"{value.code}_share"] = f"{100 * n / c.classified:.1f}" if c.classified else ""
        out["not_classified"] = c.not_classified
        out["insufficient"] = c.insufficient
        out["rejected"] = c.rejected
        out["quota"] = "; ".join(_quota_text(g) for g in quotas_by_group.get(unit.id, [])) if unit else ""
        return out

    rows = []
    ordered: list[str] = []

    def walk(unit_id: str) -> None:
        ordered.append(unit_id)
        for child in sorted(children.get(unit_id, [])):
            walk(child)

    roots = sorted(children.get(None, []))
    for root in roots:
        walk(root)
    for unit_id in ordered:
        rows.append(row(units[unit_id], counts(unit_id)))
    grand = [counts(r) for r in roots]
    total = _Counts(
        {v.id: sum(c.by_level[v.id] for c in grand) for v in program.levels.values},
        sum(c.not_classified for c in grand),
        sum(c.insufficient for c in grand),
        sum(c.rejected for c in grand),
    )
    rows.append(row(None, total))
    return rows


def _own_level(results: Sequence[Result], program: ir.Program) -> str:
    shown = []
    for result in sorted(results, key=lambda r: (r.subject_kind, r.subject_id)):
        outcome = result.outcome
        value = program.level_code(outcome.level) if outcome.level else outcome.status.value
        shown.append(f"{result.subject_kind}: {value}")
    return "; ".join(shown)


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
    rejected_rows = {(r.source, r.row) for r in population.rejections if r.row is not None}
    out["rejected"] = len(rejected_rows)
    out["rows_read"] = population.rows_read
    return out
