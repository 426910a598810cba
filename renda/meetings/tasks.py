"""Background work of the meetings scene: the yearly session-count sweep."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="meetings.sweep")
def sweep() -> dict[str, int]:
    from renda.meetings.services import meetings_sweep

    report = meetings_sweep()
    return {"behind": report.behind, "warned": report.warned}
