"""Permission-matrix entries for 代表建议: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from renda.core.scoping import ROLE_PERMS, Perm, Scope, system_scope
from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401

S = "suggestion"
ROUTES: dict[str, Route] = {
    # pages
    "suggestions:index": Route(Perm.SUGGESTION_VIEW),
    "suggestions:new": Route(Perm.SUGGESTION_DRAFT),
    "suggestions:cosigners": Route(Perm.SUGGESTION_DRAFT),
    "suggestions:board": Route(Perm.SUGGESTION_MANAGE),
    "suggestions:followups": Route(Perm.SUGGESTION_VIEW),
    "suggestions:stats": Route(Perm.SUGGESTION_VIEW),
    "suggestions:stats_export": Route(Perm.SUGGESTION_VIEW),
    "suggestions:assignments_export": Route(Perm.SUGGESTION_VIEW),
    "suggestions:compilation": Route(Perm.SUGGESTION_VIEW),
    "suggestions:windows": Route(Perm.SUGGESTION_MANAGE),
    "suggestions:window_delete": Route(
        Perm.SUGGESTION_MANAGE, method="post", fixed=(("pk", "999999"),), inscope_status=404
    ),
    "suggestions:public": Route(PUBLIC),
    "suggestions:detail": Route(Perm.SUGGESTION_VIEW, S),
    "suggestions:edit": Route(Perm.SUGGESTION_DRAFT, S),
    # POST without a note: reaches the service and is refused with 400.
    "suggestions:act": Route(Perm.SUGGESTION_MANAGE, S, method="post", fixed=(("action", "supervise"),)),
    "suggestions:notice": Route(Perm.SUGGESTION_VIEW, S),
    "suggestions:letter": Route(Perm.SUGGESTION_VIEW, S, fixed=(("answer_id", "999999"),), inscope_status=404),
    "suggestions:letter_preview": Route(Perm.SUGGESTION_HANDLE, S, method="post"),
    # REST API
    "api:list_suggestions": Route(Perm.SUGGESTION_VIEW, api=True),
    "api:get_suggestion": Route(Perm.SUGGESTION_VIEW, S, api=True, rename=(("pk", "suggestion_id"),)),
    "api:draft_suggestion": Route(
        Perm.SUGGESTION_DRAFT, "region", method="post", api=True, body="sugg_draft", rename=(("code", ""),)
    ),
    "api:suggestion_board": Route(Perm.SUGGESTION_MANAGE, api=True),
    "api:suggestion_stats": Route(Perm.SUGGESTION_VIEW, api=True),
    "api:suggestion_followups": Route(Perm.SUGGESTION_VIEW, api=True),
    "api:public_suggestion_answers": Route(PUBLIC, api=True),
    "api:submit_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),)
    ),
    "api:cosign_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_cosign"
    ),
    "api:withdraw_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_empty_reason"
    ),
    "api:consent_withdraw_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),)
    ),
    "api:rate_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_rating"
    ),
    "api:accept_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_empty"
    ),
    "api:return_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_empty_reason"
    ),
    "api:convert_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_empty_reason"
    ),
    "api:assign_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_assign"
    ),
    "api:mark_key_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_key"
    ),
    "api:supervise_suggestion": Route(
        Perm.SUGGESTION_MANAGE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_supervise"
    ),
    "api:object_suggestion": Route(
        Perm.SUGGESTION_HANDLE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_empty_reason"
    ),
    "api:co_opinion_suggestion": Route(
        Perm.SUGGESTION_HANDLE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_text"
    ),
    "api:contact_suggestion": Route(
        Perm.SUGGESTION_HANDLE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_contact"
    ),
    "api:answer_suggestion": Route(
        Perm.SUGGESTION_HANDLE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_answer_class"
    ),
    # The actions the suggestion's ``actions`` field advertised without a route of their own.
    "api:edit_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_edit"
    ),
    "api:invite_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_invite"
    ),
    "api:decline_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),)
    ),
    "api:publish_suggestion": Route(
        Perm.SUGGESTION_DRAFT, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_publish"
    ),
    "api:promise_done_suggestion": Route(
        Perm.SUGGESTION_HANDLE, S, method="post", api=True, rename=(("pk", "suggestion_id"),), body="sugg_note"
    ),
}


def _empty(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {}


def _empty_reason(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"reason": ""}  # refused by the service with 400 once the caller is allowed to reach it


def _draft(kwargs: dict[str, object], side: dict[str, tuple[str, dict[str, object]]]) -> dict[str, object]:
    """A draft to the township's congress; the content is too short, so an allowed deputy gets 400."""
    from renda.org.models import Body, BodyKind

    township = str(side["region"][0])[:9]
    body = Body.objects.get(region__path=township, kind=BodyKind.CONGRESS)
    return {"body": body.pk, "title": "矩阵测试", "content": "矩阵测试内容", "category": 1}


BODIES: dict[str, BodyBuilder] = {
    "sugg_empty": _empty,
    "sugg_draft": _draft,
    "sugg_empty_reason": _empty_reason,
    "sugg_cosign": lambda kwargs, side: {"accept": True},
    "sugg_rating": lambda kwargs, side: {"attitude": "satisfied", "result": "satisfied"},
    "sugg_assign": lambda kwargs, side: {"lead_unit": side["unit"][1]["pk"], "co_units": []},
    "sugg_key": lambda kwargs, side: {"is_key": True, "gov_leader": "", "congress_leader": ""},
    "sugg_supervise": lambda kwargs, side: {"kind": "supervise", "note": ""},
    "sugg_text": lambda kwargs, side: {"text": ""},
    "sugg_contact": lambda kwargs, side: {"contacted_on": "2020-01-01", "way": "phone", "note": "矩阵测试"},
    "sugg_answer_class": lambda kwargs, side: {"answer_class": "", "text": "矩阵测试答复内容。"},
    "sugg_edit": lambda kwargs, side: {"title": "矩阵测试", "content": "矩阵测试内容", "category": 1},
    "sugg_invite": lambda kwargs, side: {"cosigners": []},
    "sugg_publish": lambda kwargs, side: {"publish": "1"},
    "sugg_note": lambda kwargs, side: {"note": ""},
}


def _assigned_suggestion(path: str) -> tuple[str, dict[str, object]]:
    """A suggestion of the township's congress led by a deputy of it (in 白鹭镇: the demo deputy),
    accepted and assigned to its 规划建设办 (in 白鹭镇: the demo clerk's unit)."""
    from renda.accounts.models import RoleAssignment
    from renda.org.models import Body, BodyKind, Category, CongressLevel, Deputy, HandlingUnit
    from renda.suggestions import services

    body = Body.objects.select_related("region").get(region__path=path, kind=BodyKind.CONGRESS)
    demo = RoleAssignment.objects.filter(user__username="deputy").values_list("deputy_id", flat=True).first()
    deputy = (
        Deputy.objects.filter(pk=demo, region__path__startswith=path).first()
        or Deputy.objects.filter(region__path__startswith=path, mandates__level=CongressLevel.TOWNSHIP)
        .order_by("id")
        .first()
    )
    unit = HandlingUnit.objects.get(region__path=path, name__endswith="规划建设办")
    assert deputy is not None
    as_deputy = Scope(
        user_id=None, system_label="权限矩阵", roots=[path], perms=set(ROLE_PERMS["deputy"]), deputy_ids={deputy.pk}
    )
    s = services.suggestion_draft(
        scope=as_deputy,
        data=services.DraftInput(
            body=body, title="权限矩阵测试建议", content="权限矩阵测试：村道路灯不足的建议内容。",
            category=Category.objects.get(name="路灯"),
        ),
    )  # fmt: skip
    s = services.suggestion_submit(scope=as_deputy, suggestion=s)
    system = system_scope("权限矩阵")
    s = services.suggestion_accept(scope=system, suggestion=s)
    s = services.suggestion_assign(scope=system, suggestion=s, lead_unit=unit)
    return s.region.path, {"pk": s.pk}


TARGETS: dict[str, TargetBuilder] = {"suggestion": _assigned_suggestion}
