"""Fewer indexes on opinions: every citizen's submission writes every one of them, and again when
the worker completes its intake. Gone: the plain indexes on columns that lead a composite index
(region, unit, state), the LIKE twins of receipt code and idempotency key (now unique
constraints), and indexes no query uses (phone, deadline, overdue flag, categories). Unit,
merge target and author keep an index without the rows where they are empty, as a citizen's
new case is.
"""
import django.db.models.deletion
import renda.opinions.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("opinions", "0002_intake_outbox"),
        ("org", "0002_deputy_photo"),
        ("regions", "0002_unique_constraints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="opinion",
            name="opinion_unit_state_idx",
        ),
        migrations.AlterField(
            model_name="opinion",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="opinions",
                to="org.category",
                verbose_name="分类",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="citizen_phone",
            field=models.CharField(blank=True, max_length=20, verbose_name="群众电话"),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="录入人",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="deadline",
            field=models.DateField(blank=True, null=True, verbose_name="办理期限"),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="idempotency_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name="幂等键"),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="is_overdue",
            field=models.BooleanField(default=False, verbose_name="已逾期"),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="merged_cases",
                to="opinions.opinion",
                verbose_name="并入",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="receipt_code",
            field=models.CharField(
                default=renda.opinions.models.new_receipt_code, editable=False, max_length=12, verbose_name="回执码"
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="opinions",
                to="regions.region",
                verbose_name="所在村/社区",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="state",
            field=models.CharField(
                choices=[
                    ("submitted", "待分办"),
                    ("routed", "已交办待受理"),
                    ("in_progress", "办理中"),
                    ("answered", "已答复待评价"),
                    ("escalated", "已提级督办"),
                    ("merged", "已合并"),
                    ("closed", "已办结"),
                ],
                default="submitted",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="suggested_category",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="org.category",
                verbose_name="系统建议分类",
            ),
        ),
        migrations.AlterField(
            model_name="opinion",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="opinions",
                to="org.handlingunit",
                verbose_name="承办单位",
            ),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(
                condition=models.Q(("unit__isnull", False)), fields=["unit", "state"], name="opinion_unit_state_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(
                condition=models.Q(("merged_into__isnull", False)),
                fields=["merged_into"],
                name="opinion_merged_into_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)), fields=["created_by"], name="opinion_created_by_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="opinion",
            constraint=models.UniqueConstraint(fields=("receipt_code",), name="opinion_receipt_code_uniq"),
        ),
        migrations.AddConstraint(
            model_name="opinion",
            constraint=models.UniqueConstraint(fields=("idempotency_key",), name="opinion_idempotency_key_uniq"),
        ),
    ]
