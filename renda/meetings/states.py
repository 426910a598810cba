"""Every transition of a meeting (会议), in one table (data only: core/states.py is the machine).

planned ──open (开幕)──▶ in_session ──close (闭会)──▶ closed
   └── sign_in / leave / edit ──┘        (absentees without leave recorded as 缺席)

``edit``, ``agenda``, ``document``, ``sign_in``, ``check_in``, ``leave`` and ``add_vote`` keep the state (no targets).
"""

from __future__ import annotations

from renda.core.scoping import Perm
from renda.core.states import Machine, t
from renda.meetings.models import MeetingState

S = MeetingState
ACTIVE: list[str] = [S.PLANNED, S.IN_SESSION]

MACHINE = Machine(
    [
        t("edit", "修改会议安排", [S.PLANNED], [], Perm.MEETING_MANAGE),
        t("agenda", "调整议程和会议文件", ACTIVE, [], Perm.MEETING_MANAGE),
        t("document", "调整议程和会议文件", ACTIVE, [], Perm.MEETING_MANAGE),
        t("open", "宣布开会", [S.PLANNED], [S.IN_SESSION], Perm.MEETING_MANAGE),
        t("sign_in", "签到", ACTIVE, [], Perm.MEETING_MANAGE),
        t("check_in", "扫码签到", ACTIVE, [], Perm.VOTE_CAST),
        t("leave", "登记请假", ACTIVE, [], Perm.MEETING_MANAGE),
        t("add_vote", "提交表决", ACTIVE, [], Perm.MEETING_MANAGE),
        t("close", "宣布闭会", [S.IN_SESSION], [S.CLOSED], Perm.MEETING_MANAGE),
    ],
    state_label=lambda state: MeetingState(state).label,
    subject="会议",
)
