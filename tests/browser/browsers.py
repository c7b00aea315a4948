"""The one place that knows where a Chromium-family browser may be: the ``CHROMIUM`` environment variable (a name
on PATH or a path), then the usual names of Chromium and Chrome on Linux, then Chrome's place on macOS.

``scripts/render-check`` runs this file to learn which browser to use before it thinks of installing one, and the
browser tests import ``find_browser``. Standard library only: the script may run it outside any environment.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

ENV = "CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PLACES = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)


class BrowserNotFoundError(Exception):
    """``CHROMIUM`` names no program that can be run: said, rather than silently using another browser."""


def find_browser(environ: Mapping[str, str] | None = None) -> str | None:
    """The browser to use: what ``CHROMIUM`` names, else the first usual name on PATH, else None."""
    env = os.environ if environ is None else environ
    path = env.get("PATH", os.defpath)
    named = env.get(ENV, "").strip()
    if named:
        found = shutil.which(named, path=path)
        if found is None:
            raise BrowserNotFoundError(f"{ENV}={named} is not a program that can be run")
        return found
    for name in NAMES:
        found = shutil.which(name, path=path)
        if found is not None:
            return found
    return next((place for place in PLACES if os.access(place, os.X_OK)), None)


def main() -> int:
    """Print the browser's path (exit 0), or say on stderr what was looked for (exit 1)."""
    try:
        found = find_browser()
    except BrowserNotFoundError as error:
        print(f"render-check: {error}", file=sys.stderr)
        return 1
    if found is None:
        print(
            f"render-check: no Chromium or Chrome found: looked for {', '.join(NAMES)} on PATH; name another browser"
            f" with the environment variable {ENV} (a path or a command)",
            file=sys.stderr,
        )
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
