"""Background work of the meetings scene: the yearly session-count sweep."""

from __future__ import annotations

from celery import shared_task

from renda.meetings.services import meetings_sweep


@shared_task(name="meetings.sweep")
def sweep() -> dict[str, int]:
    report = meetings_sweep()
    return {"behind": report.behind, "warned": report.warned}
