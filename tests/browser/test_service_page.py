"""The service's page in a real browser: headless Chromium submits the page's own form for the example district,
reads the counts off the rendered summary (they must be what ``xeploai batch`` prints), switches to English and
opens a subject's packet. Runs where a Chromium or Chrome is found (see ``browsers``) and the ``service`` extra is
installed."""

from __future__ import annotations

import base64
import html
import re
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from test_render import CHROMIUM, FLAGS, needs_chromium

from service_server import Server, district_batch, district_zip, running


def dump_dom(tmp_path: Path, url: str) -> str:
    """The page as Chromium built it (after its load event), as HTML."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def batch_counts(out: Path) -> dict[str, int]:
    """The closing line of ``xeploai batch`` for the example district: rows = classified + … + rejected."""
    printed = district_batch(out)
    line = re.search(
        r"(\d+) dòng đối tượng \(cá nhân và tập thể\) = (\d+) được xếp loại \+ (\d+) không xếp loại"
        r" \+ (\d+) chưa đủ minh chứng \+ (\d+) chờ cấp có thẩm quyền quyết định"
        r" \+ (\d+) quy định không xếp được mức \+ (\d+) bị loại",
        printed,
    )
    assert line, printed
    keys = (
        "rows_read",
        "classified",
        "not_classified",
        "insufficient_evidence",
        "awaiting_decision",
        "left_to_competent_level",
        "rejected",
    )
    return dict(zip(keys, map(int, line.groups()), strict=True))


def counts_on(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'id="count-(\w+)">(\d+)<', page)}


def wait_done(server: Server, job_id: str) -> None:
    for _ in range(900):
        state = server.get(f"/v1/jobs/{job_id}").json()
        if isinstance(state, dict) and state["state"] in ("done", "failed"):
            assert state["state"] == "done", state
            return
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


@needs_chromium
def test_the_page_classifies_an_uploaded_district_and_opens_a_packet(tmp_path: Path) -> None:
    expected = batch_counts(tmp_path / "batch")
    with running() as server:
        home = dump_dom(tmp_path, f"{server.url}/")
        assert 'lang="vi"' in home and "Xếp loại một đơn vị" in home and "<script" not in home

        # Chromium fills in the page's own form — the district's folder zipped, the period — and submits it. Only the
        # harness page that presses the button has a script: a test cannot pick a file in a dialog.
        form = re.search(r'<form[^>]*id="classify-form".*?</form>', home, re.S)
        assert form, home
        markup = form.group(0).replace('action="/classify"', f'action="{server.url}/classify"')
        data = base64.b64encode(district_zip()).decode()
        harness = tmp_path / "harness.html"
        harness.write_text(
            f"<!DOCTYPE html><html><body>{markup}<script>"
            f"const bytes = Uint8Array.from(atob('{data}'), c => c.charCodeAt(0));"
            "const files = new DataTransfer(); files.items.add(new File([bytes], 'district.zip'));"
            "document.getElementById('file').files = files.files;"
            "document.getElementById('period').value = '2020';"
            "document.getElementById('classify-form').requestSubmit();"
            "</script></body></html>",
            encoding="utf-8",
        )
        landed = dump_dom(tmp_path, harness.as_uri())
        job_id = re.search(r"/jobs/([0-9a-f]{16})", landed)
        assert job_id, landed
        wait_done(server, job_id.group(1))
        page = dump_dom(tmp_path, f"{server.url}/jobs/{job_id.group(1)}")
        assert counts_on(page) == expected
        assert "Huyện ủy Sông Xanh" in page and "Tổng hợp theo đơn vị" in page

        # The English switch: the same counts.
        switch = re.search(r'id="lang-switch" href="([^"]+)"', page)
        assert switch
        page_en = dump_dom(tmp_path, server.url + html.unescape(switch.group(1)))
        assert counts_on(page_en) == expected and "Summary per unit" in page_en

        # Open the first subject's packet from its link.
        link = re.search(r'href="(/jobs/[0-9a-f]{16}/subjects/[^"]+)"', page_en)
        assert link
        packet = dump_dom(tmp_path, server.url + html.unescape(link.group(1)))
        assert "<h1>" in packet and 'lang="en"' in packet

        # The example district's button posts the same form without a file.
        example = re.search(r'<form[^>]*id="example-form".*?</form>', home, re.S)
        assert example and 'name="example" value="district"' in example.group(0)
        started = server.post_form("/classify", {"framework": "party", "period": "2020", "example": "district"})
        assert re.search(r"/jobs/[0-9a-f]{16}", started.url), started.url
