"""Excel exports of 代表建议: 汇总表 (the statistics as shown) and 交办清单 (the assignment list).
The views audit every export with its filter and row count."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from renda.core.sheets import finish_sheet, safe_text
from renda.suggestions.models import Assignment, Signatory, SignatoryStatus, Suggestion, UnitRole
from renda.suggestions.selectors import StatRow

MAX_ROWS = 50_000
SUMMARY_HEADERS = [
    "项目",
    "立案数",
    "已答复",
    "按期答复",
    "按期答复率(%)",
    "已办结",
    "办结率(%)",
    "A类（已解决）",
    "解决率(%)",
    "已评价",
    "满意和基本满意",
    "满意率(%)",
    "平均答复天数",
]
LIST_HEADERS = [
    "建议编号",
    "标题",
    "人民代表大会",
    "提出时间",
    "领衔代表",
    "联名代表",
    "分类",
    "主办单位",
    "协办单位",
    "交办日期",
    "答复期限",
    "重点建议",
    "状态",
    "答复类别",
    "评价结果",
]


_text = safe_text  # never a formula in Excel


def _book(title: str, headers: list[str]) -> tuple[Workbook, Any]:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    return wb, ws


def _bytes(wb: Workbook) -> bytes:
    for ws in wb.worksheets:
        if ws.title != "汇总表":  # the summary carries a note under its table: no filter over it
            finish_sheet(ws, widths=[max(10, min(40, len(str(c.value or "")) * 2.2 + 4)) for c in ws[1]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def summary_xlsx(*, total: StatRow, rows: Sequence[StatRow], dimension_label: str) -> bytes:
    wb, ws = _book("汇总表", SUMMARY_HEADERS)
    for r in [*rows, total]:
        ws.append(
            [
                _text(r.label),
                r.count,
                r.answered,
                r.on_time,
                r.on_time_rate,
                r.closed,
                r.closed_rate,
                r.class_a,
                r.a_rate,
                r.rated,
                r.satisfied,
                r.satisfied_rate,
                r.avg_days,
            ]
        )
    ws.append([])
    ws.append([f"{dimension_label}统计，导出时间 {timezone.localtime():%Y-%m-%d %H:%M}"])
    ws.append(
        ["口径：按期答复率=按期答复/已答复；办结率=已办结/立案数；解决率=A类/已答复；满意率=满意和基本满意/已评价办结"]
    )
    return _bytes(wb)


def assignment_list_xlsx(*, qs: QuerySet[Suggestion]) -> tuple[bytes, int]:
    wb, ws = _book("交办清单", LIST_HEADERS)
    items = list(
        qs.select_related("body", "lead_deputy", "category__parent", "lead_unit").prefetch_related(
            Prefetch(
                "signatories",
                queryset=Signatory.objects.filter(status=SignatoryStatus.CONFIRMED, is_lead=False).select_related(
                    "deputy"
                ),
                to_attr="cosigned",
            ),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(active=True, role=UnitRole.CO).select_related("unit"),
                to_attr="co_units",
            ),
        )[:MAX_ROWS]
    )
    for s in items:
        ws.append(
            [
                _text(s.number),
                _text(s.title),
                _text(s.body.name),
                s.get_period_display(),
                _text(s.lead_deputy.name),
                _text("、".join(x.deputy.name for x in s.cosigned)),  # type: ignore[attr-defined]
                _text(str(s.category)),
                _text(s.lead_unit.name if s.lead_unit else ""),
                _text("、".join(a.unit.name for a in s.co_units)),  # type: ignore[attr-defined]
                timezone.localtime(s.assigned_at).date() if s.assigned_at else None,
                s.answer_by,
                "是" if s.is_key else "",
                s.get_state_display(),
                s.answer_class_label,
                s.get_outcome_display() if s.outcome else "",
            ]
        )
    return _bytes(wb), len(items)
