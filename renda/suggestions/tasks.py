"""Background work of 代表建议: the scheduled sweep."""

from __future__ import annotations

from celery import shared_task

from renda.suggestions.services import suggestions_sweep


@shared_task(name="suggestions.sweep")
def sweep() -> dict[str, int]:
    report = suggestions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}
