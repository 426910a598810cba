"""Quorum and majority arithmetic (地方组织法 §14, §25), shared by meetings and voting."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, Q

from renda.core.rules import rule
from renda.meetings.models import Attendance, Attendee, Meeting


def parse_fraction(value: object) -> Fraction:
    """``"2/3"``, ``0.5`` or ``"0.5"`` as a Fraction in (0, 1]; a bad setting falls back to 2/3."""
    try:
        fraction = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return Fraction(2, 3)
    if not 0 < fraction <= 1:
        return Fraction(2, 3)
    return fraction


def quorum_needed(entitled: int) -> int:
    """Deputies who must be present: at least ``session.quorum_fraction`` of all of them."""
    return math.ceil(entitled * parse_fraction(rule("session.quorum_fraction")))


MAJORITY_LABELS = {
    "all_half": "全体代表的过半数",
    "present_half": "出席代表的过半数",
    "cast_half": "有效票的过半数",
}


def majority_rule() -> str:
    value = str(rule("session.majority"))
    return value if value in MAJORITY_LABELS else "all_half"


def majority_threshold(rule_name: str, *, entitled: int, present: int, valid_ballots: int) -> int:
    """Votes needed to pass: more than half of the basis the rule names."""
    basis = {"all_half": entitled, "present_half": present, "cast_half": valid_ballots}[rule_name]
    return basis // 2 + 1


@dataclass(frozen=True)
class QuorumStatus:
    entitled: int
    present: int
    leave: int
    needed: int

    @property
    def reached(self) -> bool:
        return self.entitled > 0 and self.present >= self.needed

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.present)


def quorum_status(meeting: Meeting) -> QuorumStatus:
    row = Attendee.objects.filter(meeting=meeting).aggregate(
        entitled=Count("id"),
        present=Count("id", filter=Q(status=Attendance.PRESENT)),
        leave=Count("id", filter=Q(status=Attendance.LEAVE)),
    )
    return QuorumStatus(
        entitled=row["entitled"], present=row["present"], leave=row["leave"], needed=quorum_needed(row["entitled"])
    )
