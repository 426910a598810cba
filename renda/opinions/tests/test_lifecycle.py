"""The closed loop, driven through the same pages the people use."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.opinions import intake, services
from renda.opinions.models import Opinion, OpinionPhoto, State
from renda.opinions.tests.conftest import jpeg_bytes
from renda.org.models import HandlingUnit


def submit(client, station, village, cat, **extra):
    data = {
        "text": "村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
        "category": cat.pk,
        "region": village.pk,
        "citizen_name": "张三",
        "citizen_phone": "13912345678",
        "consent": "on",
        "idempotency_key": "k-" + str(extra.pop("key", "1")),
    } | extra
    return client.post(f"/s/{station.public_id}/opinion/", data)


@pytest.mark.django_db
def test_the_whole_closed_loop(
    client_as, liaison_station, village, lamp_category, outbox, django_capture_on_commit_callbacks
):
    citizen = Client()
    page = citizen.get(f"/s/{liaison_station.public_id}/")
    assert "反映意见建议" in page.content.decode()
    photo = SimpleUploadedFile("lamp.jpg", jpeg_bytes(exif=True), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(citizen, liaison_station, village, lamp_category, photos=photo)
    assert response.status_code == 302
    opinion = Opinion.objects.get(idempotency_key="k-1")
    assert opinion.state == State.SUBMITTED and opinion.source == "qr"
    stored = OpinionPhoto.objects.get(opinion=opinion).image.read()
    assert b"SecretPhoneMaker" not in stored  # EXIF stripped
    assert any(m["to"] == "13912345678" and opinion.receipt_code in m["body"] for m in outbox)

    # Township staff route it; the unit is pre-selected from the routing rules.
    staff = client_as("township")
    detail = staff.get(f"/opinions/{opinion.pk}/")
    clerk_unit = HandlingUnit.objects.get(pk=detail.context["suggested_unit_id"])
    assert clerk_unit.name.endswith("规划建设办")
    assert "13912345678" in detail.content.decode()  # staff handling the case see the phone
    assert staff.post(f"/opinions/{opinion.pk}/act/route/", {"unit": clerk_unit.pk, "workdays": 10}).status_code == 302
    opinion.refresh_from_db()
    assert opinion.state == State.ROUTED and opinion.deadline > timezone.localdate()

    clerk = client_as("clerk")
    assert clerk.post(f"/opinions/{opinion.pk}/act/accept/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(f"/opinions/{opinion.pk}/act/unit_answer/", {"text": "已安排电工更换灯具，预计三日内修复。"})
    opinion.refresh_from_db()
    assert opinion.state == State.ANSWERED
    assert any("已答复" in m["body"] for m in outbox if m["to"] == "13912345678")

    # The citizen tracks it with the code + last four digits and is not satisfied.
    track = citizen.post("/track/", {"code": opinion.receipt_code, "digits": "5678"})
    assert track.status_code == 302
    page = citizen.get(f"/track/{opinion.receipt_code}/").content.decode()
    assert "已安排电工" in page and "请对答复进行评价" in page
    citizen.post(f"/track/{opinion.receipt_code}/", {"value": "unsatisfied", "comment": "三天过去了还是不亮"})
    opinion.refresh_from_db()
    assert opinion.state == State.IN_PROGRESS and opinion.reopen_count == 1 and opinion.unit == clerk_unit

    clerk.post(f"/opinions/{opinion.pk}/act/unit_answer/", {"text": "已更换整条线路，路灯恢复正常。"})
    citizen.post(f"/track/{opinion.receipt_code}/", {"value": "satisfied", "comment": ""})
    opinion.refresh_from_db()
    assert opinion.state == State.CLOSED and opinion.outcome == "satisfied"
    actions = list(
        AuditEvent.objects.filter(target_type="opinions.opinion", target_id=str(opinion.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "opinion.submit",
        "opinion.route",
        "opinion.accept",
        "opinion.answer",
        "opinion.reopen",
        "opinion.answer",
        "opinion.close",
    ]


@pytest.mark.django_db
def test_second_unsatisfied_escalates_and_the_presidium_answers(scope_of, liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="垃圾清运不及时，夏天臭气熏天。",
            region=village,
            category=lamp_category,
            citizen_phone="13800001234",
            consent=True,
            station=liaison_station,
        )
    )
    staff = scope_of("township")
    services.opinion_answer_directly(scope=staff, opinion=opinion, text="已通知保洁公司每日清运。")
    services.opinion_rate(opinion=opinion, value="unsatisfied", comment="没有变化")
    opinion.refresh_from_db()
    assert opinion.state == State.SUBMITTED  # no unit: back to the township
    services.opinion_answer_directly(scope=staff, opinion=opinion, text="已更换保洁公司并加派车辆。")
    services.opinion_rate(opinion=opinion, value="unsatisfied", comment="仍然不行")
    opinion.refresh_from_db()
    assert opinion.state == State.ESCALATED
    services.opinion_escalated_answer(scope=staff, opinion=opinion, text="主席团已督办，县环卫所接管清运。")
    services.opinion_rate(opinion=opinion, value="unsatisfied", comment="还是不满意")
    opinion.refresh_from_db()
    assert opinion.state == State.CLOSED and opinion.outcome == "unsatisfied"


@pytest.mark.django_db
def test_unrated_answers_close_apart_and_overdue_cases_are_marked(scope_of, liaison_station, village, lamp_category):
    staff = scope_of("township")
    answered, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="希望增加一班公交车。", region=village, category=lamp_category, anonymous=True, station=liaison_station
        )
    )
    services.opinion_answer_directly(scope=staff, opinion=answered, text="已向交通局反映，将调整班次。")
    waiting, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="桥面有裂缝，存在安全隐患。",
            region=village,
            category=lamp_category,
            anonymous=True,
            station=liaison_station,
        )
    )
    later = timezone.localdate() + dt.timedelta(days=40)
    report = services.opinions_sweep(on=later)
    answered.refresh_from_db()
    waiting.refresh_from_db()
    assert answered.state == State.CLOSED and answered.outcome == "unrated"
    assert waiting.is_overdue and waiting.state == State.SUBMITTED
    assert report.closed_unrated >= 1 and report.overdue >= 1
    assert services.opinions_sweep(on=later).overdue == 0  # marked once


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": ""}, "反映内容不能为空"),
        ({"text": "长" * 10000}, "不能超过 2000 个字"),
        (
            {"photos": SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")},
            "不是有效的图片",
        ),
        ({"citizen_phone": "12"}, "手机格式不正确"),
        ({"consent": ""}, "请勾选同意"),
        ({"category": ""}, "请选择问题分类"),
        ({"region": "abc"}, "请选择事情发生的村/社区"),
    ],
)
def test_bad_input_gets_a_chinese_error_and_changes_nothing(liaison_station, village, lamp_category, changes, message):
    before = (Opinion.objects.count(), AuditEvent.objects.count(), OpinionPhoto.objects.count())
    response = submit(Client(), liaison_station, village, lamp_category, key="bad", **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Opinion.objects.count(), AuditEvent.objects.count(), OpinionPhoto.objects.count()) == before


@pytest.mark.django_db
def test_a_replayed_submission_does_not_create_a_second_case(liaison_station, village, lamp_category):
    citizen = Client()
    first = submit(citizen, liaison_station, village, lamp_category, key="replay")
    second = submit(citizen, liaison_station, village, lamp_category, key="replay")
    assert first["Location"] == second["Location"]
    assert Opinion.objects.filter(idempotency_key="k-replay").count() == 1
    different = submit(
        citizen, liaison_station, village, lamp_category, key="replay", text="完全不同的另一件事情需要反映"
    )
    assert different.status_code == 409 and "内容不同" in different.content.decode()


@pytest.mark.django_db
def test_another_townships_case_is_not_found_for_staff_and_units(client_as, scope_of, lamp_category):
    from renda.regions.models import Region

    elsewhere = Region.objects.filter(level=5).exclude(path__startswith=scope_of("township").roots[0]).first()
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(text="别的乡镇的问题反映。", region=elsewhere, category=lamp_category, anonymous=True)
    )
    for user in ["township", "clerk", "liaison", "deputy"]:
        assert client_as(user).get(f"/opinions/{opinion.pk}/").status_code == 404
        assert client_as(user).post(f"/opinions/{opinion.pk}/act/route/", {"unit": 1, "workdays": 5}).status_code in (
            403,
            404,
        )
    opinion.refresh_from_db()
    assert opinion.state == State.SUBMITTED
    assert client_as("county").get(f"/opinions/{opinion.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_unit_only_sees_what_was_routed_to_it(client_as, scope_of, liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="路灯不亮需要维修一下。",
            region=village,
            category=lamp_category,
            anonymous=True,
            station=liaison_station,
        )
    )
    clerk = client_as("clerk")
    assert clerk.get(f"/opinions/{opinion.pk}/").status_code == 404
    assert opinion.receipt_code not in clerk.get("/opinions/").content.decode()


@pytest.mark.django_db
def test_names_and_phones_are_masked_for_those_not_handling_the_case(
    client_as, liaison_station, village, lamp_category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the commit, then the after-submit worker (eager)
        opinion, _ = intake.opinion_submit(
            data=intake.OpinionInput(
                text="路灯不亮需要维修一下。",
                region=village,
                category=lamp_category,
                citizen_name="王小明",
                citizen_phone="13912340000",
                consent=True,
                station=liaison_station,
            )
        )
    page = client_as("liaison").get(f"/opinions/{opinion.pk}/").content.decode()
    assert "139****0000" in page and "13912340000" not in page and "王小明" not in page
    event = AuditEvent.objects.get(action="opinion.submit", target_id=str(opinion.pk))
    assert "13912340000" not in str(event.after) and "王小明" not in str(event.after)
