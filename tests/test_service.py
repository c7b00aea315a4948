"""The decision service over HTTP: a real ``xeploai serve`` process on a loopback port, called as a program in
another language would call it (JSON in, JSON out), and its answers compared with the command line's."""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from paths import HD21, ROOT
from service_server import DISTRICT, Server, district_batch, district_zip, running
from xeploai import api
from xeploai.cli import main
from xeploai.explanation import explain

MEMBER = ROOT / "examples" / "members" / "nguyen-van-an.yaml"
BODY = {
    "framework": "party",
    "period": "2020",
    "subject": {"id": "DV-0001", "name": "Nguyễn Văn An", "kind": "party_member"},
    "evidence": api.load_evidence_file(MEMBER).evidence,
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running("--max-upload-mb", "2") as started:
        yield started


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """What ``xeploai batch`` prints and writes for the example district (the reference for the service)."""
    out = tmp_path_factory.mktemp("batch")
    return district_batch(out), out


def issues(reply_json: object) -> list[dict[str, object]]:
    assert isinstance(reply_json, dict)
    found = reply_json["issues"]
    assert isinstance(found, list)
    return found


# --- frameworks ----------------------------------------------------------------------------------------------


def test_lists_the_bundled_families_and_their_versions(server: Server) -> None:
    reply = server.get("/v1/frameworks")
    assert reply.status == 200
    families = {f["family"]: [v["id"] for v in f["versions"]] for f in reply.json()["families"]}  # type: ignore[index]
    assert "party/2019-10-18" in families["party"] and "civil-service/2026-01-01" in families["civil-service"]


def test_openapi_is_published(server: Server) -> None:
    spec = server.get("/openapi.json").json()
    assert isinstance(spec, dict)
    assert {"/v1/evaluate", "/v1/explain", "/v1/populations", "/v1/verify", "/v1/diff"} <= set(spec["paths"])
    assert server.get("/docs").status == 200


def test_evidence_schema_of_a_kind(server: Server) -> None:
    schema = server.get("/v1/frameworks/party/2019-10-18/evidence-schema/party_member").json()
    assert isinstance(schema, dict) and "targets_met" in schema["properties"]
    missing = server.get("/v1/frameworks/party/2019-10-18/evidence-schema/party_membr")
    assert missing.status == 404 and issues(missing.json())[0]["code"] == "unknown-subject-kind"


# --- one subject ---------------------------------------------------------------------------------------------


def test_evaluate_answers_the_explanation_json_of_the_command_line(server: Server) -> None:
    reply = server.post_json("/v1/evaluate?lang=en", BODY)
    assert reply.status == 200, reply.text
    got = reply.json()
    selection = api.select_framework(ROOT / "frameworks" / "party", api.parse_period(2020))
    result = api.evaluate(
        selection.program,
        "party_member",
        BODY["evidence"],  # type: ignore[arg-type]
        period=api.parse_period(2020),
        subject_id="DV-0001",
        subject_name="Nguyễn Văn An",
        source="<request>",
    )
    result.extras.update(selection_vi=selection.reason_vi, selection_en=selection.reason)
    expected = explain.to_json(result, selection.program, "en")
    assert isinstance(got, dict)
    for document in (got, expected):
        document["framework"].pop("source")  # type: ignore[union-attr]
    assert got == json.loads(json.dumps(expected))
    assert got["schema"] == "xeploai.explanation/1" and got["outcome"]["code"] == "HTT"  # type: ignore[index]


def test_explain_renders_the_printable_packet(server: Server) -> None:
    reply = server.post_json("/v1/explain", BODY)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    assert "Nguyễn Văn An" in reply.text and "<script" not in reply.text


def test_bad_evidence_gets_the_issues_of_the_command_line_with_422(server: Server) -> None:
    body = {**BODY, "evidence": {**BODY["evidence"], "targets_met": 13}}  # type: ignore[dict-item]
    reply = server.post_json("/v1/evaluate", body)
    assert reply.status == 422
    [issue] = issues(reply.json())
    assert issue["code"] == "exceeds-field" and issue["path"] == "evidence.targets_met"
    assert "targets_assigned" in str(issue["message"]) and "vượt" in str(issue["message_vi"])


@pytest.mark.parametrize(
    ("change", "status", "code", "path"),
    [
        ({"framework": "partyy"}, 404, "unknown-framework", "framework"),
        ({"framework": "party/1999-01-01"}, 404, "unknown-framework", "framework"),
        ({"period": "1990"}, 404, "unknown-framework", "period"),
        ({"period": "20x0"}, 422, "invalid-value", "period"),
        ({"kind": "party_membr"}, 422, "unknown-subject-kind", "kind"),
        ({"evidence": {"targets_metx": 1}}, 422, "unknown-field", "evidence.targets_metx"),
        ({"colour": "red"}, 422, "unknown-key", "colour"),
        ({"framework": None}, 422, "wrong-type", "framework"),
    ],
)
def test_bad_requests_get_issues_and_a_4xx(
    server: Server, change: dict[str, object], status: int, code: str, path: str
) -> None:
    reply = server.post_json("/v1/evaluate", {**BODY, **change})
    assert reply.status == status, reply.text
    assert (issues(reply.json())[0]["code"], issues(reply.json())[0]["path"]) == (code, path)


def test_a_body_that_is_not_json_and_an_unknown_path_get_a_4xx_without_internals(server: Server) -> None:
    reply = server.request("POST", "/v1/evaluate", b"{not json", {"Content-Type": "application/json"})
    assert reply.status == 422 and "Traceback" not in reply.text
    missing = server.get("/v1/nothing-here")
    assert missing.status == 404 and issues(missing.json())[0]["code"] == "not-found"


def test_a_request_over_the_size_limit_gets_413(server: Server) -> None:
    reply = server.request("POST", "/v1/evaluate", b"x" * (3 * 1024 * 1024), {"Content-Type": "application/json"})
    assert reply.status == 413 and issues(reply.json())[0]["code"] == "too-large"


def test_concurrent_requests_get_the_same_answers(server: Server) -> None:
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(5):
            reply = server.post_json("/v1/evaluate", BODY)
            with lock:
                answers.append((reply.status, reply.body))

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 30 and {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1


# --- receipts and versions -----------------------------------------------------------------------------------


def test_a_receipt_made_by_the_command_line_is_verified_and_a_tampered_one_is_not(
    server: Server, tmp_path: Path
) -> None:
    receipt_path = tmp_path / "nested" / "receipt.json"
    receipt_path.parent.mkdir()
    assert main(["evaluate", str(HD21), str(MEMBER), "--receipt", str(receipt_path), "--format", "json"]) == 0
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert ".." in receipt["framework"]["chain"][0]["file"]  # recorded relative to the receipt's folder
    checked = server.post_json("/v1/verify", receipt).json()
    assert isinstance(checked, dict) and checked["ok"] is True, checked
    receipt["outcome"]["level"] = "excellent"
    tampered = server.post_json("/v1/verify", receipt).json()
    assert isinstance(tampered, dict) and tampered["ok"] is False
    assert "receipt-digest" in {d["code"] for d in tampered["differences"]}


def test_diff_of_two_versions(server: Server) -> None:
    reply = server.get("/v1/diff?before=party/2019-10-18&after=party/2023-10-04")
    assert reply.status == 200
    from xeploai.analysis import diff

    before = api.load_framework(ROOT / "frameworks" / "party" / "2019-10-18.yaml")
    after = api.load_framework(ROOT / "frameworks" / "party" / "2023-10-04.yaml")
    assert reply.json() == json.loads(json.dumps(diff.to_json(diff.diff_programs(before, after))))


# --- populations ---------------------------------------------------------------------------------------------


def test_the_example_district_is_classified_as_by_batch(server: Server, batch: tuple[str, Path]) -> None:
    printed, out = batch
    reply = server.post_form(
        "/v1/populations", {"framework": "party", "period": "2020"}, [("district.zip", district_zip())]
    )
    if reply.status == 202:  # a slow machine: poll the job
        reply = _poll(server, reply.json())
    assert reply.status == 200, reply.text
    job = reply.json()
    assert isinstance(job, dict)
    counts = job["result"]["counts"]
    line = f"{counts['rows_read']} dòng đối tượng (cá nhân và tập thể) = {counts['classified']} được xếp loại"
    assert line in printed and job["result"]["reconciles"] is True
    results = server.get(job["links"]["files"]["ket-qua.csv"])
    assert results.body == (out / "ket-qua.csv").read_bytes()
    summary = server.get(job["links"]["files"]["tong-hop.csv"])
    assert summary.body == (out / "tong-hop.csv").read_bytes()
    official = zipfile.ZipFile(BytesIO(server.get(job["links"]["files"]["bieu-mau-csv.zip"]).body))
    assert any(name.startswith("bieu-mau/") for name in official.namelist())
    subject = server.get(f"/v1/jobs/{job['id']}/subjects/DV0001").json()
    assert isinstance(subject, dict) and subject["subject"]["id"] == "DV0001"
    packet = server.get(f"/v1/jobs/{job['id']}/subjects/DV0001?format=html&lang=en")
    assert packet.status == 200 and "<!DOCTYPE html>" in packet.text


def _poll(server: Server, job: object) -> object:
    import time

    assert isinstance(job, dict)
    for _ in range(600):
        reply = server.get(f"/v1/jobs/{job['id']}")
        if reply.json()["state"] in ("done", "failed"):  # type: ignore[index]
            return reply
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_a_job_reports_progress_until_it_is_done(server: Server) -> None:
    # the CSV files themselves, the subjects cut to their first 300 rows to keep the test short
    subjects = b"".join((DISTRICT / "subjects.csv").read_bytes().splitlines(keepends=True)[:301])
    files = [("units.csv", (DISTRICT / "units.csv").read_bytes()), ("subjects.csv", subjects)]
    reply = server.post_form("/v1/populations", {"framework": "party/2019-10-18", "period": "2020", "wait": "0"}, files)
    assert reply.status == 202 and reply.headers["location"].startswith("/v1/jobs/")
    job = reply.json()
    assert isinstance(job, dict) and job["state"] in ("queued", "reading", "classifying")
    done = _poll(server, job)
    job = done.json()
    assert isinstance(job, dict) and job["state"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] == job["result"]["counts"]["rows_read"] == 300


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("notes.txt", b"hello")], 422, "invalid-value"),
        ([("broken.zip", b"PK\x03\x04 not a zip")], 422, "invalid-value"),
        ([("../../etc/passwd.csv", b"id\n")], 422, None),  # the name is reduced to passwd.csv: no units.csv
        ([], 422, "missing-key"),
    ],
)
def test_an_upload_that_is_no_population_gets_issues(
    server: Server, files: list[tuple[str, bytes]], status: int, code: str | None
) -> None:
    reply = server.post_form("/v1/populations", {"framework": "party", "period": "2020"}, files)
    assert reply.status == status, reply.text
    assert "Traceback" not in reply.text
    if code is not None:
        assert issues(reply.json())[0]["code"] == code


def test_an_unknown_job_is_404(server: Server) -> None:
    reply = server.get("/v1/jobs/0123456789abcdef")
    assert reply.status == 404 and issues(reply.json())[0]["code"] == "not-found"
