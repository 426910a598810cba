from celery import shared_task
from django.db import transaction
from django.utils import timezone

from renda.notify.backends import DeliveryError, get_backend
from renda.notify.models import Notification, Status

MAX_ATTEMPTS = 5


@shared_task(name="notify.deliver", bind=True, max_retries=MAX_ATTEMPTS, default_retry_delay=60)  # type: ignore[untyped-decorator]
def deliver(self, notification_id: int) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        n = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if n is None or n.status == Status.SENT:
            return
        n.attempts += 1
        try:
            get_backend().send(n)
        except DeliveryError as exc:
            n.status = Status.FAILED
            n.error = str(exc)[:300]
            n.save(update_fields=["status", "error", "attempts", "updated_at"])
            if n.attempts < MAX_ATTEMPTS and not self.request.is_eager:
                raise self.retry(exc=exc) from exc
            return
        n.status = Status.SENT
        n.sent_at = timezone.now()
        n.error = ""
        n.save(update_fields=["status", "sent_at", "error", "attempts", "updated_at"])
