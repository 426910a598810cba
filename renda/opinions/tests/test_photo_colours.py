"""A palette PNG and a 16-bit grey PNG keep their colours through the metadata-stripping copy
(issue #12: they came out black or washed white)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from renda.opinions.photos import clean_photo


def _png(image: Image.Image) -> SimpleUploadedFile:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("photo.png", out.getvalue(), content_type="image/png")


def _back(upload: SimpleUploadedFile) -> Image.Image:
    content, _, _ = clean_photo(upload)
    return Image.open(io.BytesIO(content.read())).convert("RGB")


def test_a_palette_png_keeps_its_colours():
    image = Image.new("RGB", (4, 2), (220, 30, 30))
    image.paste((20, 160, 40), (2, 0, 4, 2))
    back = _back(_png(image.quantize(colors=4)))
    assert back.getpixel((0, 0)) == pytest.approx((220, 30, 30), abs=8)
    assert back.getpixel((3, 1)) == pytest.approx((20, 160, 40), abs=8)


def test_a_palette_png_with_transparency_keeps_it():
    image = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    image.putpixel((1, 0), (200, 100, 0, 255))
    content, _, _ = clean_photo(_png(image.convert("P")))
    back = Image.open(io.BytesIO(content.read())).convert("RGBA")
    assert back.getpixel((1, 0))[:3] == pytest.approx((200, 100, 0), abs=8)


def test_a_16_bit_grey_png_is_scaled_not_clipped():
    image = Image.new("I;16", (3, 1))
    for x, value in enumerate((0, 32768, 65535)):
        image.putpixel((x, 0), value)
    back = _back(_png(image))
    assert [back.getpixel((x, 0))[0] for x in range(3)] == pytest.approx([0, 128, 255], abs=2)
