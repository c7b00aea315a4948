"""The subcommands on a whole population: ``batch`` (with the review process and the official tables),
``readings`` and ``template``.

In: the parsed arguments naming a framework, a population (folder, workbook or document) and the process inputs.
Out: the result tables, summaries and rejections written to files, progress on stderr, and the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from xeploai import api
from xeploai.cli.engines import choose_engine
from xeploai.cli.output import EXIT_INVALID, EXIT_OK, UsageError, _period, echo, echo_err, redraw_err
from xeploai.evaluation import links
from xeploai.evaluation import population as population_model
from xeploai.evaluation.links import has_links, links_own_kinds
from xeploai.explanation import explain
from xeploai.explanation.messages import msg
from xeploai.program.ir import Period, Program, Text
from xeploai.program.issues import EvidenceError, Issue, suggest
from xeploai.tables import reader, templates, writers

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from xeploai.evaluation.bulk_result import BulkResult
    from xeploai.evaluation.trace import Result
    from xeploai.framework.selection import KindSelection
    from xeploai.process.periods import PeriodFacts
    from xeploai.process.process_tables import ProcessInput
    from xeploai.tables.outputs import OutputFolder


def run_batch(args: argparse.Namespace) -> int:
    from xeploai.tables.outputs import OutputFolder

    lang: str = args.lang
    if args.format == "parquet":
        _needs_pyarrow(lang)
    period = _period(args.period, lang)
    # The folder is locked from the start, so that a second batch into it stops at once rather than after the work;
    # every table is written to a temporary name and renamed once complete; manifest.json comes last.
    with OutputFolder(args.out, ["xeploai", *getattr(args, "argv", ["batch"])]) as folder:
        return _batch(args, period, folder)


def _batch(args: argparse.Namespace, period: Period, folder: OutputFolder) -> int:
    import time

    from xeploai.evaluation import population, report

    lang: str = args.lang
    started = time.perf_counter()
    chosen = _kinds_in_force(args.framework, period)
    if chosen is not None and len(chosen.programs) > 1:
        return _batch_run(args, period, folder, chosen, started)
    program = _chosen_readings(
        _program_in_force(args.framework, period, lang, getattr(args, "what_if", False)),
        getattr(args, "reading", []),
        lang,
    )
    if not args.quiet:
        echo_err(msg("cli.batch.reading", lang, path=args.data) + "\n")
    bulk_input = None
    if _reads_columns(args, program):
        # A folder read column-wise: Parquet metadata or the CSV's line count decides the engine, no row is read.
        from xeploai.tables import parquet

        engine = _batch_engine(args, parquet.subject_rows(args.data, program), lang, program)
        if engine == "columnar":
            read = parquet.read_spelled if program.process is not None else parquet.read_bulk
            bar = _ProgressBar(msg("cli.batch.checking", lang), enabled=not args.quiet, every=1)
            bulk_input = read(args.data, program, progress=bar.update)  # progress: the reader's stages
            bar.close()
    if bulk_input is None:
        data, inputs, facts = _population_input(args, program, period)
        engine = _batch_engine(args, len(data.subjects), lang, program)
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
    out = folder.folder
    ext = args.format
    written: list[Path] = []

    def put(name: str, write: Callable[[Path], int]) -> None:
        with folder.file(name) as temp:
            rows = write(temp)
        folder.record(name, rows)
        written.append(folder.path(name))

    results_name = f"ket-qua.{ext}"
    if columns is not None:
        if not args.quiet:  # seconds at national size, before the reasons' bar starts
            echo_err(msg("cli.batch.summarising", lang) + "\n")
        summary = columns.summary_rows()
        reasons = _ProgressBar(msg("cli.batch.reasons", lang), enabled=not args.quiet)
        bar = _ProgressBar(msg("cli.batch.writing", lang), enabled=not args.quiet)

        def reasoned(done: int, total: int) -> None:
            reasons.update(done, total)
            if done == total:
                reasons.close()

        # Streamed: a block of rows at a time is made and written; none is kept.
        bulk_columns = columns
        if ext == "csv":  # a block of columns at a time, neutralised column by column
            repeated = columns.REPEATED_RESULT_COLUMNS
            put(
                results_name,
                lambda path: writers.write_csv_blocks(
                    bulk_columns.result_blocks(lang, progress=bar.update, reasons_progress=reasoned),
                    report.RESULT_COLUMNS,
                    path,
                    repeated,
                ),
            )
        elif ext == "parquet":  # a row group per block of columns
            put(
                results_name,
                lambda path: writers.write_parquet_blocks(
                    bulk_columns.result_blocks(lang, progress=bar.update, reasons_progress=reasoned),
                    report.RESULT_COLUMNS,
                    path,
                ),
            )
        else:
            put(
                results_name,
                lambda path: writers.write_table(
                    bulk_columns.result_rows(lang, progress=bar.update, reasons_progress=reasoned),
                    report.RESULT_COLUMNS,
                    path,
                ),
            )
        reasons.close()
        bar.close()
    else:
        assert isinstance(result, population.PopulationResult)
        summary = report.summary_rows(result)
        classified = result
        put(
            results_name,
            lambda path: writers.write_table(
                report.result_rows(classified, lang), report.result_columns(classified.has_persons), path
            ),
        )
    put(
        f"tong-hop.{ext}",
        lambda path: writers.write_table(
            summary, report.summary_columns(program), path, report.summary_count_columns(program)
        ),
    )
    put(f"bi-loai.{ext}", lambda path: writers.write_rejections(result.rejections, path, lang))
    if args.traces or args.traces_gz:
        if columns is not None:
            traced = columns.results(by_unit=True)
        else:
            assert isinstance(result, population.PopulationResult)
            traced = iter(sorted(result.results, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id)))
        compress = bool(args.traces_gz)
        put(
            "giai-thich.jsonl.gz" if compress else "giai-thich.jsonl",
            lambda path: _write_traces(path, traced, program, lang, compress=compress),
        )
    ladder = None
    if inputs is not None:
        from xeploai.process import ladder as review
        from xeploai.process import ladder_text

        assert isinstance(result, population.PopulationResult)
        ladder = review.evaluate_process(result, data, inputs, facts, lang)
        process = ladder
        put(f"bi-loai-quy-trinh.{ext}", lambda path: writers.write_rejections(process.rejections, path, lang))
        put(
            f"quy-trinh.{ext}",
            lambda path: writers.write_table(ladder_text.as_rows(process, lang), ladder_text.LADDER_COLUMNS, path),
        )
        for row in ladder.rows:
            if ladder_text.needs_attention(row):
                echo("\n".join(ladder_text.explain_ladder(row, program, lang)) + "\n")
        for note in [r for r in ladder.rejections if r.row is None]:
            echo_err(f"{msg('cli.batch.note', lang)}: {note.source}: {note.reason_in(lang)}\n")
    if args.tables:
        from xeploai.process import forms

        assert isinstance(result, population.PopulationResult)
        # The official forms are documents for people (titles, headings), not data tables: CSV when Parquet is asked.
        form_ext = "csv" if ext == "parquet" else ext
        official = forms.official_tables(result, ladder, data)
        letterhead = forms.letterhead_for(result)

        def files(path: Path) -> AbstractContextManager[Path]:
            return folder.file(path.relative_to(out).as_posix())

        for path in forms.write_official(official, out / "bieu-mau", form_ext, letterhead, files=files):
            rows = len(official[path.stem].rows) if form_ext == "csv" else sum(len(t.rows) for t in official.values())
            folder.record(path.relative_to(out).as_posix(), rows)
            written.append(path)
    written.append(
        folder.finish(
            {
                "framework": {
                    "file": program.info.source,
                    "family": program.info.family,
                    "version": program.info.version,
                    "sha256": program.info.source_sha256,
                },
                "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "kind": period.kind},
                "data": args.data,
                "rows_read": result.rows_read,
                "reconciles": result.reconciles(),
            }
        )
    )
    echo(_batch_summary(result, summary, lang))
    notes = [r for r in result.rejections if r.row is None]
    for note in notes[:10]:
        where = f"{note.source}" + (f" [{note.column}]" if note.column else "")
        echo_err(f"{msg('cli.batch.note', lang)}: {where}: {note.reason_in(lang)}\n")
    if len(notes) > 10:
        echo_err(f"{msg('cli.batch.more_notes', lang, count=len(notes) - 10)}\n")
    for path in written:
        echo(msg("cli.batch.written", lang, path=path) + "\n")
    echo(msg("cli.batch.time", lang, seconds=time.perf_counter() - started) + "\n")
    if result.rows_read == 0:
        echo_err(msg("cli.batch.no_rows", lang, path=args.data) + "\n")
        return EXIT_INVALID
    return EXIT_OK


def _write_traces(path: Path, traced: Iterator[Result], program: Program, lang: str, *, compress: bool) -> int:
    """Every subject's full explanation, one JSON document a line, into ``path`` (``giai-thich.jsonl``, or
    gzip-compressed ``giai-thich.jsonl.gz``, about a fourteenth of the size); the number of lines. The gzip header
    holds no time and no file name, so that reruns write the same bytes."""
    import gzip

    count = 0
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(path.open("wb"))
        write: Callable[[bytes], object] = raw.write
        if compress:
            # Level 6 (gzip's own default): within a few percent of 9's size, at several times its speed.
            write = stack.enter_context(
                gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=raw, mtime=0)
            ).write
        for subject in traced:
            write((json.dumps(explain.to_json(subject, program, lang), ensure_ascii=False) + "\n").encode())
            count += 1
    return count


def _batch_engine(args: argparse.Namespace, rows: int, lang: str, program: Program) -> str:
    """The engine ``batch`` uses for ``rows`` subject rows (``engines.choose_engine``), except that a framework
    whose kinds compute values (the columnar engine declines those: ``Program.computed_kinds``) or link a field to
    another result of the same framework (filled by the interpreter's run only) is classified by the interpreter."""
    computed = program.computed_kinds()
    if args.engine == "columnar" and computed:
        raise UsageError(msg("cli.batch.columnar_values", lang, kinds=", ".join(computed)))
    if computed:
        return "interpreter"
    if links_own_kinds(program):
        if args.engine == "columnar":
            echo_err(msg("cli.run.interpreter", lang) + "\n")
        return "interpreter"
    return choose_engine(
        str(args.engine),
        rows,
        process=bool(getattr(args, "process", None)),
        every_trace=bool(
            getattr(args, "tables", False) or getattr(args, "traces", False) or getattr(args, "traces_gz", False)
        ),
        lang=lang,
    )


def _needs_pyarrow(lang: str) -> None:
    """``batch --format parquet`` without pyarrow: a usage error naming the extra, before any work is done."""
    try:
        import pyarrow.parquet  # type: ignore[import-untyped]  # noqa: F401  (only whether it imports)
    except ImportError:
        raise UsageError(msg("cli.batch.needs_pyarrow", lang)) from None


def _check_table_out(path: str, lang: str) -> None:
    """A table file to write (``--out``): a usage error, before any work, when its extension is not one the writer
    knows or the package its format needs is missing."""
    import importlib.util

    suffix = os.path.splitext(path)[1].casefold()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise UsageError(msg("cli.bad_table_out", lang, path=path))
    if suffix == ".parquet":
        try:
            import pyarrow.parquet  # noqa: F401  (only whether it imports)
        except ImportError:
            raise UsageError(msg("cli.needs_pyarrow", lang)) from None
    if suffix == ".xlsx" and importlib.util.find_spec("openpyxl") is None:
        raise UsageError(msg("cli.needs_openpyxl", lang))


def _reads_columns(args: argparse.Namespace, program: Program) -> bool:
    """Whether ``batch`` may read DATA column-wise (``parquet.read_bulk``): a folder, not for the interpreter, nor
    for the review process or the official tables (they read the rows), nor when a reading rewrites scores."""
    import importlib.util
    from pathlib import Path

    from xeploai.program import ir

    if args.engine == "interpreter" or getattr(args, "process", None) or args.tables or not Path(args.data).is_dir():
        return False
    if links_own_kinds(program):
        return False  # a field linked to a result of the same framework is filled by the interpreter's run only
    if any(has_links(subject) for subject in program.subjects.values()) and _names_persons(Path(args.data)):
        return False  # the column reader does not carry persons, which a linked field's trace names
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
        else reader.read_population(args.data, program)
    )
    if not getattr(args, "process", None):
        return readings.prepare(program, data), None, None
    from xeploai.process import process_tables

    inputs = process_tables.read_process(args.process, program, [s.id for s in data.subjects], period)
    data, facts = periods.apply_periods(program, data, period, inputs.quarters, inputs.events, inputs.unread_quarters)
    return readings.prepare(program, data), inputs, dict(facts)


def _names_persons(folder: Path) -> bool:
    """Whether a population folder names persons: a persons table, or a person column in its subjects table."""
    if any((folder / f"persons.{ext}").exists() for ext in ("csv", "parquet")):
        return True
    csv = folder / "subjects.csv"
    if csv.is_file():
        with csv.open(encoding="utf-8-sig", errors="replace") as handle:
            header = [cell.strip().strip('"') for cell in handle.readline().split(",")]
        return any(cell.lower().split(" (")[0] in ("person", "mã cá nhân") for cell in header)
    return (folder / "subjects.parquet").exists()  # not looked into: read row by row, which carries persons


def run_readings(args: argparse.Namespace) -> int:
    from xeploai.analysis import readings

    lang: str = args.lang
    period = _period(args.period, lang)
    if args.out:
        _check_table_out(args.out, lang)
    program = _program_in_force(args.framework, period, lang, check_force=False)  # readings compare clauses
    _check_readings(program, args.only, lang)
    data, _, _ = _population_input(args, program, period)
    _, runs = readings.evaluate_readings(program, data, period, args.only, combine=True)
    rows = readings.readings_rows(runs, lang)
    for run in runs:
        echo(f"{run.name}: {len(run.differences)}\n")
        for d in run.differences:
            echo(f"  {d.subject} {d.name} ({d.unit}): {d.default} → {d.other}\n")
    if args.out:
        writers.write_table(rows, readings.READINGS_COLUMNS, args.out)
        echo(msg("cli.batch.written", lang, path=args.out) + "\n")
    return EXIT_OK


def _chosen_readings(program: Program, given: list[str], lang: str) -> Program:
    """The program under the options of ``--reading ID=OPTION`` (rules readings only); a usage error otherwise."""
    from xeploai.program import gating

    if not given:
        return program
    readings = {r.id: r for r in gating.rule_readings(program)}
    choice: dict[str, str] = {}
    for item in given:
        reading_id, _, option_id = item.partition("=")
        reading = readings.get(reading_id.strip())
        if reading is None:
            known = ", ".join(readings) or "—"
            raise UsageError(msg("cli.readings.unknown", lang, value=reading_id.strip(), known=known))
        options = [o.id for o in reading.options]
        if option_id.strip() not in options:
            raise UsageError(
                msg("cli.readings.unknown_option", lang, value=option_id.strip(), known=", ".join(options))
            )
        choice[reading.id] = option_id.strip()
    return gating.select(program, choice)


def _check_readings(program: Program, only: list[str] | None, lang: str) -> None:
    """A usage error, before any work, when the framework declares no reading or ``--only`` names another one:
    an empty list would read as "nobody depends on this reading"."""
    declared = [r.id for r in program.process.readings] if program.process is not None else []
    if not declared:
        raise UsageError(msg("cli.readings.none", lang, file=program.info.source))
    for name in only or ():
        if name not in declared:
            hint = suggest(name, declared)
            raise UsageError(
                msg("cli.readings.unknown", lang, value=name, known=", ".join(declared))
                + (f"; {hint.get(lang)}" if hint else "")
            )


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
    # The table counts the people of each unit's subtree (the summary file's rows); the closing line counts every
    # subject row, collectives too: their words say so, and a legend spells out the short headers.
    people, not_classified, insufficient, awaiting, competent, rejected = (
        msg(f"cli.batch.column.{key}", lang)
        for key in ("people", "not_classified", "insufficient", "awaiting", "competent", "rejected")
    )
    widths = [max(7, len(people) + 1), *(max(7, len(c) + 1) for c in codes)]
    words = [not_classified, insufficient, awaiting, competent, rejected]
    tail = [max(6, len(word) + 1) for word in words]
    header = f"{'':<44}" + "".join(
        f"{word:>{width}}" for word, width in zip([people, *codes, *words], [*widths, *tail], strict=True)
    )
    lines.append(header)
    for row in summary:
        if row["unit_kind"] in ("cell",):
            continue  # cells are in the files; the screen shows the grassroots level and the total
        name = str(row["unit_name"])
        if row is summary[-1] and not row["unit"] and name == report.TOTAL_NAME:
            name = msg("cli.batch.total", lang)
        name = name if len(name) <= 42 else name[:41] + "…"
        counted = ("not_classified", "insufficient", "awaiting", "competent", "rejected")
        values = [row["members"], *(row[c] for c in codes), *(row[c] for c in counted)]
        lines.append(f"{name:<44}" + "".join(f"{v!s:>{w}}" for v, w in zip(values, [*widths, *tail], strict=True)))
    lines.append(msg("cli.batch.legend", lang))
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
            groups_s="" if len(groups) == 1 else "s",
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
            awaiting=totals["awaiting_decision"],
            competent=totals["left_to_competent_level"],
            rejected=totals["rejected"],
        )
    )
    if not result.reconciles():
        lines.append(msg("cli.batch.mismatch", lang))
    return "\n".join(lines) + "\n"


def _kinds_in_force(framework: str, period: Period) -> KindSelection | None:
    """For a folder of families (or ``all``: the bundled ones) or a family folder, the file in force for each kind;
    None for a framework file."""
    from xeploai.framework import families, selection

    folder = families.frameworks_root() if framework == "all" else framework
    if folder is None or not os.path.isdir(folder):
        return None
    try:
        return selection.select_kinds(folder, period)
    except OSError:
        return None


def _batch_run(
    args: argparse.Namespace, period: Period, folder: OutputFolder, chosen: KindSelection, started: float
) -> int:
    """``batch`` over several framework files: each kind under the file in force for it, linked results read
    across files, one results table (with the framework of each row), one summary per file."""
    import time

    from xeploai.evaluation import report, runs
    from xeploai.tables import combined

    lang: str = args.lang
    programs = [program for _, program in chosen.programs]
    if args.engine == "columnar" or not args.quiet:
        echo_err(msg("cli.run.interpreter", lang) + "\n")
    for _kind, why in sorted(chosen.reasons.items()):
        echo_err(f"{msg('label.selection', lang)}: {why.get(lang)}\n")
    if not args.quiet:
        echo_err(msg("cli.batch.reading", lang, path=args.data) + "\n")
    data = combined.read_run_population(args.data, programs)
    try:
        run = runs.evaluate_run(programs, data, period, chosen.reasons)
    except (runs.RunError, population_model.OrderError) as error:
        raise UsageError(str(error)) from None
    ext = args.format
    written: list[Path] = []

    def put(name: str, write: Callable[[Path], int]) -> None:
        with folder.file(name) as temp:
            rows = write(temp)
        folder.record(name, rows)
        written.append(folder.path(name))

    persons = any(part.has_persons for part in run.parts)
    rows = [row for part in run.parts for row in report.result_rows(part, lang, frameworks=True)]
    if persons:
        for row in rows:
            row.setdefault("person", row["id"])
    put(f"ket-qua.{ext}", lambda path: writers.write_table(rows, report.result_columns(persons, True), path))
    summaries = []
    for part in run.parts:
        summary = report.summary_rows(part)
        summaries.append(summary)
        program = part.program
        name = f"tong-hop-{program.info.family}-{Path(program.info.source).stem}.{ext}"
        put(
            name,
            lambda path, s=summary, p=program: writers.write_table(  # type: ignore[misc]
                s, report.summary_columns(p), path, report.summary_count_columns(p)
            ),
        )
    put(f"bi-loai.{ext}", lambda path: writers.write_rejections(run.all_rejections, path, lang))
    if args.traces or args.traces_gz:
        compress = bool(args.traces_gz)
        for part in run.parts:
            traced = iter(sorted(part.results, key=lambda r: (str(r.extras.get("unit", "")), r.subject_id)))
            stem = f"giai-thich-{part.program.info.family}-{Path(part.program.info.source).stem}"
            put(
                f"{stem}.jsonl.gz" if compress else f"{stem}.jsonl",
                lambda path, t=traced, p=part.program: _write_traces(  # type: ignore[misc]
                    path, t, p, lang, compress=compress
                ),
            )
    written.append(
        folder.finish(
            {
                "frameworks": [
                    {
                        "file": p.program.info.source,
                        "family": p.program.info.family,
                        "version": p.program.info.version,
                        "sha256": p.program.info.source_sha256,
                    }
                    for p in run.parts
                ],
                "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "kind": period.kind},
                "data": args.data,
                "rows_read": run.rows_read,
                "reconciles": run.reconciles(),
            }
        )
    )
    lines = [msg("cli.run.order", lang)]
    for index, part in enumerate(run.parts, start=1):
        info = part.program.info
        kinds = ", ".join(k for s in part.strata for k in s.kinds)
        name = f"{info.family}/{Path(info.source).stem}"
        lines.append(msg("cli.run.framework", lang, index=index, name=name, version=info.version, kinds=kinds))
    echo("\n".join(lines) + "\n\n")
    for part, summary in zip(run.parts, summaries, strict=True):
        info = part.program.info
        name = f"{info.family}/{Path(info.source).stem}"
        echo(msg("cli.run.part", lang, name=name, version=info.version) + "\n")
        echo(_batch_summary(part, summary, lang) + "\n")
    for file, field, kind in run.unknown_link_kinds:
        echo_err(msg("cli.run.unknown_kind", lang, file=file, field=field, kind=kind) + "\n")
    if run.link_issues:
        first = run.link_issues[0]
        echo_err(msg("cli.run.links", lang, count=len(run.link_issues), first=first.reason.get(lang)) + "\n")
    differs = sum(1 for r in run.results if links.DIFFERS_FLAG in r.outcome.flags)
    if differs:
        echo_err(msg("cli.run.differs", lang, count=differs) + "\n")
    statuses = [r.outcome.status.value for r in run.results]
    echo(msg("cli.run.total", lang) + "\n")
    echo(
        msg(
            "cli.batch.reconcile",
            lang,
            rows=run.rows_read,
            classified=statuses.count("classified"),
            not_classified=statuses.count("not_classified"),
            insufficient=statuses.count("insufficient_evidence"),
            awaiting=statuses.count("awaiting_decision"),
            competent=statuses.count("left_to_competent_level"),
            rejected=population_model.rejected_rows(run.all_rejections),
        )
        + "\n"
    )
    if not run.reconciles():
        echo(msg("cli.batch.mismatch", lang) + "\n")
    for path in written:
        echo(msg("cli.batch.written", lang, path=path) + "\n")
    echo(msg("cli.batch.time", lang, seconds=time.perf_counter() - started) + "\n")
    if run.rows_read == 0:
        echo_err(msg("cli.batch.no_rows", lang, path=args.data) + "\n")
        return EXIT_INVALID
    return EXIT_OK


def _program_in_force(
    framework: str, period: Period, lang: str, what_if: bool = False, check_force: bool = True
) -> Program:
    """The framework file given, or for a family folder the version in force for ``period``, saying why on stderr.

    A file named for a period it is not in force for is a usage error, unless ``what_if``."""
    if not os.path.isdir(framework):
        from xeploai.framework.selection import out_of_force

        program = api.load_framework(framework)
        out = out_of_force(framework, program, period) if check_force else None
        if out is not None and not what_if:
            raise UsageError(msg("cli.what_if", lang, reason=out.get(lang)))
        if out is not None:
            echo_err(f"{msg('label.selection', lang)}: --what-if: {out.get(lang)}\n")
        return program
    try:
        selection = api.select_framework(framework, period)
    except api.NoFrameworkError as error:
        raise UsageError(str(error)) from None
    reason = selection.reason if lang == "en" else selection.reason_vi
    echo_err(f"{msg('label.selection', lang)}: {reason}\n")
    return selection.program


def run_template(args: argparse.Namespace) -> int:

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
    templates.template(program, args.kinds, args.output)
    echo(msg("cli.template.written", args.lang, path=args.output) + "\n")
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
            redraw_err(f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            self.drawn = True
        else:
            decile = 10 * done // total
            if decile != self.last_decile:
                self.last_decile = decile
                echo_err(f"{self.label}: {done}/{total} ({10 * decile}%)\n")

    def close(self) -> None:
        if self.drawn:
            echo_err("\n")
            self.drawn = False
