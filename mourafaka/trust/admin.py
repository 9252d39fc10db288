from django.contrib import admin

from .models import ConsentEvent, ErasureRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records: read, never written or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ["member", "source", "by", "at"]
    list_filter = ["source"]
    readonly_fields = ["member", "source", "reason", "by", "at", "details"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["member", "given", "consent_date", "recorded_by", "recorded_at"]
    list_filter = ["given"]
    readonly_fields = ["member", "given", "consent_date", "recorded_by", "recorded_at"]
