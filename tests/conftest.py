"""Shared fixtures: paths to the bundled frameworks and small hand-made ones."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from paths import GOOD

_SESSION_CACHE: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """The cache of compiled frameworks (``framework.cache``) of the test run lives in a folder of its own,
    removed at the end, never in the user's cache; every test and every ``xeploai`` process it starts uses it."""
    if "XEPLOAI_CACHE_DIR" not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="xeploai-test-cache-"))
        _SESSION_CACHE.append(folder)
        os.environ["XEPLOAI_CACHE_DIR"] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def good_text() -> str:
    return GOOD.read_text(encoding="utf-8")


@pytest.fixture
def write_framework(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write framework text to a file named by its effective date, and return the path."""

    def write(text: str, name: str = "2019-10-18.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
