"""The codes pages and downloads as the demo users."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from renda.audit.models import AuditEvent
from renda.codes.qr import deputy_public_url, station_public_url
from renda.codes.tests.helpers import expected_modules, png_modules
from renda.org.models import Deputy, Station
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import subtree_q

pytestmark = [pytest.mark.django_db, pytest.mark.urls("renda.codes.test_urls")]

ClientAs = Callable[[str], Client]


@pytest.fixture
def town(scope_of) -> Region:
    return Region.objects.get(path=scope_of("township").roots[0])


@pytest.fixture
def deputy(town: Region) -> Deputy:
    return Deputy.objects.filter(subtree_q(town.path, "region__path"), is_active=True).order_by("id").first()


@pytest.fixture
def station(town: Region) -> Station:
    return Station.objects.filter(subtree_q(town.path, "region__path"), is_active=True).order_by("code").first()


@pytest.fixture
def outsider(town: Region) -> Deputy:
    return Deputy.objects.exclude(subtree_q(town.path, "region__path")).order_by("id").first()


def test_deputy_qr_png_carries_the_public_url(client_as: ClientAs, deputy: Deputy) -> None:
    response = client_as("township").get(reverse("codes:deputy_qr", args=[deputy.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert reverse("codes:deputy_qr", args=[deputy.public_id]) == f"/codes/deputy/{deputy.public_id}.png"
    url = deputy_public_url(deputy.public_id)
    assert url.endswith(f"/d/{deputy.public_id}/")
    assert png_modules(response.getvalue()) == expected_modules(url)


def test_station_qr_png_carries_the_public_url(client_as: ClientAs, station: Station) -> None:
    response = client_as("liaison").get(reverse("codes:station_qr", args=[station.public_id]))
    assert response.status_code == 200
    assert png_modules(response.getvalue()) == expected_modules(station_public_url(station.public_id))


@pytest.mark.parametrize("kind", ["deputy", "station"])
def test_posters_download(client_as: ClientAs, deputy: Deputy, station: Station, kind: str) -> None:
    public_id = deputy.public_id if kind == "deputy" else station.public_id
    client = client_as("deputy")  # a deputy may fetch the codes of their township
    pdf = client.get(reverse(f"codes:{kind}_poster_pdf", args=[public_id]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    assert pdf.getvalue().startswith(b"%PDF-")
    png = client.get(reverse(f"codes:{kind}_poster_png", args=[public_id]))
    assert png.status_code == 200
    assert Image.open(io.BytesIO(png.getvalue())).size == (1240, 1754)


@pytest.mark.parametrize("name", ["deputy_qr", "deputy_poster_pdf", "deputy_poster_png"])
def test_deputy_outside_scope_is_404(client_as: ClientAs, outsider: Deputy, name: str) -> None:
    response = client_as("township").get(reverse(f"codes:{name}", args=[outsider.public_id]))
    assert response.status_code == 404


def test_station_outside_scope_is_404(client_as: ClientAs, scope_of) -> None:
    street = scope_of("street").roots[0]
    other = Station.objects.exclude(subtree_q(street, "region__path")).order_by("code").first()
    for name in ("station_qr", "station_poster_pdf", "station_poster_png"):
        assert client_as("street").get(reverse(f"codes:{name}", args=[other.public_id])).status_code == 404


def test_bulk_zip_download(client_as: ClientAs, town: Region) -> None:
    before = AuditEvent.objects.filter(action="codes.bulk_download").count()
    response = client_as("township").get(reverse("codes:region_zip", args=[town.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert len(zf.namelist()) == (
            Deputy.objects.filter(subtree_q(town.path, "region__path"), is_active=True).count()
            + Station.objects.filter(subtree_q(town.path, "region__path"), is_active=True).count()
        )
    assert AuditEvent.objects.filter(action="codes.bulk_download").count() == before + 1


def test_deputy_user_gets_403_on_bulk_zip(client_as: ClientAs, town: Region) -> None:
    response = client_as("deputy").get(reverse("codes:region_zip", args=[town.code]))
    assert response.status_code == 403


def test_bulk_zip_outside_scope_is_404(client_as: ClientAs, town: Region) -> None:
    other = Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(pk=town.pk).order_by("path").first()
    assert client_as("township").get(reverse("codes:region_zip", args=[other.code])).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["index", "deputy_qr", "deputy_poster_pdf", "station_poster_png", "region", "region_zip"],
)
def test_anonymous_is_sent_to_login(deputy: Deputy, station: Station, town: Region, name: str) -> None:
    args = {
        "index": [],
        "deputy_qr": [deputy.public_id],
        "deputy_poster_pdf": [deputy.public_id],
        "station_poster_png": [station.public_id],
        "region": [town.code],
        "region_zip": [town.code],
    }[name]
    url = reverse(f"codes:{name}", args=args)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_index_lists_townships_with_bulk_buttons(
    client_as: ClientAs, town: Region, django_assert_max_num_queries
) -> None:
    client = client_as("county")
    client.get(reverse("codes:index"))  # warm the session and scope caches
    with django_assert_max_num_queries(12):
        response = client.get(reverse("codes:index"))
    assert response.status_code == 200
    page = response.content.decode()
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP, path__startswith=town.path[:6])
    assert townships.count() > 1
    for t in townships:
        assert t.name in page
        assert reverse("codes:region_zip", args=[t.code]) in page
    row = next(r for r in response.context["rows"] if r.region == town)
    assert row.deputies == Deputy.objects.filter(subtree_q(town.path, "region__path"), is_active=True).count()


def test_index_for_a_deputy_has_no_bulk_button(client_as: ClientAs, town: Region) -> None:
    response = client_as("deputy").get(reverse("codes:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert town.name in page
    assert reverse("codes:region_zip", args=[town.code]) not in page


def test_region_page_links_every_code(client_as: ClientAs, town: Region, django_assert_max_num_queries) -> None:
    client = client_as("township")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("codes:region", args=[town.code]))
    assert response.status_code == 200
    page = response.content.decode()
    for d in Deputy.objects.filter(subtree_q(town.path, "region__path"), is_active=True):
        assert reverse("codes:deputy_poster_pdf", args=[d.public_id]) in page
    for s in Station.objects.filter(subtree_q(town.path, "region__path"), is_active=True):
        assert reverse("codes:station_qr", args=[s.public_id]) in page
    assert reverse("codes:region_zip", args=[town.code]) in page
