"""Home page, health check and the CSRF failure page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from renda.core.scoping import Perm, scope_for_user
from renda.org.selectors import registry_counts
from renda.site.workbench import sections_for


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (an expired page, cookies off, a forged post), in Chinese;
    the technical reason stays out of the page."""
    return render(request, "403_csrf.html", status=403)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for_user(request.user)
    counts = registry_counts(scope=scope) if scope.has(Perm.ORG_VIEW) else None
    return render(request, "site/home.html", {"counts": counts, "sections": sections_for(scope)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: database and queue status as JSON (no personal data)."""
    from django.conf import settings

    result: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        result["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        ok = False
        result["database"] = {"ok": False, "error": type(exc).__name__}
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            result["queue"] = {"ok": True, "mode": "celery+redis"}
        except Exception as exc:  # noqa: BLE001
            ok = False
            result["queue"] = {"ok": False, "mode": "celery+redis", "error": type(exc).__name__}
    else:
        result["queue"] = {"ok": True, "mode": "in-process"}
    result["status"] = "ok" if ok else "error"
    return JsonResponse(result, status=200 if ok else 503)
