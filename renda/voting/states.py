"""Every transition of a vote (表决事项), in one table (data only: core/states.py is the machine).

    draft ──open (quorum present)──▶ open ──close──▶ closed ──publish──▶ published
      │                               │ cast (deputy, phone)     │          │
      └──paper (totals by tellers)────┴──────────────────────────┘          └──runoff──▶ a new draft round
                                                                                (seats left unfilled)

A closed or published vote never changes: ballots are refused after close, paper totals after
publication, and the tally is frozen on the options. ``cast``, ``paper`` and ``runoff`` keep the
vote's state (a runoff is a new vote, created in draft); so does ``to_paper``, which voids the
few phone ballots cast so far when they could not be published merged with paper ones.
"""

from __future__ import annotations

from renda.core.scoping import Perm
from renda.core.states import Machine, t
from renda.voting.models import VoteState

S = VoteState

MACHINE = Machine(
    [
        t("open", "开始表决", [S.DRAFT], [S.OPEN], Perm.MEETING_MANAGE),
        # The deputy's own ballot (voting/services.vote_cast), never a staff button.
        t("cast", "投票", [S.OPEN], [], Perm.VOTE_CAST),
        # Paper ballots are counted and entered before 截止投票: once the box is closed no ballot,
        # of either kind, joins the count (the tellers' last batch goes in before the close).
        t("paper", "录入纸质选票计票结果", [S.OPEN], [], Perm.MEETING_MANAGE),
        # 复核: a second member of staff enters the same sheet; 撤销: a batch entered wrongly.
        t("paper_check", "复核纸质选票计票结果", [S.OPEN], [], Perm.MEETING_MANAGE),
        t("paper_withdraw", "撤销一批纸质选票计票结果", [S.OPEN], [], Perm.MEETING_MANAGE),
        t("close", "截止投票", [S.OPEN], [S.CLOSED], Perm.MEETING_MANAGE),
        # Too few phone ballots to publish merged with paper: void them, the vote goes on on paper.
        t("to_paper", "改为纸质票表决", [S.OPEN], [], Perm.MEETING_MANAGE),
        t("publish", "公布结果", [S.CLOSED], [S.PUBLISHED], Perm.MEETING_MANAGE),
        t("runoff", "另行表决", [S.PUBLISHED], [], Perm.MEETING_MANAGE),
    ],
    state_label=lambda state: VoteState(state).label,
    subject="表决",
)
