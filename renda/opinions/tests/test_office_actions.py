"""What offices do to a case between routing and the answer (issue #13): 延期 approved by the
township, 阶段性答复, the optional 答复审核, and 转代表 to chosen deputies, rated only on a real answer."""

import json

import pytest
from django.test import Client

from renda.core.models import RuleSetting
from renda.core.rules import rule_changed
from renda.notify.models import Notification
from renda.opinions import services
from renda.opinions.models import AnswerStatus, Extension, Opinion, State
from renda.opinions.routing import suggested_unit
from renda.opinions.tests.helpers import file_case
from renda.org.models import Deputy
from renda.regions.models import Region, RegionLevel

PHONE = "13912340002"


@pytest.fixture
def case(scope_of, liaison_station, village, lamp_category):
    return file_case(
        liaison_station,
        village,
        lamp_category,
        scope=scope_of("liaison"),
        source="reception",
        citizen_name="王建国",
        citizen_phone=PHONE,
        consent=True,
    )


@pytest.fixture
def with_unit(case, scope_of):
    """The case routed to the demo clerk's unit and accepted."""
    unit = suggested_unit(opinion=case)
    services.opinion_route(scope=scope_of("township"), opinion=case, unit=unit)
    services.opinion_accept(scope=scope_of("clerk"), opinion=Opinion.objects.get(pk=case.pk))
    return Opinion.objects.get(pk=case.pk)


def _citizen(case: Opinion) -> Client:
    """A citizen's browser that proved the receipt code and the phone's last four digits."""
    citizen = Client()
    response = citizen.post("/track/", {"code": case.receipt_code, "digits": PHONE[-4:]})
    assert response.status_code == 302
    return citizen


def _sms(case: Opinion, text: str) -> list[Notification]:
    return list(Notification.objects.filter(channel="sms", target_id=str(case.pk), body__contains=text))


# ------------------------------------------------------------------ 延期


@pytest.mark.django_db
def test_a_unit_asks_for_an_extension_and_the_township_approves_it(client_as, with_unit):
    clerk, staff = client_as("clerk"), client_as("township")
    before = with_unit.deadline
    # The clerk asks on the case page
    page = clerk.get(f"/opinions/{with_unit.pk}/").content.decode()
    assert 'id="form-extend_request"' in page
    asked = clerk.post(f"/opinions/{with_unit.pk}/act/extend_request/", {"workdays": "5", "reason": "需等待配件到货"})
    assert asked.status_code == 302
    extension = Extension.objects.get(opinion=with_unit)
    assert extension.state == "pending" and extension.deadline_after > before
    # A second request while one waits is refused, and the form is gone
    again = clerk.post(f"/opinions/{with_unit.pk}/act/extend_request/", {"workdays": "3", "reason": "再延"})
    assert again.status_code in (400, 404, 409) and Extension.objects.filter(opinion=with_unit).count() == 1
    # The township sees the request, with the dates, and approves it
    page = staff.get(f"/opinions/{with_unit.pk}/").content.decode()
    assert 'id="form-extend-decide"' in page and "需等待配件到货" in page
    assert staff.post(f"/opinions/{with_unit.pk}/act/extend_decide/", {"approve": "true"}).status_code == 302
    opinion = Opinion.objects.get(pk=with_unit.pk)
    assert opinion.deadline == extension.deadline_after and opinion.state == State.IN_PROGRESS
    assert Extension.objects.get(pk=extension.pk).state == "approved"
    # The citizen is told the new date by SMS and on the tracking page
    assert len(_sms(opinion, "答复期限由")) == 1
    html = _citizen(opinion).get(f"/track/{opinion.receipt_code}/").content.decode()
    assert f"{opinion.deadline:%Y年%m月%d日}" in html and "答复期限调整" in html


@pytest.mark.django_db
def test_a_refusal_needs_a_reason_and_keeps_the_deadline(client_as, scope_of, with_unit):
    services.opinion_extend_request(scope=scope_of("clerk"), opinion=with_unit, workdays=5, reason="人手不足")
    staff = client_as("township")
    refused = staff.post(f"/opinions/{with_unit.pk}/act/extend_decide/", {"approve": "false", "note": ""})
    assert refused.status_code == 400 and "审批意见" in refused.content.decode()
    assert Extension.objects.get(opinion=with_unit).state == "pending"
    staff.post(f"/opinions/{with_unit.pk}/act/extend_decide/", {"approve": "false", "note": "期限内可以完成"})
    assert Extension.objects.get(opinion=with_unit).state == "refused"
    assert Opinion.objects.get(pk=with_unit.pk).deadline == with_unit.deadline
    assert Notification.objects.filter(to_user__username="clerk", body__contains="期限内可以完成").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"workdays": "0", "reason": "理由"}, "1 至 30"),
        ({"workdays": "31", "reason": "理由"}, "1 至 30"),
        ({"workdays": "五", "reason": "理由"}, "应为整数"),
        ({"workdays": "5", "reason": ""}, "延期理由"),
        ({"workdays": "5", "reason": "长" * 501}, "延期理由"),
        ({"reason": "理由"}, "延长工作日"),
    ],
)
def test_bad_extension_requests_are_refused_in_chinese(client_as, with_unit, data, message):
    response = client_as("clerk").post(f"/opinions/{with_unit.pk}/act/extend_request/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Extension.objects.filter(opinion=with_unit).exists()


def _api(client: Client, path: str, body: dict[str, object]) -> int:
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json").status_code


@pytest.mark.django_db
def test_only_the_township_decides_and_only_the_unit_asks(client_as, scope_of, with_unit):
    services.opinion_extend_request(scope=scope_of("clerk"), opinion=with_unit, workdays=5, reason="人手不足")
    path = f"/opinions/{with_unit.pk}"
    assert _api(client_as("clerk"), f"{path}/extend-decide", {"approve": True}) in (403, 404)
    assert _api(client_as("liaison"), f"{path}/extend-request", {"workdays": 3, "reason": "再等等"}) in (403, 404)
    assert Extension.objects.get(opinion=with_unit).state == "pending"
    assert _api(client_as("township"), f"{path}/extend-decide", {"approve": True, "note": ""}) == 200
    assert Extension.objects.get(opinion=with_unit).state == "approved"


# ------------------------------------------------------------------ 阶段性答复


@pytest.mark.django_db
def test_an_interim_reply_reaches_the_citizen_who_cannot_rate_it(client_as, with_unit):
    clerk = client_as("clerk")
    text = "配件已订购，预计下周三前到货后安排更换。"
    assert clerk.post(f"/opinions/{with_unit.pk}/act/interim_reply/", {"text": text}).status_code == 302
    opinion = Opinion.objects.get(pk=with_unit.pk)
    assert opinion.state == State.IN_PROGRESS
    assert len(_sms(opinion, "阶段性答复")) == 1 and text not in _sms(opinion, "阶段性答复")[0].body
    page = _citizen(opinion).get(f"/track/{opinion.receipt_code}/")
    html = page.content.decode()
    assert "阶段性答复" in html and text in html and not page.context["can_rate"]


# ------------------------------------------------------------------ 答复审核


def _review_on(region: Region) -> None:
    RuleSetting.objects.create(key="opinion.answer_review", region=region, value=True, note="本镇开启答复审核")
    rule_changed("opinion.answer_review")


@pytest.mark.django_db
def test_where_the_township_reviews_answers_a_unit_answer_waits_for_it(client_as, with_unit):
    township = Region.objects.get(path=with_unit.region.path[:9])
    _review_on(township)
    text = "已更换路灯灯头，经测试照明正常。"
    assert client_as("clerk").post(f"/opinions/{with_unit.pk}/act/unit_answer/", {"text": text}).status_code == 302
    opinion = Opinion.objects.get(pk=with_unit.pk)
    assert opinion.state == State.REVIEW and not _sms(opinion, "已答复")
    citizen = _citizen(opinion)
    assert text not in citizen.get(f"/track/{opinion.receipt_code}/").content.decode()
    # The township reads it and lets it through
    staff = client_as("township")
    page = staff.get(f"/opinions/{opinion.pk}/").content.decode()
    assert 'id="form-review-answer"' in page and text in page
    assert staff.post(f"/opinions/{opinion.pk}/act/review_answer/", {"approve": "true"}).status_code == 302
    opinion.refresh_from_db()
    assert opinion.state == State.ANSWERED and len(_sms(opinion, "已答复")) == 1
    page = citizen.get(f"/track/{opinion.receipt_code}/")
    assert text in page.content.decode() and page.context["can_rate"]


@pytest.mark.django_db
def test_a_returned_answer_goes_back_to_the_unit_with_the_note(client_as, scope_of, with_unit):
    _review_on(Region.objects.get(path=with_unit.region.path[:9]))
    services.opinion_unit_answer(scope=scope_of("clerk"), opinion=with_unit, text="已处理，谢谢。再次感谢。")
    staff = client_as("township")
    bare = staff.post(f"/opinions/{with_unit.pk}/act/review_answer/", {"approve": "false"})
    assert bare.status_code == 400 and Opinion.objects.get(pk=with_unit.pk).state == State.REVIEW
    staff.post(f"/opinions/{with_unit.pk}/act/review_answer/", {"approve": "false", "note": "请写明何时修好"})
    opinion = Opinion.objects.get(pk=with_unit.pk)
    assert opinion.state == State.IN_PROGRESS
    assert opinion.answers.get().status == AnswerStatus.RETURNED
    assert Notification.objects.filter(to_user__username="clerk", body__contains="请写明何时修好").exists()
    # The citizen never saw the returned draft
    assert "再次感谢" not in _citizen(opinion).get(f"/track/{opinion.receipt_code}/").content.decode()


@pytest.mark.django_db
def test_review_is_per_township(scope_of, with_unit):
    other = Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(path=with_unit.region.path[:9]).first()
    _review_on(other)
    services.opinion_unit_answer(scope=scope_of("clerk"), opinion=with_unit, text="已更换灯头，照明正常。")
    assert Opinion.objects.get(pk=with_unit.pk).state == State.ANSWERED


# ------------------------------------------------------------------ 转代表


@pytest.mark.django_db
def test_a_referred_case_goes_to_chosen_deputies_and_is_rated_on_the_real_answer(client_as, case):
    staff = client_as("township")
    page = staff.get(f"/opinions/{case.pk}/")
    candidates = [d for d, _ in page.context["referral_deputies"]]
    chosen = candidates[:2]
    response = staff.post(f"/opinions/{case.pk}/act/refer/", {"deputies": [d.pk for d in chosen], "text": ""})
    assert response.status_code == 302
    opinion = Opinion.objects.get(pk=case.pk)
    assert opinion.state == State.REFERRED and set(opinion.referred_deputies.all()) == set(chosen)
    assert opinion.deadline is None
    # The citizen hears it, but there is nothing to rate yet
    citizen = _citizen(opinion)
    page = citizen.get(f"/track/{opinion.receipt_code}/")
    assert "已转交人大代表" in page.content.decode() and not page.context["can_rate"]
    # Months later the township tells them the suggestion's answer; that is what they rate
    result = "代表已提出建议，县交通运输局答复：明年将该路段纳入路灯改造计划。"
    assert staff.post(f"/opinions/{opinion.pk}/act/referral_answer/", {"text": result}).status_code == 302
    page = citizen.get(f"/track/{opinion.receipt_code}/")
    assert result in page.content.decode() and page.context["can_rate"]
    citizen.post(f"/track/{opinion.receipt_code}/", {"value": "satisfied"})
    assert Opinion.objects.get(pk=case.pk).outcome == "satisfied"


@pytest.mark.django_db
def test_a_referral_needs_deputies_of_the_place(client_as, case):
    staff = client_as("township")
    none = staff.post(f"/opinions/{case.pk}/act/refer/", {"text": "转代表"})
    assert none.status_code == 400 and "转交的代表" in none.content.decode()
    far = Deputy.objects.exclude(region__path__startswith=case.region.path[:6]).first()
    if far is not None:
        away = staff.post(f"/opinions/{case.pk}/act/refer/", {"deputies": [far.pk]})
        assert away.status_code == 400 and "不是本地在任代表" in away.content.decode()
    bogus = staff.post(f"/opinions/{case.pk}/act/refer/", {"deputies": ["abc"]})
    assert bogus.status_code == 400
    assert Opinion.objects.get(pk=case.pk).state == State.SUBMITTED


@pytest.mark.django_db
def test_a_deputy_sees_and_is_told_of_a_case_handed_to_them(client_as, scope_of, case):
    from renda.accounts.models import RoleAssignment

    deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    assert deputy.region.path.startswith(case.region.path[:6])
    services.opinion_refer(scope=scope_of("township"), opinion=case, deputies=[deputy])
    assert Notification.objects.filter(to_user__username="deputy", body__contains="转交您").exists()
    mine = client_as("deputy")
    assert mine.get(f"/opinions/{case.pk}/").status_code == 200
    assert case.receipt_code in mine.get("/opinions/?state=referred").content.decode()
