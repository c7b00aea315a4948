"""Framework files → programs: load, validate, check and compile one file and the chain it extends; find the
framework files under folders; choose the version of a family in force for a period.

In: paths (untrusted files). Out: ``Program``, the ``Issue`` records of a file, or a ``Selection`` with its reason.
This is the framework stage's own order (loader → schema → checker → compiler); the façade re-exports it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from xeploai.framework import checker, compiler, loader, resolver, schema
from xeploai.framework.document_checks import superseded
from xeploai.program.ir import Period, Program, Span, Text
from xeploai.program.issues import FrameworkError, Issue


def _spans(document: loader.Document) -> tuple[resolver.SpanOf, resolver.StyleOf]:
    fallback = Span(document.source, 1, 1)

    def span_of(path: resolver.Path) -> Span:
        return document.span(path) or fallback

    def style_of(path: resolver.Path) -> str:
        return document.styles.get(tuple(path), "")

    return span_of, style_of


def _with_spans(issues: list[tuple[Issue, tuple[int | str, ...]]], span_of: resolver.SpanOf) -> list[Issue]:
    out = []
    for issue, path in issues:
        out.append(replace(issue, span=span_of(path)))
    return out


@dataclass(frozen=True)
class _FrontEnd:
    document: loader.Document
    doc: schema.FrameworkDoc | None
    issues: list[Issue]
    base: Program | None = None


def _front_end(
    path: str | os.PathLike[str], chain: tuple[Path, ...] = (), document: loader.Document | None = None
) -> _FrontEnd:
    """Load, validate and check a framework file (and the one it extends); the model is None when invalid.

    ``document``: the file's content already loaded (text that is in no file, ``path`` only saying where it
    stands for ``extends``)."""
    if document is None:
        link = _link_out_of_folder(Path(path))
        if link is not None:
            raise FrameworkError(loader.display_path(path), [link])
        document = loader.load_file(path, display=loader.display_path(path))
    span_of, style_of = _spans(document)
    doc, problems = schema.validate(document.data)
    if doc is None:
        other = _another_kind_of_file(document.data)
        if other is not None:
            return _FrontEnd(document, None, [replace(other, span=span_of(()))])
        return _FrontEnd(document, None, _with_spans(problems, span_of))
    base = None
    if doc.framework.extends is not None:
        here = ("framework", "extends")
        target, problem = _extension_target(Path(path), doc.framework.extends, chain)
        if problem is not None:
            issue = Issue.from_text("extends-path", problem, "framework.extends", span_of(here))
            return _FrontEnd(document, doc, [issue])
        assert target is not None
        try:
            base = _load(target, (*chain, Path(path).resolve()))
        except FrameworkError as error:
            count = len(error.issues)
            message = Text(
                f"khung tiêu chí được mở rộng {doc.framework.extends} có {count} vấn đề; hãy kiểm tra khung đó trước",
                f"the extended framework {doc.framework.extends} has {count} problem{'' if count == 1 else 's'};"
                " check it first",
            )
            issue = Issue.from_text("extends-path", message, "framework.extends", span_of(here))
            return _FrontEnd(document, doc, [issue])
    issues = checker.check(doc, document.data, span_of, style_of, document.source, base)
    issues += _superseded_file(Path(path), doc, span_of)
    return _FrontEnd(document, doc, issues, base)


def _superseded_file(path: Path, doc: schema.FrameworkDoc, span_of: resolver.SpanOf) -> list[Issue]:
    """A warning when ``supersedes`` names a version that has no file in the frameworks folder
    (``<frameworks>/<family>/<date>.yaml``); a malformed value is the checker's error."""
    reference = doc.framework.supersedes
    named = superseded(reference) if reference is not None else None
    if named is None:
        return []
    family, effective = named
    target = path.resolve().parent.parent / family / f"{effective.isoformat()}.yaml"
    if target.is_file():
        return []
    here = ("framework", "supersedes")
    message = Text(
        f"supersedes {reference!r}: không có tệp {family}/{effective.isoformat()}.yaml trong thư mục khung tiêu chí",
        f"supersedes {reference!r}: there is no file {family}/{effective.isoformat()}.yaml in the frameworks folder",
    )
    hint = Text(
        "sửa ngày theo phiên bản được thay thế, hoặc bỏ khóa supersedes",
        "correct the date to that of the version replaced, or remove the key",
    )
    return [Issue.from_text("unknown-version", message, "framework.supersedes", span_of(here), hint, "warning")]


def _another_kind_of_file(data: object) -> Issue | None:
    """The one issue to report for a file that is plainly not a framework but an evidence or a tests file (rather
    than every framework key it lacks), saying which command reads it."""
    if not isinstance(data, dict) or {"format", "subjects"} & data.keys():
        return None
    if "evidence" in data and "framework" not in data:
        message = Text(
            "tệp này có vẻ là tệp minh chứng (subject, period, evidence), không phải khung tiêu chí",
            "this looks like an evidence file (subject, period, evidence), not a framework",
        )
        hint = Text(
            "đánh giá nó bằng `xeploai evaluate KHUNG_TIÊU_CHÍ TỆP_MINH_CHỨNG`",
            "evaluate it with `xeploai evaluate FRAMEWORK EVIDENCE`",
        )
    elif "cases" in data and not isinstance(data.get("framework"), dict):  # a tests file names its framework
        message = Text(
            "tệp này có vẻ là tệp kiểm thử của khung tiêu chí (cases), không phải khung tiêu chí",
            "this looks like a framework tests file (cases), not a framework",
        )
        hint = Text("chạy nó bằng `xeploai test TỆP`", "run it with `xeploai test FILE`")
    else:
        return None
    return Issue.from_text("format-version", message, "", None, hint)


def _link_out_of_folder(path: Path) -> Issue | None:
    """A framework path that is a symbolic link to a file outside the link's own folder is refused unread: the
    problems of a file quote its text, so following the link would show another file's lines (say, a private one
    that a link planted in a shared frameworks folder points at). A link within the folder (``current.yaml`` →
    ``2019-10-18.yaml``) is followed."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop of links: the reader says it is not found
        return None
    folder = path.absolute().parent.resolve()
    if target.parent == folder or folder in target.parents:
        return None
    shown = loader.display_path(path)
    return Issue.from_text(
        "framework-link",
        Text(
            f"{shown} là liên kết (symlink) tới một tệp ngoài thư mục của nó; xeploai không đọc qua liên kết đó",
            f"{shown} is a symbolic link to a file outside its folder; xeploai does not read through it",
        ),
        hint=Text(
            "hãy chép tệp khung tiêu chí vào thư mục này, hoặc dùng đường dẫn thật của nó",
            "copy the framework file into this folder, or give its real path",
        ),
    )


def _extension_target(path: Path, reference: str, chain: tuple[Path, ...]) -> tuple[Path | None, Text | None]:
    """The file an ``extends`` names, resolved from the extending file, kept inside the frameworks folder."""
    if Path(reference).is_absolute():
        return None, Text(
            f"extends phải là đường dẫn tương đối tính từ tệp này, không phải {reference!r}",
            f"extends must be a path relative to this file, not {reference!r}",
        )
    root = path.resolve().parent.parent  # frameworks/<family>/<file>: the frameworks folder
    target = (path.resolve().parent / reference).resolve()
    if root not in target.parents:
        folder = os.path.relpath(root)
        return None, Text(
            f"{reference!r} trỏ ra ngoài thư mục khung tiêu chí {folder}",
            f"{reference!r} points outside the frameworks folder {folder}",
        )
    if not target.is_file():
        return None, Text(f"{reference!r} không tồn tại", f"{reference!r} does not exist")
    if target == path.resolve() or target in chain:
        return None, Text(
            f"{reference!r} tự mở rộng chính nó qua một chuỗi mở rộng",
            f"{reference!r} extends itself through a chain of extensions",
        )
    return target, None


def check_file(path: str | os.PathLike[str]) -> list[Issue]:
    """Every problem of one framework file (an empty list when it is clean)."""
    try:
        return _front_end(path).issues
    except FrameworkError as error:
        return list(error.issues)


def check_text(content: str | bytes, source: str = "<stdin>") -> list[Issue]:
    """Every problem of framework text that is in no file (``xeploai check -`` reads standard input); the issues
    name ``source``, and an ``extends`` is resolved from the working folder.

    >>> [i.code for i in check_text("format: xeploai/1\\n")][:1]
    ['missing-key']
    """
    try:
        document = loader.load_yaml(content, source)
        return _front_end(Path.cwd() / "-", (), document).issues
    except FrameworkError as error:
        return list(error.issues)


def load_framework(path: str | os.PathLike[str]) -> Program:
    """Load, check and compile a framework file; raises ``FrameworkError`` with every problem (a file that does not
    exist or cannot be read is one, ``cannot-read``)."""
    try:
        return _load(Path(path), ())
    except OSError as error:
        raise FrameworkError(loader.display_path(path), [cannot_read(path, error)]) from None


def cannot_read(path: str | os.PathLike[str], error: OSError) -> Issue:
    """The issue of a framework file that does not exist or cannot be read, with the system's reason."""
    shown = loader.display_path(path)
    reason = error.strerror or type(error).__name__
    return Issue.from_text(
        "cannot-read",
        Text(f"không đọc được tệp {shown}: {reason}", f"cannot read the file {shown}: {reason}"),
    )


def _load(path: Path, chain: tuple[Path, ...]) -> Program:
    front = _front_end(path, chain)
    errors = [i for i in front.issues if i.severity == "error"]
    if front.doc is None or errors:
        raise FrameworkError(front.document.source, front.issues)
    span_of, style_of = _spans(front.document)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return compiler.compile_program(front.doc, span_of, style_of, front.document.source, digest, front.base)


def framework_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Framework files named or found under directories (``*.yaml`` except ``*.tests.yaml``), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*.yaml")) if not f.name.endswith(".tests.yaml"))
        else:
            found.append(p)
    return found


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> dict[str, list[Issue]]:
    """Check framework files (directories are searched for ``*.yaml`` frameworks); file → its issues."""
    return {str(f): check_file(f) for f in framework_files(paths)}


@dataclass(frozen=True)
class Selection:
    """The framework chosen for a family and a period, and why (recorded with every result made from it)."""

    program: Program
    path: Path
    reason: str  # in English; ``reason_vi`` in Vietnamese
    reason_vi: str
    candidates: tuple[tuple[str, date, date | None], ...]  # every version of the family: file, from, until


class NoFrameworkError(Exception):
    """No framework of the family is in force for the period."""


def select_framework(family_dir: str | os.PathLike[str], period: Period) -> Selection:
    """The version of a family in force for a period: the one in force on the period's last day.

    The review of a period happens at its end, under the rules then in force: the version with the latest
    ``effective_from`` on or before the period's end whose ``effective_until`` (if any) is not before it.
    """
    folder = Path(family_dir)
    files = [f for f in sorted(folder.glob("*.yaml")) if not f.name.endswith(".tests.yaml")]
    return select_from(folder, [(f, load_framework(f)) for f in files], period)


def select_from(folder: Path, programs: Sequence[tuple[Path, Program]], period: Period) -> Selection:
    """``select_framework`` over versions already loaded (each file with its program)."""
    if not programs:
        raise NoFrameworkError(f"no framework files in {folder}")
    candidates = tuple((str(f), p.info.effective_from, p.info.effective_until) for f, p in programs)
    day = period.end
    in_force = [
        (f, p)
        for f, p in programs
        if p.info.effective_from <= day and (p.info.effective_until is None or p.info.effective_until >= day)
    ]
    if not in_force:
        known = "; ".join(f"{Path(f).name}: {start}..{until or ''}" for f, start, until in candidates)
        raise NoFrameworkError(
            f"no version of {folder.name} is in force on {day.isoformat()} (the end of the period {period}); "
            f"versions: {known}"
        )
    path, program = max(in_force, key=lambda item: item[1].info.effective_from)
    others = [Path(f).name for f, _ in in_force if f != path]
    if program.info.supersedes and not others:
        others = [program.info.supersedes]
    info = program.info
    reason = (
        f"{path.name} ({info.version}) is in force on {day.isoformat()}, the last day of the period {period}: "
        f"effective from {info.effective_from.isoformat()}"
        + (f" until {info.effective_until.isoformat()}" if info.effective_until else "")
        + (f"; it supersedes {', '.join(others)}" if others else "")
    )
    reason_vi = (
        f"{path.name} ({info.version}) có hiệu lực vào ngày {day.strftime('%d/%m/%Y')}, ngày cuối của kỳ đánh giá: "
        f"hiệu lực từ {info.effective_from.strftime('%d/%m/%Y')}"
        + (f" đến {info.effective_until.strftime('%d/%m/%Y')}" if info.effective_until else "")
        + (f"; thay thế {', '.join(others)}" if others else "")
    )
    return Selection(program, path, reason, reason_vi, candidates)


def framework_json_schema() -> dict[str, object]:
    """The JSON Schema of the framework format."""
    return schema.json_schema()
