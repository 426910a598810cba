"""The API token's "last used" is recorded in the same round trip as the authentication itself
on PostgreSQL outside a transaction (as gunicorn serves it): once a minute, never for a revoked
token, and the request is authenticated all the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from renda.accounts.models import ApiToken, User
from renda.accounts.services import api_token_create
from renda.core.scoping import system_scope

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-round-trip path is PostgreSQL's"),
]


def test_use_is_recorded_once_a_minute_in_the_same_round_trip():
    user = User.objects.create(username="touch-test", display_name="测试")
    token, raw = api_token_create(scope=system_scope("测试"), user=user, name="测试")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").status_code != 401  # authenticated (a user without roles: 403)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None and timezone.now() - first < dt.timedelta(seconds=10)
    assert client.get("/api/v1/me").status_code != 401  # authenticated (a user without roles: 403)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # not within the minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=5))
    assert client.get("/api/v1/me").status_code != 401  # authenticated (a user without roles: 403)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - dt.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now(), last_used_at=None)
    assert client.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None  # a revoked token records nothing
