"""The actions on a suggestion, in button order: what the suggestion page's buttons run (one row
each; views.py only reads this). The API's transitions (suggestions/api.py) call the same rows'
services; the routes it lacked for actions it advertised are mounted from this table.

A row's ``message`` is what the page says after it succeeded; where it depends on the outcome
(a withdrawal still waiting for consents, the number given), ``run`` answers the message itself
through :func:`said` and the row's ``message`` is the default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from renda.core.actions import Action, ActionTable
from renda.core.errors import ValidationFailed
from renda.core.scoping import Scope
from renda.core.validation import id_or_none
from renda.org.models import Deputy
from renda.suggestions import inputs, selectors, services
from renda.suggestions.models import State, Suggestion
from renda.suggestions.states import MACHINE

Files = Mapping[str, Any]


class Said(str):
    """A run's answer that is also the page's message for this outcome."""


def said(message: str) -> Said:
    return Said(message)


def message(action: Action[Suggestion], result: object) -> str:
    """What the page says after ``action`` succeeded with ``result``."""
    return str(result) if isinstance(result, Said) else action.message


def _ids(values: list[str]) -> list[int]:
    return [n for n in (id_or_none(x) for x in values) if n is not None]


def _date(value: str, label: str, fieldname: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"请填写正确的{label}（年-月-日）", field=fieldname) from None


def _invite(scope: Scope, s: Suggestion, data: inputs.InviteIn, files: Files) -> Said:
    deputies = list(Deputy.objects.filter(public_id__in=data.cosigners).select_related("region"))
    if len(deputies) != len(set(data.cosigners)):
        raise ValidationFailed("联名代表编号有误", field="cosigners")
    services.suggestion_invite(scope=scope, suggestion=s, deputies=deputies)
    return said(f"已邀请 {len(deputies)} 位代表联名")


def _withdraw(scope: Scope, s: Suggestion, data: inputs.ReasonIn, files: Files) -> Said:
    s = services.suggestion_withdraw(scope=scope, suggestion=s, reason=data.reason)
    return said("建议已撤回" if s.state == State.WITHDRAWN else "已申请撤回，等待联名代表同意")


def _consent_withdraw(scope: Scope, s: Suggestion, data: inputs.NoInput, files: Files) -> Said:
    s = services.suggestion_consent_withdraw(scope=scope, suggestion=s)
    return said("建议已撤回" if s.state == State.WITHDRAWN else "您已同意撤回")


def _rate(scope: Scope, s: Suggestion, data: inputs.RateIn, files: Files) -> object:
    return services.suggestion_rate(
        scope=scope,
        suggestion=s,
        attitude=data.attitude,
        result=data.result,
        comment=data.comment,
        publish=data.publish == "on",
    )


def _publish(scope: Scope, s: Suggestion, data: inputs.PublishIn, files: Files) -> Said:
    publish = data.publish == "1"
    services.suggestion_publish(scope=scope, suggestion=s, publish=publish)
    return said("已同意公开答复" if publish else "已取消公开答复")


def _accept(scope: Scope, s: Suggestion, data: inputs.AcceptIn, files: Files) -> Said:
    s = services.suggestion_accept(scope=scope, suggestion=s, wide_or_hard=data.wide_or_hard == "on", note=data.note)
    return said(f"已立案，编号{s.number}")


def _assign(scope: Scope, s: Suggestion, data: inputs.AssignIn, files: Files) -> object:
    units = selectors.unit_choices(suggestion=s)
    lead_id = data.lead_unit
    lead_pk = id_or_none(lead_id)
    lead = units.filter(pk=lead_pk).first() if lead_pk is not None else None
    if lead is None:
        raise ValidationFailed("请选择主办单位", field="lead_unit")
    co_ids = _ids(data.co_units)
    co = list(units.filter(pk__in=co_ids))
    if len(co) != len(set(co_ids)):
        raise ValidationFailed("所选协办单位不在本建议所属区划内", field="co_units")
    return services.suggestion_assign(scope=scope, suggestion=s, lead_unit=lead, co_units=co)


def _supervise(scope: Scope, s: Suggestion, data: inputs.SuperviseIn, files: Files) -> object:
    on = _date(data.on, "督办日期", "on") if data.on else None
    return services.suggestion_supervise(scope=scope, suggestion=s, kind=data.kind, note=data.note, on=on)


def _contact(scope: Scope, s: Suggestion, data: inputs.ContactIn, files: Files) -> object:
    return services.suggestion_contact(
        scope=scope,
        suggestion=s,
        contacted_on=_date(data.contacted_on, "联系日期", "contacted_on"),
        way=data.way,
        note=data.note,
    )


def _answer(scope: Scope, s: Suggestion, data: inputs.AnswerIn, files: Files) -> object:
    return services.suggestion_answer(
        scope=scope, suggestion=s, answer_class=data.answer_class, text=data.text, letter=files.get("letter")
    )


ACTIONS: ActionTable[Suggestion] = ActionTable(
    MACHINE,
    [
        # 提: the deputy (修改 is its own page: suggestions:edit)
        Action("invite", inputs.InviteIn, _invite, "已邀请代表联名", summary="邀请联名代表"),
        Action(
            "cosign",
            inputs.NoInput,
            lambda scope, s, data, files: services.suggestion_cosign(scope=scope, suggestion=s),
            "您已确认联名",
        ),
        Action(
            "decline",
            inputs.NoInput,
            lambda scope, s, data, files: services.suggestion_decline(scope=scope, suggestion=s),
            "您已拒绝联名",
            summary="拒绝联名",
        ),
        Action(
            "submit",
            inputs.NoInput,
            lambda scope, s, data, files: services.suggestion_submit(scope=scope, suggestion=s),
            "建议已提交，等待人大办公室审查",
        ),
        Action("withdraw", inputs.ReasonIn, _withdraw, "已申请撤回，等待联名代表同意"),
        Action("consent_withdraw", inputs.NoInput, _consent_withdraw, "您已同意撤回"),
        Action("rate", inputs.RateIn, _rate, "评价已提交"),
        Action(
            "publish",
            inputs.PublishIn,
            _publish,
            "已同意公开答复",
            summary="同意或取消公开答复",
            description="领衔代表同意（publish 为 1）或取消在公开页面公布答复。",
        ),
        # 交 / 督: the congress office
        Action("accept", inputs.AcceptIn, _accept, "已立案"),
        Action(
            "return",
            inputs.ReasonIn,
            lambda scope, s, data, files: services.suggestion_return(scope=scope, suggestion=s, reason=data.reason),
            "已退回代表修改",
        ),
        Action(
            "convert",
            inputs.ReasonIn,
            lambda scope, s, data, files: services.suggestion_convert(scope=scope, suggestion=s, reason=data.reason),
            "已转为一般意见",
        ),
        Action("assign", inputs.AssignIn, _assign, "已交办"),
        Action(
            "mark_key",
            inputs.KeyIn,
            lambda scope, s, data, files: services.suggestion_mark_key(
                scope=scope,
                suggestion=s,
                is_key=data.is_key == "1",
                gov_leader=data.gov_leader,
                congress_leader=data.congress_leader,
            ),
            "已保存重点建议设置",
        ),
        Action("supervise", inputs.SuperviseIn, _supervise, "已记录督办情况"),
        # 办: the handling units
        Action(
            "object",
            inputs.ReasonIn,
            lambda scope, s, data, files: services.suggestion_object(scope=scope, suggestion=s, reason=data.reason),
            "已提出异议，建议退回人大办公室重新交办",
        ),
        Action(
            "co_opinion",
            inputs.TextIn,
            lambda scope, s, data, files: services.suggestion_co_opinion(scope=scope, suggestion=s, text=data.text),
            "协办意见已送主办单位",
        ),
        Action("contact", inputs.ContactIn, _contact, "已记录联系代表情况"),
        Action("answer", inputs.AnswerIn, _answer, "已答复，答复函已送达每位署名代表"),
        Action(
            "promise_done",
            inputs.NoteIn,
            lambda scope, s, data, files: services.suggestion_promise_done(scope=scope, suggestion=s, note=data.note),
            "已报告承诺事项落实",
            summary="报告承诺事项已落实",
            description="B/C 类答复中承诺的事项落实后，由主办单位报告，建议离开承诺事项跟踪清单。",
        ),
    ],
    noun="suggestion",
    page="suggestions:act",
    elsewhere={"edit": "suggestions:edit"},  # editing a draft is a page of its own
)
