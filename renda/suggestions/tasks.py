"""Background work of 代表建议: the scheduled sweeps."""

from __future__ import annotations

from celery import shared_task

from renda.suggestions import figures
from renda.suggestions.services import suggestions_sweep


@shared_task(name="suggestions.sweep")
def sweep() -> dict[str, int]:
    report = suggestions_sweep()
    return {"overdue": report.overdue, "reminded": report.reminded, "closed_unrated": report.closed_unrated}


@shared_task(name="suggestions.figures_check")
def figures_check() -> dict[str, int]:
    """Nightly: the statistics summary recomputed from the records, differences repaired and reported."""
    report = figures.verify(repair=True)
    return {"rows": report.rows, "wrong": report.wrong, "missing": report.missing, "extra": report.extra}
