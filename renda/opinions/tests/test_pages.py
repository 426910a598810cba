import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from renda.audit.models import AuditEvent
from renda.notify.models import Notification
from renda.opinions import appointments, intake, services
from renda.opinions.models import Opinion
from renda.opinions.tests.helpers import file_case


@pytest.fixture
def case(liaison_station, village, lamp_category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the commit, then the after-submit worker (eager)
        return file_case(
            liaison_station,
            village,
            lamp_category,
            text="村口路灯不亮，晚上很黑。",
            citizen_name="李四",
            citizen_phone="13700001111",
            consent=True,
        )


@pytest.mark.django_db
def test_export_masks_for_liaisons_and_is_audited(client_as, case):
    response = client_as("liaison").get("/opinions/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r[0] == case.receipt_code]
    assert rows and rows[0][9] == "137****1111" and rows[0][8] == "李*"
    staff = load_workbook(io.BytesIO(client_as("township").get("/opinions/export.xlsx").content)).active
    assert any(r[9] == "13700001111" for r in staff.iter_rows(values_only=True))
    events = AuditEvent.objects.filter(action="opinion.export").order_by("seq")
    assert [e.after["personal_data"] for e in events] == [False, True]


@pytest.mark.django_db
def test_an_export_with_personal_data_carries_its_exporters_mark(client_as, case):
    """Watermarked with the exporter, the time and an export number that the audit event keeps:
    a file found outside leads back to who took it out (issue #12)."""
    book = load_workbook(io.BytesIO(client_as("township").get("/opinions/export.xlsx").content))
    event = AuditEvent.objects.filter(action="opinion.export").latest("seq")
    export_id = event.after["export_id"]
    header = book.active.oddHeader.center.text
    assert "township" in header and f"导出编号 {export_id}" in header and "含个人信息" in header
    assert export_id in book.properties.description and book.properties.identifier == export_id
    again = load_workbook(io.BytesIO(client_as("township").get("/opinions/export.xlsx").content))
    assert again.properties.identifier != export_id  # one number per export


@pytest.mark.django_db
def test_staff_are_told_in_their_inbox(client_as, case):
    assert Notification.objects.filter(to_user__username="township", target_id=str(case.pk)).exists()
    page = client_as("township").get("/messages/").content.decode()
    assert "新意见待分办" in page
    client_as("township").post("/messages/read/")
    assert not Notification.objects.filter(to_user__username="township", read_at__isnull=True).exists()


@pytest.mark.django_db
def test_offline_entry_keeps_source_and_village_for_the_next_one(client_as, village, lamp_category, liaison_station):
    client = client_as("liaison")
    data = {
        "source": "reception",
        "region": village.pk,
        "category": lamp_category.pk,
        "station": liaison_station.pk,
        "text": "接待日群众反映：村道坑洼需要修补。",
        "citizen_name": "",
        "citizen_phone": "",
        "idempotency_key": "e1",
    }
    assert client.post("/opinions/new/", data).status_code == 302
    form = client.get("/opinions/new/").context["form"]
    assert form.initial["source"] == "reception" and form.initial["region"] == village.pk
    created = Opinion.objects.get(idempotency_key="e1")
    assert created.source == "reception" and created.anonymous and created.created_by.username == "liaison"
    bad = client.post("/opinions/new/", data | {"text": "", "idempotency_key": "e2"})
    assert bad.status_code == 200 and "此项不能为空" in bad.content.decode()
    assert not Opinion.objects.filter(idempotency_key="e2").exists()


@pytest.mark.django_db
def test_queue_lists_overdue_first_without_n_plus_one(client_as, case, django_assert_max_num_queries):
    client = client_as("township")
    with django_assert_max_num_queries(16):
        response = client.get("/opinions/")
    assert case.receipt_code in response.content.decode()


@pytest.mark.django_db
def test_booking_a_slot_confirms_by_sms_and_refuses_overbooking(
    client_as, scope_of, liaison_station, outbox, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    start = timezone.now() + dt.timedelta(days=3)
    (slot,) = appointments.slot_create(
        scope=scope_of("liaison"),
        station=liaison_station,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=1,
    )
    citizen = Client()
    page = citizen.get(f"/s/{liaison_station.public_id}/book/")
    assert slot in page.context["slots"]
    data = {
        "slot": slot.pk,
        "name": "赵六",
        "phone": "13600002222",
        "topic": "想谈谈村里修路的事",
        "idempotency_key": "b1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert citizen.post(f"/s/{liaison_station.public_id}/book/", data).status_code == 302
    assert citizen.post(f"/s/{liaison_station.public_id}/book/", data).status_code == 302  # replay: same booking
    slot.refresh_from_db()
    assert slot.booked == 1
    full = Client().post(
        f"/s/{liaison_station.public_id}/book/", data | {"phone": "13600003333", "idempotency_key": "b2"}
    )
    assert full.status_code == 400 and "该时段已约满" in full.content.decode()
    sms = [m for m in outbox if m["to"] == "13600002222"]
    assert len(sms) == 1 and "预约成功" in sms[0]["body"]


@pytest.mark.django_db
def test_the_queue_lists_open_cases_before_finished_ones(
    client_as, scope_of, case, liaison_station, village, lamp_category
):
    done, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="另一件已经办结的事情。",
            region=village,
            category=lamp_category,
            anonymous=True,
            station=liaison_station,
        )
    )
    services.opinion_answer_directly(scope=scope_of("township"), opinion=done, text="已经处理完毕了。")
    services.opinion_rate(opinion=done, value="satisfied")
    codes = [o.receipt_code for o in client_as("township").get("/opinions/").context["page"]]
    assert codes.index(case.receipt_code) < codes.index(done.receipt_code)


@pytest.mark.django_db
def test_a_reception_slot_is_named_in_beijing_time(liaison_station):
    """The audit label of a booking said 01:00 for a 09:00 reception (UTC)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from renda.opinions.models import ReceptionSlot

    start = dt.datetime(2026, 12, 8, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    slot = ReceptionSlot(
        station=liaison_station, starts_at=start.astimezone(dt.UTC), ends_at=start + dt.timedelta(hours=2)
    )
    assert str(slot).endswith("2026-12-08 09:00")


@pytest.mark.django_db
def test_offline_entry_records_who_received_the_citizen_when_and_their_photos(
    client_as, village, lamp_category, liaison_station
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from renda.opinions.tests.conftest import jpeg_bytes

    client = client_as("liaison")
    form = client.get("/opinions/new/").context["form"]
    deputies = [(v, label) for v, label in form.fields["receiver"].choices if v]
    assert deputies, "the station's deputies are offered as receivers"
    value, label = deputies[0]
    day = timezone.localdate() - dt.timedelta(days=2)
    data = {
        "source": "reception",
        "region": village.pk,
        "category": lamp_category.pk,
        "station": liaison_station.pk,
        "text": "接待日群众反映：村口路灯不亮已经一周。",
        "receiver": value,
        "received_on": day.isoformat(),
        "idempotency_key": "r1",
        "photos": [
            SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg"),
            SimpleUploadedFile("b.jpg", jpeg_bytes(), content_type="image/jpeg"),
        ],
    }
    assert client.post("/opinions/new/", data).status_code == 302
    created = Opinion.objects.get(idempotency_key="r1")
    assert created.received_by == label and created.received_on == day
    assert created.deputy_id == int(value) and created.photos.count() == 2
    page = client_as("township").get(f"/opinions/{created.pk}/").content.decode()
    assert label in page and f"{day:%Y-%m-%d}" in page
    # a date in the future, or a photo that is not one, is refused and nothing is stored
    future = timezone.localdate() + dt.timedelta(days=1)
    bad = client.post("/opinions/new/", data | {"received_on": future.isoformat(), "idempotency_key": "r2"})
    assert bad.status_code == 200 and "接待日期" in bad.content.decode()
    fake = SimpleUploadedFile("c.jpg", b"not a photo", content_type="image/jpeg")
    bad = client.post("/opinions/new/", data | {"photos": [fake], "idempotency_key": "r3"})
    assert bad.status_code == 200 and not Opinion.objects.filter(idempotency_key__in=["r2", "r3"]).exists()


@pytest.mark.django_db
def test_a_liaison_sees_a_bookers_full_phone_on_asking_and_the_look_is_audited(client_as, scope_of, liaison_station):
    from django.utils import timezone

    start = timezone.now() + dt.timedelta(days=2)
    (slot,) = appointments.slot_create(
        scope=scope_of("liaison"), station=liaison_station, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    booked, _ = appointments.appointment_book(slot=slot, name="赵六", phone="13600002222", topic="想谈谈修路的事")
    liaison = client_as("liaison")
    page = liaison.get("/opinions/slots/").content.decode()
    assert "13600002222" not in page and f'id="reveal-{booked.pk}"' in page
    response = liaison.post(f"/opinions/appointments/{booked.pk}/phone/")
    assert response.status_code == 302
    page = liaison.get("/opinions/slots/").content.decode()
    assert 'href="tel:13600002222"' in page
    event = AuditEvent.objects.get(action="appointment.reveal_phone", target_id=str(booked.pk))
    assert event.actor_label and "13600002222" not in str(event.after)
    # Another station's liaison, or a deputy, cannot
    assert client_as("clerk").post(f"/opinions/appointments/{booked.pk}/phone/").status_code in (403, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["liaison", "deputy", "township"])
def test_the_entry_page_opens_for_every_role_that_enters(client_as, username):
    page = client_as(username).get("/opinions/new/")
    assert page.status_code == 200 and page.context["form"].fields["receiver"].choices[0][0] == ""


@pytest.mark.django_db
def test_the_opinion_export_has_real_dates_a_frozen_filtered_header_and_a_chinese_name(cache_cleared, client_as, case):
    response = client_as("township").get("/opinions/export.xlsx")
    assert "filename*=UTF-8''%E6%84%8F%E8%A7%81%E5%BB%BA%E8%AE%AE%E6%B8%85%E5%8D%95" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == case.receipt_code)
    assert isinstance(row[1].value, dt.datetime) and row[1].number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(row[12].value, dt.datetime | dt.date)  # 答复期限


@pytest.mark.django_db
def test_the_category_select_is_grouped_by_first_level(client_as):
    html = client_as("liaison").get("/opinions/new/").content.decode()
    select = html[html.index('name="category"') : html.index("</select>", html.index('name="category"'))]
    assert '<optgroup label="城乡建设">' in select and '<optgroup label="水电气与通信">' in select
    assert (
        select.index('<optgroup label="城乡建设">')
        < select.index(">路灯<")
        < select.index('<optgroup label="交通运输">')
    )
