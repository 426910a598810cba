"""The staff actions on a meeting, in button order: what the meeting page's and the sign-in
console's buttons run, and what the API's routes call (one row each; views.py and api.py only
read this)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.datastructures import MultiValueDict

from renda.core.actions import Action, ActionTable
from renda.core.errors import ValidationFailed
from renda.core.scoping import Scope
from renda.core.validation import id_or_none
from renda.meetings import inputs, services
from renda.meetings.forms import DocumentForm
from renda.meetings.models import Meeting
from renda.meetings.states import MACHINE
from renda.org.models import Deputy

Files = Mapping[str, Any]


def _deputy(text: str) -> Deputy:
    pk = id_or_none(text)  # 30 digits would overflow the bigint id
    deputy = Deputy.objects.filter(pk=pk).first() if pk is not None else None
    if deputy is None:
        raise ValidationFailed("请选择代表", field="deputy")
    return deputy


def _sign_in(scope: Scope, meeting: Meeting, data: inputs.DeputyIn, files: Files) -> Any:
    return services.attendee_sign_in(scope=scope, meeting=meeting, deputy=_deputy(data.deputy))


def _sign_in_many(scope: Scope, meeting: Meeting, data: inputs.DeputiesIn, files: Files) -> Any:
    return services.attendees_sign_in(scope=scope, meeting=meeting, deputies=[_deputy(t) for t in data.deputies])


def _leave_withdraw(scope: Scope, meeting: Meeting, data: inputs.DeputyIn, files: Files) -> Any:
    return services.attendee_leave_withdraw(scope=scope, meeting=meeting, deputy=_deputy(data.deputy))


def _leave(scope: Scope, meeting: Meeting, data: inputs.LeaveForm, files: Files) -> Any:
    return services.attendee_leave(scope=scope, meeting=meeting, deputy=_deputy(data.deputy), reason=data.reason)


def _item(text: str) -> int | None:
    return id_or_none(text)


def _edit(scope: Scope, meeting: Meeting, data: inputs.MeetingEditIn, files: Files) -> Any:
    return services.meeting_edit(
        scope=scope,
        meeting=meeting,
        title=data.title,
        start_date=data.start_date,
        end_date=data.end_date,
        venue=data.venue,
    )


def _agenda_edit(scope: Scope, meeting: Meeting, data: inputs.AgendaItemIn, files: Files) -> Any:
    return services.agenda_edit(
        scope=scope, meeting=meeting, item_id=_item(data.item), title=data.title, description=data.description
    )


def _agenda_remove(scope: Scope, meeting: Meeting, data: inputs.AgendaItemRef, files: Files) -> Any:
    return services.agenda_remove(scope=scope, meeting=meeting, item_id=_item(data.item))


def _document(scope: Scope, meeting: Meeting, data: inputs.DocumentIn, files: Files) -> Any:
    # The page's upload form says what is missing in the words it always used.
    upload = MultiValueDict({"file": [files["file"]]}) if files.get("file") else None
    form = DocumentForm({"kind": data.kind, "title": data.title, "text": data.text}, upload)
    if not form.is_valid():
        raise ValidationFailed("；".join(str(e) for errs in form.errors.values() for e in errs))
    return services.document_add(
        scope=scope,
        meeting=meeting,
        kind=form.cleaned_data["kind"],
        title=form.cleaned_data["title"],
        text=form.cleaned_data["text"],
        file=form.cleaned_data["file"],
    )


ACTIONS: ActionTable[Meeting] = ActionTable(
    MACHINE,
    [
        Action(
            "open",
            inputs.NoInput,
            lambda scope, m, data, files: services.meeting_open(scope=scope, meeting=m),
            "已宣布开会",
            summary="宣布开会",
            api="open_meeting",
        ),
        Action(
            "close",
            inputs.NoInput,
            lambda scope, m, data, files: services.meeting_close(scope=scope, meeting=m),
            "已宣布闭会，未签到且未请假的代表记为缺席",
            summary="宣布闭会",
            description="所有表决须已公布；未签到且未请假的代表记为缺席（代表法第六十二条）。",
            api="close_meeting",
        ),
        Action("sign_in", inputs.DeputyIn, _sign_in, "已代为签到", summary="工作人员代为签到", api="sign_in"),
        Action("leave", inputs.LeaveForm, _leave, "已登记请假", summary="登记请假（已批准）", api="leave"),
        Action(
            "sign_in_many",
            inputs.DeputiesIn,
            _sign_in_many,
            "已为选中的代表代签到",
            summary="为多名代表代签到",
            api=None,
            transition="sign_in",
        ),
        Action(
            "leave_withdraw",
            inputs.DeputyIn,
            _leave_withdraw,
            "已撤销请假，可以签到",
            summary="撤销请假",
            api=None,
            transition="leave",
        ),
        Action("edit", inputs.MeetingEditIn, _edit, "已修改会议安排", summary="修改会议安排", api="edit_meeting"),
        Action(
            "agenda",
            inputs.AgendaIn,
            lambda scope, m, data, files: services.agenda_add(
                scope=scope, meeting=m, title=data.title, description=data.description
            ),
            "已添加议程",
            summary="添加议程",
            api="add_agenda_item",
        ),
        Action(
            "agenda_edit",
            inputs.AgendaItemIn,
            _agenda_edit,
            "已修改议程",
            summary="修改议程",
            api="edit_agenda_item",
            transition="agenda",
        ),
        Action(
            "agenda_remove",
            inputs.AgendaItemRef,
            _agenda_remove,
            "已删除议程",
            summary="删除议程",
            api="remove_agenda_item",
            transition="agenda",
        ),
        Action("document", inputs.DocumentIn, _document, "已添加会议文件", api=None),
    ],
    noun="meeting",
    page="meetings:act",
    elsewhere={
        "add_vote": "meetings:vote_new",  # the vote's own form (voting)
        "check_in": "meetings:checkin",  # the deputy scans the venue's code
    },
)
