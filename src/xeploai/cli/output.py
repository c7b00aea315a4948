"""What every subcommand shares: exit codes, usage errors, the period argument and writing to the console.

In: text, JSON-able data and the arguments the handlers read. Out: UTF-8 text on stdout and stderr, flushed at
once, with every control character escaped (``terminal_safe``); ``UsageError`` for what argparse cannot see
(``app.main`` turns it into exit code 2).
"""

from __future__ import annotations

import json
import re
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


# What a terminal would act on rather than show: C0 controls but the line break and the tab (ESC starts the
# sequences that clear the screen, set the title, write the clipboard; CR overwrites a line), DEL, C1 controls (CSI
# and OSC have one-character forms there), the bidirectional overrides and isolates (they reorder what is shown),
# and lone surrogates (they cannot be written as UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    r"""``text`` with every character a terminal would act on shown as an escape instead (line breaks and tabs stay).

    >>> print(terminal_safe("An \x1b]0;pwned\x07 \x1b[2J"))
    An \x1b]0;pwned\x07 \x1b[2J
    """
    return _UNSAFE.sub(_escaped, text)


def echo(text: str) -> None:
    """Write to standard output, control characters escaped: names and values come from files others wrote."""
    sys.stdout.write(terminal_safe(text))
    sys.stdout.flush()


def echo_err(text: str) -> None:
    """Write to standard error, control characters escaped (see ``echo``)."""
    sys.stderr.write(terminal_safe(text))
    sys.stderr.flush()


def redraw_err(text: str) -> None:
    """Rewrite the current line of standard error (a progress bar): the only carriage return xeploai writes."""
    sys.stderr.write("\r" + terminal_safe(text))
    sys.stderr.flush()


def counted(**counts: int) -> dict[str, object]:
    """The counts, each with the English plural ending ``<name>_s`` that messages may use."""
    out: dict[str, object] = dict(counts)
    out.update({f"{name}_s": "" if n == 1 else "s" for name, n in counts.items()})
    return out


def print_json(data: object) -> None:
    # json escapes C0 controls itself; the other characters ``echo`` would escape get JSON escapes here, so that the
    # text stays JSON of the same data.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    echo(_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
