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
from renda.org.models import Deputy, HandlingUnit

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


def _refer(scope: Scope, opinion: Opinion, data: inputs.ReferIn, files: Files) -> Opinion:
    found = {d.pk: d for d in Deputy.objects.filter(pk__in=data.deputies).select_related("region")}
    missing = [pk for pk in data.deputies if pk not in found]
    if missing:
        raise ValidationFailed("所选代表不存在", field="deputies")
    return services.opinion_refer(scope=scope, opinion=opinion, deputies=list(found.values()), text=data.text)


def _extend_request(scope: Scope, opinion: Opinion, data: inputs.ExtendIn, files: Files) -> Opinion:
    """The request is stored beside the case; the page and the API answer with the case."""
    services.opinion_extend_request(scope=scope, opinion=opinion, workdays=data.workdays, reason=data.reason)
    return opinion


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
            _refer,
            "已转交代表，并告知群众",
            summary="转代表形成建议",
            description=(
                "涉及政策调整的问题转交所选代表作为建议素材，群众收到阶段性答复；"
                "建议有了办理结果再告知群众，群众评价的是那次答复。"
            ),
        ),
        Action(
            "referral_answer",
            inputs.AnswerIn,
            lambda scope, o, data, files: services.opinion_referral_answer(scope=scope, opinion=o, text=data.text),
            "已告知群众建议办理结果",
            summary="告知代表建议办理结果",
            description="转代表的意见：把代表建议的办理结果告知群众，群众据此评价。",
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
            "interim_reply",
            inputs.InterimIn,
            lambda scope, o, data, files: services.opinion_interim_reply(scope=scope, opinion=o, text=data.text),
            "已发出阶段性答复，群众可查看",
            summary="阶段性答复",
            description="办理周期较长时，先告知群众目前进展；群众可见，不作评价。",
        ),
        Action(
            "extend_request",
            inputs.ExtendIn,
            _extend_request,
            "已申请延期，等待乡镇/街道审批",
            summary="申请延期",
            description="承办单位申请延长答复期限（1–30 个工作日），经乡镇/街道批准后告知群众。",
        ),
        Action(
            "extend_decide",
            inputs.DecisionIn,
            lambda scope, o, data, files: services.opinion_extend_decide(
                scope=scope, opinion=o, approve=data.approve, note=data.note
            ),
            "已审批延期申请",
            summary="审批延期申请",
            description="同意：答复期限延至申请的日期，并短信告知群众；不同意须写明意见。",
        ),
        Action(
            "review_answer",
            inputs.DecisionIn,
            lambda scope, o, data, files: services.opinion_review_answer(
                scope=scope, opinion=o, approve=data.approve, note=data.note
            ),
            "已审核答复",
            summary="审核承办单位答复",
            description="开启答复审核的乡镇/街道：同意则答复告知群众；不同意退回承办单位修改（须写明意见）。",
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
