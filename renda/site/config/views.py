"""规则参数 and 工作日历: thin pages over config.selectors and config.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from renda.core.errors import NotFound, RendaError
from renda.core.rules import DEFAULTS
from renda.core.scoping import Perm, Scope, scope_for_user
from renda.core.validation import id_or_none
from renda.regions.models import Region
from renda.site.config import selectors, services


def _region(scope: Scope, value: object) -> Region | None:
    """The region a form or link names (404 outside the viewer's scope), else none."""
    pk = id_or_none(value)
    if pk is None:
        return None
    return scope.get(selectors.override_regions(scope), perm=Perm.RULES_LOCAL, pk=pk)


def _rules_page(
    request: HttpRequest, scope: Scope, region: Region | None, *, error: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "groups": selectors.rule_groups(scope=scope, region=region),
        "region": region,
        "regions": selectors.override_regions(scope),
        "error": error or {},
    }
    return render(request, "config/rules.html", context, status=status)


@login_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.RULES_LOCAL)
    chosen = request.GET.get("region")
    region = _region(scope, chosen) if chosen is not None else selectors.default_region(scope)
    return _rules_page(request, scope, region)


@login_required
@require_POST
def rule_change(request: HttpRequest, key: str) -> HttpResponse:
    """修改 or 恢复默认 of one rule, for the installation or one region."""
    scope = scope_for_user(request.user)
    scope.require(Perm.RULES_LOCAL)
    region = _region(scope, request.POST.get("region"))
    page_region = _region(scope, request.POST.get("page_region")) if request.POST.get("page_region") else region
    try:
        if key not in DEFAULTS:
            raise NotFound("没有这个规则参数")
        if request.POST.get("op") == "revert":
            services.rule_revert(scope=scope, key=key, note=request.POST.get("note"), region=region)
            done = "已恢复默认值" if region is None else f"{region.name}已改用上级或全部区划的取值"
        else:
            services.rule_set(
                scope=scope, key=key, value=request.POST.get("value"), note=request.POST.get("note"), region=region
            )
            done = "已修改，新的取值立即生效" if region is None else f"已为{region.name}设定，立即生效"
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        error = {
            "key": key,
            "region": region.pk if region is not None else None,
            "message": exc.message,
            "value": str(request.POST.get("value", ""))[:20],
            "note": str(request.POST.get("note", ""))[:200],
        }
        return _rules_page(request, scope, page_region, error=error, status=exc.status_code)
    messages.success(request, f"{DEFAULTS[key].label.split('：')[0]}：{done}")
    url = reverse("config:rules")
    if page_region is not None:
        url += f"?region={page_region.pk}"
    return redirect(f"{url}#rule-{slugify(key)}")


def _year(value: object) -> int:
    pk = id_or_none(value, max_digits=4)
    return pk if pk is not None and services.FIRST_YEAR <= pk <= services.LAST_YEAR else timezone.localdate().year + 1


def _calendar_page(
    request: HttpRequest, scope: Scope, year: int, *, error: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    check: selectors.WorkdayCheck | None = None
    check_error = ""
    if request.method == "GET" and (request.GET.get("start") or request.GET.get("end")):
        try:
            check = selectors.workday_check(start=request.GET.get("start"), end=request.GET.get("end"))
        except RendaError as exc:
            check_error = exc.message
    context = {
        "view": selectors.calendar_year(scope=scope, year=year),
        "years": selectors.entered_years(),
        "this_year": timezone.localdate().year,
        "check": check,
        "check_error": check_error,
        "start": str(request.GET.get("start", ""))[:10],
        "end": str(request.GET.get("end", ""))[:10],
        "error": error or {},
    }
    return render(request, "config/calendar.html", context, status=status)


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ADMIN)
    return _calendar_page(request, scope, _year(request.GET.get("year")))


def _calendar_post(request: HttpRequest, form: str, run: Any, done: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ADMIN)
    year = _year(request.POST.get("year"))
    try:
        run(scope)
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        error = {"form": form, "message": exc.message, **{k: str(v)[:200] for k, v in request.POST.items()}}
        return _calendar_page(request, scope, year, error=error, status=exc.status_code)
    messages.success(request, done)
    return redirect(f"{reverse('config:calendar')}?year={year}")


@login_required
@require_POST
def calendar_day(request: HttpRequest) -> HttpResponse:
    """录入或删除一天."""
    post = request.POST
    if post.get("op") == "remove":
        return _calendar_post(
            request,
            "remove",
            lambda scope: services.calendar_day_remove(scope=scope, date=post.get("date")),
            f"已删除 {str(post.get('date', ''))[:10]}，该日恢复按内置日历或周末计算",
        )
    return _calendar_post(
        request,
        "day",
        lambda scope: services.calendar_day_set(
            scope=scope, date=post.get("date"), is_workday=post.get("is_workday"), name=post.get("name")
        ),
        f"已录入 {str(post.get('date', ''))[:10]}，新计算的期限立即按此日历",
    )


@login_required
@require_POST
def calendar_year(request: HttpRequest) -> HttpResponse:
    """确认或撤销一个年度已录入."""
    post = request.POST
    if post.get("op") == "withdraw":
        return _calendar_post(
            request,
            "withdraw",
            lambda scope: services.calendar_year_withdraw(scope=scope, year=post.get("year")),
            "已撤销该年度的录入确认",
        )
    return _calendar_post(
        request,
        "year",
        lambda scope: services.calendar_year_record(scope=scope, year=post.get("year"), source=post.get("source")),
        "已确认该年度节假日安排已录入",
    )
