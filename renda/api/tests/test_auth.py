"""Session and token authentication."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from renda.accounts.models import ApiToken, User
from renda.accounts.services import api_token_revoke, token_hash
from renda.api.tests.conftest import ApiClient
from renda.core.scoping import Scope
from renda.org.models import Deputy

pytestmark = pytest.mark.django_db


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_anonymous_gets_401_in_chinese() -> None:
    response = Client().get("/api/v1/deputies")

    assert response.status_code == 401
    assert _has_chinese(response.json()["detail"])
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_session_user_reads_me(api_as: Callable[[str], ApiClient]) -> None:
    body = api_as("township").get("/me").json()

    assert body["username"] == "township"
    assert body["roles"][0]["role"] == "township_staff"
    assert body["scope_roots"] == [body["roles"][0]["region"]]
    assert body["unrestricted"] is False
    assert "org.manage" in body["perms"]


def test_admin_sees_all_regions_in_me(api_as: Callable[[str], ApiClient]) -> None:
    body = api_as("admin").get("/me").json()

    assert body["unrestricted"] is True
    assert body["scope_roots"] == ["全部区划"]


def test_token_authenticates_and_touches_last_used_at_once_a_minute(token_for: Callable[[str], str]) -> None:
    raw = token_for("county")
    client = ApiClient(Client(), {"Authorization": f"Bearer {raw}"})

    first = client.get("/me")
    token = ApiToken.objects.get(token_hash=token_hash(raw))
    stamped = token.last_used_at
    client.get("/me")
    token.refresh_from_db()

    assert first.status_code == 200
    assert first.json()["username"] == "county"
    assert stamped is not None
    assert token.last_used_at == stamped  # not rewritten within the minute

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > stamped


def test_revoked_token_is_refused(token_for: Callable[[str], str], system: Scope) -> None:
    raw = token_for("county")
    api_token_revoke(scope=system, token=ApiToken.objects.get(token_hash=token_hash(raw)))

    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401
    assert _has_chinese(response.json()["detail"])


@pytest.mark.parametrize("raw", ["rd_forged-token-that-was-never-issued", "not-our-format", ""])
def test_forged_token_is_refused(raw: str) -> None:
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401
    assert _has_chinese(response.json()["detail"])


def test_forged_token_is_refused_even_with_a_session(client_as: Callable[[str], Client]) -> None:
    """A presented token is judged alone; a valid session cookie does not rescue it."""
    response = client_as("county").get("/api/v1/me", headers={"Authorization": "Bearer rd_forged"})

    assert response.status_code == 401


def test_token_of_deactivated_user_is_refused(
    token_for: Callable[[str], str], user_named: Callable[[str], User]
) -> None:
    raw = token_for("county")
    User.objects.filter(username="county").update(is_active=False)

    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401


def test_session_post_needs_csrf(user_named: Callable[[str], User], home_township: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("county"))
    before = Deputy.objects.count()

    response = client.post("/api/v1/deputies", {}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Deputy.objects.count() == before
    assert client.get("/api/v1/me").status_code == 200  # reads need no CSRF token


def test_session_post_with_csrf_token_passes(user_named: Callable[[str], User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_named("county"))
    client.get("/api/v1/docs")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value

    response = client.post("/api/v1/deputies", {}, content_type="application/json", headers={"X-CSRFToken": csrf})

    assert response.status_code == 422  # past CSRF and auth, stopped by validation (missing fields)


def test_token_post_needs_no_csrf(token_for: Callable[[str], str], home_township: object) -> None:
    raw = token_for("county")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1/deputies",
        {"name": "令牌测试", "region": home_township.code, "mandates": [{"level": 5, "term": 19}]},  # type: ignore[attr-defined]
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )

    assert response.status_code == 201, response.content.decode()
