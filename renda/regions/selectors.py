"""Reads of the region tree, already scoped."""

from __future__ import annotations

from django.db.models import QuerySet

from renda.core.scoping import Scope
from renda.regions.models import Region
from renda.regions.paths import subtree_q


def region_roots(*, scope: Scope) -> QuerySet[Region]:
    """The top regions a user sees: their scope roots (or the provinces for full scope)."""
    qs = Region.objects.all()
    if scope.unrestricted:
        return scope.filter(qs.filter(parent__isnull=True))
    return scope.filter(qs.filter(path__in=scope.roots))


TREE_FIELDS = ("id", "code", "path", "name", "level", "kind", "parent_id")


def region_children(*, scope: Scope, region: Region) -> QuerySet[Region]:
    # Timestamps are not shown and cost most of the fetch time (bench/README.md).
    return scope.filter(Region.objects.filter(parent=region)).only(*TREE_FIELDS).order_by("path")


def region_subtree(*, scope: Scope, region: Region) -> QuerySet[Region]:
    return scope.filter(Region.objects.filter(subtree_q(region.path)))


def region_choices(*, scope: Scope, max_level: int = 5) -> QuerySet[Region]:
    """Regions for a filter drop-down: in scope, down to villages."""
    return scope.filter(Region.objects.filter(level__lte=max_level)).only("id", "name", "path", "level")
