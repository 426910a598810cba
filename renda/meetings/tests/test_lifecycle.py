"""Meetings: every transition and every refusal, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.models import RuleSetting
from renda.core.rules import rule_changed
from renda.meetings import selectors, services
from renda.meetings.models import Attendance, Meeting, MeetingKind, MeetingState
from renda.meetings.quorum import quorum_needed, quorum_status
from renda.meetings.tests.helpers import congress_of, demo_town, deputy_scope, session_with
from renda.notify.models import Notification
from renda.org.models import Body, BodyKind, Deputy, DeputyKind
from renda.regions.models import Region, RegionLevel

pytestmark = pytest.mark.django_db


def test_create_defaults_to_all_active_deputies_of_the_congress(scope_of):
    # Given the demo town's congress
    staff = scope_of("township")
    body = congress_of(demo_town())
    # When staff convene a session without naming deputies
    meeting = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2), agenda=["听取报告"])
    # Then every active deputy of the congress is entitled, numbered first of the term
    pool = selectors.deputy_pool(body).count()
    assert pool > 20
    assert meeting.attendees.count() == pool
    assert meeting.number == 1 and meeting.term == 19
    assert meeting.title == "白鹭镇第十九届人民代表大会第一次会议"
    assert meeting.kind == MeetingKind.CONGRESS and meeting.state == MeetingState.PLANNED
    assert list(meeting.agenda.values_list("title", flat=True)) == ["听取报告"]
    assert AuditEvent.objects.filter(action="meeting.create", target_id=str(meeting.pk)).exists()


def test_street_deliberation_meeting_takes_the_streets_deliberation_deputies(scope_of):
    staff = scope_of("street")
    street = Region.objects.get(path=staff.roots[0])
    body = Body.objects.get(region=street, kind=BodyKind.STREET_DELIBERATION)
    meeting = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 4, 1))
    kinds = set(Deputy.objects.filter(attendances__meeting=meeting).values_list("kind", flat=True))
    assert kinds == {DeputyKind.DELIBERATION}
    assert meeting.kind == MeetingKind.DELIBERATION


def test_presidium_meeting_needs_its_members(scope_of):
    staff = scope_of("township")
    presidium = Body.objects.get(region=demo_town(), kind=BodyKind.PRESIDIUM)
    with pytest.raises(ValidationFailed, match="主席团成员"):
        services.meeting_create(scope=staff, body=presidium, start_date=dt.date(2026, 3, 1))
    members = list(selectors.deputy_pool(presidium)[:5])
    meeting = services.meeting_create(scope=staff, body=presidium, start_date=dt.date(2026, 3, 1), deputies=members)
    assert meeting.attendees.count() == 5 and meeting.kind == MeetingKind.PRESIDIUM


def test_create_refusals_change_nothing(scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    before = Meeting.objects.count()
    with pytest.raises(ValidationFailed, match="结束日期"):
        services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match="会议名称不能超过"):
        services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2), title="会" * 121)
    other = Deputy.objects.exclude(region__path__startswith=body.region.path).first()
    assert other is not None
    with pytest.raises(ValidationFailed, match="不属于该机构"):
        services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2), deputies=[other])
    with pytest.raises(ValidationFailed, match="会议时间不能超过 31 天"):
        services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 5, 2))
    services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    county_body = Body.objects.filter(kind=BodyKind.STANDING_COMMITTEE).first()
    assert county_body is not None
    with pytest.raises(ValidationFailed, match="只有乡镇"):
        services.meeting_create(scope=scope_of("county"), body=county_body, start_date=dt.date(2026, 3, 2))
    assert Meeting.objects.count() == before + 1


def test_another_townships_body_is_out_of_scope_and_a_deputy_may_not_convene(scope_of):
    other = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, bodies__kind=BodyKind.CONGRESS)
        .exclude(pk=demo_town().pk)
        .first()
    )
    assert other is not None
    with pytest.raises(NotFound):
        services.meeting_create(scope=scope_of("township"), body=congress_of(other), start_date=dt.date(2026, 3, 2))
    with pytest.raises(PermissionDenied):
        services.meeting_create(scope=scope_of("deputy"), body=congress_of(demo_town()), start_date=dt.date(2026, 3, 2))


def test_sign_in_by_staff_and_by_venue_qr_and_leave(scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=6, open_meeting=False)
    # Staff sign one in (代签), twice is harmless
    services.attendee_sign_in(scope=staff, meeting=meeting, deputy=deputies[0])
    services.attendee_sign_in(scope=staff, meeting=meeting, deputy=deputies[0])
    # A deputy scans the current code on their phone
    me = deputy_scope(deputies[1])
    services.attendee_check_in(scope=me, meeting=meeting, token=services.checkin_token(meeting))
    # An expired code (four minutes old) is refused
    old = services.checkin_token(meeting, back=4)
    with pytest.raises(ValidationFailed, match="签到码已过期"):
        services.attendee_check_in(scope=deputy_scope(deputies[2]), meeting=meeting, token=old)
    # Approved leave
    services.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[3], reason="外出学习，经主席团批准")
    with pytest.raises(Conflict, match="已签到"):
        services.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[0], reason="x")
    with pytest.raises(ValidationFailed, match="请假事由不能为空"):
        services.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[4], reason=" ")
    q = quorum_status(meeting)
    assert (q.entitled, q.present, q.leave, q.needed) == (6, 2, 1, 4)
    methods = dict(meeting.attendees.filter(status=Attendance.PRESENT).values_list("deputy_id", "sign_in_method"))
    assert methods == {deputies[0].pk: "staff", deputies[1].pk: "qr"}
    assert AuditEvent.objects.filter(action="meeting.check_in", target_id=str(meeting.pk)).count() == 1


def test_a_deputy_not_entitled_cannot_check_in_and_staff_cannot_scan(scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=3)
    outsider = selectors.deputy_pool(meeting.body).exclude(pk__in=[d.pk for d in deputies]).first()
    assert outsider is not None
    with pytest.raises(PermissionDenied, match="不是本次会议"):
        services.attendee_check_in(scope=deputy_scope(outsider), meeting=meeting, token=services.checkin_token(meeting))
    with pytest.raises(PermissionDenied):
        services.attendee_check_in(scope=staff, meeting=meeting, token=services.checkin_token(meeting))


def test_close_records_absences_and_flags_the_second_unapproved_absence(scope_of, outbox):
    staff = scope_of("township")
    deputies = None
    for _round in range(2):
        meeting, deputies = session_with(staff, entitled=4, present=2)
        services.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[2], reason="病假")
        services.meeting_close(scope=staff, meeting=meeting)
        assert meeting.attendees.get(deputy=deputies[3]).status == Attendance.ABSENT
        assert meeting.attendees.get(deputy=deputies[2]).status == Attendance.LEAVE
    assert deputies is not None
    flags = selectors.absence_flags(region=demo_town())
    assert [f.deputy.pk for f in flags] == [deputies[3].pk]  # the one on leave twice is not flagged
    assert flags[0].count == 2
    assert Notification.objects.filter(subject="代表未经批准缺席", body__contains=deputies[3].name).exists()
    # A new term (a new election) starts the count again: the last term's absences no longer count
    body = meeting.body
    body.term = (body.term or 0) + 1
    body.save(update_fields=["term"])
    assert deputies[3].pk not in [f.deputy.pk for f in selectors.absence_flags(region=demo_town())]


def test_open_and_close_refuse_wrong_states(scope_of):
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=3, open_meeting=False)
    with pytest.raises(Conflict, match="筹备中"):
        services.meeting_close(scope=staff, meeting=meeting)
    services.meeting_open(scope=staff, meeting=meeting)
    with pytest.raises(Conflict, match="会议进行中"):
        services.meeting_open(scope=staff, meeting=meeting)
    services.meeting_close(scope=staff, meeting=meeting)
    with pytest.raises(Conflict, match="已闭会"):
        services.attendee_sign_in(scope=staff, meeting=meeting, deputy=meeting.attendees.first().deputy)


def test_quorum_follows_the_rule_setting():
    assert quorum_needed(70) == 47  # ceil(70 * 2/3)
    assert quorum_needed(6) == 4
    RuleSetting.objects.create(key="session.quorum_fraction", value="1/2")
    rule_changed("session.quorum_fraction")
    assert quorum_needed(70) == 35


def test_yearly_count_sweep_warns_once_the_township_behind(scope_of):
    staff = scope_of("township")
    town = demo_town()
    body = congress_of(town)
    # Given one session this year in the demo town and none in the others
    services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    today = dt.date(2026, 9, 1)
    shortfalls = selectors.session_shortfalls(scope=None, year=2026, today=today)
    ours = [s for s in shortfalls if s.region.pk == town.pk]
    assert ours and not ours[0].below_minimum and "一般每年 2 次" in ours[0].message
    others = [s for s in shortfalls if s.region.pk != town.pk]
    assert others and all(s.below_minimum for s in others)
    # Before July, one spring session is enough
    assert not [
        s
        for s in selectors.session_shortfalls(scope=None, year=2026, today=dt.date(2026, 4, 1))
        if s.region.pk == town.pk
    ]
    report = services.meetings_sweep(today=today)
    assert report.behind == len(shortfalls) and report.warned == len(shortfalls)
    assert Notification.objects.filter(subject="人代会次数提醒", to_user__username="township").count() == 1
    # A second sweep does not warn again
    assert services.meetings_sweep(today=today).warned == 0
    # A second session clears the warning
    services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 7, 20))
    assert not [s for s in selectors.session_shortfalls(scope=staff, year=2026, today=today)]


def test_meeting_list_is_scoped(scope_of):
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=3)
    assert meeting in selectors.meeting_list(scope=staff)
    assert meeting not in selectors.meeting_list(scope=scope_of("street"))
    assert meeting in selectors.meeting_list(scope=scope_of("deputy"))
    assert timezone.localdate() == meeting.start_date


def test_the_scheduled_sweep_is_registered_and_runs():
    from renda.celery import app
    from renda.site.schedule import PERIODIC, run_task

    assert "meetings.sweep" in {p.task for p in PERIODIC}
    run_task(app, "meetings.sweep")  # the Celery task, eagerly: warns every township behind this year
    assert Notification.objects.filter(subject="人代会次数提醒").exists()
