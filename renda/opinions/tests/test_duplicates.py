"""这件事已有人反映: similar open cases before submitting, following one (附议), flagging and
merging duplicates with links both ways."""

import pytest
from django.test import Client

from renda.core.errors import Conflict
from renda.opinions import intake, services
from renda.opinions.models import Follower, Opinion, State
from renda.opinions.selectors import duplicate_candidates

TEXT = "白鹭社区东门口的路灯已经坏了两个星期，晚上很黑，老人出门不安全，希望尽快修好。"


@pytest.fixture
def first(liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text=TEXT,
            region=village,
            category=lamp_category,
            citizen_phone="13900000001",
            consent=True,
            station=liaison_station,
        )
    )
    return opinion


@pytest.mark.django_db
def test_a_citizen_sees_the_open_case_and_follows_it_instead(first, village, lamp_category, outbox):
    page = Client().get(
        "/similar/", {"text": "东门口路灯坏了两个星期，晚上很黑", "region": village.pk, "category": lamp_category.pk}
    )
    html = page.content.decode()
    assert "这件事已有人反映" in html and first.title in html
    follow_url = html.split('hx-post="')[1].split('"')[0]
    response = Client().post(follow_url, {"phone": "13900000002"})
    assert response.status_code == 200 and "验证码已发送" in response.content.decode()
    assert first.followers.filter(phone="13900000002").exists()
    again = Client().post(follow_url, {"phone": "13900000002"})
    assert again.status_code == 409 and first.followers.count() == 1


@pytest.mark.django_db
def test_an_unrelated_text_shows_nothing(first, village, lamp_category):
    html = (
        Client()
        .get(
            "/similar/",
            {"text": "学校门口早上接送孩子的车辆太多，交通拥堵", "region": village.pk, "category": lamp_category.pk},
        )
        .content.decode()
    )
    assert "这件事已有人反映" not in html


@pytest.mark.django_db
def test_staff_see_the_duplicate_flagged_and_merge_it_with_links_both_ways(
    client_as, scope_of, first, liaison_station, village, lamp_category, outbox, django_capture_on_commit_callbacks
):
    second, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="东门口路灯坏了两个星期了，晚上太黑，请尽快修好。",
            region=village,
            category=lamp_category,
            citizen_phone="13900000003",
            consent=True,
            station=liaison_station,
        )
    )
    assert first in [o for o, _ in duplicate_candidates(opinion=second)]
    page = client_as("township").get(f"/opinions/{second.pk}/").content.decode()
    assert "可能重复的意见" in page and first.receipt_code in page

    client_as("township").post(f"/opinions/{second.pk}/act/merge/", {"into": first.receipt_code, "reason": "同一问题"})
    second.refresh_from_db()
    assert second.state == State.MERGED and second.merged_into == first
    assert Follower.objects.get(from_opinion=second).opinion == first  # its citizen now follows the first case
    assert second.receipt_code in client_as("township").get(f"/opinions/{first.pk}/").content.decode()

    # When the first case is answered, the merged case's citizen hears about it too.
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_answer_directly(scope=scope_of("township"), opinion=first, text="已安排维修，今晚恢复照明。")
    told = {m["to"] for m in outbox if "已答复" in m["body"]}
    assert told == {"13900000001", "13900000003"}


@pytest.mark.django_db
def test_a_case_cannot_be_merged_into_itself_or_into_a_closed_one(
    scope_of, first, liaison_station, village, lamp_category
):
    staff = scope_of("township")
    from renda.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="自身"):
        services.opinion_merge(scope=staff, opinion=first, into=first, reason="x")
    closed, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="另一件已经办结的事情。",
            region=village,
            category=lamp_category,
            anonymous=True,
            station=liaison_station,
        )
    )
    services.opinion_answer_directly(scope=staff, opinion=closed, text="已经处理完毕了。")
    services.opinion_rate(opinion=closed, value="satisfied")
    with pytest.raises(ValidationFailed, match="只能合并到尚在办理"):
        services.opinion_merge(scope=staff, opinion=first, into=Opinion.objects.get(pk=closed.pk), reason="x")
    first.refresh_from_db()
    assert first.state == State.SUBMITTED
    with pytest.raises(Conflict):
        services.opinion_follow(opinion=Opinion.objects.get(pk=closed.pk), phone="13900000009")
