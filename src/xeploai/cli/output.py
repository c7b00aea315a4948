"""What every subcommand shares: exit codes, usage errors, the period argument and writing to the console.

In: text, JSON-able data and the arguments the handlers read. Out: UTF-8 text on stdout and stderr, flushed at
once; ``UsageError`` for what argparse cannot see (``app.main`` turns it into exit code 2).
"""

from __future__ import annotations

import json
import sys

from xeploai import api
from xeploai.explanation.messages import msg
from xeploai.program.ir import Period

EXIT_OK = 0
EXIT_PROBLEMS = 1  # issues with severity error, failed framework tests
EXIT_USAGE = 2  # bad arguments (argparse's own code)
EXIT_INVALID = 3  # a framework or evidence file that cannot be used
EXIT_INTERNAL = 4  # a bug in xeploai
EXIT_INTERRUPTED = 130


STDIN = "-"  # a file argument that means standard input


class UsageError(Exception):
    """A problem with the arguments that argparse cannot see (e.g. no period given anywhere)."""


def _period(spec: str, lang: str) -> Period:
    """The period given on the command line, or a usage error saying how to write one."""
    try:
        return api.parse_period(spec)
    except api.PeriodError as error:
        raise UsageError(msg("cli.bad_period", lang, spec=spec, reason=error.text.get(lang))) from None


def read_stdin() -> bytes:
    """Standard input, as bytes, up to one byte more than the loader accepts (so that it can say "too large")."""
    from xeploai.framework.loader import MAX_TEXT_BYTES

    return sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)


def load_evidence(path: str) -> api.EvidenceFile:
    """The evidence file a command names, ``-`` meaning standard input."""
    return api.load_evidence_text(read_stdin()) if path == STDIN else api.load_evidence_file(path)


def echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def echo_err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def counted(**counts: int) -> dict[str, object]:
    """The counts, each with the English plural ending ``<name>_s`` that messages may use."""
    out: dict[str, object] = dict(counts)
    out.update({f"{name}_s": "" if n == 1 else "s" for name, n in counts.items()})
    return out


def print_json(data: object) -> None:
    echo(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
