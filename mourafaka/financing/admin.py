"""Back office of project financing. Rounds, proposals, the committee's decision, agreements and payments
normally move through the services (pages, API): here the workflow fields are read only, a frozen (or
superseded) allocation and its entries cannot be changed at all, and payments are never recorded from
the admin (the disbursement guards live in the service), so that corrections never skip the rules."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Agreement,
    AgreementDocument,
    Allocation,
    AllocationEntry,
    AllocationOverride,
    BudgetLine,
    Disbursement,
    FollowUpReport,
    Milestone,
    Proposal,
    RegionCap,
    Round,
    Tranche,
    TrancheCondition,
)

COOPERATIVE_SEARCH = ["application__cooperative__name_fr", "application__cooperative__registration_number"]


def _under(prefix: str, fields: list[str]) -> list[str]:
    return [f"{prefix}__{field}" for field in fields]


def _all_fields(model) -> list[str]:
    return [field.name for field in model._meta.get_fields() if field.concrete and not field.auto_created]


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows records the services write (no add, change or delete here)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------
# Rounds


def _round_frozen(round) -> bool:
    return round is not None and round.allocations.filter(status=Allocation.Status.FROZEN).exists()


class RegionCapInline(admin.TabularInline):
    model = RegionCap
    fields = ["region", "max_projects", "max_amount"]
    autocomplete_fields = ["region"]
    extra = 0

    def has_add_permission(self, request, obj=None):
        return not _round_frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _round_frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _round_frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """A round's settings; they are frozen once an allocation of the round is frozen."""

    list_display = ["__str__", "budget", "ceiling", "min_cofinancing_share", "max_projects", "tranche_shares"]
    list_filter = ["call__edition"]
    search_fields = ["call__code", "call__name_fr", "call__name_ar"]
    list_select_related = ["call"]
    raw_id_fields = ["call"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [RegionCapInline]

    def get_readonly_fields(self, request, obj=None):
        if _round_frozen(obj):
            return _all_fields(Round)
        if obj is not None:
            return ["call", *self.readonly_fields]
        return self.readonly_fields


@admin.register(RegionCap)
class RegionCapAdmin(admin.ModelAdmin):
    list_display = ["round", "region", "max_projects", "max_amount"]
    list_filter = ["region", "round"]
    search_fields = ["round__call__code", "round__call__name_fr", "region__name_fr", "region__code"]
    list_select_related = ["round__call", "region"]
    autocomplete_fields = ["round", "region"]

    def has_change_permission(self, request, obj=None):
        return not (obj and _round_frozen(obj.round)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and _round_frozen(obj.round)) and super().has_delete_permission(request, obj)


# ---------------------------------------------------------------------------
# Proposals


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    fields = ["order", "category", "label", "amount"]
    extra = 0


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Proposals are drafted, submitted, judged and funded through the services; the status and the
    application they belong to are read only here."""

    list_display = [
        "title",
        "cooperative_name",
        "round_name",
        "status",
        "total_cost",
        "amount_requested",
        "expected_jobs",
    ]
    list_filter = ["status", "application__call", "application__cooperative__region", "sector"]
    search_fields = ["title", *COOPERATIVE_SEARCH]
    list_select_related = ["application__cooperative", "application__call"]
    raw_id_fields = ["application", "enrolment", "prepared_with"]
    autocomplete_fields = ["sector"]
    readonly_fields = ["application", "enrolment", "status", "version", "created_at", "updated_at"]
    inlines = [BudgetLineInline]

    @admin.display(description=_("cooperative"), ordering="application__cooperative__name_fr")
    def cooperative_name(self, proposal):
        return proposal.application.cooperative

    @admin.display(description=_("financing round"), ordering="application__call__name_fr")
    def round_name(self, proposal):
        return proposal.application.call

    def has_add_permission(self, request):
        return False  # a proposal is one application to the call: created by `save_proposal`


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ["label", "proposal", "category", "amount"]
    list_filter = ["category", "proposal__application__call"]
    search_fields = ["label", "proposal__title", *_under("proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["proposal"]
    raw_id_fields = ["proposal"]


# ---------------------------------------------------------------------------
# The committee's decision


@admin.register(AllocationOverride)
class AllocationOverrideAdmin(admin.ModelAdmin):
    list_display = ["proposal", "round", "decision", "amount", "decided_by", "decided_at"]
    list_filter = ["decision", "round"]
    search_fields = ["reason", "proposal__title", *_under("proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["proposal", "round__call", "decided_by"]
    raw_id_fields = ["round", "proposal", "decided_by"]
    readonly_fields = ["decided_by", "decided_at"]

    def has_add_permission(self, request):
        return False  # `set_override` checks the proposal is ranked and the amount within the request

    def has_change_permission(self, request, obj=None):
        return not (obj and _round_frozen(obj.round)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and _round_frozen(obj.round)) and super().has_delete_permission(request, obj)


class AllocationEntryInline(ReadOnlyInline):
    model = AllocationEntry
    fields = [
        "position",
        "proposal",
        "region",
        "total",
        "amount_requested",
        "amount_granted",
        "remaining_after",
        "outcome",
        "note",
    ]
    ordering = ["position", "pk"]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    """An allocation is computed and frozen by the committee; a draft's reason may be corrected, a
    frozen or superseded one is the record of the decision and is read only."""

    list_display = [
        "__str__",
        "number",
        "status",
        "budget",
        "allocated",
        "funded_count",
        "created_at",
        "frozen_at",
    ]
    list_filter = ["status", "round"]
    search_fields = ["round__call__code", "round__call__name_fr", "reason", "checksum"]
    list_select_related = ["round__call"]
    readonly_fields = [
        "round",
        "number",
        "status",
        "budget",
        "allocated",
        "funded_count",
        "inputs",
        "checksum",
        "created_by",
        "created_at",
        "frozen_by",
        "frozen_at",
    ]
    inlines = [AllocationEntryInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Allocation.Status.DRAFT:
            return _all_fields(Allocation)
        return self.readonly_fields

    def has_add_permission(self, request):
        return False  # computed by `compute_allocation` from the ranking

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Allocation.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status != Allocation.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AllocationEntry)
class AllocationEntryAdmin(admin.ModelAdmin):
    """Entries are what the allocation rule decided: read only."""

    list_display = [
        "__str__",
        "allocation",
        "region",
        "total",
        "amount_requested",
        "amount_granted",
        "outcome",
    ]
    list_filter = ["outcome", "region", "allocation__round"]
    search_fields = ["proposal__title", *_under("proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["allocation__round__call", "proposal", "region"]

    def get_readonly_fields(self, request, obj=None):
        return _all_fields(AllocationEntry)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------
# Agreements, tranches, milestones, payments


class TrancheInline(admin.TabularInline):
    model = Tranche
    fields = ["number", "share", "amount"]
    readonly_fields = fields  # from the round's tranche plan
    extra = 0
    show_change_link = True  # its conditions and payments are on the tranche's page

    def has_add_permission(self, request, obj=None):
        return False  # made from the round's tranche plan when the allocation is frozen

    def has_delete_permission(self, request, obj=None):
        return False


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["order", "title", "due_on", "reported_at", "confirmed_at", "confirmed_by"]
    readonly_fields = ["reported_at", "confirmed_at", "confirmed_by"]
    extra = 0
    show_change_link = True


class DisbursementInline(ReadOnlyInline):
    model = Disbursement
    fields = ["tranche", "amount", "paid_on", "payment_reference", "recorded_by", "recorded_at"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["reference", "cooperative_name", "amount", "status", "signed_on", "ends_on"]
    list_filter = ["status", "allocation__round", "proposal__application__cooperative__region"]
    search_fields = ["reference", "proposal__title", *_under("proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["proposal__application__cooperative"]
    readonly_fields = ["proposal", "allocation", "reference", "amount", "status", "created_at", "updated_at"]
    date_hierarchy = "signed_on"
    inlines = [TrancheInline, MilestoneInline, DisbursementInline]

    @admin.display(description=_("cooperative"), ordering="proposal__application__cooperative__name_fr")
    def cooperative_name(self, agreement):
        return agreement.proposal.application.cooperative

    def has_add_permission(self, request):
        return False  # one agreement per funded proposal, made when the allocation is frozen


class TrancheConditionInline(admin.TabularInline):
    model = TrancheCondition
    fields = ["kind", "name_fr", "name_ar", "document_kind", "milestone", "met_at", "met_by", "note"]
    readonly_fields = ["met_at", "met_by"]
    raw_id_fields = ["milestone"]
    extra = 0


@admin.register(Tranche)
class TrancheAdmin(admin.ModelAdmin):
    list_display = ["__str__", "number", "share", "amount"]
    list_filter = ["number", "agreement__status"]
    search_fields = ["agreement__reference", *_under("agreement__proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["agreement"]
    readonly_fields = ["agreement", "number", "share", "amount"]
    inlines = [TrancheConditionInline, DisbursementInline]

    def has_add_permission(self, request):
        return False


@admin.register(TrancheCondition)
class TrancheConditionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tranche", "kind", "document_kind", "milestone", "met_at"]
    list_filter = ["kind", "document_kind"]
    search_fields = ["name_fr", "name_ar", "tranche__agreement__reference"]
    list_select_related = ["tranche__agreement", "milestone"]
    raw_id_fields = ["tranche", "milestone"]
    readonly_fields = ["met_at", "met_by"]


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["title", "agreement", "order", "due_on", "reported_at", "confirmed_at", "confirmed_by"]
    list_filter = ["agreement__status", "agreement__proposal__application__cooperative__region"]
    search_fields = ["title", "agreement__reference", *_under("agreement__proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["agreement", "confirmed_by"]
    raw_id_fields = ["agreement"]
    readonly_fields = ["reported_at", "reported_note", "confirmed_at", "confirmed_by", "confirmation_note"]
    date_hierarchy = "due_on"


@admin.register(FollowUpReport)
class FollowUpReportAdmin(admin.ModelAdmin):
    list_display = [
        "agreement",
        "reported_on",
        "jobs_created",
        "jobs_women",
        "jobs_youth",
        "turnover",
        "members_reached",
    ]
    list_filter = ["agreement__allocation__round", "agreement__proposal__application__cooperative__region"]
    search_fields = ["agreement__reference", "note", *_under("agreement__proposal", COOPERATIVE_SEARCH)]
    list_select_related = ["agreement"]
    raw_id_fields = ["agreement", "recorded_by"]
    readonly_fields = ["recorded_by", "recorded_at"]
    date_hierarchy = "reported_on"

    def has_add_permission(self, request):
        return False  # `record_follow_up` checks the dates and the shares of jobs


@admin.register(AgreementDocument)
class AgreementDocumentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "agreement", "kind", "original_name", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["caption", "original_name", "agreement__reference"]
    list_select_related = ["agreement", "uploaded_by"]
    raw_id_fields = ["agreement", "milestone", "follow_up"]
    readonly_fields = ["file", "original_name", "size", "content_type", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False  # files come in through the services, where their content is checked


@admin.register(Disbursement)
class DisbursementAdmin(admin.ModelAdmin):
    """Payments are recorded by `record_disbursement` (never twice, never beyond the grant or before a
    tranche's conditions are met): read only here."""

    list_display = [
        "__str__",
        "agreement",
        "tranche",
        "amount",
        "paid_on",
        "payment_reference",
        "recorded_by",
    ]
    list_filter = ["tranche__number", "agreement__allocation__round"]
    search_fields = ["payment_reference", "agreement__reference"]
    list_select_related = ["agreement", "tranche__agreement", "recorded_by"]
    date_hierarchy = "paid_on"

    def get_readonly_fields(self, request, obj=None):
        return _all_fields(Disbursement)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
