"""The service's last line of defence, served in this process by uvicorn: a bug is logged with its details and
answered with a plain 500 that shows none of them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import uvicorn

from service_server import free_port
from xeploai.service.app import Settings, create_app


def test_a_bug_is_logged_and_answered_with_a_plain_500(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings())

    @app.get("/v1/planted-bug")
    def planted_bug() -> None:
        raise RuntimeError("secret detail at /srv/private/path")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/planted-bug", timeout=30)
        body = answer.value.read().decode()
        answer.value.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert answer.value.code == 500
    assert json.loads(body)["issues"][0]["code"] == "internal-error"
    assert "secret" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert any("planted-bug" in r.getMessage() and r.exc_info for r in caplog.records)
