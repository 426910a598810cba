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
