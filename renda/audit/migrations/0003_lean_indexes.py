"""Fewer indexes on audit events: every citizen's submission writes one event, and each event
every index. The plain indexes beside the LIKE ones (action, region path), the unused ones
(time, hash: ``verify_audit`` checks the chain) go; the actor's index leaves out events without
one (citizens, sweeps).

SQLite alters a column by copying the table, which drops its triggers: the append-only trigger
of 0002 is made again at the end.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""


def restore_sqlite_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(max_length=64, verbose_name="动作"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, verbose_name="哈希"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="region_path",
            field=models.CharField(blank=True, max_length=15, verbose_name="所属区划路径"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["action"], name="audit_action_idx", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["region_path"], name="audit_region_idx", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("actor__isnull", False)), fields=["actor"], name="audit_actor_idx"),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
