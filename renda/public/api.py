"""群众（免登录）: what the citizen pages do (renda/public/views.py), as JSON for an H5 page or a
mini-program. No account, no session, no CSRF token: every endpoint here has ``auth=None``.

A case is shown or rated only with its receipt code and the last four digits of the phone it
was filed with (anonymous cases: the code alone), and those checks are rate-limited per IP.
Photos are uploaded with the multipart variant ``POST /public/opinions/with-photos``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, P, Query, Router, UploadedFile
from ninja.params import HeaderEx

from renda.accounts.client_ip import client_ip
from renda.api.idempotency import HEADER, REPLAY_HEADER, render
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import ErrorOut, ValidationErrorOut
from renda.core.errors import NotFound, ValidationFailed
from renda.core.validation import mask_name
from renda.opinions import appointments, intake, policy, refs, selectors, services
from renda.opinions.models import Appointment, Opinion, ReceptionSlot, State
from renda.opinions.schemas import (
    KEY_TITLE,
    PUBLIC_KEY_DESCRIPTION,
    PUBLIC_KEY_MAX,
    AppointmentIn,
    AppointmentOut,
    CategoryTree,
    OpinionReceiptOut,
    PublicDeputyOut,
    PublicOpinionIn,
    PublicStationOut,
    RateIn,
    SlotPage,
    TrackIn,
    TrackOut,
    VillagePage,
)
from renda.org.models import Deputy, Station

router = Router(auth=None, tags=["群众（免登录）"])

PUBLIC_READ_ERRORS: dict[int, type[Any]] = {404: ErrorOut, 422: ValidationErrorOut}
PUBLIC_WRITE_ERRORS: dict[int, type[Any]] = {
    **PUBLIC_READ_ERRORS,
    400: ErrorOut,
    403: ErrorOut,
    409: ErrorOut,
    429: ErrorOut,
}

PublicKey = HeaderEx[
    str, P(alias=HEADER, title=KEY_TITLE, description=PUBLIC_KEY_DESCRIPTION, min_length=1, max_length=PUBLIC_KEY_MAX)
]


def _station(public_id: str) -> Station:
    station = refs.active_station(public_id)
    if station is None:
        raise NotFound("联络站不存在或已停用", field="station")
    return station


def _deputy(public_id: str) -> Deputy:
    deputy = Deputy.objects.select_related("region").filter(public_id=public_id.strip(), is_active=True).first()
    if deputy is None:
        raise NotFound("代表不存在或已不在任", field="deputy")
    return deputy


def _summary(**owner: Any) -> dict[str, int]:
    s = selectors.duty_summary(**owner)
    return {"opinions_year": s.opinions_year, "answered_year": s.answered_year, "receptions_year": s.receptions_year}


# ---------------------------------------------------------------- 亮身份: public profiles


@router.get(
    "/public/stations/{public_id}", response={200: PublicStationOut, **PUBLIC_READ_ERRORS}, summary="联络站公开信息"
)
def public_station(request: HttpRequest, public_id: str) -> dict[str, Any]:
    station = _station(public_id)
    deputies = (
        Deputy.objects.filter(memberships__station=station, memberships__end_date__isnull=True, is_active=True)
        .prefetch_related("mandates")
        .order_by("name")[:60]
    )
    return {
        "public_id": station.public_id,
        "name": station.name,
        "kind": station.kind,
        "address": station.address,
        "opening_hours": station.opening_hours,
        "region": station.region.name,
        "officers": list(station.officers.all()),
        "deputies": list(deputies),
        "summary": _summary(station=station),
    }


@router.get("/public/deputies/{public_id}", response={200: PublicDeputyOut, **PUBLIC_READ_ERRORS}, summary="代表亮身份")
def public_deputy(request: HttpRequest, public_id: str) -> dict[str, Any]:
    deputy = _deputy(public_id)
    stations = [m.station for m in deputy.memberships.filter(end_date__isnull=True).select_related("station")]
    return {
        "public_id": deputy.public_id,
        "name": deputy.name,
        "kind": deputy.kind,
        "kind_label": deputy.get_kind_display(),
        "occupation": deputy.occupation,
        "photo_url": deputy.photo.url if deputy.photo else None,
        "levels": list(deputy.mandates.all()),
        "stations": stations,
        "summary": _summary(deputy=deputy),
    }


@router.get("/public/categories", response={200: CategoryTree}, summary="意见分类（两级）")
def public_categories(request: HttpRequest) -> dict[str, Any]:
    tree = selectors.category_tree()
    items = [{"id": p.pk, "code": p.code, "name": p.name, "children": children} for p, children in tree]
    return {"count": len(items), "items": items}


@router.get(
    "/public/stations/{public_id}/villages",
    response={200: VillagePage, **PUBLIC_READ_ERRORS},
    summary="联络站所在乡镇/街道的村（社区）",
)
def public_station_villages(request: HttpRequest, public_id: str) -> dict[str, Any]:
    station = _station(public_id)
    villages = list(selectors.villages_for(station.region.path))
    return {"count": len(villages), "items": villages}


def _free(qs: QuerySet[ReceptionSlot], page: PageParams) -> dict[str, Any]:
    return page_of(qs.filter(booked__lt=F("capacity")), page)


@router.get(
    "/public/stations/{public_id}/slots", response={200: SlotPage, **PUBLIC_READ_ERRORS}, summary="联络站可预约时段"
)
def public_station_slots(request: HttpRequest, public_id: str, page: Query[PageParams]) -> dict[str, Any]:
    return _free(selectors.free_slots(station=_station(public_id)), page)


@router.get(
    "/public/deputies/{public_id}/slots", response={200: SlotPage, **PUBLIC_READ_ERRORS}, summary="代表可预约时段"
)
def public_deputy_slots(request: HttpRequest, public_id: str, page: Query[PageParams]) -> dict[str, Any]:
    return _free(selectors.free_slots(deputy=_deputy(public_id)), page)


# ---------------------------------------------------------------- 反映意见建议


def _submit(request: HttpRequest, payload: PublicOpinionIn, key: str, photos: list[UploadedFile]) -> HttpResponse:
    if bool(payload.station) == bool(payload.deputy):
        raise ValidationFailed("请通过联络站码或代表码反映：station 与 deputy 二选一", field="station")
    deputy = _deputy(payload.deputy) if payload.deputy else None
    station = intake.deputy_home_station(deputy) if deputy is not None else _station(payload.station or "")
    region = refs.region(payload.region)
    if region is None:
        raise ValidationFailed("请选择事情发生的村/社区", field="region")
    category = refs.category(payload.category)
    if category is None:
        raise ValidationFailed("所选问题分类不存在，请重新选择", field="category")
    opinion, created = intake.opinion_submit(
        data=intake.OpinionInput(
            text=payload.text,
            region=region,
            category=category,
            source=payload.source,
            station=station,
            deputy=deputy,
            citizen_name=payload.citizen_name,
            citizen_phone=payload.citizen_phone,
            anonymous=payload.anonymous,
            consent=payload.consent,
            photos=photos,
        ),
        idempotency_key=key,
        client_ip=client_ip(request),
    )
    response = render(request, OpinionReceiptOut, opinion, status=201 if created else 200)
    if not created:
        response[REPLAY_HEADER] = "true"
    return response


@router.post(
    "/public/opinions",
    response={201: OpinionReceiptOut, 200: OpinionReceiptOut, **PUBLIC_WRITE_ERRORS},
    summary="反映意见建议",
    description="提交后返回回执码（201）；以同一幂等键重发同一内容返回首次结果（200，响应头 Idempotent-Replayed: true）。",
)
def public_submit_opinion(request: HttpRequest, payload: PublicOpinionIn, idempotency_key: PublicKey) -> HttpResponse:
    return _submit(request, payload, idempotency_key, [])


@router.post(
    "/public/opinions/with-photos",
    response={201: OpinionReceiptOut, 200: OpinionReceiptOut, **PUBLIC_WRITE_ERRORS},
    summary="反映意见建议（附照片，multipart/form-data）",
    description="字段同 POST /public/opinions，以表单提交；photos 为图片文件（JPG/PNG/WebP，每张 5MB 以内，最多 4 张），"
    "上传后去除拍摄位置等信息。",
)
def public_submit_opinion_with_photos(
    request: HttpRequest,
    payload: Form[PublicOpinionIn],
    idempotency_key: PublicKey,
    photos: File[list[UploadedFile] | None] = None,
) -> HttpResponse:
    return _submit(request, payload, idempotency_key, list(photos or []))


# ---------------------------------------------------------------- 查询进度与评价


def _verified(request: HttpRequest, receipt_code: str, digits: str) -> Opinion:
    """The case named by its receipt code, once the caller proved the phone's last four digits."""
    return policy.receipt_holder_case(receipt_code=receipt_code, digits=digits, client_ip=client_ip(request))


def _tracked(opinion: Opinion) -> dict[str, Any]:
    shown = opinion.merged_into if opinion.state == State.MERGED and opinion.merged_into else opinion
    steps = selectors.citizen_steps(opinion=opinion)
    if shown != opinion:
        steps += selectors.citizen_steps(opinion=shown)
    return {
        "receipt_code": opinion.receipt_code,
        "title": opinion.title,
        "citizen": mask_name(opinion.citizen_name) if opinion.citizen_name else "匿名",
        "created_at": opinion.created_at,
        "state": shown.state,
        "state_label": shown.get_state_display(),
        "outcome": shown.outcome,
        "outcome_label": shown.get_outcome_display() if shown.outcome else "",
        "merged_into": shown.title if shown != opinion else None,  # never the other citizen's receipt code
        "deadline": shown.deadline if shown.is_open else None,
        "deadline_official": shown.deadline_official,
        "steps": [{"at": at, "label": label} for at, label in steps],
        "answers": list(shown.answers.filter(status="published").select_related("unit").order_by("id")),
        "ratings": list(opinion.ratings.order_by("round")),
        "can_rate": opinion.state == State.ANSWERED,
    }


@router.post(
    "/public/opinions/track",
    response={200: TrackOut, **PUBLIC_WRITE_ERRORS},
    summary="凭回执码查询办理进度",
    description="回执码加手机号后 4 位（匿名反映加 6 位查询密码）。同一 IP 每小时最多 30 次。",
)
def public_track(request: HttpRequest, payload: TrackIn) -> dict[str, Any]:
    return _tracked(_verified(request, payload.receipt_code, payload.digits))


@router.post(
    "/public/opinions/{receipt_code}/rate",
    response={200: TrackOut, **PUBLIC_WRITE_ERRORS},
    summary="评价答复",
    description="满意、基本满意即办结；第一次不满意重新办理，第二次不满意提级督办。每轮答复只能评价一次。",
)
def public_rate_opinion(request: HttpRequest, receipt_code: str, payload: RateIn) -> dict[str, Any]:
    opinion = _verified(request, receipt_code, payload.digits)
    services.opinion_rate(opinion=opinion, value=payload.value.value, comment=payload.comment)
    return _tracked(Opinion.objects.select_related("region", "merged_into").get(pk=opinion.pk))


# ---------------------------------------------------------------- 预约见面


def _appointment_out(appointment: Appointment) -> dict[str, Any]:
    slot = appointment.slot
    who = f"{slot.deputy.name}代表" if slot.deputy else slot.station.name
    return {
        "code": appointment.code,
        "state": appointment.state,
        "state_label": appointment.get_state_display(),
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "station": slot.station,
        "deputy": slot.deputy,
        "message": f"预约成功，预约码 {appointment.code}。请按时到{slot.station.name}（{slot.station.address}）与{who}见面。",
    }


@router.post(
    "/public/appointments",
    response={201: AppointmentOut, 200: AppointmentOut, **PUBLIC_WRITE_ERRORS},
    summary="预约见面",
    description="以同一幂等键重发同一预约返回首次结果（200）。",
)
def public_book(request: HttpRequest, payload: AppointmentIn, idempotency_key: PublicKey) -> HttpResponse:
    slot = ReceptionSlot.objects.filter(pk=payload.slot, station__is_active=True).first()
    if slot is None:
        raise ValidationFailed("请选择一个可预约的时段", field="slot")
    appointment, created = appointments.appointment_book(
        slot=slot,
        name=payload.name,
        phone=payload.phone,
        topic=payload.topic,
        idempotency_key=idempotency_key,
        client_ip=client_ip(request),
    )
    appointment = Appointment.objects.select_related("slot__station", "slot__deputy").get(pk=appointment.pk)
    response = render(request, AppointmentOut, _appointment_out(appointment), status=201 if created else 200)
    if not created:
        response[REPLAY_HEADER] = "true"
    return response
