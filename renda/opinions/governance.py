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
import urllib.request

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from renda.core.errors import NotFound, ValidationFailed
from renda.core.validation import clean_text
from renda.opinions.models import InboundEvent, Opinion, WebhookDelivery
from renda.opinions.services import opinion_platform_report

MAX_ATTEMPTS = 8


def sign(body: bytes) -> str:
    return hmac.new(settings.GOVERNANCE_SECRET.encode(), body, hashlib.sha256).hexdigest()


def webhook_deliver(delivery_id: int) -> tuple[bool, int]:
    """POST one delivery to the platform; (delivered, attempts so far). A delivery already made,
    or made unnecessary (no URL configured), counts as delivered."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.delivered_at is not None or not settings.GOVERNANCE_WEBHOOK_URL:
            return True, delivery.attempts if delivery else 0
        body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
        request = urllib.request.Request(  # noqa: S310 - operator-configured URL
            settings.GOVERNANCE_WEBHOOK_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Renda-Signature": sign(body),
                "Idempotency-Key": f"renda-{delivery.pk}",
            },
        )
        delivery.attempts += 1
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                ok = 200 <= response.status < 300
                error = "" if ok else f"HTTP {response.status}"
        except OSError as exc:
            ok, error = False, str(exc)[:300]
        if ok:
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = error
        delivery.save(update_fields=["attempts", "delivered_at", "last_error", "updated_at"])
    return ok, delivery.attempts


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
