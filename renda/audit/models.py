"""Audit events (审计日志): append-only, hash-chained.

Every create, update and state change writes one event: who, when, what, before→after
and why. Each event's hash covers its content and the previous event's hash, so that an
edited, deleted or re-ordered event breaks the chain; ``manage.py verify_audit`` walks it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("审计事件只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("审计事件只能追加，不能删除")


class AuditEvent(models.Model):  # 审计事件
    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # audit_actor_idx, without the citizens' and sweeps' events
    )
    actor_label = models.CharField("操作人名称", max_length=150)
    action = models.CharField("动作", max_length=64)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象编号", max_length=64)
    target_label = models.CharField("对象名称", max_length=200, blank=True)
    region_path = models.CharField("所属区划路径", max_length=15, blank=True)
    reason = models.TextField("原因/说明", blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    prev_hash = models.CharField("前一事件哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)  # verify_audit checks every one

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        # Each citizen's submission writes one event, and each event every index: one index per
        # lookup the pages make. Action and region path are searched by prefix, so theirs is the
        # LIKE-capable index alone (db_index=True would add a plain one beside it on PostgreSQL).
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"], name="audit_target_idx"),
            models.Index(fields=["action"], name="audit_action_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["region_path"], name="audit_region_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("审计事件只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("审计事件只能追加，不能删除")


class AuditChainHead(models.Model):
    """One row holding the last event's seq and hash; locked to append in order."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = "审计链头"

    def __str__(self) -> str:
        return f"#{self.last_seq}"
