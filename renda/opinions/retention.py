"""Retention of citizens' contact data (个人信息保护法 §19: kept no longer than the purpose needs).

A case closed more than ``opinion.contact_retention_years`` years ago (default 3) keeps what was
reported, answered and rated, but not who reported it: the citizen's name and phone, its
followers' names and phones, and the contact data of appointments held that long ago are
cleared. The scheduled sweep ``opinions.retention`` runs it daily; ``manage.py anonymise_contacts
--dry-run`` reports what it would clear without clearing anything. Each run that clears
something writes one audit event with the counts (never a name or number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from renda.audit.services import audit_record
from renda.core.rules import rule
from renda.opinions.models import Appointment, Follower, Opinion, State

ACTOR = "个人信息保留期限"


@dataclass
class RetentionReport:
    cutoff: dt.datetime
    cases: int = 0
    followers: int = 0
    appointments: int = 0
    oldest_closed: dt.datetime | None = None
    dry_run: bool = False


def _cutoff(now: dt.datetime) -> dt.datetime:
    years = int(rule("opinion.contact_retention_years"))
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def anonymise_closed_contacts(*, dry_run: bool = False, now: dt.datetime | None = None) -> RetentionReport:
    cutoff = _cutoff(now or timezone.now())
    report = RetentionReport(cutoff=cutoff, dry_run=dry_run)
    cases = Opinion.objects.filter(state=State.CLOSED, closed_at__lt=cutoff).exclude(citizen_name="", citizen_phone="")
    followers = Follower.objects.filter(opinion__state=State.CLOSED, opinion__closed_at__lt=cutoff).exclude(
        name="", phone=""
    )
    appointments = Appointment.objects.filter(slot__starts_at__lt=cutoff).exclude(citizen_name="", citizen_phone="")
    report.oldest_closed = cases.order_by("closed_at").values_list("closed_at", flat=True).first()
    if dry_run:
        report.cases, report.followers, report.appointments = cases.count(), followers.count(), appointments.count()
        return report
    with transaction.atomic():  # the clearing and its audit event together
        report.cases = cases.update(citizen_name="", citizen_phone="")
        report.followers = followers.update(name="", phone="")
        report.appointments = appointments.update(citizen_name="", citizen_phone="")
        if report.cases or report.followers or report.appointments:
            years = int(rule("opinion.contact_retention_years"))
            counts = {"cases": report.cases, "followers": report.followers, "appointments": report.appointments}
            audit_record(
                actor=ACTOR,
                action="opinion.anonymise",
                target_label=f"办结满 {years} 年的群众联系方式",
                after={**counts, "closed_before": cutoff.date().isoformat()},
            )
    return report
