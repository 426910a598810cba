"""One input per action on a vote, parsed once: by django-ninja for the API's bodies and, for
the vote page's forms, by ``core.inputs.parse_form`` or (a tally sheet whose boxes depend on the
vote's options) the schema's own ``from_form``, which hands the typed values on unvalidated so
the services refuse them in the words they always used.
"""

from __future__ import annotations

from django.http import QueryDict
from ninja import Field

from renda.core.inputs import InputSchema
from renda.voting.models import Mark, Vote, VoteMethod


class NoInput(InputSchema):
    """An action that takes nothing but the vote (开始表决, 截止投票)."""


class OptionIn(InputSchema):
    label: str = Field(..., min_length=1, max_length=200, title="名称")
    ref: str = Field("", max_length=64, title="关联对象")
    description: str = Field("", max_length=2000, title="说明")


class VoteIn(InputSchema):
    title: str = Field(..., min_length=1, max_length=200, title="表决事项")
    method: VoteMethod = Field(..., title="表决方式")
    seats: int | None = Field(None, ge=1, le=100, title="应选名额")
    description: str = Field("", max_length=2000, title="说明")
    options: list[OptionIn] = Field(..., min_length=1, max_length=100, title="选项")


class CastIn(InputSchema):
    choices: list[int] | dict[str, str | int] = Field(
        ...,
        title="选择",
        description='差额票决：所选选项序号的列表，如 [1, 3]；逐项表决：{"1": "yes", "2": "abstain"}；评分：{"1": 90}',
    )


class PaperIn(InputSchema):
    ballots: int = Field(..., ge=1, le=10000, title="收回选票数")
    invalid: int = Field(0, ge=0, le=10000, title="废票数")
    counts: dict[str, int | dict[str, int]] = Field(
        ...,
        title="各项票数",
        description='差额：{"1": 12}；逐项：{"1": {"yes": 10, "no": 1, "abstain": 1}}；评分：{"1": 900}',
    )
    tellers: str = Field(..., min_length=1, max_length=200, title="监票、计票人")

    @classmethod
    def from_form(cls, post: QueryDict, vote: Vote) -> PaperIn:
        """The page's tally sheet (one box per option, or per option and mark), as typed: the
        service refuses what does not add up, in its own words."""
        return cls.model_construct(
            ballots=post.get("ballots", ""),
            invalid=post.get("invalid", "") or 0,
            counts=_sheet_counts(post, vote),
            tellers=post.get("tellers", ""),
        )


def _sheet_counts(post: QueryDict, vote: Vote) -> dict[str, object]:
    """The tally sheet's boxes (one per option, or per option and mark), as typed."""
    counts: dict[str, object] = {}
    for option in vote.options.all():
        key = f"count-{option.position}"
        if vote.method == VoteMethod.YES_NO:
            counts[str(option.position)] = {m: post.get(f"{key}-{m}", "") for m in Mark.values}
        else:
            counts[str(option.position)] = post.get(key, "")
    return counts


class PaperCheckIn(InputSchema):
    """复核: the same sheet typed again by another member of staff (API: the batch is in the path)."""

    batch: int = Field(0, ge=0, title="批次", description="页面表单使用；API 的批次在路径中")
    ballots: int = Field(..., ge=1, le=10000, title="收回选票数")
    invalid: int = Field(0, ge=0, le=10000, title="废票数")
    counts: dict[str, int | dict[str, int]] = Field(..., title="各项票数", description="与录入时格式相同")

    @classmethod
    def from_form(cls, post: QueryDict, vote: Vote) -> PaperCheckIn:
        return cls.model_construct(
            batch=post.get("batch", ""),
            ballots=post.get("ballots", ""),
            invalid=post.get("invalid", "") or 0,
            counts=_sheet_counts(post, vote),
        )


class PaperWithdrawIn(InputSchema):
    batch: int = Field(0, ge=0, title="批次", description="页面表单使用；API 的批次在路径中")
    reason: str = Field(..., min_length=1, max_length=200, title="撤销原因")

    @classmethod
    def from_form(cls, post: QueryDict, vote: Vote) -> PaperWithdrawIn:
        return cls.model_construct(batch=post.get("batch", ""), reason=post.get("reason", ""))


class PublishIn(InputSchema):
    conclude: bool = Field(False, title="不再另行表决", description="名额未选满时按本轮结果结束本事项")

    @classmethod
    def from_form(cls, post: QueryDict, vote: Vote) -> PublishIn:
        """The page's checkbox (value "1")."""
        return cls.model_construct(conclude=post.get("conclude") == "1")


class RunoffIn(InputSchema):
    positions: list[int] | None = Field(
        None, max_length=100, title="候选项序号", description="不填则为全部票数相同或未当选的候选项"
    )

    @classmethod
    def from_form(cls, post: QueryDict, vote: Vote) -> RunoffIn:
        """The page's ticked candidates (``position``); none ticked: every tied/unelected one."""
        picked = [int(x) for x in post.getlist("position") if (x.isascii() and x.isdigit()) and len(x) < 4]
        return cls.model_construct(positions=picked or None)


class ReceiptIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=40, title="回执码")
