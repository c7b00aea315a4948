"""The command line: ``xeploai check | evaluate | explain | verify | appeal | schema | test | batch | diff | template
| serve | completion``.

Input: arguments and the files they name. Output: text or JSON on stdout, problems on stderr, and an exit code:
0 ok, 1 problems found, 2 usage error, 3 invalid input, 4 internal error. Users never see a Python traceback.
Here: the parser and the dispatch; the handlers are in ``frameworks``, ``subjects`` and ``populations``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn

from xeploai import __version__
from xeploai.cli.engines import AUTO_COLUMNAR_ROWS
from xeploai.cli.output import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    STDIN,
    UsageError,
    echo,
    echo_err,
    terminal_safe,
)
from xeploai.cli.subjects import run_appeal, run_evaluate, run_explain, run_keygen, run_verify
from xeploai.explanation.messages import DEFAULT_LANG, LANGS, msg
from xeploai.program.issues import EvidenceError, FrameworkError, render_issues

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

DEBUG_ENV = "XEPLOAI_DEBUG"

EPILOG = """\
exit codes:
  0  ok
  1  problems found (errors in a framework, failed framework tests)
  2  usage error (bad or missing arguments)
  3  invalid input (a framework or evidence file that cannot be used)
  4  internal error (a bug in xeploai: please report it; XEPLOAI_DEBUG=1 shows details)

documentation: docs/reference/cli.md"""

Handler = Callable[[argparse.Namespace], int]

# argparse's own messages (Python 3.11–3.13), in Vietnamese: argument errors follow --lang like everything else.
# Compiled when an argument error is reported, not at every start.
_ARGPARSE_VI: tuple[tuple[str, str], ...] = (
    (r"^the following arguments are required: (.*)$", r"thiếu đối số bắt buộc: \1"),
    (r"^unrecognized arguments: (.*)$", r"đối số không nhận ra: \1"),
    (
        r"^argument (.*?): invalid choice: (.*?) \(choose from (.*)\)$",
        r"đối số \1: lựa chọn không hợp lệ: \2 (chọn một trong \3)",
    ),
    (r"^argument (.*?): expected one argument$", r"đối số \1: cần một giá trị"),
    (r"^argument (.*?): expected at least one argument$", r"đối số \1: cần ít nhất một giá trị"),
    (r"^argument (.*?): expected (\d+) arguments$", r"đối số \1: cần \2 giá trị"),
    (r"^argument (.*?): invalid (\w+) value: (.*)$", r"đối số \1: giá trị \2 không hợp lệ: \3"),
    (r"^argument (.*?): not allowed with argument (.*)$", r"đối số \1: không dùng cùng đối số \2"),
    (r"^one of the arguments (.*) is required$", r"cần một trong các đối số \1"),
    (r"^ambiguous option: (.*?) could match (.*)$", r"tùy chọn mơ hồ: \1 có thể là \2"),
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are in the language ``--lang`` asks for (Vietnamese by default), and whose
    messages (they quote the arguments given) go through the console's escaping."""

    lang = DEFAULT_LANG

    def error(self, message: str) -> NoReturn:
        if self.lang != "en":
            for pattern, replacement in _ARGPARSE_VI:
                translated = re.sub(pattern, replacement, message)
                if translated != message:
                    message = translated
                    break
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"{self.prog}: lỗi: {message}\n")
        super().error(message)

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:
            (file or sys.stderr).write(terminal_safe(message))


# --what-if on evaluate, explain and batch.
WHAT_IF_HELP = "run with a framework file named for a period it is not in force for (a what-if run; the output says so)"


def _lang_of(argv: Sequence[str]) -> str:
    """The ``--lang`` of the arguments, read before parsing them so that their errors can use it."""
    lang = DEFAULT_LANG
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            lang = argv[index + 1]
        elif arg.startswith("--lang="):
            lang = arg.removeprefix("--lang=")
    return lang if lang in LANGS else DEFAULT_LANG


def build_parser(lang: str = DEFAULT_LANG) -> argparse.ArgumentParser:
    """The argument parser of ``xeploai``; each subcommand stores its handler in ``handler``; its errors are in
    ``lang``."""
    parser_class: type[_Parser] = type("_LangParser", (_Parser,), {"lang": lang})
    common = parser_class(add_help=False)
    common.add_argument(
        "--lang",
        choices=LANGS,
        default=DEFAULT_LANG,
        help="language of the output: vi (default) or en",
    )

    parser = parser_class(
        prog="xeploai",
        description="Vietnamese annual quality classification rules as versioned, explainable frameworks.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"xeploai {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        parents=[common],
        help="check framework files for problems",
        description="Check framework files (directories are searched for *.yaml frameworks) and print every"
        " problem with its position.",
    )
    check.add_argument(
        "paths", nargs="+", metavar="PATH", help="framework file or directory; - reads a framework from standard input"
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "lines"),
        default="text",
        help="output format (text); lines: one problem a line, file:line:col: error: message [code], as editors'"
        " problem matchers read it, and the count on standard error",
    )
    check.add_argument(
        "--deep",
        action="store_true",
        help="also analyse each clean framework as a whole: unreachable levels, rules that never or always hold,"
        " shadowed rules, unused fields, untested rules, non-monotone outcomes — each with a counterexample",
    )
    check.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="with --deep: the analysis budget per framework, SECONDS × 600 evaluations — a count, not a clock, so"
        " the findings do not depend on the machine (10)",
    )
    check.add_argument("--seed", type=int, help="with --deep: seed of the analysis' random choices (0)")
    check.add_argument(
        "--strict",
        action="store_true",
        help="with --deep: exit 1 when a finding remains that the framework does not declare as an exception, or"
        " when a warning remains (a secondary or confirmed entry without its quote and source address)",
    )
    check.add_argument(
        "--fidelity",
        action="store_true",
        help="also print, per framework and per subject kind, how many entries are confirmed, secondary and"
        " assumed, and list every entry without a quote of its clause (with --format json: a `fidelity` object)",
    )
    check.set_defaults(handler=run_check)

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="evaluate one subject's evidence and explain the outcome",
        description="Evaluate one subject's evidence file against a framework and explain the outcome.",
    )
    evaluate.add_argument(
        "framework",
        metavar="FRAMEWORK",
        help="framework file (.yaml), or a family folder (e.g. frameworks/party): the version in force is chosen",
    )
    evaluate.add_argument(
        "evidence", metavar="EVIDENCE", help="evidence file (.yaml or .json); - reads it from standard input"
    )
    evaluate.add_argument("--kind", metavar="K", help="subject kind (default: subject.kind of the evidence file)")
    evaluate.add_argument(
        "--period",
        metavar="P",
        help="evaluation period: 2020, 2020-Q3 or 2020-01-01..2020-06-30 (default: period of the evidence file)",
    )
    evaluate.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    evaluate.add_argument("--receipt", metavar="FILE", help="also write a receipt that `xeploai verify` can replay")
    evaluate.add_argument(
        "--sign-key",
        metavar="KEY",
        help="sign the receipt with this private key (from `xeploai keygen`; needs the sign extra)",
    )
    evaluate.add_argument(
        "--what-if",
        action="store_true",
        help="run with a framework file named for a period it is not in force for (a what-if run; the output says so)",
    )
    evaluate.set_defaults(handler=run_evaluate)

    schema = commands.add_parser(
        "schema",
        parents=[common],
        help="print the JSON Schema of the framework format, of a subject kind's evidence, or of another document",
        description="Print the JSON Schema of the framework format; with --evidence the JSON Schema of the"
        " evidence of one subject kind of a framework (with --whole, of a whole evidence file of that kind); with"
        " --document the schema of an evidence file, a tests file or a population document, for editors.",
    )
    schema.add_argument(
        "--evidence",
        nargs=2,
        metavar=("FRAMEWORK", "KIND"),
        help="print the evidence schema of subject kind KIND of framework FRAMEWORK",
    )
    schema.add_argument(
        "--whole",
        action="store_true",
        help="with --evidence: the schema of a whole evidence file (subject, period, evidence) of that kind",
    )
    schema.add_argument(
        "--document",
        choices=("evidence", "tests", "population"),
        help="print the schema of an evidence file, a framework's tests file or a population document"
        " (schema/evidence.schema.json, tests.schema.json, population.schema.json)",
    )
    schema.set_defaults(handler=run_schema)

    test = commands.add_parser(
        "test",
        parents=[common],
        help="run framework tests (*.tests.yaml)",
        description="Run framework test files (directories are searched for *.tests.yaml).",
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="test file or directory")
    test.add_argument(
        "--format",
        choices=("text", "json", "junit", "lines"),
        default="text",
        help="output format (text): json, junit (JUnit XML, for CI), or lines (each case that did not pass on one"
        " line, file:line:col: error: …, as editors' problem matchers read it)",
    )
    test.set_defaults(handler=run_test)

    batch = commands.add_parser(
        "batch",
        parents=[common],
        help="classify a whole population from tables",
        description="Classify every subject of a population (a folder of CSV files, an .xlsx workbook, or a"
        " YAML/JSON document) in the order the rules imply, apply quotas, and write the results table, the"
        " per-unit summary and the rejected rows.",
    )
    batch.add_argument(
        "framework",
        metavar="FRAMEWORK",
        help="framework file, a family folder, a folder of families (e.g. frameworks) or all (the bundled ones):"
        " each kind is classified under the file in force for it",
    )
    batch.add_argument(
        "--what-if",
        action="store_true",
        help="run with a framework file named for a period it is not in force for (a what-if run; the output says so)",
    )
    batch.add_argument("data", metavar="DATA", help="folder of CSV files, .xlsx workbook, or .yaml/.json document")
    batch.add_argument("--period", required=True, help="evaluation period: 2020, 2020-Q3 or START..END")
    batch.add_argument("--out", default="results", help="folder for the output tables (results)")
    batch.add_argument(
        "--format", choices=("csv", "xlsx", "parquet"), default="csv", help="table format; parquet needs pyarrow (csv)"
    )
    batch.add_argument(
        "--traces",
        action="store_true",
        help="also write every full explanation as JSON lines (giai-thich.jsonl): about 50 KB a subject, 165 MB for"
        " a district of 3,000",
    )
    batch.add_argument(
        "--traces-gz",
        action="store_true",
        help="write the explanations gzip-compressed instead (giai-thich.jsonl.gz): about 4 KB a subject, 12 MB for"
        " a district of 3,000; read with zcat or Python's gzip module",
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument(
        "--process",
        metavar="DIR",
        help="review-process inputs: the proposal ladder, ballots, quarterly results and dates (folder, .xlsx, .yaml)",
    )
    batch.add_argument("--tables", action="store_true", help="also write the official tables (bieu-mau)")
    batch.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="ID=OPTION",
        help="classify under another option of a rules reading (process.readings, parameter: rules); repeatable",
    )
    batch.add_argument(
        "--engine",
        choices=("auto", "interpreter", "columnar"),
        default="auto",
        help="how to classify: row by row with full traces (interpreter) or column-wise (columnar, needs numpy);"
        f" auto: columnar from {AUTO_COLUMNAR_ROWS:,} subject rows when numpy is installed, without --process,"
        " --tables or --traces (auto)",
    )
    batch.set_defaults(handler=run_batch)

    readings_cmd = commands.add_parser(
        "readings",
        parents=[common],
        help="list the subjects whose result depends on how an ambiguous clause is read",
        description="Classify the population under every reading the framework declares for an ambiguous clause"
        " (the quota's denominator, rounding, …) and list every subject whose result differs from the default.",
    )
    readings_cmd.add_argument("framework", metavar="FRAMEWORK", help="framework file")
    readings_cmd.add_argument("data", metavar="DATA", help="a population (folder, .xlsx, .yaml/.json)")
    readings_cmd.add_argument("--period", required=True, help="evaluation period")
    readings_cmd.add_argument("--process", metavar="DIR", help="review-process inputs, as for batch")
    readings_cmd.add_argument("--only", nargs="+", metavar="ID", help="only these readings")
    readings_cmd.add_argument("--out", metavar="FILE", help="also write the differences (.csv or .xlsx)")
    readings_cmd.set_defaults(handler=run_readings)

    diff = commands.add_parser(
        "diff",
        parents=[common],
        help="compare two framework versions rule by rule, optionally replayed on a population",
        description="List, per subject kind, the rules, caps, notes, lists and fields added, removed and changed"
        " between two framework files; with --replay, classify the same population under both and list every"
        " subject whose outcome changes, with the rules that made the difference (new in B, gone from A, or of"
        " both with another result), a from x to matrix, the rules ranked by the number of subjects they changed"
        " with their confidence marks, and the subjects only one version could evaluate.",
    )
    diff.add_argument("before", metavar="A", help="the earlier framework file")
    diff.add_argument("after", metavar="B", help="the later framework file")
    diff.add_argument(
        "--replay", metavar="DATA", help="a population for both versions (folder of CSV files, .xlsx, .yaml/.json)"
    )
    diff.add_argument(
        "--replay-before",
        metavar="DATA_A",
        help="the population as version A reads it (overrides --replay for A); subjects are matched by id",
    )
    diff.add_argument(
        "--replay-after",
        metavar="DATA_B",
        help="the population as version B reads it (overrides --replay for B); subjects are matched by id",
    )
    diff.add_argument("--period", help="evaluation period of the replay: 2020, 2020-Q3 or START..END")
    diff.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    diff.set_defaults(handler=run_diff)

    explain_cmd = commands.add_parser(
        "explain",
        parents=[common],
        help="render a dispute packet: text, JSON, Markdown or a printable HTML page",
        description="Explain one subject's outcome for a dispute: the facts, the path that decided it, why not each"
        " higher level with actual and required values and clauses, the smallest changes that would reach each"
        " higher level, caps, quotas with the arithmetic and the other members involved, confidence marks, and a"
        " signature block. The subject comes from an evidence file, or from a population (--population, --subject)"
        " when collectives or quotas decided it.",
    )
    explain_cmd.add_argument("framework", metavar="FRAMEWORK", help="framework file, or a family folder")
    explain_cmd.add_argument(
        "evidence", metavar="EVIDENCE", nargs="?", help="evidence file (.yaml or .json); - reads it from standard input"
    )
    explain_cmd.add_argument("--population", metavar="DATA", help="a population (folder, .xlsx, .yaml/.json)")
    explain_cmd.add_argument("--subject", metavar="ID", help="the subject to explain, with --population")
    explain_cmd.add_argument("--kind", metavar="K", help="subject kind (default: from the evidence file)")
    explain_cmd.add_argument("--period", help="evaluation period: 2020, 2020-Q3 or START..END")
    explain_cmd.add_argument(
        "--format", choices=("text", "json", "md", "html"), default="html", help="output format (html)"
    )
    explain_cmd.add_argument("-o", "--output", help="write to this file instead of standard output")
    explain_cmd.add_argument("--prepared-on", metavar="DATE", help="the date printed in the signature block")
    explain_cmd.add_argument(
        "--redact",
        action="store_true",
        help="the complainant's copy: other members' names and ids become stable pseudonyms"
        " (the key is read from the environment variable XEPLOAI_REDACT_SALT)",
    )
    explain_cmd.add_argument(
        "--keep", action="extend", nargs="+", default=[], metavar="ID", help="with --redact: ids that stay named"
    )
    explain_cmd.add_argument(
        "--self-assessment",
        metavar="LEVEL",
        help="the level the subject proposed for themself (id, code or label): the packet compares it with the"
        " computed level and gives the reasons for a difference",
    )
    explain_cmd.add_argument(
        "--person",
        metavar="ID",
        help="with --population: list every result of this person, each with its framework and the linked results"
        " it read",
    )
    explain_cmd.add_argument(
        "--what-if",
        action="store_true",
        help="run with a framework file named for a period it is not in force for (a what-if run; the output says so)",
    )
    explain_cmd.set_defaults(handler=run_explain)

    verify_cmd = commands.add_parser(
        "verify",
        parents=[common],
        help="replay a receipt and confirm its outcome, or show what differs",
        description="Re-hash the framework files of a receipt, replay its evidence and compare the engine version,"
        " the hashes, the outcome and the trace digest; with --public-key, check its signature. Exit 0 when"
        " everything matches, 1 when something differs (the receipt does NOT verify), 3 when it cannot be verified"
        " (the receipt cannot be read, or a framework file it names is missing). Without --public-key a receipt is"
        " shown to be consistent with itself, not to come from the office.",
    )
    verify_cmd.add_argument("receipt", metavar="RECEIPT", help="receipt file (.json)")
    verify_cmd.add_argument("--root", help="folder to resolve the receipt's framework paths against")
    verify_cmd.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    verify_cmd.add_argument(
        "--public-key", metavar="PUB", help="the office's public key: the receipt must carry its valid signature"
    )
    verify_cmd.set_defaults(handler=run_verify)

    appeal = commands.add_parser(
        "appeal",
        parents=[common],
        help="keep a dispute's case history: open, correct evidence and re-evaluate, decide, show",
        description="An append-only, hash-chained case history (JSON Lines) of one dispute.",
    )
    appeal_commands = appeal.add_subparsers(dest="appeal_command", metavar="ACTION", required=True)
    for action, text in (
        ("open", "start a case from a verified receipt and record the complaint"),
        ("correct", "record corrected or added evidence, re-evaluate, and record the new result"),
        ("decide", "record the competent committee's decision"),
        ("show", "print the history and check its chain"),
    ):
        sub = appeal_commands.add_parser(action, parents=[common], help=text, description=text)
        sub.add_argument("case", metavar="CASE", help="the case history file (.jsonl)")
        if action != "show":
            sub.add_argument("--actor", required=True, help="who records this entry")
            sub.add_argument("--time", required=True, help="when, as an ISO date or date-time")
        if action in ("open", "correct"):
            sub.add_argument("--receipt", required=True, help="the receipt of the result under dispute")
        if action == "correct":
            sub.add_argument("--corrections", required=True, help="YAML/JSON mapping field: value (null removes)")
            sub.add_argument("--new-receipt", help="write the receipt of the new result here")
        if action in ("open", "decide"):
            sub.add_argument("--text", required=True, help="the complaint, or the decision")
        if action == "decide":
            sub.add_argument("--level", help="the level decided (id or code)")
        if action == "show":
            sub.add_argument("--head", help="the hash of the last entry, kept elsewhere, to detect truncation")
            sub.add_argument("--public-key", metavar="PUB", help="every entry must be signed with this key")
        else:
            sub.add_argument("--sign-key", metavar="KEY", help="sign the entries (and a new receipt) with this key")
        sub.set_defaults(handler=run_appeal)

    keygen = commands.add_parser(
        "keygen",
        parents=[common],
        help="make the office's signing key pair (Ed25519) for receipts and case histories",
        description="Write a new private key (PEM, readable by its owner only: keep it safe) and its public key"
        " (PEM, give it to whoever verifies). Existing files are never overwritten. Needs the optional extra:"
        " pip install 'xeploai[sign]'.",
    )
    keygen.add_argument("key", metavar="KEY", help="the private key file to write")
    keygen.add_argument("--public", metavar="PUB", help="the public key file to write (KEY.pub)")
    keygen.set_defaults(handler=run_keygen)

    template = commands.add_parser(
        "template",
        parents=[common],
        help="write an empty spreadsheet for a unit to fill in",
        description="Write the spreadsheet a unit fills in: one column per evidence field of the kinds given,"
        " with a guide sheet listing each column's meaning and accepted values.",
    )
    template.add_argument("framework", metavar="FRAMEWORK", help="framework file")
    template.add_argument("--kinds", nargs="+", required=True, help="subject kinds to include")
    template.add_argument("-o", "--output", required=True, help="output file (.xlsx, or .csv for headers only)")
    template.set_defaults(handler=run_template)

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="run the HTTP decision service and its page in the browser",
        description="Serve the decision service (JSON under /v1, OpenAPI at /docs) and the page for classifying a"
        " unit in the browser (/). Needs the optional extra: pip install 'xeploai[service]'.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--frameworks", metavar="DIR", help="also serve the families of this folder (they win)")
    serve.add_argument("--max-upload-mb", type=float, default=20, help="largest request body, in MB (20)")
    serve.add_argument("--workers", type=int, default=2, help="populations classified at once (2)")
    serve.set_defaults(handler=run_serve)

    completion = commands.add_parser(
        "completion",
        parents=[common],
        help="print the shell completion script for bash or zsh",
        description="Print a completion script made from xeploai's own arguments. bash: add"
        ' eval "$(xeploai completion bash)" to ~/.bashrc; zsh: add eval "$(xeploai completion zsh)" to ~/.zshrc.',
    )
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell")
    completion.set_defaults(handler=run_completion)
    return parser


# --- handlers imported when run ----------------------------------------------------------------------------
# The subcommands on framework files and on populations import the checker, the analysis and the table writers;
# ``xeploai --version`` and ``xeploai evaluate`` need none of them, and start faster without.


def run_check(args: argparse.Namespace) -> int:
    from xeploai.cli.frameworks import run_check as handler

    return handler(args)


def run_schema(args: argparse.Namespace) -> int:
    from xeploai.cli.frameworks import run_schema as handler

    return handler(args)


def run_test(args: argparse.Namespace) -> int:
    from xeploai.cli.frameworks import run_test as handler

    return handler(args)


def run_diff(args: argparse.Namespace) -> int:
    from xeploai.cli.frameworks import run_diff as handler

    return handler(args)


def run_batch(args: argparse.Namespace) -> int:
    from xeploai.cli.populations import run_batch as handler

    return handler(args)


def run_readings(args: argparse.Namespace) -> int:
    from xeploai.cli.populations import run_readings as handler

    return handler(args)


def run_template(args: argparse.Namespace) -> int:
    from xeploai.cli.populations import run_template as handler

    return handler(args)


# --- entry point --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xeploai`` with ``argv`` (default: the process arguments) and return the exit code."""
    _use_utf8()
    parser = build_parser(_lang_of(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help, --version and usage errors
        return _exit_code(exit_.code)
    lang: str = args.lang
    handler: Handler = args.handler
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the command, as a batch's manifest records it
    _resolve_frameworks(args)
    try:
        with _debug_notes(os.environ.get(DEBUG_ENV, "") not in ("", "0")):
            return handler(args)
    except UsageError as error:
        echo_err(f"xeploai {args.command}: {error}\n")
        return EXIT_USAGE
    except (FrameworkError, EvidenceError) as error:
        echo_err(render_issues(error.issues, error.source, lang) + "\n")
        return EXIT_INVALID
    except _raised_by("xeploai.tables.files", "TableError") as error:
        from xeploai.tables.files import TableError

        assert isinstance(error, TableError)
        echo_err(render_issues(error.issues, error.source, lang) + "\n" if error.issues else f"{error}\n")
        return EXIT_INVALID
    except _raised_by("xeploai.explanation.signing", "SigningError") as error:
        from xeploai.explanation.signing import SigningError

        assert isinstance(error, SigningError)
        echo_err(f"xeploai {args.command}: {error.text.get(lang)}\n")
        return EXIT_INVALID
    except _raised_by("xeploai.tables.outputs", "OutputError") as error:
        from xeploai.tables.outputs import OutputError

        assert isinstance(error, OutputError)
        reason = error.reason.get(lang)
        echo_err(f"xeploai {args.command}: {msg('cli.cannot_write', lang, path=error.path, reason=reason)}\n")
        return EXIT_INVALID
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (e.g. `| head`); nothing left to say to it
        return EXIT_OK
    except OSError as error:
        path = error.filename if error.filename is not None else ""
        reason = error.strerror or str(error)
        echo_err(f"xeploai {args.command}: {msg('cli.cannot_read', lang, path=path, reason=reason)}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        echo_err(f"xeploai: {msg('cli.interrupted', lang)}\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # the last line of defence: a bug must not show a traceback to a user
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc(file=sys.stderr)
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        echo_err(msg("cli.internal_error", lang, error=detail) + "\n")
        return EXIT_INTERNAL


@contextlib.contextmanager
def _debug_notes(shown: bool) -> Iterator[None]:
    """With ``XEPLOAI_DEBUG=1`` (``shown``), the notes of the cache of compiled frameworks (an entry ignored and
    why, a cache folder not used) go to standard error while a command runs."""
    if not shown:
        yield
        return
    import logging

    class ToStderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            echo_err(record.getMessage() + "\n")

    logger, handler = logging.getLogger("xeploai.cache"), ToStderr()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _raised_by(module: str, name: str) -> tuple[type[Exception], ...]:
    """The exception class ``name`` of ``module`` to catch when that module has been imported, else nothing: an
    exception of a module never imported cannot have been raised (the table readers and writers and the signing
    keys load only for the commands that use them)."""
    found = getattr(sys.modules.get(module), name, None)
    return (found,) if isinstance(found, type) and issubclass(found, Exception) else ()


def run_serve(args: argparse.Namespace) -> int:
    from xeploai.service import server

    try:
        server.serve(
            args.host,
            args.port,
            frameworks=args.frameworks,
            max_upload_mb=args.max_upload_mb,
            workers=args.workers,
        )
    except server.MissingExtraError as error:
        raise UsageError(f"{error.text.vi}\n{error.text.en}") from None
    return EXIT_OK


def run_completion(args: argparse.Namespace) -> int:
    from xeploai.cli.completion import bash, zsh

    parser = build_parser()
    echo(bash(parser) if args.shell == "bash" else zsh(parser))
    return EXIT_OK


def _resolve_frameworks(args: argparse.Namespace) -> None:
    """Framework arguments that name no path on disk but a bundled family or file (``party``) become its path."""
    from xeploai.framework.families import resolve_framework

    for name in ("framework", "before", "after"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, str(resolve_framework(value)))
    if args.command in ("check", "test"):
        args.paths = [p if p == STDIN else str(resolve_framework(p)) for p in args.paths]


def _exit_code(code: object) -> int:
    if code is None:
        return EXIT_OK
    return code if isinstance(code, int) else EXIT_USAGE


def _use_utf8() -> None:
    """Write UTF-8 whatever the locale says (Vietnamese text must survive a Windows or C-locale console)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(encoding="utf-8")


def _silence_stdout() -> None:
    with contextlib.suppress(OSError, ValueError):  # io.UnsupportedOperation is both
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
