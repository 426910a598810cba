from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from renda.notify.backends import DeliveryError, get_backend
from renda.notify.models import Notification, Status

MAX_ATTEMPTS = 5


def _deliver_one(notification_id: int) -> DeliveryError | None:
    """Send one recorded message unless already sent; the error if the backend failed."""
    with transaction.atomic():
        n = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if n is None or n.status == Status.SENT:
            return None
        n.attempts += 1
        try:
            get_backend().send(n)
        except DeliveryError as exc:
            n.status = Status.FAILED
            n.error = str(exc)[:300]
            n.save(update_fields=["status", "error", "attempts", "updated_at"])
            return exc if n.attempts < MAX_ATTEMPTS else None
        n.status = Status.SENT
        n.sent_at = timezone.now()
        n.error = ""
        n.save(update_fields=["status", "sent_at", "error", "attempts", "updated_at"])
    return None


@shared_task(name="notify.deliver", bind=True, max_retries=MAX_ATTEMPTS, default_retry_delay=60)
def deliver(self, notification_id: int) -> None:  # type: ignore[no-untyped-def]
    error = _deliver_one(notification_id)
    if error is not None and not self.request.is_eager:
        raise self.retry(exc=error) from error


@shared_task(name="notify.deliver_many", bind=True)
def deliver_many(self, notification_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Send many recorded messages in one transaction; each failure is retried on its own
    (``notify.deliver``), so one bad number does not hold up the others."""
    backend = get_backend()
    failed: list[int] = []
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update()
            .filter(pk__in=notification_ids)
            .exclude(status=Status.SENT)
            .order_by("id")
        )
        sent: list[int] = []
        for n in rows:
            n.attempts += 1
            try:
                backend.send(n)
            except DeliveryError as exc:
                n.status, n.error = Status.FAILED, str(exc)[:300]
                n.save(update_fields=["status", "error", "attempts", "updated_at"])
                if n.attempts < MAX_ATTEMPTS:
                    failed.append(n.pk)
            else:
                sent.append(n.pk)
        now = timezone.now()
        Notification.objects.filter(pk__in=sent).update(
            status=Status.SENT, sent_at=now, error="", attempts=F("attempts") + 1, updated_at=now
        )
    if failed and not self.request.is_eager:
        for notification_id in failed:
            deliver.apply_async((notification_id,), countdown=60)
