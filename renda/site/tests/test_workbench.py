"""工作台 per role (issue #13): every role sees its own work as counts, and each count is the
number of rows on the list its link opens (the same scoped selector), never a registry total."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

TILES = {
    "township": [
        "wb-to-route",
        "wb-triage-late",
        "wb-due-soon",
        "wb-overdue",
        "wb-extensions",
        "wb-review",
        "wb-to-review",
        "wb-meetings",
    ],
    "clerk": ["wb-to-accept", "wb-in-progress", "wb-due-soon", "wb-escalated", "wb-suggestions"],
    "deputy": ["wb-invited", "wb-to-vote", "wb-to-rate", "wb-station-opinions", "wb-referred"],
    "liaison": ["wb-today", "wb-week", "wb-station-opinions"],
}


def _tiles(html: str) -> dict[str, tuple[str, int]]:
    found = re.findall(r'<a href="([^"]+)" id="(wb-[a-z-]+)"[^>]*><strong>(\d+)</strong>', html)
    return {tile_id: (url.replace("&amp;", "&"), int(n)) for url, tile_id, n in found}


@pytest.mark.parametrize("who", sorted(TILES))
def test_each_role_sees_its_own_work(client_as, who):
    client = client_as(who)
    tiles = _tiles(client.get("/").content.decode())
    assert sorted(tiles) == sorted(TILES[who])
    for tile_id, (url, count) in tiles.items():
        listing = client.get(url)
        assert listing.status_code == 200, (tile_id, url)
        if "/opinions/?" in url or "/suggestions/?" in url:
            shown = re.search(r"共 (\d+) 条", listing.content.decode())
            assert shown and int(shown.group(1)) == count, (tile_id, url)


def test_the_township_counts_are_the_queue_counts(client_as, scope_of):
    from renda.opinions import selectors
    from renda.opinions.models import State

    tiles = _tiles(client_as("township").get("/").content.decode())
    base = selectors.opinion_base(scope=scope_of("township"))
    assert tiles["wb-to-route"][1] == base.filter(state=State.SUBMITTED).count()
    assert tiles["wb-overdue"][1] == base.filter(is_overdue=True, state__in=[s for s in selectors.OPEN_STATES]).count()


@pytest.fixture
def make_session_vote(scope_of, client_as, settings):  # type: ignore[no-untyped-def]
    """An open vote at a session of the demo town where the demo deputy is signed in."""
    import datetime as dt

    from renda.accounts.models import RoleAssignment
    from renda.meetings import services as meetings
    from renda.org.models import Body, BodyKind, Deputy
    from renda.voting import services as voting

    def make():  # type: ignore[no-untyped-def]
        staff = scope_of("township")
        me = RoleAssignment.objects.get(user__username="deputy", role="deputy").deputy
        body = Body.objects.get(region=staff.user.roles.get().region, kind=BodyKind.CONGRESS)
        deputies = [me, *Deputy.objects.filter(mandates__body=body).exclude(pk=me.pk).distinct()[:5]]
        meeting = meetings.meeting_create(
            scope=staff, body=body, start_date=dt.date.today(), title="测试会议", deputies=deputies
        )
        meetings.meeting_open(scope=staff, meeting=meeting)
        for d in deputies:
            meetings.attendee_sign_in(scope=staff, meeting=meeting, deputy=d)
        vote = voting.vote_create(
            scope=staff, meeting=meeting, title="票决", method="choose_n", seats=1,
            options=[voting.OptionInput(label="甲"), voting.OptionInput(label="乙")],
        )  # fmt: skip
        voting.vote_open(scope=staff, vote=vote)
        return vote, client_as("deputy")

    return make


def test_an_open_vote_is_on_the_deputys_workbench_until_they_vote(make_session_vote):
    vote, deputy_client = make_session_vote()
    tiles = _tiles(deputy_client.get("/").content.decode())
    assert tiles["wb-to-vote"] == (f"/voting/{vote.pk}/", 1)
    deputy_client.post(f"/voting/{vote.pk}/cast/", {"choice": ["1"]})
    assert _tiles(deputy_client.get("/").content.decode())["wb-to-vote"][1] == 0


def test_every_open_vote_is_counted_and_several_link_to_the_sessions(make_session_vote):
    """The count was capped at two (the query fetched two ids to choose the link)."""
    for _ in range(3):
        _vote, deputy_client = make_session_vote()
    assert _tiles(deputy_client.get("/").content.decode())["wb-to-vote"] == ("/meetings/", 3)
