"""The decision service as an ASGI app (FastAPI): versioned JSON endpoints under ``/v1``, OpenAPI at
``/openapi.json`` and ``/docs``, and the page for people (``page``) at ``/``.

In: ``Settings`` (frameworks folder, limits). Out: a FastAPI app. Every problem is answered with the stages'
``Issue`` records and a 4xx status; a bug is logged and answered with a plain 500, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from xeploai import __version__, api
from xeploai.explanation import explain
from xeploai.program.ir import Text
from xeploai.program.issues import Issue
from xeploai.service import work
from xeploai.service.catalogue import Catalogue
from xeploai.service.errors import ServiceError, problem
from xeploai.service.jobs import DOWNLOADS, Job, Jobs

log = logging.getLogger("xeploai.service")

Lang = Literal["vi", "en"]
API_VERSION = "v1"


@dataclass(frozen=True)
class Settings:
    """How a service runs: which frameworks it serves besides the bundled ones, and its limits."""

    frameworks: str | None = None  # a folder of <family>/<effective-date>.yaml; its families win over bundled ones
    bundled: bool = True
    max_upload: int = 20 * 1024 * 1024  # bytes of a request body (an uploaded population)
    max_unpacked: int = 200 * 1024 * 1024  # bytes a .zip upload may unpack to
    workers: int = 2  # populations classified at once
    keep_jobs: int = 16  # finished jobs kept for their tables and packets
    wait: float = 10.0  # seconds a population request waits for its job before answering 202


# --- request bodies ------------------------------------------------------------------------------------------


class PeriodRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date
    kind: str = "ad_hoc"


class Subject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ""
    name: str | None = None
    kind: str | None = None


class EvaluateRequest(BaseModel):
    """One subject's evidence document (as ``xeploai evaluate`` reads it) and the framework to evaluate it with."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "framework": "party",
                    "period": "2020",
                    "subject": {"id": "DV-0001", "name": "Nguyễn Văn An", "kind": "party_member"},
                    "evidence": {"targets_assigned": 12, "targets_met": 12, "task_results": "Xuất sắc"},
                }
            ]
        },
    )
    framework: str = Field(description="a family (party: the version in force for the period) or a file id")
    period: str | int | PeriodRange | None = Field(None, description="2020, 2020-Q3, START..END or {start, end}")
    kind: str | None = Field(None, description="the subject kind (default: subject.kind)")
    subject: Subject | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, description="field: value, as in an evidence file")


def _body(request: EvaluateRequest) -> dict[str, object]:
    data: dict[str, object] = request.model_dump(exclude={"period", "evidence"})
    period = request.period
    data["period"] = period.model_dump() if isinstance(period, PeriodRange) else period
    data["evidence"] = request.evidence
    if isinstance(data["period"], dict):
        data["period"] = {k: v.isoformat() if isinstance(v, date) else v for k, v in data["period"].items()}
    return data


# --- the app -------------------------------------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service: frameworks found once at start (compiled on first use, then reused), jobs in worker threads."""
    settings = settings or Settings()
    catalogue = Catalogue(settings.frameworks, bundled=settings.bundled)
    jobs = Jobs(catalogue, workers=settings.workers, keep=settings.keep_jobs, max_unpacked=settings.max_unpacked)
    app = FastAPI(
        title="xeploai decision service",
        version=__version__,
        description="Evaluate, explain and verify Vietnamese annual quality classifications against versioned,"
        " cited frameworks. Problems are answered as issues (code, message in Vietnamese and English, position)"
        " with a 4xx status. See docs/how-to/integrate-the-service.md.",
        on_shutdown=[jobs.close],
    )
    app.state.catalogue, app.state.jobs, app.state.settings = catalogue, jobs, settings
    app.add_middleware(BodyLimit, limit=settings.max_upload)
    _handlers(app)
    _routes(app, catalogue, jobs, settings)
    from xeploai.service import page

    page.add_routes(app, catalogue, jobs)
    return app


def _routes(app: FastAPI, catalogue: Catalogue, jobs: Jobs, settings: Settings) -> None:
    v1 = f"/{API_VERSION}"

    @app.get(f"{v1}/health", tags=["service"])
    def health() -> dict[str, object]:
        """Whether the service runs, and its engine version."""
        return {"status": "ok", "engine": {"name": "xeploai", "version": __version__}}

    @app.get(f"{v1}/frameworks", tags=["frameworks"])
    def frameworks() -> dict[str, object]:
        """Every family and version served (bundled, and those of the --frameworks folder)."""
        return catalogue.to_json()

    @app.get(f"{v1}/frameworks/{{family}}/{{version}}/evidence-schema/{{kind}}", tags=["frameworks"])
    def evidence_schema(family: str, version: str, kind: str) -> dict[str, object]:
        """The JSON Schema of one subject kind's evidence, for the forms and systems that collect it."""
        program, _ = catalogue.program(f"{family}/{version}")
        if kind not in program.subjects:
            raise _unknown_kind(kind, program.subjects)
        return api.evidence_json_schema(program, kind)

    @app.post(f"{v1}/evaluate", tags=["subjects"], response_class=JSONResponse)
    def evaluate(request: EvaluateRequest, lang: Lang = "vi") -> JSONResponse:
        """Evaluate one subject: the explanation JSON of ``xeploai evaluate --format json`` (same schema,
        schema/explanation.schema.json). Returned as a response, so that FastAPI does not walk the trace again."""
        return JSONResponse(work.explanation_json(work.evaluate(catalogue, _body(request)), lang))

    @app.post(f"{v1}/explain", tags=["subjects"], response_class=HTMLResponse)
    def explain_html(request: EvaluateRequest, lang: Lang = "vi") -> HTMLResponse:
        """Evaluate one subject and render the printable dispute packet (``xeploai explain --format html``)."""
        done = work.evaluate(catalogue, _body(request))
        return HTMLResponse(work.packet_html(done.result, done.program, lang, done.evidence))

    @app.post(f"{v1}/verify", tags=["receipts"])
    def verify(receipt: Annotated[dict[str, Any], Body(description="a receipt, as written by --receipt")]) -> Any:
        """Replay a receipt against the served frameworks (found by their recorded hashes): ``ok`` and every
        difference, as ``xeploai verify --format json``."""
        return work.verify_receipt(catalogue, receipt)

    @app.get(f"{v1}/diff", tags=["frameworks"])
    def diff(
        before: Annotated[str, Query(description="file id, e.g. party/2019-10-18")],
        after: Annotated[str, Query(description="file id, e.g. party/2023-10-04")],
    ) -> dict[str, object]:
        """Two versions compared rule by rule (``xeploai diff A B --format json``)."""
        return work.diff_json(catalogue, before, after)

    @app.post(f"{v1}/populations", tags=["populations"], status_code=200)
    async def classify(
        file: Annotated[list[UploadFile], File(description="a workbook, a zip of CSV files, the CSV files, …")],
        framework: Annotated[str, Form()],
        period: Annotated[str, Form()],
        lang: Annotated[Lang, Form()] = "vi",
        wait: Annotated[float | None, Form(description="seconds to wait for the result before answering 202")] = None,
    ) -> JSONResponse:
        """Classify a population (as ``xeploai batch``): the summary per unit and the closing counts when it is
        done within ``wait`` seconds, else 202 and the job to poll at ``/v1/jobs/{id}``."""
        uploads = [(f.filename or "upload", await f.read()) for f in file]
        job = jobs.submit(uploads, framework, work.period_of(period), lang)
        seconds = settings.wait if wait is None else max(0.0, min(wait, 60.0))
        await _wait(jobs, job, seconds)
        status = (job.error.status if job.error else 200) if job.finished else 202
        return JSONResponse(job_json(job, lang), status_code=status, headers={"Location": f"{v1}/jobs/{job.id}"})

    @app.get(f"{v1}/jobs/{{job_id}}", tags=["populations"])
    def job(job_id: str, lang: Lang = "vi") -> JSONResponse:
        """A classification job: its state and progress, and when done its summary, counts and files."""
        found = jobs.get(job_id)
        status = found.error.status if found.error else 200
        return JSONResponse(job_json(found, lang), status_code=status)

    @app.get(f"{v1}/jobs/{{job_id}}/files/{{name}}", tags=["populations"], response_class=FileResponse)
    def download(job_id: str, name: str, lang: Lang = "vi") -> FileResponse:
        """A table of a finished job: ket-qua (results), tong-hop (summary), bi-loai (rejected rows) as .csv or
        .xlsx, or bieu-mau (the official tables) as a .zip of workbooks (bieu-mau.zip) or CSV (bieu-mau-csv.zip)."""
        found = _finished(jobs, job_id)
        stem, _, ext = name.partition(".")
        fmt = {"bieu-mau.zip": "xlsx", "bieu-mau-csv.zip": "csv"}.get(name, ext)
        if stem.removesuffix("-csv") not in DOWNLOADS or fmt not in ("csv", "xlsx"):
            raise problem(404, "not-found", f"không có tệp {name!r}", f"there is no file {name!r}", "name")
        if stem.startswith("bieu-mau") and not name.endswith(".zip"):
            raise problem(404, "not-found", f"không có tệp {name!r}", f"there is no file {name!r}", "name")
        from xeploai.service import jobs as jobs_module

        path = jobs_module.write(found, stem.removesuffix("-csv"), fmt, lang)
        return FileResponse(path, filename=name)

    @app.get(f"{v1}/jobs/{{job_id}}/subjects/{{subject_id}}", tags=["populations"])
    def subject(job_id: str, subject_id: str, lang: Lang = "vi", format: Literal["json", "html"] = "json") -> Response:
        """One subject of a classified population: its explanation JSON, or its printable packet (format=html)."""
        classified = _finished(jobs, job_id).classified
        assert classified is not None
        try:
            result = classified.result.result(subject_id)
        except KeyError:
            raise problem(
                404, "not-found", f"không có đối tượng {subject_id!r}", f"there is no subject {subject_id!r}", "subject"
            ) from None
        if format == "html":
            return HTMLResponse(work.packet_html(result, classified.program, lang))
        return JSONResponse(explain.to_json(result, classified.program, lang))


async def _wait(jobs: Jobs, job: Job, seconds: float) -> None:
    import anyio

    await anyio.to_thread.run_sync(jobs.wait, job, seconds)


def _finished(jobs: Jobs, job_id: str) -> Job:
    found = jobs.get(job_id)
    if found.error is not None:
        raise found.error
    if found.classified is None:
        raise problem(
            409,
            "not-found",
            "việc xếp loại chưa xong; hãy chờ rồi thử lại",
            "the classification is not finished yet; try again shortly",
            "job",
        )
    return found


def _unknown_kind(kind: str, kinds: object) -> ServiceError:
    from xeploai.program.issues import suggest

    names = list(kinds) if isinstance(kinds, dict) else []
    known = ", ".join(names)
    issue = Issue.from_text(
        "unknown-subject-kind",
        Text(f"loại đối tượng {kind!r} không có; có: {known}", f"no subject kind {kind!r}; there are: {known}"),
        "kind",
        hint=suggest(kind, names),
    )
    return ServiceError(404, "<request>", [issue])


def job_json(job: Job, lang: str) -> dict[str, object]:
    """A job as JSON: state and progress; when done, what ``xeploai batch`` prints and the files to download."""
    base = f"/{API_VERSION}/jobs/{job.id}"
    out: dict[str, object] = {
        "id": job.id,
        "name": job.name,
        "state": job.state,
        "progress": {"done": job.done, "total": job.total},
        "framework": job.framework,
        "period": str(job.period),
        "seconds": round(job.seconds, 3) if job.seconds is not None else None,
        "links": {"self": base},
    }
    if job.error is not None:
        out["error"] = job.error.to_json()
    done = job.classified
    if done is not None:
        result, program = done.result, done.program
        levels = [
            {"id": v.id, "code": v.code, "label": {"vi": v.label.vi, "en": v.label.en}} for v in program.levels.values
        ]
        out["result"] = {
            "framework": {
                "id": done.framework_id,
                "family": program.info.family,
                "version": program.info.version,
                "selection": {"vi": done.selection[0], "en": done.selection[1]} if done.selection else None,
            },
            "levels": levels,
            "counts": dict(done.counts),
            "reconciles": result.reconciles(),
            "strata": [{"index": s.index, "kinds": list(s.kinds), "quotas": list(s.quotas)} for s in result.strata],
            "quota_groups": {
                status: sum(g.status == status for g in result.quota_groups)
                for status in ("ranked", "flagged", "decided")
            },
            "summary": [{k: _plain(v) for k, v in row.items()} for row in done.summary],
            "rejections": [
                {
                    "source": job.source_name(r.source),
                    "row": r.row,
                    "column": r.column,
                    "value": _plain(r.value),
                    "reason": {"vi": r.reason_in("vi"), "en": r.reason_in("en")},
                }
                for r in result.rejections[:200]
            ],
        }
        files = {f"{n}.{e}": f"{base}/files/{n}.{e}" for n in DOWNLOADS[:3] for e in ("csv", "xlsx")}
        files.update({n: f"{base}/files/{n}" for n in ("bieu-mau.zip", "bieu-mau-csv.zip")})
        out["links"] = {"self": base, "files": files, "subject": f"{base}/subjects/{{id}}"}
    return out


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


# --- errors and limits ---------------------------------------------------------------------------------------


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> Response:
        if error.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, error)
        return JSONResponse(error.to_json(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        issues = [_pydantic_issue(e) for e in error.errors()]
        return JSONResponse(ServiceError(422, "<request>", issues).to_json(), status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if isinstance(error, _TooLargeError):
            return JSONResponse(_too_large(error.limit).to_json(), status_code=413)
        code = "not-found" if error.status_code in (404, 405) else "invalid-value"
        detail = str(error.detail)
        issue = Issue.from_text(code, Text(f"{request.url.path}: {detail}", f"{request.url.path}: {detail}"))
        return JSONResponse(
            ServiceError(error.status_code, "<request>", [issue]).to_json(), status_code=error.status_code
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        body = problem(500, "internal-error", "lỗi nội bộ của xeploai", "an internal error of xeploai").to_json()
        return JSONResponse(body, status_code=500)


def _too_large(limit: int) -> ServiceError:
    mb = limit / (1024 * 1024)
    return problem(
        413, "too-large", f"yêu cầu lớn hơn giới hạn {mb:g} MB", f"the request is larger than the limit of {mb:g} MB"
    )


_PYDANTIC_CODES = {"missing": "missing-key", "extra_forbidden": "unknown-key", "json_invalid": "invalid-value"}


def _pydantic_issue(error: Any) -> Issue:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "form")]
    code = _PYDANTIC_CODES.get(str(error.get("type")), "wrong-type")
    message = str(error.get("msg", "invalid"))
    vi = {"missing-key": "thiếu khóa bắt buộc", "unknown-key": "khóa không có trong yêu cầu"}.get(
        code, "giá trị sai kiểu hoặc sai dạng"
    )
    return Issue.from_text(code, Text(f"{vi} ({message})", message), ".".join(loc))


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLargeError(HTTPException):
    """Raised while a body streams past the limit: FastAPI passes an ``HTTPException`` on to its handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes with 413, by its Content-Length or while it streams."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._drain(receive)
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLargeError(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLargeError:
            if not started:
                await self._drain(receive)
                await self._refuse(send)

    async def _drain(self, receive: Receive) -> None:
        """Read (and drop) what the client still sends, up to a bound, so that a client that writes its whole
        body before reading the answer gets the 413 instead of a broken connection."""
        drained = 0
        while drained < 8 * self.limit:
            message = await receive()
            drained += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    async def _refuse(self, send: Send) -> None:
        body = _too_large(self.limit).to_json()
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": data})
