"""Bulk download of a region's posters: what the ZIP holds, who may take it, and the log."""

from __future__ import annotations

import io
import zipfile

import pytest

from renda.audit.models import AuditEvent
from renda.codes.services import posters_bulk_download
from renda.core.errors import NotFound, PermissionDenied
from renda.org.models import Deputy, Station
from renda.regions.models import Region
from renda.regions.paths import subtree_q

pytestmark = [pytest.mark.django_db, pytest.mark.urls("renda.codes.test_urls")]


def _township(scope_of) -> Region:
    return Region.objects.get(path=scope_of("township").roots[0])


def test_zip_holds_one_pdf_per_active_deputy_and_station(scope_of) -> None:
    # Given the township office and its township
    scope = scope_of("township")
    town = _township(scope_of)
    inactive = Deputy.objects.filter(subtree_q(town.path, "region__path")).order_by("id").first()
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    deputies = Deputy.objects.filter(subtree_q(town.path, "region__path"), is_active=True)
    stations = Station.objects.filter(subtree_q(town.path, "region__path"), is_active=True)

    # When it downloads the posters of the whole township
    archive = posters_bulk_download(scope=scope, region_code=town.code)
    data = b"".join(archive.chunks)

    # Then there is one PDF per active deputy and station, and nothing else
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        expected = {f"代表/{d.name}-{d.public_id}.pdf" for d in deputies} | {
            f"家站点/{s.name}-{s.public_id}.pdf" for s in stations
        }
        assert len(names) == len(expected) == deputies.count() + stations.count()
        assert set(names) == expected
        assert not any(inactive.public_id in name for name in names)
        assert all(zf.read(name).startswith(b"%PDF-") for name in names[:5])
    assert (archive.deputies, archive.stations) == (deputies.count(), stations.count())
    assert archive.filename.endswith(".zip") and town.name in archive.filename


def test_bulk_download_is_logged(scope_of, user_named) -> None:
    town = _township(scope_of)
    before = AuditEvent.objects.filter(action="codes.bulk_download").count()
    archive = posters_bulk_download(scope=scope_of("township"), region_code=town.code)
    event = AuditEvent.objects.filter(action="codes.bulk_download").latest("seq")
    assert AuditEvent.objects.filter(action="codes.bulk_download").count() == before + 1
    assert event.actor == user_named("township")
    assert event.region_path == town.path
    assert event.after == {"deputies": archive.deputies, "stations": archive.stations}


def test_deputy_may_not_bulk_download(scope_of) -> None:
    with pytest.raises(PermissionDenied):
        posters_bulk_download(scope=scope_of("deputy"), region_code=_township(scope_of).code)


def test_region_outside_scope_is_not_found(scope_of) -> None:
    town = _township(scope_of)
    other = Region.objects.filter(level=town.level).exclude(pk=town.pk).order_by("path").first()
    before = AuditEvent.objects.filter(action="codes.bulk_download").count()
    with pytest.raises(NotFound):
        posters_bulk_download(scope=scope_of("township"), region_code=other.code)
    assert AuditEvent.objects.filter(action="codes.bulk_download").count() == before


def test_county_can_take_a_whole_county(scope_of) -> None:
    scope = scope_of("county")
    county = Region.objects.get(path=scope.roots[0])
    archive = posters_bulk_download(scope=scope, region_code=county.code)
    assert archive.deputies == Deputy.objects.filter(subtree_q(county.path, "region__path"), is_active=True).count()
    archive.chunks.close()  # nothing rendered: the posters are made only as the ZIP is read
