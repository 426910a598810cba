from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from renda.accounts.models import ApiToken, RoleAssignment, User


class RoleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["region", "station", "deputy", "unit"]


@admin.register(User)
class RendaUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "display_name", "phone", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (*UserAdmin.fieldsets, ("单位信息", {"fields": ["display_name", "phone"]}))  # type: ignore[misc]
    inlines = [RoleInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "last_used_at"]
