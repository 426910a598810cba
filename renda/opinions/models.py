"""民意处理: citizen opinions (意见建议), their answers and ratings, reception slots and
appointments (预约见面), and the deliveries to the county's governance platform.

The life of an opinion is in opinions/states.py (the transitions) and opinions/services.py
(every write after the submission; the submission itself is opinions/intake.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from renda.core.models import TimeStampedModel
from renda.core.personal import EncryptedCharField

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))


class Source(models.TextChoices):  # 来源
    QR = "qr", "扫码反映"
    WEB = "web", "网页反映"
    RECEPTION = "reception", "接待日"
    VISIT = "visit", "走访"
    BOX = "box", "意见箱"
    EVENT = "event", "代表夜聊/赶大集等活动"
    API = "api", "接口导入"


OFFLINE_SOURCES = [Source.RECEPTION, Source.VISIT, Source.BOX, Source.EVENT]


class State(models.TextChoices):  # 办理状态
    SUBMITTED = "submitted", "待分办"
    ROUTED = "routed", "已交办待受理"
    IN_PROGRESS = "in_progress", "办理中"
    REVIEW = "review", "答复待审核"
    REFERRED = "referred", "已转代表"
    ANSWERED = "answered", "已答复待评价"
    ESCALATED = "escalated", "已提级督办"
    MERGED = "merged", "已合并"
    CLOSED = "closed", "已办结"


# Open: not yet answered to the citizen. A case with deputies (转代表) is open but runs no
# deadline: its answer is the suggestion's, months later.
DEADLINE_STATES = [State.SUBMITTED, State.ROUTED, State.IN_PROGRESS, State.REVIEW, State.ESCALATED]
OPEN_STATES = [*DEADLINE_STATES, State.REFERRED]


class Rating(models.TextChoices):  # 满意度
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Outcome(models.TextChoices):  # 办结方式
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    UNRATED = "unrated", "未评价"


class Opinion(TimeStampedModel):  # 意见建议
    receipt_code = models.CharField("回执码", max_length=12, default=new_receipt_code, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=64, null=True, blank=True, editable=False)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="所在村/社区",
        on_delete=models.PROTECT,
        related_name="opinions",
        db_index=False,  # opinion_region_cat_idx leads with it
    )
    station = models.ForeignKey(
        "org.Station", verbose_name="联络站", null=True, blank=True, on_delete=models.SET_NULL, related_name="opinions"
    )
    deputy = models.ForeignKey(
        "org.Deputy",
        verbose_name="反映给代表",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opinions",
    )
    category = models.ForeignKey(
        "org.Category", verbose_name="分类", on_delete=models.PROTECT, related_name="opinions", db_index=False
    )
    suggested_category = models.ForeignKey(
        "org.Category",
        verbose_name="系统建议分类",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    title = models.CharField("摘要", max_length=60)
    text = models.TextField("内容")
    citizen_name = models.CharField("群众姓名", max_length=50, blank=True)
    citizen_phone = EncryptedCharField("群众电话", max_length=20, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    consent = models.BooleanField("同意用于联系", default=False)
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.SUBMITTED)
    unit = models.ForeignKey(
        "org.HandlingUnit",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
        db_index=False,  # opinion_unit_state_idx leads with it
    )
    # Two deadlines, named as offices name them: the township's 分办期限 (route or answer the case
    # by then) and the 答复期限 the receipt promises the citizen, which the unit answers by. The
    # promise moves later only with notice to the citizen (a routing past it, an approved 延期).
    triage_due = models.DateField("分办期限", null=True, blank=True)
    deadline = models.DateField("答复期限", null=True, blank=True)
    deadline_official = models.BooleanField("期限按法定节假日计算", default=True)
    is_overdue = models.BooleanField("已逾期", default=False)
    reminded_at = models.DateTimeField("到期提醒时间", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    outcome = models.CharField("办结方式", max_length=12, choices=Outcome.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    referred_to_deputies = models.BooleanField("已转代表形成建议", default=False)
    referred_deputies = models.ManyToManyField(
        "org.Deputy", verbose_name="转交的代表", blank=True, related_name="referred_opinions"
    )
    received_by = models.CharField("接待人", max_length=50, blank=True, help_text="线下录入：接待群众的代表或联络员")
    received_on = models.DateField("接待日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # A citizen's submission is acknowledged once this row is stored; what follows (its audit
    # event, with this row's time; the category suggestion; the staff's and the citizen's
    # messages) is done by a worker, in order, and this flag says it has not run yet.
    intake_pending = models.BooleanField("提交后处理未完成", default=False, editable=False)
    submit_fingerprint = models.CharField("提交内容指纹", max_length=16, blank=True, editable=False)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "意见建议"
        verbose_name_plural = "意见建议"
        # Every index is written by every citizen's submission (and again when its row changes):
        # only those a query needs, none repeating another's leading column, and none holding
        # rows a citizen's new case leaves empty (unit, merge target, staff author).
        indexes = [
            models.Index(fields=["id"], condition=Q(intake_pending=True), name="opinion_intake_pending_idx"),
            models.Index(fields=["state", "deadline"], name="opinion_state_deadline_idx"),
            models.Index(fields=["region", "category", "state"], name="opinion_region_cat_idx"),
            models.Index(fields=["unit", "state"], condition=Q(unit__isnull=False), name="opinion_unit_state_idx"),
            models.Index(
                fields=["merged_into"], condition=Q(merged_into__isnull=False), name="opinion_merged_into_idx"
            ),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="opinion_created_by_idx"),
        ]
        constraints = [
            # Constraints rather than unique=True: on PostgreSQL that adds a second (LIKE) index each.
            models.UniqueConstraint(fields=["receipt_code"], name="opinion_receipt_code_uniq"),
            models.UniqueConstraint(fields=["idempotency_key"], name="opinion_idempotency_key_uniq"),
            models.CheckConstraint(
                condition=~Q(state="merged") | Q(merged_into__isnull=False), name="opinion_merged_has_target"
            ),
            models.CheckConstraint(condition=~Q(state="closed") | ~Q(outcome=""), name="opinion_closed_has_outcome"),
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(citizen_phone=""), name="opinion_anonymous_no_phone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_code} {self.title}"

    @property
    def citizen_label(self) -> str:
        """The citizen as the audit log names them: by receipt code, never by name or phone."""
        return f"群众（回执码 {self.receipt_code}）"

    def audit_snapshot(self) -> dict[str, Any]:
        """What an audit event keeps of the case: never the citizen's name or phone in clear."""
        return {
            "state": self.state,
            "unit": self.unit.name if self.unit_id and self.unit else None,
            "deadline": self.deadline,
            "category": self.category_id,
            "outcome": self.outcome or None,
        }

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class OpinionPhoto(TimeStampedModel):  # 照片（已去除拍摄信息）
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("照片", upload_to="opinions/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta(TimeStampedModel.Meta):
        verbose_name = "意见照片"
        verbose_name_plural = "意见照片"

    def __str__(self) -> str:
        return str(self.image.name)


class Follower(TimeStampedModel):  # 附议：a citizen who reported the same thing follows an open case
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="followers")
    phone = EncryptedCharField("电话", max_length=20, blank=True)
    name = models.CharField("姓名", max_length=50, blank=True)
    from_opinion = models.OneToOneField(
        Opinion,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followed_as",
        help_text="合并时，被合并的意见",
    )
    # A phone given for 附议 receives the answer only once its owner typed the code texted to it
    # (someone else's number gets one code and nothing more). A merged case's citizen gave their
    # own phone with their own case: confirmed when the follower is created.
    confirmed_at = models.DateTimeField("手机确认时间", null=True, blank=True)
    confirm_hash = models.CharField("确认码哈希", max_length=64, blank=True)
    confirm_attempts = models.PositiveSmallIntegerField("确认尝试次数", default=0)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "附议"
        verbose_name_plural = "附议"
        constraints = [
            models.UniqueConstraint(fields=["opinion", "phone"], condition=~Q(phone=""), name="follower_once_per_phone")
        ]

    def __str__(self) -> str:
        return f"附议 {self.opinion_id}"


class AnswerKind(models.TextChoices):
    DIRECT = "direct", "乡镇直接答复"
    INTERIM = "interim", "阶段性答复"
    UNIT = "unit", "承办单位答复"
    REFERRAL = "referral", "代表建议办理结果告知"
    ESCALATED = "escalated", "提级督办答复"
    PLATFORM = "platform", "基层治理平台答复"


class AnswerStatus(models.TextChoices):
    PUBLISHED = "published", "已告知群众"
    PENDING = "pending", "待乡镇审核"
    RETURNED = "returned", "审核退回修改"


class Answer(TimeStampedModel):  # 答复
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField("答复方式", max_length=12, choices=AnswerKind.choices)
    # 答复审核 (switched on per township): a unit's answer waits for the township before the
    # citizen sees it. Only published answers are shown to citizens or rated.
    status = models.CharField("审核状态", max_length=12, choices=AnswerStatus.choices, default=AnswerStatus.PUBLISHED)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    unit = models.ForeignKey("org.HandlingUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("答复内容")
    attachment = models.FileField("附件", upload_to="answers/%Y/%m/", blank=True)
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by_label = models.CharField("答复人", max_length=100)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "答复"
        verbose_name_plural = "答复"

    def __str__(self) -> str:
        return f"答复 {self.opinion_id}#{self.round}"


class ExtensionState(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class Extension(TimeStampedModel):  # 延期申请
    """A unit asks for more time; the township approves (the new 答复期限 is told to the citizen)
    or refuses. One request waits at a time."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey("org.HandlingUnit", on_delete=models.PROTECT, related_name="+")
    workdays = models.PositiveSmallIntegerField("延长工作日")
    reason = models.CharField("延期理由", max_length=500)
    deadline_before = models.DateField("原答复期限")
    deadline_after = models.DateField("申请的答复期限")
    state = models.CharField("审批", max_length=12, choices=ExtensionState.choices, default=ExtensionState.PENDING)
    decision_note = models.CharField("审批意见", max_length=500, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        constraints = [
            models.UniqueConstraint(fields=["opinion"], condition=Q(state="pending"), name="extension_one_pending")
        ]

    def __str__(self) -> str:
        return f"延期 {self.opinion_id} +{self.workdays}"


class RatingRecord(TimeStampedModel):  # 群众评价
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField("办理轮次")
    value = models.CharField("评价", max_length=12, choices=Rating.choices)
    comment = models.CharField("评价意见", max_length=500, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "群众评价"
        verbose_name_plural = "群众评价"
        constraints = [models.UniqueConstraint(fields=["opinion", "round"], name="rating_once_per_round")]

    def __str__(self) -> str:
        return f"{self.get_value_display()} {self.opinion_id}"


class ReceptionSlot(TimeStampedModel):  # 接待时段
    station = models.ForeignKey("org.Station", on_delete=models.CASCADE, related_name="slots")
    deputy = models.ForeignKey(
        "org.Deputy", verbose_name="值班代表", null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    starts_at = models.DateTimeField("开始时间", db_index=True)
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveSmallIntegerField("可预约人数", default=3)
    booked = models.PositiveSmallIntegerField("已预约人数", default=0)
    cancelled = models.BooleanField("已取消", default=False)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "接待时段"
        verbose_name_plural = "接待时段"
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
        ]

    def __str__(self) -> str:
        # In Asia/Shanghai, as everywhere people read it (audit labels use this too).
        return f"{self.station} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class AppointmentState(models.TextChoices):
    BOOKED = "booked", "已预约"
    CANCELLED = "cancelled", "已取消"
    MET = "met", "已见面"
    NO_SHOW = "no_show", "未到"


class Appointment(TimeStampedModel):  # 预约见面
    code = models.CharField("预约码", max_length=12, unique=True, default=new_receipt_code, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=64, unique=True, null=True, blank=True, editable=False)
    slot = models.ForeignKey(ReceptionSlot, on_delete=models.PROTECT, related_name="appointments")
    citizen_name = models.CharField("姓名", max_length=50)
    citizen_phone = EncryptedCharField("手机", max_length=20)
    topic = models.CharField("想谈的事", max_length=300)
    state = models.CharField("状态", max_length=12, choices=AppointmentState.choices, default=AppointmentState.BOOKED)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "预约见面"
        verbose_name_plural = "预约见面"
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "citizen_phone"], condition=Q(state="booked"), name="appointment_once_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.slot}"


class WebhookDelivery(TimeStampedModel):  # 推送到基层治理四平台
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="webhooks")
    event = models.CharField("事件", max_length=32)
    payload = models.JSONField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "平台推送"
        verbose_name_plural = "平台推送"

    def __str__(self) -> str:
        return f"{self.event} {self.opinion_id}"


class InboundEvent(TimeStampedModel):  # 基层治理四平台回传（按事件编号去重）
    event_id = models.CharField("事件编号", max_length=64, unique=True)
    opinion = models.ForeignKey(Opinion, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.JSONField()

    class Meta(TimeStampedModel.Meta):
        verbose_name = "平台回传"
        verbose_name_plural = "平台回传"

    def __str__(self) -> str:
        return self.event_id
