"""Output files and folders: a file is under its name only once complete, one run writes into a folder at a time, and
a manifest written last tells a finished run from a broken one.

In: the path of a file to write, or a folder and the files a run writes into it. Out: each file written to a
temporary name beside its own and renamed over it once complete (never through a symbolic link planted at its
name); for a folder, a lock on it that keeps a second run out and ``manifest.json`` — every file's name, rows, bytes and
sha256 and the command — written last, after the previous run's manifest was removed before its first file was
replaced. A write error (a full disk) is an ``OutputError`` naming the file, and nothing partly written is left.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from xeploai import __version__
from xeploai.program.ir import Text

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_SCHEMA",
    "OutputBusyError",
    "OutputError",
    "OutputFolder",
    "atomic_file",
    "check_folder",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "xeploai.batch-manifest/1"
_TEMP_PREFIX = ".xeploai-tmp-"  # the scratch folder of a file being written; a killed run's is removed by the next
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OutputError(Exception):
    """A file that cannot be written: ``path`` and ``reason`` (both languages). Nothing partly written is left under
    the file's name."""

    def __init__(self, path: str | os.PathLike[str], reason: Text) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot write {self.path}: {reason.en}")


class OutputBusyError(OutputError):
    """Another run holds the output folder's lock."""


def _os_reason(error: OSError) -> Text:
    reason = error.strerror or str(error)
    return Text(reason, reason)


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise OutputError(
            path,
            Text(
                "đó là một liên kết (symlink); xeploai không ghi qua liên kết — hãy xóa nó hoặc chọn nơi ghi khác",
                "it is a symbolic link; xeploai does not write through links — remove it or write elsewhere",
            ),
        )


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, before_replace: Callable[[], None] | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (the same name, in a new hidden folder beside it: writers that read the
    name, such as a workbook's sheet title, see the final one) to write; once the block ends without
    an error, the file is synced and renamed to ``path``, replacing what was there (a rename within a folder is
    atomic: a reader sees the old file or the whole new one). On any error or interruption the temporary file is
    removed; an ``OSError`` becomes an ``OutputError`` naming ``path``. A symbolic link at ``path`` is refused
    rather than written through or replaced.
    """
    final = Path(path)
    _refuse_link(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch = final.parent / f"{_TEMP_PREFIX}{secrets.token_hex(6)}"
        os.mkdir(scratch, 0o700)  # new, so ours: nothing can be planted in it
    except OSError as error:
        raise OutputError(final, _os_reason(error)) from None
    temp = scratch / final.name
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644))
    except OSError as error:
        _remove(scratch)
        raise OutputError(final, _os_reason(error)) from None
    try:
        yield temp
        _sync(temp)
        if before_replace is not None:
            before_replace()
        os.replace(temp, final)  # within one file system (the scratch folder is beside the file): atomic
        _sync_folder(final.parent)
    except OSError as error:
        _remove(scratch)
        raise OutputError(final, _os_reason(error)) from None
    except BaseException:  # an interruption (Ctrl+C) or any other error: no partial file stays
        _remove(scratch)
        raise
    _remove(scratch)


def _remove(path: Path) -> None:
    """Remove a file, or a scratch folder and what is in it (not following links)."""
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened for syncing everywhere (Windows), which is then skipped."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class OutputFolder:
    """A folder one run writes its files into, used as a context manager::

        with OutputFolder(out, command) as folder:
            with folder.file("ket-qua.csv") as temp:
                rows = write_table(..., temp)
            folder.record("ket-qua.csv", rows)
            ...
            folder.finish()  # manifest.json, last

    Entering takes the folder's lock (``OutputBusyError`` when another run holds it) and removes temporary files a
    killed run left. The previous run's manifest is removed just before the first file of this run replaces one of
    it: until then the previous run stands whole; from then on, until ``finish``, the folder has no manifest, so a
    reader knows it holds no finished run.
    """

    def __init__(self, folder: str | os.PathLike[str], command: Sequence[str]) -> None:
        self.folder = Path(folder)
        self.command = list(command)
        self.files: dict[str, int | None] = {}  # name (relative, with /) → data rows, in the order written
        self._lock: int | None = None
        self._manifest_removed = False

    def __enter__(self) -> OutputFolder:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # The folder itself is locked (no lock file is left among the outputs); the lock ends with the process.
            self._lock = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as error:
            raise OutputError(self.folder, _os_reason(error)) from None
        try:
            import fcntl
        except ImportError:  # not POSIX: one run at a time into a folder is the user's duty
            fcntl = None  # type: ignore[assignment]
        if fcntl is not None:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(self._lock)
                self._lock = None
                raise OutputBusyError(
                    self.folder,
                    Text(
                        "một lần chạy xeploai khác đang ghi vào thư mục này; hãy chờ nó xong hoặc chọn --out khác",
                        "another xeploai run is writing into this folder; wait for it to finish or choose another"
                        " --out",
                    ),
                ) from None
        for stale in [*self.folder.glob(f"{_TEMP_PREFIX}*"), *self.folder.glob(f"*/{_TEMP_PREFIX}*")]:
            _remove(stale)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the file releases the lock
            self._lock = None

    def _drop_manifest(self) -> None:
        if not self._manifest_removed:
            manifest = self.folder / MANIFEST_NAME
            try:
                if manifest.is_symlink() or manifest.exists():
                    manifest.unlink()
                    _sync_folder(self.folder)
            except OSError as error:
                raise OutputError(manifest, _os_reason(error)) from None
            self._manifest_removed = True

    def path(self, name: str) -> Path:
        """The final path of the file ``name`` (relative to the folder, ``/`` between parts)."""
        return self.folder.joinpath(*name.split("/"))

    @contextlib.contextmanager
    def file(self, name: str) -> Iterator[Path]:
        """Yield the temporary path to write the file ``name`` to; it gets its name when the block ends well."""
        with atomic_file(self.path(name), before_replace=self._drop_manifest) as temp:
            yield temp
        self.files.setdefault(name, None)

    def record(self, name: str, rows: int | None) -> None:
        """Count ``rows`` data rows (lines, for a text file of records) in the file ``name`` (for the manifest)."""
        self.files[name] = rows

    def finish(self, details: Mapping[str, object] | None = None) -> Path:
        """Write ``manifest.json`` last: every file's name, rows, bytes and sha256, the command, ``details`` and
        ``"complete": true``."""
        entries = []
        for name, rows in self.files.items():
            path = self.path(name)
            try:
                digest, size = _digest(path)
            except OSError as error:
                raise OutputError(path, _os_reason(error)) from None
            entries.append({"name": name, "rows": rows, "bytes": size, "sha256": digest})
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "engine": {"name": "xeploai", "version": __version__},
            "command": self.command,
            **dict(details or {}),
            "files": entries,
            "complete": True,
        }
        with self.file(MANIFEST_NAME) as temp:
            temp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.files.pop(MANIFEST_NAME, None)
        return self.path(MANIFEST_NAME)


def _digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def check_folder(folder: str | os.PathLike[str]) -> list[str]:
    """What keeps ``folder`` from holding a finished run, in English (empty when it holds one): no manifest, a
    manifest not marked complete, or a file it lists that is missing or whose size or sha256 differs.

    This is how a reader (a script, another office) tells a finished run from a broken one.
    """
    root = Path(folder)
    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"no {MANIFEST_NAME}: the run did not finish, or is still running"]
    except (OSError, ValueError) as error:
        return [f"{MANIFEST_NAME} cannot be read: {error}"]
    if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        return [f"{MANIFEST_NAME} is not a {MANIFEST_SCHEMA} manifest"]
    problems = [] if manifest.get("complete") is True else [f"{MANIFEST_NAME} does not say complete: true"]
    files = manifest.get("files")
    for item in files if isinstance(files, list) else []:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name.startswith("/") or ".." in name.split("/"):
            problems.append(f"{MANIFEST_NAME} lists a file it should not: {name!r}")
            continue
        try:
            digest, size = _digest(root.joinpath(*name.split("/")))
        except OSError as error:
            problems.append(f"{name}: {error.strerror or error}")
            continue
        if (digest, size) != (item.get("sha256"), item.get("bytes")):
            problems.append(f"{name} is not the file the run wrote (its size or sha256 differs)")
    return problems
