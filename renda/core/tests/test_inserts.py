"""insert_one stores exactly what Model.objects.create() would, on either backend."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.db.models.signals import post_save
from django.utils import timezone

from renda.core.inserts import insert_one
from renda.notify.models import Channel, Notification, Status
from renda.opinions.models import Opinion
from renda.opinions.tests.conftest import lamp_category, liaison_station, village  # noqa: F401


def fields_of(obj, *exclude):
    return {
        f.attname: getattr(obj, f.attname)
        for f in type(obj)._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at", *exclude)
    }


@pytest.mark.django_db
def test_the_row_stored_is_the_one_create_stores():
    before = timezone.now()
    made = [Notification(channel=Channel.SMS, to_address="13900000000", body=f"第{n}条") for n in range(3)]
    for n in made:
        insert_one(n)  # the first compiles the statement, the others reuse it
    expected = Notification.objects.create(channel=Channel.SMS, to_address="13900000000", body="第2条")
    stored = Notification.objects.get(pk=made[2].pk)
    assert [n.pk for n in made] == sorted(n.pk for n in made) and not made[2]._state.adding
    assert fields_of(stored) == fields_of(expected)  # defaults (status, attempts) as create() sets them
    assert stored.status == Status.PENDING and before <= stored.created_at == made[2].created_at
    assert stored.updated_at >= stored.created_at and stored.updated_at == made[2].updated_at  # auto_now too


@pytest.mark.django_db
def test_a_unique_clash_raises_integrity_error_and_stores_nothing(village, lamp_category, liaison_station):  # noqa: F811
    def opinion(key):
        return Opinion(
            idempotency_key=key, region=village, category=lamp_category, station=liaison_station, text="路灯坏了"
        )

    first = opinion("dup-key")
    insert_one(first)
    count = Opinion.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(opinion("dup-key"))
    assert Opinion.objects.count() == count
    assert Opinion.objects.get(pk=first.pk).receipt_code == first.receipt_code  # the default it drew


@pytest.mark.django_db
def test_expressions_and_listened_models_go_through_save():
    compiled = Notification(channel=Channel.SMS, body=Concat(Value("回执"), Value("码")))
    insert_one(compiled)
    assert Notification.objects.get(pk=compiled.pk).body == "回执码"

    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(receiver, sender=Notification, dispatch_uid="test-inserts")
    try:
        listened = Notification(channel=Channel.SMS, body="有人在听")
        insert_one(listened)
    finally:
        post_save.disconnect(dispatch_uid="test-inserts", sender=Notification)
    assert heard == [(listened.pk, True)]
