from typing import Any

from django.core.management.base import BaseCommand

from renda.celery import app
from renda.site.schedule import run_all_once


class Command(BaseCommand):
    help = "立即运行一次全部定时任务（逾期标记、提醒等）"

    def handle(self, *args: Any, **options: Any) -> None:
        for name in run_all_once(app):
            self.stdout.write(f"已运行：{name}")
