"""The suite's own isolation: parallel workers sharing one Redis keep to their own keys."""

from __future__ import annotations

import uuid

import pytest


def test_clearing_the_cache_between_tests_leaves_other_workers_keys(request):
    # Parallel test workers share one Redis under their own KEY_PREFIX: a test that empties
    # "the cache" must not empty theirs (FLUSHDB did, and a neighbour's rate-limit test failed).
    from django.core.cache import cache

    from renda.core.ratelimit import redis_client

    client = redis_client()
    if client is None:
        pytest.skip("local-memory cache: each process has its own")
    other = f"other-worker-{uuid.uuid4().hex}:1:probe"
    client.set(other, 1, ex=60)
    cache.set("mine", 1, 60)
    request.getfixturevalue("cache_cleared")
    assert cache.get("mine") is None and client.get(other) == b"1"
    client.delete(other)
