"""``xeploai serve``: run the decision service and its page with uvicorn.

In: host, port, the frameworks folder and the limits. Out: a running server until interrupted; without the
``service`` extra, a ``MissingExtraError`` saying (in Vietnamese and English) what to install.
"""

from __future__ import annotations

import importlib.util

from xeploai.program.ir import Text

NEEDED = ("fastapi", "uvicorn", "multipart")


class MissingExtraError(Exception):
    """The service's packages are not installed; ``text`` says what to install."""

    def __init__(self, missing: list[str]) -> None:
        names = ", ".join(missing)
        self.text = Text(
            f"`xeploai serve` cần các gói tùy chọn chưa được cài ({names}): pip install 'xeploai[service]'",
            f"`xeploai serve` needs optional packages that are not installed ({names}): pip install 'xeploai[service]'",
        )
        super().__init__(self.text.en)


def missing_packages() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    frameworks: str | None = None,
    max_upload_mb: float = 20,
    workers: int = 2,
    log_level: str = "info",
) -> None:
    """Serve until interrupted; raises ``MissingExtraError`` before anything starts when packages are missing."""
    missing = missing_packages()
    if missing:
        raise MissingExtraError(missing)
    import uvicorn

    from xeploai.service.app import Settings, create_app

    settings = Settings(frameworks=frameworks, max_upload=int(max_upload_mb * 1024 * 1024), workers=workers)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
