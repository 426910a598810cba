"""The admin of core's working-day calendar and rule settings. It lives here, not in core, because
every change is an audit event and core imports no other app."""

from typing import Any

from django.contrib import admin

from renda.audit.admin import AuditedAdmin
from renda.core.models import CalendarDay, CalendarYear, RuleSetting
from renda.core.rules import DEFAULTS, rule_changed
from renda.core.workdays import calendar_changed


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    action_name = "calendar_day"
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"

    def changed(self, obj: Any) -> None:
        calendar_changed()


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    action_name = "calendar_year"
    list_display = ["year", "source"]

    def changed(self, obj: Any) -> None:
        calendar_changed()


@admin.register(RuleSetting)
class RuleSettingAdmin(AuditedAdmin):
    action_name = "rule"
    list_display = ["key", "region", "label", "value", "default", "note"]
    list_filter = ["key"]
    autocomplete_fields = ["region"]

    @admin.display(description="说明")
    def label(self, obj: RuleSetting) -> str:
        d = DEFAULTS.get(obj.key)
        return f"{d.label}（{d.source}）" if d else "未定义的参数"

    @admin.display(description="默认值")
    def default(self, obj: RuleSetting) -> str:
        d = DEFAULTS.get(obj.key)
        return str(d.value) if d else ""

    def changed(self, obj: Any) -> None:
        rule_changed(obj.key)
