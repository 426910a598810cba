"""承办单位, 人大机构 and 代表小组: the rest of the organisation registry (read only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, Query, Router
from ninja.params import PathEx

from renda.api.auth import request_scope
from renda.api.lookups import region_by_code
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import READ_ERRORS, BodyPage, GroupPage, UnitDetail, UnitPage, UnitQuery
from renda.org.models import HandlingUnit
from renda.org.selectors import body_list, group_list, unit_detail, unit_list

router = Router()


@router.get("/units", response={200: UnitPage, **READ_ERRORS}, tags=["承办单位"], summary="承办单位列表")
def list_units(request: HttpRequest, filters: Query[UnitQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    region_id = region_by_code(scope, filters.region).pk if filters.region else None
    return page_of(unit_list(scope=scope, q=filters.q, kind=filters.kind or "", region_id=region_id), filters)


@router.get("/units/{unit_id}", response={200: UnitDetail, **READ_ERRORS}, tags=["承办单位"], summary="承办单位详情")
def get_unit(request: HttpRequest, unit_id: PathEx[int, P(title="单位编号")]) -> HandlingUnit:
    return unit_detail(scope=request_scope(request), pk=unit_id)


@router.get("/bodies", response={200: BodyPage, **READ_ERRORS}, tags=["人大机构"], summary="人大机构列表")
def list_bodies(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_of(body_list(scope=request_scope(request)), page)


@router.get("/groups", response={200: GroupPage, **READ_ERRORS}, tags=["代表小组"], summary="代表小组列表")
def list_groups(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_of(group_list(scope=request_scope(request)), page)
