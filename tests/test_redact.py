"""Redaction: a complainant's view names them and nobody else; pseudonyms are stable, keyed and distinct."""

from __future__ import annotations

import json
import re

import pytest

from test_packet import PERIOD, POPULATION, UNITS, _member, quota_case, quota_population
from xeploai.evaluation import population
from xeploai.evaluation.trace import NodeKind, Result, walk
from xeploai.explanation import explain, packet
from xeploai.explanation.redact import Redaction, redact_result

REDACTION = Redaction(keep=set(), salt="s3cret")
OTHERS = {
    "DV-101": "Phạm Văn Hùng",
    "DV-102": "Hoàng Thị Lan",
    "DV-104": "Đỗ Thu Hà",
}


def everything(result: Result, lang: str = "vi") -> str:
    """Every rendering of a result: text, JSON (with the whole trace), Markdown and HTML."""
    program = POPULATION
    return "\n".join(
        [
            explain.to_text(result, program, lang),
            json.dumps(explain.to_json(result, program, lang), ensure_ascii=False),
            packet.to_markdown(result, program, lang),
            packet.to_html(result, program, lang),
        ]
    )


def test_pseudonyms_are_stable_keyed_and_shaped_like_a_name() -> None:
    code = REDACTION.code("DV-101")
    assert re.fullmatch(r"[A-HJ-NP-Z]{2}\d{3}", code)
    assert Redaction(keep={"x"}, salt="s3cret").code("DV-101") == code  # the salt alone decides
    assert Redaction(keep=set(), salt="other").code("DV-101") != code
    assert REDACTION.pseudonym("DV-101") == f"Đảng viên {code}"
    assert REDACTION.pseudonym("DV-101", "en") == f"Member {code}"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_other_members_name_or_id_survives_in_any_rendering(lang: str) -> None:
    result, _ = quota_case()
    redacted = redact_result(result, REDACTION, lang)
    shown = everything(redacted, lang)
    for subject_id, name in OTHERS.items():
        assert subject_id not in shown and name not in shown
        assert REDACTION.pseudonym(subject_id, lang) in shown
    assert "Vũ Minh Tuấn" in shown and "DV-103" in shown  # the complainant's own


def test_quota_details_are_rewritten_and_the_outcome_is_unchanged() -> None:
    result, _ = quota_case()
    redacted = redact_result(result, REDACTION)
    assert redacted.outcome == result.outcome and redacted.extras["redacted"] is True
    quota = next(n for n in walk(redacted.trace) if n.kind is NodeKind.QUOTA)
    details = dict(quota.details)
    p = {i: REDACTION.pseudonym(i) for i in OTHERS}
    assert details["candidates"] == [p["DV-102"], p["DV-101"], "DV-103", p["DV-104"]]
    assert details["kept"] == [p["DV-102"], p["DV-101"]]
    assert details["demoted"] == ["DV-103", p["DV-104"]]
    assert details["names"] == {p["DV-102"]: p["DV-102"], p["DV-101"]: p["DV-101"], "DV-103": "Vũ Minh Tuấn"} | {
        p["DV-104"]: p["DV-104"]
    }
    assert (details["rank"], details["base"], details["allowed"]) == (3, 10, 2)
    original = next(n for n in walk(result.trace) if n.kind is NodeKind.QUOTA)
    assert dict(original.details)["kept"] == ["DV-102", "DV-101"]  # the input is left alone


def test_pseudonyms_are_the_same_in_every_complainants_packet() -> None:
    run = quota_population()
    one = dict(
        next(n for n in walk(redact_result(run.result("DV-103"), REDACTION).trace) if n.kind is NodeKind.QUOTA).details
    )
    two = dict(
        next(n for n in walk(redact_result(run.result("DV-104"), REDACTION).trace) if n.kind is NodeKind.QUOTA).details
    )
    assert one["kept"] == two["kept"]  # DV-102 and DV-101 under the same pseudonyms in both
    assert REDACTION.pseudonym("DV-104") in one["candidates"] and "DV-104" in two["candidates"]
    assert REDACTION.pseudonym("DV-103") in two["candidates"] and "DV-103" in one["candidates"]


def test_ids_in_keep_stay_named() -> None:
    result, _ = quota_case()
    redacted = redact_result(result, Redaction(keep={"DV-102"}, salt="s3cret"))
    shown = everything(redacted)
    assert "Hoàng Thị Lan (DV-102)" in shown and "DV-101" not in shown


def _cell_run(extra: list[dict[str, object]] | None = None) -> population.PopulationResult:
    subjects = [_member("M1", "An"), _member("M2", "Bình"), _member("M3", "Cường", "Trung bình"), *(extra or [])]
    subjects.append({"id": "CB", "unit": "C1", "kind": "cell", "name": "Chi bộ Thôn Đông", "evidence": {}})
    data = {"units": UNITS, "subjects": subjects}
    return population.evaluate_population(POPULATION, population.from_document(data, "t"), PERIOD)


def test_share_explanations_name_members_by_pseudonym() -> None:
    result = _cell_run().result("CB")
    redacted = redact_result(result, REDACTION)
    derived = [r.value for n in walk(redacted.trace) for r in n.reads if r.origin == "derived"]
    related = [r.value for n in walk(redacted.trace) for r in n.reads if r.origin == "relation"]
    p = {i: REDACTION.pseudonym(i) for i in ("M1", "M2", "M3")}
    assert {"met": [p["M1"], p["M2"]], "not_met": [p["M3"]]} in derived
    assert related and all(value == [p["M1"], p["M2"], p["M3"]] for value in related)
    shown = everything(redacted)
    assert not re.search(r"\bM[123]\b", shown)
    assert f"Theo từng người: đạt: {p['M1']}, {p['M2']}; không đạt: {p['M3']}" in shown


def test_missing_related_members_are_named_by_pseudonym() -> None:
    incomplete = _member("M4", "Dũng")
    del incomplete["evidence"]["task_results"]  # type: ignore[attr-defined]
    result = _cell_run([incomplete]).result("CB")
    assert result.outcome.missing == ("members[M4]",)
    redacted = redact_result(result, REDACTION)
    assert redacted.outcome.missing == (f"members[{REDACTION.pseudonym('M4')}]",)
    assert "M4" not in everything(redacted)


def test_clashing_codes_get_longer_until_they_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    real = Redaction.code

    def clashing(self: Redaction, subject_id: str, extra: int = 0) -> str:
        return "AA000" if extra == 0 else real(self, subject_id, extra)

    monkeypatch.setattr(Redaction, "code", clashing)
    result, _ = quota_case()
    quota = next(n for n in walk(redact_result(result, REDACTION).trace) if n.kind is NodeKind.QUOTA)
    others = [c for c in dict(quota.details)["candidates"] if c != "DV-103"]
    assert len(set(others)) == 3
    assert all(re.fullmatch(r"Đảng viên [A-Z]{2}\d{5}", c) for c in others)


def test_packet_redacts_when_given_a_redaction() -> None:
    result, program = quota_case()
    markdown = packet.to_markdown(result, program, redact=REDACTION)
    assert "> Bản gửi người đề nghị xem xét lại" in markdown
    assert f"| 1 | {REDACTION.pseudonym('DV-102')} | giữ mức HTXS |" in markdown
    assert "Hoàng Thị Lan" not in markdown
    assert "Bản gửi người đề nghị" not in packet.to_markdown(result, program)
