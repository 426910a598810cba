"""Reception slots (接待时段) at a station and citizens' appointments in them (预约见面).

Staff open slots, optionally with a deputy on duty, weekly for up to half a year; a citizen
books a free place (confirmed by SMS; a retry answers with the first booking); staff record
whether they met, or cancel, which frees the place.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from renda.accounts.selectors import station_users
from renda.audit.services import audit_record
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.ratelimit import check_rate
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import clean_phone, clean_text, mask_name, mask_phone
from renda.notify.models import Channel
from renda.notify.services import notify_send
from renda.opinions.models import Appointment, AppointmentState, ReceptionSlot
from renda.org.models import Deputy, Station


@transaction.atomic
def slot_create(
    *,
    scope: Scope,
    station: Station,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int = 3,
    deputy: Deputy | None = None,
    repeat_weeks: int = 1,
) -> list[ReceptionSlot]:
    """Open reception slots at a station (optionally with a deputy on duty), weekly for N weeks."""
    scope.require(Perm.OPINION_ENTER)
    if not scope.covers_path(station.region.path):
        raise NotFound("站点不存在或不在您的管辖范围内")
    if (
        scope.station_ids
        and not scope.has(Perm.OPINION_TRIAGE)
        and station.pk not in scope.station_ids
        and not scope.deputy_ids
    ):
        raise PermissionDenied("只能为本站安排接待时段")
    if ends_at <= starts_at:
        raise ValidationFailed("结束时间应晚于开始时间", field="ends_at")
    if starts_at <= timezone.now():
        raise ValidationFailed("只能安排将来的接待时段", field="starts_at")
    if not 1 <= capacity <= 50:
        raise ValidationFailed("可预约人数应为 1 至 50", field="capacity")
    if not 1 <= repeat_weeks <= 26:
        raise ValidationFailed("重复周数应为 1 至 26", field="repeat_weeks")
    if deputy is not None and not deputy.memberships.filter(station=station, end_date__isnull=True).exists():
        raise ValidationFailed(f"{deputy.name}未在该站进站，不能安排值班", field="deputy")
    slots = []
    for week in range(repeat_weeks):
        shift = dt.timedelta(weeks=week)
        slot = ReceptionSlot.objects.create(
            station=station, deputy=deputy, starts_at=starts_at + shift, ends_at=ends_at + shift, capacity=capacity
        )
        slots.append(slot)
    audit_record(
        actor=scope.actor,
        action="slot.create",
        target=station,
        region_path=station.region.path,
        after={
            "starts_at": starts_at,
            "weeks": repeat_weeks,
            "capacity": capacity,
            "deputy": deputy.name if deputy else None,
        },
    )
    return slots


def appointment_book(
    *, slot: ReceptionSlot, name: str, phone: str, topic: str, idempotency_key: str = "", client_ip: str = ""
) -> tuple[Appointment, bool]:
    """A citizen books a free place in a slot; confirmed by SMS. Replays return the first booking."""
    key = (idempotency_key or "").strip()[:64]
    if key:
        existing = Appointment.objects.filter(idempotency_key=key).first()
        if existing is not None:
            cleaned_phone = clean_phone(phone, label="手机", field="phone", required=True)
            if existing.slot_id != slot.pk or existing.citizen_phone != cleaned_phone:
                raise Conflict("该提交编号已使用过且内容不同：请刷新页面后重新填写")
            return existing, False
    name = clean_text(name, label="姓名", field="name", max_length=50)
    phone = clean_phone(phone, label="手机", field="phone", required=True)
    topic = clean_text(topic, label="想谈的事", field="topic", max_length=300)
    check_rate(
        bucket="book-ip",
        subject=client_ip,
        limit=int(rule("opinion.rate_per_ip_hour")),
        window_seconds=3600,
        message="操作过于频繁，请稍后再试",
    )
    check_rate(
        bucket="book-phone",
        subject=phone,
        limit=int(rule("appointment.rate_per_phone_day")),
        window_seconds=86400,
        message="该手机号今日预约次数已达上限",
    )
    try:
        with transaction.atomic():
            locked = (
                ReceptionSlot.objects.select_for_update(of=("self",))
                .select_related("station__region", "deputy")
                .get(pk=slot.pk)
            )
            if locked.cancelled or locked.starts_at <= timezone.now():
                raise ValidationFailed("该时段已不可预约，请选择其他时段", field="slot")
            if locked.booked >= locked.capacity:
                raise ValidationFailed("该时段已约满，请选择其他时段", field="slot")
            if Appointment.objects.filter(slot=locked, citizen_phone=phone, state=AppointmentState.BOOKED).exists():
                raise Conflict("您已预约了这个时段")
            appointment = Appointment.objects.create(
                slot=locked, citizen_name=name, citizen_phone=phone, topic=topic, idempotency_key=key or None
            )
            ReceptionSlot.objects.filter(pk=locked.pk).update(booked=F("booked") + 1)
            audit_record(
                actor=f"群众（{mask_phone(phone)}）",
                action="appointment.book",
                target=appointment,
                target_label=f"{appointment.code} {locked}",
                region_path=locked.station.region.path,
                after={"slot": locked.pk, "name": mask_name(name), "phone": mask_phone(phone)},
            )
            who = f"{locked.deputy.name}代表" if locked.deputy else locked.station.name
            local = timezone.localtime(locked.starts_at)
            notify_send(
                channel=Channel.SMS,
                to_address=phone,
                target=appointment,
                body=f"预约成功：{local:%m月%d日 %H:%M} 在{locked.station.name}（{locked.station.address}）与{who}见面，预约码 {appointment.code}。",
            )
    except IntegrityError:
        if key and (existing := Appointment.objects.filter(idempotency_key=key).first()) is not None:
            return existing, False
        raise Conflict("您已预约了这个时段") from None
    return appointment, True


@transaction.atomic
def appointment_set_state(*, scope: Scope, appointment: Appointment, state: str) -> Appointment:
    """Staff record the meeting outcome or cancel a booking (the place is freed)."""
    scope.require(Perm.OPINION_ENTER)
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot__station__region")
        .get(pk=appointment.pk)
    )
    if not scope.covers_path(appointment.slot.station.region.path):
        raise NotFound("预约不存在或不在您的管辖范围内")
    if state not in AppointmentState.values or state == AppointmentState.BOOKED:
        raise ValidationFailed("状态无效", field="state")
    if appointment.state != AppointmentState.BOOKED:
        raise Conflict(f"该预约已是“{appointment.get_state_display()}”")
    appointment.state = state
    appointment.save(update_fields=["state", "updated_at"])
    if state == AppointmentState.CANCELLED:
        ReceptionSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
    audit_record(
        actor=scope.actor,
        action=f"appointment.{state}",
        target=appointment,
        region_path=appointment.slot.station.region.path,
        after={"state": state},
    )
    return appointment


def appointment_reveal_phone(*, scope: Scope, appointment: Appointment) -> str:
    """The citizen's full phone for the liaison who must call them about a booking (a changed
    time, a reminder): only for a booking still to be met, only in the user's stations, and
    every look is audited."""
    scope.require(Perm.OPINION_ENTER)
    appointment = Appointment.objects.select_related("slot__station__region").get(pk=appointment.pk)
    station = appointment.slot.station
    if not scope.covers_path(station.region.path) or (
        scope.station_ids and not scope.has(Perm.OPINION_TRIAGE) and station.pk not in scope.station_ids
    ):
        raise NotFound("预约不存在或不在您的管辖范围内")
    if appointment.state != AppointmentState.BOOKED:
        raise Conflict(f"该预约已是“{appointment.get_state_display()}”，无需再联系")
    audit_record(
        actor=scope.actor,
        action="appointment.reveal_phone",
        target=appointment,
        region_path=station.region.path,
        reason="联系预约群众",
    )
    return str(appointment.citizen_phone)


CANCEL_FAILED = "预约码或手机号后四位不正确"
CANCEL_LIMIT_PER_HOUR = 20


def appointment_cancel_by_citizen(*, code: str, digits: str, client_ip: str) -> Appointment:
    """The citizen who booked cancels online with the booking code and the phone's last four
    digits (the code alone cancels nothing: it is in the SMS, which others may see). Wrong code
    and wrong digits are refused alike and count against the address's hourly limit; the place
    is freed and the station told, in one transaction."""
    check_rate(
        bucket="book-cancel-ip",
        subject=client_ip,
        limit=CANCEL_LIMIT_PER_HOUR,
        window_seconds=3600,
        message="操作过于频繁，请一小时后再试",
    )
    code = (code or "").strip().upper()[:12]
    digits = (digits or "").strip()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot__station__region")
            .filter(code=code)
            .first()
            if code
            else None
        )
        ok = (
            appointment is not None
            and len(digits) == 4
            and digits.isdigit()
            and constant_time_compare(appointment.citizen_phone[-4:], digits)
        )
        if not ok or appointment is None:
            raise ValidationFailed(CANCEL_FAILED, field="code")
        if appointment.state != AppointmentState.BOOKED:
            raise Conflict(f"该预约已是“{appointment.get_state_display()}”，无需取消")
        if appointment.slot.starts_at <= timezone.now():
            raise Conflict("接待时间已开始，不能在线取消，请致电站点")
        appointment.state = AppointmentState.CANCELLED
        appointment.save(update_fields=["state", "updated_at"])
        ReceptionSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
        station = appointment.slot.station
        audit_record(
            actor="群众（凭预约码）",
            action="appointment.cancelled",
            target=appointment,
            region_path=station.region.path,
            after={"state": AppointmentState.CANCELLED, "by": "citizen"},
        )
        local = timezone.localtime(appointment.slot.starts_at)
        for user in station_users(station):
            notify_send(
                channel=Channel.IN_APP,
                to_user=user,
                body=f"群众已在线取消 {local:%m月%d日 %H:%M} 的接待预约（预约码 {appointment.code}）。",
                target=appointment,
            )
    return appointment
