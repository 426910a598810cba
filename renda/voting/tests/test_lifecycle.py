"""Voting: every transition and every refusal, through the services; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renda.core.models import RuleSetting
from renda.core.rules import rule_changed
from renda.demo.meetings import check_paper
from renda.meetings import services as meetings
from renda.meetings.selectors import deputy_pool
from renda.meetings.tests.helpers import deputy_scope, session_with
from renda.voting import selectors, services
from renda.voting.models import Ballot, PaperBatch, Participation, SealedBallot, Vote, VoteMethod, VoteState
from renda.voting.services import OptionInput
from renda.voting.signals import vote_decided

pytestmark = pytest.mark.django_db


def cast(vote: Vote, deputy: Any, choices: object) -> services.CastReceipt:
    return services.vote_cast(scope=deputy_scope(deputy), vote=vote, choices=choices)


def outcomes(vote: Vote) -> dict[str, str]:
    return {o.label: o.outcome for o in vote.options.order_by("position")}


def counts(vote: Vote) -> dict[str, int]:
    return {o.label: o.count_yes for o in vote.options.order_by("position")}


@pytest.fixture
def decided() -> Any:
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({k: v for k, v in kwargs.items() if k != "signal"})

    vote_decided.connect(receiver, dispatch_uid="test-receiver")
    yield received
    vote_decided.disconnect(dispatch_uid="test-receiver")


# ---------------------------------------------------------------- create


def test_create_validates_methods_seats_and_options(staff):
    meeting, _ = session_with(staff, entitled=3)
    before = Vote.objects.count()
    opts = [OptionInput("甲", "r:1"), OptionInput("乙", "r:2")]
    for kwargs, message in [
        ({"method": VoteMethod.CHOOSE_N, "seats": None, "options": opts}, "应选名额"),
        ({"method": VoteMethod.CHOOSE_N, "seats": 2, "options": opts}, "候选项应多于应选名额"),
        ({"method": VoteMethod.CHOOSE_N, "seats": 0, "options": opts}, "应选名额"),
        ({"method": "majority", "seats": None, "options": opts}, "表决方式无效"),
        ({"method": VoteMethod.YES_NO, "seats": 3, "options": opts}, "应选名额应为"),
        ({"method": VoteMethod.SCORE, "seats": 1, "options": opts}, "评分表决不设应选名额"),
        ({"method": VoteMethod.YES_NO, "seats": None, "options": []}, "至少列出一个"),
        (
            {"method": VoteMethod.YES_NO, "seats": None, "options": [OptionInput("甲", "r"), OptionInput("乙", "r")]},
            "关联对象",
        ),
        ({"method": VoteMethod.YES_NO, "seats": None, "options": [OptionInput("甲"), OptionInput("甲")]}, "重名"),
        ({"method": VoteMethod.YES_NO, "seats": None, "options": [OptionInput("")]}, "名称不能为空"),
        ({"method": VoteMethod.YES_NO, "seats": None, "options": [OptionInput("长" * 201)]}, "不能超过 200"),
        ({"method": VoteMethod.YES_NO, "seats": "2", "options": opts}, "应为整数"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            services.vote_create(scope=staff, meeting=meeting, title="表决", **kwargs)
    with pytest.raises(ValidationFailed, match="表决事项不能为空"):
        services.vote_create(scope=staff, meeting=meeting, title="", method=VoteMethod.YES_NO, seats=None, options=opts)
    assert Vote.objects.count() == before


def test_create_is_audited_and_scoped(staff, scope_of):
    meeting, _ = session_with(staff, entitled=3)
    vote = services.vote_create(
        scope=staff, meeting=meeting, title="关于政府工作报告的决议", method=VoteMethod.YES_NO, seats=None,
        options=[OptionInput("关于政府工作报告的决议（草案）")],
    )  # fmt: skip
    assert vote.state == VoteState.DRAFT and vote.round == 1
    assert AuditEvent.objects.filter(action="vote.create", target_id=str(vote.pk)).exists()
    with pytest.raises(NotFound):
        services.vote_create(
            scope=scope_of("street"), meeting=meeting, title="x", method=VoteMethod.YES_NO, seats=None,
            options=[OptionInput("x")],
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.vote_create(
            scope=scope_of("deputy"), meeting=meeting, title="x", method=VoteMethod.YES_NO, seats=None,
            options=[OptionInput("x")],
        )  # fmt: skip


# ---------------------------------------------------------------- open


def test_a_vote_cannot_open_without_quorum(make_vote, staff):
    # Given 9 entitled deputies and only 5 signed in (quorum: 6)
    vote, deputies = make_vote(present=5, open_vote=False)
    # When staff open the vote, then it is refused and stays a draft
    with pytest.raises(Conflict, match="未达到法定人数 6 人"):
        services.vote_open(scope=staff, vote=vote)
    vote.refresh_from_db()
    assert vote.state == VoteState.DRAFT and vote.opened_at is None
    # One more signs in: now it opens, with the figures frozen
    meetings.attendee_sign_in(scope=staff, meeting=vote.meeting, deputy=deputies[5])
    vote = services.vote_open(scope=staff, vote=vote)
    assert (vote.state, vote.entitled_count, vote.present_at_open, vote.threshold) == ("open", 9, 6, 5)
    assert AuditEvent.objects.filter(action="vote.open", target_id=str(vote.pk)).exists()
    with pytest.raises(Conflict, match="投票中"):
        services.vote_open(scope=staff, vote=vote)


def test_a_vote_cannot_open_before_the_meeting_opens(staff):
    meeting, deputies = session_with(staff, entitled=3, present=3, open_meeting=False)
    vote = services.vote_create(
        scope=staff, meeting=meeting, title="x", method=VoteMethod.YES_NO, seats=None, options=[OptionInput("x")]
    )
    with pytest.raises(Conflict, match="尚未宣布开会"):
        services.vote_open(scope=staff, vote=vote)


# ---------------------------------------------------------------- cast


def test_cast_refusals_change_nothing(make_vote, staff, scope_of):
    vote, deputies = make_vote(present=8)
    late = deputies[8]  # entitled but not signed in
    first = cast(vote, deputies[0], [1, 2])
    assert len(first.code) == 19 and not hasattr(first, "secret")
    before = (Participation.objects.count(), SealedBallot.objects.count(), Ballot.objects.count())
    refusals = [
        (deputies[0], [3], Conflict, "只能投一票"),  # a second vote by the same deputy
        (deputies[1], [1, 2, 3], ValidationFailed, "最多只能选 2 项，您选了 3 项"),
        (deputies[1], [1, 1], ValidationFailed, "只能选一次"),
        (deputies[1], [9], ValidationFailed, "没有第 9 项"),
        (deputies[1], ["x"], ValidationFailed, "应为整数"),
        (deputies[1], {"1": "yes"}, ValidationFailed, "请勾选"),
        (late, [1], Conflict, "请先在会场签到"),
    ]
    for deputy, choices, error, message in refusals:
        with pytest.raises(error, match=message):
            cast(vote, deputy, choices)
    with pytest.raises(PermissionDenied, match="没有权限"):
        services.vote_cast(scope=staff, vote=vote, choices=[1])
    outsider = deputy_pool(vote.meeting.body).exclude(pk__in=[d.pk for d in deputies]).first()
    with pytest.raises(PermissionDenied, match="不是本次会议"):
        cast(vote, outsider, [1])
    assert (Participation.objects.count(), SealedBallot.objects.count(), Ballot.objects.count()) == before


def test_voting_after_close_is_refused(make_vote, staff):
    vote, deputies = make_vote()
    cast(vote, deputies[0], [1])
    services.vote_close(scope=staff, vote=vote)
    with pytest.raises(Conflict, match="投票已截止"):
        cast(vote, deputies[1], [1])  # the stale object still says "open"
    assert Ballot.objects.filter(vote=vote).count() == 1


@pytest.mark.parametrize("then", ["close", "to_paper"])
def test_the_cast_paths_copy_of_an_open_vote_is_never_trusted(make_vote, staff, then):
    """The cast path keeps an open vote for a few seconds (500 deputies press 表决 together); a vote
    closed or switched to paper meanwhile must refuse the next ballot all the same."""
    vote, deputies = make_vote()
    first = selectors.vote_for_cast(scope=deputy_scope(deputies[0]), pk=vote.pk)
    services.vote_cast(scope=deputy_scope(deputies[0]), vote=first, choices=[1])
    getattr(services, f"vote_{then}")(scope=staff, vote=Vote.objects.get(pk=vote.pk))
    copy = selectors.vote_for_cast(scope=deputy_scope(deputies[1]), pk=vote.pk)
    assert copy.state == VoteState.OPEN  # the copy, seconds old
    refusal = "投票已截止" if then == "close" else "纸质票"
    with pytest.raises(Conflict, match=refusal):
        services.vote_cast(scope=deputy_scope(deputies[1]), vote=copy, choices=[2])
    fresh = selectors.vote_for_cast(scope=deputy_scope(deputies[1]), pk=vote.pk)
    assert fresh.state != VoteState.OPEN or fresh.paper_only  # the refusal dropped the copy
    assert Participation.objects.filter(vote=vote, deputy=deputies[1]).count() == 0


def test_voting_before_open_is_refused(make_vote):
    vote, deputies = make_vote(open_vote=False)
    with pytest.raises(Conflict, match="尚未开始"):
        cast(vote, deputies[0], [1])


# ---------------------------------------------------------------- tally, majority, ties, runoff


def test_choose_n_elects_by_majority_of_all_deputies(make_vote, staff, decided):
    # 9 entitled: 5 votes needed (全体代表的过半数), whatever the turnout
    vote, d = make_vote(present=8)
    for i, choices in enumerate([[1, 2], [1, 2], [1, 2], [1, 2], [1, 3], [2, 3], [3], []]):
        cast(vote, d[i], choices)
    vote = services.vote_close(scope=staff, vote=vote)
    assert counts(vote) == {"甲项目": 5, "乙项目": 5, "丙项目": 3, "丁项目": 0}
    assert outcomes(vote) == {
        "甲项目": "elected",
        "乙项目": "elected",
        "丙项目": "not_elected",
        "丁项目": "not_elected",
    }
    assert (vote.ballots_phone, vote.ballots_paper, vote.threshold) == (8, 0, 5)
    assert decided == []  # closing decides nothing; publication does
    vote = services.vote_publish(scope=staff, vote=vote)
    assert vote.concluded
    assert decided == [
        {
            "vote": vote,
            "elected_refs": ["test.item:1", "test.item:2"],
            "not_elected_refs": ["test.item:3", "test.item:4"],
        }
    ]
    with pytest.raises(Conflict, match="已公布"):
        services.vote_publish(scope=staff, vote=vote)
    with pytest.raises(Conflict, match="名额已经选满|已经结束"):
        services.vote_runoff(scope=staff, vote=vote)


def test_tie_at_the_cut_goes_to_a_runoff_among_the_tied(make_vote, staff, decided):
    vote, d = make_vote(present=9)
    for i, choices in enumerate([[1, 2], [1, 2], [1, 3], [1, 3], [1, 2], [1, 3], [2, 3], [2, 3], [4]]):
        cast(vote, d[i], choices)
    vote = services.vote_close(scope=staff, vote=vote)
    assert counts(vote) == {"甲项目": 6, "乙项目": 5, "丙项目": 5, "丁项目": 1}
    assert outcomes(vote) == {"甲项目": "elected", "乙项目": "tied", "丙项目": "tied", "丁项目": "not_elected"}
    assert services.seats_unfilled(vote) == 1
    vote = services.vote_publish(scope=staff, vote=vote)
    assert not vote.concluded and decided == []
    runoff = services.vote_runoff(scope=staff, vote=vote)
    assert (runoff.round, runoff.seats, runoff.parent_id) == (2, 1, vote.pk)
    assert [(o.label, o.ref) for o in runoff.options.order_by("position")] == [
        ("乙项目", "test.item:2"),
        ("丙项目", "test.item:3"),
    ]
    with pytest.raises(Conflict, match="已经为该轮安排"):
        services.vote_runoff(scope=staff, vote=vote)
    runoff = services.vote_open(scope=staff, vote=runoff)
    for i in range(9):
        cast(runoff, d[i], [1] if i < 6 else [2])
    runoff = services.vote_publish(scope=staff, vote=services.vote_close(scope=staff, vote=runoff))
    assert outcomes(runoff) == {"乙项目": "elected", "丙项目": "not_elected"}
    assert len(decided) == 1
    assert decided[0]["vote"].pk == vote.pk
    assert decided[0]["elected_refs"] == ["test.item:1", "test.item:2"]
    assert decided[0]["not_elected_refs"] == ["test.item:3", "test.item:4"]
    assert Vote.objects.get(pk=vote.pk).concluded


def test_seats_without_a_majority_go_to_a_runoff_or_are_concluded(make_vote, staff, decided):
    vote, d = make_vote(present=9)
    for i, choices in enumerate([[1, 2], [1, 2], [1, 3], [1, 3], [1, 4], [3, 4], [2, 4], [2], [3]]):
        cast(vote, d[i], choices)
    vote = services.vote_close(scope=staff, vote=vote)
    assert outcomes(vote) == {"甲项目": "elected", "乙项目": "unfilled", "丙项目": "unfilled", "丁项目": "unfilled"}
    with pytest.raises(ValidationFailed, match="多于剩余名额"):
        services.vote_publish(scope=staff, vote=vote) and services.vote_runoff(scope=staff, vote=vote, positions=[2])
    vote.refresh_from_db()
    with pytest.raises(ValidationFailed, match="不是票数相同或未当选"):
        services.vote_runoff(scope=staff, vote=vote, positions=[1, 2])
    assert decided == []


def test_concluding_without_runoff_sends_the_decision(make_vote, staff, decided):
    vote, d = make_vote(present=9)
    for i in range(9):
        cast(vote, d[i], [1] if i < 5 else [2])
    vote = services.vote_close(scope=staff, vote=vote)
    vote = services.vote_publish(scope=staff, vote=vote, conclude=True)
    assert vote.concluded
    assert decided[0]["elected_refs"] == ["test.item:1"]
    with pytest.raises(Conflict, match="已经结束"):
        services.vote_runoff(scope=staff, vote=vote)


def test_yes_no_per_item_and_the_present_half_rule(make_vote, staff):
    vote, d = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议一", "决议二"), present=7)
    marks = ["yes", "yes", "yes", "yes", "no", "abstain", "yes"]
    for i, m in enumerate(marks[:6]):
        cast(vote, d[i], {"1": m, "2": "no" if i < 5 else "yes"})
    with pytest.raises(ValidationFailed, match="请对每一项"):
        cast(vote, d[6], {"1": "yes"})
    cast(vote, d[6], {"1": marks[6], "2": "yes"})
    vote = services.vote_close(scope=staff, vote=vote)
    o = {x.label: (x.count_yes, x.count_no, x.count_abstain, x.outcome) for x in vote.options.all()}
    assert o == {"决议一": (5, 1, 1, "elected"), "决议二": (2, 5, 0, "not_elected")}
    # Under the 出席代表的过半数 rule (a setting), 4 of 7 present would pass
    RuleSetting.objects.create(key="session.majority", value="present_half")
    rule_changed("session.majority")
    vote2, d2 = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议三",), present=7)
    assert vote2.threshold == 4


def test_score_method_averages(make_vote, staff):
    vote, d = make_vote(method=VoteMethod.SCORE, seats=None, labels=("财政所", "派出所"), present=6)
    with pytest.raises(ValidationFailed, match="0–100"):
        cast(vote, d[0], {"1": 101, "2": 1})
    with pytest.raises(ValidationFailed, match="0–100"):
        cast(vote, d[0], {"1": "80", "2": 1})
    for i in range(6):
        cast(vote, d[i], {"1": 80 + i, "2": 90})
    vote = services.vote_close(scope=staff, vote=vote)
    o = {x.label: (x.score_total, x.score_count) for x in vote.options.all()}
    assert o == {"财政所": (495, 6), "派出所": (540, 6)}
    assert outcomes(vote) == {"财政所": "", "派出所": ""}


# ---------------------------------------------------------------- paper ballots


def test_paper_batches_combine_with_phone_ballots_and_are_reconciled(make_vote, staff, settings):
    settings.VOTE_MIN_PHONE_BALLOTS = 4  # the 4 phone ballots below may be merged with paper
    vote, d = make_vote(present=9)
    for i in range(4):
        cast(vote, d[i], [1, 2])
    # 5 signed-in deputies vote on paper: a batch of 3, then 3 more would be 10 > 9 present
    services.paper_batch_enter(
        scope=staff, vote=vote, ballots=3, invalid=1, counts={"1": 2, "3": 2, "4": 0}, tellers="张三、李四"
    )
    before = PaperBatch.objects.count()
    for kwargs, message in [
        ({"ballots": 6, "invalid": 0, "counts": {}}, "多于已签到代表 9 人"),
        ({"ballots": 2, "invalid": 0, "counts": {"1": 2, "2": 2, "3": 1}}, "超过有效票 2 张 × 每票最多 2 项"),
        ({"ballots": 2, "invalid": 0, "counts": {"1": 3}}, "超过有效票可能的最大值 2"),
        ({"ballots": 2, "invalid": 3, "counts": {}}, "废票数不能多于"),
        ({"ballots": 0, "invalid": 0, "counts": {}}, "至少为 1"),
        ({"ballots": "两张", "invalid": 0, "counts": {}}, "收回选票数应为非负整数"),
        ({"ballots": 2, "invalid": 0, "counts": {"1": -1}}, "票数应为非负整数"),
        ({"ballots": 2, "invalid": 0, "counts": {"7": 1}}, "没有第 7 项"),
        ({"ballots": 2, "invalid": 0, "counts": []}, "请填写各项票数"),
    ]:
        with pytest.raises(ValidationFailed, match=message):
            services.paper_batch_enter(scope=staff, vote=vote, tellers="张三", **kwargs)
    with pytest.raises(ValidationFailed, match="监票、计票人不能为空"):
        services.paper_batch_enter(scope=staff, vote=vote, ballots=1, invalid=0, counts={}, tellers="")
    assert PaperBatch.objects.count() == before
    check_paper(vote)  # 复核 by another hand of the office
    # After 截止投票 no batch joins the count: the tellers enter their last one before the close
    vote = services.vote_close(scope=staff, vote=vote)
    with pytest.raises(Conflict, match="已截止待公布"):
        services.paper_batch_enter(
            scope=staff, vote=vote, ballots=2, invalid=0, counts={"1": 1, "2": 2}, tellers="王五"
        )
    vote.refresh_from_db()
    assert counts(vote) == {"甲项目": 6, "乙项目": 4, "丙项目": 2, "丁项目": 0}
    assert (vote.ballots_phone, vote.ballots_paper, vote.ballots_invalid) == (4, 3, 1)
    assert AuditEvent.objects.filter(action="vote.paper", target_id=str(vote.pk)).count() == 1
    assert selectors.vote_recount(vote).ok
    vote = services.vote_publish(scope=staff, vote=vote)
    with pytest.raises(Conflict, match="已公布"):
        services.paper_batch_enter(scope=staff, vote=vote, ballots=1, invalid=0, counts={}, tellers="x")


def test_paper_yes_no_totals_must_add_up(make_vote, staff):
    vote, _ = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议",), present=6)
    with pytest.raises(ValidationFailed, match="应等于有效票 5 张"):
        services.paper_batch_enter(
            scope=staff, vote=vote, ballots=6, invalid=1, counts={"1": {"yes": 3, "no": 1}}, tellers="甲"
        )
    services.paper_batch_enter(
        scope=staff, vote=vote, ballots=6, invalid=1, counts={"1": {"yes": 3, "no": 1, "abstain": 1}}, tellers="甲"
    )
    check_paper(vote)
    vote = services.vote_close(scope=staff, vote=vote)
    assert outcomes(vote) == {"决议": "not_elected"}  # 3 赞成 < 4 (more than half of 6)


# ---------------------------------------------------------------- recount, receipts, freezing


def test_recount_detects_a_tampered_tally_and_a_closed_vote_cannot_change(make_vote, staff):
    vote, d = make_vote(present=6)
    for i in range(6):
        cast(vote, d[i], [1])
    vote = services.vote_publish(scope=staff, vote=services.vote_close(scope=staff, vote=vote))
    assert selectors.vote_recount(vote).ok
    option = vote.options.get(position=2)
    option.count_yes = 4
    option.save()
    report = selectors.vote_recount(vote)
    assert not report.ok and "乙项目" in report.problems[0]


def test_receipt_confirms_the_ballot_without_revealing_it(make_vote, staff):
    vote, d = make_vote(present=6)
    receipt = cast(vote, d[0], [2, 3])
    cast(vote, d[1], [1])
    check = services.receipt_check(code=receipt.code)
    assert check.vote.pk == vote.pk and not check.counted and not check.published  # sealed in the box
    closed = services.vote_close(scope=staff, vote=vote)
    check = services.receipt_check(code=receipt.code.lower().replace("-", ""))
    assert check.counted and not check.published
    services.vote_publish(scope=staff, vote=closed)
    check = services.receipt_check(code=receipt.code)
    assert check.counted and check.published
    with pytest.raises(ValidationFailed, match="16 位"):
        services.receipt_check(code="123")
    with pytest.raises(NotFound):
        services.receipt_check(code="0000-0000-0000-0000")
