"""Request and response shapes of 代表建议 in the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from renda.api.pagination import PageParams
from renda.core.inputs import InputSchema

MAX_BODY_TEXT = 20_000


class SuggestionItem(Schema):
    id: int
    number: str = Field(..., description="建议编号，如〔2026〕第12号；立案前为空")
    title: str
    body: str = Field(..., description="人民代表大会")
    region: str = Field(..., description="区划代码")
    year: int
    period: str = Field(..., description="session 大会期间 / recess 闭会期间")
    state: str
    state_label: str
    lead_deputy: str = Field(..., description="领衔代表")
    lead_unit: str | None = Field(None, description="主办单位")
    is_key: bool = Field(..., description="重点建议")
    due_on: dt.date | None = Field(None, description="当前期限（交办、答复或重新答复期限）")
    due_official: bool = Field(..., description="false：该年度节假日尚未录入，期限按周末计算")
    is_overdue: bool
    round: int = Field(..., description="办理轮次：2 表示不满意后重新办理")
    answer_class: str = Field(..., description="答复类别 A/B/C/D；未答复为空")
    outcome: str = Field(..., description="办结时的评价结果")


class SuggestionPage(Schema):
    count: int
    items: list[SuggestionItem]


class SignatoryOut(Schema):
    deputy: str
    public_id: str
    is_lead: bool
    status: str
    status_label: str


class AssignmentOut(Schema):
    unit_id: int
    unit: str
    role: str = Field(..., description="lead 主办 / co 协办")
    active: bool
    object_by: dt.date = Field(..., description="异议期限")
    co_due: dt.date | None = Field(None, description="协办意见期限")
    co_opinion: str


class AnswerOut(Schema):
    round: int
    unit: str
    answer_class: str
    class_label: str
    text: str
    at: dt.datetime
    letter_url: str = Field(..., description="答复函（Word）下载地址")


class RatingOut(Schema):
    round: int
    deputy: str
    attitude: str
    result: str
    comment: str


class ActionOut(Schema):
    name: str = Field(..., description="操作，即 POST /suggestions/{id}/<name>")
    label: str


class TimelineOut(Schema):
    at: dt.datetime
    action: str
    label: str
    actor: str
    reason: str


class SuggestionDetail(SuggestionItem):
    content: str
    problem: str
    proposal: str
    category: str
    wide_or_hard: bool
    key_gov_leader: str
    key_congress_leader: str
    assign_by: dt.date | None
    answer_by: dt.date | None
    reanswer_by: dt.date | None
    promise_open: bool = Field(..., description="B/C 类承诺事项尚未落实")
    publish_consent: bool
    opinions: list[str] = Field(..., description="依据的民意回执码")
    converted_opinion: str | None = Field(None, description="转为的一般意见回执码")
    signatories: list[SignatoryOut]
    assignments: list[AssignmentOut]
    answers: list[AnswerOut]
    ratings: list[RatingOut]
    actions: list[ActionOut] = Field(..., description="您现在可以执行的操作")
    timeline: list[TimelineOut]


class SuggestionQuery(PageParams):
    state: str | None = Field(None, max_length=12, title="状态")
    queue: Literal["open", "overdue", "due_soon", "key", "unsatisfied", "to_rate", "promises"] | None = Field(
        None, title="类别"
    )
    q: str = Field("", max_length=50, title="关键词", description="编号、标题或领衔代表姓名")
    year: int | None = Field(None, ge=2000, le=2100, title="年度")
    body: int | None = Field(None, ge=1, title="人民代表大会编号")
    unit: int | None = Field(None, ge=1, title="承办单位编号")


class DraftIn(InputSchema):
    body: int = Field(..., title="人民代表大会", description="人民代表大会（org Body）编号")
    title: str = Field(..., max_length=200, title="标题")
    content: str = Field(..., max_length=MAX_BODY_TEXT, title="建议内容")
    category: int = Field(..., title="分类", description="分类编号")
    problem: str = Field("", max_length=MAX_BODY_TEXT, title="存在的问题")
    proposal: str = Field("", max_length=MAX_BODY_TEXT, title="具体建议")
    period: Literal["session", "recess"] = Field("recess", title="提出时间")
    wide_or_hard: bool = Field(False, title="涉及面广、处理难度大")
    cosigners: list[str] = Field([], max_length=30, title="联名代表", description="受邀代表的公开编号")
    opinions: list[str] = Field([], max_length=50, title="依据的民意", description="意见回执码")


class CosignIn(InputSchema):
    accept: bool = Field(..., title="确认联名", description="true 确认，false 拒绝")


class ReasonIn(InputSchema):
    reason: str = Field(..., max_length=MAX_BODY_TEXT, title="理由")


class AcceptIn(InputSchema):
    wide_or_hard: bool | None = Field(None, title="涉及面广、处理难度大")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="审查意见")


class AssignIn(InputSchema):
    lead_unit: int = Field(..., title="主办单位", description="承办单位编号")
    co_units: list[int] = Field([], max_length=10, title="协办单位")


class KeyIn(InputSchema):
    is_key: bool = Field(..., title="重点建议")
    gov_leader: str = Field("", max_length=200, title="领办领导")
    congress_leader: str = Field("", max_length=200, title="督办领导")


class SuperviseIn(InputSchema):
    kind: Literal["supervise", "visit"] = Field(..., title="方式", description="supervise 督办 / visit 代表督事")
    note: str = Field(..., max_length=MAX_BODY_TEXT, title="情况")
    on: dt.date | None = Field(None, title="日期")


class TextIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="内容")


class ContactIn(InputSchema):
    contacted_on: dt.date = Field(..., title="联系日期")
    way: Literal["meeting", "phone", "forum", "visit", "other"] = Field(..., title="联系方式")
    note: str = Field(..., max_length=MAX_BODY_TEXT, title="沟通情况")


class AnswerIn(InputSchema):
    answer_class: str = Field(..., max_length=1, title="答复类别", description="按规则参数配置，默认 A/B/C/D")
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="答复内容")


class RateIn(InputSchema):
    attitude: Literal["satisfied", "basic", "unsatisfied"] = Field(..., title="办理态度")
    result: Literal["satisfied", "basic", "unsatisfied"] = Field(..., title="办理结果")
    comment: str = Field("", max_length=MAX_BODY_TEXT, title="评价意见")
    publish: bool | None = Field(None, title="同意公开答复")


class BoardOut(Schema):
    counts: dict[str, int]
    due_soon: list[SuggestionItem]
    overdue: list[SuggestionItem]
    unsatisfied: list[SuggestionItem]
    key: list[SuggestionItem]
    by_unit: list[dict[str, object]]
    by_region: list[dict[str, object]]


class StatRowOut(Schema):
    key: str
    label: str
    count: int = Field(..., description="立案数")
    answered: int
    on_time: int
    closed: int
    class_a: int
    rated: int
    satisfied: int
    on_time_rate: float | None = Field(None, description="按期答复率（%）")
    closed_rate: float | None = Field(None, description="办结率（%）")
    a_rate: float | None = Field(None, description="解决率：A 类占已答复（%）")
    satisfied_rate: float | None = Field(None, description="满意率：满意与基本满意占已评价办结（%）")
    avg_days: float | None = Field(None, description="交办至首次答复平均天数")


class StatsOut(Schema):
    by: str
    total: StatRowOut
    rows: list[StatRowOut]


class StatsQuery(Schema):
    by: Literal["body", "year", "unit", "region", "category"] = Field("body", title="统计方式")
    year: int | None = Field(None, ge=2000, le=2100, title="年度")
    body: int | None = Field(None, ge=1, title="人民代表大会编号")


class PublicAnswerOut(Schema):
    number: str
    title: str
    body: str
    deputy: str
    unit: str | None
    answer_class: str
    answer: str
    answered_at: dt.datetime | None


class PublicAnswerPage(Schema):
    count: int
    items: list[PublicAnswerOut]


class EditIn(InputSchema):
    title: str = Field(..., max_length=200, title="标题")
    content: str = Field(..., max_length=MAX_BODY_TEXT, title="建议内容")
    category: int = Field(..., title="分类", description="分类编号")
    problem: str = Field("", max_length=MAX_BODY_TEXT, title="存在的问题")
    proposal: str = Field("", max_length=MAX_BODY_TEXT, title="具体建议")
    period: Literal["session", "recess"] = Field("recess", title="提出时间")
    wide_or_hard: bool = Field(False, title="涉及面广、处理难度大")
    opinions: list[str] = Field([], max_length=50, title="依据的民意", description="意见回执码")
