"""Case histories: the append-only record of a dispute, one JSON line per entry, each chained to the one before
by hash; and re-evaluation of corrected evidence with the diff of the two explanations.

Input: entries appended by the caller (the original result, the appeal, evidence added, the re-evaluation, the
competent committee's decision) and, for re-evaluation, a program, a result, its evidence and corrections.
Output: the entries, the problems ``verify`` finds (edited, removed, reordered or inserted lines, by line
number), and a new result with an ``ExplanationDiff``.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import json
import math
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from xeploai.evaluation import inputs
from xeploai.evaluation.evidence import validate_evidence
from xeploai.evaluation.trace import NodeKind, Result, Truth, walk
from xeploai.explanation.receipt import canonical_json, sha256_text, unique_keys
from xeploai.explanation.signing import (
    HISTORY_PURPOSE,
    PublicKey,
    SigningKey,
    is_signature,
    sign,
    signature_problem,
)
from xeploai.program.ir import EnumValue, Ordinal, Period, Program, Text

HISTORY_SCHEMA_VERSION = "xeploai.history/1"

Kind = Literal["original", "appeal", "evidence_added", "re_evaluated", "decision"]
KINDS: tuple[str, ...] = ("original", "appeal", "evidence_added", "re_evaluated", "decision")

_FIELDS = ("schema", "seq", "time", "kind", "actor", "text", "data", "prev_hash", "hash")

# Each problem's sentence in Vietnamese and English; {line} and the named values are filled in.
MESSAGES: dict[str, Text] = {
    "history-unreadable": Text("Không đọc được hồ sơ vụ việc: {why}", "Cannot read the case history: {why}"),
    "line-malformed": Text(
        "Dòng {line} không phải một mục hồ sơ: {why}",
        "Line {line} is not a history entry: {why}",
    ),
    "line-unterminated": Text(
        "Dòng {line} không kết thúc bằng xuống dòng (lần ghi bị gián đoạn?)",
        "Line {line} does not end with a newline (an interrupted write?)",
    ),
    "line-edited": Text(
        "Dòng {line} (mục {seq}) đã bị sửa sau khi ghi: mã băm ghi lại {recorded}, nội dung hiện tại {actual}",
        "Line {line} (entry {seq}) was edited after it was written: recorded hash {recorded}, content hashes to "
        "{actual}",
    ),
    "entry-missing": Text(
        "Thiếu mục {missing} trước dòng {line}: các dòng đã bị xóa",
        "Entry {missing} is missing before line {line}: lines were removed",
    ),
    "entry-duplicated": Text(
        "Dòng {line} lặp lại mục {seq} đã có ở dòng {first}: một dòng đã bị chèn thêm",
        "Line {line} repeats entry {seq}, already on line {first}: a line was inserted",
    ),
    "entry-out-of-order": Text(
        "Dòng {line} (mục {seq}) đứng sau mục {after} ở dòng {first}: thứ tự các dòng đã bị đảo",
        "Line {line} (entry {seq}) comes after entry {after} on line {first}: lines were reordered",
    ),
    "chain-broken": Text(
        "Dòng {line} (mục {seq}) không nối tiếp dòng {before}: prev_hash của nó không phải mã băm của dòng trước "
        "(có dòng bị xóa, chèn, đảo hoặc viết lại)",
        "Line {line} (entry {seq}) does not follow line {before}: its prev_hash is not the hash of the line before "
        "(a line was removed, inserted, reordered or rewritten)",
    ),
    "chain-start": Text(
        "Dòng 1 (mục {seq}) không mở đầu chuỗi: prev_hash của nó phải là null",
        "Line 1 (entry {seq}) does not start the chain: its prev_hash must be null",
    ),
    "entry-unsigned": Text(
        "Dòng {line} (mục {seq}) không có chữ ký, nhưng đã cho khóa công khai {key} để kiểm tra",
        "Line {line} (entry {seq}) is not signed, but the public key {key} was given to check it",
    ),
    "signature-invalid": Text(
        "Chữ ký của dòng {line} (mục {seq}) không hợp lệ với khóa {key}: {why}",
        "The signature of line {line} (entry {seq}) does not hold for the key {key}: {why}",
    ),
    "head-mismatch": Text(
        "Mục cuối (dòng {line}) có mã băm {actual}, không phải {expected} như đã lưu: các dòng cuối đã bị xóa "
        "hoặc hồ sơ bị thay",
        "The last entry (line {line}) hashes to {actual}, not the recorded head {expected}: lines were removed "
        "from the end, or the history was replaced",
    ),
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a history file: the line (1-based; 0 for the whole file), a code, a sentence."""

    line: int
    code: str
    message: Text

    def text(self, lang: str = "vi") -> str:
        return self.message.get(lang)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message.en} [{self.code}]"


def _problem(code: str, line: int, **words: object) -> Problem:
    template = MESSAGES[code]
    shown = {"line": line, **{k: str(v) for k, v in words.items()}}
    return Problem(line, code, Text(template.vi.format(**shown), template.en.format(**shown)))


class HistoryError(Exception):
    """A history that cannot be read or extended; ``problems`` lists why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            f"{len(self.problems)} problem{'' if len(self.problems) == 1 else 's'} in the case history: "
            + "; ".join(map(str, problems))
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a case history."""

    seq: int  # 1, 2, 3 … in the order written
    time: str  # ISO 8601, given by the caller
    kind: str  # original | appeal | evidence_added | re_evaluated | decision
    actor: str  # who acted: the member, the cell, the inspection committee …
    text: str  # what they said or decided, in their words
    data: Mapping[str, Any]  # JSON data: evidence, corrections, outcomes, receipt digests, the diff …
    prev_hash: str | None  # the hash of the entry before; None for the first
    hash: str  # sha256 of the canonical JSON of this entry without ``hash`` and ``signature``
    signature: Mapping[str, str] | None = None  # the office's signature of ``hash`` (``signing``), if signed

    def body(self) -> dict[str, object]:
        return {
            "schema": HISTORY_SCHEMA_VERSION,
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "actor": self.actor,
            "text": self.text,
            "data": dict(self.data),
            "prev_hash": self.prev_hash,
        }

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {**self.body(), "hash": self.hash}
        if self.signature is not None:
            data["signature"] = dict(self.signature)
        return data


def entry_hash(body: Mapping[str, object]) -> str:
    """The hash of an entry: sha256 of the canonical JSON of every key but ``hash`` and ``signature`` (which signs
    the hash, and through it every other key, the link to the entry before included)."""
    return sha256_text(canonical_json({k: v for k, v in body.items() if k not in ("hash", "signature")}))


@dataclass(frozen=True)
class _Line:
    number: int
    raw: dict[str, Any] | None  # the parsed object (None when not JSON)
    entry: Entry | None  # None when the line is not an entry
    problem: Problem | None


class CaseHistory:
    """An append-only case history file (JSON Lines). Appending never rewrites an earlier line.

    A missing file is an empty history. ``verify`` checks the chain; a chain alone cannot show that lines were
    cut off the end, so keep ``head()`` somewhere else (in the decision, in a receipt) and pass it to ``verify``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(
        self,
        kind: Kind | str,
        actor: str,
        text: str,
        data: Mapping[str, object] | None,
        time: str | datetime | date,
        *,
        signing_key: SigningKey | None = None,
    ) -> Entry:
        """Write one entry at the end and return it, signed with ``signing_key`` when given; raises
        ``HistoryError`` if the history does not verify, ``ValueError`` for an unknown kind, a time that is not ISO
        8601 or data that is not JSON, and ``OSError`` when the line cannot be written (the file is then left as it
        was)."""
        if kind not in KINDS:
            raise ValueError(f"unknown entry kind {kind!r}; expected one of: {', '.join(KINDS)}")
        when = iso_time(time)
        payload = _jsonable(dict(data or {}), "data")
        assert isinstance(payload, dict)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_special(self.path)
        # O_APPEND: every write goes to the end, whatever was read; O_NOFOLLOW: a link planted at the history's
        # name is not written through.
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o644)
        try:
            _lock(fd)
            content = _read_all(fd)
            lines, problems = _read(content)
            if problems:
                raise HistoryError(problems)
            last = lines[-1].entry if lines else None
            body: dict[str, object] = {
                "schema": HISTORY_SCHEMA_VERSION,
                "seq": last.seq + 1 if last else 1,
                "time": when,
                "kind": str(kind),
                "actor": actor,
                "text": text,
                "data": payload,
                "prev_hash": last.hash if last else None,
            }
            entry = _entry({**body, "hash": entry_hash(body)})
            assert entry is not None
            if signing_key is not None:
                entry = replace(entry, signature=sign(signing_key, HISTORY_PURPOSE, entry.hash.encode("ascii")))
            _append_whole(fd, (canonical_json(entry.to_data()) + "\n").encode("utf-8"), len(content))
        finally:
            os.close(fd)
        return entry

    def read(self, head: str | None = None, public_key: PublicKey | None = None) -> tuple[list[Entry], list[Problem]]:
        """The entries that can be read, in file order, and every problem ``verify`` finds; never raises."""
        try:
            content = self._content()
        except HistoryError as error:
            return [], list(error.problems)
        lines, problems = _read(content)
        if public_key is not None:
            problems = sorted([*problems, *_signature_problems(lines, public_key)], key=lambda p: p.line)
        if head is not None and not problems:
            last = lines[-1].entry if lines else None
            if last is None or last.hash != head:
                actual = last.hash if last else "(empty)"
                problems.append(_problem("head-mismatch", len(lines), expected=head, actual=actual))
        return [line.entry for line in lines if line.entry is not None and line.problem is None], problems

    def entries(self) -> list[Entry]:
        """Every entry in file order; raises ``HistoryError`` when a line is not an entry (see ``verify``)."""
        lines, problems = _read(self._content())
        unreadable = [p for p in problems if p.code in ("history-unreadable", "line-malformed")]
        if unreadable:
            raise HistoryError(unreadable)
        return [line.entry for line in lines if line.entry is not None]

    def head(self) -> str | None:
        """The hash of the last entry (None for an empty history)."""
        entries = self.entries()
        return entries[-1].hash if entries else None

    def verify(self, head: str | None = None, public_key: PublicKey | None = None) -> list[Problem]:
        """Every problem of the file, by line: edited, removed, reordered or inserted lines, a broken chain;
        with ``head``, also lines cut off the end; with ``public_key``, entries not signed by it. An empty list when
        the history is intact."""
        return self.read(head, public_key)[1]

    def _content(self) -> bytes:
        try:
            _refuse_special(self.path)
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as error:
            raise HistoryError([_problem("history-unreadable", 0, why=error.strerror or str(error))]) from None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _refuse_special(path: Path) -> None:
    """A history is a regular file: a FIFO would block and a device such as /dev/zero never ends."""
    try:
        mode = path.stat().st_mode  # follows a link: what would be read
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        why = "not a regular file (a FIFO, a device or a folder)"
        raise HistoryError([_problem("history-unreadable", 0, why=why)])


def _lock(fd: int) -> None:
    """Hold an exclusive lock until the file is closed, so that two appends cannot interleave."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one writer at a time is the caller's duty
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _append_whole(fd: int, line: bytes, size: int) -> None:
    """Append ``line`` whole or not at all: one write of the whole line, then fsync; when the write fails or is cut
    short (a full disk), the file is cut back to its ``size`` before, so that no partial line is ever left to make
    the history unreadable, and the error is raised."""
    try:
        written = os.write(fd, line)
        while written < len(line):  # a short write: the disk filled up, or a signal came
            more = os.write(fd, line[written:])
            if more == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written += more
        os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
            os.fsync(fd)
        raise


def _read(content: bytes) -> tuple[list[_Line], list[Problem]]:
    """The lines of a history and every problem: per line first (a line that is not UTF-8 is one problem, the
    others are still read), then the chain across lines."""
    content = content.removeprefix(b"\xef\xbb\xbf")  # a byte order mark an editor added is read past
    if not content:
        return [], []
    rows = content.split(b"\n")
    problems: list[Problem] = []
    if rows[-1] == b"":
        rows.pop()
    else:
        problems.append(_problem("line-unterminated", len(rows)))
    lines = [_parse_bytes(number, row) for number, row in enumerate(rows, 1)]
    problems.extend(line.problem for line in lines if line.problem is not None)
    problems.extend(_chain_problems(lines))
    return lines, sorted(problems, key=lambda p: p.line)


def _parse_bytes(number: int, row: bytes) -> _Line:
    try:
        text = row.decode("utf-8")
    except UnicodeDecodeError as error:
        why = f"not UTF-8 ({error.reason} at byte {error.start + 1})"
        return _Line(number, None, None, _problem("line-malformed", number, why=why))
    return _parse_line(number, text)


def _parse_line(number: int, row: str) -> _Line:
    try:
        raw = json.loads(row, object_pairs_hook=unique_keys)
    except (ValueError, RecursionError) as error:
        reason = "a blank line" if not row.strip() else f"not JSON ({error})"
        return _Line(number, None, None, _problem("line-malformed", number, why=reason))
    if not isinstance(raw, dict):
        return _Line(number, None, None, _problem("line-malformed", number, why="not a JSON object"))
    why = _entry_problem(raw)
    if why is not None:
        return _Line(number, raw, None, _problem("line-malformed", number, why=why))
    entry = _entry(raw)
    assert entry is not None
    actual = entry_hash(raw)
    if actual != entry.hash:
        return _Line(
            number, raw, entry, _problem("line-edited", number, seq=entry.seq, recorded=entry.hash, actual=actual)
        )
    return _Line(number, raw, entry, None)


def _entry_problem(raw: Mapping[str, Any]) -> str | None:
    missing = [k for k in _FIELDS if k not in raw]
    if missing:
        return "missing " + ", ".join(missing)
    if raw["schema"] != HISTORY_SCHEMA_VERSION:
        return f"schema {raw['schema']!r}; this tool reads {HISTORY_SCHEMA_VERSION}"
    seq = raw["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return f"seq {seq!r} is not a positive whole number"
    for key in ("time", "actor", "text", "hash"):
        if not isinstance(raw[key], str):
            return f"{key} is not text"
    if raw["kind"] not in KINDS:
        return f"kind {raw['kind']!r} is not one of {', '.join(KINDS)}"
    if not isinstance(raw["data"], dict):
        return "data is not an object"
    if raw["prev_hash"] is not None and not isinstance(raw["prev_hash"], str):
        return "prev_hash is neither text nor null"
    if "signature" in raw and not is_signature(raw["signature"]):
        return "signature is not {algorithm, key_id, value}"
    return None


def _entry(raw: Mapping[str, Any]) -> Entry | None:
    if _entry_problem(raw) is not None:
        return None
    return Entry(
        seq=raw["seq"],
        time=raw["time"],
        kind=raw["kind"],
        actor=raw["actor"],
        text=raw["text"],
        data=raw["data"],
        prev_hash=raw["prev_hash"],
        hash=raw["hash"],
        signature=raw.get("signature"),
    )


def _signature_problems(lines: Sequence[_Line], public_key: PublicKey) -> list[Problem]:
    """An entry not signed, or not signed by ``public_key``, on an otherwise intact line."""
    out = []
    for line in lines:
        entry = line.entry
        if entry is None or line.problem is not None:
            continue
        if entry.signature is None:
            out.append(_problem("entry-unsigned", line.number, seq=entry.seq, key=public_key.key_id))
            continue
        why = signature_problem(public_key, HISTORY_PURPOSE, entry.hash.encode("ascii"), entry.signature)
        if why is not None:
            template = MESSAGES["signature-invalid"]
            words = {"line": line.number, "seq": entry.seq, "key": public_key.key_id}
            text = Text(template.vi.format(**words, why=why.vi), template.en.format(**words, why=why.en))
            out.append(Problem(line.number, "signature-invalid", text))
    return out


def _chain_problems(lines: Sequence[_Line]) -> list[Problem]:
    """At most one problem per line that is itself intact: a duplicate, a step back, a gap, a broken link."""
    present = {line.entry.seq for line in lines if line.entry is not None}
    first_line: dict[int, int] = {}  # seq → the line it first appears on
    problems: list[Problem] = []
    highest, highest_line = 0, 0
    previous: _Line | None = None
    for line in lines:
        entry = line.entry
        if entry is None:
            previous = None  # a malformed line is already reported; the next link cannot be checked
            continue
        problem: Problem | None = None
        if entry.seq in first_line:
            problem = _problem("entry-duplicated", line.number, seq=entry.seq, first=first_line[entry.seq])
        elif entry.seq < highest:
            problem = _problem("entry-out-of-order", line.number, seq=entry.seq, after=highest, first=highest_line)
        else:
            gap = [s for s in range(highest + 1, entry.seq) if s not in present]
            if gap:
                problem = _problem("entry-missing", line.number, missing=_ranges(gap))
            elif line.number == 1 and entry.prev_hash is not None:
                problem = _problem("chain-start", 1, seq=entry.seq)
            elif previous is not None and previous.entry is not None and entry.prev_hash != previous.entry.hash:
                problem = _problem("chain-broken", line.number, seq=entry.seq, before=previous.number)
        if problem is not None and line.problem is None:
            problems.append(problem)
        first_line.setdefault(entry.seq, line.number)
        if entry.seq > highest:
            highest, highest_line = entry.seq, line.number
        previous = line
    return problems


def _ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5, 8]`` → ``3–5, 8``."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def iso_time(time: str | datetime | date) -> str:
    """The time as an entry records it (ISO 8601 text); raises ``ValueError`` for text that is not ISO 8601."""
    if isinstance(time, datetime | date):
        return time.isoformat()
    try:
        datetime.fromisoformat(time)
    except (TypeError, ValueError):
        raise ValueError(f"time {time!r} is not an ISO 8601 date or time (e.g. 2021-03-15T09:30:00+07:00)") from None
    return time


def _jsonable(value: object, where: str) -> object:
    """Data for an entry as plain JSON: dates as ISO text, exact numbers as text, grades by id."""
    match value:
        case enum.Enum():
            return _jsonable(value.value, where)
        case None | bool() | int() | str():
            return value
        case float():
            if not math.isfinite(value):
                raise ValueError(f"{where} = {value!r} is not a finite number")
            return value
        case Fraction() | Decimal():
            return _number(value, where)
        case datetime() | date():
            return value.isoformat()
        case Period():
            return {"start": value.start.isoformat(), "end": value.end.isoformat(), "kind": value.kind}
        case Ordinal() | EnumValue():
            return value.id
        case Text():
            return {"vi": value.vi, "en": value.en}
        case Mapping():
            out: dict[str, object] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ValueError(f"{where} has the key {key!r}, which is not text")
                out[key] = _jsonable(item, f"{where}.{key}")
            return out
        case list() | tuple():
            return [_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
        case _:
            raise ValueError(f"{where} is of type {type(value).__name__}, which a history cannot hold")


def _number(value: Fraction | Decimal, where: str) -> int | float | str:
    """An exact number as JSON: an int, a float when it reads back exactly, else its text (``1/3``)."""
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{where} = {value} is not a finite number")
    exact = Fraction(value)
    if exact.denominator == 1:
        return exact.numerator
    as_float = float(exact)
    return as_float if Fraction(repr(as_float)) == exact else str(value)


# --- re-evaluation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueChange:
    """An evidence field whose value changed; None stands for absent."""

    field: str
    old: object
    new: object


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule or cap whose truth changed; None when it was not evaluated on that side."""

    kind: str  # rule | cap
    id: str
    label: Text | None
    old: Truth | None
    new: Truth | None


@dataclass(frozen=True)
class ExplanationDiff:
    """What changed between two explanations of one subject."""

    status: tuple[str, str] | None  # (old, new) when the status changed
    level: tuple[str | None, str | None] | None  # (old, new) level ids when the level changed
    level_codes: tuple[str | None, str | None] | None  # the same as codes (HTT → HTXS)
    decision: tuple[str, str] | None
    reasons_added: tuple[str, ...]
    reasons_removed: tuple[str, ...]
    missing_added: tuple[str, ...]
    missing_removed: tuple[str, ...]
    rules: tuple[RuleChange, ...]
    evidence: tuple[ValueChange, ...]

    @property
    def changed(self) -> bool:
        """Whether the outcome changed (evidence and rule changes alone do not count)."""
        return any(
            (
                self.status,
                self.level,
                self.decision,
                self.reasons_added,
                self.reasons_removed,
                self.missing_added,
                self.missing_removed,
            )
        )

    def to_json(self) -> dict[str, object]:
        """JSON data, e.g. for the ``data`` of a ``re_evaluated`` history entry."""

        def pair(value: tuple[object, object] | None) -> dict[str, object] | None:
            return None if value is None else {"old": value[0], "new": value[1]}

        data = {
            "status": pair(self.status),
            "level": pair(self.level),
            "level_code": pair(self.level_codes),
            "decision": pair(self.decision),
            "reasons": {"added": list(self.reasons_added), "removed": list(self.reasons_removed)},
            "missing": {"added": list(self.missing_added), "removed": list(self.missing_removed)},
            "rules": [
                {
                    "kind": r.kind,
                    "id": r.id,
                    "label": None if r.label is None else {"vi": r.label.vi, "en": r.label.en},
                    "old": None if r.old is None else r.old.value,
                    "new": None if r.new is None else r.new.value,
                }
                for r in self.rules
            ],
            "evidence": [{"field": c.field, "old": c.old, "new": c.new} for c in self.evidence],
        }
        result = _jsonable(data, "diff")
        assert isinstance(result, dict)
        return result

    def to_text(self, lang: str = "vi") -> str:
        """The changes as short lines, in Vietnamese (default) or English."""
        w = _DIFF_WORDS_EN if lang == "en" else _DIFF_WORDS_VI
        lines: list[str] = []
        if self.level is not None:
            old, new = self.level_codes or self.level
            lines.append(f"{w['level']}: {old or '—'} → {new or '—'}")
        if self.status is not None:
            lines.append(f"{w['status']}: {self.status[0]} → {self.status[1]}")
        if self.reasons_added:
            lines.append(f"{w['reasons_added']}: {', '.join(self.reasons_added)}")
        if self.reasons_removed:
            lines.append(f"{w['reasons_removed']}: {', '.join(self.reasons_removed)}")
        for r in self.rules:
            name = r.label.get(lang) if r.label else r.id
            old_truth = w[r.old.value] if r.old else "—"
            new_truth = w[r.new.value] if r.new else "—"
            lines.append(f"{w['rule']} {name} ({r.id}): {old_truth} → {new_truth}")
        for c in self.evidence:
            lines.append(f"{w['evidence']} {c.field}: {_display(c.old, w)} → {_display(c.new, w)}")
        if not lines:
            lines.append(w["nothing"])
        return "\n".join(lines) + "\n"


_DIFF_WORDS_VI = {
    "level": "Mức xếp loại",
    "status": "Tình trạng",
    "reasons_added": "Lý do mới",
    "reasons_removed": "Lý do không còn",
    "rule": "Quy tắc",
    "evidence": "Minh chứng",
    "met": "đạt",
    "not_met": "không đạt",
    "unknown": "chưa xác định",
    "absent": "(không có)",
    "nothing": "Không có thay đổi.",
}
_DIFF_WORDS_EN = {
    "level": "Level",
    "status": "Status",
    "reasons_added": "New reasons",
    "reasons_removed": "Reasons no longer given",
    "rule": "Rule",
    "evidence": "Evidence",
    "met": "met",
    "not_met": "not met",
    "unknown": "unknown",
    "absent": "(absent)",
    "nothing": "Nothing changed.",
}


def _display(value: object, words: Mapping[str, str]) -> str:
    if value is None:
        return words["absent"]
    return json.dumps(_jsonable(value, "value"), ensure_ascii=False)


def apply_corrections(evidence: Mapping[str, object], corrections: Mapping[str, object]) -> dict[str, object]:
    """The evidence with corrections applied: a value replaces the field (a records list as a whole), ``None``
    removes it (the field becomes unknown).

    >>> apply_corrections({"targets_met": 7, "sick_leave_months": 4}, {"targets_met": 8, "sick_leave_months": None})
    {'targets_met': 8}
    """
    out = dict(evidence)
    for key, value in corrections.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def reevaluate(
    program: Program,
    original_result: Result,
    original_evidence: Mapping[str, object],
    corrections: Mapping[str, object],
    period: Period | None = None,
    *,
    kind: str | None = None,
) -> tuple[Result, ExplanationDiff]:
    """Evaluate the original evidence with ``corrections`` applied, and diff the two explanations.

    ``period`` and ``kind`` default to those of ``original_result``. Raises ``EvidenceError`` when the corrected
    evidence does not fit the framework.
    """
    kind = kind or original_result.subject_kind
    evidence = apply_corrections(original_evidence, corrections)
    new_result = inputs.evaluate(
        program,
        kind,
        evidence,
        period=period or original_result.period,
        subject_id=original_result.subject_id,
        subject_name=original_result.subject_name,
        source="<corrected evidence>",
    )
    return new_result, explanation_diff(program, original_result, new_result, original_evidence, evidence)


def explanation_diff(
    program: Program,
    old: Result,
    new: Result,
    old_evidence: Mapping[str, object],
    new_evidence: Mapping[str, object],
) -> ExplanationDiff:
    """What changed from ``old`` to ``new``: outcome, reasons, the truth of rules and caps, and evidence fields
    (compared as typed values, so ``12`` and ``12.0`` are the same; shown as given)."""
    a, b = old.outcome, new.outcome

    def changed(x: object, y: object) -> tuple[Any, Any] | None:
        return None if x == y else (x, y)

    def code(level: str | None) -> str | None:
        try:
            return None if level is None else program.level_code(level)
        except KeyError:
            return level

    level = changed(a.level, b.level)
    old_rules, new_rules = _rule_truths(old), _rule_truths(new)
    rules = [
        RuleChange(
            key[0], key[1], (old_rules.get(key) or new_rules[key])[1], _truth(old_rules, key), _truth(new_rules, key)
        )
        for key in dict.fromkeys([*old_rules, *new_rules])
        if _truth(old_rules, key) != _truth(new_rules, key)
    ]
    return ExplanationDiff(
        status=changed(a.status.value, b.status.value),
        level=level,
        level_codes=None if level is None else (code(a.level), code(b.level)),
        decision=changed(a.decision.value, b.decision.value),
        reasons_added=tuple(r for r in b.reasons if r not in a.reasons),
        reasons_removed=tuple(r for r in a.reasons if r not in b.reasons),
        missing_added=tuple(m for m in b.missing if m not in a.missing),
        missing_removed=tuple(m for m in a.missing if m not in b.missing),
        rules=tuple(rules),
        evidence=_evidence_changes(program, old.subject_kind, new.subject_kind, old_evidence, new_evidence),
    )


def _rule_truths(result: Result) -> dict[tuple[str, str], tuple[Truth, Text | None]]:
    """(kind, id) → the truth and label of each rule and cap, at its first occurrence in the trace."""
    found: dict[tuple[str, str], tuple[Truth, Text | None]] = {}
    for node in walk(result.trace):
        if node.kind in (NodeKind.RULE, NodeKind.CAP) and node.id:
            found.setdefault((node.kind.value, node.id), (node.truth, node.label))
    return found


def _truth(truths: Mapping[tuple[str, str], tuple[Truth, Text | None]], key: tuple[str, str]) -> Truth | None:
    found = truths.get(key)
    return None if found is None else found[0]


def _evidence_changes(
    program: Program, old_kind: str, new_kind: str, old: Mapping[str, object], new: Mapping[str, object]
) -> tuple[ValueChange, ...]:
    typed_old = validate_evidence(program, old_kind, old).values
    typed_new = validate_evidence(program, new_kind, new).values
    fields = dict.fromkeys([*old, *new, *typed_old, *typed_new])
    return tuple(
        ValueChange(name, old.get(name), new.get(name)) for name in fields if typed_old.get(name) != typed_new.get(name)
    )
