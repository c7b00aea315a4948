"""Paths to the bundled frameworks and test fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
GOOD = FIXTURES / "good" / "2019-10-18.yaml"
BROKEN = FIXTURES / "broken" / "2020-01-01.yaml"
HD21 = ROOT / "frameworks" / "party" / "2019-10-18.yaml"
