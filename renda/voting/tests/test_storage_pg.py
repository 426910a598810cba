"""Secrecy below the tables, on PostgreSQL: what an administrator with the database can read
from row versions (xmin, ctid) and from the heap pages themselves, dead tuples included.

Deputies vote distinct choices in a known order. A link exists if a plain ballot's row version
shares its transaction id with the participation of fewer than all the voters, or if the heap
of the ballots, dead tuples included, keeps them in the voting order; and after close no sealed
ballot, old participation or old salt may be left in the pages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from renda.meetings.tests.helpers import deputy_scope, session_with
from renda.voting import services
from renda.voting.models import Ballot, BallotTracker, Participation, SealedBallot, Vote

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions and heap pages of PostgreSQL"),
]

N = 12


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _pageinspect() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    except Exception:  # noqa: BLE001 - not installed on this server: the row-version checks still run
        return False
    return True


def _heap(table: str) -> list[tuple[int, int, bool]]:
    """(line pointer, xmin, has data) of every tuple in the table's heap, live or dead."""
    pages = _rows("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table])[0][0]
    found: list[tuple[int, int, bool]] = []
    for block in range(int(pages)):
        for lp, xmin, data in _rows(
            "SELECT lp, t_xmin::text::bigint, t_data IS NOT NULL FROM heap_page_items(get_raw_page(%s, %s))",
            [table, block],
        ):
            if xmin is not None:
                found.append((int(lp), int(xmin), bool(data)))
    return found


def test_no_row_version_or_page_ties_a_deputy_to_a_choice(demo_county: Any, scope_of: Any) -> None:
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=N, present=N)
    options = [services.OptionInput(f"候选{i}") for i in range(1, N + 1)]
    vote = services.vote_create(
        scope=staff, meeting=meeting, title="存储层保密测试", method="choose_n", seats=1, options=options
    )
    vote = services.vote_open(scope=staff, vote=vote)
    scopes = [deputy_scope(d) for d in deputies]
    for i, scope in enumerate(scopes):  # deputy i votes for option i+1: every ballot differs
        services.vote_cast(scope=scope, vote=vote, choices=[i + 1])

    # While open: the sealed ballot shares its xmin with its deputy's participation (written together),
    # and no plain ballot exists to pair with anything.
    pairs = _rows(
        "SELECT p.deputy_id, s.sealed FROM voting_participation p JOIN voting_sealedballot s ON s.xmin = p.xmin"
        " WHERE p.vote_id = %s",
        [vote.pk],
    )
    assert len(pairs) == N
    assert len({len(bytes(sealed)) for _deputy, sealed in pairs}) == 1  # sealed boxes of one size, nothing else
    assert not Ballot.objects.filter(vote=vote).exists()

    services.vote_close(scope=staff, vote=Vote.objects.get(pk=vote.pk))  # the sweep runs on commit

    # 1. Row versions: every plain ballot was written in one transaction with all of them.
    by_xmin: dict[int, set[int]] = {}
    for xmin, deputy in _rows(
        "SELECT xmin::text::bigint, deputy_id FROM voting_participation WHERE vote_id = %s", [vote.pk]
    ):
        by_xmin.setdefault(int(xmin), set()).add(int(deputy))
    ballot_xmins = {
        int(x) for (x,) in _rows("SELECT xmin::text::bigint FROM voting_ballot WHERE vote_id = %s", [vote.pk])
    }
    for xmin in ballot_xmins:
        assert len(by_xmin.get(xmin, set())) in (0, N), "a ballot's transaction names fewer than all voters"
    assert len(ballot_xmins) == 1
    # 2. Physical order: ctid order of the ballots and of the participations is not the voting order.
    in_ctid = [
        json.loads(r[0]) if isinstance(r[0], str) else r[0]
        for r in _rows("SELECT choices FROM voting_ballot WHERE vote_id = %s ORDER BY ctid", [vote.pk])
    ]
    assert sorted(in_ctid) == sorted([[i + 1] for i in range(N)])
    assert in_ctid != [[i + 1] for i in range(N)]
    voters = [
        r[0] for r in _rows("SELECT deputy_id FROM voting_participation WHERE vote_id = %s ORDER BY ctid", [vote.pk])
    ]
    assert voters != [d.pk for d in deputies]
    # 3. The rows themselves: no sealed ballot, no salt, the trackers apart from the choices.
    assert not SealedBallot.objects.filter(vote=vote).exists()
    assert Vote.objects.get(pk=vote.pk).seal_salt == ""
    assert BallotTracker.objects.filter(vote=vote).count() == N == Participation.objects.filter(vote=vote).count()

    # 4. The heap pages, dead tuples included: the sweep left nothing of the casting behind.
    if not _pageinspect():
        pytest.skip("pageinspect is not installed on this PostgreSQL server")
    assert [t for t in _heap("voting_sealedballot") if t[2]] == [], "sealed ballots left in the heap"
    participation_heap = _heap("voting_participation")
    assert not [t for t in participation_heap if t[1] not in by_xmin and t[2]], "old participations left in the heap"
    # The vote's row: only its current version holds data (the old ones carried the salt).
    vote_versions = [t for t in _heap("voting_vote") if t[2]]
    assert len(vote_versions) == Vote.objects.count()
