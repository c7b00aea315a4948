"""The subcommands on framework files: ``check`` (with ``--deep``), ``schema``, ``test`` and ``diff``.

In: the parsed arguments naming framework, test and population files. Out: issues, findings, schemas, test
results and rule-by-rule differences on the console, and the exit code.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from xeploai import api
from xeploai.cli.output import (
    EXIT_OK,
    EXIT_PROBLEMS,
    STDIN,
    UsageError,
    _period,
    counted,
    echo,
    echo_err,
    print_json,
    read_stdin,
)
from xeploai.cli.reports import issue_line, outcome_line, tests_json, tests_junit
from xeploai.explanation.messages import msg
from xeploai.program.ir import Text
from xeploai.program.issues import EvidenceError, Issue, render_issues, suggest

if TYPE_CHECKING:
    from xeploai.analysis.fidelity import Fidelity
    from xeploai.analysis.findings import Finding


DEFAULT_BUDGET = 10.0  # seconds of analysis per framework, for check --deep


def run_check(args: argparse.Namespace) -> int:
    if (args.strict or args.seed is not None or args.budget is not None) and not args.deep:
        raise UsageError(msg("cli.check.needs_deep", args.lang))
    if args.deep and STDIN in args.paths:
        raise UsageError(msg("cli.check.deep_stdin", args.lang))
    if getattr(args, "fidelity", False) and STDIN in args.paths:
        raise UsageError(msg("cli.check.fidelity_stdin", args.lang))
    results = _check_paths(args.paths)
    errors = sum(1 for issues in results.values() for i in issues if i.severity == "error")
    warnings = sum(1 for issues in results.values() for i in issues if i.severity != "error")
    missing_tests: set[str] = set()
    deep = _deep_findings(results, args, missing_tests) if args.deep else {}
    undeclared = sum(1 for findings in deep.values() for f in findings if not f.declared)
    reports = _fidelity(results) if getattr(args, "fidelity", False) else {}
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
                entry["tests_file"] = file not in missing_tests
            if file in reports:
                entry["fidelity"] = fidelity_json(reports[file], args.lang)
            files.append(entry)
        report: dict[str, object] = {"files": files, "errors": errors, "warnings": warnings}
        if args.deep:
            report["findings"] = {"undeclared": undeclared, "declared": sum(map(len, deep.values())) - undeclared}
        print_json(report)
    elif args.format == "lines":
        for file, issues in results.items():
            for issue in issues:
                echo(issue_line(issue, file, args.lang) + "\n")
        for file, findings in deep.items():
            for finding in findings:
                if not finding.declared:
                    echo(issue_line(finding.to_issue(args.lang), file, args.lang) + "\n")
        counts = counted(files=len(results), errors=errors, warnings=warnings + undeclared)
        echo_err(msg("cli.check.summary" if errors or warnings + undeclared else "cli.check.ok", args.lang, **counts))
        echo_err("\n")
    else:
        for file, issues in results.items():
            if issues:
                echo(render_issues(issues, file, args.lang) + "\n\n")
        for file, findings in deep.items():
            _print_findings(file, findings, args.lang)
        for file, sourced in reports.items():
            echo(fidelity_text(sourced, file, args.lang) + "\n")
        warnings += undeclared
        counts = counted(files=len(results), errors=errors, warnings=warnings)
        key = "cli.check.summary" if errors or warnings else "cli.check.ok"
        echo(msg(key, args.lang, **counts) + "\n")
    return EXIT_PROBLEMS if errors or (args.strict and (undeclared or warnings)) else EXIT_OK


def _fidelity(results: dict[str, list[Issue]]) -> dict[str, Fidelity]:
    """The fidelity report of every file the ordinary check passed."""
    from xeploai.analysis.fidelity import fidelity

    return {
        file: fidelity(api.load_framework(file))
        for file, issues in results.items()
        if not any(i.severity == "error" for i in issues)
    }


def _place(where: str, lang: str) -> str:
    from xeploai.analysis.fidelity import PROCESS, QUOTAS

    return msg(f"fidelity.place.{where}", lang) if where in (QUOTAS, PROCESS) else where


def fidelity_text(report: Fidelity, file: str, lang: str) -> str:
    """The counts per kind and the entries without a quote, as a console table."""
    lines = [msg("cli.check.fidelity_head", lang, file=file)]
    rows = [(_place(w, lang), report.counts(w)) for w in report.places()]
    rows.append((msg("cli.check.fidelity_total", lang), report.counts()))
    width = max(len(name) for name, _ in rows)
    for name, counts in rows:
        figures = "".join(f"{counts[m]:>6}" for m in ("confirmed", "secondary", "assumed"))
        lines.append(f"  {name:<{width}}{figures}")
    unquoted = report.unquoted()
    if not unquoted:
        lines.append(msg("cli.check.fidelity_all_quoted", lang))
        return "\n".join(lines) + "\n"
    n = len(unquoted)
    lines.append(msg("cli.check.fidelity_unquoted", lang, count=n, count_ies="y" if n == 1 else "ies"))
    for entry in unquoted:
        role = msg(f"fidelity.role.{entry.role}", lang)
        lines.append(
            f"  {_place(entry.where, lang)}.{entry.id} ({role}, {entry.confidence.value}): {entry.label.get(lang)}"
        )
    return "\n".join(lines) + "\n"


def fidelity_json(report: Fidelity, lang: str) -> dict[str, object]:
    return {
        "counts": report.counts(),
        "kinds": {where: report.counts(where) for where in report.places()},
        "unquoted": [
            {
                "where": e.where,
                "role": e.role,
                "id": e.id,
                "confidence": e.confidence.value,
                "label": e.label.get(lang),
                "cite": {"doc": e.cite.doc, "at": e.cite.at},
            }
            for e in report.unquoted()
        ],
    }


def _check_paths(paths: list[str]) -> dict[str, list[Issue]]:
    """Every framework file's issues, in the order named; ``-`` is the framework text on standard input."""
    results: dict[str, list[Issue]] = {}
    for path in paths:
        if path == STDIN:
            results["<stdin>"] = api.check_text(read_stdin())
        else:
            results.update(api.check_paths([path]))
    return results


def _deep_findings(
    results: dict[str, list[Issue]], args: argparse.Namespace, missing_tests: set[str]
) -> dict[str, list[Finding]]:
    """The whole-framework analysis of every file the ordinary check passed, declared findings included; the files
    without a tests file are added to ``missing_tests``."""
    from pathlib import Path

    from xeploai.analysis import framework_tests, search

    out: dict[str, list[Finding]] = {}
    for file, issues in results.items():
        if any(i.severity == "error" for i in issues):
            continue
        program = api.load_framework(file)
        tests = search.find_tests(program)
        if tests is None:
            # No tests file: every rule is untested, and the analysis is told to say so rule by rule.
            tests = framework_tests.tests_of(Path(program.info.source))
            if args.format == "text":
                echo(msg("cli.check.no_tests", args.lang, file=file, tests=tests.name) + "\n\n")
            missing_tests.add(file)
        budget = DEFAULT_BUDGET if args.budget is None else args.budget
        out[file] = search.analyse(program, tests, budget_seconds=budget, seed=args.seed or 0)
    return out


def _print_findings(file: str, findings: list[Finding], lang: str) -> None:
    """The findings the framework does not declare, each with its evidence documents; a count of the others."""
    import yaml

    shown = [f for f in findings if not f.declared]
    if shown:
        echo(render_issues([f.to_issue(lang) for f in shown], file, lang) + "\n")
        for finding in shown:
            for example in finding.counterexamples:
                kind = finding.kinds[0] if finding.kinds else finding.kind
                document = yaml.safe_dump(example.to_document(kind), allow_unicode=True, sort_keys=False)
                echo(f"  {finding.code} — {example.role} ({example.outcome}):\n")
                echo("".join(f"    {line}\n" for line in document.splitlines()))
        echo("\n")
    declared = len(findings) - len(shown)
    if declared:
        echo(msg("cli.check.declared", lang, file=file, **counted(declared=declared)) + "\n")


def run_schema(args: argparse.Namespace) -> int:
    from xeploai.analysis import document_schemas

    if args.whole and not args.evidence:
        raise UsageError(msg("cli.schema.whole_needs_evidence", args.lang))
    if args.document and args.evidence:
        raise UsageError(msg("cli.schema.one_schema", args.lang))
    if args.document:
        made = document_schemas.EDITOR_SCHEMAS[f"{args.document}.schema.json"]()
        # Sorted keys: the checked-in schema/<document>.schema.json is exactly this output.
        echo(json.dumps(made, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    elif args.evidence:
        framework, kind = args.evidence
        program = api.load_framework(api.resolve_framework(framework))
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
        if args.whole:
            print_json(document_schemas.evidence_file_schema(program, kind))
        else:
            print_json(api.evidence_json_schema(program, kind))
    else:
        # Sorted keys: the checked-in schema/framework.schema.json is exactly this output.
        echo(json.dumps(api.framework_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


def run_test(args: argparse.Namespace) -> int:
    lang: str = args.lang
    outcomes = api.run_framework_tests(args.paths)
    failed = [o for o in outcomes if not o.passed]
    if args.format != "text":
        if args.format == "json":
            echo(tests_json(outcomes))
        elif args.format == "junit":
            echo(tests_junit(outcomes))
        else:
            echo("".join(outcome_line(o) + "\n" for o in failed))
        if not outcomes:
            echo_err(f"xeploai test: {msg('cli.test.none', lang)}\n")
        elif args.format == "lines":
            echo_err(msg("cli.test.summary", lang, passed=len(outcomes) - len(failed), failed=len(failed)) + "\n")
        return EXIT_PROBLEMS if failed or not outcomes else EXIT_OK
    for outcome in failed:
        echo(f"{msg('cli.test.fail', lang)} {outcome.file}: {outcome.name}\n")
        for message in outcome.messages:
            echo("".join(f"  {line}\n" for line in message.splitlines() or [""]))
        if outcome.span is not None:
            echo(f"  at {outcome.span}\n")
        echo("\n")
    if not outcomes:
        echo_err(f"xeploai test: {msg('cli.test.none', lang)}\n")
        return EXIT_PROBLEMS
    echo(msg("cli.test.summary", lang, passed=len(outcomes) - len(failed), failed=len(failed)) + "\n")
    return EXIT_PROBLEMS if failed else EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    from xeploai.analysis import diff
    from xeploai.evaluation import population
    from xeploai.tables.reader import read_population

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
            population.evaluate_population(program, read_population(data, program), period)
            for program, data in ((before, data_a), (after, data_b))
        ]
        replayed = diff.replay(results[0], results[1])
    if args.format == "json":
        print_json(diff.to_json(changes, replayed))
    else:
        echo(diff.to_text(changes, replayed, diff.level_codes([before, after]), lang))
    return EXIT_OK
