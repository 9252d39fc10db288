from django.contrib import admin

from .models import (
    Cooperative,
    CooperativeDocument,
    DuplicateCandidate,
    Member,
    NationalProgramme,
    RegistrySettings,
    Sector,
)


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "name_fr", "name_ar", "region", "province", "members_total"]
    list_filter = ["region", "rural", "legal_status_ok", "sector"]
    search_fields = ["registration_number", "name_fr", "name_ar"]
    list_select_related = ["region", "province"]
    autocomplete_fields = ["province"]
    filter_horizontal = ["national_programmes"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "name_en", "parent"]
    list_filter = ["parent"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(NationalProgramme)
class NationalProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["full_name_fr", "full_name_ar", "sex", "role", "cooperative", "region", "active"]
    list_filter = ["sex", "role", "active", "region"]
    search_fields = ["full_name_fr", "full_name_ar", "cin", "cooperative__registration_number"]
    list_select_related = ["cooperative", "region"]
    autocomplete_fields = ["cooperative"]
    readonly_fields = ["region", "province"]


@admin.register(CooperativeDocument)
class CooperativeDocumentAdmin(admin.ModelAdmin):
    list_display = ["cooperative", "kind", "title", "original_name", "size", "uploaded_at"]
    list_filter = ["kind"]
    autocomplete_fields = ["cooperative"]


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(admin.ModelAdmin):
    list_display = ["kind", "__str__", "score", "status", "decided_by"]
    list_filter = ["kind", "status"]


@admin.register(RegistrySettings)
class RegistrySettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "women_led_min_share", "youth_led_min_share", "youth_max_age", "min_members"]

    def has_add_permission(self, request):
        return not RegistrySettings.objects.exists()
