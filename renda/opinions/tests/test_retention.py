"""Contact data of closed cases is kept no longer than the retention rule says (default 3 years
after closing), cleared by the scheduled sweep, with a dry-run report and one audit event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from renda.audit.models import AuditEvent
from renda.opinions import intake
from renda.opinions.models import Follower, Opinion, State
from renda.site.schedule import PERIODIC

pytestmark = pytest.mark.django_db


def _closed(station, village, category, *, years_ago: float, phone: str) -> Opinion:  # type: ignore[no-untyped-def]
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="村口路灯坏了半个月，晚上出行很不安全。", region=village, category=category,
            citizen_name="张三", citizen_phone=phone, consent=True, station=station,
        )
    )  # fmt: skip
    closed_at = timezone.now() - dt.timedelta(days=int(365.25 * years_ago))
    Opinion.objects.filter(pk=opinion.pk).update(state=State.CLOSED, closed_at=closed_at, outcome="satisfied")
    Follower.objects.create(opinion=opinion, phone=f"137{phone[3:]}", name="李四", confirmed_at=closed_at)
    return Opinion.objects.get(pk=opinion.pk)


def test_contacts_of_cases_closed_over_three_years_ago_are_cleared(liaison_station, village, lamp_category, capsys):
    old = _closed(liaison_station, village, lamp_category, years_ago=3.1, phone="13900000001")
    recent = _closed(liaison_station, village, lamp_category, years_ago=2.5, phone="13900000002")

    call_command("anonymise_contacts", "--dry-run")
    assert "将清除群众联系方式 1 件、附议人 1 人" in capsys.readouterr().out
    assert Opinion.objects.get(pk=old.pk).citizen_phone == "13900000001"  # a dry run changes nothing
    events = AuditEvent.objects.count()

    call_command("anonymise_contacts")
    assert "已清除群众联系方式 1 件" in capsys.readouterr().out
    cleared = Opinion.objects.get(pk=old.pk)
    assert (cleared.citizen_name, cleared.citizen_phone) == ("", "")
    assert cleared.text == old.text and cleared.state == State.CLOSED  # what was reported stays
    assert not Follower.objects.filter(opinion=old).exclude(phone="").exists()
    kept = Opinion.objects.get(pk=recent.pk)
    assert kept.citizen_phone == "13900000002" and Follower.objects.filter(opinion=recent, phone="13700000002").exists()
    (event,) = AuditEvent.objects.filter(action="opinion.anonymise")
    assert AuditEvent.objects.count() == events + 1
    assert event.after["cases"] == 1 and "13900000001" not in str(event.after)

    call_command("anonymise_contacts")  # nothing left: no second event
    assert AuditEvent.objects.filter(action="opinion.anonymise").count() == 1


def test_the_retention_is_a_rule_and_a_scheduled_sweep(liaison_station, village, lamp_category):
    from renda.core.models import RuleSetting
    from renda.opinions.tasks import retention

    assert "opinions.retention" in {p.task for p in PERIODIC}
    case = _closed(liaison_station, village, lamp_category, years_ago=1.5, phone="13900000003")
    RuleSetting.objects.create(key="opinion.contact_retention_years", value=1, note="测试")
    from renda.core.rules import rule_changed

    rule_changed("opinion.contact_retention_years")
    assert retention()["cases"] == 1
    assert Opinion.objects.get(pk=case.pk).citizen_phone == ""
