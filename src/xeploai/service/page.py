"""The page for people who classify in December: plain server-rendered HTML forms, Vietnamese by default
(``?lang=en`` for English), no script and nothing fetched from elsewhere, so it works on an offline machine.

In: form posts (an uploaded workbook or folder, the example district, a receipt) and the service's jobs.
Out: pages — the summary per unit, the results table, each subject's packet, the downloads, a receipt's verdict.
Every text that came from a user or a file is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xeploai import __version__, api
from xeploai.evaluation import report
from xeploai.explanation.receipt import unique_keys
from xeploai.service import work
from xeploai.service.catalogue import Catalogue
from xeploai.service.errors import ServiceError
from xeploai.service.jobs import Job, Jobs

Lang = Literal["vi", "en"]
PAGE_ROWS = 200  # rows of the results table per page

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Xếp loại chất lượng hằng năm", "Annual quality classification"),
    "switch": ("English", "Tiếng Việt"),
    "classify": ("Xếp loại một đơn vị", "Classify a unit"),
    "file": ("Tệp của đơn vị", "The unit's file"),
    "file_help": (
        "Sổ tính .xlsx (theo mẫu xeploai template), tệp .zip của thư mục CSV, các tệp .csv (units.csv, subjects.csv,"
        " …) hoặc tài liệu .yaml/.json",
        "An .xlsx workbook (as from xeploai template), a .zip of a folder of CSV files, the .csv files (units.csv,"
        " subjects.csv, …) or a .yaml/.json document",
    ),
    "framework": ("Khung tiêu chí", "Framework"),
    "in_force": ("phiên bản có hiệu lực cho kỳ", "the version in force for the period"),
    "period": ("Kỳ đánh giá", "Period"),
    "period_help": ("năm (2020), quý (2020-Q3) hoặc BẮT_ĐẦU..KẾT_THÚC", "a year (2020), a quarter or START..END"),
    "submit": ("Xếp loại", "Classify"),
    "example": ("Hoặc dùng đơn vị mẫu", "Or use the example"),
    "example_button": ("Xếp loại huyện mẫu Sông Xanh (2020)", "Classify the example district Sông Xanh (2020)"),
    "verify": ("Kiểm tra biên nhận", "Verify a receipt"),
    "verify_help": ("Dán nội dung biên nhận (.json) hoặc chọn tệp", "Paste the receipt (.json) or choose its file"),
    "verify_button": ("Kiểm tra", "Verify"),
    "working": ("Đang xếp loại", "Classifying"),
    "failed": ("Không xếp loại được", "Could not classify"),
    "summary": ("Tổng hợp theo đơn vị", "Summary per unit"),
    "results": ("Kết quả", "Results"),
    "downloads": ("Tải về", "Downloads"),
    "rows_read": ("Dòng đầu vào", "Input rows"),
    "classified": ("Được xếp loại", "Classified"),
    "not_classified": ("Không xếp loại", "Not classified"),
    "insufficient_evidence": ("Chưa đủ minh chứng", "Insufficient evidence"),
    "awaiting_decision": ("Chờ cấp có thẩm quyền quyết định", "Awaiting the competent level's decision"),
    "awaiting": ("Chờ QĐ", "Awaiting"),
    "left_to_competent_level": (
        "Quy định không xếp được mức: cấp có thẩm quyền quyết định",
        "Not decided by the rules: the competent level decides",
    ),
    "competent": ("CTQ", "Comp."),
    "rejected": ("Dòng bị loại", "Rejected rows"),
    "unit": ("Đơn vị", "Unit"),
    "total": ("Tổng", "Total"),
    "id": ("Mã", "Id"),
    "name": ("Họ tên / Tên", "Name"),
    "kind": ("Đối tượng", "Kind"),
    "level": ("Mức", "Level"),
    "reason": ("Lý do", "Reason"),
    "packet": ("giải thích", "explanation"),
    "results_table": ("Kết quả (ket-qua)", "Results (ket-qua)"),
    "summary_table": ("Tổng hợp (tong-hop)", "Summary (tong-hop)"),
    "rejections_table": ("Dòng bị loại (bi-loai)", "Rejected rows (bi-loai)"),
    "official": ("Biểu mẫu chính thức (bieu-mau)", "Official tables (bieu-mau)"),
    "page": ("Trang", "Page"),
    "all_units": ("mọi đơn vị", "all units"),
    "back": ("Trang đầu", "Home"),
    "receipt_ok": ("Biên nhận khớp: kết quả được xác nhận", "The receipt matches: the result is confirmed"),
    "receipt_bad": ("Biên nhận không khớp", "The receipt does not match"),
    "not_json": ("Nội dung dán vào không phải JSON", "What was pasted is not JSON"),
    "selection": ("Chọn khung tiêu chí", "Framework chosen"),
    "seconds": ("giây", "seconds"),
}

_CSS = """
body{font-family:system-ui,"Segoe UI",Arial,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#111}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
fieldset{border:1px solid #bbb;padding:1rem;margin:1rem 0}label{display:block;margin:.5rem 0 .2rem}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}
td.n,th.n{text-align:right}.error{color:#a00}.ok{color:#070}nav{float:right}small{color:#555}
textarea{width:100%;min-height:8rem}
"""


def _t(key: str, lang: str) -> str:
    vi, en = WORDS[key]
    return en if lang == "en" else vi


def _page(title: str, body: str, lang: str, *, refresh: str | None = None, here: str = "/") -> HTMLResponse:
    other = "en" if lang == "vi" else "vi"
    sep = "&" if "?" in here else "?"
    meta = f'<meta http-equiv="refresh" content="1;url={escape(refresh)}">' if refresh else ""
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<nav><a href="/?lang={lang}">{_t("back", lang)}</a> · '
        f'<a id="lang-switch" href="{escape(here + sep)}lang={other}">{_t("switch", lang)}</a></nav>'
        f"<h1>{escape(title)}</h1>{body}<p><small>xeploai {escape(__version__)}</small></p></body></html>"
    )
    return HTMLResponse(html)


def _errors(error: ServiceError, lang: str) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in error.text(lang).splitlines())
    return f'<ul class="error" id="errors">{items}</ul>'


def add_routes(app: FastAPI, catalogue: Catalogue, jobs: Jobs) -> None:
    """The page's routes: ``/``, ``/classify``, ``/jobs/{id}``, ``/jobs/{id}/subjects/{id}``, ``/verify``."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(lang: Lang = "vi") -> HTMLResponse:
        return _page(_t("title", lang), _home(catalogue, lang), lang)

    @app.post("/classify", include_in_schema=False, response_model=None)
    async def classify(
        framework: Annotated[str, Form()],
        period: Annotated[str, Form()],
        lang: Annotated[Lang, Form()] = "vi",
        example: Annotated[str, Form()] = "",
        file: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        try:
            if example:
                uploads = _example_files()
            else:
                uploads = [(f.filename or "upload", await f.read()) for f in file or [] if f.filename]
            job = jobs.submit(uploads, framework, work.period_of(period.strip()), lang)
        except ServiceError as error:
            body = _errors(error, lang) + _home(catalogue, lang)
            page = _page(_t("failed", lang), body, lang)
            page.status_code = error.status
            return page
        return RedirectResponse(f"/jobs/{job.id}?lang={lang}", status_code=303)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def job_page(job_id: str, lang: Lang = "vi", unit: str = "", page: int = 1) -> HTMLResponse:
        try:
            job = jobs.get(job_id)
        except ServiceError as error:
            out = _page(_t("failed", lang), _errors(error, lang), lang)
            out.status_code = error.status
            return out
        here = f"/jobs/{job.id}"
        if job.error is not None:
            return _page(f"{_t('failed', lang)}: {job.name}", _errors(job.error, lang), lang, here=here)
        if job.classified is None:
            body = f'<p id="progress">{_t("working", lang)}: {job.done}/{job.total or "…"}</p>'
            return _page(f"{_t('working', lang)}: {job.name}", body, lang, refresh=f"{here}?lang={lang}", here=here)
        return _page(job.name, _job_body(job, lang, unit, max(page, 1)), lang, here=here)

    @app.get("/jobs/{job_id}/subjects/{subject_id}", response_class=HTMLResponse, include_in_schema=False)
    def packet_page(job_id: str, subject_id: str, lang: Lang = "vi") -> HTMLResponse:
        try:
            job = jobs.get(job_id)
            if job.classified is None:
                raise job.error or ServiceError(409, job.name, [])
            result = job.classified.result.result(subject_id)
        except (ServiceError, KeyError) as error:
            problem = error if isinstance(error, ServiceError) else work.problem_not_found(subject_id)
            out = _page(_t("failed", lang), _errors(problem, lang), lang)
            out.status_code = problem.status
            return out
        return HTMLResponse(work.packet_html(result, job.classified.program, lang))

    @app.post("/verify", response_class=HTMLResponse, include_in_schema=False)
    async def verify_page(
        lang: Annotated[Lang, Form()] = "vi",
        text: Annotated[str, Form()] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ) -> HTMLResponse:
        raw = (await file.read()).decode("utf-8", "replace") if file is not None and file.filename else text
        try:  # as `xeploai verify` reads a receipt: a byte order mark read past, a repeated key refused
            data = json.loads(raw.removeprefix("\ufeff"), object_pairs_hook=unique_keys)
        except ValueError:
            return _page(_t("verify", lang), f'<p class="error" id="verdict">{_t("not_json", lang)}</p>', lang)
        if not isinstance(data, dict):
            return _page(_t("verify", lang), f'<p class="error" id="verdict">{_t("not_json", lang)}</p>', lang)
        checked = work.verify_receipt(catalogue, data)
        ok = bool(checked["ok"])
        text_of = checked["text"]
        report_text = text_of.get(lang, "") if isinstance(text_of, dict) else ""
        verdict = _t("receipt_ok" if ok else "receipt_bad", lang)
        body = (
            f'<p class="{"ok" if ok else "error"}" id="verdict">{escape(verdict)}</p>'
            f"<pre>{escape(str(report_text))}</pre>"
        )
        return _page(_t("verify", lang), body, lang)


def _example_files() -> list[tuple[str, bytes]]:
    folder = api.example_district()
    if folder is None:
        raise work.problem_not_found("example district")
    return [(f.name, f.read_bytes()) for f in sorted(folder.glob("*.csv"))]


def _home(catalogue: Catalogue, lang: str) -> str:
    options = []
    for family, entries in catalogue.families().items():
        options.append(
            f'<option value="{escape(family)}"{" selected" if family == "party" else ""}>'
            f"{escape(family)} — {_t('in_force', lang)}</option>"
        )
        options.extend(f'<option value="{escape(e.id)}">{escape(e.id)}</option>' for e in entries)
    select = f'<select name="framework" id="framework">{"".join(options)}</select>'
    hidden = f'<input type="hidden" name="lang" value="{lang}">'
    classify = (
        f'<form method="post" action="/classify" enctype="multipart/form-data" id="classify-form">'
        f"<fieldset><legend>{_t('classify', lang)}</legend>{hidden}"
        f'<label for="file">{_t("file", lang)}</label>'
        f'<input type="file" id="file" name="file" multiple accept=".xlsx,.zip,.csv,.yaml,.yml,.json">'
        f"<br><small>{_t('file_help', lang)}</small>"
        f'<label for="framework">{_t("framework", lang)}</label>{select}'
        f'<label for="period">{_t("period", lang)}</label>'
        f'<input id="period" name="period" required placeholder="2020"> <small>{_t("period_help", lang)}</small>'
        f'<p><button type="submit" id="classify">{_t("submit", lang)}</button></p></fieldset></form>'
    )
    example = ""
    if api.example_district() is not None:
        example = (
            f'<form method="post" action="/classify" enctype="multipart/form-data" id="example-form">{hidden}'
            '<input type="hidden" name="framework" value="party"><input type="hidden" name="period" value="2020">'
            f'<input type="hidden" name="example" value="district"><p>{_t("example", lang)}: '
            f'<button type="submit" id="example">{_t("example_button", lang)}</button></p></form>'
        )
    verify = (
        f'<form method="post" action="/verify" enctype="multipart/form-data" id="verify-form">'
        f"<fieldset><legend>{_t('verify', lang)}</legend>{hidden}"
        f'<label for="receipt-text">{_t("verify_help", lang)}</label>'
        f'<textarea id="receipt-text" name="text"></textarea>'
        f'<input type="file" name="file" accept=".json">'
        f'<p><button type="submit" id="verify">{_t("verify_button", lang)}</button></p></fieldset></form>'
    )
    return classify + example + verify


def _job_body(job: Job, lang: str, unit: str, page: int) -> str:
    done = job.classified
    assert done is not None
    program, result = done.program, done.result
    counts = done.counts
    parts = []
    if done.selection:
        parts.append(f"<p>{_t('selection', lang)}: {escape(done.selection[1 if lang == 'en' else 0])}</p>")
    keys = (
        "rows_read",
        "classified",
        "not_classified",
        "insufficient_evidence",
        "awaiting_decision",
        "left_to_competent_level",
        "rejected",
    )
    cells = "".join(f'<tr><th>{_t(k, lang)}</th><td class="n" id="count-{k}">{counts[k]}</td></tr>' for k in keys)
    seconds = f" <small>({job.seconds:.1f} {_t('seconds', lang)})</small>" if job.seconds is not None else ""
    parts.append(f'<table id="counts">{cells}</table>{seconds}')
    base = f"/v1/jobs/{job.id}/files"
    links = [
        (_t("results_table", lang), "ket-qua"),
        (_t("summary_table", lang), "tong-hop"),
        (_t("rejections_table", lang), "bi-loai"),
    ]
    items = "".join(
        f'<li>{label}: <a href="{base}/{name}.csv?lang={lang}">CSV</a> · '
        f'<a href="{base}/{name}.xlsx?lang={lang}">XLSX</a></li>'
        for label, name in links
    )
    items += (
        f'<li>{_t("official", lang)}: <a href="{base}/bieu-mau.zip?lang={lang}">XLSX (.zip)</a> · '
        f'<a href="{base}/bieu-mau-csv.zip?lang={lang}">CSV (.zip)</a></li>'
    )
    parts.append(f'<h2>{_t("downloads", lang)}</h2><ul id="downloads">{items}</ul>')
    codes = [v.code for v in program.levels.values]
    head = "".join(f'<th class="n">{escape(c)}</th>' for c in codes)
    rows = []
    for row in done.summary:
        unit_id = str(row.get("unit") or "")
        name = escape(str(row.get("unit_name") or unit_id))
        link = f'<a href="/jobs/{job.id}?lang={lang}&amp;unit={escape(unit_id)}">{name}</a>' if unit_id else name
        numbers = "".join(f'<td class="n">{escape(str(row.get(c, "")))}</td>' for c in codes)
        rows.append(
            f'<tr data-unit="{escape(unit_id)}"><td>{link}</td><td class="n">{escape(str(row.get("members", "")))}</td>'
            f"{numbers}"
            + "".join(
                f'<td class="n">{escape(str(row.get(k, "")))}</td>'
                for k in ("not_classified", "insufficient", "awaiting", "competent")
            )
            + f'<td class="n">{escape(str(row.get("rejected", "")))}</td></tr>'
        )
    parts.append(
        f'<h2>{_t("summary", lang)}</h2><table id="summary"><tr><th>{_t("unit", lang)}</th>'
        f'<th class="n">{_t("total", lang)}</th>{head}<th class="n">KXL</th><th class="n">CĐCC</th>'
        f'<th class="n">{_t("awaiting", lang)}</th><th class="n">{_t("competent", lang)}</th>'
        f'<th class="n">{_t("rejected", lang)}</th></tr>'
        f"{''.join(rows)}</table>"
    )
    parts.append(_results(job, result, lang, unit, page))
    return "".join(parts)


def _results(job: Job, result: object, lang: str, unit: str, page: int) -> str:
    done = job.classified
    assert done is not None
    rows = report.result_rows(done.result, lang)
    if unit:
        rows = [r for r in rows if r["unit"] == unit]
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(page, pages)
    shown = rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    body = []
    for r in shown:
        sid = str(r["id"])
        href = f"/jobs/{job.id}/subjects/{escape(sid)}?lang={lang}"
        level = escape(str(r["level"] or r["status"]))
        body.append(
            f"<tr><td>{escape(sid)}</td><td>{escape(str(r['name']))}</td><td>{escape(str(r['kind']))}</td>"
            f"<td>{escape(str(r['unit_name']))}</td><td>{level}</td><td>{escape(str(r['reason']))}</td>"
            f'<td><a href="{href}">{_t("packet", lang)}</a></td></tr>'
        )
    filter_text = escape(unit) if unit else _t("all_units", lang)
    nav = ""
    if pages > 1:
        unit_q = f"&amp;unit={escape(unit)}" if unit else ""
        nav = (
            "<p>"
            + " ".join(
                f'<a href="/jobs/{job.id}?lang={lang}{unit_q}&amp;page={n}">{_t("page", lang)} {n}</a>'
                if n != page
                else f"<strong>{_t('page', lang)} {n}</strong>"
                for n in range(1, pages + 1)
            )
            + "</p>"
        )
    header = "".join(f"<th>{_t(k, lang)}</th>" for k in ("id", "name", "kind", "unit", "level", "reason"))
    return (
        f"<h2>{_t('results', lang)} ({filter_text}: {len(rows)})</h2>{nav}"
        f'<table id="results"><tr>{header}<th></th></tr>{"".join(body)}</table>{nav}'
    )
