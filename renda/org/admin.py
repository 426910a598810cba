"""Django admin for administrators. Day-to-day edits go through the registry pages and
rosters, which write audit events; admin is for configuration and repair."""

from django.contrib import admin

from renda.org.models import Body, Category, Deputy, DeputyGroup, HandlingUnit, Mandate, Station, StationOfficer


class MandateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Mandate
    extra = 0
    raw_id_fields = ["body"]


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active", "mandates__level"]
    search_fields = ["name", "name_initials", "public_id"]
    raw_id_fields = ["region"]
    inlines = [MandateInline]


class OfficerInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StationOfficer
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "public_id"]
    raw_id_fields = ["region"]
    filter_horizontal = ["served_regions"]
    inlines = [OfficerInline]


@admin.register(HandlingUnit)
class HandlingUnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    raw_id_fields = ["region", "parent"]
    filter_horizontal = ["categories"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "parent", "sort_order"]
    search_fields = ["name", "code"]


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "level", "region", "term"]
    list_filter = ["kind", "level"]
    search_fields = ["name"]
    raw_id_fields = ["region"]


@admin.register(DeputyGroup)
class DeputyGroupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "region"]
    search_fields = ["name"]
    raw_id_fields = ["region", "members"]
