"""Background work of the opinions scene: the scheduled sweep and webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from renda.opinions.models import WebhookDelivery

MAX_ATTEMPTS = 8


@shared_task(name="opinions.sweep")  # type: ignore[untyped-decorator]
def sweep() -> dict[str, int]:
    from renda.opinions.services import opinions_sweep

    report = opinions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}


def sign(body: bytes) -> str:
    return hmac.new(settings.GOVERNANCE_SECRET.encode(), body, hashlib.sha256).hexdigest()


@shared_task(name="opinions.deliver_webhook", bind=True, max_retries=MAX_ATTEMPTS, default_retry_delay=120)  # type: ignore[untyped-decorator]
def deliver_webhook(self, delivery_id: int) -> None:  # type: ignore[no-untyped-def]
    """POST one routed/answered case to the governance platform, signed and idempotent."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.delivered_at is not None or not settings.GOVERNANCE_WEBHOOK_URL:
            return
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
    if not ok and delivery.attempts < MAX_ATTEMPTS and not self.request.is_eager:
        raise self.retry()
