from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.audit.models import AuditEvent
from renda.audit.services import audit_record


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A model admin whose every save and delete is an audit event ``<action_name>.<verb>``;
    ``changed`` runs after either (to drop a cache, say)."""

    action_name = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"{self.action_name}.{'update' if change else 'create'}",
            target=obj,
            after={k: str(v) for k, v in form.cleaned_data.items()},
        )
        self.changed(obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(actor=request.user, action=f"{self.action_name}.delete", target=obj)
        super().delete_model(request, obj)
        self.changed(obj)

    def changed(self, obj: Any) -> None:
        pass


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: events are append-only."""

    list_display = ["seq", "created_at", "actor_label", "action", "target_type", "target_label"]
    list_filter = ["action"]
    search_fields = ["actor_label", "target_label", "action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
