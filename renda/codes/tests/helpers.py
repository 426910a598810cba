"""Shared by the codes tests: reading a QR code back out of a PNG, and text out of a PDF."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import segno
from PIL import Image

from renda.codes.qr import PNG_SCALE, QR_BORDER, QR_ERROR


def png_modules(png: bytes, *, scale: int = PNG_SCALE, border: int = QR_BORDER) -> list[list[int]]:
    """The dark (1) and light (0) modules of a QR code PNG, sampled at each module's centre.

    No QR decoder (zbar) is installed, so the tests read the module grid and compare it with
    the symbol segno makes for the expected URL: same grid, same payload.
    """
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    assert width == height and width % scale == 0
    size = width // scale
    grid = [
        [1 if image.getpixel((c * scale + scale // 2, r * scale + scale // 2)) < 128 else 0 for c in range(size)]
        for r in range(size)
    ]
    quiet = grid[:border] + grid[size - border :] + [row[:border] + row[size - border :] for row in grid]
    assert not any(any(row) for row in quiet), "the quiet zone must be white"
    return [row[border : size - border] for row in grid[border : size - border]]


def expected_modules(url: str) -> list[list[int]]:
    return [[1 if value else 0 for value in row] for row in segno.make(url, error=QR_ERROR, micro=False).matrix]


PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")


def rasterise(pdf: bytes, *, dpi: int) -> Image.Image:
    """The first page of a PDF as poppler draws it; skips the calling test, loudly, without poppler."""
    if PDFTOPPM is None:
        pytest.skip("pdftoppm（poppler-utils）未安装：无法核对 PDF 中的二维码，请 apt-get install poppler-utils")
    command = [PDFTOPPM, "-r", str(dpi), "-png", "-singlefile", "-"]
    result = subprocess.run(command, input=pdf, capture_output=True, check=True)  # noqa: S603 - our own PDF
    return Image.open(io.BytesIO(result.stdout))


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as poppler extracts it; skips the calling test, loudly, without poppler."""
    if PDFTOTEXT is None:
        pytest.skip("pdftotext（poppler-utils）未安装：无法核对 PDF 中的文字，请 apt-get install poppler-utils")
    result = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S603
    return result.stdout.decode()
