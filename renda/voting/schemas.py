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
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    published_at: dt.datetime | None
    has_voted: bool = Field(..., description="调用者本人（代表）是否已投票")
    options: list[OptionOut]


class CastOut(Schema):
    vote_id: int
    replayed: bool = False
    code: str = Field("", description="回执码：公布后凭此核对选票已计入（只在首次应答中出现）")
    secret: str = Field("", description="核验密钥：证明所存选票未被改动（只在首次应答中出现，请自行保存）")
    detail: str


class PaperOut(Schema):
    id: int
    ballots: int
    invalid: int
    counts: dict[str, Any]
    tellers: str


class ReceiptOut(Schema):
    vote_id: int
    vote: str
    meeting: str
    published: bool
    intact: bool | None = Field(None, description="给了核验密钥时：所存选票与投票时一致为 true")
    detail: str
