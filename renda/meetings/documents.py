"""The meeting's 签到表 (GB/T 9704 layout, Word and PDF: core/official.py): every deputy
expected, in roster order, with a column to sign; approved leave is printed, so nobody signs
for an absent colleague."""

from __future__ import annotations

from renda.core.official import SMALL_PT, Official
from renda.meetings.models import Attendance, Meeting


def signin_sheet(meeting: Meeting) -> Official:
    attendees = list(meeting.attendees.select_related("deputy__region").order_by("deputy__name", "id"))
    doc = Official()
    doc.title(meeting.official_title).title("代表签到表")
    when = f"{meeting.start_date:%Y年%m月%d日}" + (
        f"至{meeting.end_date:%m月%d日}" if meeting.end_date != meeting.start_date else ""
    )
    doc.para(f"时间：{when}　地点：{meeting.venue or '—'}　应到代表 {len(attendees)} 名", align="center", size=SMALL_PT)
    rows: list[list[object]] = [["序号", "姓名", "选区/单位", "签名", "备注"]]
    for n, a in enumerate(attendees, start=1):
        note = "请假" if a.status == Attendance.LEAVE else ""
        rows.append([n, a.deputy.name, a.deputy.region.name if a.deputy.region_id else "", "", note])
    doc.table(rows, widths=[0.09, 0.18, 0.33, 0.25, 0.15])
    return doc
