"""The subcommands on one subject: ``evaluate``, ``explain`` (the dispute packet), ``verify`` and ``appeal``.

In: the parsed arguments naming a framework (file or family folder), an evidence file or a population and a
subject, a receipt or a case history. Out: explanations, packets, receipts and case entries, and the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from xeploai import api
from xeploai.cli.output import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PROBLEMS,
    UsageError,
    _period,
    echo,
    echo_err,
    load_evidence,
    print_json,
)
from xeploai.evaluation.trace import NodeKind, Result, Status
from xeploai.explanation import explain
from xeploai.explanation.messages import MESSAGES, msg
from xeploai.program.ir import Period, Program, Text

if TYPE_CHECKING:
    from xeploai.evaluation.runs import RunResult
    from xeploai.explanation.counterfactual import ChangeSet
    from xeploai.explanation.history import CaseHistory, Entry
    from xeploai.explanation.self_assessment import SelfAssessment
    from xeploai.explanation.signing import SigningKey


def _signing_key(args: argparse.Namespace) -> SigningKey | None:
    from xeploai.explanation import signing

    path = getattr(args, "sign_key", None)
    return None if path is None else signing.load_signing_key(path)


def run_keygen(args: argparse.Namespace) -> int:
    from xeploai.explanation import signing

    public = args.public or f"{args.key}.pub"
    for path in (args.key, public):
        if os.path.lexists(path):
            raise UsageError(msg("cli.keygen.exists", args.lang, path=path))
    key_id = signing.generate_key_pair(args.key, public)
    echo(msg("cli.keygen.written", args.lang, private=args.key, public=public, key_id=key_id) + "\n")
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    lang: str = args.lang
    if args.sign_key and not args.receipt:
        raise UsageError(msg("cli.sign_needs_receipt", lang))
    signing_key = _signing_key(args)  # before the work: a key that cannot be used stops here
    period = None
    if args.period is not None:
        period = _period(args.period, lang)
    program = None if os.path.isdir(args.framework) else api.load_framework(args.framework)
    evidence = load_evidence(args.evidence)
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
        if signing_key is not None:
            sealed = receipt.sign_receipt(sealed, signing_key)
        _write_text(args.receipt, sealed.to_json())
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
        run = _run_for(args.framework, args.population, period, lang)
        if run is not None:
            for part in run.parts:
                for found in part.results:
                    if found.subject_id == args.subject:
                        return found, part.program
            raise UsageError(msg("cli.explain.no_subject", lang, subject=args.subject))
        program = _program_for(args.framework, period, lang, getattr(args, "what_if", False))
        from xeploai.tables.reader import read_population

        classified = population.evaluate_population(program, read_population(args.population, program), period)
        try:
            return classified.result(args.subject), program
        except KeyError:
            raise UsageError(msg("cli.explain.no_subject", lang, subject=args.subject)) from None
    if not args.evidence:
        raise UsageError(msg("cli.explain.no_evidence", lang))
    evidence = load_evidence(args.evidence)
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


def _person_results(args: argparse.Namespace) -> list[tuple[Result, Program]]:
    """Every result of ``--person`` in the population, with the program each was made under."""
    from xeploai.evaluation import population

    lang: str = args.lang
    if not args.population or args.period is None:
        raise UsageError(msg("cli.explain.population_args", lang))
    period = _period(args.period, lang)
    run = _run_for(args.framework, args.population, period, lang)
    if run is not None:
        found = [(r, part.program) for part in run.parts for r in part.results]
    else:
        from xeploai.tables.reader import read_population

        program = _program_for(args.framework, period, lang, getattr(args, "what_if", False))
        classified = population.evaluate_population(program, read_population(args.population, program), period)
        found = [(r, program) for r in classified.results]
    mine = [(r, p) for r, p in found if r.extras.get("person", r.subject_id) == args.person]
    if not mine:
        raise UsageError(msg("cli.person.none", lang, person=args.person))
    return mine


def _run_for(framework: str, data: str, period: Period, lang: str) -> RunResult | None:
    """For a folder whose files in force for ``period`` are several (or ``all``), the population classified as one
    run; None for a framework file or a folder with one file in force."""
    from xeploai.evaluation import population, runs
    from xeploai.framework import families, selection
    from xeploai.tables import combined

    folder = families.frameworks_root() if framework == "all" else framework
    if folder is None or not os.path.isdir(folder):
        return None
    chosen = selection.select_kinds(folder, period)
    if len(chosen.programs) < 2:
        return None
    programs = [program for _, program in chosen.programs]
    try:
        return runs.evaluate_run(programs, combined.read_run_population(data, programs), period, chosen.reasons)
    except (runs.RunError, population.OrderError) as error:
        raise UsageError(str(error)) from None


def person_text(results: Sequence[tuple[Result, Program]], person: str, lang: str) -> str:
    """Every result of one person: kind, framework file, level, and the linked results each read."""
    lines = [msg("cli.person.title", lang, person=person)]
    for result, program in results:
        outcome = result.outcome
        level = program.level_code(outcome.level) if outcome.level else msg(f"outcome.{outcome.status.value}", lang)
        lines.append(
            msg(
                "cli.person.result",
                lang,
                subject=result.subject_id,
                kind=result.subject_kind,
                framework=f"{result.framework_family}/{os.path.splitext(os.path.basename(result.framework_source))[0]}",
                version=result.framework_version,
                level=level,
            )
        )
        selected = result.extras.get("selected")
        if isinstance(selected, dict):
            lines.append(f"    {msg('label.selection', lang)}: {selected.get(lang, selected.get('vi'))}")
        for node in result.trace.children:
            if node.kind is not NodeKind.LINK:
                continue
            details = dict(node.details)
            cite = f"{node.cite.doc}, {node.cite.at}" if node.cite else ""
            if details.get("origin") == "computed":
                lines.append(
                    msg(
                        "cli.person.link",
                        lang,
                        field=node.id,
                        subject=details.get("subject"),
                        kind=details.get("kind"),
                        framework=f"{details.get('family')}/{details.get('version')}",
                        level=details.get("level") or "—",
                        cite=cite,
                    )
                )
            else:
                lines.append(msg("cli.person.given", lang, field=node.id, value=details.get("given") or "—", cite=cite))
    return "\n".join(lines) + "\n"


def _program_for(framework: str, period: Period, lang: str, what_if: bool = False) -> Program:
    if not os.path.isdir(framework):
        from xeploai.framework import selection

        program = api.load_framework(framework)
        reason = selection.out_of_force(framework, program, period)
        if reason is not None and not what_if:
            raise UsageError(msg("cli.what_if", lang, reason=reason.get(lang)))
        return program
    try:
        return api.select_framework(framework, period).program
    except api.NoFrameworkError as error:
        raise UsageError(str(error)) from None


def run_explain(args: argparse.Namespace) -> int:
    from datetime import date

    from xeploai.explanation import packet, redact

    lang: str = args.lang
    if getattr(args, "person", None):
        echo(person_text(_person_results(args), args.person, lang))
        return EXIT_OK
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
    changes = _smallest_changes(result, program)
    extra = _self_assessment_section(assessment, lang) + _smallest_change_section(changes, program, lang)
    # Every format carries the same content: the packet's sections, or in JSON the explanation with the facts
    # table, the smallest changes and the self-assessment beside it.
    if args.format == "json":
        document = explain.to_json(result, program, lang)
        document["facts"] = packet.facts_json(result, program, lang)
        document["smallest_changes"] = _smallest_changes_json(changes, program)
        if assessment is not None:
            document["self_assessment"] = assessment.to_json()
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "text":
        text = packet.to_text(result, program, lang, extra_sections=extra, prepared_on=prepared_on)
    elif args.format == "md":
        text = packet.to_markdown(result, program, lang, extra_sections=extra, prepared_on=prepared_on)
    else:
        text = packet.to_html(result, program, lang, extra_sections=extra, prepared_on=prepared_on)
    if args.output:
        _write_text(args.output, text)
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


def _smallest_changes(result: Result, program: Program) -> dict[str, list[ChangeSet]]:
    """The smallest evidence changes that reach each higher level, when the result came from one evidence file."""
    raw = result.extras.get("raw_evidence")
    if not isinstance(raw, dict) or result.outcome.status is not Status.CLASSIFIED:
        return {}
    from xeploai.explanation import counterfactual

    return counterfactual.for_each_higher_level(program, result.subject_kind, raw, result.period)


def _smallest_change_section(
    changes: dict[str, list[ChangeSet]], program: Program, lang: str
) -> list[tuple[str, list[str]]]:
    from xeploai.explanation import counterfactual

    lines: list[str] = []
    for level, change_sets in changes.items():
        code = program.level_code(level)
        for change_set in change_sets:
            parts = [line.strip().removeprefix("- ") for line in counterfactual.to_text(change_set, lang).splitlines()]
            lines.append(f"{code}: " + "; ".join(p for p in parts if p))
    return [(msg("section.smallest_change", lang), lines)] if lines else []


def _smallest_changes_json(changes: dict[str, list[ChangeSet]], program: Program) -> list[dict[str, object]]:
    def raw(value: object) -> object:
        return json.loads(json.dumps(value, ensure_ascii=False, default=str))  # dates and fractions as text

    return [
        {
            "level": level,
            "code": program.level_code(level),
            "change_sets": [
                {
                    "reaches": change_set.reaches,
                    "changes": [
                        {
                            "field": c.field,
                            "before": raw(c.before),
                            "after": raw(c.after),
                            "kind": c.kind,
                            "actionable": c.actionable,
                            "text": {"vi": c.text.vi, "en": c.text.en},
                        }
                        for c in change_set.changes
                    ],
                }
                for change_set in change_sets
            ],
        }
        for level, change_sets in changes.items()
    ]


def run_verify(args: argparse.Namespace) -> int:
    from xeploai.explanation import signing, verifier

    public = None if args.public_key is None else signing.load_public_key(args.public_key)
    checked = verifier.verify(args.receipt, root=args.root, public_key=public)
    if args.format == "json":
        print_json(checked.to_json())
    else:
        echo(checked.to_text(args.lang))
    # 1 only when something was found wrong; 3 when it could not be checked (not a sign of tampering)
    return {"verified": EXIT_OK, "failed": EXIT_PROBLEMS, "unverifiable": EXIT_INVALID}[checked.verdict]


def _write_text(path: str, text: str) -> None:
    """Write a file whole or not at all (a temporary name beside it, renamed once complete)."""
    from xeploai.tables.outputs import atomic_file

    with atomic_file(path) as temp:
        temp.write_text(text, encoding="utf-8")


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
    if action != "show":
        try:
            history.iso_time(args.time)
        except ValueError:
            raise UsageError(msg("cli.appeal.bad_time", lang, value=args.time)) from None
    if action == "show":
        from xeploai.explanation import signing

        public = None if args.public_key is None else signing.load_public_key(args.public_key)
        entries, problems = case.read(args.head, public)
        for entry in entries:
            kind = msg(f"appeal.kind.{entry.kind}", lang) if f"appeal.kind.{entry.kind}" in MESSAGES else entry.kind
            level = entry.data.get("level") if isinstance(entry.data, dict) else None
            decided = f" ({msg('appeal.level', lang)}: {level})" if level else ""
            echo(f"{entry.seq}. {entry.time} {kind} — {entry.actor}: {entry.text}{decided}\n")
        for problem in problems:
            echo_err(f"{problem.text(lang)} [{problem.code}]\n")
        if problems:
            echo_err(msg("cli.appeal.damaged", lang, path=args.case, count=len(problems)) + "\n")
            return EXIT_PROBLEMS
        echo(msg("cli.appeal.head", lang, head=case.head() or "-") + "\n")
        return EXIT_OK
    signing_key = _signing_key(args)
    try:
        if action == "decide":
            return _decide(args, case, signing_key)
        checked = verifier.verify(args.receipt)
        if not checked.ok or checked.receipt is None or checked.program is None or checked.replayed is None:
            echo(checked.to_text(lang))
            return EXIT_PROBLEMS
        if action == "open":
            if not case.entries():
                headline = explain.headline(checked.replayed, checked.program, lang)
                data: dict[str, object] = {"receipt": checked.receipt.to_data(), "levels": _levels(checked.program)}
                case.append("original", args.actor, headline, data, args.time, signing_key=signing_key)
            entry = case.append("appeal", args.actor, args.text, {}, args.time, signing_key=signing_key)
            echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
            return EXIT_OK
        corrections = loader.load_file(args.corrections).data
        if not isinstance(corrections, dict):
            raise UsageError(msg("cli.appeal.bad_corrections", lang, path=args.corrections))
        evidence = receipt.read_evidence_json(checked.receipt.evidence_json)
        new, diff = history.reevaluate(checked.program, checked.replayed, evidence, corrections)
        added = {"corrections": corrections}
        case.append("evidence_added", args.actor, args.corrections, added, args.time, signing_key=signing_key)
        data = {"diff": diff.to_json()}
        if args.new_receipt:
            sealed = receipt.make_receipt(
                new,
                checked.program,
                history.apply_corrections(evidence, corrections),
                evidence_source=args.corrections,
                relative_to=Path(args.new_receipt).resolve().parent,
            )
            if signing_key is not None:
                sealed = receipt.sign_receipt(sealed, signing_key)
            _write_text(args.new_receipt, sealed.to_json())
            data["receipt"] = sealed.to_data()
        entry = case.append("re_evaluated", args.actor, diff.to_text(lang), data, args.time, signing_key=signing_key)
        echo(diff.to_text(lang) + "\n")
        echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
        return EXIT_OK
    except history.HistoryError as error:
        for problem in error.problems:
            echo_err(f"{problem.text(lang)} [{problem.code}]\n")
        echo_err(msg("cli.appeal.damaged", lang, path=args.case, count=len(error.problems)) + "\n")
        return EXIT_PROBLEMS
    except OSError as error:
        if error.filename is not None and Path(error.filename) != case.path:
            raise
        # the history could not be extended (a full disk): the append left the file as it was
        reason = error.strerror or str(error)
        from xeploai.tables.outputs import OutputError

        raise OutputError(args.case, Text(reason, reason)) from None


def _levels(program: Program) -> list[dict[str, str]]:
    """The framework's levels as a history records them, so that a decision can be checked against them."""
    return [{"id": v.id, "code": v.code, "vi": v.label.vi, "en": v.label.en} for v in program.levels.values]


def _decide(args: argparse.Namespace, case: CaseHistory, signing_key: SigningKey | None) -> int:
    """``appeal decide``: the level decided must be one of the framework's (by id or code); recorded by id."""
    from xeploai.explanation import history

    lang: str = args.lang
    entries, problems = case.read()
    if problems:
        raise history.HistoryError(problems)
    data: dict[str, object] = {"level": None}
    if args.level is not None:
        framework, levels = _recorded_levels(case, entries)
        if levels is None:
            raise UsageError(msg("cli.appeal.no_levels", lang, value=args.level))
        found = next((v for v in levels if args.level in (v["id"], v["code"])), None)
        if found is None:
            known = ", ".join(f"{v['id']} ({v['code']})" for v in levels)
            raise UsageError(msg("cli.appeal.unknown_level", lang, value=args.level, framework=framework, known=known))
        data = {"level": found["id"], "level_code": found["code"]}
    entry = case.append("decision", args.actor, args.text, data, args.time, signing_key=signing_key)
    echo(msg("cli.appeal.head", lang, head=entry.hash) + "\n")
    return EXIT_OK


def _recorded_levels(case: CaseHistory, entries: list[Entry]) -> tuple[str, list[dict[str, str]] | None]:
    """The framework of the case (its family and version) and its levels: as the original entry records them, or,
    for a history written before levels were recorded, from the framework its receipt names (found beside the
    history or in the current folder)."""
    from xeploai.explanation import verifier

    original = next((e for e in entries if e.kind == "original"), None)
    if original is None:
        return "", None
    sealed = original.data.get("receipt")
    framework = ""
    if isinstance(sealed, dict) and isinstance(sealed.get("framework"), dict):
        named = sealed["framework"]
        framework = f"{named.get('family', '')} {named.get('version', '')}".strip()
    levels = original.data.get("levels")
    if isinstance(levels, list) and all(isinstance(v, dict) and {"id", "code"} <= set(v) for v in levels):
        return framework, [{k: str(v) for k, v in level.items()} for level in levels]
    if not isinstance(sealed, dict):
        return framework, None
    for root in (case.path.resolve().parent, None):
        checked = verifier.verify(sealed, root=root)
        if checked.program is not None:
            return framework, _levels(checked.program)
    return framework, None
