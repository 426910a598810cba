"""Every transition of 民生实事, in one table: proposals (群众点单), the candidate list and its
candidates (代表定单), and the projects (政府买单、人大验单).

Proposal      submitted ──accept──▶ accepted ──list (added to a candidate)──▶ listed
                  │  ├──reject──▶ rejected            (accepted/rejected can be re-screened)
                  │  └──merge──▶ merged
CandidateList draft ──fix (差额 checked)──▶ fixed ──put_to_vote──▶ voting ──decide (vote_decided)──▶ decided
                  ▲──────────reopen──────────┘
Project       elected ──plan──▶ in_progress ──report (100%)──▶ completed
                                  │ report                        │
                                  └────────open_rating────────────┴──▶ rating ──rate (deputies)
              rating ──close_rating (≥ threshold)──▶ accepted
                     └─close_rating (< threshold)──▶ rectifying ──rectify_report──▶ rectified
              rectified ──open_rating (回头看)──▶ rating
"""

from __future__ import annotations

from dataclasses import dataclass

from renda.core.errors import Conflict
from renda.core.scoping import Perm
from renda.projects.models import ListState, ProjectState, ProposalState

LABELS: dict[str, str] = {
    **{f"proposal:{k}": v for k, v in ProposalState.choices},
    **{f"list:{k}": v for k, v in ListState.choices},
    **{f"project:{k}": v for k, v in ProjectState.choices},
}


@dataclass(frozen=True)
class Transition:
    name: str  # "<entity>.<verb>", also the audit action
    label: str
    sources: frozenset[str]
    perm: str | None  # None: a citizen (rate-limited, no account) or the system (the vote's result)


def t(name: str, label: str, sources: list[str], perm: str | None) -> Transition:
    return Transition(name, label, frozenset(sources), perm)


P, L, J = ProposalState, ListState, ProjectState
TRANSITIONS: dict[str, Transition] = {
    x.name: x
    for x in [
        t("proposal.submit", "提出项目建议", [], None),
        t("proposal.enter", "录入项目建议", [], Perm.PROJECT_PROPOSE),
        t("proposal.accept", "拟列入候选", [P.SUBMITTED, P.REJECTED], Perm.PROJECT_MANAGE),
        t("proposal.reject", "不予列入", [P.SUBMITTED, P.ACCEPTED], Perm.PROJECT_MANAGE),
        t("proposal.merge", "合并重复建议", [P.SUBMITTED, P.ACCEPTED, P.REJECTED], Perm.PROJECT_MANAGE),
        t("proposal.list", "列入候选项目", [P.ACCEPTED, P.SUBMITTED], Perm.PROJECT_MANAGE),
        t("list.create", "拟定候选项目清单", [], Perm.PROJECT_MANAGE),
        t("list.edit", "修改候选项目", [L.DRAFT], Perm.PROJECT_MANAGE),
        t("list.fix", "主席团确定候选项目", [L.DRAFT], Perm.PROJECT_MANAGE),
        t("list.reopen", "退回修改", [L.FIXED], Perm.PROJECT_MANAGE),
        t("list.put_to_vote", "提交大会票决", [L.FIXED], Perm.PROJECT_MANAGE),
        t("list.decide", "票决结果生效", [L.VOTING], None),
        t("project.plan", "制定实施计划", [J.ELECTED, J.IN_PROGRESS], Perm.PROJECT_REPORT),
        t("project.report", "报告进展", [J.IN_PROGRESS], Perm.PROJECT_REPORT),
        t("project.open_rating", "组织满意度测评", [J.IN_PROGRESS, J.COMPLETED, J.RECTIFIED], Perm.PROJECT_MANAGE),
        t("project.rate", "代表测评", [J.RATING], Perm.PROJECT_RATE),
        t("project.close_rating", "结束测评", [J.RATING], Perm.PROJECT_MANAGE),
        t("project.rectify_report", "报告整改情况", [J.RECTIFYING], Perm.PROJECT_REPORT),
    ]
}


def state_label(entity: str, state: str) -> str:
    return LABELS.get(f"{entity}:{state}", state)


def check(name: str, state: str) -> Transition:
    """The transition, or Conflict (in Chinese) when the record's state does not allow it."""
    transition = TRANSITIONS[name]
    if state not in transition.sources:
        entity = name.split(".", 1)[0]
        raise Conflict(f"当前状态为“{state_label(entity, state)}”，不能{transition.label}")
    return transition


def allowed(entity: str, state: str, perms: set[str]) -> set[str]:
    """The verbs a user holding ``perms`` may use now on a record (for the buttons on its page)."""
    return {
        x.name.split(".", 1)[1]
        for x in TRANSITIONS.values()
        if x.name.startswith(entity + ".") and state in x.sources and x.perm is not None and x.perm in perms
    }
