"""Every write to the region tree."""

from __future__ import annotations

from django.db import transaction

from renda.audit.services import audit_record, diff, snapshot
from renda.core.errors import ValidationFailed
from renda.core.scoping import Perm, Scope
from renda.regions.models import Region, RegionKind, RegionLevel
from renda.regions.paths import parent_path, path_from_code

KINDS_BY_LEVEL: dict[int, set[str]] = {
    RegionLevel.PROVINCE: {RegionKind.PROVINCE},
    RegionLevel.CITY: {RegionKind.CITY},
    RegionLevel.COUNTY: {RegionKind.COUNTY, RegionKind.DISTRICT, RegionKind.COUNTY_CITY},
    RegionLevel.TOWNSHIP: {RegionKind.TOWN, RegionKind.TOWNSHIP, RegionKind.STREET},
    RegionLevel.VILLAGE: {RegionKind.VILLAGE, RegionKind.COMMUNITY},
    RegionLevel.GRID: {RegionKind.GRID},
}


def validate_region_fields(*, code: str, name: str, level: int, kind: str) -> str:
    """Check one region's own fields; returns its path. Raises ValidationFailed in Chinese."""
    name = name.strip()
    if not name:
        raise ValidationFailed("名称不能为空", field="name")
    if len(name) > 64:
        raise ValidationFailed("名称不能超过 64 个字", field="name")
    if level not in KINDS_BY_LEVEL:
        raise ValidationFailed("层级无效", field="level")
    if kind not in KINDS_BY_LEVEL[level]:
        labels = "、".join(RegionKind(k).label for k in sorted(KINDS_BY_LEVEL[level]))
        raise ValidationFailed(f"{RegionLevel(level).label}级区划的类型只能是：{labels}", field="kind")
    return path_from_code(code, level)


@transaction.atomic
def region_create(*, scope: Scope, code: str, name: str, level: int, kind: str, reason: str = "") -> Region:
    """Add a region under its parent (found from the code). The parent must be in the actor's scope."""
    path = validate_region_fields(code=code, name=name, level=level, kind=kind)
    ppath = parent_path(path)
    parent = None
    if ppath is not None:
        parent = Region.objects.filter(path=ppath).first()
        if parent is None:
            raise ValidationFailed(f"上级区划（代码前缀 {ppath}）不存在，请先建立上级区划", field="code")
        scope.check_path(parent.path, perm=Perm.ORG_MANAGE)
    else:
        scope.check_path(path, perm=Perm.ORG_MANAGE)
    if Region.objects.filter(code=code.strip()).exists():
        raise ValidationFailed(f"区划代码 {code} 已存在", field="code")
    region = Region.objects.create(
        code=code.strip(), path=path, name=name.strip(), level=level, kind=kind, parent=parent
    )
    audit_record(
        actor=scope.actor,
        action="region.create",
        target=region,
        region_path=region.path,
        reason=reason,
        after=snapshot(region),
    )
    return region


@transaction.atomic
def region_update(*, scope: Scope, region: Region, name: str, kind: str, reason: str = "") -> Region:
    """Rename a region or change its kind; its code and place in the tree are fixed."""
    scope.check_path(region.path, perm=Perm.ORG_MANAGE)
    region = Region.objects.select_for_update().get(pk=region.pk)
    validate_region_fields(code=region.code, name=name, level=region.level, kind=kind)
    before = snapshot(region)
    region.name = name.strip()
    region.kind = kind
    b, a = diff(before, snapshot(region))
    if not a and not b:
        return region
    region.save(update_fields=["name", "kind", "updated_at"])
    audit_record(
        actor=scope.actor,
        action="region.update",
        target=region,
        region_path=region.path,
        reason=reason,
        before=b,
        after=a,
    )
    return region
