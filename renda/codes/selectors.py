"""Every read the codes (二码) need: what goes on a deputy's or a station's poster, already scoped.

A poster is plain data (``Poster``) so that rendering it — PDF, PNG, a ZIP of a thousand —
needs no database access and can run while a response streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from renda.codes.qr import deputy_public_url, station_public_url
from renda.core.scoping import Perm, Scope
from renda.org.models import (
    Deputy,
    DeputyKind,
    Mandate,
    OfficerRole,
    Station,
    StationMembership,
    StationOfficer,
)
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import subtree_q

DEPUTY_HEADER = "人大代表 亮身份"
DELIBERATION_HEADER = "议政代表 亮身份"
DEPUTY_CALL = "扫码向代表反映意见建议、预约见面"
STATION_CALL = "扫码反映意见建议、预约见面"


@dataclass(frozen=True)
class Poster:
    """What one poster (二码海报) shows. ``kind`` is "deputy" or "station"."""

    kind: str
    public_id: str
    url: str  # what the QR code carries
    header: str
    name: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    call_to_action: str

    @property
    def filename_stem(self) -> str:
        return f"{safe_filename(self.name)}-{self.public_id}"


def safe_filename(text: str) -> str:
    """``text`` without the characters file systems and ZIP tools refuse."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned or "未命名"


# ---------------------------------------------------------------- one record


def _deputy_queryset() -> QuerySet[Deputy]:
    return Deputy.objects.prefetch_related(
        Prefetch("mandates", queryset=Mandate.objects.order_by("level", "term")),
        Prefetch(
            "memberships",
            queryset=StationMembership.objects.filter(end_date__isnull=True)
            .select_related("station")
            .order_by("start_date", "station__code"),
            to_attr="open_memberships",
        ),
    )


def _station_queryset() -> QuerySet[Station]:
    return Station.objects.prefetch_related(
        Prefetch("officers", queryset=StationOfficer.objects.order_by("role", "id")),
    )


def deputy_levels(deputy: Deputy) -> list[str]:
    """ "县级人大代表", "乡镇级人大代表", … from the deputy's mandates; "议政代表" for a deliberation deputy."""
    levels: list[str] = []
    for mandate in deputy.mandates.all():
        label = f"{mandate.get_level_display()}人大代表"
        if label not in levels:
            levels.append(label)
    if deputy.kind == DeputyKind.DELIBERATION:
        levels.append("议政代表")
    return levels


def deputy_poster_of(deputy: Deputy) -> Poster:
    """The poster of a deputy fetched with ``_deputy_queryset`` (mandates and open memberships prefetched)."""
    levels = deputy_levels(deputy)
    stations = [m.station.name for m in getattr(deputy, "open_memberships", [])]
    is_congress_deputy = deputy.kind == DeputyKind.DEPUTY or len(levels) > 1
    return Poster(
        kind="deputy",
        public_id=deputy.public_id,
        url=deputy_public_url(deputy.public_id),
        header=DEPUTY_HEADER if is_congress_deputy else DELIBERATION_HEADER,
        name=deputy.name,
        subtitle=" ".join(levels),
        facts=(("所在站点", "、".join(stations)),) if stations else (),
        call_to_action=DEPUTY_CALL,
    )


def station_poster_of(station: Station) -> Poster:
    """The poster of a station fetched with ``_station_queryset``. Officers' phones stay off it."""
    officers = list(station.officers.all())
    heads = [o.name for o in officers if o.role == OfficerRole.HEAD]
    liaisons = [o.name for o in officers if o.role == OfficerRole.LIAISON]
    facts = [
        ("地址", station.address),
        ("接待时间", station.opening_hours),
        ("联系行业", station.industry),
        ("站长", "、".join(heads)),
        ("联络员", "、".join(liaisons)),
    ]
    return Poster(
        kind="station",
        public_id=station.public_id,
        url=station_public_url(station.public_id),
        header=station.get_kind_display(),
        name=station.name,
        subtitle="",
        facts=tuple((label, value) for label, value in facts if value),
        call_to_action=STATION_CALL,
    )


def deputy_poster(*, scope: Scope, public_id: str) -> Poster:
    return deputy_poster_of(scope.get(_deputy_queryset(), public_id=public_id))


def station_poster(*, scope: Scope, public_id: str) -> Poster:
    return station_poster_of(scope.get(_station_queryset(), public_id=public_id))


@dataclass(frozen=True)
class CodeTarget:
    """Just enough to draw a bare QR code and name its file."""

    kind: str
    public_id: str
    name: str
    url: str


def deputy_code(*, scope: Scope, public_id: str) -> CodeTarget:
    deputy = scope.get(Deputy.objects.only("id", "public_id", "name"), public_id=public_id)
    return CodeTarget("deputy", deputy.public_id, deputy.name, deputy_public_url(deputy.public_id))


def station_code(*, scope: Scope, public_id: str) -> CodeTarget:
    station = scope.get(Station.objects.only("id", "public_id", "name"), public_id=public_id)
    return CodeTarget("station", station.public_id, station.name, station_public_url(station.public_id))


# ---------------------------------------------------------------- a region


def code_region(*, scope: Scope, code: str, perm: str = Perm.ORG_VIEW) -> Region:
    return scope.get(Region.objects.select_related("parent"), perm=perm, code=code)


def region_deputies(*, scope: Scope, region: Region, perm: str = Perm.ORG_VIEW) -> QuerySet[Deputy]:
    """Active deputies whose region lies in ``region``'s subtree."""
    return scope.filter(
        _deputy_queryset().filter(subtree_q(region.path, "region__path"), is_active=True), perm=perm
    ).order_by("region__path", "name", "id")


def region_stations(*, scope: Scope, region: Region, perm: str = Perm.ORG_VIEW) -> QuerySet[Station]:
    """Active stations whose region lies in ``region``'s subtree."""
    return scope.filter(
        _station_queryset().filter(subtree_q(region.path, "region__path"), is_active=True), perm=perm
    ).order_by("region__path", "code")


@dataclass(frozen=True)
class RegionPosters:
    region: Region
    deputies: list[Poster]
    stations: list[Poster]


def region_posters(*, scope: Scope, region: Region, perm: str = Perm.ORG_VIEW) -> RegionPosters:
    return RegionPosters(
        region=region,
        deputies=[deputy_poster_of(d) for d in region_deputies(scope=scope, region=region, perm=perm)],
        stations=[station_poster_of(s) for s in region_stations(scope=scope, region=region, perm=perm)],
    )


# ---------------------------------------------------------------- the index


def township_list(*, scope: Scope) -> QuerySet[Region]:
    """Townships and streets in scope, the unit codes are printed and handed out by."""
    return scope.filter(Region.objects.filter(level=RegionLevel.TOWNSHIP)).select_related("parent").order_by("path")


@dataclass(frozen=True)
class RegionCount:
    region: Region
    deputies: int
    stations: int


def region_counts(*, scope: Scope, regions: Sequence[Region]) -> list[RegionCount]:
    """Active deputies and stations under each of ``regions`` (all of one level), in two queries."""
    if not regions:
        return []
    length = len(regions[0].path)
    assert all(len(r.path) == length for r in regions), "regions of one level only"
    within = Q(pk__in=[])
    for r in regions:
        within |= subtree_q(r.path, "region__path")

    def tally(qs: QuerySet[Deputy] | QuerySet[Station]) -> dict[str, int]:
        rows = (
            scope.filter(qs.filter(within, is_active=True))
            .annotate(prefix=Substr("region__path", 1, length))
            .values("prefix")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {row["prefix"]: row["n"] for row in rows}

    deputies = tally(Deputy.objects.all())
    stations = tally(Station.objects.all())
    return [RegionCount(r, deputies.get(r.path, 0), stations.get(r.path, 0)) for r in regions]
