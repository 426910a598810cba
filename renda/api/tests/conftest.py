"""Helpers for the API tests: JSON calls as a demo user, with a session or a token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from renda.accounts.models import RoleAssignment, User
from renda.accounts.services import api_token_create
from renda.core.scoping import Scope
from renda.org.models import Category, HandlingUnit, Station
from renda.regions.models import Region

API = "/api/v1"


class ApiClient:
    """A logged-in test client that speaks JSON to /api/v1."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(API + path, params or {}, headers={**self.headers, **headers})

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(
            API + path, json.dumps(body), content_type="application/json", headers={**self.headers, **headers}
        )

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.patch(
            API + path, json.dumps(body), content_type="application/json", headers={**self.headers, **headers}
        )


@pytest.fixture
def api_as(client_as: Callable[[str], Client]) -> Callable[[str], ApiClient]:
    def make(username: str) -> ApiClient:
        return ApiClient(client_as(username))

    return make


@pytest.fixture
def token_for(user_named: Callable[[str], User], system: Scope) -> Callable[[str], str]:
    def make(username: str) -> str:
        _, raw = api_token_create(scope=system, user=user_named(username), name="测试令牌")
        return raw

    return make


@pytest.fixture
def home_township(scope_of: Callable[[str], Scope]) -> Region:
    """The township the demo user "township" manages."""
    (root,) = scope_of("township").roots
    return Region.objects.get(path=root)


@pytest.fixture
def other_township(home_township: Region) -> Region:
    """Another township of the same county: outside the "township" user's scope."""
    other = (
        Region.objects.filter(parent=home_township.parent, level=home_township.level)
        .exclude(pk=home_township.pk)
        .order_by("path")
        .first()
    )
    assert other is not None
    return other


# ---------------------------------------------------------------- 民意处理 (as in renda/opinions/tests/conftest.py)


@pytest.fixture
def liaison_station(user_named: Callable[[str], User]) -> Station:
    """The station the demo user "liaison" works at; the demo "deputy" is one of its deputies."""
    station = RoleAssignment.objects.get(user=user_named("liaison")).station
    assert station is not None
    return station


@pytest.fixture
def village(liaison_station: Station) -> Region:
    region = liaison_station.served_regions.order_by("path").first()
    assert region is not None
    return region


@pytest.fixture
def lamp_category() -> Category:
    return Category.objects.get(name="路灯")


@pytest.fixture
def clerk_unit(user_named: Callable[[str], User]) -> HandlingUnit:
    """The handling unit (乡镇规划建设办) the demo user "clerk" answers for."""
    unit = RoleAssignment.objects.get(user=user_named("clerk")).unit
    assert unit is not None
    return unit
