"""Background work of the opinions scene: the scheduled sweep and webhook deliveries."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.signals import worker_process_init
from django.db import connections

from renda.opinions.governance import MAX_ATTEMPTS, webhook_deliver
from renda.opinions.intake import INTAKE_LOOP_SECONDS, opinions_intake_process
from renda.opinions.services import opinions_sweep
from renda.opinions.text import suggest_category_ids

logger = logging.getLogger(__name__)


@worker_process_init.connect
def warm(**_: object) -> None:
    """Each worker process loads jieba's dictionary and the category model when it starts (seconds
    of CPU), not in the first after-submit batch it takes."""

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
    report = opinions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}


@shared_task(name="opinions.intake", bind=True)
def intake(self) -> int:  # type: ignore[no-untyped-def]
    """After-submit work of citizens' submissions (audit event, suggestion, messages).

    Beat sends it every second; under load one run goes on serving new cases for up to
    ``INTAKE_LOOP_SECONDS`` while the ticks meanwhile find it running and return at once.
    Eager (embedded default, tests) it runs once, right after the submission's commit."""
    done = opinions_intake_process(linger=0.0 if self.request.is_eager else INTAKE_LOOP_SECONDS)
    return done or 0


@shared_task(name="opinions.deliver_webhook", bind=True, max_retries=MAX_ATTEMPTS, default_retry_delay=120)
def deliver_webhook(self, delivery_id: int) -> None:  # type: ignore[no-untyped-def]
    """POST one routed/answered case to the governance platform, signed and idempotent."""
    ok, attempts = webhook_deliver(delivery_id)
    if not ok and attempts < MAX_ATTEMPTS and not self.request.is_eager:
        raise self.retry()


@shared_task(name="opinions.retention")
def retention() -> dict[str, int]:
    from renda.opinions.retention import anonymise_closed_contacts

    report = anonymise_closed_contacts()
    return {"cases": report.cases, "followers": report.followers, "appointments": report.appointments}
