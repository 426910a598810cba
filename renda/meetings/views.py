"""Pages of 会议: the list with the yearly-count warnings, a meeting, the sign-in console with the
venue QR, the deputy's scan-to-sign-in page, and the staff actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.audit.models import AuditEvent
from renda.codes.qr import qr_png
from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.pages import page_action
from renda.core.paging import paginate
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.core.validation import ascii_digits
from renda.meetings import policy, selectors, services
from renda.meetings.actions import ACTIONS
from renda.meetings.forms import DocumentForm, MeetingForm, VoteForm
from renda.meetings.models import Meeting
from renda.meetings.quorum import quorum_status
from renda.voting import selectors as vote_selectors
from renda.voting import services as voting
from renda.voting.models import Participation


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.MEETING_VIEW)
    today = timezone.localdate()
    year_text = request.GET.get("year", "")
    year = int(year_text) if ascii_digits(year_text) and len(year_text) == 4 else None
    page, querystring = paginate(request, selectors.meeting_list(scope=scope, year=year))
    context: dict[str, Any] = {"page": page, "querystring": querystring, "year": year, "today": today}
    if scope.has(Perm.MEETING_MANAGE):
        context["shortfalls"] = selectors.session_shortfalls(scope=scope, year=today.year, today=today)
        context["absences"] = selectors.absence_flags(scope=scope)
    return render(request, "meetings/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.MEETING_MANAGE)
    form = MeetingForm(request.POST or None, scope=scope)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                scope=scope,
                body=data["body"],
                title=data["title"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                venue=data["venue"],
                deputies=list(data["deputies"]) or None,
                agenda=form.agenda_lines(),
            )
        except ValidationFailed as exc:
            error = exc.message
        else:
            messages.success(request, f"已创建“{meeting.title}”")
            return redirect("meetings:detail", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/create.html", {"form": form, "error": error}, status=status)


def _detail_context(scope: Scope, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    votes = vote_selectors.votes_of(meeting)
    mine = selectors.my_attendance(scope, meeting)
    voted = (
        set(
            Participation.objects.filter(vote__meeting=meeting, deputy_id__in=scope.deputy_ids).values_list(
                "vote_id", flat=True
            )
        )
        if mine
        else set()
    )
    context: dict[str, Any] = {
        "meeting": meeting,
        "quorum": quorum_status(meeting),
        "agenda": list(meeting.agenda.all()),
        "documents": list(meeting.documents.select_related("agenda_item")),
        "votes": [(v, scope.has(Perm.MEETING_MANAGE) or v.state == "published", v.pk in voted) for v in votes],
        "actions": {t.name for t in policy.available(scope, meeting)},
        "mine": mine,
        "document_form": DocumentForm(),
    }
    if scope.has(Perm.AUDIT_VIEW):
        context["timeline"] = meeting_timeline(meeting, votes)
    context.update(extra)
    return context


def meeting_timeline(meeting: Meeting, votes: list[Any]) -> list[AuditEvent]:
    """The meeting's and its votes' audit events, oldest first (who, when, why)."""
    q = Q(target_type="meetings.meeting", target_id=str(meeting.pk))
    if votes:
        q |= Q(target_type="voting.vote", target_id__in=[str(v.pk) for v in votes])
    return list(AuditEvent.objects.filter(q).select_related("actor").order_by("seq"))


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    meeting = selectors.meeting_detail(scope=scope, pk=pk)
    return render(request, "meetings/detail.html", _detail_context(scope, meeting))


def _manageable(scope: Scope, pk: int) -> Meeting:
    scope.require(Perm.MEETING_MANAGE)
    return selectors.meeting_detail(scope=scope, pk=pk)


@login_required
@require_GET
def signin(request: HttpRequest, pk: int) -> HttpResponse:
    """The sign-in console shown on the venue screen: the rotating QR and who has signed in."""
    scope = scope_for_user(request.user)
    meeting = _manageable(scope, pk)
    q = request.GET.get("q", "").strip()[:20]
    attendees = list(selectors.attendees_of(meeting))
    context = {
        "meeting": meeting,
        "attendees": [a for a in attendees if q in a.deputy.name] if q else attendees,
        "q": q,
        "quorum": quorum_status(meeting),
        "token": services.checkin_token(meeting),
        "actions": {t.name for t in policy.available(scope, meeting)},
    }
    return render(request, "meetings/signin.html", context)


@login_required
@require_GET
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment, polled: attendance against the quorum and the current QR."""
    scope = scope_for_user(request.user)
    meeting = _manageable(scope, pk)
    context = {"meeting": meeting, "quorum": quorum_status(meeting), "token": services.checkin_token(meeting)}
    return render(request, "meetings/_live.html", context)


def checkin_url(meeting: Meeting, token: str) -> str:
    path = reverse("meetings:checkin", kwargs={"pk": meeting.pk, "token": token})
    return str(settings.PUBLIC_BASE_URL).rstrip("/") + path


@login_required
@require_GET
def qr(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    meeting = _manageable(scope, pk)
    png = qr_png(checkin_url(meeting, services.checkin_token(meeting)), scale=8)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def signin_sheet(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """签到表 to print (Word or PDF), for those who run the meeting."""
    from renda.core.official import serve
    from renda.meetings.documents import signin_sheet as sheet

    scope = scope_for_user(request.user)
    meeting = _manageable(scope, pk)
    response: HttpResponse = serve(sheet(meeting), f"{meeting.title}-代表签到表", fmt)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """What the deputy's phone opens after scanning the venue QR: one button to sign in."""
    scope = scope_for_user(request.user)
    scope.require(Perm.VOTE_CAST)
    meeting = selectors.meeting_detail(scope=scope, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.attendee_check_in(scope=scope, meeting=meeting, token=token)
        except RendaError as exc:
            if exc.status_code == 404:
                raise
            error = exc.message
        else:
            messages.success(request, "签到成功")
            return redirect("meetings:detail", pk=meeting.pk)
    context = {"meeting": meeting, "mine": selectors.my_attendance(scope, meeting), "error": error, "token": token}
    return render(request, "meetings/checkin.html", context, status=400 if error else 200)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the meeting page or the sign-in console (meetings/actions.py,
    core/pages.py). Errors re-show the page the action came from; nothing is half-written."""
    back = "meetings:signin" if request.POST.get("back", "") == "signin" else "meetings:detail"

    def refused(scope: Scope, meeting: Meeting, entry: Any, exc: RendaError) -> HttpResponse:
        if back == "meetings:signin":
            messages.error(request, exc.message)
            return redirect(back, pk=pk)
        context = _detail_context(scope, meeting, error=exc.message, edit_open=entry.name == "edit")
        return render(request, "meetings/detail.html", context, status=exc.status_code)

    return page_action(
        request,
        ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.meeting_detail(scope=scope, pk=key),
        refused=refused,
        done=lambda meeting, result, entry: redirect(back, pk=pk),
    )


@login_required
@require_GET
def document(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    scope = scope_for_user(request.user)
    meeting = selectors.meeting_detail(scope=scope, pk=pk)
    doc = meeting.documents.filter(pk=doc_id).first()
    if doc is None or not doc.file:
        raise NotFound("文件不存在")
    return FileResponse(doc.file.open("rb"), as_attachment=True, filename=(doc.file.name or "file").rsplit("/", 1)[-1])


@login_required
@require_http_methods(["GET", "POST"])
def vote_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a question to the meeting (a draft vote, opened later from its page)."""
    scope = scope_for_user(request.user)
    meeting = _manageable(scope, pk)
    form = VoteForm(request.POST or None, meeting=meeting)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            vote = voting.vote_create(
                scope=scope,
                meeting=meeting,
                title=data["title"],
                method=data["method"],
                seats=data["seats"],
                description=data["description"],
                agenda_item=data["agenda_item"],
                options=[voting.OptionInput(label=label, description=d) for label, d in form.option_lines()],
            )
        except RendaError as exc:
            if exc.status_code in (403, 404):
                raise
            error = exc.message
        else:
            messages.success(request, "已提交表决事项，可在表决页开始表决")
            return redirect("voting:detail", pk=vote.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetings/vote_new.html", {"meeting": meeting, "form": form, "error": error}, status=status)
