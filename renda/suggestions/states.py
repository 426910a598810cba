"""Every transition of a deputy suggestion, in one table (data only: core/states.py is the machine).

    draft ──submit (all co-signers answered; open window if 大会期间)──▶ submitted
      ▲  (edit, invite, cosign/decline while draft or returned)             │
      └──────────── returned ◀──return (退回修改)─────────────────────────────┤
                                                      convert ──▶ converted  │
    submitted ──accept (立案, numbered)──▶ accepted ──assign (主办+协办)──▶ assigned
    assigned ──object (unit: 交办有误)──▶ accepted (reassign)
    assigned ──co_opinion / contact / answer (A/B/C/D)──▶ answered
    answered ──rate 满意/基本满意──▶ closed
    answered ──rate 不满意 (1st round)──▶ rehandling ──contact / answer──▶ answered ──rate──▶ closed
    any open state ──withdraw (every confirmed signatory consents)──▶ withdrawn
    answered ──no rating in N days (sweep)──▶ closed (未评价)

Marking a key suggestion, supervision notes and 承诺事项 done reports change no state (no targets);
nor does a withdrawal request that still waits for the co-signers' consent. ``draft`` is the
audit event of a new suggestion (the service checks the deputy's right itself); ``overdue`` and
``close_unrated`` are the sweep's.
"""

from __future__ import annotations

from renda.core.scoping import Perm
from renda.core.states import Machine, t
from renda.suggestions.models import DEADLINE_STATES, State

S = State
EDITABLE = [S.DRAFT, S.RETURNED]
BEFORE_ANSWER = [S.DRAFT, S.RETURNED, S.SUBMITTED, S.ACCEPTED, S.ASSIGNED]
SUPERVISABLE = [S.ACCEPTED, S.ASSIGNED, S.ANSWERED, S.REHANDLING, S.CLOSED]

MACHINE = Machine(
    [
        # 提: the deputy
        t("edit", "修改建议", EDITABLE, [], Perm.SUGGESTION_DRAFT),
        t("invite", "邀请联名代表", EDITABLE, [], Perm.SUGGESTION_DRAFT),
        t("cosign", "确认联名", EDITABLE, [], Perm.SUGGESTION_DRAFT),
        t("decline", "拒绝联名", EDITABLE, [], Perm.SUGGESTION_DRAFT),
        t("submit", "提交建议", EDITABLE, [S.SUBMITTED], Perm.SUGGESTION_DRAFT),
        t("withdraw", "申请撤回", BEFORE_ANSWER, [S.WITHDRAWN], Perm.SUGGESTION_DRAFT),
        t("consent_withdraw", "同意撤回", BEFORE_ANSWER, [S.WITHDRAWN], Perm.SUGGESTION_DRAFT),
        t("rate", "评价办理结果", [S.ANSWERED], [S.REHANDLING, S.CLOSED], Perm.SUGGESTION_DRAFT),
        t("publish", "同意公开答复", [S.ANSWERED, S.CLOSED], [], Perm.SUGGESTION_DRAFT),
        # 交 / 督: the congress office
        t("accept", "立案", [S.SUBMITTED], [S.ACCEPTED], Perm.SUGGESTION_MANAGE),
        t("return", "退回修改", [S.SUBMITTED], [S.RETURNED], Perm.SUGGESTION_MANAGE),
        t("convert", "转为一般意见", [S.SUBMITTED], [S.CONVERTED], Perm.SUGGESTION_MANAGE),
        t("assign", "交办", [S.ACCEPTED], [S.ASSIGNED], Perm.SUGGESTION_MANAGE),
        t("mark_key", "确定为重点建议", [S.ACCEPTED, S.ASSIGNED, S.ANSWERED, S.REHANDLING], [], Perm.SUGGESTION_MANAGE),
        t("supervise", "记录督办", SUPERVISABLE, [], Perm.SUGGESTION_MANAGE),
        # 办: the handling units
        t("object", "对交办提出异议", [S.ASSIGNED], [S.ACCEPTED], Perm.SUGGESTION_HANDLE),
        t("co_opinion", "提交协办意见", [S.ASSIGNED, S.REHANDLING], [], Perm.SUGGESTION_HANDLE),
        t("contact", "记录联系代表", [S.ASSIGNED, S.REHANDLING], [], Perm.SUGGESTION_HANDLE),
        t("answer", "答复代表", [S.ASSIGNED, S.REHANDLING], [S.ANSWERED], Perm.SUGGESTION_HANDLE),
        t("promise_done", "报告承诺事项已落实", [S.ANSWERED, S.REHANDLING, S.CLOSED], [], Perm.SUGGESTION_HANDLE),
        # the deputy's new draft (its own checks), and the sweep
        t("draft", "起草建议", [S.DRAFT], [], None),
        t("overdue", "标记逾期", DEADLINE_STATES, [], None),
        t("close_unrated", "逾期未评价办结", [S.ANSWERED], [S.CLOSED], None),
    ],
    state_label=lambda state: State(state).label,
)
