"""签到 opens shortly before the meeting, a deputy on leave is not signed in by someone else, and
staff sign in several deputies at once (issue #13)."""

import datetime as dt

import pytest
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict
from renda.meetings import services as meetings
from renda.meetings.models import Attendance, Attendee
from renda.meetings.selectors import deputy_pool
from renda.meetings.tests.helpers import congress_of, demo_town

pytestmark = pytest.mark.django_db


def _meeting(staff, *, starts_in: int, deputies: int = 4):
    body = congress_of(demo_town())
    chosen = list(deputy_pool(body).order_by("id")[:deputies])
    start = timezone.localdate() + dt.timedelta(days=starts_in)
    meeting = meetings.meeting_create(
        scope=staff,
        body=body,
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        deputies=chosen,
        agenda=["议程"],
    )
    return meeting, chosen


def test_sign_in_opens_the_day_before_and_not_weeks_early(scope_of):
    staff = scope_of("township")
    early, deputies = _meeting(staff, starts_in=26)
    with pytest.raises(Conflict, match="签到自"):
        meetings.attendee_sign_in(scope=staff, meeting=early, deputy=deputies[0])
    assert Attendee.objects.get(meeting=early, deputy=deputies[0]).status == Attendance.EXPECTED
    tomorrow, deputies = _meeting(staff, starts_in=1)
    meetings.attendee_sign_in(scope=staff, meeting=tomorrow, deputy=deputies[0])
    assert Attendee.objects.get(meeting=tomorrow, deputy=deputies[0]).status == Attendance.PRESENT


def test_a_deputy_on_leave_is_not_signed_in_by_staff_until_the_leave_is_withdrawn(scope_of, client_as):
    staff = scope_of("township")
    meeting, deputies = _meeting(staff, starts_in=0)
    meetings.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[0], reason="住院治疗")
    with pytest.raises(Conflict, match="已请假"):
        meetings.attendee_sign_in(scope=staff, meeting=meeting, deputy=deputies[0])
    page = client_as("township")
    assert (
        page.post(
            f"/meetings/{meeting.pk}/act/leave_withdraw/", {"deputy": deputies[0].pk, "back": "signin"}
        ).status_code
        == 302
    )
    assert AuditEvent.objects.filter(action="meeting.leave_withdraw", target_id=str(meeting.pk)).exists()
    meetings.attendee_sign_in(scope=staff, meeting=meeting, deputy=deputies[0])
    assert Attendee.objects.get(meeting=meeting, deputy=deputies[0]).status == Attendance.PRESENT


def test_staff_sign_in_several_at_once_and_find_a_deputy_by_name(scope_of, client_as):
    staff = scope_of("township")
    meeting, deputies = _meeting(staff, starts_in=0, deputies=5)
    page = client_as("township")
    found = page.get(f"/meetings/{meeting.pk}/signin/", {"q": deputies[2].name})
    assert [a.deputy_id for a in found.context["attendees"]] == [d.pk for d in deputies if deputies[2].name in d.name]
    response = page.post(
        f"/meetings/{meeting.pk}/act/sign_in_many/", {"deputies": [deputies[0].pk, deputies[1].pk], "back": "signin"}
    )
    assert response.status_code == 302
    present = set(
        Attendee.objects.filter(meeting=meeting, status=Attendance.PRESENT).values_list("deputy_id", flat=True)
    )
    assert present == {deputies[0].pk, deputies[1].pk}
    # One refused (on leave) refuses the whole batch: nothing half-written
    meetings.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[3], reason="出差")
    bad = page.post(f"/meetings/{meeting.pk}/act/sign_in_many/", {"deputies": [deputies[2].pk, deputies[3].pk]})
    assert bad.status_code in (302, 409)
    assert not Attendee.objects.filter(meeting=meeting, deputy=deputies[2], status=Attendance.PRESENT).exists()
    assert page.post(f"/meetings/{meeting.pk}/act/sign_in_many/", {}).status_code in (302, 400)
