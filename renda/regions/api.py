"""行政区划: the roots of my scope and drill-down by region code."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from renda.api.auth import request_scope
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import READ_ERRORS
from renda.org.schemas import RegionDetail, RegionPage
from renda.regions.models import Region
from renda.regions.selectors import region_children, region_roots

router = Router(tags=["行政区划"])


@router.get("/regions", response={200: RegionPage, **READ_ERRORS}, summary="我的管辖区划（范围根）")
def list_regions(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    scope = request_scope(request)
    return page_of(region_roots(scope=scope).order_by("path"), page)


@router.get("/regions/{code}", response={200: RegionDetail, **READ_ERRORS}, summary="区划详情及下级")
def get_region(request: HttpRequest, code: str) -> dict[str, Any]:
    scope = request_scope(request)
    region = scope.get(Region.objects.all(), code=code)
    ancestors = scope.filter(Region.objects.filter(path__in=region.ancestor_paths())).order_by("path")
    return {
        "region": region,
        "ancestors": list(ancestors),
        "children": list(region_children(scope=scope, region=region)),
    }


@router.get("/regions/{code}/children", response={200: RegionPage, **READ_ERRORS}, summary="下级区划")
def list_region_children(request: HttpRequest, code: str, page: Query[PageParams]) -> dict[str, Any]:
    scope = request_scope(request)
    region = scope.get(Region.objects.all(), code=code)
    return page_of(region_children(scope=scope, region=region), page)
