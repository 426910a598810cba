"""改派: the township moves a routed case to another unit, on the case page and through the API."""

import pytest

from renda.audit.models import AuditEvent
from renda.core.errors import ValidationFailed
from renda.notify.models import Notification
from renda.opinions import intake, services
from renda.opinions.models import Opinion, State
from renda.opinions.routing import unit_choices
from renda.org.models import HandlingUnit


@pytest.fixture
def routed(scope_of, liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(
        scope=scope_of("liaison"),
        data=intake.OpinionInput(
            text="村口路灯坏了一个月，晚上出行不方便。",
            region=village,
            category=lamp_category,
            source="reception",
            station=liaison_station,
            anonymous=True,
        ),
    )
    staff = scope_of("township")
    units = unit_choices(scope=staff, opinion=opinion)
    first = units.filter(roleassignment__user__username="clerk").first()
    other = units.exclude(pk=first.pk).first()
    services.opinion_route(scope=staff, opinion=opinion, unit=first, workdays=5)
    return Opinion.objects.get(pk=opinion.pk), first, other


@pytest.mark.django_db
def test_the_township_reassigns_a_routed_case_on_its_page(client_as, routed):
    # Given a case routed to the clerk's unit
    opinion, first, other = routed
    staff = client_as("township")
    page = staff.get(f"/opinions/{opinion.pk}/").content.decode()
    assert 'id="form-reassign"' in page and other.name in page  # the form, drawn from the input
    # When the township moves it to another unit
    response = staff.post(f"/opinions/{opinion.pk}/act/reassign/", {"unit": other.pk, "reason": "属于另一单位职责"})
    # Then it is routed there with a new deadline, both units are told, and the timeline says 改派
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.state == State.ROUTED and opinion.unit_id == other.pk
    told = Notification.objects.filter(target_id=str(opinion.pk), body__contains="改派")
    assert told.filter(to_user__username="clerk").exists()
    event = AuditEvent.objects.get(action="opinion.reassign", target_id=str(opinion.pk))
    assert event.reason == "属于另一单位职责" and event.after["unit"] == other.name
    assert "改派" in staff.get(f"/opinions/{opinion.pk}/").content.decode()
    # and the clerk's unit no longer sees it
    assert client_as("clerk").get(f"/opinions/{opinion.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit": "", "reason": "换单位"}, "承办单位为必填项"),
        ({"unit": "²", "reason": "换单位"}, "承办单位应为整数"),
        ({"unit": "999999", "reason": "换单位"}, "承办单位不存在"),
        ({"unit": "ELSEWHERE", "reason": "别的乡镇的单位"}, "不能承办本乡镇/街道的意见"),
        ({"reason": "没选单位"}, "承办单位为必填项"),
        ({"unit": "SAME", "reason": "同一单位"}, "请选择另一个承办单位"),
        ({"unit": "OTHER", "reason": ""}, "改派理由不能为空"),
        ({"unit": "OTHER", "reason": "长" * 501}, "改派理由不能超过 500 个字"),
        ({"unit": "OTHER", "reason": "期限太长", "workdays": "61"}, "办理期限应为 1 至 60 个工作日"),
    ],
)
def test_a_bad_reassignment_is_refused_in_chinese_and_changes_nothing(client_as, scope_of, routed, data, message):
    opinion, first, other = routed
    elsewhere = HandlingUnit.objects.exclude(pk__in=unit_choices(scope=scope_of("township"), opinion=opinion)).first()
    data = {k: {"SAME": first.pk, "OTHER": other.pk, "ELSEWHERE": elsewhere.pk}.get(v, v) for k, v in data.items()}
    response = client_as("township").post(f"/opinions/{opinion.pk}/act/reassign/", data)
    assert response.status_code == 400 and message in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.unit_id == first.pk
    assert not AuditEvent.objects.filter(action="opinion.reassign").exists()


@pytest.mark.django_db
def test_the_api_reassigns_and_a_unit_may_not(client_as, routed):
    opinion, first, other = routed
    assert client_as("clerk").post(f"/api/v1/opinions/{opinion.pk}/reassign", {"unit": other.pk, "reason": "x"},
                                   content_type="application/json").status_code == 403  # fmt: skip
    staff = client_as("township")
    detail = staff.get(f"/api/v1/opinions/{opinion.pk}").json()
    assert "reassign" in [a["name"] for a in detail["actions"]]
    answer = staff.post(
        f"/api/v1/opinions/{opinion.pk}/reassign",
        {"unit": other.pk, "reason": "属于另一单位职责", "workdays": 7},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["state"] == "routed"
    assert Opinion.objects.get(pk=opinion.pk).unit_id == other.pk
    again = staff.post(f"/api/v1/opinions/{opinion.pk}/reassign", {"unit": other.pk, "reason": "再改"},
                       content_type="application/json")  # fmt: skip
    assert again.status_code == 400 and again.json()["detail"] == "请选择另一个承办单位"


@pytest.mark.django_db
def test_the_service_itself_refuses_a_unit_of_another_township(scope_of, routed):
    opinion, first, other = routed
    staff = scope_of("township")
    elsewhere = (
        HandlingUnit.objects.exclude(pk__in=unit_choices(scope=staff, opinion=opinion))
        .exclude(region__path=opinion.region.path[:6])
        .first()
    )
    with pytest.raises(ValidationFailed, match="承办单位须是本乡镇/街道或其上级"):
        services.opinion_reassign(scope=staff, opinion=opinion, unit=elsewhere, reason="试试别处")
    assert Opinion.objects.get(pk=opinion.pk).unit_id == first.pk


@pytest.mark.django_db
def test_a_court_is_not_offered_and_the_service_refuses_it(scope_of, routed):
    """法院、检察院、监委 do not answer a citizen's complaint: not offered, and refused if sent."""
    opinion, first, other = routed
    staff = scope_of("township")
    offered = {u.kind for u in unit_choices(scope=staff, opinion=opinion)}
    assert not offered & {"court", "procuratorate", "supervision"}
    court = HandlingUnit.objects.get(region__path=opinion.region.path[:6], kind="court")
    with pytest.raises(ValidationFailed, match="不承办群众意见"):
        services.opinion_reassign(scope=staff, opinion=opinion, unit=court, reason="试试法院")
    assert Opinion.objects.get(pk=opinion.pk).unit_id == first.pk
