from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renda.audit.selectors import audit_verify_chain


class Command(BaseCommand):
    help = (
        "校验审计日志哈希链、库外锚点（AUDIT_ANCHOR_FILE）和各记录的创建事件："
        "发现被修改、删除或插入的事件时以非零状态退出"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchors", help="锚点文件（默认 AUDIT_ANCHOR_FILE），如运维人员另存的副本")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["anchors"]) if options.get("anchors") else None
        if path is not None and not path.exists():
            raise CommandError(f"锚点文件不存在：{path}")
        report = audit_verify_chain(anchor_path=path)
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {report.checked} 个事件"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计链已损坏：{len(report.problems)} 处问题（共 {report.checked} 个事件）")
