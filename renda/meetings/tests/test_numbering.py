"""Sessions named by term (届) and numbered by date within it; the data migration that moved
existing rows from per-year numbers."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict, ValidationFailed
from renda.meetings import services
from renda.meetings.models import Meeting, MeetingKind
from renda.meetings.naming import chinese_numeral, session_title
from renda.meetings.tests.helpers import congress_of, demo_town
from renda.org.models import Body, BodyKind
from renda.regions.models import Region

pytestmark = pytest.mark.django_db


def _numbers(body: Body) -> list[tuple[dt.date, int, str]]:
    return list(
        Meeting.objects.filter(body=body).order_by("start_date", "id").values_list("start_date", "number", "title")
    )


def test_chinese_numerals():
    assert [chinese_numeral(n) for n in (1, 3, 10, 11, 19, 20, 23, 99)] == [
        "一", "三", "十", "十一", "十九", "二十", "二十三", "九十九"
    ]  # fmt: skip


def test_titles_by_term_for_congress_and_presidium_by_year_for_a_street(scope_of):
    town = demo_town()
    congress = congress_of(town)
    presidium = Body.objects.get(region=town, kind=BodyKind.PRESIDIUM)
    assert session_title(congress, term=19, year=2026, number=3) == "白鹭镇第十九届人民代表大会第三次会议"
    assert session_title(presidium, term=19, year=2026, number=12) == "白鹭镇第十九届人大主席团第十二次会议"
    street = Region.objects.get(path=scope_of("street").roots[0])
    body = Body.objects.get(region=street, kind=BodyKind.STREET_DELIBERATION)
    assert body.term is None
    first = services.meeting_create(scope=scope_of("street"), body=body, start_date=dt.date(2026, 4, 1))
    again = services.meeting_create(scope=scope_of("street"), body=body, start_date=dt.date(2027, 1, 8))
    assert first.title == f"{street.name}议政代表会议2026年第一次会议"
    assert again.number == 1 and again.title == f"{street.name}议政代表会议2027年第一次会议"


def test_a_session_dated_before_planned_ones_takes_its_place_and_they_move_on(scope_of):
    # Given the spring and the autumn sessions, planned
    staff = scope_of("township")
    body = congress_of(demo_town())
    spring = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    autumn = services.meeting_create(
        scope=staff, body=body, start_date=dt.date(2026, 10, 9), title="白鹭镇第十九届人大秋季会议（自定名称）"
    )
    # When staff add a summer session between them
    summer = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 7, 10))
    # Then numbers follow the dates; the generated title moved with its number, a custom one stayed
    assert _numbers(body) == [
        (dt.date(2026, 3, 2), 1, "白鹭镇第十九届人民代表大会第一次会议"),
        (dt.date(2026, 7, 10), 2, "白鹭镇第十九届人民代表大会第二次会议"),
        (dt.date(2026, 10, 9), 3, "白鹭镇第十九届人大秋季会议（自定名称）"),
    ]
    assert summer.number == 2 and spring.pk and autumn.pk
    # And the move is in the audit log
    moved = AuditEvent.objects.get(action="meeting.renumber", target_id=str(autumn.pk))
    assert moved.before == {"number": 2, "title": autumn.title} and moved.after["number"] == 3


def test_a_session_dated_before_one_already_held_is_refused_and_nothing_changes(scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    held = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 7, 10))
    services.meeting_open(scope=staff, meeting=held)
    before = _numbers(body)
    with pytest.raises(Conflict, match="已经召开，次数不能改动"):
        services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    assert _numbers(body) == before
    assert not AuditEvent.objects.filter(action="meeting.renumber").exists()
    # After it is fine: the next number
    later = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 12, 28))
    assert later.number == 2


def test_a_new_term_starts_from_the_first_session(scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    Body.objects.filter(pk=body.pk).update(term=20)  # 换届
    body.refresh_from_db()
    first = services.meeting_create(scope=staff, body=body, start_date=dt.date(2027, 1, 10))
    assert (first.term, first.number, first.title) == (20, 1, "白鹭镇第二十届人民代表大会第一次会议")


def test_changing_a_date_renumbers_the_planned_sessions_and_never_a_held_one(scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    a = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 3, 2))
    b = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 7, 10))
    # When the first is put off until after the second
    a = services.meeting_edit(scope=staff, meeting=a, start_date=dt.date(2026, 8, 3), venue="镇政府大礼堂")
    # Then they swap numbers (and generated titles); the length of the session is kept
    b.refresh_from_db()
    assert (a.number, b.number) == (2, 1)
    assert a.title.endswith("第二次会议") and b.title.endswith("第一次会议")
    assert (a.end_date, a.venue) == (dt.date(2026, 8, 3), "镇政府大礼堂")
    assert AuditEvent.objects.filter(action="meeting.edit", target_id=str(a.pk)).exists()
    assert AuditEvent.objects.filter(action="meeting.renumber", target_id=str(b.pk)).exists()
    # A held session keeps its number: moving the other before it is refused
    services.meeting_open(scope=staff, meeting=b)
    with pytest.raises(Conflict, match="已经召开"):
        services.meeting_edit(scope=staff, meeting=a, start_date=dt.date(2026, 1, 5))
    # And a session under way cannot be edited at all
    with pytest.raises(Conflict, match="会议进行中"):
        services.meeting_edit(scope=staff, meeting=b, title="新名称")
    a.refresh_from_db()
    assert (a.number, a.start_date) == (2, dt.date(2026, 8, 3))


def test_edit_refusals(scope_of):
    staff = scope_of("township")
    meeting = services.meeting_create(scope=staff, body=congress_of(demo_town()), start_date=dt.date(2026, 3, 2))
    with pytest.raises(ValidationFailed, match="结束日期不能早于开始日期"):
        services.meeting_edit(scope=staff, meeting=meeting, end_date=dt.date(2026, 3, 1))
    with pytest.raises(ValidationFailed, match="会议名称不能超过"):
        services.meeting_edit(scope=staff, meeting=meeting, title="会" * 121)
    custom = services.meeting_edit(scope=staff, meeting=meeting, title="  白鹭镇春季人代会 ")
    assert custom.title == "白鹭镇春季人代会"
    back = services.meeting_edit(scope=staff, meeting=meeting, title="")
    assert back.title == "白鹭镇第十九届人民代表大会第一次会议"


def test_the_data_migration_numbers_existing_rows_by_term_in_date_order():
    # Given rows numbered per year as before (a 第4次 dated before a 第1次 of the next year)
    town = demo_town()
    body = congress_of(town)
    rows = [
        (dt.date(2025, 12, 20), 2025, 4, "白鹭镇人民代表大会2025年第4次会议"),
        (dt.date(2026, 1, 15), 2026, 1, "白鹭镇人民代表大会2026年第1次会议"),
        (dt.date(2026, 7, 1), 2026, 2, "镇人大年中会议"),
    ]
    made = [
        Meeting.objects.create(
            body=body,
            region=town,
            kind=MeetingKind.CONGRESS,
            title=title,
            year=year,
            term=19,
            number=number,
            start_date=day,
            end_date=day,
        )  # fmt: skip
        for day, year, number, title in rows
    ]
    migration = importlib.import_module("renda.meetings.migrations.0004_meeting_number_in_term")
    # When the migration runs (the constraints are off between 0003 and 0005)
    migration.forwards(apps, None)
    # Then the numbers follow the dates within the term, the generated titles by term
    got = [Meeting.objects.get(pk=m.pk) for m in made]
    assert [(m.number, m.title) for m in got] == [
        (1, "白鹭镇第十九届人民代表大会第一次会议"),
        (2, "白鹭镇第十九届人民代表大会第二次会议"),
        (3, "镇人大年中会议"),
    ]
    # And back again (within one year here: per-year numbers repeat across years, which the
    # constraint of this test database, the one by term, would not take)
    made[0].delete()
    migration.backwards(apps, None)
    got = [Meeting.objects.get(pk=m.pk) for m in made[1:]]
    assert [(m.number, m.title) for m in got] == [(1, "白鹭镇人民代表大会2026年第1次会议"), (2, "镇人大年中会议")]
