from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Assignment, User


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "user"
    autocomplete_fields = ["cooperative"]
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "delegation", "cooperative", "is_active"]
    list_filter = ["role", "is_active", "delegation"]
    search_fields = ["email", "full_name"]
    autocomplete_fields = ["cooperative"]
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "organisation", "phone", "language")}),
        (_("Role and scope"), {"fields": ("role", "delegation", "cooperative")}),
        (
            _("Back office"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "role",
                    "delegation",
                    "cooperative",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "cooperative", "kind", "active", "starts_on", "ends_on"]
    list_filter = ["kind", "active"]
    search_fields = [
        "user__email",
        "user__full_name",
        "cooperative__name_fr",
        "cooperative__registration_number",
    ]
    autocomplete_fields = ["user", "cooperative"]
