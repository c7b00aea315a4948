"""The examples in examples/ run as documented."""

from __future__ import annotations

import subprocess
import sys

from paths import ROOT


def test_api_example_prints_the_level_and_the_reasons() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "evaluate_member.py")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
    first, second = done.stdout.splitlines()[:2]
    assert first == "classified HTT"
    assert second == "why not higher: truly_exemplary, civil_service_excellent"
    assert "Why not Completed tasks excellently (HTXS):" in done.stdout
