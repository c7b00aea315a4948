"""A real ``xeploai serve`` process on a free loopback port for the service's tests, and a small HTTP client
(the standard library's urllib: what a program in any language would do)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from paths import ROOT

DISTRICT = ROOT / "examples" / "district"


def district_batch(out: Path) -> str:
    """``xeploai batch party examples/district --period 2020`` as a user runs it (a new process), writing to
    ``out``: what it prints, the reference the service is compared with."""
    command = ["batch", "party", str(DISTRICT), "--period", "2020", "--quiet", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "xeploai", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=300,
        check=True,
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str = ""  # where the request ended, after redirects

    def json(self) -> object:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return Reply(answer.status, dict(answer.headers), answer.read(), answer.geturl())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_json(self, path: str, data: object) -> Reply:
        body = json.dumps(data, ensure_ascii=False).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def post_form(self, path: str, fields: dict[str, str], files: Sequence[tuple[str, bytes]] = ()) -> Reply:
        body, content_type = multipart(fields, files)
        return self.request("POST", path, body, {"Content-Type": content_type})


def multipart(fields: dict[str, str], files: Sequence[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, content in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        out.write(f"{head}Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def district_zip(folder: Path = DISTRICT) -> bytes:
    """The example district as a .zip of its folder, as an office would send it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(folder.glob("*.csv")):
            archive.write(file, f"district/{file.name}")
    return out.getvalue()


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``xeploai serve`` with ``args`` on a free port, stopped (and waited for) afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "xeploai", "serve", "--port", str(port), *args]
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), environment.get("PYTHONPATH", "")])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"xeploai serve exited: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                if server.get("/v1/health").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("xeploai serve did not answer within 60 s")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
