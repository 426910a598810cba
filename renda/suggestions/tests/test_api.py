"""The API's ``actions`` field and its routes come from one table: every action it advertises
can be posted."""

from __future__ import annotations

import pytest

from renda.suggestions import services
from renda.suggestions.models import State, Suggestion

pytestmark = pytest.mark.django_db


def _advertised(client, s: Suggestion) -> list[str]:
    response = client.get(f"/api/v1/suggestions/{s.pk}")
    assert response.status_code == 200
    return [a["name"] for a in response.json()["actions"]]


def test_every_advertised_action_has_a_route(client_as, drive, scope_of):
    # Given suggestions in the states where each role has its actions
    joint = drive.draft(joint=True)
    cases = [
        ("deputy", drive.draft()),
        ("cosigner", joint),
        ("township", drive.submitted()),
        ("clerk", drive.assigned()),
        ("deputy", drive.answered("B")),
    ]
    seen: set[str] = set()
    for role, s in cases:
        client = client_as(role)
        names = _advertised(client, s)
        assert names, (role, s.state)
        for name in names:
            # When each is posted without a valid body, then it is refused as input, never 404
            response = client.post(f"/api/v1/suggestions/{s.pk}/{name}", {}, content_type="application/json")
            assert response.status_code != 404, (role, name, response.status_code)
            seen.add(name)
            s.refresh_from_db()
    assert {"edit", "invite", "decline", "publish"} <= seen


def test_the_api_routes_it_lacked(client_as, drive, scope_of, town):
    # Given a joint draft, an invited co-signer declines through the API
    s = drive.draft(joint=True)
    response = client_as("cosigner").post(f"/api/v1/suggestions/{s.pk}/decline")
    assert response.status_code == 200
    # The lead edits it and invites the co-signer's public id again (refused: already listed)
    edited = client_as("deputy").post(
        f"/api/v1/suggestions/{s.pk}/edit",
        {
            "title": "关于全镇村道亮化工程的建议",
            "content": "多个村反映村道夜间照明不足。",
            "category": town.category.pk,
        },
        content_type="application/json",
    )
    assert edited.status_code == 200 and edited.json()["title"] == "关于全镇村道亮化工程的建议"
    again = client_as("deputy").post(
        f"/api/v1/suggestions/{s.pk}/invite", {"cosigners": [town.cosigner.public_id]}, content_type="application/json"
    )
    assert again.status_code == 400 and "已在署名名单中" in again.json()["detail"]
    # An answered suggestion: the lead deputy agrees to publish; the lead unit reports its promise done
    done = drive.answered("C")
    assert (
        client_as("deputy")
        .post(f"/api/v1/suggestions/{done.pk}/publish", {"publish": "1"}, content_type="application/json")
        .status_code
        == 200
    )
    assert Suggestion.objects.get(pk=done.pk).publish_consent is True
    services.suggestion_rate(scope=scope_of("deputy"), suggestion=done, attitude="satisfied", result="basic")
    reported = client_as("clerk").post(
        f"/api/v1/suggestions/{done.pk}/promise-done", {"note": "路灯已安装完毕"}, content_type="application/json"
    )
    assert reported.status_code == 200
    fresh = Suggestion.objects.get(pk=done.pk)
    assert fresh.state == State.CLOSED and fresh.promise_open is False
