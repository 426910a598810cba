"""Uploaded documents are checked by their content (issue #12: attachments like photos)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from openpyxl import Workbook

from renda.core.errors import ValidationFailed
from renda.core.files import clean_document

MB = 1024 * 1024


def _docx() -> bytes:
    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _zip_of(name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, "x")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("答复.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj"),
        ("现场.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 20),
        ("现场.PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 20),
        ("情况说明.docx", _docx()),
        ("清单.xlsx", _xlsx()),
        ("旧文档.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20),
    ],
)
def test_real_documents_pass(name, content):
    upload = SimpleUploadedFile(name, content)
    clean_document(upload, field="attachment", label="附件", max_bytes=10 * MB)
    assert upload.read() == content  # left at its start for saving


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("答复.pdf", b"<html><script>alert(1)</script></html>", "内容与文件名（.pdf）不符"),
        ("说明.docx", b"MZ\x90\x00" + b"\0" * 40, "内容与文件名（.docx）不符"),
        ("说明.docx", _zip_of("payload.exe"), "内容与文件名（.docx）不符"),
        ("清单.xlsx", _docx(), "内容与文件名（.xlsx）不符"),
        ("照片.jpg", b"GIF89a" + b"\0" * 20, "内容与文件名（.jpg）不符"),
        ("页面.html", b"<html></html>", "只能是 10MB 以内的"),
        ("无扩展名", b"%PDF-1.7", "只能是 10MB 以内的"),
        ("大.pdf", b"%PDF-" + b"\0" * (10 * MB), "只能是 10MB 以内的"),
    ],
)
def test_a_renamed_or_oversized_file_is_refused_in_chinese(name, content, words):
    with pytest.raises(ValidationFailed, match=words) as refused:
        clean_document(SimpleUploadedFile(name, content), field="attachment", label="附件", max_bytes=10 * MB)
    assert refused.value.field == "attachment"
