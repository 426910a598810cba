"""Uploaded documents checked by what they contain, not only by their name (as photos are by
decoding them): a file called 答复.pdf must begin as a PDF does, a .docx must be a Word package.
A renamed executable or web page is refused before it is stored or offered for download."""

from __future__ import annotations

import zipfile
from typing import Any

from renda.core.errors import ValidationFailed

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the legacy Office container (.doc, .xls)
SIGNATURES: dict[str, bytes] = {
    ".pdf": b"%PDF-",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".doc": OLE,
    ".xls": OLE,
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
}
PACKAGE_PARTS = {".docx": "word/", ".xlsx": "xl/"}  # what an Office Open XML package must hold
KINDS = "PDF、图片（JPG/PNG）、Word 或 Excel 文件"


def clean_document(upload: Any, *, field: str, label: str, max_bytes: int) -> None:
    """Refuse (ValidationFailed, in Chinese) an upload that is too large, of another type, or whose
    content is not what its name says. Leaves the file at its start for saving."""
    name = str(getattr(upload, "name", "") or "").lower()
    ext = next((e for e in SIGNATURES if name.endswith(e)), "")
    size = int(getattr(upload, "size", 0) or 0)
    if not ext or size > max_bytes:
        raise ValidationFailed(f"{label}只能是 {max_bytes // (1024 * 1024)}MB 以内的{KINDS}", field=field)
    upload.seek(0)
    head = upload.read(len(SIGNATURES[ext]))
    upload.seek(0)
    ok = head == SIGNATURES[ext]
    if ok and ext in PACKAGE_PARTS:
        try:
            with zipfile.ZipFile(upload) as package:
                names = package.namelist()
            ok = "[Content_Types].xml" in names and any(n.startswith(PACKAGE_PARTS[ext]) for n in names)
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
    if not ok:
        raise ValidationFailed(f"{label}的内容与文件名（{ext}）不符：请上传真实的{KINDS}", field=field)
