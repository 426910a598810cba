"""The staff actions on a case, in button order: what the case page's buttons and
``POST /api/v1/opinions/{id}/<route>`` run (one row each; views.py and api.py only read this)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from renda.core.actions import Action, ActionTable
from renda.core.errors import ValidationFailed
from renda.core.scoping import Scope
from renda.opinions import inputs, selectors, services
from renda.opinions.models import Opinion
from renda.opinions.routing import unit_choices
from renda.opinions.states import MACHINE
from renda.org.models import HandlingUnit

Files = Mapping[str, Any]


def _unit(scope: Scope, opinion: Opinion, pk: int) -> HandlingUnit:
    """The unit chosen for the case (交办, 改派), among those it may go to."""
    unit = unit_choices(scope=scope, opinion=opinion).filter(pk=pk).first()
    if unit is None:
        raise ValidationFailed("承办单位不存在，或不能承办本乡镇/街道的意见", field="unit")
    return unit


def _route(scope: Scope, opinion: Opinion, data: inputs.RouteIn, files: Files) -> Opinion:
    unit = _unit(scope, opinion, data.unit)
    return services.opinion_route(scope=scope, opinion=opinion, unit=unit, workdays=data.workdays, note=data.note)


def _reassign(scope: Scope, opinion: Opinion, data: inputs.ReassignIn, files: Files) -> Opinion:
    unit = _unit(scope, opinion, data.unit)
    return services.opinion_reassign(
        scope=scope, opinion=opinion, unit=unit, workdays=data.workdays, reason=data.reason
    )


def _merge(scope: Scope, opinion: Opinion, data: inputs.MergeIn, files: Files) -> Opinion:
    code = data.into.strip().upper()
    into = selectors.opinion_base(scope=scope).filter(receipt_code=code).first() if code else None
    if into is None:
        raise ValidationFailed(f"找不到回执码为“{code}”的意见", field="into")
    return services.opinion_merge(scope=scope, opinion=opinion, into=into, reason=data.reason)


ACTIONS: ActionTable[Opinion] = ActionTable(
    MACHINE,
    [
        Action(
            "route",
            inputs.RouteIn,
            _route,
            "已分流交办",
            summary="分流交办",
            description="交给承办单位（本乡镇/街道或上级县、市的单位），按工作日计算办理期限。",
        ),
        Action(
            "answer_directly",
            inputs.AnswerIn,
            lambda scope, o, data, files: services.opinion_answer_directly(scope=scope, opinion=o, text=data.text),
            "已答复，答复已通知群众",
            path="answer",
            summary="乡镇直接答复",
        ),
        Action(
            "refer",
            inputs.ReferIn,
            lambda scope, o, data, files: services.opinion_refer(scope=scope, opinion=o, text=data.text),
            "已转代表形成建议，并告知群众",
            summary="转代表形成建议",
            description="涉及政策调整的问题转交人大代表作为建议素材，并告知群众（群众评价的就是这条告知）。",
        ),
        Action("merge", inputs.MergeIn, _merge, "已合并", summary="合并到同类意见"),
        Action(
            "reassign",
            inputs.ReassignIn,
            _reassign,
            "已改派，新承办单位已收到通知",
            summary="改派到其他承办单位",
            description="已交办的意见改交另一承办单位，重新计算办理期限；原单位和新单位都会收到通知。",
            choices=lambda scope, o: {
                "unit": [(u.pk, u.name) for u in unit_choices(scope=scope, opinion=o) if u.pk != o.unit_id]
            },
        ),
        Action(
            "accept",
            inputs.NoInput,
            lambda scope, o, data, files: services.opinion_accept(scope=scope, opinion=o),
            "已受理",
            summary="承办单位受理",
        ),
        Action(
            "return",
            inputs.ReasonIn,
            lambda scope, o, data, files: services.opinion_return(scope=scope, opinion=o, reason=data.reason),
            "已退回乡镇/街道重新分办",
            summary="承办单位退回",
            description="非本单位职责：退回乡镇/街道重新分办。退回后本单位不再看到这件意见。",
        ),
        Action(
            "progress",
            inputs.ProgressIn,
            lambda scope, o, data, files: services.opinion_progress(scope=scope, opinion=o, note=data.note),
            "已记录办理进展",
            summary="记录办理进展",
        ),
        Action(
            "unit_answer",
            inputs.AnswerIn,
            lambda scope, o, data, files: services.opinion_unit_answer(
                scope=scope, opinion=o, text=data.text, attachment=files.get("attachment")
            ),
            "已答复，答复已通知群众",
            summary="承办单位答复",
        ),
        Action(
            "escalated_answer",
            inputs.AnswerIn,
            lambda scope, o, data, files: services.opinion_escalated_answer(scope=scope, opinion=o, text=data.text),
            "已答复，答复已通知群众",
            summary="提级督办答复",
            description="群众两次不满意后提级，由主席团/工委答复。",
        ),
    ],
    noun="opinion",
    page="opinions:act",
)
