"""One input per staff action on a case, parsed once: by django-ninja for the API and by
``core.inputs.parse_form`` for the case page's forms (the same fields, limits and Chinese)."""

from __future__ import annotations

from ninja import Field

from renda.core.inputs import MAX_BODY_TEXT, InputSchema


class NoInput(InputSchema):
    """An action that takes nothing but the case (受理)."""


class RouteIn(InputSchema):
    unit: int = Field(..., title="承办单位", description="承办单位编号（本乡镇/街道或上级县、市的单位）")
    workdays: int | None = Field(None, title="办理期限", description="工作日，1–60；默认按规则设置")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="交办说明")


class ReassignIn(InputSchema):
    unit: int = Field(..., title="新的承办单位", description="本乡镇/街道或上级县、市的单位（编号）")
    workdays: int | None = Field(None, title="办理期限（工作日）", description="1–60；不填按规则设置，自改派之日起算")
    reason: str = Field(..., max_length=MAX_BODY_TEXT, title="改派理由", description="告知原单位和新单位，记入办理记录")


class AnswerIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="答复内容", description="5–5000 字")


class ReferIn(InputSchema):
    deputies: list[int] = Field(
        ..., min_length=1, max_length=10, title="转交的代表", description="代表编号，1–10 位（本县在任代表）"
    )
    text: str = Field(
        "", max_length=MAX_BODY_TEXT, title="告知群众的内容", description="阶段性答复，不填则使用标准告知语"
    )


class InterimIn(InputSchema):
    text: str = Field(..., max_length=MAX_BODY_TEXT, title="阶段性答复", description="5–5000 字，群众可见，不评价")


class ExtendIn(InputSchema):
    workdays: int = Field(..., title="延长工作日", description="1–30 个工作日，自原答复期限起算")
    reason: str = Field(..., max_length=MAX_BODY_TEXT, title="延期理由")


class DecisionIn(InputSchema):
    approve: bool = Field(..., title="决定", description="true 同意 / false 不同意（须写明意见）")
    note: str = Field("", max_length=MAX_BODY_TEXT, title="意见", description="不同意时必填")


class MergeIn(InputSchema):
    into: str = Field(..., max_length=20, title="目标意见回执码")
    reason: str = Field(..., max_length=MAX_BODY_TEXT, title="合并理由")


class ReasonIn(InputSchema):
    reason: str = Field(..., max_length=MAX_BODY_TEXT, title="退回理由")


class ProgressIn(InputSchema):
    note: str = Field(..., max_length=MAX_BODY_TEXT, title="办理进展")
