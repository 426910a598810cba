"""The admin of core's working-day calendar and rule settings. It lives here, not in core, because
every change is an audit event and core imports no other app."""

from typing import Any

from django import forms
from django.contrib import admin

from renda.audit.admin import AuditedAdmin
from renda.core.errors import ValidationFailed
from renda.core.models import CalendarDay, CalendarYear, RuleSetting
from renda.core.rules import DEFAULTS, parse_rule_value, rule_changed
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


class RuleSettingForm(forms.ModelForm):  # type: ignore[type-arg]
    """The admin's JSON value held to the same check as the 规则参数 page's."""

    class Meta:
        model = RuleSetting
        fields = ["key", "region", "value", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key, value = data.get("key"), data.get("value")
        if key is not None and "value" in data:
            raw = ("true" if value else "false") if isinstance(value, bool) else value
            try:
                data["value"] = parse_rule_value(str(key), raw)
            except ValidationFailed as exc:
                self.add_error("key" if exc.field == "key" else "value", exc.message)
        return data


@admin.register(RuleSetting)
class RuleSettingAdmin(AuditedAdmin):
    action_name = "rule"
    form = RuleSettingForm
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
