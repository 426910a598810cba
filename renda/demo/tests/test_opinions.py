"""The demo year of opinions: built through the services, in realistic proportions, deterministic."""

from collections import Counter

import pytest
from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.audit.selectors import audit_verify_chain
from renda.demo.opinions import build_opinions, plan_county
from renda.notify import backends
from renda.opinions.models import OPEN_STATES, Answer, Appointment, Opinion, ReceptionSlot, State
from renda.regions.models import Region, RegionLevel

PER_COUNTY = 60


@pytest.mark.django_db
def test_a_year_of_opinions(system):
    county = Region.objects.get(level=RegionLevel.COUNTY)
    backend = settings.NOTIFY_BACKEND
    summary = build_opinions(scope=system, seed=7, per_county=PER_COUNTY)

    opinions = Opinion.objects.filter(region__path__startswith=county.path)
    assert summary.counties == 1 and summary.opinions == opinions.count() == PER_COUNTY
    assert backend == settings.NOTIFY_BACKEND and backends.outbox == []  # restored and cleared

    # Proportions, roughly: most closed satisfied, some unrated, some still open, QR first.
    states = Counter(opinions.values_list("state", flat=True))
    outcomes = Counter(opinions.values_list("outcome", flat=True))
    sources = Counter(opinions.values_list("source", flat=True))
    assert states[State.CLOSED] >= PER_COUNTY * 0.75
    assert outcomes["satisfied"] >= PER_COUNTY * 0.55
    assert outcomes["unrated"] >= 1
    assert sum(states[s] for s in OPEN_STATES) >= 1
    assert sources.most_common(1)[0][0] == "qr" and len(sources) >= 5
    assert 0.05 <= opinions.filter(anonymous=True).count() / PER_COUNTY <= 0.3
    assert Answer.objects.filter(opinion__in=opinions, kind="direct").exists()

    # Spread over the past year, answers after submission, closed cases dated.
    now = timezone.now()
    first = opinions.order_by("created_at").first()
    assert (now - first.created_at).days >= 300
    assert not opinions.filter(answered_at__lt=F("created_at")).exists()
    assert not opinions.filter(state=State.CLOSED, closed_at__isnull=True).exists()
    assert not opinions.filter(state=State.CLOSED, closed_at__lt=F("answered_at")).exists()

    # Real timelines: every case starts with its submission; the chain still verifies.
    ids = [str(pk) for pk in opinions.values_list("pk", flat=True)]
    firsts = (
        AuditEvent.objects.filter(target_type="opinions.opinion", target_id__in=ids)
        .values("target_id")
        .annotate(first=Min("seq"))
    )
    assert len(firsts) == PER_COUNTY
    first_actions = set(
        AuditEvent.objects.filter(seq__in=[f["first"] for f in firsts]).values_list("action", flat=True)
    )
    assert first_actions == {"opinion.submit"}
    report = audit_verify_chain()
    assert report.ok, report.problems

    # Booking pages have something to show.
    assert ReceptionSlot.objects.filter(starts_at__gt=now).count() >= 40
    assert Appointment.objects.exists()

    # Deterministic: the same seed plans the same cases, and those are what was built.
    plans = plan_county(county, seed=7, index=0, per_county=PER_COUNTY, now=now)
    again = plan_county(county, seed=7, index=0, per_county=PER_COUNTY, now=now)
    key = [(p.text, p.category.pk, p.source, p.citizen_phone) for p in plans]
    assert key == [(p.text, p.category.pk, p.source, p.citizen_phone) for p in again]
    built = Counter(opinions.values_list("text", "category_id", "source", "citizen_phone"))
    assert built == Counter(key)
    other = plan_county(county, seed=8, index=0, per_county=PER_COUNTY, now=now)
    assert [p.text for p in other] != [p.text for p in plans]

    # A second run leaves a county that already has opinions alone.
    assert build_opinions(scope=system, seed=7, per_county=PER_COUNTY).counties == 0
