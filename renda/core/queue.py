"""Background work asked for by name, after the transaction commits.

A service names the task it needs (``"opinions.deliver_webhook"``) instead of importing the
module that defines it: ``tasks.py`` imports the services it runs, never the other way round.
The task is looked up in the Celery app's registry, so it runs in-process when tasks are eager
(the embedded default, tests) and goes to the broker otherwise.
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app
from celery.exceptions import NotRegistered
from django.db import transaction


def tasks_eager() -> bool:
    """True in the embedded default: tasks run in this process, right after commit."""
    return bool(current_app.conf.task_always_eager)


def run_after_commit(task_name: str, *args: Any) -> None:
    """Queue ``task_name(*args)`` once the current transaction commits (at once outside one)."""
    task = _task(task_name)
    transaction.on_commit(lambda: task.delay(*args))


def _task(name: str) -> Task:  # type: ignore[type-arg]
    try:
        return current_app.tasks[name]
    except NotRegistered:
        # A web process has not imported the apps' tasks modules: Celery's own import step does
        # (the autodiscovery that a worker runs at start), once.
        current_app.loader.import_default_modules()
        return current_app.tasks[name]
