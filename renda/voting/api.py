"""REST API for 表决与票决: put a question to a meeting, open, cast a secret ballot (Idempotency-Key),
paper-ballot totals, close, publish, runoff, the result, and the public receipt check.

Casting keeps the secret ballot secret also here: the shared Idempotency-Key store keeps each
answer with the caller (renda/api/idempotency.py), which for a ballot would tie a deputy to
their receipt and, through a fingerprint of the body, to their choice. So ``cast`` remembers
only that the key was used: a replay answers 200 with ``replayed: true`` and no receipt.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from ninja import P, Router, Status
from ninja.params import HeaderEx, PathEx

from renda.accounts.client_ip import client_ip
from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, TTL_SECONDS, clean_key
from renda.api.schemas import READ_ERRORS, WRITE_ERRORS
from renda.core.errors import Conflict
from renda.core.inputs import MAX_INT
from renda.core.scoping import Perm, Scope
from renda.meetings import selectors as meeting_selectors
from renda.meetings.quorum import MAJORITY_LABELS
from renda.voting import policy, selectors, services
from renda.voting.actions import ACTIONS
from renda.voting.inputs import (
    CastIn,
    NoInput,
    PaperCheckIn,
    PaperIn,
    PaperWithdrawIn,
    PublishIn,
    ReceiptIn,
    RunoffIn,
    VoteIn,
)
from renda.voting.models import Vote, VoteOption
from renda.voting.schemas import CastOut, PaperOut, ReceiptOut, VoteOut

router = Router(tags=["表决与票决"])

VoteId = PathEx[int, P(ge=1, le=MAX_INT, title="表决事项编号")]
MeetingId = PathEx[int, P(ge=1, le=MAX_INT, title="会议编号")]
BatchId = PathEx[int, P(ge=1, le=MAX_INT, title="纸质票批次编号")]
Key = HeaderEx[
    str | None,
    P(
        alias=HEADER,
        description="幂等键（可选）：重发同一投票请求时不会重复投票；重发的应答不含回执（回执只在首次显示）",
    ),
]


def _vote_out(scope: Scope, vote: Vote) -> dict[str, Any]:
    options: list[VoteOption] = selectors.options_of(vote)
    visible = policy.result_visible(vote, scope)
    rows = []
    for o in options:
        row: dict[str, Any] = {"position": o.position, "label": o.label, "description": o.description, "ref": o.ref}
        if visible:
            row.update(
                count_yes=o.count_yes,
                count_no=o.count_no,
                count_abstain=o.count_abstain,
                score_total=o.score_total,
                score_count=o.score_count,
                outcome=o.outcome or None,
            )
        rows.append(row)
    return {
        "id": vote.pk,
        "meeting_id": vote.meeting_id,
        "title": vote.title,
        "method": vote.method,
        "seats": vote.seats,
        "score_max": vote.score_max,
        "round": vote.round,
        "parent_id": vote.parent_id,
        "state": vote.state,
        "state_label": vote.get_state_display(),
        "entitled_count": vote.entitled_count,
        "threshold": vote.threshold,
        "majority": MAJORITY_LABELS.get(vote.majority_rule, ""),
        "phone_ballots": selectors.phone_ballots(vote),
        "ballots_phone": vote.ballots_phone if visible else 0,
        "ballots_paper": vote.ballots_paper if visible else 0,
        "ballots_invalid": vote.ballots_invalid if visible else 0,
        "seats_unfilled": selectors.seats_unfilled(vote, options) if visible else 0,
        "concluded": vote.concluded,
        "paper_only": vote.paper_only,
        "opened_at": vote.opened_at,
        "closed_at": vote.closed_at,
        "published_at": vote.published_at,
        "has_voted": selectors.has_voted(vote, scope.deputy_ids),
        "options": rows,
    }


def _fresh(scope: Scope, vote: Vote) -> dict[str, Any]:
    return _vote_out(scope, selectors.vote_detail(scope=scope, pk=vote.pk))


@router.post("/meetings/{meeting_id}/votes", response={201: VoteOut, **WRITE_ERRORS}, summary="提交表决事项")
def create_vote(request: HttpRequest, meeting_id: MeetingId, payload: VoteIn) -> Status[dict[str, Any]]:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    meeting = meeting_selectors.meeting_detail(scope=scope, pk=meeting_id)
    vote = services.vote_create(
        scope=scope,
        meeting=meeting,
        title=payload.title,
        method=payload.method.value,
        seats=payload.seats,
        description=payload.description,
        options=[services.OptionInput(label=o.label, ref=o.ref, description=o.description) for o in payload.options],
    )
    return Status(201, _fresh(scope, vote))


@router.get("/votes/{vote_id}", response={200: VoteOut, **READ_ERRORS}, summary="表决事项与结果")
def get_vote(request: HttpRequest, vote_id: VoteId) -> dict[str, Any]:
    """结果（各项票数）在公布后对所有可见该会议的人显示；截止后、公布前仅工作人员可见；投票中不显示。"""
    scope = request_scope(request)
    return _vote_out(scope, selectors.vote_detail(scope=scope, pk=vote_id))


def _claim(scope: Scope, vote_id: int, key: str | None) -> str | None:
    """Claim the client's key for this deputy and vote; answer the cache key, or None on replay."""
    if key is None:
        return ""
    key = clean_key(key)
    cache_key = f"renda:api:vote-cast:{scope.user_id}:{vote_id}:{hashlib.sha256(key.encode()).hexdigest()}"
    if not cache.add(cache_key, "pending", 60):
        if cache.get(cache_key) == "done":
            return None
        raise Conflict("同一幂等键的投票请求正在处理中，请稍后重试", field=HEADER)
    return cache_key


@router.post("/votes/{vote_id}/cast", response={200: CastOut, **WRITE_ERRORS}, summary="投票（无记名）")
def cast_vote(request: HttpRequest, vote_id: VoteId, payload: CastIn, idempotency_key: Key = None) -> dict[str, Any]:
    """已签到的应出席代表本人投票，每个事项只能投一次（数据库约束保证，并发亦然）。应答中的回执码和核验密钥只出现这一次。"""
    scope = request_scope(request)
    scope.require(Perm.VOTE_CAST)
    vote = selectors.vote_for_cast(scope=scope, pk=vote_id)
    cache_key = _claim(scope, vote.pk, idempotency_key)
    if cache_key is None:
        return {
            "vote_id": vote.pk,
            "replayed": True,
            "detail": "该请求已处理，您的选票已投入票箱；回执只在首次应答中显示",
        }
    try:
        receipt = services.vote_cast(scope=scope, vote=vote, choices=payload.choices)
    except BaseException:
        if cache_key:
            cache.delete(cache_key)
        raise
    if cache_key:
        cache.set(cache_key, "done", TTL_SECONDS)
    return {"vote_id": vote.pk, "code": receipt.code, "detail": "投票成功，请保存回执码"}


def _staff_vote(request: HttpRequest, vote_id: int) -> tuple[Scope, Vote]:
    scope = request_scope(request)
    scope.require(Perm.MEETING_MANAGE)
    return scope, selectors.vote_detail(scope=scope, pk=vote_id)


def _run(scope: Scope, name: str, vote: Vote, data: Any) -> Any:
    return ACTIONS.by_name[name].run(scope, vote, data, {})


@router.post("/votes/{vote_id}/open", response={200: VoteOut, **WRITE_ERRORS}, summary="开始表决")
def open_vote(request: HttpRequest, vote_id: VoteId) -> dict[str, Any]:
    """须会议已宣布开会且出席代表达到法定人数。"""
    scope, vote = _staff_vote(request, vote_id)
    return _fresh(scope, _run(scope, "open", vote, NoInput()))


@router.post("/votes/{vote_id}/close", response={200: VoteOut, **WRITE_ERRORS}, summary="截止投票")
def close_vote(request: HttpRequest, vote_id: VoteId) -> dict[str, Any]:
    scope, vote = _staff_vote(request, vote_id)
    return _fresh(scope, _run(scope, "close", vote, NoInput()))


@router.post("/votes/{vote_id}/to-paper", response={200: VoteOut, **WRITE_ERRORS}, summary="改为纸质票表决")
def vote_to_paper(request: HttpRequest, vote_id: VoteId) -> dict[str, Any]:
    """电子票少于 VOTE_MIN_PHONE_BALLOTS 张时，与纸质票合并公布仍可被减出：作废已投电子票（不启封），改投纸质票。"""
    scope, vote = _staff_vote(request, vote_id)
    return _fresh(scope, _run(scope, "to_paper", vote, NoInput()))


@router.post("/votes/{vote_id}/paper", response={201: PaperOut, **WRITE_ERRORS}, summary="录入纸质选票计票结果")
def enter_paper(request: HttpRequest, vote_id: VoteId, payload: PaperIn) -> Status[Any]:
    """电子票与纸质票合计多于已签到代表时拒绝；差额票决各项得票合计不得超过有效票 × 应选名额。"""
    scope, vote = _staff_vote(request, vote_id)
    return Status(201, _run(scope, "paper", vote, payload))


@router.post(
    "/votes/{vote_id}/paper/{batch_id}/check",
    response={200: PaperOut, **WRITE_ERRORS},
    summary="复核纸质选票计票结果",
)
def check_paper(request: HttpRequest, vote_id: VoteId, batch_id: BatchId, payload: PaperCheckIn) -> Any:
    """由录入人以外的工作人员再录入一遍；每一项、每一名候选人的票数都一致才计入，不一致时 400 列出每一处差异。"""
    scope, vote = _staff_vote(request, vote_id)
    return _run(scope, "paper_check", vote, payload.model_copy(update={"batch": batch_id}))


@router.post(
    "/votes/{vote_id}/paper/{batch_id}/withdraw",
    response={200: VoteOut, **WRITE_ERRORS},
    summary="撤销一批纸质选票计票结果",
)
def withdraw_paper(
    request: HttpRequest, vote_id: VoteId, batch_id: BatchId, payload: PaperWithdrawIn
) -> dict[str, Any]:
    """截止投票前撤销录错的一批（原录入内容留在审计日志中）。"""
    scope, vote = _staff_vote(request, vote_id)
    return _fresh(scope, _run(scope, "paper_withdraw", vote, payload.model_copy(update={"batch": batch_id})))


@router.post("/votes/{vote_id}/publish", response={200: VoteOut, **WRITE_ERRORS}, summary="公布结果")
def publish_vote(request: HttpRequest, vote_id: VoteId, payload: PublishIn) -> dict[str, Any]:
    scope, vote = _staff_vote(request, vote_id)
    return _fresh(scope, _run(scope, "publish", vote, payload))


@router.post("/votes/{vote_id}/runoff", response={201: VoteOut, **WRITE_ERRORS}, summary="另行表决")
def runoff_vote(request: HttpRequest, vote_id: VoteId, payload: RunoffIn) -> Status[dict[str, Any]]:
    """在票数相同或未过半数的候选项中，就剩余名额另行表决。"""
    scope, vote = _staff_vote(request, vote_id)
    return Status(201, _fresh(scope, _run(scope, "runoff", vote, payload)))


@router.post(
    "/public/vote-receipts", auth=None, response={200: ReceiptOut, **WRITE_ERRORS}, summary="核对投票回执（免登录）"
)
def check_receipt(request: HttpRequest, payload: ReceiptIn) -> dict[str, Any]:
    """凭回执码确认选票在票箱中（投票期间）或已计入结果（截止后）。回执只证明计入，不显示也不证明选票内容。"""
    check = services.receipt_check(code=payload.code, client_ip=client_ip(request))
    if check.published:
        detail = "该选票已计入公布的表决结果"
    elif check.counted:
        detail = "投票已截止，该选票已计入计票结果，结果尚未公布"
    else:
        detail = "该选票已密封投入票箱，截止投票时计入结果"
    return {
        "vote_id": check.vote.pk,
        "vote": str(check.vote),
        "meeting": check.vote.meeting.title,
        "counted": check.counted,
        "published": check.published,
        "detail": detail,
    }
