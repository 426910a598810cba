"""Permission-matrix entries for 人代会与会议: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

import datetime as dt

from renda.core.scoping import Perm, system_scope
from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401

M = "meeting"
ROUTES: dict[str, Route] = {
    "meetings:index": Route(Perm.MEETING_VIEW),
    "meetings:create": Route(Perm.MEETING_MANAGE),
    "meetings:detail": Route(Perm.MEETING_VIEW, M),
    "meetings:signin": Route(Perm.MEETING_MANAGE, M),
    "meetings:live": Route(Perm.MEETING_MANAGE, M),
    "meetings:qr": Route(Perm.MEETING_MANAGE, M),
    "meetings:signin_sheet_docx": Route(Perm.MEETING_MANAGE, M),
    "meetings:signin_sheet_pdf": Route(Perm.MEETING_MANAGE, M),
    # A stale code: the deputy's confirmation page still shows (the POST is what checks the code).
    "meetings:checkin": Route(Perm.VOTE_CAST, M, fixed=(("token", "0123456789abcdef"),)),
    # Opening a planned meeting: 302 for staff in scope.
    "meetings:act": Route(Perm.MEETING_MANAGE, M, method="post", fixed=(("action", "open"),)),
    "meetings:document": Route(Perm.MEETING_VIEW, M, fixed=(("doc_id", "999999"),), inscope_status=404),
    "meetings:vote_new": Route(Perm.MEETING_MANAGE, M),
    # REST API
    "api:list_meetings": Route(Perm.MEETING_VIEW, api=True),
    "api:get_meeting": Route(Perm.MEETING_VIEW, M, api=True, rename=(("pk", "meeting_id"),)),
    "api:get_attendance": Route(Perm.MEETING_MANAGE, M, api=True, rename=(("pk", "meeting_id"),)),
    "api:check_in": Route(
        Perm.VOTE_CAST,
        M,
        method="post",
        api=True,
        rename=(("pk", "meeting_id"),),
        body="mt_checkin",
        inscope_status=400,
    ),
    # No deputy with this id is entitled: an allowed, in-scope request reaches the lookup and gets 404.
    "api:sign_in": Route(
        Perm.MEETING_MANAGE,
        M,
        method="post",
        api=True,
        rename=(("pk", "meeting_id"),),
        fixed=(("deputy_id", "999999"),),
        inscope_status=404,
    ),
    "api:leave": Route(
        Perm.MEETING_MANAGE,
        M,
        method="post",
        api=True,
        rename=(("pk", "meeting_id"),),
        fixed=(("deputy_id", "999999"),),
        body="mt_leave",
        inscope_status=404,
    ),
    "api:open_meeting": Route(Perm.MEETING_MANAGE, M, method="post", api=True, rename=(("pk", "meeting_id"),)),
    "api:close_meeting": Route(
        Perm.MEETING_MANAGE, M, method="post", api=True, rename=(("pk", "meeting_id"),), inscope_status=409
    ),
    # Convening names the body in the JSON: one of another township answers 404.
    "api:create_meeting": Route(
        Perm.MEETING_MANAGE, "meeting_body", method="post", api=True, rename=(("body", ""),), body="mt_create"
    ),
    "api:edit_meeting": Route(
        Perm.MEETING_MANAGE, M, method="patch", api=True, rename=(("pk", "meeting_id"),), body="mt_edit"
    ),
    # No deputy with this id: an allowed, in-scope request is refused with 400.
    "api:set_attendees": Route(
        Perm.MEETING_MANAGE,
        M,
        method="put",
        api=True,
        rename=(("pk", "meeting_id"),),
        body="mt_attendees",
        inscope_status=400,
    ),
    "api:add_agenda_item": Route(
        Perm.MEETING_MANAGE, M, method="post", api=True, rename=(("pk", "meeting_id"),), body="mt_agenda"
    ),
    # No agenda item with this id in the meeting: 404 once allowed and in scope.
    "api:edit_agenda_item": Route(
        Perm.MEETING_MANAGE,
        M,
        method="patch",
        api=True,
        rename=(("pk", "meeting_id"),),
        fixed=(("item_id", "999999"),),
        body="mt_agenda",
        inscope_status=404,
    ),
    "api:remove_agenda_item": Route(
        Perm.MEETING_MANAGE,
        M,
        method="delete",
        api=True,
        rename=(("pk", "meeting_id"),),
        fixed=(("item_id", "999999"),),
        inscope_status=404,
    ),
}
BODIES: dict[str, BodyBuilder] = {
    "mt_checkin": lambda kwargs, side: {"token": "0123456789abcdef"},
    "mt_leave": lambda kwargs, side: {"reason": "外出学习"},
    "mt_create": lambda kwargs, side: {"body": kwargs["body"], "start_date": "2026-12-30"},
    "mt_edit": lambda kwargs, side: {"venue": "权限矩阵会场"},
    "mt_attendees": lambda kwargs, side: {"deputies": [999999999]},
    "mt_agenda": lambda kwargs, side: {"title": "权限矩阵议题"},
}


def planned_meeting(path: str) -> tuple[str, dict[str, object]]:
    """A planned 人代会 of the township at ``path``, every deputy of its congress entitled (so the
    demo deputy is, in 白鹭镇)."""
    from renda.meetings import services
    from renda.org.models import Body, BodyKind

    body = Body.objects.select_related("region").get(region__path=path, kind=BodyKind.CONGRESS)
    meeting = services.meeting_create(scope=system_scope("权限矩阵"), body=body, start_date=dt.date(2026, 12, 20))
    return body.region.path, {"pk": meeting.pk}


def meeting_body(path: str) -> tuple[str, dict[str, object]]:
    """The congress of the township at ``path``, to convene a session of."""
    from renda.org.models import Body, BodyKind

    body = Body.objects.select_related("region").get(region__path=path, kind=BodyKind.CONGRESS)
    return body.region.path, {"body": body.pk}


TARGETS: dict[str, TargetBuilder] = {M: planned_meeting, "meeting_body": meeting_body}
