from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.notify.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """What was sent to whom, and whether it arrived (read-only)."""

    list_display = ["created_at", "channel", "to_address", "to_user", "status", "attempts", "error"]
    list_filter = ["channel", "status"]
    search_fields = ["body"]  # to_address is encrypted (renda/core/personal.py)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
