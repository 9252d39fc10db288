from django.contrib import admin

from .models import Edition, Enrolment, Phase, Programme, RegionalQuota


class EditionInline(admin.TabularInline):
    model = Edition
    fields = ["code", "number", "name_fr", "starts_on", "ends_on", "target_cooperatives"]
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "kind"]
    inlines = [EditionInline]


class PhaseInline(admin.TabularInline):
    model = Phase
    fields = ["number", "name_fr", "name_ar", "starts_on", "ends_on", "regions"]
    extra = 0


class QuotaInline(admin.TabularInline):
    model = RegionalQuota
    extra = 0


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["programme", "code", "name_fr", "starts_on", "ends_on", "target_cooperatives"]
    list_filter = ["programme"]
    inlines = [PhaseInline, QuotaInline]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["cooperative", "edition", "status", "source", "started_on", "withdrawn_on"]
    list_filter = ["edition", "status", "source"]
    search_fields = ["cooperative__name_fr", "cooperative__registration_number"]
    autocomplete_fields = ["cooperative"]
