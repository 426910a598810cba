"""One input per staff action of 民生实事, parsed by django-ninja for the API (the same fields,
limits and Chinese titles the services' refusals name)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field

from renda.core.inputs import MAX_BODY_TEXT, InputSchema, RawForm


class ProposalIn(InputSchema):
    title: str = Field(..., max_length=200, title="项目名称")
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="内容与理由")
    region: str = Field(..., max_length=15, title="区划代码", description="乡镇/街道或村/社区的 12 位区划代码")
    station: str | None = Field(None, max_length=32, title="站点", description="收集建议的站点公开编号")
    citizen_name: str = Field("", max_length=100, title="建议人")
    citizen_phone: str = Field("", max_length=30, title="联系电话")


class PublicProposalIn(InputSchema):
    title: str = Field(..., max_length=200, title="项目名称", description="想办的实事（4–60 字）")
    text: str = Field(
        ..., max_length=MAX_BODY_TEXT, title="内容与理由", description="在哪里、办什么、为什么（10–2000 字）"
    )
    village: int | None = Field(None, title="村/社区", description="村/社区编号（可选）")
    station: str | None = Field(None, max_length=32, title="联络站", description="联络站公开编号（经联络站码提交时）")
    deputy: str | None = Field(None, max_length=32, title="代表", description="代表公开编号（经代表码提交时）")
    citizen_name: str = Field("", max_length=100, title="姓名")
    citizen_phone: str = Field("", max_length=30, title="手机")
    consent: bool = Field(False, title="同意", description="留电话时须为 true：姓名和电话仅用于联系本建议")


class ScreenIn(InputSchema):
    decision: Literal["accept", "reject"] = Field(
        ..., title="筛选结果", description="accept 拟列入候选 / reject 不予列入"
    )
    reason: str = Field(..., max_length=2000, title="筛选意见")


class MergeIn(InputSchema):
    into: str = Field(..., max_length=12, title="并入的建议编号")
    reason: str = Field(..., max_length=2000, title="合并理由")


class ListIn(InputSchema):
    region: str = Field(..., max_length=15, title="乡镇/街道区划代码")
    year: int = Field(..., ge=2000, le=2100, title="实施年度")
    seats: int = Field(..., ge=1, le=50, title="应选项目数")
    method: Literal["choose_n", "yes_no"] = Field("choose_n", title="表决方式")


class CandidateIn(InputSchema):
    name: str = Field(..., max_length=200, title="项目名称")
    content: str = Field(..., max_length=MAX_BODY_TEXT, title="建设内容")
    budget: Decimal = Field(..., title="估算投资（元）", max_digits=16, decimal_places=2)
    lead_unit: int = Field(..., title="责任单位编号")
    proposals: list[str] = Field(default_factory=list, max_length=100, title="来自的建议编号")


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=2000, title="理由")


class VoteIn(InputSchema):
    meeting: int = Field(..., title="会议编号")


class MilestoneIn(InputSchema):
    title: str = Field(..., max_length=200, title="节点")
    due_date: dt.date = Field(..., title="计划完成日期")
    weight: int = Field(..., ge=1, le=100, title="权重（%）")


class PlanIn(InputSchema):
    budget: Decimal = Field(..., title="计划投资（元）", max_digits=16, decimal_places=2)
    plan_text: str = Field(..., max_length=MAX_BODY_TEXT, title="实施计划")
    completion_date: dt.date = Field(..., title="计划完成日期")
    milestones: list[MilestoneIn] = Field(..., min_length=1, max_length=20, title="实施节点")


class ProgressIn(InputSchema):
    percent: int = Field(..., ge=0, le=100, title="完成进度（%）")
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="进展情况")


class RateIn(InputSchema):
    grade: Literal["satisfied", "basic", "unsatisfied"] | None = Field(None, title="评价")
    score: int | None = Field(None, ge=0, le=100, title="评分（评分测评时）")
    comment: str = Field("", max_length=2000, title="意见")


class CloseRatingIn(InputSchema):
    requirement: str = Field("", max_length=MAX_BODY_TEXT, title="整改要求")
    due_date: dt.date | None = Field(None, title="整改期限")


class RectifyIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="整改情况")
    percent: int | None = Field(None, ge=0, le=100, title="完成进度（%）")


# ---------------------------------------------------------------- the pages' forms
# The pages post forms shaped unlike the API's bodies (a plan's milestones as parallel lists, the
# screening decision in the URL): each is handed on as typed, and the service (or the action in
# projects/actions.py) refuses a bad value in the words the page has always shown.


class ReasonForm(RawForm):
    reason: str = Field("", title="理由")


class ProposalMergeForm(RawForm):
    into: str = Field("", title="目标建议编号")
    reason: str = Field("", title="合并理由")


class ListUpdateForm(RawForm):
    seats: str = Field("", title="应选项目数")
    method: str = Field("", title="表决方式")


class CandidateAddForm(RawForm):
    name: str = Field("", title="项目名称")
    content: str = Field("", title="建设内容")
    budget: str = Field("", title="估算投资（万元）")
    lead_unit: str = Field("", title="责任单位")
    proposals: list[str] = Field(default_factory=list, title="依据的项目建议")


class CandidateRemoveForm(RawForm):
    candidate: str = Field("", title="候选项目")
    reason: str = Field("", title="删除理由")


class VoteForm(RawForm):
    meeting: str = Field("", title="票决的会议")


class PlanForm(RawForm):
    budget: str = Field("", title="计划投资（万元）")
    plan_text: str = Field("", title="实施计划")
    completion_date: str = Field("", title="计划完成日期")
    m_title: list[str] = Field(default_factory=list, title="节点")
    m_date: list[str] = Field(default_factory=list, title="节点日期")
    m_weight: list[str] = Field(default_factory=list, title="节点权重")


class ReportForm(RawForm):
    percent: str = Field("", title="完成进度")
    text: str = Field("", title="进展情况")


class RateForm(RawForm):
    grade: str = Field("", title="测评等次")
    score: str | None = Field(None, title="分数")
    comment: str = Field("", title="意见")


class CloseRatingForm(RawForm):
    requirement: str = Field("", title="整改要求")
    due_date: str = Field("", title="整改期限")


class NoForm(RawForm):
    """An action that takes nothing but the record."""
