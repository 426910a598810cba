"""What a rule's value may be (core.rules): checked by the default's type and a sensible range."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from renda.core.errors import ValidationFailed
from renda.core.rules import BOUNDS, CHOICES, DEFAULTS, REGIONAL, parse_rule_value, rule_display, rule_kind


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_default_passes_its_own_check(key):
    kind = rule_kind(key)
    default = DEFAULTS[key].value
    raw = ("true" if default else "false") if kind == "bool" else str(default)
    if kind in ("int", "fraction", "decimal"):
        assert key in BOUNDS, f"{key} has no range"
    if kind == "choice":
        assert default in dict(CHOICES[key])
    parsed = parse_rule_value(key, raw)
    assert parsed == default or Fraction(str(parsed)) == Fraction(str(default))


def test_the_stored_forms_are_what_the_readers_parse():
    assert Decimal(parse_rule_value("project.satisfaction_threshold", " 0.60 ")) == Decimal("0.6")
    assert Fraction(parse_rule_value("project.min_candidate_ratio", "5/4")) == Fraction(5, 4)
    assert parse_rule_value("opinion.rating_days", " 20 ") == 20
    assert parse_rule_value("opinion.answer_review", "false") is False


def test_bounds_and_choices_name_only_known_rules():
    assert set(BOUNDS) <= set(DEFAULTS) and set(CHOICES) <= set(DEFAULTS) and set(DEFAULTS) >= REGIONAL


def test_values_are_shown_in_words():
    assert rule_display("opinion.answer_review", True) == "开启"
    assert rule_display("session.majority", "all_half") == "全体代表的过半数"
    assert rule_display("opinion.rating_days", 15) == "15"


@pytest.mark.parametrize("raw", [None, "", "1e3", "0x10", "１５", "15 天"])
def test_odd_input_for_a_number_is_refused(raw):
    with pytest.raises(ValidationFailed):
        parse_rule_value("opinion.rating_days", raw)
