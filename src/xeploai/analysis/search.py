"""Whole-framework analysis: a compiled program (and the framework tests beside it) → findings with evidence.

Input: an ``ir.Program`` and, optionally, its ``*.tests.yaml``. Output: ``Finding`` records — levels no evidence
reaches, evidence that falls through every level, rules that never hold or never fail, shadowed list entries,
fields nothing reads, rules no test exercises, better evidence giving a worse level — each carrying evidence
documents that were re-evaluated through ``inputs.evaluate``. The search enumerates boundary values derived from the
program, then samples with a seeded ``random.Random``: the same program, tests, seed and budget give the same
findings. A finding that says "never" is the result of a bounded search, not a proof; it says whether the search was
exhaustive over the boundary values of the fields involved. This module runs the search of each subject kind
(``explorer``), merges the findings (``findings``, ``coverage``) and marks those the framework declares.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from xeploai.analysis.coverage import Tests, read_tests, untested, unused_fields
from xeploai.analysis.explorer import Explorer
from xeploai.analysis.findings import Finding, kind_findings
from xeploai.analysis.walk import field_of
from xeploai.program import ir
from xeploai.program.issues import ANALYSIS_CODES

__all__ = ["CODES", "analyse", "find_tests"]

# The codes of this module, in the order findings are sorted. Each has a section in docs/reference/issue-codes.md.
CODES = ANALYSIS_CODES

# How many full evaluations a second of budget buys, shared by the subject kinds. A fixed count, not a clock,
# keeps the search deterministic; the clock only stops a search that runs far slower than expected.
EVALUATIONS_PER_SECOND = 600


def find_tests(program: ir.Program) -> Path | None:
    """The ``<effective-from>.tests.yaml`` beside the program's framework file, if there is one."""
    source = Path(program.info.source)
    candidate = source.with_name(source.name.removesuffix(".yaml") + ".tests.yaml")
    return candidate if candidate.is_file() else None


def analyse(
    program: ir.Program,
    tests_path: str | os.PathLike[str] | None,
    *,
    budget_seconds: float = 10,
    seed: int = 0,
    exceptions: Sequence[str] = (),
    better: Mapping[str, str] | None = None,
    period: ir.Period | None = None,
) -> list[Finding]:
    """Analyse every subject kind of ``program``; findings sorted by kind, code and path.

    ``tests_path``: the framework tests (``None``: no test coverage check, and no seeds from tests).
    ``exceptions``: findings to declare beyond the framework's own ``exceptions:``, each ``[code:][kind.]id``
    naming a rule, cap, note, field or level the finding involves; declared findings are kept with
    ``declared=True`` (and, when the framework declares them, its declaration in ``exception``).
    ``better``: the better direction of evidence fields (``{"sick_leave_months": "lower"}``, record fields as
    ``"discipline[].form"``), overriding the framework's ``better:`` and the direction derived from the rules.
    ``period``: the period evidence is evaluated for (default: the tests' period, else the year the framework
    takes effect).
    """
    started = time.monotonic()
    deadline = started + 3 * budget_seconds + 10  # the count budget normally ends the search well before
    tests = read_tests(program, Path(tests_path)) if tests_path is not None else Tests()
    chosen = period or tests.period or _default_period(program)
    kinds = _kind_order(program)
    total = max(int(budget_seconds * EVALUATIONS_PER_SECOND), 50 * len(kinds))
    findings: list[Finding] = []
    searches: dict[str, Explorer] = {}
    truncated: list[str] = []
    for kind in kinds:
        rng = random.Random(f"xeploai-analysis:{seed}:{kind}")
        share = total // len(kinds)
        search = Explorer(program, kind, chosen, rng, share, deadline, tests.seeds.get(kind, []), better or {})
        search.run()
        searches[kind] = search
        if search.truncated:
            truncated.append(kind)
        findings.extend(kind_findings(search))
    findings.extend(unused_fields(program, searches))
    if tests_path is not None:
        findings.extend(untested(program, tests, searches))
    if truncated:
        findings.append(
            Finding(
                "analysis-truncated",
                truncated[0],
                "subjects",
                None,
                ir.Text(
                    f"phân tích dừng ở giới hạn thời gian khi xét {', '.join(truncated)}; kết quả có thể khác giữa "
                    "các máy",
                    f"the search stopped at its time limit for {', '.join(truncated)}; findings may differ between "
                    "machines",
                ),
                kinds=tuple(truncated),
            )
        )
    merged = _merge(findings)
    declared = [_declare(program, f, exceptions) for f in merged]
    order = {kind: i for i, kind in enumerate(kinds)}
    return sorted(declared, key=lambda f: (order.get(f.kind, len(order)), CODES.index(f.code), f.path))


# --- declared exceptions, merging --------------------------------------------------------------------------


def _declare(program: ir.Program, finding: Finding, exceptions: Sequence[str]) -> Finding:
    """The finding, declared when the framework's exceptions (or the caller's) name it."""
    exception = _framework_exception(program, finding)
    if exception is not None:
        return replace(finding, declared=True, exception=exception)
    if _is_declared(finding, exceptions):
        return replace(finding, declared=True)
    return finding


def _framework_exception(program: ir.Program, finding: Finding) -> ir.FindingException | None:
    """The framework's exception declaring a finding: one naming its code and an id it involves, in every kind it
    was found in. A record type's field (found in no kind) is declared by any kind naming it through a records
    field (``discipline[].form``)."""
    kinds = finding.kinds or ((finding.kind,) if finding.kind else ())
    if not kinds:
        if len(finding.involves) < 2:
            return None
        name, record = finding.involves[0], finding.involves[1]
        for subject in program.subjects.values():
            for e in subject.exceptions:
                if e.code == finding.code and _record_field(program, subject, e.id) == (record, name):
                    return e
        return None
    first: ir.FindingException | None = None
    for kind in kinds:
        holder = program.subjects.get(kind)
        own = holder.exceptions if holder is not None else ()
        found = next((e for e in own if e.code == finding.code and e.id in finding.involves), None)
        if found is None:
            return None
        first = first or found
    return first


def _record_field(program: ir.Program, subject: ir.SubjectProgram, ident: str) -> tuple[str, str] | None:
    """``discipline[].form`` → (the record type of ``discipline``, ``form``)."""
    holder, sep, name = ident.partition("[].")
    f = field_of(program, subject, (holder,)) if sep else None
    if f is None or not isinstance(f.type, ir.RecordsType):
        return None
    return f.type.record, name


def _is_declared(finding: Finding, exceptions: Sequence[str]) -> bool:
    """Whether an entry ``[code:][kind.]id`` names the finding (``id`` may itself hold dots: ``discipline[].form``)."""
    for entry in exceptions:
        code, _, rest = entry.rpartition(":")
        if code and code != finding.code:
            continue
        if rest in finding.involves:
            return True
        kind, _, ident = rest.partition(".")
        if ident and kind in (*finding.kinds, finding.kind) and ident in finding.involves:
            return True
    return False


def _merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per code and path: a fault of a rule inherited by several kinds is reported once."""
    merged: dict[tuple[str, str], Finding] = {}
    for f in findings:
        key = (f.code, f.path)
        known = merged.get(key)
        kinds = f.kinds or ((f.kind,) if f.kind else ())
        if known is None:
            merged[key] = replace(f, kinds=kinds)
        else:
            extra = tuple(k for k in kinds if k not in known.kinds)
            merged[key] = replace(known, kinds=known.kinds + extra)
    return list(merged.values())


def _kind_order(program: ir.Program) -> list[str]:
    """Kinds with every parent before its children, otherwise in the framework's order."""
    out: list[str] = []

    def visit(kind: str) -> None:
        if kind in out:
            return
        parent = program.subjects[kind].extends
        if parent is not None and parent in program.subjects:
            visit(parent)
        out.append(kind)

    for kind in program.subjects:
        visit(kind)
    return out


def _default_period(program: ir.Program) -> ir.Period:
    year = program.info.effective_from.year
    return ir.Period(date(year, 1, 1), date(year, 12, 31), "annual")
