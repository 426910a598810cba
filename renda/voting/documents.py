"""What a session prints for a vote (GB/T 9704 layout, Word and PDF: core/official.py): the
纸质选票 drawn from the vote's items, and the 表决结果公告 once the result is published. The
meeting's 签到表 is in meetings/documents.py.

A paper ballot carries no name, number or mark that could tell whose it is: every copy of a
vote's ballot is the same page.
"""

from __future__ import annotations

import datetime as dt

from renda.core.official import SMALL_PT, Official
from renda.meetings.models import Meeting, MeetingKind
from renda.suggestions.documents import issuer
from renda.voting.models import Outcome, Vote, VoteMethod, VoteOption

BOX = "□"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def signer(meeting: Meeting) -> str:
    """Who signs a session's notices: the session's 主席团 (白鹭镇第十九届人民代表大会第三次会议主席团);
    another meeting's, the body that holds it between sessions."""
    if meeting.kind == MeetingKind.CONGRESS:
        return f"{meeting.official_title}主席团"
    return issuer(meeting.body)


def is_project_vote(vote: Vote, options: list[VoteOption] | None = None) -> bool:
    rows = options if options is not None else list(vote.options.all())
    return any(o.ref.startswith("projects.") for o in rows)


def paper_ballot(vote: Vote) -> Official:
    """The 纸质选票: one A4 page per ballot, the same for every deputy."""
    meeting = vote.meeting
    options = list(vote.options.order_by("position"))
    projects = is_project_vote(vote, options)
    doc = Official()
    doc.title(meeting.official_title)
    kind = "票决票" if projects else ("选举票" if vote.method == VoteMethod.CHOOSE_N else "表决票")
    if vote.method == VoteMethod.SCORE:
        kind = "测评票"
    doc.title(f"{vote.title}{kind}")
    if vote.round > 1:
        doc.para(f"（第 {vote.round} 轮）", align="center", size=SMALL_PT)
    doc.blank()
    if vote.method == VoteMethod.YES_NO:
        doc.para(
            "请在每一项的“赞成”“反对”“弃权”中选择一项，在对应方格内划“√”。每项只能划一个“√”，多划或不划的，该项按弃权计。"
        )
        doc.table(
            [["序号", "表决事项", "赞成", "反对", "弃权"]] + [[o.position, o.label, BOX, BOX, BOX] for o in options],
            widths=[0.1, 0.54, 0.12, 0.12, 0.12],
        )
    elif vote.method == VoteMethod.CHOOSE_N:
        noun = "项目" if projects else "人选"
        doc.para(
            f"本次应选{noun} {vote.seats} 个。请在同意的{noun}后的方格内划“√”，最多划 {vote.seats} 个；"
            f"多于 {vote.seats} 个的，本票作废；少于的，可以。"
        )
        doc.table(
            [["序号", "候选项目" if projects else "候选人", "同意"]] + [[o.position, o.label, BOX] for o in options],
            widths=[0.1, 0.72, 0.18],
        )
    else:
        doc.para(f"请对每一项打分（0 至 {vote.score_max} 分的整数），填在“得分”栏内。不填的，该项不计分。")
        doc.table(
            [["序号", "测评对象", "得分"]] + [[o.position, o.label, ""] for o in options],
            widths=[0.1, 0.65, 0.25],
        )
    doc.blank().para("本票不写姓名，填好后投入票箱。", indent=False, size=SMALL_PT)
    return doc


def result_notice(vote: Vote) -> Official:
    """表决结果公告 of a published vote: who could vote, who did, each item's count and result."""
    meeting = vote.meeting
    options = list(vote.options.order_by("position"))
    projects = is_project_vote(vote, options)
    doc = Official()
    doc.title(meeting.official_title).title("表决结果公告")
    when = vote.closed_at.date() if vote.closed_at else meeting.start_date
    cast = vote.ballots_phone + vote.ballots_paper
    doc.blank().para(
        f"{meeting.official_title}于{_cn_date(when)}对《{vote.title}》进行了表决。本次会议应到代表 {vote.entitled_count} 名，"
        f"表决时出席 {vote.present_at_close or vote.present_at_open} 名；收回选票 {cast} 张，其中无效票 {vote.ballots_invalid} 张。"
    )
    if vote.method == VoteMethod.YES_NO:
        rows = [["序号", "表决事项", "赞成", "反对", "弃权", "结果"]] + [
            [o.position, o.label, o.count_yes, o.count_no, o.count_abstain, o.word] for o in options
        ]
        widths = [0.1, 0.38, 0.12, 0.12, 0.12, 0.16]
    elif vote.method == VoteMethod.CHOOSE_N:
        rows = [["序号", "候选项目" if projects else "候选人", "得票", "结果"]] + [
            [o.position, o.label, o.count_yes, o.word] for o in options
        ]
        widths = [0.1, 0.56, 0.16, 0.18]
    else:
        rows = [["序号", "测评对象", "总分", "有效评分票", "平均分"]] + [
            [
                o.position,
                o.label,
                o.score_total,
                o.score_count,
                f"{o.score_total / o.score_count:.1f}" if o.score_count else "—",
            ]
            for o in options
        ]
        widths = [0.1, 0.45, 0.15, 0.15, 0.15]
    doc.table(rows, widths=widths)
    chosen = [o.label for o in options if o.outcome == Outcome.ELECTED]
    if vote.method == VoteMethod.CHOOSE_N and chosen:
        noun = "入选项目" if projects else "当选人"
        doc.blank().para(f"{noun}：{'、'.join(chosen)}。")
    elif vote.method == VoteMethod.YES_NO:
        passed = [o.label for o in options if o.outcome == Outcome.ELECTED]
        failed = [o.label for o in options if o.outcome == Outcome.NOT_ELECTED]
        if passed and projects:
            doc.blank().para(f"{'、'.join(passed)}入选，确定为民生实事项目。")
        elif passed:
            doc.blank().para(f"{'、'.join(passed)}获得通过。")
        if failed:
            doc.para(f"{'、'.join(failed)}{'未入选' if projects else '未获通过'}。")
    doc.para("现予公告。")
    published = vote.published_at.date() if vote.published_at else when
    doc.blank().signature(signer(meeting), _cn_date(published))
    return doc
