"""Reads for the meetings pages and API, already scoped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet

from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.meetings.models import Attendance, Attendee, Meeting, MeetingKind, MeetingState
from renda.org.models import Body, BodyKind, CongressLevel, Deputy, DeputyKind
from renda.regions.models import Region
from renda.regions.paths import subtree_q

# Sessions that count towards the yearly figure and towards absences (代表法 §62 speaks of the
# 本级人民代表大会会议; a street's 议政代表会议 plays that part where there is no congress).
SESSION_KINDS = [MeetingKind.CONGRESS, MeetingKind.DELIBERATION]


def expected_per_year() -> int:
    return max(int(rule("session.expected_per_year")), int(rule("session.min_per_year")))


def deputy_pool(body: Body) -> QuerySet[Deputy]:
    """Who may be entitled to attend a meeting of ``body``: the township congress's deputies (also
    for its presidium), or the street's 议政代表."""
    active = Deputy.objects.filter(is_active=True)
    if body.kind == BodyKind.STREET_DELIBERATION:
        return active.filter(subtree_q(body.region.path, "region__path"), kind=DeputyKind.DELIBERATION)
    congress = body
    if body.kind == BodyKind.PRESIDIUM:
        found = Body.objects.filter(region_id=body.region_id, kind=BodyKind.CONGRESS).first()
        if found is None:
            return active.none()
        congress = found
    return active.filter(mandates__body=congress).distinct()


def meeting_list(*, scope: Scope, year: int | None = None) -> QuerySet[Meeting]:
    qs = scope.filter(Meeting.objects.all(), perm=Perm.MEETING_VIEW).select_related("body", "region")
    if year:
        qs = qs.filter(year=year)
    # Explicit order: Meta.ordering does not apply to an aggregated (GROUP BY) query, and a page
    # of an unordered list could repeat or skip meetings.
    return qs.annotate(
        n_entitled=Count("attendees", distinct=True),
        n_present=Count("attendees", filter=Q(attendees__status=Attendance.PRESENT), distinct=True),
    ).order_by("-year", "-start_date", "-id")


def meeting_detail(*, scope: Scope, pk: int) -> Meeting:
    return scope.get(Meeting.objects.select_related("body", "region"), perm=Perm.MEETING_VIEW, pk=pk)


def attendees_of(meeting: Meeting) -> QuerySet[Attendee]:
    return meeting.attendees.select_related("deputy").order_by("deputy__name_pinyin", "id")


def my_attendance(scope: Scope, meeting: Meeting) -> Attendee | None:
    if not scope.deputy_ids:
        return None
    return meeting.attendees.filter(deputy_id__in=scope.deputy_ids).select_related("deputy").first()


@dataclass(frozen=True)
class AbsenceFlag:
    deputy: Deputy
    count: int
    last_meeting_id: int


def absence_flags(*, region: Region | None = None, scope: Scope | None = None) -> list[AbsenceFlag]:
    """Deputies with at least ``deputy.absence_limit`` unapproved absences from the sessions of their
    township in the congress's current term (代表法 §62: two unapproved absences end the
    qualification; a new term starts the count again)."""
    limit = int(rule("deputy.absence_limit"))
    qs = Attendee.objects.filter(
        subtree_q(region.path, "meeting__region__path") if region is not None else Q(),
        Q(meeting__term=F("meeting__body__term")) | Q(meeting__term__isnull=True, meeting__body__term__isnull=True),
        status=Attendance.ABSENT,
        meeting__kind__in=SESSION_KINDS,
        meeting__state=MeetingState.CLOSED,
    )
    if scope is not None:
        qs = scope.filter(qs, perm=Perm.MEETING_VIEW)
    rows = list(qs.values("deputy_id").annotate(n=Count("id")).filter(n__gte=limit).values_list("deputy_id", "n"))
    if not rows:
        return []
    deputies = Deputy.objects.in_bulk([r[0] for r in rows])
    last = {
        a.deputy_id: a.meeting_id
        for a in Attendee.objects.filter(
            deputy_id__in=deputies, status=Attendance.ABSENT, meeting__kind__in=SESSION_KINDS
        ).order_by("meeting__start_date", "meeting_id")
    }
    return sorted(
        (AbsenceFlag(deputy=deputies[pk], count=n, last_meeting_id=last[pk]) for pk, n in rows),
        key=lambda f: (-f.count, f.deputy.name_pinyin),
    )


@dataclass(frozen=True)
class Shortfall:
    region: Region
    body: Body
    count: int
    expected: int
    minimum: int

    @property
    def below_minimum(self) -> bool:
        return self.count < self.minimum

    @property
    def message(self) -> str:
        if self.below_minimum:
            return (
                f"{self.region.name}本年度已召开或安排的{self.body.name}会议 {self.count} 次，"
                f"未达到每年至少 {self.minimum} 次的法定要求（地方组织法第十四条），请尽快安排。"
            )
        return (
            f"{self.region.name}本年度已召开或安排的{self.body.name}会议 {self.count} 次，"
            f"少于一般每年 {self.expected} 次（地方组织法第十四条），请安排年中或年末会议。"
        )


def session_shortfalls(*, scope: Scope | None, year: int, today: dt.date) -> list[Shortfall]:
    """Townships and streets whose sessions this year (held or scheduled) fall short.

    The legal minimum counts all year; the usual second session is only expected from July on,
    so a township with one session in spring is not flagged before then."""
    minimum = int(rule("session.min_per_year"))
    expected = expected_per_year() if today.month >= 7 else minimum
    bodies = Body.objects.filter(
        kind__in=[BodyKind.CONGRESS, BodyKind.STREET_DELIBERATION], level=CongressLevel.TOWNSHIP
    ).select_related("region")
    if scope is not None:
        bodies = scope.filter(bodies, perm=Perm.MEETING_VIEW)
    bodies = bodies.annotate(
        n=Count("meetings", filter=Q(meetings__year=year, meetings__kind__in=SESSION_KINDS), distinct=True)
    ).order_by("region__path")
    return [
        Shortfall(region=b.region, body=b, count=b.n, expected=expected, minimum=minimum)
        for b in bodies
        if b.n < expected
    ]


def deputy_choices(*, scope: Scope, body: Body) -> QuerySet[Deputy]:
    return scope.filter(deputy_pool(body), perm=Perm.MEETING_VIEW).order_by("name_pinyin", "id")


def bodies_for_meetings(*, scope: Scope) -> QuerySet[Body]:
    return (
        scope.filter(
            Body.objects.filter(
                kind__in=[BodyKind.CONGRESS, BodyKind.PRESIDIUM, BodyKind.STREET_DELIBERATION],
                level=CongressLevel.TOWNSHIP,
            ),
            perm=Perm.MEETING_MANAGE,
        )
        .select_related("region")
        .order_by("region__path", "kind")
    )
