"""Every transition of an opinion, in one table (data only: core/states.py is the machine).

    submitted ──answer_directly──▶ answered ──rate 满意/基本满意──▶ closed
        │  ├──refer (转代表建议)──▶ referred ──referral_answer──▶ answered
        │  ├──merge──▶ merged                           ├──rate 不满意 (1st)──▶ in_progress (reopened, same unit)
        │  └──route──▶ routed ──accept──▶ in_progress   │                        or submitted (no unit)
        │               │  └──return (退回)──▶ submitted ├──rate 不满意 (2nd)──▶ escalated ──answer──▶ answered
        │               └──answer──▶ answered           └──no rating in N days (sweep)──▶ closed (未评价)
        └── in_progress ──answer──▶ answered (or, where the township reviews answers,
                               review ──approve──▶ answered / ──return──▶ in_progress)

A rating after an escalated answer closes the case whatever it says (counted by outcome).
``progress``, ``interim_reply`` (阶段性答复, seen by the citizen), ``extend_request`` and
``extend_decide`` (延期, approved by the township) and ``follow`` keep the state (no targets).
``overdue`` is the sweep's mark.
"""

from __future__ import annotations

from renda.core.scoping import Perm
from renda.core.states import Machine, t
from renda.opinions.models import State

S = State
FOLLOWABLE = [S.SUBMITTED, S.ROUTED, S.IN_PROGRESS, S.REVIEW, S.ESCALATED]  # open: citizens may follow, deadlines run
WITH_UNIT = [S.ROUTED, S.IN_PROGRESS]

MACHINE = Machine(
    [
        t("answer_directly", "直接答复", [S.SUBMITTED], [S.ANSWERED], Perm.OPINION_TRIAGE),
        t("refer", "转代表形成建议", [S.SUBMITTED], [S.REFERRED], Perm.OPINION_TRIAGE),
        t("referral_answer", "告知建议办理结果", [S.REFERRED], [S.ANSWERED], Perm.OPINION_TRIAGE),
        t("merge", "合并到已有意见", [S.SUBMITTED, S.ROUTED], [S.MERGED], Perm.OPINION_TRIAGE),
        t("route", "分流交办", [S.SUBMITTED], [S.ROUTED], Perm.OPINION_TRIAGE),
        t("reassign", "改派", [S.ROUTED, S.IN_PROGRESS], [S.ROUTED], Perm.OPINION_TRIAGE),
        t("accept", "受理", [S.ROUTED], [S.IN_PROGRESS], Perm.OPINION_HANDLE),
        t("return", "退回（非本单位职责）", [S.ROUTED], [S.SUBMITTED], Perm.OPINION_HANDLE),
        t("progress", "记录办理进展", [S.IN_PROGRESS], [], Perm.OPINION_HANDLE),
        t("interim_reply", "阶段性答复", [S.IN_PROGRESS], [], Perm.OPINION_HANDLE),
        t("extend_request", "申请延期", WITH_UNIT, [], Perm.OPINION_HANDLE),
        t("extend_decide", "审批延期", [*WITH_UNIT, S.REVIEW], [], Perm.OPINION_TRIAGE),
        t("unit_answer", "答复", WITH_UNIT, [S.ANSWERED, S.REVIEW], Perm.OPINION_HANDLE),
        t("review_answer", "审核答复", [S.REVIEW], [S.ANSWERED, S.IN_PROGRESS], Perm.OPINION_TRIAGE),
        t("escalated_answer", "提级督办答复", [S.ESCALATED], [S.ANSWERED], Perm.OPINION_TRIAGE),
        t("rate", "群众评价", [S.ANSWERED], [S.CLOSED, S.IN_PROGRESS, S.SUBMITTED, S.ESCALATED], None),
        t("close_unrated", "逾期未评价办结", [S.ANSWERED], [S.CLOSED], None),
        t("overdue", "标记逾期", FOLLOWABLE, [], None),
        t("follow", "附议", FOLLOWABLE, [], None),
        # The governance platform (基层治理四平台) reports for the unit it was routed to.
        t("platform_accept", "受理", [S.ROUTED], [S.IN_PROGRESS], None),
        t("platform_progress", "记录办理进展", [S.IN_PROGRESS], [], None),
        t("platform_answer", "答复", [S.ROUTED, S.IN_PROGRESS], [S.ANSWERED], None),
    ],
    state_label=lambda state: State(state).label,
)
