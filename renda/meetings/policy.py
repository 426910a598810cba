"""Who may do what to a meeting now, and who sees its attendance: one rule for the staff pages
and the API."""

from __future__ import annotations

from renda.core.errors import NotFound
from renda.core.scoping import Perm, Scope
from renda.core.states import Transition
from renda.meetings.models import Meeting
from renda.meetings.states import MACHINE


def authorize(scope: Scope, meeting: Meeting, transition: Transition) -> None:
    """Scope rule on the fresh, locked meeting (404: never say whether it exists)."""
    if not scope.covers_path(meeting.region.path):
        raise NotFound("区划不存在或不在您的管辖范围内")


def available(scope: Scope, meeting: Meeting) -> list[Transition]:
    """The transitions this user may start on this meeting now (the page's buttons)."""
    return MACHINE.allowed(meeting.state, scope.perms)


def can_see_attendance(scope: Scope) -> bool:
    """Who signed in, who is on leave and why: the meeting's staff (the sign-in console, the API's
    attendance list); a deputy sees only their own attendance."""
    return scope.has(Perm.MEETING_MANAGE)
