"""Concurrency on PostgreSQL: one ballot per deputy under simultaneous requests, and no ballot
slips in while a vote closes. Real threads, real transactions (SQLite has one writer and is skipped)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from renda.core.errors import Conflict
from renda.meetings.tests.helpers import deputy_scope
from renda.voting import services
from renda.voting.models import Ballot, Participation, SealedBallot, Vote
from renda.voting.selectors import vote_recount
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_concurrent_ballots_count_once_and_none_slips_past_the_close(demo_county, scope_of):
    """One test (each transactional test costs a flush): both races on one vote each."""
    from renda.meetings.tests.helpers import session_with

    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=12, present=12)

    def new_vote() -> Vote:
        vote = services.vote_create(
            scope=staff, meeting=meeting, title="并发测试", method="choose_n", seats=1,
            options=[services.OptionInput("甲"), services.OptionInput("乙"), services.OptionInput("丙")],
        )  # fmt: skip
        return services.vote_open(scope=staff, vote=vote)

    # 1. The same deputy, four requests at once, three times over: one ballot.
    vote = new_vote()
    scope = deputy_scope(deputies[0])
    wins = 0
    for _attempt in range(3):
        results = run_together([lambda: services.vote_cast(scope=scope, vote=vote, choices=[1])] * 4)
        wins += sum(isinstance(r, services.CastReceipt) for r in results)
        assert all(isinstance(r, (services.CastReceipt, Conflict)) for r in results), results
        assert Participation.objects.filter(vote=vote, deputy=deputies[0]).count() == 1
        assert SealedBallot.objects.filter(vote=vote).count() == 1
    assert wins == 1

    # 2. Ten deputies voting while staff close the vote: each ballot is counted or refused, never lost.
    vote = new_vote()
    scopes = [deputy_scope(d) for d in deputies[:10]]
    calls: list[Callable[[], Any]] = [(lambda s=s: services.vote_cast(scope=s, vote=vote, choices=[1])) for s in scopes]
    calls.append(lambda: services.vote_close(scope=staff, vote=vote))
    results = run_together(calls)
    assert not isinstance(results[-1], Exception), results[-1]
    accepted = sum(isinstance(r, services.CastReceipt) for r in results[:10])
    refused = sum(isinstance(r, Conflict) and "截止" in r.message for r in results[:10])
    assert accepted + refused == 10, results
    closed = Vote.objects.get(pk=vote.pk)
    assert closed.state == "closed"
    assert closed.ballots_phone == accepted == Ballot.objects.filter(vote=vote).count()
    assert closed.options.get(position=1).count_yes == accepted
    assert vote_recount(closed).ok
