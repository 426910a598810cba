"""No SMS relay, no receipt code leaked by SMS (issue #12): 附议 and the answer SMS never quote
what a citizen wrote and never give one person another's receipt code; a phone can be made to
follow only a few cases a day."""

import re

import pytest

from renda.core.ratelimit import RateLimited
from renda.opinions import intake, services
from renda.opinions.services import FOLLOWS_PER_PHONE_DAY

pytestmark = pytest.mark.django_db
SPAM = "加微信领补贴 vx:fake123，速回"


@pytest.fixture
def spam_case(village, lamp_category, liaison_station):
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text=SPAM + "，村口路灯坏了。",
            region=village,
            category=lamp_category,
            station=liaison_station,
            anonymous=True,
        )
    )
    return opinion


def test_following_texts_neither_the_title_nor_the_receipt_code(
    spam_case, outbox, cache_cleared, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_follow(opinion=spam_case, phone="13600001111", client_ip="203.0.113.9")
    (sms,) = [m for m in outbox if m["to"] == "13600001111"]
    assert SPAM[:6] not in sms["body"] and spam_case.receipt_code not in sms["body"]


def test_the_answer_gives_each_person_only_their_own_code(
    spam_case, scope_of, outbox, cache_cleared, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_follow(opinion=spam_case, phone="13600002222", client_ip="203.0.113.9")
    code = re.search(r"验证码 (\d{6})", outbox[-1]["body"]).group(1)
    services.opinion_follow_confirm(opinion=spam_case, phone="13600002222", code=code)
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_answer_directly(
            scope=scope_of("township"), opinion=spam_case, text="已安排维修，今晚恢复照明。"
        )
    (to_follower,) = [m for m in outbox if m["to"] == "13600002222"]
    assert "已答复" in to_follower["body"]
    assert spam_case.receipt_code not in to_follower["body"] and SPAM[:6] not in to_follower["body"]


def test_one_phone_follows_only_a_few_cases_a_day(spam_case, cache_cleared):
    victim = "13600003333"
    cases = [spam_case] + [
        intake.opinion_submit(
            data=intake.OpinionInput(
                text=f"第 {i} 件：村道坑洼需要修补。",
                region=spam_case.region,
                category=spam_case.category,
                station=spam_case.station,
                anonymous=True,
            )
        )[0]
        for i in range(FOLLOWS_PER_PHONE_DAY)
    ]
    for i, case in enumerate(cases[:FOLLOWS_PER_PHONE_DAY]):
        services.opinion_follow(opinion=case, phone=victim, client_ip=f"198.51.100.{i}")  # from many addresses
    with pytest.raises(RateLimited, match="附议次数已达上限"):
        services.opinion_follow(opinion=cases[-1], phone=victim, client_ip="198.51.100.99")
