"""Permission-matrix entries for 民生实事: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from renda.core.scoping import Perm, system_scope
from renda.projects import proposals
from renda.regions.models import Region
from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401


def _township(path: str) -> Region:
    return Region.objects.get(path=path)


def _proposal(path: str) -> tuple[str, dict[str, object]]:
    township = _township(path)
    proposal, _ = proposals.proposal_submit(
        data=proposals.ProposalInput(
            title="矩阵测试：村道路灯", text="矩阵测试：村道没有路灯，希望安装。", region=township
        )
    )
    return township.path, {"pk": proposal.pk}


def _list(path: str) -> tuple[str, dict[str, object]]:
    from renda.projects.tests.helpers import make_list

    c = make_list(system_scope("权限矩阵"), _township(path), seats=2, n=3)
    return c.region.path, {"pk": c.pk}


def _project(path: str) -> tuple[str, dict[str, object]]:
    """An elected project led by the township's 规划建设办 (in 白鹭镇: the demo clerk's unit)."""
    from renda.projects.tests.helpers import elect, make_list

    scope = system_scope("权限矩阵")
    c = make_list(scope, _township(path), seats=2, n=3)
    project = elect(scope, c)[0]
    return project.region.path, {"pk": project.pk}


def _public_township(path: str) -> tuple[str, dict[str, object]]:
    return path, {"code": _township(path).code}


ROUTES: dict[str, Route] = {
    "projects:index": Route(Perm.PROJECT_VIEW),
    "projects:proposals": Route(Perm.PROJECT_VIEW),
    "projects:proposal_new": Route(Perm.PROJECT_PROPOSE),
    "projects:proposal": Route(Perm.PROJECT_VIEW, "project_proposal"),
    # No reason given: an allowed, in-scope request reaches the service and is refused with 400.
    "projects:proposal_act": Route(
        Perm.PROJECT_MANAGE, "project_proposal", method="post", fixed=(("action", "accept"),)
    ),
    "projects:list_new": Route(Perm.PROJECT_MANAGE, method="post"),
    "projects:list": Route(Perm.PROJECT_VIEW, "project_list"),
    "projects:list_act": Route(Perm.PROJECT_MANAGE, "project_list", method="post", fixed=(("action", "fix"),)),
    "projects:projects": Route(Perm.PROJECT_VIEW),
    # Without ?region= the report cannot be made: 400 once the permission is checked.
    "projects:midyear_docx": Route(Perm.PROJECT_VIEW, inscope_status=400),
    "projects:midyear_xlsx": Route(Perm.PROJECT_VIEW, inscope_status=400),
    "projects:project": Route(Perm.PROJECT_VIEW, "project"),
    # Reporting progress is for the lead unit's clerk; empty input answers 400 for them.
    "projects:project_act": Route(Perm.PROJECT_REPORT, "project", method="post", fixed=(("action", "report"),)),
    # Citizens (no login)
    "projects:public_index": Route(PUBLIC),
    "projects:public_township": Route(PUBLIC, "project_township"),
    "projects:public_propose": Route(PUBLIC, "project_township"),
    "projects:public_photo": Route(PUBLIC, fixed=(("photo_id", "999999"),), public_status=404),
    # A proposal not remembered in this browser session sends the visitor to the index.
    "projects:public_proposed": Route(PUBLIC, fixed=(("code", "PNOSUCH"),), public_status=302),
    # REST API. Writes are sent without a body: an allowed, in-scope caller reaches the handler (422/409).
    "api:list_proposals": Route(Perm.PROJECT_VIEW, api=True),
    "api:enter_proposal": Route(
        Perm.PROJECT_PROPOSE, "project_township", method="post", api=True, body="proposal", rename=(("code", ""),)
    ),
    "api:get_proposal": Route(Perm.PROJECT_VIEW, "project_proposal", api=True, rename=(("pk", "proposal_id"),)),
    "api:screen_proposal": Route(
        Perm.PROJECT_MANAGE, "project_proposal", method="post", api=True, rename=(("pk", "proposal_id"),), body="screen"
    ),
    "api:merge_proposal": Route(
        Perm.PROJECT_MANAGE,
        "project_proposal",
        method="post",
        api=True,
        rename=(("pk", "proposal_id"),),
        body="project_merge",
    ),
    "api:list_lists": Route(Perm.PROJECT_VIEW, api=True),
    "api:get_list": Route(Perm.PROJECT_VIEW, "project_list", api=True, rename=(("pk", "list_id"),)),
    "api:create_list": Route(
        Perm.PROJECT_MANAGE, "project_township", method="post", api=True, body="list", rename=(("code", ""),)
    ),
    "api:add_candidate": Route(
        Perm.PROJECT_MANAGE, "project_list", method="post", api=True, rename=(("pk", "list_id"),), body="candidate"
    ),
    "api:fix_list": Route(
        Perm.PROJECT_MANAGE, "project_list", method="post", api=True, rename=(("pk", "list_id"),), body="empty"
    ),
    "api:put_list_to_vote": Route(
        Perm.PROJECT_MANAGE, "project_list", method="post", api=True, rename=(("pk", "list_id"),), body="vote"
    ),
    "api:list_projects": Route(Perm.PROJECT_VIEW, api=True),
    "api:get_project": Route(Perm.PROJECT_VIEW, "project", api=True, rename=(("pk", "project_id"),)),
    "api:get_ratings": Route(Perm.PROJECT_VIEW, "project", api=True, rename=(("pk", "project_id"),)),
    "api:plan_project": Route(
        Perm.PROJECT_REPORT, "project", method="post", api=True, rename=(("pk", "project_id"),), body="plan"
    ),
    "api:report_progress": Route(
        Perm.PROJECT_REPORT, "project", method="post", api=True, rename=(("pk", "project_id"),), body="project_progress"
    ),
    "api:report_rectification": Route(
        Perm.PROJECT_REPORT, "project", method="post", api=True, rename=(("pk", "project_id"),), body="rectify"
    ),
    "api:rate_project": Route(
        Perm.PROJECT_RATE, "project", method="post", api=True, rename=(("pk", "project_id"),), body="project_rate"
    ),
    "api:open_rating": Route(Perm.PROJECT_MANAGE, "project", method="post", api=True, rename=(("pk", "project_id"),)),
    "api:close_rating": Route(
        Perm.PROJECT_MANAGE, "project", method="post", api=True, rename=(("pk", "project_id"),), body="empty"
    ),
    "api:public_projects": Route(PUBLIC, "project_township", api=True),
    # No Idempotency-Key, which citizens must send: 422 shows the handler was reached.
    "api:public_submit_proposal": Route(
        PUBLIC, "project_township", method="post", api=True, public_status=422, body="public"
    ),
}
BODIES: dict[str, BodyBuilder] = {
    "empty": lambda kwargs, side: {},
    "screen": lambda kwargs, side: {"decision": "accept", "reason": "矩阵测试"},
    "project_merge": lambda kwargs, side: {"into": "PNOSUCH", "reason": "矩阵测试"},  # no such proposal: 400
    "candidate": lambda kwargs, side: {"name": "矩阵测试", "content": "矩阵测试", "budget": "1", "lead_unit": 0},
    "vote": lambda kwargs, side: {"meeting": 0},  # no such meeting: 400
    "plan": lambda kwargs, side: {
        "budget": "1",
        "plan_text": "矩阵测试",
        "completion_date": "2001-01-01",  # too early: 400
        "milestones": [{"title": "矩阵测试", "due_date": "2001-01-01", "weight": 100}],
    },
    "project_progress": lambda kwargs, side: {"percent": 10, "text": "矩阵测试进展"},  # not planned yet: 409
    "rectify": lambda kwargs, side: {"text": "矩阵测试整改情况报告"},  # not in rectification: 409
    "project_rate": lambda kwargs, side: {"grade": "satisfied"},  # no rating open: 409
    "public": lambda kwargs, side: {"title": "矩阵测试路灯", "text": "矩阵测试：村道没有路灯。"},
    "proposal": lambda kwargs, side: {
        "title": "矩阵测试路灯",
        "text": "矩阵测试：村道没有路灯。",
        "region": kwargs["code"],
    },
    "list": lambda kwargs, side: {"region": kwargs["code"], "year": 2031, "seats": 1, "method": "choose_n"},
}
TARGETS: dict[str, TargetBuilder] = {
    "project_proposal": _proposal,
    "project_list": _list,
    "project": _project,
    "project_township": _public_township,
}
