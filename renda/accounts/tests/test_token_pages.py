"""API 令牌: a user issues a token for themselves, sees it once, and revokes it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from renda.accounts.models import ApiToken
from renda.accounts.services import api_token_create, token_hash
from renda.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/accounts/tokens/"


def _once(client: Client) -> str:
    match = re.search(r'name="once" value="([^"]+)"', client.get(URL).content.decode())
    assert match
    return match.group(1)


def _issue(client: Client, name: str = "县民意平台对接") -> tuple[int, str]:
    response = client.post(URL, {"name": name, "once": _once(client)})
    match = re.search(r'id="raw-token">(rd_[^<]+)<', response.content.decode())
    return response.status_code, match.group(1) if match else ""


def test_a_user_issues_a_token_sees_it_once_and_it_works(client_as, user_named):
    client = client_as("county")
    status, raw = _issue(client)
    assert status == 200 and raw.startswith("rd_")
    token = ApiToken.objects.get(user=user_named("county"))
    assert token.token_hash == token_hash(raw) and token.name == "县民意平台对接" and raw.startswith(token.prefix)
    assert AuditEvent.objects.filter(action="token.create").latest("seq").after["token"] == token.prefix
    listing = client.get(URL).content.decode()
    assert raw not in listing and f"{token.prefix}…" in listing and "未使用" in listing
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_a_replayed_issue_form_issues_nothing(client_as, user_named):
    client = client_as("county")
    data = {"name": "对接", "once": _once(client)}
    assert client.post(URL, data).status_code == 200
    replay = client.post(URL, data)
    assert replay.status_code == 409 and "已提交过" in replay.content.decode()
    assert 'id="raw-token"' not in replay.content.decode()
    assert ApiToken.objects.filter(user=user_named("county")).count() == 1
    forged = client.post(URL, {"name": "对接"})
    assert forged.status_code == 409


@pytest.mark.parametrize(
    ("name", "message"), [("", "令牌用途不能为空"), ("   ", "令牌用途不能为空"), ("用" * 101, "不能超过 100 个字")]
)
def test_a_bad_name_is_refused_and_nothing_is_issued(client_as, name, message):
    status, raw = _issue(client_as("county"), name)
    assert status == 400 and not raw
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_a_second_revoke_is_refused(client_as):
    client = client_as("county")
    _, raw = _issue(client)
    token = ApiToken.objects.get()
    response = client.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke").latest("seq").after == {"token": token.prefix}
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    again = client.post(f"{URL}{token.pk}/revoke/")
    assert again.status_code == 409 and "已于" in again.content.decode()
    assert "已吊销" in client.get(URL).content.decode()


def test_others_tokens_are_invisible_except_to_an_administrator(client_as, user_named, system):
    theirs, _ = api_token_create(scope=system, user=user_named("township"), name="乡镇报表")
    county = client_as("county")
    assert "乡镇报表" not in county.get(URL).content.decode()
    assert county.post(f"{URL}{theirs.pk}/revoke/").status_code == 404
    assert county.post(f"{URL}abc/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None

    admin = client_as("admin")
    page = admin.get(URL).content.decode()
    assert "乡镇报表" in page and "全部令牌" in page
    assert admin.post(f"{URL}{theirs.pk}/revoke/").status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None


def test_the_page_with_a_raw_token_is_never_cached(client_as):
    client = client_as("county")
    response = client.post(URL, {"name": "对接", "once": _once(client)})
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_anonymous_visitors_are_sent_to_log_in():
    assert Client().get(URL).status_code == 302
