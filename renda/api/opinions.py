"""民意处理 for staff: the queues, one case, offline entry and every transition of a case.

Each transition is ``POST /opinions/{id}/<action>`` and maps to one service in
renda/opinions/services.py. The order of refusals is fixed: a caller without the transition's
permission gets 403; a case outside the caller's regions (or, for a unit, not assigned to it)
gets 404; a case in a state that does not allow the transition gets 409 (states.py says which).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import P, Query, Router
from ninja.params import HeaderEx, PathEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.lookups import region_by_code, station_by_public_id
from renda.api.opinion_schemas import (
    AnswerIn,
    MergeIn,
    OfflineOpinionIn,
    OpinionDetail,
    OpinionItem,
    OpinionPage,
    OpinionQuery,
    ProgressIn,
    ReasonIn,
    ReferIn,
    RouteIn,
)
from renda.api.pagination import page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import NotFound, PermissionDenied, ValidationFailed
from renda.core.scoping import Perm, Scope
from renda.opinions import selectors, services, states
from renda.opinions.models import Opinion
from renda.opinions.routing import unit_choices
from renda.org.models import Category, Deputy, Station

router = Router(tags=["民意处理"])

OpinionId = PathEx[int, P(title="意见编号")]
Key = HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)]
NOT_FOUND = "意见不存在或不在您的管辖范围内"


def _case(scope: Scope, pk: int) -> Opinion:
    """The case as its caller may see it (by region and by role), or 404."""
    opinion = selectors.opinion_base(scope=scope).select_related("region").filter(pk=pk).first()
    if opinion is None:
        raise NotFound(NOT_FOUND)
    return opinion


def _item(scope: Scope, opinion: Opinion) -> Opinion:
    """The case re-read for the answer; a unit that has just returned it no longer sees it."""
    fresh = (
        selectors.opinion_base(scope=scope)
        .select_related("region", "category__parent", "unit", "station")
        .filter(pk=opinion.pk)
        .first()
    )
    return fresh or opinion


@router.get("/opinions", response={200: OpinionPage, **READ_ERRORS}, summary="意见列表（办理队列）")
def list_opinions(request: HttpRequest, filters: Query[OpinionQuery]) -> dict[str, Any]:
    """Overdue first, then the nearest deadline, then the newest."""
    scope = request_scope(request)
    f = selectors.OpinionFilter(
        state=filters.state.value if filters.state else "",
        queue=filters.queue or "",
        q=filters.q,
        category_id=filters.category,
        region_id=region_by_code(scope, filters.region).pk if filters.region else None,
        unit_id=filters.unit,
        source=filters.source.value if filters.source else "",
    )
    return page_of(selectors.opinion_list(scope=scope, filters=f), filters)


@router.get("/opinions/{opinion_id}", response={200: OpinionDetail, **READ_ERRORS}, summary="意见详情")
def get_opinion(request: HttpRequest, opinion_id: OpinionId) -> Opinion:
    try:
        return selectors.opinion_detail(scope=request_scope(request), pk=opinion_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None


def _service_key(scope: Scope, key: str | None) -> str:
    """The client's key, made the caller's own, for the durable replay check in opinion_submit."""
    if not key or not key.strip():
        return ""
    return f"api-{scope.user_id}-{hashlib.sha256(key.strip().encode()).hexdigest()[:40]}"


@router.post("/opinions", response={201: OpinionDetail, **WRITE_ERRORS}, summary="录入线下收集的意见")
def enter_opinion(request: HttpRequest, payload: OfflineOpinionIn, idempotency_key: Key = None) -> HttpResponse:
    """接待日、走访、意见箱、代表夜聊等线下收集的意见，由联络员、代表或工作人员录入。"""
    scope = request_scope(request)
    scope.require(Perm.OPINION_ENTER)

    def create() -> HttpResponse:
        region = region_by_code(scope, payload.region)
        category = Category.objects.filter(pk=payload.category).first()
        if category is None:
            raise ValidationFailed("所选问题分类不存在，请重新选择", field="category")
        station: Station | None = None
        if payload.station:
            station = station_by_public_id(scope, payload.station)
            if scope.station_ids and not scope.has(Perm.OPINION_TRIAGE) and station.pk not in scope.station_ids:
                raise PermissionDenied("只能为本站录入意见", field="station")
        elif len(scope.station_ids) == 1:
            station = Station.objects.select_related("region").filter(pk__in=scope.station_ids).first()
        deputy = Deputy.objects.filter(pk__in=scope.deputy_ids).order_by("id").first() if scope.deputy_ids else None
        phone = payload.citizen_phone.strip()
        opinion, _ = services.opinion_submit(
            scope=scope,
            data=services.OpinionInput(
                text=payload.text,
                region=region,
                category=category,
                source=payload.source,
                station=station,
                deputy=deputy,
                citizen_name=payload.citizen_name,
                citizen_phone=phone,
                # As on the entry page: a phone left in person is consent to be contacted about
                # this case; without one the case is anonymous.
                anonymous=payload.anonymous or not phone,
                consent=bool(phone),
            ),
            idempotency_key=_service_key(scope, idempotency_key),
        )
        try:
            shown: Opinion = selectors.opinion_detail(scope=scope, pk=opinion.pk)
        except NotFound:
            shown = _item(scope, opinion)
        return render(request, OpinionDetail, shown, status=201)

    return run_idempotent(request, idempotency_key, create)


# ---------------------------------------------------------------- transitions


def _act(
    request: HttpRequest, opinion_id: int, transition: str, key: str | None, run: Callable[[Scope, Opinion], Opinion]
) -> HttpResponse:
    scope = request_scope(request)
    perm = states.TRANSITIONS[transition].perm
    assert perm is not None
    scope.require(perm)

    def action() -> HttpResponse:
        opinion = _case(scope, opinion_id)
        return render(request, OpinionItem, _item(scope, run(scope, opinion)), status=200)

    return run_idempotent(request, key, action)


ACT_RESPONSES: dict[int, Any] = {200: OpinionItem, **WRITE_ERRORS}


@router.post("/opinions/{opinion_id}/route", response=ACT_RESPONSES, summary="分流交办")
def route_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: RouteIn, idempotency_key: Key = None
) -> HttpResponse:
    """交给承办单位（本乡镇/街道或上级县、市的单位），按工作日计算办理期限。"""

    def run(scope: Scope, opinion: Opinion) -> Opinion:
        unit = unit_choices(scope=scope, opinion=opinion).filter(pk=payload.unit).first()
        if unit is None:
            raise ValidationFailed("承办单位不存在，或不能承办本乡镇/街道的意见", field="unit")
        return services.opinion_route(
            scope=scope, opinion=opinion, unit=unit, workdays=payload.workdays, note=payload.note
        )

    return _act(request, opinion_id, "route", idempotency_key, run)


@router.post("/opinions/{opinion_id}/answer", response=ACT_RESPONSES, summary="乡镇直接答复")
def answer_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: AnswerIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        opinion_id,
        "answer_directly",
        idempotency_key,
        lambda scope, opinion: services.opinion_answer_directly(scope=scope, opinion=opinion, text=payload.text),
    )


@router.post("/opinions/{opinion_id}/refer", response=ACT_RESPONSES, summary="转代表形成建议")
def refer_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: ReferIn, idempotency_key: Key = None
) -> HttpResponse:
    """涉及政策调整的问题转交人大代表作为建议素材，并告知群众（群众评价的就是这条告知）。"""
    return _act(
        request,
        opinion_id,
        "refer",
        idempotency_key,
        lambda scope, opinion: services.opinion_refer(scope=scope, opinion=opinion, text=payload.text),
    )


@router.post("/opinions/{opinion_id}/merge", response=ACT_RESPONSES, summary="合并到同类意见")
def merge_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: MergeIn, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope, opinion: Opinion) -> Opinion:
        code = payload.into.strip().upper()
        into = selectors.opinion_base(scope=scope).filter(receipt_code=code).first() if code else None
        if into is None:
            raise ValidationFailed(f"找不到回执码为“{code}”的意见", field="into")
        return services.opinion_merge(scope=scope, opinion=opinion, into=into, reason=payload.reason)

    return _act(request, opinion_id, "merge", idempotency_key, run)


@router.post("/opinions/{opinion_id}/accept", response=ACT_RESPONSES, summary="承办单位受理")
def accept_opinion(request: HttpRequest, opinion_id: OpinionId, idempotency_key: Key = None) -> HttpResponse:
    return _act(
        request,
        opinion_id,
        "accept",
        idempotency_key,
        lambda scope, opinion: services.opinion_accept(scope=scope, opinion=opinion),
    )


@router.post("/opinions/{opinion_id}/return", response=ACT_RESPONSES, summary="承办单位退回")
def return_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: ReasonIn, idempotency_key: Key = None
) -> HttpResponse:
    """非本单位职责：退回乡镇/街道重新分办。退回后本单位不再看到这件意见。"""
    return _act(
        request,
        opinion_id,
        "return",
        idempotency_key,
        lambda scope, opinion: services.opinion_return(scope=scope, opinion=opinion, reason=payload.reason),
    )


@router.post("/opinions/{opinion_id}/progress", response=ACT_RESPONSES, summary="记录办理进展")
def progress_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: ProgressIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        opinion_id,
        "progress",
        idempotency_key,
        lambda scope, opinion: services.opinion_progress(scope=scope, opinion=opinion, note=payload.note),
    )


@router.post("/opinions/{opinion_id}/unit-answer", response=ACT_RESPONSES, summary="承办单位答复")
def unit_answer_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: AnswerIn, idempotency_key: Key = None
) -> HttpResponse:
    return _act(
        request,
        opinion_id,
        "unit_answer",
        idempotency_key,
        lambda scope, opinion: services.opinion_unit_answer(scope=scope, opinion=opinion, text=payload.text),
    )


@router.post("/opinions/{opinion_id}/escalated-answer", response=ACT_RESPONSES, summary="提级督办答复")
def escalated_answer_opinion(
    request: HttpRequest, opinion_id: OpinionId, payload: AnswerIn, idempotency_key: Key = None
) -> HttpResponse:
    """群众两次不满意后提级，由主席团/工委答复。"""
    return _act(
        request,
        opinion_id,
        "escalated_answer",
        idempotency_key,
        lambda scope, opinion: services.opinion_escalated_answer(scope=scope, opinion=opinion, text=payload.text),
    )
