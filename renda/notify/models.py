"""Notifications (通知): every SMS, email and in-app message, kept as a record.

The row is written first, then a backend delivers it (in a task), so what was sent to whom
can always be shown and re-sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from renda.core.models import TimeStampedModel
from renda.core.personal import EncryptedCharField


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "邮件"
    IN_APP = "in_app", "站内消息"


class Status(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Notification(TimeStampedModel):  # 通知
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    to_address = EncryptedCharField("接收号码/地址", max_length=200, blank=True)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notify_inbox_idx leads with it
    )
    subject = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    target_type = models.CharField("相关对象类型", max_length=64, blank=True)
    target_id = models.CharField("相关对象编号", max_length=64, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    error = models.CharField("错误", max_length=300, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "通知"
        verbose_name_plural = "通知"
        indexes = [
            models.Index(fields=["to_user", "read_at"], name="notify_inbox_idx"),
            models.Index(fields=["target_type", "target_id"], name="notify_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to_address or self.to_user}"
