"""民意处理 through the API: the citizen endpoints (no account) and the staff endpoints.

Given data set up through the services, when a demo user (or nobody) calls the API, then the
JSON and the database say what happened — and a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from renda.accounts.models import RoleAssignment
from renda.api.tests.conftest import API, ApiClient
from renda.audit.models import AuditEvent
from renda.core.scoping import Scope
from renda.opinions import appointments, intake, policy, services
from renda.opinions.models import Answer, Appointment, Opinion, OpinionPhoto, RatingRecord, ReceptionSlot, State
from renda.opinions.tests.conftest import jpeg_bytes
from renda.opinions.tests.helpers import file_case as filed
from renda.org.models import Category, Deputy, HandlingUnit, Station
from renda.regions.models import Region, RegionLevel

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _fresh_counters(cache_cleared: None) -> None:
    """Rate-limit counters and idempotency keys live in the cache, which outlives each test."""


@pytest.fixture
def citizen() -> ApiClient:
    return ApiClient(Client())


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def opinion_body(station: Station, village: Region, category: Category, /, **overrides: Any) -> dict[str, Any]:
    return {
        "text": "村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
        "category": category.pk,
        "region": village.pk,
        "station": station.public_id,
        "citizen_name": "张三",
        "citizen_phone": PHONE,
        "consent": True,
        **overrides,
    }


def counts() -> tuple[int, int, int, int]:
    return (Opinion.objects.count(), AuditEvent.objects.count(), Answer.objects.count(), RatingRecord.objects.count())


def file_case(station: Station, village: Region, category: Category, **extra: Any) -> Opinion:
    data: dict[str, Any] = {"text": "路灯不亮需要维修一下。", "citizen_phone": PHONE, "consent": True} | extra
    return filed(station, village, category, **data)


# ---------------------------------------------------------------- the closed loop


def test_the_whole_loop_through_the_api(
    citizen: ApiClient,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    outbox: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # A citizen scans the station's code and leaves an opinion.
    with django_capture_on_commit_callbacks(execute=True):
        submitted = citizen.post("/public/opinions", opinion_body(liaison_station, village, lamp_category), **key())
    assert submitted.status_code == 201, submitted.content.decode()
    code = submitted.json()["receipt_code"]
    assert submitted.json()["state_label"] == "待分办"
    opinion = Opinion.objects.get(receipt_code=code)
    assert (opinion.source, opinion.station, opinion.citizen_phone) == ("qr", liaison_station, PHONE)
    assert any(m["to"] == PHONE and code in m["body"] for m in outbox)

    # Township staff find it in the queue and route it to the unit.
    staff = api_as("township")
    queue = staff.get("/opinions", {"state": "submitted", "q": code}).json()
    assert [i["receipt_code"] for i in queue["items"]] == [code]
    detail = staff.get(f"/opinions/{opinion.pk}").json()
    assert detail["citizen_phone"] == PHONE and detail["citizen_name"] == "张三"
    assert {"route", "answer", "refer", "merge"} <= {a["name"] for a in detail["actions"]}
    routed = staff.post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk, "workdays": 10, "note": "请尽快"})
    assert routed.status_code == 200, routed.content.decode()
    assert routed.json()["state"] == "routed" and routed.json()["unit"]["id"] == clerk_unit.pk
    assert dt.date.fromisoformat(routed.json()["deadline"]) > timezone.localdate()

    # The unit accepts and answers.
    clerk = api_as("clerk")
    assert [a["name"] for a in clerk.get(f"/opinions/{opinion.pk}").json()["actions"]] == [
        "accept",
        "return",
        "extend-request",
        "unit-answer",
    ]
    assert clerk.post(f"/opinions/{opinion.pk}/accept", {}).json()["state"] == "in_progress"
    assert clerk.post(f"/opinions/{opinion.pk}/progress", {"note": "已联系电工"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answered = clerk.post(f"/opinions/{opinion.pk}/unit-answer", {"text": "已安排电工更换灯具，预计三日内修复。"})
    assert answered.json()["state"] == "answered"
    assert any("已答复" in m["body"] for m in outbox if m["to"] == PHONE)

    # The citizen tracks it and is not satisfied: it goes back to the same unit.
    tracked = citizen.post("/public/opinions/track", {"receipt_code": code.lower(), "digits": "5678"}).json()
    assert tracked["can_rate"] is True and tracked["citizen"] == "张*"
    assert tracked["answers"][0]["text"] == "已安排电工更换灯具，预计三日内修复。"
    assert tracked["answers"][0]["unit"] == clerk_unit.name
    assert [s["label"] for s in tracked["steps"]] == [
        "已收到您的反映",
        "已交由承办单位办理",
        "承办单位已受理",
        "承办单位正在办理",
        "已答复",
    ]
    assert "已联系电工" not in json.dumps(tracked, ensure_ascii=False)  # staff notes stay inside
    rated = citizen.post(
        f"/public/opinions/{code}/rate", {"digits": "5678", "value": "unsatisfied", "comment": "三天过去了还是不亮"}
    )
    assert rated.status_code == 200, rated.content.decode()
    assert rated.json()["state"] == "in_progress" and rated.json()["can_rate"] is False
    opinion.refresh_from_db()
    assert opinion.reopen_count == 1 and opinion.unit == clerk_unit

    # Answered again; satisfied; closed.
    clerk.post(f"/opinions/{opinion.pk}/unit-answer", {"text": "已更换整条线路，路灯恢复正常。"})
    closed = citizen.post(f"/public/opinions/{code}/rate", {"digits": "5678", "value": "satisfied"})
    assert closed.json()["state"] == "closed" and closed.json()["outcome_label"] == "满意"
    assert [r["value_label"] for r in closed.json()["ratings"]] == ["不满意", "满意"]
    opinion.refresh_from_db()
    assert (opinion.state, opinion.outcome) == (State.CLOSED, "satisfied")
    timeline = [e["action"] for e in staff.get(f"/opinions/{opinion.pk}").json()["timeline"]]
    assert timeline == [
        "opinion.submit",
        "opinion.route",
        "opinion.accept",
        "opinion.progress",
        "opinion.answer",
        "opinion.reopen",
        "opinion.answer",
        "opinion.close",
    ]


def test_rating_twice_is_409_and_changes_nothing(
    citizen: ApiClient,
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    services.opinion_answer_directly(scope=scope_of("township"), opinion=opinion, text="已安排维修，三日内修好。")
    first = citizen.post(f"/public/opinions/{opinion.receipt_code}/rate", {"digits": "5678", "value": "basic"})
    before = counts()

    again = citizen.post(
        f"/public/opinions/{opinion.receipt_code}/rate",
        {"digits": "5678", "value": "unsatisfied", "comment": "改主意了"},
    )

    assert first.status_code == 200 and first.json()["state"] == "closed"
    assert again.status_code == 409
    assert "不能群众评价" in again.json()["detail"]
    assert counts() == before


def test_second_unsatisfied_escalates_and_the_presidium_answers(
    citizen: ApiClient,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category, citizen_phone="", consent=False, anonymous=True)
    staff = api_as("township")
    rate = f"/public/opinions/{opinion.receipt_code}/rate"

    staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已通知保洁公司每日清运。"})
    pin = policy.track_pin(opinion)  # anonymous: the code and its 查询密码
    citizen.post(rate, {"value": "unsatisfied", "comment": "没有变化", "digits": pin})
    staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已更换保洁公司并加派车辆。"})
    escalated = citizen.post(rate, {"value": "unsatisfied", "comment": "仍然不行", "digits": pin})
    wrong_door = staff.post(f"/opinions/{opinion.pk}/answer", {"text": "再答复一次试试看。"})
    answered = staff.post(f"/opinions/{opinion.pk}/escalated-answer", {"text": "主席团已督办，县环卫所接管清运。"})

    assert escalated.json()["state"] == "escalated"
    assert wrong_door.status_code == 409 and "已提级督办" in wrong_door.json()["detail"]
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    last = citizen.post(rate, {"value": "unsatisfied", "comment": "还是不满意", "digits": pin})
    assert last.json()["state"] == "closed"


# ---------------------------------------------------------------- citizen: bad input, replays, keys


@pytest.mark.parametrize(
    ("overrides", "status", "field", "words"),
    [
        ({"text": ""}, 400, "text", "反映内容不能为空"),
        ({"text": "   "}, 400, "text", "反映内容不能为空"),
        ({"text": "长" * 10_000}, 400, "text", "不能超过 2000 个字"),
        ({"text": "太短"}, 400, "text", "至少 5 个字"),
        ({"category": "路灯"}, 422, "category", "问题分类（category）应为整数"),
        ({"category": 99_999_999}, 400, "category", "分类不存在"),
        ({"region": "白鹭村"}, 422, "region", "应为整数"),
        ({"region": 99_999_999}, 400, "region", "请选择事情发生的村/社区"),
        ({"citizen_phone": "12345"}, 400, "citizen_phone", "手机格式不正确"),
        ({"citizen_phone": ""}, 400, "citizen_phone", "请填写手机号"),
        ({"consent": False}, 400, "consent", "请勾选同意"),
        ({"anonymous": True}, 400, "anonymous", "匿名反映时请不要填写姓名和电话"),
        ({"anonymous": "也许"}, 422, "anonymous", "应为 true 或 false"),
        ({"station": None}, 400, "station", "二选一"),
        ({"station": "nosuchstation"}, 404, "station", "联络站不存在"),
        ({"source": "api"}, 422, "source", "应为以下之一：qr、web"),
        ({"photos": ["x.jpg"]}, 422, "photos", "不是可接受的字段"),
    ],
)
def test_bad_submissions_get_a_chinese_error_and_change_nothing(
    citizen: ApiClient,
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    outbox: list[dict[str, Any]],
    overrides: dict[str, Any],
    status: int,
    field: str,
    words: str,
) -> None:
    before = counts()

    response = citizen.post(
        "/public/opinions", opinion_body(liaison_station, village, lamp_category, **overrides), **key()
    )

    assert response.status_code == status, response.content.decode()
    assert response.json()["field"] == field
    assert words in response.json()["detail"]
    assert counts() == before and outbox == []


def test_a_village_of_another_township_is_refused(
    citizen: ApiClient, liaison_station: Station, lamp_category: Category, other_township: Region
) -> None:
    elsewhere = Region.objects.filter(parent=other_township, level=RegionLevel.VILLAGE).first()
    assert elsewhere is not None
    before = counts()

    response = citizen.post("/public/opinions", opinion_body(liaison_station, elsewhere, lamp_category), **key())

    assert response.status_code == 400
    assert response.json()["field"] == "region" and "不属于该联络站" in response.json()["detail"]
    assert counts() == before


def test_a_missing_or_overlong_idempotency_key_is_refused_in_chinese(
    citizen: ApiClient, liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    body = opinion_body(liaison_station, village, lamp_category)
    before = counts()

    missing = citizen.post("/public/opinions", body)
    overlong = citizen.post("/public/opinions", body, **{"Idempotency-Key": "k" * 65})

    assert missing.status_code == overlong.status_code == 422
    assert missing.json()["field"] == "Idempotency-Key"
    assert missing.json()["detail"] == "“Idempotency-Key”为必填项"
    assert "不能超过 64 个字符" in overlong.json()["detail"]
    assert counts() == before


def test_a_replayed_submission_returns_the_first_case(
    citizen: ApiClient, liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    body = opinion_body(liaison_station, village, lamp_category)
    headers = key()

    first = citizen.post("/public/opinions", body, **headers)
    again = citizen.post("/public/opinions", body, **headers)
    before = counts()
    different = citizen.post("/public/opinions", {**body, "text": "完全不同的另一件事情需要反映一下。"}, **headers)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["receipt_code"] == first.json()["receipt_code"]
    assert again["Idempotent-Replayed"] == "true"
    assert Opinion.objects.filter(idempotency_key=headers["Idempotency-Key"]).count() == 1
    assert different.status_code == 409 and "内容不同" in different.json()["detail"]
    assert counts() == before


def test_public_posts_need_no_csrf_token_even_with_a_session(
    client_as: Callable[[str], Client], liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client_as("township").cookies  # a logged-in browser that calls the citizen API

    response = strict.post(
        f"{API}/public/opinions",
        json.dumps(opinion_body(liaison_station, village, lamp_category)),
        content_type="application/json",
        headers=key(),
    )

    assert response.status_code == 201, response.content.decode()
    assert Opinion.objects.get(receipt_code=response.json()["receipt_code"]).created_by is None


def test_submitting_by_deputy_code_files_it_at_the_deputys_station(
    citizen: ApiClient,
    user_named: Callable[[str], Any],
    village: Region,
    lamp_category: Category,
    liaison_station: Station,
) -> None:
    deputy = RoleAssignment.objects.get(user=user_named("deputy")).deputy
    assert deputy is not None
    body = opinion_body(liaison_station, village, lamp_category, station=None, deputy=deputy.public_id, source="web")

    response = citizen.post("/public/opinions", body, **key())

    assert response.status_code == 201, response.content.decode()
    opinion = Opinion.objects.get(receipt_code=response.json()["receipt_code"])
    assert (opinion.deputy, opinion.station, opinion.source) == (deputy, liaison_station, "web")


def test_photos_go_through_the_multipart_variant_without_exif(
    liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    form = opinion_body(liaison_station, village, lamp_category) | {"consent": "true", "anonymous": "false"}
    photo = SimpleUploadedFile("lamp.jpg", jpeg_bytes(exif=True), content_type="image/jpeg")

    response = Client().post(f"{API}/public/opinions/with-photos", {**form, "photos": [photo]}, headers=key())

    assert response.status_code == 201, response.content.decode()
    stored = OpinionPhoto.objects.get(opinion__receipt_code=response.json()["receipt_code"])
    assert b"SecretPhoneMaker" not in stored.image.read()


def test_a_file_that_is_not_an_image_is_refused(
    liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    form = opinion_body(liaison_station, village, lamp_category) | {"consent": "true", "anonymous": "false"}
    fake = SimpleUploadedFile("lamp.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    before = (counts(), OpinionPhoto.objects.count())

    response = Client().post(f"{API}/public/opinions/with-photos", {**form, "photos": [fake]}, headers=key())

    assert response.status_code == 400
    assert response.json()["field"] == "photos" and "不是有效的图片" in response.json()["detail"]
    assert (counts(), OpinionPhoto.objects.count()) == before


def test_submissions_are_rate_limited_per_ip_in_chinese(
    citizen: ApiClient, liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    for n in range(20):
        phone = f"139000000{n:02d}"
        response = citizen.post(
            "/public/opinions",
            opinion_body(liaison_station, village, lamp_category, citizen_phone=phone, text=f"第{n}件事：路灯不亮。"),
            **key(),
        )
        assert response.status_code == 201, response.content.decode()
    before = counts()

    limited = citizen.post("/public/opinions", opinion_body(liaison_station, village, lamp_category), **key())

    assert limited.status_code == 429
    assert limited.json()["detail"] == "提交过于频繁，请稍后再试"
    assert counts() == before


# ---------------------------------------------------------------- citizen: tracking


def test_tracking_needs_the_last_four_digits_or_the_anonymous_pin(
    citizen: ApiClient, liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    named = file_case(liaison_station, village, lamp_category)
    anonymous = file_case(liaison_station, village, lamp_category, citizen_phone="", consent=False, anonymous=True)

    wrong = citizen.post("/public/opinions/track", {"receipt_code": named.receipt_code, "digits": "0000"})
    none = citizen.post("/public/opinions/track", {"receipt_code": named.receipt_code})
    unknown = citizen.post("/public/opinions/track", {"receipt_code": "NOSUCH99", "digits": "5678"})
    right = citizen.post("/public/opinions/track", {"receipt_code": named.receipt_code, "digits": "5678"})
    code_alone = citizen.post("/public/opinions/track", {"receipt_code": anonymous.receipt_code})
    anon = citizen.post(
        "/public/opinions/track", {"receipt_code": anonymous.receipt_code, "digits": policy.track_pin(anonymous)}
    )

    for refused in (wrong, none, unknown, code_alone):
        assert refused.status_code == 400
        assert refused.json()["detail"] == policy.TRACK_FAILED
    assert right.status_code == anon.status_code == 200
    assert anon.json()["citizen"] == "匿名"
    assert PHONE not in right.content.decode() and "5678" not in right.content.decode()


def test_wrong_digits_cannot_rate(
    citizen: ApiClient,
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    services.opinion_answer_directly(scope=scope_of("township"), opinion=opinion, text="已安排维修，三日内修好。")
    before = counts()

    response = citizen.post(f"/public/opinions/{opinion.receipt_code}/rate", {"digits": "1111", "value": "satisfied"})
    no_reason = citizen.post(
        f"/public/opinions/{opinion.receipt_code}/rate", {"digits": "5678", "value": "unsatisfied"}
    )
    bad_value = citizen.post(f"/public/opinions/{opinion.receipt_code}/rate", {"digits": "5678", "value": "还行"})

    assert response.status_code == 400 and response.json()["detail"] == policy.TRACK_FAILED
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "comment"
    assert bad_value.status_code == 422 and "应为以下之一" in bad_value.json()["detail"]
    assert counts() == before


def test_tracking_is_rate_limited_per_ip(citizen: ApiClient) -> None:
    for _ in range(30):
        assert citizen.post("/public/opinions/track", {"receipt_code": "NOSUCH99", "digits": "1234"}).status_code == 400

    limited = citizen.post("/public/opinions/track", {"receipt_code": "NOSUCH99", "digits": "1234"})
    rating = citizen.post("/public/opinions/NOSUCH99/rate", {"digits": "1234", "value": "satisfied"})

    assert limited.status_code == rating.status_code == 429
    assert limited.json()["detail"] == "查询过于频繁，请一小时后再试"


def test_a_merged_case_is_tracked_through_the_case_it_joined(
    citizen: ApiClient,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    kept = file_case(liaison_station, village, lamp_category, citizen_phone="13800001111")
    duplicate = file_case(liaison_station, village, lamp_category)
    staff = api_as("township")

    wrong = staff.post(f"/opinions/{duplicate.pk}/merge", {"into": "NOSUCH99", "reason": "同一盏路灯"})
    merged = staff.post(f"/opinions/{duplicate.pk}/merge", {"into": kept.receipt_code.lower(), "reason": "同一盏路灯"})
    tracked = citizen.post("/public/opinions/track", {"receipt_code": duplicate.receipt_code, "digits": "5678"}).json()

    assert wrong.status_code == 400 and wrong.json()["field"] == "into"
    assert merged.status_code == 200 and merged.json()["state"] == "merged"
    assert tracked["merged_into"] == kept.title and tracked["state"] == "submitted"  # not the other's code
    assert "与同类问题合并办理" in [s["label"] for s in tracked["steps"]]
    assert staff.get(f"/opinions/{kept.pk}").json()["merged_cases"] == [duplicate.receipt_code]


# ---------------------------------------------------------------- citizen: profiles, slots, appointments


def test_public_profiles_show_hours_and_address_but_never_phones(
    citizen: ApiClient, liaison_station: Station, user_named: Callable[[str], Any], village: Region
) -> None:
    deputy = RoleAssignment.objects.get(user=user_named("deputy")).deputy
    assert deputy is not None
    Deputy.objects.filter(pk=deputy.pk).update(phone="13700009999")
    phones = ["13700009999", *liaison_station.officers.exclude(phone="").values_list("phone", flat=True)]

    station = citizen.get(f"/public/stations/{liaison_station.public_id}")
    person = citizen.get(f"/public/deputies/{deputy.public_id}")
    villages = citizen.get(f"/public/stations/{liaison_station.public_id}/villages").json()
    categories = citizen.get("/public/categories").json()
    missing = citizen.get("/public/stations/nosuchstation")

    assert station.status_code == person.status_code == 200
    assert station.json()["address"] == liaison_station.address
    assert station.json()["opening_hours"] == liaison_station.opening_hours
    assert deputy.public_id in [d["public_id"] for d in station.json()["deputies"]]
    assert person.json()["stations"][0]["public_id"] == liaison_station.public_id
    assert person.json()["levels"] and "phone" not in person.json()
    for response in (station, person):
        for phone in phones:
            assert phone not in response.content.decode()
        assert "****" not in response.content.decode()
    assert village.pk in [v["id"] for v in villages["items"]]
    assert villages["count"] == len(villages["items"]) > 1
    town = next(c for c in categories["items"] if c["name"] == "城乡建设")
    assert "路灯" in [c["name"] for c in town["children"]]
    assert missing.status_code == 404 and missing.json()["detail"] == "联络站不存在或已停用"


def test_booking_a_free_slot(
    citizen: ApiClient, scope_of: Callable[[str], Scope], liaison_station: Station, user_named: Callable[[str], Any]
) -> None:
    deputy = RoleAssignment.objects.get(user=user_named("deputy")).deputy
    assert deputy is not None
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    (slot,) = appointments.slot_create(
        scope=scope_of("township"), station=liaison_station, deputy=deputy, starts_at=start,
        ends_at=start + dt.timedelta(hours=2), capacity=2,
    )  # fmt: skip
    body = {"slot": slot.pk, "name": "李四", "phone": "13811112222", "topic": "想谈谈村里停车难的问题"}
    headers = key()

    listed = citizen.get(f"/public/stations/{liaison_station.public_id}/slots").json()
    by_deputy = citizen.get(f"/public/deputies/{deputy.public_id}/slots").json()
    booked = citizen.post("/public/appointments", body, **headers)
    replay = citizen.post("/public/appointments", body, **headers)
    other = citizen.post("/public/appointments", {**body, "phone": "13811113333"}, **headers)
    no_key = citizen.post("/public/appointments", body)
    twice = citizen.post("/public/appointments", body, **key())
    bad_slot = citizen.post("/public/appointments", {**body, "slot": 99_999_999}, **key())
    after = citizen.get(f"/public/stations/{liaison_station.public_id}/slots").json()

    assert [s["id"] for s in listed["items"]] == [slot.pk] and listed["items"][0]["free"] == 2
    assert by_deputy["items"][0]["deputy"]["name"] == deputy.name
    assert booked.status_code == 201, booked.content.decode()
    assert booked.json()["station"]["address"] == liaison_station.address
    assert (replay.status_code, replay.json()["code"]) == (200, booked.json()["code"])
    assert other.status_code == 409
    assert no_key.status_code == 422 and no_key.json()["field"] == "Idempotency-Key"
    assert twice.status_code == 409 and "已预约" in twice.json()["detail"]
    assert bad_slot.status_code == 400 and bad_slot.json()["field"] == "slot"
    assert Appointment.objects.filter(slot=slot).count() == 1
    assert ReceptionSlot.objects.get(pk=slot.pk).booked == 1
    assert after["items"][0]["free"] == 1
    assert "13811112222" not in booked.content.decode()


# ---------------------------------------------------------------- staff: scope, permissions, states


def test_another_townships_case_is_404_for_township_staff_and_changes_nothing(
    api_as: Callable[[str], ApiClient], lamp_category: Category, other_township: Region, clerk_unit: HandlingUnit
) -> None:
    elsewhere = Region.objects.filter(parent=other_township, level=RegionLevel.VILLAGE).first()
    assert elsewhere is not None
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(text="别的乡镇的问题反映。", region=elsewhere, category=lamp_category, anonymous=True)
    )
    staff = api_as("township")
    before = counts()

    responses = [
        staff.get(f"/opinions/{opinion.pk}"),
        staff.post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk, "workdays": 5}),
        staff.post(f"/opinions/{opinion.pk}/answer", {"text": "越界答复一下试试。"}),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json()["detail"] == "意见不存在或不在您的管辖范围内"
    assert opinion.receipt_code not in json.dumps(staff.get("/opinions", {"limit": 200}).json())
    assert counts() == before
    assert api_as("county").get(f"/opinions/{opinion.pk}").status_code == 200


def test_roles_without_the_permission_get_403_and_change_nothing(
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    before = counts()

    route = api_as("clerk").post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk})
    answer = api_as("liaison").post(f"/opinions/{opinion.pk}/answer", {"text": "联络员不能直接答复。"})
    accept = api_as("township").post(f"/opinions/{opinion.pk}/accept", {})
    enter = api_as("clerk").post(
        "/opinions",
        {"text": "承办单位不能录入意见。", "category": lamp_category.pk, "region": village.code, "source": "visit"},
    )

    for response in (route, answer, accept, enter):
        assert response.status_code == 403
        assert response.json()["detail"] == "您没有权限执行此操作"
    assert counts() == before


def test_a_case_in_the_wrong_state_is_409(
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    staff = api_as("township")
    staff.post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk})
    before = counts()

    answer = staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已经交办了还直接答复。"})
    route = staff.post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk})
    progress = api_as("clerk").post(f"/opinions/{opinion.pk}/progress", {"note": "还没受理就记录进展"})

    assert answer.status_code == route.status_code == progress.status_code == 409
    assert answer.json()["detail"] == "当前状态为“已交办待受理”，不能直接答复"
    assert counts() == before


def test_a_unit_returns_a_case_and_no_longer_sees_it(
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    clerk = api_as("clerk")
    assert clerk.get(f"/opinions/{opinion.pk}").status_code == 404  # not routed to it yet
    api_as("township").post(f"/opinions/{opinion.pk}/route", {"unit": clerk_unit.pk})

    empty = clerk.post(f"/opinions/{opinion.pk}/return", {"reason": " "})
    returned = clerk.post(f"/opinions/{opinion.pk}/return", {"reason": "属于供电所职责"})

    assert empty.status_code == 400 and "退回理由不能为空" in empty.json()["detail"]
    assert returned.status_code == 200 and returned.json()["state"] == "submitted" and returned.json()["unit"] is None
    assert clerk.get(f"/opinions/{opinion.pk}").status_code == 404


@pytest.mark.parametrize(
    ("username", "sees_person"), [("township", True), ("liaison", False), ("deputy", False), ("clerk", True)]
)
def test_citizen_details_are_masked_unless_handling_the_case(
    api_as: Callable[[str], ApiClient],
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    username: str,
    sees_person: bool,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category, citizen_name="王小明", citizen_phone="13912340000")
    services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=clerk_unit)

    detail = api_as(username).get(f"/opinions/{opinion.pk}")

    assert detail.status_code == 200, detail.content.decode()
    shown = (detail.json()["citizen_name"], detail.json()["citizen_phone"])
    assert shown == (("王小明", "13912340000") if sees_person else ("王**", "139****0000"))


def test_route_refuses_a_unit_of_another_township(
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    other_township: Region,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    foreign = HandlingUnit.objects.filter(region=other_township).first()
    assert foreign is not None
    staff = api_as("township")
    before = counts()

    response = staff.post(f"/opinions/{opinion.pk}/route", {"unit": foreign.pk})
    bad_days = staff.post(f"/opinions/{opinion.pk}/route", {"unit": liaison_station.pk, "workdays": "十"})

    assert response.status_code == 400 and response.json()["field"] == "unit"
    assert bad_days.status_code == 422 and bad_days.json()["field"] == "workdays"
    assert counts() == before


def test_a_retried_action_with_the_same_key_returns_the_first_answer(
    api_as: Callable[[str], ApiClient], liaison_station: Station, village: Region, lamp_category: Category
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    staff = api_as("township")
    headers = key()

    first = staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已安排维修，三日内修好。"}, **headers)
    retry = staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已安排维修，三日内修好。"}, **headers)
    without_key = staff.post(f"/opinions/{opinion.pk}/answer", {"text": "已安排维修，三日内修好。"})

    assert first.status_code == retry.status_code == 200
    assert retry.content == first.content and retry["Idempotent-Replayed"] == "true"
    assert without_key.status_code == 409
    assert Answer.objects.filter(opinion=opinion).count() == 1


# ---------------------------------------------------------------- staff: offline entry


def test_a_liaison_enters_an_offline_opinion_for_their_station(
    api_as: Callable[[str], ApiClient],
    user_named: Callable[[str], Any],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    liaison = api_as("liaison")
    body = {
        "text": "接待日群众反映：村口桥面有裂缝。",
        "category": lamp_category.pk,
        "region": village.code,
        "source": "reception",
        "citizen_name": "赵六",
        "citizen_phone": "13655556666",
    }
    headers = key()

    created = liaison.post("/opinions", body, **headers)
    replay = liaison.post("/opinions", body, **headers)
    wrong_source = liaison.post("/opinions", {**body, "source": "qr"})

    assert created.status_code == 201, created.content.decode()
    opinion = Opinion.objects.get(pk=created.json()["id"])
    assert (opinion.source, opinion.station, opinion.created_by) == (
        "reception",
        liaison_station,
        user_named("liaison"),
    )
    assert opinion.consent and not opinion.anonymous
    assert created.json()["citizen_phone"] == "136****6666"  # liaisons do not hold personal data
    assert replay.content == created.content
    assert Opinion.objects.filter(text=body["text"]).count() == 1
    assert wrong_source.status_code == 422 and wrong_source.json()["field"] == "source"


def test_offline_entry_without_a_phone_is_anonymous_and_outside_scope_is_404(
    api_as: Callable[[str], ApiClient],
    user_named: Callable[[str], Any],
    village: Region,
    lamp_category: Category,
    other_township: Region,
) -> None:
    deputy = api_as("deputy")
    body = {
        "text": "走访时听到的：希望增加一班公交车。",
        "category": lamp_category.pk,
        "region": village.code,
        "source": "visit",
    }

    created = deputy.post("/opinions", body)
    outside = deputy.post("/opinions", {**body, "region": other_township.code})

    assert created.status_code == 201, created.content.decode()
    opinion = Opinion.objects.get(pk=created.json()["id"])
    assert opinion.anonymous and opinion.deputy == RoleAssignment.objects.get(user=user_named("deputy")).deputy
    assert outside.status_code == 404 and outside.json()["field"] == "region"


# ---------------------------------------------------------------- staff: the queue


def test_queue_filters(
    api_as: Callable[[str], ApiClient],
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> None:
    waiting = file_case(liaison_station, village, lamp_category)
    routed = file_case(liaison_station, village, lamp_category, text="另一件事：排水沟堵塞。")
    services.opinion_route(scope=scope_of("township"), opinion=routed, unit=clerk_unit)
    Opinion.objects.filter(pk=waiting.pk).update(is_overdue=True)
    staff = api_as("township")

    def codes(**params: Any) -> list[str]:
        response = staff.get("/opinions", {"limit": 200, **params})
        assert response.status_code == 200, response.content.decode()
        return [i["receipt_code"] for i in response.json()["items"]]

    assert codes()[0] == waiting.receipt_code  # overdue first
    assert routed.receipt_code in codes(state="routed") and waiting.receipt_code not in codes(state="routed")
    assert codes(queue="overdue") == [waiting.receipt_code]
    assert {waiting.receipt_code, routed.receipt_code} <= set(codes(queue="open"))
    assert codes(q=routed.receipt_code) == [routed.receipt_code]
    assert codes(q="排水沟") == [routed.receipt_code]
    assert {waiting.receipt_code, routed.receipt_code} <= set(codes(category=lamp_category.parent_id))
    assert routed.receipt_code in codes(unit=clerk_unit.pk) and waiting.receipt_code not in codes(unit=clerk_unit.pk)
    assert waiting.receipt_code in codes(region=village.code, source="qr")
    bad_state = staff.get("/opinions", {"state": "lost"})
    foreign = api_as("township").get("/opinions", {"region": "330000000000"})
    assert bad_state.status_code == 422 and "应为以下之一" in bad_state.json()["detail"]
    assert foreign.status_code == 404 and foreign.json()["field"] == "region"


# ---------------------------------------------------------------- query counts


HOME = "<the township user's township>"


def _queries(client: ApiClient, path: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content.decode()
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("username", "params", "ceiling"), [
    ("township", {}, 5),
    ("county", {"queue": "open"}, 5),
    ("township", {"q": "路灯"}, 5),
    ("liaison", {}, 5),
    ("deputy", {}, 6),  # + the deputy's stations, a subquery resolved by the selector
    ("county", {"region": HOME}, 7),  # + the region by code, read again by the selector
])  # fmt: skip
def test_opinion_list_query_count_is_flat(
    api_as: Callable[[str], ApiClient],
    scope_of: Callable[[str], Scope],
    django_assert_max_num_queries: Any,
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    home_township: Region,
    username: str,
    params: dict[str, Any],
    ceiling: int,
) -> None:
    for n in range(6):
        opinion = file_case(
            liaison_station,
            village,
            lamp_category,
            text=f"第{n}件：路灯不亮，需要维修。",
            citizen_phone=f"1391234000{n}",
        )
        if n % 2:
            services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=clerk_unit)
    if params.get("region") == HOME:
        params = {**params, "region": home_township.code}
    client = api_as(username)
    _queries(client, "/opinions", params)  # warm anything cached per process

    few = _queries(client, "/opinions", {**params, "limit": 2})
    with django_assert_max_num_queries(ceiling):
        many = client.get("/opinions", {**params, "limit": 200})

    assert many.json()["count"] > 2
    assert _queries(client, "/opinions", {**params, "limit": 200}) == few


def test_opinion_detail_query_count(
    api_as: Callable[[str], ApiClient],
    scope_of: Callable[[str], Scope],
    django_assert_max_num_queries: Any,
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
) -> None:
    opinion = file_case(liaison_station, village, lamp_category)
    services.opinion_answer_directly(scope=scope_of("township"), opinion=opinion, text="已安排维修，三日内修好。")
    client = api_as("township")
    client.get(f"/opinions/{opinion.pk}")

    # session, user, roles; the case; photos, answers, ratings, followers, referred deputies,
    # extensions, merged cases; timeline
    with django_assert_max_num_queries(12):
        response = client.get(f"/opinions/{opinion.pk}")

    assert response.status_code == 200


def test_public_reads_cost_a_fixed_number_of_queries(
    citizen: ApiClient, django_assert_max_num_queries: Any, liaison_station: Station
) -> None:
    with django_assert_max_num_queries(4):
        citizen.get("/public/categories")
    with django_assert_max_num_queries(3):
        citizen.get(f"/public/stations/{liaison_station.public_id}/villages")
    with django_assert_max_num_queries(8):
        citizen.get(f"/public/stations/{liaison_station.public_id}")


def test_openapi_documents_the_opinion_endpoints_and_which_need_no_login() -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    paths = schema["paths"]

    # The citizen endpoints of this scene (other scenes add public endpoints of their own).
    public = [
        f"{API}/public/{p}"
        for p in (
            "stations/{public_id}",
            "deputies/{public_id}",
            "categories",
            "stations/{public_id}/villages",
            "stations/{public_id}/slots",
            "deputies/{public_id}/slots",
            "opinions",
            "opinions/with-photos",
            "opinions/track",
            "opinions/{receipt_code}/rate",
            "appointments",
        )
    ]
    assert set(public) <= set(paths)
    for path in public:
        for operation in paths[path].values():
            assert not operation.get("security"), path
    assert not paths[f"{API}/integrations/governance/events"]["post"].get("security")
    assert "requestBody" in paths[f"{API}/integrations/governance/events"]["post"]
    assert paths[f"{API}/opinions/{{opinion_id}}/route"]["post"]["security"]
    submit = paths[f"{API}/public/opinions"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in submit["parameters"])
