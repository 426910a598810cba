"""One rule for a citizen proving a case is theirs (opinions/policy.py receipt_holder_case): the
tracking page and the API accept and refuse alike, with one message and one hourly limit."""

import pytest
from django.test import Client

from renda.opinions import intake
from renda.opinions.policy import TRACK_FAILED, TRACK_LIMIT_PER_HOUR


@pytest.fixture
def case(village, lamp_category, liaison_station):
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="村口路灯坏了一个月，晚上出行不方便。",
            region=village,
            category=lamp_category,
            station=liaison_station,
            citizen_name="王五",
            citizen_phone="13800005678",
            consent=True,
        )
    )
    return opinion


@pytest.mark.django_db
@pytest.mark.parametrize("digits", ["", "1234", "567", "5６78", "56 8"])
def test_wrong_digits_are_refused_alike_on_the_page_and_the_api(case, cache_cleared, digits):
    page = Client().post("/track/", {"code": case.receipt_code, "digits": digits})
    api = Client().post(
        "/api/v1/public/opinions/track",
        {"receipt_code": case.receipt_code, "digits": digits},
        content_type="application/json",
    )
    assert page.status_code == 400 and TRACK_FAILED in page.content.decode()
    assert api.status_code == 400 and api.json()["detail"] == TRACK_FAILED


@pytest.mark.django_db
def test_more_than_four_digits_are_refused_on_both(case, cache_cleared):
    page = Client().post("/track/", {"code": case.receipt_code, "digits": "05678"})
    assert page.status_code == 400 and TRACK_FAILED in page.content.decode()  # not cut to its last four
    api = Client().post(
        "/api/v1/public/opinions/track",
        {"receipt_code": case.receipt_code, "digits": "05678"},
        content_type="application/json",
    )
    assert api.status_code == 400 and TRACK_FAILED in api.json()["detail"]
    api = Client().post(
        "/api/v1/public/opinions/track",
        {"receipt_code": case.receipt_code, "digits": "0005678"},
        content_type="application/json",
    )
    assert api.status_code == 422 and "手机尾号" in api.json()["detail"]  # the body's own bound


@pytest.mark.django_db
def test_the_right_digits_open_the_case_on_both(case, cache_cleared):
    page = Client().post("/track/", {"code": case.receipt_code.lower(), "digits": "5678"})
    assert page.status_code == 302 and case.receipt_code in page["Location"]
    api = Client().post(
        "/api/v1/public/opinions/track",
        {"receipt_code": case.receipt_code, "digits": "5678"},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["receipt_code"] == case.receipt_code


@pytest.mark.django_db
def test_page_and_api_share_one_hourly_limit(case, cache_cleared):
    client = Client()
    for _ in range(TRACK_LIMIT_PER_HOUR // 2):
        client.post("/track/", {"code": case.receipt_code, "digits": "0000"})
        client.post(
            "/api/v1/public/opinions/track",
            {"receipt_code": case.receipt_code, "digits": "0000"},
            content_type="application/json",
        )
    assert client.post("/track/", {"code": case.receipt_code, "digits": "5678"}).status_code == 429
    api = client.post(
        "/api/v1/public/opinions/track",
        {"receipt_code": case.receipt_code, "digits": "5678"},
        content_type="application/json",
    )
    assert api.status_code == 429
