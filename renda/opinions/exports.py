"""Excel export of an opinion list (意见建议清单). Personal data only for those who may see it;
every export is audited with its filter and row count, and carries its exporter's watermark
(renda/core/watermark.py) with the export number the audit event keeps."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from renda.audit.services import audit_record
from renda.core.scoping import Perm, Scope
from renda.core.sheets import finish_sheet, local_datetime, safe_text
from renda.core.validation import mask_name, mask_phone
from renda.core.watermark import apply_watermark, watermark_for
from renda.opinions.models import Opinion
from renda.opinions.policy import can_see_person
from renda.regions.models import Region

MAX_ROWS = 50_000
HEADERS = [
    "回执码",
    "提交时间",
    "来源",
    "乡镇/街道",
    "村/社区",
    "分类",
    "摘要",
    "内容",
    "反映人",
    "电话",
    "状态",
    "承办单位",
    "答复期限",
    "是否逾期",
    "答复时间",
    "办结方式",
]


_text = safe_text


def opinions_export(*, scope: Scope, qs: QuerySet[Opinion], description: str) -> bytes:
    scope.require(Perm.OPINION_VIEW)
    personal = can_see_person(scope)  # the whole list; a unit also sees its own cases' citizens
    rows = list(qs.select_related("region", "category__parent", "unit")[: MAX_ROWS + 1])
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    townships = {r.path[:9] for r in (o.region for o in rows)}
    names = dict(Region.objects.filter(path__in=townships).values_list("path", "name"))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "意见建议清单"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for o in rows:
        ws.append(
            [
                o.receipt_code,
                local_datetime(o.created_at),
                o.get_source_display(),
                names.get(o.region.path[:9], ""),
                o.region.name,
                str(o.category),
                _text(o.title),
                _text(o.text),
                "匿名"
                if o.anonymous
                else _text(o.citizen_name if can_see_person(scope, o) else mask_name(o.citizen_name)),
                "" if o.anonymous else (o.citizen_phone if can_see_person(scope, o) else mask_phone(o.citizen_phone)),
                o.get_state_display(),
                o.unit.name if o.unit else "",
                o.deadline,
                "是" if o.is_overdue and o.is_open else "",
                local_datetime(o.answered_at),
                o.get_outcome_display() if o.outcome else "",
            ]
        )
    finish_sheet(ws, widths=[11, 17, 10, 12, 12, 18, 30, 50, 10, 14, 12, 20, 12, 8, 17, 10])
    mark = watermark_for(scope, personal=personal)
    apply_watermark(wb, mark)
    out = io.BytesIO()
    wb.save(out)
    audit_record(
        actor=scope.actor,
        action="opinion.export",
        target_type="opinions.opinion",
        target_id="export",
        target_label=f"意见建议清单（{len(rows)} 条）",
        region_path=scope.roots[0] if len(scope.roots) == 1 else "",
        reason=description,
        after={"rows": len(rows), "personal_data": personal, "truncated": truncated, "export_id": mark.export_id},
    )
    return out.getvalue()
