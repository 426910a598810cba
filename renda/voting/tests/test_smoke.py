from __future__ import annotations

import pytest

from renda.meetings.tests.helpers import deputy_scope, session_with
from renda.voting import services as voting
from renda.voting.models import Outcome, VoteMethod, VoteState

pytestmark = pytest.mark.django_db


def test_choose_n_round_trip(scope_of):
    staff = scope_of("township")
    meeting, deputies = session_with(staff, entitled=6, present=6)
    vote = voting.vote_create(
        scope=staff,
        meeting=meeting,
        title="票决民生实事",
        method=VoteMethod.CHOOSE_N,
        seats=2,
        options=[voting.OptionInput(label=x, ref=f"t:{i}") for i, x in enumerate(["甲", "乙", "丙"])],
    )
    vote = voting.vote_open(scope=staff, vote=vote)
    for d in deputies[:4]:
        voting.vote_cast(scope=deputy_scope(d), vote=vote, choices=[1, 2])
    vote = voting.vote_close(scope=staff, vote=vote)
    vote = voting.vote_publish(scope=staff, vote=vote)
    assert vote.state == VoteState.PUBLISHED
    outcomes = {o.label: o.outcome for o in vote.options.all()}
    assert outcomes == {"甲": Outcome.ELECTED, "乙": Outcome.ELECTED, "丙": Outcome.NOT_ELECTED}
