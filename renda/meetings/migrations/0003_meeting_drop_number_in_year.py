from django.db import migrations, models


class Migration(migrations.Migration):
    """Sessions are numbered within the term now (0004 renumbers them; 0005 adds the new constraints)."""

    dependencies = [
        ("meetings", "0002_meeting_term"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="meeting",
            name="meeting_unique_number",
        ),
    ]
