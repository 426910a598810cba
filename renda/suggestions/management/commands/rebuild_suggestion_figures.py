"""Recompute the 代表建议 statistics summary from the records (after a bulk load or an import)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from renda.suggestions.figures import rebuild


class Command(BaseCommand):
    help = "按代表建议记录重新计算统计汇总（批量导入后运行；运行时不要同时办理建议）"

    def handle(self, *args: Any, **options: Any) -> None:
        t0 = time.monotonic()
        rows = rebuild()
        self.stdout.write(f"统计汇总已重算：{rows} 行，用时 {time.monotonic() - t0:.1f} 秒")
