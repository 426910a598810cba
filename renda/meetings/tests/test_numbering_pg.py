"""Numbering under simultaneous requests on PostgreSQL: sessions convened at once, in any date
order, all succeed and end numbered by date. Real threads (SQLite has one writer: skipped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from renda.meetings import services
from renda.meetings.models import Meeting
from renda.meetings.tests.helpers import congress_of, demo_town
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_sessions_convened_at_once_are_numbered_by_date(demo_county, scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    days = [dt.date(2027, 9, 1), dt.date(2027, 3, 1), dt.date(2027, 12, 1), dt.date(2027, 6, 1)]

    def convene(day: dt.date):  # type: ignore[no-untyped-def]
        return lambda: services.meeting_create(scope=staff, body=body, start_date=day)

    results = run_together([convene(d) for d in days])
    assert all(isinstance(r, Meeting) for r in results), results
    rows = list(Meeting.objects.filter(body=body).order_by("start_date").values_list("number", "title"))
    assert [n for n, _ in rows] == [1, 2, 3, 4]
    assert rows[0][1] == "白鹭镇第十九届人民代表大会第一次会议" and rows[3][1].endswith("第四次会议")
