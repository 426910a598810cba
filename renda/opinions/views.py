"""Staff pages of 民意处理: queues, offline entry, the case page and its actions, reception slots."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.core.actions import form_fields
from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.official import XLSX_TYPE, download
from renda.core.pages import form_refused, page_action
from renda.core.paging import int_param, paginate
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.core.validation import id_or_none, mask_name, mask_phone
from renda.opinions import appointments, intake, policy, selectors
from renda.opinions.actions import ACTIONS
from renda.opinions.exports import opinions_export
from renda.opinions.forms import OfflineOpinionForm
from renda.opinions.models import OPEN_STATES, Appointment, AppointmentState, Opinion, ReceptionSlot, Source, State
from renda.opinions.routing import handling_unit_ids, suggested_unit, unit_choices
from renda.org.models import Category, Deputy, Station
from renda.regions.selectors import region_choices

# The actions whose forms opinions/detail.html lays out by hand; any other action's form is drawn
# from its input schema (core/actions.py form_fields), so a new transition needs no template.
FORMS_IN_TEMPLATE = {
    "route",
    "extend_decide",
    "review_answer",
    "answer_directly",
    "refer",
    "merge",
    "accept",
    "return",
    "progress",
    "unit_answer",
    "escalated_answer",
}
QUEUES = [
    ("", "全部"),
    ("open", "办理中"),
    ("triage_late", "分办超期"),
    ("overdue", "答复逾期"),
    ("due_soon", "即将到期"),
]


def _filters(request: HttpRequest) -> selectors.OpinionFilter:
    state = request.GET.get("state", "")
    queue_name = request.GET.get("queue", "")
    return selectors.OpinionFilter(
        state=state if state in State.values else "",
        queue=queue_name if queue_name in dict(QUEUES) else "",
        q=request.GET.get("q", "")[:50],
        category_id=int_param(request, "category"),
        region_id=int_param(request, "region"),
        unit_id=int_param(request, "unit"),
        source=request.GET.get("source", "") if request.GET.get("source") in Source.values else "",
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.OPINION_VIEW)
    filters = _filters(request)
    page, querystring = paginate(request, selectors.opinion_list(scope=scope, filters=filters))
    base = selectors.opinion_base(scope=scope)
    counts = {
        "submitted": base.filter(state=State.SUBMITTED).count(),
        "overdue": base.filter(is_overdue=True, state__in=OPEN_STATES).count(),
        "escalated": base.filter(state=State.ESCALATED).count(),
    }
    context = {
        "page": page,
        "querystring": querystring,
        "filters": filters,
        "states": State.choices,
        "queues": QUEUES,
        "sources": Source.choices,
        "counts": counts,
        "today": timezone.localdate(),
        "categories": Category.objects.filter(parent__isnull=True).order_by("sort_order"),
        "regions": region_choices(scope=scope, max_level=4).order_by("path"),
    }
    return render(request, "opinions/queue.html", context)


def _detail_context(request: HttpRequest, scope: Scope, opinion: Opinion, **extra: Any) -> dict[str, Any]:
    actions = {t.name for t in policy.available(scope, opinion)}
    show_person = policy.can_see_person(scope, opinion)
    timeline = list(selectors.opinion_timeline(opinion=opinion))
    returns = [e for e in timeline if e.action == "opinion.return"]
    context: dict[str, Any] = {
        "opinion": opinion,
        "actions": actions,
        "citizen_name": opinion.citizen_name if show_person else mask_name(opinion.citizen_name),
        "citizen_phone": opinion.citizen_phone if show_person else mask_phone(opinion.citizen_phone),
        "timeline": timeline,
        "today": timezone.localdate(),
        # A case a unit sent back: why, at the top of the page, for whoever routes it again.
        "last_return": returns[-1] if returns and opinion.state == State.SUBMITTED else None,
    }
    if "route" in actions:
        returned_by = {(e.after or {}).get("returned_by") for e in returns}
        units = list(unit_choices(scope=scope, opinion=opinion))
        handles = handling_unit_ids(opinion=opinion, units=unit_choices(scope=scope, opinion=opinion))
        context["unit_groups"] = [
            (label, [(u, u.name in returned_by) for u in units if (u.pk in handles) == own])
            for label, own in (("承办此类问题的单位", True), ("其他单位", False))
        ]
        suggested = suggested_unit(opinion=opinion)
        # Never preselect the unit that has just said the case is not theirs.
        context["suggested_unit_id"] = suggested.pk if suggested and suggested.name not in returned_by else None
        context["route_workdays"] = rule("opinion.route_workdays")
    if "merge" in actions:
        context["duplicates"] = selectors.duplicate_candidates(opinion=opinion)
    if "refer" in actions:
        context["referral_deputies"] = selectors.referral_candidates(opinion=opinion)
    if "extend_decide" in actions:
        context["pending_extension"] = opinion.extensions.filter(state="pending").select_related("unit").first()
    if "review_answer" in actions:
        context["pending_answer"] = opinion.answers.filter(status="pending").order_by("-id").first()
    posted = extra.get("posted") if extra.get("error_action") else None
    context["drawn_forms"] = [
        {
            "name": entry.name,
            "label": ACTIONS.transition(entry).label,
            "fields": form_fields(entry, scope, opinion, posted if extra.get("error_action") == entry.name else None),
        }
        for entry in ACTIONS
        if entry.name in actions and entry.name not in FORMS_IN_TEMPLATE
    ]
    context.update(extra)
    return context


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    opinion = selectors.opinion_detail(scope=scope, pk=pk)
    return render(request, "opinions/detail.html", _detail_context(request, scope, opinion))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the case page (opinions/actions.py, core/pages.py). Errors re-show the
    case page; nothing is half-written."""

    def refused(scope: Scope, opinion: Opinion, entry: Any, exc: RendaError) -> HttpResponse:
        context = _detail_context(request, scope, opinion, error=exc.message, error_action=action, posted=request.POST)
        return render(request, "opinions/detail.html", context, status=exc.status_code)

    return page_action(
        request,
        ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.opinion_detail(scope=scope, pk=key),
        refused=refused,
        done=lambda opinion, result, entry: _after(request, opinion, entry.name),
    )


def _after(request: HttpRequest, opinion: Opinion, action: str) -> HttpResponse:
    """Back to the case, unless the action took it out of the user's sight (a unit that returned
    it, or one it was re-assigned away from, no longer sees it): then to their queue."""
    scope = scope_for_user(request.user)
    if selectors.opinion_base(scope=scope).filter(pk=opinion.pk).exists():
        return redirect("opinions:detail", pk=opinion.pk)
    return redirect("opinions:queue")


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The current list as Excel; personal data only for those who may see it; audited."""
    scope = scope_for_user(request.user)
    scope.require(Perm.OPINION_VIEW)
    qs = selectors.opinion_list(scope=scope, filters=_filters(request))
    data = opinions_export(scope=scope, qs=qs, description=request.GET.urlencode()[:500] or "全部")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response: HttpResponse = download(data, f"意见建议清单-{stamp}.xlsx", XLSX_TYPE)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """录入: several offline opinions in a row; source, village and station stay for the next one."""
    scope = scope_for_user(request.user)
    scope.require(Perm.OPINION_ENTER)
    form = OfflineOpinionForm(
        request.POST or None,
        request.FILES or None,
        scope=scope,
        initial=request.session.get("enter_defaults", {}),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deputy = Deputy.objects.filter(pk__in=scope.deputy_ids).first() if scope.deputy_ids else None
        receiver = Deputy.objects.filter(pk=int(data["receiver"])).first() if data.get("receiver") else None
        if receiver is not None:
            deputy = receiver  # the case is the deputy's who received the citizen
        received_by = f"{receiver.name}代表" if receiver is not None else str(request.user)
        try:
            opinion, _ = intake.opinion_submit(
                scope=scope,
                data=intake.OpinionInput(
                    text=data["text"],
                    region=data["region"],
                    category=data["category"],
                    source=data["source"],
                    station=data["station"],
                    deputy=deputy,
                    citizen_name=data["citizen_name"],
                    citizen_phone=data["citizen_phone"],
                    anonymous=data["anonymous"] or not data["citizen_phone"],
                    consent=bool(data["citizen_phone"]),
                    photos=data.get("photos") or [],
                    received_by=received_by,
                    received_on=data.get("received_on") or timezone.localdate(),
                ),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except ValidationFailed as exc:
            form_refused(form, exc)
        else:
            request.session["enter_defaults"] = {
                "source": data["source"],
                "region": data["region"].pk,
                "station": data["station"].pk if data["station"] else None,
                "receiver": data.get("receiver") or "",
                "received_on": data["received_on"].isoformat() if data.get("received_on") else "",
            }
            messages.success(request, f"已录入，回执码 {opinion.receipt_code}。可继续录入下一件。")
            return redirect("opinions:enter")
    context = {
        "form": form,
        "idempotency_key": secrets.token_urlsafe(16),
        # A refused form cannot keep the files it was sent: say so beside the photo box.
        "photos_dropped": len(request.FILES.getlist("photos")) if request.method == "POST" else 0,
    }
    return render(request, "opinions/enter.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def slots(request: HttpRequest) -> HttpResponse:
    """Reception slots (接待时段) and the appointments booked in them."""
    scope = scope_for_user(request.user)
    scope.require(Perm.OPINION_ENTER)
    stations = scope.filter(Station.objects.filter(is_active=True)).order_by("region__path", "code")
    if scope.station_ids and not scope.has(Perm.OPINION_TRIAGE):
        stations = stations.filter(pk__in=scope.station_ids)
    error = ""
    if request.method == "POST":
        try:
            station_id = id_or_none(request.POST.get("station"))
            station = stations.filter(pk=station_id).first() if station_id else None
            if station is None:
                raise ValidationFailed("请选择站点", field="station")
            deputy_id = id_or_none(request.POST.get("deputy"))
            deputy = Deputy.objects.filter(pk=deputy_id).first() if deputy_id else None
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
                start = dt.time.fromisoformat(request.POST.get("start", ""))
                end = dt.time.fromisoformat(request.POST.get("end", ""))
            except ValueError:
                raise ValidationFailed("请填写正确的日期和时间", field="date") from None
            tz = timezone.get_current_timezone()
            created = appointments.slot_create(
                scope=scope,
                station=station,
                deputy=deputy,
                starts_at=dt.datetime.combine(day, start, tzinfo=tz),
                ends_at=dt.datetime.combine(day, end, tzinfo=tz),
                capacity=_int(request.POST.get("capacity"), 3),
                repeat_weeks=_int(request.POST.get("weeks"), 1),
            )
            messages.success(request, f"已安排 {len(created)} 个接待时段")
            return redirect("opinions:slots")
        except RendaError as exc:
            if exc.status_code == 404:
                raise
            error = exc.message
    upcoming = (
        scope.filter(
            ReceptionSlot.objects.filter(station__in=stations, starts_at__gte=timezone.now() - dt.timedelta(days=1)),
            perm=Perm.OPINION_ENTER,
        )
        .select_related("station", "deputy")
        .prefetch_related("appointments")
        .order_by("starts_at")[:100]
    )
    deputies = (
        Deputy.objects.filter(memberships__station__in=stations, memberships__end_date__isnull=True)
        .distinct()
        .order_by("name")
    )
    return render(
        request,
        "opinions/slots.html",
        {
            "slots": upcoming,
            "stations": stations,
            "deputies": deputies[:500],
            "error": error,
            "show_phone": scope.has(Perm.PERSONAL_DATA),
            "revealed": request.session.get(REVEALED, []),
            "posted": request.POST,
        },
        status=400 if error else 200,
    )


REVEALED = "revealed_appointments"


@login_required
@require_POST
def appointment_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """查看完整电话: the liaison must call the citizen; the look is audited."""
    scope = scope_for_user(request.user)
    appointment = scope.get(Appointment.objects.all(), perm=Perm.OPINION_ENTER, pk=pk)
    try:
        appointments.appointment_reveal_phone(scope=scope, appointment=appointment)
    except RendaError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
    else:
        shown = [p for p in request.session.get(REVEALED, []) if p != pk][-19:]
        request.session[REVEALED] = [*shown, pk]
    return redirect(f"{reverse('opinions:slots')}#appointment-{pk}")


def _int(value: str | None, default: int) -> int:
    number = id_or_none(value, max_digits=3)
    return default if number is None else number


@login_required
@require_POST
def appointment_state(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    appointment = scope.get(Appointment.objects.all(), perm=Perm.OPINION_ENTER, pk=pk)
    state = request.POST.get("state", "")
    try:
        appointments.appointment_set_state(scope=scope, appointment=appointment, state=state)
    except RendaError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"预约 {appointment.code} 已标记为“{AppointmentState(state).label}”")
    return redirect("opinions:slots")


@login_required
@require_GET
def photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """A citizen's photo, only to those who may see the case (media is never served publicly)."""
    scope = scope_for_user(request.user)
    opinion = selectors.opinion_detail(scope=scope, pk=pk)
    item = opinion.photos.filter(pk=photo_id).first()
    if item is None:
        raise NotFound("照片不存在")
    response = FileResponse(
        item.image.open("rb"), content_type="image/png" if str(item.image.name).endswith(".png") else "image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, answer_id: int) -> FileResponse:
    scope = scope_for_user(request.user)
    opinion = selectors.opinion_detail(scope=scope, pk=pk)
    answer = opinion.answers.filter(pk=answer_id).exclude(attachment="").first()
    if answer is None:
        raise NotFound("附件不存在")
    return FileResponse(
        answer.attachment.open("rb"), as_attachment=True, filename=str(answer.attachment.name).rsplit("/", 1)[-1]
    )
