"""Celery app. With REDIS_URL set, start a worker and beat (docs/deploy.md); without it,
tasks run in-process (CELERY_TASK_ALWAYS_EAGER) and scheduled sweeps run from the
in-process scheduler started by ``manage.py serve`` (renda/site/schedule.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renda.settings")

app = Celery("renda")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def setup_periodic_tasks(sender: Celery, **kwargs: object) -> None:
    from renda.site.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
