from typing import Any

from django.core.management.base import BaseCommand, CommandError

from renda.audit.selectors import audit_verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链：发现被修改、删除或插入的事件时以非零状态退出"

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {report.checked} 个事件"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计链已损坏：{len(report.problems)} 处问题（共 {report.checked} 个事件）")
