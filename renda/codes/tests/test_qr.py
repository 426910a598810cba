"""The codes carry PUBLIC_BASE_URL + the public page of the record, and survive a move."""

from __future__ import annotations

import datetime as dt

import pytest

from renda.codes import selectors
from renda.codes.qr import deputy_public_url, qr_png, station_public_url
from renda.codes.tests.helpers import expected_modules, png_modules
from renda.org.models import Deputy, Station
from renda.org.services import deputy_move_station
from renda.regions.paths import subtree_q

pytestmark = [pytest.mark.django_db, pytest.mark.urls("renda.codes.test_urls")]


def test_urls_are_the_public_pages_under_the_public_base_url(settings) -> None:
    settings.PUBLIC_BASE_URL = "https://rd.example.gov.cn/"
    assert deputy_public_url("0123456789abcdef") == "https://rd.example.gov.cn/d/0123456789abcdef/"
    assert station_public_url("fedcba9876543210") == "https://rd.example.gov.cn/s/fedcba9876543210/"


def test_png_holds_the_expected_url() -> None:
    url = deputy_public_url("0123456789abcdef")
    assert png_modules(qr_png(url)) == expected_modules(url)
    assert png_modules(qr_png(url)) != expected_modules(url.replace("/d/", "/s/"))


def test_station_png_holds_its_public_url(system) -> None:
    station = Station.objects.filter(is_active=True).order_by("id").first()
    code = selectors.station_code(scope=system, public_id=station.public_id)
    assert code.url.endswith(f"/s/{station.public_id}/")
    assert png_modules(qr_png(code.url)) == expected_modules(code.url)


def test_code_survives_a_move_to_another_station(scope_of) -> None:
    # Given a deputy of the demo township, in one station
    scope = scope_of("township")
    town = scope.roots[0]
    deputy = (
        Deputy.objects.filter(subtree_q(town, "region__path"), is_active=True, memberships__end_date__isnull=True)
        .order_by("id")
        .first()
    )
    current = {m.station_id for m in deputy.memberships.filter(end_date__isnull=True)}
    other = (
        Station.objects.filter(subtree_q(town, "region__path"), is_active=True).exclude(pk__in=current).order_by("code")
    ).first()
    before = selectors.deputy_poster(scope=scope, public_id=deputy.public_id)
    png_before = qr_png(selectors.deputy_code(scope=scope, public_id=deputy.public_id).url)

    # When the township office moves the deputy
    deputy_move_station(scope=scope, deputy=deputy, to_station=other, on=dt.date.today(), reason="调整进站")

    # Then the poster names the new station but the code is the same, to the byte
    after = selectors.deputy_poster(scope=scope, public_id=deputy.public_id)
    assert after.url == before.url == deputy_public_url(deputy.public_id)
    assert after.facts == (("所在站点", other.name),)
    assert before.facts != after.facts
    assert qr_png(selectors.deputy_code(scope=scope, public_id=deputy.public_id).url) == png_before
