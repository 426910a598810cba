"""Excel sheets an office works in (openpyxl): the header row frozen and filterable, dates as
real dates (sortable, filterable by month), columns wide enough to read, and never a formula from
a citizen's text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def safe_text(value: object) -> str:
    """Text as typed, never run as a formula (=, +, -, @ lead with an apostrophe)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def local_datetime(value: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as Beijing time without a zone: Excel keeps no zones."""
    if value is None:
        return None
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None)


def finish_sheet(ws: Any, *, header_row: int = 1, widths: Sequence[float] = ()) -> None:
    """The header row bold, frozen and with filters over the table below it; dates formatted."""
    last_col = ws.max_column
    last_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    if last_row >= header_row and last_col:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_col)}{max(last_row, header_row)}"
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
