"""The writes of the codes (二码): a bulk download is logged, because it hands out every
deputy's and station's poster of a region at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from renda.audit.services import audit_record
from renda.codes import selectors
from renda.codes.archives import poster_zip_chunks
from renda.codes.selectors import safe_filename
from renda.core.scoping import Perm, Scope


@dataclass(frozen=True)
class PosterArchive:
    filename: str
    deputies: int
    stations: int
    chunks: Iterator[bytes]


def posters_bulk_download(*, scope: Scope, region_code: str) -> PosterArchive:
    """批量下载二码海报: a ZIP with the PDF poster of every active deputy and station in the
    region and below, for the township office to print and hand out. The download is logged
    (``codes.bulk_download``) before the first byte is sent."""
    scope.require(Perm.ORG_MANAGE)
    region = selectors.code_region(scope=scope, code=region_code, perm=Perm.ORG_MANAGE)
    batch = selectors.region_posters(scope=scope, region=region, perm=Perm.ORG_MANAGE)
    with transaction.atomic():
        audit_record(
            actor=scope.actor,
            action="codes.bulk_download",
            target=region,
            region_path=region.path,
            after={"deputies": len(batch.deputies), "stations": len(batch.stations)},
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return PosterArchive(
        filename=f"二码海报-{safe_filename(region.name)}-{stamp}.zip",
        deputies=len(batch.deputies),
        stations=len(batch.stations),
        chunks=poster_zip_chunks([*batch.deputies, *batch.stations]),
    )
