"""The API's answers about votes (表决): a vote and its result, a cast's receipt, a paper batch,
a receipt check. A result's counts are filled only where voting/policy.result_visible allows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class OptionOut(Schema):
    position: int
    label: str
    description: str
    ref: str
    count_yes: int | None = Field(None, description="赞成票（差额票决为得票）；结果可见时才有")
    count_no: int | None = None
    count_abstain: int | None = None
    score_total: int | None = None
    score_count: int | None = None
    outcome: str | None = Field(None, description="elected/not_elected/tied/unfilled；评分表决为空")


class VoteOut(Schema):
    id: int
    meeting_id: int
    title: str
    method: str
    seats: int | None
    score_max: int
    round: int
    parent_id: int | None
    state: str
    state_label: str
    entitled_count: int
    threshold: int
    majority: str
    phone_ballots: int
    ballots_phone: int
    ballots_paper: int
    ballots_invalid: int
    seats_unfilled: int
    concluded: bool
    paper_only: bool = Field(False, description="已改为纸质票表决（电子票过少，不能与纸质票合并公布）")
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    has_voted: bool = Field(..., description="调用者本人（代表）是否已投票")
    options: list[OptionOut]


class CastOut(Schema):
    vote_id: int
    replayed: bool = False
    code: str = Field(
        "", description="回执码：凭此核对选票在票箱中、截止后已计入；不证明选票内容（只在首次应答中出现）"
    )
    detail: str


class PaperOut(Schema):
    id: int
    ballots: int
    invalid: int
    counts: dict[str, Any]
    tellers: str
    checked: bool = Field(..., description="已复核一致（或本乡镇不要求复核），截止投票时计入")

    @staticmethod
    def resolve_checked(obj: Any) -> bool:
        return obj.checked_at is not None


class ReceiptOut(Schema):
    vote_id: int
    vote: str
    meeting: str
    counted: bool = Field(..., description="投票已截止、该选票已计入计票结果为 true；投票期间为 false（密封在票箱中）")
    published: bool
    detail: str
