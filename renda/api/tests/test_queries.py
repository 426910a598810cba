"""List endpoints cost a fixed number of queries, however many rows they return."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renda.api.tests.conftest import ApiClient
from renda.org.models import DeputyGroup, Station
from renda.regions.models import Region

pytestmark = pytest.mark.django_db

# session + user + role assignments (3) + count + rows + prefetches: the ceilings below leave
# no room for a query per row.
LIST_CASES = [
    ("/deputies", {}, 7),
    ("/deputies", {"q": "z"}, 7),
    ("/stations", {}, 6),
    ("/units", {}, 6),
    ("/bodies", {}, 5),
    ("/groups", {}, 5),
    ("/regions", {}, 5),
]


def _queries(client: ApiClient, path: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content.decode()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("path", "params", "ceiling"), LIST_CASES)
def test_list_query_count_is_flat(
    api_as: Callable[[str], ApiClient],
    django_assert_max_num_queries: Any,
    path: str,
    params: dict[str, Any],
    ceiling: int,
) -> None:
    client = api_as("county")
    _queries(client, path, params)  # warm anything cached per process

    few = _queries(client, path, {**params, "limit": 2})
    with django_assert_max_num_queries(ceiling):
        many = client.get(path, {**params, "limit": 200})

    assert many.json()["count"] > 2 or path in ("/regions", "/groups", "/bodies")
    assert _queries(client, path, {**params, "limit": 200}) == few


def test_filtered_deputy_list_query_count(
    api_as: Callable[[str], ApiClient], django_assert_max_num_queries: Any
) -> None:
    station = Station.objects.order_by("id").first()
    group = DeputyGroup.objects.order_by("id").first()
    region = Region.objects.filter(level=4).order_by("path").first()
    assert station and group and region
    client = api_as("county")

    # + one lookup each for the station, the group and the region (the selector re-reads the region)
    with django_assert_max_num_queries(12):
        response = client.get(
            "/deputies", {"limit": 200, "level": 5, "station": station.public_id, "region": region.code}
        )
    with django_assert_max_num_queries(10):
        client.get("/deputies", {"limit": 200, "group": group.pk})

    assert response.status_code == 200


def test_region_children_query_count(api_as: Callable[[str], ApiClient], django_assert_max_num_queries: Any) -> None:
    county = Region.objects.filter(level=3).order_by("path").first()
    assert county is not None
    client = api_as("county")

    with django_assert_max_num_queries(6):
        client.get(f"/regions/{county.code}/children", {"limit": 200})
    with django_assert_max_num_queries(6):
        client.get(f"/regions/{county.code}")


def test_detail_query_counts(api_as: Callable[[str], ApiClient], django_assert_max_num_queries: Any) -> None:
    station = Station.objects.order_by("id").first()
    assert station is not None
    deputy_id = station.memberships.values_list("deputy__public_id", flat=True).first()
    client = api_as("county")

    with django_assert_max_num_queries(8):
        client.get(f"/deputies/{deputy_id}")
    with django_assert_max_num_queries(8):
        client.get(f"/stations/{station.public_id}")


def test_token_request_costs_no_write_within_the_minute(
    token_for: Callable[[str], str], django_assert_max_num_queries: Any
) -> None:
    raw = token_for("county")
    client = ApiClient(Client(), {"Authorization": f"Bearer {raw}"})
    client.get("/me")

    with CaptureQueriesContext(connection) as ctx:
        client.get("/me")

    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
