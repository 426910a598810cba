"""Routing rules (分级分类): which handling unit a case goes to, from its category and region.

The rule is the registry itself: a unit lists the categories it handles, a first-level class
("城乡建设") or a second-level one ("燃气"). A unit naming the case's own second-level class wins
over one naming its first level; the township's unit over the county's; staff can always choose
another. 法院, 检察院 and 监委 are not offered: they do not answer a citizen's complaint.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from renda.core.scoping import Scope
from renda.opinions.models import Opinion
from renda.org.models import HandlingUnit, UnitKind

NOT_FOR_OPINIONS = [UnitKind.COURT, UnitKind.PROCURATORATE, UnitKind.SUPERVISION]


def unit_choices(*, scope: Scope, opinion: Opinion) -> QuerySet[HandlingUnit]:
    """Units a case may be routed to: the township's and its county's and city's, in scope or above."""
    paths = opinion.region.ancestor_paths(include_self=False)
    township_paths = [p for p in paths if len(p) <= 9]
    return (
        HandlingUnit.objects.filter(region__path__in=township_paths, is_active=True)
        .exclude(kind__in=NOT_FOR_OPINIONS)
        .select_related("region")
        .order_by("-region__path", "code")
    )


def handling_unit_ids(*, opinion: Opinion, units: QuerySet[HandlingUnit]) -> set[int]:
    """Those of ``units`` that list the case's category (its own or its first level)."""
    top = opinion.category.parent_id or opinion.category_id
    return set(units.filter(Q(categories__id=opinion.category_id) | Q(categories__id=top)).values_list("pk", flat=True))


def suggested_unit(*, opinion: Opinion) -> HandlingUnit | None:
    top = opinion.category.parent_id or opinion.category_id
    township = opinion.region.path[:9]
    county = opinion.region.path[:6]
    own = [opinion.category_id] if opinion.category_id != top else []
    for category_id in [*own, top]:
        for path in (township, county):
            unit = (
                HandlingUnit.objects.filter(region__path=path, is_active=True, categories__id=category_id)
                .exclude(kind__in=NOT_FOR_OPINIONS)
                .order_by("code")
                .first()
            )
            if unit is not None:
                return unit
    return None
