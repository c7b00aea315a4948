"""Problems of a request as data: the same ``Issue`` records as the command line, with the HTTP status to send.

In: what went wrong (issues from the stages, or a request problem). Out: ``ServiceError`` and its JSON body
``{"status", "source", "issues": [{code, message, message_vi, path, file, line, col, hint, hint_vi}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence

from xeploai.program.ir import Text
from xeploai.program.issues import Issue


class ServiceError(Exception):
    """A request the service cannot answer: a 4xx status and every problem found, each with its position."""

    def __init__(self, status: int, source: str, issues: Sequence[Issue]) -> None:
        self.status = status
        self.source = source
        self.issues = tuple(issues)
        super().__init__(f"{status} {source}: " + "; ".join(i.message for i in self.issues))

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "source": self.source, "issues": [i.to_json() for i in self.issues]}

    def text(self, lang: str) -> str:
        """The problems as one line each, in ``lang``, for a page."""
        return "\n".join(
            f"{i.path + ': ' if i.path else ''}{i.message_in(lang)} [{i.code}]"
            + (f" ({i.hint_in(lang)})" if i.hint_in(lang) else "")
            for i in self.issues
        )


def problem(status: int, code: str, vi: str, en: str, path: str = "", source: str = "<request>") -> ServiceError:
    """One problem of a request (``code`` is an issue code of docs/reference/issue-codes.md)."""
    return ServiceError(status, source, [Issue.from_text(code, Text(vi, en), path)])


def with_prefix(issues: Sequence[Issue], prefix: str) -> list[Issue]:
    """Issues whose paths are relative to a part of the request body (``evidence``), made absolute."""
    from dataclasses import replace

    return [replace(i, path=f"{prefix}.{i.path}" if i.path else prefix) for i in issues]
