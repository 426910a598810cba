"""Background work of 民生实事: the scheduled sweep that flags projects behind their milestones."""

from __future__ import annotations

from celery import shared_task

from renda.projects.delivery import projects_sweep


@shared_task(name="projects.sweep")
def sweep() -> dict[str, int]:
    report = projects_sweep()
    return {"flagged": report.flagged, "cleared": report.cleared}
