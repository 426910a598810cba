"""Meetings pages and API: the staff path in a browser-less client, bad input, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from renda.meetings import selectors, services
from renda.meetings.models import Attendance, Meeting
from renda.meetings.tests.helpers import congress_of, demo_town, deputy_user, session_with

pytestmark = pytest.mark.django_db


def test_index_lists_meetings_and_warns_with_bounded_queries(client_as, scope_of, django_assert_max_num_queries):
    staff = scope_of("township")
    for _ in range(3):
        session_with(staff, entitled=4, present=2)
    client = client_as("township")
    client.get("/meetings/")  # warm the session
    with django_assert_max_num_queries(14):
        page = client.get("/meetings/").content.decode()
    assert page.count("白鹭镇第十九届人民代表大会第") >= 3  # named by term, numbered within it
    assert "会议次数提醒" in page or 'id="shortfalls"' not in page


def test_create_page_makes_a_session_and_refuses_bad_input(client_as):
    client = client_as("township")
    body = congress_of(demo_town())
    before = Meeting.objects.count()
    bad = client.post("/meetings/new/", {"body": body.pk, "start_date": "2026-12-20", "end_date": "2026-12-19"})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    bad = client.post("/meetings/new/", {"body": "", "start_date": "x"})
    assert bad.status_code == 400
    assert Meeting.objects.count() == before
    ok = client.post(
        "/meetings/new/",
        {"body": body.pk, "start_date": "2026-12-20", "agenda": "听取报告\n票决项目", "venue": "大礼堂"},
    )
    assert ok.status_code == 302
    meeting = Meeting.objects.latest("id")
    assert list(meeting.agenda.values_list("title", flat=True)) == ["听取报告", "票决项目"]
    assert meeting.attendees.count() == selectors.deputy_pool(body).count()


def test_sign_in_console_qr_and_deputy_scan(client_as, scope_of, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=4)
    console = client_as("township").get(f"/meetings/{meeting.pk}/signin/").content.decode()
    assert "会场签到二维码" in console and "法定人数，还差 3 人" in console
    png = client_as("township").get(f"/meetings/{meeting.pk}/signin/qr.png")
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    phone = Client()
    phone.force_login(deputy_user(deputies[0]))
    url = f"/meetings/{meeting.pk}/checkin/{services.checkin_token(meeting)}/"
    assert "确认签到" in phone.get(url).content.decode()
    assert phone.post(url).status_code == 302
    assert meeting.attendees.get(deputy=deputies[0]).status == Attendance.PRESENT
    again = phone.post(f"/meetings/{meeting.pk}/checkin/{services.checkin_token(meeting, back=5)}/")
    assert again.status_code == 302  # already present: an old code changes nothing and is harmless
    other = Client()
    other.force_login(deputy_user(deputies[1]))
    stale = other.post(f"/meetings/{meeting.pk}/checkin/{services.checkin_token(meeting, back=5)}/")
    assert stale.status_code == 400 and "签到码已过期" in stale.content.decode()
    assert meeting.attendees.get(deputy=deputies[1]).status == Attendance.EXPECTED


def test_staff_sign_in_and_leave_from_the_console(client_as, scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=3)
    client = client_as("township")
    r = client.post(f"/meetings/{meeting.pk}/act/sign_in/", {"deputy": deputies[0].pk, "back": "signin"})
    assert r.status_code == 302 and r["Location"].endswith("/signin/")
    r = client.post(f"/meetings/{meeting.pk}/act/leave/", {"deputy": deputies[1].pk, "reason": ""})
    assert r.status_code == 400 and "请假事由不能为空" in r.content.decode()
    r = client.post(f"/meetings/{meeting.pk}/act/leave/", {"deputy": "abc", "reason": "病假"})
    assert r.status_code == 400 and "请选择代表" in r.content.decode()
    assert client.post(f"/meetings/{meeting.pk}/act/nonsense/").status_code == 404
    statuses = dict(meeting.attendees.values_list("deputy_id", "status"))
    assert statuses == {deputies[0].pk: "present", deputies[1].pk: "expected", deputies[2].pk: "expected"}


def test_api_lists_meetings_scoped_with_bounded_queries(client_as, scope_of, django_assert_max_num_queries):
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=4, present=3)
    client = client_as("township")
    with django_assert_max_num_queries(8):
        data = client.get("/api/v1/meetings?limit=50").json()
    item = next(i for i in data["items"] if i["id"] == meeting.pk)
    assert (item["entitled"], item["present"], item["kind_label"]) == (4, 3, "人代会")
    assert meeting.pk not in [i["id"] for i in client_as("street").get("/api/v1/meetings").json()["items"]]
    detail = client_as("township").get(f"/api/v1/meetings/{meeting.pk}").json()
    assert detail["quorum"] == {"entitled": 4, "present": 3, "leave": 0, "needed": 3, "reached": True}
    assert client_as("street").get(f"/api/v1/meetings/{meeting.pk}").status_code == 404
    bad = client_as("township").get("/api/v1/meetings?year=abc")
    assert bad.status_code == 422


def test_api_checkin_and_leave_refusals(client_as, scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=3)
    r = client_as("township").post(
        f"/api/v1/meetings/{meeting.pk}/attendees/{deputies[0].pk}/leave",
        data={"reason": ""},
        content_type="application/json",
    )
    assert r.status_code == 422
    r = client_as("township").post(
        f"/api/v1/meetings/{meeting.pk}/attendees/{deputies[0].pk}/leave",
        data={"reason": "病假", "extra": 1},
        content_type="application/json",
    )
    assert r.status_code == 422
    r = client_as("township").post(f"/api/v1/meetings/{meeting.pk}/attendees/{deputies[0].pk}/sign-in")
    assert r.status_code == 200 and r.json()["status"] == "present"
    r = client_as("township").post(f"/api/v1/meetings/{meeting.pk}/close")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    r = client_as("township").post(f"/api/v1/meetings/{meeting.pk}/close")
    assert r.status_code == 409 and "已闭会" in r.json()["detail"]


def test_meeting_page_timeline_in_chinese(client_as, scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=3, present=1)
    services.attendee_leave(scope=staff, meeting=meeting, deputy=deputies[1], reason="外出学习")
    page = client_as("township").get(f"/meetings/{meeting.pk}/").content.decode()
    timeline = page.split('id="timeline"')[1]
    assert "召集会议" in timeline and "宣布开会" in timeline and "工作人员代为签到" in timeline
    assert f"（{deputies[1].name}）" in timeline and "外出学习" in timeline
    assert 'id="timeline"' not in client_as("deputy").get(f"/meetings/{meeting.pk}/").content.decode()


def test_meeting_page_edits_arrangements_and_agenda_and_refuses_bad_input(client_as, scope_of):
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=3, open_meeting=False)
    client = client_as("township")
    act = f"/meetings/{meeting.pk}/act"
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="edit-meeting"' in page and 'id="agenda-edit-1"' in page and 'id="agenda-remove-2"' in page
    first, second = list(meeting.agenda.order_by("position"))
    # 修改会议安排: a wrong date, dates the wrong way round, a name too long — the page again, in Chinese
    r = client.post(f"{act}/edit/", {"title": "", "start_date": "明天", "end_date": "", "venue": ""})
    assert r.status_code == 400 and "开始日期" in r.content.decode()
    r = client.post(f"{act}/edit/", {"title": "", "start_date": "2026-12-20", "end_date": "2026-12-01", "venue": ""})
    assert r.status_code == 400 and "结束日期不能早于开始日期" in r.content.decode()
    r = client.post(f"{act}/edit/", {"title": "会" * 121, "start_date": "2026-12-20", "end_date": "", "venue": ""})
    assert r.status_code == 400 and "会议名称不能超过" in r.content.decode()
    meeting.refresh_from_db()
    assert meeting.venue == "" and meeting.start_date != dt.date(2026, 12, 20)
    r = client.post(f"{act}/edit/", {"title": "", "start_date": "2026-12-20", "end_date": "", "venue": "镇文化礼堂"})
    assert r.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.start_date, meeting.venue) == (dt.date(2026, 12, 20), "镇文化礼堂")
    # 修改议程: empty and too long refused, nothing written
    r = client.post(f"{act}/agenda_edit/", {"item": first.pk, "title": "  ", "description": ""})
    assert r.status_code == 400 and "议题不能为空" in r.content.decode()
    r = client.post(f"{act}/agenda_edit/", {"item": first.pk, "title": "议" * 201, "description": ""})
    assert r.status_code == 400 and "议题不能超过" in r.content.decode()
    first.refresh_from_db()
    assert first.title == "听取和审议政府工作报告"
    r = client.post(
        f"{act}/agenda_edit/", {"item": first.pk, "title": "听取和审议镇政府工作报告", "description": "镇长"}
    )
    assert r.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.description) == ("听取和审议镇政府工作报告", "镇长")
    # 删除议程: a bad number, an item of another meeting, another township's user: 404
    other, _ = session_with(staff, entitled=2, open_meeting=False)
    foreign = other.agenda.first()
    assert foreign is not None
    assert client.post(f"{act}/agenda_remove/", {"item": "abc"}).status_code == 404
    assert client.post(f"{act}/agenda_remove/", {"item": foreign.pk}).status_code == 404
    assert client_as("street").post(f"{act}/agenda_remove/", {"item": first.pk}).status_code == 404
    assert client_as("deputy").post(f"{act}/agenda_remove/", {"item": first.pk}).status_code == 403
    r = client.post(f"{act}/agenda_remove/", {"item": first.pk})
    assert r.status_code == 302
    assert list(meeting.agenda.values_list("position", "title")) == [(1, second.title)]
    # The same form sent again (a double tap): the item is gone, 404, nothing else removed
    assert client.post(f"{act}/agenda_remove/", {"item": first.pk}).status_code == 404
    assert meeting.agenda.count() == 1
    timeline = client.get(f"/meetings/{meeting.pk}/").content.decode().split('id="timeline"')[1]
    assert "修改会议安排" in timeline and "修改议程" in timeline and "删除议程" in timeline
