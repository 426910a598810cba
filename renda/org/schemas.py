"""Request and response shapes of the registry in the API (组织体系 and 行政区划).

Output schemas read ORM objects that the selectors fetched with their select/prefetch, so
rendering a list never goes back to the database. Labels come from the choice enums; phones
are masked unless the caller's scope holds Perm.PERSONAL_DATA. The briefs (RegionBrief,
StationBrief, DeputyBrief, UnitBrief, MandateBrief) and ``_label`` are shared with the other
scenes' schemas. The error shapes are the platform's, in renda/api/schemas.py.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from renda.api.auth import request_scope
from renda.api.pagination import PageParams
from renda.core.inputs import InputSchema
from renda.core.scoping import Perm
from renda.core.validation import mask_phone
from renda.org.models import (
    BodyKind,
    CongressLevel,
    DeputyKind,
    Gender,
    GroupKind,
    OfficerRole,
    StationKind,
    StationMembership,
    UnitKind,
)
from renda.regions.models import RegionKind, RegionLevel


def _label(choices: type[Enum], value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return str(choices(value).label)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


def shown_phone(phone: str, context: Any) -> str:
    """The phone as this caller may see it; masked when the caller is unknown."""
    request = context.get("request") if isinstance(context, dict) else None
    if isinstance(request, HttpRequest) and request_scope(request).has(Perm.PERSONAL_DATA):
        return phone
    return mask_phone(phone)


PHONE_DESCRIPTION = "电话；无个人信息查看权限时打码显示（如 138****5678）"


# ---------------------------------------------------------------- regions (行政区划)


class RegionBrief(Schema):
    code: str = Field(..., description="12 位统计用区划代码（网格 15 位）")
    name: str = Field(..., description="名称")
    level: int = Field(..., description="层级：1 省 2 市 3 县 4 乡镇/街道 5 村/社区 6 网格")
    level_label: str = Field(..., description="层级名称")
    kind: str = Field(..., description="类型代码")
    kind_label: str = Field(..., description="类型名称（镇、乡、街道、村、社区……）")

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return _label(RegionLevel, obj.level)

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(RegionKind, obj.kind)


class RegionPage(Schema):
    count: int = Field(..., description="总条数")
    items: list[RegionBrief]


class RegionDetail(Schema):
    region: RegionBrief
    ancestors: list[RegionBrief] = Field(..., description="您管辖范围内的上级区划，自上而下")
    children: list[RegionBrief] = Field(..., description="下级区划")


# ---------------------------------------------------------------- deputies (代表)


class MandateBrief(Schema):
    level: int = Field(..., description="人大层级：1 全国 2 省 3 市 4 县 5 乡镇")
    level_label: str
    term: int = Field(..., description="届次")

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return _label(CongressLevel, obj.level)


class BodyBrief(Schema):
    id: int
    name: str


class MandateOut(MandateBrief):
    constituency: str = Field(..., description="选区/选举单位")
    body: BodyBrief | None = Field(None, description="所属人大")


class StationBrief(Schema):
    public_id: str = Field(..., description="站点公开编号（二维码用）")
    code: str = Field(..., description="站点编码")
    name: str
    kind: str
    kind_label: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(StationKind, obj.kind)


class MembershipOut(Schema):
    station: StationBrief
    start_date: dt.date = Field(..., description="进站日期")
    end_date: dt.date | None = Field(None, description="离站日期；为空表示仍在站")


class GroupBrief(Schema):
    id: int
    name: str
    kind: str
    kind_label: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(GroupKind, obj.kind)


class DeputyItem(Schema):
    public_id: str = Field(..., description="代表公开编号（代表码用）")
    name: str = Field(..., description="姓名")
    kind: str = Field(..., description="类别：deputy 人大代表 / deliberation 议政代表")
    kind_label: str
    gender: str = Field(..., description="性别：M 男 / F 女 / 空")
    gender_label: str
    region: RegionBrief = Field(..., description="所属区划")
    levels: list[MandateBrief] = Field(..., description="代表层级（五级代表可有多个）")
    current_stations: list[StationBrief] = Field(..., description="当前进站的站点")
    phone: str = Field(..., description=PHONE_DESCRIPTION)
    is_active: bool = Field(..., description="在任")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(DeputyKind, obj.kind)

    @staticmethod
    def resolve_gender_label(obj: Any) -> str:
        return _label(Gender, obj.gender)

    @staticmethod
    def resolve_levels(obj: Any) -> list[Any]:
        return list(obj.mandates.all())

    @staticmethod
    def resolve_current_stations(obj: Any) -> list[Any]:
        return [m.station for m in obj.current_memberships]

    @staticmethod
    def resolve_phone(obj: Any, context: Any) -> str:
        return shown_phone(obj.phone, context)


class DeputyPage(Schema):
    count: int = Field(..., description="总条数")
    items: list[DeputyItem]


class DeputyDetail(Schema):
    public_id: str = Field(..., description="代表公开编号（代表码用）")
    name: str
    kind: str
    kind_label: str
    gender: str
    gender_label: str
    birth_year: int | None = Field(None, description="出生年份")
    ethnicity: str = Field(..., description="民族")
    party: str = Field(..., description="政治面貌")
    occupation: str = Field(..., description="工作单位及职务")
    phone: str = Field(..., description=PHONE_DESCRIPTION)
    region: RegionBrief
    is_active: bool
    mandates: list[MandateOut] = Field(..., description="代表资格（层级、届次、选区）")
    current_memberships: list[MembershipOut] = Field(..., description="当前进站")
    past_memberships: list[MembershipOut] = Field(..., description="历史进站记录")
    groups: list[GroupBrief] = Field(..., description="所在代表小组/专业小组")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(DeputyKind, obj.kind)

    @staticmethod
    def resolve_gender_label(obj: Any) -> str:
        return _label(Gender, obj.gender)

    @staticmethod
    def resolve_phone(obj: Any, context: Any) -> str:
        return shown_phone(obj.phone, context)

    @staticmethod
    def resolve_mandates(obj: Any) -> list[Any]:
        return list(obj.mandates.all())

    @staticmethod
    def resolve_current_memberships(obj: Any) -> list[StationMembership]:
        return [m for m in obj.memberships.all() if m.end_date is None]

    @staticmethod
    def resolve_past_memberships(obj: Any) -> list[StationMembership]:
        return [m for m in obj.memberships.all() if m.end_date is not None]

    @staticmethod
    def resolve_groups(obj: Any) -> list[Any]:
        return list(obj.groups.all())


class DeputyQuery(PageParams):
    q: str = Field("", max_length=50, description="姓名、姓名拼音或拼音首字母（如 zw）")
    level: int | None = Field(None, ge=1, le=5, title="人大层级", description="人大层级：1 全国 … 5 乡镇")
    kind: DeputyKind | None = Field(None, title="代表类别", description="deputy 人大代表 / deliberation 议政代表")
    station: str | None = Field(None, max_length=32, title="站点", description="站点公开编号：只看在该站点进站的代表")
    group: int | None = Field(None, ge=1, title="代表小组", description="代表小组编号")
    region: str | None = Field(None, max_length=15, title="区划代码", description="区划代码：只看该区划及其下级")


class MandateIn(InputSchema):
    level: int = Field(..., title="人大层级", description="人大层级：1 全国 2 省 3 市 4 县 5 乡镇")
    term: int = Field(..., title="届次", description="届次，1–99")
    constituency: str = Field("", max_length=100, title="选区", description="选区/选举单位")


class DeputyIn(InputSchema):
    name: str = Field(..., max_length=50, title="姓名")
    region: str = Field(..., max_length=15, title="所属区划", description="所属区划的区划代码（须在您的管辖范围内）")
    kind: DeputyKind = Field(DeputyKind.DEPUTY, title="代表类别", description="deputy 人大代表 / deliberation 议政代表")
    gender: str = Field("", max_length=1, title="性别", description="M 男 / F 女 / 空")
    birth_year: int | None = Field(None, title="出生年份")
    ethnicity: str = Field("", max_length=20, title="民族")
    party: str = Field("", max_length=20, title="政治面貌")
    occupation: str = Field("", max_length=200, title="工作单位及职务")
    phone: str = Field("", max_length=20, title="手机")
    mandates: list[MandateIn] = Field(
        default_factory=list, max_length=5, title="代表层级", description="人大代表至少一项；议政代表不填"
    )
    reason: str = Field("", max_length=200, title="变更原因", description="记入审计日志")


class DeputyPatch(InputSchema):
    """Only the fields sent are changed; ``mandates``, when sent, replaces every level."""

    name: str | None = Field(None, max_length=50, title="姓名")
    region: str | None = Field(None, max_length=15, title="所属区划", description="所属区划的区划代码")
    kind: DeputyKind | None = Field(None, title="代表类别")
    gender: str | None = Field(None, max_length=1, title="性别")
    birth_year: int | None = Field(None, title="出生年份")
    ethnicity: str | None = Field(None, max_length=20, title="民族")
    party: str | None = Field(None, max_length=20, title="政治面貌")
    occupation: str | None = Field(None, max_length=200, title="工作单位及职务")
    phone: str | None = Field(None, max_length=20, title="手机")
    mandates: list[MandateIn] | None = Field(None, max_length=5, title="代表层级")
    reason: str = Field("", max_length=200, title="变更原因")


# ---------------------------------------------------------------- stations (家站点)


class OfficerOut(Schema):
    role: str = Field(..., description="head 站长 / liaison 联络员")
    role_label: str
    name: str
    phone: str = Field(..., description=PHONE_DESCRIPTION)

    @staticmethod
    def resolve_role_label(obj: Any) -> str:
        return _label(OfficerRole, obj.role)

    @staticmethod
    def resolve_phone(obj: Any, context: Any) -> str:
        return shown_phone(obj.phone, context)


class StationItem(StationBrief):
    region: RegionBrief = Field(..., description="所在区划")
    address: str
    opening_hours: str = Field(..., description="接待时间")
    industry: str = Field(..., description="联系行业（代表联系点）")
    is_active: bool
    deputy_count: int = Field(..., description="当前进站代表数")
    officers: list[OfficerOut] = Field(..., description="站长和联络员")

    @staticmethod
    def resolve_officers(obj: Any) -> list[Any]:
        return list(obj.officers.all())


class StationPage(Schema):
    count: int
    items: list[StationItem]


class DeputyBrief(Schema):
    public_id: str
    name: str
    kind: str
    kind_label: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(DeputyKind, obj.kind)


class StationMemberOut(Schema):
    deputy: DeputyBrief
    start_date: dt.date = Field(..., description="进站日期")


class StationDetail(StationBrief):
    region: RegionBrief
    address: str
    opening_hours: str
    industry: str
    is_active: bool
    officers: list[OfficerOut]
    served_regions: list[RegionBrief] = Field(..., description="联系的村/社区")
    deputies: list[StationMemberOut] = Field(..., description="当前进站的代表")

    @staticmethod
    def resolve_officers(obj: Any) -> list[Any]:
        return list(obj.officers.all())

    @staticmethod
    def resolve_served_regions(obj: Any) -> list[Any]:
        return list(obj.served_regions.all())

    @staticmethod
    def resolve_deputies(obj: Any) -> list[StationMembership]:
        return [m for m in obj.memberships.all() if m.end_date is None]


class StationQuery(PageParams):
    q: str = Field("", max_length=100, description="名称、站点编码或地址")
    kind: StationKind | None = Field(
        None, title="站点类型", description="home 代表之家 / station 代表联络站 / point 代表联系点"
    )
    region: str | None = Field(None, max_length=15, title="区划代码", description="区划代码：只看该区划及其下级")


class JoinStationIn(InputSchema):
    deputy: str = Field(..., max_length=32, title="代表", description="代表公开编号")
    start_date: dt.date | None = Field(None, title="进站日期", description="进站日期，默认今天")
    reason: str = Field("", max_length=200, title="原因")


class StationMembershipOut(Schema):
    deputy: DeputyBrief
    station: StationBrief
    start_date: dt.date
    end_date: dt.date | None = None


# ---------------------------------------------------------------- units, bodies, groups


class CategoryOut(Schema):
    code: str
    name: str


class UnitBrief(Schema):
    id: int
    code: str
    name: str


class UnitItem(Schema):
    id: int
    code: str = Field(..., description="单位编码")
    name: str
    kind: str
    kind_label: str
    region: RegionBrief
    parent: UnitBrief | None = Field(None, description="上级单位")
    contact_name: str = Field(..., description="联系人")
    contact_phone: str = Field(..., description=PHONE_DESCRIPTION)
    is_active: bool
    categories: list[CategoryOut] = Field(..., description="承办的意见分类（分办规则）")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(UnitKind, obj.kind)

    @staticmethod
    def resolve_contact_phone(obj: Any, context: Any) -> str:
        return shown_phone(obj.contact_phone, context)

    @staticmethod
    def resolve_categories(obj: Any) -> list[Any]:
        return list(obj.categories.all())


class UnitPage(Schema):
    count: int
    items: list[UnitItem]


class CategoryDetailOut(CategoryOut):
    parent: CategoryOut | None = Field(None, description="一级分类")


class UnitDetail(UnitItem):
    categories: list[CategoryDetailOut] = Field(..., description="承办的意见分类（分办规则）")  # type: ignore[assignment]
    children: list[UnitBrief] = Field(..., description="下属单位")

    @staticmethod
    def resolve_children(obj: Any) -> list[Any]:
        return list(obj.children.all())


class UnitQuery(PageParams):
    q: str = Field("", max_length=100, description="名称或单位编码")
    kind: UnitKind | None = Field(None, title="单位类型")
    region: str | None = Field(None, max_length=15, title="区划代码", description="区划代码：只看该区划及其下级")


class BodyItem(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    level: int
    level_label: str
    region: RegionBrief
    term: int | None = Field(None, description="届次")
    mandate_count: int = Field(..., description="登记的代表资格数")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(BodyKind, obj.kind)

    @staticmethod
    def resolve_level_label(obj: Any) -> str:
        return _label(CongressLevel, obj.level)


class BodyPage(Schema):
    count: int
    items: list[BodyItem]


class GroupItem(GroupBrief):
    region: RegionBrief
    member_count: int = Field(..., description="成员人数")


class GroupPage(Schema):
    count: int
    items: list[GroupItem]
