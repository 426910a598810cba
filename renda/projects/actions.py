"""The staff actions on the three pages of 民生实事, in button order: a proposal's (筛选, 合并),
a candidate list's (应选数, 添加/删除候选, 确定, 退回, 提交票决) and a project's (计划, 进展, 测评,
整改). Each row is what the page's ``act/<name>/`` runs (core/pages.py); ``api`` names the route of
projects/api.py that does the same through its own body."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from renda.core.actions import Action, ActionTable
from renda.core.errors import ValidationFailed
from renda.core.scoping import Perm, Scope
from renda.core.validation import ascii_digits
from renda.meetings.models import Meeting
from renda.org.models import HandlingUnit
from renda.projects import delivery, inputs, lists, proposals, selectors
from renda.projects.models import CandidateList, Project, Proposal
from renda.projects.states import MACHINE

Files = Mapping[str, Any]


def _id(value: str) -> int | None:
    return int(value) if ascii_digits(value) and len(value) < 12 else None


def form_date(value: str, *, field: str, label: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationFailed(f"{label}应为日期（年-月-日）", field=field) from None


def _milestones(data: inputs.PlanForm) -> list[delivery.MilestoneInput]:
    titles, dates, weights = data.m_title, data.m_date, data.m_weight
    rows = []
    for i, title in enumerate(titles[:20]):
        weight = weights[i].strip() if i < len(weights) else ""
        rows.append(
            delivery.MilestoneInput(
                title=title,
                due_date=form_date(
                    dates[i] if i < len(dates) else "", field="milestones", label=f"第 {i + 1} 个节点日期"
                ),
                weight=int(weight) if ascii_digits(weight) and len(weight) < 4 else (None if not weight else 0),
            )
        )
    return rows


# ------------------------------------------------------------------ 群众点单: a proposal


def _merge(scope: Scope, proposal: Proposal, data: inputs.ProposalMergeForm, files: Files) -> Proposal:
    code = (data.into or "").strip().upper()[:12]
    into = selectors.proposal_list(scope=scope).filter(code=code).first() if code else None
    if into is None:
        raise ValidationFailed(f"找不到编号为“{code}”的项目建议", field="into")
    return proposals.proposal_merge(scope=scope, proposal=proposal, into=into, reason=data.reason)


PROPOSAL_ACTIONS: ActionTable[Proposal] = ActionTable(
    MACHINE,
    [
        Action(
            "accept",
            inputs.ReasonForm,
            lambda scope, p, data, files: proposals.proposal_screen(
                scope=scope, proposal=p, decision="accept", reason=data.reason
            ),
            "已记录：拟列入候选",
            api="screen_proposal",
        ),
        Action(
            "reject",
            inputs.ReasonForm,
            lambda scope, p, data, files: proposals.proposal_screen(
                scope=scope, proposal=p, decision="reject", reason=data.reason
            ),
            "已记录：不予列入",
            api="screen_proposal",
        ),
        Action("merge", inputs.ProposalMergeForm, _merge, "已合并", api="merge_proposal"),
    ],
    noun="proposal",
    page="projects:proposal_act",
    entity="proposal",
    elsewhere={
        "enter": "projects:proposal_new",  # 录入: a form of its own
        "list": "projects:list_act",  # 列入候选: adding the candidate on the list's page
    },
)


# ------------------------------------------------------------------ 代表定单: a candidate list


def _add(scope: Scope, c: CandidateList, data: inputs.CandidateAddForm, files: Files) -> Any:
    unit_id = _id(data.lead_unit or "")
    unit = HandlingUnit.objects.select_related("region").filter(pk=unit_id).first() if unit_id else None
    if unit is None:
        raise ValidationFailed("请选择责任单位", field="lead_unit")
    ids = [int(x) for x in data.proposals if ascii_digits(x) and len(x) < 12]
    picked = list(Proposal.objects.filter(pk__in=ids, region=c.region))
    if len(picked) != len(set(ids)):
        raise ValidationFailed("所选项目建议不属于本乡镇/街道", field="proposals")
    return lists.candidate_add(
        scope=scope,
        candidate_list=c,
        name=data.name,
        content=data.content,
        budget=lists.wan_to_yuan(data.budget, label="估算投资"),  # the page's box is in 万元
        lead_unit=unit,
        proposals=picked,
    )


def _remove(scope: Scope, c: CandidateList, data: inputs.CandidateRemoveForm, files: Files) -> CandidateList:
    cid = _id(data.candidate or "")
    candidate = c.candidates.filter(pk=cid).first() if cid else None
    if candidate is None:
        raise ValidationFailed("候选项目不存在", field="candidate")
    return lists.candidate_remove(scope=scope, candidate=candidate, reason=data.reason)


def _vote(scope: Scope, c: CandidateList, data: inputs.VoteForm, files: Files) -> CandidateList:
    mid = _id(data.meeting or "")
    meeting = (
        scope.filter(Meeting.objects.select_related("region"), perm=Perm.PROJECT_VIEW).filter(pk=mid).first()
        if mid
        else None
    )
    if meeting is None:
        raise ValidationFailed("请选择票决的会议", field="meeting")
    return lists.list_put_to_vote(scope=scope, candidate_list=c, meeting=meeting)


LIST_ACTIONS: ActionTable[CandidateList] = ActionTable(
    MACHINE,
    [
        Action(
            "update",
            inputs.ListUpdateForm,
            lambda scope, c, data, files: lists.list_update(
                scope=scope, candidate_list=c, seats=data.seats, method=data.method
            ),
            "已保存应选项目数和表决方式",
            transition="edit",
            api=None,
        ),
        Action("add", inputs.CandidateAddForm, _add, "已添加候选项目", transition="edit", api="add_candidate"),
        Action("remove", inputs.CandidateRemoveForm, _remove, "已删除候选项目", transition="edit", api=None),
        Action(
            "fix",
            inputs.ReasonForm,
            lambda scope, c, data, files: lists.list_fix(scope=scope, candidate_list=c, reason=data.reason),
            "主席团已确定候选项目清单",
            api="fix_list",
        ),
        Action(
            "reopen",
            inputs.ReasonForm,
            lambda scope, c, data, files: lists.list_reopen(scope=scope, candidate_list=c, reason=data.reason),
            "已退回修改",
            api=None,
        ),
        Action(
            "vote",
            inputs.VoteForm,
            _vote,
            "已提交大会票决：请在会议的表决页面开始投票",
            transition="put_to_vote",
            api="put_list_to_vote",
        ),
    ],
    noun="list",
    page="projects:list_act",
    entity="list",
    elsewhere={"create": "projects:list_new"},
)


# ------------------------------------------------------------------ 政府买单、人大验单: a project


def _plan(scope: Scope, project: Project, data: inputs.PlanForm, files: Files) -> Project:
    return delivery.project_plan(
        scope=scope,
        project=project,
        budget=lists.wan_to_yuan(data.budget, label="计划投资"),  # the page's box is in 万元
        plan_text=data.plan_text,
        completion_date=form_date(data.completion_date, field="completion_date", label="计划完成日期"),
        milestones=_milestones(data),
    )


def _photos(files: Files) -> list[Any]:
    getlist = getattr(files, "getlist", None)
    return list(getlist("photos")) if getlist is not None else []


PROJECT_ACTIONS: ActionTable[Project] = ActionTable(
    MACHINE,
    [
        Action("plan", inputs.PlanForm, _plan, "已保存实施计划", api="plan_project"),
        Action(
            "report",
            inputs.ReportForm,
            lambda scope, p, data, files: delivery.project_report(
                scope=scope, project=p, percent=data.percent, text=data.text, photos=_photos(files)
            ),
            "已报告进展",
            api="report_progress",
        ),
        Action(
            "open_rating",
            inputs.NoForm,
            lambda scope, p, data, files: delivery.project_open_rating(scope=scope, project=p),
            "已开始满意度测评，已通知代表",
            api="open_rating",
        ),
        Action(
            "rate",
            inputs.RateForm,
            lambda scope, p, data, files: delivery.project_rate(
                scope=scope, project=p, grade=data.grade, score=data.score, comment=data.comment
            ),
            "已提交测评，谢谢",
            api="rate_project",
        ),
        Action(
            "close_rating",
            inputs.CloseRatingForm,
            lambda scope, p, data, files: delivery.project_close_rating(
                scope=scope,
                project=p,
                requirement=data.requirement,
                due_date=form_date(data.due_date, field="due_date", label="整改期限"),
            ),
            "测评已结束",
            api="close_rating",
        ),
        Action(
            "rectify_report",
            inputs.ReportForm,
            lambda scope, p, data, files: delivery.project_rectify_report(
                scope=scope, project=p, text=data.text, percent=data.percent, photos=_photos(files)
            ),
            "已报告整改情况",
            api="report_rectification",
        ),
    ],
    noun="project",
    page="projects:project_act",
    entity="project",
)
