"""Receipts: made from a result, they replay and verify; every kind of tampering is a named difference."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from paths import FIXTURES, HD21, ROOT
from xeploai import __version__, api
from xeploai.explanation.receipt import (
    RECEIPT_SCHEMA_VERSION,
    Receipt,
    ReceiptError,
    canonical_json,
    evidence_json,
    make_receipt,
    read_evidence_json,
    sha256_text,
)
from xeploai.explanation.verifier import verify

MEMBERS = ROOT / "examples" / "members"
AN = MEMBERS / "nguyen-van-an.yaml"  # HTT
LOCAL = FIXTURES / "extension" / "party-local" / "2020-01-01.yaml"
CENTRAL = FIXTURES / "extension" / "party" / "2019-10-18.yaml"


def receipt_for(framework: Path, evidence_file: Path, *, relative_to: Path | None = None) -> Receipt:
    program = api.load_framework(framework)
    ev = api.load_evidence_file(evidence_file)
    assert ev.period is not None
    result = api.evaluate(
        program, ev.kind, ev.evidence, period=ev.period, subject_id=ev.subject_id, subject_name=ev.name
    )
    return make_receipt(result, program, ev.evidence, evidence_source=ev.source, relative_to=relative_to)


def codes(path_or_data: object, **kwargs: object) -> list[str]:
    return [d.code for d in verify(path_or_data, **kwargs).differences]  # type: ignore[arg-type]


def resealed(data: dict[str, object]) -> dict[str, object]:
    """The receipt data with its digest recomputed, as a forger who knows the format would do."""
    body = {k: v for k, v in data.items() if k != "digest"}
    return {**body, "digest": {"sha256": sha256_text(canonical_json(body))}}


@pytest.fixture
def framework_copy(tmp_path: Path) -> Path:
    """HD21 copied into tmp_path, so that a test may edit it."""
    target = tmp_path / "frameworks" / "party" / HD21.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(HD21, target)
    return target


@pytest.fixture
def sealed(tmp_path: Path, framework_copy: Path) -> Path:
    """A receipt of Nguyễn Văn An written beside the copied framework, paths relative to the receipt."""
    receipt = receipt_for(framework_copy, AN, relative_to=tmp_path)
    path = tmp_path / "receipt.json"
    path.write_text(receipt.to_json(), encoding="utf-8")
    return path


def edit_json(path: Path, change: Callable[[dict[str, object]], dict[str, object] | None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data = change(data) or data
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


# --- making a receipt -----------------------------------------------------------------------------------------


def test_a_receipt_records_chain_engine_evidence_subject_period_outcome_and_trace() -> None:
    receipt = receipt_for(HD21, AN)
    data = json.loads(receipt.to_json())
    assert data["schema"] == RECEIPT_SCHEMA_VERSION
    assert data["engine"] == {"name": "xeploai", "version": __version__}
    [chained] = data["framework"]["chain"]
    assert chained["sha256"] == sha256_bytes(HD21.read_bytes())
    assert chained["file"].endswith("frameworks/party/2019-10-18.yaml")
    assert data["subject"] == {"id": "DV-0001", "kind": "party_member", "name": "Nguyễn Văn An"}
    assert data["period"] == {"start": "2020-01-01", "end": "2020-12-31", "kind": "annual"}
    assert data["outcome"]["level"] == "good" and data["outcome"]["status"] == "classified"
    assert data["evidence"]["sha256"] == sha256_text(data["evidence"]["json"])
    assert read_evidence_json(data["evidence"]["json"])["targets_met"] == 12
    assert data["evidence"]["source"].endswith("nguyen-van-an.yaml")
    assert len(data["trace"]["sha256"]) == 64 and len(data["digest"]["sha256"]) == 64


def sha256_bytes(content: bytes) -> str:
    import hashlib

    return hashlib.sha256(content).hexdigest()


def test_receipt_json_is_canonical_deterministic_and_has_no_floats() -> None:
    first, second = receipt_for(HD21, AN), receipt_for(HD21, AN)
    assert first.to_json() == second.to_json()
    data = json.loads(first.to_json())
    assert first.to_json() == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def no_floats(value: object) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, dict):
            for item in value.values():
                no_floats(item)
        elif isinstance(value, list):
            for item in value:
                no_floats(item)

    no_floats(data)
    assert Receipt.from_json(first.to_json()) == first
    assert Receipt.from_json(first.to_json()).to_json() == first.to_json()


def test_evidence_json_keeps_numbers_exact_and_dates_as_iso_text() -> None:
    text = evidence_json({"b": Decimal("0.10"), "a": Fraction(3, 4), "d": [{"on": api.parse_period(2020).start}]})
    assert text == '{"a":0.75,"b":0.10,"d":[{"on":"2020-01-01"}]}'
    assert read_evidence_json(text)["b"] == Decimal("0.10")
    with pytest.raises(ReceiptError, match="no exact decimal form"):
        evidence_json({"ratio": Fraction(1, 3)})
    with pytest.raises(ReceiptError, match="not a finite number"):
        evidence_json({"months": float("nan")})


def test_a_result_its_evidence_does_not_reproduce_gets_no_receipt() -> None:
    program = api.load_framework(HD21)
    ev = api.load_evidence_file(AN)
    assert ev.period is not None
    result = api.evaluate(program, ev.kind, ev.evidence, period=ev.period)
    assert result.trace.outcome is not None
    forged = replace(result, trace=replace(result.trace, outcome=replace(result.trace.outcome, level="excellent")))
    with pytest.raises(ReceiptError) as caught:
        make_receipt(forged, program, ev.evidence, evidence_source=None)
    assert [d.code for d in caught.value.differences] == ["not-replayable"]


# --- verification passes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", sorted(MEMBERS.glob("*.yaml")), ids=lambda p: p.stem)
def test_untouched_receipts_of_every_example_verify(member: Path, tmp_path: Path) -> None:
    # Each example is evaluated under the version in force for its own period, in the family that declares its kind.
    evidence = api.load_evidence_file(member)
    assert evidence.period is not None
    families = [
        api.select_framework(family, evidence.period) for family in (HD21.parent, HD21.parent.parent / "civil-service")
    ]
    framework = next(f.path for f in families if evidence.kind in api.load_framework(f.path).subjects)
    path = tmp_path / "receipt.json"
    path.write_text(receipt_for(framework, member).to_json(), encoding="utf-8")
    verification = verify(path, root=Path.cwd())
    assert verification.ok, verification.to_text("en")
    assert verification.differences == ()
    assert verification.replayed is not None
    assert verification.replayed.outcome == Receipt.from_json(path.read_text(encoding="utf-8")).outcome


def test_receipt_and_frameworks_move_together(sealed: Path, tmp_path: Path) -> None:
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    shutil.copytree(tmp_path, moved)
    data = json.loads((moved / sealed.name).read_text(encoding="utf-8"))
    assert data["framework"]["chain"][0]["file"] == "frameworks/party/2019-10-18.yaml"
    assert verify(moved / sealed.name).ok


def test_root_resolves_relative_framework_paths(sealed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    away = elsewhere / "receipt.json"
    shutil.copyfile(sealed, away)
    assert codes(away, root=elsewhere) == ["framework-missing"]
    assert verify(away, root=tmp_path).ok


def test_a_newer_engine_warns_but_still_replays(sealed: Path) -> None:
    edit_json(sealed, lambda d: resealed({**d, "engine": {"name": "xeploai", "version": "0.0.1"}}))
    verification = verify(sealed)
    assert verification.ok
    [warning] = verification.warnings
    assert warning.code == "engine-version"
    assert (warning.expected, warning.actual) == ("xeploai 0.0.1", f"xeploai {__version__}")
    assert verification.replayed is not None


# --- tampering is detected --------------------------------------------------------------------------------


def test_changed_evidence_is_detected(sealed: Path) -> None:
    def lower_targets(data: dict[str, object]) -> None:
        evidence = data["evidence"]
        assert isinstance(evidence, dict)
        evidence["json"] = evidence["json"].replace('"targets_met":12', '"targets_met":11')

    edit_json(sealed, lower_targets)
    verification = verify(sealed)
    assert not verification.ok
    found = {d.code: d for d in verification.differences}
    assert {"receipt-digest", "evidence-tampered"} <= set(found)
    assert found["evidence-tampered"].expected != found["evidence-tampered"].actual


def test_resealed_evidence_change_is_still_detected_by_its_hash_and_the_replay(sealed: Path) -> None:
    def forge(data: dict[str, object]) -> dict[str, object]:
        evidence = data["evidence"]
        assert isinstance(evidence, dict)
        evidence["json"] = evidence["json"].replace('"exemplary_with_products":false', '"exemplary_with_products":true')
        return resealed(data)

    edit_json(sealed, forge)
    found = codes(sealed)
    assert "receipt-digest" not in found
    assert "evidence-tampered" in found


@pytest.fixture(scope="module")
def receipt_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, int, int]:
    """A receipt written beside a copy of HD21, and where its evidence text lies among its bytes."""
    folder = tmp_path_factory.mktemp("bytes")
    framework = folder / "frameworks" / "party" / HD21.name
    framework.parent.mkdir(parents=True)
    shutil.copyfile(HD21, framework)
    receipt = receipt_for(framework, AN, relative_to=folder)
    content = receipt.to_json().encode("utf-8")
    encoded = json.dumps(receipt.evidence_json, ensure_ascii=False).encode("utf-8")
    start = content.index(encoded) + 1  # inside the quotes
    return folder, content, start, start + len(encoded) - 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_change_of_the_evidence_is_detected(
    receipt_bytes: tuple[Path, bytes, int, int], data: st.DataObject
) -> None:
    folder, content, start, end = receipt_bytes
    at = data.draw(st.integers(start, end - 1), label="offset")
    # printable ASCII first: most other bytes only make the receipt unreadable, which is the easy case
    byte = st.one_of(st.integers(0x20, 0x7E), st.integers(0, 255))
    new = data.draw(byte.filter(lambda b: b != content[at]), label="byte")
    path = folder / "tampered.json"
    path.write_bytes(content[:at] + bytes([new]) + content[at + 1 :])
    verification = verify(path)
    assert not verification.ok
    found = {d.code for d in verification.differences}
    event("evidence-tampered" if "evidence-tampered" in found else "unreadable")
    assert {"evidence-tampered", "receipt-unreadable"} & found


def test_a_changed_framework_file_is_detected(sealed: Path, framework_copy: Path) -> None:
    before = sha256_bytes(framework_copy.read_bytes())
    text = framework_copy.read_text(encoding="utf-8")
    assert "en: Completed tasks well}" in text
    framework_copy.write_text(text.replace("en: Completed tasks well}", "en: Completed tasks welL}", 1), "utf-8")
    verification = verify(sealed)
    assert not verification.ok
    changed = [d for d in verification.differences if d.code == "framework-changed"]
    assert len(changed) == 1
    assert changed[0].where == "frameworks/party/2019-10-18.yaml"
    assert (changed[0].expected, changed[0].actual) == (before, sha256_bytes(framework_copy.read_bytes()))
    assert "receipt-digest" not in {d.code for d in verification.differences}


def test_a_changed_rule_label_also_changes_the_trace(sealed: Path, framework_copy: Path) -> None:
    text = framework_copy.read_text(encoding="utf-8")
    assert "en: Sick leave totalling 3 months" in text  # the label of a cap every member's trace shows
    framework_copy.write_text(text.replace("en: Sick leave totalling", "en: Sick leave totaling", 1), "utf-8")
    assert {"framework-changed", "trace-differs"} <= set(codes(sealed))


def test_a_missing_or_broken_framework_is_a_difference(sealed: Path, framework_copy: Path) -> None:
    framework_copy.write_text("format: xeploai/1\nframework: 12\n", encoding="utf-8")
    assert {"framework-changed", "framework-invalid"} <= set(codes(sealed))
    framework_copy.unlink()
    assert codes(sealed, root=sealed.parent) == ["framework-missing"]


def test_an_edited_outcome_is_detected(sealed: Path) -> None:
    def promote(data: dict[str, object]) -> None:
        outcome = data["outcome"]
        assert isinstance(outcome, dict)
        outcome["level"] = "excellent"

    edit_json(sealed, promote)
    verification = verify(sealed)
    found = {d.code: d for d in verification.differences}
    assert set(found) == {"receipt-digest", "outcome-differs"}
    assert found["outcome-differs"].where == "outcome.level"
    assert (found["outcome-differs"].expected, found["outcome-differs"].actual) == ("excellent", "good")


def test_a_resealed_outcome_edit_is_caught_by_the_replay(sealed: Path) -> None:
    edit_json(sealed, lambda d: resealed({**d, "outcome": {**d["outcome"], "reasons": []}}))  # type: ignore[dict-item]
    verification = verify(sealed)
    assert [d.code for d in verification.differences] == ["outcome-differs"]
    assert verification.differences[0].where == "outcome.reasons"


def test_an_edited_trace_digest_is_detected(sealed: Path) -> None:
    edit_json(sealed, lambda d: {**d, "trace": {**d["trace"], "sha256": "0" * 64}})  # type: ignore[dict-item]
    assert set(codes(sealed)) == {"receipt-digest", "trace-differs"}
    edit_json(sealed, resealed)
    assert codes(sealed) == ["trace-differs"]


def test_a_receipt_whose_own_digest_no_longer_matches_is_detected(sealed: Path) -> None:
    edit_json(sealed, lambda d: {**d, "evidence": {**d["evidence"], "source": "somewhere-else.yaml"}})  # type: ignore[dict-item]
    verification = verify(sealed)
    assert [d.code for d in verification.differences] == ["receipt-digest"]
    assert "receipt itself was edited" in verification.differences[0].message.en
    assert "biên nhận đã bị sửa" in verification.differences[0].message.vi


# --- extension chains ------------------------------------------------------------------------------------


@pytest.fixture
def local_copy(tmp_path: Path) -> Path:
    for source in (LOCAL, CENTRAL):
        target = tmp_path / "frameworks" / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return tmp_path / "frameworks" / LOCAL.parent.name / LOCAL.name


def local_receipt(local: Path, folder: Path) -> Path:
    program = api.load_framework(local)
    evidence = {"targets_assigned": 10, "targets_met": 9, "task_results": "Tốt", "residence_comment_negative": True}
    result = api.evaluate(program, "member", evidence, period=api.parse_period(2020), subject_id="M-1")
    path = folder / "receipt.json"
    path.write_text(
        make_receipt(result, program, evidence, evidence_source=None, relative_to=folder).to_json(), "utf-8"
    )
    return path


def test_an_extension_chain_records_both_files_central_first(local_copy: Path, tmp_path: Path) -> None:
    path = local_receipt(local_copy, tmp_path)
    chain = json.loads(path.read_text(encoding="utf-8"))["framework"]["chain"]
    assert [c["file"] for c in chain] == [
        "frameworks/party/2019-10-18.yaml",
        "frameworks/party-local/2020-01-01.yaml",
    ]
    assert chain[0]["sha256"] == sha256_bytes(CENTRAL.read_bytes())
    assert chain[1]["sha256"] == sha256_bytes(LOCAL.read_bytes())
    assert verify(path).ok


def test_a_change_in_the_central_framework_is_detected(local_copy: Path, tmp_path: Path) -> None:
    path = local_receipt(local_copy, tmp_path)
    central = tmp_path / "frameworks" / "party" / "2019-10-18.yaml"
    text = central.read_text(encoding="utf-8")
    central.write_text(text.replace("title: {vi: ", "title: {vi: X", 1), encoding="utf-8")
    changed = [d for d in verify(path).differences if d.code == "framework-changed"]
    assert [d.where for d in changed] == ["frameworks/party/2019-10-18.yaml"]


# --- damaged receipts never raise ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "receipt-unreadable"),
        (b"{not json", "receipt-unreadable"),
        (b"\xff\xfe{}", "receipt-unreadable"),
        (b"[1, 2]", "receipt-unreadable"),
        (b'{"schema": "xeploai.receipt/99"}', "receipt-version"),
        (b'{"schema": "xeploai.receipt/1"}', "receipt-malformed"),
    ],
    ids=["empty", "not-json", "not-utf8", "not-object", "future-version", "missing-keys"],
)
def test_damaged_receipts_are_differences_not_tracebacks(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "receipt.json"
    path.write_bytes(content)
    verification = verify(path)
    assert not verification.ok
    assert {d.code for d in verification.differences} == {code}
    assert all(d.text("vi") and d.text("en") and d.text("vi") != d.text("en") for d in verification.differences)


def test_a_receipt_with_a_damaged_key_names_it(sealed: Path) -> None:
    edit_json(sealed, lambda d: {**d, "period": {**d["period"], "start": "yesterday"}})  # type: ignore[dict-item]
    [difference] = verify(sealed).differences
    assert (difference.code, difference.where) == ("receipt-malformed", "period.start")
    edit_json(sealed, lambda d: {**d, "framework": {**d["framework"], "chain": [{"file": 3}]}})  # type: ignore[dict-item]
    wheres = {d.where for d in verify(sealed).differences}
    assert "framework.chain[0].file" in wheres


def test_evidence_that_is_no_longer_json_is_a_difference(sealed: Path) -> None:
    edit_json(sealed, lambda d: resealed({**d, "evidence": {**d["evidence"], "json": "[1"}}))  # type: ignore[dict-item]
    assert set(codes(sealed)) == {"evidence-tampered", "evidence-unreadable"}
    edit_json(sealed, lambda d: resealed({**d, "evidence": {**d["evidence"], "json": '{"targets_met": "many"}'}}))  # type: ignore[dict-item]
    assert set(codes(sealed)) == {"evidence-tampered", "evidence-invalid"}


def test_a_missing_receipt_file_is_a_difference(tmp_path: Path) -> None:
    assert codes(tmp_path / "nowhere.json") == ["receipt-unreadable"]


def test_the_report_is_in_vietnamese_by_default_and_in_english_on_request(sealed: Path) -> None:
    edit_json(sealed, lambda d: {**d, "evidence": {**d["evidence"], "source": "x"}})  # type: ignore[dict-item]
    verification = verify(sealed)
    assert verification.to_text().startswith("Biên nhận KHÔNG hợp lệ: 1 khác biệt.")
    assert verification.to_text("en").startswith("The receipt does NOT verify: 1 difference.")
    assert verification.to_json()["ok"] is False
