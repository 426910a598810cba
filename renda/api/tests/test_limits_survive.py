"""Limits and idempotency survive (issue #12): the embedded cache (300 entries) evicted rate-limit
counters under a flood, giving another address a fresh quota, and idempotency records, so a
retried staff write after 330 other requests created a second deputy; a Redis restart lost staff
idempotency the same way. Now idempotency records live in the database for their 24 hours,
embedded counters are rows, and while Redis is down the limits fall back to the database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.core.cache import cache

from renda.api.tests.conftest import ApiClient
from renda.api.tests.test_writes import _new_deputy
from renda.core import cache as cache_module
from renda.core import ratelimit
from renda.core.ratelimit import Limit, RateLimited, check_rates, over_limit
from renda.org.models import Deputy
from renda.regions.models import Region

pytestmark = pytest.mark.django_db


def _flood_the_cache(n: int = 1000) -> None:
    for i in range(n):
        cache.set(f"flood:{uuid.uuid4().hex}:{i}", "x", 600)


def test_a_full_cache_does_not_reset_a_rate_limit():
    limit = Limit("t-flood", f"203.0.113.{uuid.uuid4().int % 200}", 3, 3600, "太频繁")
    for _ in range(3):
        check_rates([limit])
    _flood_the_cache()
    assert over_limit(limit)
    with pytest.raises(RateLimited, match="太频繁"):
        check_rates([limit])


def test_a_retried_staff_write_after_the_cache_is_emptied_creates_nothing(
    api_as: Callable[[str], ApiClient], home_township: Region
) -> None:
    client = api_as("township")
    key = uuid.uuid4().hex
    body = _new_deputy(home_township)
    before = Deputy.objects.count()
    first = client.post("/deputies", body, **{"Idempotency-Key": key})
    assert first.status_code == 201, first.content
    _flood_the_cache()
    cache.clear()  # a Redis restart, or an eviction, loses every cache entry
    again = client.post("/deputies", body, **{"Idempotency-Key": key})
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Deputy.objects.count() == before + 1


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis configured but unreachable: a real client pointed at a port nothing listens on."""
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(ratelimit, "redis_client", lambda: dead)
    monkeypatch.setattr(cache_module, "_down_until", 0.0)


def test_while_redis_is_down_limits_are_counted_in_the_database(redis_down: None) -> None:
    import time

    limit = Limit("t-down", f"phone-{uuid.uuid4().hex}", 2, 3600, "该手机号今日提交次数已达上限")
    started = time.monotonic()
    check_rates([limit])  # the first request finds Redis down (and waits out the client's retries)
    first = time.monotonic() - started
    started = time.monotonic()
    check_rates([limit])
    assert over_limit(limit)
    with pytest.raises(RateLimited, match="已达上限"):
        check_rates([limit])
    ratelimit.uncount_rates([limit])  # the refused hit counted too: 3 → 2, still at the limit
    assert over_limit(limit)
    ratelimit.uncount_rates([limit])
    assert not over_limit(limit)
    assert time.monotonic() - started < max(first, 0.5)  # the ones after it do not wait for Redis again


def test_while_redis_is_down_a_citizen_submission_is_accepted(
    redis_down: None, liaison_station: Any, village: Any, lamp_category: Any
) -> None:
    from django.test import Client

    answer = Client().post(
        "/api/v1/public/opinions",
        {
            "text": "村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
            "category": lamp_category.pk,
            "region": village.pk,
            "station": liaison_station.public_id,
            "citizen_name": "张三",
            "citizen_phone": "13912345678",
            "consent": True,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert answer.status_code == 201, answer.content


@pytest.fixture
def whole_cache_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site's cache is Redis and Redis does not answer: the production layout with Redis
    stopped (bench/faults.py), not only the rate limiter's client."""
    from renda.core import rules

    settings.CACHES = {
        "default": {
            "BACKEND": "renda.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    monkeypatch.setattr(cache_module, "_down_until", 0.0)
    rules._local.clear()  # this process's copy of every rule has expired: rule() asks the cache


def test_while_redis_is_down_rules_and_pages_still_answer(
    whole_cache_down: None, liaison_station: Any, village: Any, lamp_category: Any
) -> None:
    """bench/faults.py: with Redis stopped, every submission that read a rule answered 500."""
    from django.test import Client

    from renda.core.rules import rule

    assert rule("opinion.rate_per_ip_hour") > 0  # read from the database, not a 500
    answer = Client().post(
        "/api/v1/public/opinions",
        {
            "text": "小区门口的下水道井盖松动，车一压就响，晚上尤其吵，希望尽快加固。",
            "category": lamp_category.pk,
            "region": village.pk,
            "station": liaison_station.public_id,
            "citizen_name": "陈玉兰",
            "citizen_phone": "13912340000",
            "consent": True,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert answer.status_code == 201, answer.content
    assert Client().get(f"/s/{liaison_station.public_id}/").status_code in (200, 302)
