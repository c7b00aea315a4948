"""The version chosen per kind: a folder of families (or one family folder), a period and subject kinds → for each
kind the newest file in force on the period's last day that declares it, and why.

Input: framework folders on disk. Output: a ``KindSelection`` (the files needed, compiled, and the reason of each
choice in Vietnamese and English); or, for a file named explicitly, whether it is in force for the period.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from xeploai.framework import loader
from xeploai.framework.files import MAX_FRAMEWORK_BYTES, load_framework
from xeploai.program.ir import Period, Program, Text


@dataclass(frozen=True)
class Version:
    """What a framework file declares, read without compiling it: its family, dates and subject kinds."""

    path: Path
    family: str
    effective_from: date
    effective_until: date | None
    kinds: frozenset[str]

    @property
    def name(self) -> str:
        return f"{self.family}/{self.path.stem}"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_until is None or self.effective_until >= day)


@dataclass(frozen=True)
class KindSelection:
    """The files a run needs: each compiled once, the file chosen for each kind and why, and the kinds no file in
    force declares."""

    programs: tuple[tuple[Path, Program], ...]
    chosen: Mapping[str, Path]  # kind → file
    reasons: Mapping[str, Text]  # kind → why that file
    undeclared: tuple[str, ...]


def family_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The framework files of a family folder, or of every family folder under a folder of families."""
    root = Path(folder)
    own = [f for f in sorted(root.glob("*.yaml")) if not f.name.endswith(".tests.yaml")]
    if own:
        return own
    return [f for sub in sorted(p for p in root.iterdir() if p.is_dir()) for f in family_files(sub)]


def read_version(path: Path) -> Version:
    """The family, dates and kinds a framework file declares (a file that does not say them fully is compiled,
    which reports its problems)."""
    data = loader.load_file(path, display=loader.display_path(path), limit=MAX_FRAMEWORK_BYTES).data
    info = data.get("framework") if isinstance(data, dict) else None
    subjects = data.get("subjects") if isinstance(data, dict) else None
    start = info.get("effective_from") if isinstance(info, dict) else None
    until = info.get("effective_until") if isinstance(info, dict) else None
    if (
        not isinstance(info, dict)
        or not isinstance(subjects, dict)
        or not isinstance(start, date)
        or info.get("extends") is not None
        or not (until is None or isinstance(until, date))
    ):
        program = load_framework(path)
        return Version(
            path,
            program.info.family,
            program.info.effective_from,
            program.info.effective_until,
            frozenset(program.subjects),
        )
    return Version(path, str(info.get("family", path.parent.name)), start, until, frozenset(map(str, subjects)))


def select_kinds(folder: str | os.PathLike[str], period: Period, kinds: Iterable[str] | None = None) -> KindSelection:
    """For each kind (every kind a file in force declares, when ``kinds`` is None), the newest file with
    ``effective_from`` on or before the period's last day (and not expired then) that declares it. Only the files
    chosen for some kind are compiled, and each program keeps only the kinds chosen for it (NĐ90's civil servants
    are NĐ335's in 2026, so one run never holds a kind twice)."""
    versions = [read_version(f) for f in family_files(folder)]
    day = period.end
    in_force = sorted((v for v in versions if v.in_force(day)), key=lambda v: (v.effective_from, v.name), reverse=True)
    wanted = sorted(set(kinds) if kinds is not None else {k for v in in_force for k in v.kinds})
    chosen: dict[str, Path] = {}
    reasons: dict[str, Text] = {}
    undeclared: list[str] = []
    for kind in wanted:
        version = next((v for v in in_force if kind in v.kinds), None)
        if version is None:
            undeclared.append(kind)
            continue
        chosen[kind] = version.path
        newer = [
            v.name
            for v in in_force
            if v.family == version.family and v.effective_from > version.effective_from and kind not in v.kinds
        ]
        reasons[kind] = _reason(kind, version, day, sorted(newer))
    paths = sorted(set(chosen.values()))
    programs = tuple((p, _only(load_framework(p), {k for k, f in chosen.items() if f == p})) for p in paths)
    return KindSelection(programs, chosen, reasons, tuple(undeclared))


def _only(program: Program, kinds: set[str]) -> Program:
    """The program declaring only the kinds chosen for it (a kind a newer file declares is that file's), its
    quotas counting only those kinds."""
    if kinds >= set(program.subjects):
        return program
    quotas = tuple(
        replace(q, kinds=tuple(k for k in q.kinds if k in kinds)) for q in program.quotas if set(q.kinds) & kinds
    )
    subjects = {k: s for k, s in program.subjects.items() if k in kinds}
    return replace(program, subjects=subjects, quotas=quotas)


def _reason(kind: str, version: Version, day: date, newer: Sequence[str]) -> Text:
    vi = f"phiên bản mới nhất khai báo loại {kind} có hiệu lực ngày {day.strftime('%d/%m/%Y')}: {version.name}" + (
        f"; {', '.join(newer)} không khai báo loại này" if newer else ""
    )
    en = f"newest version declaring kind {kind} in force on {day.isoformat()}: {version.name}" + (
        f"; {', '.join(newer)} {'does' if len(newer) == 1 else 'do'} not declare it" if newer else ""
    )
    return Text(vi, en)


def out_of_force(
    path: str | os.PathLike[str], program: Program, period: Period, kinds: Iterable[str] | None = None
) -> Text | None:
    """Why a file named explicitly is not the one in force for ``period``, or None when it is: it takes effect
    after the period's end, or expired before it, or a newer file of its family declaring every one of its kinds
    took effect on or before the period's start (of ``kinds``, the kinds used, when given)."""
    info = program.info
    if info.effective_from > period.end:
        return Text(
            f"{path} có hiệu lực từ {info.effective_from.strftime('%d/%m/%Y')}, sau ngày cuối của kỳ {period}",
            f"{path} takes effect on {info.effective_from.isoformat()}, after the end of the period {period}",
        )
    if info.effective_until is not None and info.effective_until < period.end:
        return Text(
            f"{path} hết hiệu lực ngày {info.effective_until.strftime('%d/%m/%Y')}, trước ngày cuối của kỳ {period}",
            f"{path} is no longer in force after {info.effective_until.isoformat()}, before the end of the period"
            f" {period}",
        )
    folder = Path(path).parent
    for other in family_files(folder):
        if other.resolve() == Path(path).resolve():
            continue
        try:
            version = read_version(other)
        except Exception:
            continue
        replaced = set(program.subjects if kinds is None else kinds) & set(program.subjects) & version.kinds
        if info.effective_from < version.effective_from <= period.start and replaced:
            return Text(
                f"{path} đã được thay thế bởi {version.name} (từ {version.effective_from.strftime('%d/%m/%Y')}) cho"
                f" {', '.join(sorted(replaced))} trước khi kỳ {period} bắt đầu",
                f"{path} is superseded by {version.name} (from {version.effective_from.isoformat()}) for"
                f" {', '.join(sorted(replaced))} before the period {period} starts",
            )
    return None
