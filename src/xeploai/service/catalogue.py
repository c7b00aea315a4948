"""The frameworks a service serves: the bundled ones and those of a folder, each compiled once and reused.

In: framework roots (folders of ``<family>/<effective-date>.yaml``) and ids (``party``, ``party/2019-10-18``).
Out: compiled ``Program``s, cached by the sha256 of their files (a changed file is compiled again, an unchanged
one never), the version in force for a period, and the catalogue as JSON. Safe to share between threads.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from xeploai import api
from xeploai.program.ir import Period, Program
from xeploai.program.issues import FrameworkError
from xeploai.service.errors import ServiceError, problem

RESCAN = 2.0  # seconds between two looks at the framework folders


@dataclass(frozen=True)
class Entry:
    """One framework file the service serves."""

    id: str  # family/effective-date, e.g. party/2019-10-18
    family: str
    path: Path
    origin: str  # "bundled" or "folder"


class Catalogue:
    """Every framework the service serves; a folder given on the command line wins over a bundled family."""

    def __init__(self, folder: str | Path | None = None, *, bundled: bool = True) -> None:
        self.roots: list[tuple[str, Path]] = []
        root = api.frameworks_root() if bundled else None
        if root is not None:
            self.roots.append(("bundled", root))
        if folder is not None:
            self.roots.append(("folder", Path(folder)))
        self._lock = threading.Lock()
        self._programs: dict[tuple[str, str], Program] = {}  # (path, sha256) → program
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._entries: dict[str, Entry] | None = None
        self._scanned = 0.0
        self.compiled = 0  # how many times a file was compiled (the cache's misses), for tests and the bench

    def entries(self) -> dict[str, Entry]:
        """Every framework file by id; the folders are looked at again after ``RESCAN`` seconds, so a new file
        appears without a restart."""
        now = time.monotonic()
        with self._lock:
            if self._entries is not None and now - self._scanned < RESCAN:
                return self._entries
        found = self._scan()
        with self._lock:
            self._entries, self._scanned = found, now
        return found

    def _scan(self) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for origin, root in self.roots:
            families = {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
            for family in sorted(families):
                for file in api.framework_files([root / family]):
                    if file.parent != root / family:
                        continue
                    found[f"{family}/{file.stem}"] = Entry(f"{family}/{file.stem}", family, file, origin)
            # a family of the folder replaces the bundled family of the same name, version by version
            for key in [k for k, e in found.items() if e.family in families and e.origin != origin]:
                del found[key]
        return dict(sorted(found.items()))

    def families(self) -> dict[str, list[Entry]]:
        out: dict[str, list[Entry]] = {}
        for entry in self.entries().values():
            out.setdefault(entry.family, []).append(entry)
        return out

    def load(self, path: Path) -> Program:
        """The program of a file, compiled once per content (a file extending another is keyed by both)."""
        key = (str(path.resolve()), self.sha256(path))
        with self._lock:
            cached = self._programs.get(key)
        if cached is not None and all(self._same(f, sha) for f, sha in cached.info.chain[:-1]):
            return cached
        program = api.load_framework(path)  # outside the lock: compiling one file never blocks the others
        with self._lock:
            self.compiled += 1
            self._programs[key] = program
        return program

    def sha256(self, path: Path) -> str:
        """The file's sha256, hashed again only when its size or modification time changed."""
        stat = path.stat()
        mark = (str(path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            known = self._hashes.get(mark)
        if known is None:
            known = hashlib.sha256(path.read_bytes()).hexdigest()
            with self._lock:
                self._hashes[mark] = known
        return known

    def _same(self, file: str, sha256: str) -> bool:
        try:
            return self.sha256(Path(file)) == sha256
        except OSError:
            return False

    def program(self, framework_id: str) -> tuple[Program, Entry]:
        """The program of ``family/version`` (a file id); ``ServiceError`` 404 when the service has no such file."""
        entry = self.entries().get(framework_id.removesuffix(".yaml"))
        if entry is None:
            raise self._unknown(framework_id)
        return self._compiled(entry), entry

    def select(self, family: str, period: Period) -> tuple[api.Selection, Entry]:
        """The version of ``family`` in force for ``period``, and why."""
        entries = self.families().get(family)
        if not entries:
            raise self._unknown(family)
        versions = [(e.path, self._compiled(e)) for e in entries]
        try:
            selection = api.select_from(entries[0].path.parent, versions, period)
        except api.NoFrameworkError as error:
            raise problem(
                404,
                "unknown-framework",
                f"không có phiên bản nào của {family} có hiệu lực cho kỳ {period}",
                str(error),
                "period",
            ) from None
        entry = next(e for e in entries if e.path == selection.path)
        return selection, entry

    def resolve(self, framework: str, period: Period | None) -> tuple[Program, Entry, api.Selection | None]:
        """A file id, or a family name with the period choosing the version in force."""
        if "/" in framework:
            program, entry = self.program(framework)
            return program, entry, None
        if period is None:
            raise problem(
                422,
                "missing-key",
                "cần kỳ đánh giá để chọn phiên bản",
                "a period is needed to choose a version",
                "period",
            )
        selection, entry = self.select(framework, period)
        return selection.program, entry, selection

    def to_json(self) -> dict[str, object]:
        """The catalogue: each family with its versions (id, version, title, dates, file hash, origin)."""
        families = []
        for family, entries in self.families().items():
            versions = []
            for entry in entries:
                info = self._compiled(entry).info
                versions.append(
                    {
                        "id": entry.id,
                        "version": info.version,
                        "title": {"vi": info.title.vi, "en": info.title.en},
                        "effective_from": info.effective_from.isoformat(),
                        "effective_until": info.effective_until.isoformat() if info.effective_until else None,
                        "sha256": info.source_sha256,
                        "origin": entry.origin,
                        "subject_kinds": list(self._compiled(entry).subjects),
                    }
                )
            families.append({"family": family, "versions": versions})
        return {"families": families}

    def _compiled(self, entry: Entry) -> Program:
        try:
            return self.load(entry.path)
        except FrameworkError as error:
            # a broken framework on the server is the server's problem, told as such, with every issue
            raise ServiceError(500, error.source, error.issues) from None

    def _unknown(self, name: str) -> ServiceError:
        known = ", ".join(self.entries()) or "-"
        return problem(
            404,
            "unknown-framework",
            f"dịch vụ không có khung tiêu chí {name!r}; có: {known}",
            f"the service has no framework {name!r}; it has: {known}",
            "framework",
        )
