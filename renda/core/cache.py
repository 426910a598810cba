"""The shared cache, which must not take the site down with it.

Production keeps the cache in Redis. A Redis restart, or Redis out of reach, must cost speed and
nothing else: what is only cached (rules, the working-day calendar, the cast path's claims) is read
from the database again, and the rate limits count in the database meanwhile (core/ratelimit.py).
Django's RedisCache raises instead, so every page that reads a rule answered 500 while Redis was
down (bench/faults.py found it). ``ResilientRedisCache`` answers as an empty cache would, and after
a failure this process leaves Redis alone for ``REDIS_RETRY_SECONDS`` so that no request waits out
the client's connect timeout again; the rate limiter shares the same breaker.

While Redis is unreachable ``add()`` answers True, as if the key had been free: callers use it
only where doing the work twice is harmless (the vote cast's replay claim, whose ballot the
database refuses a second time). Claims that must be exclusive are not taken from this cache.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 15.0
_down_until = 0.0


def redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, OSError)


def redis_down() -> bool:
    """True while this process leaves Redis alone after a failure."""
    return time.monotonic() < _down_until


def redis_failed(what: str) -> None:
    global _down_until
    _down_until = time.monotonic() + REDIS_RETRY_SECONDS
    logger.warning("Redis unreachable (%s): working without it for the next %.0f s", what, REDIS_RETRY_SECONDS)


class ResilientRedisCache(RedisCache):
    """Django's RedisCache that, when Redis fails, answers as an empty cache would."""

    def _attempt(self, name: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        if redis_down():
            return fallback
        try:
            return getattr(super(), name)(*args, **kwargs)
        except redis_errors():
            redis_failed("cache")
            return fallback

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._attempt("get", default, key, default, version)

    def get_many(self, keys: Any, version: Any = None) -> Any:
        return self._attempt("get_many", {}, keys, version)

    def has_key(self, key: Any, version: Any = None) -> Any:
        return self._attempt("has_key", False, key, version)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self._attempt("set", None, key, value, timeout, version)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._attempt("set_many", [], data, timeout, version)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._attempt("add", True, key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        """As for a missing key (ValueError) while Redis is out of reach: the caller sets it."""
        missing = object()
        value = self._attempt("incr", missing, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        return self._attempt("touch", False, key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> Any:
        return self._attempt("delete", False, key, version)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._attempt("delete_many", None, keys, version)
