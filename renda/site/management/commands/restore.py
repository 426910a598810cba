from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renda.site.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = "从 backup 生成的文件恢复数据库和上传的文件（覆盖现有数据），并核对记录数和审计链"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="backup 生成的 .tar.gz")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库和上传文件（先停止服务）")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("恢复会覆盖当前的数据库和上传文件：请先停止服务，确认后加 --yes 再运行")
        try:
            manifest, problems = restore_backup(Path(options["archive"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"恢复后核对发现 {len(problems)} 处问题")
        total = sum(manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {manifest['created_at'][:19]} 的备份：{total} 条记录与备份一致，审计链完整（至 #{manifest['audit']['seq']}）"
            )
        )
