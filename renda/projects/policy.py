"""Who may do what to a proposal, a candidate list or a project now, and who sees the citizen
behind a proposal: one rule for the staff pages, the API and the services."""

from __future__ import annotations

from renda.core.errors import NotFound, PermissionDenied
from renda.core.scoping import Perm, Scope
from renda.core.states import Transition
from renda.projects.models import CandidateList, Project, ProjectState, Proposal
from renda.projects.states import MACHINE

# The lead unit's transitions are its own: only the unit responsible for the project takes them.
UNIT_PERM = Perm.PROJECT_REPORT
# Proposal transitions that are no button on its page (the citizen's, the entry form's, the list's).
NOT_BUTTONS = frozenset({"submit", "enter", "list"})


def can_see_person(scope: Scope) -> bool:
    """A proposer's name and phone are shown in clear to holders of personal-data rights only."""
    return scope.has(Perm.PERSONAL_DATA)


def can_see_figures(scope: Scope, project: Project) -> bool:
    """A rating round's figures: staff who organise it see them at once, everyone else once the
    round is closed (so no deputy rates by the running count)."""
    return scope.has(Perm.PROJECT_MANAGE) or project.state != ProjectState.RATING


def authorize_proposal(scope: Scope, proposal: Proposal, transition: Transition) -> None:
    """Scope rule on the fresh, locked proposal (404: never say whether it exists)."""
    if not scope.covers_path(proposal.region.path):
        raise NotFound("项目建议不存在或不在您的管辖范围内")


def authorize_list(scope: Scope, candidate_list: CandidateList, transition: Transition) -> None:
    if not scope.covers_path(candidate_list.region.path):
        raise NotFound("候选项目清单不存在或不在您的管辖范围内")


def authorize_project(scope: Scope, project: Project, transition: Transition) -> None:
    if not scope.covers_path(project.region.path):
        raise NotFound("项目不存在或不在您的管辖范围内")


def require_lead_unit(scope: Scope, project: Project, transition: Transition) -> None:
    """A lead unit's transition, on a project in a state that allows it: 403 for another unit."""
    if project.lead_unit_id not in scope.unit_ids:
        raise PermissionDenied(f"只有责任单位（{project.lead_unit.name}）可以{transition.label}")


def proposal_actions(scope: Scope, proposal: Proposal) -> set[str]:
    """The buttons on a proposal's page."""
    return {x.name for x in MACHINE.allowed(proposal.state, scope.perms, entity="proposal")} - NOT_BUTTONS


def list_actions(scope: Scope, candidate_list: CandidateList) -> set[str]:
    """The buttons on a candidate list's page."""
    return {x.name for x in MACHINE.allowed(candidate_list.state, scope.perms, entity="list")}


def project_actions(scope: Scope, project: Project, *, rated: bool) -> set[str]:
    """The buttons on a project's page: the lead unit's only for that unit; 测评 for a deputy who
    has not rated this round (``rated``)."""
    actions = {
        x.name
        for x in MACHINE.allowed(project.state, scope.perms, entity="project")
        if x.perm != UNIT_PERM or project.lead_unit_id in scope.unit_ids
    }
    if "rate" in actions and (rated or not scope.deputy_ids):
        actions.discard("rate")
    return actions
