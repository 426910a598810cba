"""Sending notifications: one message or many, recorded, then delivered after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from renda.notify.models import Channel, Notification, Status
from renda.notify.services import Message, notify_send, notify_send_many

pytestmark = pytest.mark.django_db


def _someone() -> Any:
    return get_user_model().objects.create_user(username="notify-test", password="x-Long-enough-1")


def test_an_sms_is_pending_until_the_commit_then_sent(outbox, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = notify_send(channel=Channel.SMS, to_address="13800000000", body="您反映的问题已受理")
        assert Notification.objects.get(pk=n.pk).status == Status.PENDING
        assert outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    n.refresh_from_db()
    assert n.status == Status.SENT and n.sent_at is not None and n.attempts == 1
    assert [(m["channel"], m["to"], m["body"]) for m in outbox] == [("sms", "13800000000", "您反映的问题已受理")]


def test_an_inbox_message_is_its_row_and_queues_no_delivery(outbox, django_capture_on_commit_callbacks) -> None:
    user = _someone()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        n = notify_send(channel=Channel.IN_APP, to_user=user, body="新意见待分办", link="/opinions/" + "x" * 400)
    assert callbacks == [] and outbox == []
    n.refresh_from_db()
    assert n.status == Status.SENT and n.read_at is None and len(n.link) == 300


def test_many_messages_are_one_insert_and_one_delivery(
    outbox, django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    user = _someone()
    messages = [Message(Channel.SMS, f"回执 {i}", to_address=f"1380000000{i}") for i in range(3)]
    messages.append(Message(Channel.IN_APP, "新意见待分办 3 件", to_user=user))
    with django_capture_on_commit_callbacks(execute=True) as callbacks, django_assert_max_num_queries(1):
        rows = notify_send_many(messages)
    assert len(callbacks) == 1  # one deliver_many task for the three SMS
    assert [r.status for r in Notification.objects.filter(pk__in=[r.pk for r in rows]).order_by("id")] == [
        Status.SENT
    ] * 4
    assert sorted(m["to"] for m in outbox) == ["13800000000", "13800000001", "13800000002"]


def test_an_unknown_channel_is_refused_and_nothing_is_recorded() -> None:
    before = Notification.objects.count()
    with pytest.raises(ValueError, match="unknown channel"):
        notify_send(channel="pigeon", body="x")
    with pytest.raises(ValueError, match="unknown channel"):
        notify_send_many([Message(Channel.SMS, "a", to_address="13800000000"), Message("pigeon", "b")])
    assert Notification.objects.count() == before
