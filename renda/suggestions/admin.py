from django.contrib import admin

from renda.suggestions.models import CongressRules, SubmissionWindow


@admin.register(CongressRules)
class CongressRulesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["body", "answer_months", "answer_months_hard", "reanswer_months", "source"]


@admin.register(SubmissionWindow)
class SubmissionWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["body", "label", "starts_on", "ends_on"]
