"""What every model shares."""

from __future__ import annotations

import uuid

from django.db import models


class TimeStampedModel(models.Model):
    """Base for every domain record: creation and update times, default ordering by id."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True
        ordering = ["id"]


def new_public_id() -> str:
    """A stable, unguessable public identifier (carried later by QR codes)."""
    return uuid.uuid4().hex[:16]


class CalendarDay(TimeStampedModel):  # 节假日与调休（管理员录入）
    """An administrator's entry for one date: a holiday on a weekday, or a make-up working
    day (调休) on a weekend. Entries override the packaged official calendar; a year with at
    least one entry counts as "entered" (see core/workdays.py)."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("名称", max_length=50, help_text="如：春节、国庆节调休上班")

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"

    def __str__(self) -> str:
        return f"{self.date} {self.name}（{'上班' if self.is_workday else '放假'}）"


class CalendarYear(TimeStampedModel):  # 已录入的年度日历
    """Marks a year whose holidays an administrator has entered in full, so that its
    deadlines are official even where no CalendarDay differs from the weekend rule."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据", max_length=200, help_text="如：国务院办公厅关于2027年部分节假日安排的通知")

    class Meta:
        ordering = ["year"]
        verbose_name = "已录入年度"
        verbose_name_plural = "已录入年度"

    def __str__(self) -> str:
        return str(self.year)


class RuleSetting(TimeStampedModel):  # 规则参数
    """An override of one configurable rule (defaults and their legal sources: core/rules.py):
    for the whole installation, or for one region and what lies below it (a township's own
    practice, read with ``rule_in``)."""

    key = models.CharField("参数", max_length=64)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="适用区划（空为全部）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    value = models.JSONField("取值")
    note = models.CharField("修改依据", max_length=200, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "规则参数"
        verbose_name_plural = "规则参数"
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=models.Q(region__isnull=True), name="rule_one_global"),
            models.UniqueConstraint(fields=["key", "region"], name="rule_one_per_region"),
        ]

    def __str__(self) -> str:
        return self.key


class IdempotencyRecord(models.Model):  # 幂等键记录
    """One client's ``Idempotency-Key`` for a staff write (renda/api/idempotency.py), kept in the
    database for its 24 hours: a cache that evicts or a Redis that restarts must not let a retried
    write create a second record. ``user_id`` 0 is a caller without a user (system)."""

    user_id = models.BigIntegerField("用户")
    key_hash = models.CharField("幂等键哈希", max_length=64)
    fingerprint = models.CharField("请求指纹", max_length=64)
    done = models.BooleanField("已完成", default=False)
    status = models.PositiveSmallIntegerField("应答状态", default=0)
    content = models.BinaryField("应答内容", default=b"")
    content_type = models.CharField("应答类型", max_length=100, blank=True)
    expires_at = models.DateTimeField("失效时间", db_index=True)

    class Meta:
        verbose_name = "幂等键记录"
        verbose_name_plural = "幂等键记录"
        constraints = [models.UniqueConstraint(fields=["user_id", "key_hash"], name="idempotency_once_per_user")]

    def __str__(self) -> str:
        return f"幂等键 {self.key_hash[:8]}"


class RateCounter(models.Model):  # 频率限制计数
    """A fixed-window rate-limit counter kept in the database: the embedded default's counters
    (a local-memory cache would evict them under a flood and lose them on restart), and
    production's fallback while Redis is down. ``key`` holds no raw IP or phone (hashed)."""

    key = models.CharField("计数键", max_length=120, primary_key=True)
    count = models.PositiveIntegerField("次数", default=0)
    expires_at = models.DateTimeField("失效时间", db_index=True)

    class Meta:
        verbose_name = "频率限制计数"
        verbose_name_plural = "频率限制计数"

    def __str__(self) -> str:
        return f"{self.key} = {self.count}"
