"""Signed receipts and case histories (issue 20, items 6 and 23): `verify` tells "cannot verify" from "does NOT
verify"; a receipt moved to another person or period, or re-made from rewritten evidence, fails against the
office's public key; without the key `verify` says what it proves and what it does not; JSON with a repeated key is
refused and a byte order mark is read past."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from paths import HD21, ROOT
from xeploai.cli import app as cli
from xeploai.explanation.receipt import canonical_json, sha256_text

AN = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
pytest.importorskip("cryptography")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def framework(tmp_path: Path) -> Path:
    target = tmp_path / "frameworks" / "party" / HD21.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(HD21, target)
    return target


@pytest.fixture
def keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    key = tmp_path / "office.key"
    code, out, err = run(capsys, "keygen", str(key), "--lang", "en")
    assert code == 0, err
    assert "Key id: " in out
    return key, Path(f"{key}.pub")


def seal(capsys: pytest.CaptureFixture[str], framework: Path, receipt: Path, *extra: str) -> None:
    code, _, err = run(capsys, "evaluate", str(framework), str(AN), "--receipt", str(receipt), *extra)
    assert code == 0, err


def resealed(data: dict[str, object]) -> dict[str, object]:
    """The receipt with its digest recomputed, as a forger who knows the format would do."""
    body = {k: v for k, v in data.items() if k not in ("digest", "signature")}
    return {**data, "digest": {"sha256": sha256_text(canonical_json(body))}}


def edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(resealed(data), ensure_ascii=False, indent=2), encoding="utf-8")


# --- item 6: cannot verify is not "does not verify" ---------------------------------------------------------


def test_a_receipt_whose_framework_file_is_missing_cannot_be_verified_exit_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path
) -> None:
    receipt = tmp_path / "receipts" / "r.json"  # names ../frameworks/party/…, found nowhere once removed
    receipt.parent.mkdir()
    seal(capsys, framework, receipt)
    framework.unlink()
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 3
    assert out.startswith("The receipt CANNOT BE VERIFIED") and "not a sign of tampering" in out
    assert "does NOT verify" not in out and "[framework-missing]" in out
    code, out, _ = run(capsys, "verify", str(receipt), "--format", "json")
    assert code == 3 and json.loads(out)["verdict"] == "unverifiable"


def test_a_tampered_receipt_with_a_missing_framework_still_does_not_verify_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path
) -> None:
    receipt = tmp_path / "receipts" / "r.json"
    receipt.parent.mkdir()
    seal(capsys, framework, receipt)
    framework.unlink()
    data = json.loads(receipt.read_text(encoding="utf-8"))
    data["outcome"]["level"] = "excellent"  # digest left alone
    receipt.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 1 and out.startswith("The receipt does NOT verify") and "[receipt-digest]" in out


# --- item 23: signatures --------------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(
    capsys: pytest.CaptureFixture[str], keys: tuple[Path, Path]
) -> None:
    key, public = keys
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert public.read_text(encoding="ascii").startswith("-----BEGIN PUBLIC KEY-----")
    before = key.read_bytes()
    code, _, err = run(capsys, "keygen", str(key), "--lang", "en")
    assert code == 2 and "never overwritten" in err and key.read_bytes() == before


def test_a_signed_receipt_verifies_against_the_offices_public_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path]
) -> None:
    key, public = keys
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt, "--sign-key", str(key))
    assert json.loads(receipt.read_text(encoding="utf-8"))["signature"]["algorithm"] == "ed25519"
    code, out, _ = run(capsys, "verify", str(receipt), "--public-key", str(public), "--lang", "en")
    assert code == 0, out
    assert "Signature: valid, key " in out and "made the receipt, for this subject, period and outcome" in out
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")  # no key: consistent, origin unproven
    assert code == 0 and "not checked (no --public-key)" in out and "not who made it" in out


MOVES = {
    "another person's id and name": lambda d: d["subject"].update(id="DV-0999", name="Trần Thị Khác"),
    "another period": lambda d: d["period"].update(start="2021-01-01", end="2021-12-31"),
}


@pytest.mark.parametrize("move", list(MOVES))
def test_a_receipt_moved_to_another_person_or_period_fails_against_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path], move: str
) -> None:
    key, public = keys
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt, "--sign-key", str(key))
    edit(receipt, MOVES[move])
    code, out, _ = run(capsys, "verify", str(receipt), "--public-key", str(public), "--lang", "en")
    assert code == 1
    assert "[signature-invalid]" in out and "changed after signing" in out


def test_an_unsigned_receipt_moved_to_another_person_verifies_without_a_key_and_says_what_that_proves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path]
) -> None:
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt)
    edit(receipt, MOVES["another person's id and name"])
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 0  # inherent to an unsigned receipt: it is consistent with itself
    assert "Signature: none" in out and "does not prove who made it" in out
    code, out, _ = run(capsys, "verify", str(receipt), "--public-key", str(keys[1]), "--lang", "en")
    assert code == 1 and "[signature-missing]" in out


def test_a_receipt_remade_from_rewritten_evidence_and_resealed_fails_against_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path]
) -> None:
    key, public = keys
    signed, forged = tmp_path / "signed.json", tmp_path / "forged.json"
    seal(capsys, framework, signed, "--sign-key", str(key))
    evidence = tmp_path / "better.yaml"
    evidence.write_text(AN.read_text(encoding="utf-8").replace("civil_service_level: HTT", "civil_service_level: HTXS"))
    code, _, err = run(capsys, "evaluate", str(framework), str(evidence), "--receipt", str(forged))
    assert code == 0, err
    data = json.loads(forged.read_text(encoding="utf-8"))
    data["signature"] = json.loads(signed.read_text(encoding="utf-8"))["signature"]  # the office's, copied over
    forged.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(forged), "--public-key", str(public), "--lang", "en")
    assert code == 1 and "[signature-invalid]" in out


def test_a_receipt_signed_with_another_key_names_both_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path]
) -> None:
    other = tmp_path / "other.key"
    assert run(capsys, "keygen", str(other))[0] == 0
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt, "--sign-key", str(other))
    code, out, _ = run(capsys, "verify", str(receipt), "--public-key", str(keys[1]), "--lang", "en")
    assert code == 1 and "signed with the key" in out and "not with the key" in out


def test_a_receipt_that_repeats_a_key_is_refused_and_a_byte_order_mark_is_read_past(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path
) -> None:
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt)
    text = receipt.read_text(encoding="utf-8")
    receipt.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert run(capsys, "verify", str(receipt))[0] == 0
    # two "level" keys: a reader taking the first sees the true outcome, one taking the last a better one
    doubled = text.replace('"level": "good",', '"level": "good",\n    "level": "excellent",', 1)
    assert doubled != text
    receipt.write_text(doubled, encoding="utf-8")
    code, out, _ = run(capsys, "verify", str(receipt), "--lang", "en")
    assert code == 3 and "[receipt-unreadable]" in out and "'level' appears twice" in out


def test_history_entries_are_signed_and_an_unsigned_or_rewritten_entry_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, keys: tuple[Path, Path]
) -> None:
    from xeploai.explanation.history import entry_hash

    key, public = keys
    receipt, case = tmp_path / "r.json", tmp_path / "case.jsonl"
    seal(capsys, framework, receipt, "--sign-key", str(key))
    opened = ["appeal", "open", str(case), "--receipt", str(receipt), "--actor", "An", "--time", "2021-01-05"]
    assert run(capsys, *opened, "--text", "Xin xem lại", "--sign-key", str(key))[0] == 0
    assert run(capsys, "appeal", "show", str(case), "--public-key", str(public))[0] == 0
    decided = ["appeal", "decide", str(case), "--actor", "Đảng ủy", "--time", "2021-01-20", "--text", "Giữ HTT"]
    assert run(capsys, *decided)[0] == 0  # not signed
    code, _, err = run(capsys, "appeal", "show", str(case), "--public-key", str(public), "--lang", "en")
    assert code == 1 and "Line 3 (entry 3) is not signed" in err
    lines = case.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["text"] = "Tôi rút đơn"  # rewritten, hash recomputed, signature kept
    entry["hash"] = entry_hash(entry)
    case.write_text("\n".join([lines[0], canonical_json(entry)]) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "appeal", "show", str(case), "--public-key", str(public), "--lang", "en")
    assert code == 1 and "[signature-invalid]" in err and "The signature of line 2 (entry 2)" in err


def test_without_the_sign_extra_signing_is_a_clear_message_and_the_core_still_works(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, framework: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if not installed
    receipt = tmp_path / "r.json"
    seal(capsys, framework, receipt)
    assert run(capsys, "verify", str(receipt))[0] == 0
    code, _, err = run(capsys, "keygen", str(tmp_path / "k"), "--lang", "en")
    assert code == 3 and "pip install 'xeploai[sign]'" in err
    assert not os.path.exists(tmp_path / "k")
