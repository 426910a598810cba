"""A citizen cancels their reception booking online (issue #13): with the booking code and the
phone's last four digits, the place is freed, the station's liaison is told, it is audited; a
wrong code or wrong digits cancel nothing and count against the address's limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.scoping import system_scope
from renda.notify.models import Notification
from renda.opinions import appointments
from renda.opinions.models import Appointment, AppointmentState, ReceptionSlot

pytestmark = pytest.mark.django_db

PHONE = "13855556666"
IP = "198.51.100.44"


@pytest.fixture
def booking(liaison_station, cache_cleared):  # type: ignore[no-untyped-def]
    start = timezone.now() + dt.timedelta(days=3)
    (slot,) = appointments.slot_create(
        scope=system_scope("测试"), station=liaison_station, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    appointment, _ = appointments.appointment_book(slot=slot, name="周丽", phone=PHONE, topic="想谈谈村里路灯")
    return appointment


def test_the_citizen_cancels_with_code_and_last_digits(booking):
    client = Client(REMOTE_ADDR=IP)
    form = client.get(f"/booking/cancel/?code={booking.code}").content.decode()
    assert f'value="{booking.code}"' in form
    wrong = client.post("/booking/cancel/", {"code": booking.code, "digits": "0000"})
    assert wrong.status_code == 400 and "预约码或手机号后四位不正确" in wrong.content.decode()
    assert Appointment.objects.get(pk=booking.pk).state == AppointmentState.BOOKED
    done = client.post("/booking/cancel/", {"code": booking.code.lower(), "digits": PHONE[-4:]})
    assert done.status_code == 200 and 'id="cancelled"' in done.content.decode()
    assert Appointment.objects.get(pk=booking.pk).state == AppointmentState.CANCELLED
    assert ReceptionSlot.objects.get(pk=booking.slot_id).booked == 0  # the place is free again
    assert AuditEvent.objects.filter(action="appointment.cancelled", target_id=str(booking.pk)).exists()
    assert Notification.objects.filter(body__contains="在线取消", target_id=str(booking.pk)).exists()
    again = client.post("/booking/cancel/", {"code": booking.code, "digits": PHONE[-4:]})
    assert again.status_code == 409 and "已取消" in again.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"code": "", "digits": ""},
        {"code": "X" * 500, "digits": "1" * 500},
        {"code": "NOSUCHCODE", "digits": "6666"},
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(booking, data):
    answer = Client(REMOTE_ADDR=IP).post("/booking/cancel/", data)
    assert answer.status_code == 400 and "预约码或手机号后四位不正确" in answer.content.decode()
    assert Appointment.objects.get(pk=booking.pk).state == AppointmentState.BOOKED


def test_guessing_is_limited_per_address(booking):
    client = Client(REMOTE_ADDR=IP)
    for _ in range(appointments.CANCEL_LIMIT_PER_HOUR):
        client.post("/booking/cancel/", {"code": booking.code, "digits": "0000"})
    late = client.post("/booking/cancel/", {"code": booking.code, "digits": PHONE[-4:]})
    assert late.status_code == 429
    assert Appointment.objects.get(pk=booking.pk).state == AppointmentState.BOOKED


def test_a_reception_already_begun_is_not_cancelled_online(booking):
    ReceptionSlot.objects.filter(pk=booking.slot_id).update(starts_at=timezone.now() - dt.timedelta(minutes=5))
    answer = Client(REMOTE_ADDR=IP).post("/booking/cancel/", {"code": booking.code, "digits": PHONE[-4:]})
    assert answer.status_code == 409 and "致电站点" in answer.content.decode()


def test_the_booked_page_offers_the_online_cancel(booking):
    client = Client()
    session = client.session
    session["booked"] = booking.code
    session.save()
    page = client.get(f"/booked/{booking.code}/").content.decode()
    assert f"/booking/cancel/?code={booking.code}" in page


def test_the_stations_phone_is_on_its_page_and_the_booking_page(liaison_station):
    from renda.org.models import OfficerRole, StationOfficer

    StationOfficer.objects.filter(station=liaison_station).update(phone="")
    StationOfficer.objects.update_or_create(
        station=liaison_station, role=OfficerRole.HEAD, defaults={"name": "王站长", "phone": "0575-83012345"}
    )
    client = Client()
    assert 'href="tel:0575-83012345"' in client.get(f"/s/{liaison_station.public_id}/").content.decode()
    assert 'href="tel:0575-83012345"' in client.get(f"/s/{liaison_station.public_id}/book/").content.decode()
