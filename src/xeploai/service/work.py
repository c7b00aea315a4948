"""What the service does for one request, without HTTP: evaluate a subject, explain it (JSON, printable HTML),
verify a receipt, compare two versions.

In: request data (plain mappings, as decoded from JSON) and the ``Catalogue``. Out: the same JSON documents and
pages as ``xeploai evaluate --format json``, ``explain --format html``, ``verify --format json`` and
``diff --format json``; every problem as a ``ServiceError`` carrying the stages' ``Issue`` records.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from xeploai import api
from xeploai.evaluation.trace import Result, Status
from xeploai.explanation import explain
from xeploai.program.ir import Period, Program
from xeploai.program.issues import EvidenceError
from xeploai.service.catalogue import Catalogue
from xeploai.service.errors import ServiceError, problem, with_prefix

Json = dict[str, object]


@dataclass(frozen=True)
class Evaluated:
    """One subject evaluated for a request: the result, the program, and the raw evidence (for the packet)."""

    result: Result
    program: Program
    evidence: Mapping[str, object]


def problem_not_found(what: str) -> ServiceError:
    return problem(404, "not-found", f"không có {what!r}", f"there is no {what!r}")


def period_of(spec: object, path: str = "period") -> Period:
    """A period as the command line reads it (``2020``, ``2020-Q3``, ``START..END`` or ``{start, end}``)."""
    if not isinstance(spec, str | int | dict) or isinstance(spec, bool):
        raise problem(422, "invalid-value", "kỳ đánh giá không đọc được", "the period cannot be read", path)
    try:
        return api.parse_period(spec)
    except api.PeriodError as error:
        raise problem(422, "invalid-value", error.text.vi, error.text.en, path) from None


def evaluate(catalogue: Catalogue, body: Mapping[str, object]) -> Evaluated:
    """Evaluate the subject of a request body: an evidence document (``subject``, ``period``, ``evidence``) with
    the ``framework`` (a family, chosen for the period, or a file id) and optionally the ``kind``."""
    subject = body.get("subject") or {}
    if not isinstance(subject, Mapping):
        raise problem(422, "wrong-type", "subject phải là một ánh xạ", "subject must be a mapping", "subject")
    evidence = body.get("evidence")
    if evidence is None:
        evidence = {}
    if not isinstance(evidence, Mapping):
        raise problem(
            422, "wrong-type", "evidence phải là ánh xạ trường: giá trị", "evidence must be a mapping", "evidence"
        )
    kind = body.get("kind") or subject.get("kind")
    if not isinstance(kind, str) or not kind:
        raise problem(422, "missing-key", "thiếu loại đối tượng (kind)", "the subject kind (kind) is missing", "kind")
    period = period_of(body["period"]) if body.get("period") is not None else None
    framework = body.get("framework")
    if not isinstance(framework, str) or not framework:
        raise problem(422, "missing-key", "thiếu khung tiêu chí (framework)", "the framework is missing", "framework")
    program, _, selection = catalogue.resolve(framework, period)
    if period is None:
        raise problem(422, "missing-key", "thiếu kỳ đánh giá (period)", "the period is missing", "period")
    name = subject.get("name")
    try:
        result = api.evaluate(
            program,
            kind,
            evidence,
            period=period,
            subject_id=str(subject.get("id", "")),
            subject_name=str(name) if name is not None else None,
            source="<request>",
        )
    except EvidenceError as error:
        issues = [
            replace(i, path="kind") if i.code == "unknown-subject-kind" else with_prefix([i], "evidence")[0]
            for i in error.issues
        ]
        raise ServiceError(422, "<request>", issues) from None
    if selection is not None:
        result.extras.update(selection_vi=selection.reason_vi, selection_en=selection.reason)
    return Evaluated(result, program, dict(evidence))


def explanation_json(done: Evaluated, lang: str) -> Json:
    """The explanation JSON, exactly as ``xeploai evaluate --format json`` prints it."""
    return explain.to_json(done.result, done.program, lang)


def packet_html(result: Result, program: Program, lang: str, evidence: Mapping[str, object] | None = None) -> str:
    """The printable dispute packet, as ``xeploai explain --format html`` renders it (with the smallest changes
    that reach each higher level when the result came from one subject's evidence)."""
    from xeploai.explanation import packet

    sections = _smallest_changes(result, program, evidence, lang) if evidence is not None else []
    return packet.to_html(result, program, lang, extra_sections=sections)


def _smallest_changes(
    result: Result, program: Program, evidence: Mapping[str, object], lang: str
) -> list[tuple[str, list[str]]]:
    from xeploai.explanation import counterfactual
    from xeploai.explanation.messages import msg

    if result.outcome.status is not Status.CLASSIFIED:
        return []
    lines: list[str] = []
    for level, change_sets in counterfactual.for_each_higher_level(
        program, result.subject_kind, evidence, result.period
    ).items():
        for change_set in change_sets:
            parts = [line.strip().removeprefix("- ") for line in counterfactual.to_text(change_set, lang).splitlines()]
            lines.append(f"{program.level_code(level)}: " + "; ".join(p for p in parts if p))
    return [(msg("section.smallest_change", lang), lines)] if lines else []


def verify_receipt(catalogue: Catalogue, data: object) -> Json:
    """Replay a receipt against the frameworks this service serves, as ``xeploai verify --format json`` does.

    A receipt names its framework files by the paths they had where it was made; here each is found by its
    recorded sha256 among the served files (else by family and file name, so that a changed rule shows as
    ``framework-changed``), laid out under a temporary root at the recorded path, and verified from there.
    """
    from xeploai.explanation import verifier

    if not isinstance(data, Mapping):
        raise problem(422, "wrong-type", "biên nhận phải là một đối tượng JSON", "a receipt is a JSON object")
    served = {e.path: e for e in catalogue.entries().values()}
    by_hash = {catalogue.sha256(path): path for path in served}
    framework = data.get("framework")
    chain = framework.get("chain") if isinstance(framework, Mapping) else None
    with tempfile.TemporaryDirectory(prefix="xeploai-receipt-") as temp:
        root = Path(temp)
        files = [c for c in chain if isinstance(c, Mapping)] if isinstance(chain, list) else []
        depth = max((Path(str(c.get("file", ""))).parts.count("..") for c in files), default=0)
        base = root.joinpath(*(["r"] * depth)) if depth else root
        for recorded in files:
            name = str(recorded.get("file", ""))
            found = by_hash.get(str(recorded.get("sha256", ""))) or _by_name(served, name)
            target = Path(os.path.normpath(base / name))
            if found is None or Path(name).is_absolute() or root not in target.parents:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(found.read_bytes())
        base.mkdir(parents=True, exist_ok=True)
        checked = verifier.verify(data, root=base)
        out = checked.to_json()
    if checked.receipt is not None:
        r = checked.receipt
        out["receipt"] = {
            "subject": {"id": r.subject_id, "name": r.subject_name, "kind": r.subject_kind},
            "period": str(r.period),
            "framework": {"family": r.framework_family, "version": r.framework_version},
            "outcome": {"status": r.outcome.status.value, "level": r.outcome.level},
        }
    out["text"] = {"vi": checked.to_text("vi"), "en": checked.to_text("en")}
    return out


def _by_name(served: Mapping[Path, object], recorded: str) -> Path | None:
    tail = Path(recorded).parts[-2:]
    return next((path for path in served if path.parts[-2:] == tail), None)


def diff_json(catalogue: Catalogue, before: str, after: str) -> Json:
    """Two versions compared rule by rule, as ``xeploai diff A B --format json`` prints it."""
    from xeploai.analysis import diff

    a, _ = catalogue.program(before)
    b, _ = catalogue.program(after)
    return diff.to_json(diff.diff_programs(a, b))
