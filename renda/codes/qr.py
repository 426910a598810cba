"""The codes themselves (二码): what a deputy's or a station's QR code carries, and the QR image.

A code carries ``PUBLIC_BASE_URL`` + the public page's path, built from the record's
``public_id``. The public id never changes, so a printed code keeps working after a deputy
moves to another station or a station is renamed.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.urls import reverse

# Level Q restores about 25% of the symbol: posters hang outdoors, get creased, dirty and
# half covered by other notices. The URLs are short (version 4), so Q costs no readability.
QR_ERROR = "q"
QR_BORDER = 4  # quiet zone, in modules, as the standard asks
PNG_SCALE = 16  # pixels per module: a 4-Q code with its quiet zone is 656 px, 5.5 cm at 300 dpi
PNG_DPI = 300


def deputy_public_url(public_id: str) -> str:
    """The public page of a deputy (代表码)."""
    return _absolute(reverse("public:deputy", kwargs={"public_id": public_id}))


def station_public_url(public_id: str) -> str:
    """The public page of a station (站点码)."""
    return _absolute(reverse("public:station", kwargs={"public_id": public_id}))


def _absolute(path: str) -> str:
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + path


def make_qr(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_png(url: str, *, scale: int = PNG_SCALE) -> bytes:
    """The QR code of ``url`` as a black-on-white PNG, sized for print."""
    buffer = io.BytesIO()
    make_qr(url).save(buffer, kind="png", scale=scale, border=QR_BORDER, dpi=PNG_DPI)
    return buffer.getvalue()
