"""Every read of opinions a page or API needs, scoped, plus the citizen-facing reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from renda.audit.labels import citizen_label
from renda.audit.models import AuditEvent
from renda.core.rules import rule
from renda.core.scoping import Perm, Scope
from renda.core.workdays import add_workdays
from renda.opinions.models import OPEN_STATES, Answer, Extension, Opinion, ReceptionSlot, State
from renda.opinions.policy import visible_opinions_q
from renda.opinions.text import similar
from renda.org.models import Category, Deputy, Station
from renda.regions.models import Region, RegionLevel
from renda.regions.paths import subtree_q


def opinion_base(*, scope: Scope) -> QuerySet[Opinion]:
    return scope.filter(Opinion.objects.all(), perm=Perm.OPINION_VIEW).filter(visible_opinions_q(scope))


@dataclass
class OpinionFilter:
    state: str = ""
    queue: str = ""  # "open", "overdue", "due_soon", "triage_late", "extension"
    q: str = ""
    category_id: int | None = None
    region_id: int | None = None
    unit_id: int | None = None
    source: str = ""


def opinion_list(*, scope: Scope, filters: OpinionFilter | None = None) -> QuerySet[Opinion]:
    f = filters or OpinionFilter()
    qs = opinion_base(scope=scope)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.queue == "overdue":
        qs = qs.filter(is_overdue=True, state__in=OPEN_STATES)
    elif f.queue == "due_soon":
        soon = add_workdays(timezone.localdate(), int(rule("opinion.due_soon_workdays"))).date
        qs = qs.filter(state__in=OPEN_STATES, is_overdue=False, deadline__lte=soon)
    elif f.queue == "extension":
        qs = qs.filter(Exists(Extension.objects.filter(opinion_id=OuterRef("pk"), state="pending")))
    elif f.queue == "triage_late":
        qs = qs.filter(state=State.SUBMITTED, triage_due__lt=timezone.localdate())
    elif f.queue == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(receipt_code__iexact=term) | Q(title__contains=term) | Q(text__contains=term))
    if f.category_id:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.region_id:
        region = scope.get(Region.objects.all(), pk=f.region_id)
        qs = qs.filter(subtree_q(region.path, "region__path"))
    if f.unit_id:
        qs = qs.filter(unit_id=f.unit_id)
    if f.source:
        qs = qs.filter(source=f.source)
    # Open cases first (overdue before the rest, nearest deadline first), then the finished ones, newest first.
    still_open = Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1))
    return qs.select_related("region", "category__parent", "unit", "station").order_by(
        still_open, "-is_overdue", F("deadline").asc(nulls_last=True), "-id"
    )


def opinion_detail(*, scope: Scope, pk: int) -> Opinion:
    return scope.get(
        opinion_base(scope=scope)
        .select_related("region", "category__parent", "suggested_category", "unit", "station", "deputy", "merged_into")
        .prefetch_related(
            "photos",
            Prefetch("answers", queryset=Answer.objects.select_related("unit").order_by("id")),
            "ratings",
            "followers",
            Prefetch("referred_deputies", queryset=Deputy.objects.order_by("name")),
            Prefetch("extensions", queryset=Extension.objects.select_related("unit").order_by("id")),
            Prefetch("merged_cases", queryset=Opinion.objects.only("id", "receipt_code", "title", "merged_into_id")),
        ),
        perm=Perm.OPINION_VIEW,
        pk=pk,
    )


def referral_candidates(*, opinion: Opinion) -> list[tuple[Deputy, bool]]:
    """Deputies a case may be handed to (转代表): those elected in its township (at any level),
    the ones it was addressed to or whose station took it first, each with whether it is preselected."""
    near: set[int] = set()
    if opinion.deputy_id:
        near.add(opinion.deputy_id)
    if opinion.station_id:
        near |= set(
            Deputy.objects.filter(
                memberships__station_id=opinion.station_id, memberships__end_date__isnull=True
            ).values_list("pk", flat=True)
        )
    deputies = list(
        Deputy.objects.filter(subtree_q(opinion.region.path[:9], "region__path"), is_active=True)
        .select_related("region")
        .order_by("name")[:300]
    )
    deputies.sort(key=lambda d: (d.pk not in near, d.name))
    return [(d, d.pk == opinion.deputy_id) for d in deputies]


def duplicate_candidates(*, opinion: Opinion, limit: int = 3) -> list[tuple[Opinion, float]]:
    """Open cases in the same township and first-level category that read alike."""
    top = opinion.category.parent_id or opinion.category_id
    pool = list(
        Opinion.objects.filter(subtree_q(opinion.region.path[:9], "region__path"), state__in=OPEN_STATES)
        .filter(Q(category_id=top) | Q(category__parent_id=top))
        .exclude(pk=opinion.pk)
        .order_by("-id")
        .values_list("id", "text")[:200]
    )
    ranked = similar(opinion.text, pool, limit=limit)
    found = Opinion.objects.in_bulk([pk for pk, _ in ranked])
    return [(found[pk], score) for pk, score in ranked if pk in found]


def public_similar(*, text: str, region: Region, category: Category | None, limit: int = 3) -> list[Opinion]:
    """For a citizen about to submit: open cases from the same village and category."""
    qs = Opinion.objects.filter(region=region, state__in=OPEN_STATES)
    if category is not None:
        top = category.parent_id or category.pk
        qs = qs.filter(Q(category_id=top) | Q(category__parent_id=top))
    pool = list(qs.order_by("-id").values_list("id", "text")[:200])
    ranked = similar(text, pool, limit=limit, threshold=0.3)
    found = Opinion.objects.in_bulk([pk for pk, _ in ranked])
    return [found[pk] for pk, _ in ranked if pk in found]


def opinion_timeline(*, opinion: Opinion) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="opinions.opinion", target_id=str(opinion.pk)).order_by("seq")


def citizen_steps(*, opinion: Opinion) -> list[tuple[dt.datetime, str]]:
    """The timeline in plain Chinese for the tracking page (no staff names, no notes)."""
    steps = []
    if opinion.intake_pending:  # stored and acknowledged; its submit event is being appended
        steps.append((opinion.created_at, citizen_label("opinion.submit") or ""))
    for event in opinion_timeline(opinion=opinion).only("created_at", "action", "after"):
        label = citizen_label(event.action)
        if label and event.action == "opinion.deadline_moved" and event.after:
            moved_to = _day(event.after.get("deadline_to"))
            label = f"{label}：{moved_to:%Y年%m月%d日}前答复" if moved_to else label
        if label:
            steps.append((event.created_at, label))
    return steps


def _day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def free_slots(
    *, station: Station | None = None, deputy: Deputy | None = None, days: int = 28
) -> QuerySet[ReceptionSlot]:
    now = timezone.now()
    qs = ReceptionSlot.objects.filter(cancelled=False, starts_at__gt=now, starts_at__lt=now + dt.timedelta(days=days))
    if deputy is not None:
        qs = qs.filter(deputy=deputy)
    if station is not None:
        qs = qs.filter(station=station)
    return qs.select_related("station", "deputy").order_by("starts_at")


@dataclass
class DutySummary:
    opinions_year: int
    answered_year: int
    receptions_year: int


def duty_summary(*, deputy: Deputy | None = None, station: Station | None = None) -> DutySummary:
    year_start = timezone.make_aware(dt.datetime(timezone.localdate().year, 1, 1))
    qs = Opinion.objects.filter(created_at__gte=year_start)
    slots = ReceptionSlot.objects.filter(starts_at__gte=year_start, starts_at__lte=timezone.now(), cancelled=False)
    if deputy is not None:
        qs = qs.filter(deputy=deputy)
        slots = slots.filter(deputy=deputy)
    if station is not None:
        qs = qs.filter(station=station)
        slots = slots.filter(station=station)
    counts = qs.aggregate(n=Count("id"), answered=Count("id", filter=Q(state__in=[State.ANSWERED, State.CLOSED])))
    return DutySummary(counts["n"], counts["answered"], slots.count())


def category_tree() -> list[tuple[Category, list[Category]]]:
    parents = list(Category.objects.filter(parent__isnull=True).prefetch_related("children").order_by("sort_order"))
    return [(p, list(p.children.all())) for p in parents]


def villages_for(region_path: str) -> QuerySet[Region]:
    """The villages/communities of a township, for the citizen form."""
    return Region.objects.filter(subtree_q(region_path[:9]), level=RegionLevel.VILLAGE).order_by("path")
