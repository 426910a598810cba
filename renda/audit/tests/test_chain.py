import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from renda.audit.models import AuditEvent
from renda.audit.selectors import audit_verify_chain


def disable_guard():
    """What someone with direct database access could do: drop the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")


@pytest.mark.django_db
def test_the_chain_of_the_demo_county_verifies():
    report = audit_verify_chain()
    assert report.ok, report.problems
    assert report.checked == AuditEvent.objects.count() > 1000


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = AuditEvent.objects.order_by("seq").first()
    event.reason = "改过"
    with pytest.raises(RuntimeError, match="只能追加"):
        event.save()
    with pytest.raises(RuntimeError, match="只能追加"):
        event.delete()
    with pytest.raises(RuntimeError, match="只能追加"):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(RuntimeError, match="只能追加"):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_the_database_refuses_an_update_in_raw_sql():
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'x' WHERE seq = 1")


@pytest.mark.django_db
def test_an_edited_event_breaks_the_chain_and_the_command_fails():
    disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = '别人' WHERE seq = 5")
    report = audit_verify_chain()
    assert not report.ok
    assert any("#5" in p and "篡改" in p for p in report.problems)
    with pytest.raises(CommandError, match="已损坏"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_a_deleted_event_in_the_middle_or_at_the_end_is_detected():
    disable_guard()
    last = AuditEvent.objects.order_by("-seq").first().seq
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 7")
    assert any("序号不连续" in p for p in audit_verify_chain().problems)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [last])
    assert any("链头" in p for p in audit_verify_chain().problems)
