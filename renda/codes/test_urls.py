"""The project's URLs plus the codes, for tests run before ``renda.urls`` includes them.

The codes only link to the public pages (public:deputy → /d/<public_id>/, public:station →
/s/<public_id>/). Until ``renda.urls`` mounts that namespace, a stand-in with the same two
paths is used here, so the tests pin the contract without depending on the public app.
"""

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from renda import urls as project_urls

project_urlpatterns = cast(list[URLPattern | URLResolver], project_urls.urlpatterns)


def _public_stand_in(request: HttpRequest, public_id: str) -> HttpResponse:
    return HttpResponse(public_id)


_namespaces = {p.namespace for p in project_urlpatterns if isinstance(p, URLResolver)}
_public: list[URLPattern] = [
    path("d/<str:public_id>/", _public_stand_in, name="deputy"),
    path("s/<str:public_id>/", _public_stand_in, name="station"),
]

urlpatterns: list[URLPattern | URLResolver] = list(project_urlpatterns)
if "codes" not in _namespaces:
    urlpatterns.append(path("codes/", include("renda.codes.urls")))
if "public" not in _namespaces:
    urlpatterns.append(path("", include((_public, "public"))))
