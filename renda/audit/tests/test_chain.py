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


# ---------------------------------------------------------------- anchors outside the database (issue #12)


def _delete_the_tail_and_move_the_head(n: int) -> int:
    """What someone with the database but not the key can do: delete the last ``n`` events and
    move the chain head back to the event before them, leaving a valid, shorter chain."""
    disable_guard()
    last = AuditEvent.objects.order_by("-seq").first()
    keep = AuditEvent.objects.get(seq=last.seq - n)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [keep.seq])
        cursor.execute("UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s", [keep.seq, keep.hash])
    return keep.seq


@pytest.mark.django_db
def test_deleting_the_last_events_and_moving_the_head_is_caught_by_the_anchor(settings, tmp_path):
    from renda.audit.anchors import anchor_head

    anchor = anchor_head()
    assert anchor is not None and anchor.seq == AuditEvent.objects.order_by("-seq").first().seq
    assert audit_verify_chain().ok
    kept = _delete_the_tail_and_move_the_head(3)
    assert audit_verify_chain(with_anchors=False).ok  # the chain alone cannot tell
    report = audit_verify_chain()
    assert not report.ok and any(
        f"#{anchor.seq}" in p and f"#{kept}" in p and "末尾事件被删除" in p for p in report.problems
    )
    with pytest.raises(CommandError, match="已损坏"):
        call_command("verify_audit")
    # A copy of the anchors the operator kept elsewhere is checked the same way
    copy = tmp_path / "mailed-anchors.log"
    copy.write_text((tmp_path / "audit_anchors.log").read_text())
    with pytest.raises(CommandError, match="已损坏"):
        call_command("verify_audit", anchors=str(copy))


@pytest.mark.django_db
def test_an_anchor_line_edited_to_fit_is_refused(tmp_path):
    import json

    from renda.audit.anchors import anchor_file, anchor_head

    anchor_head()
    line = json.loads(anchor_file().read_text())
    kept = _delete_the_tail_and_move_the_head(2)
    line["seq"], line["hash"] = kept, AuditEvent.objects.get(seq=kept).hash  # forged without the key
    anchor_file().write_text(json.dumps(line) + "\n")
    assert any("签名不符" in p for p in audit_verify_chain().problems)


@pytest.mark.django_db
def test_a_record_whose_creation_event_was_deleted_is_reported(scope_of):
    from renda.meetings.tests.helpers import session_with

    disable_guard()  # first: PostgreSQL refuses ALTER TABLE with the meeting's trigger events pending
    meeting, _ = session_with(scope_of("township"), entitled=3, open_meeting=False)
    assert audit_verify_chain().ok
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE target_type = 'meetings.meeting' AND target_id = %s"
            " AND action = 'meeting.create'",
            [str(meeting.pk)],
        )
    report = audit_verify_chain()
    assert any(f" #{meeting.pk} 没有创建事件" in p for p in report.problems), report.problems


@pytest.mark.django_db
def test_the_anchor_is_written_by_the_scheduled_sweep_and_to_the_log(caplog, settings):
    import logging

    from renda.audit.anchors import read_anchors
    from renda.audit.tasks import anchor

    with caplog.at_level(logging.INFO, logger="renda.audit.anchor"):
        result = anchor()
    anchors, problems = read_anchors()
    assert not problems and [a.seq for a in anchors] == [result["seq"]]
    assert any("audit anchor" in r.getMessage() and str(result["seq"]) in r.getMessage() for r in caplog.records)
