"""REST API for 会议与表决（人代会、主席团会议、议政代表会议）: the list and one meeting with its
agenda, documents, attendance against the quorum and votes; the deputy's venue sign-in; staff
sign-in (代签), approved leave (请假), opening and closing the meeting.

Order of refusals: no permission → 403; a meeting outside the caller's regions → 404; a state
that does not allow the action → 409 (meetings/states.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, P, Query, Router, Schema
from ninja.params import PathEx

from renda.api.auth import request_scope
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import NotFound
from renda.core.inputs import InputSchema
from renda.core.scoping import Perm, Scope
from renda.meetings import selectors, services
from renda.meetings.models import Attendee, Meeting
from renda.meetings.quorum import quorum_status
from renda.org.models import Deputy

router = Router(tags=["人代会与会议"])

MeetingId = PathEx[int, P(title="会议编号")]
DeputyId = PathEx[int, P(title="代表编号")]


class QuorumOut(Schema):
    entitled: int = Field(..., description="应出席代表数（全体代表）")
    present: int = Field(..., description="已签到")
    leave: int = Field(..., description="请假（已批准）")
    needed: int = Field(..., description="法定人数（默认全体代表的三分之二，地方组织法第十四条）")
    reached: bool


class MeetingItem(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    body: str
    region: str = Field(..., description="乡镇/街道")
    year: int
    number: int = Field(..., description="第几次会议")
    start_date: dt.date
    end_date: dt.date
    state: str
    state_label: str
    entitled: int
    present: int

    @staticmethod
    def resolve_kind_label(obj: Meeting) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_state_label(obj: Meeting) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_body(obj: Meeting) -> str:
        return obj.body.name

    @staticmethod
    def resolve_region(obj: Meeting) -> str:
        return obj.region.name

    @staticmethod
    def resolve_entitled(obj: Any) -> int:
        return int(getattr(obj, "n_entitled", 0))

    @staticmethod
    def resolve_present(obj: Any) -> int:
        return int(getattr(obj, "n_present", 0))


class MeetingPage(Schema):
    count: int
    items: list[MeetingItem]


class MeetingQuery(PageParams):
    year: int | None = Field(None, ge=2000, le=2100, title="年度")


class AgendaOut(Schema):
    position: int
    title: str


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    text: str


class VoteBrief(Schema):
    id: int
    title: str
    method: str
    seats: int | None
    round: int
    state: str


class MeetingDetail(Schema):
    id: int
    title: str
    kind: str
    body: str
    region: str
    year: int
    number: int
    start_date: dt.date
    end_date: dt.date
    venue: str
    state: str
    quorum: QuorumOut
    agenda: list[AgendaOut]
    documents: list[DocumentOut]
    votes: list[VoteBrief]
    my_attendance: str | None = Field(None, description="调用者本人（代表）的出席情况：expected/present/leave/absent")


class AttendeeOut(Schema):
    deputy_id: int
    name: str
    status: str
    status_label: str
    signed_in_at: dt.datetime | None
    sign_in_method: str
    leave_reason: str

    @staticmethod
    def resolve_name(obj: Attendee) -> str:
        return obj.deputy.name

    @staticmethod
    def resolve_status_label(obj: Attendee) -> str:
        return obj.get_status_display()


class AttendanceOut(Schema):
    quorum: QuorumOut
    items: list[AttendeeOut]


class CheckInIn(InputSchema):
    token: str = Field(..., min_length=1, max_length=64, title="签到码", description="会场大屏二维码中的签到码")


class LeaveIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=200, title="请假事由")


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
    scope.require(Perm.MEETING_MANAGE)
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


def _entitled_deputy(meeting: Meeting, deputy_id: int) -> Deputy:
    attendee = meeting.attendees.select_related("deputy").filter(deputy_id=deputy_id).first()
    if attendee is None:
        raise NotFound("该代表不是本次会议的应出席代表")
    return attendee.deputy


@router.post(
    "/meetings/{meeting_id}/attendees/{deputy_id}/sign-in",
    response={200: AttendeeOut, **WRITE_ERRORS},
    summary="工作人员代为签到",
)
def sign_in(request: HttpRequest, meeting_id: MeetingId, deputy_id: DeputyId) -> Attendee:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    deputy = _entitled_deputy(meeting, deputy_id)
    return services.attendee_sign_in(scope=scope, meeting=meeting, deputy=deputy)


@router.post(
    "/meetings/{meeting_id}/attendees/{deputy_id}/leave",
    response={200: AttendeeOut, **WRITE_ERRORS},
    summary="登记请假（已批准）",
)
def leave(request: HttpRequest, meeting_id: MeetingId, deputy_id: DeputyId, payload: LeaveIn) -> Attendee:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = selectors.meeting_detail(scope=scope, pk=meeting_id)
    deputy = _entitled_deputy(meeting, deputy_id)
    return services.attendee_leave(scope=scope, meeting=meeting, deputy=deputy, reason=payload.reason)


@router.post("/meetings/{meeting_id}/open", response={200: MeetingDetail, **WRITE_ERRORS}, summary="宣布开会")
def open_meeting(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = services.meeting_open(scope=scope, meeting=selectors.meeting_detail(scope=scope, pk=meeting_id))
    return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))


@router.post("/meetings/{meeting_id}/close", response={200: MeetingDetail, **WRITE_ERRORS}, summary="宣布闭会")
def close_meeting(request: HttpRequest, meeting_id: MeetingId) -> dict[str, Any]:
    """所有表决须已公布；未签到且未请假的代表记为缺席（代表法第六十二条）。"""
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = services.meeting_close(scope=scope, meeting=selectors.meeting_detail(scope=scope, pk=meeting_id))
    return _detail(scope, selectors.meeting_detail(scope=scope, pk=meeting.pk))
