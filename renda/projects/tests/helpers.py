"""Set-up through the services, shared by this app's tests, the permission matrix and the browser test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from renda.core.scoping import Scope
from renda.demo.meetings import check_paper
from renda.meetings import services as meeting_services
from renda.meetings.models import Meeting
from renda.org.models import HandlingUnit
from renda.projects import delivery, lists
from renda.projects.models import CandidateList, Project
from renda.regions.models import Region
from renda.voting import services as voting_services
from renda.voting.models import Vote

CANDIDATES = [
    ("村道路灯改造", "为 6 个行政村主干道新装太阳能路灯 300 盏"),
    ("农贸市场提升", "改造镇农贸市场排水、棚顶和摊位"),
    ("老年食堂建设", "在 3 个村建设老年食堂，解决高龄老人吃饭难"),
    ("中心小学操场改造", "新建塑胶跑道和篮球场"),
    ("河道清淤", "清淤整治白鹭溪 4.5 公里"),
]


def clerk_unit(township: Region) -> HandlingUnit:
    """The township's 规划建设办: the demo clerk's unit in 白鹭镇."""
    return HandlingUnit.objects.get(region=township, name__endswith="规划建设办")


def make_list(
    scope: Scope,
    township: Region,
    *,
    year: int | None = None,
    seats: int = 2,
    n: int = 3,
    method: str = "choose_n",
    unit: HandlingUnit | None = None,
) -> CandidateList:
    year = year or timezone.localdate().year
    c = lists.list_create(scope=scope, region=township, year=year, seats=seats, method=method)
    lead = unit or clerk_unit(township)
    for name, content in CANDIDATES[:n]:
        lists.candidate_add(
            scope=scope, candidate_list=c, name=name, content=content, budget=Decimal("850000.00"), lead_unit=lead
        )
    return c


def open_session(scope: Scope, candidate_list: CandidateList, *, present: int | None = None) -> Meeting:
    """A session of the list's body in progress, with ``present`` deputies signed in (default: all)."""
    meeting = meeting_services.meeting_create(
        scope=scope, body=candidate_list.body, start_date=timezone.localdate(), agenda=["票决民生实事项目"]
    )
    meeting_services.meeting_open(scope=scope, meeting=meeting)
    attendees = list(meeting.attendees.select_related("deputy").order_by("id"))
    for a in attendees[: present if present is not None else len(attendees)]:
        meeting_services.attendee_sign_in(scope=scope, meeting=meeting, deputy=a.deputy)
    return meeting


def paper_vote(scope: Scope, vote: Vote, votes_for: Sequence[int], *, publish: bool = True) -> Vote:
    """Open the vote, enter one paper batch from every deputy signed in (``votes_for[i]`` for the
    i-th option), close and publish it."""
    vote = voting_services.vote_open(scope=scope, vote=vote)
    present = vote.meeting.attendees.filter(status="present").count()
    counts = {str(o.position): votes_for[i] for i, o in enumerate(vote.options.order_by("position"))}
    voting_services.paper_batch_enter(
        scope=scope, vote=vote, ballots=present, invalid=0, counts=counts, tellers="张监票 李计票"
    )
    check_paper(vote)  # 复核 by another hand of the office
    vote = voting_services.vote_close(scope=scope, vote=Vote.objects.get(pk=vote.pk))
    if publish:
        vote = voting_services.vote_publish(scope=scope, vote=Vote.objects.get(pk=vote.pk))
    return vote


def elect(scope: Scope, candidate_list: CandidateList, votes_for: Sequence[int] | None = None) -> list[Project]:
    """Fix the list, put it to the vote at a session and publish a result in which the first
    ``seats`` candidates win outright. Returns the projects in ballot order."""
    lists.list_fix(scope=scope, candidate_list=candidate_list)
    meeting = open_session(scope, candidate_list)
    candidate_list = lists.list_put_to_vote(scope=scope, candidate_list=candidate_list, meeting=meeting)
    assert candidate_list.vote is not None
    present = meeting.attendees.filter(status="present").count()
    n = candidate_list.candidates.count()
    seats = candidate_list.seats
    figures = list(votes_for) if votes_for is not None else [present if i < seats else 0 for i in range(n)]
    paper_vote(scope, candidate_list.vote, figures)
    return list(Project.objects.filter(candidate__candidate_list=candidate_list).order_by("candidate__position"))


def plan(scope: Scope, project: Project, *, start: dt.date | None = None) -> Project:
    """A plan with two milestones (40% a month from ``start``, 60% at completion)."""
    day = start or timezone.localdate()
    return delivery.project_plan(
        scope=scope,
        project=project,
        budget="900000",
        plan_text="按计划分两期实施。",
        completion_date=day + dt.timedelta(days=120),
        milestones=[
            delivery.MilestoneInput("完成设计和招标", day + dt.timedelta(days=30), 40),
            delivery.MilestoneInput("完工验收", day + dt.timedelta(days=120), 60),
        ],
    )
