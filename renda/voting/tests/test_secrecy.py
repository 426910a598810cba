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
from django.test import Client, override_settings

from renda.audit.models import AuditEvent
from renda.core.errors import Conflict
from renda.demo.meetings import check_paper
from renda.meetings.tests.helpers import deputy_scope, deputy_user
from renda.voting import sealing, services
from renda.voting.models import Ballot, BallotTracker, Participation, SealedBallot, VoteMethod

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


def test_ballot_rows_hold_no_identity_no_time_and_no_receipt():
    for model, expected in [
        (Ballot, {"id", "vote", "choices"}),  # what was voted: no receipt beside it
        (BallotTracker, {"id", "vote", "tracker"}),  # which receipts were counted: no choice beside them
        (SealedBallot, {"id", "vote", "sealed", "tracker"}),  # while open: sealed
        (Participation, {"id", "vote", "deputy"}),  # who voted, never what or when
    ]:
        fields = model._meta.get_fields()
        assert {f.name for f in fields} == expected, model
        for f in fields:
            assert not isinstance(f, (models.DateTimeField, models.DateField)), f.name
    for model in (Ballot, BallotTracker, SealedBallot):
        assert isinstance(model._meta.pk, models.UUIDField)


def test_no_model_anywhere_links_a_deputy_or_user_to_a_ballot():
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.is_relation and f.related_model in (Ballot, BallotTracker, SealedBallot):
                assert model._meta.label == "voting.Vote", model


def _every_stored_value() -> list[str]:
    """Every cell of every table in the database, as text (bytes as they are stored)."""
    cells: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        cells.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        cells.append(
                            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                        )
    return cells


def test_while_the_vote_is_open_nothing_stored_says_what_anyone_voted(make_vote):
    """Who voted and the sealed ballot are written together (so "已投票" always means a ballot in
    the box), so any join (xmin, rowid, ids) may pair them: the pair must say nothing."""
    vote, deputies = make_vote(method=VoteMethod.YES_NO, seats=None, labels=("甲", "乙", "丙"), entitled=8, present=8)
    patterns = [
        {"1": a, "2": b, "3": c}
        for a, b, c in [
            ("yes", "yes", "yes"), ("no", "no", "no"), ("abstain", "abstain", "abstain"), ("yes", "no", "abstain"),
            ("abstain", "no", "yes"), ("no", "yes", "abstain"), ("yes", "abstain", "no"), ("abstain", "yes", "no"),
        ]
    ]  # fmt: skip
    for deputy, choice in zip(deputies, patterns, strict=True):
        services.vote_cast(scope=deputy_scope(deputy), vote=vote, choices=choice)
    assert not Ballot.objects.filter(vote=vote).exists()
    stored = "\n".join(_every_stored_value())
    for choice in patterns:
        assert json.dumps(choice, separators=(",", ":")) not in stored
        assert json.dumps(choice) not in stored
    # One length for every sealed ballot: "abstain" three times is not longer than "no" three times
    lengths = {len(bytes(s)) for s in SealedBallot.objects.filter(vote=vote).values_list("sealed", flat=True)}
    assert len(lengths) == 1
    # The box cannot be opened from the database alone: the key comes from BALLOT_SEAL_KEY
    vote.refresh_from_db()
    sealed = bytes(SealedBallot.objects.filter(vote=vote).values_list("sealed", flat=True)[0])
    with override_settings(BALLOT_SEAL_KEY="a key the attacker guessed"), pytest.raises(Conflict, match="无法启封"):
        sealing.unseal(sealing.opener(vote.pk, vote.seal_salt), sealed)


def test_choose_n_ballots_of_every_size_seal_to_one_length(make_vote):
    vote, deputies = make_vote(labels=LABELS, seats=3, entitled=4, present=4)
    for deputy, choice in zip(deputies, [[], [1], [2, 3], [4, 5, 10]], strict=True):
        services.vote_cast(scope=deputy_scope(deputy), vote=vote, choices=choice)
    assert len({len(bytes(s)) for s in SealedBallot.objects.values_list("sealed", flat=True)}) == 1


def _orderings(vote: Any) -> dict[str, list[list[int]]]:
    """Every order in which the stored ballots can be read back."""
    found: dict[str, list[list[int]]] = {
        "default": [b.choices for b in Ballot.objects.filter(vote=vote)],
        "pk": [b.choices for b in Ballot.objects.filter(vote=vote).order_by("pk")],
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
    # The participations were rewritten too: neither their ids nor their storage order follow the voting
    for name, order_by in [("id", "id"), ("physical", "?")]:
        if order_by == "?":
            continue
        order = list(Participation.objects.filter(vote=vote).order_by(order_by).values_list("deputy_id", flat=True))
        assert sorted(order) == sorted(d.pk for d in deputies)
        assert order != [d.pk for d in deputies], f"participations by {name} keep the voting order"
    assert not SealedBallot.objects.filter(vote=vote).exists()
    vote.refresh_from_db()
    assert vote.seal_salt == ""  # the key cannot be derived again
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
    receipts = set(BallotTracker.objects.filter(vote=vote).values_list("tracker", flat=True))
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


def test_the_receipt_proves_the_ballot_was_counted_not_what_it_said(make_vote, staff):
    """A voter can show their receipt to a buyer: nothing in it, nor in anything stored beside it,
    lets the buyer tell what the ballot said (the old receipt came with a secret that let anyone
    recompute the choice)."""
    vote, deputies = make_vote(labels=LABELS, seats=1, entitled=4, present=4)
    same = [services.vote_cast(scope=deputy_scope(d), vote=vote, choices=[3]) for d in deputies[:2]]
    other = services.vote_cast(scope=deputy_scope(deputies[2]), vote=vote, choices=[7])
    receipt = same[0]
    assert {f for f in vars(receipt)} == {"vote", "code"}  # nothing to recompute the choice with
    assert same[0].code != same[1].code  # the same choice twice: unrelated codes
    services.vote_close(scope=staff, vote=vote)
    answers = [services.receipt_check(code=r.code) for r in (*same, other)]
    assert len({(a.vote.pk, a.counted, a.published) for a in answers}) == 1  # the check says the same for all
    # After close a receipt is in a table of its own, in an order of its own, with nothing beside it
    tracker = services.normalise_receipt_code(receipt.code)
    assert BallotTracker.objects.filter(tracker=tracker).exists()
    assert not [v for v in _every_stored_value() if tracker in v and ("[" in v or "{" in v)]  # no row with a choice


def test_few_phone_ballots_are_never_published_beside_paper_ones(make_vote, staff, client_as):
    """Two phone ballots beside a paper batch: the result minus the paper totals would give the
    two phone choices. Close refuses; staff switch the vote to paper, voiding the phone ballots."""
    vote, deputies = make_vote(labels=("甲", "乙", "丙"), seats=1, entitled=9, present=9)
    for deputy in deputies[:2]:
        services.vote_cast(scope=deputy_scope(deputy), vote=vote, choices=[1])
    services.paper_batch_enter(scope=staff, vote=vote, ballots=5, invalid=0, counts={"2": 5}, tellers="王明")
    page = client_as("township")
    r = page.post(f"/voting/{vote.pk}/act/close/")
    assert r.status_code == 409 and "少于 5 张" in r.content.decode() and "改为纸质票表决" in r.content.decode()
    vote.refresh_from_db()
    assert vote.state == "open" and not Ballot.objects.filter(vote=vote).exists()  # nothing half-done
    assert page.post(f"/voting/{vote.pk}/act/to_paper/").status_code == 302
    assert not Participation.objects.filter(vote=vote).exists() and not SealedBallot.objects.filter(vote=vote).exists()
    event = AuditEvent.objects.get(action="vote.to_paper")
    assert event.after["voided_phone_ballots"] == 2
    # The two deputies now vote on paper; their phones are told so
    with pytest.raises(Conflict, match="纸质票"):
        services.vote_cast(scope=deputy_scope(deputies[0]), vote=vote, choices=[1])
    assert "本事项已改为纸质票表决" in client_as_deputy(deputies[0]).get(f"/voting/{vote.pk}/").content.decode()
    services.paper_batch_enter(scope=staff, vote=vote, ballots=2, invalid=0, counts={"1": 2}, tellers="王明")
    check_paper(vote)
    closed = services.vote_close(scope=staff, vote=vote)
    assert (closed.ballots_phone, closed.ballots_paper) == (0, 7)
    # A vote with enough phone ballots is not switched
    vote2, deputies2 = make_vote(labels=("甲", "乙"), seats=1, entitled=6, present=6)
    for deputy in deputies2[:5]:
        services.vote_cast(scope=deputy_scope(deputy), vote=vote2, choices=[1])
    with pytest.raises(Conflict, match="无需改为纸质票"):
        services.vote_to_paper(scope=staff, vote=vote2)
    services.paper_batch_enter(scope=staff, vote=vote2, ballots=1, invalid=0, counts={"2": 1}, tellers="王明")
    check_paper(vote2)
    assert services.vote_close(scope=staff, vote=vote2).ballots_phone == 5


def client_as_deputy(deputy: Any) -> Client:
    client = Client()
    client.force_login(deputy_user(deputy))
    return client


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
