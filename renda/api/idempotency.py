"""``Idempotency-Key`` for POST: a client that retries (a lost answer, a double tap) gets the
first response again instead of a second record.

Keys live 24 hours in the database (core.IdempotencyRecord), per user: a cache that evicts
under load or a Redis that restarts must not let a retried write create a second record. The
first request claims the key by inserting its row (the unique constraint decides between two
at once); the action and the storing of its 2xx answer then commit together, so a crash leaves
either both or neither. A replay with the same fingerprint (method, path, body) returns the
stored answer and runs nothing; a different request under the same key is refused (409), as is
a replay while the first is still running. A request that fails stores nothing, so the client
may fix it and retry with the key. ``core.sweep`` deletes expired rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Schema

from renda.api.auth import request_scope
from renda.api.renderers import dumps
from renda.core.errors import Conflict, ValidationFailed
from renda.core.models import IdempotencyRecord

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


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


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


def _claim(user_id: int, key_hash: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the pending row (None: claimed), or answer the row already there. A pending row
    older than PENDING_SECONDS (its worker crashed before committing) and an expired one are
    taken over."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user_id=user_id,
                    key_hash=key_hash,
                    fingerprint=fingerprint,
                    expires_at=now + dt.timedelta(seconds=PENDING_SECONDS),
                )
            return None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user_id=user_id, key_hash=key_hash).first()
            if existing is None:
                continue  # deleted meanwhile (a failed first request): claim again
            if existing.expires_at > now:
                return existing
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at=existing.expires_at).delete()
    raise Conflict("同一幂等键的请求正在处理中，请稍后重试", field=HEADER)


def run_idempotent(request: HttpRequest, key: str | None, action: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``action`` once per (user, key); replays get the stored response."""
    if key is None:
        return action()
    key = clean_key(key)
    user_id = request_scope(request).user_id or 0
    key_hash = _key_hash(key)
    fingerprint = _fingerprint(request)

    existing = _claim(user_id, key_hash, fingerprint)
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise Conflict("该幂等键已用于另一个不同的请求；新的请求请使用新的幂等键", field=HEADER)
        if not existing.done:
            raise Conflict("同一幂等键的请求正在处理中，请稍后重试", field=HEADER)
        response = HttpResponse(bytes(existing.content), status=existing.status, content_type=existing.content_type)
        response[REPLAY_HEADER] = "true"
        return response

    mine = IdempotencyRecord.objects.filter(user_id=user_id, key_hash=key_hash)
    try:
        with transaction.atomic():  # the write and its stored answer commit together
            response = action()
            if 200 <= response.status_code < 300:
                mine.update(
                    done=True,
                    status=response.status_code,
                    content=response.content,
                    content_type=response["Content-Type"],
                    expires_at=timezone.now() + dt.timedelta(seconds=TTL_SECONDS),
                )
    except BaseException:
        mine.delete()
        raise
    if not 200 <= response.status_code < 300:
        mine.delete()
    return response
