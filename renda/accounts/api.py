"""Who am I: user, roles, the regions I see and what I may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from renda.accounts.models import RoleAssignment
from renda.accounts.schemas import MeOut
from renda.api.auth import request_scope
from renda.api.schemas import ErrorOut
from renda.regions.selectors import region_roots

router = Router(tags=["当前用户"])

ALL_REGIONS = "全部区划"


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="当前用户、角色与可见范围")
def me(request: HttpRequest) -> dict[str, Any]:
    scope = request_scope(request)
    user = request.auth  # type: ignore[attr-defined]
    # The caller's own role assignments, not region data being browsed: no scope filter applies.
    assignments = RoleAssignment.objects.filter(user_id=user.pk).select_related("region").order_by("id")
    return {
        "username": user.username,
        "display_name": str(user),
        "roles": [
            {"role": a.role, "role_label": a.get_role_display(), "region": a.region.name if a.region else ALL_REGIONS}
            for a in assignments
        ],
        "scope_roots": [ALL_REGIONS] if scope.unrestricted else [r.name for r in region_roots(scope=scope)],
        "unrestricted": scope.unrestricted,
        "perms": sorted(scope.perms),
    }
