"""Data: fill the statistics summary (SuggestionFigures) from the suggestions already recorded.
Reversed, it empties the summary (the schema migration 0003 then drops the table)."""

from typing import Any

from django.db import migrations


def rebuild(apps: Any, schema_editor: Any) -> None:
    from renda.suggestions.figures import rebuild as rebuild_from_records

    rebuild_from_records(apps.get_model("suggestions", "Suggestion"), apps.get_model("suggestions", "SuggestionFigures"))


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("suggestions", "SuggestionFigures").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0003_figures"),
    ]

    operations = [migrations.RunPython(rebuild, empty)]
