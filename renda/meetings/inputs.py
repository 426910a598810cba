"""One input per staff action on a meeting, parsed once: by ``core.inputs.parse_form`` for the
meeting page's forms, and by django-ninja for the API's bodies.

The page's texts are bounded only loosely here: the services refuse an empty or over-long text
in their own words (“请假事由不能为空”), as they always did.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field

from renda.core.inputs import MAX_BODY_TEXT, InputSchema


class NoInput(InputSchema):
    """An action that takes nothing but the meeting (宣布开会, 宣布闭会)."""


class DeputyIn(InputSchema):
    """代签: the deputy's number as the sign-in console posts it."""

    deputy: str = Field("", max_length=40, title="代表")


class DeputiesIn(InputSchema):
    """代签 for several deputies ticked on the sign-in console."""

    deputies: list[str] = Field(default_factory=list, max_length=500, title="代表")


class LeaveForm(InputSchema):
    """登记请假 on the sign-in console: the deputy and the approved reason."""

    deputy: str = Field("", max_length=40, title="代表")
    reason: str = Field("", max_length=MAX_BODY_TEXT, title="请假事由")


class AgendaIn(InputSchema):
    """添加议程 (the page's form and the API's body)."""

    title: str = Field("", max_length=MAX_BODY_TEXT, title="议题")
    description: str = Field("", max_length=MAX_BODY_TEXT, title="说明")


class AgendaItemIn(InputSchema):
    """修改议程: which item (its number, as the page's form posts it) and its new wording."""

    item: str = Field("", max_length=40, title="议程")
    title: str = Field("", max_length=MAX_BODY_TEXT, title="议题")
    description: str = Field("", max_length=MAX_BODY_TEXT, title="说明")


class AgendaItemRef(InputSchema):
    """删除议程: which item."""

    item: str = Field("", max_length=40, title="议程")


class MeetingEditIn(InputSchema):
    """修改会议安排 while planned. A field left out is unchanged; an empty title is the generated
    one (by term and number)."""

    title: str | None = Field(None, max_length=MAX_BODY_TEXT, title="会议名称")
    start_date: dt.date | None = Field(None, title="开始日期")
    end_date: dt.date | None = Field(None, title="结束日期")
    venue: str | None = Field(None, max_length=MAX_BODY_TEXT, title="会场")


class DocumentIn(InputSchema):
    """会议文件 (the file itself comes with the upload, not in the form's fields)."""

    kind: str = Field("", max_length=40, title="文件类别")
    title: str = Field("", max_length=MAX_BODY_TEXT, title="标题")
    text: str = Field("", max_length=MAX_BODY_TEXT, title="正文/摘要")


# ---------------------------------------------------------------- the API's bodies


class CheckInIn(InputSchema):
    token: str = Field(..., min_length=1, max_length=64, title="签到码", description="会场大屏二维码中的签到码")


class LeaveIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=200, title="请假事由")


class MeetingCreateIn(InputSchema):
    """召集会议: the body (``GET /bodies``), the dates; the rest as the page's form."""

    body: int = Field(..., ge=1, title="召开机构", description="人大机构编号（乡镇人大、主席团或街道议政代表会议）")
    start_date: dt.date = Field(..., title="开始日期")
    end_date: dt.date | None = Field(None, title="结束日期", description="不填则与开始日期相同")
    title: str = Field("", max_length=120, title="会议名称", description="不填则按届次和次数生成")
    venue: str = Field("", max_length=120, title="会场")
    deputies: list[int] | None = Field(
        None, max_length=500, title="应出席代表", description="代表编号；不填则为该机构全体在任代表"
    )
    agenda: list[str] = Field(default_factory=list, max_length=50, title="议程", description="每项一个议题")


class AttendeesIn(InputSchema):
    """调整应出席代表 (before the meeting opens): the full list, replacing the current one."""

    deputies: list[int] = Field(..., min_length=1, max_length=500, title="应出席代表")
    reason: str = Field("", max_length=200, title="调整原因")


class AgendaItemPatch(InputSchema):
    title: str = Field(..., min_length=1, max_length=200, title="议题")
    description: str = Field("", max_length=2000, title="说明")
