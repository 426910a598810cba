from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from renda.meetings.tests.helpers import session_with
from renda.voting import services as voting
from renda.voting.models import Vote, VoteMethod


@pytest.fixture
def staff(scope_of):  # type: ignore[no-untyped-def]
    return scope_of("township")


@pytest.fixture
def make_vote(staff) -> Callable[..., tuple[Vote, list[Any]]]:  # type: ignore[no-untyped-def]
    """A vote at a fresh session of the demo town: ``entitled`` deputies, ``present`` signed in."""

    def make(
        *,
        method: str = VoteMethod.CHOOSE_N,
        seats: int | None = 2,
        labels: tuple[str, ...] = ("甲项目", "乙项目", "丙项目", "丁项目"),
        entitled: int = 9,
        present: int = 9,
        open_vote: bool = True,
    ) -> tuple[Vote, list[Any]]:
        meeting, deputies = session_with(staff, entitled=entitled, present=present)
        vote = voting.vote_create(
            scope=staff,
            meeting=meeting,
            title="票决2027年民生实事项目",
            method=method,
            seats=seats,
            options=[voting.OptionInput(label=x, ref=f"test.item:{i}") for i, x in enumerate(labels, start=1)],
        )
        if open_vote:
            vote = voting.vote_open(scope=staff, vote=vote)
        return vote, deputies

    return make


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    """The tests make a login per deputy; hashing each with the production hasher is slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
