"""The audit chain's anchor outside the database, written on a schedule (renda/audit/anchors.py)."""

from __future__ import annotations

from celery import shared_task

from renda.audit.anchors import anchor_head


@shared_task(name="audit.anchor")
def anchor() -> dict[str, int]:
    written = anchor_head()
    return {"seq": written.seq if written else 0}
