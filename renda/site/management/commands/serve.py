import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from renda.celery import app
from renda.site.schedule import PERIODIC, SweepThread


def public_base_url(addrport: str) -> str:
    """The address QR codes, posters and SMS links carry. Set by PUBLIC_BASE_URL when given; in
    the embedded default it follows the address served (``make run PORT=8311`` printed codes for
    :8000 before)."""
    if os.environ.get("PUBLIC_BASE_URL"):
        return str(settings.PUBLIC_BASE_URL)
    host, _, port = addrport.rpartition(":") if ":" in addrport else ("127.0.0.1", "", addrport)
    host = host or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 - only naming the address served
        host = "127.0.0.1"
    return f"http://{host}:{port or 8000}"


class Command(BaseCommand):
    help = "嵌入式运行：启动开发服务器，并在同一进程内按计划运行定时任务（无需 Redis/Celery）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        public = public_base_url(options["addrport"])
        if public != settings.PUBLIC_BASE_URL:
            settings.PUBLIC_BASE_URL = public
            self.stdout.write(f"二维码、海报和短信中的链接：{public}（未设置 PUBLIC_BASE_URL，随端口）")
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
