from typing import Any

from django.core.management.base import BaseCommand

from renda.audit.anchors import anchor_file, anchor_head


class Command(BaseCommand):
    help = "把审计链当前链头（序号、哈希，带签名）追加到库外锚点文件并写入日志；打印该行，可另行邮寄保存"

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = anchor_head()
        if anchor is None:
            self.stdout.write("审计日志还没有事件，无需锚定")
            return
        self.stdout.write(f"已锚定 #{anchor.seq} {anchor.hash}（{anchor.at}）→ {anchor_file()}")
