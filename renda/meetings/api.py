"""REST API for 会议与表决（人代会、主席团会议、议政代表会议）: the list and one meeting with its
agenda, documents, attendance against the quorum and votes; the deputy's venue sign-in; staff
convene a meeting, change its arrangements and entitled deputies while planned, add, reword and
remove agenda items, sign deputies in (代签), record approved leave (请假), open and close it.
Every write takes an optional ``Idempotency-Key`` (renda/api/idempotency.py).

Order of refusals: no permission → 403; a meeting outside the caller's regions → 404; a state
that does not allow the action → 409 (meetings/states.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import P, Query, Router, Schema
from ninja.params import HeaderEx, PathEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.pagination import page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import NotFound, PermissionDenied, ValidationFailed
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm, Scope
from renda.meetings import policy, selectors, services
from renda.meetings.actions import ACTIONS
from renda.meetings.inputs import (
    AgendaIn,
    AgendaItemIn,
    AgendaItemPatch,
    AgendaItemRef,
    AttendeesIn,
    CheckInIn,
    DeputyIn,
    LeaveForm,
    LeaveIn,
    MeetingCreateIn,
    MeetingEditIn,
    NoInput,
)
from renda.meetings.models import AgendaItem, Attendee, Meeting
from renda.meetings.quorum import quorum_status
from renda.meetings.schemas import (
    AgendaOut,
    AttendanceOut,
    AttendeeOut,
    MeetingDetail,
    MeetingPage,
    MeetingQuery,
)
from renda.org.models import Deputy

router = Router(tags=["人代会与会议"])

MeetingId = PathEx[int, P(ge=1, le=MAX_INT, title="会议编号")]
DeputyId = PathEx[int, P(ge=1, le=MAX_INT, title="代表编号")]
ItemId = PathEx[int, P(ge=1, le=MAX_INT, title="议程编号")]
Key = HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)]


def _quorum(meeting: Meeting) -> dict[str, Any]:
    q = quorum_status(meeting)
    return {"entitled": q.entitled, "present": q.present, "leave": q.leave, "needed": q.needed, "reached": q.reached}


def _detail(scope: Scope, meeting: Meeting) -> dict[str, Any]:
    mine = selectors.my_attendance(scope, meeting)
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "official_title": meeting.official_title,
        "kind": meeting.kind,
        "body": meeting.body.name,
        "region": meeting.region.name,
        "year": meeting.year,
        "term": meeting.term,
        "number": meeting.number,
        "start_date": meeting.start_date,
        "end_date": meeting.end_date,
        "venue": meeting.venue,
        "state": meeting.state,
        "quorum": _quorum(meeting),
        "agenda": list(meeting.agenda.all()),
        "documents": list(meeting.documents.all()),
        "votes": list(meeting.votes.order_by("id")),
        "my_attendance": mine.status if mine else None,
    }


@router.get("/meetings", response={200: MeetingPage, **READ_ERRORS}, summary="会议列表")
def list_meetings(request: HttpRequest, filters: Query[MeetingQuery]) -> dict[str, Any]:
    scope = request_scope(request)
    return page_of(selectors.meeting_list(scope=scope, year=filters.year), filters)


@router.get("/meetings/{meeting_id}", response={200: MeetingDetail, **READ_ERRORS}, summary="会议详情")
def get_meeting(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    scope = request_scope(request)
    return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting_id))


@router.get(
    "/meetings/{meeting_id}/attendance", response={200: AttendanceOut, **WRITE_ERRORS}, summary="出席情况（工作人员）"
)
def get_attendance(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    scope = request_scope(request)
    if not policy.can_see_attendance(scope):
        raise PermissionDenied("您没有权限执行此操作")
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    return {"quorum": _quorum(meeting), "items": list(selectors.attendees_of(meeting))}


@router.post(
    "/meetings/{meeting_id}/checkin", response={200: AttendeeOut, **WRITE_ERRORS}, summary="代表扫码签到（本人）"
)
def check_in(request: HttpRequest, meeting_id: MeetingId, payload: CheckInIn) -> Attendee:
    """代表用已登录的手机扫描会场大屏上的二维码；签到码每分钟更换，约三分钟内有效。"""
    scope = request_scope(request)
    scope.require(Perm.VOTE_CAST)
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    return services.attendee_check_in(scope=scope, meeting=meeting, token=payload.token)


def _entitled_deputy(meeting: Meeting, deputy_id: int) -> str:
    """The entitled deputy's number as the action's input takes it (404 for anyone else)."""
    if not meeting.attendees.filter(deputy_id=deputy_id).exists():
        raise NotFound("该代表不是本次会议的应出席代表")
    return str(deputy_id)


def _run(scope: Scope, name: str, meeting: Meeting, data: Any) -> Any:
    entry = ACTIONS.by_name[name]
    return entry.run(scope, meeting, data, {})


@router.post(
    "/meetings/{meeting_id}/attendees/{deputy_id}/sign-in",
    response={200: AttendeeOut, **WRITE_ERRORS},
    summary="工作人员代为签到",
)
def sign_in(request: HttpRequest, meeting_id: MeetingId, deputy_id: DeputyId) -> Attendee:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    result: Attendee = _run(scope, "sign_in", meeting, DeputyIn(deputy=_entitled_deputy(meeting, deputy_id)))
    return result


@router.post(
    "/meetings/{meeting_id}/attendees/{deputy_id}/leave",
    response={200: AttendeeOut, **WRITE_ERRORS},
    summary="登记请假（已批准）",
)
def leave(request: HttpRequest, meeting_id: MeetingId, deputy_id: DeputyId, payload: LeaveIn) -> Attendee:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    data = LeaveForm(deputy=_entitled_deputy(meeting, deputy_id), reason=payload.reason)
    result: Attendee = _run(scope, "leave", meeting, data)
    return result


@router.post("/meetings/{meeting_id}/open", response={200: MeetingDetail, **WRITE_ERRORS}, summary="宣布开会")
def open_meeting(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = _run(scope, "open", selectors.meeting_detail(scope=scope, pk=meeting_id), NoInput())
    return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))


@router.post("/meetings/{meeting_id}/close", response={200: MeetingDetail, **WRITE_ERRORS}, summary="宣布闭会")
def close_meeting(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    """所有表决须已公布；未签到且未请假的代表记为缺席（代表法第六十二条）。"""
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = _run(scope, "close", selectors.meeting_detail(scope=scope, pk=meeting_id), NoInput())
    return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))


# ---------------------------------------------------------------- convening and the agenda


def _write(request: HttpRequest, key: str | None, schema: type[Schema], run: Any, *, status: int = 200) -> HttpResponse:
    """Permission first (403 before the body or the meeting is looked at), then the write, once per key."""
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    return run_idempotent(request, key, lambda: render(request, schema, run(scope), status=status))


def _deputies(ids: list[int]) -> list[Deputy]:
    """The deputies named; one that does not exist is refused like one of another body."""
    found = list(Deputy.objects.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ValidationFailed("所选代表中有人不属于该机构或不在任", field="deputies")
    return found


@router.post("/meetings", response={201: MeetingDetail, **WRITE_ERRORS}, summary="召集会议")
def create_meeting(request: HttpRequest, payload: MeetingCreateIn, idempotency_key: Key = None) -> HttpResponse:
    """召集乡镇人代会、主席团会议或街道议政代表会议。会议按届次和日期编为第几次会议（名称不填则自动生成）；
    日期早于尚在筹备的会议时，这些会议依次顺延，早于已召开的会议则拒绝（409）。"""

    def run(scope: Scope) -> dict[str, Any]:
        body = selectors.bodies_for_meetings(scope=scope).filter(pk=payload.body).first()
        if body is None:
            raise NotFound("召开机构不存在或不在您的管辖范围内", field="body")
        meeting = services.meeting_create(
            scope=scope,
            body=body,
            start_date=payload.start_date,
            end_date=payload.end_date,
            title=payload.title,
            venue=payload.venue,
            deputies=_deputies(payload.deputies) if payload.deputies is not None else None,
            agenda=payload.agenda,
        )
        return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))

    return _write(request, idempotency_key, MeetingDetail, run, status=201)


@router.patch("/meetings/{meeting_id}", response={200: MeetingDetail, **WRITE_ERRORS}, summary="修改会议安排")
def edit_meeting(
    request: HttpRequest, meeting_id: MeetingId, payload: MeetingEditIn, idempotency_key: Key = None
) -> HttpResponse:
    """筹备中的会议可改名称、日期和会场；未提交的字段不变，名称为空则恢复按届次生成的名称。改期后本届
    尚在筹备的会议按日期重新编次。"""

    def run(scope: Scope) -> dict[str, Any]:
        meeting = _run(scope, "edit", selectors.meeting_detail(scope=scope, pk=meeting_id), payload)
        return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))

    return _write(request, idempotency_key, MeetingDetail, run)


@router.put("/meetings/{meeting_id}/attendees", response={200: AttendanceOut, **WRITE_ERRORS}, summary="调整应出席代表")
def set_attendees(
    request: HttpRequest, meeting_id: MeetingId, payload: AttendeesIn, idempotency_key: Key = None
) -> HttpResponse:
    """开会前，以提交的代表名单替换应出席代表（须为该机构的在任代表）。"""

    def run(scope: Scope) -> dict[str, Any]:
        meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
        services.meeting_set_attendees(
            scope=scope, meeting=meeting, deputies=_deputies(payload.deputies), reason=payload.reason
        )
        return {"quorum": _quorum(meeting), "items": list(selectors.attendees_of(meeting))}

    return _write(request, idempotency_key, AttendanceOut, run)


@router.post("/meetings/{meeting_id}/agenda", response={201: AgendaOut, **WRITE_ERRORS}, summary="添加议程")
def add_agenda_item(
    request: HttpRequest, meeting_id: MeetingId, payload: AgendaItemPatch, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope) -> AgendaItem:
        meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
        data = AgendaIn(title=payload.title, description=payload.description)
        item: AgendaItem = _run(scope, "agenda", meeting, data)
        return item

    return _write(request, idempotency_key, AgendaOut, run, status=201)


@router.patch("/meetings/{meeting_id}/agenda/{item_id}", response={200: AgendaOut, **WRITE_ERRORS}, summary="修改议程")
def edit_agenda_item(
    request: HttpRequest, meeting_id: MeetingId, item_id: ItemId, payload: AgendaItemPatch, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope) -> AgendaItem:
        meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
        data = AgendaItemIn(item=str(item_id), title=payload.title, description=payload.description)
        item: AgendaItem = _run(scope, "agenda_edit", meeting, data)
        return item

    return _write(request, idempotency_key, AgendaOut, run)


@router.delete(
    "/meetings/{meeting_id}/agenda/{item_id}", response={200: MeetingDetail, **WRITE_ERRORS}, summary="删除议程"
)
def remove_agenda_item(
    request: HttpRequest, meeting_id: MeetingId, item_id: ItemId, idempotency_key: Key = None
) -> HttpResponse:
    """删除一项议程，其后的议程依次前移；已有表决事项的议程不能删除（409）。"""

    def run(scope: Scope) -> dict[str, Any]:
        meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
        _run(scope, "agenda_remove", meeting, AgendaItemRef(item=str(item_id)))
        return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))

    return _write(request, idempotency_key, MeetingDetail, run)
