"""voting/tally.py: the counting arithmetic, without a database."""

from __future__ import annotations

from renda.voting.models import Outcome, VoteMethod
from renda.voting.tally import PaperTotals, count, decide, unfilled


def test_phone_and_paper_ballots_add_up_per_option() -> None:
    # Given two phone ballots and a batch of three paper ballots (one spoilt) choosing 2 of 3
    ballots = [[1, 2], [2]]
    batches = [PaperTotals(ballots=3, invalid=1, counts={"1": 2, "2": 1, "3": 1})]
    # When they are counted
    tally = count(VoteMethod.CHOOSE_N, [1, 2, 3], ballots, batches)
    # Then each option has its phone and paper votes, and the spoilt ballot is not valid
    assert [tally.options[p].yes for p in (1, 2, 3)] == [3, 3, 1]
    assert (tally.phone, tally.paper, tally.invalid, tally.valid) == (2, 3, 1, 4)


def test_a_tie_at_the_cut_leaves_its_seat_to_a_runoff() -> None:
    tally = count(VoteMethod.CHOOSE_N, [1, 2, 3], [[1, 2], [1, 3], [1]], [])
    outcomes = decide(VoteMethod.CHOOSE_N, 2, tally, threshold=1)
    assert outcomes == {1: Outcome.ELECTED, 2: Outcome.TIED, 3: Outcome.TIED}
    assert unfilled(VoteMethod.CHOOSE_N, 2, list(outcomes.values())) == 1


def test_yes_no_without_seats_passes_each_option_on_its_own() -> None:
    tally = count(VoteMethod.YES_NO, [1, 2], [{"1": "yes", "2": "no"}, {"1": "yes", "2": "abstain"}], [])
    outcomes = decide(VoteMethod.YES_NO, None, tally, threshold=2)
    assert outcomes == {1: Outcome.ELECTED, 2: Outcome.NOT_ELECTED}
    assert unfilled(VoteMethod.YES_NO, None, list(outcomes.values())) == 0
