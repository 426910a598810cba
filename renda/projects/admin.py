from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from renda.projects.models import CandidateList, Project, Proposal


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Changes go through the services (audited); administrators read here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(ReadOnly):
    list_display = ["code", "title", "region", "year", "source", "state"]
    list_filter = ["state", "source", "year"]
    search_fields = ["code", "title"]


@admin.register(CandidateList)
class CandidateListAdmin(ReadOnly):
    list_display = ["title", "region", "year", "seats", "method", "state"]
    list_filter = ["state", "year"]


@admin.register(Project)
class ProjectAdmin(ReadOnly):
    list_display = ["name", "region", "year", "lead_unit", "state", "progress", "is_behind"]
    list_filter = ["state", "year", "is_behind"]
