"""Background work of 代表建议: the scheduled sweep."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="suggestions.sweep")
def sweep() -> dict[str, int]:
    from renda.suggestions.services import suggestions_sweep

    report = suggestions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}
