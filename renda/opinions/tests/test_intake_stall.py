"""One client cannot stall intake (issue #12): photos were decoded before the rate limits were
checked, so four 40-megapixel JPEGs cost seconds of CPU even for a request that ended in 429.
Now a request too large or from an address out of submissions is refused from its headers, a
refused sender costs no decoding, and the pixel cap is what a phone photo needs."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from renda.core.rules import rule
from renda.opinions import intake
from renda.opinions import photos as photo_module
from renda.opinions.models import Opinion, OpinionPhoto

pytestmark = pytest.mark.django_db

URL = "/api/v1/public/opinions/with-photos"
IP = "198.51.100.7"


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(out, format="JPEG", quality=60)
    return out.getvalue()


def _form(station: Any, village: Any, category: Any, n: int) -> dict[str, Any]:
    return {
        "text": f"第{n}件：村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
        "category": category.pk,
        "region": village.pk,
        "station": station.public_id,
        "citizen_name": "张三",
        "citizen_phone": f"1390000{n:04d}",
        "consent": "true",
    }


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many photos the intake service decoded (the real decoder runs; it is only counted)."""
    calls: list[int] = []
    real = photo_module.clean_photo

    def counting(upload: Any, *, index: int = 1) -> Any:
        calls.append(index)
        return real(upload, index=index)

    monkeypatch.setattr(intake, "clean_photo", counting)
    return calls


def test_a_sender_out_of_submissions_costs_no_decoding(liaison_station, village, lamp_category, decoded, cache_cleared):
    client = Client(REMOTE_ADDR=IP)
    allowed = int(rule("opinion.rate_per_ip_hour"))
    for n in range(allowed):
        r = client.post("/api/v1/public/opinions", {**_form(liaison_station, village, lamp_category, n)},
                        content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip
        assert r.status_code == 201, r.content
    photo = SimpleUploadedFile("a.jpg", _jpeg(1200, 900) * 1, content_type="image/jpeg")
    extra = SimpleUploadedFile("b.jpg", _jpeg(1600, 1200) + b"\0" * 70_000, content_type="image/jpeg")
    before = (Opinion.objects.count(), OpinionPhoto.objects.count())
    refused = client.post(
        URL, {**_form(liaison_station, village, lamp_category, 99), "photos": [photo, extra]},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )  # fmt: skip
    assert refused.status_code == 429 and "提交过于频繁" in refused.json()["detail"]
    assert decoded == []  # not one photo decoded for a refused sender
    assert (Opinion.objects.count(), OpinionPhoto.objects.count()) == before


def test_a_body_larger_than_four_photos_is_refused_unread(liaison_station, village, lamp_category, decoded):
    r = Client(REMOTE_ADDR=IP).post(
        URL,
        _form(liaison_station, village, lamp_category, 1),
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        CONTENT_LENGTH=str(25 * 1024 * 1024),
    )
    assert r.status_code == 413 and "每张照片不超过 5MB" in r.json()["detail"]
    page = Client(REMOTE_ADDR=IP).post(
        f"/s/{liaison_station.public_id}/opinion/", {"text": "x"}, CONTENT_LENGTH=str(25 * 1024 * 1024)
    )
    assert page.status_code == 413 and "每张照片不超过 5MB" in page.content.decode()
    assert decoded == [] and not Opinion.objects.exists()


def test_the_pixel_cap_is_a_phone_photo(liaison_station, village, lamp_category, cache_cleared):
    phone_photo = SimpleUploadedFile("ok.jpg", _jpeg(4032, 3024), content_type="image/jpeg")  # 12 MP
    ok = Client().post(
        URL, {**_form(liaison_station, village, lamp_category, 1), "photos": [phone_photo]},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )  # fmt: skip
    assert ok.status_code == 201, ok.content
    stored = OpinionPhoto.objects.get()
    assert max(stored.width, stored.height) <= photo_module.MAX_SIDE
    huge = SimpleUploadedFile("big.jpg", _jpeg(6000, 4000), content_type="image/jpeg")  # 24 MP, a small file
    refused = Client().post(
        URL, {**_form(liaison_station, village, lamp_category, 2), "photos": [huge]},
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )  # fmt: skip
    assert refused.status_code == 400 and "像素过大" in refused.json()["detail"]
    assert OpinionPhoto.objects.count() == 1


def test_an_address_sending_oversized_photos_is_soon_refused_from_its_headers(
    liaison_station, village, lamp_category, decoded, cache_cleared
):
    """bench/faults.py: a refused photo gave its rate-limit hit back, so one address sent
    thousands of oversized photos and never met the upload guard's 429. Each one counts now."""
    client = Client(REMOTE_ADDR=IP)
    huge = _jpeg(6000, 4000)  # 24 MP: refused as 像素过大, after the body was read
    allowed = int(rule("opinion.rate_per_ip_hour"))
    answers = []
    for n in range(allowed + 3):
        photo = SimpleUploadedFile("big.jpg", huge, content_type="image/jpeg")
        answers.append(
            client.post(
                URL, {**_form(liaison_station, village, lamp_category, n), "photos": [photo]},
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            ).status_code
        )  # fmt: skip
    assert answers[:allowed] == [400] * allowed
    assert answers[allowed:] == [429, 429, 429]
    assert len(decoded) == allowed  # the refused ones cost no photo reading at all
    assert not Opinion.objects.filter(text__startswith="第").exists()


def test_a_loop_killed_holding_the_intake_claim_blocks_the_others_seconds_not_minutes(
    liaison_station, village, lamp_category, cache_cleared, monkeypatch
):
    """bench/faults.py: kill -9 of the Celery worker left its claim for 300 s, and the restarted
    worker did no after-submit work (audit events, receipts, staff messages) for five minutes."""
    import time

    from renda.core.ratelimit import claim

    monkeypatch.setattr(intake, "tasks_eager", lambda: False)  # as with a worker
    assert intake.INTAKE_RUNNING_SECONDS <= 15
    monkeypatch.setattr(intake, "INTAKE_RUNNING_SECONDS", 1)
    assert claim(intake.INTAKE_RUNNING, 1)  # the loop that was killed
    assert intake.opinions_intake_process() is None  # a live claim: the next tick waits
    time.sleep(1.1)
    assert intake.opinions_intake_process() is not None  # expired: the restarted worker goes on
