"""Reads for the voting pages and API, already scoped; and the recount check."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from renda.core.errors import NotFound
from renda.core.scoping import Perm, Scope
from renda.meetings.models import Meeting
from renda.meetings.quorum import majority_threshold
from renda.voting import tally as arithmetic
from renda.voting.models import (
    Ballot,
    BallotTracker,
    PaperBatch,
    Participation,
    SealedBallot,
    Vote,
    VoteMethod,
    VoteOption,
    VoteState,
)
from renda.voting.tally import PaperTotals, Tally

RESULT_STATES = [VoteState.CLOSED, VoteState.PUBLISHED]


def votes_of(meeting: Meeting) -> list[Vote]:
    """The meeting's votes with their options, in the order they were put."""
    return list(
        meeting.votes.prefetch_related(Prefetch("options", queryset=VoteOption.objects.order_by("position"))).order_by(
            "id"
        )
    )


def vote_detail(*, scope: Scope, pk: int) -> Vote:
    return scope.get(
        Vote.objects.select_related("meeting", "meeting__region", "meeting__body", "parent", "agenda_item"),
        perm=Perm.MEETING_VIEW,
        pk=pk,
    )


# An open vote as the cast path needs it, kept in this process for a few seconds: 500 deputies
# pressing 表决 together would otherwise read the same row 500 times. Nothing a cast relies on is
# taken on trust from here: the cast's own statement checks, under the box lock, that the vote is
# still open by phone and sealed to this very key (voting/services.py ``_cast_statement``), and a
# refusal is explained from a fresh read. The region path, method, seats and options of a vote
# never change once it is open.
CAST_CACHE_SECONDS = 5.0
_CAST_VOTES: dict[int, tuple[float, Vote]] = {}


def forget_cast_votes(pk: int | None = None) -> None:
    if pk is None:
        _CAST_VOTES.clear()
    else:
        _CAST_VOTES.pop(pk, None)


def vote_for_cast(*, scope: Scope, pk: int, fresh: bool = False) -> Vote:
    """The vote as the cast service needs it (its meeting's region for the scope check), no more."""
    scope.require(Perm.VOTE_CAST)
    now = time.monotonic()
    hit = None if fresh else _CAST_VOTES.get(pk)
    if hit is not None and now - hit[0] < CAST_CACHE_SECONDS:
        vote = hit[1]
        if not scope.covers_path(vote.meeting.region.path):
            raise NotFound("记录不存在或不在您的管辖范围内")
        return vote
    fields = (
        "id", "title", "round", "method", "seats", "score_max", "state", "seal_public", "paper_only",
        "meeting__region__path",
    )  # fmt: skip
    vote = scope.get(Vote.objects.select_related("meeting__region").only(*fields), perm=Perm.VOTE_CAST, pk=pk)
    if vote.state == VoteState.OPEN and vote.seal_public and not vote.paper_only:
        if len(_CAST_VOTES) > 1000:
            _CAST_VOTES.clear()
        _CAST_VOTES[pk] = (now, vote)
    else:
        _CAST_VOTES.pop(pk, None)
    return vote


def options_of(vote: Vote) -> list[VoteOption]:
    return list(vote.options.order_by("position"))


def has_voted(vote: Vote, deputy_ids: set[int]) -> bool:
    return bool(deputy_ids) and Participation.objects.filter(vote=vote, deputy_id__in=deputy_ids).exists()


def phone_ballots(vote: Vote) -> int:
    return Participation.objects.filter(vote=vote).count()


def runoff_of(vote: Vote) -> Vote | None:
    return Vote.objects.filter(parent=vote).first()


def first_round(vote: Vote) -> Vote:
    root = vote
    while root.parent_id is not None:
        assert root.parent is not None
        root = root.parent
    return root


def rounds_of(vote: Vote) -> list[Vote]:
    """Every round of the question ``vote`` belongs to, first to last."""
    chain = [first_round(vote)]
    while True:
        nxt = Vote.objects.filter(parent=chain[-1]).first()
        if nxt is None:
            return chain
        chain.append(nxt)


def compute_tally(vote: Vote, options: Sequence[VoteOption]) -> Tally:
    """Count from what is stored: the phone ballots and the paper batches (nothing else)."""
    ballots = Ballot.objects.filter(vote=vote).values_list("choices", flat=True).iterator(chunk_size=1000)
    batches = (PaperTotals(b.ballots, b.invalid, b.counts) for b in PaperBatch.objects.filter(vote=vote))
    return arithmetic.count(vote.method, [o.position for o in options], ballots, batches)


def decide(vote: Vote, tally: Tally, threshold: int) -> dict[int, str]:
    return arithmetic.decide(vote.method, vote.seats, tally, threshold)


def threshold_for(vote: Vote, tally: Tally) -> int:
    rule_name = vote.majority_rule or "all_half"
    return majority_threshold(
        rule_name, entitled=vote.entitled_count, present=vote.present_at_open, valid_ballots=tally.valid
    )


def seats_unfilled(vote: Vote, options: Sequence[VoteOption] | None = None) -> int:
    """Seats this round left for a runoff (0 when decided)."""
    if vote.seats is None or vote.method == VoteMethod.SCORE:
        return 0
    options = list(vote.options.all()) if options is None else options
    return arithmetic.unfilled(vote.method, vote.seats, [o.outcome for o in options])


def question_rounds(vote: Vote) -> list[Vote]:
    return rounds_of(vote)


def average(option: VoteOption) -> float:
    return option.score_total / option.score_count if option.score_count else 0.0


@dataclass
class RecountReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)


def vote_recount(vote: Vote) -> RecountReport:
    """Recompute the tally from the stored ballots and paper batches and compare it with the
    frozen result; also check that phone ballots (sealed while open, opened after) match the
    participation records and, after close, the receipt codes counted."""
    report = RecountReport()
    participations = Participation.objects.filter(vote=vote).count()
    if vote.state in RESULT_STATES:
        ballots = Ballot.objects.filter(vote=vote).count()
        trackers = BallotTracker.objects.filter(vote=vote).count()
        if trackers != ballots:
            report.problems.append(f"电子选票 {ballots} 张，计入的回执码 {trackers} 个，不一致")
    else:
        ballots = SealedBallot.objects.filter(vote=vote).count()
    if ballots != participations:
        report.problems.append(f"电子选票 {ballots} 张，投票记录 {participations} 条，不一致")
    if vote.state in RESULT_STATES:
        options = options_of(vote)
        tally = compute_tally(vote, options)
        if (tally.phone, tally.paper, tally.invalid) != (vote.ballots_phone, vote.ballots_paper, vote.ballots_invalid):
            report.problems.append("票数合计与公布的不一致")
        outcomes = decide(vote, tally, threshold_for(vote, tally))
        for option in options:
            t = tally.options[option.position]
            stored = (option.count_yes, option.count_no, option.count_abstain, option.score_total, option.score_count)
            if stored != (t.yes, t.no, t.abstain, t.score_total, t.score_count):
                report.problems.append(f"“{option.label}”的票数与重新计票结果不一致")
            if option.outcome != outcomes[option.position]:
                report.problems.append(f"“{option.label}”的结果与重新计票结果不一致")
    report.ok = not report.problems
    return report


def published_votes(*, scope: Scope) -> QuerySet[Vote]:
    return scope.filter(Vote.objects.filter(state=VoteState.PUBLISHED), perm=Perm.MEETING_VIEW)
