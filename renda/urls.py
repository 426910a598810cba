from django.contrib import admin
from django.urls import include, path

from renda.api.urls import api
from renda.core import views as core_views

admin.site.site_header = "基层人大工作平台 · 系统管理"
admin.site.site_title = "系统管理"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("renda.accounts.urls")),
    path("regions/", include("renda.regions.urls")),
    path("org/", include("renda.org.urls")),
    path("rosters/", include("renda.rosters.urls")),
    path("audit/", include("renda.audit.urls")),
    path("opinions/", include("renda.opinions.urls")),
    path("messages/", include("renda.notify.urls")),
    path("codes/", include("renda.codes.urls")),
    path("suggestions/", include("renda.suggestions.urls")),
    path("meetings/", include("renda.meetings.urls")),
    path("voting/", include("renda.voting.urls")),
    path("projects/", include("renda.projects.urls")),
    path("", include("renda.public.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
