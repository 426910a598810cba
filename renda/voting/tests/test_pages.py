"""Voting pages and API: the phone ballot, the receipt shown once and kept nowhere, staff actions,
bad input in Chinese, Idempotency-Key on cast."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from renda.audit.models import AuditEvent
from renda.core.models import RuleSetting
from renda.core.rules import rule_changed
from renda.meetings.tests.helpers import deputy_scope, deputy_user, session_with
from renda.voting import services
from renda.voting.models import Ballot, Participation, SealedBallot, Vote, VoteMethod

pytestmark = pytest.mark.django_db


def phone_of(deputy) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(deputy_user(deputy))
    return client


def test_vote_create_page(client_as, scope_of):
    meeting, _ = session_with(scope_of("township"), entitled=3)
    client = client_as("township")
    bad = client.post(
        f"/meetings/{meeting.pk}/votes/new/", {"title": "票决", "method": "choose_n", "seats": 2, "options": "甲\n乙"}
    )
    assert bad.status_code == 400 and "候选项应多于应选名额" in bad.content.decode()
    ok = client.post(
        f"/meetings/{meeting.pk}/votes/new/",
        {"title": "票决", "method": "choose_n", "seats": 1, "options": "甲｜说明一\n乙"},
    )
    assert ok.status_code == 302
    vote = Vote.objects.latest("id")
    assert [(o.label, o.description) for o in vote.options.all()] == [("甲", "说明一"), ("乙", "")]


def test_phone_ballot_shows_the_receipt_once_and_stores_it_nowhere(make_vote, staff):
    vote, deputies = make_vote(present=6)
    phone = phone_of(deputies[0])
    page = phone.get(f"/voting/{vote.pk}/").content.decode()
    assert "无记名投票" in page and "最多选 2 项" in page
    sessions_before = {s.session_key: s.session_data for s in Session.objects.all()}
    r = phone.post(f"/voting/{vote.pk}/cast/", {"choice": ["1", "3"]})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    body = r.content.decode()
    assert "投票成功" in body and 'id="receipt-code"' in body
    code = body.split('id="receipt-code">')[1].split("<")[0]
    assert services.receipt_check(code=code).vote.pk == vote.pk
    # Nothing server-side kept the receipt: no session change, no flash message
    after = {s.session_key: s.session_data for s in Session.objects.all()}
    assert after == sessions_before
    assert "已对本事项投票" in phone.get(f"/voting/{vote.pk}/").content.decode()
    again = phone.post(f"/voting/{vote.pk}/cast/", {"choice": ["2"]})
    assert again.status_code == 409 and "只能投一票" in again.content.decode()
    over = phone_of(deputies[1]).post(f"/voting/{vote.pk}/cast/", {"choice": ["1", "2", "3"]})
    assert over.status_code == 400 and "最多只能选 2 项" in over.content.decode()
    assert SealedBallot.objects.filter(vote=vote).count() == 1 == Participation.objects.filter(vote=vote).count()
    assert not Ballot.objects.filter(vote=vote).exists()  # nothing readable until the box is opened at close


def test_the_ballot_is_read_back_before_it_is_cast_and_nothing_is_stored_until_then(make_vote):
    """Issue #13: a deputy could mis-tap a secret vote; every choice is read back first."""
    vote, deputies = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议一", "决议二"), present=6)
    phone = phone_of(deputies[0])
    page = phone.get(f"/voting/{vote.pk}/").content.decode()
    assert f'action="/voting/{vote.pk}/review/"' in page and 'class="tap mark-yes"' in page
    review = phone.post(f"/voting/{vote.pk}/review/", {"option-1": "yes", "option-2": "no"})
    body = review.content.decode()
    assert review.status_code == 200 and "请核对您的选择" in body and "no-store" in review["Cache-Control"]
    assert '1. 决议一</th><td class="choice">赞成' in body and '2. 决议二</th><td class="choice">反对' in body
    assert not Participation.objects.filter(vote=vote).exists() and not SealedBallot.objects.filter(vote=vote).exists()
    incomplete = phone.post(f"/voting/{vote.pk}/review/", {"option-1": "yes"})
    assert incomplete.status_code == 400 and "决议二" in incomplete.content.decode()
    hidden = {"option-1": "yes", "option-2": "no"}
    assert 'name="option-1" value="yes"' in body and 'name="option-2" value="no"' in body
    cast = phone.post(f"/voting/{vote.pk}/cast/", hidden)
    assert cast.status_code == 200 and "投票成功" in cast.content.decode()
    late = phone.post(f"/voting/{vote.pk}/review/", hidden)
    assert late.status_code == 409 and "只能投一票" in late.content.decode()
    absent = phone_of(deputies[8]).post(f"/voting/{vote.pk}/review/", hidden)  # entitled, not signed in
    assert absent.status_code == 409 and "请先在会场签到" in absent.content.decode()


def test_choosing_nothing_is_read_back_as_an_abstention(make_vote):
    vote, deputies = make_vote(present=6)
    review = phone_of(deputies[0]).post(f"/voting/{vote.pk}/review/", {})
    assert review.status_code == 200 and 'id="abstain"' in review.content.decode()


def test_staff_actions_on_the_vote_page(make_vote, client_as):
    vote, deputies = make_vote(present=5, open_vote=False)  # 9 entitled, quorum 6
    client = client_as("township")
    r = client.post(f"/voting/{vote.pk}/act/open/")
    assert r.status_code == 409 and "未达到法定人数" in r.content.decode()
    vote2, d2 = make_vote(present=9)
    r = client.post(
        f"/voting/{vote2.pk}/act/paper/",
        {
            "ballots": "10",
            "invalid": "0",
            "count-1": "5",
            "count-2": "5",
            "count-3": "0",
            "count-4": "0",
            "tellers": "张三",
        },
    )
    assert r.status_code == 400 and "多于已签到代表 9 人" in r.content.decode()
    r = client.post(
        f"/voting/{vote2.pk}/act/paper/",
        {
            "ballots": "9",
            "invalid": "0",
            "count-1": "9",
            "count-2": "9",
            "count-3": "0",
            "count-4": "0",
            "tellers": "张三",
        },
    )
    assert r.status_code == 302
    # 复核: the batch waits for another hand; closing before it is refused, nothing half-done
    page = client.get(f"/voting/{vote2.pk}/").content.decode()
    batch = vote2.paper_batches.get()
    assert "待复核" in page and f'id="paper-check-{batch.pk}"' in page
    r = client.post(f"/voting/{vote2.pk}/act/close/")
    assert r.status_code == 409 and "还有 1 批纸质票计票结果未复核" in r.content.decode()
    sheet = {"batch": str(batch.pk), "ballots": "9", "invalid": "0", "count-1": "9", "count-2": "9"}
    sheet |= {"count-3": "0", "count-4": "0"}
    r = client.post(f"/voting/{vote2.pk}/act/paper_check/", sheet)
    assert r.status_code == 400 and "录入人不能复核自己录入的结果" in r.content.decode()
    second = client_as("township2")
    r = second.post(f"/voting/{vote2.pk}/act/paper_check/", sheet | {"count-2": "8", "count-3": "1"})
    text = r.content.decode()
    assert r.status_code == 400 and "2 处不一致" in text
    assert "“乙项目”得票：原录入 9，复核 8" in text and "“丙项目”得票：原录入 0，复核 1" in text
    batch.refresh_from_db()
    assert batch.checked_at is None
    assert second.post(f"/voting/{vote2.pk}/act/paper_check/", sheet).status_code == 302
    batch.refresh_from_db()
    assert batch.checked_by is not None and batch.checked_by.username == "township2"
    assert "已复核一致" in client.get(f"/voting/{vote2.pk}/").content.decode()
    assert second.post(f"/voting/{vote2.pk}/act/paper_check/", sheet).status_code == 409  # replayed
    assert AuditEvent.objects.filter(action="vote.paper_check", target_id=str(vote2.pk)).count() == 1
    assert client.post(f"/voting/{vote2.pk}/act/close/").status_code == 302
    page = client.get(f"/voting/{vote2.pk}/").content.decode()
    assert "计票结果（尚未公布）" in page and "重新计票核对一致" in page
    assert client.post(f"/voting/{vote2.pk}/act/publish/").status_code == 302
    meeting_page = client_as("deputy").get(f"/meetings/{vote2.meeting_id}/").content.decode()
    assert "结果已公布，不再变更" in meeting_page


def test_a_batch_entered_wrongly_is_withdrawn_and_entered_afresh(make_vote, client_as):
    vote, _ = make_vote(present=9)
    client = client_as("township")
    sheet = {"ballots": "9", "invalid": "0", "count-1": "9", "count-2": "9", "count-3": "0", "count-4": "0"}
    assert client.post(f"/voting/{vote.pk}/act/paper/", sheet | {"tellers": "张三"}).status_code == 302
    batch = vote.paper_batches.get()
    for bad, message in [
        ({"batch": str(batch.pk), "reason": ""}, "撤销原因不能为空"),
        ({"batch": str(batch.pk), "reason": "长" * 201}, "撤销原因"),
        ({"batch": "abc", "reason": "录错"}, "请选择要处理的一批纸质票"),
        ({"batch": "999999", "reason": "录错"}, "本事项没有这一批纸质票"),
    ]:
        r = client.post(f"/voting/{vote.pk}/act/paper_withdraw/", bad)
        assert r.status_code in (400, 404) and message in r.content.decode(), bad
    assert vote.paper_batches.count() == 1
    r = client.post(f"/voting/{vote.pk}/act/paper_withdraw/", {"batch": str(batch.pk), "reason": "乙项目录错"})
    assert r.status_code == 302 and not vote.paper_batches.exists()
    event = AuditEvent.objects.get(action="vote.paper_withdraw", target_id=str(vote.pk))
    assert event.reason == "乙项目录错" and event.after["counts"]["2"] == 9
    # The sheet is entered afresh; with 复核 switched off for the township it counts at once
    RuleSetting.objects.create(key="vote.paper_check", region=vote.meeting.region, value=False)
    rule_changed("vote.paper_check")
    assert client.post(f"/voting/{vote.pk}/act/paper/", sheet | {"tellers": "张三"}).status_code == 302
    assert vote.paper_batches.get().checked_at is not None
    assert client.post(f"/voting/{vote.pk}/act/close/").status_code == 302


def test_receipt_page(make_vote):
    vote, deputies = make_vote(present=6)
    receipt = services.vote_cast(
        scope=deputy_scope(deputies[0]),
        vote=vote,
        choices=[1],
    )
    public = Client()
    r = public.post("/voting/receipt/", {"code": receipt.code})
    assert r.status_code == 200 and "已密封投入票箱" in r.content.decode()
    r = public.post("/voting/receipt/", {"code": "abc"})
    assert r.status_code == 400 and "16 位" in r.content.decode()
    r = public.post("/voting/receipt/", {"code": "0000-0000-0000-0000"})
    assert r.status_code == 404


def test_api_cast_idempotency_and_errors(make_vote, staff):
    vote, deputies = make_vote(present=6)
    phone = phone_of(deputies[0])
    url = f"/api/v1/votes/{vote.pk}/cast"
    first = phone.post(url, data={"choices": [1]}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 200 and len(first.json()["code"]) == 19 and "secret" not in first.json()
    replay = phone.post(url, data={"choices": [1]}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 200 and replay.json()["replayed"] is True and replay.json()["code"] == ""
    second = phone.post(url, data={"choices": [2]}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k2")
    assert second.status_code == 409 and "只能投一票" in second.json()["detail"]
    other = phone_of(deputies[1])
    for body, status, text in [
        ({"choices": [1, 2, 3]}, 400, "最多只能选 2 项"),
        ({"choices": "1"}, 422, ""),
        ({}, 422, ""),
        ({"choices": [1], "who": "me"}, 422, ""),
    ]:
        r = other.post(url, data=body, content_type="application/json")
        assert r.status_code == status, (body, r.content)
        assert text in r.json()["detail"] if text else True
    assert SealedBallot.objects.filter(vote=vote).count() == 1
    # Nobody signed out reads the vote (staff seeing no counts while open: test_review.py)
    assert Client().get(f"/api/v1/votes/{vote.pk}").status_code in (401, 403)
    got = phone.get(f"/api/v1/votes/{vote.pk}").json()
    assert got["has_voted"] is True and got["options"][0]["count_yes"] is None
    closed = phone_of(deputies[2])
    services.vote_close(scope=staff, vote=vote)
    late = closed.post(url, data={"choices": [1]}, content_type="application/json")
    assert late.status_code == 409 and "投票已截止" in late.json()["detail"]


def test_api_staff_flow_and_receipt(client_as, make_vote, staff):
    vote, deputies = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议",), present=6, open_vote=False)
    api = client_as("township")
    assert api.post(f"/api/v1/votes/{vote.pk}/open").json()["state"] == "open"
    r = api.post(
        f"/api/v1/votes/{vote.pk}/paper",
        data={"ballots": 7, "counts": {"1": {"yes": 7, "no": 0, "abstain": 0}}, "tellers": "张三"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "多于已签到代表 6 人" in r.json()["detail"]
    r = api.post(
        f"/api/v1/votes/{vote.pk}/paper",
        data={"ballots": 6, "counts": {"1": {"yes": 5, "no": 1, "abstain": 0}}, "tellers": "张三"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["checked"] is False
    batch = r.json()["id"]
    second = client_as("township2")
    check = f"/api/v1/votes/{vote.pk}/paper/{batch}/check"
    for body, status, text in [
        ({"ballots": 6, "counts": {"1": {"yes": 4, "no": 2, "abstain": 0}}}, 400, "“决议”赞成票：原录入 5，复核 4"),
        ({"ballots": "六", "counts": {}}, 422, ""),
        ({"ballots": 6}, 422, ""),
    ]:
        r = second.post(check, data=body, content_type="application/json")
        assert r.status_code == status and text in r.json()["detail"], r.json()
    r = api.post(
        check, data={"ballots": 6, "counts": {"1": {"yes": 5, "no": 1, "abstain": 0}}}, content_type="application/json"
    )
    assert r.status_code == 400 and "录入人不能复核" in r.json()["detail"]
    assert (
        second.post(
            f"/api/v1/votes/{vote.pk}/paper/999999/check",
            data={"ballots": 6, "counts": {}},
            content_type="application/json",
        ).status_code
        == 404
    )
    good = {"ballots": 6, "counts": {"1": {"yes": 5, "no": 1, "abstain": 0}}}
    r = second.post(check, data=good, content_type="application/json")
    assert r.status_code == 200 and r.json()["checked"] is True
    assert second.post(check, data=good, content_type="application/json").status_code == 409
    assert api.post(f"/api/v1/votes/{vote.pk}/close").json()["options"][0]["outcome"] == "elected"
    out = api.post(f"/api/v1/votes/{vote.pk}/publish", data={}, content_type="application/json").json()
    assert out["state"] == "published" and out["concluded"] is True
    r = api.post(f"/api/v1/votes/{vote.pk}/runoff", data={}, content_type="application/json")
    assert r.status_code == 409
    r = Client().post("/api/v1/public/vote-receipts", data={"code": "zz"}, content_type="application/json")
    assert r.status_code == 400 and "16 位" in r.json()["detail"]
