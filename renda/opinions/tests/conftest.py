import io

import pytest
from PIL import Image

from renda.accounts.models import RoleAssignment
from renda.org.models import Category, Station


@pytest.fixture
def liaison_station(user_named) -> Station:
    return RoleAssignment.objects.get(user=user_named("liaison")).station


@pytest.fixture
def lamp_category() -> Category:
    return Category.objects.get(name="路灯")


@pytest.fixture
def village(liaison_station):
    return liaison_station.served_regions.order_by("path").first()


def jpeg_bytes(*, exif: bool = False) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretPhoneMaker"  # Make
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()
