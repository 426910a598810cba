"""Who holds a role where (the people a scene's messages go to), and the API tokens a user may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from renda.accounts.models import ApiToken, Role, RoleAssignment
from renda.core.errors import NotFound
from renda.core.scoping import Perm, Scope
from renda.org.models import HandlingUnit
from renda.regions.models import Region


def staff_users(region: Region, roles: Sequence[str] = (Role.TOWNSHIP_STAFF,), *, above: bool = True) -> list[Any]:
    """The users holding one of ``roles`` for ``region`` and, with ``above``, for the regions above it."""
    where = {"region__path__in": region.ancestor_paths(include_self=True)} if above else {"region": region}
    return [a.user for a in RoleAssignment.objects.filter(role__in=roles, **where).select_related("user")]


def unit_users(unit: HandlingUnit) -> list[Any]:
    """The clerks of a handling unit."""
    return [a.user for a in RoleAssignment.objects.filter(role=Role.UNIT_CLERK, unit=unit).select_related("user")]


def station_users(station: Any) -> list[Any]:
    """The liaisons (站长/联络员) of a station."""
    roles = RoleAssignment.objects.filter(role=Role.STATION_STAFF, station=station).select_related("user")
    return [a.user for a in roles if a.user.is_active]


def deputy_users(deputies: Sequence[Any]) -> list[Any]:
    """The accounts of these deputies (a deputy without an account gets no inbox message)."""
    roles = RoleAssignment.objects.filter(role=Role.DEPUTY, deputy__in=list(deputies)).select_related("user")
    return [a.user for a in roles if a.user.is_active]


def api_tokens(*, scope: Scope) -> QuerySet[ApiToken]:
    """API 令牌: one's own; an administrator sees everyone's. Newest first."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return tokens if scope.has(Perm.ADMIN) else tokens.filter(user_id=scope.user_id or 0)


def api_token_get(*, scope: Scope, pk: int) -> ApiToken:
    token = api_tokens(scope=scope).filter(pk=pk).first()
    if token is None:
        raise NotFound("令牌不存在，或不是您的令牌")
    return token
