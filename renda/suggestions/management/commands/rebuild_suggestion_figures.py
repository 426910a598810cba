"""Recompute the 代表建议 statistics summary from the records (after a bulk load or an import), or
with ``--check`` only compare it with the records and report the difference."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from renda.suggestions.figures import rebuild, verify


class Command(BaseCommand):
    help = "按代表建议记录重新计算统计汇总（批量导入后运行；运行时不要同时办理建议）；--check 只核对不修改"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="只核对统计汇总与建议记录，报告差异，不修改")

    def handle(self, *args: Any, **options: Any) -> None:
        t0 = time.monotonic()
        if options["check"]:
            report = verify(repair=False)
            self.stdout.write(report.summary())
            for d in report.differences:
                self.stdout.write(f"  {d['kind']} {d['key']}: 汇总 {d['stored']} → 记录 {d['records']}")
            return
        rows = rebuild()
        self.stdout.write(f"统计汇总已重算：{rows} 行，用时 {time.monotonic() - t0:.1f} 秒")
