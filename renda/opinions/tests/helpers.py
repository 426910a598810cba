"""Filing a case the way intake files it, shared by the opinion tests (and the API's)."""

from __future__ import annotations

from typing import Any

from renda.core.scoping import Scope
from renda.opinions import intake
from renda.opinions.models import Opinion
from renda.org.models import Category, Station
from renda.regions.models import Region

LAMP_TEXT = "村口路灯坏了一个月，晚上出行不方便。"


def file_case(
    station: Station,
    village: Region,
    category: Category,
    *,
    scope: Scope | None = None,
    text: str = LAMP_TEXT,
    **fields: Any,
) -> Opinion:
    """A case filed through intake (a citizen's own when ``scope`` is None, else entered by that
    member of staff), read back as stored."""
    opinion, _ = intake.opinion_submit(
        scope=scope,
        data=intake.OpinionInput(text=text, region=village, category=category, station=station, **fields),
    )
    return Opinion.objects.get(pk=opinion.pk)
