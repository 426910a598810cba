"""民生实事项目票决制: the four lists (四单).

群众点单  Proposal        citizens, stations, deputies and staff propose; staff screen and merge
代表定单  CandidateList   the presidium fixes the candidates (差额) and puts them to the vote at a
          Candidate       session; the vote's result marks each candidate elected or not
政府买单  Project         an elected candidate becomes the year's project; its lead unit records
          Milestone       the plan and reports progress
          ProgressReport
人大验单  ProjectRating   deputies rate it at year end; below the threshold it goes to
          Rectification   rectification and a second rating (回头看)

The transitions are in projects/states.py, every write in projects/proposals.py, lists.py and
delivery.py (projects/services.py holds what they share).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel
from renda.core.personal import EncryptedCharField

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_proposal_code() -> str:
    return "P" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


class ProposalSource(models.TextChoices):  # 来源
    CITIZEN = "citizen", "群众扫码/网页"
    STATION = "station", "联络站收集"
    DEPUTY = "deputy", "代表提出"
    STAFF = "staff", "工作人员录入"
    API = "api", "接口提交"


class ProposalState(models.TextChoices):  # 筛选状态
    SUBMITTED = "submitted", "待筛选"
    ACCEPTED = "accepted", "拟列入候选"
    REJECTED = "rejected", "不予列入"
    MERGED = "merged", "已合并"
    LISTED = "listed", "已列入候选项目"


class Proposal(TimeStampedModel):  # 项目建议（群众点单）
    code = models.CharField("编号", max_length=12, unique=True, default=new_proposal_code, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=64, unique=True, null=True, blank=True, editable=False)
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇/街道", on_delete=models.PROTECT, related_name="project_proposals"
    )
    village = models.ForeignKey(
        "regions.Region",
        verbose_name="村/社区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("建议年度", db_index=True)
    source = models.CharField("来源", max_length=12, choices=ProposalSource.choices)
    station = models.ForeignKey(
        "org.Station", verbose_name="联络站", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deputy = models.ForeignKey(
        "org.Deputy", verbose_name="代表", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("项目名称", max_length=60)
    text = models.TextField("内容与理由")
    citizen_name = models.CharField("建议人", max_length=50, blank=True)
    citizen_phone = EncryptedCharField("联系电话", max_length=20, blank=True)
    state = models.CharField(
        "状态", max_length=12, choices=ProposalState.choices, default=ProposalState.SUBMITTED, db_index=True
    )
    screening_reason = models.CharField("筛选意见", max_length=500, blank=True)
    screened_at = models.DateTimeField("筛选时间", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name="并入", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_proposals"
    )
    candidate = models.ForeignKey(
        "Candidate",
        verbose_name="列入的候选项目",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "项目建议"
        verbose_name_plural = "项目建议"
        indexes = [models.Index(fields=["region", "year", "state"], name="proposal_region_year_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(merged_into__isnull=False), name="proposal_merged_has_target"
            ),
            models.CheckConstraint(
                condition=Q(state="submitted") | ~Q(screening_reason=""), name="proposal_screened_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class VoteMethod(models.TextChoices):  # 表决方式
    CHOOSE_N = "choose_n", "差额选择（每张选票至多选应选数）"
    YES_NO = "yes_no", "逐项表决（赞成/反对/弃权）"


class ListState(models.TextChoices):
    DRAFT = "draft", "拟定中"
    FIXED = "fixed", "主席团已确定"
    VOTING = "voting", "已提交大会票决"
    DECIDED = "decided", "票决完成"


class CandidateList(TimeStampedModel):  # 候选项目清单（代表定单）
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇/街道", on_delete=models.PROTECT, related_name="project_lists"
    )
    body = models.ForeignKey(
        "org.Body", verbose_name="票决机构", on_delete=models.PROTECT, related_name="project_lists"
    )
    year = models.PositiveSmallIntegerField("实施年度")
    title = models.CharField("清单名称", max_length=100)
    seats = models.PositiveSmallIntegerField("应选项目数")
    method = models.CharField("表决方式", max_length=12, choices=VoteMethod.choices, default=VoteMethod.CHOOSE_N)
    state = models.CharField("状态", max_length=12, choices=ListState.choices, default=ListState.DRAFT)
    fixed_at = models.DateTimeField("确定时间", null=True, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name="票决会议",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_lists",
    )
    vote = models.OneToOneField(
        "voting.Vote",
        verbose_name="表决事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_list",
    )
    decided_at = models.DateTimeField("票决时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "候选项目清单"
        verbose_name_plural = "候选项目清单"
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="project_list_one_per_township_year"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="project_list_seats_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class CandidateState(models.TextChoices):
    CANDIDATE = "candidate", "候选"
    ELECTED = "elected", "票决入选"
    NOT_ELECTED = "not_elected", "未入选"


class Candidate(TimeStampedModel):  # 候选项目
    candidate_list = models.ForeignKey(
        CandidateList, verbose_name="清单", on_delete=models.CASCADE, related_name="candidates"
    )
    position = models.PositiveSmallIntegerField("序号")
    name = models.CharField("项目名称", max_length=60)
    content = models.TextField("建设内容")
    budget = models.DecimalField("估算投资（元）", max_digits=14, decimal_places=2)
    lead_unit = models.ForeignKey(
        "org.HandlingUnit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="project_candidates"
    )
    state = models.CharField(
        "票决结果", max_length=12, choices=CandidateState.choices, default=CandidateState.CANDIDATE
    )
    result = models.JSONField("得票", default=dict, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "候选项目"
        verbose_name_plural = "候选项目"
        ordering = ["candidate_list", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate_list", "position"], name="candidate_unique_position"),
            models.UniqueConstraint(fields=["candidate_list", "name"], name="candidate_unique_name"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="candidate_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ref(self) -> str:
        """The key this candidate carries on the ballot (voting.VoteOption.ref)."""
        return f"{REF_PREFIX}{self.pk}"


REF_PREFIX = "projects.candidate:"


class ProjectState(models.TextChoices):
    ELECTED = "elected", "已票决待制定计划"
    IN_PROGRESS = "in_progress", "实施中"
    COMPLETED = "completed", "已完工待验收"
    RATING = "rating", "满意度测评中"
    RECTIFYING = "rectifying", "整改中"
    RECTIFIED = "rectified", "整改已报告待回头看"
    ACCEPTED = "accepted", "验收通过"


class RatingMode(models.TextChoices):
    GRADE = "grade", "满意/基本满意/不满意"
    SCORE = "score", "百分制评分"


class Project(TimeStampedModel):  # 民生实事项目（政府买单、人大验单）
    candidate = models.OneToOneField(
        Candidate, verbose_name="候选项目", on_delete=models.PROTECT, related_name="project"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇/街道", on_delete=models.PROTECT, related_name="projects"
    )
    year = models.PositiveSmallIntegerField("实施年度", db_index=True)
    name = models.CharField("项目名称", max_length=60)
    content = models.TextField("建设内容")
    lead_unit = models.ForeignKey(
        "org.HandlingUnit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="projects"
    )
    budget = models.DecimalField("计划投资（元）", max_digits=14, decimal_places=2)
    plan_text = models.TextField("实施计划", blank=True)
    completion_date = models.DateField("计划完成日期", null=True, blank=True)
    state = models.CharField("状态", max_length=12, choices=ProjectState.choices, default=ProjectState.ELECTED)
    progress = models.PositiveSmallIntegerField("完成进度（%）", default=0)
    last_reported_at = models.DateTimeField("最近报告时间", null=True, blank=True)
    is_behind = models.BooleanField("进度滞后", default=False, db_index=True)
    behind_flagged_on = models.DateField("滞后提醒日期", null=True, blank=True)
    rating_round = models.PositiveSmallIntegerField("测评轮次", default=0)
    rating_mode = models.CharField("测评方式", max_length=8, choices=RatingMode.choices, default="grade")
    satisfaction = models.DecimalField("满意率", max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "民生实事项目"
        verbose_name_plural = "民生实事项目"
        indexes = [models.Index(fields=["region", "year"], name="project_region_year_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="project_progress_at_most_100"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.name}"


class Milestone(TimeStampedModel):  # 节点
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField("节点", max_length=100)
    due_date = models.DateField("计划完成日期")
    weight = models.PositiveSmallIntegerField("权重（%）")

    class Meta(TimeStampedModel.Meta):
        verbose_name = "项目节点"
        verbose_name_plural = "项目节点"
        ordering = ["project", "due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100), name="milestone_weight_range")
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(TimeStampedModel):  # 进展报告
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    percent = models.PositiveSmallIntegerField("完成进度（%）")
    text = models.TextField("进展情况")
    is_rectification = models.BooleanField("整改情况报告", default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_by_label = models.CharField("报告人", max_length=150)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "进展报告"
        verbose_name_plural = "进展报告"
        constraints = [models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_at_most_100")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.percent}%"


class ProgressPhoto(TimeStampedModel):  # 现场照片（已去除拍摄信息）
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("照片", upload_to="projects/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta(TimeStampedModel.Meta):
        verbose_name = "进展照片"
        verbose_name_plural = "进展照片"

    def __str__(self) -> str:
        return str(self.image.name)


class Grade(models.TextChoices):  # 满意度
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class ProjectRating(TimeStampedModel):  # 代表测评（人大验单）
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField("测评轮次")
    deputy = models.ForeignKey("org.Deputy", verbose_name="代表", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField("评价", max_length=12, choices=Grade.choices, blank=True)
    score = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    comment = models.CharField("意见", max_length=500, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表测评"
        verbose_name_plural = "代表测评"
        constraints = [
            models.UniqueConstraint(fields=["project", "round", "deputy"], name="project_rating_once_per_deputy"),
            models.CheckConstraint(condition=~Q(grade="") | Q(score__isnull=False), name="project_rating_has_value"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="project_rating_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}#{self.round} {self.deputy_id}"


class Rectification(TimeStampedModel):  # 整改
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rectifications")
    round = models.PositiveSmallIntegerField("测评轮次")
    satisfaction = models.DecimalField("满意率", max_digits=5, decimal_places=4)
    requirement = models.TextField("整改要求")
    due_date = models.DateField("整改期限")
    report = models.ForeignKey(
        ProgressReport, verbose_name="整改报告", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "整改"
        verbose_name_plural = "整改"
        constraints = [models.UniqueConstraint(fields=["project", "round"], name="rectification_once_per_round")]

    def __str__(self) -> str:
        return f"{self.project} 整改（第 {self.round} 轮测评后）"
