"""Reads: every list and detail is scoped; outside scope is 404, never the data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from renda.api.tests.conftest import ApiClient
from renda.org.models import Body, Deputy, DeputyGroup, HandlingUnit, Station, StationMembership
from renda.regions.models import Region
from renda.regions.paths import subtree_q

pytestmark = pytest.mark.django_db


def _all_items(client: ApiClient, path: str, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    offset = 0
    while True:
        body = client.get(path, {**params, "limit": 200, "offset": offset}).json()
        items.extend(body["items"])
        offset += 200
        if offset >= body["count"]:
            return items


# ---------------------------------------------------------------- regions


def test_township_sees_only_its_township(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    body = api_as("township").get("/regions").json()

    assert body["count"] == 1
    assert body["items"][0]["code"] == home_township.code


def test_county_sees_every_township(api_as: Callable[[str], ApiClient]) -> None:
    client = api_as("county")
    (county,) = client.get("/regions").json()["items"]

    children = client.get(f"/regions/{county['code']}/children").json()
    detail = client.get(f"/regions/{county['code']}").json()

    county_region = Region.objects.get(code=county["code"])
    assert children["count"] == Region.objects.filter(parent=county_region).count() == 12
    assert {c["code"] for c in detail["children"]} == {c["code"] for c in children["items"]}
    assert detail["region"]["level_label"] == "县（市、区）"
    assert detail["ancestors"] == []  # the city above the county is outside the county's scope


def test_region_detail_shows_ancestors_inside_scope(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    village = Region.objects.filter(parent=home_township).order_by("path").first()
    assert village is not None

    detail = api_as("township").get(f"/regions/{village.code}").json()

    assert [a["code"] for a in detail["ancestors"]] == [home_township.code]


def test_region_of_another_township_is_404(api_as: Callable[[str], ApiClient], other_township: Region) -> None:
    client = api_as("township")

    for path in (f"/regions/{other_township.code}", f"/regions/{other_township.code}/children"):
        response = client.get(path)
        assert response.status_code == 404
        assert other_township.name not in response.content.decode()
        assert "管辖范围" in response.json()["detail"]


# ---------------------------------------------------------------- deputies


def test_township_deputy_list_holds_only_its_township(
    api_as: Callable[[str], ApiClient], home_township: Region
) -> None:
    items = _all_items(api_as("township"), "/deputies")

    expected = Deputy.objects.filter(subtree_q(home_township.path, "region__path"))
    assert len(items) == expected.count() > 0
    assert {i["public_id"] for i in items} == set(expected.values_list("public_id", flat=True))
    assert all(str(i["region"]["code"]).startswith(home_township.path) for i in items)  # type: ignore[index]


def test_county_deputy_list_holds_every_township(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    county = home_township.parent
    assert county is not None

    body = api_as("county").get("/deputies", {"limit": 1}).json()

    assert body["count"] == Deputy.objects.filter(subtree_q(county.path, "region__path")).count()
    assert body["count"] > Deputy.objects.filter(subtree_q(home_township.path, "region__path")).count()


def test_deputy_of_another_township_is_404(api_as: Callable[[str], ApiClient], other_township: Region) -> None:
    deputy = Deputy.objects.filter(subtree_q(other_township.path, "region__path")).first()
    assert deputy is not None

    response = api_as("township").get(f"/deputies/{deputy.public_id}")

    assert response.status_code == 404
    assert deputy.name not in response.content.decode()


def test_deputy_filter_by_region_of_another_township_is_404(
    api_as: Callable[[str], ApiClient], other_township: Region
) -> None:
    response = api_as("township").get("/deputies", {"region": other_township.code})

    assert response.status_code == 404
    assert response.json()["field"] == "region"


def test_deputy_detail_has_mandates_memberships_and_groups(api_as: Callable[[str], ApiClient]) -> None:
    # A deputy who moved station keeps the old station as history.
    moved = StationMembership.objects.filter(end_date__isnull=False).select_related("deputy").first()
    assert moved is not None

    body = api_as("admin").get(f"/deputies/{moved.deputy.public_id}").json()

    assert body["mandates"] or body["kind"] == "deliberation"
    assert len(body["current_memberships"]) == 1
    assert any(m["end_date"] == moved.end_date.isoformat() for m in body["past_memberships"])  # type: ignore[union-attr]
    grouped = DeputyGroup.objects.filter(members__isnull=False).values_list("members__public_id", flat=True).first()
    assert api_as("admin").get(f"/deputies/{grouped}").json()["groups"]


def test_deputy_filters(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")
    in_town = Deputy.objects.filter(subtree_q(home_township.path, "region__path"))
    sample = in_town.order_by("id").first()
    assert sample is not None

    by_initials = _all_items(client, "/deputies", q=sample.name_initials)
    by_level = client.get("/deputies", {"level": 4, "limit": 1}).json()
    membership = (
        StationMembership.objects.filter(deputy=sample, end_date__isnull=True).select_related("station").first()
    )
    assert membership is not None
    by_station = _all_items(client, "/deputies", station=membership.station.public_id)
    group = DeputyGroup.objects.filter(region=home_township).first()
    assert group is not None
    by_group = client.get("/deputies", {"group": group.pk}).json()

    assert sample.public_id in {i["public_id"] for i in by_initials}
    assert all(str(i["name"]) for i in by_initials)
    assert by_level["count"] == in_town.filter(mandates__level=4).distinct().count()
    assert sample.public_id in {i["public_id"] for i in by_station}
    assert by_group["count"] == group.members.count()


def test_phone_masked_for_deputy_unmasked_for_county_staff(
    api_as: Callable[[str], ApiClient], home_township: Region
) -> None:
    deputy = Deputy.objects.filter(subtree_q(home_township.path, "region__path")).exclude(phone="").first()
    assert deputy is not None

    as_deputy = api_as("deputy").get(f"/deputies/{deputy.public_id}").json()
    as_county = api_as("county").get(f"/deputies/{deputy.public_id}").json()
    listed = api_as("deputy").get("/deputies", {"q": deputy.name}).json()["items"]

    assert as_county["phone"] == deputy.phone
    assert as_deputy["phone"] == deputy.phone[:3] + "****" + deputy.phone[-4:]
    assert all("****" in i["phone"] for i in listed if i["phone"])


# ---------------------------------------------------------------- stations, units, bodies, groups


def test_station_list_and_detail(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")
    items = _all_items(client, "/stations")
    station = Station.objects.filter(subtree_q(home_township.path, "region__path"), kind="station").first()
    assert station is not None

    detail = client.get(f"/stations/{station.public_id}").json()
    liaison_view = api_as("deputy").get(f"/stations/{station.public_id}").json()

    assert len(items) == Station.objects.filter(subtree_q(home_township.path, "region__path")).count()
    assert all(str(i["region"]["code"]).startswith(home_township.path) for i in items)  # type: ignore[index]
    assert detail["officers"] and detail["served_regions"]
    assert len(detail["deputies"]) == station.memberships.filter(end_date__isnull=True).count()
    assert any(o["role"] == "head" for o in detail["officers"])
    assert all("****" in o["phone"] for o in liaison_view["officers"] if o["phone"])
    assert not any("****" in o["phone"] for o in detail["officers"])


def test_station_of_another_township_is_404(api_as: Callable[[str], ApiClient], other_township: Region) -> None:
    station = Station.objects.filter(subtree_q(other_township.path, "region__path")).first()
    assert station is not None

    assert api_as("township").get(f"/stations/{station.public_id}").status_code == 404


def test_unit_list_and_detail(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")
    items = _all_items(client, "/units")
    unit = HandlingUnit.objects.filter(region=home_township).exclude(categories=None).first()
    assert unit is not None

    detail = client.get(f"/units/{unit.pk}").json()

    assert len(items) == HandlingUnit.objects.filter(subtree_q(home_township.path, "region__path")).count()
    assert {c["code"] for c in detail["categories"]} == set(unit.categories.values_list("code", flat=True))


def test_unit_of_another_township_is_404(api_as: Callable[[str], ApiClient], other_township: Region) -> None:
    unit = HandlingUnit.objects.filter(region=other_township).first()
    assert unit is not None

    response = api_as("township").get(f"/units/{unit.pk}")

    assert response.status_code == 404
    assert unit.name not in response.content.decode()


def test_county_unit_is_outside_a_township_scope(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    unit = HandlingUnit.objects.filter(region=home_township.parent).first()
    assert unit is not None

    assert api_as("township").get(f"/units/{unit.pk}").status_code == 404
    assert api_as("county").get(f"/units/{unit.pk}").status_code == 200


def test_bodies_and_groups_are_scoped(api_as: Callable[[str], ApiClient], home_township: Region) -> None:
    client = api_as("township")

    bodies = client.get("/bodies").json()
    groups = client.get("/groups").json()

    assert bodies["count"] == Body.objects.filter(region=home_township).count()
    assert {b["kind"] for b in bodies["items"]} == {"congress", "presidium"}
    assert groups["count"] == DeputyGroup.objects.filter(subtree_q(home_township.path, "region__path")).count()
    assert all(g["member_count"] >= 3 for g in groups["items"])


# ---------------------------------------------------------------- paging and bad query input


def test_pagination(api_as: Callable[[str], ApiClient]) -> None:
    client = api_as("county")
    first = client.get("/deputies", {"limit": 5}).json()
    second = client.get("/deputies", {"limit": 5, "offset": 5}).json()

    assert len(first["items"]) == len(second["items"]) == 5
    assert first["count"] == second["count"]
    assert not {i["public_id"] for i in first["items"]} & {i["public_id"] for i in second["items"]}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"limit": 201}, "limit", "不能大于 200"),
        ({"limit": 0}, "limit", "不能小于 1"),
        ({"offset": -1}, "offset", "不能小于 0"),
        ({"level": "abc"}, "level", "应为整数"),
        ({"kind": "mayor"}, "kind", "应为以下之一"),
    ],
)
def test_bad_query_parameters_get_chinese_422(
    api_as: Callable[[str], ApiClient], params: dict[str, object], field: str, words: str
) -> None:
    response = api_as("county").get("/deputies", params)

    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert words in body["detail"]


def test_unit_id_of_wrong_type_is_422(api_as: Callable[[str], ApiClient]) -> None:
    response = api_as("county").get("/units/abc")

    assert response.status_code == 422
    assert "应为整数" in response.json()["detail"]
