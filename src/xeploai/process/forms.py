"""The official tables offices print, from a population result (and, when given, its process result).

Input: a ``PopulationResult``, optionally the ``ProcessResult`` of its ladder and the ``PopulationInput`` (for the
title groups). Output: named tables with Vietnamese headings in the order offices use, written as one CSV per
table or as one XLSX workbook with a sheet per table. Every figure is a view of the traces and of
``report.summary_rows``, so the totals reconcile with the population summary; text that a spreadsheet would take
for a formula stays text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xeploai.evaluation.population import PopulationInput, PopulationResult
from xeploai.evaluation.report import one_line_reason, summary_rows
from xeploai.evaluation.trace import Decision, NodeKind, Result, Status, Truth
from xeploai.explanation import reasons
from xeploai.process.ballots import BallotOutcome
from xeploai.process.ladder import ProcessResult, cite_text
from xeploai.process.ladder_text import relation_text
from xeploai.program import ir
from xeploai.tables.outputs import atomic_file
from xeploai.tables.writers import save_workbook, write_table

__all__ = ["SHEETS", "Table", "official_tables", "write_official"]

SHEETS: Mapping[str, str] = {
    "de_xuat": "Tổng hợp đề xuất xếp loại",
    "tong_hop": "Tổng hợp kết quả xếp loại theo đơn vị",
    "tong_hop_nhom": "Tổng hợp kết quả xếp loại theo nhóm chức danh",
    "kiem_soat_ty_le": "Kiểm soát tỷ lệ Hoàn thành xuất sắc nhiệm vụ",
    "chenh_lech": "Chênh lệch giữa tự đánh giá và thẩm định",
    "khong_xep_loai": "Danh sách không xếp loại",
    "quyet_dinh": "Danh sách đề nghị quyết định xếp loại",
    "phieu_bau": "Phiếu biểu quyết xếp loại",
    "kiem_phieu": "Biên bản kiểm phiếu",
    "khac_phuc": "Kế hoạch khắc phục hạn chế, khuyết điểm",
}
_FORMULA = re.compile(r"^[=+\-@\t\r]")


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (key, Vietnamese heading)
    rows: tuple[dict[str, object], ...]


def _individuals(program: ir.Program) -> set[str]:
    return {k for k, s in program.subjects.items() if not s.relations}


def _unit_names(population: PopulationResult) -> dict[str, str]:
    return {u.id: u.name for u in population.units}


def _ordered(population: PopulationResult, kinds: set[str]) -> list[Result]:
    chosen = [r for r in population.results if r.subject_kind in kinds]
    return sorted(chosen, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id))


def _code(program: ir.Program, level: str | None) -> str:
    return program.level_code(level) if level else ""


def _ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else ""


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
    columns += [("explain", "Chênh lệch phải giải trình")]
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
            for view in ladder_row.rungs:
                row[f"rung:{view.rung.id}"] = _code(program, view.level)
                if view.relation in ("above", "below"):
                    differs.append(f"{view.rung.label.vi}: {relation_text(view.relation)}")
            pending = [d for d in ladder_row.discrepancies if not d.explained]
            row["explain"] = "; ".join(f"{d.first} → {d.second}" for d in pending)
        row["differs"] = "; ".join(differs)
        rows.append(row)
    return Table("de_xuat", SHEETS["de_xuat"], tuple(columns), tuple(rows))


def _status_vi(status: Status) -> str:
    return {
        Status.CLASSIFIED: "Được xếp loại",
        Status.NOT_CLASSIFIED: "Không xếp loại",
        Status.INSUFFICIENT_EVIDENCE: "Chưa đủ căn cứ",
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
        ("insufficient", "Chưa đủ căn cứ"),
        ("rejected", "Dòng bị loại"),
        ("ratio_of_good", "Tỷ lệ HTXS/HTT (%)"),
        ("ratio_of_good_and_above", "Tỷ lệ HTXS/(HTXS+HTT) (%)"),
    ]
    return columns


def _add_ratios(program: ir.Program, row: dict[str, object]) -> dict[str, object]:
    codes = [v.code for v in program.levels.values]
    best, second = (int(str(row.get(codes[0], 0) or 0)), int(str(row.get(codes[1], 0) or 0)))
    row["ratio_of_good"] = _ratio(best, second)
    row["ratio_of_good_and_above"] = _ratio(best, best + second)
    return row


def _by_unit(population: PopulationResult) -> Table:
    program = population.program
    first = [
        ("unit", "Mã đơn vị"),
        ("unit_name", "Tên đơn vị"),
        ("unit_kind", "Loại"),
        ("own_level", "Xếp loại tổ chức"),
    ]
    rows = []
    for summary in summary_rows(population):
        row = dict(summary)
        if row["unit"] == "":
            row["unit_name"] = "Tổng cộng"
        rows.append(_add_ratios(program, row))
    return Table("tong_hop", SHEETS["tong_hop"], tuple(_count_columns(program, first)), tuple(rows))


def _group_field(program: ir.Program) -> str | None:
    for quota in program.quotas:
        if quota.group_field is not None:
            return quota.group_field
    return None


def _by_group(population: PopulationResult, population_input: PopulationInput | None) -> Table:
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
        _count(program, row, result)
    total = _empty_counts(program, {"group": "Tổng cộng"})
    for row in groups.values():
        for key, value in row.items():
            if isinstance(value, int) and key != "group":
                total[key] = int(str(total.get(key, 0))) + value
    rows = [_finish(program, groups[k]) for k in sorted(groups)] + [_finish(program, total)]
    first = [("group", f"Nhóm chức danh ({name})" if name else "Nhóm chức danh")]
    return Table("tong_hop_nhom", SHEETS["tong_hop_nhom"], tuple(_count_columns(program, first)), tuple(rows))


def _empty_counts(program: ir.Program, start: dict[str, object]) -> dict[str, object]:
    row = dict(start)
    for key in ("members", "classified", "not_classified", "insufficient", "rejected"):
        row[key] = 0
    for value in program.levels.values:
        row[value.code] = 0
    return row


def _count(program: ir.Program, row: dict[str, object], result: Result) -> None:
    def bump(key: str) -> None:
        row[key] = int(str(row[key])) + 1

    bump("members")
    outcome = result.outcome
    if outcome.status is Status.NOT_CLASSIFIED:
        bump("not_classified")
    elif outcome.status is Status.INSUFFICIENT_EVIDENCE:
        bump("insufficient")
    elif outcome.level is not None:
        bump("classified")
        bump(program.level_code(outcome.level))


def _finish(program: ir.Program, row: dict[str, object]) -> dict[str, object]:
    classified = int(str(row["classified"]))
    for value in program.levels.values:
        row[f"{value.code}_share"] = _ratio(int(str(row[value.code])), classified)
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
        ("ratio", "Tỷ lệ tối đa"),
        ("rounding", "Cách làm tròn"),
        ("allowed", "Số được HTXS"),
        ("proposed", "Số đề nghị HTXS"),
        ("excess", "Số vượt"),
        ("status", "Tình trạng"),
        ("over", "Người vượt tỷ lệ"),
        ("why", "Lý do"),
        ("decision", "Quyết định"),
        ("cite", "Căn cứ"),
    )
    rows = []
    for n, g in enumerate(population.quota_groups, 1):
        quota = quotas[g.quota]
        over = g.demoted if g.status in ("ranked", "decided") else (g.candidates if g.status == "flagged" else ())
        ranking = ", ".join(k.field for k in quota.rank_by) or "mã đối tượng"
        rows.append(
            {
                "stt": n,
                "quota": quota.label.vi,
                "group": g.group_name,
                "base": g.base,
                "ratio": f"{float(quota.ratio) * 100:g}%",
                "rounding": {"floor": "làm tròn xuống", "half_up": "từ 0,5 trở lên thành 1", "ceil": "làm tròn lên"}[
                    quota.rounding.value
                ],
                "allowed": g.allowed,
                "proposed": len(g.candidates),
                "excess": max(len(g.candidates) - g.allowed, 0),
                "status": status[g.status],
                "over": "; ".join(f"{names.get(i, i)} ({i})" for i in over),
                "why": f"xếp thứ tự theo {ranking}; giữ {len(g.kept)} người đầu" if g.status == "ranked" else "",
                "decision": g.decision or "",
                "cite": cite_text(program, quota.cite),
            }
        )
    return Table("kiem_soat_ty_le", SHEETS["kiem_soat_ty_le"], columns, tuple(rows))


def _discrepancies(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    columns = (
        ("stt", "STT"),
        ("id", "Mã"),
        ("name", "Họ và tên"),
        ("unit", "Đơn vị"),
        ("criterion", "Nhóm tiêu chí"),
        ("first", "Tự đánh giá"),
        ("second", "Thẩm định"),
        ("difference", "Chênh lệch"),
        ("required", "Phải giải trình"),
        ("explanation", "Nội dung giải trình"),
        ("cite", "Căn cứ"),
    )
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
                        "criterion": fdef.label.vi if fdef else criterion,
                        "first": a,
                        "second": b,
                        "difference": diff,
                        "required": "Có" if not d.explained else "Đã giải trình",
                        "explanation": d.explanation or "",
                        "cite": cite_text(program, d.gap.cite),
                    }
                )
    return Table("chenh_lech", SHEETS["chenh_lech"], columns, tuple(rows))


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


def _decisions(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    columns = (
        *_PERSON,
        ("level", "Mức xếp loại"),
        ("level_label", "Mức xếp loại (chữ)"),
        ("decided", "Mức cấp có thẩm quyền quyết định"),
        ("differs", "Khác mức theo quy định"),
        ("basis", "Căn cứ"),
    )
    decided: dict[str, tuple[str | None, str]] = {}
    for ladder_row in process.rows if process else ():
        for view in ladder_row.rungs:
            if view.rung.role is ir.RungRole.DECISION and view.proposal is not None:
                decided[ladder_row.result.subject_id] = (view.level, view.proposal.reference or "")
    rows = []
    chosen = [r for r in _ordered(population, _individuals(program)) if r.outcome.status is Status.CLASSIFIED]
    for n, result in enumerate(chosen, 1):
        row = _person(n, result, units, program)
        level = result.outcome.level
        row["level"] = _code(program, level)
        row["level_label"] = program.level_label(level).vi if level else ""
        taken, reference = decided.get(result.subject_id, (None, ""))
        row["decided"] = _code(program, taken)
        row["differs"] = "Có" if taken is not None and taken != level else ""
        quota_decisions = [
            str(dict(n.details).get("decision"))
            for n in reasons.quota_checks(result)
            if dict(n.details).get("decision")
        ]
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
    return Table("phieu_bau", SHEETS["phieu_bau"], tuple(columns), tuple(rows))


def _tally_sheet(population: PopulationResult, process: ProcessResult | None, units: Mapping[str, str]) -> Table:
    program = population.program
    outcomes = {(b.tally.subject, b.tally.rung): b for b in process.ballots} if process else {}
    by_subject: dict[str, BallotOutcome] = {}
    for (subject, _rung), ballot in outcomes.items():
        by_subject.setdefault(subject, ballot)
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
            row["result"] = _code(program, outcome.level) or outcome.status
            row["how"] = outcome.text()
            row["cite"] = cite_text(program, outcome.rule.cite)
        rows.append(row)
    return Table("kiem_phieu", SHEETS["kiem_phieu"], tuple(columns), tuple(rows))


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
        else:
            above = order[order.index(outcome.level) - 1]
            nodes = reasons.why_not(result, program).get(above, [])
        row["shortcomings"] = "; ".join((n.label.vi if n.label else n.id) for n in nodes)
        row["cite"] = "; ".join(dict.fromkeys(cite_text(program, n.cite) for n in nodes if n.cite is not None))
        rows.append(row)
    return Table("khac_phuc", SHEETS["khac_phuc"], columns, tuple(rows))


def official_tables(
    population: PopulationResult,
    process: ProcessResult | None = None,
    population_input: PopulationInput | None = None,
) -> dict[str, Table]:
    """Every official table, by sheet id, in the order offices file them."""
    units = _unit_names(population)
    tables = [
        _proposals(population, process, units),
        _by_unit(population),
        _by_group(population, population_input),
        _quota_control(population),
        _discrepancies(population, process, units),
        _not_classified(population, units),
        _decisions(population, process, units),
        _ballot_sheet(population, process, units),
        _tally_sheet(population, process, units),
        _improvement(population, units),
    ]
    return {t.id: t for t in tables}


def _cell_value(value: object) -> tuple[object, bool]:
    if value is None or isinstance(value, bool | int | float):
        return value, False
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", str(value))
    return text, True


def write_official(
    tables: Mapping[str, Table],
    out: str | os.PathLike[str],
    fmt: str = "xlsx",
    *,
    files: Callable[[Path], AbstractContextManager[Path]] = atomic_file,
) -> list[Path]:
    """Write the tables: ``xlsx`` → one workbook ``bieu_mau.xlsx`` with a sheet per table (a title row, then the
    headings in row 2); ``csv`` → one ``<sheet id>.csv`` per table (UTF-8 with BOM, headings in the first row).

    Each file is written through ``files`` (its final path → the path to write to): by default to a temporary name
    renamed over the final one once complete (``tables.outputs.atomic_file``)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        written = []
        for table in tables.values():
            path = folder / f"{table.id}.csv"
            with files(path) as temp:
                write_table(list(table.rows), list(table.columns), temp)
            written.append(path)
        return written
    import openpyxl  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in tables.values():
        sheet: Any = book.create_sheet(table.id)
        sheet.cell(row=1, column=1, value=table.title).font = Font(bold=True, size=13)
        for col, (_, heading) in enumerate(table.columns, 1):
            cell = sheet.cell(row=2, column=col, value=heading)
            cell.data_type = "s"
            cell.font = Font(bold=True)
        for r, row in enumerate(table.rows, 3):
            for col, (key, _) in enumerate(table.columns, 1):
                value, as_text = _cell_value(row.get(key))
                if as_text and _FORMULA.match(str(value)):
                    value = "'" + str(value)
                cell = sheet.cell(row=r, column=col, value=value)
                if as_text:
                    cell.data_type = "s"
        sheet.freeze_panes = "A3"
    path = folder / "bieu_mau.xlsx"
    with files(path) as temp:
        save_workbook(book, temp)
    return [path]
