"""Permission-matrix entries for 表决与票决: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from renda.core.scoping import Perm, system_scope
from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401
from tests.matrix_parts.meetings import planned_meeting

V = "vote"
R = (("pk", "vote_id"),)
ROUTES: dict[str, Route] = {
    "voting:receipt": Route(PUBLIC),
    "voting:detail": Route(Perm.MEETING_VIEW, V),
    "voting:live": Route(Perm.MEETING_MANAGE, V),
    "voting:ballot_docx": Route(Perm.MEETING_MANAGE, V),
    "voting:ballot_pdf": Route(Perm.MEETING_MANAGE, V),
    # The target vote is a draft: its result notice is refused with 409 until it is published.
    "voting:notice_docx": Route(Perm.MEETING_VIEW, V, inscope_status=409),
    "voting:notice_pdf": Route(Perm.MEETING_VIEW, V, inscope_status=409),
    # A draft vote: the deputy (entitled, not signed in) is refused with 409.
    "voting:cast": Route(Perm.VOTE_CAST, V, method="post", inscope_status=409),
    "voting:review": Route(Perm.VOTE_CAST, V, method="post", inscope_status=409),
    # Opening without a quorum: 409 for staff in scope.
    "voting:act": Route(Perm.MEETING_MANAGE, V, method="post", fixed=(("action", "open"),), inscope_status=409),
    # REST API
    "api:create_vote": Route(
        Perm.MEETING_MANAGE, "meeting", method="post", api=True, rename=(("pk", "meeting_id"),), body="vt_vote"
    ),
    "api:get_vote": Route(Perm.MEETING_VIEW, V, api=True, rename=R),
    "api:cast_vote": Route(Perm.VOTE_CAST, V, method="post", api=True, rename=R, body="vt_cast", inscope_status=409),
    "api:open_vote": Route(Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, inscope_status=409),
    "api:close_vote": Route(Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, inscope_status=409),
    # A draft vote cannot go over to paper: 409 for staff in scope.
    "api:vote_to_paper": Route(Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, inscope_status=409),
    "api:enter_paper": Route(
        Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, body="vt_paper", inscope_status=409
    ),
    # 复核 and 撤销 of a batch: the draft vote takes no paper, 409 before the batch is looked up.
    "api:check_paper": Route(
        Perm.MEETING_MANAGE,
        V,
        method="post",
        api=True,
        rename=R,
        fixed=(("batch_id", "1"),),
        body="vt_check",
        inscope_status=409,
    ),
    "api:withdraw_paper": Route(
        Perm.MEETING_MANAGE,
        V,
        method="post",
        api=True,
        rename=R,
        fixed=(("batch_id", "1"),),
        body="vt_withdraw",
        inscope_status=409,
    ),
    "api:publish_vote": Route(
        Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, body="vt_empty", inscope_status=409
    ),
    "api:runoff_vote": Route(
        Perm.MEETING_MANAGE, V, method="post", api=True, rename=R, body="vt_empty", inscope_status=409
    ),
    # Without a target the matrix posts no body: 400 (请求体应为有效的 JSON).
    "api:check_receipt": Route(PUBLIC, method="post", api=True, public_status=400),
}
BODIES: dict[str, BodyBuilder] = {
    "vt_vote": lambda kwargs, side: {
        "title": "关于政府工作报告的决议",
        "method": "yes_no",
        "options": [{"label": "关于政府工作报告的决议（草案）"}],
    },
    "vt_cast": lambda kwargs, side: {"choices": [1]},
    "vt_paper": lambda kwargs, side: {"ballots": 1, "counts": {}, "tellers": "张三"},
    "vt_check": lambda kwargs, side: {"ballots": 1, "counts": {}},
    "vt_withdraw": lambda kwargs, side: {"reason": "录错"},
    "vt_empty": lambda kwargs, side: {},
}


def draft_vote(path: str) -> tuple[str, dict[str, object]]:
    """A draft 差额 vote at a planned session of the township at ``path``."""
    from renda.meetings.models import Meeting
    from renda.voting import services

    region_path, kwargs = planned_meeting(path)
    meeting = Meeting.objects.select_related("region").get(pk=kwargs["pk"])
    vote = services.vote_create(
        scope=system_scope("权限矩阵"),
        meeting=meeting,
        title="票决民生实事项目",
        method="choose_n",
        seats=1,
        options=[services.OptionInput("甲"), services.OptionInput("乙")],
    )
    return region_path, {"pk": vote.pk}


TARGETS: dict[str, TargetBuilder] = {V: draft_vote}
