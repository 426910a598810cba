"""The county's governance platform (基层治理四平台): cases routed to a unit are posted to it,
and it reports back for the unit (受理 / 进展 / 答复).

Out: each routed or answered case is a ``WebhookDelivery`` row (the outbox, written by the
transition in opinions/services.py), posted signed and idempotent by ``opinions.deliver_webhook``
with retries. In: :func:`platform_event_apply`, idempotent by the platform's event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from renda.core.errors import Conflict, NotFound, ValidationFailed
from renda.core.ratelimit import claim, release
from renda.core.validation import clean_text
from renda.opinions.models import InboundEvent, Opinion, WebhookDelivery
from renda.opinions.services import opinion_platform_report

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 30  # longer than the platform's 10 s to answer


TIMESTAMP_HEADER = "X-Renda-Timestamp"
SIGNATURE_HEADER = "X-Renda-Signature"


def sign(body: bytes, *, timestamp: str, secret: str) -> str:
    """Hex HMAC-SHA256 over ``<timestamp>.<raw body>``: a captured request cannot be replayed
    once its timestamp is outside the window, nor re-dated without the secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, *, timestamp: str, signature: str, now: float | None = None) -> bool:
    """An inbound request's signature, with GOVERNANCE_INBOUND_SECRET, inside the time window."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12 and signature):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > int(settings.GOVERNANCE_SIGNATURE_WINDOW):
        return False
    expected = sign(body, timestamp=timestamp, secret=settings.GOVERNANCE_INBOUND_SECRET)
    return hmac.compare_digest(signature.encode(), expected.encode())


def webhook_deliver(delivery_id: int) -> tuple[bool, int]:
    """POST one delivery to the platform; (delivered, attempts so far). A delivery already made,
    or made unnecessary (no URL configured), counts as delivered, and so does one another worker
    is posting right now.

    No database lock is held while the platform answers (up to 10 s): a short claim in the cache
    keeps two workers from posting the same delivery at once, and the result is written after.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.delivered_at is not None or not settings.GOVERNANCE_WEBHOOK_URL:
        return True, delivery.attempts if delivery else 0
    claimed = f"opinions:webhook:{delivery_id}"
    if not claim(claimed, CLAIM_SECONDS):
        return True, delivery.attempts
    try:
        body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - operator-configured URL
            settings.GOVERNANCE_WEBHOOK_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(body, timestamp=timestamp, secret=settings.GOVERNANCE_OUTBOUND_SECRET),
                "Idempotency-Key": f"renda-{delivery.pk}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                ok = 200 <= response.status < 300
                error = "" if ok else f"HTTP {response.status}"
        except OSError as exc:
            ok, error = False, str(exc)[:300]
        now = timezone.now()
        result: dict[str, object] = {"attempts": F("attempts") + 1, "last_error": error, "updated_at": now}
        if ok:
            result["delivered_at"] = now
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**result)
    finally:
        release(claimed)
    return ok, delivery.attempts + 1


def _same_event(existing: InboundEvent, *, receipt_code: str, kind: str, text: str) -> None:
    """A replay is the same event again; the same event id with other content is a mistake (or a
    forgery with a stolen id) and changes nothing: 409."""
    assert existing.opinion is not None
    if existing.opinion.receipt_code != receipt_code or existing.body != {"type": kind, "text": text}:
        raise Conflict(f"事件编号 {existing.event_id} 已用于另一条回传，内容不同：请为新的回传使用新的 event_id")


def platform_event_apply(*, event_id: str, receipt_code: str, kind: str, text: str = "") -> tuple[Opinion, bool]:
    """Apply a status update from the governance platform (signature already checked).

    Idempotent by event_id: a replay answers (opinion, False) and changes nothing.
    """
    event_id = clean_text(event_id, label="事件编号", field="event_id", max_length=64)
    if kind not in {"accepted", "progress", "answered"}:
        raise ValidationFailed("事件类型只能是 accepted、progress 或 answered", field="type")
    with transaction.atomic():
        existing = InboundEvent.objects.filter(event_id=event_id).select_related("opinion").first()
        if existing is not None:
            if existing.opinion is None:
                raise NotFound("回执码不存在")
            _same_event(existing, receipt_code=receipt_code, kind=kind, text=text)
            return existing.opinion, False
        opinion = Opinion.objects.filter(receipt_code=receipt_code).first()
        if opinion is None:
            raise NotFound("回执码不存在")
        if not opinion.webhooks.exists():
            raise NotFound("该回执码的意见未推送至基层治理四平台")

        def record() -> bool:
            try:
                with transaction.atomic():
                    InboundEvent.objects.create(event_id=event_id, opinion=opinion, body={"type": kind, "text": text})
            except IntegrityError:
                return False
            return True

        applied = opinion_platform_report(opinion=opinion, kind=kind, text=text, record=record)
        return Opinion.objects.select_related("region", "unit", "category").get(pk=opinion.pk), applied
