"""Read-only admin views of meetings: every change goes through the services (audited)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.meetings.models import Meeting


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ["title", "body", "year", "number", "start_date", "state"]
    list_filter = ["kind", "state", "year"]
    search_fields = ["title"]
