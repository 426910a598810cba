"""One input per staff action on a suggestion, parsed by ``core.inputs.parse_form`` from the
suggestion page's forms (suggestions/actions.py runs them).

Texts are plain strings defaulting to "": the services bound and check them, in Chinese, the
same for the page and the API. A checkbox is its own field (``"on"`` when ticked), as the page
posts it; a date is the text of a date box, checked by the action.
"""

from __future__ import annotations

from ninja import Field

from renda.core.inputs import MAX_BODY_TEXT, InputSchema


class NoInput(InputSchema):
    """An action that takes nothing but the suggestion (提交, 确认联名, 拒绝联名, 同意撤回)."""


class ReasonIn(InputSchema):
    reason: str = Field("", max_length=MAX_BODY_TEXT, title="理由")


class NoteIn(InputSchema):
    note: str = Field("", max_length=MAX_BODY_TEXT, title="说明")


class TextIn(InputSchema):
    text: str = Field("", max_length=MAX_BODY_TEXT, title="内容")


class InviteIn(InputSchema):
    cosigners: list[str] = Field([], max_length=100, title="联名代表", description="受邀代表的公开编号")


class RateIn(InputSchema):
    attitude: str = Field("", max_length=MAX_BODY_TEXT, title="办理态度")
    result: str = Field("", max_length=MAX_BODY_TEXT, title="办理结果")
    comment: str = Field("", max_length=MAX_BODY_TEXT, title="评价意见")
    publish: str = Field("", max_length=MAX_BODY_TEXT, title="同意公开答复", description="勾选时为 on")


class PublishIn(InputSchema):
    publish: str = Field("", max_length=MAX_BODY_TEXT, title="同意公开答复", description="1 同意，其他为取消")


class AcceptIn(InputSchema):
    wide_or_hard: str = Field("", max_length=MAX_BODY_TEXT, title="涉及面广、处理难度大", description="勾选时为 on")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="审查意见")


class AssignIn(InputSchema):
    lead_unit: str = Field("", max_length=MAX_BODY_TEXT, title="主办单位")
    co_units: list[str] = Field([], max_length=100, title="协办单位")


class KeyIn(InputSchema):
    is_key: str = Field("1", max_length=MAX_BODY_TEXT, title="重点建议", description="1 确定，0 取消")
    gov_leader: str = Field("", max_length=MAX_BODY_TEXT, title="领办领导")
    congress_leader: str = Field("", max_length=MAX_BODY_TEXT, title="督办领导")


class SuperviseIn(InputSchema):
    kind: str = Field("", max_length=MAX_BODY_TEXT, title="方式")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="督办情况")
    on: str = Field("", max_length=MAX_BODY_TEXT, title="日期")


class ContactIn(InputSchema):
    contacted_on: str = Field("", max_length=MAX_BODY_TEXT, title="联系日期")
    way: str = Field("", max_length=MAX_BODY_TEXT, title="联系方式")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="沟通情况")


class AnswerIn(InputSchema):
    answer_class: str = Field("", max_length=MAX_BODY_TEXT, title="答复类别")
    text: str = Field("", max_length=MAX_BODY_TEXT, title="答复内容")
