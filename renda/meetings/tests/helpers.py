"""Set-up for meeting and voting tests, through the services (also used by renda/voting/tests)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from renda.accounts.models import RoleAssignment, User
from renda.accounts.services import role_grant, user_create
from renda.core.scoping import Scope, scope_for_user, system_scope
from renda.meetings import services as meetings
from renda.meetings.models import Meeting
from renda.meetings.selectors import deputy_pool
from renda.org.models import Body, BodyKind, Deputy
from renda.regions.models import Region


def demo_town() -> Region:
    """The demo township staff user's township (白鹭镇 in the demo county)."""
    region = RoleAssignment.objects.select_related("region").get(user__username="township").region
    assert region is not None
    return region


def congress_of(region: Region) -> Body:
    return Body.objects.get(region=region, kind=BodyKind.CONGRESS)


def deputy_user(deputy: Deputy) -> User:
    """A login for ``deputy`` (the demo has one; tests make the others)."""
    existing = RoleAssignment.objects.filter(deputy=deputy).select_related("user").first()
    if existing is not None:
        return existing.user
    system = system_scope("测试")
    user = user_create(
        scope=system,
        username=f"d{deputy.pk}",
        password="Renda@2026demo",
        display_name=deputy.name,
        check_password=False,
    )
    role_grant(scope=system, user=user, role="deputy", deputy=deputy)
    return user


def deputy_scope(deputy: Deputy) -> Scope:
    user = deputy_user(deputy)
    if hasattr(user, "_renda_scope"):
        del user._renda_scope
    return scope_for_user(user)


def session_with(
    staff: Scope, *, entitled: int = 6, present: int = 0, open_meeting: bool = True, region: Region | None = None
) -> tuple[Meeting, list[Deputy]]:
    """A 人代会 of the demo township with ``entitled`` deputies, ``present`` of them signed in."""
    body = congress_of(region or demo_town())
    deputies = list(deputy_pool(body).order_by("id")[:entitled])
    meeting = meetings.meeting_create(
        scope=staff,
        body=body,
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(days=1),
        deputies=deputies,
        agenda=["听取和审议政府工作报告", "票决民生实事项目"],
    )
    if open_meeting:
        meeting = meetings.meeting_open(scope=staff, meeting=meeting)
    for deputy in deputies[:present]:
        meetings.attendee_sign_in(scope=staff, meeting=meeting, deputy=deputy)
    meeting.refresh_from_db()
    return meeting, deputies
