"""Signals of the voting scene.

``vote_decided`` is sent exactly once per question (a first-round vote and its runoffs),
inside the transaction that publishes its last round, with kwargs:

- ``vote``: the first-round Vote;
- ``elected_refs``: refs of the options elected/passed across all rounds;
- ``not_elected_refs``: refs of the options that were not.

Receivers filter refs by their own prefix (e.g. ``"projects.candidate:"``).
"""

from __future__ import annotations

import django.dispatch

vote_decided = django.dispatch.Signal()
