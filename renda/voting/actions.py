"""The staff actions on a vote, in button order: what the vote page's buttons run and what the
API's routes call (one row each; views.py and api.py only read this). Casting a ballot is not
here: it is the deputy's own, with its own secrecy rules (voting/services.vote_cast)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from renda.core.actions import Action, ActionTable
from renda.core.scoping import Scope
from renda.voting import inputs, services
from renda.voting.models import Vote
from renda.voting.states import MACHINE

Files = Mapping[str, Any]


def _paper(scope: Scope, vote: Vote, data: inputs.PaperIn, files: Files) -> Any:
    return services.paper_batch_enter(
        scope=scope, vote=vote, ballots=data.ballots, invalid=data.invalid, counts=data.counts, tellers=data.tellers
    )


def _paper_check(scope: Scope, vote: Vote, data: inputs.PaperCheckIn, files: Files) -> Any:
    return services.paper_batch_check(
        scope=scope, vote=vote, batch=data.batch, ballots=data.ballots, invalid=data.invalid, counts=data.counts
    )


def _paper_withdraw(scope: Scope, vote: Vote, data: inputs.PaperWithdrawIn, files: Files) -> Any:
    return services.paper_batch_withdraw(scope=scope, vote=vote, batch=data.batch, reason=data.reason)


ACTIONS: ActionTable[Vote] = ActionTable(
    MACHINE,
    [
        Action(
            "open",
            inputs.NoInput,
            lambda scope, v, data, files: services.vote_open(scope=scope, vote=v),
            "已开始表决，代表可在手机上投票",
            summary="开始表决",
            description="须会议已宣布开会且出席代表达到法定人数。",
            api="open_vote",
        ),
        Action(
            "close",
            inputs.NoInput,
            lambda scope, v, data, files: services.vote_close(scope=scope, vote=v),
            "已截止投票，计票结果见下方",
            summary="截止投票",
            api="close_vote",
        ),
        Action(
            "paper",
            inputs.PaperIn,
            _paper,
            "已录入纸质选票计票结果",
            summary="录入纸质选票计票结果",
            description="电子票与纸质票合计多于已签到代表时拒绝；差额票决各项得票合计不得超过有效票 × 应选名额。",
            api="enter_paper",
        ),
        Action(
            "paper_check",
            inputs.PaperCheckIn,
            _paper_check,
            "复核一致，这一批纸质票已计入",
            summary="复核纸质选票计票结果",
            description="由录入人以外的工作人员再录入一遍；收回选票数、废票数和每一项、每一名候选人的票数都一致才计入，"
            "不一致时列出每一处差异、不作记录。",
            api="check_paper",
        ),
        Action(
            "paper_withdraw",
            inputs.PaperWithdrawIn,
            _paper_withdraw,
            "已撤销这一批纸质票计票结果，请重新录入",
            summary="撤销一批纸质选票计票结果",
            description="截止投票前撤销录错的一批（原录入内容留在审计日志中）。",
            api="withdraw_paper",
        ),
        Action(
            "to_paper",
            inputs.NoInput,
            lambda scope, v, data, files: services.vote_to_paper(scope=scope, vote=v),
            "已改为纸质票表决：手机上投出的选票已作废，请这些代表领取纸质选票",
            summary="改为纸质票表决",
            description="电子票少于规定张数（VOTE_MIN_PHONE_BALLOTS）时，与纸质票合并公布仍可被减出，"
            "须作废已投电子票、全部改投纸质票。",
            api="vote_to_paper",
        ),
        Action(
            "publish",
            inputs.PublishIn,
            lambda scope, v, data, files: services.vote_publish(scope=scope, vote=v, conclude=data.conclude),
            "已公布表决结果",
            summary="公布结果",
            api="publish_vote",
        ),
        Action(
            "runoff",
            inputs.RunoffIn,
            lambda scope, v, data, files: services.vote_runoff(scope=scope, vote=v, positions=data.positions),
            "已安排另行表决",
            summary="另行表决",
            description="在票数相同或未过半数的候选项中，就剩余名额另行表决。",
            api="runoff_vote",
        ),
    ],
    noun="vote",
    page="voting:act",
    elsewhere={"cast": "voting:cast"},  # the deputy's own ballot, never a staff button
)
