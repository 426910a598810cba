"""建议统计汇总: the statistics page's figures, kept in step with the records.

Every registered (立案) suggestion contributes one to ``count`` of exactly one SuggestionFigures row
(its congress, year, region, lead unit, top-level category) and 0/1 to each other measure. The
services call :func:`track` right after locking a suggestion (``SUGGESTIONS.prepare``) and
:func:`record` right after saving it (``services._counted``): the difference between the two
contributions is added to the rows concerned with ``F()`` expressions, in the same transaction,
the rows updated in key order (no deadlock between two transitions). A transition that moves a
suggestion between groups (assignment to a unit, re-assignment) or in or out of the registered
states (acceptance, withdrawal, conversion) is two row updates; one that changes nothing counted
(supervision, a reminder, overdue marking) is none.

:func:`rebuild` recomputes every row from the records (after a bulk load, or if figures were ever
changed behind the services' back); it takes the model classes so the data migration can pass the
historical ones.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from renda.suggestions.models import REGISTERED_STATES, Outcome, State, Suggestion, SuggestionFigures

MEASURES = ("count", "answered", "on_time", "closed", "class_a", "rated", "satisfied", "days_sum", "days_n")
RATED = (Outcome.SATISFIED, Outcome.BASIC, Outcome.UNSATISFIED)
SATISFIED = (Outcome.SATISFIED, Outcome.BASIC)

Key = tuple[int, int, int, int, int]  # body, year, region, unit_key (0: none), top category
Contribution = tuple[Key, dict[str, int]] | None
_ATTR = "_figures_before"


def contribution(s: Suggestion) -> Contribution:
    """What this suggestion adds to the figures as it stands (None: not counted)."""
    if s.state not in REGISTERED_STATES:
        return None
    answered = s.answered_at is not None
    closed = s.state == State.CLOSED
    rated = closed and s.outcome in RATED
    top = s.category.parent_id or s.category_id
    key: Key = (s.body_id, s.year, s.region_id, s.lead_unit_id or 0, top)
    return key, {
        "count": 1,
        "answered": int(answered),
        "on_time": int(s.answered_on_time is True),
        "closed": int(closed),
        "class_a": int(answered and s.answer_class == "A"),
        "rated": int(rated),
        "satisfied": int(rated and s.outcome in SATISFIED),
        "days_sum": s.answer_days or 0,
        "days_n": int(s.answer_days is not None),
    }


def track(s: Suggestion) -> None:
    """Remember what a freshly locked suggestion contributes, before a service changes it."""
    setattr(s, _ATTR, contribution(s))


def record(s: Suggestion) -> None:
    """Apply the change of this suggestion's contribution since :func:`track` (or since the last
    :func:`record`). A suggestion never tracked is new (a draft): it contributed nothing."""
    if not hasattr(s, _ATTR) and s.state in REGISTERED_STATES:
        raise RuntimeError("代表建议须经 services._lock 加锁后才能修改（统计汇总依此保持一致）")
    before: Contribution = getattr(s, _ATTR, None)
    after = contribution(s)
    setattr(s, _ATTR, after)
    if before == after:
        return
    deltas: dict[Key, dict[str, int]] = {}
    for sign, part in ((-1, before), (1, after)):
        if part is None:
            continue
        key, values = part
        row = deltas.setdefault(key, dict.fromkeys(MEASURES, 0))
        for m, v in values.items():
            row[m] += sign * v
    for key in sorted(deltas):
        change = {m: v for m, v in deltas[key].items() if v}
        if change:
            _bump(key, change)


def _lookup(key: Key) -> dict[str, int]:
    body, year, region, unit, category = key
    return {"body_id": body, "year": year, "region_id": region, "unit_key": unit, "category_id": category}


def _bump(key: Key, change: dict[str, int]) -> None:
    rows = SuggestionFigures.objects.filter(**_lookup(key))
    if rows.update(**{m: F(m) + v for m, v in change.items()}):
        return
    try:
        with transaction.atomic():  # the first suggestion of its group
            SuggestionFigures.objects.create(**_lookup(key), **change)
    except IntegrityError:  # another transaction created it meanwhile: add to theirs
        rows.update(**{m: F(m) + v for m, v in change.items()})


def grouped_measures() -> dict[str, Any]:
    """The measures as aggregates over Suggestion rows (used to rebuild, and by the fallback)."""
    return {
        "count": Count("id"),
        "answered": Count("id", filter=Q(answered_at__isnull=False)),
        "on_time": Count("id", filter=Q(answered_on_time=True)),
        "closed": Count("id", filter=Q(state=State.CLOSED)),
        "class_a": Count("id", filter=Q(answered_at__isnull=False, answer_class="A")),
        "rated": Count("id", filter=Q(state=State.CLOSED, outcome__in=RATED)),
        "satisfied": Count("id", filter=Q(state=State.CLOSED, outcome__in=SATISFIED)),
        "days_sum": Sum("answer_days"),
        "days_n": Count("answer_days"),
    }


def rebuild(suggestion_model: Any = Suggestion, figures_model: Any = SuggestionFigures) -> int:
    """Recompute every figures row from the records; returns the number of rows. Run it while no
    transition is in flight (after a bulk load, in a migration, in a maintenance window)."""
    with transaction.atomic():
        figures_model.objects.all().delete()
        groups = (
            suggestion_model.objects.filter(state__in=REGISTERED_STATES)
            .values("body_id", "year", "region_id", "lead_unit_id")
            .annotate(top=Coalesce("category__parent_id", "category_id"), **grouped_measures())
            .order_by()
        )
        rows = [
            figures_model(
                body_id=g["body_id"],
                year=g["year"],
                region_id=g["region_id"],
                unit_key=g["lead_unit_id"] or 0,
                category_id=g["top"],
                **{m: int(g[m] or 0) for m in MEASURES},
            )
            for g in groups
        ]
        figures_model.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
