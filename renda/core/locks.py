"""Row locks taken in one order everywhere: primary key, ascending.

Two transactions that lock the same rows in the same order cannot deadlock on them (Saleor's
``order/lock_objects.py`` does the same). Every action locks through here; nothing else in the
product calls ``select_for_update`` on more than one row of a kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet

from renda.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def lock_rows(queryset: QuerySet[M], pks: Iterable[int], *, missing: str = "记录不存在") -> dict[int, M]:
    """The rows ``pks`` of ``queryset``, locked for this transaction in primary-key order.

    ``of=("self",)``: only the rows of the queryset's own table are locked; PostgreSQL refuses
    FOR UPDATE on the nullable side of an outer join, and joined rows need no lock. A row that
    has gone (or never was) raises NotFound with ``missing``.
    """
    wanted = sorted(set(pks))
    rows = {row.pk: row for row in queryset.select_for_update(of=("self",)).filter(pk__in=wanted).order_by("pk")}
    if len(rows) != len(wanted):
        raise NotFound(missing)
    return rows
