"""Swagger UI at /api/v1/docs that works under our Content-Security-Policy.

Ninja falls back to a CDN page with an inline script when "ninja" is not an installed app;
CSP (script-src 'self') blocks both. This page uses no inline script and serves ninja's
bundled Swagger files from the API itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.urls import reverse
from ninja import NinjaAPI, Router
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-init.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
ASSET_URL_NAME = "docs_asset"

PAGE = Template(
    """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ css }}">
<link rel="icon" href="{{ icon }}" type="image/png">
</head>
<body data-csrf-token="{{ csrf_token }}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{{ settings_json|safe }}</script>
<div id="swagger-ui"></div>
<script src="{{ bundle }}"></script>
<script src="{{ init }}"></script>
</body>
</html>
"""
)

router = Router()


@router.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name=ASSET_URL_NAME)
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        def asset(name: str) -> str:
            return reverse(f"{api.urls_namespace}:{ASSET_URL_NAME}", kwargs={"name": name})

        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        # "<" escaped so the JSON cannot close its <script> element.
        settings_json = json.dumps(settings, ensure_ascii=False).replace("<", "\\u003c")
        html = PAGE.render(
            Context(
                {
                    "title": api.title,
                    "css": asset("swagger-ui.css"),
                    "icon": asset("favicon.png"),
                    "bundle": asset("swagger-ui-bundle.js"),
                    "init": asset("swagger-ui-init.js"),
                    "csrf_token": get_token(request),
                    "settings_json": settings_json,
                }
            )
        )
        return HttpResponse(html)
