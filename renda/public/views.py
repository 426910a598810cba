"""Citizen pages (no account): a deputy's or station's public page (亮身份), leaving an
opinion, booking a meeting, tracking a case with its receipt code and rating the answer."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.accounts.client_ip import client_ip as real_ip
from renda.core.errors import RendaError, ValidationFailed
from renda.core.ratelimit import RateLimited, check_rate
from renda.core.validation import id_or_none, mask_name
from renda.opinions import appointments, intake, policy, refs, selectors, services
from renda.opinions.models import Appointment, Opinion, Rating, ReceptionSlot, Source, State
from renda.opinions.text import suggest_category_id
from renda.org.models import Category, Deputy, Station
from renda.regions.models import Region

SESSION_TRACKED = "tracked_receipts"


def client_ip(request: HttpRequest) -> str:
    return real_ip(request)


def _owner(kind: str, public_id: str) -> tuple[Deputy | None, Station | None]:
    if kind == "deputy":
        deputy = get_object_or_404(Deputy.objects.select_related("region"), public_id=public_id, is_active=True)
        return deputy, intake.deputy_home_station(deputy)
    station = refs.active_station(public_id)
    if station is None:
        raise Http404("联络站不存在或已停用")
    return None, station


@require_GET
def deputy_page(request: HttpRequest, public_id: str) -> HttpResponse:
    deputy = get_object_or_404(
        Deputy.objects.select_related("region").prefetch_related("mandates"), public_id=public_id, is_active=True
    )
    stations = [m.station for m in deputy.memberships.filter(end_date__isnull=True).select_related("station")]
    context = {
        "deputy": deputy,
        "stations": stations,
        "summary": selectors.duty_summary(deputy=deputy),
        "slots": selectors.free_slots(deputy=deputy)[:5],
    }
    return render(request, "public/deputy.html", context)


@require_GET
def station_page(request: HttpRequest, public_id: str) -> HttpResponse:
    station = get_object_or_404(
        Station.objects.select_related("region").prefetch_related("officers"), public_id=public_id, is_active=True
    )
    deputies = Deputy.objects.filter(memberships__station=station, memberships__end_date__isnull=True, is_active=True)
    context = {
        "station": station,
        "deputies": deputies.order_by("name")[:60],
        "summary": selectors.duty_summary(station=station),
        "slots": selectors.free_slots(station=station)[:8],
    }
    return render(request, "public/station.html", context)


def _form_context(deputy: Deputy | None, station: Station | None, data: dict[str, Any]) -> dict[str, Any]:
    home_path = (station.region.path if station else deputy.region.path if deputy else "")[:9]
    return {
        "deputy": deputy,
        "station": station,
        "villages": selectors.villages_for(home_path) if home_path else Region.objects.none(),
        "categories": selectors.category_tree(),
        "data": data,
        "idempotency_key": data.get("idempotency_key") or secrets.token_urlsafe(16),
        "max_text": 2000,
    }


@require_http_methods(["GET", "POST"])
def opinion_form(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    deputy, station = _owner(kind, public_id)
    if request.method == "GET":
        return render(request, "public/opinion_form.html", _form_context(deputy, station, {}))
    data = request.POST
    try:
        opinion, _created = intake.opinion_submit(
            data=intake.OpinionInput(
                text=data.get("text", ""),
                region=_ref(refs.region, data.get("region")),
                category=_ref(refs.category, data.get("category")),
                source=Source.QR,
                station=station,
                deputy=deputy,
                citizen_name=data.get("citizen_name", ""),
                citizen_phone=data.get("citizen_phone", ""),
                anonymous=data.get("anonymous") == "on",
                consent=data.get("consent") == "on",
                photos=request.FILES.getlist("photos"),
            ),
            idempotency_key=data.get("idempotency_key", ""),
            client_ip=client_ip(request),
        )
    except RendaError as exc:
        context = _form_context(deputy, station, data.dict())
        context["errors"] = _errors_by_field(exc)
        context["photos_dropped"] = len(request.FILES.getlist("photos"))
        status = 429 if isinstance(exc, RateLimited) else 400 if exc.status_code != 409 else 409
        return render(request, "public/opinion_form.html", context, status=status)
    _remember(request, opinion.receipt_code)
    return redirect("public:receipt", receipt_code=opinion.receipt_code)


OPINION_FIELDS = {"text", "category", "region", "photos", "anonymous", "citizen_name", "citizen_phone", "consent"}


def _errors_by_field(exc: RendaError) -> dict[str, str]:
    """Every wrong field of a refused submission, each shown beside its field; what belongs to no
    field of the form is shown on top ("general")."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else {exc.field or "": exc.message}
    shown: dict[str, str] = {}
    for field, message in errors.items():
        key = field if field in OPINION_FIELDS else "general"
        shown[key] = f"{shown[key]}；{message}" if key in shown else message
    return shown


def _pick(model: Any, value: str | None) -> Any:
    pk = id_or_none(value)
    return None if pk is None else model.objects.filter(pk=pk).first()


def _ref(lookup: Any, value: str | None) -> Any:
    pk = id_or_none(value)
    return None if pk is None else lookup(pk)


def _remember(request: HttpRequest, code: str) -> None:
    tracked = list(request.session.get(SESSION_TRACKED, []))
    if code not in tracked:
        tracked = (tracked + [code])[-20:]
    request.session[SESSION_TRACKED] = tracked


@require_GET
def receipt(request: HttpRequest, receipt_code: str) -> HttpResponse:
    if receipt_code not in request.session.get(SESSION_TRACKED, []):
        return redirect(f"{reverse('public:track')}?code={receipt_code[:12]}")
    opinion = get_object_or_404(Opinion, receipt_code=receipt_code)
    pin = policy.track_pin(opinion) if policy.needs_pin(opinion) else ""
    return render(request, "public/receipt.html", {"opinion": opinion, "pin": pin})


@require_GET
def similar_cases(request: HttpRequest) -> HttpResponse:
    """htmx partial on the opinion form: "这件事已有人反映" with a follow button each."""
    text = request.GET.get("text", "")[:2000]
    region = _pick(Region, request.GET.get("region"))
    category = _pick(Category, request.GET.get("category"))
    if not (region and len(text) >= 5):
        return render(request, "public/_similar.html", {"cases": []})
    try:
        check_rate(
            bucket="similar-ip",
            subject=client_ip(request),
            limit=policy.SIMILAR_LIMIT_PER_HOUR,
            window_seconds=3600,
            message="查询过于频繁",
        )
    except RateLimited:
        return HttpResponse(status=429)  # htmx leaves the form as it is: the citizen can still submit
    cases = selectors.public_similar(text=text, region=region, category=category)
    return render(request, "public/_similar.html", {"cases": [(c, policy.follow_token(c)) for c in cases]})


@require_http_methods(["GET", "POST"])
def suggest_category(request: HttpRequest) -> HttpResponse:
    """htmx partial: the category select, pre-set to the category the text suggests (unless chosen)."""
    params = request.POST if request.method == "POST" else request.GET
    chosen = params.get("category", "")
    suggested = None
    if not chosen:
        suggested = suggest_category_id(params.get("text", "")[:2000])
    selected = id_or_none(chosen) if chosen else suggested
    return render(
        request,
        "public/_category.html",
        {
            "categories": selectors.category_tree(),
            "selected": selected,
            "suggested": suggested is not None and not chosen,
        },
    )


@require_POST
def follow(request: HttpRequest, token: str) -> HttpResponse:
    """附议 by the opaque token of the similar-cases fragment (never by the receipt code)."""
    opinion = policy.followed_case(token)  # a forged token: NotFound, the Chinese 404 page
    try:
        services.opinion_follow(
            opinion=opinion,
            phone=request.POST.get("phone", ""),
            name=request.POST.get("name", ""),
            client_ip=client_ip(request),
        )
    except RendaError as exc:
        return render(
            request, "public/_follow_result.html", {"error": exc.message, "opinion": opinion}, status=exc.status_code
        )
    context = {"opinion": opinion, "token": token, "phone": request.POST.get("phone", "")[:20]}
    return render(request, "public/_follow_result.html", context)


@require_POST
def follow_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The code texted to the follower's phone: only then does that phone hear about the case."""
    opinion = policy.followed_case(token)
    phone = request.POST.get("phone", "")[:20]
    context: dict[str, Any] = {"opinion": opinion, "token": token, "phone": phone}
    try:
        services.opinion_follow_confirm(opinion=opinion, phone=phone, code=request.POST.get("code", "")[:10])
    except RendaError as exc:
        context["confirm_error"] = exc.message
        return render(request, "public/_follow_result.html", context, status=exc.status_code)
    context["confirmed"] = True
    return render(request, "public/_follow_result.html", context)


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Enter the receipt code (and the last four digits of the phone, unless anonymous)."""
    context: dict[str, Any] = {"code": request.GET.get("code", "")[:12]}
    if request.method == "POST":
        code = request.POST.get("code", "").strip().upper()[:12]
        context["code"] = code
        try:
            opinion = policy.receipt_holder_case(
                receipt_code=code, digits=request.POST.get("digits", "")[:20], client_ip=client_ip(request)
            )
        except RendaError as exc:
            context["error"] = exc.message
            return render(request, "public/track.html", context, status=exc.status_code)
        _remember(request, opinion.receipt_code)
        return redirect("public:track_detail", receipt_code=opinion.receipt_code)
    return render(request, "public/track.html", context)


@require_http_methods(["GET", "POST"])
def track_detail(request: HttpRequest, receipt_code: str) -> HttpResponse:
    if receipt_code not in request.session.get(SESSION_TRACKED, []):
        return HttpResponseRedirect(f"{reverse('public:track')}?code={receipt_code[:12]}")
    opinion = get_object_or_404(
        Opinion.objects.select_related("region", "category", "merged_into"), receipt_code=receipt_code
    )
    shown = opinion.merged_into if opinion.state == State.MERGED and opinion.merged_into else opinion
    error = ""
    if request.method == "POST":
        try:
            services.opinion_rate(
                opinion=opinion, value=request.POST.get("value", ""), comment=request.POST.get("comment", "")
            )
        except RendaError as exc:
            error = exc.message
        else:
            return redirect("public:track_detail", receipt_code=receipt_code)
    context = {
        "opinion": opinion,
        "shown": shown,
        "steps": selectors.citizen_steps(opinion=opinion)
        + (selectors.citizen_steps(opinion=shown) if shown != opinion else []),
        "answers": list(shown.answers.filter(status="published").order_by("id")),
        "ratings": list(opinion.ratings.order_by("round")),
        "can_rate": opinion.state == State.ANSWERED,
        "rating_choices": Rating.choices,
        "error": error,
        "citizen": mask_name(opinion.citizen_name) if opinion.citizen_name else "匿名",
    }
    return render(request, "public/track_detail.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    deputy, station = _owner(kind, public_id)
    slots = selectors.free_slots(deputy=deputy) if deputy else selectors.free_slots(station=station)
    context: dict[str, Any] = {
        "deputy": deputy,
        "station": station,
        "slots": [s for s in slots if s.free > 0],
        "data": {},
        "idempotency_key": secrets.token_urlsafe(16),
    }
    if request.method == "POST":
        slot = _pick(ReceptionSlot, request.POST.get("slot"))
        context["data"] = request.POST.dict()
        context["idempotency_key"] = request.POST.get("idempotency_key", context["idempotency_key"])
        if (
            slot is None
            or (deputy and slot.deputy_id != deputy.pk)
            or (station and not deputy and slot.station_id != station.pk)
        ):
            context["error"] = "请选择一个可预约的时段"
            return render(request, "public/book.html", context, status=400)
        try:
            appointment, _ = appointments.appointment_book(
                slot=slot,
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                topic=request.POST.get("topic", ""),
                idempotency_key=request.POST.get("idempotency_key", ""),
                client_ip=client_ip(request),
            )
        except RendaError as exc:
            context["error"] = exc.message
            return render(request, "public/book.html", context, status=exc.status_code)
        request.session["booked"] = appointment.code
        return redirect("public:booked", code=appointment.code)
    return render(request, "public/book.html", context)


@require_GET
def booked(request: HttpRequest, code: str) -> HttpResponse:
    if request.session.get("booked") != code:
        return redirect("public:track")
    appointment = get_object_or_404(Appointment.objects.select_related("slot__station", "slot__deputy"), code=code)
    return render(request, "public/booked.html", {"appointment": appointment})


@require_http_methods(["GET", "POST"])
@never_cache
def booking_cancel(request: HttpRequest) -> HttpResponse:
    """The citizen cancels a reception booking with its code and the phone's last four digits."""
    context: dict[str, Any] = {"code": request.GET.get("code", "")[:12]}
    if request.method == "POST":
        context["code"] = request.POST.get("code", "").strip().upper()[:12]
        try:
            appointment = appointments.appointment_cancel_by_citizen(
                code=context["code"], digits=request.POST.get("digits", "")[:20], client_ip=client_ip(request)
            )
        except RendaError as exc:
            context["error"] = exc.message
            return render(request, "public/booking_cancel.html", context, status=exc.status_code)
        context["cancelled"] = appointment
    return render(request, "public/booking_cancel.html", context)
