"""The API's writes on a meeting: convene, edit while planned, set the entitled deputies, the
agenda. Same services and permissions as the pages; bad input answered in Chinese, nothing
half-written."""

from __future__ import annotations

import datetime as dt

import pytest

from renda.audit.models import AuditEvent
from renda.meetings import services
from renda.meetings.models import AgendaItem, Attendee, Meeting
from renda.meetings.selectors import deputy_pool
from renda.meetings.tests.helpers import congress_of, demo_town, session_with
from renda.org.models import Body, BodyKind, Deputy
from renda.voting import services as voting

pytestmark = pytest.mark.django_db
API = "/api/v1"
JSON = "application/json"


def _create(client, body, headers=None, **extra):  # type: ignore[no-untyped-def]
    data = {"body": body.pk, "start_date": "2026-12-28", **extra}
    return client.post(f"{API}/meetings", data, content_type=JSON, headers=headers or {})


def test_convene_a_session_by_the_api_and_replay_it(client_as):
    body = congress_of(demo_town())
    client = client_as("township")
    key = {"Idempotency-Key": "convene-1"}
    first = _create(
        client, body, end_date="2026-12-29", venue="镇政府大礼堂", agenda=["听取报告", "票决民生实事项目"], headers=key
    )
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["title"] == "白鹭镇第十九届人民代表大会第一次会议"
    assert (data["term"], data["number"], data["state"]) == (19, 1, "planned")
    assert [a["title"] for a in data["agenda"]] == ["听取报告", "票决民生实事项目"]
    assert data["quorum"]["entitled"] == deputy_pool(body).count()
    # A retry with the same key: the first answer, no second meeting
    again = _create(
        client, body, end_date="2026-12-29", venue="镇政府大礼堂", agenda=["听取报告", "票决民生实事项目"], headers=key
    )
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == data["id"]
    assert Meeting.objects.filter(body=body).count() == 1
    # The same key for another request is refused
    other = _create(client, body, start_date="2026-12-30", headers=key)
    assert other.status_code == 409 and "幂等键" in other.json()["detail"]
    assert AuditEvent.objects.filter(action="meeting.create", target_id=str(data["id"])).count() == 1


def test_convene_refusals_change_nothing(client_as):
    body = congress_of(demo_town())
    client = client_as("township")
    before = Meeting.objects.count()
    # Empty, wrong type, out of range: 422 with the field named
    assert client.post(f"{API}/meetings", {}, content_type=JSON).status_code == 422
    wrong = _create(client, body, start_date="明天")
    assert wrong.status_code == 422 and wrong.json()["field"] == "start_date"
    assert (
        client.post(f"{API}/meetings", {"body": "白鹭镇", "start_date": "2026-12-28"}, content_type=JSON).status_code
        == 422
    )
    assert (
        client.post(f"{API}/meetings", {"body": 2**70, "start_date": "2026-12-28"}, content_type=JSON).status_code
        == 422
    )
    assert _create(client, body, title="会" * 121).status_code == 422
    assert _create(client, body, agenda=["议" * 201]).status_code == 400
    # Dates the wrong way round, a month-long session
    bad = _create(client, body, end_date="2026-12-01")
    assert bad.status_code == 400 and bad.json()["detail"] == "结束日期不能早于开始日期"
    assert "31 天" in _create(client, body, start_date="2026-01-01", end_date="2026-03-01").json()["detail"]
    # A body of another township: 404, never saying whether it exists
    elsewhere = Body.objects.filter(kind=BodyKind.CONGRESS).exclude(region=demo_town()).first()
    assert elsewhere is not None
    assert _create(client, elsewhere).status_code == 404
    # A deputy of another township, or one that does not exist
    stranger = Deputy.objects.exclude(region__path__startswith=demo_town().path).first()
    assert stranger is not None
    r = _create(client, body, deputies=[stranger.pk])
    assert r.status_code == 400 and "不属于该机构" in r.json()["detail"]
    assert _create(client, body, deputies=[10**12]).status_code == 400
    # A deputy may not convene: 403
    assert _create(client_as("deputy"), body).status_code == 403
    assert Meeting.objects.count() == before


def test_edit_while_planned_and_refused_once_open(client_as, scope_of):
    staff = scope_of("township")
    body = congress_of(demo_town())
    early = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 12, 10))
    late = services.meeting_create(scope=staff, body=body, start_date=dt.date(2026, 12, 20))
    client = client_as("township")
    url = f"{API}/meetings/{early.pk}"
    # Put off after the other: numbers and generated titles swap; what was not sent is kept
    r = client.patch(url, {"start_date": "2026-12-24", "venue": "镇文化礼堂"}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert (r.json()["number"], r.json()["venue"], r.json()["end_date"]) == (2, "镇文化礼堂", "2026-12-24")
    late.refresh_from_db()
    assert late.number == 1 and late.title == "白鹭镇第十九届人民代表大会第一次会议"
    # Bad input
    r = client.patch(url, {"title": "会" * 121}, content_type=JSON)
    assert r.status_code == 400 and "会议名称不能超过" in r.json()["detail"]
    assert client.patch(url, {"start_date": 5}, content_type=JSON).status_code == 422
    r = client.patch(url, {"end_date": "2026-12-01"}, content_type=JSON)
    assert r.status_code == 400 and "结束日期" in r.json()["detail"]
    assert client_as("street").patch(url, {"venue": "x"}, content_type=JSON).status_code == 404
    assert client_as("deputy").patch(url, {"venue": "x"}, content_type=JSON).status_code == 403
    assert client.patch(f"{API}/meetings/999999999", {"venue": "x"}, content_type=JSON).status_code == 404
    # Once open: 409
    services.meeting_open(scope=staff, meeting=late)
    r = client.patch(f"{API}/meetings/{late.pk}", {"venue": "别处"}, content_type=JSON)
    assert r.status_code == 409
    # Moving the planned one before the held one: 409, nothing changed
    r = client.patch(url, {"start_date": "2026-12-01"}, content_type=JSON)
    assert r.status_code == 409 and "已经召开" in r.json()["detail"]
    early.refresh_from_db()
    assert (early.number, early.start_date, early.venue) == (2, dt.date(2026, 12, 24), "镇文化礼堂")


def test_set_attendees_by_the_api(client_as, scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=3, open_meeting=False)
    pool = list(deputy_pool(meeting.body).order_by("id")[:5])
    client = client_as("township")
    url = f"{API}/meetings/{meeting.pk}/attendees"
    r = client.put(url, {"deputies": [d.pk for d in pool], "reason": "增补"}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json()["quorum"]["entitled"] == 5 and len(r.json()["items"]) == 5
    assert AuditEvent.objects.filter(action="meeting.attendees", target_id=str(meeting.pk)).exists()
    # Empty, wrong type, too long, someone of another township
    assert client.put(url, {"deputies": []}, content_type=JSON).status_code == 422
    assert client.put(url, {"deputies": ["张三"]}, content_type=JSON).status_code == 422
    assert client.put(url, {"deputies": [pool[0].pk], "reason": "因" * 201}, content_type=JSON).status_code == 422
    stranger = Deputy.objects.exclude(region__path__startswith=demo_town().path).first()
    assert stranger is not None
    r = client.put(url, {"deputies": [pool[0].pk, stranger.pk]}, content_type=JSON)
    assert r.status_code == 400 and "不属于该机构" in r.json()["detail"]
    assert Attendee.objects.filter(meeting=meeting).count() == 5
    # Once open: 409
    services.meeting_open(scope=staff, meeting=meeting)
    assert client.put(url, {"deputies": [pool[0].pk]}, content_type=JSON).status_code == 409


def test_agenda_by_the_api_add_edit_remove(client_as, scope_of):
    staff = scope_of("township")
    meeting, _ = session_with(staff, entitled=3, open_meeting=False)  # agenda: 政府工作报告, 民生实事
    client = client_as("township")
    base = f"{API}/meetings/{meeting.pk}/agenda"
    key = {"Idempotency-Key": "agenda-1"}
    r = client.post(base, {"title": "审查预算执行情况"}, content_type=JSON, headers=key)
    assert r.status_code == 201 and r.json()["position"] == 3
    again = client.post(base, {"title": "审查预算执行情况"}, content_type=JSON, headers=key)
    assert again["Idempotent-Replayed"] == "true"
    assert meeting.agenda.count() == 3
    first = meeting.agenda.get(position=1)
    r = client.patch(
        f"{base}/{first.pk}", {"title": "听取和审议镇政府工作报告", "description": "镇长作报告"}, content_type=JSON
    )
    assert r.status_code == 200 and r.json()["title"] == "听取和审议镇政府工作报告"
    r = client.delete(f"{base}/{first.pk}")
    assert r.status_code == 200
    assert [(a["position"], a["title"]) for a in r.json()["agenda"]] == [
        (1, "票决民生实事项目"),
        (2, "审查预算执行情况"),
    ]
    assert AuditEvent.objects.filter(action="meeting.agenda_remove", target_id=str(meeting.pk)).exists()
    assert AuditEvent.objects.filter(action="meeting.agenda_edit", target_id=str(meeting.pk)).exists()
    # Bad input: empty, too long, wrong type; an item of another meeting; another township
    assert client.post(base, {"title": ""}, content_type=JSON).status_code == 422
    assert client.post(base, {"title": "议" * 201}, content_type=JSON).status_code == 422
    assert client.post(base, {"title": ["a"]}, content_type=JSON).status_code == 422
    other, _ = session_with(staff, entitled=2, open_meeting=False)
    foreign = other.agenda.first()
    assert foreign is not None
    assert client.patch(f"{base}/{foreign.pk}", {"title": "改别的会"}, content_type=JSON).status_code == 404
    assert client.delete(f"{base}/{foreign.pk}").status_code == 404
    assert client.delete(f"{base}/{2**70}").status_code == 422
    assert client_as("street").post(base, {"title": "越界"}, content_type=JSON).status_code == 404
    assert client_as("deputy").post(base, {"title": "代表不能改"}, content_type=JSON).status_code == 403
    assert foreign.title == AgendaItem.objects.get(pk=foreign.pk).title
    # An item a vote was put under stays
    item = meeting.agenda.get(position=1)
    voting.vote_create(
        scope=staff, meeting=meeting, title="民生实事项目票决", method="yes_no", seats=None,
        options=[voting.OptionInput(label="村道路灯改造")], agenda_item=item,
    )  # fmt: skip
    r = client.delete(f"{base}/{item.pk}")
    assert r.status_code == 409 and "已有表决事项" in r.json()["detail"]
    assert meeting.agenda.count() == 2
    # A closed meeting's agenda is fixed
    services.meeting_open(scope=staff, meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(state="closed")
    assert client.post(base, {"title": "闭会后补充"}, content_type=JSON).status_code == 409
