"""The audit log page (审计日志): events in the viewer's regions, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from renda.audit.models import AuditEvent
from renda.core.paging import paginate
from renda.core.scoping import Perm, scope_for_user


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    qs = scope.filter(AuditEvent.objects.all(), perm=Perm.AUDIT_VIEW).select_related("actor").order_by("-seq")
    action = request.GET.get("action", "").strip()[:64]
    if action:
        qs = qs.filter(action__startswith=action)
    actor = request.GET.get("actor", "").strip()[:50]
    if actor:
        qs = qs.filter(actor_label__contains=actor)
    page, querystring = paginate(request, qs)
    return render(
        request, "audit/log.html", {"page": page, "querystring": querystring, "action": action, "actor": actor}
    )
