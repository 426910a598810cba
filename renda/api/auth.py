"""Who is calling: Django session (with CSRF on unsafe methods) or an API token.

A token travels as ``Authorization: Bearer rd_...``; only its sha256 hash is stored
(accounts.ApiToken). A request that presents a token is judged by the token alone: a forged
or revoked one is refused even if a session cookie came along.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from renda.accounts.models import ApiToken
from renda.accounts.services import token_hash
from renda.core.scoping import Scope, scope_for_user

ISSUED_PREFIX = "rd_"
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)  # write last_used_at at most once a minute
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

NOT_AUTHENTICATED = "请先登录，或在请求头中提供有效的 API 令牌（Authorization: Bearer rd_...）"
REFUSED_CREDENTIAL = "API 令牌无效、已吊销或账号已停用"
CSRF_FAILED = "CSRF 校验失败：请刷新页面后重试，或改用 API 令牌访问"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer rd_...`` → the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token.startswith(ISSUED_PREFIX):
            raise AuthenticationError(message=REFUSED_CREDENTIAL)
        api_token = ApiToken.objects.select_related("user").filter(token_hash=token_hash(token)).first()
        if api_token is None or api_token.revoked_at is not None or not api_token.user.is_active:
            raise AuthenticationError(message=REFUSED_CREDENTIAL)
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_GRANULARITY:
            # A conditional UPDATE, so concurrent requests do not each write.
            ApiToken.objects.filter(pk=api_token.pk, last_used_at=api_token.last_used_at).update(last_used_at=now)
        user = api_token.user
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in Django session; unsafe methods must carry the CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), only once we know a session is what authenticates.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if (
            self.csrf
            and request.method not in SAFE_METHODS
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise HttpError(403, CSRF_FAILED)
        return user


API_AUTH = [TokenAuth(), SessionAuth()]


def request_scope(request: HttpRequest) -> Scope:
    """The scope of whoever the API authenticated for this request."""
    return scope_for_user(getattr(request, "auth", None))
