"""The cache of compiled frameworks (``framework.cache``): a program from the cache is the program the compiler
makes, a changed byte of the file or of a file it extends compiles it again, a changed, foreign or unsafe entry
is never unpickled blindly, and a cache that cannot be used is only slower, never an error."""

from __future__ import annotations

import io
import logging
import os
import pickle
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from paths import FIXTURES, HD21, ROOT
from xeploai.cli import app as cli
from xeploai.framework import cache, compiler, files
from xeploai.program.ir import Program
from xeploai.program.issues import FrameworkError

MEMBER = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
BUNDLED = sorted(f for f in (ROOT / "frameworks").rglob("*.yaml") if not f.name.endswith(".tests.yaml"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    return folder


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources the compiler compiles from now on (the cache does not call it)."""
    seen: list[str] = []
    real = compiler.compile_program

    def counted(*args: object, **kwargs: object) -> Program:
        program = real(*args, **kwargs)  # type: ignore[arg-type]
        seen.append(program.info.source)
        return program

    monkeypatch.setattr(compiler, "compile_program", counted)
    return seen


def fresh(path: Path, monkeypatch: pytest.MonkeyPatch) -> Program:
    with monkeypatch.context() as patch:
        patch.setenv(cache.NO_CACHE_ENV, "1")
        return files.load_framework(path)


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "programs").glob("*.pickle"))


@pytest.fixture
def extension(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the extension fixture: (the local framework, the central one it extends)."""
    root = tmp_path / "frameworks"
    shutil.copytree(FIXTURES / "extension", root)
    yield root / "party-local" / "2020-01-01.yaml", root / "party" / "2019-10-18.yaml"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_cached_program_equals_the_compiled_one_spans_and_hashes_included(
    path: Path, cache_dir: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = fresh(path, monkeypatch)
    stored = files.load_framework(path)
    assert len(compiles) == 2 and len(entries(cache_dir)) == 1
    cached = files.load_framework(path)
    assert len(compiles) == 2, "the second load must come from the cache"
    assert cached is not stored
    assert cached == compiled
    # repr shows the fields equality leaves out (spans, hashes, the chain): the whole program is the same
    assert repr(cached) == repr(compiled)
    assert cached.info.source_sha256 == compiled.info.source_sha256 and cached.info.chain == compiled.info.chain


def test_the_output_of_evaluate_is_byte_identical_with_the_cache_off_cold_and_warm(
    cache_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*extra: str) -> str:
        assert cli.main(["evaluate", str(HD21), str(MEMBER), *extra]) == 0
        return capsys.readouterr().out

    outputs = {}
    for fmt in ("text", "json"):
        with monkeypatch.context() as patch:
            patch.setenv(cache.NO_CACHE_ENV, "1")
            off = run("--format", fmt)
        cold = run("--format", fmt)
        warm = run("--format", fmt)
        outputs[fmt] = (off, cold, warm)
    assert entries(cache_dir)
    for off, cold, warm in outputs.values():
        assert off == cold == warm and "HTT" in off


def test_a_changed_byte_of_the_framework_compiles_it_again(
    extension: tuple[Path, Path], cache_dir: Path, compiles: list[str]
) -> None:
    local, _ = extension
    before = files.load_framework(local)
    files.load_framework(local)
    assert len(compiles) == 2  # the local framework and the central one, once
    local.write_bytes(local.read_bytes().replace(b"\n", b" \n", 1))  # one byte more, same meaning
    after = files.load_framework(local)
    assert len(compiles) == 4
    assert after == before and after.info.source_sha256 != before.info.source_sha256
    assert files.load_framework(local).info.source_sha256 == after.info.source_sha256 and len(compiles) == 4


def test_a_changed_byte_of_the_extended_framework_compiles_the_extension_again(
    extension: tuple[Path, Path], cache_dir: Path, compiles: list[str]
) -> None:
    local, central = extension
    before = files.load_framework(local)
    assert files.load_framework(local) == before and len(compiles) == 2
    central.write_bytes(central.read_bytes() + b"# a comment\n")
    after = files.load_framework(local)
    assert len(compiles) == 4, "the entry of the extension must not survive a change of the file it extends"
    assert after.info.chain[0][1] != before.info.chain[0][1]  # the central framework's hash
    assert after.info.chain[1] == before.info.chain[1]


def test_a_removed_extended_framework_is_an_error_not_a_cached_program(
    extension: tuple[Path, Path], cache_dir: Path
) -> None:
    local, central = extension
    files.load_framework(local)
    central.unlink()
    with pytest.raises(FrameworkError) as error:
        files.load_framework(local)
    assert [i.code for i in error.value.issues] == ["extends-path"]


def test_a_tampered_entry_is_ignored_with_a_note_and_rebuilt(
    cache_dir: Path, compiles: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    files.load_framework(HD21)
    (entry,) = entries(cache_dir)
    data = bytearray(entry.read_bytes())
    data[-5] ^= 0x01
    entry.write_bytes(bytes(data))
    with caplog.at_level(logging.DEBUG, logger="xeploai.cache"):
        program = files.load_framework(HD21)
    assert len(compiles) == 2
    assert "signature does not match" in caplog.text
    assert entry.read_bytes() != bytes(data), "the entry is written again"
    assert files.load_framework(HD21) == program and len(compiles) == 2


@pytest.mark.parametrize(
    "content", [b"", b"not a cache entry", cache._MAGIC + b"\0" * 40], ids=["empty", "garbage", "short"]
)
def test_a_broken_entry_is_ignored_and_rebuilt(cache_dir: Path, compiles: list[str], content: bytes) -> None:
    files.load_framework(HD21)
    (entry,) = entries(cache_dir)
    entry.write_bytes(content)
    assert files.load_framework(HD21) == files.load_framework(HD21)
    assert len(compiles) == 2 and entry.read_bytes().startswith(cache._MAGIC)


def test_an_entry_signed_with_another_key_is_never_unpickled(
    cache_dir: Path, compiles: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files.load_framework(HD21)
    (entry,) = entries(cache_dir)
    planted = tmp_path / "planted"
    # What a foreign entry could do if it were unpickled: here, create a file.
    payload = pickle.dumps(((), _Touch(planted)))
    key = entry.stem
    foreign = cache._Store(entry.parent, os.urandom(32), files._read)
    entry.write_bytes(cache._MAGIC + foreign._mac(key, payload) + payload)
    with caplog.at_level(logging.DEBUG, logger="xeploai.cache"):
        files.load_framework(HD21)
    assert not planted.exists() and len(compiles) == 2 and "signature does not match" in caplog.text


def test_a_signed_entry_builds_nothing_but_the_programs_classes(
    cache_dir: Path, compiles: list[str], tmp_path: Path
) -> None:
    files.load_framework(HD21)
    (entry,) = entries(cache_dir)
    store = cache._Store.open(cache_dir, files._read)
    assert store is not None
    planted = tmp_path / "planted"
    payload = pickle.dumps(((), _Touch(planted)))
    entry.write_bytes(cache._MAGIC + store._mac(entry.stem, payload) + payload)
    files.load_framework(HD21)
    assert not planted.exists() and len(compiles) == 2
    with pytest.raises(pickle.UnpicklingError):
        cache._Unpickler(io.BytesIO(pickle.dumps(os.getcwd))).load()


class _Touch:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return Path.touch, (self.path,)


def test_a_new_cache_is_the_users_alone(cache_dir: Path) -> None:
    files.load_framework(HD21)
    for folder in (cache_dir, cache_dir / "programs"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache_dir / "secret").stat().st_mode) == 0o600
    assert len((cache_dir / "secret").read_bytes()) == 32
    (entry,) = entries(cache_dir)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_a_cache_folder_others_can_write_is_not_used(
    cache_dir: Path, compiles: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    files.load_framework(HD21)
    os.chmod(cache_dir / "programs", 0o777)
    with caplog.at_level(logging.DEBUG, logger="xeploai.cache"):
        files.load_framework(HD21)
    assert len(compiles) == 2 and "writable by other users" in caplog.text


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_a_secret_others_can_read_is_not_used(cache_dir: Path, compiles: list[str]) -> None:
    files.load_framework(HD21)
    os.chmod(cache_dir / "secret", 0o644)
    files.load_framework(HD21)
    assert len(compiles) == 2


def test_an_unusable_cache_folder_only_makes_it_slower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker / "cache"))
    assert files.load_framework(HD21) == files.load_framework(HD21)
    assert len(compiles) == 2
    assert cli.main(["evaluate", str(HD21), str(MEMBER)]) == 0
    captured = capsys.readouterr()
    assert "HTT" in captured.out and captured.err == ""


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permission bits bind only other users")
def test_a_read_only_cache_folder_only_makes_it_slower(cache_dir: Path, compiles: list[str]) -> None:
    files.load_framework(HD21)
    (entry,) = entries(cache_dir)
    entry.unlink()
    os.chmod(cache_dir / "programs", 0o500)
    try:
        assert files.load_framework(HD21) == files.load_framework(HD21)
    finally:
        os.chmod(cache_dir / "programs", 0o700)
    assert len(compiles) == 3


def test_the_cache_can_be_turned_off(cache_dir: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    files.load_framework(HD21)
    files.load_framework(HD21)
    assert len(compiles) == 2 and not cache_dir.exists()


def test_a_framework_with_problems_is_checked_again_every_time(cache_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "2019-10-18.yaml"
    broken.write_text(HD21.read_text(encoding="utf-8").replace("levels:", "levelz:", 1), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(FrameworkError):
            files.load_framework(broken)
    assert not entries(cache_dir)


def test_another_version_of_the_compiler_does_not_read_the_entries(
    cache_dir: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files.load_framework(HD21)
    monkeypatch.setattr(cache, "_code_digest", "0" * 64)
    files.load_framework(HD21)
    assert len(compiles) == 2 and len(entries(cache_dir)) == 2


def test_the_working_folder_is_part_of_the_key_since_spans_name_files_relative_to_it(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    here = files.load_framework(HD21)
    monkeypatch.chdir(tmp_path)
    elsewhere = files.load_framework(HD21)
    assert here.info.source == "frameworks/party/2019-10-18.yaml"
    assert elsewhere.info.source == str(HD21) and repr(elsewhere) == repr(fresh(HD21, monkeypatch))


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "xeploai"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # the XDG rule: a relative value is ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "xeploai"
    for value, on in (("", True), ("0", True), ("1", False), ("yes", False)):
        monkeypatch.setenv(cache.NO_CACHE_ENV, value)
        assert cache.enabled() is on


def test_old_entries_are_pruned(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for digest in ("1", "2", "3"):
        monkeypatch.setattr(cache, "_code_digest", digest * 64)
        files.load_framework(HD21)
    assert len(entries(cache_dir)) == 2


def test_xeploai_debug_shows_why_an_entry_was_not_used(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["evaluate", str(HD21), str(MEMBER)]) == 0
    (entry,) = entries(cache_dir)
    entry.write_bytes(b"garbage")
    capsys.readouterr()
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    assert cli.main(["evaluate", str(HD21), str(MEMBER)]) == 0
    assert "not a cache entry" in capsys.readouterr().err
    monkeypatch.delenv(cli.DEBUG_ENV)
    entry.write_bytes(b"garbage")
    assert cli.main(["evaluate", str(HD21), str(MEMBER)]) == 0
    assert capsys.readouterr().err == ""


def test_a_file_outside_the_working_folder_is_named_as_given_each_time(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "frameworks" / "party"
    folder.mkdir(parents=True)
    shutil.copy(HD21, folder / HD21.name)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    relative = files.load_framework(Path("..") / "frameworks" / "party" / HD21.name)
    absolute = files.load_framework(folder / HD21.name)
    assert relative.info.source == str(Path("..") / "frameworks" / "party" / HD21.name)
    assert absolute.info.source == str(folder / HD21.name)
    assert repr(absolute) == repr(fresh(folder / HD21.name, monkeypatch))


def test_without_the_compilers_source_nothing_is_cached(
    cache_dir: Path, compiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_code_digest", "")  # as code_fingerprint() says for a bytecode-only install
    files.load_framework(HD21)
    files.load_framework(HD21)
    assert len(compiles) == 2 and not cache_dir.exists()
