import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from renda.audit.services import audit_record
from renda.core.personal import UnreadableData, _cipher, _current, encrypted_columns, reseal_column


class Command(BaseCommand):
    help = (
        "更换个人信息加密密钥：把所有加密存储的群众电话从旧密钥（环境变量 PERSONAL_DATA_OLD_KEY）"
        "改为当前的 PERSONAL_DATA_KEY 重新加密，在一个事务中完成，失败则不改动任何数据"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只检查旧密钥能否解开全部数据并报告条数，不作改动")

    def handle(self, *args: Any, **options: Any) -> None:
        old_key = os.environ.get("PERSONAL_DATA_OLD_KEY", "")
        if not old_key:
            raise CommandError("请在环境变量 PERSONAL_DATA_OLD_KEY 中提供原来的密钥，PERSONAL_DATA_KEY 设为新密钥")
        old, new = _cipher(old_key), _current()
        counts: dict[str, int] = {}
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for model, field in encrypted_columns():
                    table = connection.ops.quote_name(model._meta.db_table)
                    column = connection.ops.quote_name(str(field.column))
                    counts[f"{model._meta.label}.{field.name}"] = reseal_column(cursor, table, column, old=old, new=new)
                if options["dry_run"]:
                    transaction.set_rollback(True)
                else:
                    audit_record(
                        actor="运维人员", action="personal_data.rekey", target_label="个人信息加密密钥", after=counts
                    )
        except UnreadableData:
            raise CommandError("有数据不是用 PERSONAL_DATA_OLD_KEY 加密的：旧密钥不对，未作任何改动") from None
        verb = "可重新加密" if options["dry_run"] else "已重新加密"
        self.stdout.write(f"{verb} {sum(counts.values())} 项：" + "，".join(f"{k} {v}" for k, v in counts.items()))
