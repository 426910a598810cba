"""Staff pages of 民生实事: the overview, proposals and their screening, the candidate list and
its vote, each project's plan, progress, rating and rectification, the mid-year report."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.official import DOCX_TYPE, XLSX_TYPE, download
from renda.core.pages import page_action
from renda.core.paging import int_param, paginate
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.core.validation import ascii_digits, mask_name, mask_phone
from renda.meetings.models import Meeting, MeetingState
from renda.org.models import Deputy, HandlingUnit, Station
from renda.projects import delivery, lists, policy, selectors, services
from renda.projects import proposals as proposal_services
from renda.projects.actions import LIST_ACTIONS, PROJECT_ACTIONS, PROPOSAL_ACTIONS
from renda.projects.models import (
    CandidateList,
    Grade,
    ProjectState,
    Proposal,
    ProposalState,
    RatingMode,
    VoteMethod,
)
from renda.regions.models import Region, RegionLevel
from renda.regions.selectors import region_choices


def _year_param(request: HttpRequest) -> int | None:
    value = int_param(request, "year")
    return value if value and 2000 <= value <= 2100 else None


def _townships(scope: Scope) -> Any:
    return (
        region_choices(scope=scope, max_level=RegionLevel.TOWNSHIP).filter(level=RegionLevel.TOWNSHIP).order_by("path")
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """民生实事 overview: the candidate lists, the year's projects and what needs attention."""
    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_VIEW)
    year = _year_param(request)
    projects = selectors.project_list(scope=scope, filters=selectors.ProjectFilter(year=year))
    proposals = selectors.proposal_list(scope=scope)
    context = {
        "lists": selectors.list_index(scope=scope).filter(**({"year": year} if year else {}))[:50],
        "projects": projects[:200],
        "year": year,
        "years": sorted({*projects.values_list("year", flat=True), services.proposal_year()}, reverse=True),
        "counts": {
            "proposals": proposals.filter(state=ProposalState.SUBMITTED).count(),
            "behind": projects.filter(is_behind=True).count(),
            "rating": projects.filter(state=ProjectState.RATING).count(),
            "rectifying": projects.filter(state=ProjectState.RECTIFYING).count(),
        },
        "mine": scope.unit_ids,
        "townships": _townships(scope) if scope.has(Perm.PROJECT_MANAGE) else [],
        "this_year": timezone.localdate().year,
    }
    return render(request, "projects/index.html", context)


# ------------------------------------------------------------------ 群众点单


@login_required
@require_GET
def proposals(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_VIEW)
    state = request.GET.get("state", "")
    filters = selectors.ProposalFilter(
        state=state if state in ProposalState.values else "",
        year=_year_param(request),
        region_id=int_param(request, "region"),
        q=request.GET.get("q", "")[:50],
    )
    page, querystring = paginate(request, selectors.proposal_list(scope=scope, filters=filters))
    return render(
        request,
        "projects/proposals.html",
        {
            "page": page,
            "querystring": querystring,
            "filters": filters,
            "states": ProposalState.choices,
            "regions": _townships(scope),
        },
    )


def _proposal_input(scope: Scope, data: Any) -> proposal_services.ProposalInput:
    region = _pick_region(scope, data.get("region"))
    station = None
    station_id = data.get("station", "")
    if ascii_digits(station_id) and len(station_id) < 12:
        station = scope.filter(Station.objects.select_related("region")).filter(pk=int(station_id)).first()
        if station is None:
            raise NotFound("站点不存在或不在您的管辖范围内")
    elif len(scope.station_ids) == 1 and not scope.has(Perm.PROJECT_MANAGE):
        station = Station.objects.select_related("region").filter(pk__in=scope.station_ids).first()
    deputy = None
    if scope.deputy_ids and not scope.has(Perm.PROJECT_MANAGE):
        deputy = Deputy.objects.select_related("region").filter(pk__in=scope.deputy_ids).order_by("id").first()
    return proposal_services.ProposalInput(
        title=data.get("title", ""),
        text=data.get("text", ""),
        region=region,
        citizen_name=data.get("citizen_name", ""),
        citizen_phone=data.get("citizen_phone", ""),
        consent=bool(data.get("citizen_phone", "").strip()),
        station=station,
        deputy=deputy,
    )


def _pick_region(scope: Scope, value: str | None) -> Region:
    if not value or not ascii_digits(str(value)) or len(str(value)) > 12:
        raise ValidationFailed("请选择项目所在的乡镇/街道或村/社区", field="region")
    return scope.get(Region.objects.all(), pk=int(value))


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest) -> HttpResponse:
    """录入: a station, deputy or staff member enters proposals gathered from the people."""
    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_PROPOSE)
    error, field = "", ""
    if request.method == "POST":
        try:
            proposal = proposal_services.proposal_enter(
                scope=scope,
                data=_proposal_input(scope, request.POST),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        except ValidationFailed as exc:
            error, field = exc.message, exc.field or ""
        else:
            messages.success(request, f"已录入项目建议 {proposal.code}，可继续录入下一件")
            return redirect("projects:proposal_new")
    stations = scope.filter(Station.objects.filter(is_active=True)).order_by("region__path", "code")
    if scope.station_ids and not scope.has(Perm.PROJECT_MANAGE):
        stations = stations.filter(pk__in=scope.station_ids)
    return render(
        request,
        "projects/proposal_new.html",
        {
            "regions": region_choices(scope=scope, max_level=RegionLevel.VILLAGE)
            .filter(level__gte=RegionLevel.TOWNSHIP)
            .order_by("path"),
            "stations": stations[:300],
            "error": error,
            "field": field,
            "posted": request.POST,
            "year": services.proposal_year(),
            "idempotency_key": secrets.token_urlsafe(16),
        },
        status=400 if error else 200,
    )


def _proposal_context(scope: Scope, proposal: Proposal, **extra: Any) -> dict[str, Any]:
    actions = policy.proposal_actions(scope, proposal)
    show = policy.can_see_person(scope)
    return {
        "proposal": proposal,
        "actions": actions,
        "citizen_name": proposal.citizen_name if show else mask_name(proposal.citizen_name),
        "citizen_phone": proposal.citizen_phone if show else mask_phone(proposal.citizen_phone),
        "similar": selectors.similar_proposals(proposal=proposal) if "merge" in actions else [],
        "timeline": selectors.timeline(target=proposal),
        **extra,
    }


@login_required
@require_GET
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    item = selectors.proposal_detail(scope=scope, pk=pk)
    return render(request, "projects/proposal.html", _proposal_context(scope, item))


@login_required
@require_POST
def proposal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Screen or merge a proposal (projects/actions.py, core/pages.py)."""

    def refused(scope: Scope, item: Proposal, entry: Any, exc: RendaError) -> HttpResponse:
        context = _proposal_context(scope, item, error=exc.message, posted=request.POST)
        return render(request, "projects/proposal.html", context, status=exc.status_code)

    return page_action(
        request,
        PROPOSAL_ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.proposal_detail(scope=scope, pk=key),
        refused=refused,
        done=lambda item, result, entry: redirect("projects:proposal", pk=pk),
    )


# ------------------------------------------------------------------ 代表定单


@login_required
@require_POST
def list_new(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_MANAGE)
    try:
        region = _pick_region(scope, request.POST.get("region"))
        created = lists.list_create(
            scope=scope,
            region=region,
            year=request.POST.get("year", ""),
            seats=request.POST.get("seats", ""),
            method=request.POST.get("method", ""),
        )
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("projects:index")
    messages.success(request, "已新建候选项目清单，请从项目建议中添加候选项目")
    return redirect("projects:list", pk=created.pk)


def _list_context(scope: Scope, c: CandidateList, **extra: Any) -> dict[str, Any]:
    actions = policy.list_actions(scope, c)
    context: dict[str, Any] = {
        "clist": c,
        "candidates": list(c.candidates.all()),
        "actions": actions,
        "methods": VoteMethod.choices,
        "margin": lists.margin_problem(candidates=len(c.candidates.all()), seats=c.seats),
        "timeline": selectors.timeline(target=c),
        "min_extra": rule("project.min_extra_candidates"),
        "min_ratio": rule("project.min_candidate_ratio"),
    }
    if "edit" in actions:
        context["units"] = HandlingUnit.objects.filter(region__path__startswith=c.region.path, is_active=True).order_by(
            "code"
        )
        context["open_proposals"] = (
            Proposal.objects.filter(
                region=c.region, year=c.year, state__in=[ProposalState.ACCEPTED, ProposalState.SUBMITTED]
            )
            .order_by("state", "id")
            .only("id", "code", "title", "state")
        )
    if "put_to_vote" in actions:
        context["meetings"] = (
            scope.filter(Meeting.objects.filter(body=c.body, year__in=[c.year - 1, c.year]), perm=Perm.PROJECT_VIEW)
            .exclude(state=MeetingState.CLOSED)
            .order_by("start_date")
        )
    if c.vote_id:
        context["vote_url"] = _vote_url(c)
    context.update(extra)
    return context


def _vote_url(c: CandidateList) -> str:
    """The voting app's page of this list's vote, when it has one."""
    for name, kwargs in (("voting:vote", {"pk": c.vote_id}), ("voting:detail", {"pk": c.vote_id})):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


@login_required
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    c = selectors.list_detail(scope=scope, pk=pk)
    return render(request, "projects/list.html", _list_context(scope, c))


@login_required
@require_POST
def list_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Edit, fix, reopen or put a candidate list to the vote (projects/actions.py, core/pages.py)."""

    def refused(scope: Scope, c: Any, entry: Any, exc: RendaError) -> HttpResponse:
        context = _list_context(scope, c, error=exc.message, error_action=action, posted=request.POST)
        return render(request, "projects/list.html", context, status=exc.status_code)

    return page_action(
        request,
        LIST_ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.list_detail(scope=scope, pk=key),
        refused=refused,
        done=lambda c, result, entry: redirect("projects:list", pk=pk),
    )


# ------------------------------------------------------------------ 政府买单、人大验单


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_VIEW)
    state = request.GET.get("state", "")
    filters = selectors.ProjectFilter(
        year=_year_param(request),
        state=state if state in ProjectState.values else "",
        region_id=int_param(request, "region"),
        behind=request.GET.get("behind") == "1",
        mine=request.GET.get("mine") == "1",
    )
    page, querystring = paginate(request, selectors.project_list(scope=scope, filters=filters))
    return render(
        request,
        "projects/projects.html",
        {
            "page": page,
            "querystring": querystring,
            "filters": filters,
            "states": ProjectState.choices,
            "regions": _townships(scope),
            "today": timezone.localdate(),
        },
    )


def _project_context(request: HttpRequest, scope: Scope, project: Any, **extra: Any) -> dict[str, Any]:
    mine = selectors.my_rating(scope=scope, project=project)
    actions = policy.project_actions(scope, project, rated=mine is not None)
    summaries = [selectors.rating_summary(project=project, round_no=r) for r in range(1, project.rating_round + 1)]
    milestones = list(project.milestones.all())
    context: dict[str, Any] = {
        "project": project,
        "candidate": project.candidate,
        "actions": actions,
        "milestones": milestones,
        "milestone_rows": milestones or [None] * 3,
        "expected": selectors.expected_now(project),
        "summaries": summaries,
        "show_figures": policy.can_see_figures(scope, project),
        "my_rating": mine,
        "grades": Grade.choices,
        "scored": project.rating_mode == RatingMode.SCORE,
        "threshold": delivery.pass_threshold(project.rating_mode),
        "timeline": selectors.timeline(target=project),
        "today": timezone.localdate(),
        "rectifications": list(project.rectifications.order_by("round")),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def project(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    item = selectors.project_detail(scope=scope, pk=pk)
    return render(request, "projects/project.html", _project_context(request, scope, item))


@login_required
@require_POST
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Plan, report, rate and rectify a project (projects/actions.py, core/pages.py)."""

    def refused(scope: Scope, item: Any, entry: Any, exc: RendaError) -> HttpResponse:
        context = _project_context(request, scope, item, error=exc.message, error_action=action, posted=request.POST)
        return render(request, "projects/project.html", context, status=exc.status_code)

    return page_action(
        request,
        PROJECT_ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.project_detail(scope=scope, pk=key),
        refused=refused,
        done=lambda item, result, entry: redirect("projects:project", pk=pk),
    )


@login_required
@require_GET
def midyear(request: HttpRequest, fmt: str) -> HttpResponse:
    """年中报告: the year's projects of a township for the mid-year session, as Word or Excel."""
    from renda.projects.documents import midyear_docx, midyear_xlsx

    scope = scope_for_user(request.user)
    scope.require(Perm.PROJECT_VIEW)
    region_id = int_param(request, "region")
    if region_id is None:
        raise ValidationFailed("请选择乡镇/街道", field="region")
    region = scope.get(Region.objects.all(), pk=region_id)
    year = _year_param(request) or timezone.localdate().year
    if fmt == "docx":
        data, content_type = midyear_docx(scope=scope, region=region, year=year), DOCX_TYPE
    else:
        data, content_type = midyear_xlsx(scope=scope, region=region, year=year), XLSX_TYPE
    response: HttpResponse = download(data, f"{region.name}{year}年民生实事项目年中报告.{fmt}", content_type)
    return response
