"""Receipts: one result sealed so that anyone can replay it later and confirm it.

Input: a ``Result``, the ``Program`` it was evaluated with and the raw evidence. Output: a ``Receipt``
(canonical JSON, ``xeploai.receipt/1``) with the digests of its evidence and trace, checked by replaying the stored
evidence before it is returned; and the canonical forms, messages and replay that ``verifier`` checks a receipt with.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal, TypeVar

from xeploai import __version__
from xeploai.evaluation import inputs
from xeploai.evaluation.trace import Decision, NodeKind, Outcome, Result, Status, TraceNode, walk
from xeploai.explanation.signing import RECEIPT_PURPOSE, SigningKey, is_signature, sign
from xeploai.program.ir import EnumValue, Ordinal, Period, Program, Span, Text
from xeploai.program.issues import EvidenceError

RECEIPT_SCHEMA_VERSION = "xeploai.receipt/1"
TRACE_DIGEST_VERSION = "xeploai.evaluation.trace-digest/1"
ENGINE_NAME = "xeploai"

Severity = Literal["error", "warning"]
_E = TypeVar("_E", bound=enum.Enum)

# --- messages ----------------------------------------------------------------------------------------------

# Each code's sentence in Vietnamese and English; {where}, {expected}, {actual} and {why} are filled in.
MESSAGES: dict[str, Text] = {
    "receipt-unreadable": Text(
        "Không đọc được biên nhận {where}: {why}",
        "Cannot read the receipt {where}: {why}",
    ),
    "receipt-version": Text(
        "Biên nhận có phiên bản {actual}; công cụ này đọc phiên bản {expected}",
        "The receipt is version {actual}; this tool reads {expected}",
    ),
    "receipt-malformed": Text(
        "Biên nhận bị hỏng tại '{where}': cần {expected}, thấy {actual}",
        "The receipt is damaged at '{where}': expected {expected}, found {actual}",
    ),
    "receipt-digest": Text(
        "Bản thân biên nhận đã bị sửa: mã băm ghi trong biên nhận là {expected}, nội dung hiện tại có mã băm {actual}",
        "The receipt itself was edited: its recorded digest is {expected}, its content now hashes to {actual}",
    ),
    "engine-version": Text(
        "Biên nhận được lập bằng {expected}, đang phát lại bằng {actual} (cảnh báo: vẫn phát lại và so sánh)",
        "The receipt was made by {expected}, replayed with {actual} (a warning: it is still replayed and compared)",
    ),
    "evidence-tampered": Text(
        "Minh chứng lưu trong biên nhận đã bị sửa: sha256 ghi lại {expected}, thực tế {actual}",
        "The evidence stored in the receipt was changed: recorded sha256 {expected}, actual {actual}",
    ),
    "evidence-unreadable": Text(
        "Minh chứng lưu trong biên nhận không còn là JSON của một bảng trường: {why}",
        "The evidence stored in the receipt is no longer the JSON of a field mapping: {why}",
    ),
    "evidence-invalid": Text(
        "Minh chứng không còn phù hợp với khung tiêu chí khi phát lại: {why}",
        "The evidence no longer fits the framework on replay: {why}",
    ),
    "framework-missing": Text(
        "Không tìm thấy tệp khung tiêu chí {where} (đã tìm: {actual})",
        "Framework file {where} not found (looked for {actual})",
    ),
    "framework-changed": Text(
        "Tệp khung tiêu chí {where} đã thay đổi: sha256 ghi lại {expected}, thực tế {actual}",
        "Framework file {where} changed: recorded sha256 {expected}, actual {actual}",
    ),
    "framework-chain": Text(
        "Chuỗi khung tiêu chí nạp lại khác biên nhận tại {where}: ghi lại {expected}, nạp lại {actual}",
        "The framework chain loaded on replay differs at {where}: recorded {expected}, loaded {actual}",
    ),
    "framework-invalid": Text(
        "Không nạp lại được khung tiêu chí {where}: {why}",
        "Framework {where} no longer loads: {why}",
    ),
    "outcome-differs": Text(
        "Kết quả ghi trong biên nhận khác kết quả phát lại ở '{where}': ghi lại {expected}, phát lại {actual}",
        "The outcome differs at '{where}': stored {expected}, replayed {actual}",
    ),
    "trace-differs": Text(
        "Diễn giải từng bước (trace) khi phát lại khác biên nhận: sha256 ghi lại {expected}, phát lại {actual}",
        "The replayed trace differs from the receipt: recorded sha256 {expected}, replayed {actual}",
    ),
    "replay-failed": Text(
        "Không phát lại được kết quả: {why}",
        "The result could not be replayed: {why}",
    ),
    "evidence-unrecordable": Text(
        "Không ghi được minh chứng vào biên nhận tại '{where}': {why}",
        "Cannot record the evidence in a receipt at '{where}': {why}",
    ),
    "signature-missing": Text(
        "Biên nhận không có chữ ký, nhưng đã cho khóa công khai {expected} để kiểm tra",
        "The receipt is not signed, but the public key {expected} was given to check it",
    ),
    "signature-invalid": Text(
        "Chữ ký của biên nhận không hợp lệ với khóa {expected}: {why}",
        "The receipt's signature does not hold for the key {expected}: {why}",
    ),
    "not-replayable": Text(
        "Kết quả không phát lại được chỉ từ minh chứng của đối tượng ({why}); không lập biên nhận",
        "The result cannot be replayed from the subject's evidence alone ({why}); no receipt is made",
    ),
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing a verification found different (or could not check), with its sentence in both languages."""

    code: str  # kebab-case, a key of ``MESSAGES``
    where: str  # the receipt key, file or outcome field concerned
    expected: str = ""  # what the receipt records
    actual: str = ""  # what was found or replayed
    severity: Severity = "error"
    message: Text = field(default=Text("", ""), compare=False)

    def text(self, lang: str = "vi") -> str:
        return self.message.get(lang)

    def __str__(self) -> str:
        return f"{self.message.en} [{self.code}]"


def difference(
    code: str, where: str, expected: object = "", actual: object = "", why: str = "", severity: Severity = "error"
) -> Difference:
    """A difference with its sentence from ``MESSAGES[code]`` in both languages."""
    words = {"where": where, "expected": _show(expected), "actual": _show(actual), "why": why}
    template = MESSAGES[code]
    message = Text(template.vi.format(**words), template.en.format(**words))
    return Difference(code, where, _show(expected), _show(actual), severity, message)


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, bool | int) else str(value)


class ReceiptError(Exception):
    """A receipt cannot be made, or cannot be read; ``differences`` says why (in both languages)."""

    def __init__(self, differences: Sequence[Difference]) -> None:
        self.differences = tuple(differences)
        lines = [str(d) for d in self.differences]
        super().__init__(f"{len(lines)} problem{'' if len(lines) == 1 else 's'}: " + "; ".join(lines))


# --- canonical forms and digests ---------------------------------------------------------------------------


def canonical_json(data: object) -> str:
    """The form every digest of this module hashes: sorted keys, no whitespace, UTF-8 text rather than escapes.

    >>> canonical_json({"b": 1, "a": ["Tốt", None]})
    '{"a":["Tốt",null],"b":1}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    # surrogatepass: a damaged receipt may decode to lone surrogates, which must hash rather than crash
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def evidence_json(raw: Mapping[str, object]) -> str:
    """Raw evidence as canonical JSON text that replays to the same typed evidence.

    Numbers keep their exact decimal digits (replay reads them back as ``Decimal``), dates become ISO strings,
    grades and enum values their ids. Raises ``ReceiptError`` for a value JSON cannot carry exactly.

    >>> evidence_json({"targets_met": 12, "sick_leave_months": 0.5, "task_results": "Tốt"})
    '{"sick_leave_months":0.5,"targets_met":12,"task_results":"Tốt"}'
    """
    return _evidence_text(raw, "evidence")


def _evidence_text(value: object, where: str) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "true" if value else "false"
        case int():
            return str(int(value))
        case float():
            if not math.isfinite(value):
                raise _unrecordable(where, f"{value!r} is not a finite number")
            return repr(value)  # the shortest text that reads back as the same float
        case Decimal():
            if not value.is_finite():
                raise _unrecordable(where, f"{value} is not a finite number")
            return str(value)
        case Fraction():
            if value.denominator == 1:
                return str(value.numerator)
            as_float = float(value)
            if Fraction(repr(as_float)) != value:
                raise _unrecordable(where, f"{value} has no exact decimal form")
            return repr(as_float)
        case str():
            return json.dumps(value, ensure_ascii=False)
        case datetime():
            raise _unrecordable(where, f"{value.isoformat()} is a date and time; evidence holds dates")
        case date():
            return json.dumps(value.isoformat())
        case Period():
            return _evidence_text({"start": value.start, "end": value.end, "kind": value.kind}, where)
        case Ordinal() | EnumValue():
            return json.dumps(value.id, ensure_ascii=False)
        case Mapping():
            items = []
            for key in sorted(value, key=str):
                if not isinstance(key, str):
                    raise _unrecordable(where, f"the key {key!r} is not text")
                items.append(f"{json.dumps(key, ensure_ascii=False)}:{_evidence_text(value[key], f'{where}.{key}')}")
            return "{" + ",".join(items) + "}"
        case list() | tuple():
            return "[" + ",".join(_evidence_text(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
        case _:
            raise _unrecordable(where, f"a value of type {type(value).__name__} is not evidence")


def _unrecordable(where: str, why: str) -> ReceiptError:
    return ReceiptError([difference("evidence-unrecordable", where, why=why)])


def unique_keys(pairs: Sequence[tuple[str, object]]) -> dict[str, object]:
    """A JSON object's members as a dict, refusing a repeated key (``json.loads``'s ``object_pairs_hook``): JSON
    readers disagree on which of two equal keys wins, so a signed or hashed text with one could be read two ways.

    >>> json.loads('{"level": "HT", "level": "HTXS"}', object_pairs_hook=unique_keys)
    Traceback (most recent call last):
    ...
    ValueError: the key 'level' appears twice in one object
    """
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read_evidence_json(text: str) -> dict[str, object]:
    """The evidence mapping stored in a receipt; non-integer numbers come back as exact ``Decimal``.

    Raises ``ValueError`` when the text is not the JSON of a mapping, or repeats a key.
    """
    try:
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=unique_keys)
    except RecursionError as error:
        raise ValueError("the JSON is nested too deeply") from error
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    return data


def trace_digest(trace: TraceNode, files: Mapping[str, str] | None = None) -> str:
    """The sha256 of a trace tree in an exact canonical form (``xeploai.evaluation.trace-digest/1``).

    Every field of every node counts, spans included; exact numbers are written as fractions, never floats.
    ``files`` renames span files (the file names a framework was loaded under) so that a receipt's digest does
    not depend on the folder a framework is replayed from.
    """
    return sha256_text(canonical_json(plain_data(trace, files or {})))


def plain_data(value: object, files: Mapping[str, str]) -> object:
    """Any trace value as JSON data, generically, so that a new trace field is covered without a change here."""
    match value:
        case enum.Enum():
            return plain_data(value.value, files)
        case None | bool() | int() | str():
            return value
        case float():
            return {"$float": repr(value)}
        case Fraction():
            return {"$fraction": str(value)}
        case Decimal():
            return {"$decimal": str(value)}
        case date():
            return {"$date": value.isoformat()}
        case Span():
            return {"$type": "Span", "file": files.get(value.file, value.file), "line": value.line, "col": value.col}
        case Mapping():
            return {str(k): plain_data(v, files) for k, v in value.items()}
        case list() | tuple():
            return [plain_data(v, files) for v in value]
        case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out: dict[str, object] = {"$type": type(value).__name__}
            for f in dataclasses.fields(value):
                out[f.name] = plain_data(getattr(value, f.name), files)
            return out
        case _:
            return {"$text": str(value)}


# --- the receipt -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainFile:
    """One framework file of the extension chain and the sha256 of its bytes."""

    file: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything needed to replay one result and confirm it (see docs/reference/receipts.md)."""

    engine_name: str
    engine_version: str
    framework_family: str
    framework_version: str
    chain: tuple[ChainFile, ...]  # the central framework first, the evaluated file last
    subject_id: str
    subject_kind: str
    subject_name: str | None
    period: Period
    evidence_json: str  # canonical JSON text of the raw evidence: replay needs nothing else
    evidence_sha256: str
    evidence_source: str | None
    outcome: Outcome
    trace_sha256: str
    digest: str = ""  # sha256 of the canonical JSON of everything above
    schema: str = RECEIPT_SCHEMA_VERSION
    # {algorithm, key_id, value}: the office's signature of the body (``signing``); None when unsigned
    signature: Mapping[str, str] | None = None

    @property
    def leaf(self) -> ChainFile:
        """The framework file that was evaluated (the last of the chain)."""
        return self.chain[-1]

    def body(self) -> dict[str, object]:
        """The receipt as JSON data, without its own digest."""
        outcome = self.outcome
        return {
            "schema": self.schema,
            "engine": {"name": self.engine_name, "version": self.engine_version},
            "framework": {
                "family": self.framework_family,
                "version": self.framework_version,
                "chain": [{"file": c.file, "sha256": c.sha256} for c in self.chain],
            },
            "subject": {"id": self.subject_id, "kind": self.subject_kind, "name": self.subject_name},
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "kind": self.period.kind,
            },
            "evidence": {"source": self.evidence_source, "json": self.evidence_json, "sha256": self.evidence_sha256},
            "outcome": {
                "status": outcome.status.value,
                "decision": outcome.decision.value,
                "level": outcome.level,
                "level_before_caps": outcome.level_before_caps,
                "reasons": list(outcome.reasons),
                "missing": list(outcome.missing),
                "possible": list(outcome.possible),
                "flags": list(outcome.flags),
            },
            "trace": {"digest": TRACE_DIGEST_VERSION, "sha256": self.trace_sha256},
        }

    def expected_digest(self) -> str:
        """The digest the receipt's content hashes to now."""
        return sha256_text(canonical_json(self.body()))

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {**self.body(), "digest": {"sha256": self.digest}}
        if self.signature is not None:
            data["signature"] = dict(self.signature)
        return data

    def to_json(self) -> str:
        """Deterministic JSON text: sorted keys, two-space indent, UTF-8 (no escapes), a final newline."""
        return json.dumps(self.to_data(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @staticmethod
    def from_json(text: str | bytes) -> Receipt:
        """Read a receipt; raises ``ReceiptError`` naming what is unreadable or damaged."""
        return Receipt.from_data(parse_receipt_json(text, "<receipt>"))

    @staticmethod
    def from_data(data: Mapping[str, object]) -> Receipt:
        """A receipt from its JSON data; raises ``ReceiptError`` naming every damaged key."""
        return _Reader(data).receipt()


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


_MISSING = _Missing()


class _Reader:
    """Reads the receipt's JSON data, recording every key that is missing or of the wrong type."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.problems: list[Difference] = []

    def _bad(self, where: str, expected: str, found: object) -> None:
        shown = "nothing" if found is _MISSING else json.dumps(found, ensure_ascii=False, default=str)[:80]
        self.problems.append(difference("receipt-malformed", where, expected, shown))

    def _get(self, path: str) -> object:
        node: object = self.data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return _MISSING
            node = node[part]
        return node

    def text(self, path: str) -> str:
        value = self._get(path)
        if isinstance(value, str):
            return value
        self._bad(path, "text", value)
        return ""

    def optional_text(self, path: str) -> str | None:
        value = self._get(path)
        if value is None or isinstance(value, str):
            return value
        self._bad(path, "text or null", value)
        return None

    def texts(self, path: str) -> tuple[str, ...]:
        value = self._get(path)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(str(v) for v in value)
        self._bad(path, "a list of texts", value)
        return ()

    def sha(self, path: str) -> str:
        value = self._get(path)
        if isinstance(value, str) and _is_sha256(value):
            return value
        self._bad(path, "a sha256 (64 lowercase hex digits)", value)
        return ""

    def day(self, path: str) -> date:
        value = self.text(path)
        try:
            return date.fromisoformat(value)
        except ValueError:
            if value:
                self._bad(path, "a date YYYY-MM-DD", value)
            return date.min

    def member(self, path: str, kind: type[_E], default: _E) -> _E:
        value = self._get(path)
        for candidate in kind:
            if candidate.value == value:
                return candidate
        self._bad(path, "one of " + ", ".join(str(m.value) for m in kind), value)
        return default

    def chain(self) -> tuple[ChainFile, ...]:
        value = self._get("framework.chain")
        if not isinstance(value, list) or not value:
            self._bad("framework.chain", "a non-empty list of {file, sha256}", value)
            return ()
        files = []
        for i, item in enumerate(value):
            where = f"framework.chain[{i}]"
            file = item.get("file", _MISSING) if isinstance(item, dict) else _MISSING
            sha = item.get("sha256", _MISSING) if isinstance(item, dict) else _MISSING
            if not isinstance(item, dict):
                self._bad(where, "{file, sha256}", item)
            elif not isinstance(file, str) or not file:
                self._bad(f"{where}.file", "a file path", file)
            elif not isinstance(sha, str) or not _is_sha256(sha):
                self._bad(f"{where}.sha256", "a sha256 (64 lowercase hex digits)", sha)
            else:
                files.append(ChainFile(file, sha))
        return tuple(files)

    def receipt(self) -> Receipt:
        outcome = Outcome(
            status=self.member("outcome.status", Status, Status.CLASSIFIED),
            decision=self.member("outcome.decision", Decision, Decision.LEVEL),
            level=self.optional_text("outcome.level"),
            level_before_caps=self.optional_text("outcome.level_before_caps"),
            reasons=self.texts("outcome.reasons"),
            missing=self.texts("outcome.missing"),
            possible=self.texts("outcome.possible"),
            flags=self.texts("outcome.flags"),
        )
        receipt = Receipt(
            schema=self.text("schema"),
            engine_name=self.text("engine.name"),
            engine_version=self.text("engine.version"),
            framework_family=self.text("framework.family"),
            framework_version=self.text("framework.version"),
            chain=self.chain(),
            subject_id=self.text("subject.id"),
            subject_kind=self.text("subject.kind"),
            subject_name=self.optional_text("subject.name"),
            period=Period(self.day("period.start"), self.day("period.end"), self.text("period.kind")),
            evidence_json=self.text("evidence.json"),
            evidence_sha256=self.sha("evidence.sha256"),
            evidence_source=self.optional_text("evidence.source"),
            outcome=outcome,
            trace_sha256=self.sha("trace.sha256"),
            digest=self.sha("digest.sha256"),
        )
        signature = self._get("signature")
        if signature is not _MISSING:
            if is_signature(signature):
                assert isinstance(signature, Mapping)
                receipt = replace(receipt, signature={k: str(signature[k]) for k in ("algorithm", "key_id", "value")})
            else:
                self._bad("signature", "{algorithm, key_id, value}", signature)
        trace_kind = self._get("trace.digest")
        if trace_kind != TRACE_DIGEST_VERSION:
            self._bad("trace.digest", TRACE_DIGEST_VERSION, trace_kind)
        if self.problems:
            raise ReceiptError(self.problems)
        return receipt


def parse_receipt_json(text: str | bytes, where: str) -> dict[str, object]:
    """JSON text → an object; raises ``ReceiptError`` (receipt-unreadable) for anything else."""
    try:
        # utf-8-sig: a byte order mark (Windows editors write one) is read past, as for every other input
        decoded = text.decode("utf-8-sig") if isinstance(text, bytes) else text.removeprefix("\ufeff")
        data = json.loads(decoded, object_pairs_hook=unique_keys)
    except UnicodeDecodeError as error:
        raise ReceiptError([difference("receipt-unreadable", where, why=f"not UTF-8 ({error.reason})")]) from None
    except json.JSONDecodeError as error:
        why = f"not JSON ({error.msg} at line {error.lineno} column {error.colno})"
        raise ReceiptError([difference("receipt-unreadable", where, why=why)]) from None
    except (ValueError, RecursionError) as error:
        raise ReceiptError([difference("receipt-unreadable", where, why=f"not JSON ({error})")]) from None
    if not isinstance(data, dict):
        raise ReceiptError([difference("receipt-unreadable", where, why="not a JSON object")])
    return data


def make_receipt(
    result: Result,
    program: Program,
    evidence_raw: Mapping[str, object],
    *,
    evidence_source: str | None,
    relative_to: str | os.PathLike[str] | None = None,
) -> Receipt:
    """The receipt of ``result``, evaluated with ``program`` from ``evidence_raw`` (the raw ``evidence`` mapping).

    Framework files are recorded as the program names them (the paths it was loaded by), or relative to the
    folder ``relative_to`` (the receipt's own folder, so that the receipt and the frameworks can move together).
    The stored evidence is replayed before the receipt is returned: a result that its evidence alone does not
    reproduce (one lowered by a quota, or using other subjects' results) raises ``ReceiptError``, as does
    evidence that JSON cannot carry exactly.
    """
    info = program.info
    chain = info.chain or ((info.source, info.source_sha256),)
    files = tuple(ChainFile(_recorded_path(f, relative_to), sha) for f, sha in chain)
    renames = {source: recorded.file for (source, _), recorded in zip(chain, files, strict=True)}
    text = evidence_json(evidence_raw)
    receipt = Receipt(
        engine_name=ENGINE_NAME,
        engine_version=__version__,
        framework_family=info.family,
        framework_version=info.version,
        chain=files,
        subject_id=result.subject_id,
        subject_kind=result.subject_kind,
        subject_name=result.subject_name,
        period=result.period,
        evidence_json=text,
        evidence_sha256=sha256_text(text),
        evidence_source=evidence_source,
        outcome=result.outcome,
        trace_sha256=trace_digest(result.trace, renames),
    )
    try:
        replayed = replay(program, receipt, read_evidence_json(text))
    except (EvidenceError, ValueError) as error:
        raise ReceiptError([difference("not-replayable", "evidence", why=str(error))]) from error
    if trace_digest(replayed.trace, renames) != receipt.trace_sha256:
        why = "quota decisions or other subjects' results" if _uses_others(result) else "the trace differs"
        raise ReceiptError([difference("not-replayable", "trace", why=why)])
    return replace(receipt, digest=receipt.expected_digest())


def body_of(data: Mapping[str, object]) -> dict[str, object]:
    """A receipt's JSON data without its digest and signature: what the digest hashes and the signature signs."""
    return {k: v for k, v in data.items() if k not in ("digest", "signature")}


def signed_message(data: Mapping[str, object]) -> bytes:
    """The bytes a receipt's signature signs: the canonical JSON of its body — the subject's id, kind and name, the
    period, the evidence, the outcome, the framework files and the trace digest all among them — so that a receipt
    cannot be moved to another person or period without a new signature."""
    return canonical_json(body_of(data)).encode("utf-8", "surrogatepass")


def sign_receipt(receipt: Receipt, key: SigningKey) -> Receipt:
    """The receipt signed with the office's key (see ``signing``); needs the ``sign`` extra."""
    return replace(receipt, signature=sign(key, RECEIPT_PURPOSE, signed_message(receipt.to_data())))


def _uses_others(result: Result) -> bool:
    return any(n.kind is NodeKind.QUOTA or any(r.origin == "relation" for r in n.reads) for n in walk(result.trace))


def _recorded_path(file: str, relative_to: str | os.PathLike[str] | None) -> str:
    if relative_to is None:
        return file
    try:
        return Path(os.path.relpath(Path(file).resolve(), Path(relative_to).resolve())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return file


def replay(program: Program, receipt: Receipt, evidence: Mapping[str, object]) -> Result:
    """The result of ``evidence`` for the receipt's subject and period, evaluated as the receipt was made."""
    return inputs.evaluate(
        program,
        receipt.subject_kind,
        evidence,
        period=receipt.period,
        subject_id=receipt.subject_id,
        subject_name=receipt.subject_name,
        source="<receipt evidence>",
    )
