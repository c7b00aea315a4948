"""The subcommands on one subject: ``evaluate``, ``explain`` (the dispute packet), ``verify`` and ``appeal``.

In: the parsed arguments naming a framework (file or family folder), an evidence file or a population and a
subject, a receipt or a case history. Out: explanations, packets, receipts and case entries, and the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

from xeploai import api
from xeploai.cli.output import EXIT_INVALID, EXIT_OK, EXIT_PROBLEMS, UsageError, _period, echo, echo_err, print_json
from xeploai.evaluation.trace import Result, Status
from xeploai.explanation import explain
from xeploai.explanation.messages import msg
from xeploai.program.ir import Period, Program
from xeploai.tables.reader import read_population

if TYPE_CHECKING:
    from xeploai.explanation.self_assessment import SelfAssessment


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
            echo_err(f"xeploai evaluate: {error}\n")
            return EXIT_INVALID
        Path(args.receipt).write_text(sealed.to_json(), encoding="utf-8")
    if args.format == "json":
        print_json(explain.to_json(result, program, lang))
    else:
        echo(explain.to_text(result, program, lang))
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
        classified = population.evaluate_population(program, read_population(args.population, program), period)
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
        echo(msg("cli.batch.written", lang, path=args.output) + "\n")
    else:
        echo(text)
    return EXIT_OK


def _self_assessment(result: Result, program: Program, proposed: str | None, lang: str) -> SelfAssessment | None:
    """The comparison with the level the subject proposed, when ``--self-assessment`` names one."""
    if proposed is None:
        return None
    from xeploai.explanation import self_assessment

    try:
        return self_assessment.compare_self_assessment(result, program, proposed)
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
    from xeploai.explanation import verifier

    checked = verifier.verify(args.receipt, root=args.root)
    if args.format == "json":
        print_json(checked.to_json())
    else:
        echo(checked.to_text(args.lang))
    if checked.receipt is None:
        return EXIT_INVALID
    return EXIT_OK if checked.ok else EXIT_PROBLEMS


def run_appeal(args: argparse.Namespace) -> int:
    from xeploai.explanation.history import HistoryError

    try:
        return _run_appeal(args)
    except HistoryError as error:  # a history that cannot be read or extended: its problems, not a traceback
        for problem in error.problems:
            echo_err(f"{problem.text(args.lang)} [{problem.code}]\n")
        return EXIT_PROBLEMS


def _run_appeal(args: argparse.Namespace) -> int:
    from pathlib import Path

    from xeploai.explanation import history, receipt, verifier
    from xeploai.framework import loader

    lang: str = args.lang
    case = history.CaseHistory(args.case)
    action: str = args.appeal_command
    if action == "show":
        for entry in case.entries():
            echo(f"{entry.seq}. {entry.time} {entry.kind} — {entry.actor}: {entry.text}\n")
        problems = case.verify(args.head)
        for problem in problems:
            echo_err(f"{problem}\n")
        echo(msg("cli.appeal.head", lang, head=case.head() or "-") + "\n")
        return EXIT_PROBLEMS if problems else EXIT_OK
    if action == "decide":
        data: dict[str, object] = {"level": args.level}
        entry = case.append("decision", args.actor, args.text, data, args.time)
        echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
        return EXIT_OK
    checked = verifier.verify(args.receipt)
    if not checked.ok or checked.receipt is None or checked.program is None or checked.replayed is None:
        echo(checked.to_text(lang))
        return EXIT_PROBLEMS
    if action == "open":
        if not case.entries():
            headline = explain.headline(checked.replayed, checked.program, lang)
            case.append("original", args.actor, headline, {"receipt": checked.receipt.to_data()}, args.time)
        entry = case.append("appeal", args.actor, args.text, {}, args.time)
        echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
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
    echo(diff.to_text(lang) + "\n")
    echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
    return EXIT_OK
