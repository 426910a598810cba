"""Delivery backends, chosen by settings.NOTIFY_BACKEND as Django chooses an email backend.

- ConsoleBackend: prints each message (the embedded default).
- FileBackend: appends JSON lines to var/notifications.log.
- LocmemBackend: keeps messages in ``outbox`` (the test double).
- HttpSmsBackend: POSTs SMS to an HTTP gateway (SMS_GATEWAY_URL) with an HMAC signature;
  in-app and email fall back to the database record / Django's email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from renda.notify.models import Channel, Notification


class DeliveryError(Exception):
    pass


class BaseBackend:
    def send(self, notification: Notification) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, notification: Notification) -> None:
        to = notification.to_address or f"用户#{notification.to_user_id}"
        sys.stdout.write(f"[通知·{notification.get_channel_display()}] → {to}：{notification.body}\n")


class FileBackend(BaseBackend):
    def send(self, notification: Notification) -> None:
        path = settings.VAR_DIR / "notifications.log"
        record = {
            "id": notification.pk,
            "channel": notification.channel,
            "to": notification.to_address,
            "user": notification.to_user_id,
            "body": notification.body,
            "at": time.time(),
        }
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


outbox: list[dict[str, Any]] = []


class LocmemBackend(BaseBackend):
    """Test double: records what would have been sent."""

    def send(self, notification: Notification) -> None:
        outbox.append(
            {
                "channel": notification.channel,
                "to": notification.to_address,
                "user": notification.to_user_id,
                "body": notification.body,
                "target": (notification.target_type, notification.target_id),
            }
        )


class HttpSmsBackend(BaseBackend):
    """SMS through an HTTP gateway: POST {"phone", "text", "id"} signed with X-Signature (HMAC-SHA256)."""

    def send(self, notification: Notification) -> None:
        if notification.channel == Channel.IN_APP:
            return  # the database row is the message
        if notification.channel == Channel.EMAIL:
            send_mail(notification.subject or "基层人大工作平台", notification.body, None, [notification.to_address])
            return
        payload = json.dumps(
            {"phone": notification.to_address, "text": notification.body, "id": notification.pk}, ensure_ascii=False
        ).encode()
        signature = hmac.new(settings.SMS_GATEWAY_SECRET.encode(), payload, hashlib.sha256).hexdigest()
        request = urllib.request.Request(  # noqa: S310 - the URL is an operator setting
            settings.SMS_GATEWAY_URL,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Signature": signature,
                "Idempotency-Key": f"notify-{notification.pk}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                if response.status >= 300:
                    raise DeliveryError(f"短信网关返回 {response.status}")
        except OSError as exc:
            raise DeliveryError(f"短信网关不可达：{exc}") from exc


def get_backend() -> BaseBackend:
    backend: BaseBackend = import_string(settings.NOTIFY_BACKEND)()
    return backend
