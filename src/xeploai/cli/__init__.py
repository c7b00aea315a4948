"""The command line, ``xeploai``: each subcommand parses its arguments and calls the façade and the stages.

In: arguments and files. Out: text on the console, files, exit codes. Nothing imports this package.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from xeploai import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xeploai`` (``app.main``); ``xeploai --version`` is answered before the command line's modules load."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        sys.stdout.write(f"xeploai {__version__}\n")
        return 0
    from xeploai.cli.app import main as run

    return run(argv)
