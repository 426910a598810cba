"""The schema and the docs page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/me",
    "/api/v1/regions",
    "/api/v1/regions/{code}",
    "/api/v1/regions/{code}/children",
    "/api/v1/deputies",
    "/api/v1/deputies/{public_id}",
    "/api/v1/stations",
    "/api/v1/stations/{public_id}",
    "/api/v1/stations/{public_id}/members",
    "/api/v1/units",
    "/api/v1/units/{unit_id}",
    "/api/v1/bodies",
    "/api/v1/groups",
]


def test_openapi_lists_every_path_and_both_auth_schemes() -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert set(PATHS) <= set(schema["paths"])
    assert "/api/v1/docs/assets/{name}" not in schema["paths"]
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert set(schema["paths"]["/api/v1/deputies"]) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/deputies/{public_id}"]) == {"get", "patch"}
    post = schema["paths"]["/api/v1/deputies"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert "201" in post["responses"]


def test_docs_page_has_no_inline_script_and_serves_its_assets() -> None:
    """The page must work under script-src 'self': every script is a file we serve."""
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    for attrs, _body in scripts:
        assert 'src="' in attrs or 'type="application/json"' in attrs
    for src in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', html):
        asset = Client().get(src)
        assert asset.status_code == 200, src
    assert Client().get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404
