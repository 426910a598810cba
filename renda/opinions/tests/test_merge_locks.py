"""Two staff members merging two cases into each other at the same moment: both cases are
locked in primary-key order, so one merge waits for the other instead of deadlocking, and the
second is refused in Chinese. Real threads on PostgreSQL (SQLite has one writer: skipped)."""

from __future__ import annotations

import pytest
from django.db import connection

from renda.core.errors import RendaError
from renda.opinions import services
from renda.opinions.models import Opinion, State
from renda.opinions.tests.helpers import file_case
from renda.org.models import Category, Station
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _case(station: Station, text: str) -> Opinion:
    village = station.served_regions.order_by("path").first()
    assert village is not None
    return file_case(station, village, Category.objects.get(name="路灯"), text=text, anonymous=True)


def test_crossing_merges_finish_without_a_deadlock(demo_county, scope_of):
    staff, other = scope_of("township"), scope_of("township")
    station = Station.objects.get(pk=next(iter(scope_of("liaison").station_ids)))
    for round_no in range(8):
        a = _case(station, f"村口路灯坏了，第 {round_no} 回反映。")
        b = _case(station, f"村口那盏路灯还是不亮，第 {round_no} 回。")
        results = run_together(
            [
                lambda a=a, b=b: services.opinion_merge(scope=staff, opinion=a, into=b, reason="同一盏路灯"),
                lambda a=a, b=b: services.opinion_merge(scope=other, opinion=b, into=a, reason="同一盏路灯"),
            ]
        )
        merged = [r for r in results if isinstance(r, Opinion)]
        refused = [r for r in results if isinstance(r, RendaError)]
        assert len(merged) == 1 and len(refused) == 1, results  # a deadlock would be an OperationalError
        assert "合并" in refused[0].message
        states = sorted(Opinion.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True))
        assert states == sorted([State.MERGED, State.SUBMITTED])
