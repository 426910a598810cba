"""Review checks: a neighbour township's votes are 404 for pages and API, nobody sees counts
while a vote is open, and nothing changes when a foreign user tries to act."""

from __future__ import annotations

from django.test import Client

from renda.accounts.models import User
from renda.core.scoping import system_scope
from renda.meetings.tests.helpers import demo_town, deputy_scope, deputy_user, session_with
from renda.org.models import BodyKind
from renda.regions.models import Region, RegionLevel
from renda.voting import services
from renda.voting.models import Ballot, PaperBatch, VoteState


def _phone(deputy):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(deputy_user(deputy))
    return client


def test_staff_see_no_counts_while_a_vote_is_open(make_vote, client_as):
    # Given an open vote with one phone ballot
    vote, deputies = make_vote(present=6)
    services.vote_cast(scope=deputy_scope(deputies[0]), vote=vote, choices=[1])
    # When staff read it on the API and the page
    got = client_as("township").get(f"/api/v1/votes/{vote.pk}").json()
    # Then only the number of ballots shows, no per-option figure
    assert got["state"] == "open" and got["phone_ballots"] == 1
    assert got["options"] and all(o["count_yes"] is None and o["outcome"] is None for o in got["options"])
    assert got["ballots_phone"] == 0


def test_a_neighbour_townships_vote_is_404_everywhere(db):  # type: ignore[no-untyped-def]
    # Given an open vote in another township, with its own deputies signed in
    other = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, bodies__kind=BodyKind.CONGRESS)
        .exclude(pk=demo_town().pk)
        .first()
    )
    assert other is not None
    county = system_scope("测试")
    meeting, deputies = session_with(county, entitled=4, present=4, region=other)
    vote = services.vote_create(
        scope=county,
        meeting=meeting,
        title="决议",
        method="yes_no",
        seats=None,
        options=[services.OptionInput(label="决议")],
    )
    services.vote_open(scope=county, vote=vote)
    staff = Client()
    staff.force_login(User.objects.get(username="township"))
    deputy = Client()
    deputy.force_login(User.objects.get(username="deputy"))
    # When the demo town's staff and deputy try it, Then 404 and nothing changes
    for client in (staff, deputy):
        assert client.get(f"/voting/{vote.pk}/").status_code == 404
        assert client.get(f"/api/v1/votes/{vote.pk}").status_code == 404
        assert client.post(f"/voting/{vote.pk}/cast/", {"option-1": "yes"}).status_code in (403, 404)
        r = client.post(
            f"/api/v1/votes/{vote.pk}/cast", data={"choices": {"1": "yes"}}, content_type="application/json"
        )
        assert r.status_code in (403, 404)
    for action in ("close", "paper"):
        assert staff.post(f"/voting/{vote.pk}/act/{action}/", {"ballots": "1", "tellers": "甲"}).status_code == 404
        r = staff.post(
            f"/api/v1/votes/{vote.pk}/{action}",
            data={"ballots": 1, "counts": {"1": {"yes": 1}}, "tellers": "甲"},
            content_type="application/json",
        )
        assert r.status_code == 404
    vote.refresh_from_db()
    assert vote.state == VoteState.OPEN
    assert not Ballot.objects.filter(vote=vote).exists() and not PaperBatch.objects.filter(vote=vote).exists()
    # And the other town's own deputy can vote
    assert _phone(deputies[0]).post(f"/voting/{vote.pk}/cast/", {"option-1": "yes"}).status_code == 200
