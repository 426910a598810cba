"""Reference rows a citizen's submission names (station, village, category), kept briefly in
the process: every submission looks up the same few, and three ORM queries were a third of a
submission's server time (bench/README.md, intake).

A row saved or deleted in this process is forgotten at once (signals); another process sees
the change within ``TTL`` seconds: a station switched off takes submissions that long still.
Read-only: callers must not change the instances they get.
"""

from __future__ import annotations

import time
from typing import Any

from django.db.models.signals import post_delete, post_save

from renda.org.models import Category, Station
from renda.regions.models import Region

TTL = 30.0

_rows: dict[tuple[str, object], tuple[float, Any]] = {}


def _cached(kind: str, key: object, load: Any) -> Any:
    now = time.monotonic()
    hit = _rows.get((kind, key))
    if hit is not None and now - hit[0] < TTL:
        return hit[1]
    value = load()
    if value is not None:  # misses are not kept: a new row must be found at once
        if len(_rows) > 5000:
            _rows.clear()
        _rows[(kind, key)] = (now, value)
    return value


def active_station(public_id: str) -> Station | None:
    public_id = public_id.strip()
    return _cached(  # type: ignore[no-any-return]
        "station",
        public_id,
        lambda: Station.objects.select_related("region").filter(public_id=public_id, is_active=True).first(),
    )


def region(pk: int) -> Region | None:
    return _cached("region", pk, lambda: Region.objects.filter(pk=pk).first())  # type: ignore[no-any-return]


def category(pk: int) -> Category | None:
    return _cached("category", pk, lambda: Category.objects.filter(pk=pk).first())  # type: ignore[no-any-return]


def forget(**_: Any) -> None:
    _rows.clear()


for _model in (Station, Region, Category):
    post_save.connect(forget, sender=_model, dispatch_uid=f"opinions-refs-save-{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"opinions-refs-delete-{_model.__name__}")
