"""Scheduled sweeps (deadlines, reminders, reports), declared once for both modes.

Production: Celery beat reads ``beat_schedule()`` (renda/celery.py) and a worker runs them.
Embedded default (no REDIS_URL): ``manage.py serve`` starts ``SweepThread``, which runs the
same tasks in-process on the same intervals; ``manage.py run_sweeps --once`` runs them once
(for cron or a test).

renda/celery.py imports this module, so this one takes the Celery app as an argument rather
than importing it back (``celery.current_app`` would not do: it is per thread, and the sweep
thread would get Celery's unconfigured fallback app).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from celery import Celery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    task: str  # a Celery task name
    every_seconds: float
    label: str


PERIODIC: list[Periodic] = [
    Periodic("opinions.sweep", 600, "意见建议：标记逾期、到期提醒、逾期未评价办结"),
    Periodic("meetings.sweep", 86400, "人代会：本年度会议次数不足时提醒乡镇人大"),
    Periodic("projects.sweep", 3600, "民生实事：标记进度滞后的项目并提醒责任单位"),
    Periodic("suggestions.sweep", 3600, "代表建议：标记逾期、期限前提醒、逾期未评价办结"),
    Periodic("suggestions.figures_check", 86400, "代表建议：统计汇总与建议记录逐组核对，修复不一致并记入审计日志"),
    Periodic("opinions.retention", 86400, "意见建议：办结满保留年限的群众姓名、电话匿名化（个人信息保护法第十九条）"),
    Periodic("audit.anchor", 600, "审计：把审计链头锚定到库外文件和日志（verify_audit 据此发现删除末尾事件）"),
    Periodic("core.sweep", 3600, "平台：删除过期的幂等键记录和频率限制计数；SQLite 预写日志收拢进数据库文件"),
    # The outbox of citizens' submissions: with a worker, this is how their after-submit work
    # starts (nothing is queued per submission); embedded, each submission does it at once.
    Periodic("opinions.intake", 1, "意见建议：群众提交后的处理（审计入链、分类建议、通知）"),
]


def beat_schedule() -> dict[str, dict[str, object]]:
    # A tick not started within its interval is dropped (expires): a busy or stopped worker
    # finds one of each waiting, not a pile.
    return {
        p.task: {"task": p.task, "schedule": float(p.every_seconds), "options": {"expires": float(p.every_seconds)}}
        for p in PERIODIC
    }


def run_task(app: Celery, name: str) -> None:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")  # a worker imports them at start; the embedded process must too
    task = app.tasks.get(name)
    if task is None:
        raise LookupError(f"scheduled task {name} is not registered")
    task.apply().get(propagate=True)


def run_all_once(app: Celery) -> list[str]:
    done = []
    for p in PERIODIC:
        run_task(app, p.task)
        done.append(p.task)
    return done


class SweepThread(threading.Thread):
    """Runs every periodic task in-process on its interval until the process exits."""

    def __init__(self, app: Celery, tick_seconds: float = 30.0) -> None:
        super().__init__(name="renda-sweeps", daemon=True)
        self.app = app
        self.tick = tick_seconds
        self.next_run: dict[str, float] = {p.task: 0.0 for p in PERIODIC}
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self.stopped.is_set():
            now = time.monotonic()
            for p in PERIODIC:
                if now >= self.next_run[p.task]:
                    try:
                        close_old_connections()
                        run_task(self.app, p.task)
                    except Exception:  # a failed sweep must not stop the others
                        logger.exception("scheduled task %s failed", p.task)
                    self.next_run[p.task] = now + p.every_seconds
            self.stopped.wait(self.tick)
