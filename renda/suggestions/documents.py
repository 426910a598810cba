"""Official documents of 代表建议 as Word files, in the layout offices print (GB/T 9704, A4:
core/official.py): 交办通知 (assignment notice to the units), 答复函 (the unit's answer letter
to the deputies) and 建议汇编 (a compilation of suggestions and their answers).

Between sessions a congress's suggestions are handled by its standing body: the township
congress's 主席团, the county's 常委会, a street's 人大工委. That body issues the notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from renda.core.official import SMALL_PT, Official
from renda.org.models import Body, BodyKind, HandlingUnit
from renda.suggestions.models import ANSWER_CLASS_LABELS, Assignment, SignatoryStatus, Suggestion, UnitRole

STANDING = [BodyKind.PRESIDIUM, BodyKind.STANDING_COMMITTEE, BodyKind.STREET_WORK_COMMITTEE]


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def issuer(body: Body) -> str:
    """Who issues a congress's papers between sessions: its 主席团 / 常委会 / 人大工委."""
    if body.kind in STANDING:
        return body.name
    standing = Body.objects.filter(region_id=body.region_id, kind__in=STANDING).order_by("kind").first()
    return standing.name if standing is not None else f"{body.name}主席团"


def _cosigners(s: Suggestion) -> list[str]:
    """The co-signers who confirmed, without the lead deputy (named on their own)."""
    return [
        sig.deputy.name
        for sig in s.signatories.filter(status=SignatoryStatus.CONFIRMED, is_lead=False)
        .select_related("deputy")
        .order_by("id")
        if sig.deputy_id != s.lead_deputy_id
    ]


def _deputies(s: Suggestion) -> str:
    """The lead deputy then the co-signers, each once."""
    return "、".join([s.lead_deputy.name, *_cosigners(s)])


def assignment_notice_docx(*, suggestion: Suggestion) -> bytes:
    """交办通知: which unit leads, which co-operate, the deadlines, and the suggestion itself."""
    s = suggestion
    assignments = list(
        Assignment.objects.filter(suggestion=s, active=True).select_related("unit").order_by("-role", "id")
    )
    lead = [a.unit.name for a in assignments if a.role == UnitRole.LEAD]
    co = [a.unit.name for a in assignments if a.role == UnitRole.CO]
    assigned_on = s.assigned_at.date() if s.assigned_at else dt.date.today()
    by = issuer(s.body)
    doc = Official()
    doc.title(by).title("代表建议交办通知")
    doc.para(f"交办编号：{s.number}", align="center", size=SMALL_PT)
    doc.para("、".join(lead + co) + "：", indent=False)
    doc.para(
        f"现将{s.lead_deputy.name}代表{'等' if _cosigners(s) else ''}提出的"
        f"《{s.title}》（{s.number}）交由你单位办理。"
        f"主办单位：{'、'.join(lead) or '—'}；协办单位：{'、'.join(co) or '无'}。",
    )
    if s.answer_by:
        doc.para(
            f"请主办单位于{_cn_date(s.answer_by)}前书面答复代表（自交办之日起"
            f"{'六' if s.wide_or_hard else '三'}个月内，《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》第五十一条），"
            "答复前应当与代表联系沟通，充分听取意见。",
        )
    co_due = next((a.co_due for a in assignments if a.co_due), None)
    if co and co_due:
        doc.para(f"协办单位请于{_cn_date(co_due)}前将协办意见送主办单位。")
    object_by = next((a.object_by for a in assignments), None)
    if object_by:
        doc.para(f"如认为交办有误，请于{_cn_date(object_by)}前向{by}提出，逾期视为接受交办。")
    if s.is_key:
        doc.para(f"本件为重点建议，由{s.key_gov_leader}领办，{s.key_congress_leader}督办。")
    doc.blank().heading("附：代表建议")
    doc.para(f"标题：{s.title}")
    cosigners = _cosigners(s)
    doc.para(f"领衔代表：{s.lead_deputy.name}" + (f"；联名代表：{'、'.join(cosigners)}" if cosigners else ""))
    doc.para(f"分类：{s.category}；提出时间：{s.get_period_display()}")
    doc.paras(s.content)
    if s.problem:
        doc.heading("存在的问题", level=2).paras(s.problem)
    if s.proposal:
        doc.heading("具体建议", level=2).paras(s.proposal)
    doc.blank().signature(by, _cn_date(assigned_on))
    return doc.docx()


def answer_letter_docx(
    *, suggestion: Suggestion, unit: HandlingUnit, answer_class: str, text: str, on: dt.date
) -> bytes:
    """答复函: the lead unit's letter to the deputies, generated from the answer (the unit may edit it)."""
    s = suggestion
    doc = Official()
    doc.title(f"关于{s.body.name}代表建议第{s.seq or '—'}号的答复")
    doc.para(f"（{s.number}）", align="center", size=SMALL_PT)
    doc.para(f"答复类别：{answer_class}（{ANSWER_CLASS_LABELS.get(answer_class, '')}）", align="center", size=SMALL_PT)
    doc.para(f"尊敬的{_deputies(s)}代表：", indent=False)
    doc.para(f"您提出的《{s.title}》收悉。经认真研究，现答复如下：")
    doc.paras(text)
    doc.para("感谢您对我们工作的关心和支持，欢迎继续提出宝贵意见。")
    doc.blank().signature(unit.name, _cn_date(on))
    if unit.contact_name or unit.contact_phone:
        doc.blank().para(f"（联系人：{unit.contact_name}；联系电话：{unit.contact_phone}）", indent=True)
    return doc.docx()


def compilation_docx(*, suggestions: Iterable[Suggestion], title: str) -> bytes:
    """建议汇编: each suggestion with its number, deputies, units and final answer."""
    doc = Official()
    doc.title(title)
    doc.para(f"编印日期：{_cn_date(dt.date.today())}", align="center", size=SMALL_PT)
    count = 0
    for s in suggestions:
        count += 1
        doc.blank().heading(f"{s.number}　{s.title}")
        cosigners = [
            sig.deputy.name
            for sig in s.signatories.all()
            if sig.status == SignatoryStatus.CONFIRMED and not sig.is_lead and sig.deputy_id != s.lead_deputy_id
        ]
        doc.para(
            f"领衔代表：{s.lead_deputy.name}" + (f"；联名代表：{'、'.join(cosigners)}" if cosigners else ""),
            size=SMALL_PT,
        )
        units = [a for a in s.assignments.all() if a.active]
        lead = "、".join(a.unit.name for a in units if a.role == UnitRole.LEAD) or "—"
        co = "、".join(a.unit.name for a in units if a.role == UnitRole.CO) or "无"
        doc.para(f"主办单位：{lead}；协办单位：{co}", size=SMALL_PT)
        doc.paras(s.content)
        answers = sorted(s.answers.all(), key=lambda a: a.round)
        if answers:
            last = answers[-1]
            doc.heading(f"答复（{last.class_label}，{_cn_date(last.created_at.date())}）", level=2)
            doc.paras(last.text)
    if not count:
        doc.para("（没有符合条件的建议）", align="center")
    return doc.docx()
