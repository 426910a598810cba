"""What the suggestion page and GET /api/v1/suggestions/{id} offer is what can be posted: the
deputy's draft (edit, invite, submit…), the unit's assignment, and the answered suggestion's
promise report and publication (edit, invite and promise-done once answered 404)."""

import re
from html import unescape

import pytest
from django.urls import Resolver404, resolve

from tests.test_actions import assert_offered_actions_are_routed

pytestmark = pytest.mark.django_db


def _posts_resolve(client, url: str) -> None:
    page = client.get(url).content.decode()
    for action in {unescape(u) for u in re.findall(r'<form[^>]*action="([^"]+)"', page)}:
        try:
            resolve(action.split("?")[0])
        except Resolver404:
            pytest.fail(f"{url} posts to {action}, which no route answers")


@pytest.mark.parametrize(("stage", "user"), [("draft", "deputy"), ("assigned", "clerk"), ("answered", "deputy")])
def test_every_offered_action_has_a_route(drive, client_as, stage, user):
    suggestion = {"draft": lambda: drive.draft(joint=True), "assigned": drive.assigned, "answered": drive.answered}[
        stage
    ]()
    client = client_as(user)
    _posts_resolve(client, f"/suggestions/{suggestion.pk}/")
    assert_offered_actions_are_routed(
        client, f"/api/v1/suggestions/{suggestion.pk}", "/api/v1/suggestions/{suggestion_id}"
    )
