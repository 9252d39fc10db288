from django.contrib import admin

from . import models


class QuotaInline(admin.TabularInline):
    model = models.CallQuota
    extra = 0


class CriterionInline(admin.TabularInline):
    model = models.Criterion
    fields = ["order", "code", "name_fr", "name_ar", "kind", "source", "weight", "scale_min", "scale_max"]
    extra = 0


@admin.register(models.Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["name_fr", "edition", "kind", "opens_at", "closes_at"]
    list_filter = ["kind", "edition"]
    filter_horizontal = ["regions"]
    inlines = [QuotaInline, CriterionInline]


@admin.register(models.Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["cooperative", "call", "status", "eligible", "submitted_at"]
    list_filter = ["call", "status", "eligible"]
    search_fields = ["cooperative__name_fr", "cooperative__registration_number"]
    autocomplete_fields = ["cooperative"]


@admin.register(models.EligibilityCheck)
class EligibilityCheckAdmin(admin.ModelAdmin):
    list_display = ["application", "evaluated_at", "reference_date", "eligible", "current"]
    list_filter = ["eligible", "current"]


@admin.register(models.Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "criterion", "value", "scored_at"]
    list_filter = ["criterion__call"]


@admin.register(models.ConflictOfInterest)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "application", "declared_at"]


@admin.register(models.ReviewerAssignment)
class ReviewerAssignmentAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "application", "assigned_at"]
    list_filter = ["application__call"]


@admin.register(models.RankingVersion)
class RankingVersionAdmin(admin.ModelAdmin):
    list_display = ["call", "number", "status", "created_at", "frozen_at", "checksum"]
    list_filter = ["status", "call"]
    readonly_fields = ["inputs", "checksum"]


@admin.register(models.Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["application", "ranking", "status", "submitted_at", "decided_at"]
    list_filter = ["status"]
