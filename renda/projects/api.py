"""REST API for 民生实事项目 (票决制): proposals (群众点单), candidate lists (代表定单), projects with
their plan and progress (政府买单) and ratings (人大验单).

Every write maps to one service in renda/projects/services.py; refusals come in a fixed order:
403 without the permission, 404 outside the caller's regions, 409 in a state that does not
allow it (renda/projects/states.py), 400 for bad input. Citizens propose without an account at
``POST /public/projects/{code}/proposals`` with a required ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import P, Query, Router, Schema
from ninja.params import HeaderEx, PathEx

from renda.accounts.client_ip import client_ip
from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, REPLAY_HEADER, render, run_idempotent
from renda.api.pagination import PageParams, page_of
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, ValidationErrorOut
from renda.core.errors import NotFound, ValidationFailed
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm, Scope
from renda.meetings.models import Meeting
from renda.opinions.schemas import KEY_TITLE, PUBLIC_KEY_DESCRIPTION, PUBLIC_KEY_MAX
from renda.org.models import Deputy, HandlingUnit, Station
from renda.projects import delivery, lists, policy, proposals, selectors, services
from renda.projects.inputs import (
    CandidateIn,
    CloseRatingIn,
    ListIn,
    MergeIn,
    PlanIn,
    ProgressIn,
    ProposalIn,
    PublicProposalIn,
    RateIn,
    ReasonIn,
    RectifyIn,
    ScreenIn,
    VoteIn,
)
from renda.projects.models import CandidateList, Project, Proposal
from renda.projects.schemas import (
    ListOut,
    ListPage,
    ProjectDetailOut,
    ProjectOut,
    ProjectPage,
    ProjectQuery,
    ProposalOut,
    ProposalPage,
    ProposalQuery,
    ProposalReceiptOut,
    PublicTownshipOut,
    RatingsOut,
)
from renda.projects.states import MACHINE
from renda.regions.models import Region, RegionLevel

router = Router(tags=["民生实事项目"])

Id = PathEx[int, P(ge=1, le=MAX_INT, title="编号")]
Key = HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)]
PublicKey = HeaderEx[
    str, P(alias=HEADER, title=KEY_TITLE, description=PUBLIC_KEY_DESCRIPTION, min_length=1, max_length=PUBLIC_KEY_MAX)
]
PUBLIC_ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}


# ---------------------------------------------------------------- helpers


def _proposal(scope: Scope, pk: int) -> Proposal:
    return selectors.proposal_detail(scope=scope, pk=pk)


def _region(scope: Scope, code: str) -> Region:
    try:
        return scope.get(Region.objects.all(), code=code.strip())
    except NotFound:
        raise NotFound(f"区划 {code} 不存在或不在您的管辖范围内", field="region") from None


def _require(scope: Scope, transition: str) -> None:
    """The transition's permission (states.py), before the body or the record is looked at: 403."""
    scope.require(str(MACHINE[transition].perm))


def _act(request: HttpRequest, key: str | None, transition: str, schema: type[Schema], run: Any) -> HttpResponse:
    scope = request_scope(request)
    _require(scope, transition)
    return run_idempotent(request, key, lambda: render(request, schema, run(scope), status=200))


# ---------------------------------------------------------------- 群众点单


@router.get("/projects/proposals", response={200: ProposalPage, **READ_ERRORS}, summary="项目建议列表")
def list_proposals(request: HttpRequest, filters: Query[ProposalQuery]) -> dict[str, Any]:
    f = selectors.ProposalFilter(state=filters.state or "", year=filters.year)
    return page_of(selectors.proposal_list(scope=request_scope(request), filters=f), filters)


@router.post("/projects/proposals", response={201: ProposalOut, **WRITE_ERRORS}, summary="录入项目建议")
def enter_proposal(request: HttpRequest, payload: ProposalIn, idempotency_key: Key = None) -> HttpResponse:
    """站点、代表或工作人员录入收集到的民生实事项目建议。"""
    scope = request_scope(request)
    _require(scope, "proposal.enter")

    def create() -> HttpResponse:
        region = _region(scope, payload.region)
        station = None
        if payload.station:
            station = scope.filter(Station.objects.select_related("region")).filter(public_id=payload.station).first()
            if station is None:
                raise NotFound("站点不存在或不在您的管辖范围内", field="station")
        deputy = None
        if scope.deputy_ids and not scope.has(Perm.PROJECT_MANAGE):
            deputy = Deputy.objects.select_related("region").filter(pk__in=scope.deputy_ids).order_by("id").first()
        proposal = proposals.proposal_enter(
            scope=scope,
            data=proposals.ProposalInput(
                title=payload.title,
                text=payload.text,
                region=region,
                citizen_name=payload.citizen_name,
                citizen_phone=payload.citizen_phone,
                consent=bool(payload.citizen_phone.strip()),
                station=station,
                deputy=deputy,
            ),
        )
        return render(request, ProposalOut, _proposal(scope, proposal.pk), status=201)

    return run_idempotent(request, idempotency_key, create)


@router.get("/projects/proposals/{proposal_id}", response={200: ProposalOut, **READ_ERRORS}, summary="项目建议详情")
def get_proposal(request: HttpRequest, proposal_id: Id) -> Proposal:
    return _proposal(request_scope(request), proposal_id)


@router.post(
    "/projects/proposals/{proposal_id}/screen", response={200: ProposalOut, **WRITE_ERRORS}, summary="筛选项目建议"
)
def screen_proposal(
    request: HttpRequest, proposal_id: Id, payload: ScreenIn, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope) -> Proposal:
        proposals.proposal_screen(
            scope=scope, proposal=_proposal(scope, proposal_id), decision=payload.decision, reason=payload.reason
        )
        return _proposal(scope, proposal_id)

    return _act(request, idempotency_key, f"proposal.{payload.decision}", ProposalOut, run)


@router.post(
    "/projects/proposals/{proposal_id}/merge", response={200: ProposalOut, **WRITE_ERRORS}, summary="合并重复建议"
)
def merge_proposal(
    request: HttpRequest, proposal_id: Id, payload: MergeIn, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope) -> Proposal:
        proposal = _proposal(scope, proposal_id)
        into = selectors.proposal_list(scope=scope).filter(code=payload.into.strip().upper()).first()
        if into is None:
            raise ValidationFailed(f"找不到编号为“{payload.into}”的项目建议", field="into")
        proposals.proposal_merge(scope=scope, proposal=proposal, into=into, reason=payload.reason)
        return _proposal(scope, proposal_id)

    return _act(request, idempotency_key, "proposal.merge", ProposalOut, run)


@router.post(
    "/public/projects/{code}/proposals",
    response={201: ProposalReceiptOut, 200: ProposalReceiptOut, **PUBLIC_ERRORS},
    summary="群众点单：提出民生实事项目建议",
    description="免登录。以同一幂等键重发同一内容返回首次结果（200，响应头 Idempotent-Replayed: true）；"
    "同一 IP 每小时、同一手机号每天的提交次数有限制。",
    auth=None,
    tags=["群众（免登录）"],
)
def public_submit_proposal(
    request: HttpRequest, code: str, payload: PublicProposalIn, idempotency_key: PublicKey
) -> HttpResponse:
    township = Region.objects.filter(code=code.strip()[:15], level=RegionLevel.TOWNSHIP).first()
    if township is None:
        raise NotFound("乡镇/街道不存在", field="code")
    region = township
    if payload.village is not None:
        found = Region.objects.filter(pk=payload.village, path__startswith=township.path).first()
        if found is None:
            raise ValidationFailed("请选择本乡镇/街道的村/社区", field="village")
        region = found
    station = (
        Station.objects.select_related("region").filter(public_id=payload.station, is_active=True).first()
        if payload.station
        else None
    )
    deputy = (
        Deputy.objects.select_related("region").filter(public_id=payload.deputy, is_active=True).first()
        if payload.deputy
        else None
    )
    proposal, created = proposals.proposal_submit(
        data=proposals.ProposalInput(
            title=payload.title,
            text=payload.text,
            region=region,
            citizen_name=payload.citizen_name,
            citizen_phone=payload.citizen_phone,
            consent=payload.consent,
            station=station,
            deputy=deputy,
        ),
        idempotency_key=idempotency_key,
        client_ip=client_ip(request),
    )
    response = render(request, ProposalReceiptOut, proposal, status=201 if created else 200)
    if not created:
        response[REPLAY_HEADER] = "true"
    return response


@router.get(
    "/public/projects/{code}",
    response={200: PublicTownshipOut, 404: ErrorOut},
    summary="乡镇/街道历年民生实事项目（公开）",
    auth=None,
    tags=["群众（免登录）"],
)
def public_projects(request: HttpRequest, code: str) -> dict[str, Any]:
    township = Region.objects.filter(code=code.strip()[:15], level=RegionLevel.TOWNSHIP).first()
    if township is None:
        raise NotFound("乡镇/街道不存在", field="code")
    years = []
    for y in selectors.public_years(township=township):
        c = y.candidate_list
        years.append(
            {
                "year": y.year,
                "seats": c.seats if c else None,
                "candidates": len(c.candidates.all()) if c else None,
                "method": c.method if c else None,
                "projects": [
                    {
                        "name": p.name,
                        "lead_unit": p.lead_unit.name,
                        "budget": p.budget,
                        "completion_date": p.completion_date,
                        "progress": p.progress,
                        "state_label": p.get_state_display(),
                        "is_behind": p.is_behind,
                        "votes": p.candidate.result.get("rounds", []),
                        "rating": selectors.public_rating(p),
                    }
                    for p in y.projects
                ],
                "not_elected": [{"name": x.name, "votes": x.result.get("rounds", [])} for x in y.not_elected],
            }
        )
    return {"township": township.name, "code": township.code, "collect_year": services.proposal_year(), "years": years}


# ---------------------------------------------------------------- 代表定单


def _list(scope: Scope, pk: int) -> CandidateList:
    return selectors.list_detail(scope=scope, pk=pk)


@router.get("/projects/lists", response={200: ListPage, **READ_ERRORS}, summary="候选项目清单")
def list_lists(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.list_index(scope=request_scope(request)).prefetch_related(
        "candidates__lead_unit", "candidates__project"
    )
    return page_of(qs, page)


@router.get("/projects/lists/{list_id}", response={200: ListOut, **READ_ERRORS}, summary="候选项目清单详情")
def get_list(request: HttpRequest, list_id: Id) -> CandidateList:
    return _list(request_scope(request), list_id)


@router.post("/projects/lists", response={201: ListOut, **WRITE_ERRORS}, summary="拟定候选项目清单")
def create_list(request: HttpRequest, payload: ListIn, idempotency_key: Key = None) -> HttpResponse:
    scope = request_scope(request)
    _require(scope, "list.create")

    def create() -> HttpResponse:
        c = lists.list_create(
            scope=scope,
            region=_region(scope, payload.region),
            year=payload.year,
            seats=payload.seats,
            method=payload.method,
        )
        return render(request, ListOut, _list(scope, c.pk), status=201)

    return run_idempotent(request, idempotency_key, create)


@router.post("/projects/lists/{list_id}/candidates", response={200: ListOut, **WRITE_ERRORS}, summary="添加候选项目")
def add_candidate(request: HttpRequest, list_id: Id, payload: CandidateIn, idempotency_key: Key = None) -> HttpResponse:
    def run(scope: Scope) -> CandidateList:
        c = _list(scope, list_id)
        unit = HandlingUnit.objects.select_related("region").filter(pk=payload.lead_unit).first()
        if unit is None:
            raise ValidationFailed("责任单位不存在", field="lead_unit")
        codes = [x.strip().upper() for x in payload.proposals]
        picked = list(Proposal.objects.filter(code__in=codes, region=c.region))
        if len(picked) != len(set(codes)):
            raise ValidationFailed("所选项目建议不存在或不属于本乡镇/街道", field="proposals")
        lists.candidate_add(
            scope=scope,
            candidate_list=c,
            name=payload.name,
            content=payload.content,
            budget=payload.budget,
            lead_unit=unit,
            proposals=picked,
        )
        return _list(scope, list_id)

    return _act(request, idempotency_key, "list.edit", ListOut, run)


@router.post("/projects/lists/{list_id}/fix", response={200: ListOut, **WRITE_ERRORS}, summary="主席团确定候选项目")
def fix_list(request: HttpRequest, list_id: Id, payload: ReasonIn, idempotency_key: Key = None) -> HttpResponse:
    """候选项目数须多于应选数（差额，见规则 project.min_extra_candidates、project.min_candidate_ratio），否则 400。"""

    def run(scope: Scope) -> CandidateList:
        lists.list_fix(scope=scope, candidate_list=_list(scope, list_id), reason=payload.reason)
        return _list(scope, list_id)

    return _act(request, idempotency_key, "list.fix", ListOut, run)


@router.post("/projects/lists/{list_id}/vote", response={200: ListOut, **WRITE_ERRORS}, summary="提交大会票决")
def put_list_to_vote(request: HttpRequest, list_id: Id, payload: VoteIn, idempotency_key: Key = None) -> HttpResponse:
    """在所选会议上创建表决事项（每个候选项目一个选项）；开始、截止、公布在表决接口/页面进行。"""

    def run(scope: Scope) -> CandidateList:
        c = _list(scope, list_id)
        meeting = (
            scope.filter(Meeting.objects.select_related("region"), perm=Perm.PROJECT_VIEW)
            .filter(pk=payload.meeting)
            .first()
        )
        if meeting is None:
            raise ValidationFailed("请选择本乡镇/街道的票决会议", field="meeting")
        lists.list_put_to_vote(scope=scope, candidate_list=c, meeting=meeting)
        return _list(scope, list_id)

    return _act(request, idempotency_key, "list.put_to_vote", ListOut, run)


# ---------------------------------------------------------------- 政府买单、人大验单


def _project(scope: Scope, pk: int) -> Project:
    return selectors.project_detail(scope=scope, pk=pk)


@router.get("/projects", response={200: ProjectPage, **READ_ERRORS}, summary="民生实事项目列表")
def list_projects(request: HttpRequest, filters: Query[ProjectQuery]) -> dict[str, Any]:
    f = selectors.ProjectFilter(year=filters.year, behind=filters.behind, mine=filters.mine)
    return page_of(selectors.project_list(scope=request_scope(request), filters=f), filters)


@router.get("/projects/{project_id}", response={200: ProjectDetailOut, **READ_ERRORS}, summary="项目详情")
def get_project(request: HttpRequest, project_id: Id) -> Project:
    return _project(request_scope(request), project_id)


@router.post("/projects/{project_id}/plan", response={200: ProjectDetailOut, **WRITE_ERRORS}, summary="制定实施计划")
def plan_project(request: HttpRequest, project_id: Id, payload: PlanIn, idempotency_key: Key = None) -> HttpResponse:
    """仅责任单位。节点权重合计须为 100%。"""

    def run(scope: Scope) -> Project:
        delivery.project_plan(
            scope=scope,
            project=_project(scope, project_id),
            budget=payload.budget,
            plan_text=payload.plan_text,
            completion_date=payload.completion_date,
            milestones=[delivery.MilestoneInput(m.title, m.due_date, m.weight) for m in payload.milestones],
        )
        return _project(scope, project_id)

    return _act(request, idempotency_key, "project.plan", ProjectDetailOut, run)


@router.post("/projects/{project_id}/progress", response={200: ProjectDetailOut, **WRITE_ERRORS}, summary="报告进展")
def report_progress(
    request: HttpRequest, project_id: Id, payload: ProgressIn, idempotency_key: Key = None
) -> HttpResponse:
    """仅责任单位；进度不能低于上次报告。照片请在项目页面上传。"""

    def run(scope: Scope) -> Project:
        delivery.project_report(
            scope=scope, project=_project(scope, project_id), percent=payload.percent, text=payload.text
        )
        return _project(scope, project_id)

    return _act(request, idempotency_key, "project.report", ProjectDetailOut, run)


def _ratings(scope: Scope, project: Project) -> dict[str, Any]:
    show = policy.can_see_figures(scope, project)
    rounds = []
    for r in range(1, project.rating_round + 1):
        s = selectors.rating_summary(project=project, round_no=r)
        visible = show or r < project.rating_round
        rounds.append(
            {
                "round": s.round,
                "mode": s.mode,
                "total": s.total,
                "satisfied": s.satisfied if visible else None,
                "basic": s.basic if visible else None,
                "unsatisfied": s.unsatisfied if visible else None,
                "share": s.share if visible else None,
            }
        )
    mine = selectors.my_rating(scope=scope, project=project)
    return {
        "project_id": project.pk,
        "state": project.state,
        "rounds": rounds,
        "mine": (mine.grade or str(mine.score)) if mine else None,
    }


@router.get("/projects/{project_id}/ratings", response={200: RatingsOut, **READ_ERRORS}, summary="测评情况")
def get_ratings(request: HttpRequest, project_id: Id) -> dict[str, Any]:
    scope = request_scope(request)
    return _ratings(scope, _project(scope, project_id))


@router.post("/projects/{project_id}/ratings", response={200: RatingsOut, **WRITE_ERRORS}, summary="代表测评")
def rate_project(request: HttpRequest, project_id: Id, payload: RateIn) -> dict[str, Any]:
    """本级代表每轮对每个项目测评一次（数据库约束）；第二次返回 409。"""
    scope = request_scope(request)
    _require(scope, "project.rate")
    project = _project(scope, project_id)
    delivery.project_rate(
        scope=scope,
        project=project,
        grade=payload.grade or "",
        score=payload.score,
        comment=payload.comment,
    )
    return _ratings(scope, _project(scope, project_id))


@router.post("/projects/{project_id}/open-rating", response={200: ProjectOut, **WRITE_ERRORS}, summary="组织满意度测评")
def open_rating(request: HttpRequest, project_id: Id, idempotency_key: Key = None) -> HttpResponse:
    def run(scope: Scope) -> Project:
        delivery.project_open_rating(scope=scope, project=_project(scope, project_id))
        return _project(scope, project_id)

    return _act(request, idempotency_key, "project.open_rating", ProjectOut, run)


@router.post("/projects/{project_id}/close-rating", response={200: ProjectOut, **WRITE_ERRORS}, summary="结束测评")
def close_rating(
    request: HttpRequest, project_id: Id, payload: CloseRatingIn, idempotency_key: Key = None
) -> HttpResponse:
    """满意率达到标准即验收通过；低于标准转入整改（规则 project.satisfaction_threshold）。"""

    def run(scope: Scope) -> Project:
        delivery.project_close_rating(
            scope=scope, project=_project(scope, project_id), requirement=payload.requirement, due_date=payload.due_date
        )
        return _project(scope, project_id)

    return _act(request, idempotency_key, "project.close_rating", ProjectOut, run)


@router.post(
    "/projects/{project_id}/rectification", response={200: ProjectDetailOut, **WRITE_ERRORS}, summary="报告整改情况"
)
def report_rectification(
    request: HttpRequest, project_id: Id, payload: RectifyIn, idempotency_key: Key = None
) -> HttpResponse:
    def run(scope: Scope) -> Project:
        delivery.project_rectify_report(
            scope=scope, project=_project(scope, project_id), text=payload.text, percent=payload.percent
        )
        return _project(scope, project_id)

    return _act(request, idempotency_key, "project.rectify_report", ProjectDetailOut, run)
