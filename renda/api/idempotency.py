"""``Idempotency-Key`` for POST: a client that retries (a lost answer, a double tap) gets the
first response again instead of a second record.

Keys live 24 hours in Django's cache, per user. The first request claims the key with an
atomic ``cache.add``; its 2xx answer is stored with a fingerprint of the request (method,
path, body). A replay with the same fingerprint returns the stored answer and runs nothing; a
different request under the same key is refused (409), as is a replay while the first is still
running. A request that fails stores nothing, so the client may fix it and retry with the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import Schema

from renda.api.auth import request_scope
from renda.api.renderers import dumps
from renda.core.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 3600
PENDING_SECONDS = 60  # a claim left by a crashed worker expires after this
MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"

KEY_DESCRIPTION = (
    "幂等键（可选，最长 255 个字符）：同一用户以同一键重发同一请求时返回首次结果而不重复创建；24 小时内有效"
)


def _fingerprint(request: HttpRequest) -> str:
    body: bytes = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode() if request.method else b"", request.path.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _cache_key(user_id: int | None, key: str) -> str:
    # Hash the client's key: cache backends restrict key characters and length.
    return f"renda:api:idem:{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def render(request: HttpRequest, schema: type[Schema], obj: Any, *, status: int) -> HttpResponse:
    """Serialise ``obj`` as ninja would, so a stored answer replays byte for byte."""
    data = schema.from_orm(obj, context={"request": request}).model_dump()
    return HttpResponse(dumps(data), status=status, content_type="application/json; charset=utf-8")


def clean_key(key: str) -> str:
    """The client's ``Idempotency-Key``, stripped; refused in Chinese unless 1–255 printable characters."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(f"{HEADER} 应为 1–{MAX_KEY_LENGTH} 个可打印字符", field=HEADER)
    return key


def run_idempotent(request: HttpRequest, key: str | None, action: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``action`` once per (user, key); replays get the stored response."""
    if key is None:
        return action()
    key = clean_key(key)
    cache_key = _cache_key(request_scope(request).user_id, key)
    fingerprint = _fingerprint(request)

    if not cache.add(cache_key, {"state": "pending", "fingerprint": fingerprint}, PENDING_SECONDS):
        stored = cache.get(cache_key)
        if stored is None:  # expired between add() and get(): let the client retry
            raise Conflict("同一幂等键的请求正在处理中，请稍后重试", field=HEADER)
        if stored["fingerprint"] != fingerprint:
            raise Conflict("该幂等键已用于另一个不同的请求；新的请求请使用新的幂等键", field=HEADER)
        if stored["state"] == "pending":
            raise Conflict("同一幂等键的请求正在处理中，请稍后重试", field=HEADER)
        response = HttpResponse(stored["content"], status=stored["status"], content_type=stored["content_type"])
        response[REPLAY_HEADER] = "true"
        return response

    try:
        response = action()
    except BaseException:
        cache.delete(cache_key)
        raise
    if 200 <= response.status_code < 300:
        cache.set(
            cache_key,
            {
                "state": "done",
                "fingerprint": fingerprint,
                "status": response.status_code,
                "content": response.content,
                "content_type": response["Content-Type"],
            },
            TTL_SECONDS,
        )
    else:
        cache.delete(cache_key)
    return response
