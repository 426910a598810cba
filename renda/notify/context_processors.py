from typing import Any

from django.http import HttpRequest

from renda.notify.models import Channel, Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = Notification.objects.filter(to_user=user, channel=Channel.IN_APP, read_at__isnull=True).count()
    return {"unread_notifications": count}
