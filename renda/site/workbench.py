"""工作台: what each role has to do now, as counts that link to the list holding those records.

Every count goes through the scene's own scoped selector (the same rows its list shows), so a
count never says more than the list behind its link. Township and street staff see the cases to
route and the deadlines; a unit's clerk the cases handed to the unit; a deputy the co-signatures
to confirm, the votes open to them, the answers to rate and their stations' opinions; a station
liaison the appointments of today and this week. County and city overview is the cockpit's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role
from renda.core.scoping import Perm, Scope


@dataclass(frozen=True)
class Tile:
    label: str
    count: int
    url: str
    alert: bool = False  # shown in red when not zero (overdue, supervised)
    id: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]


def _opinions(scope: Scope, label: str, tile_id: str, *, state: str = "", queue: str = "", alert: bool = False) -> Tile:
    from renda.opinions import selectors

    count = selectors.opinion_list(scope=scope, filters=selectors.OpinionFilter(state=state, queue=queue))
    query = f"state={state}" if state else f"queue={queue}"
    return Tile(label, count.order_by().count(), f"{reverse('opinions:queue')}?{query}", alert, tile_id)


def _suggestions(scope: Scope, label: str, tile_id: str, *, state: str = "", queue: str = "") -> Tile:
    from renda.suggestions import selectors

    count = selectors.suggestion_list(scope=scope, filters=selectors.SuggestionFilter(state=state, queue=queue))
    query = f"state={state}" if state else f"queue={queue}"
    return Tile(label, count.order_by().count(), f"{reverse('suggestions:index')}?{query}", False, tile_id)


def township_section(scope: Scope) -> Section:
    from renda.meetings.models import MeetingState
    from renda.meetings.selectors import meeting_list

    meetings = meeting_list(scope=scope).exclude(state=MeetingState.CLOSED).order_by().count()
    return Section(
        "待办",
        [
            _opinions(scope, "待分办", "wb-to-route", state="submitted"),
            _opinions(scope, "分办超期", "wb-triage-late", queue="triage_late", alert=True),
            _opinions(scope, "即将逾期", "wb-due-soon", queue="due_soon"),
            _opinions(scope, "已逾期", "wb-overdue", queue="overdue", alert=True),
            _opinions(scope, "待审批延期", "wb-extensions", queue="extension"),
            _opinions(scope, "答复待审核", "wb-review", state="review"),
            _suggestions(scope, "待审查建议", "wb-to-review", state="submitted"),
            Tile("待办会议", meetings, reverse("meetings:index"), id="wb-meetings"),
        ],
    )


def clerk_section(scope: Scope) -> Section:
    return Section(
        "本单位承办",
        [
            _opinions(scope, "待受理", "wb-to-accept", state="routed"),
            _opinions(scope, "办理中", "wb-in-progress", state="in_progress"),
            _opinions(scope, "即将到期", "wb-due-soon", queue="due_soon"),
            _opinions(scope, "被督办", "wb-escalated", state="escalated", alert=True),
            _suggestions(scope, "办理中的代表建议", "wb-suggestions", queue="open"),
        ],
    )


def deputy_section(scope: Scope) -> Section:
    from renda.meetings.models import Attendance, Attendee
    from renda.suggestions.models import Signatory, SignatoryStatus
    from renda.voting.models import Participation, Vote, VoteState

    invited = Signatory.objects.filter(deputy_id__in=scope.deputy_ids, status=SignatoryStatus.INVITED).count()
    mine = Attendee.objects.filter(meeting_id=OuterRef("meeting_id"), deputy_id__in=scope.deputy_ids)
    voted = Participation.objects.filter(vote_id=OuterRef("pk"), deputy_id__in=scope.deputy_ids)
    to_vote = (
        Vote.objects.filter(state=VoteState.OPEN, paper_only=False)
        .filter(Exists(mine.filter(status__in=[Attendance.PRESENT, Attendance.EXPECTED])))
        .exclude(Exists(voted))
        .order_by("id")
    )
    waiting = to_vote.count()
    only = to_vote.values_list("id", flat=True).first() if waiting == 1 else None
    vote_url = reverse("voting:detail", args=[only]) if only is not None else reverse("meetings:index")
    return Section(
        "我的待办",
        [
            Tile("待确认联名", invited, reverse("suggestions:index"), invited > 0, "wb-invited"),
            Tile("待投票", waiting, vote_url, waiting > 0, "wb-to-vote"),
            _suggestions(scope, "待评价答复", "wb-to-rate", queue="to_rate"),
            _opinions(scope, "我站点的群众意见（办理中）", "wb-station-opinions", queue="open"),
            _opinions(scope, "转给我的民意（待形成建议）", "wb-referred", state="referred"),
        ],
    )


def liaison_section(scope: Scope) -> Section:
    from renda.opinions.models import Appointment, AppointmentState

    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    tomorrow = start + dt.timedelta(days=1)
    week_end = start + dt.timedelta(days=7 - today.weekday())  # to the end of Sunday
    booked = Appointment.objects.filter(state=AppointmentState.BOOKED, slot__station_id__in=scope.station_ids)
    url = reverse("opinions:slots")
    return Section(
        "接待预约",
        [
            Tile(
                "今天的预约",
                booked.filter(slot__starts_at__gte=start, slot__starts_at__lt=tomorrow).count(),
                url,
                id="wb-today",
            ),
            Tile(
                "本周的预约",
                booked.filter(slot__starts_at__gte=start, slot__starts_at__lt=week_end).count(),
                url,
                id="wb-week",
            ),
            _opinions(scope, "本站点的群众意见（办理中）", "wb-station-opinions", queue="open"),
        ],
    )


def sections_for(scope: Scope) -> list[Section]:
    """The role's own sections, in the order of its roles (a user may hold several)."""
    found: list[Section] = []
    roles = set(scope.roles)
    if Role.TOWNSHIP_STAFF in roles and scope.has(Perm.OPINION_VIEW):
        found.append(township_section(scope))
    if Role.UNIT_CLERK in roles and scope.unit_ids:
        found.append(clerk_section(scope))
    if Role.DEPUTY in roles and scope.deputy_ids:
        found.append(deputy_section(scope))
    if Role.STATION_STAFF in roles and scope.station_ids:
        found.append(liaison_section(scope))
    return found
