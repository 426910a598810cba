"""Fixed-window rate limits on the cache (Redis in production, local memory embedded).

With Redis every limit of one request is counted in a single round trip (a pipeline of
INCR + EXPIRE NX per limit) on one client per process, reusing its connection pool: Django's
cache builds a new Redis client for every operation, and a public submission checks two limits.
The keys are the cache's own (``cache.make_key``), so both ways count in the same counters.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache, caches

from renda.core.errors import RendaError


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


def check_rates(limits: Sequence[Limit]) -> None:
    """Count one hit on each limit; raise RateLimited for the first one past its limit."""
    counters = _counters(limits)
    if not counters:
        return
    client = redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for lim, key in counters:
            full = cache.make_key(key)
            pipe.incr(full)
            pipe.expire(full, lim.window_seconds + 5, nx=True)
        replies = pipe.execute()
        counts = [int(replies[2 * i]) for i in range(len(counters))]
    else:
        counts = []
        for lim, key in counters:
            added = cache.add(key, 1, lim.window_seconds + 5)
            counts.append(1 if added else cache.incr(key))
    for count, (lim, _) in zip(counts, counters, strict=True):
        if count > lim.limit:
            raise RateLimited(lim.message)


def uncount_rates(limits: Sequence[Limit]) -> None:
    """Give back the hit ``check_rates`` counted (a retried request answered with its first result)."""
    counters = _counters(limits)
    if not counters:
        return
    client = redis_client()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for _lim, key in counters:
            pipe.decr(cache.make_key(key))
        pipe.execute()
        return
    for _lim, key in counters:
        with suppress(ValueError):  # the window has just turned: nothing to give back
            cache.decr(key)


def over_limit(limit: Limit) -> bool:
    """True when ``limit``'s subject has already used up its window (nothing is counted)."""
    counters = _counters([limit])
    if not counters:
        return False
    count = cache.get(counters[0][1])  # Django's Redis serializer reads the raw INCR value too
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


def release(key: str) -> None:
    client = redis_client()
    if client is not None:
        client.delete(cache.make_key(key))
    else:
        cache.delete(key)
