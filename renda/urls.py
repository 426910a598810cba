from typing import Any

from django.contrib import admin
from django.urls import include, path

from renda.api.urls import api
from renda.site import views as site_views

admin.site.site_header = "基层人大工作平台 · 系统管理"
admin.site.site_title = "系统管理"


def _citizens_first(urls: tuple[list[Any], str, str]) -> tuple[list[Any], str, str]:
    """The API's URL patterns with the citizen endpoints (public/...) tried first: Django tries
    patterns in order, and a QR submission is the API's busiest request (bench/README.md, intake).
    The OpenAPI document keeps its own order; no route outside public/ matches a public/ path."""
    patterns, app_name, namespace = urls
    ordered = sorted(patterns, key=lambda p: not str(p.pattern).startswith("public/"))  # stable
    return ordered, app_name, namespace


urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", site_views.healthz, name="healthz"),
    path("api/v1/", _citizens_first(api.urls)),
    path("accounts/", include("renda.accounts.urls")),
    path("regions/", include("renda.regions.urls")),
    path("org/", include("renda.org.urls")),
    path("rosters/", include("renda.rosters.urls")),
    path("audit/", include("renda.audit.urls")),
    path("config/", include("renda.site.config.urls")),
    path("opinions/", include("renda.opinions.urls")),
    path("messages/", include("renda.notify.urls")),
    path("codes/", include("renda.codes.urls")),
    path("suggestions/", include("renda.suggestions.urls")),
    path("meetings/", include("renda.meetings.urls")),
    path("voting/", include("renda.voting.urls")),
    path("projects/", include("renda.projects.urls")),
    path("", include("renda.public.urls")),
    path("admin/", admin.site.urls),
]
