from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.opinions.models import InboundEvent, WebhookDelivery


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    """Deliveries to the governance platform (平台推送) and their last error."""

    list_display = ["created_at", "event", "opinion", "attempts", "delivered_at", "last_error"]
    list_filter = ["event"]


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnly):
    list_display = ["created_at", "event_id", "opinion"]
    search_fields = ["event_id"]
