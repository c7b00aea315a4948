"""Shared fixtures: paths to the bundled frameworks and small hand-made ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from paths import GOOD


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
