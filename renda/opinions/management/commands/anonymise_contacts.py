from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from renda.opinions.retention import anonymise_closed_contacts


class Command(BaseCommand):
    help = "办结满保留年限（opinion.contact_retention_years，默认 3 年）的意见：清除群众及附议人的姓名、电话和当时预约的联系方式"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只报告将清除多少条，不作任何改动")

    def handle(self, *args: Any, **options: Any) -> None:
        report = anonymise_closed_contacts(dry_run=options["dry_run"])
        verb = "将清除" if report.dry_run else "已清除"
        oldest = f"，最早的办结于 {report.oldest_closed:%Y-%m-%d}" if report.oldest_closed else ""
        self.stdout.write(
            f"{report.cutoff:%Y-%m-%d} 前办结的意见：{verb}群众联系方式 {report.cases} 件、附议人 {report.followers} 人、"
            f"预约 {report.appointments} 条{oldest}"
        )
