"""Building uploads and reading downloads in roster tests."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from renda.audit.models import AuditEvent
from renda.org.models import (
    Deputy,
    DeputyGroup,
    HandlingUnit,
    Mandate,
    Station,
    StationMembership,
    StationOfficer,
)
from renda.regions.models import Region
from renda.rosters.columns import RosterSpec
from renda.rosters.spreadsheets import XLSX_CONTENT_TYPE, build_workbook


def upload(content: bytes, name: str = "名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)


def roster_upload(
    spec: RosterSpec, rows: Sequence[Mapping[str, object]], name: str = "名册.xlsx"
) -> SimpleUploadedFile:
    """An .xlsx in ``spec``'s columns; each row maps column keys to values (missing keys are blank)."""
    return upload(build_workbook(spec, [[row.get(c.key, "") for c in spec.columns] for row in rows]), name)


def read_sheet(content: bytes) -> list[dict[str, str]]:
    """The data rows of a downloaded roster, keyed by Chinese header; every value as text."""
    wb = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [{h: "" if v is None else str(v) for h, v in zip(header, row, strict=False)} for row in rows[1:]]


def fingerprint() -> dict[str, list[tuple[object, ...]]]:
    """Every registry row an import could touch, with its update time: equal before and after means no write."""
    return {
        "regions": list(Region.objects.order_by("pk").values_list()),
        "deputies": list(Deputy.objects.order_by("pk").values_list()),
        "mandates": list(Mandate.objects.order_by("pk").values_list()),
        "stations": list(Station.objects.order_by("pk").values_list()),
        "officers": list(StationOfficer.objects.order_by("pk").values_list()),
        "memberships": list(StationMembership.objects.order_by("pk").values_list()),
        "units": list(HandlingUnit.objects.order_by("pk").values_list()),
        "served": list(Station.served_regions.through.objects.order_by("pk").values_list()),
        "categories": list(HandlingUnit.categories.through.objects.order_by("pk").values_list()),
        "group_members": list(DeputyGroup.members.through.objects.order_by("pk").values_list()),
        "audit": [(AuditEvent.objects.count(),)],
    }
