"""Fixed-window rate limits on the cache (Redis in production, local memory embedded)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from renda.core.errors import RendaError


class RateLimited(RendaError):
    status_code = 429


def _key(bucket: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]  # no raw IPs or phones in the cache
    return f"rl:{bucket}:{digest}:{int(time.time() // window)}"


def check_rate(*, bucket: str, subject: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one hit; raise RateLimited (429, Chinese message) past ``limit`` in the window."""
    if not subject:
        return
    key = _key(bucket, subject, window_seconds)
    added = cache.add(key, 1, window_seconds + 5)
    count = 1 if added else cache.incr(key)
    if count > limit:
        raise RateLimited(message)
