"""Every transition of a meeting (会议), in one table.

planned ──open (开幕)──▶ in_session ──close (闭会)──▶ closed
   └── sign_in / leave / edit ──┘        (absentees without leave recorded as 缺席)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from renda.core.errors import Conflict
from renda.core.scoping import Perm
from renda.meetings.models import MeetingState


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    perm: str


def t(name: str, label: str, sources: Sequence[str], perm: str) -> Transition:
    return Transition(name, label, frozenset(sources), perm)


ACTIVE: list[str] = [MeetingState.PLANNED, MeetingState.IN_SESSION]

TRANSITIONS: dict[str, Transition] = {
    x.name: x
    for x in [
        t("edit", "修改会议安排", [MeetingState.PLANNED], Perm.MEETING_MANAGE),
        t("agenda", "调整议程和会议文件", ACTIVE, Perm.MEETING_MANAGE),
        t("open", "宣布开会", [MeetingState.PLANNED], Perm.MEETING_MANAGE),
        t("sign_in", "签到", ACTIVE, Perm.MEETING_MANAGE),
        t("check_in", "扫码签到", ACTIVE, Perm.VOTE_CAST),
        t("leave", "登记请假", ACTIVE, Perm.MEETING_MANAGE),
        t("add_vote", "提交表决", ACTIVE, Perm.MEETING_MANAGE),
        t("close", "宣布闭会", [MeetingState.IN_SESSION], Perm.MEETING_MANAGE),
    ]
}


def check(name: str, state: str) -> Transition:
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        raise Conflict(f"会议当前状态为“{MeetingState(state).label}”，不能{transition.label}")
    return transition


def allowed(state: str, perms: set[str]) -> list[Transition]:
    return [x for x in TRANSITIONS.values() if state in x.sources and x.perm in perms]
