"""Every read of 代表建议 a page or API needs, already scoped.

Who sees what (on top of the region scope of ``scope.filter``): congress-office staff see every
suggestion of their region once it is submitted; a deputy sees the ones they lead or were invited
to sign; a handling unit sees the ones assigned to it (lead or co-unit) while the assignment stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.core.errors import NotFound
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.opinions.selectors import opinion_base
from renda.org.models import Body, BodyKind, Category, Deputy, HandlingUnit
from renda.org.selectors import current_memberships, deputy_name_q
from renda.regions.models import Region
from renda.regions.paths import subtree_q
from renda.suggestions import figures
from renda.suggestions.models import (
    DEADLINE_STATES,
    HANDLING_STATES,
    OPEN_STATES,
    REGISTERED_STATES,
    Answer,
    Assignment,
    Outcome,
    RatingRecord,
    Signatory,
    SignatoryStatus,
    State,
    SubmissionWindow,
    Suggestion,
    SuggestionFigures,
)


def signed_q(scope: Scope) -> Q:
    """The suggestions the scope's deputy signs: the lead deputy and co-signers who confirmed or have
    yet to answer (one who declined did not sign)."""
    if not scope.deputy_ids:
        return Q(pk__in=[])
    signed = Signatory.objects.filter(suggestion=OuterRef("pk"), deputy_id__in=scope.deputy_ids).exclude(
        status=SignatoryStatus.DECLINED
    )
    return Q(Exists(signed))


def visible_q(scope: Scope) -> Q:
    """Which suggestions inside the scope's regions this user sees, by role."""
    q = Q(pk__in=[])
    if scope.has(Perm.SUGGESTION_MANAGE):
        q |= ~Q(state=State.DRAFT)
    if scope.deputy_ids:
        q |= signed_q(scope)
    if scope.unit_ids:
        q |= Q(Exists(Assignment.objects.filter(suggestion=OuterRef("pk"), unit_id__in=scope.unit_ids, active=True)))
    return q


def suggestion_base(*, scope: Scope) -> QuerySet[Suggestion]:
    """What the user sees: by role inside their regions, and (五级代表) a deputy's own suggestions
    to a higher congress too, whose region is above the deputy's township scope: theirs by signature."""
    scope.require(Perm.SUGGESTION_VIEW)
    return Suggestion.objects.filter((scope.region_q("region__path") & visible_q(scope)) | signed_q(scope))


@dataclass
class SuggestionFilter:
    state: str = ""
    queue: str = ""  # open, overdue, due_soon, key, unsatisfied, mine, to_rate
    q: str = ""
    year: int | None = None
    body_id: int | None = None
    region_id: int | None = None
    unit_id: int | None = None
    category_id: int | None = None


def _due_soon_date() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=int(rule("suggestion.remind_days")))


def _year_body_region(qs: QuerySet[Any], scope: Scope, f: SuggestionFilter) -> QuerySet[Any]:
    """The filters the records and their summary (SuggestionFigures) answer alike."""
    if f.year:
        qs = qs.filter(year=f.year)
    if f.body_id:
        qs = qs.filter(body_id=f.body_id)
    if f.region_id:
        region = scope.get(Region.objects.all(), pk=f.region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    return qs


def apply_filters(qs: QuerySet[Suggestion], scope: Scope, f: SuggestionFilter) -> QuerySet[Suggestion]:
    if f.state:
        qs = qs.filter(state=f.state)
    if f.queue == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif f.queue == "overdue":
        qs = qs.filter(state__in=DEADLINE_STATES, is_overdue=True)
    elif f.queue == "due_soon":
        qs = qs.filter(state__in=DEADLINE_STATES, is_overdue=False, due_on__lte=_due_soon_date())
    elif f.queue == "key":
        qs = qs.filter(is_key=True)
    elif f.queue == "unsatisfied":
        qs = qs.filter(Q(state=State.REHANDLING) | Q(state=State.CLOSED, outcome=Outcome.UNSATISFIED))
    elif f.queue == "to_rate":
        qs = qs.filter(state=State.ANSWERED)
    elif f.queue == "promises":
        qs = qs.filter(promise_open=True)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(number__contains=term) | Q(title__contains=term) | Q(lead_deputy__name=term))
    qs = _year_body_region(qs, scope, f)
    if f.unit_id:
        qs = qs.filter(Exists(Assignment.objects.filter(suggestion=OuterRef("pk"), unit_id=f.unit_id, active=True)))
    if f.category_id:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    return qs


def suggestion_list(*, scope: Scope, filters: SuggestionFilter | None = None) -> QuerySet[Suggestion]:
    """Open ones first (overdue, then the nearest deadline), then finished ones, newest first."""
    qs = apply_filters(suggestion_base(scope=scope), scope, filters or SuggestionFilter())
    still_open = Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.select_related("body", "region", "lead_deputy", "category__parent", "lead_unit").order_by(
        still_open, "-is_overdue", F("due_on").asc(nulls_last=True), "-id"
    )


def suggestion_to_act_on(*, scope: Scope, pk: int) -> Suggestion:
    """One suggestion the user may see, for a transition: the services lock and re-read the row
    themselves, so none of the detail page's related sets is loaded."""
    return scope.get(suggestion_base(scope=scope).select_related("body", "region"), perm=Perm.SUGGESTION_VIEW, pk=pk)


def suggestion_detail(*, scope: Scope, pk: int) -> Suggestion:
    found = (
        suggestion_base(scope=scope)
        .select_related("body", "region", "lead_deputy", "category__parent", "lead_unit", "window", "converted_opinion")
        .prefetch_related(
            Prefetch("signatories", queryset=Signatory.objects.select_related("deputy").order_by("-is_lead", "id")),
            Prefetch(
                "assignments", queryset=Assignment.objects.select_related("unit").order_by("-active", "-role", "id")
            ),
            Prefetch("answers", queryset=Answer.objects.select_related("unit").order_by("round")),
            Prefetch("ratings", queryset=RatingRecord.objects.select_related("deputy").order_by("round")),
            "contacts__unit",
            "supervisions",
            "opinions",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("建议不存在或不在您的管辖范围内")
    return found


def suggestion_timeline(*, suggestion: Suggestion) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="suggestions.suggestion", target_id=str(suggestion.pk)).order_by("seq")


# ------------------------------------------------------------------ choices for the forms


def congress_bodies_for(*, scope: Scope) -> QuerySet[Body]:
    """Congresses the acting deputy may address (a mandate of that level, living in its region),
    lowest first: their own township's, then the county's, the city's…"""
    deputies = list(
        Deputy.objects.filter(pk__in=scope.deputy_ids).select_related("region").prefetch_related("mandates")
    )
    q = Q(pk__in=[])
    for d in deputies:
        levels = {m.level for m in d.mandates.all()}
        paths = d.region.ancestor_paths(include_self=True)
        q |= Q(level__in=levels, region__path__in=paths)
    # A deputy's right to address a congress is their mandate, not the region their login covers
    # (a township deputy who also sits in the county congress addresses the county: 五级代表).
    scope.require(Perm.SUGGESTION_DRAFT)
    return (
        Body.objects.filter(kind=BodyKind.CONGRESS)
        .filter(q)
        .select_related("region")
        .order_by("-level", "region__path")
    )


def cosigner_choices(*, body: Body, exclude: list[int] | None = None) -> QuerySet[Deputy]:
    qs = Deputy.objects.filter(
        subtree_q(body.region.path, "region__path"), is_active=True, mandates__level=body.level
    ).distinct()
    if exclude:
        qs = qs.exclude(pk__in=exclude)
    return qs.order_by("name_pinyin", "id")


COSIGNER_PAGE = 30  # matches of a search
COSIGNER_FIRST = 12  # before any search: a short list, so the form stays short on a phone


@dataclass
class CosignerPick:
    """The co-signer picker (联名代表): those already ticked, then the matches of the search."""

    selected: list[Deputy]
    matches: list[Deputy]
    total: int  # all matches, of which ``matches`` shows the first COSIGNER_PAGE (COSIGNER_FIRST unsearched)
    q: str = ""


def cosigner_search(
    *, body: Body, q: str = "", selected: Sequence[int] = (), exclude: Sequence[int] = ()
) -> CosignerPick:
    """Deputies of ``body`` who may be invited to co-sign, searched by name, pinyin (initials),
    public number, village/community or station. The ticked ones stay listed whatever the search
    (so a second search keeps the first one's picks); those outside the congress are dropped."""
    q = q.strip()[:50]
    pool = cosigner_choices(body=body, exclude=list(exclude)).select_related("region")
    shown = pool.prefetch_related(current_memberships())
    picked = list(shown.filter(pk__in=list(selected)[:MAX_PICKED])) if selected else []
    rest = pool.exclude(pk__in=[d.pk for d in picked])
    if q:
        rest = rest.filter(
            deputy_name_q(q)
            | Q(public_id__iexact=q)
            | Q(region__name__contains=q)
            | Q(memberships__station__name__contains=q, memberships__end_date__isnull=True)
        ).distinct()
    matches = list(shown.filter(pk__in=rest.values("pk"))[: COSIGNER_PAGE if q else COSIGNER_FIRST])
    return CosignerPick(selected=picked, matches=matches, total=rest.count(), q=q)


MAX_PICKED = 50


def linkable_opinions(*, scope: Scope, body: Body | None = None) -> QuerySet[Any]:
    """Opinions the deputy may build a suggestion on: those they can see (their own and their
    station's), referred-to-deputies ones (转代表) first."""
    qs = opinion_base(scope=scope)
    if body is not None:
        qs = qs.filter(subtree_q(body.region.path, "region__path"))
    return qs.select_related("region", "category").order_by("-referred_to_deputies", "-id")


def unit_choices(*, suggestion: Suggestion) -> QuerySet[HandlingUnit]:
    """Units that may take the suggestion: active, inside its region's subtree."""
    return HandlingUnit.objects.filter(subtree_q(suggestion.region.path, "region__path"), is_active=True).order_by(
        "region__path", "code"
    )


def windows_for(*, scope: Scope) -> QuerySet[SubmissionWindow]:
    bodies = scope.filter(Body.objects.filter(kind=BodyKind.CONGRESS), perm=Perm.SUGGESTION_MANAGE)
    return SubmissionWindow.objects.filter(body__in=bodies).select_related("body").order_by("-starts_on", "id")


# ------------------------------------------------------------------ supervision board (督办)


@dataclass
class Board:
    counts: dict[str, int]
    due_soon: list[Suggestion]
    overdue: list[Suggestion]
    unsatisfied: list[Suggestion]
    key: list[Suggestion]
    by_unit: list[dict[str, Any]]
    by_region: list[dict[str, Any]]
    today: dt.date = field(default_factory=timezone.localdate)


BOARD_ROWS = 20


def supervision_board(*, scope: Scope, year: int | None = None) -> Board:
    """Due soon, overdue, unsatisfied and key suggestions, and the open load by unit and region."""
    scope.require(Perm.SUGGESTION_MANAGE)
    base = suggestion_base(scope=scope)
    if year:
        base = base.filter(year=year)
    soon = _due_soon_date()
    due_soon_q = Q(state__in=DEADLINE_STATES, is_overdue=False, due_on__lte=soon)
    overdue_q = Q(state__in=DEADLINE_STATES, is_overdue=True)
    unsatisfied_q = Q(state=State.REHANDLING)
    key_q = Q(is_key=True, state__in=OPEN_STATES)
    # One pass over the open suggestions (an index-only scan of the partial index sugg_open_cover_idx),
    # grouped by every key the tiles and the two tables need: a few hundred groups, whatever the size
    # of the archive. Counts, by unit and by region are summed from those groups.
    groups = (
        base.filter(state__in=OPEN_STATES)
        .values("region_id", "lead_unit_id", "state", "is_overdue", "is_key")
        .annotate(soon=ExpressionWrapper(Q(due_on__lte=soon), output_field=BooleanField()), n=Count("*"))
        .values_list("region_id", "lead_unit_id", "state", "is_overdue", "is_key", "soon", "n")
        .order_by()
    )
    counts = dict.fromkeys(
        ["open", "to_review", "to_assign", "handling", "due_soon", "overdue", "unsatisfied", "key"], 0
    )
    units: dict[int, dict[str, Any]] = {}
    regions: dict[int, dict[str, Any]] = {}
    for region_id, unit_id, state, overdue, is_key, due_soon, n in groups:
        deadline = state in DEADLINE_STATES
        counts["open"] += n
        counts["to_review"] += n if state == State.SUBMITTED else 0
        counts["to_assign"] += n if state == State.ACCEPTED else 0
        counts["handling"] += n if state in HANDLING_STATES else 0
        counts["due_soon"] += n if deadline and not overdue and due_soon else 0
        counts["overdue"] += n if deadline and overdue else 0
        counts["unsatisfied"] += n if state == State.REHANDLING else 0
        counts["key"] += n if is_key else 0
        if state in HANDLING_STATES and unit_id is not None:
            u = units.setdefault(unit_id, {"lead_unit_id": unit_id, "open": 0, "overdue": 0})
            u["open"] += n
            u["overdue"] += n if overdue else 0
        r = regions.setdefault(region_id, {"region_id": region_id, "open": 0, "overdue": 0, "unsatisfied": 0})
        r["open"] += n
        r["overdue"] += n if overdue else 0
        r["unsatisfied"] += n if state == State.REHANDLING else 0
    counts["promises"] = base.filter(promise_open=True).count()
    by_unit = sorted(units.values(), key=lambda r: (-r["overdue"], -r["open"], r["lead_unit_id"]))[:30]
    by_region = sorted(regions.values(), key=lambda r: (-r["overdue"], -r["open"], r["region_id"]))[:30]
    unit_names = dict(
        HandlingUnit.objects.filter(pk__in=[r["lead_unit_id"] for r in by_unit]).values_list("pk", "name")
    )
    for row in by_unit:
        row["lead_unit__name"] = unit_names.get(row["lead_unit_id"], "")
    region_names = dict(Region.objects.filter(pk__in=[r["region_id"] for r in by_region]).values_list("pk", "name"))
    for row in by_region:
        row["region__name"] = region_names.get(row["region_id"], "")
    # The four lists (whole rows: the API lists them in full), each from its own partial index in
    # deadline order.
    rows = base.select_related("body", "lead_deputy", "lead_unit", "region")

    def top(q: Q, order: list[Any]) -> list[Suggestion]:
        return list(rows.filter(q).order_by(*order)[:BOARD_ROWS])

    return Board(
        counts=counts,
        due_soon=top(due_soon_q, ["due_on", "id"]),
        overdue=top(overdue_q, ["due_on", "id"]),
        unsatisfied=top(unsatisfied_q, ["due_on", "id"]),
        key=top(key_q, [F("due_on").asc(nulls_last=True), "id"]),
        by_unit=by_unit,
        by_region=by_region,
    )


def followups(*, scope: Scope) -> QuerySet[Suggestion]:
    """承诺事项跟踪: B/C answers not yet reported done, of every year and term (never filtered by year)."""
    return (
        suggestion_base(scope=scope)
        .filter(promise_open=True)
        .select_related("body", "region", "lead_deputy", "lead_unit")
        .order_by("answered_at", "id")
    )


# ------------------------------------------------------------------ statistics


DIMENSIONS = {
    "body": ("按人大", "body_id", "body__name"),
    "year": ("按年度", "year", "year"),
    "unit": ("按主办单位", "lead_unit_id", "lead_unit__name"),
    "region": ("按区划", "region_id", "region__name"),
    "category": ("按分类", "top_category", "category__name"),
}


@dataclass
class StatRow:
    key: Any
    label: str
    count: int
    answered: int
    on_time: int
    closed: int
    class_a: int
    rated: int
    satisfied: int
    avg_days: float | None

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def on_time_rate(self) -> float | None:  # 按期答复率 = 按期答复件数 / 已答复件数
        return self.rate(self.on_time, self.answered)

    @property
    def closed_rate(self) -> float | None:  # 办结率 = 已办结件数 / 立案件数
        return self.rate(self.closed, self.count)

    @property
    def a_rate(self) -> float | None:  # 解决率（A 类占比）= 最终答复为 A 类的件数 / 已答复件数
        return self.rate(self.class_a, self.answered)

    @property
    def satisfied_rate(self) -> float | None:  # 满意率 = 满意与基本满意件数 / 已评价办结件数
        return self.rate(self.satisfied, self.rated)


def stats_base(*, scope: Scope, filters: SuggestionFilter | None = None) -> QuerySet[Suggestion]:
    """The registered (立案) suggestions the statistics count: numbered, not withdrawn or converted."""
    qs = apply_filters(suggestion_base(scope=scope), scope, filters or SuggestionFilter())
    return qs.filter(state__in=REGISTERED_STATES)


def _row(key: Any, label: str, data: dict[str, Any]) -> StatRow:
    days_n = int(data.get("days_n") or 0)
    avg = int(data["days_sum"] or 0) / days_n if days_n else None
    return StatRow(
        key=key,
        label=label,
        count=int(data["count"] or 0),
        answered=int(data["answered"] or 0),
        on_time=int(data["on_time"] or 0),
        closed=int(data["closed"] or 0),
        class_a=int(data["class_a"] or 0),
        rated=int(data["rated"] or 0),
        satisfied=int(data["satisfied"] or 0),
        avg_days=round(float(avg), 1) if avg is not None else None,
    )


def _figures_for(*, scope: Scope, filters: SuggestionFilter | None) -> QuerySet[SuggestionFigures] | None:
    """The summary rows answering these filters, or None when only the records can answer: a
    deputy's or a unit's statistics (their own suggestions, not their region's), a list filter
    the summary has no key for, a second-level category."""
    f = filters or SuggestionFilter()
    if not scope.has(Perm.SUGGESTION_MANAGE):  # staff see every registered suggestion of their region
        return None
    if f.state or f.queue or f.q.strip() or f.unit_id:
        return None
    qs = scope.filter(SuggestionFigures.objects.all(), perm=Perm.SUGGESTION_VIEW).filter(count__gt=0)
    qs = _year_body_region(qs, scope, f)
    if f.category_id:
        parent = Category.objects.filter(pk=f.category_id).values_list("parent_id", flat=True).first()
        if parent is not None:
            return None
        qs = qs.filter(category_id=f.category_id)
    return qs


FIGURE_KEYS = {"body": "body_id", "year": "year", "unit": "unit_key", "region": "region_id", "category": "category_id"}


def statistics(
    *, scope: Scope, dimension: str = "body", filters: SuggestionFilter | None = None, from_records: bool = False
) -> tuple[StatRow, list[StatRow]]:
    """The total and one row per value of ``dimension`` (congress, year, unit, region, category).

    Staff read the summary the services keep (SuggestionFigures: a few thousand rows, however many
    suggestions there are); deputies, units, filters the summary cannot answer and ``from_records`` read the records.
    Either way the groups carry the same measures; the total is their sum (every registered
    suggestion falls in exactly one group) and the labels come from one small lookup."""
    if dimension not in DIMENSIONS:
        dimension = "body"
    summary = None if from_records else _figures_for(scope=scope, filters=filters)
    grouped: list[dict[str, Any]]
    if summary is not None:
        key = FIGURE_KEYS[dimension]
        sums = {f"s_{m}": Sum(m) for m in figures.MEASURES}
        grouped = [
            {key: (None if dimension == "unit" and not g[key] else g[key])} | {m: g[f"s_{m}"] for m in figures.MEASURES}
            for g in summary.values(key).annotate(**sums).order_by("-s_count", key)
        ]
    else:
        qs = stats_base(scope=scope, filters=filters)
        _, key, _label = DIMENSIONS[dimension]
        if dimension == "category":
            qs = qs.annotate(top_category=Coalesce("category__parent_id", "category_id"))
        grouped = list(qs.values(key).annotate(**figures.grouped_measures()).order_by("-count", key))
    totals = {m: sum(int(g[m] or 0) for g in grouped) for m in figures.MEASURES}
    total = _row("", "合计", totals)
    labels = _labels(dimension, [g[key] for g in grouped])
    rows = [_row(g[key], labels.get(g[key], "（未交办）" if g[key] is None else str(g[key])), g) for g in grouped]
    return total, rows


def last_figures_check(*, scope: Scope) -> AuditEvent | None:
    """The nightly check of the statistics summary (figures.verify), for administrators: when it
    last ran and what it found and repaired."""
    if not scope.has(Perm.ADMIN):
        return None
    return AuditEvent.objects.filter(action="suggestion.figures_check").order_by("-seq").first()


def _labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if dimension == "year":
        return {k: f"{k} 年" for k in ids}
    model: Any = {"body": Body, "unit": HandlingUnit, "region": Region, "category": Category}[dimension]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def years_for(*, scope: Scope) -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - 6, -1))


# ------------------------------------------------------------------ public page (no login)


def public_answers(*, body_id: int | None = None, q: str = "") -> QuerySet[Suggestion]:
    """Answered suggestions whose lead deputy agreed to publish the answer."""
    qs = Suggestion.objects.filter(publish_consent=True, state__in=[State.ANSWERED, State.CLOSED, State.REHANDLING])
    if body_id:
        qs = qs.filter(body_id=body_id)
    if q.strip():
        qs = qs.filter(Q(title__contains=q.strip()) | Q(number__contains=q.strip()))
    return (
        qs.select_related("body", "lead_deputy", "lead_unit", "category__parent")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("unit").order_by("round")))
        .order_by("-answered_at", "-id")
    )


def public_bodies() -> QuerySet[Body]:
    return Body.objects.filter(kind=BodyKind.CONGRESS, suggestions__publish_consent=True).distinct().order_by("name")


def categories_top() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=True).order_by("sort_order")
