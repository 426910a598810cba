"""Receipt codes are credentials (issue #12): with a code (and, for an anonymous case without a
phone, nothing else) a stranger could read a case and rate it. No public page or API answer may
show one citizen's code to another: not the "这件事已有人反映" fragment, not the follow answer,
not the track page or API of a merged case. The fragment is rate-limited per address."""

from __future__ import annotations

import pytest
from django.test import Client

from renda.opinions import intake, policy, services
from renda.opinions.models import Opinion

pytestmark = pytest.mark.django_db

TEXT = "白鹭社区东门口的路灯已经坏了两个星期，晚上很黑，老人出门不安全，希望尽快修好。"
LOOKUP = "东门口路灯坏了两个星期，晚上很黑"


@pytest.fixture
def anonymous_case(liaison_station, village, lamp_category) -> Opinion:
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text=TEXT, region=village, category=lamp_category, anonymous=True, station=liaison_station
        )
    )
    return opinion


def _similar(client: Client, village, lamp_category):  # type: ignore[no-untyped-def]
    return client.get("/similar/", {"text": LOOKUP, "region": village.pk, "category": lamp_category.pk})


def test_the_similar_fragment_and_the_follow_answer_show_no_receipt_code(anonymous_case, village, lamp_category):
    html = _similar(Client(), village, lamp_category).content.decode()
    assert "这件事已有人反映" in html and anonymous_case.title in html
    assert anonymous_case.receipt_code not in html
    follow_url = html.split('hx-post="')[1].split('"')[0]
    answer = Client().post(follow_url, {"phone": "13900000002"})
    assert answer.status_code == 200 and "验证码已发送" in answer.content.decode()
    assert anonymous_case.receipt_code not in answer.content.decode()


def test_a_case_cannot_be_followed_by_its_receipt_code_or_a_forged_token(anonymous_case):
    by_code = Client().post(f"/follow/{anonymous_case.receipt_code}/", {"phone": "13900000002"})
    assert by_code.status_code == 404
    forged = f"{anonymous_case.pk}-{'0' * 20}"
    assert Client().post(f"/follow/{forged}/", {"phone": "13900000002"}).status_code == 404
    assert Client().post(f"/follow/{anonymous_case.pk + 1}-{policy.follow_token(anonymous_case).split('-')[1]}/",
                         {"phone": "13900000002"}).status_code == 404  # fmt: skip
    assert not anonymous_case.followers.exists()


def test_a_merged_case_shows_its_citizen_no_other_citizens_code(
    scope_of, anonymous_case, liaison_station, village, lamp_category
):
    mine, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="东门口路灯坏了两个星期了，晚上太黑，请尽快修好。",
            region=village,
            category=lamp_category,
            citizen_phone="13900000003",
            consent=True,
            station=liaison_station,
        )
    )
    services.opinion_merge(scope=scope_of("township"), opinion=mine, into=anonymous_case, reason="同一问题")
    client = Client()
    tracked = client.post("/track/", {"code": mine.receipt_code, "digits": "0003"})
    assert tracked.status_code == 302
    page = client.get(tracked["Location"]).content.decode()
    assert "合并办理" in page and mine.receipt_code in page
    assert anonymous_case.receipt_code not in page
    api = Client().post(
        "/api/v1/public/opinions/track",
        {"receipt_code": mine.receipt_code, "digits": "0003"},
        content_type="application/json",
    )
    assert api.status_code == 200 and anonymous_case.receipt_code not in api.content.decode()
    assert api.json()["merged_into"] == anonymous_case.title


def test_the_similar_fragment_is_rate_limited_per_address(
    anonymous_case, village, lamp_category, settings, cache_cleared
):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(policy.SIMILAR_LIMIT_PER_HOUR):
        assert _similar(client, village, lamp_category).status_code == 200
    assert _similar(client, village, lamp_category).status_code == 429
    assert _similar(Client(REMOTE_ADDR="203.0.113.10"), village, lamp_category).status_code == 200


def test_an_anonymous_case_is_not_opened_by_its_receipt_code_alone(anonymous_case, cache_cleared):
    """A stranger who learnt the code (from a slip, a staff page, a screenshot) can neither read
    the anonymous case nor close it as 满意: the citizen was given a 查询密码 beside the code."""
    code = anonymous_case.receipt_code
    assert Client().post("/track/", {"code": code, "digits": ""}).status_code == 400
    api = Client().post("/api/v1/public/opinions/track", {"receipt_code": code}, content_type="application/json")
    assert api.status_code == 400
    rate = Client().post(
        f"/api/v1/public/opinions/{code}/rate", {"value": "satisfied"}, content_type="application/json"
    )
    assert rate.status_code == 400
    pin = policy.track_pin(anonymous_case)
    assert len(pin) == 6 and pin.isdigit()
    client = Client()
    opened = client.post("/track/", {"code": code, "digits": pin})
    assert opened.status_code == 302 and code in opened["Location"]
    api = Client().post(
        "/api/v1/public/opinions/track", {"receipt_code": code, "digits": pin}, content_type="application/json"
    )
    assert api.status_code == 200


def test_the_anonymous_citizen_is_given_the_pin_with_the_receipt(village, lamp_category, cache_cleared):
    from renda.org.models import Station

    station = Station.objects.filter(served_regions=village).first()
    answer = Client().post(
        "/api/v1/public/opinions",
        {
            "text": TEXT,
            "region": village.pk,
            "category": lamp_category.pk,
            "anonymous": True,
            "station": station.public_id,
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="anonymous-pin-test",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    opinion = Opinion.objects.get(receipt_code=body["receipt_code"])
    assert body["track_pin"] == policy.track_pin(opinion) and body["track_pin"] in body["message"]
