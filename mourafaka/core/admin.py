from django.contrib import admin

from .models import DataAccessLog, ImportRun, Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "owner", "status", "progress_done", "progress_total", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["created_at", "finished_at"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "owner", "status", "rows_total", "rows_refused", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = ["created_at", "committed_at"]


@admin.register(DataAccessLog)
class DataAccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "rows"]
    list_filter = ["action"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "action", "filters", "rows", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
