"""Organisation registry pages: deputies, stations, units, bodies, groups."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from renda.audit.selectors import audit_timeline
from renda.core.errors import ValidationFailed
from renda.core.pages import form_refused
from renda.core.paging import int_param, paginate
from renda.core.scoping import Perm, scope_for_user
from renda.org import selectors, services
from renda.org.forms import DeputyForm, MoveStationForm, StationForm, region_of
from renda.org.models import CongressLevel, DeputyKind, OfficerRole, StationKind, UnitKind
from renda.regions.selectors import region_choices

# ---------------------------------------------------------------- deputies


@login_required
@require_GET
def deputies(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    filters = selectors.DeputyFilter(
        q=request.GET.get("q", "")[:50],
        level=int_param(request, "level"),
        kind=request.GET.get("kind", "") if request.GET.get("kind") in DeputyKind.values else "",
        station_id=int_param(request, "station"),
        group_id=int_param(request, "group"),
        region_id=int_param(request, "region"),
    )
    page, querystring = paginate(request, selectors.deputy_list(scope=scope, filters=filters))
    context = {
        "page": page,
        "querystring": querystring,
        "filters": filters,
        "levels": CongressLevel.choices,
        "kinds": DeputyKind.choices,
        "regions": region_choices(scope=scope, max_level=4).order_by("path"),
        "stations": selectors.station_choices(scope=scope),
        "groups": selectors.group_choices(scope=scope),
        "show_phone": scope.has(Perm.PERSONAL_DATA),
    }
    template = "org/_deputy_rows.html" if request.headers.get("HX-Request") else "org/deputies.html"
    return render(request, template, context)


@login_required
@require_GET
def deputy(request: HttpRequest, public_id: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    d = selectors.deputy_detail(scope=scope, public_id=public_id)
    context = {
        "deputy": d,
        "show_phone": scope.has(Perm.PERSONAL_DATA),
        "timeline": audit_timeline(target=d) if scope.has(Perm.AUDIT_VIEW) else None,
        "can_manage": scope.has(Perm.ORG_MANAGE),
    }
    return render(request, "org/deputy.html", context)


def _deputy_input(form: DeputyForm) -> services.DeputyInput:
    data = form.cleaned_data
    mandates = tuple(
        services.MandateInput(
            level=lv.value, term=data[f"term_{lv.value}"], constituency=data[f"constituency_{lv.value}"] or ""
        )
        for lv in CongressLevel
        if data.get(f"term_{lv.value}")
    )
    return services.DeputyInput(
        name=data["name"],
        region=region_of(form),
        kind=data["kind"],
        gender=data["gender"] or "",
        birth_year=data["birth_year"],
        ethnicity=data["ethnicity"],
        party=data["party"],
        occupation=data["occupation"],
        phone=data["phone"],
        mandates=mandates,
    )


@login_required
@require_http_methods(["GET", "POST"])
def deputy_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ORG_MANAGE)
    form = DeputyForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            d = services.deputy_create(scope=scope, data=_deputy_input(form), reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            form_refused(form, exc)
        else:
            messages.success(request, f"已登记代表 {d.name}")
            return redirect("org:deputy", public_id=d.public_id)
    return render(request, "org/deputy_form.html", {"form": form, "title": "登记代表"})


@login_required
@require_http_methods(["GET", "POST"])
def deputy_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ORG_MANAGE)
    d = selectors.deputy_detail(scope=scope, public_id=public_id)
    form = DeputyForm(request.POST or None, scope=scope, initial=DeputyForm.initial_for(d))
    if request.method == "POST" and form.is_valid():
        try:
            services.deputy_update(scope=scope, deputy=d, data=_deputy_input(form), reason=form.cleaned_data["reason"])
        except ValidationFailed as exc:
            form_refused(form, exc)
        else:
            messages.success(request, f"已保存代表 {d.name} 的信息")
            return redirect("org:deputy", public_id=d.public_id)
    return render(request, "org/deputy_form.html", {"form": form, "title": f"编辑代表：{d.name}", "deputy": d})


@login_required
@require_http_methods(["GET", "POST"])
def deputy_move(request: HttpRequest, public_id: str) -> HttpResponse:
    """调站: close the current 进站 record(s) and open one at another station."""
    scope = scope_for_user(request.user)
    scope.require(Perm.ORG_MANAGE)
    d = selectors.deputy_detail(scope=scope, public_id=public_id)
    form = MoveStationForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            services.deputy_move_station(
                scope=scope,
                deputy=d,
                to_station=form.cleaned_data["station"],
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            form_refused(form, exc)
        else:
            messages.success(request, f"{d.name} 已调入 {form.cleaned_data['station'].name}")
            return redirect("org:deputy", public_id=d.public_id)
    return render(request, "org/deputy_move.html", {"form": form, "deputy": d})


# ---------------------------------------------------------------- stations


@login_required
@require_GET
def stations(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    kind = request.GET.get("kind", "") if request.GET.get("kind") in StationKind.values else ""
    qs = selectors.station_list(
        scope=scope, q=request.GET.get("q", "")[:50], kind=kind, region_id=int_param(request, "region")
    )
    page, querystring = paginate(request, qs)
    context = {
        "page": page,
        "querystring": querystring,
        "kinds": StationKind.choices,
        "kind": kind,
        "q": request.GET.get("q", ""),
        "region_id": int_param(request, "region"),
        "regions": region_choices(scope=scope, max_level=4).order_by("path"),
        "show_phone": scope.has(Perm.PERSONAL_DATA),
    }
    return render(request, "org/stations.html", context)


@login_required
@require_GET
def station(request: HttpRequest, public_id: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    s = selectors.station_detail(scope=scope, public_id=public_id)
    memberships = list(s.memberships.all())
    context = {
        "station": s,
        "current": [m for m in memberships if m.end_date is None],
        "former": [m for m in memberships if m.end_date is not None],
        "show_phone": scope.has(Perm.PERSONAL_DATA),
        "timeline": audit_timeline(target=s) if scope.has(Perm.AUDIT_VIEW) else None,
        "can_manage": scope.has(Perm.ORG_MANAGE),
    }
    return render(request, "org/station.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def station_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    scope = scope_for_user(request.user)
    scope.require(Perm.ORG_MANAGE)
    s = selectors.station_detail(scope=scope, public_id=public_id)
    officers = list(s.officers.all())
    heads = [o for o in officers if o.role == OfficerRole.HEAD]
    liaisons = [o for o in officers if o.role == OfficerRole.LIAISON]
    initial: dict[str, Any] = {
        f: getattr(s, f) for f in ["code", "name", "kind", "address", "opening_hours", "industry", "is_active"]
    }
    initial["region"] = s.region_id
    if heads:
        initial.update(head_name=heads[0].name, head_phone=heads[0].phone)
    for i, o in enumerate(liaisons[:2], start=1):
        initial.update({f"liaison{i}_name": o.name, f"liaison{i}_phone": o.phone})
    form = StationForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_officers = []
        for prefix, role in (
            ("head", OfficerRole.HEAD),
            ("liaison1", OfficerRole.LIAISON),
            ("liaison2", OfficerRole.LIAISON),
        ):
            if data[f"{prefix}_name"]:
                new_officers.append(
                    services.OfficerInput(role=role, name=data[f"{prefix}_name"], phone=data[f"{prefix}_phone"])
                )
            elif data[f"{prefix}_phone"]:
                form.add_error(f"{prefix}_name", "填写了电话，请同时填写姓名")
        if not form.errors:
            try:
                with transaction.atomic():
                    services.station_update(
                        scope=scope,
                        station=s,
                        reason=data["reason"],
                        data=services.StationInput(
                            code=data["code"],
                            name=data["name"],
                            kind=data["kind"],
                            region=region_of(form),
                            address=data["address"],
                            opening_hours=data["opening_hours"],
                            industry=data["industry"],
                            is_active=data["is_active"],
                        ),
                    )
                    services.station_set_officers(scope=scope, station=s, officers=new_officers, reason=data["reason"])
            except ValidationFailed as exc:
                form_refused(form, exc)
            else:
                messages.success(request, f"已保存站点 {data['name']}")
                return redirect("org:station", public_id=s.public_id)
    return render(request, "org/station_form.html", {"form": form, "station": s})


# ---------------------------------------------------------------- units, bodies, groups


@login_required
@require_GET
def units(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    kind = request.GET.get("kind", "") if request.GET.get("kind") in UnitKind.values else ""
    qs = selectors.unit_list(
        scope=scope, q=request.GET.get("q", "")[:50], kind=kind, region_id=int_param(request, "region")
    )
    page, querystring = paginate(request, qs)
    context = {
        "page": page,
        "querystring": querystring,
        "kinds": UnitKind.choices,
        "kind": kind,
        "q": request.GET.get("q", ""),
        "region_id": int_param(request, "region"),
        "regions": region_choices(scope=scope, max_level=4).order_by("path"),
    }
    return render(request, "org/units.html", context)


@login_required
@require_GET
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    u = selectors.unit_detail(scope=scope, pk=pk)
    context = {
        "unit": u,
        "show_phone": scope.has(Perm.PERSONAL_DATA),
        "timeline": audit_timeline(target=u) if scope.has(Perm.AUDIT_VIEW) else None,
    }
    return render(request, "org/unit.html", context)


@login_required
@require_GET
def bodies(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    return render(request, "org/bodies.html", {"bodies": selectors.body_list(scope=scope)})


@login_required
@require_GET
def groups(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    page, querystring = paginate(request, selectors.group_list(scope=scope))
    return render(request, "org/groups.html", {"page": page, "querystring": querystring})


@login_required
@require_GET
def group(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    g = selectors.group_detail(scope=scope, pk=pk)
    timeline = audit_timeline(target=g) if scope.has(Perm.AUDIT_VIEW) else None
    return render(request, "org/group.html", {"group": g, "timeline": timeline})
