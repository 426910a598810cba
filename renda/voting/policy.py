"""Who may do what to a vote now, and who sees its result: one rule for the staff pages and
the API. No rule here ever concerns a single ballot: ballots are never shown to anyone."""

from __future__ import annotations

from renda.core.errors import NotFound
from renda.core.scoping import Perm, Scope
from renda.core.states import Transition
from renda.voting.models import Vote, VoteState
from renda.voting.states import MACHINE


def authorize(scope: Scope, vote: Vote, transition: Transition) -> None:
    """Scope rule on the fresh, locked vote (404: never say whether it exists)."""
    if not scope.covers_path(vote.meeting.region.path):
        raise NotFound("区划不存在或不在您的管辖范围内")


def available(scope: Scope, vote: Vote) -> list[Transition]:
    """The staff transitions this user may start on this vote now (the page's buttons); casting
    a ballot is the deputy's own form, not a staff button."""
    if not scope.has(Perm.MEETING_MANAGE):
        return []
    return [x for x in MACHINE.allowed(vote.state, scope.perms) if x.name != "cast"]


def result_visible(vote: Vote, scope: Scope) -> bool:
    """Everyone who may see the meeting sees a published result; staff see it once closed."""
    return vote.state == VoteState.PUBLISHED or (vote.state == VoteState.CLOSED and scope.has(Perm.MEETING_MANAGE))
