"""Family names → framework folders → programs: the frameworks bundled in the package, and folders on disk.

In: a family name (``party``), a framework id (``party/2019-10-18``) or a path. Out: the path it names, or a
``Family`` (every version of one family, compiled once, oldest first) that chooses the version in force.
The bundled frameworks ship in the wheel as package data (``xeploai/_bundled``); a clone uses its own folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from xeploai.framework.files import BUNDLED as BUNDLED  # re-exported: callers find them here
from xeploai.framework.files import Selection, bundled_folder, load_framework, select_from
from xeploai.framework.files import frameworks_root as frameworks_root
from xeploai.program.ir import Period, Program


def schema_root() -> Path | None:
    """The folder of the bundled JSON Schemas (framework format, explanation JSON), or None when absent."""
    return bundled_folder("schema")


def example_district() -> Path | None:
    """The bundled example district (a folder of CSV files for ``party``, period 2020), or None when absent."""
    return bundled_folder("examples/district")


def bundled_families() -> dict[str, Path]:
    """The bundled families by name (``party``, ``civil-service``) → their folders, sorted by name."""
    root = frameworks_root()
    if root is None:
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and any(p.glob("*.yaml"))}


def resolve_framework(spec: str | os.PathLike[str]) -> Path:
    """The path a framework argument names: a path on disk wins; else a bundled family (``party``), framework
    (``party/2019-10-18``, with or without ``.yaml``) or a repository path (``frameworks/party/...``) is looked up
    among the bundled frameworks. Anything else comes back unchanged, for the loader to report.

    >>> resolve_framework("party").name
    'party'
    >>> resolve_framework("party/2019-10-18").name
    '2019-10-18.yaml'
    """
    path = Path(spec)
    if path.exists() or path.is_absolute():
        return path
    root = frameworks_root()
    if root is None:
        return path
    parts = PurePosixPath(Path(spec).as_posix()).parts
    if not parts or ".." in parts:
        return path
    if parts[0] == "frameworks":
        parts = parts[1:]
    for candidate in (root.joinpath(*parts), root.joinpath(*parts[:-1], f"{parts[-1]}.yaml") if parts else root):
        if parts and candidate.exists():
            return candidate
    return path


@dataclass(frozen=True)
class Family:
    """Every version of one family of frameworks, compiled once, oldest first."""

    name: str
    folder: Path
    versions: tuple[tuple[Path, Program], ...]

    @property
    def programs(self) -> tuple[Program, ...]:
        return tuple(program for _, program in self.versions)

    def select(self, period: Period) -> Selection:
        """The version in force for ``period`` and why (as ``select_framework``, without reloading a file)."""
        return select_from(self.folder, list(self.versions), period)

    def version(self, name: str) -> Program:
        """One version by its file name (``2019-10-18``) or its version label (``HD21``); ``KeyError`` if none."""
        for path, program in self.versions:
            if name in (path.stem, path.name, program.info.version):
                return program
        raise KeyError(name)


def family_folder(family: str | os.PathLike[str]) -> Path:
    """The folder of a family: a folder on disk when it exists, else the bundled family of that name."""
    return resolve_framework(family)


def load_family(family: str | os.PathLike[str]) -> Family:
    """Load every version of a family: a folder on disk (it wins when it exists) or a bundled family's name.

    Raises ``FileNotFoundError`` naming the known families when there is no such folder, and ``FrameworkError``
    (every problem of the first broken file) when a version does not load.

    >>> party = load_family("party")
    >>> [p.info.version for p in party.programs][:2]
    ['HD16', 'HD21']
    >>> from xeploai.evaluation.inputs import parse_period
    >>> party.select(parse_period(2020)).path.name
    '2019-10-18.yaml'
    """
    folder = family_folder(family)
    if not folder.is_dir():
        known = ", ".join(bundled_families()) or "none"
        raise FileNotFoundError(2, f"no framework family {str(family)!r} (bundled families: {known})", str(family))
    files = [f for f in sorted(folder.glob("*.yaml")) if not f.name.endswith(".tests.yaml")]
    versions = sorted(((f, load_framework(f)) for f in files), key=lambda item: item[1].info.effective_from)
    return Family(folder.name, folder, tuple(versions))
