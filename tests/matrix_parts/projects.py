"""Permission-matrix entries for 民生实事: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from renda.core.scoping import Perm, system_scope
from renda.projects import services
from renda.regions.models import Region
from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401


def _township(path: str) -> Region:
    return Region.objects.get(path=path)


def _proposal(path: str) -> tuple[str, dict[str, object]]:
    township = _township(path)
    proposal, _ = services.proposal_submit(
        data=services.ProposalInput(
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
}
BODIES: dict[str, BodyBuilder] = {}
TARGETS: dict[str, TargetBuilder] = {
    "project_proposal": _proposal,
    "project_list": _list,
    "project": _project,
    "project_township": _public_township,
}
