from django.contrib import admin
from django.db.models import Count, Min
from django.utils.translation import gettext_lazy as _

from .models import Attendance, Certificate, Module, Registration, Session, SessionDay, Trainer


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_fr",
        "theme",
        "audience",
        "duration_days",
        "hours_per_day",
        "order",
        "active",
    ]
    list_filter = ["theme", "audience", "active"]
    search_fields = ["code", "name_fr", "name_ar"]
    fieldsets = [
        (None, {"fields": ["code", "theme", "audience", "order", "active"]}),
        (_("Names"), {"fields": ["name_fr", "name_ar"]}),
        (_("Content"), {"fields": ["objectives_fr", "objectives_ar", "material_fr", "material_ar"]}),
        (_("Duration"), {"fields": ["duration_days", "hours_per_day"]}),
    ]


@admin.register(Trainer)
class TrainerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "organisation", "user", "phone", "email", "active"]
    list_filter = ["active", "regions", "modules"]
    search_fields = ["full_name", "organisation", "email", "phone", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["regions", "modules"]


class SessionDayInline(admin.TabularInline):
    model = SessionDay
    fields = ["date", "starts_at", "ends_at"]
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "module",
        "region",
        "province",
        "first_day",
        "capacity",
        "participants",
        "status",
    ]
    list_filter = ["status", "module__theme", "module__audience", "region", "edition"]
    search_fields = ["venue", "module__code", "module__name_fr", "module__name_ar", "province__name_fr"]
    list_select_related = ["module", "region", "province"]
    autocomplete_fields = ["module", "region", "province", "trainers"]
    raw_id_fields = ["edition", "created_by"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [SessionDayInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                first_day_date=Min("days__date"), participants_count=Count("registrations", distinct=True)
            )
        )

    @admin.display(description=_("first day"), ordering="first_day_date")
    def first_day(self, session):
        return session.first_day_date

    @admin.display(description=_("participants"), ordering="participants_count")
    def participants(self, session):
        return session.participants_count


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "person_name",
        "session",
        "status",
        "source",
        "priority",
        "pre_test_score",
        "post_test_score",
        "invited_at",
    ]
    list_filter = ["status", "source", "session__module", "session__region"]
    search_fields = [
        "member__full_name_fr",
        "member__full_name_ar",
        "member__cooperative__registration_number",
        "trainer__full_name",
        "staff__full_name",
        "staff__email",
    ]
    list_select_related = ["session__module", "member", "trainer", "staff"]
    autocomplete_fields = ["session", "member", "trainer", "staff"]
    raw_id_fields = ["plan_item", "satisfaction_template", "added_by"]
    readonly_fields = ["invited_at", "reminded_at", "responded_at", "satisfaction_at", "added_by"]

    @admin.display(description=_("participant"))
    def person_name(self, registration):
        return registration.person_name


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["registration", "day", "present", "source", "recorded_by", "recorded_at"]
    list_filter = ["present", "source", "day__session__module"]
    search_fields = [
        "registration__member__full_name_fr",
        "registration__member__full_name_ar",
        "registration__trainer__full_name",
        "registration__staff__full_name",
    ]
    list_select_related = ["registration__member", "registration__trainer", "registration__staff", "day"]
    raw_id_fields = ["registration", "day", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]


class RevokedFilter(admin.SimpleListFilter):
    title = _("revoked")
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=True)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read only: a certificate is issued (completion rule checked) and revoked (reason kept) from the
    session's page or the API, and what it certifies is frozen when it is issued."""

    list_display = [
        "code",
        "holder_name",
        "module_title_fr",
        "first_day",
        "last_day",
        "language",
        "issued_at",
        "revoked",
    ]
    list_filter = [RevokedFilter, "language"]
    search_fields = ["code", "holder_name", "module_title_fr", "module_title_ar"]
    list_select_related = ["registration"]
    date_hierarchy = "issued_at"

    @admin.display(description=_("revoked"), boolean=True)
    def revoked(self, certificate):
        return certificate.revoked

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
