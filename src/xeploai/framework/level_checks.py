"""Checker, the level scale and quotas: the rule lists of each level, levels no subject can reach, quota
declarations.

Input: a subject kind merged along ``extends``, the declarations and the loader's positions. Output: ``Issue`` records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from xeploai.framework import schema
from xeploai.framework.document_checks import (
    all_rules,
    check_cited,
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
    base_subject,
    dotted,
    ratio,
)
from xeploai.program import ir
from xeploai.program.issues import Issue, suggest


def check_lists(subject: MergedSubject, decl: Declarations, span_of: SpanOf) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    if not level_ids:  # no level scale at all: reported once as a missing key
        return
    inherited = base_subject(decl, subject.kind)
    known_rules = all_rules(subject, decl)
    upper = level_ids[:-1]
    lists: list[tuple[Path, list[str]]] = []
    for entry in (subject.not_classified, subject.not_completed):
        if entry is not None and entry.path[1] == subject.kind:
            lists.append((entry.path, entry.doc))
    if subject.levels is None and inherited is None:
        path = subject.path
        yield Issue.from_text(
            "level-mismatch",
            ir.Text(f"loại đối tượng '{subject.kind}' chưa có levels", f"subject kind '{subject.kind}' has no levels"),
            dotted(path),
            span_of(path),
            ir.Text(
                "thêm levels: với các quy tắc của " + ", ".join(upper),
                "add levels: with the rules of " + ", ".join(upper),
            ),
        )
    elif subject.levels is not None and subject.levels.path[1] == subject.kind:
        given: Mapping[str, list[str]] = subject.levels.doc
        for level_id, rule_ids in given.items():
            path = (*subject.levels.path, level_id)
            if level_id not in upper:
                hint = (
                    ir.Text(
                        f"'{level_id}' là mức thấp nhất: mức này đạt được qua not_completed",
                        f"'{level_id}' is the lowest level: it is reached through not_completed",
                    )
                    if level_id == level_ids[-1]
                    else suggest(level_id, upper)
                )
                yield Issue.from_text(
                    "level-mismatch",
                    ir.Text(
                        f"'{level_id}' không phải một mức trên mức thấp nhất",
                        f"'{level_id}' is not a level above the lowest",
                    ),
                    dotted(path),
                    span_of(path),
                    hint,
                )
            lists.append((path, rule_ids))
        missing = [level for level in upper if level not in given]
        if missing and inherited is None:
            yield Issue.from_text(
                "level-mismatch",
                ir.Text("levels thiếu " + ", ".join(missing), "levels lacks " + ", ".join(missing)),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        order = [level for level in given if level in upper]
        if order != [level for level in upper if level in given]:
            yield Issue.from_text(
                "level-mismatch",
                ir.Text(
                    "levels không theo thứ tự của thang mức xếp loại (mức tốt nhất trước): " + ", ".join(order),
                    "levels are not in the order of the level scale (best first): " + ", ".join(order),
                ),
                dotted(subject.levels.path),
                span_of(subject.levels.path),
            )
        yield from _check_reachable(subject, [level for level in upper if level in given], given, span_of)
    for path, rule_ids in lists:
        for index, rule_id in enumerate(rule_ids):
            if rule_id not in known_rules:
                yield Issue.from_text(
                    "not-a-rule",
                    ir.Text(
                        f"'{rule_id}' không phải quy tắc của '{subject.kind}'",
                        f"'{rule_id}' is not a rule of '{subject.kind}'",
                    ),
                    dotted((*path, index)),
                    span_of((*path, index)),
                    suggest(rule_id, known_rules)
                    or ir.Text(
                        "ở đây chỉ liệt kê mã quy tắc; hãy viết điều kiện thành một quy tắc",
                        "list rule ids here; write the condition as a rule",
                    ),
                )


def _check_reachable(
    subject: MergedSubject, ordered: list[str], given: Mapping[str, list[str]], span_of: SpanOf
) -> Iterator[Issue]:
    """A lower level whose rules include all rules of a higher level can only hold when the higher one does."""
    for i, higher in enumerate(ordered):
        for lower in ordered[i + 1 :]:
            if set(given[higher]) <= set(given[lower]):
                path = (*subject.levels.path, lower) if subject.levels else subject.path
                yield Issue.from_text(
                    "unreachable-level",
                    ir.Text(
                        f"'{lower}' không bao giờ là kết quả: các quy tắc của mức này bao gồm mọi quy tắc của mức tốt"
                        f" hơn '{higher}'",
                        f"'{lower}' can never be the outcome: its rules include all rules of the better level"
                        f" '{higher}'",
                    ),
                    dotted(path),
                    span_of(path),
                    ir.Text(
                        f"đối tượng đáp ứng '{lower}' thì luôn đáp ứng '{higher}' trước",
                        f"a subject meeting '{lower}' always meets '{higher}' first",
                    ),
                )
                break


def check_quotas(
    doc: schema.FrameworkDoc, subjects: Mapping[str, MergedSubject], decl: Declarations, span_of: SpanOf
) -> Iterator[Issue]:
    level_ids = [v.id for v in decl.levels.values]
    for quota_id, q in doc.quotas.items():
        path: Path = ("quotas", quota_id)
        entry = Entry(q, path)
        yield from check_cited(doc, decl, entry, span_of, ir.Text(f"tỷ lệ '{quota_id}'", f"quota '{quota_id}'"))
        for index, kind in enumerate(q.kinds):
            if kind not in subject_kinds(doc, decl):
                yield Issue.from_text(
                    "unknown-declaration",
                    not_a_kind(kind),
                    dotted((*path, "kinds", index)),
                    span_of((*path, "kinds", index)),
                    suggest(kind, doc.subjects),
                )
        for key, value in (("level", q.level), ("limit.of_level", q.limit.of_level), ("demote_to", q.demote_to)):
            if value not in level_ids:
                key_path = (*path, *key.split("."))
                yield Issue.from_text(
                    "level-mismatch",
                    not_a_level(value),
                    dotted(key_path),
                    span_of(key_path),
                    suggest(value, level_ids),
                )
        if (
            q.level in level_ids
            and q.demote_to in level_ids
            and level_ids.index(q.demote_to) <= level_ids.index(q.level)
        ):
            yield Issue.from_text(
                "level-mismatch",
                ir.Text(
                    f"demote_to '{q.demote_to}' phải thấp hơn mức '{q.level}' của tỷ lệ",
                    f"demote_to '{q.demote_to}' must be below the quota's level '{q.level}'",
                ),
                dotted((*path, "demote_to")),
                span_of((*path, "demote_to")),
            )
        share = ratio(q.limit.ratio)
        if share is None or not 0 < share <= 1:
            ratio_path = (*path, "limit", "ratio")
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    f"ratio {q.limit.ratio!r} không phải tỷ lệ trong khoảng từ 0 đến 1 (viết 0.2 hoặc '20%')",
                    f"ratio {q.limit.ratio!r} is not a share between 0 and 1 (write 0.2 or '20%')",
                ),
                dotted(ratio_path),
                span_of(ratio_path),
            )
        if q.ceiling is not None:
            ceiling = ratio(q.ceiling.ratio)
            if ceiling is None or not 0 < ceiling <= 1 or (share is not None and ceiling < share):
                ceiling_path = (*path, "ceiling", "ratio")
                yield Issue.from_text(
                    "invalid-value",
                    ir.Text(
                        f"ceiling {q.ceiling.ratio!r} phải là tỷ lệ từ limit.ratio đến 1 (viết 0.25 hoặc '25%')",
                        f"ceiling {q.ceiling.ratio!r} must be a share from limit.ratio up to 1 (write 0.25 or '25%')",
                    ),
                    dotted(ceiling_path),
                    span_of(ceiling_path),
                )
        if (q.group_by.unit_kind is None) == (q.group_by.field is None):
            yield Issue.from_text(
                "invalid-value",
                ir.Text(
                    "group_by cần đúng một trong hai khóa unit_kind và field",
                    "group_by needs exactly one of unit_kind and field",
                ),
                dotted((*path, "group_by")),
                span_of((*path, "group_by")),
            )
        needed = [("group_by.field", q.group_by.field)] if q.group_by.field else []
        needed += [(f"rank_by[{i}].field", k.field) for i, k in enumerate(q.rank_by)]
        for key, field_name in needed:
            for kind in q.kinds:
                if kind in subjects and field_name not in subjects[kind].evidence:
                    yield Issue.from_text(
                        "unknown-reference",
                        not_a_field(field_name, kind),
                        f"{dotted(path)}.{key}",
                        span_of(path),
                        suggest(field_name, subjects[kind].evidence),
                    )
