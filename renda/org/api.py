"""组织体系 in the API: 代表 (list and detail; register and edit with Perm.ORG_MANAGE), 家站点
(list and detail; 进站, a deputy joins a station), and the rest of the registry, read only:
承办单位, 人大机构 and 代表小组.

One router; each operation names the tag the docs list it under (the same tags as before).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import P, Query, Router
from ninja.params import HeaderEx, PathEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm
from renda.org.lookups import deputy_by_public_id, group_by_id, region_by_code, station_by_public_id
from renda.org.models import Deputy, HandlingUnit, Station
from renda.org.schemas import (
    BodyPage,
    DeputyDetail,
    DeputyIn,
    DeputyPage,
    DeputyPatch,
    DeputyQuery,
    GroupPage,
    JoinStationIn,
    MandateIn,
    StationDetail,
    StationMembershipOut,
    StationPage,
    StationQuery,
    UnitDetail,
    UnitPage,
    UnitQuery,
)
from renda.org.selectors import (
    DeputyFilter,
    body_list,
    deputy_detail,
    deputy_list,
    group_list,
    station_detail,
    station_list,
    unit_detail,
    unit_list,
)
from renda.org.services import DeputyInput, MandateInput, deputy_create, deputy_join_station, deputy_update

router = Router()

# ---------------------------------------------------------------- 代表


def _mandates(items: list[MandateIn]) -> tuple[MandateInput, ...]:
    return tuple(MandateInput(level=m.level, term=m.term, constituency=m.constituency) for m in items)


@router.get("/deputies", response={200: DeputyPage, **READ_ERRORS}, tags=["代表"], summary="代表名册")
def list_deputies(request: HttpRequest, filters: Query[DeputyQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    f = DeputyFilter(
        q=filters.q,
        level=filters.level,
        kind=filters.kind or "",
        station_id=station_by_public_id(scope, filters.station).pk if filters.station else None,
        group_id=group_by_id(scope, filters.group).pk if filters.group else None,
        region_id=region_by_code(scope, filters.region).pk if filters.region else None,
    )
    return page_of(deputy_list(scope=scope, filters=f), filters)


@router.get("/deputies/{public_id}", response={200: DeputyDetail, **READ_ERRORS}, tags=["代表"], summary="代表详情")
def get_deputy(request: HttpRequest, public_id: str) -> Deputy:
    return deputy_detail(scope=request_scope(request), public_id=public_id)


@router.post("/deputies", response={201: DeputyDetail, **WRITE_ERRORS}, tags=["代表"], summary="登记代表")
def create_deputy(
    request: HttpRequest,
    payload: DeputyIn,
    idempotency_key: HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)] = None,
) -> HttpResponse:
    scope = request_scope(request)
    scope.require(Perm.ORG_MANAGE)

    def create() -> HttpResponse:
        data = DeputyInput(
            name=payload.name,
            region=region_by_code(scope, payload.region),
            kind=payload.kind,
            gender=payload.gender,
            birth_year=payload.birth_year,
            ethnicity=payload.ethnicity,
            party=payload.party,
            occupation=payload.occupation,
            phone=payload.phone,
            mandates=_mandates(payload.mandates),
        )
        deputy = deputy_create(scope=scope, data=data, reason=payload.reason)
        return render(request, DeputyDetail, deputy_detail(scope=scope, public_id=deputy.public_id), status=201)

    return run_idempotent(request, idempotency_key, create)


@router.patch(
    "/deputies/{public_id}", response={200: DeputyDetail, **WRITE_ERRORS}, tags=["代表"], summary="修改代表信息"
)
def update_deputy(request: HttpRequest, public_id: str, payload: DeputyPatch) -> Deputy:
    scope = request_scope(request)
    scope.require(Perm.ORG_MANAGE)
    deputy = deputy_detail(scope=scope, public_id=public_id)
    sent = payload.model_dump(exclude_unset=True)

    def text(name: str) -> str:
        value = sent[name] if name in sent else getattr(deputy, name)
        return "" if value is None else str(value)

    data = DeputyInput(
        name=text("name"),
        region=region_by_code(scope, payload.region) if payload.region is not None else deputy.region,
        kind=payload.kind if payload.kind is not None else deputy.kind,
        gender=text("gender"),
        birth_year=sent.get("birth_year", deputy.birth_year),
        ethnicity=text("ethnicity"),
        party=text("party"),
        occupation=text("occupation"),
        phone=text("phone"),
        mandates=(
            _mandates(payload.mandates)
            if payload.mandates is not None
            else tuple(MandateInput(m.level, m.term, m.constituency) for m in deputy.mandates.all())
        ),
    )
    deputy_update(scope=scope, deputy=deputy, data=data, reason=payload.reason)
    return deputy_detail(scope=scope, public_id=public_id)


# ---------------------------------------------------------------- 家站点


@router.get("/stations", response={200: StationPage, **READ_ERRORS}, tags=["家站点"], summary="家站点列表")
def list_stations(request: HttpRequest, filters: Query[StationQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    region_id = region_by_code(scope, filters.region).pk if filters.region else None
    qs = station_list(scope=scope, q=filters.q, kind=filters.kind or "", region_id=region_id)
    return page_of(qs, filters)


@router.get(
    "/stations/{public_id}", response={200: StationDetail, **READ_ERRORS}, tags=["家站点"], summary="家站点详情"
)
def get_station(request: HttpRequest, public_id: str) -> Station:
    return station_detail(scope=request_scope(request), public_id=public_id)


@router.post(
    "/stations/{public_id}/members",
    response={201: StationMembershipOut, **WRITE_ERRORS},
    tags=["家站点"],
    summary="代表进站",
)
def join_station(
    request: HttpRequest,
    public_id: str,
    payload: JoinStationIn,
    idempotency_key: HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)] = None,
) -> HttpResponse:
    scope = request_scope(request)
    scope.require(Perm.ORG_MANAGE)

    def join() -> HttpResponse:
        station = station_by_public_id(scope, public_id)
        deputy = deputy_by_public_id(scope, payload.deputy)
        membership = deputy_join_station(
            scope=scope,
            deputy=deputy,
            station=station,
            start_date=payload.start_date or timezone.localdate(),
            reason=payload.reason,
        )
        return render(request, StationMembershipOut, membership, status=201)

    return run_idempotent(request, idempotency_key, join)


# ---------------------------------------------------------------- 承办单位, 人大机构, 代表小组


@router.get("/units", response={200: UnitPage, **READ_ERRORS}, tags=["承办单位"], summary="承办单位列表")
def list_units(request: HttpRequest, filters: Query[UnitQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    region_id = region_by_code(scope, filters.region).pk if filters.region else None
    return page_of(unit_list(scope=scope, q=filters.q, kind=filters.kind or "", region_id=region_id), filters)


@router.get("/units/{unit_id}", response={200: UnitDetail, **READ_ERRORS}, tags=["承办单位"], summary="承办单位详情")
def get_unit(request: HttpRequest, unit_id: PathEx[int, P(ge=1, le=MAX_INT, title="单位编号")]) -> HandlingUnit:
    return unit_detail(scope=request_scope(request), pk=unit_id)


@router.get("/bodies", response={200: BodyPage, **READ_ERRORS}, tags=["人大机构"], summary="人大机构列表")
def list_bodies(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_of(body_list(scope=request_scope(request)), page)


@router.get("/groups", response={200: GroupPage, **READ_ERRORS}, tags=["代表小组"], summary="代表小组列表")
def list_groups(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_of(group_list(scope=request_scope(request)), page)
