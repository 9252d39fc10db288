"""Back office of individual coaching. Reports, acknowledgements and deliverables normally move through
the services (pages, API, commands): here the workflow fields are read only, so that the admin corrects
plans and reference data without skipping the rules (versions, acknowledgement, amounts frozen)."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .models import (
    AcknowledgementCode,
    Coach,
    CoachChange,
    Contract,
    Deliverable,
    Engagement,
    Provider,
    ProviderStaff,
    UnitPrice,
    Visit,
    VisitActionProgress,
    VisitAttachment,
)

# ---------------------------------------------------------------------------
# Providers, contracts, deliverables


class ProviderStaffInline(admin.TabularInline):
    model = ProviderStaff
    fields = ["user", "function", "active"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ice", "phone", "email", "staff_count", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "ice", "email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ProviderStaffInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(active_staff=Count("staff", filter=Q(staff__active=True)))
        )

    @admin.display(description=_("active staff"), ordering="active_staff")
    def staff_count(self, provider):
        return provider.active_staff


@admin.register(ProviderStaff)
class ProviderStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "function", "active"]
    list_filter = ["function", "active", "provider"]
    search_fields = ["user__full_name", "user__email", "provider__name"]
    list_select_related = ["user", "provider"]
    autocomplete_fields = ["user", "provider"]


class UnitPriceInline(admin.TabularInline):
    model = UnitPrice
    fields = ["kind", "price_mad"]
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "provider",
        "lot",
        "edition",
        "starts_on",
        "ends_on",
        "ceiling_mad",
        "status",
    ]
    list_filter = ["status", "edition", "provider", "regions"]
    search_fields = ["reference", "lot", "provider__name"]
    list_select_related = ["provider", "edition"]
    autocomplete_fields = ["provider", "regions"]
    raw_id_fields = ["edition"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "starts_on"
    inlines = [UnitPriceInline]


@admin.register(Deliverable)
class DeliverableAdmin(admin.ModelAdmin):
    """Deliverables are recorded by the collection (amount frozen at the unit price of the day) and
    reviewed by head office; the admin reads them and may correct the review note."""

    list_display = ["__str__", "contract", "kind", "delivered_on", "amount_mad", "status", "reviewed_by"]
    list_filter = ["status", "kind", "contract__provider", "contract"]
    search_fields = [
        "contract__reference",
        "contract__provider__name",
        "diagnostic__enrolment__cooperative__registration_number",
        "visit__engagement__enrolment__cooperative__registration_number",
    ]
    list_select_related = ["contract__provider", "reviewed_by"]
    date_hierarchy = "delivered_on"
    readonly_fields = [
        "contract",
        "kind",
        "diagnostic",
        "training_day",
        "visit",
        "delivered_on",
        "amount_mad",
        "status",
        "reviewed_by",
        "reviewed_at",
    ]

    def has_add_permission(self, request):
        return False  # recorded by `collect_deliverables` from the work actually done


# ---------------------------------------------------------------------------
# Coaches, engagements, visits


@admin.register(Coach)
class CoachAdmin(admin.ModelAdmin):
    list_display = ["__str__", "provider", "max_cooperatives", "active_engagements", "active"]
    list_filter = ["active", "provider", "regions"]
    search_fields = ["user__full_name", "user__email", "provider__name"]
    list_select_related = ["user", "provider"]
    autocomplete_fields = ["user", "provider", "regions"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                load=Count("user__engagements", filter=Q(user__engagements__status=Engagement.Status.ACTIVE))
            )
        )

    @admin.display(description=_("active engagements"), ordering="load")
    def active_engagements(self, coach):
        return coach.load


class VisitInline(admin.TabularInline):
    """The visit plan: dates and themes may be corrected here; reports are written by the coach."""

    model = Visit
    fields = ["number", "planned_on", "theme", "status", "held_on", "coach", "acknowledged_at"]
    readonly_fields = ["status", "held_on", "coach", "acknowledged_at"]
    ordering = ["number"]
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # visits beyond the plan need a reason: the engagement's page or the API


class CoachChangeInline(admin.TabularInline):
    model = CoachChange
    fields = ["changed_on", "previous_coach", "coach", "reason", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # a reassignment goes through `reassign_coach` (assignments follow)


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "enrolment", "coach", "starts_on", "months", "visits_planned", "status"]
    list_filter = ["status", "enrolment__edition", "enrolment__cooperative__region"]
    search_fields = [
        "enrolment__cooperative__name_fr",
        "enrolment__cooperative__registration_number",
        "coach__full_name",
        "coach__email",
    ]
    list_select_related = ["enrolment__cooperative", "enrolment__edition", "coach"]
    autocomplete_fields = ["enrolment"]
    raw_id_fields = ["coach", "created_by"]
    readonly_fields = ["coach", "created_by", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
    inlines = [VisitInline, CoachChangeInline]


class VisitActionProgressInline(admin.TabularInline):
    model = VisitActionProgress
    fields = ["action", "status", "progress", "comment"]
    raw_id_fields = ["action"]
    extra = 0


class VisitAttachmentInline(admin.TabularInline):
    model = VisitAttachment
    fields = ["kind", "caption", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False  # files come in through the report, where their content is checked


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number", "planned_on", "held_on", "status", "coach", "acknowledged_via"]
    list_filter = ["status", "acknowledged_via", "engagement__enrolment__edition"]
    search_fields = [
        "engagement__enrolment__cooperative__name_fr",
        "engagement__enrolment__cooperative__registration_number",
        "coach__full_name",
        "theme",
        "topics",
    ]
    list_select_related = ["engagement__enrolment__cooperative", "coach"]
    raw_id_fields = ["engagement", "coach", "acknowledged_by"]
    autocomplete_fields = ["members_present"]
    date_hierarchy = "planned_on"
    readonly_fields = [
        "status",
        "version",
        "submitted_at",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledged_via",
        "reminded_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            _("Plan"),
            {"fields": ["engagement", "number", "planned_on", "theme", "theme_codes", "beyond_plan_reason"]},
        ),
        (
            _("Report"),
            {
                "fields": [
                    "status",
                    "coach",
                    "held_on",
                    "duration_minutes",
                    "place",
                    ("latitude", "longitude"),
                    "members_present",
                    "topics",
                    "advice",
                    "decisions",
                    "next_steps",
                    "version",
                    "submitted_at",
                ]
            },
        ),
        (
            _("Acknowledgement"),
            {"fields": ["acknowledged_at", "acknowledged_by", "acknowledged_via", "reminded_at"]},
        ),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [VisitActionProgressInline, VisitAttachmentInline]


@admin.register(CoachChange)
class CoachChangeAdmin(admin.ModelAdmin):
    list_display = ["engagement", "changed_on", "previous_coach", "coach", "changed_by"]
    search_fields = ["engagement__enrolment__cooperative__registration_number", "coach__full_name", "reason"]
    list_select_related = ["engagement__enrolment__cooperative", "previous_coach", "coach", "changed_by"]
    readonly_fields = ["engagement", "previous_coach", "coach", "changed_on", "reason", "changed_by"]

    def has_add_permission(self, request):
        return False


@admin.register(VisitAttachment)
class VisitAttachmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "visit", "kind", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = [
        "caption",
        "original_name",
        "visit__engagement__enrolment__cooperative__registration_number",
    ]
    list_select_related = ["visit__engagement__enrolment__cooperative", "uploaded_by"]
    raw_id_fields = ["visit", "uploaded_by"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False


@admin.register(AcknowledgementCode)
class AcknowledgementCodeAdmin(admin.ModelAdmin):
    """Read only, and never the code: only its hash is kept, and it is not shown."""

    list_display = ["visit", "phone", "created_at", "expires_at", "attempts", "used_at"]
    list_select_related = ["visit__engagement__enrolment__cooperative"]
    search_fields = ["visit__engagement__enrolment__cooperative__registration_number", "phone"]
    fields = ["visit", "phone", "created_at", "expires_at", "attempts", "used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
