"""A ZIP of posters, written while it is sent: the first bytes leave after the first poster,
and memory holds one poster at a time whatever the size of the region."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterable, Iterator

from renda.codes.posters import render_pdf
from renda.codes.selectors import Poster

FOLDERS = {"deputy": "代表", "station": "家站点"}


class _Chunks:
    """A write-only file that hands over what was written since the last ``take``.

    It has no ``tell``/``seek``, so zipfile writes each entry's sizes in a data descriptor
    after the data — the streaming form every unzip tool reads.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def entry_name(poster: Poster) -> str:
    return f"{FOLDERS[poster.kind]}/{poster.filename_stem}.pdf"


def poster_zip_chunks(posters: Iterable[Poster]) -> Iterator[bytes]:
    """The bytes of a ZIP holding one PDF poster per item, in pieces."""
    sink = _Chunks()
    now = time.localtime()
    stamp = (now.tm_year, now.tm_mon, now.tm_mday, now.tm_hour, now.tm_min, now.tm_sec)
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for poster in posters:
            info = zipfile.ZipInfo(entry_name(poster), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, render_pdf(poster))
            chunk = sink.take()
            if chunk:
                yield chunk
    yield sink.take()
