"""Receipt verification: replays a receipt and says what differs.

Input: a receipt (a file, its JSON data or a ``Receipt``) and the framework files it names. Output: a
``Verification`` listing every difference found by re-hashing the framework files, reloading the framework through
``framework.files.load_framework`` and replaying the stored evidence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from xeploai import __version__
from xeploai.evaluation.trace import Outcome, Result
from xeploai.explanation.receipt import (
    ENGINE_NAME,
    MESSAGES,
    RECEIPT_SCHEMA_VERSION,
    Difference,
    Receipt,
    ReceiptError,
    body_of,
    canonical_json,
    difference,
    parse_receipt_json,
    plain_data,
    read_evidence_json,
    replay,
    sha256_text,
    signed_message,
    trace_digest,
)
from xeploai.explanation.signing import RECEIPT_PURPOSE, PublicKey, signature_problem
from xeploai.framework.files import load_framework
from xeploai.program.ir import Program, Text
from xeploai.program.issues import EvidenceError, FrameworkError

_WORDS: dict[str, Text] = {
    "ok": Text(
        "Biên nhận hợp lệ: phát lại cho cùng kết quả.", "The receipt verifies: the replay gives the same result."
    ),
    "failed": Text(
        "Biên nhận KHÔNG hợp lệ: {count} khác biệt.", "The receipt does NOT verify: {count} difference{count_s}."
    ),
    "unverifiable": Text(
        "KHÔNG KIỂM TRA ĐƯỢC biên nhận: thiếu {count} điều cần để phát lại. Đây không phải dấu hiệu biên nhận bị "
        "sửa: hãy cung cấp các tệp còn thiếu (--root) rồi kiểm tra lại.",
        "The receipt CANNOT BE VERIFIED: {count} thing{count_s} needed to replay it {are} missing. This is not a "
        "sign of tampering: provide what is missing (--root) and verify again.",
    ),
    "warning": Text("cảnh báo", "warning"),
    "subject": Text("Đối tượng", "Subject"),
    "outcome": Text("Kết quả", "Outcome"),
    "files": Text("Tệp khung tiêu chí", "Framework files"),
    "signature": Text("Chữ ký", "Signature"),
    "sig.valid": Text(
        "hợp lệ, khóa {key}: biên nhận do người giữ khóa bí mật này lập, cho đúng đối tượng, kỳ và kết quả trên",
        "valid, key {key}: the holder of this private key made the receipt, for this subject, period and outcome",
    ),
    "sig.invalid": Text("KHÔNG hợp lệ (xem dưới)", "NOT valid (see below)"),
    "sig.unchecked": Text(
        "có chữ ký của khóa {key} nhưng chưa kiểm tra (không có --public-key): việc kiểm tra chỉ chứng minh biên "
        "nhận tự khớp với chính nó và phát lại được, không chứng minh ai đã lập nó",
        "signed with the key {key} but not checked (no --public-key): this check proves only that the receipt is "
        "consistent with itself and replays, not who made it",
    ),
    "sig.unsigned": Text(
        "không có: việc kiểm tra chỉ chứng minh biên nhận tự khớp với chính nó và phát lại được; ai chạy xeploai cũng "
        "lập được một biên nhận như vậy cho bất kỳ tên, kỳ và căn cứ nào, nên nó không chứng minh ai đã lập nó",
        "none: this check proves only that the receipt is consistent with itself and replays; anyone who runs "
        "xeploai can make such a receipt for any name, period and evidence, so it does not prove who made it",
    ),
}

# The differences that say a receipt could not be checked, not that it is wrong: what the replay needs is absent.
CANNOT_VERIFY: frozenset[str] = frozenset({"framework-missing"})


@dataclass(frozen=True)
class Verification:
    """What replaying a receipt found: ``ok`` when nothing but warnings differs."""

    differences: tuple[Difference, ...]
    receipt: Receipt | None = None
    replayed: Result | None = None
    files: tuple[tuple[str, str | None], ...] = ()  # each recorded framework file → the path checked (or None)
    program: Program | None = None  # the framework as reloaded for the replay
    signature: str = "unsigned"  # unsigned | unchecked (signed, no public key given) | valid | invalid
    key_id: str | None = None  # the key that signed the receipt, as it says

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def verdict(self) -> str:
        """``verified``; ``failed`` when something differs; ``unverifiable`` when the receipt cannot be read or what
        the replay needs is missing (a framework file) and nothing else was found wrong."""
        if self.ok:
            return "verified"
        if self.receipt is None or all(d.code in CANNOT_VERIFY for d in self.errors):
            return "unverifiable"
        return "failed"

    @property
    def errors(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.severity == "error")

    @property
    def warnings(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.severity == "warning")

    def to_text(self, lang: str = "vi") -> str:
        """A short report: the verdict, what the receipt is about, then every difference."""
        lang = "en" if lang == "en" else "vi"
        head = {"verified": _WORDS["ok"], "failed": _WORDS["failed"], "unverifiable": _WORDS["unverifiable"]}
        count = len(self.errors)
        lines = [
            head[self.verdict]
            .get(lang)
            .format(count=count, count_s="" if count == 1 else "s", are="is" if count == 1 else "are")
        ]
        if self.receipt is not None:
            r = self.receipt
            who = " ".join(x for x in (r.subject_id, f"({r.subject_name})" if r.subject_name else "") if x)
            level = r.outcome.level or r.outcome.status.value
            if (
                r.outcome.level
                and self.program is not None
                and r.outcome.level in {v.id for v in self.program.levels.values}
            ):
                level = f"{self.program.level_label(r.outcome.level).get(lang)} ({self.program.level_code(level)})"
            lines.append(f"{_WORDS['subject'].get(lang)}: {who}, {r.subject_kind}, {r.period}")
            lines.append(f"{_WORDS['outcome'].get(lang)}: {level}")
            lines.append(f"{_WORDS['files'].get(lang)}: " + ", ".join(c.file for c in r.chain))
            said = _WORDS[f"sig.{self.signature}"].get(lang).format(key=self.key_id)
            lines.append(f"{_WORDS['signature'].get(lang)}: {said}")
        for d in self.differences:
            mark = f"{_WORDS['warning'].get(lang)}: " if d.severity == "warning" else ""
            lines.append(f"- {mark}{d.text(lang)} [{d.code}]")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "verdict": self.verdict,
            "signature": {"status": self.signature, "key_id": self.key_id},
            "differences": [
                {
                    "code": d.code,
                    "severity": d.severity,
                    "where": d.where,
                    "expected": d.expected,
                    "actual": d.actual,
                    "message": {"vi": d.message.vi, "en": d.message.en},
                }
                for d in self.differences
            ],
        }


ReceiptSource = str | os.PathLike[str] | Mapping[str, object] | Receipt


def verify(
    receipt: ReceiptSource, *, root: str | os.PathLike[str] | None = None, public_key: PublicKey | None = None
) -> Verification:
    """Replay a receipt and compare: framework files, engine version, evidence, outcome, trace and the receipt's
    own digest; with ``public_key``, also its signature. Never raises for a damaged receipt or missing files: they
    are differences.

    ``receipt`` is a path to a receipt file, its parsed JSON data or a ``Receipt``. Relative framework paths are
    resolved against ``root`` when given, else against the receipt's folder, then the current directory.
    Without ``public_key`` a signature is not checked: the receipt is then shown to be consistent with itself, not
    to come from anyone in particular (``Verification.signature`` says which).
    """
    try:
        data, folder = _load(receipt)
    except ReceiptError as error:
        return Verification(error.differences)
    differences: list[Difference] = []
    schema = data.get("schema")
    if schema != RECEIPT_SCHEMA_VERSION:
        return Verification((difference("receipt-version", "schema", RECEIPT_SCHEMA_VERSION, schema),))
    try:
        parsed = Receipt.from_data(data)
    except ReceiptError as error:
        return Verification(error.differences)

    try:
        actual_digest = sha256_text(canonical_json(body_of(data)))
        message = signed_message(data)
    except (TypeError, ValueError) as error:
        return Verification((difference("receipt-unreadable", "<receipt>", why=f"not JSON data ({error})"),))
    if actual_digest != parsed.digest:
        differences.append(difference("receipt-digest", "digest", parsed.digest, actual_digest))
    signed = parsed.signature
    seal = "unsigned" if signed is None else "unchecked"
    signer = signed["key_id"] if signed is not None else None
    if public_key is not None:
        if signed is None:
            differences.append(difference("signature-missing", "signature", public_key.key_id))
        else:
            problem = signature_problem(public_key, RECEIPT_PURPOSE, message, signed)
            seal = "invalid" if problem else "valid"
            if problem is not None:
                differences.append(_signature_invalid(public_key.key_id, problem))
    recorded_engine = f"{parsed.engine_name} {parsed.engine_version}"
    running_engine = f"{ENGINE_NAME} {__version__}"
    if recorded_engine != running_engine:
        differences.append(difference("engine-version", "engine", recorded_engine, running_engine, severity="warning"))
    evidence_sha = sha256_text(parsed.evidence_json)
    if evidence_sha != parsed.evidence_sha256:
        differences.append(difference("evidence-tampered", "evidence", parsed.evidence_sha256, evidence_sha))

    base = Path(root) if root is not None else None
    files: list[tuple[str, str | None]] = []
    changed: set[int] = set()
    for index, chained in enumerate(parsed.chain):
        candidates = _candidates(chained.file, base, folder)
        found = next((c for c in candidates if c.is_file()), None)
        files.append((chained.file, str(found) if found else None))
        if found is None:
            differences.append(difference("framework-missing", chained.file, actual=[str(c) for c in candidates]))
            changed.add(index)
            continue
        try:
            sha = hashlib.sha256(found.read_bytes()).hexdigest()
        except OSError as error:
            differences.append(difference("framework-missing", chained.file, actual=f"{found}: {error.strerror}"))
            changed.add(index)
            continue
        if sha != chained.sha256:
            differences.append(difference("framework-changed", chained.file, chained.sha256, sha))
            changed.add(index)
    done = Verification(tuple(differences), parsed, None, tuple(files), signature=seal, key_id=signer)

    leaf = files[-1][1]
    if leaf is None or any(found is None for _, found in files):
        return done  # nothing to replay with: the receipt cannot be verified (unless it is already wrong)
    try:
        evidence = read_evidence_json(parsed.evidence_json)
    except ValueError as error:
        differences.append(difference("evidence-unreadable", "evidence.json", why=str(error)))
        return replace(done, differences=tuple(differences))
    try:
        program = load_framework(leaf)
    except FrameworkError as error:
        why = (
            f"{len(error.issues)} problem{'' if len(error.issues) == 1 else 's'}, first: {error.issues[0]}"
            if error.issues
            else str(error)
        )
        differences.append(difference("framework-invalid", parsed.leaf.file, why=why))
        return replace(done, differences=tuple(differences))
    except (OSError, ValueError) as error:
        differences.append(difference("framework-invalid", parsed.leaf.file, why=str(error)))
        return replace(done, differences=tuple(differences))
    differences.extend(_chain_differences(parsed, program, changed))

    try:
        replayed = replay(program, parsed, evidence)
    except EvidenceError as error:
        differences.append(difference("evidence-invalid", "evidence", why=str(error)))
        return replace(done, differences=tuple(differences), program=program)
    except Exception as error:  # a damaged receipt must give a difference, never a traceback
        differences.append(difference("replay-failed", "evidence", why=f"{type(error).__name__}: {error}"))
        return replace(done, differences=tuple(differences), program=program)

    differences.extend(_outcome_differences(parsed.outcome, replayed.outcome))
    chain = program.info.chain or ((program.info.source, program.info.source_sha256),)
    renames = {source: recorded.file for (source, _), recorded in zip(chain, parsed.chain, strict=False)}
    replayed_trace = trace_digest(replayed.trace, renames)
    if replayed_trace != parsed.trace_sha256:
        differences.append(difference("trace-differs", "trace", parsed.trace_sha256, replayed_trace))
    return Verification(tuple(differences), parsed, replayed, tuple(files), program, seal, signer)


def _signature_invalid(key: str, problem: Text) -> Difference:
    template = MESSAGES["signature-invalid"]
    message = Text(template.vi.format(expected=key, why=problem.vi), template.en.format(expected=key, why=problem.en))
    return Difference("signature-invalid", "signature", key, "", "error", message)


def _load(receipt: ReceiptSource) -> tuple[Mapping[str, object], Path]:
    if isinstance(receipt, Receipt):
        return receipt.to_data(), Path.cwd()
    if isinstance(receipt, Mapping):
        return receipt, Path.cwd()
    path = Path(receipt)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ReceiptError([difference("receipt-unreadable", str(path), why=error.strerror or str(error))]) from None
    return parse_receipt_json(content, str(path)), path.resolve().parent


def _candidates(file: str, root: Path | None, folder: Path) -> list[Path]:
    path = Path(file)
    if path.is_absolute():
        return [path]
    if root is not None:
        return [root / path]
    return list(dict.fromkeys([folder / path, Path.cwd() / path]))


def _chain_differences(receipt: Receipt, program: Program, changed: set[int]) -> list[Difference]:
    """The files the leaf actually extends, against the recorded chain (files already reported are skipped)."""
    loaded = program.info.chain or ((program.info.source, program.info.source_sha256),)
    if len(loaded) != len(receipt.chain):
        return [
            difference(
                "framework-chain",
                "framework.chain",
                [c.file for c in receipt.chain],
                [file for file, _ in loaded],
            )
        ]
    out = []
    for index, ((file, sha), recorded) in enumerate(zip(loaded, receipt.chain, strict=True)):
        if sha != recorded.sha256 and index not in changed:
            out.append(
                difference(
                    "framework-chain",
                    f"framework.chain[{index}]",
                    f"{recorded.file} {recorded.sha256}",
                    f"{file} {sha}",
                )
            )
    return out


def _outcome_differences(stored: Outcome, replayed: Outcome) -> list[Difference]:
    out = []
    for f in dataclasses.fields(Outcome):
        before, after = plain_data(getattr(stored, f.name), {}), plain_data(getattr(replayed, f.name), {})
        if before != after:
            out.append(difference("outcome-differs", f"outcome.{f.name}", before, after))
    return out
