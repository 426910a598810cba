"""代表建议: deputy suggestions, 提 → 交 → 办 → 督 → 评.

A suggestion belongs to one congress (``org.Body`` of kind congress) and that body's region; it
is drafted by a lead deputy, optionally jointly (联名: co-signers invited, each confirms), submitted
during a session window (大会期间) or between sessions (闭会期间), reviewed and numbered by the
congress office (立案, "〔2026〕第12号"), assigned (交办) to one lead unit (主办) and co-units
(协办), answered with a class (A/B/C/D), rated by the deputy, re-handled once on 不满意. The life of a
suggestion is in suggestions/states.py (transitions) and suggestions/services.py (every write).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel


class Period(models.TextChoices):  # 提出时间
    SESSION = "session", "大会期间"
    RECESS = "recess", "闭会期间"


class State(models.TextChoices):  # 办理状态
    DRAFT = "draft", "草稿（联名征集中）"
    SUBMITTED = "submitted", "已提交待审查"
    RETURNED = "returned", "退回修改"
    ACCEPTED = "accepted", "已立案待交办"
    ASSIGNED = "assigned", "办理中"
    ANSWERED = "answered", "已答复待评价"
    REHANDLING = "rehandling", "不满意重新办理"
    CLOSED = "closed", "已办结"
    CONVERTED = "converted", "已转为一般意见"
    WITHDRAWN = "withdrawn", "已撤回"


# Cases the congress office still has to move, and those with a running deadline.
OPEN_STATES = [State.SUBMITTED, State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.REHANDLING]
DEADLINE_STATES = [State.ACCEPTED, State.ASSIGNED, State.REHANDLING]
HANDLING_STATES = [State.ASSIGNED, State.REHANDLING]
# 立案 suggestions: numbered and still counted (withdrawn and converted ones are not).
REGISTERED_STATES = [State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.REHANDLING, State.CLOSED]


class Rating(models.TextChoices):  # 代表评价
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Outcome(models.TextChoices):  # 办结时的评价结果
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    UNRATED = "unrated", "未评价"


ANSWER_CLASS_LABELS = {
    "A": "已解决或基本解决",
    "B": "正在解决或列入计划解决",
    "C": "需以后解决",
    "D": "留作参考",
}
PROMISE_CLASSES = {"B", "C"}  # 承诺事项: tracked until the unit reports them done


class SubmissionWindow(TimeStampedModel):  # 大会期间建议提交时段
    body = models.ForeignKey("org.Body", verbose_name="人民代表大会", on_delete=models.CASCADE, related_name="+")
    label = models.CharField("名称", max_length=100, help_text="如：第十九届人民代表大会第三次会议")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("截止日期")

    class Meta(TimeStampedModel.Meta):
        verbose_name = "建议提交时段"
        verbose_name_plural = "建议提交时段"
        ordering = ["-starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="window_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.starts_on:%Y-%m-%d} 至 {self.ends_on:%Y-%m-%d}）"


class CongressRules(TimeStampedModel):  # 本级人大的期限规定（覆盖全局规则参数）
    """A congress whose local rules differ from the configured defaults (e.g. Chongqing gives two
    months to re-answer). Empty fields fall back to the rule in 规则参数."""

    body = models.OneToOneField("org.Body", verbose_name="人民代表大会", on_delete=models.CASCADE, related_name="+")
    answer_months = models.PositiveSmallIntegerField("答复期限（月）", null=True, blank=True)
    answer_months_hard = models.PositiveSmallIntegerField("重大疑难答复期限（月）", null=True, blank=True)
    assign_workdays = models.PositiveSmallIntegerField("交办期限（工作日）", null=True, blank=True)
    object_workdays = models.PositiveSmallIntegerField("异议期限（工作日）", null=True, blank=True)
    co_unit_months = models.PositiveSmallIntegerField("协办意见期限（月）", null=True, blank=True)
    reanswer_months = models.PositiveSmallIntegerField("重新答复期限（月）", null=True, blank=True)
    source = models.CharField("依据", max_length=200, help_text="本级人大的建议办理规定")

    class Meta(TimeStampedModel.Meta):
        verbose_name = "本级人大期限规定"
        verbose_name_plural = "本级人大期限规定"

    def __str__(self) -> str:
        return f"{self.body_id} {self.source}"


class NumberCounter(TimeStampedModel):  # 建议编号计数器（每个人大、每年一行，立案时加锁取号）
    body = models.ForeignKey("org.Body", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "建议编号计数器"
        verbose_name_plural = "建议编号计数器"
        constraints = [models.UniqueConstraint(fields=["body", "year"], name="suggestion_counter_once")]

    def __str__(self) -> str:
        return f"{self.body_id}/{self.year}: {self.last}"


# What a suggestion counts for in the statistics summary (figures.contribution reads these).
COUNTED_FIELDS = frozenset(
    {
        "state", "body", "body_id", "year", "region", "region_id", "lead_unit", "lead_unit_id",
        "category", "category_id", "answered_at", "answered_on_time", "answer_class", "answer_days", "outcome",
    }
)  # fmt: skip
BULK_REFUSED = "代表建议的统计字段不能批量修改：请经办理服务或 figures.update_counted（统计汇总依此保持一致）"


class SuggestionQuerySet(models.QuerySet["Suggestion"]):
    """Bulk writes that would leave the statistics summary (SuggestionFigures) behind the records
    are refused; ``update_counted`` is the one bulk update figures.update_counted uses."""

    def update(self, **kwargs: Any) -> int:
        if COUNTED_FIELDS.intersection(kwargs):
            raise RuntimeError(BULK_REFUSED)
        return super().update(**kwargs)

    def update_counted(self, **kwargs: Any) -> int:
        return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[Suggestion], *args: Any, **kwargs: Any) -> list[Suggestion]:
        objs = list(objs)
        if any(s.state in REGISTERED_STATES for s in objs):
            raise RuntimeError(BULK_REFUSED)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Suggestion], fields: Iterable[str], batch_size: int | None = None) -> int:
        fields = list(fields)
        if COUNTED_FIELDS.intersection(fields):
            raise RuntimeError(BULK_REFUSED)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(state__in=REGISTERED_STATES).exists():
            raise RuntimeError("已立案的代表建议不能删除（统计汇总和编号依此保持一致）")
        return super().delete()


class Suggestion(TimeStampedModel):  # 代表建议
    body = models.ForeignKey(
        "org.Body", verbose_name="人民代表大会", on_delete=models.PROTECT, related_name="suggestions"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="suggestions"
    )
    year = models.PositiveSmallIntegerField("年度")
    period = models.CharField("提出时间", max_length=8, choices=Period.choices, default=Period.RECESS)
    window = models.ForeignKey(
        SubmissionWindow,
        verbose_name="大会提交时段",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    lead_deputy = models.ForeignKey(
        "org.Deputy", verbose_name="领衔代表", on_delete=models.PROTECT, related_name="led_suggestions"
    )
    category = models.ForeignKey("org.Category", verbose_name="分类", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=100)
    content = models.TextField("建议内容")
    problem = models.TextField("存在的问题", blank=True)
    proposal = models.TextField("具体建议", blank=True)
    wide_or_hard = models.BooleanField("涉及面广、处理难度大", default=False)
    opinions = models.ManyToManyField(
        "opinions.Opinion", verbose_name="来源民意", blank=True, related_name="suggestions"
    )
    # 重点建议
    is_key = models.BooleanField("重点建议", default=False, db_index=True)
    key_gov_leader = models.CharField("领办领导（政府）", max_length=100, blank=True)
    key_congress_leader = models.CharField("督办领导（人大）", max_length=100, blank=True)
    # 立案编号
    seq = models.PositiveIntegerField("序号", null=True, blank=True)
    number = models.CharField("建议编号", max_length=32, blank=True, db_index=True)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    accepted_at = models.DateTimeField("立案时间", null=True, blank=True)
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    lead_unit = models.ForeignKey(
        "org.HandlingUnit",
        verbose_name="主办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Deadlines; due_on is the one running now (assign-by, answer-by or re-answer-by).
    assign_by = models.DateField("交办期限", null=True, blank=True)
    answer_by = models.DateField("答复期限", null=True, blank=True)
    reanswer_by = models.DateField("重新答复期限", null=True, blank=True)
    due_on = models.DateField("当前期限", null=True, blank=True)
    due_official = models.BooleanField("期限按法定节假日计算", default=True)
    is_overdue = models.BooleanField("已逾期", default=False)
    reminded_at = models.DateTimeField("到期提醒时间", null=True, blank=True)
    # Handling results
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    answer_class = models.CharField("答复类别", max_length=1, blank=True)
    answered_at = models.DateTimeField("首次答复时间", null=True, blank=True)
    answered_on_time = models.BooleanField("按期答复", null=True, blank=True)
    answer_days = models.PositiveIntegerField("交办至答复天数", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    outcome = models.CharField("评价结果", max_length=12, choices=Outcome.choices, blank=True)
    promise_open = models.BooleanField("承诺事项未办结", default=False)
    promise_done_at = models.DateTimeField("承诺事项办结时间", null=True, blank=True)
    publish_consent = models.BooleanField("同意公开答复", default=False)
    # Side exits
    return_reason = models.CharField("退回修改理由", max_length=500, blank=True)
    withdraw_requested_at = models.DateTimeField("申请撤回时间", null=True, blank=True)
    withdraw_reason = models.CharField("撤回理由", max_length=500, blank=True)
    converted_opinion = models.OneToOneField(
        "opinions.Opinion",
        verbose_name="转为的一般意见",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="converted_from_suggestion",
    )
    convert_reason = models.CharField("转为一般意见理由", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填写人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SuggestionQuerySet.as_manager()

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表建议"
        verbose_name_plural = "代表建议"
        indexes = [
            models.Index(fields=["state", "due_on"], name="sugg_state_due_idx"),
            models.Index(fields=["region", "year", "state"], name="sugg_region_year_idx"),
            models.Index(fields=["lead_unit", "state"], name="sugg_unit_state_idx"),
            models.Index(fields=["body", "year"], name="sugg_body_year_idx"),
            # 督办看板: only the open rows (about a tenth of an archive) are indexed. The first covers the
            # grouped counts (index-only); the others give each list its rows in deadline order.
            models.Index(
                fields=["region", "state", "lead_unit", "is_overdue", "is_key", "due_on", "year"],
                condition=Q(state__in=OPEN_STATES),
                name="sugg_open_cover_idx",
            ),
            models.Index(
                fields=["due_on", "id"],
                condition=Q(state__in=DEADLINE_STATES, is_overdue=True),
                name="sugg_overdue_idx",
            ),
            models.Index(
                fields=["due_on", "id"],
                condition=Q(state__in=DEADLINE_STATES, is_overdue=False),
                name="sugg_deadline_idx",
            ),
            models.Index(fields=["due_on", "id"], condition=Q(is_key=True, state__in=OPEN_STATES), name="sugg_key_idx"),
            models.Index(
                fields=["region", "state", "answered_at"],
                condition=Q(promise_open=True),
                name="sugg_promise_region_idx",
            ),
        ]
        constraints = [
            # 编号在同一人大、同一年度内唯一 (NULL: not numbered yet).
            models.UniqueConstraint(fields=["body", "year", "seq"], name="suggestion_number_unique"),
            models.CheckConstraint(condition=Q(seq__isnull=True) | ~Q(number=""), name="suggestion_numbered_has_label"),
            models.CheckConstraint(condition=~Q(state="closed") | ~Q(outcome=""), name="suggestion_closed_has_outcome"),
            models.CheckConstraint(
                condition=~Q(state="converted") | Q(converted_opinion__isnull=False),
                name="suggestion_converted_has_opinion",
            ),
            models.CheckConstraint(condition=Q(round__gte=1, round__lte=2), name="suggestion_round_range"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '未编号'} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def answer_class_label(self) -> str:
        return f"{self.answer_class} {ANSWER_CLASS_LABELS.get(self.answer_class, '')}" if self.answer_class else ""


class SignatoryStatus(models.TextChoices):
    INVITED = "invited", "已邀请待确认"
    CONFIRMED = "confirmed", "已确认联名"
    DECLINED = "declined", "已拒绝"


class Signatory(TimeStampedModel):  # 领衔代表与联名代表
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="signatories")
    deputy = models.ForeignKey("org.Deputy", verbose_name="代表", on_delete=models.PROTECT, related_name="+")
    is_lead = models.BooleanField("领衔", default=False)
    status = models.CharField("联名状态", max_length=10, choices=SignatoryStatus.choices)
    invited_at = models.DateTimeField("邀请时间")
    responded_at = models.DateTimeField("确认时间", null=True, blank=True)
    withdraw_consent_at = models.DateTimeField("同意撤回时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "联名代表"
        verbose_name_plural = "联名代表"
        ordering = ["-is_lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "deputy"], name="signatory_once"),
            models.UniqueConstraint(fields=["suggestion"], condition=Q(is_lead=True), name="signatory_one_lead"),
            models.CheckConstraint(condition=Q(is_lead=False) | Q(status="confirmed"), name="signatory_lead_confirmed"),
        ]

    def __str__(self) -> str:
        return f"{self.deputy_id} {self.get_status_display()}"


class UnitRole(models.TextChoices):
    LEAD = "lead", "主办"
    CO = "co", "协办"


class Assignment(TimeStampedModel):  # 交办：one unit's part in handling a suggestion
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.HandlingUnit", verbose_name="承办单位", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("承办方式", max_length=4, choices=UnitRole.choices)
    active = models.BooleanField("有效", default=True)
    object_by = models.DateField("异议期限")
    objected_at = models.DateTimeField("提出异议时间", null=True, blank=True)
    object_reason = models.CharField("异议理由", max_length=500, blank=True)
    co_due = models.DateField("协办意见期限", null=True, blank=True)
    co_opinion = models.TextField("协办意见", blank=True)
    co_opinion_at = models.DateTimeField("协办意见时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "交办"
        verbose_name_plural = "交办"
        ordering = ["suggestion", "-role", "id"]  # lead ("lead") before co ("co")
        indexes = [models.Index(fields=["unit", "active"], name="assignment_unit_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "unit"], condition=Q(active=True), name="assignment_unit_once"
            ),
            models.UniqueConstraint(
                fields=["suggestion"], condition=Q(active=True, role="lead"), name="assignment_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.unit_id}"


class ContactWay(models.TextChoices):
    MEETING = "meeting", "当面沟通"
    PHONE = "phone", "电话沟通"
    FORUM = "forum", "座谈会"
    VISIT = "visit", "实地调研"
    OTHER = "other", "其他"


class Contact(TimeStampedModel):  # 联系代表
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="contacts")
    unit = models.ForeignKey("org.HandlingUnit", on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField("办理轮次")
    contacted_on = models.DateField("联系日期")
    way = models.CharField("联系方式", max_length=8, choices=ContactWay.choices)
    note = models.CharField("沟通情况", max_length=1000)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "联系代表"
        verbose_name_plural = "联系代表"

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.contacted_on}"


class Answer(TimeStampedModel):  # 答复（答复函）
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="answers")
    round = models.PositiveSmallIntegerField("办理轮次")
    unit = models.ForeignKey("org.HandlingUnit", on_delete=models.PROTECT, related_name="+")
    answer_class = models.CharField("答复类别", max_length=1)
    text = models.TextField("答复内容")
    letter = models.FileField("答复函", upload_to="suggestions/letters/%Y/%m/")
    letter_uploaded = models.BooleanField("答复函为单位上传的修改稿", default=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by_label = models.CharField("答复人", max_length=150)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "建议答复"
        verbose_name_plural = "建议答复"
        constraints = [models.UniqueConstraint(fields=["suggestion", "round"], name="suggestion_answer_once_per_round")]

    def __str__(self) -> str:
        return f"答复 {self.suggestion_id}#{self.round}"

    @property
    def class_label(self) -> str:
        return f"{self.answer_class} {ANSWER_CLASS_LABELS.get(self.answer_class, '')}"


class RatingRecord(TimeStampedModel):  # 代表评价（办理态度、办理结果分别评价）
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField("办理轮次")
    deputy = models.ForeignKey("org.Deputy", verbose_name="评价代表", on_delete=models.PROTECT, related_name="+")
    attitude = models.CharField("办理态度", max_length=12, choices=Rating.choices)
    result = models.CharField("办理结果", max_length=12, choices=Rating.choices)
    comment = models.CharField("评价意见", max_length=500, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "代表评价"
        verbose_name_plural = "代表评价"
        constraints = [models.UniqueConstraint(fields=["suggestion", "round"], name="suggestion_rating_once_per_round")]

    def __str__(self) -> str:
        return f"{self.suggestion_id}#{self.round} {self.get_result_display()}"


class SupervisionKind(models.TextChoices):
    SUPERVISE = "supervise", "督办"
    VISIT = "visit", "代表督事（跟踪回访）"


class Supervision(TimeStampedModel):  # 督办记录
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField("方式", max_length=10, choices=SupervisionKind.choices)
    happened_on = models.DateField("日期")
    note = models.CharField("情况", max_length=1000)
    recorded_by_label = models.CharField("记录人", max_length=150)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "督办记录"
        verbose_name_plural = "督办记录"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.suggestion_id}"


class SuggestionFigures(models.Model):  # 建议统计汇总（按人大 × 年度 × 区划 × 主办单位 × 一级分类）
    """The statistics page's figures, kept by the services in the same transaction as each
    transition (renda/suggestions/figures.py): one row per congress, year, region, lead unit and
    top-level category, holding the counts the page shows for the registered (立案) suggestions of
    that group. ``unit_key`` is the lead unit's id, 0 while none is assigned. Rebuilt from the
    records by ``manage.py rebuild_suggestion_figures`` (and migration 0004)."""

    body = models.ForeignKey("org.Body", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    unit_key = models.PositiveIntegerField(default=0)
    category = models.ForeignKey("org.Category", on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)  # 立案数
    answered = models.IntegerField(default=0)  # 已答复
    on_time = models.IntegerField(default=0)  # 按期答复
    closed = models.IntegerField(default=0)  # 已办结
    class_a = models.IntegerField(default=0)  # 答复为 A 类
    rated = models.IntegerField(default=0)  # 已评价办结
    satisfied = models.IntegerField(default=0)  # 满意与基本满意
    days_sum = models.BigIntegerField(default=0)  # 交办至答复天数之和
    days_n = models.IntegerField(default=0)  # 有答复天数的件数
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "建议统计汇总"
        verbose_name_plural = "建议统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "region", "unit_key", "category"], name="suggestion_figures_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body_id}/{self.year}/{self.region_id}/{self.unit_key}/{self.category_id}: {self.count}"
