"""What the API answers about proposals, candidate lists and projects (django-ninja schemas)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Schema

from renda.api.auth import request_scope
from renda.api.pagination import PageParams
from renda.core.validation import mask_name, mask_phone
from renda.projects import lists, policy
from renda.projects.models import CandidateList, Project, Proposal


class ProposalOut(Schema):
    id: int
    code: str = Field(..., description="建议编号")
    year: int = Field(..., description="建议年度")
    title: str
    text: str
    region: str = Field(..., description="乡镇/街道")
    village: str | None = None
    source: str
    state: str
    state_label: str
    screening_reason: str = Field(..., description="筛选意见")
    merged_into: str | None = Field(None, description="并入的建议编号")
    candidate_id: int | None = Field(None, description="列入的候选项目")
    citizen_name: str = Field(..., description="建议人（无个人信息权限时打码）")
    citizen_phone: str = Field(..., description="联系电话（无个人信息权限时打码）")
    created_at: dt.datetime

    @staticmethod
    def resolve_region(obj: Proposal) -> str:
        return obj.region.name

    @staticmethod
    def resolve_village(obj: Proposal) -> str | None:
        return obj.village.name if obj.village_id and obj.village else None

    @staticmethod
    def resolve_state_label(obj: Proposal) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_merged_into(obj: Proposal) -> str | None:
        return obj.merged_into.code if obj.merged_into_id and obj.merged_into else None

    @staticmethod
    def resolve_citizen_name(obj: Proposal, context: Any) -> str:
        return obj.citizen_name if _personal(context) else mask_name(obj.citizen_name)

    @staticmethod
    def resolve_citizen_phone(obj: Proposal, context: Any) -> str:
        return obj.citizen_phone if _personal(context) else mask_phone(obj.citizen_phone)


def _personal(context: Any) -> bool:
    request = (context or {}).get("request")
    return bool(request is not None and policy.can_see_person(request_scope(request)))


class ProposalPage(Schema):
    count: int
    items: list[ProposalOut]


class ProposalQuery(PageParams):
    state: Literal["submitted", "accepted", "rejected", "merged", "listed"] | None = Field(None, title="状态")
    year: int | None = Field(None, ge=2000, le=2100, title="年度")


class ProposalReceiptOut(Schema):
    code: str = Field(..., description="建议编号")
    title: str
    year: int
    state_label: str

    @staticmethod
    def resolve_state_label(obj: Proposal) -> str:
        return obj.get_state_display()


class CandidateOut(Schema):
    id: int
    position: int
    name: str
    content: str
    budget: Decimal = Field(..., description="估算投资（元）")
    lead_unit: str
    state: str
    result: dict[str, Any] = Field(..., description="各轮得票：rounds=[{round, yes, no, abstain, outcome}]")
    project_id: int | None = None

    @staticmethod
    def resolve_lead_unit(obj: Any) -> str:
        return str(obj.lead_unit.name)

    @staticmethod
    def resolve_project_id(obj: Any) -> int | None:
        project = getattr(obj, "project", None) if hasattr(obj, "project") else None
        return project.pk if project is not None else None


class ListOut(Schema):
    id: int
    title: str
    region: str
    year: int
    seats: int = Field(..., description="应选项目数")
    method: str = Field(..., description="choose_n 差额选择 / yes_no 逐项表决")
    state: str
    state_label: str
    meeting_id: int | None = None
    vote_id: int | None = None
    margin_problem: str = Field(..., description="不满足差额要求的原因；满足时为空")
    candidates: list[CandidateOut]

    @staticmethod
    def resolve_region(obj: CandidateList) -> str:
        return obj.region.name

    @staticmethod
    def resolve_state_label(obj: CandidateList) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_candidates(obj: CandidateList) -> list[Any]:
        return list(obj.candidates.all())

    @staticmethod
    def resolve_margin_problem(obj: CandidateList) -> str:
        return lists.margin_problem(candidates=len(obj.candidates.all()), seats=obj.seats)


class ListPage(Schema):
    count: int
    items: list[ListOut]


class MilestoneOut(Schema):
    title: str
    due_date: dt.date
    weight: int


class ReportOut(Schema):
    id: int
    percent: int
    text: str
    is_rectification: bool
    reported_by_label: str
    created_at: dt.datetime
    photos: list[str] = Field(..., description="照片地址（已去除拍摄信息）")

    @staticmethod
    def resolve_photos(obj: Any) -> list[str]:
        return [reverse("projects:public_photo", args=[p.pk]) for p in obj.photos.all()]


class ProjectOut(Schema):
    id: int
    year: int
    name: str
    content: str
    region: str
    lead_unit: str
    lead_unit_id: int
    budget: Decimal = Field(..., description="计划投资（元）")
    completion_date: dt.date | None
    state: str
    state_label: str
    progress: int = Field(..., description="完成进度（%）")
    is_behind: bool = Field(..., description="进度滞后于节点计划")
    rating_round: int
    satisfaction: Decimal | None = Field(None, description="最近一轮测评满意率（0–1）")
    votes: list[dict[str, Any]] = Field(..., description="票决各轮得票")

    @staticmethod
    def resolve_region(obj: Project) -> str:
        return obj.region.name

    @staticmethod
    def resolve_lead_unit(obj: Project) -> str:
        return obj.lead_unit.name

    @staticmethod
    def resolve_state_label(obj: Project) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_votes(obj: Project) -> list[dict[str, Any]]:
        return list(obj.candidate.result.get("rounds", []))


class ProjectDetailOut(ProjectOut):
    plan_text: str
    milestones: list[MilestoneOut]
    reports: list[ReportOut]

    @staticmethod
    def resolve_milestones(obj: Project) -> list[Any]:
        return list(obj.milestones.all())

    @staticmethod
    def resolve_reports(obj: Project) -> list[Any]:
        return list(obj.reports.all())


class ProjectPage(Schema):
    count: int
    items: list[ProjectOut]


class ProjectQuery(PageParams):
    year: int | None = Field(None, ge=2000, le=2100, title="年度")
    behind: bool = Field(False, title="只看进度滞后")
    mine: bool = Field(False, title="只看本单位负责的")


class RatingSummaryOut(Schema):
    round: int
    mode: str
    total: int = Field(..., description="参评人数")
    satisfied: int | None = None
    basic: int | None = None
    unsatisfied: int | None = None
    share: Decimal | None = Field(None, description="满意率；测评进行中仅工作人员可见")


class RatingsOut(Schema):
    project_id: int
    state: str
    rounds: list[RatingSummaryOut]
    mine: str | None = Field(None, description="本人本轮的评价（代表）")


class PublicProjectOut(Schema):
    name: str
    lead_unit: str
    budget: Decimal
    completion_date: dt.date | None
    progress: int
    state_label: str
    is_behind: bool
    votes: list[dict[str, Any]]
    rating: dict[str, Any] | None


class PublicYearOut(Schema):
    year: int
    seats: int | None
    candidates: int | None
    method: str | None
    projects: list[PublicProjectOut]
    not_elected: list[dict[str, Any]]


class PublicTownshipOut(Schema):
    township: str
    code: str
    collect_year: int = Field(..., description="正在征集建议的年度")
    years: list[PublicYearOut]
