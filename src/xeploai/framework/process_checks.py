"""Checker, the review process (``process:``): level aliases, ladders and their gaps, ballots, readings of the
rules and the period rules.

Input: the document's ``process`` section, the merged subject kinds and the loader's positions. Output: ``Issue``
records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from fractions import Fraction

from xeploai.framework import schema
from xeploai.framework.document_checks import (
    all_rules,
    check_cited,
    missing_label,
    not_a_field,
    not_a_kind,
    not_a_level,
    subject_kinds,
)
from xeploai.framework.resolver import (
    Declarations,
    Entry,
    MergedSubject,
    Path,
    SpanOf,
    StyleOf,
    dotted,
    parse_at_most,
    period_condition,
    ratio,
    subject_scope,
    with_period_fields,
)
from xeploai.program import ir
from xeploai.program.issues import Issue, suggest

_READING_VALUES: Mapping[str, tuple[str, ...]] = {
    "quota_denominator": ("of_level", "of_level_and_above"),
    "quota_rounding": ("floor", "half_up", "ceil"),
    "score_rounding": ("none", "each", "total"),
    "level_gap": ("competent_level", "lowest_level"),
}


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", " ".join(text.casefold().split())).replace("đ", "d")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_process(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process",)
    yield from _check_aliases(process, decl, span_of)
    kinds = subject_kinds(doc, decl)
    ballots = [*(decl.base.process.ballots if decl.base and decl.base.process else ()), *process.ballots]
    laddered: dict[str, str] = {}
    for ladder_id, ladder in process.ladders.items():
        path: Path = (*root, "ladders", ladder_id)
        if ladder.label is None:
            yield missing_label(path, span_of, ir.Text(f"trình tự đề xuất '{ladder_id}'", f"ladder '{ladder_id}'"))
        for index, kind in enumerate(ladder.kinds):
            yield from _known_kind(kind, (*path, "kinds", index), kinds, span_of)
            if kind in laddered:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{kind}' đã thuộc trình tự đề xuất '{laddered[kind]}'; mỗi loại đối tượng chỉ có một trình tự"
                        " đề xuất",
                        f"'{kind}' already climbs the ladder '{laddered[kind]}'; a kind has one ladder",
                    ),
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                )
            laddered.setdefault(kind, ladder_id)
        rung_ids: list[str] = []
        for index, rung in enumerate(ladder.rungs):
            rung_path: Path = (*path, "rungs", index)
            if rung.id in rung_ids:
                message = ir.Text(f"bậc đề xuất '{rung.id}' xuất hiện hai lần", f"the rung '{rung.id}' appears twice")
                yield Issue.from_text("invalid-value", message, dotted(rung_path), span_of(rung_path))
            rung_ids.append(rung.id)
            named = ir.Text(f"bậc đề xuất '{rung.id}'", f"rung '{rung.id}'")
            yield from check_cited(doc, decl, Entry(rung, rung_path), span_of, named)
            if rung.ballot is not None and rung.ballot not in ballots:
                yield Issue.from_text(
                    "unknown-declaration",
                    ir.Text(
                        f"'{rung.ballot}' không phải quy định bỏ phiếu trong process.ballots",
                        f"'{rung.ballot}' is not a ballot of process.ballots",
                    ),
                    dotted((*rung_path, "ballot")),
                    span_of((*rung_path, "ballot")),
                    suggest(rung.ballot, ballots),
                )
        for index, name in enumerate(ladder.criteria):
            for kind in ladder.kinds:
                if kind in subjects and name not in subjects[kind].evidence:
                    yield Issue.from_text(
                        "unknown-reference",
                        not_a_field(name, kind),
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                        suggest(name, subjects[kind].evidence),
                    )
                elif kind in subjects and subjects[kind].evidence[name].doc.type not in ("count", "number", "scale"):
                    field_type = subjects[kind].evidence[name].doc.type
                    yield Issue.from_text(
                        "type-error",
                        ir.Text(
                            f"tiêu chí phải là điểm số hoặc mức đánh giá; '{name}' có kiểu {field_type}",
                            f"a criterion is a score or a grade; '{name}' is {field_type}",
                        ),
                        dotted((*path, "criteria", index)),
                        span_of((*path, "criteria", index)),
                    )
        for gap_id, gap in ladder.gaps.items():
            gap_path: Path = (*path, "gaps", gap_id)
            named = ir.Text(f"mức chênh lệch '{gap_id}'", f"gap '{gap_id}'")
            yield from check_cited(doc, decl, Entry(gap, gap_path), span_of, named)
            for index, rung_id in enumerate(gap.between):
                if rung_id not in rung_ids:
                    yield Issue.from_text(
                        "unknown-reference",
                        ir.Text(
                            f"'{rung_id}' không phải bậc của trình tự đề xuất '{ladder_id}'",
                            f"'{rung_id}' is not a rung of the ladder '{ladder_id}'",
                        ),
                        dotted((*gap_path, "between", index)),
                        span_of((*gap_path, "between", index)),
                        suggest(rung_id, rung_ids),
                    )
            first, second = gap.between
            if first in rung_ids and second in rung_ids and rung_ids.index(first) >= rung_ids.index(second):
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"between ghi bậc trước lên trước: '{first}' không đứng trước '{second}'",
                        f"between lists the earlier rung first: '{first}' does not come before '{second}'",
                    ),
                    dotted((*gap_path, "between")),
                    span_of((*gap_path, "between")),
                )
            if gap.points is None and gap.levels is None:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text("mức chênh lệch cần points, levels hoặc cả hai", "a gap needs points, levels or both"),
                    dotted(gap_path),
                    span_of(gap_path),
                    ir.Text(
                        "ví dụ points: 5 (chênh lệch tổng điểm) hoặc levels: 1 (khác mức xếp loại)",
                        "for example points: 5 (a total-score difference) or levels: 1 (a different level)",
                    ),
                )
    for ballot_id, ballot in process.ballots.items():
        path = (*root, "ballots", ballot_id)
        named = ir.Text(f"quy định bỏ phiếu '{ballot_id}'", f"ballot '{ballot_id}'")
        yield from check_cited(doc, decl, Entry(ballot, path), span_of, named)
        shares: list[tuple[tuple[str, ...], float | str | None, bool]] = [(("more_than",), ballot.more_than, False)]
        quorum = ballot.quorum
        if isinstance(quorum, schema.QuorumDoc):
            quorum_path = (*path, "quorum")
            named_quorum = ir.Text(f"số có mặt tối thiểu của '{ballot_id}'", f"the quorum of '{ballot_id}'")
            yield from check_cited(doc, decl, Entry(quorum, quorum_path), span_of, named_quorum)
            if (quorum.at_least is None) == (quorum.more_than is None):
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        "quorum cần đúng một trong at_least, more_than", "a quorum needs one of at_least, more_than"
                    ),
                    dotted(quorum_path),
                    span_of(quorum_path),
                    ir.Text("ví dụ quorum: {more_than: 50%, …}", "for example quorum: {more_than: 50%, …}"),
                )
            shares += [
                (("quorum", "at_least"), quorum.at_least, True),
                (("quorum", "more_than"), quorum.more_than, False),
            ]
        else:
            shares.append((("quorum",), quorum, True))
        for keys, value, upper in shares:
            share = None if value is None else ratio(value)
            if value is not None and (share is None or not 0 < share <= 1 or (share == 1 and not upper)):
                key = ".".join(keys)
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"{key} {value!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 50%, 0.5 hoặc 2/3)",
                        f"{key} {value!r} is not a share between 0 and 1 (write 50%, 0.5 or 2/3)",
                    ),
                    dotted((*path, *keys)),
                    span_of((*path, *keys)),
                )
    yield from _check_readings(doc, process, subjects, decl, span_of)
    if process.periods is not None:
        yield from _check_periods(doc, process.periods, subjects, decl, span_of, style_of)


def _known_kind(kind: str, path: Path, kinds: list[str], span_of: SpanOf) -> Iterator[Issue]:
    if kind not in kinds:
        yield Issue.from_text(
            "unknown-declaration", not_a_kind(kind), dotted(path), span_of(path), suggest(kind, kinds)
        )


def _check_aliases(process: schema.ProcessDoc, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    owner: dict[str, str] = {}
    for value in decl.levels.values:
        for spelling in (value.id, value.code, value.label.vi, value.label.en):
            owner.setdefault(_strip_marks(spelling), value.id)
    for level, spellings in process.level_aliases.items():
        path: Path = ("process", "level_aliases", level)
        if level not in level_ids:
            yield Issue.from_text(
                "level-mismatch", not_a_level(level), dotted(path), span_of(path), suggest(level, level_ids)
            )
            continue
        for index, spelling in enumerate(spellings):
            key = _strip_marks(spelling)
            other = owner.get(key)
            if other is not None and other != level:
                yield Issue.from_text(
                    "alias-conflict",
                    ir.Text(
                        f"'{spelling}' sẽ chỉ cả '{other}' lẫn '{level}'",
                        f"'{spelling}' would spell both '{other}' and '{level}'",
                    ),
                    dotted((*path, index)),
                    span_of((*path, index)),
                    ir.Text(
                        "mỗi cách viết (so sánh không phân biệt hoa thường, khoảng trắng và dấu) chỉ gọi một mức",
                        "a spelling (compared without case, spaces or diacritics) names one level",
                    ),
                )
            owner.setdefault(key, level)


def _check_readings(
    doc: schema.FrameworkDoc,
    process: schema.ProcessDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
) -> Iterator[Issue]:
    quotas: dict[str, tuple[str, Fraction | None, str]] = {}  # id → (rounding, ratio, of_level)
    for q in decl.base.quotas if decl.base else ():
        quotas[q.id] = (q.rounding.value, q.ratio, q.of_level)
    for quota_id, q_doc in doc.quotas.items():
        quotas[quota_id] = (q_doc.limit.rounding, ratio(q_doc.limit.ratio), q_doc.limit.of_level)
    for reading_id, reading in process.readings.items():
        path: Path = ("process", "readings", reading_id)
        if reading.label is None:
            yield missing_label(path, span_of, ir.Text(f"cách hiểu '{reading_id}'", f"reading '{reading_id}'"))
        for option_id, option in reading.options.items():
            option_path: Path = (*path, "options", option_id)
            named = ir.Text(f"phương án cách hiểu '{option_id}'", f"reading option '{option_id}'")
            yield from check_cited(doc, decl, Entry(option, option_path), span_of, named)
            allowed = _READING_VALUES.get(reading.parameter)
            value = str(option.value).strip() if isinstance(option.value, str) else option.value
            if reading.parameter == "rules" or option.value is None:
                if (reading.parameter == "rules") == (option.value is None) and (
                    reading.parameter == "rules" or not option.enables
                ):
                    continue
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        "cách hiểu về quy tắc (parameter: rules) ghi enables, không ghi value; cách hiểu khác ghi"
                        " value, không ghi enables",
                        "a rules reading (parameter: rules) lists enables, not a value; other readings give a value,"
                        " not enables",
                    ),
                    dotted(option_path),
                    span_of(option_path),
                )
            elif option.enables:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        "chỉ cách hiểu về quy tắc (parameter: rules) mới ghi enables",
                        "only a rules reading (parameter: rules) lists enables",
                    ),
                    dotted((*option_path, "enables")),
                    span_of((*option_path, "enables")),
                )
            elif allowed is not None and value not in allowed:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"{option.value!r} không phải giá trị của {reading.parameter}; cần một trong:"
                        f" {', '.join(allowed)}",
                        f"{option.value!r} is not a value of {reading.parameter}; expected one of:"
                        f" {', '.join(allowed)}",
                    ),
                    dotted((*option_path, "value")),
                    span_of((*option_path, "value")),
                )
            elif allowed is None:
                share = ratio(option.value)
                if share is None or not 0 < share <= 1:
                    yield Issue.from_text(
                        "invalid-value",
                        ir.Text(
                            f"{option.value!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 0.25 hoặc '25%')",
                            f"{option.value!r} is not a share between 0 and 1 (write 0.25 or '25%')",
                        ),
                        dotted((*option_path, "value")),
                        span_of((*option_path, "value")),
                    )
        if reading.default not in reading.options:
            yield Issue.from_text(
                "reading-default",
                ir.Text(
                    f"phương án mặc định '{reading.default}' không có trong options",
                    f"the default '{reading.default}' is not one of the options",
                ),
                dotted((*path, "default")),
                span_of((*path, "default")),
                suggest(reading.default, reading.options),
            )
        concerned = reading.quotas if reading.quotas is not None else list(quotas)
        if reading.parameter.startswith("quota_"):
            for index, quota_id in enumerate(reading.quotas or ()):
                if quota_id not in quotas:
                    yield Issue.from_text(
                        "unknown-declaration",
                        ir.Text(
                            f"'{quota_id}' không phải tỷ lệ của khung tiêu chí này",
                            f"'{quota_id}' is not a quota of this framework",
                        ),
                        dotted((*path, "quotas", index)),
                        span_of((*path, "quotas", index)),
                        suggest(quota_id, quotas),
                    )
            default = reading.options.get(reading.default)
            for quota_id in concerned:
                if default is None or quota_id not in quotas:
                    continue
                rounding, share, _ = quotas[quota_id]
                native = {
                    "quota_rounding": rounding,
                    "quota_denominator": "of_level",
                    "quota_ratio": share,
                }[reading.parameter]
                given: object = default.value
                if reading.parameter == "quota_ratio":
                    given = ratio(default.value) if default.value is not None else None
                elif isinstance(given, str):
                    given = given.strip()
                if given != native:
                    shown = native if not isinstance(native, Fraction) else f"{float(native) * 100:g}%"
                    yield Issue.from_text(
                        "reading-default",
                        ir.Text(
                            f"phương án mặc định '{reading.default}' hiểu tỷ lệ '{quota_id}' là {default.value!r},"
                            f" nhưng chính tỷ lệ đó ghi {shown!r}",
                            f"the default '{reading.default}' reads the quota '{quota_id}' as {default.value!r}, but"
                            f" the quota itself says {shown!r}",
                        ),
                        dotted((*path, "default")),
                        span_of((*path, "default")),
                        ir.Text(
                            "cách hiểu mặc định là điều tỷ lệ đã khai báo; ghi các cách hiểu khác thành phương án",
                            "the default reading is what the quota declares; name the other readings as options",
                        ),
                    )
        elif reading.quotas is not None:
            message = ir.Text("quotas chỉ dùng cho cách hiểu về tỷ lệ", "quotas is for quota readings")
            yield Issue.from_text("invalid-value", message, dotted((*path, "quotas")), span_of((*path, "quotas")))
        kinds = subject_kinds(doc, decl)
        for index, kind in enumerate(reading.kinds or ()):
            if reading.parameter != "level_gap":
                message = ir.Text("kinds chỉ dùng cho cách hiểu level_gap", "kinds is for level_gap readings")
                yield Issue.from_text("invalid-value", message, dotted((*path, "kinds")), span_of((*path, "kinds")))
                break
            yield from _known_kind(kind, (*path, "kinds", index), kinds, span_of)
        if reading.parameter == "score_rounding":
            if not reading.fields:
                yield Issue.from_text(
                    "missing-key",
                    ir.Text(
                        "cách hiểu về điểm phải ghi các trường điểm được cộng",
                        "a score reading names the score fields it sums",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text(
                        "thêm fields: [general_criteria_score, task_results_score]",
                        "add fields: [general_criteria_score, task_results_score]",
                    ),
                )
            for index, name in enumerate(reading.fields):
                owners = [k for k, s in subjects.items() if name in s.evidence]
                if not owners:
                    yield Issue.from_text(
                        "unknown-reference",
                        ir.Text(
                            f"'{name}' không phải trường minh chứng của loại đối tượng nào",
                            f"'{name}' is not an evidence field of any subject kind",
                        ),
                        dotted((*path, "fields", index)),
                        span_of((*path, "fields", index)),
                    )


# The kinds of entries of process.periods, in Vietnamese.
_PERIOD_ENTRIES_VI: Mapping[str, str] = {
    "not_classified": "quy tắc không xếp loại theo kỳ",
    "cap": "giới hạn mức theo kỳ",
    "flag": "trường hợp báo cấp có thẩm quyền",
}


def _check_periods(
    doc: schema.FrameworkDoc,
    periods: schema.PeriodsDoc,
    subjects: Mapping[str, MergedSubject],
    decl: Declarations,
    span_of: SpanOf,
    style_of: StyleOf,
) -> Iterator[Issue]:
    root: Path = ("process", "periods")
    kinds = subject_kinds(doc, decl)
    derived = {f.id for f in ir.PERIOD_FIELDS}
    entries: list[tuple[str, str, Path, schema.PeriodRuleDoc | schema.PeriodCapDoc]] = [
        *(("not_classified", i, (*root, "not_classified", i), r) for i, r in periods.not_classified.items()),
        *(("cap", i, (*root, "caps", i), c) for i, c in periods.caps.items()),
        *(("flag", i, (*root, "flags", i), f) for i, f in periods.flags.items()),
    ]
    for what, item_id, path, entry in entries:
        named = ir.Text(f"{_PERIOD_ENTRIES_VI[what]} '{item_id}'", f"{what} '{item_id}'")
        yield from check_cited(doc, decl, Entry(entry, path), span_of, named)
    reported: set[tuple[str, str, str]] = set()  # a condition's problem is reported once, not once per kind
    for index, kind in enumerate(periods.kinds):
        yield from _known_kind(kind, (*root, "kinds", index), kinds, span_of)
        subject = subjects.get(kind)
        if subject is None:
            continue
        for name in sorted(derived & set(subject.evidence)):
            if name == ir.QUARTERS_FIELD or subject.evidence[name].path[1] == kind:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{kind}' khai báo trường '{name}', là trường do kết quả và ngày theo quý điền vào",
                        f"'{kind}' declares the field '{name}', which quarterly results and dates fill in",
                    ),
                    dotted(subject.evidence[name].path),
                    span_of(subject.evidence[name].path),
                    ir.Text(
                        "đổi tên trường; xem docs/reference/process.md về các trường do kỳ đánh giá tạo ra",
                        "rename the field; see docs/reference/process.md for the fields periods yield",
                    ),
                )
        taken = {*all_rules(subject, decl), *subject.caps, *subject.notes}
        scope = with_period_fields(subject_scope(subject, decl, span_of, subjects))
        for _what, item_id, path, entry in entries:
            if item_id in taken:
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"'{item_id}' đã là quy tắc, giới hạn mức hoặc ghi chú của '{kind}'",
                        f"'{item_id}' is already a rule, cap or note of '{kind}'",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text("đặt cho quy tắc theo kỳ một mã riêng", "give the period rule an id of its own"),
                )
            _, found = period_condition(entry.when, (*path, "when"), scope, span_of, style_of)
            if isinstance(entry, schema.PeriodCapDoc):
                _, more = parse_at_most(entry.at_most, (*path, "at_most"), scope, span_of, style_of)
                found = [*found, *more]
            for issue in found:
                key = (issue.code, issue.path, issue.message)
                if key not in reported:
                    reported.add(key)
                    yield issue


def _gated(subjects: Mapping[str, MergedSubject], base: ir.Program | None) -> dict[str, tuple[str, Path | None]]:
    """Every rule, cap and note that names a reading: id → (reading id, its path in this document or None)."""
    out: dict[str, tuple[str, Path | None]] = {}
    full = base.ungated or base if base is not None else None
    for compiled in full.subjects.values() if full is not None else ():
        for entry_id, gate in (
            *((r.id, r.reading) for r in compiled.rules.values()),
            *((c.id, c.reading) for c in compiled.caps),
            *((n.id, n.reading) for n in compiled.notes),
        ):
            if gate is not None:
                out[entry_id] = (gate, None)
    for subject in subjects.values():
        for group in (subject.rules, subject.overrides, subject.caps, subject.notes):
            for entry_id, entry in group.items():
                gate = getattr(entry.doc, "reading", None)
                if gate is not None:
                    out[entry_id] = (gate, entry.path)
    return out


def check_gates(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    """Rules readings and the entries they gate: an entry names a rules reading; an option enables only entries
    gated by its reading; every gated entry is enabled by some option; no rule's condition reads a gated rule."""
    readings: dict[str, tuple[str, frozenset[str]]] = {}  # id → (parameter, ids enabled by any option)
    base = decl.base.ungated or decl.base if decl.base is not None else None
    for r in base.process.readings if base is not None and base.process is not None else ():
        readings[r.id] = (r.parameter.value, frozenset(e for o in r.options for e in o.enables))
    for reading_id, reading_doc in doc.process.readings.items() if doc.process is not None else ():
        readings[reading_id] = (
            reading_doc.parameter,
            frozenset(e for o in reading_doc.options.values() for e in o.enables),
        )
    gated = _gated(subjects, decl.base)
    for entry_id, (gate, path) in gated.items():
        if path is None:
            continue
        parameter, enabled = readings.get(gate, (None, frozenset()))
        if parameter != "rules":
            yield Issue.from_text(
                "unknown-reference",
                ir.Text(
                    f"'{gate}' không phải cách hiểu về quy tắc (parameter: rules) trong process.readings",
                    f"'{gate}' is not a rules reading (parameter: rules) of process.readings",
                ),
                dotted((*path, "reading")),
                span_of((*path, "reading")),
                suggest(gate, [r for r, (p, _) in readings.items() if p == "rules"]),
            )
        elif entry_id not in enabled:
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"không phương án nào của cách hiểu '{gate}' bật '{entry_id}' (enables), nên nó không bao giờ áp"
                    " dụng",
                    f"no option of the reading '{gate}' enables '{entry_id}', so it never acts",
                ),
                dotted((*path, "reading")),
                span_of((*path, "reading")),
            )
    for reading_id, reading_doc in doc.process.readings.items() if doc.process is not None else ():
        for option_id, option in reading_doc.options.items():
            for index, entry_id in enumerate(option.enables):
                if gated.get(entry_id, ("", None))[0] == reading_id:
                    continue
                where: Path = ("process", "readings", reading_id, "options", option_id, "enables", index)
                yield Issue.from_text(
                    "unknown-reference",
                    ir.Text(
                        f"'{entry_id}' không phải quy tắc, giới hạn mức hay ghi chú có reading: {reading_id}",
                        f"'{entry_id}' is no rule, cap or note with reading: {reading_id}",
                    ),
                    dotted(where),
                    span_of(where),
                )
    for subject in subjects.values():
        for rule_id, entry in (*subject.rules.items(), *subject.overrides.items()):
            if entry.path[1] != subject.kind:
                continue
            for other, (gate, _) in gated.items():
                if (
                    other != rule_id
                    and other in subject.rules
                    and re.search(rf"\b{re.escape(other)}\b", entry.doc.when)
                ):
                    yield Issue.from_text(
                        "invalid-value",
                        ir.Text(
                            f"điều kiện đọc quy tắc '{other}', là quy tắc chỉ áp dụng theo cách hiểu '{gate}'",
                            f"the condition reads the rule '{other}', which acts only under the reading '{gate}'",
                        ),
                        dotted((*entry.path, "when")),
                        span_of((*entry.path, "when")),
                        ir.Text(
                            "ghi điều kiện của quy tắc đó ngay trong điều kiện này",
                            "write that rule's condition inside this one",
                        ),
                    )
