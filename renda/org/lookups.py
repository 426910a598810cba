"""Records named in a request (by region code or public id), fetched through the scope.

A name that does not resolve inside the caller's scope answers 404 with the field it came
from, exactly as for a record that does not exist.
"""

from __future__ import annotations

from renda.core.errors import NotFound
from renda.core.scoping import Scope
from renda.org.models import Deputy, DeputyGroup, Station
from renda.regions.models import Region


def region_by_code(scope: Scope, code: str, *, field: str = "region") -> Region:
    try:
        return scope.get(Region.objects.all(), code=code.strip())
    except NotFound:
        raise NotFound(f"区划 {code} 不存在或不在您的管辖范围内", field=field) from None


def station_by_public_id(scope: Scope, public_id: str, *, field: str = "station") -> Station:
    try:
        return scope.get(Station.objects.select_related("region"), public_id=public_id.strip())
    except NotFound:
        raise NotFound("站点不存在或不在您的管辖范围内", field=field) from None


def deputy_by_public_id(scope: Scope, public_id: str, *, field: str = "deputy") -> Deputy:
    try:
        return scope.get(Deputy.objects.select_related("region"), public_id=public_id.strip())
    except NotFound:
        raise NotFound("代表不存在或不在您的管辖范围内", field=field) from None


def group_by_id(scope: Scope, pk: int, *, field: str = "group") -> DeputyGroup:
    try:
        return scope.get(DeputyGroup.objects.all(), pk=pk)
    except NotFound:
        raise NotFound("代表小组不存在或不在您的管辖范围内", field=field) from None
