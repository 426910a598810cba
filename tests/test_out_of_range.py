"""No 500 from an out-of-range number (issue #12, "No 500 from any input"): integers past what
the database holds, and digits int() refuses ("²"), are refused as input in Chinese."""

import pytest

BIG = "9" * 30

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("user", "url", "field"),
    [
        ("township", "/api/v1/opinions?offset=99999999999999999999", "offset"),
        ("township", "/api/v1/opinions?offset=9223372036854775800", "offset"),
        ("township", f"/api/v1/opinions?unit={BIG}", "unit"),
        ("township", f"/api/v1/opinions?category={BIG}", "category"),
        ("anonymous", "/api/v1/public/suggestion-answers?offset=99999999999999999999", "offset"),
        # found by schemathesis (.ci/run): an id filter of 22 digits answered 500 on SQLite
        ("anonymous", "/api/v1/public/suggestion-answers?body=3431846262242222800896&offset=2558&limit=152", "body"),
    ],
)
def test_a_huge_number_in_a_query_is_refused_as_input(client_as, client, user, url, field):
    response = (client if user == "anonymous" else client_as(user)).get(url)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert response.json()["field"] == field and ("超出允许的范围" in detail or "不能大于" in detail)


@pytest.mark.parametrize(
    "data",
    [
        {"station": "x"},
        {"station": BIG},
        {"station": "STATION", "deputy": "²", "date": "2030-01-07", "start": "09:00", "end": "10:00"},
        {"station": "STATION", "date": "2030-01-07", "start": "09:00", "end": "10:00", "capacity": "²"},
        {"station": "STATION", "date": "2030-01-07", "start": "09:00", "end": "10:00", "weeks": "٣"},
    ],
)
def test_the_slots_form_refuses_bad_numbers_without_a_500(client_as, scope_of, data):
    station = next(iter(scope_of("liaison").station_ids))
    data = {k: (str(station) if v == "STATION" else v) for k, v in data.items()}
    response = client_as("township").post("/opinions/slots/", data)
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/meetings/1/attendees/7467840076985064977596416/sign-in",  # found by schemathesis (.ci/run)
        "/api/v1/meetings/7467840076985064977596416/attendees/1/sign-in",
    ],
)
def test_a_huge_id_in_an_api_path_is_refused_without_a_500(client_as, url):
    response = client_as("township").post(url)
    assert response.status_code in (404, 422), response.content
    assert response.json()["detail"]
