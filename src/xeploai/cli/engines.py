"""The engine ``batch`` classifies with: the one asked for, or by ``--engine auto`` the one measured faster for
the population's number of subject rows.

In: the engine asked for, the number of subject rows, whether the review process is given, whether numpy is
installed. Out: ``"interpreter"`` or ``"columnar"``, or a usage error when columnar is asked for without numpy.
"""

from __future__ import annotations

import importlib.util

from xeploai.cli.output import UsageError
from xeploai.explanation.messages import msg

# From this many subject rows, ``batch --engine auto`` classifies column-wise (see choose_engine).
AUTO_COLUMNAR_ROWS = 5000


def choose_engine(requested: str, rows: int, *, process: bool, lang: str) -> str:
    """The engine ``batch`` uses: the one asked for, or by ``auto`` the columnar one from ``AUTO_COLUMNAR_ROWS``
    subject rows when numpy is installed and no review process is given (the ladder reads every trace)."""
    numpy = importlib.util.find_spec("numpy") is not None
    if requested == "columnar" and not numpy:
        raise UsageError(msg("cli.batch.needs_numpy", lang))
    if requested != "auto":
        return requested
    if numpy and not process and rows >= AUTO_COLUMNAR_ROWS:
        return "columnar"
    return "interpreter"
