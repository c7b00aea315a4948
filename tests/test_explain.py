"""Explanations rendered from hand-built programs and traces (independent of the interpreter)."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Read, Result, Status, TraceNode, Truth
from xeploai.explanation import explain, reasons
from xeploai.explanation.messages import MESSAGES, msg
from xeploai.program.ir import (
    BoolType,
    Cap,
    Citation,
    Confidence,
    Const,
    FieldDef,
    FrameworkInfo,
    LegalDocument,
    LevelRequirement,
    Note,
    NumberType,
    OrdinalType,
    Period,
    Program,
    Rule,
    Scale,
    ScaleValue,
    Span,
    SubjectProgram,
    Text,
)

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schema" / "explanation.schema.json"
FILE = "frameworks/party/2019-10-18.yaml"

LEVELS = Scale(
    "level",
    Text("Mức xếp loại", "Level"),
    (
        ScaleValue("excellent", "HTXS", Text("Hoàn thành xuất sắc nhiệm vụ", "Completed tasks excellently")),
        ScaleValue("good", "HTT", Text("Hoàn thành tốt nhiệm vụ", "Completed tasks well")),
        ScaleValue("completed", "HT", Text("Hoàn thành nhiệm vụ", "Completed tasks")),
        ScaleValue("not_completed", "KHT", Text("Không hoàn thành nhiệm vụ", "Did not complete tasks")),
    ),
)

HD21 = Citation("HD21", "Tiết 2 Điểm B Mục II", ("S16",))
TRUE = Const(True, BoolType())


def _rule(rid: str, vi: str, en: str, conf: Confidence = Confidence.CONFIRMED, **kw: object) -> Rule:
    return Rule(rid, TRUE, rid, Text(vi, en), HD21, conf, **kw)  # type: ignore[arg-type]


RULES = {
    r.id: r
    for r in (
        _rule("exempted", "Được miễn đánh giá", "Exempted from review"),
        _rule(
            "disciplined_in_year", "Bị thi hành kỷ luật trong năm", "Disciplined during the year", Confidence.SECONDARY
        ),
        _rule(
            "all_targets_met",
            "Hoàn thành 100% chỉ tiêu",
            "Met every target",
            fail=Text("Chưa hoàn thành hết chỉ tiêu được giao.", "Not every assigned target was met."),
        ),
        _rule("ideology_good", "Tư tưởng chính trị từ Tốt trở lên", "Ideology at least good", Confidence.ASSUMED),
        _rule("most_targets_met", "Hoàn thành từ 80% chỉ tiêu", "Met at least 80% of targets"),
        _rule("half_targets_met", "Hoàn thành từ 50% chỉ tiêu", "Met at least half of the targets"),
        _rule("not_disciplined", "Không bị kỷ luật", "Not disciplined"),
    )
}

PROGRAM = Program(
    info=FrameworkInfo(
        family="party",
        version="HD21",
        title=Text("Hướng dẫn 21-HD/BTCTW", "Guidance 21-HD/BTCTW"),
        effective_from=date(2019, 10, 18),
        effective_until=None,
        supersedes=None,
        legal_basis=(LegalDocument("HD21", "21-HD/BTCTW", Text("Hướng dẫn 21", "Guidance 21"), None, "BTCTW", None),),
        source=FILE,
        source_sha256="ab" * 32,
    ),
    levels=LEVELS,
    scales={"level": LEVELS},
    enums={},
    records={},
    subjects={
        "party_member": SubjectProgram(
            kind="party_member",
            label=Text("Đảng viên", "Party member"),
            fields=(
                FieldDef("targets_assigned", NumberType(integer=True), Text("Số chỉ tiêu được giao", "Targets")),
                FieldDef("targets_met", NumberType(integer=True), Text("Số chỉ tiêu hoàn thành", "Targets met")),
                FieldDef("ideology", OrdinalType("grade"), Text("Tư tưởng chính trị", "Ideology"), judgement=True),
                FieldDef("sick_leave_months", NumberType(), Text("Số tháng nghỉ ốm", "Months of sick leave")),
            ),
            rules=RULES,
            not_classified=("exempted",),
            not_completed=("disciplined_in_year",),
            levels=(
                LevelRequirement("excellent", ("all_targets_met", "ideology_good")),
                LevelRequirement("good", ("most_targets_met", "not_disciplined")),
                LevelRequirement("completed", ("half_targets_met",)),
            ),
            caps=(
                Cap(
                    "sick_leave_cap",
                    TRUE,
                    Const("completed", OrdinalType("level")),
                    "sick_leave_months >= 3",
                    Text("Nghỉ ốm từ 3 tháng trở lên", "Sick leave of 3 months or more"),
                    HD21,
                    Confidence.SECONDARY,
                ),
            ),
            notes=(
                Note(
                    "maternity",
                    TRUE,
                    "maternity_months > 0",
                    Text("Nghỉ thai sản được tính là thời gian công tác", "Maternity leave counts as work time"),
                    HD21,
                    Confidence.CONFIRMED,
                ),
            ),
        )
    },
)

PERIOD = Period(date(2020, 1, 1), date(2020, 12, 31))


# --- trace builders -----------------------------------------------------------------------------------------


def compare(text: str, op: str, left: object, right: object, truth: Truth, texts: tuple[str, str]) -> TraceNode:
    reads = tuple(Read(t, left if i == 0 else right) for i, t in enumerate(texts) if t.isidentifier())
    return TraceNode(
        NodeKind.COMPARE, truth, text=text, op=op, operands=(left, right), operand_texts=texts, reads=reads
    )


def rule(rid: str, truth: Truth, *children: TraceNode, text: str = "") -> TraceNode:
    r = RULES[rid]
    return TraceNode(
        NodeKind.RULE,
        truth,
        id=rid,
        text=text or (children[0].text if children else r.text),
        label=r.label,
        cite=r.cite,
        confidence=r.confidence,
        span=Span(FILE, 40, 7),
        children=children,
    )


def targets(truth: Truth, met: object = 8, share: str = "") -> TraceNode:
    right_text = f"{share} * targets_assigned" if share else "targets_assigned"
    required: object = 10 if not share else float(share) * 10
    return compare(f"targets_met >= {right_text}", ">=", met, required, truth, ("targets_met", right_text))


def not_disciplined(truth: Truth) -> TraceNode:
    inner = TraceNode(
        NodeKind.VALUE,
        Truth.NOT_MET if truth is Truth.MET else Truth.MET,
        text="disciplined",
        reads=(Read("disciplined", truth is not Truth.MET),),
    )
    return rule("not_disciplined", truth, TraceNode(NodeKind.NOT, truth, text="not disciplined", children=(inner,)))


def ideology(truth: Truth, value: object = "Tốt") -> TraceNode:
    node = TraceNode(
        NodeKind.COMPARE,
        truth,
        text='ideology >= "Tốt"',
        op=">=",
        operands=(value, "Tốt"),
        operand_texts=("ideology", '"Tốt"'),
        reads=(Read("ideology", value, "evidence" if value is not None else "missing", judgement=True),),
    )
    return rule("ideology_good", truth, node)


def level(level_id: str, truth: Truth, *rules: TraceNode) -> TraceNode:
    return TraceNode(NodeKind.LEVEL, truth, id=level_id, level=level_id, children=rules)


def stages(
    *,
    exempted: Truth = Truth.NOT_MET,
    disciplined: Truth = Truth.NOT_MET,
    levels: tuple[TraceNode, ...] = (),
    cap: Truth = Truth.NOT_MET,
    note: Truth | None = None,
) -> tuple[TraceNode, ...]:
    flag = TraceNode(NodeKind.VALUE, exempted, text="exempted", reads=(Read("exempted", exempted is Truth.MET),))
    eligibility = TraceNode(NodeKind.ELIGIBILITY, exempted, children=(rule("exempted", exempted, flag),))
    trig_leaf = TraceNode(NodeKind.EXISTS, disciplined, text="exists(discipline, decided_on in period)")
    triggers = TraceNode(
        NodeKind.TRIGGERS, disciplined, children=(rule("disciplined_in_year", disciplined, trig_leaf),)
    )
    cap_node = TraceNode(
        NodeKind.CAP,
        cap,
        id="sick_leave_cap",
        text="sick_leave_months >= 3",
        label=Text("Nghỉ ốm từ 3 tháng trở lên", "Sick leave of 3 months or more"),
        cite=HD21,
        confidence=Confidence.SECONDARY,
        level="completed",
        children=(compare("sick_leave_months >= 3", ">=", 4, 3, cap, ("sick_leave_months", "3")),),
    )
    caps = TraceNode(NodeKind.CAPS, cap, children=(cap_node,))
    notes_children = ()
    if note is not None:
        notes_children = (
            TraceNode(
                NodeKind.NOTE,
                note,
                id="maternity",
                text="maternity_months > 0",
                label=Text("Nghỉ thai sản được tính là thời gian công tác", "Maternity leave counts as work time"),
                cite=HD21,
                confidence=Confidence.CONFIRMED,
            ),
        )
    notes = TraceNode(NodeKind.NOTES, Truth.MET if notes_children else Truth.NOT_MET, children=notes_children)
    return (eligibility, triggers, *levels, caps, notes)


def result(outcome: Outcome, children: tuple[TraceNode, ...]) -> Result:
    root = TraceNode(NodeKind.OUTCOME, Truth.MET, outcome=outcome, level=outcome.level, children=children)
    return Result(
        trace=root,
        subject_id="dv-001",
        subject_kind="party_member",
        subject_name="Nguyễn Văn An",
        period=PERIOD,
        framework_family="party",
        framework_version="HD21",
        framework_source=FILE,
    )


def good_result() -> Result:
    """HTT: all targets not met (8 of 10) keeps the member from HTXS."""
    return result(
        Outcome(Status.CLASSIFIED, Decision.LEVEL, "good", "good", reasons=("all_targets_met",)),
        stages(
            levels=(
                level(
                    "excellent",
                    Truth.NOT_MET,
                    rule("all_targets_met", Truth.NOT_MET, targets(Truth.NOT_MET)),
                    ideology(Truth.MET),
                ),
                level(
                    "good",
                    Truth.MET,
                    rule("most_targets_met", Truth.MET, targets(Truth.MET, share="0.8")),
                    not_disciplined(Truth.MET),
                ),
                level("completed", Truth.MET, rule("half_targets_met", Truth.MET, targets(Truth.MET, share="0.5"))),
            ),
            note=Truth.MET,
        ),
    )


def capped_result() -> Result:
    """HTT by its rules, capped at HT by sick leave."""
    return result(
        Outcome(Status.CLASSIFIED, Decision.LEVEL, "completed", "good", reasons=("all_targets_met", "sick_leave_cap")),
        stages(
            levels=(
                level(
                    "excellent",
                    Truth.NOT_MET,
                    rule("all_targets_met", Truth.NOT_MET, targets(Truth.NOT_MET)),
                    ideology(Truth.MET),
                ),
                level(
                    "good",
                    Truth.MET,
                    rule("most_targets_met", Truth.MET, targets(Truth.MET, share="0.8")),
                    not_disciplined(Truth.MET),
                ),
            ),
            cap=Truth.MET,
        ),
    )


def not_classified_result() -> Result:
    return result(
        Outcome(Status.NOT_CLASSIFIED, Decision.ELIGIBILITY, reasons=("exempted",)),
        stages(exempted=Truth.MET),
    )


def trigger_result() -> Result:
    return result(
        Outcome(
            Status.CLASSIFIED, Decision.TRIGGER, "not_completed", "not_completed", reasons=("disciplined_in_year",)
        ),
        stages(
            disciplined=Truth.MET,
            levels=(
                level(
                    "excellent",
                    Truth.MET,
                    rule("all_targets_met", Truth.MET, targets(Truth.MET, met=10)),
                    ideology(Truth.MET),
                ),
                level(
                    "good",
                    Truth.NOT_MET,
                    rule("most_targets_met", Truth.MET, targets(Truth.MET, met=10, share="0.8")),
                    not_disciplined(Truth.NOT_MET),
                ),
                level(
                    "completed", Truth.MET, rule("half_targets_met", Truth.MET, targets(Truth.MET, met=10, share="0.5"))
                ),
            ),
        ),
    )


def insufficient_result() -> Result:
    """targets_met is missing; ideology below good rules out HTXS, so HTT or HT (or KHT) remain."""
    return result(
        Outcome(
            Status.INSUFFICIENT_EVIDENCE,
            Decision.UNDETERMINED,
            reasons=("most_targets_met", "half_targets_met"),
            missing=("targets_met",),
            possible=("good", "completed", "not_completed"),
        ),
        stages(
            levels=(
                level(
                    "excellent",
                    Truth.NOT_MET,
                    rule("all_targets_met", Truth.UNKNOWN, targets(Truth.UNKNOWN, met=None)),
                    ideology(Truth.NOT_MET, "Trung bình"),
                ),
                level(
                    "good",
                    Truth.UNKNOWN,
                    rule("most_targets_met", Truth.UNKNOWN, targets(Truth.UNKNOWN, met=None, share="0.8")),
                    not_disciplined(Truth.MET),
                ),
                level(
                    "completed",
                    Truth.UNKNOWN,
                    rule("half_targets_met", Truth.UNKNOWN, targets(Truth.UNKNOWN, met=None, share="0.5")),
                ),
            ),
        ),
    )


def quota_result() -> Result:
    """HTXS by its rules, lowered to HTT by the 20 % quota of the cell."""
    quota = TraceNode(
        NodeKind.QUOTA,
        Truth.NOT_MET,
        id="excellent_share",
        text="excellent <= 20% * good",
        label=Text("Tỷ lệ HTXS không quá 20% số HTT", "At most 20% of those rated HTT may be HTXS"),
        cite=Citation("HD21", "tiểu mục 5 Mục II"),
        confidence=Confidence.SECONDARY,
        level="good",
        details=(("group", "Chi bộ 3"), ("limit", 1), ("rank", 2)),
    )
    return result(
        Outcome(Status.CLASSIFIED, Decision.QUOTA, "good", "excellent", reasons=("excellent_share",)),
        (
            *stages(
                levels=(
                    level(
                        "excellent",
                        Truth.MET,
                        rule("all_targets_met", Truth.MET, targets(Truth.MET, met=10)),
                        ideology(Truth.MET),
                    ),
                ),
            ),
            quota,
        ),
    )


def flagged_result() -> Result:
    res = good_result()
    return result(dataclasses.replace(res.outcome, flags=("excellent_share",)), res.trace.children)


ALL_RESULTS = {
    "quota": quota_result,
    "flagged": flagged_result,
    "good": good_result,
    "capped": capped_result,
    "not_classified": not_classified_result,
    "trigger": trigger_result,
    "insufficient": insufficient_result,
}


# --- messages -----------------------------------------------------------------------------------------------


def test_every_message_is_nfc_in_both_languages() -> None:
    for key, text in MESSAGES.items():
        for s in (text.vi, text.en):
            assert s == unicodedata.normalize("NFC", s), key
            assert s.strip(), key


def test_msg_formats_and_defaults_to_vietnamese() -> None:
    assert msg("section.why_not", level="HTT") == "Vì sao không đạt mức HTT"
    assert msg("section.why_not", "en", level="HTT") == "Why not HTT"
    assert msg("missing", "vi", fields="a, b") == "thiếu: a, b"


# --- reasons and why-not ------------------------------------------------------------------------------------


def ids(nodes: list[TraceNode]) -> list[str]:
    return [n.id for n in nodes]


def test_reasons_of_a_level_are_the_failed_rules_above_it() -> None:
    assert ids(reasons.reasons_view(good_result())) == ["all_targets_met"]


def test_reasons_of_a_capped_level_include_the_cap() -> None:
    assert ids(reasons.reasons_view(capped_result())) == ["all_targets_met", "sick_leave_cap"]


def test_reasons_of_not_classified_and_trigger_are_the_rules_that_held() -> None:
    assert ids(reasons.reasons_view(not_classified_result())) == ["exempted"]
    assert ids(reasons.reasons_view(trigger_result())) == ["disciplined_in_year"]


def test_reasons_of_insufficient_evidence_are_the_unknown_rules_of_open_stages() -> None:
    assert ids(reasons.reasons_view(insufficient_result())) == ["most_targets_met", "half_targets_met"]


def test_reasons_agree_with_the_outcome_reasons() -> None:
    for make in ALL_RESULTS.values():
        res = make()
        assert tuple(ids(reasons.reasons_view(res))) == res.outcome.reasons


def test_why_not_lists_failed_rules_of_each_better_level() -> None:
    assert {k: ids(v) for k, v in reasons.why_not(good_result(), PROGRAM).items()} == {"excellent": ["all_targets_met"]}
    assert {k: ids(v) for k, v in reasons.why_not(capped_result(), PROGRAM).items()} == {
        "excellent": ["all_targets_met"],
        "good": [],
    }
    assert {k: ids(v) for k, v in reasons.why_not(trigger_result(), PROGRAM).items()} == {
        "excellent": [],
        "good": ["not_disciplined"],
        "completed": [],
    }


def test_why_not_under_insufficient_evidence_covers_levels_above_the_best_possible() -> None:
    assert {k: ids(v) for k, v in reasons.why_not(insufficient_result(), PROGRAM).items()} == {
        "excellent": ["ideology_good"]
    }


def test_why_not_is_empty_when_not_classified() -> None:
    assert reasons.why_not(not_classified_result(), PROGRAM) == {}


def test_deciding_conditions_of_a_failed_rule_are_its_failed_leaves() -> None:
    failed = reasons.why_not(good_result(), PROGRAM)["excellent"][0]
    (leaf,) = reasons.deciding_conditions(failed)
    assert leaf.kind is NodeKind.COMPARE
    assert leaf.operands == (8, 10)


def test_deciding_children_follow_the_combinator() -> None:
    a = TraceNode(NodeKind.VALUE, Truth.MET, text="a")
    b = TraceNode(NodeKind.VALUE, Truth.NOT_MET, text="b")
    c = TraceNode(NodeKind.VALUE, Truth.UNKNOWN, text="c")
    assert reasons.deciding_children(TraceNode(NodeKind.AND, Truth.NOT_MET, children=(a, b, c))) == (b,)
    assert reasons.deciding_children(TraceNode(NodeKind.OR, Truth.MET, children=(a, b, c))) == (a,)
    assert reasons.deciding_children(TraceNode(NodeKind.OR, Truth.UNKNOWN, children=(b, c))) == (c,)
    assert reasons.deciding_children(TraceNode(NodeKind.OR, Truth.NOT_MET, children=(b, b))) == (b, b)
    assert reasons.deciding_children(TraceNode(NodeKind.AND, Truth.MET, children=(a, a))) == (a, a)


@pytest.mark.parametrize("kind", list(NodeKind))
def test_every_node_kind_has_a_role(kind: NodeKind) -> None:
    assert reasons.role(kind) in ("root", "any", "all", "each", "not", "rule", "leaf")


# --- plain text ---------------------------------------------------------------------------------------------


def test_text_names_the_subject_the_level_and_the_framework() -> None:
    text = explain.to_text(good_result(), PROGRAM)
    first = text.splitlines()[0]
    assert first == "Nguyễn Văn An (dv-001): Hoàn thành tốt nhiệm vụ (HTT)"
    assert "party HD21" in text
    assert FILE in text
    assert "01/01/2020 – 31/12/2020" in text
    assert text == unicodedata.normalize("NFC", text)


def test_text_explains_the_failed_condition_with_actual_required_and_clause() -> None:
    text = explain.to_text(good_result(), PROGRAM)
    assert "Lý do:" in text
    assert "Vì sao không đạt mức Hoàn thành xuất sắc nhiệm vụ (HTXS):" in text
    assert "Hoàn thành 100% chỉ tiêu [all_targets_met]: không đạt" in text
    assert "Chưa hoàn thành hết chỉ tiêu được giao." in text
    assert "Thực tế: Số chỉ tiêu hoàn thành (targets_met) = 8" in text
    assert "Yêu cầu: ≥ 10 (targets_assigned)" in text
    assert "Căn cứ: HD21 (21-HD/BTCTW), Tiết 2 Điểm B Mục II" in text
    assert "Độ tin cậy: đã xác nhận" in text


def test_text_names_rules_of_weaker_confidence_the_outcome_depends_on() -> None:
    text = explain.to_text(good_result(), PROGRAM)
    assert "nguồn thứ cấp: Bị thi hành kỷ luật trong năm [disciplined_in_year]" in text
    # ideology_good held, but HTXS failed on another rule: the outcome does not depend on it
    assert "giả định" not in text
    text = explain.to_text(insufficient_result(), PROGRAM)
    assert "Kết quả này dựa trên quy tắc giả định: Tư tưởng chính trị từ Tốt trở lên [ideology_good]" in text


def test_rules_used_are_those_of_the_deciding_stages() -> None:
    assert ids(reasons.rules_used(not_classified_result())) == ["exempted"]
    assert ids(reasons.rules_used(trigger_result())) == ["exempted", "disciplined_in_year"]
    assert ids(reasons.rules_used(good_result())) == [
        "exempted",
        "disciplined_in_year",
        "all_targets_met",
        "most_targets_met",
        "not_disciplined",
        "sick_leave_cap",
    ]
    text = explain.to_text(not_classified_result(), PROGRAM)
    assert "Mọi quy tắc đã dùng đều đã được xác nhận trong văn bản chính thức." in text


def test_text_lists_notes_that_held() -> None:
    text = explain.to_text(good_result(), PROGRAM)
    assert "Ghi chú:" in text
    assert "Nghỉ thai sản được tính là thời gian công tác [maternity]" in text


def test_text_in_english() -> None:
    text = explain.to_text(good_result(), PROGRAM, lang="en")
    assert text.splitlines()[0] == "Nguyễn Văn An (dv-001): Completed tasks well (HTT)"
    assert "Why not Completed tasks excellently (HTXS):" in text
    assert "Actual: Targets met (targets_met) = 8" in text
    assert "Required: ≥ 10 (targets_assigned)" in text
    assert "Basis: HD21 (21-HD/BTCTW)" in text
    assert "This result relies on rules quoted by a secondary source: Disciplined during the year" in text
    assert "2020-01-01 – 2020-12-31 (annual)" in text
    assert "Lý do" not in text


def test_text_of_a_capped_level_names_the_cap() -> None:
    text = explain.to_text(capped_result(), PROGRAM)
    assert text.splitlines()[0].endswith("Hoàn thành nhiệm vụ (HT)")
    assert (
        "Bị giới hạn ở mức tối đa Hoàn thành nhiệm vụ (HT) (trước khi giới hạn: Hoàn thành tốt nhiệm vụ (HTT))" in text
    )
    assert "Vì sao không đạt mức Hoàn thành tốt nhiệm vụ (HTT):" in text
    assert "bị giới hạn bởi: Nghỉ ốm từ 3 tháng trở lên [sick_leave_cap]" in text
    assert "Giới hạn mức đã áp dụng:" in text
    assert "Thực tế: Số tháng nghỉ ốm (sick_leave_months) = 4" in text


def test_text_of_not_classified() -> None:
    text = explain.to_text(not_classified_result(), PROGRAM)
    assert text.splitlines()[0] == "Nguyễn Văn An (dv-001): Không xếp loại"
    assert "Thuộc trường hợp không xếp loại:" in text
    assert "Được miễn đánh giá [exempted]: đạt" in text
    assert "Vì sao không đạt" not in text


def test_text_of_a_trigger_explains_the_negated_condition() -> None:
    text = explain.to_text(trigger_result(), PROGRAM)
    assert text.splitlines()[0].endswith("Không hoàn thành nhiệm vụ (KHT)")
    assert "Thuộc trường hợp không hoàn thành nhiệm vụ:" in text
    assert "Bị thi hành kỷ luật trong năm [disciplined_in_year]: đạt" in text
    assert "Không bị kỷ luật [not_disciplined]: không đạt" in text
    assert "Yêu cầu: disciplined phải là “không”" in text
    assert "Thực tế: disciplined = có" in text


def test_text_of_insufficient_evidence_names_missing_fields_and_possible_levels() -> None:
    text = explain.to_text(insufficient_result(), PROGRAM)
    assert text.splitlines()[0] == "Nguyễn Văn An (dv-001): Chưa đủ minh chứng để xếp loại"
    assert "thiếu: Số chỉ tiêu hoàn thành (targets_met)" in text
    assert (
        "Kết quả còn có thể: Hoàn thành tốt nhiệm vụ (HTT), Hoàn thành nhiệm vụ (HT), Không hoàn thành nhiệm vụ (KHT)"
        in text
    )
    assert "Thực tế: Số chỉ tiêu hoàn thành (targets_met) = (thiếu)" in text
    assert "Vì sao không đạt mức Hoàn thành xuất sắc nhiệm vụ (HTXS):" in text
    assert "Thực tế: Tư tưởng chính trị (ideology) = Trung bình" in text
    en = explain.to_text(insufficient_result(), PROGRAM, "en")
    assert "missing: Targets met (targets_met)" in en


# --- JSON ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("name", sorted(ALL_RESULTS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_json_validates_against_the_schema(name: str, lang: str, validator: jsonschema.protocols.Validator) -> None:
    data = explain.to_json(ALL_RESULTS[name](), PROGRAM, lang)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_json_is_deterministic_and_serializable() -> None:
    a = json.dumps(explain.to_json(good_result(), PROGRAM), ensure_ascii=False)
    b = json.dumps(explain.to_json(good_result(), PROGRAM), ensure_ascii=False)
    assert a == b


def test_json_outcome_and_why_not() -> None:
    data = explain.to_json(capped_result(), PROGRAM)
    assert data["schema"] == "xeploai.explanation/1"
    assert data["outcome"] == {
        "status": "classified",
        "decision": "level",
        "level": "completed",
        "code": "HT",
        "label": {"vi": "Hoàn thành nhiệm vụ", "en": "Completed tasks"},
        "level_before_caps": "good",
        "headline": "Hoàn thành nhiệm vụ (HT)",
        "reasons": ["all_targets_met", "sick_leave_cap"],
        "missing": [],
        "flags": [],
        "possible": [],
    }
    why = data["why_not"]
    assert isinstance(why, list)
    assert [w["level"] for w in why] == ["excellent", "good"]
    (failed,) = why[0]["rules"]
    assert failed["id"] == "all_targets_met"
    (cond,) = failed["conditions"]
    assert (cond["actual"], cond["required"], cond["op"]) == (8, 10, ">=")
    assert failed["cite"] == {"doc": "HD21", "at": "Tiết 2 Điểm B Mục II", "sources": ["S16"]}
    caps = data["caps"]
    assert isinstance(caps, list)
    assert caps[0]["at_most"] == "completed" and caps[0]["lowered"] is True


def test_json_trace_keeps_every_node_field() -> None:
    res = good_result()
    trace = explain.to_json(res, PROGRAM)["trace"]
    assert isinstance(trace, dict)
    assert list(trace) == [
        "kind", "truth", "id", "text", "label", "cite", "confidence", "span", "op", "operands",
        "operand_texts", "reads", "level", "outcome", "error", "details", "children",
    ]  # fmt: skip
    assert trace["outcome"]["level"] == "good"  # type: ignore[index]
    assert len(trace["children"]) == len(res.trace.children)  # type: ignore[arg-type]


def test_json_insufficient_evidence_has_missing_labels() -> None:
    outcome = explain.to_json(insufficient_result(), PROGRAM, "en")["outcome"]
    assert isinstance(outcome, dict)
    assert outcome["missing"] == [
        {"field": "targets_met", "label": {"vi": "Số chỉ tiêu hoàn thành", "en": "Targets met"}}
    ]
    assert [p["code"] for p in outcome["possible"]] == ["HTT", "HT", "KHT"]


def test_a_quota_decision_names_the_quota_and_its_arithmetic() -> None:
    res = quota_result()
    assert ids(reasons.reasons_view(res)) == ["excellent_share"]
    assert {k: ids(v) for k, v in reasons.why_not(res, PROGRAM).items()} == {"excellent": []}
    text = explain.to_text(res, PROGRAM)
    assert text.splitlines()[0].endswith("Hoàn thành tốt nhiệm vụ (HTT)")
    assert "Bị hạ xuống mức Hoàn thành tốt nhiệm vụ (HTT) theo quy định về tỷ lệ:" in text
    assert "Tỷ lệ HTXS không quá 20% số HTT [excellent_share]" in text
    assert "group: Chi bộ 3" in text
    assert "bị hạ theo quy định về tỷ lệ" in text
    assert "[excellent_share]" in text.split("Độ tin cậy của các quy tắc đã dùng:")[1]
    data = explain.to_json(res, PROGRAM)
    assert data["reasons"][0]["details"] == [  # type: ignore[index]
        {"name": "group", "value": "Chi bộ 3"},
        {"name": "limit", "value": 1},
        {"name": "rank", "value": 2},
    ]


def test_flags_are_shown() -> None:
    text = explain.to_text(flagged_result(), PROGRAM, "en")
    assert "Quota exceeded, left to the competent committee's decision: excellent_share" in text
    assert explain.to_json(flagged_result(), PROGRAM)["outcome"]["flags"] == ["excellent_share"]  # type: ignore[index]
