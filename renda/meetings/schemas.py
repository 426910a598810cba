"""The API's answers about meetings (会议): the list, one meeting, its attendance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from renda.api.pagination import PageParams
from renda.meetings.models import Attendee, Meeting


class QuorumOut(Schema):
    entitled: int = Field(..., description="应出席代表数（全体代表）")
    present: int = Field(..., description="已签到")
    leave: int = Field(..., description="请假（已批准）")
    needed: int = Field(..., description="法定人数（默认全体代表的三分之二，地方组织法第十四条）")
    reached: bool


class MeetingItem(Schema):
    id: int
    title: str = Field(..., description="会议名称（工作人员未另起名称时即按届次的名称）")
    official_title: str = Field(
        ..., description="按届次和次数的正式名称，会议文件使用，如：白鹭镇第十九届人民代表大会第三次会议"
    )
    kind: str
    kind_label: str
    body: str
    region: str = Field(..., description="乡镇/街道")
    year: int
    term: int | None = Field(None, description="届次（街道议政代表会议无届次，按年度编次）")
    number: int = Field(..., description="第几次会议：本届内按日期编次（无届次的按年度）")
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
    id: int
    position: int
    title: str
    description: str


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
    official_title: str = Field(..., description="按届次和次数的正式名称（会议文件使用）")
    kind: str
    body: str
    region: str
    year: int
    term: int | None = Field(None, description="届次")
    number: int = Field(..., description="第几次会议（本届内按日期编次）")
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
