"""Checker, leaf checks of what a citation shows a reader: the clause's quote and the source's address.

Input: the framework's plain data and the loader's positions. Output: warnings (``check --deep --strict`` fails on
them) for an entry marked ``secondary`` or ``confirmed`` whose citation lacks the quote or the address, and for a
quoted citation whose location is still "(vị trí chưa xác định)".
"""

from __future__ import annotations

from collections.abc import Iterator

from xeploai.framework.resolver import Path, SpanOf, dotted
from xeploai.program import ir
from xeploai.program.issues import Issue

# The words a citation uses while the clause's number is not known; a quoted clause should say where it stands.
UNKNOWN_LOCATION = "vị trí chưa xác định"

_QUOTED_MARKS = ("secondary", "confirmed")


def check_citations(data: object, span_of: SpanOf) -> Iterator[Issue]:
    """Every entry with a ``confidence`` mark, wherever it stands (rules, caps, notes, quotas, exceptions, rungs,
    gaps, ballots, quorums, reading options, period rules)."""
    yield from _walk(data, (), span_of)


def _walk(data: object, path: Path, span_of: SpanOf) -> Iterator[Issue]:
    if isinstance(data, dict):
        if isinstance(data.get("confidence"), str):
            yield from _check_entry(data, path, span_of)
        for key, value in data.items():
            if isinstance(key, str):
                yield from _walk(value, (*path, key), span_of)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, (*path, index), span_of)


def _check_entry(entry: dict[object, object], path: Path, span_of: SpanOf) -> Iterator[Issue]:
    cite = entry.get("cite")
    if not isinstance(cite, dict):
        return  # a missing citation is missing-citation's business
    quote, url, at = cite.get("quote"), cite.get("url"), cite.get("at")
    mark = entry["confidence"]
    name = str(path[-1]) if path else ""
    if mark in _QUOTED_MARKS and not (quote and url):
        lacking_vi = " và ".join(w for w, v in (("đoạn trích", quote), ("địa chỉ nguồn", url)) if not v)
        lacking_en = " and ".join(w for w, v in (("quote", quote), ("source address", url)) if not v)
        yield Issue.from_text(
            "unquoted-citation",
            ir.Text(
                f"'{name}' được đánh dấu '{mark}' nhưng trích dẫn thiếu {lacking_vi}",
                f"'{name}' is marked '{mark}' but its citation has no {lacking_en}",
            ),
            dotted((*path, "cite")),
            span_of((*path, "cite")),
            ir.Text(
                "thêm cite.quote (nguyên văn ngắn của điều khoản) và cite.url (địa chỉ công khai của nguồn đã đọc),"
                " hoặc hạ xuống confidence: assumed",
                "add cite.quote (the clause's text, short, as published) and cite.url (the public address it was"
                " read from), or lower it to confidence: assumed",
            ),
            "warning",
        )
    if quote and isinstance(at, str) and UNKNOWN_LOCATION in at:
        yield Issue.from_text(
            "citation-location-unknown",
            ir.Text(
                f"'{name}' có đoạn trích nguồn nhưng vị trí vẫn ghi '{UNKNOWN_LOCATION}'",
                f"'{name}' quotes its source but its location still says '{UNKNOWN_LOCATION}'",
            ),
            dotted((*path, "cite", "at")),
            span_of((*path, "cite", "at")),
            ir.Text(
                "ghi điều, khoản, điểm mà nguồn trích dẫn nêu",
                "give the article, clause or point that the quoted source names",
            ),
            "warning",
        )
