"""代表: list and detail (read), register and edit (write, Perm.ORG_MANAGE)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import P, Query, Router
from ninja.params import HeaderEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.lookups import group_by_id, region_by_code, station_by_public_id
from renda.api.pagination import page_of
from renda.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    DeputyDetail,
    DeputyIn,
    DeputyPage,
    DeputyPatch,
    DeputyQuery,
    MandateIn,
)
from renda.core.scoping import Perm
from renda.org.models import Deputy
from renda.org.selectors import DeputyFilter, deputy_detail, deputy_list
from renda.org.services import DeputyInput, MandateInput, deputy_create, deputy_update

router = Router(tags=["代表"])


def _mandates(items: list[MandateIn]) -> tuple[MandateInput, ...]:
    return tuple(MandateInput(level=m.level, term=m.term, constituency=m.constituency) for m in items)


@router.get("/deputies", response={200: DeputyPage, **READ_ERRORS}, summary="代表名册")
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


@router.get("/deputies/{public_id}", response={200: DeputyDetail, **READ_ERRORS}, summary="代表详情")
def get_deputy(request: HttpRequest, public_id: str) -> Deputy:
    return deputy_detail(scope=request_scope(request), public_id=public_id)


@router.post("/deputies", response={201: DeputyDetail, **WRITE_ERRORS}, summary="登记代表")
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


@router.patch("/deputies/{public_id}", response={200: DeputyDetail, **WRITE_ERRORS}, summary="修改代表信息")
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
