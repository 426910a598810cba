"""Photo uploads: only real JPEG/PNG/WebP images, bounded in size, re-encoded so that no
EXIF (GPS position, phone model, time) survives.

Decoding is the expensive part (a 40-megapixel JPEG costs most of a second), so it comes last:
the request's size and the sender's limits are checked before the body is read
(opinions/middleware.py), the format and pixel count from the file's header before any pixel is
decoded, and a JPEG is decoded straight at the reduced scale it is kept at (Pillow's draft mode)."""

from __future__ import annotations

import io
import secrets

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from renda.core.errors import ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 16_000_000  # a phone's photo: 12 MP (4032 × 3024) is the common size, 16 MP the largest default
MAX_SIDE = 1920  # kept at full-HD size: a 12 MP JPEG then decodes at half scale (draft)
ALLOWED = {"JPEG": "jpg", "PNG": "png", "WEBP": "jpg"}


def _as_seen(image: Image.Image) -> Image.Image:
    """The picture's colours in a mode a PNG keeps as they were: a palette image in full colour
    (its palette would not be copied), 16-bit grey scaled to 8 bits (not clipped to white)."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image.mode in ("P", "PA"):
        transparent = image.mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if transparent else "RGB")
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda v: v / 256).convert("L")
    return image.convert("RGBA")


def clean_photo(upload: UploadedFile[bytes], *, index: int = 1) -> tuple[ContentFile[bytes], int, int]:
    """A metadata-free copy of the upload, or ValidationFailed naming the photo."""
    label = f"第 {index} 张照片"
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(f"{label}是空文件", field="photos")
    if upload.size > MAX_BYTES:
        raise ValidationFailed(f"{label}超过 5MB，请压缩后再上传", field="photos")
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:  # the header only: no pixel is decoded yet
            fmt = probe.format or ""
            if fmt not in ALLOWED:
                raise ValidationFailed(f"{label}格式不支持：只能上传 JPG、PNG 或 WebP 图片", field="photos")
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(
                    f"{label}像素过大（{probe.width}×{probe.height}），请用手机相机的默认尺寸拍摄", field="photos"
                )
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale when the kept size allows it
            scale = min(1.0, MAX_SIDE / max(image.width, image.height))
            image.draft("RGB", (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationFailed(f"{label}不是有效的图片文件（只能上传 JPG、PNG 或 WebP 图片）", field="photos") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    ext = ALLOWED[fmt]
    if ext == "png":
        shown = _as_seen(image)
        clean = Image.new(shown.mode, shown.size)  # a fresh image: no text chunks or profile carried over
        clean.paste(shown)
        clean.save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85)  # a fresh file: no EXIF block is written
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(12)}.{ext}"), image.width, image.height
