"""Populations classified for the service: an upload unpacked into a folder, classified in a worker thread as a
job whose progress can be polled, its tables written for download.

In: uploaded files (a workbook, a zip of a folder of CSV files, the CSV files themselves, or a YAML/JSON
document), a framework and a period. Out: ``Job`` records (state, progress, the classified population, the
per-unit summary, the closing counts) and the files ``xeploai batch`` writes, official tables included.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from xeploai.evaluation import population, report
from xeploai.evaluation.population import PopulationInput, PopulationResult
from xeploai.program.ir import Period, Program
from xeploai.program.issues import Issue
from xeploai.service.catalogue import Catalogue
from xeploai.service.errors import ServiceError, problem

_SAFE_NAME = re.compile(r"^[\w][\w.\- ]{0,120}$")
DOCUMENTS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Classified:
    """A population classified: what ``xeploai batch`` prints and writes, kept to answer questions about it."""

    program: Program
    framework_id: str
    selection: tuple[str, str] | None  # why this version (vi, en), when a family was given
    data: PopulationInput
    result: PopulationResult
    summary: list[dict[str, object]]
    counts: Mapping[str, int]


@dataclass
class Job:
    """One population's classification, from upload to tables; its fields change only under ``Jobs``' lock."""

    id: str
    name: str  # the upload's name, as the user knows it
    framework: str
    period: Period
    folder: Path
    state: str = "queued"  # queued → reading → classifying → writing → done | failed
    done: int = 0
    total: int = 0
    error: ServiceError | None = None
    classified: Classified | None = None
    created: float = field(default_factory=time.time)
    seconds: float | None = None
    _written: dict[str, Path] = field(default_factory=dict)
    _writing: threading.Lock = field(default_factory=threading.Lock)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def source_name(self, source: str) -> str:
        """A rejection's source without the job's private folder."""
        return source.replace(str(self.folder / "input") + "/", "").replace(str(self.folder / "input"), self.name)


def unpack(files: Sequence[tuple[str, bytes]], target: Path, max_unpacked: int) -> Path:
    """The uploaded files as something ``read_population`` reads: the one workbook or document, or a folder of
    CSV files (uploaded one by one, or zipped, in a folder or not). Names are checked; a zip cannot escape."""
    target.mkdir(parents=True)
    if not files:
        raise problem(422, "missing-key", "chưa chọn tệp nào để tải lên", "no file was uploaded", "file")
    names = [Path(name.replace("\\", "/")).name for name, _ in files]
    for name in names:
        if not _SAFE_NAME.match(name):
            raise problem(422, "invalid-value", f"tên tệp không hợp lệ: {name!r}", f"not a usable file name: {name!r}")
    suffixes = [Path(n).suffix.lower() for n in names]
    if len(files) == 1 and suffixes[0] in (".xlsx", *DOCUMENTS):
        path = target / names[0]
        path.write_bytes(files[0][1])
        return path
    if len(files) == 1 and suffixes[0] == ".zip":
        return _unzip(files[0][1], target, max_unpacked)
    if all(s in (".csv", ".parquet") for s in suffixes):
        for name, (_, content) in zip(names, files, strict=True):
            (target / name).write_bytes(content)
        return target
    raise problem(
        422,
        "invalid-value",
        "hãy tải lên một sổ tính .xlsx, một tệp .zip của thư mục CSV, các tệp .csv (units.csv, subjects.csv, …)"
        f" hoặc một tài liệu .yaml/.json, không phải {', '.join(names)}",
        "upload one .xlsx workbook, one .zip of a folder of CSV files, the .csv files themselves (units.csv,"
        f" subjects.csv, …) or one .yaml/.json document, not {', '.join(names)}",
        "file",
    )


def _unzip(content: bytes, target: Path, max_unpacked: int) -> Path:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    except zipfile.BadZipFile:
        raise problem(422, "invalid-value", "tệp .zip bị hỏng", "the .zip file is damaged", "file") from None
    if len(members) > 1000 or sum(m.file_size for m in members) > max_unpacked:
        raise problem(
            413, "too-large", "tệp .zip giải nén ra quá lớn", "the .zip file unpacks to more than allowed", "file"
        )
    tables = [m for m in members if Path(m.filename).suffix.lower() in (".csv", ".parquet")]
    if not tables:
        raise problem(422, "invalid-value", "tệp .zip không có tệp CSV nào", "the .zip holds no CSV file", "file")
    # the folder holding subjects.csv, or the only folder: a zip of the folder itself or of its files
    folders = {str(Path(m.filename).parent) for m in tables}
    chosen = next((str(Path(m.filename).parent) for m in tables if Path(m.filename).name == "subjects.csv"), None)
    folder = chosen if chosen is not None else sorted(folders)[0]
    for member in tables:
        if str(Path(member.filename).parent) != folder:
            continue
        name = Path(member.filename).name
        if not _SAFE_NAME.match(name):
            raise problem(422, "invalid-value", f"tên tệp không hợp lệ: {name!r}", f"not a usable file name: {name!r}")
        with archive.open(member) as source, (target / name).open("wb") as sink:
            shutil.copyfileobj(source, sink)
    return target


def classify(catalogue: Catalogue, job: Job, path: Path, lang: str, progress: population.Progress) -> Classified:
    """Classify a population as ``xeploai batch`` does without ``--process``: level spellings and readings as
    the framework declares them, every row ending classified or rejected."""
    from xeploai.analysis import readings
    from xeploai.tables import reader, spellings
    from xeploai.tables.files import TableError

    program, entry, selection = catalogue.resolve(job.framework, job.period)
    try:
        read = spellings.read_population if program.process is not None else reader.read_population
        data = readings.prepare(program, read(path, program))
    except TableError as error:
        issues = error.issues or [Issue("invalid-value", job.source_name(error.message), "file")]
        raise ServiceError(422, job.name, issues) from None
    result = population.evaluate_population(program, data, job.period, progress=progress)
    reason = (selection.reason_vi, selection.reason) if selection is not None else None
    counts = report.counts_text(result, lang)
    return Classified(program, entry.id, reason, data, result, report.summary_rows(result), counts)


# The files a job offers, by name: what ``xeploai batch`` writes (and ``--tables``: the official forms, zipped).
DOWNLOADS = ("ket-qua", "tong-hop", "bi-loai", "bieu-mau")


def write(job: Job, name: str, fmt: str, lang: str) -> Path:
    """Write one of a finished job's tables (once per name, format and language) and return its path."""
    with job._writing:  # two downloads of one table at once: the second waits and is served the same file
        return _write(job, name, fmt, lang)


def _write(job: Job, name: str, fmt: str, lang: str) -> Path:
    from xeploai.tables import writers

    classified = job.classified
    assert classified is not None
    key = f"{name}-{lang}.{fmt}"
    if key in job._written:
        return job._written[key]
    out = job.folder / "out" / lang
    out.mkdir(parents=True, exist_ok=True)
    result, program = classified.result, classified.program
    if name == "ket-qua":
        path = out / f"ket-qua.{fmt}"
        writers.write_table(report.result_rows(result, lang), report.RESULT_COLUMNS, path)
    elif name == "tong-hop":
        path = out / f"tong-hop.{fmt}"
        columns = report.summary_columns(program)
        writers.write_table(classified.summary, columns, path, report.summary_count_columns(program))
    elif name == "bi-loai":
        path = out / f"bi-loai.{fmt}"
        rejections = [replace(r, source=job.source_name(r.source)) for r in result.rejections]
        writers.write_rejections(rejections, path, lang)
    else:
        from xeploai.process import forms

        folder = out / "bieu-mau"
        tables = forms.official_tables(result, None, classified.data)
        written = forms.write_official(tables, folder, fmt, forms.letterhead_for(result))
        path = out / f"bieu-mau-{fmt}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in written:
                archive.write(file, f"bieu-mau/{file.name}")
    job._written[key] = path
    return path


class Jobs:
    """The service's classification jobs: a few worker threads, the newest ``keep`` jobs kept (older finished
    ones and their files are dropped)."""

    def __init__(self, catalogue: Catalogue, *, workers: int = 2, keep: int = 16, max_unpacked: int) -> None:
        self.catalogue = catalogue
        self.keep = keep
        self.max_unpacked = max_unpacked
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xeploai-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._root = Path(tempfile.mkdtemp(prefix="xeploai-jobs-"))

    def submit(self, files: Sequence[tuple[str, bytes]], framework: str, period: Period, lang: str) -> Job:
        """Unpack an upload and start classifying it; problems of the upload itself are raised at once."""
        catalogue = self.catalogue
        catalogue.resolve(framework, period)  # an unknown framework is the request's problem, told now
        job_id = uuid.uuid4().hex[:16]
        folder = self._root / job_id
        name = files[0][0] if len(files) == 1 else ", ".join(n for n, _ in files)
        job = Job(job_id, Path(name).name if len(files) == 1 else name, framework, period, folder)
        try:
            path = unpack(files, folder / "input", self.max_unpacked)
        except ServiceError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._jobs[job_id] = job
            self._forget_old()
        self._pool.submit(self._run, job, path, lang)
        return job

    def _run(self, job: Job, path: Path, lang: str) -> None:
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            with self._lock:
                job.state, job.done, job.total = "classifying", done, total

        try:
            with self._lock:
                job.state = "reading"
            classified = classify(self.catalogue, job, path, lang, progress)
            with self._lock:
                job.classified, job.state = classified, "done"
        except ServiceError as error:
            with self._lock:
                job.error, job.state = error, "failed"
        except Exception:  # a bug: the job fails with a plain message, the log keeps the details
            import logging

            logging.getLogger("xeploai.service").exception("job %s failed", job.id)
            failure = problem(500, "internal-error", "lỗi nội bộ của xeploai", "an internal error of xeploai")
            with self._lock:
                job.error, job.state = failure, "failed"
        finally:
            with self._lock:
                job.seconds = time.perf_counter() - started

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise problem(404, "not-found", f"không có việc {job_id!r}", f"there is no job {job_id!r}", "job")
        return job

    def wait(self, job: Job, seconds: float) -> None:
        """Return when the job is finished or ``seconds`` have passed."""
        deadline = time.monotonic() + seconds
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.02)

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.created)
        while len(self._jobs) > self.keep and finished:
            old = finished.pop(0)
            del self._jobs[old.id]
            shutil.rmtree(old.folder, ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._root, ignore_errors=True)
