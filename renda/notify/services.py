"""Sending notifications. Callers pass plain Chinese text; delivery happens after commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from renda.core.queue import run_after_commit
from renda.notify.models import Channel, Notification, Status


def notify_send(
    *,
    channel: str,
    body: str,
    to_address: str = "",
    to_user: Any = None,
    subject: str = "",
    link: str = "",
    target: models.Model | None = None,
) -> Notification:
    """Record a message and deliver it once the surrounding transaction commits (``notify.deliver``,
    retried on its own when the backend fails).

    An in-app message is its row: it is stored as sent and needs no delivery task.
    """
    message = Message(channel, body, to_address, to_user, subject, link, target)
    notification = _notification(message, timezone.now())
    notification.save()
    if channel == Channel.IN_APP:
        return notification
    run_after_commit("notify.deliver", notification.pk)
    return notification


@dataclass
class Message:
    """One message for ``notify_send_many``: the arguments of ``notify_send``."""

    channel: str
    body: str
    to_address: str = ""
    to_user: Any = None
    subject: str = ""
    link: str = ""
    target: models.Model | None = None


def _notification(m: Message, now: datetime) -> Notification:
    """The row recording ``m``, unsaved: an in-app message is stored as sent, the rest as pending."""
    if m.channel not in Channel.values:
        raise ValueError(f"unknown channel {m.channel}")
    in_app = m.channel == Channel.IN_APP
    return Notification(
        status=Status.SENT if in_app else Status.PENDING,
        sent_at=now if in_app else None,
        channel=m.channel,
        to_address=m.to_address,
        to_user=m.to_user,
        subject=m.subject[:200],
        body=m.body,
        link=m.link[:300],
        target_type=m.target._meta.label_lower if m.target is not None else "",
        target_id=str(m.target.pk) if m.target is not None else "",
    )


def notify_send_many(messages: Sequence[Message]) -> list[Notification]:
    """Record many messages in one INSERT; deliver those that need it in one task after commit."""
    now = timezone.now()
    rows = [_notification(m, now) for m in messages]
    if not rows:
        return rows
    Notification.objects.bulk_create(rows)
    to_deliver = [n.pk for n in rows if n.channel != Channel.IN_APP]
    if to_deliver:
        run_after_commit("notify.deliver_many", to_deliver)
    return rows
