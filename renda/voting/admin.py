"""Read-only admin view of votes. Ballots and participations are deliberately not registered:
no screen shows them side by side."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.voting.models import Vote


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "meeting", "round", "method", "state", "published_at"]
    list_filter = ["method", "state"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
