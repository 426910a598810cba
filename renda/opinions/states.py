"""Every transition of an opinion, in one table.

    submitted ──answer_directly──▶ answered ──rate 满意/基本满意──▶ closed
        │  ├──refer (转代表建议)──▶ answered            │
        │  ├──merge──▶ merged                           ├──rate 不满意 (1st)──▶ in_progress (reopened, same unit)
        │  └──route──▶ routed ──accept──▶ in_progress   │                        or submitted (no unit)
        │               │  └──return (退回)──▶ submitted ├──rate 不满意 (2nd)──▶ escalated ──answer──▶ answered
        │               └──answer──▶ answered           └──no rating in N days (sweep)──▶ closed (未评价)
        └── in_progress ──answer──▶ answered

A rating after an escalated answer closes the case whatever it says (counted by outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

from renda.core.errors import Conflict
from renda.core.scoping import Perm
from renda.opinions.models import State


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    perm: str | None  # None: the citizen (verified by receipt code) or the system


def t(name: str, label: str, sources: list[str], perm: str | None) -> Transition:
    return Transition(name, label, frozenset(sources), perm)


TRANSITIONS: dict[str, Transition] = {
    x.name: x
    for x in [
        t("answer_directly", "直接答复", [State.SUBMITTED], Perm.OPINION_TRIAGE),
        t("refer", "转代表形成建议", [State.SUBMITTED], Perm.OPINION_TRIAGE),
        t("merge", "合并到已有意见", [State.SUBMITTED, State.ROUTED], Perm.OPINION_TRIAGE),
        t("route", "分流交办", [State.SUBMITTED], Perm.OPINION_TRIAGE),
        t("accept", "受理", [State.ROUTED], Perm.OPINION_HANDLE),
        t("return", "退回（非本单位职责）", [State.ROUTED], Perm.OPINION_HANDLE),
        t("progress", "记录办理进展", [State.IN_PROGRESS], Perm.OPINION_HANDLE),
        t("unit_answer", "答复", [State.ROUTED, State.IN_PROGRESS], Perm.OPINION_HANDLE),
        t("escalated_answer", "提级督办答复", [State.ESCALATED], Perm.OPINION_TRIAGE),
        t("rate", "群众评价", [State.ANSWERED], None),
        t("close_unrated", "逾期未评价办结", [State.ANSWERED], None),
        t("follow", "附议", [State.SUBMITTED, State.ROUTED, State.IN_PROGRESS, State.ESCALATED], None),
    ]
}


def check(name: str, state: str) -> Transition:
    """The transition, or Conflict (in Chinese) when the case is not in a state that allows it."""
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        raise Conflict(f"当前状态为“{State(state).label}”，不能{transition.label}")
    return transition


def allowed(state: str, perms: set[str]) -> list[Transition]:
    """What a user holding ``perms`` may do now (for the buttons on a case page)."""
    return [x for x in TRANSITIONS.values() if state in x.sources and x.perm is not None and x.perm in perms]
