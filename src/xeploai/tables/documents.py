"""Tables, reading: population documents. Input: a YAML or JSON file with the lists units, subjects (evidence as a
mapping) and decisions, and a compiled program. Output: a ``PopulationInput``, every problem a ``Rejection`` at the
line of its entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from xeploai.evaluation.population import PopulationInput, Rejection
from xeploai.framework import loader
from xeploai.program import ir
from xeploai.program.issues import FrameworkError, Issue, suggest
from xeploai.tables.entries import Entry, Reader, SubjectEntry, Where
from xeploai.tables.files import TableError
from xeploai.tables.headers import (
    DECISION_COLUMNS,
    PERSON_COLUMNS,
    SUBJECT_COLUMNS,
    UNIT_COLUMNS,
    table_note,
    with_hint,
)

__all__ = [
    "read_document",
]

_DOCUMENT_KEYS: Final = ("period", "units", "subjects", "decisions", "persons")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _document_entries(document: loader.Document, key: str, keys: Sequence[str]) -> list[Entry] | None:
    """The entries of one list of the document (None when the key is absent); a row is the entry's line."""
    data = document.data
    assert isinstance(data, dict)
    if key not in data:
        return None
    items = data[key]
    if not isinstance(items, list):
        span = document.span((key,))
        raise TableError(document.source, f"{key} must be a list of entries (line {span.line if span else '?'})")
    entries: list[Entry] = []
    for position, item in enumerate(items):
        span = document.span((key, position))
        entry = Entry(document.source, span.line if span else None, {}, {k: k for k in keys})
        entries.append(entry)
        if not isinstance(item, dict):
            reason = ir.Text(
                f"mỗi mục của {key} là một ánh xạ với các khóa {', '.join(keys)}",
                f"an entry of {key} is a mapping with the keys {', '.join(keys)}",
            )
            entry.problems.append(Rejection.from_text(document.source, entry.row, f"{key}[{position}]", item, reason))
            entry.malformed = True
            continue
        for name, value in item.items():
            if name not in keys:
                reason = ir.Text(
                    f"khóa {name!r} không xác định; một mục của {key} có {', '.join(keys)}",
                    f"unknown key {name!r}; an entry of {key} has {', '.join(keys)}",
                )
                hinted = with_hint(reason, suggest(str(name), keys))
                entry.problems.append(Rejection.from_text(document.source, entry.row, str(name), value, hinted))
                continue
            where = (key, position, name)
            if name == "approved" and isinstance(value, list):
                value = [document.text((*where, i), v) if _scalar(v) else v for i, v in enumerate(value)]
            elif name not in ("approved", "evidence") and _scalar(value):
                value = document.text(where, value)  # ids and names are text: 0012 is not 12, No is not false
            entry.values[name] = value
            if name not in ("approved", "evidence") and isinstance(value, bool | dict | list):
                entry.reject(name, ir.Text(f"{name} phải là văn bản", f"{name} must be text"))
    return entries


def _scalar(value: object) -> bool:
    return value is not None and not isinstance(value, dict | list)


def read_document(path: Path, program: ir.Program) -> PopulationInput:
    """Read a population document. Evidence values follow the YAML 1.2 core rules (``012`` is twelve, ``yes`` is
    text, decimals are exact), as a table's cells are read; ids, names and the other columns are the text as
    written."""
    display = os.fspath(path)
    try:
        document = loader.load_file(path, display=display, core=True)
    except FrameworkError as error:
        raise TableError(display, f"cannot be read ({len(error.issues)} problems)", error.issues) from error
    data = document.data
    if not isinstance(data, dict):
        raise TableError(display, "a population document is a mapping with units, subjects, decisions and period")
    reader = Reader(program)
    for key in data:
        if key not in _DOCUMENT_KEYS:
            span = document.key_spans.get((key,))
            line = span.line if span else "?"
            reason = ir.Text(
                f"khóa không xác định (dòng {line}), bỏ qua; cần {', '.join(_DOCUMENT_KEYS)}",
                f"unknown key (line {line}), ignored; expected {', '.join(_DOCUMENT_KEYS)}",
            )
            reader.out.append(table_note(display, str(key), with_hint(reason, suggest(str(key), _DOCUMENT_KEYS))))
    unit_entries = _document_entries(document, "units", tuple(UNIT_COLUMNS))
    subject_entries = _document_entries(document, "subjects", (*SUBJECT_COLUMNS, "evidence"))
    if unit_entries is None or subject_entries is None:
        raise TableError(display, "a population document needs both units and subjects")
    for what, found in (("units", unit_entries), ("subjects", subject_entries)):
        if not found:
            reader.out.append(
                table_note(
                    display, what, ir.Text(f"tài liệu không liệt kê {what} nào", f"the document lists no {what}")
                )
            )
    kept_units = reader.check_units(unit_entries)

    entries: list[SubjectEntry] = []
    for item in subject_entries:
        entry = SubjectEntry(item.source, item.row, item.values, item.columns, item.problems, item.malformed)
        evidence = item.values.get("evidence", {})
        if isinstance(evidence, dict):
            entry.evidence = evidence
            entry.read_from = {str(k): f"evidence.{k}" for k in evidence}
        else:
            reason = ir.Text(
                "minh chứng phải là một ánh xạ trường: giá trị (bỏ trường đi nếu chưa biết)",
                "evidence must be a mapping of field: value (omit a field to leave it unknown)",
            )
            entry.reject("evidence", reason)
        entry.locate = _document_locator(entry)
        entries.append(entry)
    kinds = reader.check_identity(entries, kept_units, unit_entries)
    rows = [row for entry, kind in zip(entries, kinds, strict=True) if (row := reader.finish(entry, kind)) is not None]

    subject_ids = {i for e in entries if (i := e.text("id")) is not None}
    decision_entries = _document_entries(document, "decisions", tuple(DECISION_COLUMNS)) or []
    decided = reader.decisions(decision_entries, subject_ids)
    kept = reader.units(kept_units, unit_entries, subject_ids)
    person_entries = _document_entries(document, "persons", tuple(PERSON_COLUMNS))
    listed = reader.persons(person_entries or [])
    named = person_entries is not None or any(row.person for row in rows)
    return PopulationInput(
        kept, tuple(rows), decided, tuple(reader.out), len(subject_entries), persons=listed, has_persons=named
    )


def _document_locator(entry: SubjectEntry) -> Callable[[Issue], Where]:
    def locate(issue: Issue) -> Where:
        column = f"evidence.{issue.path}" if issue.path else "evidence"
        return entry.source, entry.row, column, _lookup(entry.evidence, issue.path)

    return locate


def _lookup(raw: Mapping[str, object], path: str) -> object:
    """The value at an issue's rendered path (``discipline[0].form``), or None when it cannot be followed."""
    node: object = raw
    for key, position in _PATH_PART.findall(path):
        if position and isinstance(node, list) and int(position) < len(node):
            node = node[int(position)]
        elif key and isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            return None
    return node
