"""The cache of compiled frameworks: a framework file's bytes (and those of the files it extends) → the program
compiled from them before, so that a command does not parse, check and compile the same YAML on every call.

In: the bytes of a framework file just read, its path, and a function that compiles them. Out: the ``Program``,
from the cache when an entry for exactly these bytes is there and intact, else compiled (and stored).

The key of an entry is re-derived on every call from the bytes read then: the SHA-256 of the file, its resolved
path, the working folder and the name spans give the file (relative to that folder, else as given), xeploai's
version, the Python version, and the SHA-256 of the source of the code that makes a program
(``xeploai/framework/*.py`` and ``xeploai/program/*.py``, which hold the format version). An entry lists every
file of the ``extends`` chain with the SHA-256 of the bytes it was compiled from; each is read and hashed again
before the entry is used.

Entries are pickles, and unpickling runs code, so an entry is only unpickled once proved written by this user's
xeploai: it carries an HMAC-SHA256 (over its key and its contents) made with a random secret kept beside it,
readable by its owner only; the folder must be the user's own and writable by nobody else, entries are written to
a temporary file and renamed (never half-written), and the unpickler only builds the IR's classes, dates,
fractions and decimals. Anything else — a changed or foreign entry, a broken folder, a cache that cannot be
written — is passed over with a debug note (logger ``xeploai.cache``; ``XEPLOAI_DEBUG=1`` shows it) and the
framework compiled as if there were no cache. ``XEPLOAI_CACHE_DIR`` moves the cache; ``XEPLOAI_NO_CACHE=1`` turns
it off.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xeploai import __version__
from xeploai.program.ir import Program
from xeploai.program.issues import FrameworkError

CACHE_DIR_ENV = "XEPLOAI_CACHE_DIR"
NO_CACHE_ENV = "XEPLOAI_NO_CACHE"
_MAGIC = b"xeploai-program-cache/1\n"
_SECRET_NAME = "secret"
_SECRET_BYTES = 32
_ENTRIES = "programs"
# Entries are a few hundred KB each; editing a framework leaves the old entries behind, so at most this many stay.
MAX_ENTRIES = 64


@dataclass(frozen=True)
class Compiled:
    """A program just compiled, and every file it was compiled from: (resolved path, SHA-256 of the bytes read)."""

    program: Program
    files: tuple[tuple[Path, str], ...]


def enabled() -> bool:
    """Whether the cache is on (``XEPLOAI_NO_CACHE`` unset, empty or ``0``)."""
    return os.environ.get(NO_CACHE_ENV, "") in ("", "0")


def cache_dir() -> Path:
    """Where compiled frameworks are kept: ``$XEPLOAI_CACHE_DIR``, else ``$XDG_CACHE_HOME/xeploai``, else
    ``~/.cache/xeploai`` (``%LOCALAPPDATA%\\xeploai\\cache`` on Windows)."""
    chosen = os.environ.get(CACHE_DIR_ENV, "")
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "xeploai"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "xeploai" / "cache"
    return Path.home() / ".cache" / "xeploai"


def load(path: Path, content: bytes, compile_program: Callable[[], Compiled], read: Callable[[Path], bytes]) -> Program:
    """The program of the framework file ``path`` whose bytes are ``content``: from the cache when an intact entry
    for exactly these bytes (and the bytes of every file it extends, as ``read`` reads them now) is there, else
    ``compile_program()``, stored.

    Errors are never cached: ``compile_program`` raises them again on every call."""
    if not enabled() or not code_fingerprint():
        return compile_program().program
    store = _Store.open(cache_dir(), read)
    if store is None:
        return compile_program().program
    key = _key(path, content)
    program = store.get(key)
    if program is not None:
        return program
    compiled = compile_program()
    store.put(key, compiled)
    return compiled.program


def _note(text: str) -> None:
    import logging

    logging.getLogger("xeploai.cache").debug("xeploai cache: %s", text)


_code_digest: str | None = None


def code_fingerprint() -> str:
    """The SHA-256 of the source of the code that makes a program: the ``framework`` and ``program`` packages (the
    format version is in ``framework/schema.py``), so that a changed compiler never reads an older one's entries.
    An empty string when the source cannot be read (then nothing is cached)."""
    global _code_digest  # computed once a process: the code does not change under a running program
    if _code_digest is None:
        digest = hashlib.sha256()
        try:
            modules = [
                module
                for package in (Path(__file__).parent, Path(__file__).parent.parent / "program")
                for module in sorted(package.glob("*.py"))
            ]
            for module in modules:
                digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
            # Installed without its source (bytecode only), a changed compiler could not be told apart: no cache.
            _code_digest = digest.hexdigest() if len(modules) > 1 else ""
        except OSError:
            _code_digest = ""
    return _code_digest


def _key(path: Path, content: bytes) -> str:
    from xeploai.framework.loader import display_path

    parts = (
        __version__,
        sys.version,
        code_fingerprint(),
        str(path.resolve()),
        os.getcwd(),
        display_path(path),  # how spans name the file: relative to the working folder, else as given
        hashlib.sha256(content).hexdigest(),
    )
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# Only these are built when an entry is read: the IR's own classes and the standard values its fields hold.
_ALLOWED = {
    ("datetime", "date"),
    ("fractions", "Fraction"),
    ("decimal", "Decimal"),
}


_IR_MODULE = "xeploai.program.ir"
_init_fields: dict[type, tuple[str, ...]] = {}


class _Pickler(pickle.Pickler):
    """Each of the IR's dataclasses is stored as its class and its fields' values, in order, so that reading an
    entry calls the class as the compiler did (the IR's dataclasses take every field in ``__init__`` and have no
    ``__post_init__``) instead of the dataclasses' ``__setstate__``, which is several times slower."""

    def reducer_override(self, obj: object) -> Any:  # a reduce tuple, or NotImplemented: pickle as usual
        kind = type(obj)
        if kind.__module__ != _IR_MODULE or not dataclasses.is_dataclass(kind):
            return NotImplemented
        names = _init_fields.get(kind)
        if names is None:
            fields = dataclasses.fields(kind)
            if any(not f.init for f in fields) or hasattr(kind, "__post_init__"):
                return NotImplemented
            names = _init_fields[kind] = tuple(f.name for f in fields)
        return kind, tuple(getattr(obj, name) for name in names)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if module == _IR_MODULE:
            from xeploai.program import ir

            found = getattr(ir, name, None)
            if isinstance(found, type) and found.__module__ == module:
                return found
        elif (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")


@dataclass(frozen=True)
class _Store:
    folder: Path
    secret: bytes
    read: Callable[[Path], bytes]

    @classmethod
    def open(cls, folder: Path, read: Callable[[Path], bytes]) -> _Store | None:
        """The cache at ``folder``, made when missing; None (with a note) when it is not safe or cannot be made."""
        entries = folder / _ENTRIES
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            entries.mkdir(mode=0o700, exist_ok=True)
            for place in (folder, entries):
                problem = _unsafe_folder(place)
                if problem is not None:
                    _note(f"not used: {place} {problem}")
                    return None
            secret = _secret(folder / _SECRET_NAME)
        except OSError as error:
            _note(f"not used: {folder}: {error.strerror or error}")
            return None
        if secret is None:
            return None
        return cls(entries, secret, read)

    def get(self, key: str) -> Program | None:
        path = self.folder / f"{key}.pickle"
        try:
            data = _read_entry(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            _note(f"cannot read {path}: {error.strerror or error}")
            return None
        if data is None:
            _note(f"ignored {path}: not a regular file, or too large")
            return None
        mac_end = len(_MAGIC) + hashlib.sha256().digest_size
        if not data.startswith(_MAGIC) or len(data) <= mac_end:
            _note(f"ignored {path}: not a cache entry")
            return None
        mac, payload = data[len(_MAGIC) : mac_end], data[mac_end:]
        if not hmac.compare_digest(mac, self._mac(key, payload)):
            _note(f"ignored {path}: its signature does not match (changed, or written by someone else)")
            return None
        try:
            files, program = _Unpickler(io.BytesIO(payload)).load()
        except Exception as error:  # an entry signed but unreadable (another layout): compiled again
            _note(f"ignored {path}: {type(error).__name__}: {error}")
            return None
        if not isinstance(program, Program) or not self._same_files(files):
            _note(f"stale {path}: a file it was compiled from has changed")
            return None
        return program

    def put(self, key: str, compiled: Compiled) -> None:
        files = tuple((str(p), digest) for p, digest in compiled.files)
        try:
            buffer = io.BytesIO()
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((files, compiled.program))
            payload = buffer.getvalue()
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
            _note(f"not stored: {type(error).__name__}: {error}")
            return
        import tempfile  # only when storing: a command that finds its program never needs it

        temporary = ""
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(descriptor, "wb") as out:
                out.write(_MAGIC + self._mac(key, payload) + payload)
            os.replace(temporary, self.folder / f"{key}.pickle")
            temporary = ""
            self._prune()
        except OSError as error:
            _note(f"not stored in {self.folder}: {error.strerror or error}")
        finally:
            if temporary:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def _same_files(self, files: object) -> bool:
        """Whether every file an entry was compiled from still has the bytes it had (read and hashed again now)."""
        if not isinstance(files, tuple) or not files:
            return False
        for item in files:
            if not (isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                return False
            try:
                digest = hashlib.sha256(self.read(Path(item[0]))).hexdigest()
            except (OSError, FrameworkError):
                return False
            if digest != item[1]:
                return False
        return True

    def _mac(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self.secret, _MAGIC + key.encode() + b"\0" + payload, hashlib.sha256).digest()

    def _prune(self) -> None:
        """The oldest entries removed beyond ``MAX_ENTRIES``."""
        entries = sorted(self.folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            with contextlib.suppress(OSError):
                old.unlink()


# Far above any entry (the largest bundled framework's is about 150 KB).
_MAX_ENTRY_BYTES = 64 * 1024 * 1024


def _read_entry(path: Path) -> bytes | None:
    """The bytes of an entry, or None when it is no regular file (a link, a FIFO) or is too large to be one."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return None
        data = file.read(_MAX_ENTRY_BYTES + 1)
    return data if len(data) <= _MAX_ENTRY_BYTES else None


def _unsafe_folder(folder: Path) -> str | None:
    """Why ``folder`` must not hold entries (a link, another user's, writable by others), or None."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder (a link, or a file)"
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return "belongs to another user"
    if sys.platform != "win32" and info.st_mode & 0o022:
        return "is writable by other users"
    return None


def _secret(path: Path) -> bytes | None:
    """The random key entries are signed with, made (readable by its owner only) when missing."""
    if not os.path.lexists(path):
        import secrets
        import tempfile

        # Written whole under a temporary name, then linked into place: a reader never sees half a key, and of two
        # processes making one at once the first link wins and both read it.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(secrets.token_bytes(_SECRET_BYTES))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        getuid = getattr(os, "getuid", None)
        if not stat.S_ISREG(info.st_mode) or (getuid is not None and info.st_uid != getuid()):
            _note(f"not used: {path} is not this user's file")
            return None
        if sys.platform != "win32" and info.st_mode & 0o077:
            _note(f"not used: {path} is readable or writable by other users")
            return None
        secret = file.read(_SECRET_BYTES + 1)
    if len(secret) != _SECRET_BYTES:
        _note(f"not used: {path} is not a key of {_SECRET_BYTES} bytes")
        return None
    return secret
