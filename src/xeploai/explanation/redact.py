"""Redaction: a result as a complainant may see it, with other people's names and ids replaced by pseudonyms.

Input: a ``Result`` and a ``Redaction`` (the ids to keep, a secret salt). Output: a new ``Result`` whose trace
names everyone else by a stable pseudonym, so every renderer (text, JSON, Markdown, HTML) works on it unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

from xeploai.evaluation.trace import NodeKind, Read, Result, TraceNode, walk
from xeploai.program.ir import Text

# Letters that cannot be misread as digits (no I, O).
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Reads that list other subjects by id: the related subjects, and who met a share condition.
_PEOPLE_ORIGINS = ("relation", "derived")
# Quota details that hold subject ids (``names`` maps them to names).
_QUOTA_ID_KEYS = ("candidates", "kept", "demoted")
_MISSING_ENTRY = re.compile(r"^(?P<relation>[^\[\]]+)\[(?P<id>.+)\]$")  # "members[M2]": a related subject

DEFAULT_WORD = Text("Đảng viên", "Member")


@dataclass(frozen=True)
class Redaction:
    """Who stays named (``keep``, plus always the subject of the result) and the secret key of the pseudonyms.

    The same salt gives every id the same pseudonym in every packet, so a committee can match two complaints
    without revealing who is who; keep the salt secret, since ids are often guessable.

    >>> r = Redaction(keep=set(), salt="s")
    >>> r.pseudonym("DV-0001") == r.pseudonym("DV-0001"), r.pseudonym("DV-0001", "en").startswith("Member ")
    (True, True)
    """

    keep: AbstractSet[str]
    salt: str
    word: Text = field(default=DEFAULT_WORD)  # the noun before the code: "Đảng viên A…", "Member A…"

    def code(self, subject_id: str, extra: int = 0) -> str:
        """Two letters and three digits from a keyed hash of the id; ``extra`` more digits settle a clash."""
        digest = hmac.new(self.salt.encode("utf-8"), subject_id.encode("utf-8"), hashlib.sha256).digest()
        letters = _LETTERS[digest[0] % len(_LETTERS)] + _LETTERS[digest[1] % len(_LETTERS)]
        digits = 3 + extra
        number = int.from_bytes(digest[2:18], "big") % 10**digits
        return f"{letters}{number:0{digits}d}"

    def pseudonym(self, subject_id: str, lang: str = "vi", extra: int = 0) -> str:
        return f"{self.word.get(lang)} {self.code(subject_id, extra)}"


def redact_result(result: Result, redaction: Redaction, lang: str = "vi") -> Result:
    """``result`` with every other subject's id and name replaced by its pseudonym in ``lang``.

    Rewritten: quota checks (candidates, names, kept, demoted), reads listing related subjects and who met a
    share condition, any read, operand or detail value equal to one of those ids or names, and the missing
    entries naming a related subject (``members[M2]``). The subject itself and the ids in ``keep`` stay.
    """
    kept = set(redaction.keep) | {result.subject_id}
    others, names = _others(result.trace, result.outcome.missing, kept)
    table = _pseudonyms(others, redaction, lang)
    swap: dict[str, str] = dict(table)
    for subject_id, name in names.items():
        if subject_id in table and name not in kept and name != result.subject_name:
            swap.setdefault(name, table[subject_id])
    trace = _rewrite(result.trace, swap, table)
    outcome = result.outcome
    missing = tuple(_swap_missing(entry, swap) for entry in outcome.missing)
    if missing != outcome.missing:
        trace = replace(trace, outcome=replace(outcome, missing=missing))
    extras = {**result.extras, "redacted": True}
    return replace(result, trace=trace, extras=extras)


def _others(root: TraceNode, missing: Iterable[str], kept: AbstractSet[str]) -> tuple[list[str], dict[str, str]]:
    """The ids of other subjects named anywhere in the trace, in order of appearance, and their known names."""
    found: dict[str, None] = {}
    names: dict[str, str] = {}

    def add(value: object) -> None:
        if isinstance(value, str) and value not in kept:
            found.setdefault(value, None)

    for node in walk(root):
        for read in node.reads:
            if read.origin in _PEOPLE_ORIGINS:
                for subject_id in _ids_in(read.value):
                    add(subject_id)
        if node.kind is NodeKind.QUOTA:
            details = dict(node.details)
            for key in _QUOTA_ID_KEYS:
                for subject_id in _ids_in(details.get(key)):
                    add(subject_id)
            named = details.get("names")
            if isinstance(named, Mapping):
                for subject_id, name in named.items():
                    add(subject_id)
                    if isinstance(subject_id, str) and isinstance(name, str):
                        names[subject_id] = name
    for entry in missing:
        match = _MISSING_ENTRY.match(entry)
        if match:
            add(match.group("id"))
    return list(found), names


def _ids_in(value: object) -> list[str]:
    """The ids in a list of ids, or in a mapping of such lists (``{"met": [...], "not_met": [...]}``)."""
    match value:
        case list() | tuple():
            return [v for v in value if isinstance(v, str)]
        case Mapping():
            return [i for v in value.values() for i in _ids_in(v)]
        case _:
            return []


def _pseudonyms(ids: list[str], redaction: Redaction, lang: str) -> dict[str, str]:
    """A pseudonym per id; ids whose codes clash get longer codes until none clash (rare: 1 in ~500,000)."""
    extra = dict.fromkeys(ids, 0)
    while True:
        table = {i: _nfc(redaction.pseudonym(i, lang, extra[i])) for i in ids}
        seen: dict[str, list[str]] = {}
        for subject_id, name in table.items():
            seen.setdefault(name, []).append(subject_id)
        clashes = [i for group in seen.values() if len(group) > 1 for i in group]
        if not clashes:
            return table
        for subject_id in clashes:
            extra[subject_id] += 2


def _rewrite(node: TraceNode, swap: Mapping[str, str], table: Mapping[str, str]) -> TraceNode:
    reads = tuple(replace(r, value=_swap(r.value, swap)) if _mentions(r, swap) else r for r in node.reads)
    operands = tuple(_swap(v, swap) for v in node.operands)
    details = tuple(
        (key, _swap_names(value, table) if key == "names" and node.kind is NodeKind.QUOTA else _swap(value, swap))
        for key, value in node.details
    )
    children = tuple(_rewrite(c, swap, table) for c in node.children)
    return replace(node, reads=reads, operands=operands, details=details, children=children)


def _mentions(read: Read, swap: Mapping[str, str]) -> bool:
    return _swap(read.value, swap) != read.value


def _swap(value: object, swap: Mapping[str, str]) -> object:
    """``value`` with every string equal to a key of ``swap`` replaced, inside lists and mappings too."""
    match value:
        case str():
            return swap.get(value, value)
        case list():
            return [_swap(v, swap) for v in value]
        case tuple():
            return tuple(_swap(v, swap) for v in value)
        case Mapping():
            return {_swap(k, swap): _swap(v, swap) for k, v in value.items()}
        case _:
            return value


def _swap_names(value: object, table: Mapping[str, str]) -> object:
    """A quota's ``{id: name}`` with each other subject's entry replaced by its pseudonym, both id and name
    (two people of the same name still get their own pseudonyms)."""
    if not isinstance(value, Mapping):
        return value
    return {table.get(str(i), i): table.get(str(i), name) for i, name in value.items()}


def _swap_missing(entry: str, swap: Mapping[str, str]) -> str:
    match = _MISSING_ENTRY.match(entry)
    if match and match.group("id") in swap:
        return f"{match.group('relation')}[{swap[match.group('id')]}]"
    return entry


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
