"""Region tree pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from renda.core.scoping import scope_for_user
from renda.org import selectors as org_selectors
from renda.regions import selectors
from renda.regions.models import Region


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    roots = list(selectors.region_roots(scope=scope))
    return render(request, "regions/tree.html", {"roots": roots})


@login_required
@require_GET
def children(request: HttpRequest, code: str) -> HttpResponse:
    """htmx partial: the children of one node, loaded when it is expanded."""
    scope = scope_for_user(request.user)
    region = scope.get(Region.objects.all(), code=code)
    kids = list(selectors.region_children(scope=scope, region=region))
    return render(request, "regions/_children.html", {"children": kids})


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    region = scope.get(Region.objects.select_related("parent"), code=code)
    context = {
        "region": region,
        "ancestors": [r for r in region.ancestors() if scope.covers_path(r.path)],
        "children": selectors.region_children(scope=scope, region=region),
        "bodies": org_selectors.body_list(scope=scope).filter(region=region),
        "stations": org_selectors.station_list(scope=scope).filter(region=region),
        "units": org_selectors.unit_list(scope=scope).filter(region=region),
        "deputy_count": org_selectors.deputy_list(
            scope=scope, filters=org_selectors.DeputyFilter(region_id=region.pk)
        ).count(),
    }
    return render(request, "regions/detail.html", context)
