"""家站点: list and detail; 进站 (a deputy joins a station)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import P, Query, Router
from ninja.params import HeaderEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.lookups import deputy_by_public_id, region_by_code, station_by_public_id
from renda.api.pagination import page_of
from renda.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    JoinStationIn,
    StationDetail,
    StationMembershipOut,
    StationPage,
    StationQuery,
)
from renda.core.scoping import Perm
from renda.org.models import Station
from renda.org.selectors import station_detail, station_list
from renda.org.services import deputy_join_station

router = Router(tags=["家站点"])


@router.get("/stations", response={200: StationPage, **READ_ERRORS}, summary="家站点列表")
def list_stations(request: HttpRequest, filters: Query[StationQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    region_id = region_by_code(scope, filters.region).pk if filters.region else None
    qs = station_list(scope=scope, q=filters.q, kind=filters.kind or "", region_id=region_id)
    return page_of(qs, filters)


@router.get("/stations/{public_id}", response={200: StationDetail, **READ_ERRORS}, summary="家站点详情")
def get_station(request: HttpRequest, public_id: str) -> Station:
    return station_detail(scope=request_scope(request), public_id=public_id)


@router.post(
    "/stations/{public_id}/members",
    response={201: StationMembershipOut, **WRITE_ERRORS},
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
