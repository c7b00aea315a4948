"""The engine ``batch`` classifies with: the one asked for, or by ``--engine auto`` the one measured faster for
the population's number of subject rows.

In: the engine asked for, the number of subject rows, whether the review process is given and whether every
subject's trace is needed, whether numpy is installed. Out: ``"interpreter"`` or ``"columnar"``, or a usage error
when the columnar engine is asked for without numpy.
"""

from __future__ import annotations

import importlib.util

from xeploai.cli.output import UsageError
from xeploai.explanation.messages import msg

# From this many subject rows, ``batch --engine auto`` classifies column-wise. Set by measurement
# (benchmarks/batch_engines.py, docs/benchmarks.md): end to end, a new process each time, the columnar engine starts
# later (it imports numpy and pyarrow) and then grows far more slowly with the rows than the interpreter; the two
# crossed between 326 and 744 rows of samples of the example district, and the columnar engine was three to four
# times faster on the bundled districts (3,110 and 3,137 rows) and six times at 12,440.
AUTO_COLUMNAR_ROWS = 500


def choose_engine(requested: str, rows: int, *, process: bool, every_trace: bool, lang: str) -> str:
    """The engine ``batch`` uses: the one asked for, or by ``auto`` the columnar one from ``AUTO_COLUMNAR_ROWS``
    subject rows when numpy is installed, unless the review process is given (the ladder reads every trace) or
    every trace is needed anyway (``--tables``, ``--traces``): the columnar engine would rebuild them all, row by
    row, after its own work, and was measured no faster than the interpreter then.

    Without numpy ``auto`` is the interpreter, which writes the same files; so is it for a small population:

    >>> choose_engine("auto", 10, process=False, every_trace=False, lang="en")
    'interpreter'
    """
    numpy = importlib.util.find_spec("numpy") is not None
    if requested == "columnar" and not numpy:
        raise UsageError(msg("cli.batch.needs_numpy", lang))
    if requested != "auto":
        return requested
    if numpy and not process and not every_trace and rows >= AUTO_COLUMNAR_ROWS:
        return "columnar"
    return "interpreter"
