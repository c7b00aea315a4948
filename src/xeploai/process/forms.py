"""The official tables offices print, from a population result (and, when given, its process result).

Input: a ``PopulationResult``, optionally the ``ProcessResult`` of its ladder and the ``PopulationInput`` (for the
title groups). Output: named tables with Vietnamese headings and labels (never ids) in the order offices use,
written by ``form_writer`` as one CSV per table or as one XLSX workbook with a sheet per table, with the Party's
document header and a signature block. Every figure is a view of the traces and of ``report.summary_rows``, so the
totals reconcile with the population summary; where the competent committee decided a level (the decision rung),
the counts and the decision list use the decided level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xeploai.evaluation.population import PopulationInput, PopulationResult
from xeploai.evaluation.report import one_line_reason, summary_rows
from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, Truth
from xeploai.explanation import reasons
from xeploai.process.ballots import BallotOutcome, quorum_rule
from xeploai.process.form_writer import (
    HEADING_ROW,
    PERCENT,
    Letterhead,
    Signature,
    Table,
    share,
    write_official,
)
from xeploai.process.ladder import LadderRow, ProcessResult, RungView, cite_text, findings_above
from xeploai.process.ladder_text import relation_text
from xeploai.program import ir

__all__ = [
    "HEADING_ROW",
    "SHEETS",
    "Letterhead",
    "Table",
    "letterhead_for",
    "official_tables",
    "write_official",
]

SHEETS: Mapping[str, str] = {
    "de_xuat": "Tổng hợp đề xuất xếp loại",
    "tong_hop": "Tổng hợp kết quả xếp loại theo đơn vị",
    "tong_hop_nhom": "Tổng hợp kết quả xếp loại theo nhóm chức danh",
    "kiem_soat_ty_le": "Kiểm soát tỷ lệ Hoàn thành xuất sắc nhiệm vụ",
    "chenh_lech": "Chênh lệch giữa các bậc đề xuất phải giải trình",
    "khong_xep_loai": "Danh sách không xếp loại",
    "quyet_dinh": "Danh sách đề nghị quyết định xếp loại",
    "phieu_bau": "Phiếu biểu quyết xếp loại",
    "kiem_phieu": "Biên bản kiểm phiếu",
    "khac_phuc": "Kế hoạch khắc phục hạn chế, khuyết điểm",
}
# Unit kinds (population-input.md) as offices name them.
UNIT_KINDS: Mapping[str, str] = {
    "district": "Đảng bộ huyện",
    "grassroots_committee": "Đảng bộ cơ sở",
    "grassroots_cell": "Chi bộ cơ sở",
    "cell": "Chi bộ trực thuộc",
    "agency": "Cơ quan, đơn vị",
}
_PENDING = "Chờ cấp có thẩm quyền quyết định"
_BALLOT_STATUS = {
    "majority": "Đạt quá tỷ lệ",
    "cumulative": "Cộng dồn từ mức cao xuống",
    "below_plurality": "Mức liền dưới mức nhiều phiếu nhất",
    "referred": _PENDING,
    "no_quorum": "Không đủ số có mặt — phiếu không có giá trị",
    "no_ballots": "Không có phiếu hợp lệ",
}


def letterhead_for(population: PopulationResult) -> Letterhead:
    """The letterhead of a population's forms: its top unit issues them; place and date are left to fill in."""
    roots = [u for u in population.units if not u.parent or u.parent not in {v.id for v in population.units}]
    return Letterhead(committee=roots[0].name if len(roots) == 1 else "")


def _decided(process: ProcessResult | None) -> dict[str, str]:
    """Subject id → the level the competent committee decided (the decision rung), for classified subjects."""
    out: dict[str, str] = {}
    for row in process.rows if process else ():
        for view in row.rungs:
            if view.rung.role is ir.RungRole.DECISION and view.level is not None and row.allowed is not None:
                out[row.result.subject_id] = view.level
    return out


def _final(result: Result, decided: Mapping[str, str]) -> str | None:
    if result.outcome.status is not Status.CLASSIFIED:
        return None
    return decided.get(result.subject_id, result.outcome.level)


def _field_label(program: ir.Program, name: str) -> str:
    for subject in program.subjects.values():
        fdef = subject.field_def(name)
        if fdef is not None:
            return fdef.label.vi
    return name


def _individuals(program: ir.Program) -> set[str]:
    return {k for k, s in program.subjects.items() if not s.relations}


def _unit_names(population: PopulationResult) -> dict[str, str]:
    return {u.id: u.name for u in population.units}


def _ordered(population: PopulationResult, kinds: set[str]) -> list[Result]:
    chosen = [r for r in population.results if r.subject_kind in kinds]
    return sorted(chosen, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id))


def _code(program: ir.Program, level: str | None) -> str:
    return program.level_code(level) if level else ""


def _person(n: int, result: Result, units: Mapping[str, str], program: ir.Program) -> dict[str, object]:
    unit = str(result.extras.get("unit", ""))
    kind = program.subjects.get(result.subject_kind)
    return {
        "stt": n,
        "id": result.subject_id,
        "name": result.subject_name or "",
        "unit": units.get(unit, unit),
        "kind": kind.label.vi if kind else result.subject_kind,
    }


def _rung_cell(program: ir.Program, view: RungView) -> str:
    if view.level is not None:
        return _code(program, view.level)
    if view.relation == "pending" and view.ballot is not None:
        return _PENDING
    return ""


def _differs(program: ir.Program, row: LadderRow) -> list[str]:
    """What an office must look at on one person's ladder: rungs above or below the rules, a proposal for someone
    not classified, a split vote awaiting the committee, a proposal its tally contradicts, a required rung missing."""
    out: list[str] = []
    status = row.result.outcome.status
    for view in row.rungs:
        name = view.rung.label.vi
        if view.relation in ("above", "below", "not_classified"):
            out.append(f"{name}: {relation_text(view.relation)}")
        elif view.relation == "pending" and view.ballot is not None:
            out.append(f"{name}: {_PENDING.lower()} (biểu quyết không đạt quá tỷ lệ)")
        elif view.ballot is not None and view.ballot.level is None:
            out.append(f"{name}: {_BALLOT_STATUS[view.ballot.status].lower()}")
        elif view.relation == "missing" and status is not Status.NOT_CLASSIFIED:
            out.append(f"{name}: {relation_text('missing')}")
        if view.mismatch is not None:
            out.append(f"{name}: {view.mismatch.vi}")
    return out


_PERSON = (("stt", "STT"), ("id", "Mã"), ("name", "Họ và tên"), ("unit", "Đơn vị"), ("kind", "Đối tượng"))


def _proposals(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    ladders = program.process.ladders if program.process else ()
    rungs: dict[str, ir.Rung] = {}
    for ladder in ladders:
        for rung in ladder.rungs:
            rungs.setdefault(rung.id, rung)
    columns = [*_PERSON, *((f"rung:{r.id}", r.label.vi) for r in rungs.values())]
    columns += [("allowed", "Mức theo quy định"), ("reason", "Lý do"), ("differs", "Khác mức quy định")]
    columns += [("explain", "Chênh lệch phải giải trình"), ("flags", "Lưu ý cấp có thẩm quyền")]
    rows: list[dict[str, object]] = []
    laddered = {row.result.subject_id: row for row in process.rows} if process else {}
    kinds = {k for ladder in ladders for k in ladder.kinds} or _individuals(program)
    for n, result in enumerate(_ordered(population, kinds), 1):
        row = _person(n, result, units, program)
        outcome = result.outcome
        row["allowed"] = _code(program, outcome.level) if outcome.level else _status_vi(outcome.status)
        row["reason"] = one_line_reason(result, program)
        ladder_row = laddered.get(result.subject_id)
        differs: list[str] = []
        if ladder_row is not None:
            labels = {view.rung.id: view.rung.label.vi for view in ladder_row.rungs}
            for view in ladder_row.rungs:
                row[f"rung:{view.rung.id}"] = _rung_cell(program, view)
            differs = _differs(program, ladder_row)
            pending = [d for d in ladder_row.discrepancies if not d.explained]
            row["explain"] = "; ".join(f"{labels[d.first]} → {labels[d.second]}" for d in pending)
            row["flags"] = "; ".join(f.text(program) for f in ladder_row.flags)
        row["differs"] = "; ".join(differs)
        rows.append(row)
    return Table("de_xuat", SHEETS["de_xuat"], tuple(columns), tuple(rows))


def _status_vi(status: Status) -> str:
    return {
        Status.CLASSIFIED: "Được xếp loại",
        Status.NOT_CLASSIFIED: "Không xếp loại",
        Status.INSUFFICIENT_EVIDENCE: "Chưa đủ minh chứng",
        Status.AWAITING_DECISION: "Chờ cấp có thẩm quyền quyết định",
        Status.LEFT_TO_COMPETENT_LEVEL: "Quy định không xếp được mức: cấp có thẩm quyền quyết định",
    }[status]


def _count_columns(program: ir.Program, first: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    columns = [*first, ("members", "Tổng số"), ("classified", "Được xếp loại")]
    for value in program.levels.values:
        columns += [
            (value.code, f"{value.code} ({value.label.vi})"),
            (f"{value.code}_share", f"Tỷ lệ {value.code} (%)"),
        ]
    columns += [
        ("not_classified", "Không xếp loại"),
        ("insufficient", "Chưa đủ minh chứng"),
        ("awaiting", "Chờ cấp có thẩm quyền quyết định"),
        ("competent", "Quy định không xếp được mức, cấp có thẩm quyền quyết định"),
        ("rejected", "Dòng bị loại"),
        ("ratio_of_good", "Tỷ lệ HTXS/HTT (%)"),
        ("ratio_of_good_and_above", "Tỷ lệ HTXS/(HTXS+HTT) (%)"),
    ]
    return columns


def _count_formats(program: ir.Program) -> dict[str, str]:
    shares = [f"{v.code}_share" for v in program.levels.values] + ["ratio_of_good", "ratio_of_good_and_above"]
    return {key: PERCENT for key in shares}


def _add_ratios(program: ir.Program, row: dict[str, object]) -> dict[str, object]:
    codes = [v.code for v in program.levels.values]
    best, second = (int(str(row.get(codes[0], 0) or 0)), int(str(row.get(codes[1], 0) or 0)))
    row["ratio_of_good"] = share(best, second)
    row["ratio_of_good_and_above"] = share(best, best + second)
    return row


def _own_levels(program: ir.Program, population: PopulationResult, decided: Mapping[str, str]) -> dict[str, str]:
    """Unit id → its collectives' results as offices write them ("Chi bộ: HTT")."""
    units = {u.id for u in population.units}
    out: dict[str, list[str]] = {}
    for result in sorted(population.results, key=lambda r: (r.subject_kind, r.subject_id)):
        subject = program.subjects.get(result.subject_kind)
        unit = str(result.extras.get("unit", ""))
        if subject is None or not subject.relations or unit not in units:
            continue
        level = _final(result, decided)
        shown = _code(program, level) if level else _status_vi(result.outcome.status)
        out.setdefault(unit, []).append(f"{subject.label.vi}: {shown}")
    return {unit: "; ".join(found) for unit, found in out.items()}


def _by_unit(population: PopulationResult, decided: Mapping[str, str]) -> Table:
    program = population.program
    first = [
        ("unit", "Mã đơn vị"),
        ("unit_name", "Tên đơn vị"),
        ("unit_kind", "Loại"),
        ("own_level", "Xếp loại tổ chức"),
    ]
    own = _own_levels(program, population, decided)
    rows = []
    for summary in summary_rows(population, decided=decided):
        row = dict(summary)
        unit = str(row["unit"])
        if unit == "":
            row["unit_name"] = "Tổng cộng"
        row["unit_kind"] = UNIT_KINDS.get(str(row["unit_kind"]), str(row["unit_kind"]))
        row["own_level"] = own.get(unit, "")
        rows.append(_finish(program, row))
    columns = tuple(_count_columns(program, first))
    return Table("tong_hop", SHEETS["tong_hop"], columns, tuple(rows), _count_formats(program))


def _group_field(program: ir.Program) -> str | None:
    for quota in program.quotas:
        if quota.group_field is not None:
            return quota.group_field
    return None


def _by_group(
    population: PopulationResult, population_input: PopulationInput | None, decided: Mapping[str, str]
) -> Table:
    program = population.program
    name = _group_field(program)
    evidence = {row.id: row.evidence for row in population_input.subjects} if population_input else {}
    kinds = _individuals(program)
    groups: dict[str, dict[str, object]] = {}
    for result in population.results:
        if result.subject_kind not in kinds:
            continue
        value = evidence.get(result.subject_id, {}).get(name, "") if name else ""
        key = str(value) if value not in (None, "") else "(chưa xác định nhóm)"
        row = groups.setdefault(key, _empty_counts(program, {"group": key}))
        _count(program, row, result, decided)
    total = _empty_counts(program, {"group": "Tổng cộng"})
    for row in groups.values():
        for key, value in row.items():
            if isinstance(value, int) and key != "group":
                total[key] = int(str(total.get(key, 0))) + value
    rows = [_finish(program, groups[k]) for k in sorted(groups)] + [_finish(program, total)]
    first = [("group", f"Nhóm chức danh ({name})" if name else "Nhóm chức danh")]
    columns = tuple(_count_columns(program, first))
    return Table("tong_hop_nhom", SHEETS["tong_hop_nhom"], columns, tuple(rows), _count_formats(program))


def _empty_counts(program: ir.Program, start: dict[str, object]) -> dict[str, object]:
    row = dict(start)
    for key in ("members", "classified", "not_classified", "insufficient", "awaiting", "competent", "rejected"):
        row[key] = 0
    for value in program.levels.values:
        row[value.code] = 0
    return row


def _count(program: ir.Program, row: dict[str, object], result: Result, decided: Mapping[str, str]) -> None:
    def bump(key: str) -> None:
        row[key] = int(str(row[key])) + 1

    bump("members")
    outcome = result.outcome
    if outcome.status is Status.NOT_CLASSIFIED:
        bump("not_classified")
    elif outcome.status is Status.INSUFFICIENT_EVIDENCE:
        bump("insufficient")
    elif outcome.status is Status.AWAITING_DECISION and result.subject_id not in decided:
        bump("awaiting")  # never counted at a level until the competent level decides
    elif outcome.status is Status.LEFT_TO_COMPETENT_LEVEL:
        bump("competent")  # the rules place it at no level
    elif (level := decided.get(result.subject_id, outcome.level)) is not None:
        bump("classified")
        bump(program.level_code(level))


def _finish(program: ir.Program, row: dict[str, object]) -> dict[str, object]:
    classified = int(str(row["classified"]))
    for value in program.levels.values:
        row[f"{value.code}_share"] = share(int(str(row[value.code])), classified)
    return _add_ratios(program, row)


def _quota_control(population: PopulationResult) -> Table:
    program = population.program
    names = {r.subject_id: r.subject_name or r.subject_id for r in population.results}
    quotas = {q.id: q for q in program.quotas}
    status = {
        "within": "Trong tỷ lệ",
        "ranked": "Vượt tỷ lệ, đã xếp thứ tự",
        "flagged": "Vượt tỷ lệ, chờ cấp có thẩm quyền quyết định",
        "decided": "Theo quyết định của cấp có thẩm quyền",
    }
    columns = (
        ("stt", "STT"),
        ("quota", "Tỷ lệ áp dụng"),
        ("group", "Nhóm"),
        ("base", "Số HTT"),
        ("ratio", "Tỷ lệ tối đa (%)"),
        ("rounding", "Cách làm tròn"),
        ("allowed", "Số được HTXS"),
        ("proposed", "Số đề nghị HTXS"),
        ("excess", "Số vượt"),
        ("status", "Tình trạng"),
        ("over", "Người vượt tỷ lệ"),
        ("why", "Lý do"),
        ("decision", "Quyết định"),
        ("decided_by", "Cấp quyết định"),
        ("decided_on", "Ngày quyết định"),
        ("raised_to", "Tỷ lệ được nâng (%)"),
        ("cite", "Căn cứ"),
    )
    rows = []
    for n, g in enumerate(population.quota_groups, 1):
        quota = quotas[g.quota]
        over = g.demoted if g.status in ("ranked", "decided") else (g.candidates if g.status == "flagged" else ())
        ranking = ", ".join(_field_label(program, k.field) for k in quota.rank_by) or "mã đối tượng"
        rows.append(
            {
                "stt": n,
                "quota": quota.label.vi,
                "group": g.group_name,
                "base": g.base,
                "ratio": share(quota.ratio.numerator, quota.ratio.denominator, 2),
                "rounding": {"floor": "làm tròn xuống", "half_up": "từ 0,5 trở lên thành 1", "ceil": "làm tròn lên"}[
                    quota.rounding.value
                ],
                "allowed": g.allowed,
                "proposed": len(g.candidates),
                "excess": max(len(g.candidates) - g.allowed, 0),
                "status": status[g.status],
                "over": "; ".join(f"{names.get(i, i)} ({i})" for i in over),
                "why": (
                    f"xếp thứ tự theo {ranking}; giữ {len(g.kept)} người đầu"
                    if g.status == "ranked"
                    else f"gợi ý của công cụ (không phải quy định): thứ tự theo {ranking}"
                    if g.status == "flagged"
                    else ""
                ),
                "decision": g.decision or "",
                "decided_by": g.record.decided_by if g.record else "",
                "decided_on": g.record.decided_on if g.record else "",
                "raised_to": share(g.record.raised_to.numerator, g.record.raised_to.denominator, 2)
                if g.record and g.record.raised_to is not None
                else "",
                "cite": cite_text(program, quota.cite),
            }
        )
    return Table("kiem_soat_ty_le", SHEETS["kiem_soat_ty_le"], columns, tuple(rows), {"ratio": "0.##"})


def _discrepancies(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    """One row per criterion of each discrepancy, headed by the rungs of the framework's gaps (HD21: self-assessment
    vs the cell; 366: self-assessment vs the appraisal); with several kinds of gap, a column names the two rungs."""
    program = population.program
    rungs = {r.id: r.label.vi for ladder in program.process.ladders for r in ladder.rungs} if program.process else {}
    pairs = list(
        dict.fromkeys(gap.between for ladder in program.process.ladders for gap in ladder.gaps)
        if program.process
        else ()
    )
    one = pairs[0] if len(pairs) == 1 else None
    columns = [
        ("stt", "STT"),
        ("id", "Mã"),
        ("name", "Họ và tên"),
        ("unit", "Đơn vị"),
        *([] if one else [("between", "Chênh lệch giữa")]),
        ("criterion", "Nhóm tiêu chí"),
        ("first", rungs.get(one[0], one[0]) if one else "Bậc trước"),
        ("second", rungs.get(one[1], one[1]) if one else "Bậc sau"),
        ("difference", "Chênh lệch"),
        ("required", "Phải giải trình"),
        ("explanation", "Nội dung giải trình"),
        ("cite", "Căn cứ"),
    ]
    rows: list[dict[str, object]] = []
    for row in process.rows if process else ():
        for d in row.discrepancies:
            first_rows = [
                *d.by_criterion,
                (
                    "Tổng điểm / mức",
                    _code(program, d.first_level),
                    _code(program, d.second_level),
                    float(d.points_gap) if d.points_gap is not None else d.level_gap,
                ),
            ]
            for criterion, a, b, diff in first_rows:
                subject = program.subjects.get(row.result.subject_kind)
                fdef = subject.field_def(criterion) if subject else None
                rows.append(
                    {
                        "stt": len(rows) + 1,
                        "id": row.result.subject_id,
                        "name": row.result.subject_name or "",
                        "unit": units.get(row.unit, row.unit),
                        "between": f"{rungs.get(d.first, d.first)} – {rungs.get(d.second, d.second)}",
                        "criterion": fdef.label.vi if fdef else criterion,
                        "first": a,
                        "second": b,
                        "difference": diff,
                        "required": "Có" if not d.explained else "Đã giải trình",
                        "explanation": d.explanation or "",
                        "cite": cite_text(program, d.gap.cite),
                    }
                )
    title = (
        f"Chênh lệch giữa {rungs.get(one[0], one[0]).lower()} và {rungs.get(one[1], one[1]).lower()}"
        if one
        else SHEETS["chenh_lech"]
    )
    return Table("chenh_lech", title, tuple(columns), tuple(rows))


def _not_classified(population: PopulationResult, units: Mapping[str, str]) -> Table:
    program = population.program
    columns = (*_PERSON, ("reason", "Lý do không xếp loại"), ("cite", "Căn cứ"))
    rows = []
    chosen = [r for r in _ordered(population, set(program.subjects)) if r.outcome.status is Status.NOT_CLASSIFIED]
    for n, result in enumerate(chosen, 1):
        row = _person(n, result, units, program)
        row["reason"] = one_line_reason(result, program)
        held = reasons.reasons_view(result)
        row["cite"] = "; ".join(cite_text(program, node.cite) for node in held if node.cite is not None)
        rows.append(row)
    return Table("khong_xep_loai", SHEETS["khong_xep_loai"], columns, tuple(rows))


def _decisions(
    population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str], decided: Mapping[str, str]
) -> Table:
    """The decision list: the level that stands (the committee's decided level where recorded, else the rules'),
    beside the level of the rules and whether they differ, with the basis."""
    program = population.program
    columns = (
        *_PERSON,
        ("level", "Mức xếp loại"),
        ("level_label", "Mức xếp loại (chữ)"),
        ("rules", "Mức theo quy định"),
        ("decided", "Mức cấp có thẩm quyền quyết định"),
        ("differs", "Khác mức theo quy định"),
        ("basis", "Căn cứ"),
    )
    references: dict[str, str] = {}
    for ladder_row in process.rows if process else ():
        for view in ladder_row.rungs:
            if view.rung.role is ir.RungRole.DECISION and view.proposal is not None:
                references[ladder_row.result.subject_id] = view.proposal.reference or ""
    rows = []
    chosen = [r for r in _ordered(population, _individuals(program)) if r.outcome.status is Status.CLASSIFIED]
    for n, result in enumerate(chosen, 1):
        row = _person(n, result, units, program)
        rules = result.outcome.level
        taken = decided.get(result.subject_id)
        level = _final(result, decided)
        row["level"] = _code(program, level)
        row["level_label"] = program.level_label(level).vi if level else ""
        row["rules"] = _code(program, rules)
        row["decided"] = _code(program, taken)
        row["differs"] = "Có" if taken is not None and taken != rules else ""
        quota_decisions = [
            str(dict(n.details).get("decision"))
            for n in reasons.quota_checks(result)
            if dict(n.details).get("decision")
        ]
        reference = references.get(result.subject_id, "")
        row["basis"] = "; ".join([*([reference] if reference else []), *quota_decisions])
        rows.append(row)
    return Table("quyet_dinh", SHEETS["quyet_dinh"], columns, tuple(rows))


def _ballot_sheet(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    proposed: dict[str, str | None] = {}
    for ladder_row in process.rows if process else ():
        for view in ladder_row.rungs:
            if view.rung.role is ir.RungRole.CELL:
                proposed[ladder_row.result.subject_id] = view.level
    columns = [
        ("stt", "STT"),
        ("name", "Họ và tên"),
        ("unit", "Đơn vị"),
        ("proposed", "Mức đề xuất"),
        *((f"vote:{v.code}", f"{v.label.vi} ({v.code})") for v in program.levels.values),
    ]
    rows = []
    chosen = [r for r in _ordered(population, _individuals(program)) if r.outcome.status is not Status.NOT_CLASSIFIED]
    for n, result in enumerate(chosen, 1):
        unit = str(result.extras.get("unit", ""))
        level = proposed.get(result.subject_id) or result.outcome.level
        rows.append(
            {
                "stt": n,
                "name": result.subject_name or result.subject_id,
                "unit": units.get(unit, unit),
                "proposed": _code(program, level),
            }
        )
    # A secret ballot: nobody signs the ballot sheet.
    return Table("phieu_bau", SHEETS["phieu_bau"], tuple(columns), tuple(rows), signature=None)


def _tally_sheet(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    by_subject: dict[str, BallotOutcome] = {}
    for ballot in process.ballots if process else ():
        by_subject.setdefault(ballot.tally.subject, ballot)
    columns = [
        ("stt", "STT"),
        ("id", "Mã"),
        ("name", "Họ và tên"),
        ("unit", "Đơn vị"),
        ("entitled", "Số được triệu tập"),
        ("present", "Số có mặt"),
        ("valid", "Số phiếu hợp lệ"),
        *((f"votes:{v.code}", f"Số phiếu {v.code}") for v in program.levels.values),
        ("result", "Kết quả"),
        ("how", "Cách tính"),
        ("quorum", "Quy định về số có mặt"),
        ("cite", "Căn cứ"),
    ]
    rows = []
    chosen = [r for r in _ordered(population, _individuals(program)) if r.outcome.status is not Status.NOT_CLASSIFIED]
    for n, result in enumerate(chosen, 1):
        unit = str(result.extras.get("unit", ""))
        row: dict[str, object] = {
            "stt": n,
            "id": result.subject_id,
            "name": result.subject_name or "",
            "unit": units.get(unit, unit),
        }
        outcome = by_subject.get(result.subject_id)
        if outcome is not None:
            tally = outcome.tally
            row.update({"entitled": tally.entitled, "present": tally.present, "valid": tally.valid})
            for value in program.levels.values:
                row[f"votes:{value.code}"] = tally.votes.get(value.id, 0)
            row["result"] = _code(program, outcome.level) or _BALLOT_STATUS.get(outcome.status, outcome.status)
            row["how"] = outcome.text()
            row["quorum"] = quorum_rule(outcome.rule, program).vi
            row["cite"] = cite_text(program, outcome.rule.cite)
        rows.append(row)
    rules = program.process.ballots.values() if program.process else ()
    notes = tuple(f"{rule.label.vi}: {quorum_rule(rule, program).vi}" for rule in rules)
    signature = Signature("CÁC THÀNH VIÊN TỔ KIỂM PHIẾU", "TỔ TRƯỞNG TỔ KIỂM PHIẾU", right_note="(Ký, ghi rõ họ tên)")
    return Table("kiem_phieu", SHEETS["kiem_phieu"], tuple(columns), tuple(rows), signature=signature, notes=notes)


def _improvement(population: PopulationResult, units: Mapping[str, str]) -> Table:
    program = population.program
    order = [v.id for v in program.levels.values]
    wanted = set(order[-2:])  # HT and KHT
    columns = (
        *_PERSON,
        ("level", "Mức xếp loại"),
        ("shortcomings", "Hạn chế, khuyết điểm (theo tiêu chuẩn chưa đạt)"),
        ("cite", "Căn cứ"),
        ("measures", "Biện pháp khắc phục"),
        ("deadline", "Thời hạn"),
        ("responsible", "Người chịu trách nhiệm"),
    )
    rows = []
    chosen = [r for r in _ordered(population, _individuals(program)) if r.outcome.level in wanted]
    for n, result in enumerate(chosen, 1):
        row = _person(n, result, units, program)
        outcome = result.outcome
        assert outcome.level is not None
        row["level"] = program.level_code(outcome.level)
        if outcome.decision is Decision.TRIGGER:
            nodes = [c for stage in result.trace.children if stage.kind is NodeKind.TRIGGERS for c in stage.children]
            nodes = [c for c in nodes if c.truth is Truth.MET]
            found = [(n.label.vi if n.label else n.id, n.cite) for n in nodes]
        else:
            # What the next level up needs: its failed requirements, and the caps or quota that lowered the level.
            above = order[order.index(outcome.level) - 1]
            found = [(f.label.vi if f.label else f.id, f.cite) for f in findings_above(result, program, above)]
        row["shortcomings"] = "; ".join(label for label, _ in found)
        row["cite"] = "; ".join(dict.fromkeys(cite_text(program, c) for _, c in found if c is not None))
        rows.append(row)
    return Table("khac_phuc", SHEETS["khac_phuc"], columns, tuple(rows))


def official_tables(
    population: PopulationResult,
    process: ProcessResult | None = None,
    population_input: PopulationInput | None = None,
) -> dict[str, Table]:
    """Every official table, by sheet id, in the order offices file them."""
    units = _unit_names(population)
    decided = _decided(process)
    tables = [
        _proposals(population, process, units),
        _by_unit(population, decided),
        _by_group(population, population_input, decided),
        _quota_control(population),
        _discrepancies(population, process, units),
        _not_classified(population, units),
        _decisions(population, process, units, decided),
        _ballot_sheet(population, process, units),
        _tally_sheet(population, process, units),
        _improvement(population, units),
    ]
    return {t.id: t for t in tables}
