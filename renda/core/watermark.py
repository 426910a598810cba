"""The exporter's mark on a spreadsheet that leaves the system with personal data in it.

Every sheet's printed header names who exported it, when, and an export number; the same text is
in the file's properties (author, description), where it survives copying the cells elsewhere
less well but copying the file perfectly. The export number is also in the audit event of the
export, so a file found where it should not be leads back to the person and the moment.
Nothing is added to the cells: a roster export must import back unchanged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from renda.core.scoping import Scope


@dataclass(frozen=True)
class Watermark:
    export_id: str
    text: str


def watermark_for(scope: Scope, *, personal: bool) -> Watermark:
    user = scope.user
    who = f"{user}（{user.username}）" if user is not None and str(user) != user.username else str(scope.actor)
    export_id = secrets.token_hex(4).upper()
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    text = f"导出人：{who}　{when}　导出编号 {export_id}"
    if personal:
        text += "　含个人信息，仅限本职工作使用，不得外传"
    return Watermark(export_id=export_id, text=text)


def apply_watermark(workbook: Any, mark: Watermark) -> None:
    """Call after the sheets exist (write-only workbooks: before saving)."""
    workbook.properties.creator = mark.text.split("　", 1)[0].removeprefix("导出人：")
    workbook.properties.description = mark.text
    workbook.properties.identifier = mark.export_id
    for sheet in workbook.worksheets:
        for header in (sheet.oddHeader, sheet.evenHeader, sheet.firstHeader):
            header.center.text = mark.text
            header.center.size = 8
        for footer in (sheet.oddFooter, sheet.evenFooter, sheet.firstFooter):
            footer.right.text = "第 &P 页 共 &N 页"
            footer.right.size = 8
