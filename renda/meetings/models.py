"""会议: township congress sessions (人代会), presidium meetings (主席团会议) and the street
议政代表会议; the deputies entitled to attend, their sign-in (签到) and leave (请假), the agenda
(议程) and the documents heard (会议文件).

The life of a meeting is in meetings/states.py and meetings/services.py; votes taken at a
meeting live in renda/voting.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel
from renda.meetings.naming import session_title


def new_checkin_secret() -> str:
    return secrets.token_hex(16)


class MeetingKind(models.TextChoices):  # 会议类型
    CONGRESS = "congress", "人代会"
    PRESIDIUM = "presidium", "主席团会议"
    DELIBERATION = "deliberation", "议政代表会议"


class MeetingState(models.TextChoices):  # 会议状态
    PLANNED = "planned", "筹备中"
    IN_SESSION = "in_session", "会议进行中"
    CLOSED = "closed", "已闭会"


class Meeting(TimeStampedModel):  # 会议
    body = models.ForeignKey("org.Body", verbose_name="召开机构", on_delete=models.PROTECT, related_name="meetings")
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划", on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField("会议类型", max_length=16, choices=MeetingKind.choices)
    title = models.CharField("会议名称", max_length=120)
    year = models.PositiveSmallIntegerField("年度")
    # The congress's term (届) when it met: 代表法 §62 counts absences within one term.
    term = models.PositiveSmallIntegerField("届次", null=True, blank=True)
    # 第几次会议: within the term (or the year, for a body without one), in date order.
    number = models.PositiveSmallIntegerField("第几次会议")
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    venue = models.CharField("会场", max_length=120, blank=True)
    state = models.CharField("状态", max_length=16, choices=MeetingState.choices, default=MeetingState.PLANNED)
    # Seeds the rotating venue sign-in code (services.checkin_token); never shown itself.
    checkin_secret = models.CharField("签到密钥", max_length=32, default=new_checkin_secret, editable=False)
    opened_at = models.DateTimeField("开幕时间", null=True, blank=True)
    closed_at = models.DateTimeField("闭会时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-year", "-start_date", "-id"]
        constraints = [
            # Numbered within the term (届) in date order; a body without a term, within the year.
            models.UniqueConstraint(
                fields=["body", "term", "number"], condition=Q(term__isnull=False), name="meeting_unique_number_in_term"
            ),
            models.UniqueConstraint(
                fields=["body", "year", "number"], condition=Q(term__isnull=True), name="meeting_unique_number_in_year"
            ),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="meeting_dates_ordered"),
            models.CheckConstraint(condition=Q(number__gte=1), name="meeting_number_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def official_title(self) -> str:
        """The name by term and number (白鹭镇第十九届人民代表大会第三次会议), whatever title staff
        gave the page: the session's documents and notices carry this one."""
        return session_title(self.body, term=self.term, year=self.year, number=self.number, region=self.region)


class Attendance(models.TextChoices):  # 出席情况
    EXPECTED = "expected", "未签到"
    PRESENT = "present", "已签到"
    LEAVE = "leave", "请假（已批准）"
    ABSENT = "absent", "缺席（未请假）"


class SignInMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    STAFF = "staff", "工作人员代签"


class Attendee(TimeStampedModel):  # 应出席代表及其签到、请假
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="attendees")
    deputy = models.ForeignKey("org.Deputy", verbose_name="代表", on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField("出席情况", max_length=12, choices=Attendance.choices, default=Attendance.EXPECTED)
    signed_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    sign_in_method = models.CharField("签到方式", max_length=8, choices=SignInMethod.choices, blank=True)
    leave_reason = models.CharField("请假事由", max_length=200, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "应出席代表"
        verbose_name_plural = "应出席代表"
        ordering = ["meeting", "deputy__name_pinyin", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "deputy"], name="attendee_once_per_meeting"),
            models.CheckConstraint(
                condition=~Q(status="present") | Q(signed_in_at__isnull=False), name="attendee_present_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} @ {self.meeting}"


class AgendaItem(TimeStampedModel):  # 议程
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField("顺序")
    title = models.CharField("议题", max_length=200)
    description = models.TextField("说明", blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "议程"
        verbose_name_plural = "议程"
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="agenda_unique_position")]

    def __str__(self) -> str:
        return self.title


class DocumentKind(models.TextChoices):  # 会议文件
    GOVERNMENT_REPORT = "government_report", "政府工作报告"
    BUDGET = "budget", "财政预算执行情况报告"
    PROJECTS = "projects", "民生实事项目进展报告"
    PRESIDIUM_REPORT = "presidium_report", "主席团工作报告"
    RESOLUTION = "resolution", "决议草案"
    OTHER = "other", "其他"


class MeetingDocument(TimeStampedModel):  # 会议文件（听取审议的报告）
    meeting = models.ForeignKey(Meeting, verbose_name="会议", on_delete=models.CASCADE, related_name="documents")
    agenda_item = models.ForeignKey(
        AgendaItem, verbose_name="议程", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    kind = models.CharField("文件类别", max_length=20, choices=DocumentKind.choices)
    title = models.CharField("标题", max_length=200)
    text = models.TextField("正文/摘要", blank=True)
    file = models.FileField("附件", upload_to="meetings/", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta(TimeStampedModel.Meta):
        verbose_name = "会议文件"
        verbose_name_plural = "会议文件"

    def __str__(self) -> str:
        return self.title
