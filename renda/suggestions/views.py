"""Pages of 代表建议: the list, drafting, the suggestion page with every action of every role, the
supervision board, follow-ups, statistics with exports, session windows, and the public answers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from renda.audit.services import audit_record
from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.pages import page_action
from renda.core.paging import int_param, paginate
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.core.validation import id_or_none
from renda.org.models import Body, BodyKind
from renda.regions.selectors import region_choices
from renda.suggestions import documents, policy, selectors, services
from renda.suggestions.actions import ACTIONS, message
from renda.suggestions.exports import assignment_list_xlsx, summary_xlsx
from renda.suggestions.forms import SuggestionForm
from renda.suggestions.models import (
    DEADLINE_STATES,
    HANDLING_STATES,
    Answer,
    Assignment,
    ContactWay,
    Period,
    Rating,
    Signatory,
    SignatoryStatus,
    State,
    Suggestion,
    SupervisionKind,
)

QUEUES = [
    ("", "全部"),
    ("open", "办理中"),
    ("overdue", "已逾期"),
    ("due_soon", "即将到期"),
    ("key", "重点建议"),
    ("unsatisfied", "不满意"),
    ("to_rate", "待评价"),
    ("promises", "承诺事项"),
]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: HttpRequest) -> selectors.SuggestionFilter:
    state = request.GET.get("state", "")
    queue = request.GET.get("queue", "")
    return selectors.SuggestionFilter(
        state=state if state in State.values else "",
        queue=queue if queue in dict(QUEUES) else "",
        q=request.GET.get("q", "")[:50],
        year=int_param(request, "year"),
        body_id=int_param(request, "body"),
        region_id=int_param(request, "region"),
        unit_id=int_param(request, "unit"),
        category_id=int_param(request, "category"),
    )


def _bodies(scope: Scope) -> Any:
    return scope.filter(Body.objects.filter(kind=BodyKind.CONGRESS), perm=Perm.SUGGESTION_VIEW).order_by(
        "-level", "region__path"
    )


def _file(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name: str) -> str:
    return quote(name)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    filters = _filters(request)
    page, querystring = paginate(request, selectors.suggestion_list(scope=scope, filters=filters))
    base = selectors.suggestion_base(scope=scope)
    counts = base.aggregate(
        **{
            "submitted": _count(state=State.SUBMITTED),
            "accepted": _count(state=State.ACCEPTED),
            "handling": _count(state__in=HANDLING_STATES),
            "to_rate": _count(state=State.ANSWERED),
            "overdue": _count(is_overdue=True, state__in=DEADLINE_STATES),
            "invited": _count(signatories__deputy_id__in=scope.deputy_ids, signatories__status=SignatoryStatus.INVITED),
        }
    )
    context = {
        "page": page,
        "querystring": querystring,
        "filters": filters,
        "states": State.choices,
        "queues": QUEUES,
        "counts": counts,
        "bodies": _bodies(scope),
        "years": selectors.years_for(scope=scope),
        "can_draft": scope.has(Perm.SUGGESTION_DRAFT) and bool(scope.deputy_ids),
        "can_manage": scope.has(Perm.SUGGESTION_MANAGE),
    }
    return render(request, "suggestions/index.html", context)


def _count(**lookup: Any) -> Any:
    return Count("id", filter=Q(**lookup), distinct=True)


def _draft_input(data: dict[str, Any], body: Body) -> services.DraftInput:
    return services.DraftInput(
        body=body,
        title=data["title"],
        content=data["content"],
        category=data["category"],
        problem=data.get("problem", ""),
        proposal=data.get("proposal", ""),
        period=data["period"],
        wide_or_hard=bool(data.get("wide_or_hard")),
        cosigners=list(data.get("cosigners") or []),
        opinions=list(data.get("opinions") or []),
    )


SINGLE_FIELDS = ("title", "content", "problem", "proposal", "period", "category", "body")


def _kept(post: Any) -> dict[str, Any]:
    """What the deputy has typed so far, for the form shown again after a search (查找代表)
    without judging it: nothing is saved and no field is marked wrong yet."""
    kept: dict[str, Any] = {k: post.get(k, "") for k in SINGLE_FIELDS if k in post}
    kept["wide_or_hard"] = bool(post.get("wide_or_hard"))
    kept["opinions"] = [i for i in (id_or_none(v) for v in post.getlist("opinions")) if i is not None]
    return kept


def _ticked(values: list[str]) -> list[int]:
    return [i for i in (id_or_none(v) for v in values[: selectors.MAX_PICKED]) if i is not None]


def _picker(scope: Scope, form: SuggestionForm, params: Any) -> selectors.CosignerPick | None:
    if form.chosen_body is None or "cosigners" not in form.fields:
        return None
    return selectors.cosigner_search(
        body=form.chosen_body,
        q=params.get("cosigner_q", ""),
        selected=_ticked(params.getlist("cosigners")),
        exclude=list(scope.deputy_ids),
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """起草: a deputy drafts a suggestion, optionally from opinions (?opinions=1,2) and with co-signers,
    to any congress they are a deputy of (五级代表; ?body= picks one, the lowest by default). The
    co-signer picker searches without JavaScript: 查找代表 posts the form back with the search
    (``_search``), which shows it again with the typed text kept and nothing saved."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_DRAFT)
    initial: dict[str, Any] = {"period": Period.RECESS}
    picked = [int(x) for x in request.GET.get("opinions", "").split(",") if x.isascii() and x.isdigit() and len(x) < 12]
    if picked:
        initial["opinions"] = picked
    if request.GET.get("body"):
        initial["body"] = request.GET["body"]
    searching = request.method == "POST" and "_search" in request.POST
    if searching:
        initial |= _kept(request.POST)
    posted = request.POST if request.method == "POST" and not searching else None
    form = SuggestionForm(posted, scope=scope, initial=initial)
    if posted is not None and form.is_valid():
        try:
            s = services.suggestion_draft(scope=scope, data=_draft_input(form.cleaned_data, form.cleaned_data["body"]))
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            invited = s.signatories.filter(status=SignatoryStatus.INVITED).count()
            messages.success(
                request, f"建议草稿已保存{f'，已邀请 {invited} 位代表联名，待对方确认后可提交' if invited else ''}。"
            )
            return redirect("suggestions:detail", pk=s.pk)
    window = services.open_window(form.chosen_body) if form.chosen_body is not None else None
    params = request.POST if request.method == "POST" else request.GET
    return render(
        request,
        "suggestions/form.html",
        {"form": form, "editing": False, "window": window, "pick": _picker(scope, form, params)},
        status=400 if posted is not None else 200,
    )


@login_required
@require_GET
def cosigners(request: HttpRequest) -> HttpResponse:
    """The co-signer picker's results (htmx, as the deputy types or changes the congress): the
    ticked deputies of the chosen congress, then the matches of the search."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_DRAFT)
    form = SuggestionForm(None, scope=scope, initial={"body": request.GET.get("body", "")})
    raw_body = request.GET.get("body", "")
    if raw_body and (form.chosen_body is None or str(form.chosen_body.pk) != raw_body.strip()):
        raise NotFound("人民代表大会不存在或您不是其代表", field="body")
    pick = _picker(scope, form, request.GET)
    if pick is None:
        raise NotFound("您不是任何一级人民代表大会的代表", field="body")
    return render(request, "suggestions/_cosigner_results.html", {"pick": pick})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_DRAFT)
    s = selectors.suggestion_detail(scope=scope, pk=pk)
    initial = {
        "body": s.body_id,
        "title": s.title,
        "content": s.content,
        "problem": s.problem,
        "proposal": s.proposal,
        "period": s.period,
        "wide_or_hard": s.wide_or_hard,
        "category": s.category_id,
        "opinions": [o.pk for o in s.opinions.all()],
    }
    form = SuggestionForm(request.POST or None, scope=scope, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.suggestion_edit(scope=scope, suggestion=s, data=_draft_input(form.cleaned_data, s.body))
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "已保存修改")
            return redirect("suggestions:detail", pk=s.pk)
    return render(
        request,
        "suggestions/form.html",
        {"form": form, "editing": True, "suggestion": s},
        status=400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------ the suggestion page


def _detail_context(scope: Scope, s: Suggestion, **extra: Any) -> dict[str, Any]:
    acts = policy.available_names(scope, s)
    context: dict[str, Any] = {
        "s": s,
        "actions": acts,
        "timeline": selectors.suggestion_timeline(suggestion=s),
        "today": timezone.localdate(),
        "answer_classes": services.answer_classes(),
        "ratings": Rating.choices,
        "contact_ways": ContactWay.choices,
        "supervision_kinds": SupervisionKind.choices,
        "signatories": list(s.signatories.all()),
        "confirmed": [x for x in s.signatories.all() if x.status == SignatoryStatus.CONFIRMED],
        "active_assignments": [a for a in s.assignments.all() if a.active],
        "past_assignments": [a for a in s.assignments.all() if not a.active],
        "round_contacts": [c for c in s.contacts.all() if c.round == s.round],
    }
    if "assign" in acts:
        context["units"] = selectors.unit_choices(suggestion=s)
    if "invite" in acts:
        context["invitable"] = selectors.cosigner_choices(
            body=s.body, exclude=[x.deputy_id for x in s.signatories.all()]
        ).select_related("region")[:500]
    context.update(extra)
    return context


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    s = selectors.suggestion_detail(scope=scope, pk=pk)
    return render(request, "suggestions/detail.html", _detail_context(scope, s))


def _date(value: str, label: str, fieldname: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"请填写正确的{label}（年-月-日）", field=fieldname) from None


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the suggestion page (suggestions/actions.py, core/pages.py). Errors re-show
    the page with the message; nothing is half-written."""

    def refused(scope: Scope, s: Suggestion, entry: Any, exc: RendaError) -> HttpResponse:
        context = _detail_context(scope, s, error=exc.message, error_action=action, posted=request.POST)
        return render(request, "suggestions/detail.html", context, status=exc.status_code)

    def done(s: Suggestion, result: Any, entry: Any) -> HttpResponse:
        if not selectors.suggestion_base(scope=scope_for_user(request.user)).filter(pk=pk).exists():
            return redirect("suggestions:index")  # e.g. a unit that objected no longer sees it
        return redirect("suggestions:detail", pk=pk)

    return page_action(
        request,
        ACTIONS,
        action,
        pk,
        load=lambda scope, key: selectors.suggestion_detail(scope=scope, pk=key),
        refused=refused,
        done=done,
        say=message,
    )


# ------------------------------------------------------------------ documents


@login_required
@require_GET
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """交办通知 (.docx), for the office and the assigned units."""
    scope = scope_for_user(request.user)
    s = selectors.suggestion_detail(scope=scope, pk=pk)
    if s.assigned_at is None or not any(a.active for a in s.assignments.all()):
        raise NotFound("该建议尚未交办")
    content = documents.assignment_notice_docx(suggestion=s)
    return _file(content, f"交办通知-{s.number}.docx", DOCX)


@login_required
@require_GET
def letter(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    """答复函 (.docx) as sent: generated from the answer, or the unit's uploaded version."""
    scope = scope_for_user(request.user)
    s = selectors.suggestion_detail(scope=scope, pk=pk)
    answer = next((a for a in s.answers.all() if a.pk == answer_id), None)
    if answer is None:
        raise NotFound("答复不存在")
    with answer.letter.open("rb") as f:
        content = f.read()
    return _file(content, f"答复函-{s.number}-第{answer.round}轮.docx", DOCX)


@login_required
@require_POST
def letter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer letter generated from the text being typed, for the unit to edit in Word and upload."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_HANDLE)
    s = selectors.suggestion_detail(scope=scope, pk=pk)
    if "answer" not in policy.available_names(scope, s) or s.lead_unit is None:
        raise NotFound("只有主办单位在答复时可以生成答复函")
    answer_class = request.POST.get("answer_class", "")
    if answer_class not in dict(services.answer_classes()):
        answer_class = ""
    text = request.POST.get("text", "")[: services.MAX_ANSWER]
    content = documents.answer_letter_docx(
        suggestion=s, unit=s.lead_unit, answer_class=answer_class, text=text, on=timezone.localdate()
    )
    return _file(content, f"答复函草稿-{s.number}.docx", DOCX)


# ------------------------------------------------------------------ board, follow-ups, statistics


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """督办看板: due soon, overdue, unsatisfied, key suggestions, by unit and by region."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_MANAGE)
    year = int_param(request, "year")
    data = selectors.supervision_board(scope=scope, year=year)
    return render(
        request, "suggestions/board.html", {"board": data, "year": year, "years": selectors.years_for(scope=scope)}
    )


@login_required
@require_GET
def followups(request: HttpRequest) -> HttpResponse:
    """承诺事项跟踪: every B/C answer not yet reported done, whatever its year or term."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    page, querystring = paginate(request, selectors.followups(scope=scope))
    return render(request, "suggestions/followups.html", {"page": page, "querystring": querystring})


def _stats_args(request: HttpRequest) -> tuple[str, selectors.SuggestionFilter]:
    dimension = request.GET.get("by", "body")
    if dimension not in selectors.DIMENSIONS:
        dimension = "body"
    f = selectors.SuggestionFilter(
        year=int_param(request, "year"),
        body_id=int_param(request, "body"),
        region_id=int_param(request, "region"),
        category_id=int_param(request, "category"),
    )
    return dimension, f


@login_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    dimension, f = _stats_args(request)
    total, rows = selectors.statistics(scope=scope, dimension=dimension, filters=f)
    return render(
        request,
        "suggestions/stats.html",
        {
            "total": total,
            "rows": rows,
            "dimension": dimension,
            "dimensions": [(k, v[0]) for k, v in selectors.DIMENSIONS.items()],
            "filters": f,
            "years": selectors.years_for(scope=scope),
            "bodies": _bodies(scope),
            "regions": region_choices(scope=scope, max_level=4).order_by("path") if scope.has(Perm.ORG_VIEW) else [],
            "categories": selectors.categories_top(),
            "querystring": request.GET.urlencode(),
            "figures_check": selectors.last_figures_check(scope=scope),
        },
    )


def _audit_export(scope: Scope, what: str, description: str, count: int) -> None:
    audit_record(
        actor=scope.actor,
        action="suggestion.export",
        target_type="suggestions.export",
        target_id=what,
        region_path=scope.roots[0] if scope.roots else "",
        reason=description[:500] or "全部",
        after={"what": what, "rows": count},
    )


@login_required
@require_GET
def stats_export(request: HttpRequest) -> HttpResponse:
    """汇总表 (.xlsx)."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    dimension, f = _stats_args(request)
    total, rows = selectors.statistics(scope=scope, dimension=dimension, filters=f)
    content = summary_xlsx(total=total, rows=rows, dimension_label=selectors.DIMENSIONS[dimension][0])
    _audit_export(scope, "summary", request.GET.urlencode(), len(rows))
    return _file(content, f"代表建议汇总表-{timezone.localdate():%Y%m%d}.xlsx", XLSX)


@login_required
@require_GET
def assignments_export(request: HttpRequest) -> HttpResponse:
    """交办清单 (.xlsx) of the suggestions in the current list."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    qs = selectors.suggestion_list(scope=scope, filters=_filters(request)).filter(assigned_at__isnull=False)
    content, count = assignment_list_xlsx(qs=qs)
    _audit_export(scope, "assignments", request.GET.urlencode(), count)
    return _file(content, f"代表建议交办清单-{timezone.localdate():%Y%m%d}.xlsx", XLSX)


@login_required
@require_GET
def compilation(request: HttpRequest) -> HttpResponse:
    """建议汇编 (.docx) of the registered suggestions in the current list, by number."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_VIEW)
    qs = (
        selectors.stats_base(scope=scope, filters=_filters(request))
        .select_related("lead_deputy", "body")
        .prefetch_related(
            Prefetch("signatories", queryset=Signatory.objects.select_related("deputy").order_by("-is_lead", "id")),
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit").order_by("-role", "id")),
            Prefetch("answers", queryset=Answer.objects.order_by("round")),
        )
        .order_by("body_id", "year", "seq")[:2000]
    )
    items = list(qs)
    year = _filters(request).year
    title = f"{year or ''}{'年度' if year else ''}代表建议及办理情况汇编"
    content = documents.compilation_docx(suggestions=items, title=title)
    _audit_export(scope, "compilation", request.GET.urlencode(), len(items))
    return _file(content, f"代表建议汇编-{timezone.localdate():%Y%m%d}.docx", DOCX)


# ------------------------------------------------------------------ session windows


@login_required
@require_http_methods(["GET", "POST"])
def windows(request: HttpRequest) -> HttpResponse:
    """大会期间建议提交时段: staff open a window per congress session."""
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_MANAGE)
    bodies = scope.filter(Body.objects.filter(kind=BodyKind.CONGRESS), perm=Perm.SUGGESTION_MANAGE).order_by(
        "-level", "region__path"
    )
    error = ""
    if request.method == "POST":
        try:
            body_id = id_or_none(request.POST.get("body"))
            body = bodies.filter(pk=body_id).select_related("region").first() if body_id is not None else None
            if body is None:
                raise ValidationFailed("请选择人民代表大会", field="body")
            window = services.window_create(
                scope=scope,
                body=body,
                label=request.POST.get("label", ""),
                starts_on=_date(request.POST.get("starts_on", ""), "开始日期", "starts_on"),
                ends_on=_date(request.POST.get("ends_on", ""), "截止日期", "ends_on"),
            )
            messages.success(request, f"已设置提交时段：{window}")
            return redirect("suggestions:windows")
        except RendaError as exc:
            if exc.status_code in (403, 404):
                raise
            error = exc.message
    return render(
        request,
        "suggestions/windows.html",
        {
            "windows": selectors.windows_for(scope=scope)[:100],
            "bodies": bodies,
            "error": error,
            "posted": request.POST,
            "today": timezone.localdate(),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def window_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.SUGGESTION_MANAGE)
    window = selectors.windows_for(scope=scope).filter(pk=pk).first()
    if window is None:
        raise NotFound("提交时段不存在或不在您的管辖范围内")
    try:
        services.window_delete(scope=scope, window=window)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已删除提交时段")
    return redirect("suggestions:windows")


# ------------------------------------------------------------------ public answers (no login)


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """代表建议办理结果公开: answers the lead deputy agreed to publish; no login, phone-friendly."""
    body_id = int_param(request, "body")
    q = request.GET.get("q", "")[:50]
    page, querystring = paginate(request, selectors.public_answers(body_id=body_id, q=q), per_page=20)
    return render(
        request,
        "suggestions/public.html",
        {"page": page, "querystring": querystring, "bodies": selectors.public_bodies(), "body_id": body_id, "q": q},
    )
