"""Finding the browser the render checks use: an installed Chromium or Chrome under any of its usual names, or the
one the ``CHROMIUM`` environment variable names, before ``scripts/render-check`` thinks of installing one."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from paths import ROOT

RENDER_CHECK = ROOT / "scripts" / "render-check"
BASH = shutil.which("bash") or "/bin/bash"


def fake_browser(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\necho 'Fake Browser 1.0'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def tools(folder: Path) -> Path:
    """A PATH folder with only what the script needs besides a browser: no apt-get, no sudo, no system Chromium."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in ("dirname", "id", "bash"):
        found = shutil.which(tool)
        assert found is not None
        (folder / tool).symlink_to(found)
    (folder / "python").symlink_to(Path(sys.executable).resolve())  # the finder needs the standard library only
    return folder


def which(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``render-check --which`` in its own process group, killed whole if it outlives the timeout: a script that
    ignored ``--which`` would run the browser tests, which run this test again."""
    process = subprocess.Popen(
        [BASH, str(RENDER_CHECK), "--which"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("name", ["chromium-browser", "google-chrome", "google-chrome-stable", "chrome"])
def test_render_check_finds_chrome_under_its_usual_names_without_installing(tmp_path: Path, name: str) -> None:
    browser = fake_browser(tmp_path / "browsers", name)
    path = f"{tmp_path / 'browsers'}{os.pathsep}{tools(tmp_path / 'bin')}"
    done = which(tmp_path, {"PATH": path, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(browser)


def test_render_check_takes_the_browser_the_environment_names(tmp_path: Path) -> None:
    browser = fake_browser(tmp_path / "elsewhere", "my-chromium")
    path = str(tools(tmp_path / "bin"))
    done = which(tmp_path, {"PATH": path, "HOME": str(tmp_path), "CHROMIUM": str(browser)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(browser)


def test_render_check_says_what_to_do_when_no_browser_is_found(tmp_path: Path) -> None:
    done = which(tmp_path, {"PATH": str(tools(tmp_path / "bin")), "HOME": str(tmp_path)})
    assert done.returncode == 1
    assert "google-chrome" in done.stderr and "CHROMIUM" in done.stderr
    assert done.stdout == ""


def test_a_chromium_variable_naming_nothing_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    fake_browser(tmp_path / "browsers", "chromium")
    path = f"{tmp_path / 'browsers'}{os.pathsep}{tools(tmp_path / 'bin')}"
    done = which(tmp_path, {"PATH": path, "HOME": str(tmp_path), "CHROMIUM": str(tmp_path / "no-such-browser")})
    assert done.returncode == 1
    assert "no-such-browser" in done.stderr
