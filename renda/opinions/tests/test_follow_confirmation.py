"""A phone number must be confirmed before it receives updates it did not ask for itself (issue
#12): anyone could type a stranger's number into 附议, and that number then got the answer SMS.
Now the number gets one code and nothing more until its owner types the code."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from renda.opinions import policy, services
from renda.opinions.models import Follower
from renda.opinions.tests.helpers import file_case

pytestmark = pytest.mark.django_db

TEXT = "白鹭社区东门口的路灯已经坏了两个星期，晚上很黑，老人出门不安全，希望尽快修好。"
STRANGER = "13700001111"


@pytest.fixture
def case(liaison_station, village, lamp_category):
    return file_case(liaison_station, village, lamp_category, text=TEXT, citizen_phone="13900000001", consent=True)


def _answer(case, scope_of, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        services.opinion_answer_directly(scope=scope_of("township"), opinion=case, text="已安排维修，今晚恢复照明。")


def test_a_number_typed_in_by_someone_else_hears_nothing_but_one_code(
    case, scope_of, outbox, cache_cleared, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(f"/follow/{policy.follow_token(case)}/", {"phone": STRANGER})
    assert answer.status_code == 200 and 'id="follow-confirm"' in answer.content.decode()
    (texted,) = [m for m in outbox if m["to"] == STRANGER]
    code = re.search(r"验证码 (\d{6})", texted["body"]).group(1)
    assert "如非本人操作请忽略" in texted["body"]
    assert code not in answer.content.decode()  # the code reaches only the phone
    outbox.clear()
    _answer(case, scope_of, django_capture_on_commit_callbacks)
    assert not [m for m in outbox if m["to"] == STRANGER]  # never confirmed: no update


def test_the_owner_confirms_with_the_code_and_then_hears_the_answer(
    case, scope_of, outbox, cache_cleared, django_capture_on_commit_callbacks
):
    token = policy.follow_token(case)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/follow/{token}/", {"phone": STRANGER})
    code = re.search(r"验证码 (\d{6})", outbox[-1]["body"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    refused = Client().post(f"/follow/{token}/confirm/", {"phone": STRANGER, "code": wrong})
    assert refused.status_code == 400 and "验证码不正确" in refused.content.decode()
    assert Client().post(f"/follow/{token}/confirm/", {"phone": STRANGER, "code": ""}).status_code == 400
    ok = Client().post(f"/follow/{token}/confirm/", {"phone": STRANGER, "code": code})
    assert ok.status_code == 200 and "已确认关注" in ok.content.decode()
    assert Follower.objects.get(opinion=case, phone=STRANGER).confirmed_at is not None
    outbox.clear()
    _answer(case, scope_of, django_capture_on_commit_callbacks)
    assert [m for m in outbox if m["to"] == STRANGER and "已答复" in m["body"]]


def test_codes_cannot_be_guessed(case, outbox, cache_cleared, django_capture_on_commit_callbacks):
    token = policy.follow_token(case)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/follow/{token}/", {"phone": STRANGER})
    code = re.search(r"验证码 (\d{6})", outbox[-1]["body"]).group(1)
    guesses = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:5]
    for guess in guesses:
        Client().post(f"/follow/{token}/confirm/", {"phone": STRANGER, "code": guess})
    late = Client().post(f"/follow/{token}/confirm/", {"phone": STRANGER, "code": code})  # even the right one now
    assert late.status_code == 409 and "次数过多" in late.content.decode()
    assert Follower.objects.get(opinion=case, phone=STRANGER).confirmed_at is None
    other = Client().post(f"/follow/{token}/confirm/", {"phone": "13700009999", "code": code})
    assert other.status_code == 404
