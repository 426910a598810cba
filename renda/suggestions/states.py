"""Every transition of a deputy suggestion, in one table.

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

Marking a key suggestion, supervision notes and 承诺事项 done reports change no state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from renda.core.errors import Conflict
from renda.core.scoping import Perm
from renda.suggestions.models import State


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    perm: str


def t(name: str, label: str, sources: Sequence[str], perm: str) -> Transition:
    return Transition(name, label, frozenset(sources), perm)


EDITABLE = [State.DRAFT, State.RETURNED]
BEFORE_ANSWER = [State.DRAFT, State.RETURNED, State.SUBMITTED, State.ACCEPTED, State.ASSIGNED]
SUPERVISABLE = [State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.REHANDLING, State.CLOSED]

TRANSITIONS: dict[str, Transition] = {
    x.name: x
    for x in [
        # 提: the deputy
        t("edit", "修改建议", EDITABLE, Perm.SUGGESTION_DRAFT),
        t("invite", "邀请联名代表", EDITABLE, Perm.SUGGESTION_DRAFT),
        t("cosign", "确认联名", EDITABLE, Perm.SUGGESTION_DRAFT),
        t("decline", "拒绝联名", EDITABLE, Perm.SUGGESTION_DRAFT),
        t("submit", "提交建议", EDITABLE, Perm.SUGGESTION_DRAFT),
        t("withdraw", "申请撤回", BEFORE_ANSWER, Perm.SUGGESTION_DRAFT),
        t("consent_withdraw", "同意撤回", BEFORE_ANSWER, Perm.SUGGESTION_DRAFT),
        t("rate", "评价办理结果", [State.ANSWERED], Perm.SUGGESTION_DRAFT),
        t("publish", "同意公开答复", [State.ANSWERED, State.CLOSED], Perm.SUGGESTION_DRAFT),
        # 交 / 督: the congress office
        t("accept", "立案", [State.SUBMITTED], Perm.SUGGESTION_MANAGE),
        t("return", "退回修改", [State.SUBMITTED], Perm.SUGGESTION_MANAGE),
        t("convert", "转为一般意见", [State.SUBMITTED], Perm.SUGGESTION_MANAGE),
        t("assign", "交办", [State.ACCEPTED], Perm.SUGGESTION_MANAGE),
        t(
            "mark_key",
            "确定为重点建议",
            [State.ACCEPTED, State.ASSIGNED, State.ANSWERED, State.REHANDLING],
            Perm.SUGGESTION_MANAGE,
        ),
        t("supervise", "记录督办", SUPERVISABLE, Perm.SUGGESTION_MANAGE),
        # 办: the handling units
        t("object", "对交办提出异议", [State.ASSIGNED], Perm.SUGGESTION_HANDLE),
        t("co_opinion", "提交协办意见", [State.ASSIGNED, State.REHANDLING], Perm.SUGGESTION_HANDLE),
        t("contact", "记录联系代表", [State.ASSIGNED, State.REHANDLING], Perm.SUGGESTION_HANDLE),
        t("answer", "答复代表", [State.ASSIGNED, State.REHANDLING], Perm.SUGGESTION_HANDLE),
        t(
            "promise_done",
            "报告承诺事项已落实",
            [State.ANSWERED, State.REHANDLING, State.CLOSED],
            Perm.SUGGESTION_HANDLE,
        ),
    ]
}


def check(name: str, state: str) -> Transition:
    """The transition, or Conflict (in Chinese) when the suggestion's state does not allow it."""
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        raise Conflict(f"当前状态为“{State(state).label}”，不能{transition.label}")
    return transition


def allowed(state: str, perms: set[str]) -> list[Transition]:
    """What a holder of ``perms`` may do in ``state`` (the page narrows it by role further)."""
    return [x for x in TRANSITIONS.values() if state in x.sources and x.perm in perms]
