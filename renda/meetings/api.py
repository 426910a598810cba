"""REST API for 会议与表决（人代会、主席团会议、议政代表会议）: the list and one meeting with its
agenda, documents, attendance against the quorum and votes; the deputy's venue sign-in; staff
sign-in (代签), approved leave (请假), opening and closing the meeting.

Order of refusals: no permission → 403; a meeting outside the caller's regions → 404; a state
that does not allow the action → 409 (meetings/states.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, Query, Router
from ninja.params import PathEx

from renda.api.auth import request_scope
from renda.api.pagination import page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import NotFound, PermissionDenied
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm, Scope
from renda.meetings import policy, selectors, services
from renda.meetings.actions import ACTIONS
from renda.meetings.inputs import CheckInIn, DeputyIn, LeaveForm, LeaveIn, NoInput
from renda.meetings.models import Attendee, Meeting
from renda.meetings.quorum import quorum_status
from renda.meetings.schemas import AttendanceOut, AttendeeOut, MeetingDetail, MeetingPage, MeetingQuery

router = Router(tags=["人代会与会议"])

MeetingId = PathEx[int, P(ge=1, le=MAX_INT, title="会议编号")]
DeputyId = PathEx[int, P(ge=1, le=MAX_INT, title="代表编号")]


def _quorum(meeting: Meeting) -> dict[str, Any]:
    q = quorum_status(meeting)
    return {"entitled": q.entitled, "present": q.present, "leave": q.leave, "needed": q.needed, "reached": q.reached}


def _detail(scope: Scope, meeting: Meeting) -> dict[str, Any]:
    mine = selectors.my_attendance(scope, meeting)
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "kind": meeting.kind,
        "body": meeting.body.name,
        "region": meeting.region.name,
        "year": meeting.year,
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
