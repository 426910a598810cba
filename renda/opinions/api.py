"""民意处理 for staff: the queues, one case, offline entry and every transition of a case.

Each transition is ``POST /opinions/{id}/<route>``, one row of opinions/actions.py (the same
rows the case page's buttons run), mounted by renda/api/actions.py. The order of refusals is fixed: a caller without the transition's
permission gets 403; a case outside the caller's regions (or, for a unit, not assigned to it)
gets 404; a case in a state that does not allow the transition gets 409 (states.py says which).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import P, Query, Router
from ninja.params import HeaderEx, PathEx

from renda.api.actions import mount_actions
from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.pagination import page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import NotFound, PermissionDenied, ValidationFailed
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm, Scope
from renda.opinions import intake, selectors
from renda.opinions.actions import ACTIONS
from renda.opinions.inputs import NoInput
from renda.opinions.models import Opinion
from renda.opinions.schemas import OfflineOpinionIn, OpinionDetail, OpinionItem, OpinionPage, OpinionQuery
from renda.org.lookups import region_by_code, station_by_public_id
from renda.org.models import Category, Deputy, Station

router = Router(tags=["民意处理"])

OpinionId = PathEx[int, P(ge=1, le=MAX_INT, title="意见编号")]
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
        opinion, _ = intake.opinion_submit(
            scope=scope,
            data=intake.OpinionInput(
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
                received_by=payload.received_by or str(request.user),
                received_on=payload.received_on or timezone.localdate(),
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


mount_actions(
    router,
    ACTIONS,
    prefix="/opinions/{opinion_id}",
    id_name="opinion_id",
    id_title="意见编号",
    load=_case,
    answer=_item,
    response=OpinionItem,
    empty_input=NoInput,
)
