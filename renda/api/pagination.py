"""limit/offset pagination shared by every list endpoint: ``{"count": n, "items": [...]}``."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet
from ninja import Field, Schema

from renda.core.inputs import BoundedInts

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000_000  # past any list's end; offset + limit stays a database integer

M = TypeVar("M", bound=models.Model)


class PageParams(BoundedInts, Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, title="每页条数", description=f"每页条数，1–{MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, title="偏移量", description="跳过的条数，从 0 开始")


def page_of(qs: QuerySet[M], page: PageParams) -> dict[str, Any]:
    """One page of ``qs`` and the total count (two queries plus the queryset's prefetches)."""
    return {"count": qs.count(), "items": list(qs[page.offset : page.offset + page.limit])}
