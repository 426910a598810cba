"""Tally arithmetic of a vote (计票): pure functions over counts, no database.

The stored ballots and paper batches are read by voting/selectors.compute_tally, which hands
them here; the same arithmetic writes the result at close (voting/services) and recounts it
(voting/selectors.vote_recount), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from renda.voting.models import Mark, Outcome, VoteMethod


@dataclass
class OptionTally:
    yes: int = 0
    no: int = 0
    abstain: int = 0
    score_total: int = 0
    score_count: int = 0


@dataclass
class Tally:
    options: dict[int, OptionTally] = field(default_factory=dict)
    phone: int = 0
    paper: int = 0
    invalid: int = 0

    @property
    def valid(self) -> int:
        return self.phone + self.paper - self.invalid


@dataclass(frozen=True)
class PaperTotals:
    """One batch of paper ballots as the tellers counted it."""

    ballots: int
    invalid: int
    counts: Mapping[str, Any]


def count(method: str, positions: Iterable[int], ballots: Iterable[Any], batches: Iterable[PaperTotals]) -> Tally:
    """Count phone ballots (their canonical choices) and paper batches; nothing else counts."""
    tally = Tally(options={position: OptionTally() for position in positions})
    for choices in ballots:
        tally.phone += 1
        if method == VoteMethod.CHOOSE_N:
            for position in choices:
                tally.options[int(position)].yes += 1
        elif method == VoteMethod.YES_NO:
            for position, mark in choices.items():
                t = tally.options[int(position)]
                setattr(t, mark, getattr(t, mark) + 1)
        else:
            for position, score in choices.items():
                t = tally.options[int(position)]
                t.score_total += int(score)
                t.score_count += 1
    for batch in batches:
        tally.paper += batch.ballots
        tally.invalid += batch.invalid
        valid = batch.ballots - batch.invalid
        for position, value in batch.counts.items():
            t = tally.options[int(position)]
            if method == VoteMethod.CHOOSE_N:
                t.yes += int(value)
            elif method == VoteMethod.YES_NO:
                t.yes += int(value[Mark.YES])
                t.no += int(value[Mark.NO])
                t.abstain += int(value[Mark.ABSTAIN])
            else:
                t.score_total += int(value)
                t.score_count += valid
    return tally


def decide(method: str, seats: int | None, tally: Tally, threshold: int) -> dict[int, str]:
    """Each option's outcome under the majority ``threshold``.

    Without seats (逐项表决) an option passes with at least ``threshold`` 赞成. With seats, the
    options reaching the threshold are elected in order of votes until the seats are filled; a
    tie at the cut leaves its seats to a runoff among the tied (TIED), and seats left because too
    few reached the threshold go to a runoff among all not elected (UNFILLED).
    """
    if method == VoteMethod.SCORE:
        return {position: "" for position in tally.options}
    if seats is None:
        return {
            position: Outcome.ELECTED if t.yes >= threshold else Outcome.NOT_ELECTED
            for position, t in tally.options.items()
        }
    eligible = sorted(
        (p for p, t in tally.options.items() if t.yes >= threshold), key=lambda p: (-tally.options[p].yes, p)
    )
    elected: list[int] = []
    tied: list[int] = []
    remaining = seats
    i = 0
    while i < len(eligible) and remaining > 0:
        votes = tally.options[eligible[i]].yes
        group = [p for p in eligible[i:] if tally.options[p].yes == votes]
        if len(group) <= remaining:
            elected += group
            remaining -= len(group)
        else:
            tied = group
            break
        i += len(group)
    outcomes: dict[int, str] = {}
    for position in tally.options:
        if position in elected:
            outcomes[position] = Outcome.ELECTED
        elif tied:
            outcomes[position] = Outcome.TIED if position in tied else Outcome.NOT_ELECTED
        elif remaining > 0:
            outcomes[position] = Outcome.UNFILLED
        else:
            outcomes[position] = Outcome.NOT_ELECTED
    return outcomes


def unfilled(method: str, seats: int | None, outcomes: Sequence[str]) -> int:
    """Seats a round left for a runoff (0 when decided), from its options' outcomes."""
    if seats is None or method == VoteMethod.SCORE:
        return 0
    if not any(o in (Outcome.TIED, Outcome.UNFILLED) for o in outcomes):
        return 0
    return seats - sum(1 for o in outcomes if o == Outcome.ELECTED)
