"""A superscript or other non-ASCII digit where a page expects an id is "not chosen", never a
server error (str.isdigit() takes "²", int() refuses it)."""

import pytest
from django.test import Client

from renda.core.validation import ascii_digits, id_or_none


def test_only_ascii_digits_make_an_id():
    assert id_or_none("42") == 42 and id_or_none(" 7 ") == 7
    assert [id_or_none(v) for v in ("", None, "²", "٣", "1e3", "-1", "12345678901234")] == [None] * 7
    assert ascii_digits("2026") and not ascii_digits("²") and not ascii_digits("")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/similar/?region=%C2%B2&category=%D9%A3&text=村口路灯坏了很久了",
        "/suggest-category/?category=%C2%B2&text=村口路灯坏了",
        "/opinions/?region=%C2%B2&category=%C2%B2&unit=%C2%B2",
    ],
)
def test_a_superscript_digit_is_not_a_server_error(url, client_as):
    client = client_as("township") if url.startswith("/opinions/") else Client()
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_citizen_form_with_a_superscript_village_says_choose_one(liaison_station, lamp_category):
    client = Client()
    page = client.get(f"/s/{liaison_station.public_id}/opinion/")
    assert page.status_code == 200
    response = client.post(
        f"/s/{liaison_station.public_id}/opinion/",
        {
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value if "csrftoken" in page.cookies else "",
            "text": "村口路灯坏了半个月，晚上出行很不安全。",
            "region": "²",
            "category": str(lamp_category.pk),
            "idempotency_key": "sup-1",
        },
    )
    assert response.status_code == 400
    assert "村/社区" in response.content.decode()
