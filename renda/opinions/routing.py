"""Routing rules (分级分类): which handling unit a case goes to, from its category and region.

The rule is the registry itself: a unit lists the first-level categories it handles. The
township's own unit wins; otherwise the county's; staff can always choose another.
"""

from __future__ import annotations

from django.db.models import QuerySet

from renda.core.scoping import Scope
from renda.opinions.models import Opinion
from renda.org.models import HandlingUnit


def unit_choices(*, scope: Scope, opinion: Opinion) -> QuerySet[HandlingUnit]:
    """Units a case may be routed to: the township's and its county's and city's, in scope or above."""
    paths = opinion.region.ancestor_paths(include_self=False)
    township_paths = [p for p in paths if len(p) <= 9]
    return (
        HandlingUnit.objects.filter(region__path__in=township_paths, is_active=True)
        .select_related("region")
        .order_by("-region__path", "code")
    )


def suggested_unit(*, opinion: Opinion) -> HandlingUnit | None:
    top = opinion.category.parent_id or opinion.category_id
    township = opinion.region.path[:9]
    county = opinion.region.path[:6]
    for path in (township, county):
        unit = (
            HandlingUnit.objects.filter(region__path=path, is_active=True, categories__id=top).order_by("code").first()
        )
        if unit is not None:
            return unit
    return None
