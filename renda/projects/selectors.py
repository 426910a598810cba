"""Every read of 民生实事 a page or API needs, scoped, plus the public (no login) reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.scoping import Perm, Scope
from renda.projects.models import (
    Candidate,
    CandidateList,
    Grade,
    ListState,
    Milestone,
    ProgressReport,
    Project,
    ProjectRating,
    ProjectState,
    Proposal,
    ProposalState,
    RatingMode,
)
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import subtree_q

# ---------------------------------------------------------------- figures the services use too


def expected_progress(*, milestones: Sequence[Milestone], completion_date: dt.date | None, on: dt.date) -> int:
    """What the plan says should be done by ``on``: the weights of the milestones already due."""
    due = sum(m.weight for m in milestones if m.due_date < on)
    if completion_date is not None and completion_date < on:
        due = 100
    return min(100, due)


@dataclass
class RatingSummary:
    round: int
    mode: str
    total: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    score_sum: int = 0
    entitled: int = 0
    comments: list[str] = field(default_factory=list)

    @property
    def share(self) -> Decimal | None:
        """满意率: (满意 + 基本满意) / 参评; for scored rounds the average score / 100."""
        if not self.total:
            return None
        if self.mode == RatingMode.SCORE:
            return (Decimal(self.score_sum) / Decimal(self.total) / 100).quantize(Decimal("0.0001"))
        return (Decimal(self.satisfied + self.basic) / Decimal(self.total)).quantize(Decimal("0.0001"))

    @property
    def average(self) -> Decimal | None:
        return (Decimal(self.score_sum) / self.total).quantize(Decimal("0.1")) if self.total else None


def rating_summary(*, project: Project, round_no: int | None = None) -> RatingSummary:
    r = round_no or project.rating_round
    summary = RatingSummary(round=r, mode=project.rating_mode)
    for grade, score, comment in ProjectRating.objects.filter(project=project, round=r).values_list(
        "grade", "score", "comment"
    ):
        summary.total += 1
        if grade == Grade.SATISFIED:
            summary.satisfied += 1
        elif grade == Grade.BASIC:
            summary.basic += 1
        elif grade == Grade.UNSATISFIED:
            summary.unsatisfied += 1
        if score is not None:
            summary.score_sum += score
        if comment:
            summary.comments.append(comment)
    return summary


@dataclass
class ProposalFilter:
    state: str = ""
    year: int | None = None
    region_id: int | None = None
    q: str = ""


def proposal_list(*, scope: Scope, filters: ProposalFilter | None = None) -> QuerySet[Proposal]:
    f = filters or ProposalFilter()
    qs = scope.filter(Proposal.objects.all(), perm=Perm.PROJECT_VIEW)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.region_id:
        region = scope.get(Region.objects.all(), pk=f.region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(code__iexact=term) | Q(title__contains=term) | Q(text__contains=term))
    return qs.select_related("region", "village", "station", "deputy", "merged_into", "candidate").order_by(
        "state", "-id"
    )


def proposal_detail(*, scope: Scope, pk: int) -> Proposal:
    return scope.get(
        Proposal.objects.select_related(
            "region", "village", "station", "deputy", "merged_into", "candidate__candidate_list"
        ).prefetch_related("merged_proposals"),
        perm=Perm.PROJECT_VIEW,
        pk=pk,
    )


def similar_proposals(*, proposal: Proposal, limit: int = 5) -> list[Proposal]:
    """Other proposals of the same township and year whose titles share words: merge candidates."""
    from renda.opinions.text import similar

    pool = list(
        Proposal.objects.filter(region=proposal.region, year=proposal.year)
        .exclude(pk=proposal.pk)
        .exclude(state=ProposalState.MERGED)
        .values_list("id", "title")[:300]
    )
    ranked = similar(f"{proposal.title}", [(pk, title) for pk, title in pool], limit=limit, threshold=0.2)
    found = Proposal.objects.in_bulk([pk for pk, _ in ranked])
    return [found[pk] for pk, _ in ranked if pk in found]


def list_index(*, scope: Scope) -> QuerySet[CandidateList]:
    return (
        scope.filter(CandidateList.objects.all(), perm=Perm.PROJECT_VIEW)
        .select_related("region", "body", "meeting")
        .annotate(n_candidates=Count("candidates"))
        .order_by("-year", "region__path")
    )


def list_detail(*, scope: Scope, pk: int) -> CandidateList:
    return scope.get(
        CandidateList.objects.select_related("region", "body", "meeting", "vote").prefetch_related(
            Prefetch(
                "candidates",
                queryset=Candidate.objects.select_related("lead_unit", "project").prefetch_related("proposals"),
            )
        ),
        perm=Perm.PROJECT_VIEW,
        pk=pk,
    )


@dataclass
class ProjectFilter:
    year: int | None = None
    state: str = ""
    region_id: int | None = None
    unit_id: int | None = None
    behind: bool = False
    mine: bool = False


def project_list(*, scope: Scope, filters: ProjectFilter | None = None) -> QuerySet[Project]:
    f = filters or ProjectFilter()
    qs = scope.filter(Project.objects.all(), perm=Perm.PROJECT_VIEW)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.region_id:
        region = scope.get(Region.objects.all(), pk=f.region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    if f.unit_id:
        qs = qs.filter(lead_unit_id=f.unit_id)
    if f.behind:
        qs = qs.filter(is_behind=True)
    if f.mine and scope.unit_ids:
        qs = qs.filter(lead_unit_id__in=scope.unit_ids)
    return qs.select_related("region", "lead_unit", "candidate").order_by(
        "-year", "-is_behind", "region__path", "candidate__position"
    )


def project_detail(*, scope: Scope, pk: int) -> Project:
    return scope.get(
        Project.objects.select_related("region", "lead_unit", "candidate__candidate_list__meeting").prefetch_related(
            "milestones",
            Prefetch("reports", queryset=ProgressReport.objects.prefetch_related("photos").order_by("-id")),
        ),
        perm=Perm.PROJECT_VIEW,
        pk=pk,
    )


def my_rating(*, scope: Scope, project: Project) -> ProjectRating | None:
    if not scope.deputy_ids:
        return None
    return ProjectRating.objects.filter(
        project=project, round=project.rating_round, deputy_id__in=scope.deputy_ids
    ).first()


def timeline(*, target: Project | Proposal | CandidateList) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk)).order_by("seq")


def expected_now(project: Project, on: dt.date | None = None) -> int:
    return expected_progress(
        milestones=list(project.milestones.all()),
        completion_date=project.completion_date,
        on=on or timezone.localdate(),
    )


# ------------------------------------------------------------------ public (no login)


def public_townships() -> QuerySet[Region]:
    """Townships with a candidate list or projects, for the public index."""
    return Region.objects.filter(level=RegionLevel.TOWNSHIP, project_lists__isnull=False).distinct().order_by("path")


@dataclass
class PublicYear:
    year: int
    candidate_list: CandidateList | None
    projects: list[Project]
    not_elected: list[Candidate]


def public_years(*, township: Region) -> list[PublicYear]:
    """Every year of a township: the vote (each candidate's votes), the elected projects with
    their progress and ratings. Nothing personal is read."""
    lists = {
        c.year: c
        for c in CandidateList.objects.filter(region=township)
        .exclude(state__in=[ListState.DRAFT])
        .select_related("meeting")
        .prefetch_related(Prefetch("candidates", queryset=Candidate.objects.select_related("lead_unit")))
    }
    projects: dict[int, list[Project]] = {}
    for p in (
        Project.objects.filter(region=township)
        .select_related("lead_unit", "candidate")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("due_date")))
        .order_by("-year", "candidate__position")
    ):
        projects.setdefault(p.year, []).append(p)
    years = sorted(set(lists) | set(projects), reverse=True)
    return [
        PublicYear(
            year=y,
            candidate_list=lists.get(y),
            projects=projects.get(y, []),
            not_elected=[x for x in lists[y].candidates.all() if x.state == "not_elected"] if y in lists else [],
        )
        for y in years
    ]


def public_rating(project: Project) -> dict[str, object] | None:
    """The last closed round's figures, for the public page."""
    if project.satisfaction is None or project.rating_round == 0:
        return None
    s = rating_summary(project=project)
    return {
        "round": s.round,
        "total": s.total,
        "satisfied": s.satisfied,
        "basic": s.basic,
        "unsatisfied": s.unsatisfied,
        "share": project.satisfaction,
        "rectifying": project.state in (ProjectState.RECTIFYING, ProjectState.RECTIFIED),
    }
