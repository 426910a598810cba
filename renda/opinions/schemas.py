"""Request and response shapes of 民意处理: the citizen endpoints (no account), the staff
endpoints and the governance platform's callback.

Citizen answers never carry a phone number, a staff member's name or a note. Staff answers
show the citizen's name and phone only to those who handle the case (Perm.PERSONAL_DATA, or
the unit it is assigned to); everyone else sees them masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema

from renda.api.auth import request_scope
from renda.api.pagination import PageParams
from renda.audit.labels import action_label
from renda.core.inputs import MAX_BODY_TEXT, InputSchema
from renda.core.scoping import Scope
from renda.core.validation import mask_name, mask_phone
from renda.opinions import policy, selectors
from renda.opinions.actions import ACTIONS
from renda.opinions.models import AnswerKind, Outcome, Rating, Source, State
from renda.org.models import OfficerRole, StationKind
from renda.org.schemas import DeputyBrief, MandateBrief, RegionBrief, StationBrief, UnitBrief, _label

KEY_TITLE = "幂等键"
PUBLIC_KEY_MAX = 64  # opinion_submit and appointment_book keep 64 characters of the key
PUBLIC_KEY_DESCRIPTION = (
    "幂等键（必填，1–64 个字符，每次新提交生成一个新的随机值）：网络重试时以同一键重发同一内容，"
    "返回首次提交的结果而不重复登记；同一键内容不同则返回 409"
)


# ---------------------------------------------------------------- shared pieces


class CategoryBrief(Schema):
    id: int = Field(..., description="分类编号（提交意见时使用）")
    code: str
    name: str


class CategoryRef(CategoryBrief):
    parent: str | None = Field(None, description="一级分类名称；一级分类本身为空")

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.name if obj.parent_id else None


class CategoryNode(CategoryBrief):
    children: list[CategoryBrief] = Field(..., description="二级分类")


class CategoryTree(Schema):
    count: int
    items: list[CategoryNode]


class VillageOut(Schema):
    id: int = Field(..., description="区划编号（提交意见时作 region 使用）")
    code: str = Field(..., description="区划代码")
    name: str


class VillagePage(Schema):
    count: int
    items: list[VillageOut]


# ---------------------------------------------------------------- public profiles (亮身份)


class DutySummaryOut(Schema):
    opinions_year: int = Field(..., description="今年收到意见数")
    answered_year: int = Field(..., description="今年已答复数")
    receptions_year: int = Field(..., description="今年接待时段数")


class PublicStationBrief(Schema):
    public_id: str
    name: str
    kind: str
    kind_label: str
    address: str
    opening_hours: str = Field(..., description="接待时间；空表示以站点公告为准")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        kind = obj["kind"] if isinstance(obj, dict) else obj.kind  # a Station, or the profile built as a dict
        return _label(StationKind, kind)


class PublicOfficerOut(Schema):
    role: str
    role_label: str
    name: str

    @staticmethod
    def resolve_role_label(obj: Any) -> str:
        return _label(OfficerRole, obj.role)


class PublicDeputyBrief(Schema):
    public_id: str
    name: str
    levels: list[MandateBrief] = Field(..., description="代表层级")

    @staticmethod
    def resolve_levels(obj: Any) -> list[Any]:
        return list(obj.mandates.all())


class PublicStationOut(PublicStationBrief):
    region: str = Field(..., description="所在区划名称")
    officers: list[PublicOfficerOut] = Field(..., description="站长和联络员（不含电话）")
    deputies: list[PublicDeputyBrief] = Field(..., description="进站代表")
    summary: DutySummaryOut = Field(..., description="今年履职情况")


class PublicDeputyOut(Schema):
    public_id: str
    name: str
    kind: str
    kind_label: str
    occupation: str = Field(..., description="工作单位及职务")
    photo_url: str | None = Field(None, description="照片地址")
    levels: list[MandateBrief] = Field(..., description="代表层级（五级代表可有多个）")
    stations: list[PublicStationBrief] = Field(..., description="所在站点（接待时间、地址）")
    summary: DutySummaryOut = Field(..., description="今年履职情况")


class SlotStationOut(Schema):
    public_id: str
    name: str
    address: str


class SlotDeputyOut(Schema):
    public_id: str
    name: str


class SlotOut(Schema):
    id: int = Field(..., description="时段编号（预约时使用）")
    starts_at: dt.datetime
    ends_at: dt.datetime
    station: SlotStationOut
    deputy: SlotDeputyOut | None = Field(None, description="值班代表")
    capacity: int = Field(..., description="可预约人数")
    free: int = Field(..., description="剩余名额")


class SlotPage(Schema):
    count: int
    items: list[SlotOut]


# ---------------------------------------------------------------- citizen: submit, track, rate, book


class PublicOpinionIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="反映内容", description="反映的事情（5–2000 字）")
    category: int = Field(..., title="问题分类", description="分类编号，见 GET /public/categories")
    region: int = Field(
        ..., title="村/社区", description="事情发生的村/社区编号，见 GET /public/stations/{public_id}/villages"
    )
    station: str | None = Field(None, max_length=32, title="联络站", description="联络站公开编号（联络站码）")
    deputy: str | None = Field(
        None, max_length=32, title="代表", description="代表公开编号（代表码）；与 station 二选一"
    )
    citizen_name: str = Field("", max_length=100, title="姓名")
    citizen_phone: str = Field("", max_length=30, title="手机", description="匿名反映时不填")
    anonymous: bool = Field(False, title="匿名反映")
    consent: bool = Field(
        False, title="同意", description="同意姓名和电话仅用于办理和答复本件意见（实名时必须为 true）"
    )
    source: Literal["qr", "web"] = Field("qr", title="来源", description="qr 扫码反映 / web 网页反映")


class OpinionReceiptOut(Schema):
    receipt_code: str = Field(..., description="回执码：凭回执码和手机尾号查询进度、评价答复")
    title: str
    state: str
    state_label: str
    deadline: dt.date | None = Field(None, description="答复期限")
    created_at: dt.datetime
    track_pin: str = Field(
        "", description="匿名反映（未留电话）的 6 位查询密码：与回执码一起查询、评价，只在提交应答中出现"
    )
    message: str = Field(..., description="给群众看的提示")

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return _label(State, obj.state)

    @staticmethod
    def resolve_message(obj: Any) -> str:
        if obj.citizen_phone:
            return f"已受理，回执码 {obj.receipt_code}，已短信发送。可凭回执码和手机尾号 4 位查询办理进度。"
        return f"已受理，回执码 {obj.receipt_code}，查询密码 {policy.track_pin(obj)}。请记住这两个号码，凭它们查询办理进度。"

    @staticmethod
    def resolve_track_pin(obj: Any) -> str:
        return policy.track_pin(obj) if policy.needs_pin(obj) else ""


class TrackIn(InputSchema):
    receipt_code: str = Field(..., max_length=20, title="回执码")
    digits: str = Field(
        "", max_length=6, title="手机尾号或查询密码", description="手机号后 4 位；匿名反映填提交时给出的 6 位查询密码"
    )


class RateIn(InputSchema):
    digits: str = Field(
        "", max_length=6, title="手机尾号或查询密码", description="手机号后 4 位；匿名反映填提交时给出的 6 位查询密码"
    )
    value: Rating = Field(..., title="评价", description="satisfied 满意 / basic 基本满意 / unsatisfied 不满意")
    comment: str = Field("", max_length=MAX_BODY_TEXT, title="评价意见", description="不满意时必填，最多 500 字")


class StepOut(Schema):
    at: dt.datetime
    label: str


class CitizenAnswerOut(Schema):
    round: int = Field(..., description="办理轮次")
    kind: str
    kind_label: str
    unit: str | None = Field(None, description="答复单位")
    text: str
    answered_at: dt.datetime

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return _label(AnswerKind, obj.kind)

    @staticmethod
    def resolve_unit(obj: Any) -> str | None:
        return obj.unit.name if obj.unit_id else None

    @staticmethod
    def resolve_answered_at(obj: Any) -> dt.datetime:
        return obj.created_at  # type: ignore[no-any-return]


class RatingOut(Schema):
    round: int
    value: str
    value_label: str
    comment: str
    rated_at: dt.datetime

    @staticmethod
    def resolve_value_label(obj: Any) -> str:
        return _label(Rating, obj.value)

    @staticmethod
    def resolve_rated_at(obj: Any) -> dt.datetime:
        return obj.created_at  # type: ignore[no-any-return]


class TrackOut(Schema):
    receipt_code: str
    title: str
    citizen: str = Field(..., description="反映人（打码）或“匿名”")
    created_at: dt.datetime
    state: str = Field(..., description="办理状态（已合并的意见为合并后那件的状态）")
    state_label: str
    outcome: str = Field(..., description="办结方式；未办结为空")
    outcome_label: str
    merged_into: str | None = Field(None, description="已与同类问题合并办理时，合并后那件的标题（不含他人的回执码）")
    deadline: dt.date | None = Field(None, description="答复期限（办理中时）")
    deadline_official: bool = Field(
        ..., description="期限是否按法定节假日计算；false 表示该年度节假日尚未录入，按周末计算"
    )
    steps: list[StepOut] = Field(..., description="办理过程")
    answers: list[CitizenAnswerOut]
    ratings: list[RatingOut] = Field(..., description="您的评价")
    can_rate: bool = Field(..., description="现在可以评价答复")


class AppointmentIn(InputSchema):
    slot: int = Field(..., title="时段", description="时段编号，见 GET /public/stations/{public_id}/slots")
    name: str = Field(..., max_length=100, title="姓名")
    phone: str = Field(..., max_length=30, title="手机")
    topic: str = Field(..., max_length=MAX_BODY_TEXT, title="想谈的事", description="最多 300 字")


class AppointmentOut(Schema):
    code: str = Field(..., description="预约码")
    state: str
    state_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    station: SlotStationOut
    deputy: SlotDeputyOut | None = None
    message: str


# ---------------------------------------------------------------- staff: lists and the case


def _scope_of(context: Any) -> Scope | None:
    request = context.get("request") if isinstance(context, dict) else None
    return request_scope(request) if isinstance(request, HttpRequest) else None


class OpinionItem(Schema):
    id: int
    receipt_code: str
    title: str
    source: str
    source_label: str
    state: str
    state_label: str
    category: CategoryRef
    region: RegionBrief = Field(..., description="事情发生的村/社区")
    station: StationBrief | None = Field(None, description="联络站")
    unit: UnitBrief | None = Field(None, description="承办单位")
    triage_due: dt.date | None = Field(None, description="分办期限（待分办时有意义）")
    deadline: dt.date | None = Field(None, description="答复期限（承办单位按此答复群众）")
    deadline_official: bool = Field(..., description="false：该年度节假日尚未录入，期限按周末计算")
    is_overdue: bool = Field(..., description="已超过答复期限")
    reopen_count: int = Field(..., description="重办次数")
    created_at: dt.datetime

    @staticmethod
    def resolve_source_label(obj: Any) -> str:
        return _label(Source, obj.source)

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return _label(State, obj.state)


class OpinionPage(Schema):
    count: int = Field(..., description="总条数")
    items: list[OpinionItem]


class PhotoOut(Schema):
    url: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return str(obj.image.url)


class StaffAnswerOut(CitizenAnswerOut):
    answered_by: str = Field(..., description="答复人")
    status: str = Field(..., description="published 已告知群众 / pending 待乡镇审核 / returned 审核退回修改")
    review_note: str = Field("", description="审核意见")

    @staticmethod
    def resolve_answered_by(obj: Any) -> str:
        return str(obj.answered_by_label)


class ActionOut(Schema):
    name: str = Field(..., description="操作，即 POST /opinions/{id}/<name>")
    label: str


class TimelineOut(Schema):
    at: dt.datetime
    action: str
    label: str
    actor: str
    reason: str


class OpinionDetail(OpinionItem):
    text: str
    outcome: str
    outcome_label: str
    suggested_category: CategoryBrief | None = Field(None, description="系统根据内容建议的分类")
    deputy: DeputyBrief | None = Field(None, description="反映给哪位代表")
    citizen_name: str = Field(..., description="反映人；非承办人员打码显示")
    citizen_phone: str = Field(..., description="手机；非承办人员打码显示")
    anonymous: bool
    consent: bool
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    referred_to_deputies: bool = Field(..., description="已转代表形成建议")
    merged_into: str | None = Field(None, description="已并入的意见回执码")
    merged_cases: list[str] = Field(..., description="并入本件的意见回执码")
    follower_count: int = Field(..., description="附议人数")
    photos: list[PhotoOut]
    answers: list[StaffAnswerOut]
    ratings: list[RatingOut]
    actions: list[ActionOut] = Field(..., description="您现在可以执行的操作")
    timeline: list[TimelineOut] = Field(..., description="办理记录")
    updated_at: dt.datetime

    @staticmethod
    def resolve_outcome_label(obj: Any) -> str:
        return _label(Outcome, obj.outcome)

    @staticmethod
    def resolve_citizen_name(obj: Any, context: Any) -> str:
        scope = _scope_of(context)
        return str(obj.citizen_name) if scope and policy.can_see_person(scope, obj) else mask_name(obj.citizen_name)

    @staticmethod
    def resolve_citizen_phone(obj: Any, context: Any) -> str:
        scope = _scope_of(context)
        return str(obj.citizen_phone) if scope and policy.can_see_person(scope, obj) else mask_phone(obj.citizen_phone)

    @staticmethod
    def resolve_merged_into(obj: Any) -> str | None:
        return obj.merged_into.receipt_code if obj.merged_into_id else None

    @staticmethod
    def resolve_merged_cases(obj: Any) -> list[str]:
        return [o.receipt_code for o in obj.merged_cases.all()]

    @staticmethod
    def resolve_follower_count(obj: Any) -> int:
        return len(obj.followers.all())

    @staticmethod
    def resolve_photos(obj: Any) -> list[Any]:
        return list(obj.photos.all())

    @staticmethod
    def resolve_answers(obj: Any) -> list[Any]:
        return list(obj.answers.all())

    @staticmethod
    def resolve_ratings(obj: Any) -> list[Any]:
        return sorted(obj.ratings.all(), key=lambda r: r.round)

    @staticmethod
    def resolve_actions(obj: Any, context: Any) -> list[dict[str, str]]:
        scope = _scope_of(context)
        if scope is None:
            return []
        return ACTIONS.offered(policy.available(scope, obj))

    @staticmethod
    def resolve_timeline(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "at": e.created_at,
                "action": e.action,
                "label": action_label(e.action),
                "actor": e.actor_label,
                "reason": e.reason,
            }
            for e in selectors.opinion_timeline(opinion=obj).only(
                "created_at", "action", "actor_label", "reason", "seq"
            )
        ]


class OpinionQuery(PageParams):
    state: State | None = Field(None, title="状态", description="办理状态")
    queue: Literal["overdue", "due_soon", "open"] | None = Field(
        None, title="队列", description="overdue 已逾期 / due_soon 即将到期 / open 办理中"
    )
    q: str = Field("", max_length=50, title="关键词", description="回执码、摘要或正文")
    category: int | None = Field(None, ge=1, title="分类", description="分类编号（一级分类含其下二级）")
    region: str | None = Field(None, max_length=15, title="区划代码", description="区划代码：只看该区划及其下级")
    unit: int | None = Field(None, ge=1, title="承办单位", description="承办单位编号")
    source: Source | None = Field(None, title="来源")


class OfflineOpinionIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="反映内容")
    category: int = Field(..., title="问题分类", description="分类编号")
    region: str = Field(..., max_length=15, title="村/社区", description="事情发生的村/社区的区划代码")
    source: Literal["reception", "visit", "box", "event"] = Field(
        ..., title="来源", description="reception 接待日 / visit 走访 / box 意见箱 / event 代表夜聊、赶大集等活动"
    )
    station: str | None = Field(None, max_length=32, title="联络站", description="联络站公开编号；联络员不填时为本站")
    citizen_name: str = Field("", max_length=100, title="姓名")
    citizen_phone: str = Field(
        "", max_length=30, title="手机", description="当面留下电话即视为同意用于办理联系；不留电话按匿名登记"
    )
    anonymous: bool = Field(False, title="匿名")
    received_by: str = Field("", max_length=100, title="接待人", description="接待群众的代表或联络员；不填为提交人")
    received_on: dt.date | None = Field(None, title="接待日期", description="一年内、不晚于今天；不填为今天")


# ---------------------------------------------------------------- governance platform (基层治理四平台)


class GovernanceEventIn(InputSchema):
    event_id: str = Field(..., max_length=64, title="事件编号", description="平台的事件编号；重发同一编号不重复处理")
    receipt_code: str = Field(..., max_length=20, title="回执码")
    type: Literal["accepted", "progress", "answered"] = Field(
        ..., title="事件类型", description="accepted 已受理 / progress 办理进展 / answered 已答复"
    )
    text: str = Field("", max_length=MAX_BODY_TEXT, title="内容", description="进展或答复内容")


class GovernanceEventOut(Schema):
    replayed: bool = Field(..., description="true：该事件编号已处理过，本次未作任何改变")
    receipt_code: str
    state: str
    state_label: str
