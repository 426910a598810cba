"""One input per staff action on a meeting, parsed once: by ``core.inputs.parse_form`` for the
meeting page's forms, and by django-ninja for the API's bodies.

The page's texts are bounded only loosely here: the services refuse an empty or over-long text
in their own words (“请假事由不能为空”), as they always did.
"""

from __future__ import annotations

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
    title: str = Field("", max_length=MAX_BODY_TEXT, title="议题")
    description: str = Field("", max_length=MAX_BODY_TEXT, title="说明")


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
