"""年中报告: the mid-year report on a township's livelihood projects, for the mid-year session
(年中人代会), as a Word document (python-docx) and an Excel sheet (openpyxl). Both are audited."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from renda.audit.services import audit_record
from renda.core.numerals import chinese_numeral
from renda.core.official import SMALL_PT, Official
from renda.core.scoping import Perm, Scope
from renda.core.sheets import finish_sheet, safe_text
from renda.projects.models import Project
from renda.projects.selectors import expected_progress
from renda.regions.models import Region

HEADERS = [
    "序号",
    "项目名称",
    "责任单位",
    "计划投资（万元）",
    "计划完成日期",
    "计划进度（%）",
    "实际进度（%）",
    "是否滞后",
    "最近进展",
    "状态",
]


def _rows(scope: Scope, region: Region, year: int) -> list[dict[str, Any]]:
    qs = (
        scope.filter(Project.objects.filter(region=region, year=year), perm=Perm.PROJECT_VIEW)
        .select_related("lead_unit", "candidate")
        .prefetch_related("milestones", "reports")
        .order_by("candidate__position")
    )
    on = timezone.localdate()
    rows = []
    for i, p in enumerate(qs, start=1):
        reports = sorted(p.reports.all(), key=lambda r: r.pk)
        expected = expected_progress(milestones=list(p.milestones.all()), completion_date=p.completion_date, on=on)
        rows.append(
            {
                "no": i,
                "name": p.name,
                "unit": p.lead_unit.name,
                "budget": p.budget / 10000,
                "completion": p.completion_date,
                "expected": expected,
                "progress": p.progress,
                "behind": "滞后" if p.is_behind or p.progress < expected else "",
                "latest": reports[-1].text if reports else "尚未报告进展",
                "state": p.get_state_display(),
                "milestones": list(p.milestones.all()),
            }
        )
    return rows


def _audit(scope: Scope, region: Region, year: int, fmt: str, count: int) -> None:
    audit_record(
        actor=scope.actor,
        action="project.export",
        target=region,
        target_label=f"{region.name}{year}年民生实事项目年中报告（{fmt}）",
        region_path=region.path,
        after={"year": year, "format": fmt, "rows": count},
    )


_text = safe_text  # never a formula in Excel


def midyear_xlsx(*, scope: Scope, region: Region, year: int) -> bytes:
    rows = _rows(scope, region, year)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{year}年民生实事"
    ws.append([f"{region.name}{year}年民生实事项目实施情况（年中报告）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"统计日期：{timezone.localdate():%Y-%m-%d}"])
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    for r in rows:
        ws.append(
            [
                r["no"],
                _text(r["name"]),
                _text(r["unit"]),
                float(r["budget"]),
                r["completion"],
                r["expected"],
                r["progress"],
                r["behind"],
                _text(r["latest"]),
                r["state"],
            ]
        )
    finish_sheet(ws, header_row=3, widths=[6, 28, 22, 14, 14, 12, 12, 10, 50, 16])
    out = io.BytesIO()
    wb.save(out)
    _audit(scope, region, year, "xlsx", len(rows))
    return out.getvalue()


def midyear_docx(*, scope: Scope, region: Region, year: int) -> bytes:
    rows = _rows(scope, region, year)
    doc = Official()
    doc.title(f"关于{region.name}{year}年民生实事项目实施情况的报告")
    doc.para(f"（{timezone.localdate():%Y年%m月%d日}，提请年中人民代表大会会议审议）", align="center", size=SMALL_PT)
    behind = [r for r in rows if r["behind"]]
    done = [r for r in rows if r["progress"] == 100]
    total_budget = sum((r["budget"] for r in rows), start=0)
    doc.blank().para(
        f"{year}年经人民代表大会票决确定民生实事项目 {len(rows)} 个，计划总投资 {total_budget:,.2f} 万元。"
        f"截至目前，已完工 {len(done)} 个，进度滞后 {len(behind)} 个。各项目实施情况如下："
    )
    for r in rows:
        doc.heading(f"{chinese_numeral(int(r['no']))}、{r['name']}", level=1)
        doc.para(
            f"责任单位：{r['unit']}；计划投资 {r['budget']:,.2f} 万元；计划完成日期 {r['completion'] or '未定'}。"
            f"按计划应完成 {r['expected']}%，实际完成 {r['progress']}%{'，进度滞后' if r['behind'] else ''}。"
            f"最近进展：{r['latest']}"
        )
        if r["milestones"]:
            doc.para(
                "实施节点：" + "；".join(f"{m.title}（{m.due_date:%Y-%m-%d}，{m.weight}%）" for m in r["milestones"])
            )
    if rows:
        doc.blank().heading("附表：民生实事项目实施进度", level=2)
        doc.table(
            [["序号", "项目名称", "责任单位", "计划投资（万元）", "计划完成", "计划进度", "实际进度", "状态"]]
            + [
                [
                    r["no"],
                    r["name"],
                    r["unit"],
                    f"{r['budget']:,.2f}",
                    r["completion"] or "未定",
                    f"{r['expected']}%",
                    f"{r['progress']}%",
                    f"{r['state']}{'（滞后）' if r['behind'] else ''}",
                ]
                for r in rows
            ],
            widths=[0.07, 0.22, 0.17, 0.12, 0.12, 0.09, 0.09, 0.12],
            size=10.5,
        )
    content = doc.docx()
    _audit(scope, region, year, "docx", len(rows))
    return content
