"""Fixed-window rate limits: Redis in production, the database embedded and while Redis is down.

With Redis every limit of one request is counted in a single round trip (a pipeline of
INCR + EXPIRE NX per limit) on one client per process, reusing its connection pool: Django's
cache builds a new Redis client for every operation, and a public submission checks two limits.
The keys are the cache's own (``cache.make_key``), so both ways count in the same counters.

Without Redis (the embedded default) the counters are rows (core.RateCounter), counted in one
upsert statement per request: a local-memory cache would evict them when a flood fills it (a
flood from one address would give another a fresh quota) and lose them on restart. When Redis
is configured but unreachable, the same rows take over, so citizens' submissions are still
accepted and still limited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache, caches
from django.db import connection
from django.utils import timezone

from renda.core.cache import redis_down, redis_errors, redis_failed
from renda.core.errors import RendaError

logger = logging.getLogger(__name__)


class RateLimited(RendaError):
    status_code = 429


@dataclass(frozen=True)
class Limit:
    bucket: str
    subject: str  # an IP or a phone; hashed before it reaches the cache
    limit: int
    window_seconds: int
    message: str


def _key(bucket: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # no raw IPs or phones in the cache
    return f"rl:{bucket}:{digest}:{int(time.time() // window)}"


def redis_client() -> Any | None:
    """The default cache's redis-py client, built once per cache instance (None unless it is
    Django's RedisCache): Django's own methods build a new client for every operation."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]  # one instance per thread, as Django keeps them
    if not isinstance(backend, RedisCache):
        return None
    client = backend.__dict__.get("_renda_client")
    if client is None:
        client = backend._cache.get_client(write=True)  # noqa: SLF001 - its pooled client, kept
        backend.__dict__["_renda_client"] = client
    return client


def _counters(limits: Sequence[Limit]) -> list[tuple[Limit, str]]:
    """The limits that have a subject, each with its counter's key in the current window."""
    return [(lim, _key(lim.bucket, lim.subject, lim.window_seconds)) for lim in limits if lim.subject]


def _live_redis() -> Any | None:
    """The Redis client, unless Redis failed in this process within the last seconds (the breaker
    of core/cache.py): during an outage each request must not wait out the client's connect
    retries again."""
    if redis_down():
        return None
    return redis_client()


def _db_count(counters: Sequence[tuple[Limit, str]], delta: int) -> list[int]:
    """Add ``delta`` to each counter row (created on first use) and answer the new counts, in
    one statement (SQLite ≥ 3.35 and PostgreSQL: INSERT … ON CONFLICT … RETURNING)."""
    from renda.core.models import RateCounter

    table = connection.ops.quote_name(RateCounter._meta.db_table)
    now = timezone.now()
    rows = ", ".join(["(%s, %s, %s)"] * len(counters))
    params: list[Any] = []
    for lim, key in counters:
        params += [key, max(delta, 0), now + dt.timedelta(seconds=lim.window_seconds + 5)]
    sql = (
        f"INSERT INTO {table} (key, count, expires_at) VALUES {rows} "  # noqa: S608 - our table, placeholders
        f"ON CONFLICT (key) DO UPDATE SET count = CASE WHEN {table}.count + %s < 0 THEN 0 "
        f"ELSE {table}.count + %s END RETURNING key, count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, delta, delta])
        found = {str(k): int(c) for k, c in cursor.fetchall()}
    return [found[key] for _lim, key in counters]


def _count(counters: Sequence[tuple[Limit, str]], delta: int) -> list[int]:
    client = _live_redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            for lim, key in counters:
                full = cache.make_key(key)
                pipe.incrby(full, delta)
                if delta > 0:
                    pipe.expire(full, lim.window_seconds + 5, nx=True)
            replies = pipe.execute()
            step = 2 if delta > 0 else 1
            return [int(replies[step * i]) for i in range(len(counters))]
        except redis_errors():
            redis_failed("rate limits, counted in the database meanwhile")
    return _db_count(counters, delta)


def check_rates(limits: Sequence[Limit]) -> None:
    """Count one hit on each limit; raise RateLimited for the first one past its limit."""
    counters = _counters(limits)
    if not counters:
        return
    counts = _count(counters, 1)
    for count, (lim, _) in zip(counts, counters, strict=True):
        if count > lim.limit:
            raise RateLimited(lim.message)


def uncount_rates(limits: Sequence[Limit]) -> None:
    """Give back the hit ``check_rates`` counted (a retried request answered with its first result)."""
    counters = _counters(limits)
    if counters:
        _count(counters, -1)


def over_limit(limit: Limit) -> bool:
    """True when ``limit``'s subject has already used up its window (nothing is counted)."""
    counters = _counters([limit])
    if not counters:
        return False
    key = counters[0][1]
    client = _live_redis()
    if client is not None:
        try:
            value = client.get(cache.make_key(key))
            return value is not None and int(value) >= limit.limit
        except redis_errors():
            redis_failed("rate limits, counted in the database meanwhile")
    from renda.core.models import RateCounter

    count = RateCounter.objects.filter(key=key).values_list("count", flat=True).first()
    return count is not None and int(count) >= limit.limit


def check_rate(*, bucket: str, subject: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one hit; raise RateLimited (429, Chinese message) past ``limit`` in the window."""
    check_rates([Limit(bucket, subject, limit, window_seconds, message)])


def claim(key: str, seconds: int) -> bool:
    """True for the first caller to claim ``key`` until it expires or is released (SET NX)."""
    client = redis_client()
    if client is not None:
        return bool(client.set(cache.make_key(key), 1, ex=seconds, nx=True))
    return bool(cache.add(key, 1, seconds))


def renew(key: str, seconds: int) -> bool:
    """Extend a claim its holder still works under (False if it had expired meanwhile)."""
    client = redis_client()
    if client is not None:
        return bool(client.expire(cache.make_key(key), seconds))
    return bool(cache.touch(key, seconds))


def release(key: str) -> None:
    client = redis_client()
    if client is not None:
        client.delete(cache.make_key(key))
    else:
        cache.delete(key)
