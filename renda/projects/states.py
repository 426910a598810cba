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

from renda.core.scoping import Perm
from renda.core.states import Machine, t
from renda.projects.models import ListState, ProjectState, ProposalState

LABELS: dict[str, str] = {
    **{f"proposal:{k}": v for k, v in ProposalState.choices},
    **{f"list:{k}": v for k, v in ListState.choices},
    **{f"project:{k}": v for k, v in ProjectState.choices},
}


def state_label(entity: str, state: str) -> str:
    return LABELS.get(f"{entity}:{state}", state)


P, L, J = ProposalState, ListState, ProjectState
MACHINE = Machine(
    [
        t("submit", "提出项目建议", [], [P.SUBMITTED], None, entity="proposal"),
        t("enter", "录入项目建议", [], [P.SUBMITTED], Perm.PROJECT_PROPOSE, entity="proposal"),
        t("accept", "拟列入候选", [P.SUBMITTED, P.REJECTED], [P.ACCEPTED], Perm.PROJECT_MANAGE, entity="proposal"),
        t("reject", "不予列入", [P.SUBMITTED, P.ACCEPTED], [P.REJECTED], Perm.PROJECT_MANAGE, entity="proposal"),
        t(
            "merge",
            "合并重复建议",
            [P.SUBMITTED, P.ACCEPTED, P.REJECTED],
            [P.MERGED],
            Perm.PROJECT_MANAGE,
            entity="proposal",
        ),
        t("list", "列入候选项目", [P.ACCEPTED, P.SUBMITTED], [P.LISTED], Perm.PROJECT_MANAGE, entity="proposal"),
        # Removing a candidate puts its proposals back (不再列入): the list's edit, not a button.
        t("unlist", "移出候选项目", [P.LISTED], [P.ACCEPTED], None, entity="proposal"),
        t("create", "拟定候选项目清单", [], [L.DRAFT], Perm.PROJECT_MANAGE, entity="list"),
        t("edit", "修改候选项目", [L.DRAFT], [], Perm.PROJECT_MANAGE, entity="list"),
        t("fix", "主席团确定候选项目", [L.DRAFT], [L.FIXED], Perm.PROJECT_MANAGE, entity="list"),
        t("reopen", "退回修改", [L.FIXED], [L.DRAFT], Perm.PROJECT_MANAGE, entity="list"),
        t("put_to_vote", "提交大会票决", [L.FIXED], [L.VOTING], Perm.PROJECT_MANAGE, entity="list"),
        t("decide", "票决结果生效", [L.VOTING], [L.DECIDED], None, entity="list"),
        t("plan", "制定实施计划", [J.ELECTED, J.IN_PROGRESS], [J.IN_PROGRESS], Perm.PROJECT_REPORT, entity="project"),
        # Below 100% the project stays in progress; at 100% it is completed.
        t("report", "报告进展", [J.IN_PROGRESS], [J.COMPLETED], Perm.PROJECT_REPORT, entity="project"),
        t(
            "open_rating",
            "组织满意度测评",
            [J.IN_PROGRESS, J.COMPLETED, J.RECTIFIED],
            [J.RATING],
            Perm.PROJECT_MANAGE,
            entity="project",
        ),
        t("rate", "代表测评", [J.RATING], [], Perm.PROJECT_RATE, entity="project"),
        t(
            "close_rating",
            "结束测评",
            [J.RATING],
            [J.ACCEPTED, J.RECTIFYING],
            Perm.PROJECT_MANAGE,
            entity="project",
        ),
        t("rectify_report", "报告整改情况", [J.RECTIFYING], [J.RECTIFIED], Perm.PROJECT_REPORT, entity="project"),
        # The sweep's mark (进度滞后 / 已赶上): any state, the flag only.
        t("flag_behind", "标记进度滞后", list(J.values), [], None, entity="project"),
    ],
    state_label=lambda state: state,
    entity_state_label=state_label,
)
