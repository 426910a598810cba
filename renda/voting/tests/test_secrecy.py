"""Secrecy: try every way we know to link a deputy to what they voted, and fail.

The attacker here has the whole database and the audit log: every table that mentions the vote,
every column of the ballots, their keys, their default and physical order, and the audit events
written while the vote ran. Deputies vote distinct, known choices in a known order; a link exists
if any of those sources lets us map voting order or identity onto choices.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, models

from renda.audit.models import AuditEvent
from renda.meetings.tests.helpers import deputy_scope
from renda.voting import services
from renda.voting.models import Ballot, Participation, VoteMethod

pytestmark = pytest.mark.django_db

LABELS = tuple(f"候选项目{i}" for i in range(1, 11))


def _cast_in_order(
    make_vote: Any, *, after_setup: Callable[[], None] = lambda: None
) -> tuple[Any, list[Any], list[list[int]]]:
    vote, deputies = make_vote(labels=LABELS, seats=1, entitled=10, present=10)
    scopes = [deputy_scope(d) for d in deputies]  # their logins exist before anyone votes
    after_setup()
    choices = [[i + 1] for i in range(10)]  # deputy i votes for option i+1: every ballot differs
    for scope, choice in zip(scopes, choices, strict=True):
        services.vote_cast(scope=scope, vote=vote, choices=choice)
    return vote, deputies, choices


def test_ballot_rows_hold_no_identity_and_no_time():
    names = {f.name for f in Ballot._meta.get_fields()}
    assert names == {"id", "vote", "choices", "receipt"}
    for f in Ballot._meta.get_fields():
        assert not isinstance(f, (models.DateTimeField, models.DateField)), f.name
        if f.is_relation:
            assert f.related_model._meta.label == "voting.Vote", f.name
    assert isinstance(Ballot._meta.pk, models.UUIDField)
    participation = {f.name for f in Participation._meta.get_fields()}
    assert participation == {"id", "vote", "deputy"}  # who voted, never what or when


def test_no_model_anywhere_links_a_deputy_or_user_to_a_ballot():
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.is_relation and f.related_model is Ballot:
                assert model is not Ballot and model._meta.label == "voting.Vote", model


def _orderings(vote: Any) -> dict[str, list[list[int]]]:
    """Every order in which the stored ballots can be read back."""
    found: dict[str, list[list[int]]] = {
        "default": [b.choices for b in Ballot.objects.filter(vote=vote)],
        "pk": [b.choices for b in Ballot.objects.filter(vote=vote).order_by("pk")],
        "receipt": [b.choices for b in Ballot.objects.filter(vote=vote).order_by("receipt")],
        "unordered": [c for c in Ballot.objects.filter(vote=vote).order_by().values_list("choices", flat=True)],
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT choices FROM voting_ballot WHERE vote_id = %s ORDER BY ctid", [vote.pk])
            found["physical"] = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in cursor.fetchall()]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT choices FROM voting_ballot WHERE vote_id = %s ORDER BY rowid", [vote.pk])
            found["physical"] = [json.loads(r[0]) for r in cursor.fetchall()]
    return found


def test_after_close_no_ordering_of_ballots_follows_the_voting_order(make_vote, staff):
    vote, deputies, choices = _cast_in_order(make_vote)
    services.vote_close(scope=staff, vote=vote)
    orderings = _orderings(vote)
    # Voting order as the participation table keeps it (its ids grow as deputies vote)
    order = list(Participation.objects.filter(vote=vote).order_by("id").values_list("deputy_id", flat=True))
    assert order == [d.pk for d in deputies]
    for name, read_back in orderings.items():
        assert sorted(read_back) == sorted(choices), name
        # 10! orders: a random shuffle equals the voting order once in 3.6 million runs
        assert read_back != choices, f"ballots read back by {name} follow the voting order"


def test_audit_log_never_names_a_deputy_together_with_a_choice(make_vote, staff):
    mark: list[int] = []

    def remember_last_event() -> None:
        mark.append(AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0)

    vote, deputies, choices = _cast_in_order(make_vote, after_setup=remember_last_event)
    first_event = mark[0]
    services.vote_close(scope=staff, vote=vote)
    services.vote_publish(scope=staff, vote=vote)
    events = list(AuditEvent.objects.filter(id__gt=first_event))
    names = {d.name for d in deputies}
    ids = {str(d.pk) for d in deputies}
    receipts = set(Ballot.objects.filter(vote=vote).values_list("receipt", flat=True))
    for event in events:
        text = json.dumps([event.before, event.after, event.reason, event.target_label], ensure_ascii=False)
        names_a_deputy = any(n in text for n in names) or (event.target_type == "org.deputy" and event.target_id in ids)
        if names_a_deputy:
            # sign-in events name a deputy: they must say nothing about any vote's content
            assert event.action.startswith("meeting."), event.action
            assert "choices" not in text and "receipt" not in text, event.action
        assert not any(r[:16] in text for r in receipts), event.action
    # No event is written per ballot: casting leaves no trace beyond the participation row
    assert not [e for e in events if e.action == "vote.cast"]


def test_receipts_reveal_nothing_without_the_secret(make_vote):
    vote, deputies, choices = _cast_in_order(make_vote)
    stored = list(Ballot.objects.filter(vote=vote).values_list("choices", "receipt"))
    # Anyone who tries every possible ballot without the voter's secret matches none of the receipts
    for _choice, receipt in stored:
        guesses = {services.receipt_of(vote.pk, [p], "") for p in range(1, 11)}
        assert receipt not in guesses


def test_results_are_not_shown_while_the_vote_is_open(make_vote, staff, client_as):
    vote, deputies, _ = _cast_in_order(make_vote)
    page = client_as("township").get(f"/voting/{vote.pk}/").content.decode()
    assert 'id="result"' not in page and "已收到电子票" in page
    assert vote.options.filter(count_yes__gt=0).count() == 0  # nothing is counted before close


def test_yes_no_secrecy_holds_for_the_mark_too(make_vote, staff):
    vote, deputies = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("决议",), entitled=6, present=6)
    marks = ["yes", "no", "abstain", "yes", "no", "abstain"]
    for d, m in zip(deputies, marks, strict=True):
        services.vote_cast(scope=deputy_scope(d), vote=vote, choices={"1": m})
    services.vote_close(scope=staff, vote=vote)
    assert sorted(b.choices["1"] for b in Ballot.objects.filter(vote=vote)) == sorted(marks)
