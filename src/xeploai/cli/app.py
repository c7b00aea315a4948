"""The command line: ``xeploai check | evaluate | explain | verify | appeal | schema | test | batch | diff | template``.

Input: arguments and the files they name. Output: text or JSON on stdout, problems on stderr, and an exit code:
0 ok, 1 problems found, 2 usage error, 3 invalid input, 4 internal error. Users never see a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from xeploai import __version__, api
from xeploai.evaluation import population as population_model
from xeploai.explanation import explain
from xeploai.tables import population_tables as tables

if TYPE_CHECKING:
    from xeploai.analysis.search import Finding
    from xeploai.evaluation.bulk_result import BulkResult
    from xeploai.explanation.counterfactual import SelfAssessment
    from xeploai.process.ladder import ProcessInput
    from xeploai.process.periods import PeriodFacts
from xeploai.evaluation.trace import Result, Status
from xeploai.explanation.messages import DEFAULT_LANG, LANGS, msg
from xeploai.program.ir import Period, Program, Text
from xeploai.program.issues import EvidenceError, FrameworkError, Issue, render_issues, suggest

EXIT_OK = 0
EXIT_PROBLEMS = 1  # issues with severity error, failed framework tests
EXIT_USAGE = 2  # bad arguments (argparse's own code)
EXIT_INVALID = 3  # a framework or evidence file that cannot be used
EXIT_INTERNAL = 4  # a bug in xeploai
EXIT_INTERRUPTED = 130

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


class UsageError(Exception):
    """A problem with the arguments that argparse cannot see (e.g. no period given anywhere)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``xeploai``; each subcommand stores its handler in ``handler``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang",
        choices=LANGS,
        default=DEFAULT_LANG,
        help="language of the output: vi (default) or en",
    )

    parser = argparse.ArgumentParser(
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
    check.add_argument("paths", nargs="+", metavar="PATH", help="framework file or directory")
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    check.add_argument(
        "--deep",
        action="store_true",
        help="also analyse each clean framework as a whole: unreachable levels, rules that never or always hold,"
        " shadowed rules, unused fields, untested rules, non-monotone outcomes — each with a counterexample",
    )
    check.add_argument("--budget", type=float, default=10, help="analysis budget per framework, in seconds (10)")
    check.add_argument("--seed", type=int, default=0, help="seed of the analysis' random choices (0)")
    check.add_argument(
        "--strict",
        action="store_true",
        help="with --deep: exit 1 when a finding remains that the framework does not declare as an exception",
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
    evaluate.add_argument("evidence", metavar="EVIDENCE", help="evidence file (.yaml or .json)")
    evaluate.add_argument("--kind", metavar="K", help="subject kind (default: subject.kind of the evidence file)")
    evaluate.add_argument(
        "--period",
        metavar="P",
        help="evaluation period: 2020, 2020-Q3 or 2020-01-01..2020-06-30 (default: period of the evidence file)",
    )
    evaluate.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
    evaluate.add_argument("--receipt", metavar="FILE", help="also write a receipt that `xeploai verify` can replay")
    evaluate.set_defaults(handler=run_evaluate)

    schema = commands.add_parser(
        "schema",
        parents=[common],
        help="print the JSON Schema of the framework format or of a subject kind's evidence",
        description="Print the JSON Schema of the framework format, or with --evidence the JSON Schema of the"
        " evidence of one subject kind of a framework.",
    )
    schema.add_argument(
        "--evidence",
        nargs=2,
        metavar=("FRAMEWORK", "KIND"),
        help="print the evidence schema of subject kind KIND of framework FRAMEWORK",
    )
    schema.set_defaults(handler=run_schema)

    test = commands.add_parser(
        "test",
        parents=[common],
        help="run framework tests (*.tests.yaml)",
        description="Run framework test files (directories are searched for *.tests.yaml).",
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="test file or directory")
    test.set_defaults(handler=run_test)

    batch = commands.add_parser(
        "batch",
        parents=[common],
        help="classify a whole population from tables",
        description="Classify every subject of a population (a folder of CSV files, an .xlsx workbook, or a"
        " YAML/JSON document) in the order the rules imply, apply quotas, and write the results table, the"
        " per-unit summary and the rejected rows.",
    )
    batch.add_argument("framework", metavar="FRAMEWORK", help="framework file")
    batch.add_argument("data", metavar="DATA", help="folder of CSV files, .xlsx workbook, or .yaml/.json document")
    batch.add_argument("--period", required=True, help="evaluation period: 2020, 2020-Q3 or START..END")
    batch.add_argument("--out", default="results", help="folder for the output tables (results)")
    batch.add_argument(
        "--format", choices=("csv", "xlsx", "parquet"), default="csv", help="table format; parquet needs pyarrow (csv)"
    )
    batch.add_argument("--traces", action="store_true", help="also write every full explanation as JSON lines")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument(
        "--process",
        metavar="DIR",
        help="review-process inputs: the proposal ladder, ballots, quarterly results and dates (folder, .xlsx, .yaml)",
    )
    batch.add_argument("--tables", action="store_true", help="also write the official tables (bieu-mau)")
    batch.add_argument(
        "--engine",
        choices=("auto", "interpreter", "columnar"),
        default="auto",
        help="how to classify: row by row with full traces (interpreter) or column-wise (columnar, needs numpy);"
        f" auto: columnar from {AUTO_COLUMNAR_ROWS:,} subject rows without --process (auto)",
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
    explain_cmd.add_argument("evidence", metavar="EVIDENCE", nargs="?", help="evidence file (.yaml or .json)")
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
    explain_cmd.add_argument("--keep", action="append", default=[], metavar="ID", help="an id that stays named")
    explain_cmd.add_argument(
        "--self-assessment",
        metavar="LEVEL",
        help="the level the subject proposed for themself (id, code or label): the packet compares it with the"
        " computed level and gives the reasons for a difference",
    )
    explain_cmd.set_defaults(handler=run_explain)

    verify_cmd = commands.add_parser(
        "verify",
        parents=[common],
        help="replay a receipt and confirm its outcome, or show what differs",
        description="Re-hash the framework files of a receipt, replay its evidence and compare the engine version,"
        " the hashes, the outcome and the trace digest. Exit 0 when everything matches, 1 when something differs,"
        " 3 when the receipt cannot be read.",
    )
    verify_cmd.add_argument("receipt", metavar="RECEIPT", help="receipt file (.json)")
    verify_cmd.add_argument("--root", help="folder to resolve the receipt's framework paths against")
    verify_cmd.add_argument("--format", choices=("text", "json"), default="text", help="output format (text)")
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
        sub.set_defaults(handler=run_appeal)

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
    return parser


# --- commands -----------------------------------------------------------------------------------------------


def _period(spec: str, lang: str) -> Period:
    """The period given on the command line, or a usage error saying how to write one."""
    try:
        return api.parse_period(spec)
    except api.PeriodError as error:
        raise UsageError(msg("cli.bad_period", lang, spec=spec, reason=error.text.get(lang))) from None


def run_check(args: argparse.Namespace) -> int:
    if (args.strict or args.seed) and not args.deep:
        raise UsageError(msg("cli.check.needs_deep", args.lang))
    results = api.check_paths(args.paths)
    errors = sum(1 for issues in results.values() for i in issues if i.severity == "error")
    warnings = sum(1 for issues in results.values() for i in issues if i.severity != "error")
    deep = _deep_findings(results, args) if args.deep else {}
    undeclared = sum(1 for findings in deep.values() for f in findings if not f.declared)
    if args.format == "json":
        files: list[dict[str, object]] = []
        for file, issues in results.items():
            entry: dict[str, object] = {
                "file": file,
                "ok": not any(i.severity == "error" for i in issues),
                "issues": [i.to_json() for i in issues],
            }
            if file in deep:
                entry["findings"] = [f.to_json() for f in deep[file]]
            files.append(entry)
        report: dict[str, object] = {"files": files, "errors": errors, "warnings": warnings}
        if args.deep:
            report["findings"] = {"undeclared": undeclared, "declared": sum(map(len, deep.values())) - undeclared}
        _print_json(report)
    else:
        for file, issues in results.items():
            if issues:
                _out(render_issues(issues, file, args.lang) + "\n\n")
        for file, findings in deep.items():
            _print_findings(file, findings, args.lang)
        warnings += undeclared
        counts = _counted(files=len(results), errors=errors, warnings=warnings)
        key = "cli.check.summary" if errors or warnings else "cli.check.ok"
        _out(msg(key, args.lang, **counts) + "\n")
    return EXIT_PROBLEMS if errors or (args.strict and undeclared) else EXIT_OK


def _deep_findings(results: dict[str, list[Issue]], args: argparse.Namespace) -> dict[str, list[Finding]]:
    """The whole-framework analysis of every file the ordinary check passed, declared findings included."""
    from xeploai.analysis import search

    out: dict[str, list[Finding]] = {}
    for file, issues in results.items():
        if any(i.severity == "error" for i in issues):
            continue
        program = api.load_framework(file)
        tests = search.find_tests(program)
        out[file] = search.analyse(program, tests, budget_seconds=args.budget, seed=args.seed)
    return out


def _print_findings(file: str, findings: list[Finding], lang: str) -> None:
    """The findings the framework does not declare, each with its evidence documents; a count of the others."""
    import yaml

    shown = [f for f in findings if not f.declared]
    if shown:
        _out(render_issues([f.to_issue(lang) for f in shown], file, lang) + "\n")
        for finding in shown:
            for example in finding.counterexamples:
                kind = finding.kinds[0] if finding.kinds else finding.kind
                document = yaml.safe_dump(example.to_document(kind), allow_unicode=True, sort_keys=False)
                _out(f"  {finding.code} — {example.role} ({example.outcome}):\n")
                _out("".join(f"    {line}\n" for line in document.splitlines()))
        _out("\n")
    declared = len(findings) - len(shown)
    if declared:
        _out(msg("cli.check.declared", lang, file=file, **_counted(declared=declared)) + "\n")


def run_evaluate(args: argparse.Namespace) -> int:
    lang: str = args.lang
    period = None
    if args.period is not None:
        period = _period(args.period, lang)
    program = None if os.path.isdir(args.framework) else api.load_framework(args.framework)
    evidence = api.load_evidence_file(args.evidence)
    kind = args.kind or evidence.kind
    if not kind:
        raise UsageError(msg("cli.no_kind", lang))
    period = period or evidence.period
    if period is None:
        raise UsageError(msg("cli.no_period", lang))
    selection = None
    if program is None:
        # A family folder: choose the version in force for the period, and say why.
        try:
            selection = api.select_framework(args.framework, period)
        except api.NoFrameworkError as error:
            raise UsageError(str(error)) from None
        program = selection.program
    result = api.evaluate(
        program,
        kind,
        evidence.evidence,
        period=period,
        subject_id=evidence.subject_id,
        subject_name=evidence.name,
        source=evidence.source,
        spans=evidence.spans,
    )
    if selection is not None:
        result.extras.update(selection_vi=selection.reason_vi, selection_en=selection.reason)
    if args.receipt:
        from pathlib import Path

        from xeploai.explanation import receipt

        try:
            sealed = receipt.make_receipt(
                result,
                program,
                evidence.evidence,
                evidence_source=evidence.source,
                relative_to=Path(args.receipt).resolve().parent,
            )
        except receipt.ReceiptError as error:
            _err(f"xeploai evaluate: {error}\n")
            return EXIT_INVALID
        Path(args.receipt).write_text(sealed.to_json(), encoding="utf-8")
    if args.format == "json":
        _print_json(explain.to_json(result, program, lang))
    else:
        _out(explain.to_text(result, program, lang))
    return EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    if args.evidence:
        framework, kind = args.evidence
        program = api.load_framework(framework)
        if kind not in program.subjects:
            # the same problem api.evidence_json_schema reports, in the user's language and with the file
            kinds = ", ".join(program.subjects)
            issue = Issue.from_text(
                "unknown-subject-kind",
                Text(
                    msg("cli.unknown_kind", "vi", kind=kind, kinds=kinds),
                    msg("cli.unknown_kind", "en", kind=kind, kinds=kinds),
                ),
                hint=suggest(kind, program.subjects),
            )
            raise EvidenceError(program.info.source, [issue])
        _print_json(api.evidence_json_schema(program, kind))
    else:
        # Sorted keys: the checked-in schema/framework.schema.json is exactly this output.
        _out(json.dumps(api.framework_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def run_test(args: argparse.Namespace) -> int:
    lang: str = args.lang
    outcomes = api.run_framework_tests(args.paths)
    failed = [o for o in outcomes if not o.passed]
    for outcome in failed:
        _out(f"{msg('cli.test.fail', lang)} {outcome.file}: {outcome.name}\n")
        for message in outcome.messages:
            _out("".join(f"  {line}\n" for line in message.splitlines() or [""]))
        if outcome.span is not None:
            _out(f"  at {outcome.span}\n")
        _out("\n")
    if not outcomes:
        _err(f"xeploai test: {msg('cli.test.none', lang)}\n")
        return EXIT_PROBLEMS
    _out(msg("cli.test.summary", lang, passed=len(outcomes) - len(failed), failed=len(failed)) + "\n")
    return EXIT_PROBLEMS if failed else EXIT_OK


def run_batch(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from xeploai.evaluation import population, report
    from xeploai.tables import population_tables as tables

    lang: str = args.lang
    if args.format == "parquet":
        _needs_pyarrow(lang)
    period = _period(args.period, lang)
    started = time.perf_counter()
    program = _program_in_force(args.framework, period, lang)
    if not args.quiet:
        _err(msg("cli.batch.reading", lang, path=args.data) + "\n")
    bulk_input = None
    if _reads_columns(args, program):
        # A folder read column-wise: Parquet metadata or the CSV's line count decides the engine, no row is read.
        from xeploai.tables import parquet

        engine = _batch_engine(args, parquet.subject_rows(args.data, program), lang)
        if engine == "columnar":
            read = parquet.read_spelled if program.process is not None else parquet.read_bulk
            bar = _ProgressBar(msg("cli.batch.checking", lang), enabled=not args.quiet, every=1)
            bulk_input = read(args.data, program, progress=bar.update)  # progress: the reader's stages
            bar.close()
    if bulk_input is None:
        data, inputs, facts = _population_input(args, program, period)
        engine = _batch_engine(args, len(data.subjects), lang)
    else:
        inputs = facts = None
    columns = None
    if engine == "columnar":
        from xeploai.evaluation import bulk
        from xeploai.evaluation.bulk_input import from_population_input

        if bulk_input is None:
            bar = _ProgressBar(msg("cli.batch.checking", lang), enabled=not args.quiet)
            bulk_input = from_population_input(program, data, progress=bar.update)
            bar.close()
        bar = _ProgressBar(msg("cli.batch.progress", lang), enabled=not args.quiet)
        columns = bulk.classify(program, bulk_input, period, progress=bar.update)
        bar.close()
        # The ladder and the official tables read every trace: rebuilt here, row by row (slow but the same).
        result: population.PopulationResult | BulkResult = (
            columns.to_population() if inputs is not None or args.tables else columns
        )
    else:
        bar = _ProgressBar(msg("cli.batch.progress", lang), enabled=not args.quiet)
        result = population.evaluate_population(program, data, period, progress=bar.update)
        bar.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ext = args.format
    written = []
    results_path = out / f"ket-qua.{ext}"
    if columns is not None:
        if not args.quiet:  # seconds at national size, before the reasons' bar starts
            _err(msg("cli.batch.summarising", lang) + "\n")
        summary = columns.summary_rows()
        reasons = _ProgressBar(msg("cli.batch.reasons", lang), enabled=not args.quiet)
        bar = _ProgressBar(msg("cli.batch.writing", lang), enabled=not args.quiet)

        def reasoned(done: int, total: int) -> None:
            reasons.update(done, total)
            if done == total:
                reasons.close()

        # Streamed: a block of rows at a time is made and written; none is kept.
        if ext == "csv":  # a block of columns at a time, neutralised column by column
            blocks = columns.result_blocks(lang, progress=bar.update, reasons_progress=reasoned)
            repeated = columns.REPEATED_RESULT_COLUMNS
            tables.write_csv_blocks(blocks, report.RESULT_COLUMNS, results_path, repeated)
        elif ext == "parquet":  # a row group per block of columns
            blocks = columns.result_blocks(lang, progress=bar.update, reasons_progress=reasoned)
            tables.write_parquet_blocks(blocks, report.RESULT_COLUMNS, results_path)
        else:
            made = columns.result_rows(lang, progress=bar.update, reasons_progress=reasoned)
            tables.write_table(made, report.RESULT_COLUMNS, results_path)
        reasons.close()
        bar.close()
    else:
        assert isinstance(result, population.PopulationResult)
        summary = report.summary_rows(result)
        tables.write_table(report.result_rows(result, lang), report.RESULT_COLUMNS, results_path)
    written.append(results_path)
    summary_path = out / f"tong-hop.{ext}"
    tables.write_table(summary, report.summary_columns(program), summary_path, report.summary_count_columns(program))
    written.append(summary_path)
    rejections_path = out / f"bi-loai.{ext}"
    tables.write_rejections(result.rejections, rejections_path, lang)
    written.append(rejections_path)
    if args.traces:
        traces_path = out / "giai-thich.jsonl"
        if columns is not None:
            traced = columns.results(by_unit=True)
        else:
            assert isinstance(result, population.PopulationResult)
            traced = iter(sorted(result.results, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id)))
        with traces_path.open("w", encoding="utf-8") as handle:
            for subject in traced:
                handle.write(json.dumps(explain.to_json(subject, program, lang), ensure_ascii=False) + "\n")
        written.append(traces_path)
    ladder = None
    if inputs is not None:
        from xeploai.process import ladder as review

        assert isinstance(result, population.PopulationResult)
        ladder = review.evaluate_process(result, data, inputs, facts, lang)
        process_rejections = out / f"bi-loai-quy-trinh.{ext}"
        tables.write_rejections(ladder.rejections, process_rejections, lang)
        written.append(process_rejections)
        for row in ladder.rows:
            if any(view.relation == "above" for view in row.rungs) or any(not d.explained for d in row.discrepancies):
                _out("\n".join(review.explain_ladder(row, program, lang)) + "\n")
    if args.tables:
        from xeploai.process import forms

        assert isinstance(result, population.PopulationResult)
        # The official forms are documents for people (titles, headings), not data tables: CSV when Parquet is asked.
        form_ext = "csv" if ext == "parquet" else ext
        written.extend(forms.write_official(forms.official_tables(result, ladder, data), out / "bieu-mau", form_ext))
    _out(_batch_summary(result, summary, lang))
    notes = [r for r in result.rejections if r.row is None]
    for note in notes[:10]:
        where = f"{note.source}" + (f" [{note.column}]" if note.column else "")
        _err(f"{msg('cli.batch.note', lang)}: {where}: {note.reason_in(lang)}\n")
    if len(notes) > 10:
        _err(f"{msg('cli.batch.more_notes', lang, count=len(notes) - 10)}\n")
    for path in written:
        _out(msg("cli.batch.written", lang, path=path) + "\n")
    _out(msg("cli.batch.time", lang, seconds=time.perf_counter() - started) + "\n")
    if result.rows_read == 0:
        _err(msg("cli.batch.no_rows", lang, path=args.data) + "\n")
        return EXIT_INVALID
    return EXIT_OK


# From this many subject rows, ``batch --engine auto`` classifies column-wise: below it the interpreter takes a few
# seconds at most and its traces cost nothing extra; above it, checking the rows dominates either way and the
# columnar engine saves the interpreter's time (about 0.4 ms a subject) and memory (every trace held at once).
AUTO_COLUMNAR_ROWS = 5000


def _batch_engine(args: argparse.Namespace, rows: int, lang: str) -> str:
    """The engine ``batch`` uses: the one asked for, or by ``auto`` the columnar one for large inputs when numpy
    is installed and no review process is given (the ladder reads every trace)."""
    import importlib.util

    numpy = importlib.util.find_spec("numpy") is not None
    if args.engine == "columnar" and not numpy:
        raise UsageError(msg("cli.batch.needs_numpy", lang))
    if args.engine != "auto":
        return str(args.engine)
    if numpy and not getattr(args, "process", None) and rows >= AUTO_COLUMNAR_ROWS:
        return "columnar"
    return "interpreter"


def _needs_pyarrow(lang: str) -> None:
    """``batch --format parquet`` without pyarrow: a usage error naming the extra, before any work is done."""
    try:
        import pyarrow.parquet  # type: ignore[import-untyped]  # noqa: F401  (only whether it imports)
    except ImportError:
        raise UsageError(msg("cli.batch.needs_pyarrow", lang)) from None


def _reads_columns(args: argparse.Namespace, program: Program) -> bool:
    """Whether ``batch`` may read DATA column-wise (``parquet.read_bulk``): a folder, not for the interpreter, nor
    for the review process or the official tables (they read the rows), nor when a reading rewrites scores."""
    import importlib.util
    from pathlib import Path

    from xeploai.program import ir

    if args.engine == "interpreter" or getattr(args, "process", None) or args.tables or not Path(args.data).is_dir():
        return False
    if program.process is not None and any(
        r.parameter is ir.ReadingParameter.SCORE_ROUNDING for r in program.process.readings
    ):
        return False
    return all(importlib.util.find_spec(m) is not None for m in ("numpy", "pyarrow"))


def _population_input(
    args: argparse.Namespace, program: Program, period: Period
) -> tuple[population_model.PopulationInput, ProcessInput | None, dict[str, PeriodFacts] | None]:
    """The population, with level spellings resolved and, with --process, its quarters, dates and readings."""
    from xeploai.analysis import readings
    from xeploai.process import periods
    from xeploai.tables import spellings

    data = (
        spellings.read_population(args.data, program)
        if program.process is not None
        else tables.read_population(args.data, program)
    )
    if not getattr(args, "process", None):
        return readings.prepare(program, data), None, None
    from xeploai.process import ladder

    inputs = ladder.read_process(args.process, program, [s.id for s in data.subjects])
    data, facts = periods.apply_periods(program, data, period, inputs.quarters, inputs.events)
    return readings.prepare(program, data), inputs, dict(facts)


def run_readings(args: argparse.Namespace) -> int:
    from xeploai.analysis import readings

    lang: str = args.lang
    period = _period(args.period, lang)
    program = _program_in_force(args.framework, period, lang)
    data, _, _ = _population_input(args, program, period)
    _, runs = readings.evaluate_readings(program, data, period, args.only)
    rows = readings.readings_rows(runs, lang)
    for run in runs:
        _out(f"{run.reading.id} = {run.option.id}: {len(run.differences)}\n")
        for d in run.differences:
            _out(f"  {d.subject} {d.name} ({d.unit}): {d.default} → {d.other}\n")
    if args.out:
        tables.write_table(rows, readings.READINGS_COLUMNS, args.out)
        _out(msg("cli.batch.written", lang, path=args.out) + "\n")
    return EXIT_OK


def _batch_summary(
    result: population_model.PopulationResult | BulkResult, summary: list[dict[str, object]], lang: str
) -> str:
    from xeploai.evaluation import report

    program = result.program
    lines = [msg("cli.batch.order", lang)]
    for stratum in result.strata:
        items = ", ".join([*stratum.kinds, *(f"quota:{q}" for q in stratum.quotas)])
        if stratum.after:
            lines.append(
                msg("cli.batch.stratum", lang, index=stratum.index, items=items, after=", ".join(stratum.after))
            )
        else:
            lines.append(msg("cli.batch.stratum_first", lang, index=stratum.index, items=items))
    lines.append("")
    codes = [v.code for v in program.levels.values]
    header = f"{'':<44}{'Tổng':>7}" + "".join(f"{c:>7}" for c in codes) + f"{'KXL':>6}{'CĐCC':>6}{'Loại':>6}"
    lines.append(header)
    for row in summary:
        if row["unit_kind"] in ("cell",):
            continue  # cells are in the files; the screen shows the grassroots level and the total
        name = str(row["unit_name"])[:42]
        counts = "".join(f"{row[c]!s:>7}" for c in codes)
        lines.append(
            f"{name:<44}{row['members']!s:>7}{counts}{row['not_classified']!s:>6}{row['insufficient']!s:>6}"
            f"{row['rejected']!s:>6}"
        )
    totals = (
        report.counts_text(result, lang) if isinstance(result, population_model.PopulationResult) else result.counts()
    )
    lines.append("")
    groups = result.quota_groups
    lines.append(
        msg(
            "cli.batch.quota",
            lang,
            groups=len(groups),
            ranked=sum(g.status == "ranked" for g in groups),
            flagged=sum(g.status == "flagged" for g in groups),
            decided=sum(g.status == "decided" for g in groups),
        )
    )
    lines.append(
        msg(
            "cli.batch.reconcile",
            lang,
            rows=totals["rows_read"],
            classified=totals["classified"],
            not_classified=totals["not_classified"],
            insufficient=totals["insufficient_evidence"],
            rejected=totals["rejected"],
        )
    )
    if not result.reconciles():
        lines.append(msg("cli.batch.mismatch", lang))
    return "\n".join(lines) + "\n"


def run_diff(args: argparse.Namespace) -> int:
    from xeploai.analysis import diff
    from xeploai.evaluation import population
    from xeploai.tables import population_tables as tables

    lang: str = args.lang
    data_a: str | None = args.replay_before or args.replay
    data_b: str | None = args.replay_after or args.replay
    if (data_a is None) != (data_b is None):
        raise UsageError(msg("cli.diff.one_side", lang))
    period = None
    if data_a is not None:
        if not args.period:
            raise UsageError(msg("cli.no_period", lang))
        period = _period(args.period, lang)
    before = api.load_framework(args.before)
    after = api.load_framework(args.after)
    changes = diff.diff_programs(before, after)
    replayed = None
    if data_a is not None and data_b is not None and period is not None:
        results = [
            population.evaluate_population(program, tables.read_population(data, program), period)
            for program, data in ((before, data_a), (after, data_b))
        ]
        replayed = diff.replay(results[0], results[1])
    if args.format == "json":
        _print_json(diff.to_json(changes, replayed))
    else:
        _out(diff.to_text(changes, replayed, diff.level_codes([before, after]), lang))
    return EXIT_OK


def _subject_result(args: argparse.Namespace) -> tuple[Result, Program]:
    """The result to explain: from an evidence file, or one subject of a population."""
    lang: str = args.lang
    period = None
    if args.period is not None:
        period = _period(args.period, lang)
    if args.population:
        from xeploai.evaluation import population

        if not args.subject or period is None:
            raise UsageError(msg("cli.explain.population_args", lang))
        program = _program_for(args.framework, period, lang)
        classified = population.evaluate_population(program, tables.read_population(args.population, program), period)
        try:
            return classified.result(args.subject), program
        except KeyError:
            raise UsageError(msg("cli.explain.no_subject", lang, subject=args.subject)) from None
    if not args.evidence:
        raise UsageError(msg("cli.explain.no_evidence", lang))
    evidence = api.load_evidence_file(args.evidence)
    kind = args.kind or evidence.kind
    if not kind:
        raise UsageError(msg("cli.no_kind", lang))
    period = period or evidence.period
    if period is None:
        raise UsageError(msg("cli.no_period", lang))
    program = _program_for(args.framework, period, lang)
    result = api.evaluate(
        program,
        kind,
        evidence.evidence,
        period=period,
        subject_id=evidence.subject_id,
        subject_name=evidence.name,
        source=evidence.source,
        spans=evidence.spans,
    )
    result.extras["raw_evidence"] = dict(evidence.evidence)
    return result, program


def _program_in_force(framework: str, period: Period, lang: str) -> Program:
    """The framework file given, or for a family folder the version in force for ``period``, saying why on stderr."""
    if not os.path.isdir(framework):
        return api.load_framework(framework)
    try:
        selection = api.select_framework(framework, period)
    except api.NoFrameworkError as error:
        raise UsageError(str(error)) from None
    reason = selection.reason if lang == "en" else selection.reason_vi
    _err(f"{msg('label.selection', lang)}: {reason}\n")
    return selection.program


def _program_for(framework: str, period: Period, lang: str) -> Program:
    if not os.path.isdir(framework):
        return api.load_framework(framework)
    try:
        return api.select_framework(framework, period).program
    except api.NoFrameworkError as error:
        raise UsageError(str(error)) from None


def run_explain(args: argparse.Namespace) -> int:
    from datetime import date

    from xeploai.explanation import packet, redact

    lang: str = args.lang
    result, program = _subject_result(args)
    if args.redact:
        salt = os.environ.get("XEPLOAI_REDACT_SALT", "")
        if not salt:
            raise UsageError(msg("cli.explain.no_salt", lang))
        result = redact.redact_result(result, redact.Redaction(set(args.keep), salt), lang)
    prepared_on = None
    if args.prepared_on:
        try:
            prepared_on = date.fromisoformat(args.prepared_on)
        except ValueError:
            raise UsageError(msg("cli.bad_date", lang, value=args.prepared_on)) from None
    assessment = _self_assessment(result, program, args.self_assessment, lang)
    extra = _self_assessment_section(assessment, lang) + _smallest_change_section(result, program, lang)
    if args.format == "json":
        document = explain.to_json(result, program, lang)
        if assessment is not None:
            document["self_assessment"] = assessment.to_json()
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "text":
        text = explain.to_text(result, program, lang)
        for title, lines in _self_assessment_section(assessment, lang):
            text += f"\n{title}\n" + "".join(f"  {line}\n" for line in lines)
    elif args.format == "md":
        text = packet.to_markdown(result, program, lang, extra_sections=extra, prepared_on=prepared_on)
    else:
        text = packet.to_html(result, program, lang, extra_sections=extra, prepared_on=prepared_on)
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
        _out(msg("cli.batch.written", lang, path=args.output) + "\n")
    else:
        _out(text)
    return EXIT_OK


def _self_assessment(result: Result, program: Program, proposed: str | None, lang: str) -> SelfAssessment | None:
    """The comparison with the level the subject proposed, when ``--self-assessment`` names one."""
    if proposed is None:
        return None
    from xeploai.explanation import counterfactual

    try:
        return counterfactual.compare_self_assessment(result, program, proposed)
    except ValueError:
        known = ", ".join(f"{v.id} ({v.code})" for v in program.levels.values)
        raise UsageError(msg("cli.explain.unknown_level", lang, value=proposed, known=known)) from None


def _self_assessment_section(assessment: SelfAssessment | None, lang: str) -> list[tuple[str, list[str]]]:
    if assessment is None:
        return []
    lines = [assessment.text.get(lang)] + [f"- {reason.text.get(lang)}" for reason in assessment.reasons]
    return [(msg("section.self_assessment", lang), lines)]


def _smallest_change_section(result: Result, program: Program, lang: str) -> list[tuple[str, list[str]]]:
    """The smallest evidence changes that reach each higher level, when the result came from one evidence file."""
    raw = result.extras.get("raw_evidence")
    if not isinstance(raw, dict) or result.outcome.status is not Status.CLASSIFIED:
        return []
    try:
        from xeploai.explanation import counterfactual
    except ImportError:  # pragma: no cover - the module is part of the package
        return []
    lines: list[str] = []
    for level, change_sets in counterfactual.for_each_higher_level(
        program, result.subject_kind, raw, result.period
    ).items():
        code = program.level_code(level)
        for change_set in change_sets:
            parts = [line.strip().removeprefix("- ") for line in counterfactual.to_text(change_set, lang).splitlines()]
            lines.append(f"{code}: " + "; ".join(p for p in parts if p))
    return [(msg("section.smallest_change", lang), lines)] if lines else []


def run_verify(args: argparse.Namespace) -> int:
    from xeploai.explanation import receipt

    checked = receipt.verify(args.receipt, root=args.root)
    if args.format == "json":
        _print_json(checked.to_json())
    else:
        _out(checked.to_text(args.lang))
    if checked.receipt is None:
        return EXIT_INVALID
    return EXIT_OK if checked.ok else EXIT_PROBLEMS


def run_appeal(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xeploai.explanation import history, receipt
    from xeploai.framework import loader

    lang: str = args.lang
    case = history.CaseHistory(args.case)
    action: str = args.appeal_command
    if action == "show":
        for entry in case.entries():
            _out(f"{entry.seq}. {entry.time} {entry.kind} — {entry.actor}: {entry.text}\n")
        problems = case.verify(args.head)
        for problem in problems:
            _err(f"{problem}\n")
        _out(msg("cli.appeal.head", lang, head=case.head() or "-") + "\n")
        return EXIT_PROBLEMS if problems else EXIT_OK
    if action == "decide":
        data: dict[str, object] = {"level": args.level}
        entry = case.append("decision", args.actor, args.text, data, args.time)
        _out(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
        return EXIT_OK
    checked = receipt.verify(args.receipt)
    if not checked.ok or checked.receipt is None or checked.program is None or checked.replayed is None:
        _out(checked.to_text(lang))
        return EXIT_PROBLEMS
    if action == "open":
        if not case.entries():
            headline = explain.headline(checked.replayed, checked.program, lang)
            case.append("original", args.actor, headline, {"receipt": checked.receipt.to_data()}, args.time)
        entry = case.append("appeal", args.actor, args.text, {}, args.time)
        _out(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
        return EXIT_OK
    corrections = loader.load_file(args.corrections).data
    if not isinstance(corrections, dict):
        raise UsageError(msg("cli.appeal.bad_corrections", lang, path=args.corrections))
    evidence = receipt.read_evidence_json(checked.receipt.evidence_json)
    new, diff = history.reevaluate(checked.program, checked.replayed, evidence, corrections)
    case.append("evidence_added", args.actor, args.corrections, {"corrections": corrections}, args.time)
    data = {"diff": diff.to_json()}
    if args.new_receipt:
        sealed = receipt.make_receipt(
            new,
            checked.program,
            history.apply_corrections(evidence, corrections),
            evidence_source=args.corrections,
            relative_to=Path(args.new_receipt).resolve().parent,
        )
        Path(args.new_receipt).write_text(sealed.to_json(), encoding="utf-8")
        data["receipt"] = sealed.to_data()
    entry = case.append("re_evaluated", args.actor, diff.to_text(lang), data, args.time)
    _out(diff.to_text(lang) + "\n")
    _out(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
    return EXIT_OK


def run_template(args: argparse.Namespace) -> int:
    from xeploai.tables import population_tables as tables

    program = api.load_framework(args.framework)
    unknown = [k for k in args.kinds if k not in program.subjects]
    if unknown:
        kinds = ", ".join(program.subjects)
        issue = Issue.from_text(
            "unknown-subject-kind",
            Text(
                msg("cli.unknown_kind", "vi", kind=unknown[0], kinds=kinds),
                msg("cli.unknown_kind", "en", kind=unknown[0], kinds=kinds),
            ),
            hint=suggest(unknown[0], program.subjects),
        )
        raise EvidenceError(program.info.source, [issue])
    tables.template(program, args.kinds, args.output)
    _out(msg("cli.template.written", args.lang, path=args.output) + "\n")
    return EXIT_OK


class _ProgressBar:
    """A progress bar on stderr that reflects the subjects classified so far (plain lines when not a terminal)."""

    def __init__(self, label: str, enabled: bool = True, every: int = 25) -> None:
        self.label = label
        self.enabled = enabled
        self.every = every  # on a terminal, redrawn every ``every`` steps
        self.tty = sys.stderr.isatty()
        self.last_decile = -1
        self.drawn = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        if self.tty:
            if done != total and done % self.every:
                return
            width = 30
            filled = width * done // total
            _err(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            self.drawn = True
        else:
            decile = 10 * done // total
            if decile != self.last_decile:
                self.last_decile = decile
                _err(f"{self.label}: {done}/{total} ({10 * decile}%)\n")

    def close(self) -> None:
        if self.drawn:
            _err("\n")
            self.drawn = False


# --- entry point --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xeploai`` with ``argv`` (default: the process arguments) and return the exit code."""
    _use_utf8()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help, --version and usage errors
        return _exit_code(exit_.code)
    lang: str = args.lang
    handler: Handler = args.handler
    try:
        return handler(args)
    except UsageError as error:
        _err(f"xeploai {args.command}: {error}\n")
        return EXIT_USAGE
    except (FrameworkError, EvidenceError) as error:
        _err(render_issues(error.issues, error.source, lang) + "\n")
        return EXIT_INVALID
    except tables.TableError as error:
        _err(render_issues(error.issues, error.source, lang) + "\n" if error.issues else f"{error}\n")
        return EXIT_INVALID
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (e.g. `| head`); nothing left to say to it
        return EXIT_OK
    except OSError as error:
        path = error.filename if error.filename is not None else ""
        reason = error.strerror or str(error)
        _err(f"xeploai {args.command}: {msg('cli.cannot_read', lang, path=path, reason=reason)}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        _err(f"xeploai: {msg('cli.interrupted', lang)}\n")
        return EXIT_INTERRUPTED
    except Exception as error:  # the last line of defence: a bug must not show a traceback to a user
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            traceback.print_exc(file=sys.stderr)
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        _err(msg("cli.internal_error", lang, error=detail) + "\n")
        return EXIT_INTERNAL


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


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _counted(**counts: int) -> dict[str, object]:
    """The counts, each with the English plural ending ``<name>_s`` that messages may use."""
    out: dict[str, object] = dict(counts)
    out.update({f"{name}_s": "" if n == 1 else "s" for name, n in counts.items()})
    return out


def _print_json(data: object) -> None:
    _out(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
