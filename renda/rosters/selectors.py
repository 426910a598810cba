"""Every read a roster export or import needs, always through the scope.

Related records that hang from another region (a deputy's station, a group, a station's
villages) are prefetched through the scope as well, so an export never shows, and an
import never touches, anything outside the user's regions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TypeVar

from django.db import models
from django.db.models import Prefetch, QuerySet

from renda.core.scoping import Perm, Scope
from renda.org.models import (
    Category,
    Deputy,
    DeputyGroup,
    HandlingUnit,
    Mandate,
    Station,
    StationMembership,
    StationOfficer,
)
from renda.org.selectors import group_list
from renda.regions.models import Region
from renda.rosters.columns import (
    DEPUTIES,
    LIST_SEPARATOR,
    NO,
    REGIONS,
    STATIONS,
    UNITS,
    YES,
    RosterSpec,
    category_label,
    mandate_text,
)

M = TypeVar("M", bound=models.Model)
IN_CHUNK = 500  # keeps every IN (...) list well below SQLite's bound-parameter limit


def _in_chunks(values: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def _by(qs: QuerySet[M], field: str, values: Collection[str]) -> dict[str, M]:
    found: dict[str, M] = {}
    for chunk in _in_chunks(values):
        for obj in qs.filter(**{f"{field}__in": chunk}):
            found[getattr(obj, field)] = obj
    return found


# ---------------------------------------------------------------- the records of a roster


def roster_regions(*, scope: Scope, perm: str) -> QuerySet[Region]:
    return scope.filter(Region.objects.all(), perm=perm).order_by("path")


def roster_deputies(*, scope: Scope, perm: str) -> QuerySet[Deputy]:
    """Deputies with their levels, their open 进站 records and their groups, all in scope."""
    memberships = scope.filter(StationMembership.objects.filter(end_date__isnull=True), perm=perm)
    return (
        scope.filter(Deputy.objects.all(), perm=perm)
        .select_related("region")
        .prefetch_related(
            Prefetch("mandates", queryset=Mandate.objects.order_by("level")),
            Prefetch(
                "memberships",
                queryset=memberships.select_related("station__region").order_by("station__code"),
                to_attr="roster_memberships",
            ),
            Prefetch(
                "groups",
                queryset=scope.filter(DeputyGroup.objects.all(), perm=perm).select_related("region").order_by("name"),
                to_attr="roster_groups",
            ),
        )
        .order_by("region__path", "name", "id")
    )


def roster_stations(*, scope: Scope, perm: str) -> QuerySet[Station]:
    """Stations with their head and liaisons and the villages they serve, all in scope."""
    return (
        scope.filter(Station.objects.all(), perm=perm)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "officers",
                queryset=scope.filter(StationOfficer.objects.all(), perm=perm).order_by("role", "id"),
                to_attr="roster_officers",
            ),
            Prefetch(
                "served_regions",
                queryset=scope.filter(Region.objects.all(), perm=perm).order_by("path"),
                to_attr="roster_served",
            ),
        )
        .order_by("region__path", "code")
    )


def roster_units(*, scope: Scope, perm: str) -> QuerySet[HandlingUnit]:
    return (
        scope.filter(HandlingUnit.objects.all(), perm=perm)
        .select_related("region", "parent")
        .prefetch_related(Prefetch("categories", queryset=Category.objects.select_related("parent").order_by("code")))
        .order_by("region__path", "code")
    )


# What the roster querysets prefetch (to_attr lists the type stubs cannot see).


def open_memberships(deputy: Deputy) -> list[StationMembership]:
    return deputy.roster_memberships  # type: ignore[attr-defined,no-any-return]


def deputy_groups(deputy: Deputy) -> list[DeputyGroup]:
    return deputy.roster_groups  # type: ignore[attr-defined,no-any-return]


def station_officers(station: Station) -> list[StationOfficer]:
    return station.roster_officers  # type: ignore[attr-defined,no-any-return]


def served_regions(station: Station) -> list[Region]:
    return station.roster_served  # type: ignore[attr-defined,no-any-return]


# ---------------------------------------------------------------- look-ups for an import


def regions_by_code(*, scope: Scope, codes: Collection[str]) -> dict[str, Region]:
    return _by(roster_regions(scope=scope, perm=Perm.ORG_MANAGE), "code", codes)


def regions_by_path(*, scope: Scope, paths: Collection[str]) -> dict[str, Region]:
    return _by(roster_regions(scope=scope, perm=Perm.ORG_MANAGE), "path", paths)


def deputies_by_public_id(*, scope: Scope, public_ids: Collection[str]) -> dict[str, Deputy]:
    return _by(roster_deputies(scope=scope, perm=Perm.ORG_MANAGE), "public_id", public_ids)


def stations_by_code(*, scope: Scope, codes: Collection[str], details: bool = False) -> dict[str, Station]:
    qs = (
        roster_stations(scope=scope, perm=Perm.ORG_MANAGE)
        if details
        else scope.filter(Station.objects.select_related("region"), perm=Perm.ORG_MANAGE)
    )
    return _by(qs, "code", codes)


def units_by_code(*, scope: Scope, codes: Collection[str]) -> dict[str, HandlingUnit]:
    return _by(roster_units(scope=scope, perm=Perm.ORG_MANAGE), "code", codes)


def unit_parent_codes(*, scope: Scope) -> dict[str, str]:
    """code -> parent code ("" for none) of every unit in scope, to find loops in a new hierarchy."""
    rows = scope.filter(HandlingUnit.objects.all(), perm=Perm.ORG_MANAGE).values_list("code", "parent__code")
    return {code: parent or "" for code, parent in rows}


def groups_in_scope(*, scope: Scope) -> list[DeputyGroup]:
    """Every group in scope, with ``member_count`` (all members, seen or not)."""
    return list(group_list(scope=scope))


def group_members_in_scope(*, scope: Scope, group: DeputyGroup) -> list[Deputy]:
    return list(
        scope.filter(Deputy.objects.filter(groups=group), perm=Perm.ORG_MANAGE).select_related("region").order_by("id")
    )


def categories_by_label() -> dict[str, Category]:
    """Opinion categories (a global reference list) by their roster label and by code."""
    found: dict[str, Category] = {}
    categories = list(Category.objects.select_related("parent"))
    for category in categories:  # codes first, so a label equal to some code still wins
        found[category.code] = category
    plain: dict[str, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            plain.setdefault(category.name, []).append(category)
    for name, matches in plain.items():  # a second-level name alone, when it is unambiguous
        if len(matches) == 1:
            found[name] = matches[0]
    for category in categories:
        found[category_label(category)] = category
    return found


# ---------------------------------------------------------------- export rows


def _joined(values: list[str]) -> str:
    return LIST_SEPARATOR.join(values)


def _region_rows(scope: Scope) -> Iterator[list[object]]:
    for region in roster_regions(scope=scope, perm=Perm.ORG_EXPORT).iterator(chunk_size=2000):
        yield [region.code, region.name, region.get_level_display(), region.get_kind_display()]


def _deputy_rows(scope: Scope) -> Iterator[list[object]]:
    # Only serving deputies: the roster is the current one (the import never ends a mandate).
    for d in roster_deputies(scope=scope, perm=Perm.ORG_EXPORT).filter(is_active=True).iterator(chunk_size=1000):
        yield [
            d.public_id,
            d.name,
            d.get_kind_display(),
            d.get_gender_display() if d.gender else "",
            d.birth_year if d.birth_year is not None else "",
            d.ethnicity,
            d.party,
            d.occupation,
            d.phone,
            d.region.code,
            _joined([mandate_text(m.level, m.term, m.constituency) for m in d.mandates.all()]),
            _joined(sorted(m.station.code for m in open_memberships(d))),
            _joined(sorted(g.name for g in deputy_groups(d))),
        ]


def _station_rows(scope: Scope) -> Iterator[list[object]]:
    for s in roster_stations(scope=scope, perm=Perm.ORG_EXPORT).iterator(chunk_size=1000):
        officers = station_officers(s)
        head = next((o for o in officers if o.role == "head"), None)
        liaisons = [(o.name, o.phone) for o in officers if o.role == "liaison"][:2]
        liaisons += [("", "")] * (2 - len(liaisons))
        yield [
            s.code,
            s.name,
            s.get_kind_display(),
            s.region.code,
            _joined([r.code for r in served_regions(s)]),
            s.address,
            s.opening_hours,
            s.industry,
            YES if s.is_active else NO,
            head.name if head else "",
            head.phone if head else "",
            *[value for pair in liaisons for value in pair],
        ]


def _unit_rows(scope: Scope) -> Iterator[list[object]]:
    for u in roster_units(scope=scope, perm=Perm.ORG_EXPORT).iterator(chunk_size=1000):
        yield [
            u.code,
            u.name,
            u.get_kind_display(),
            u.region.code,
            u.parent.code if u.parent else "",
            _joined([category_label(c) for c in u.categories.all()]),
            u.contact_name,
            u.contact_phone,
            YES if u.is_active else NO,
        ]


def roster_rows(*, scope: Scope, spec: RosterSpec) -> list[list[object]]:
    """The rows of ``spec``'s roster for everything in scope, in the columns' order."""
    makers = {
        REGIONS.kind: _region_rows,
        DEPUTIES.kind: _deputy_rows,
        STATIONS.kind: _station_rows,
        UNITS.kind: _unit_rows,
    }
    return list(makers[spec.kind](scope))
