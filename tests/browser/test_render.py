"""The packet in a real browser: headless Chromium renders the HTML to a screenshot and to an A4 PDF.

Runs only where a Chromium or Chrome is found (``browsers.find_browser``: the ``CHROMIUM`` variable or the usual
names on PATH); ``scripts/render-check`` installs one when none is and runs this folder. The checks use the standard
library only: the PNG is decoded by hand to see that text was drawn.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from pathlib import Path

import pytest
from browsers import ENV, NAMES, BrowserNotFoundError, find_browser

from test_packet import CASES, discipline_case, quota_case
from xeploai.explanation import packet
from xeploai.explanation.redact import Redaction

try:
    CHROMIUM = find_browser()
    _MISSING = f"no Chromium or Chrome ({', '.join(NAMES)}) on PATH and {ENV} unset; scripts/render-check installs one"
except BrowserNotFoundError as error:
    CHROMIUM, _MISSING = None, str(error)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=_MISSING)

# A4 at 150 dpi: 1240 × 1754 pixels.
WIDTH, HEIGHT = 1240, 1754
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium(tmp_path: Path, *args: str) -> None:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"


def write_page(tmp_path: Path, html: str) -> Path:
    page = tmp_path / "packet.html"
    page.write_text(html, encoding="utf-8")
    return page


# --- a PNG reader (RGB or RGBA, 8 bits, not interlaced: what Chromium writes) ----------------------------------


def read_png(path: Path) -> tuple[int, int, int, bytes]:
    """Width, height, bytes per pixel and the still-filtered scanlines of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pos, width, height, bpp, idat = 8, 0, 0, 0, bytearray()
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0) and color in (2, 6), (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
    return width, height, bpp, zlib.decompress(bytes(idat))


def unfilter(width: int, height: int, bpp: int, raw: bytes) -> list[bytes]:
    """The pixel rows, with the PNG scanline filters (None, Sub, Up, Average, Paeth) undone."""
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride) if kind else ():
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            else:
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return rows


DARK = bytes(range(96))  # channel values of text-dark pixels


# --- the checks ---------------------------------------------------------------------------------------------------


@needs_chromium
@pytest.mark.parametrize("case", ["quota_htxs_denied", "kht_discipline"])
def test_screenshot_shows_an_a4_page_with_text(case: str, tmp_path: Path) -> None:
    result, program = CASES[case]()
    page = write_page(tmp_path, packet.to_html(result, program))
    png = tmp_path / "packet.png"
    chromium(tmp_path, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert png.exists() and png.stat().st_size > 0
    width, height, bpp, raw = read_png(png)
    assert (width, height) == (WIDTH, HEIGHT)
    assert abs(height / width - 2**0.5) < 0.01  # the proportions of A4
    assert len(set(raw)) > 1, "the screenshot is a single colour"
    rows = unfilter(width, height, bpp, raw)
    dark = sum(len(row) - len(row.translate(None, DARK)) for row in rows)
    assert dark > 20_000, f"only {dark} dark channel values: no text was drawn"
    assert len(set(rows)) > 200, "too few distinct rows for a page of text"


@needs_chromium
def test_print_to_pdf_gives_a4_pages(tmp_path: Path) -> None:
    result, program = discipline_case()
    page = write_page(tmp_path, packet.to_html(result, program))
    pdf = tmp_path / "packet.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes, "no page sizes in the PDF"
    for w, h in boxes:  # A4 is 595.28 × 841.89 points
        assert abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2, (w, h)


@needs_chromium
def test_a_font_with_vietnamese_glyphs_is_installed() -> None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fc-list is not installed; cannot list fonts")
    done = subprocess.run([fc_list, ":lang=vi", "family"], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip(), "no font covers Vietnamese: diacritics would print as boxes (install fonts-dejavu)"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_html_holds_vietnamese_in_nfc_with_its_diacritics(lang: str) -> None:
    result, program = quota_case()
    for html in (
        packet.to_html(result, program, lang),
        packet.to_html(result, program, lang, redact=Redaction(set(), "s")),
    ):
        assert unicodedata.is_normalized("NFC", html)
        for words in ("Hoàn thành", "Xuất sắc", "Vũ Minh Tuấn", "Chi bộ Thôn Đông"):
            assert words in html
            assert unicodedata.normalize("NFD", words) not in html
        assert '<meta charset="utf-8">' in html
