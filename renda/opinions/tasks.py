"""Background work of the opinions scene: the scheduled sweep and webhook deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.request

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from renda.opinions.models import WebhookDelivery

MAX_ATTEMPTS = 8
logger = logging.getLogger(__name__)


@worker_process_init.connect
def warm(**_: object) -> None:
    """Each worker process loads jieba's dictionary and the category model when it starts (seconds
    of CPU), not in the first after-submit batch it takes."""
    from django.db import connections

    from renda.opinions.text import suggest_category_ids

    t0 = time.perf_counter()
    try:
        suggest_category_ids(["村口的路灯坏了一个多月，晚上出行很不方便，希望尽快修好"])
    except Exception:  # a worker that cannot warm still works: the first batch pays instead
        logger.exception("warming the category model failed")
    finally:
        connections.close_all()
    logger.info("intake worker warm in %.1f s", time.perf_counter() - t0)


@shared_task(name="opinions.sweep")
def sweep() -> dict[str, int]:
    from renda.opinions.services import opinions_sweep

    report = opinions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}


@shared_task(name="opinions.intake", bind=True)
def intake(self) -> int:  # type: ignore[no-untyped-def]
    """After-submit work of citizens' submissions (audit event, suggestion, messages).

    Beat sends it every second; under load one run goes on serving new cases for up to
    ``INTAKE_LOOP_SECONDS`` while the ticks meanwhile find it running and return at once.
    Eager (embedded default, tests) it runs once, right after the submission's commit."""
    from renda.opinions.services import INTAKE_LOOP_SECONDS, opinions_intake_process

    done = opinions_intake_process(linger=0.0 if self.request.is_eager else INTAKE_LOOP_SECONDS)
    return done or 0


def sign(body: bytes) -> str:
    return hmac.new(settings.GOVERNANCE_SECRET.encode(), body, hashlib.sha256).hexdigest()


@shared_task(name="opinions.deliver_webhook", bind=True, max_retries=MAX_ATTEMPTS, default_retry_delay=120)
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
