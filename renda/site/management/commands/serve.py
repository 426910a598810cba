from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from renda.celery import app
from renda.site.schedule import PERIODIC, SweepThread


class Command(BaseCommand):
    help = "嵌入式运行：启动开发服务器，并在同一进程内按计划运行定时任务（无需 Redis/Celery）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.REDIS_URL:
            self.stdout.write("已配置 REDIS_URL：定时任务由 Celery beat 负责，本进程不运行。")
        else:
            thread = SweepThread(app)
            thread.start()
            for p in PERIODIC:
                every = max(p.every_seconds, thread.tick)  # the thread looks every tick
                if every >= 3600:
                    when = f"每 {every / 3600:g} 小时"
                elif every >= 60:
                    when = f"每 {every / 60:g} 分钟"
                else:
                    when = f"每 {every:g} 秒"
                self.stdout.write(f"定时任务（进程内）：{p.label}，{when}")
        call_command("runserver", options["addrport"], use_reloader=False)
