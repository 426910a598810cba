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
historical ones. :func:`verify` is the nightly sweep's check (``suggestions.figures_check``): it
recomputes the rows, compares them with those stored, repairs the rows that differ and writes one
audit event with the counts (the statistics page shows the last one to the congress office).

Bulk writes cannot slip past: ``Suggestion.objects`` refuses ``update()`` of a counted field,
``bulk_create`` of a registered suggestion, ``bulk_update`` of a counted field and ``delete()`` of
a registered one (models.SuggestionQuerySet); a bulk change of counted fields goes through
:func:`update_counted`, which tracks and records each row as the services do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from renda.audit.services import audit_record
from renda.suggestions.models import REGISTERED_STATES, Outcome, State, Suggestion, SuggestionFigures

logger = logging.getLogger(__name__)

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


def update_counted(queryset: QuerySet[Suggestion], **fields: Any) -> int:
    """A bulk ``update()`` that the figures follow: the rows are locked in key order and tracked,
    updated in one statement, re-read and recorded, in one transaction (the demo's back-dating,
    an import's corrections)."""
    with transaction.atomic():
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        if not pks:
            return 0
        rows = list(
            Suggestion.objects.filter(pk__in=pks)
            .select_related("category")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for s in rows:
            track(s)
        changed = Suggestion.objects.filter(pk__in=pks).update_counted(**fields)
        fresh = {s.pk: s for s in Suggestion.objects.filter(pk__in=pks).select_related("category")}
        for s in rows:
            after = fresh[s.pk]
            setattr(after, _ATTR, getattr(s, _ATTR))
            record(after)
        return changed


def _expected(suggestion_model: Any = Suggestion) -> dict[Key, dict[str, int]]:
    groups = (
        suggestion_model.objects.filter(state__in=REGISTERED_STATES)
        .values("body_id", "year", "region_id", "lead_unit_id")
        .annotate(top=Coalesce("category__parent_id", "category_id"), **grouped_measures())
        .order_by()
    )
    return {
        (g["body_id"], g["year"], g["region_id"], g["lead_unit_id"] or 0, g["top"]): {
            m: int(g[m] or 0) for m in MEASURES
        }
        for g in groups
    }


@dataclass
class FiguresReport:
    """What :func:`verify` found: rows compared, and those that differed from the records."""

    rows: int = 0  # groups the records give
    wrong: int = 0  # stored with other figures
    missing: int = 0  # a group of the records without a stored row
    extra: int = 0  # a stored row with counts where the records have none
    repaired: bool = False
    differences: list[dict[str, Any]] = field(default_factory=list)  # the first few, for the audit event

    @property
    def total(self) -> int:
        return self.wrong + self.missing + self.extra

    def summary(self) -> str:
        if not self.total:
            return f"统计汇总与建议记录一致（{self.rows} 组）"
        done = "已修复" if self.repaired else "未修复"
        return (
            f"统计汇总与建议记录不一致 {self.total} 处（数值不符 {self.wrong}、缺行 {self.missing}、"
            f"多余 {self.extra}），{done}"
        )


MAX_REPORTED = 20
CHECK_ACTOR = "系统（统计汇总核对）"


def verify(*, repair: bool = True) -> FiguresReport:
    """Recompute the summary from the records, compare it with the stored rows and (``repair``)
    set every differing row to what the records give. The stored rows are locked first, in key
    order (the order the services update them in): a transition in flight has either committed
    its change and its figures before the check reads, or adds its difference to the repaired row
    after. Every run is logged and writes one audit event with the counts."""
    report = FiguresReport(repaired=repair)
    with transaction.atomic():
        stored_rows = list(
            SuggestionFigures.objects.select_for_update().order_by(
                "body_id", "year", "region_id", "unit_key", "category_id"
            )
        )
        expected = _expected()
        report.rows = len(expected)
        stored = {(f.body_id, f.year, f.region_id, f.unit_key, f.category_id): f for f in stored_rows}
        zero = dict.fromkeys(MEASURES, 0)
        for key in sorted(set(expected) | set(stored)):
            want = expected.get(key, zero)
            row = stored.get(key)
            have = {m: getattr(row, m) for m in MEASURES} if row is not None else zero
            if have == want:
                continue
            kind = "missing" if row is None else "extra" if key not in expected else "wrong"
            setattr(report, kind, getattr(report, kind) + 1)
            if len(report.differences) < MAX_REPORTED:
                report.differences.append(
                    {
                        "key": dict(zip(("body", "year", "region", "unit", "category"), key, strict=True)),
                        "kind": kind,
                        "stored": {m: v for m, v in have.items() if v != want[m]},
                        "records": {m: v for m, v in want.items() if v != have[m]},
                    }
                )
            if not repair:
                continue
            if row is None:  # created as the services create one (a transition may be creating it too)
                _bump(key, {m: v for m, v in want.items() if v})
            elif key not in expected:
                row.delete()
            else:
                SuggestionFigures.objects.filter(pk=row.pk).update(**want)
        if repair:  # a check alone (``rebuild_suggestion_figures --check``) changes nothing
            _audit_check(report)
    log = logger.warning if report.total else logger.info
    log("suggestion figures check: %s", report.summary())
    return report


def _audit_check(report: FiguresReport) -> None:
    audit_record(
        actor=CHECK_ACTOR,
        action="suggestion.figures_check",
        target_type="suggestions.figures",
        target_id="all",
        target_label="代表建议统计汇总",
        reason=report.summary(),
        after={
            "rows": report.rows,
            "wrong": report.wrong,
            "missing": report.missing,
            "extra": report.extra,
            "repaired": report.repaired,
            "differences": report.differences,
        },
    )


def rebuild(suggestion_model: Any = Suggestion, figures_model: Any = SuggestionFigures) -> int:
    """Recompute every figures row from the records; returns the number of rows. Run it while no
    transition is in flight (after a bulk load, in a migration, in a maintenance window)."""
    with transaction.atomic():
        figures_model.objects.all().delete()
        rows = [figures_model(**_lookup(key), **values) for key, values in sorted(_expected(suggestion_model).items())]
        figures_model.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
