"""政府买单、人大验单: the lead unit plans (budget, weighted milestones, completion date) and reports
progress with photos; a sweep flags projects behind their milestones; at year end the body's
deputies rate each project once, below the threshold it is rectified and rated again (回头看)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from renda.accounts.models import Role, RoleAssignment
from renda.accounts.selectors import staff_users, unit_users
from renda.audit.services import audit_record
from renda.core.actions import Step, perform
from renda.core.errors import Conflict, PermissionDenied, ValidationFailed
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.validation import ascii_digits, clean_text
from renda.core.workdays import add_months
from renda.opinions.photos import clean_photo
from renda.org.models import Deputy
from renda.projects import policy
from renda.projects.lists import clean_budget
from renda.projects.models import (
    Grade,
    Milestone,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectRating,
    ProjectState,
    RatingMode,
    Rectification,
)
from renda.projects.selectors import expected_progress, rating_summary
from renda.projects.services import (
    MAX_CONTENT,
    PROJECTS,
    SYSTEM_SWEEP,
    entitled_deputies,
    tell,
    today,
    voting_body,
)
from renda.projects.states import MACHINE


@dataclass
class MilestoneInput:
    title: str
    due_date: dt.date | None
    weight: int | None


def _behind(project: Project, on: dt.date) -> bool:
    if project.state not in (ProjectState.IN_PROGRESS, ProjectState.ELECTED):
        return False
    expected = expected_progress(
        milestones=list(project.milestones.all()), completion_date=project.completion_date, on=on
    )
    return project.progress < expected


def project_plan(
    *,
    scope: Scope,
    project: Project,
    budget: object,
    plan_text: str,
    completion_date: dt.date | None,
    milestones: Sequence[MilestoneInput],
) -> Project:
    """The lead unit records the implementation plan: budget, milestones (their weights add up
    to 100%) and completion date. A plan can be revised while the project is in progress."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        amount = clean_budget(budget)
        text = clean_text(plan_text, label="实施计划", field="plan_text", max_length=MAX_CONTENT)
        if completion_date is None:
            raise ValidationFailed("请填写计划完成日期", field="completion_date")
        if not p.year - 1 <= completion_date.year <= p.year + 1:
            raise ValidationFailed(f"计划完成日期应在 {p.year} 年前后", field="completion_date")
        rows = [m for m in milestones if m.title.strip() or m.due_date or m.weight]
        if not rows:
            raise ValidationFailed("请至少填写一个实施节点", field="milestones")
        if len(rows) > 20:
            raise ValidationFailed("实施节点最多 20 个", field="milestones")
        cleaned: list[tuple[str, dt.date, int]] = []
        for i, m in enumerate(rows, start=1):
            title = clean_text(m.title, label=f"第 {i} 个节点名称", field="milestones", max_length=100)
            if m.due_date is None:
                raise ValidationFailed(f"请填写第 {i} 个节点的计划完成日期", field="milestones")
            if m.due_date > completion_date:
                raise ValidationFailed(f"第 {i} 个节点的日期晚于计划完成日期", field="milestones")
            if m.weight is None or not 1 <= m.weight <= 100:
                raise ValidationFailed(f"第 {i} 个节点的权重应为 1 至 100（%）", field="milestones")
            cleaned.append((title, m.due_date, m.weight))
        total = sum(w for _, _, w in cleaned)
        if total != 100:
            raise ValidationFailed(f"各节点权重合计应为 100%，现为 {total}%", field="milestones")
        p.milestones.all().delete()
        Milestone.objects.bulk_create(
            [Milestone(project=p, title=t, due_date=d, weight=w) for t, d, w in sorted(cleaned, key=lambda r: r[1])]
        )
        step.set(p, budget=amount, plan_text=text, completion_date=completion_date)
        if p.state == ProjectState.ELECTED:
            step.move(ProjectState.IN_PROGRESS)
        step.set(p, is_behind=_behind(p, today()))
        step.notify(
            tell,
            staff_users(p.region),
            f"{p.lead_unit.name}已报送“{p.name}”实施计划",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("plan", milestones=[f"{t}（{d:%Y-%m-%d}，{w}%）" for t, d, w in cleaned])
        return p

    return perform(PROJECTS, "project.plan", scope=scope, pks=[project.pk], change=change)


def _photos(photos: Sequence[UploadedFile[bytes]]) -> list[tuple[Any, int, int]]:
    if len(photos) > int(rule("project.max_photos")):
        raise ValidationFailed(f"每次最多上传 {rule('project.max_photos')} 张照片", field="photos")
    return [clean_photo(p, index=i + 1) for i, p in enumerate(photos)]


def _clean_percent(percent: object) -> int:
    text = str(percent if percent is not None else "").strip().rstrip("%")
    if isinstance(percent, bool) or not ascii_digits(text) or not 0 <= int(text) <= 100:
        raise ValidationFailed("完成进度应为 0 至 100 的整数（%）", field="percent")
    return int(text)


def _add_report(
    scope: Scope, project: Project, *, percent: int, text: str, photos: list[tuple[Any, int, int]], rectification: bool
) -> ProgressReport:
    report = ProgressReport.objects.create(
        project=project,
        percent=percent,
        text=text,
        is_rectification=rectification,
        reported_by=scope.user,
        reported_by_label=f"{project.lead_unit.name} {scope.user.display_name or scope.user.username}"
        if scope.user is not None
        else str(scope.actor),
    )
    for content, width, height in photos:
        ProgressPhoto.objects.create(report=report, image=content, width=width, height=height)
    return report


def project_report(
    *, scope: Scope, project: Project, percent: object, text: str, photos: Sequence[UploadedFile[bytes]] = ()
) -> ProgressReport:
    """The lead unit reports progress (percentage, text, photos with their metadata stripped).
    At 100% the project is completed and waits for the year-end rating."""

    def change(step: Step[Project]) -> ProgressReport:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        value = _clean_percent(percent)
        cleaned_text = clean_text(text, label="进展情况", field="text", max_length=MAX_CONTENT)
        if len(cleaned_text) < 5:
            raise ValidationFailed("进展情况太短，请写明已完成的工作（至少 5 个字）", field="text")
        if value < p.progress:
            raise ValidationFailed(f"完成进度不能低于上次报告的 {p.progress}%", field="percent")
        cleaned = _photos(photos)
        report = _add_report(scope, p, percent=value, text=cleaned_text, photos=cleaned, rectification=False)
        step.set(p, progress=value, last_reported_at=timezone.now())
        if value == 100:
            step.move(ProjectState.COMPLETED)
        was_behind = p.is_behind
        step.set(p, is_behind=_behind(p, today()))
        step.audit("report", reason=cleaned_text[:200], photos=len(cleaned))
        if value == 100:
            step.audit("complete", before=None)
        if was_behind and not p.is_behind:
            step.audit("caught_up", before=None)
        return report

    return perform(PROJECTS, "project.report", scope=scope, pks=[project.pk], change=change)


def project_open_rating(*, scope: Scope, project: Project) -> Project:
    """Open the year-end 满意度测评 (or, after rectification, the 回头看 round); the body's
    deputies with an account are told."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        mode = str(rule("project.rating_mode"))
        step.move(ProjectState.RATING)
        step.set(
            p,
            rating_round=p.rating_round + 1,
            rating_mode=mode if mode in RatingMode.values else RatingMode.GRADE,
            satisfaction=None,
        )
        second = p.rating_round > 1
        step.audit("open_rating", round=p.rating_round)
        body = voting_body(p.region)
        deputies = entitled_deputies(body).values_list("pk", flat=True)
        users = [
            a.user
            for a in RoleAssignment.objects.filter(role=Role.DEPUTY, deputy_id__in=deputies).select_related("user")
        ]
        step.notify(
            tell,
            users,
            f"请对{p.year}年民生实事项目“{p.name}”进行{'整改回头看' if second else '满意度'}测评",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        return p

    return perform(PROJECTS, "project.open_rating", scope=scope, pks=[project.pk], change=change)


def project_rate(
    *,
    scope: Scope,
    project: Project,
    grade: str = "",
    score: object = None,
    comment: str = "",
    deputy: Deputy | None = None,
) -> ProjectRating:
    """A deputy of the body rates a project once per round (a database constraint): 满意 /
    基本满意 / 不满意, or a score out of 100 when the round is scored."""
    with transaction.atomic():
        project = Project.objects.select_related("region").get(pk=project.pk)
        # Not through the action skeleton: a rating is a ballot of sorts. The project row is not
        # locked (deputies rate at once; the database keeps one rating per deputy and round) and
        # the audit event says who rated, never what they chose.
        transition = MACHINE.check("project.rate", project.state)
        scope.require(Perm.PROJECT_RATE)
        policy.authorize_project(scope, project, transition)
        if deputy is None:
            if len(scope.deputy_ids) != 1:
                raise PermissionDenied("只有代表本人可以测评")
            deputy = Deputy.objects.get(pk=next(iter(scope.deputy_ids)))
        elif deputy.pk not in scope.deputy_ids:
            raise PermissionDenied("只有代表本人可以测评")
        if not entitled_deputies(voting_body(project.region)).filter(pk=deputy.pk).exists():
            raise PermissionDenied(f"{deputy.name}不是本级代表，不能参加测评")
        comment = clean_text(comment, label="意见", field="comment", max_length=500, required=False)
        value_grade, value_score = "", None
        if project.rating_mode == RatingMode.SCORE:
            text = str(score if score is not None else "").strip()
            # isdigit() is true for "²" or "٣" too, which int() refuses or reads differently
            if not ascii_digits(text) or len(text) > 3 or not 0 <= int(text) <= 100:
                raise ValidationFailed("评分应为 0 至 100 的整数", field="score")
            value_score = int(text)
        else:
            if grade not in Grade.values:
                raise ValidationFailed("请选择满意、基本满意或不满意", field="grade")
            value_grade = grade
        if (value_grade == Grade.UNSATISFIED or (value_score is not None and value_score < 60)) and not comment:
            raise ValidationFailed("评价为不满意时请写明意见，便于整改", field="comment")
        try:
            with transaction.atomic():
                rating = ProjectRating.objects.create(
                    project=project,
                    round=project.rating_round,
                    deputy=deputy,
                    grade=value_grade,
                    score=value_score,
                    comment=comment,
                )
        except IntegrityError:
            raise Conflict("您已经测评过这个项目了，每位代表每轮只能测评一次") from None
        # Who rated is audited; what they chose is in the rating row, shown to staff only as totals.
        audit_record(
            actor=scope.actor,
            action="project.rate",
            target=project,
            target_label=str(project),
            region_path=project.region.path,
            after={"round": project.rating_round},
        )
    return rating


def pass_threshold(mode: str) -> Decimal:
    if mode == RatingMode.SCORE:
        return Decimal(int(rule("project.score_threshold"))) / 100
    return Decimal(str(rule("project.satisfaction_threshold")))


def project_close_rating(
    *, scope: Scope, project: Project, requirement: str = "", due_date: dt.date | None = None
) -> Project:
    """Close the round: at or above the threshold the project is accepted (验收通过); below it,
    it goes to rectification (整改) with a requirement and a deadline, and the unit is told."""

    def change(step: Step[Project]) -> Project:
        p = step.row
        summary = rating_summary(project=p)
        share = summary.share
        if share is None:
            raise Conflict("尚无代表测评，不能结束测评")
        threshold = pass_threshold(p.rating_mode)
        step.set(p, satisfaction=share)
        figures: dict[str, Any] = {
            "round": summary.round,
            "rated": summary.total,
            "satisfied": summary.satisfied,
            "basic": summary.basic,
            "unsatisfied": summary.unsatisfied,
            "threshold": threshold,
        }
        if share >= threshold:
            step.move(ProjectState.ACCEPTED)
            step.audit("accept", **figures)
            return p
        cleaned = clean_text(
            requirement or "；".join(summary.comments[:5]) or "测评满意率低于规定，请限期整改",
            label="整改要求",
            field="requirement",
            max_length=MAX_CONTENT,
        )
        due = due_date or add_months(today(), int(rule("project.rectify_months")))
        if due <= today():
            raise ValidationFailed("整改期限应晚于今天", field="due_date")
        step.move(ProjectState.RECTIFYING)
        Rectification.objects.create(
            project=p, round=summary.round, satisfaction=share, requirement=cleaned, due_date=due
        )
        step.notify(
            tell,
            unit_users(p.lead_unit),
            f"民生实事项目“{p.name}”测评满意率 {share:.0%}，低于 {threshold:.0%}，请于 {due:%Y-%m-%d} 前整改并报告",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("rectify", reason=cleaned, due_date=due, **figures)
        return p

    return perform(PROJECTS, "project.close_rating", scope=scope, pks=[project.pk], change=change)


def project_rectify_report(
    *, scope: Scope, project: Project, text: str, percent: object = None, photos: Sequence[UploadedFile[bytes]] = ()
) -> ProgressReport:
    """The lead unit reports what it rectified; staff then open the second rating (回头看)."""

    def change(step: Step[Project]) -> ProgressReport:
        p = step.row
        policy.require_lead_unit(scope, p, step.transition)
        cleaned_text = clean_text(text, label="整改情况", field="text", max_length=MAX_CONTENT)
        if len(cleaned_text) < 10:
            raise ValidationFailed("整改情况太短，请写明整改了什么（至少 10 个字）", field="text")
        value = p.progress if percent in (None, "") else _clean_percent(percent)
        if value < p.progress:
            raise ValidationFailed(f"完成进度不能低于上次报告的 {p.progress}%", field="percent")
        cleaned = _photos(photos)
        rectification = p.rectifications.select_for_update().order_by("-round").first()
        assert rectification is not None
        report = _add_report(scope, p, percent=value, text=cleaned_text, photos=cleaned, rectification=True)
        step.set(rectification, report=report)
        step.set(p, progress=value, last_reported_at=timezone.now())
        step.move(ProjectState.RECTIFIED)
        step.notify(
            tell,
            staff_users(p.region),
            f"{p.lead_unit.name}已报告“{p.name}”整改情况，可组织回头看测评",
            reverse("projects:project", args=[p.pk]),
            p,
        )
        step.audit("rectify_report", reason=cleaned_text[:200])
        return report

    return perform(PROJECTS, "project.rectify_report", scope=scope, pks=[project.pk], change=change)


@dataclass
class SweepReport:
    flagged: int = 0
    cleared: int = 0


def projects_sweep(*, on: dt.date | None = None) -> SweepReport:
    """Flag projects behind their milestones (the unit and the township staff are told once);
    clear the flag of those that caught up."""
    day = on or today()
    report = SweepReport()
    qs = (
        Project.objects.filter(Q(state=ProjectState.IN_PROGRESS) | Q(is_behind=True))
        .select_related("region", "lead_unit")
        .prefetch_related("milestones")
    )

    def change(step: Step[Project]) -> int:
        locked = step.row
        behind = _behind(locked, day)
        if behind == locked.is_behind:
            return 0
        step.set(locked, is_behind=behind, behind_flagged_on=day if behind else None)
        expected = expected_progress(
            milestones=list(locked.milestones.all()), completion_date=locked.completion_date, on=day
        )
        if not behind:
            step.audit("caught_up")
            return -1
        step.notify(
            tell,
            unit_users(locked.lead_unit) + staff_users(locked.region),
            f"民生实事项目“{locked.name}”进度滞后：计划应完成 {expected}%，已报告 {locked.progress}%",
            reverse("projects:project", args=[locked.pk]),
            locked,
        )
        step.audit("behind", expected=expected)
        return 1

    for project in qs[:5000]:
        if _behind(project, day) == project.is_behind:
            continue
        outcome = perform(
            PROJECTS, "project.flag_behind", scope=None, pks=[project.pk], change=change, actor=SYSTEM_SWEEP
        )
        if outcome > 0:
            report.flagged += 1
        elif outcome < 0:
            report.cleared += 1
    return report
