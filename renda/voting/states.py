"""Every transition of a vote (表决事项), in one table.

    draft ──open (quorum present)──▶ open ──close──▶ closed ──publish──▶ published
      │                               │ cast (deputy, phone)     │          │
      └──paper (totals by tellers)────┴──────────────────────────┘          └──runoff──▶ a new draft round
                                                                                (seats left unfilled)

A closed or published vote never changes: ballots are refused after close, paper totals after
publication, and the tally is frozen on the options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from renda.core.errors import Conflict
from renda.core.scoping import Perm
from renda.voting.models import VoteState


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    perm: str


def t(name: str, label: str, sources: Sequence[str], perm: str) -> Transition:
    return Transition(name, label, frozenset(sources), perm)


TRANSITIONS: dict[str, Transition] = {
    x.name: x
    for x in [
        t("open", "开始表决", [VoteState.DRAFT], Perm.MEETING_MANAGE),
        t("cast", "投票", [VoteState.OPEN], Perm.VOTE_CAST),
        t("paper", "录入纸质选票计票结果", [VoteState.OPEN, VoteState.CLOSED], Perm.MEETING_MANAGE),
        t("close", "截止投票", [VoteState.OPEN], Perm.MEETING_MANAGE),
        t("publish", "公布结果", [VoteState.CLOSED], Perm.MEETING_MANAGE),
        t("runoff", "另行表决", [VoteState.PUBLISHED], Perm.MEETING_MANAGE),
    ]
}


def check(name: str, state: str) -> Transition:
    """The transition, or Conflict (in Chinese) when the vote is not in a state that allows it."""
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        raise Conflict(f"表决当前状态为“{VoteState(state).label}”，不能{transition.label}")
    return transition


def allowed(state: str, perms: set[str]) -> list[Transition]:
    return [x for x in TRANSITIONS.values() if state in x.sources and x.perm in perms and x.name != "cast"]
