from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from renda.site.backups import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库和上传的文件（照片、附件、名册）到一个 .tar.gz，附记录数和审计链头清单；不含密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="备份文件路径（默认 var/backups/renda-<时间>.tar.gz）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path, manifest = create_backup(Path(options["output"]) if options.get("output") else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        total = sum(manifest["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"已备份 {total} 条记录、审计链至 #{manifest['audit']['seq']} → {path}"))
