"""Every write to the organisation registry: bodies, deputies and mandates, stations,
officers and 进站 history, groups, handling units.

Each service checks the actor's scope, validates in Chinese, changes the records in one
transaction and appends an audit event. Views and importers call these; nothing else saves
these models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from pypinyin import Style, lazy_pinyin

from renda.audit.services import audit_record, diff, snapshot
from renda.core.errors import ValidationFailed
from renda.core.scoping import Perm, Scope
from renda.core.validation import FieldErrors, clean_int, clean_phone, clean_text, mask_phone
from renda.org.models import (
    Body,
    BodyKind,
    Category,
    CongressLevel,
    Deputy,
    DeputyGroup,
    DeputyKind,
    Gender,
    GroupKind,
    HandlingUnit,
    Mandate,
    OfficerRole,
    Station,
    StationKind,
    StationMembership,
    StationOfficer,
    UnitKind,
)
from renda.regions.models import Region, RegionLevel

CONGRESS_LEVEL_FOR_REGION = {
    RegionLevel.PROVINCE: CongressLevel.PROVINCE,
    RegionLevel.CITY: CongressLevel.CITY,
    RegionLevel.COUNTY: CongressLevel.COUNTY,
    RegionLevel.TOWNSHIP: CongressLevel.TOWNSHIP,
}
REGION_LEVEL_FOR_CONGRESS = {v: k for k, v in CONGRESS_LEVEL_FOR_REGION.items()}


def pinyin_of(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a Chinese name, lower case: 张伟 -> ("zw", "zhangwei")."""
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    return initials[:50], full[:200]


# ---------------------------------------------------------------- bodies (人大机构)


@transaction.atomic
def body_create(*, scope: Scope, region: Region, kind: str, name: str = "", term: int | None = None) -> Body:
    """Register a congress body (人大, 主席团, 街道人大工委, 议政代表会议) for a region."""
    scope.check_path(region.path, perm=Perm.ORG_MANAGE)
    if kind not in BodyKind.values:
        raise ValidationFailed("机构类型无效", field="kind")
    if region.level not in CONGRESS_LEVEL_FOR_REGION:
        raise ValidationFailed("只有省、市、县、乡镇/街道设人大机构", field="region")
    street_kinds = {BodyKind.STREET_WORK_COMMITTEE, BodyKind.STREET_DELIBERATION}
    if region.is_street and kind not in street_kinds:
        raise ValidationFailed("街道不设人民代表大会，只设人大工委和议政代表会议", field="kind")
    if kind in street_kinds and not region.is_street:
        raise ValidationFailed("人大工委和议政代表会议只设在街道", field="kind")
    name = clean_text(name or f"{region.name}{BodyKind(kind).label}", label="名称", field="name", max_length=100)
    if Body.objects.filter(region=region, kind=kind).exists():
        raise ValidationFailed(f"{region.name}已有{BodyKind(kind).label}", field="kind")
    body = Body.objects.create(
        region=region, kind=kind, name=name, term=term, level=CONGRESS_LEVEL_FOR_REGION[RegionLevel(region.level)]
    )
    audit_record(actor=scope.actor, action="body.create", target=body, region_path=region.path, after=snapshot(body))
    return body


# ---------------------------------------------------------------- deputies (代表)


@dataclass(frozen=True)
class MandateInput:
    level: int
    term: int
    constituency: str = ""


@dataclass(frozen=True)
class DeputyInput:
    name: str
    region: Region
    kind: str = DeputyKind.DEPUTY
    gender: str = ""
    birth_year: int | None = None
    ethnicity: str = ""
    party: str = ""
    occupation: str = ""
    phone: str = ""
    mandates: tuple[MandateInput, ...] = ()


def deputy_validate(data: DeputyInput) -> dict[str, object]:
    """Check a deputy's fields without writing (importers call it to report every bad row first).
    Every wrong field is refused at once (one ValidationFailed naming them all)."""
    problems = FieldErrors()
    if data.kind not in DeputyKind.values:
        problems.add("kind", "代表类别只能是“人大代表”或“议政代表”")
    if data.gender and data.gender not in Gender.values:
        problems.add("gender", "性别只能是“男”或“女”")
    this_year = dt.date.today().year
    cleaned: dict[str, object] = {"kind": data.kind, "gender": data.gender, "region": data.region}
    with problems.checking():
        cleaned["name"] = clean_text(data.name, label="姓名", field="name", max_length=50)
    with problems.checking():
        cleaned["birth_year"] = clean_int(
            data.birth_year, label="出生年份", field="birth_year", minimum=1900, maximum=this_year - 18, required=False
        )
    with problems.checking():
        cleaned["ethnicity"] = clean_text(
            data.ethnicity, label="民族", field="ethnicity", max_length=20, required=False
        )
    with problems.checking():
        cleaned["party"] = clean_text(data.party, label="政治面貌", field="party", max_length=20, required=False)
    with problems.checking():
        cleaned["occupation"] = clean_text(
            data.occupation, label="工作单位及职务", field="occupation", max_length=200, required=False
        )
    with problems.checking():
        cleaned["phone"] = clean_phone(data.phone, label="手机", field="phone")
    in_street = any(r.is_street for r in data.region.ancestors(include_self=True))
    if data.kind == DeputyKind.DEPUTY and not data.mandates:
        problems.add("mandates", "人大代表至少要有一个层级（全国/省/市/县/乡镇）")
    if data.kind == DeputyKind.DELIBERATION:
        if data.mandates:
            problems.add("mandates", "议政代表不是人大代表，不能填写人大代表层级")
        if not in_street:
            problems.add("region", "议政代表只能属于街道")
    seen: set[int] = set()
    for m in data.mandates:
        if m.level not in CongressLevel.values:
            problems.add("mandates", "代表层级无效")
            continue
        if m.level in seen:
            problems.add("mandates", f"{CongressLevel(m.level).label}代表层级重复")
        seen.add(m.level)
        with problems.checking():
            clean_int(m.term, label="届次", field="mandates", minimum=1, maximum=99)
            clean_text(m.constituency, label="选区", field="mandates", max_length=100, required=False)
    if CongressLevel.TOWNSHIP in seen and in_street:
        problems.add("mandates", "街道不设乡镇人大，街道的代表不能是乡镇级代表")
    problems.raise_any()
    return cleaned


def _body_for_mandate(region: Region, level: int) -> Body | None:
    target_level = REGION_LEVEL_FOR_CONGRESS.get(CongressLevel(level))
    if target_level is None:
        return None
    path = region.path[
        : {RegionLevel.PROVINCE: 2, RegionLevel.CITY: 4, RegionLevel.COUNTY: 6, RegionLevel.TOWNSHIP: 9}[target_level]
    ]
    return Body.objects.filter(region__path=path, kind=BodyKind.CONGRESS).first()


def _write_mandates(deputy: Deputy, mandates: Sequence[MandateInput]) -> None:
    Mandate.objects.filter(deputy=deputy).delete()
    Mandate.objects.bulk_create(
        [
            Mandate(
                deputy=deputy,
                level=m.level,
                term=m.term,
                constituency=m.constituency.strip(),
                body=_body_for_mandate(deputy.region, m.level),
            )
            for m in sorted(mandates, key=lambda m: m.level)
        ]
    )


def mandates_snapshot(deputy: Deputy) -> list[str]:
    return [
        f"{m.get_level_display()}第{m.term}届{('（' + m.constituency + '）') if m.constituency else ''}"
        for m in deputy.mandates.all().order_by("level")
    ]


@transaction.atomic
def deputy_create(*, scope: Scope, data: DeputyInput, reason: str = "") -> Deputy:
    """Register a deputy (or a street 议政代表) with every level they hold."""
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    fields = deputy_validate(data)
    initials, full = pinyin_of(str(fields["name"]))
    deputy = Deputy.objects.create(**fields, name_initials=initials, name_pinyin=full)
    _write_mandates(deputy, data.mandates)
    audit_record(
        actor=scope.actor,
        action="deputy.create",
        target=deputy,
        region_path=deputy.region.path,
        reason=reason,
        after={
            **snapshot(deputy, ["name", "kind", "gender", "birth_year", "party", "occupation", "region"]),
            "mandates": mandates_snapshot(deputy),
        },
    )
    return deputy


@transaction.atomic
def deputy_update(*, scope: Scope, deputy: Deputy, data: DeputyInput, reason: str = "") -> Deputy:
    """Change a deputy's details and levels. Both the old and the new region must be in scope."""
    scope.check_path(deputy.region.path, perm=Perm.ORG_MANAGE)
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    deputy = Deputy.objects.select_for_update(of=("self",)).select_related("region").get(pk=deputy.pk)
    fields = deputy_validate(data)
    before = {**snapshot(deputy), "mandates": mandates_snapshot(deputy)}
    for key, value in fields.items():
        setattr(deputy, key, value)
    deputy.name_initials, deputy.name_pinyin = pinyin_of(deputy.name)
    deputy.save()
    _write_mandates(deputy, data.mandates)
    b, a = diff(before, {**snapshot(deputy), "mandates": mandates_snapshot(deputy)})
    if a or b:
        audit_record(
            actor=scope.actor,
            action="deputy.update",
            target=deputy,
            region_path=deputy.region.path,
            reason=reason,
            before=b,
            after=a,
        )
    return deputy


@transaction.atomic
def deputy_join_station(
    *, scope: Scope, deputy: Deputy, station: Station, start_date: dt.date, reason: str = ""
) -> StationMembership:
    """进站: assign a deputy to a station from a date. Earlier memberships stay as history."""
    scope.check_path(station.region.path, perm=Perm.ORG_MANAGE)
    scope.check_path(deputy.region.path, perm=Perm.ORG_VIEW)
    if not station.is_active:
        raise ValidationFailed(f"站点“{station.name}”已停用，不能进站", field="station")
    try:
        with transaction.atomic():
            membership = StationMembership.objects.create(deputy=deputy, station=station, start_date=start_date)
    except IntegrityError:
        raise ValidationFailed(f"{deputy.name}已在“{station.name}”进站", field="station") from None
    audit_record(
        actor=scope.actor,
        action="deputy.join_station",
        target=deputy,
        region_path=station.region.path,
        reason=reason,
        after={"station": station.name, "station_id": station.pk, "start_date": start_date},
    )
    return membership


@transaction.atomic
def deputy_leave_station(
    *, scope: Scope, membership: StationMembership, end_date: dt.date, reason: str = ""
) -> StationMembership:
    """End a 进站 period; the record stays, so the deputy's history (and QR code) survives the move."""
    station = membership.station
    scope.check_path(station.region.path, perm=Perm.ORG_MANAGE)
    membership = StationMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.end_date is not None:
        raise ValidationFailed("该进站记录已结束", field="end_date")
    if end_date < membership.start_date:
        raise ValidationFailed("离站日期不能早于进站日期", field="end_date")
    membership.end_date = end_date
    membership.save(update_fields=["end_date", "updated_at"])
    audit_record(
        actor=scope.actor,
        action="deputy.leave_station",
        target=membership.deputy,
        region_path=station.region.path,
        reason=reason,
        before={"station": station.name},
        after={"station": station.name, "end_date": end_date},
    )
    return membership


@transaction.atomic
def deputy_move_station(
    *, scope: Scope, deputy: Deputy, to_station: Station, on: dt.date, reason: str = ""
) -> StationMembership:
    """Move a deputy: close every open membership on ``on`` and open one at ``to_station``."""
    for membership in StationMembership.objects.filter(deputy=deputy, end_date__isnull=True).select_related(
        "station__region"
    ):
        if membership.station_id == to_station.pk:
            raise ValidationFailed(f"{deputy.name}已在“{to_station.name}”进站", field="station")
        deputy_leave_station(scope=scope, membership=membership, end_date=on, reason=reason)
    return deputy_join_station(scope=scope, deputy=deputy, station=to_station, start_date=on, reason=reason)


# ---------------------------------------------------------------- stations (家站点)


@dataclass(frozen=True)
class StationInput:
    code: str
    name: str
    kind: str
    region: Region
    address: str = ""
    opening_hours: str = ""
    industry: str = ""
    is_active: bool = True


def station_validate(data: StationInput) -> dict[str, object]:
    """Every wrong field at once (one ValidationFailed naming them all)."""
    problems = FieldErrors()
    if data.kind not in StationKind.values:
        problems.add("kind", "站点类型只能是代表之家、代表联络站或代表联系点")
    if data.region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        problems.add("region", "站点应设在乡镇/街道或村/社区")
    cleaned: dict[str, object] = {"kind": data.kind, "region": data.region, "is_active": bool(data.is_active)}
    with problems.checking():
        cleaned["code"] = clean_text(data.code, label="站点编码", field="code", max_length=32)
    with problems.checking():
        cleaned["name"] = clean_text(data.name, label="名称", field="name", max_length=100)
    with problems.checking():
        cleaned["address"] = clean_text(data.address, label="地址", field="address", max_length=200, required=False)
    with problems.checking():
        cleaned["opening_hours"] = clean_text(
            data.opening_hours, label="接待时间", field="opening_hours", max_length=200, required=False
        )
    with problems.checking():
        cleaned["industry"] = clean_text(
            data.industry, label="联系行业", field="industry", max_length=100, required=False
        )
    code = str(cleaned.get("code", ""))
    if not all(c.isalnum() or c in "-_" for c in code):
        problems.add("code", "站点编码只能包含字母、数字、- 和 _")
    problems.raise_any()
    return cleaned


@transaction.atomic
def station_create(*, scope: Scope, data: StationInput, reason: str = "") -> Station:
    """Open a station (代表之家/联络站/联系点) with a stable public id for its QR code."""
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    fields = station_validate(data)
    if Station.objects.filter(code=fields["code"]).exists():
        raise ValidationFailed(f"站点编码 {fields['code']} 已被使用", field="code")
    station = Station.objects.create(**fields)
    audit_record(
        actor=scope.actor,
        action="station.create",
        target=station,
        region_path=station.region.path,
        reason=reason,
        after=snapshot(station, list(fields)),
    )
    return station


@transaction.atomic
def station_update(*, scope: Scope, station: Station, data: StationInput, reason: str = "") -> Station:
    scope.check_path(station.region.path, perm=Perm.ORG_MANAGE)
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    station = Station.objects.select_for_update().get(pk=station.pk)
    fields = station_validate(data)
    if Station.objects.filter(code=fields["code"]).exclude(pk=station.pk).exists():
        raise ValidationFailed(f"站点编码 {fields['code']} 已被使用", field="code")
    before = snapshot(station, list(fields))
    for key, value in fields.items():
        setattr(station, key, value)
    station.save()
    b, a = diff(before, snapshot(station, list(fields)))
    if a or b:
        audit_record(
            actor=scope.actor,
            action="station.update",
            target=station,
            region_path=station.region.path,
            reason=reason,
            before=b,
            after=a,
        )
    return station


@dataclass(frozen=True)
class OfficerInput:
    role: str
    name: str
    phone: str = ""


MAX_LIAISONS = 2  # one head and one or two liaisons per station


@transaction.atomic
def station_set_officers(*, scope: Scope, station: Station, officers: Sequence[OfficerInput], reason: str = "") -> None:
    """Set the station's head and liaisons (one head, at most two liaisons).

    Officers are matched by role and name and updated in place, so a linked user account
    survives a phone change; every change (names and phones, masked) is audited.
    """
    scope.check_path(station.region.path, perm=Perm.ORG_MANAGE)
    heads = [o for o in officers if o.role == OfficerRole.HEAD]
    liaisons = [o for o in officers if o.role == OfficerRole.LIAISON]
    if len(heads) + len(liaisons) != len(officers):
        raise ValidationFailed("工作人员职责只能是站长或联络员", field="officers")
    if len(heads) > 1:
        raise ValidationFailed("每个站点只能有一名站长", field="officers")
    if len(liaisons) > MAX_LIAISONS:
        raise ValidationFailed(f"每个站点最多 {MAX_LIAISONS} 名联络员", field="officers")
    cleaned = [
        (
            o.role,
            clean_text(o.name, label="工作人员姓名", field="officers", max_length=50),
            clean_phone(o.phone, label="工作人员电话", field="officers"),
        )
        for o in officers
    ]
    existing = list(StationOfficer.objects.select_for_update().filter(station=station))

    def label(role: str, name: str, phone: str) -> str:
        return f"{OfficerRole(role).label}:{name}{(' ' + mask_phone(phone)) if phone else ''}"

    before = sorted(label(o.role, o.name, o.phone) for o in existing)
    unmatched = {(o.role, o.name): o for o in existing}
    kept = {(r, n): unmatched.pop((r, n)) for r, n, _ in cleaned if (r, n) in unmatched}
    # Leavers go first: the one-head constraint must hold after every statement.
    StationOfficer.objects.filter(pk__in=[o.pk for o in unmatched.values()]).delete()
    for role, name, phone in cleaned:
        officer = kept.get((role, name))
        if officer is None:
            StationOfficer.objects.create(station=station, role=role, name=name, phone=phone)
        elif officer.phone != phone:
            officer.phone = phone
            officer.save(update_fields=["phone", "updated_at"])
    after = sorted(label(r, n, p) for r, n, p in cleaned)
    if before != after:
        audit_record(
            actor=scope.actor,
            action="station.set_officers",
            target=station,
            region_path=station.region.path,
            reason=reason,
            before={"officers": before},
            after={"officers": after},
        )


@transaction.atomic
def station_set_served_regions(
    *, scope: Scope, station: Station, add: Sequence[Region], remove: Sequence[Region], reason: str = ""
) -> None:
    """Change which villages/communities a station serves (several small villages may share one).

    Only the named villages change; villages outside the user's scope stay as they are.
    """
    scope.check_path(station.region.path, perm=Perm.ORG_MANAGE)
    for region in [*add, *remove]:
        scope.check_path(region.path, perm=Perm.ORG_MANAGE)
        if region.level != RegionLevel.VILLAGE:
            raise ValidationFailed(f"{region.name}不是村/社区，站点只能联系村/社区", field="served")
    if not add and not remove:
        return
    before = sorted(station.served_regions.values_list("code", flat=True))
    station.served_regions.remove(*remove)
    station.served_regions.add(*add)
    after = sorted(station.served_regions.values_list("code", flat=True))
    if before != after:
        audit_record(
            actor=scope.actor,
            action="station.set_served_regions",
            target=station,
            region_path=station.region.path,
            reason=reason,
            before={"served_regions": before},
            after={"served_regions": after},
        )


# ---------------------------------------------------------------- groups (代表小组)


@transaction.atomic
def group_create(
    *, scope: Scope, region: Region, name: str, kind: str, members: Sequence[Deputy], reason: str = ""
) -> DeputyGroup:
    """Form a deputy group; 地方组织法 §43 asks for at least three deputies."""
    scope.check_path(region.path, perm=Perm.ORG_MANAGE)
    if kind not in GroupKind.values:
        raise ValidationFailed("小组类型无效", field="kind")
    name = clean_text(name, label="小组名称", field="name", max_length=100)
    unique = {d.pk: d for d in members}
    if len(unique) < DeputyGroup.MIN_MEMBERS:
        raise ValidationFailed(f"代表小组至少需要 {DeputyGroup.MIN_MEMBERS} 名代表", field="members")
    for d in unique.values():
        scope.check_path(d.region.path, perm=Perm.ORG_VIEW)
    if DeputyGroup.objects.filter(region=region, name=name).exists():
        raise ValidationFailed(f"{region.name}已有名为“{name}”的小组", field="name")
    group = DeputyGroup.objects.create(region=region, name=name, kind=kind)
    group.members.set(list(unique.values()))
    audit_record(
        actor=scope.actor,
        action="group.create",
        target=group,
        region_path=region.path,
        reason=reason,
        after={"name": name, "kind": kind, "members": sorted(d.name for d in unique.values())},
    )
    return group


@transaction.atomic
def group_set_members(*, scope: Scope, group: DeputyGroup, members: Sequence[Deputy], reason: str = "") -> DeputyGroup:
    scope.check_path(group.region.path, perm=Perm.ORG_MANAGE)
    unique = {d.pk: d for d in members}
    if len(unique) < DeputyGroup.MIN_MEMBERS:
        raise ValidationFailed(f"代表小组至少需要 {DeputyGroup.MIN_MEMBERS} 名代表", field="members")
    for d in unique.values():
        scope.check_path(d.region.path, perm=Perm.ORG_VIEW)
    before = sorted(group.members.values_list("name", flat=True))
    group.members.set(list(unique.values()))
    after = sorted(d.name for d in unique.values())
    if before != after:
        audit_record(
            actor=scope.actor,
            action="group.set_members",
            target=group,
            region_path=group.region.path,
            reason=reason,
            before={"members": before},
            after={"members": after},
        )
    return group


# ---------------------------------------------------------------- handling units (承办单位)


@dataclass(frozen=True)
class UnitInput:
    code: str
    name: str
    kind: str
    region: Region
    parent: HandlingUnit | None = None
    categories: tuple[Category, ...] = ()
    contact_name: str = ""
    contact_phone: str = ""
    is_active: bool = True


def unit_validate(data: UnitInput) -> dict[str, object]:
    if data.kind not in UnitKind.values:
        raise ValidationFailed("单位类型无效", field="kind")
    if data.region.level not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        raise ValidationFailed("承办单位应属于省、市、县或乡镇/街道", field="region")
    if data.parent is not None and not data.region.path.startswith(data.parent.region.path):
        raise ValidationFailed("上级单位须在本单位所属区划或其上级区划", field="parent")
    code = clean_text(data.code, label="单位编码", field="code", max_length=32)
    return {
        "code": code,
        "name": clean_text(data.name, label="单位名称", field="name", max_length=100),
        "kind": data.kind,
        "region": data.region,
        "parent": data.parent,
        "contact_name": clean_text(
            data.contact_name, label="联系人", field="contact_name", max_length=50, required=False
        ),
        "contact_phone": clean_phone(data.contact_phone, label="联系电话", field="contact_phone"),
        "is_active": bool(data.is_active),
    }


@transaction.atomic
def unit_create(*, scope: Scope, data: UnitInput, reason: str = "") -> HandlingUnit:
    """Register a handling unit with the opinion categories it handles (its routing rule)."""
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    fields = unit_validate(data)
    if HandlingUnit.objects.filter(code=fields["code"]).exists():
        raise ValidationFailed(f"单位编码 {fields['code']} 已被使用", field="code")
    if HandlingUnit.objects.filter(region=data.region, name=fields["name"]).exists():
        raise ValidationFailed(f"{data.region.name}已有单位“{fields['name']}”", field="name")
    unit = HandlingUnit.objects.create(**fields)
    unit.categories.set(data.categories)
    audit_record(
        actor=scope.actor,
        action="unit.create",
        target=unit,
        region_path=unit.region.path,
        reason=reason,
        after={**snapshot(unit, list(fields)), "categories": sorted(c.name for c in data.categories)},
    )
    return unit


@transaction.atomic
def unit_update(*, scope: Scope, unit: HandlingUnit, data: UnitInput, reason: str = "") -> HandlingUnit:
    scope.check_path(unit.region.path, perm=Perm.ORG_MANAGE)
    scope.check_path(data.region.path, perm=Perm.ORG_MANAGE)
    unit = HandlingUnit.objects.select_for_update().get(pk=unit.pk)
    fields = unit_validate(data)
    if HandlingUnit.objects.filter(code=fields["code"]).exclude(pk=unit.pk).exists():
        raise ValidationFailed(f"单位编码 {fields['code']} 已被使用", field="code")
    if HandlingUnit.objects.filter(region=data.region, name=fields["name"]).exclude(pk=unit.pk).exists():
        raise ValidationFailed(f"{data.region.name}已有单位“{fields['name']}”", field="name")
    before = {**snapshot(unit, list(fields)), "categories": sorted(unit.categories.values_list("name", flat=True))}
    for key, value in fields.items():
        setattr(unit, key, value)
    unit.save()
    unit.categories.set(data.categories)
    b, a = diff(before, {**snapshot(unit, list(fields)), "categories": sorted(c.name for c in data.categories)})
    if a or b:
        audit_record(
            actor=scope.actor,
            action="unit.update",
            target=unit,
            region_path=unit.region.path,
            reason=reason,
            before=b,
            after=a,
        )
    return unit


@transaction.atomic
def category_ensure(
    *, scope: Scope, code: str, name: str, parent: Category | None = None, sort_order: int = 0
) -> Category:
    """Create an opinion category if it does not exist (administrators maintain the list)."""
    scope.require(Perm.ADMIN)
    category, created = Category.objects.get_or_create(
        code=code, defaults={"name": name, "parent": parent, "sort_order": sort_order}
    )
    if created:
        audit_record(actor=scope.actor, action="category.create", target=category, after=snapshot(category))
    return category
