"""Every read of the organisation registry a page, export or API needs, already scoped."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from renda.core.scoping import Scope
from renda.org.models import (
    Body,
    Deputy,
    DeputyGroup,
    HandlingUnit,
    Mandate,
    Station,
    StationMembership,
    StationOfficer,
)
from renda.regions.models import Region
from renda.regions.paths import subtree_q


@dataclass
class RegistryCounts:
    regions: int
    deputies: int
    stations: int
    units: int
    bodies: int


def registry_counts(*, scope: Scope) -> RegistryCounts:
    return RegistryCounts(
        regions=scope.filter(Region.objects.all()).count(),
        deputies=scope.filter(Deputy.objects.filter(is_active=True)).count(),
        stations=scope.filter(Station.objects.filter(is_active=True)).count(),
        units=scope.filter(HandlingUnit.objects.filter(is_active=True)).count(),
        bodies=scope.filter(Body.objects.all()).count(),
    )


def current_memberships() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch(
        "memberships",
        queryset=StationMembership.objects.filter(end_date__isnull=True).select_related("station"),
        to_attr="current_memberships",
    )


def deputy_name_q(q: str) -> Q:
    """Deputies whose name contains ``q``, or whose pinyin initials or full pinyin start with it
    ("zw", "zhangwei")."""
    q = q.strip()
    lowered = q.lower().replace(" ", "")
    match = Q(name__contains=q)
    if lowered.isascii() and lowered.isalpha():
        match |= Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    return match


@dataclass
class DeputyFilter:
    q: str = ""
    level: int | None = None
    kind: str = ""
    station_id: int | None = None
    group_id: int | None = None
    region_id: int | None = None


def deputy_list(*, scope: Scope, filters: DeputyFilter | None = None) -> QuerySet[Deputy]:
    """Deputies in scope, matching name / pinyin initials / full pinyin and the filters."""
    f = filters or DeputyFilter()
    qs = scope.filter(Deputy.objects.all())
    q = f.q.strip()
    if q:
        qs = qs.filter(deputy_name_q(q))
    if f.level:
        qs = qs.filter(mandates__level=f.level)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.station_id:
        qs = qs.filter(memberships__station_id=f.station_id, memberships__end_date__isnull=True)
    if f.group_id:
        qs = qs.filter(groups__id=f.group_id)
    if f.region_id:
        region = scope.get(Region.objects.all(), pk=f.region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    if f.level or f.station_id or f.group_id:
        qs = qs.distinct()
    return (
        qs.select_related("region")
        .prefetch_related(Prefetch("mandates", queryset=Mandate.objects.order_by("level")), current_memberships())
        .order_by("region__path", "name", "id")
    )


def deputy_detail(*, scope: Scope, public_id: str) -> Deputy:
    return scope.get(
        Deputy.objects.select_related("region").prefetch_related(
            Prefetch("mandates", queryset=Mandate.objects.select_related("body").order_by("level")),
            Prefetch(
                "memberships", queryset=StationMembership.objects.select_related("station").order_by("-start_date")
            ),
            "groups",
        ),
        public_id=public_id,
    )


def station_list(*, scope: Scope, q: str = "", kind: str = "", region_id: int | None = None) -> QuerySet[Station]:
    qs = scope.filter(Station.objects.all())
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(code__iexact=q.strip()) | Q(address__contains=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if region_id:
        region = scope.get(Region.objects.all(), pk=region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    return (
        qs.select_related("region")
        .prefetch_related(Prefetch("officers", queryset=StationOfficer.objects.order_by("role", "id")))
        .annotate(deputy_count=Count("memberships", filter=Q(memberships__end_date__isnull=True)))
        .order_by("region__path", "code")
    )


def station_detail(*, scope: Scope, public_id: str) -> Station:
    return scope.get(
        Station.objects.select_related("region").prefetch_related(
            Prefetch("officers", queryset=StationOfficer.objects.order_by("role", "id")),
            "served_regions",
            Prefetch(
                "memberships",
                queryset=StationMembership.objects.select_related("deputy").order_by("end_date", "deputy__name"),
            ),
        ),
        public_id=public_id,
    )


def unit_list(*, scope: Scope, q: str = "", kind: str = "", region_id: int | None = None) -> QuerySet[HandlingUnit]:
    qs = scope.filter(HandlingUnit.objects.all())
    if q.strip():
        qs = qs.filter(Q(name__contains=q.strip()) | Q(code__iexact=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if region_id:
        region = scope.get(Region.objects.all(), pk=region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    return qs.select_related("region", "parent").prefetch_related("categories").order_by("region__path", "code")


def unit_detail(*, scope: Scope, pk: int) -> HandlingUnit:
    return scope.get(
        HandlingUnit.objects.select_related("region", "parent").prefetch_related("categories__parent", "children"),
        pk=pk,
    )


def body_list(*, scope: Scope) -> QuerySet[Body]:
    return (
        scope.filter(Body.objects.all())
        .select_related("region")
        .annotate(mandate_count=Count("mandates"))
        .order_by("region__path", "kind")
    )


def group_list(*, scope: Scope) -> QuerySet[DeputyGroup]:
    return (
        scope.filter(DeputyGroup.objects.all())
        .select_related("region")
        .annotate(member_count=Count("members"))
        .order_by("region__path", "name")
    )


def group_detail(*, scope: Scope, pk: int) -> DeputyGroup:
    return scope.get(DeputyGroup.objects.select_related("region").prefetch_related("members__region"), pk=pk)


def station_choices(*, scope: Scope) -> QuerySet[Station]:
    """Stations for a filter drop-down."""
    return scope.filter(Station.objects.all()).only("id", "name").order_by("region__path", "code")


def group_choices(*, scope: Scope) -> QuerySet[DeputyGroup]:
    return (
        scope.filter(DeputyGroup.objects.all())
        .select_related("region")
        .only("id", "name", "region__name")
        .order_by("region__path", "name")
    )
