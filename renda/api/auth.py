"""Who is calling: Django session (with CSRF on unsafe methods) or an API token.

A token travels as ``Authorization: Bearer rd_...``; only its sha256 hash is stored
(accounts.ApiToken). A request that presents a token is judged by the token alone: a forged
or revoked one is refused even if a session cookie came along.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from renda.accounts.models import ApiToken, RoleAssignment, User
from renda.accounts.services import token_hash
from renda.core.scoping import Scope, scope_for_user, scope_from_assignments
from renda.regions.models import Region

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
        now = timezone.now()
        rows, touched = _token_rows(token_hash(token), now=now)
        if not rows or rows[0].renda_revoked or not rows[0].is_active:
            raise AuthenticationError(message=REFUSED_CREDENTIAL)
        user = rows[0]
        if user.renda_stale and not touched:
            _touch(user.renda_token_id, now, stale_before=now - LAST_USED_GRANULARITY)
        # The scope from the same rows (scope_for_user returns it without asking again).
        assignments = [
            SimpleNamespace(
                role=r.renda_role,
                region=SimpleNamespace(path=r.renda_region_path) if r.renda_region_id is not None else None,
                station_id=r.renda_station_id,
                deputy_id=r.renda_deputy_id,
                unit_id=r.renda_unit_id,
            )
            for r in rows
            if r.renda_role is not None
        ]
        user._renda_scope = scope_from_assignments(user, cast(Any, assignments), superuser=bool(user.is_superuser))
        request.user = user
        return user


def _token_rows(digest: str, *, now: dt.datetime) -> tuple[list[Any], bool]:
    """The token's user, once per role assignment, with the token's state and each assignment
    beside it: one query for what took two (token and user, then the roles), on every API call.
    The user's own columns go through the model's converters (a RawQuerySet); the rest are
    plain ids, strings and truth values. On PostgreSQL, outside a transaction, the same round
    trip also records the use (``_touch``'s conditional UPDATE, after the SELECT in the same
    query string): answers (rows, True) then."""
    stale_before = now - LAST_USED_GRANULARITY
    q = connection.ops.quote_name
    user, token = q(User._meta.db_table), q(ApiToken._meta.db_table)
    roles, regions = q(RoleAssignment._meta.db_table), q(Region._meta.db_table)
    sql = (
        "SELECT u.*, t.id AS renda_token_id, (t.revoked_at IS NOT NULL) AS renda_revoked, "  # noqa: S608
        "(t.last_used_at IS NULL OR t.last_used_at < %s) AS renda_stale, a.role AS renda_role, "
        "a.region_id AS renda_region_id, r.path AS renda_region_path, a.station_id AS renda_station_id, "
        "a.deputy_id AS renda_deputy_id, a.unit_id AS renda_unit_id "
        f"FROM {token} t JOIN {user} u ON u.id = t.user_id LEFT JOIN {roles} a ON a.user_id = u.id "
        f"LEFT JOIN {regions} r ON r.id = a.region_id WHERE t.token_hash = %s"
    )
    params: list[Any] = [connection.ops.adapt_datetimefield_value(stale_before), digest]
    together = connection.vendor == "postgresql" and not connection.in_atomic_block
    if together:
        sql += (
            f"; BEGIN; SET LOCAL synchronous_commit TO OFF; UPDATE {token} SET last_used_at = %s "  # noqa: S608
            "WHERE token_hash = %s AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < %s) "
            f"AND user_id IN (SELECT id FROM {user} WHERE is_active); COMMIT"
        )
        params += [now, digest, stale_before]
    return list(User.objects.raw(sql, params)), together


def _touch(token_id: int, now: dt.datetime, *, stale_before: dt.datetime) -> None:
    """Record when the token was last used: a conditional UPDATE, so concurrent requests do not
    each write. On PostgreSQL its commit does not wait for the disk (``synchronous_commit`` off
    for this transaction only): a crash may forget a minute of "last used", never anything else,
    and a deputy's first ballot does not pay for two flushes."""
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        ApiToken.objects.filter(stale, pk=token_id).update(last_used_at=now)
        return
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    touch = f"UPDATE {table} SET last_used_at = %s WHERE id = %s AND (last_used_at IS NULL OR last_used_at < %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"BEGIN; SET LOCAL synchronous_commit TO OFF; {touch}; COMMIT", [now, token_id, stale_before])


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
