"""Housekeeping of the platform's own records: expired idempotency keys and rate counters, and
(embedded SQLite) the write-ahead log folded into the file when a vote's close could not."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from renda.core.models import IdempotencyRecord, RateCounter
from renda.core.sqlite import truncate_wal


@shared_task(name="core.sweep")
def sweep() -> dict[str, int]:
    now = timezone.now()
    keys, _ = IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
    counters, _ = RateCounter.objects.filter(expires_at__lte=now).delete()
    truncated = truncate_wal()
    return {"idempotency_keys": keys, "rate_counters": counters, "wal_truncated": int(bool(truncated))}
