"""Official documents of 代表建议 as Word files (python-docx), in the layout offices print:
交办通知 (assignment notice to the units), 答复函 (the unit's answer letter to the deputies) and
建议汇编 (a compilation of suggestions and their answers).

Chinese text needs the East Asian font set on each run (Word otherwise falls back to a Latin
font for the characters); 仿宋 for the body and 黑体/小标宋 for headings, as 党政机关公文格式 uses.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from renda.org.models import HandlingUnit
from renda.suggestions.models import ANSWER_CLASS_LABELS, Assignment, SignatoryStatus, Suggestion, UnitRole

BODY_FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"
HEAD_FONT = "黑体"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _run(p: Paragraph, text: str, *, font: str = BODY_FONT, size: float = 16, bold: bool = False) -> None:
    run = p.add_run(text)
    run.font.name = font
    run.font.size = Pt(size)
    run.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), font)


def _para(doc: DocxDocument, text: str = "", *, align: str = "left", indent: bool = True, **kw: object) -> Paragraph:
    p = doc.add_paragraph()
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent and align == "left":
        p.paragraph_format.first_line_indent = Pt(32)
    if text:
        _run(p, text, **kw)  # type: ignore[arg-type]
    return p


def _title(doc: DocxDocument, text: str) -> None:
    _para(doc, text, align="center", font=TITLE_FONT, size=22)


def _save(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _signatories(s: Suggestion) -> str:
    names = [
        sig.deputy.name
        for sig in s.signatories.filter(status=SignatoryStatus.CONFIRMED)
        .select_related("deputy")
        .order_by("-is_lead", "id")
    ]
    return "、".join(names)


def _paragraphs(doc: DocxDocument, text: str) -> None:
    for line in text.splitlines():
        if line.strip():
            _para(doc, line.strip())


def assignment_notice_docx(*, suggestion: Suggestion) -> bytes:
    """交办通知: which unit leads, which co-operate, the deadlines, and the suggestion itself."""
    s = suggestion
    assignments = list(
        Assignment.objects.filter(suggestion=s, active=True).select_related("unit").order_by("-role", "id")
    )
    lead = [a.unit.name for a in assignments if a.role == UnitRole.LEAD]
    co = [a.unit.name for a in assignments if a.role == UnitRole.CO]
    assigned_on = s.assigned_at.date() if s.assigned_at else dt.date.today()
    doc = Document()
    _title(doc, f"{s.body.name}")
    _title(doc, "代表建议交办通知")
    _para(doc, f"交办编号：{s.number}", align="center", size=14)
    _para(doc, "、".join(lead + co) + "：", indent=False)
    _para(
        doc,
        f"现将{s.lead_deputy.name}代表{'等' if _signatories(s) != s.lead_deputy.name else ''}提出的"
        f"《{s.title}》（{s.number}）交由你单位办理。"
        f"主办单位：{'、'.join(lead) or '—'}；协办单位：{'、'.join(co) or '无'}。",
    )
    if s.answer_by:
        _para(
            doc,
            f"请主办单位于{_cn_date(s.answer_by)}前书面答复代表（自交办之日起"
            f"{'六' if s.wide_or_hard else '三'}个月内，《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》第五十一条），"
            "答复前应当与代表联系沟通，充分听取意见。",
        )
    co_due = next((a.co_due for a in assignments if a.co_due), None)
    if co and co_due:
        _para(doc, f"协办单位请于{_cn_date(co_due)}前将协办意见送主办单位。")
    object_by = next((a.object_by for a in assignments), None)
    if object_by:
        _para(doc, f"如认为交办有误，请于{_cn_date(object_by)}前向人大办公室提出，逾期视为接受交办。")
    if s.is_key:
        _para(doc, f"本件为重点建议，由{s.key_gov_leader}领办，{s.key_congress_leader}督办。")
    _para(doc, "附：代表建议", indent=False, font=HEAD_FONT)
    _para(doc, f"标题：{s.title}", indent=False)
    _para(doc, f"领衔代表：{s.lead_deputy.name}　联名代表：{_signatories(s)}", indent=False)
    _para(doc, f"分类：{s.category}　提出时间：{s.get_period_display()}", indent=False)
    _paragraphs(doc, s.content)
    if s.problem:
        _para(doc, "存在的问题", indent=False, font=HEAD_FONT)
        _paragraphs(doc, s.problem)
    if s.proposal:
        _para(doc, "具体建议", indent=False, font=HEAD_FONT)
        _paragraphs(doc, s.proposal)
    _para(doc)
    _para(doc, s.body.name, align="right")
    _para(doc, _cn_date(assigned_on), align="right")
    return _save(doc)


def answer_letter_docx(
    *, suggestion: Suggestion, unit: HandlingUnit, answer_class: str, text: str, on: dt.date
) -> bytes:
    """答复函: the lead unit's letter to the deputies, generated from the answer (the unit may edit it)."""
    s = suggestion
    doc = Document()
    _title(doc, unit.name)
    _title(doc, f"关于{s.body.name}代表建议第{s.seq or '—'}号的答复")
    _para(doc, f"（{s.number}）", align="center", size=14)
    _para(doc, f"答复类别：{answer_class}（{ANSWER_CLASS_LABELS.get(answer_class, '')}）", align="center", size=14)
    _para(doc, f"尊敬的{_signatories(s) or s.lead_deputy.name}代表：", indent=False)
    _para(doc, f"您提出的《{s.title}》收悉。经认真研究，现答复如下：")
    _paragraphs(doc, text)
    _para(doc, "感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见。")
    if unit.contact_name or unit.contact_phone:
        _para(doc, f"联系人：{unit.contact_name}　联系电话：{unit.contact_phone}", indent=False)
    _para(doc)
    _para(doc, unit.name, align="right")
    _para(doc, _cn_date(on), align="right")
    return _save(doc)


def compilation_docx(*, suggestions: Iterable[Suggestion], title: str) -> bytes:
    """建议汇编: each suggestion with its number, deputies, units and final answer."""
    doc = Document()
    _title(doc, title)
    _para(doc, f"编印日期：{_cn_date(dt.date.today())}", align="center", size=14)
    count = 0
    for s in suggestions:
        count += 1
        _para(doc, f"{s.number}　{s.title}", indent=False, font=HEAD_FONT, size=16)
        signatories = [sig.deputy.name for sig in s.signatories.all() if sig.status == SignatoryStatus.CONFIRMED]
        _para(doc, f"领衔代表：{s.lead_deputy.name}　联名：{'、'.join(signatories)}", indent=False, size=14)
        units = [a for a in s.assignments.all() if a.active]
        lead = "、".join(a.unit.name for a in units if a.role == UnitRole.LEAD) or "—"
        co = "、".join(a.unit.name for a in units if a.role == UnitRole.CO) or "无"
        _para(doc, f"主办单位：{lead}　协办单位：{co}", indent=False, size=14)
        _paragraphs(doc, s.content)
        answers = sorted(s.answers.all(), key=lambda a: a.round)
        if answers:
            last = answers[-1]
            _para(
                doc,
                f"答复（{last.class_label}，{_cn_date(last.created_at.date())}）：",
                indent=False,
                font=HEAD_FONT,
                size=14,
            )
            _paragraphs(doc, last.text)
        _para(doc)
    if not count:
        _para(doc, "（没有符合条件的建议）", align="center")
    return _save(doc)
