"""REST API of project financing (/api/v1/financing-…): rounds, proposals with their budget and
documents, the committee's scores and conflicts, allocations and overrides with their minutes, grant
agreements with tranches and conditions, disbursements, milestones and follow-up figures.

Same rules as the pages: records outside the caller's scope answer 404 (an observer sees no proposal);
every write goes through the financing services, which check the policy (403 with its reason) and
refuse bad input with a translated message (400, in the caller's Accept-Language). Allocations are read
by head office and the delegates (a delegate sees the entries of its provinces); the minutes are head
office's. No member's personal data (CIN, phone) is exposed here.
"""

import django_filters
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mourafaka.accounts import policy
from mourafaka.accounts.models import User
from mourafaka.calls.api import LANGUAGE, CriterionSerializer, EligibilityRunSerializer, EligibilitySerializer
from mourafaka.calls.models import ApplicationDocument, Call, Criterion, Score
from mourafaka.cooperatives.models import Cooperative, Sector
from mourafaka.core.api import (
    IdFilter,
    PdfRenderer,
    ScopedField,
    ScopedQuerysetMixin,
    SignedIn,
    XlsxRenderer,
    refused_as_400,
)
from mourafaka.programmes.models import Edition, Phase
from mourafaka.territory.models import Region

from . import agreements, decisions, followup, minutes, proposals, rounds
from .models import (
    MONEY,
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

ZERO_MONEY = Value(0, output_field=DecimalField(**MONEY))


def _user(serializer):
    return serializer.context["request"].user


def _name(user) -> str:
    return (user.full_name or user.email) if user else ""


class Money(serializers.DecimalField):
    """An amount in dirhams (the services refuse negative ones with their reason)."""

    def __init__(self, **options):
        super().__init__(max_digits=14, decimal_places=2, **options)


class FinancingCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


# ---------------------------------------------------------------------------
# Rounds


class RegionCapSerializer(serializers.ModelSerializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    region_code = serializers.CharField(source="region.code", read_only=True)
    max_projects = serializers.IntegerField(required=False, allow_null=True, default=None)
    max_amount = Money(required=False, allow_null=True, default=None)

    class Meta:
        model = RegionCap
        fields = ["region", "region_code", "max_projects", "max_amount"]


class RoundSerializer(serializers.ModelSerializer):
    """A financing round: its call (dates, regions) and the envelope, ceiling and tranche plan."""

    call = serializers.IntegerField(source="call_id", read_only=True)
    edition = serializers.IntegerField(source="call.edition_id", read_only=True)
    code = serializers.CharField(source="call.code", read_only=True)
    name_fr = serializers.CharField(source="call.name_fr", read_only=True)
    name_ar = serializers.CharField(source="call.name_ar", read_only=True)
    opens_at = serializers.DateTimeField(source="call.opens_at", read_only=True)
    closes_at = serializers.DateTimeField(source="call.closes_at", read_only=True)
    is_open = serializers.SerializerMethodField()
    regions = serializers.SerializerMethodField()
    tranche_shares = serializers.SerializerMethodField()
    region_caps = RegionCapSerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id", "call", "edition", "code", "name_fr", "name_ar", "opens_at", "closes_at", "is_open", "regions",
            "budget", "ceiling", "min_cofinancing_share", "max_projects", "tranche_shares", "milestone_grace_days",
            "region_caps", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_open(self, round) -> bool:
        return round.call.is_open()

    def get_regions(self, round) -> list[int]:
        return [region.pk for region in round.call.regions.all()]

    @extend_schema_field(
        serializers.ListField(child=serializers.DecimalField(max_digits=5, decimal_places=2))
    )
    def get_tranche_shares(self, round) -> list:
        field = serializers.DecimalField(max_digits=5, decimal_places=2)
        return [field.to_representation(share) for share in round.shares]


class RoundDetailSerializer(RoundSerializer):
    """A round with the rest of its call: description, eligibility rules and scoring grid."""

    description_fr = serializers.CharField(source="call.description_fr", read_only=True)
    description_ar = serializers.CharField(source="call.description_ar", read_only=True)
    reviewers_per_application = serializers.IntegerField(
        source="call.reviewers_per_application", read_only=True
    )
    eligibility_rules = serializers.ListField(
        source="call.eligibility_rules", child=serializers.DictField(), read_only=True
    )
    criteria = CriterionSerializer(source="call.criteria", many=True, read_only=True)

    class Meta(RoundSerializer.Meta):
        fields = [
            *RoundSerializer.Meta.fields, "description_fr", "description_ar", "reviewers_per_application",
            "eligibility_rules", "criteria",
        ]  # fmt: skip
        read_only_fields = fields


CALL_FIELDS = (
    "phase", "code", "name_fr", "name_ar", "description_fr", "description_ar", "opens_at", "closes_at",
    "reviewers_per_application",
)  # fmt: skip


class RoundWriteSerializer(serializers.Serializer):
    """Create a round (its call is created with it) or change it (fields left out are kept). The
    financing eligibility rules follow the regions, ceiling, share and `beneficiaries_only`; the default
    grid is set on a new round unless `criteria` is given. Settings are frozen once an allocation is."""

    edition = serializers.PrimaryKeyRelatedField(queryset=Edition.objects.all(), help_text="Only on creation")
    phase = serializers.PrimaryKeyRelatedField(queryset=Phase.objects.all(), allow_null=True, required=False)
    code = serializers.SlugField(max_length=48)
    name_fr = serializers.CharField(max_length=255)
    name_ar = serializers.CharField(max_length=255, required=False, allow_blank=True)
    description_fr = serializers.CharField(required=False, allow_blank=True)
    description_ar = serializers.CharField(required=False, allow_blank=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reviewers_per_application = serializers.IntegerField(min_value=1, max_value=20, required=False)
    regions = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), many=True)
    budget = Money()
    ceiling = Money()
    min_cofinancing_share = serializers.DecimalField(
        max_digits=4, decimal_places=3, help_text="Own and other co-financing over the total cost, 0 to 1"
    )
    max_projects = serializers.IntegerField(required=False, allow_null=True)
    tranche_shares = serializers.ListField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2),
        required=False,
        help_text="Percent of the grant per tranche, in order; they sum to 100",
    )
    region_caps = RegionCapSerializer(many=True, required=False)
    milestone_grace_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    beneficiaries_only = serializers.BooleanField(required=False)
    criteria = CriterionSerializer(many=True, required=False)


def _beneficiaries_only(call: Call) -> bool:
    return any(rule.get("rule") == "beneficiary" for rule in call.eligibility_rules or [])


def _configure(round: Round | None, data: dict, by) -> Round:
    """configure_round with what was sent, the rest as stored."""
    call = round.call if round else Call(edition=data["edition"])
    for name in CALL_FIELDS:
        if name in data:
            setattr(call, name, data[name])
    if round is not None:
        caps = {cap.region: (cap.max_projects, cap.max_amount) for cap in round.region_caps.all()}
        stored = {
            "regions": list(call.regions.all()),
            "budget": round.budget,
            "ceiling": round.ceiling,
            "min_cofinancing_share": round.min_cofinancing_share,
            "max_projects": round.max_projects,
            "tranche_shares": round.shares,
            "region_caps": caps,
            "milestone_grace_days": round.milestone_grace_days,
            "beneficiaries_only": _beneficiaries_only(call),
        }
    else:
        stored = dict.fromkeys(("max_projects", "tranche_shares", "region_caps", "milestone_grace_days"))
        stored["beneficiaries_only"] = True
    if "region_caps" in data:
        data["region_caps"] = {
            cap["region"]: (cap["max_projects"], cap["max_amount"]) for cap in data["region_caps"]
        }
    values = {name: data.get(name, default) for name, default in stored.items()}
    for name in ("regions", "budget", "ceiling", "min_cofinancing_share"):
        values.setdefault(name, data.get(name))
    criteria = data.get("criteria")
    with refused_as_400():
        return rounds.configure_round(
            call=call, by=by, criteria=[dict(criterion) for criterion in criteria] if criteria is not None else None,
            **values,
        )  # fmt: skip


class CommitteeSerializer(serializers.Serializer):
    members = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, help_text="The committee members (users)"
    )
    per_proposal = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class AllocationReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RoundSummarySerializer(serializers.Serializer):
    statuses = serializers.DictField(child=serializers.IntegerField(), help_text="Proposals per status")
    proposals = serializers.IntegerField(help_text="Submitted proposals (drafts and withdrawn ones left out)")
    drafts = serializers.IntegerField()
    amount_requested = Money()
    budget = Money()
    ceiling = Money()
    max_projects = serializers.IntegerField(allow_null=True)
    reviewers = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    scores_done = serializers.IntegerField()
    scores_expected = serializers.IntegerField()
    allocated = Money(allow_null=True, help_text="By the frozen allocation, if any")
    funded = serializers.IntegerField(allow_null=True)


class _ResultFigures(serializers.Serializer):
    funded = serializers.IntegerField(help_text="Agreements not terminated")
    signed = serializers.IntegerField()
    completed = serializers.IntegerField()
    terminated = serializers.IntegerField()
    granted = Money()
    paid = Money(help_text="Every payment made, a terminated agreement's included")
    remaining = Money()
    jobs_expected = serializers.IntegerField()
    reports = serializers.IntegerField(help_text="Agreements with a follow-up report (the latest counts)")
    jobs_created = serializers.IntegerField()
    jobs_women = serializers.IntegerField()
    jobs_youth = serializers.IntegerField()
    turnover = Money()
    members_reached = serializers.IntegerField()
    milestones = serializers.IntegerField()
    milestones_confirmed = serializers.IntegerField()


class RegionResultsSerializer(_ResultFigures):
    region = serializers.IntegerField(source="region.pk", allow_null=True, default=None)
    region_code = serializers.CharField(source="region.code", allow_null=True, default=None)


class RoundResultsSerializer(_ResultFigures):
    """What the round's money produced, overall and per region."""

    regions = RegionResultsSerializer(many=True)


class FinancingPlanSerializer(serializers.Serializer):
    """How the project is paid for: budget lines against the cost, the sources against the cost, the
    co-financing share against the round's minimum, the amount against the ceiling."""

    total_cost = Money()
    lines_total = Money()
    lines_gap = Money()
    lines_match = serializers.BooleanField()
    amount_requested = Money()
    own_contribution = Money()
    other_cofinancing = Money()
    cofinancing = Money()
    cofinancing_share = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    min_cofinancing_share = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    share_ok = serializers.BooleanField()
    sources_total = Money()
    sources_gap = Money()
    sources_cover_cost = serializers.BooleanField()
    ceiling = Money(allow_null=True)
    within_ceiling = serializers.BooleanField()


# ---------------------------------------------------------------------------
# Proposals


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ["id", "category", "label", "amount", "order"]
        read_only_fields = fields


class BudgetLineInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=BudgetLine.Category.choices, default=BudgetLine.Category.OTHER)
    label = serializers.CharField(max_length=255)
    amount = Money()


class ProposalDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicationDocument
        fields = [
            "id",
            "kind",
            "title",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class ProposalDocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplicationDocument.Kind.choices)
    title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(allow_empty_file=True)


class ProposalSerializer(serializers.ModelSerializer):
    """A project proposal: who, which round, the amounts and where it stands."""

    round = serializers.IntegerField(source="application.call.financing_round.pk", read_only=True)
    call = serializers.IntegerField(source="application.call_id", read_only=True)
    cooperative = serializers.IntegerField(source="application.cooperative_id", read_only=True)
    cooperative_name = serializers.CharField(source="application.cooperative.name", read_only=True)
    registration_number = serializers.CharField(
        source="application.cooperative.registration_number", read_only=True
    )
    region = serializers.IntegerField(source="application.cooperative.region_id", read_only=True)
    submitted_at = serializers.DateTimeField(
        source="application.submitted_at", read_only=True, allow_null=True
    )
    eligible = serializers.BooleanField(source="application.eligible", read_only=True, allow_null=True)
    cofinancing_share = serializers.DecimalField(
        max_digits=7, decimal_places=4, read_only=True, allow_null=True
    )

    class Meta:
        model = Proposal
        fields = [
            "id", "round", "call", "cooperative", "cooperative_name", "registration_number", "region", "status",
            "title", "sector", "total_cost", "amount_requested", "own_contribution", "other_cofinancing",
            "cofinancing_share", "expected_jobs", "expected_members_reached", "submitted_at", "eligible",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ProposalDetailSerializer(ProposalSerializer):
    """A proposal with its budget lines, financing plan, documents and current eligibility outcomes."""

    prepared_with_name = serializers.SerializerMethodField()
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    plan = serializers.SerializerMethodField()
    documents = ProposalDocumentSerializer(source="application.documents", many=True, read_only=True)
    eligibility = serializers.SerializerMethodField()
    agreement = serializers.SerializerMethodField()

    class Meta(ProposalSerializer.Meta):
        fields = [
            *ProposalSerializer.Meta.fields, "enrolment", "description", "other_cofinancing_source",
            "social_impact", "environmental_impact", "prepared_with", "prepared_with_name", "budget_lines", "plan",
            "documents", "eligibility", "agreement",
        ]  # fmt: skip
        read_only_fields = fields

    def get_prepared_with_name(self, proposal) -> str:
        return _name(proposal.prepared_with)

    @extend_schema_field(FinancingPlanSerializer)
    def get_plan(self, proposal) -> dict:
        return FinancingPlanSerializer(proposals.financing_plan(proposal)).data

    @extend_schema_field(EligibilitySerializer(allow_null=True))
    def get_eligibility(self, proposal) -> dict | None:
        check = next((c for c in proposal.application.eligibility_checks.all() if c.current), None)
        if check is None:
            return None
        request = self.context.get("request")
        language = request.query_params.get("lang") if request else None
        return {
            "eligible": check.eligible,
            "evaluated_at": check.evaluated_at,
            "reference_date": check.reference_date,
            "outcomes": [
                {key: outcome[key] for key in ("rule", "passed", "values", "message")}
                for outcome in check.outcomes_in(language)
            ],
        }

    def get_agreement(self, proposal) -> int | None:
        agreement = getattr(proposal, "agreement", None)
        return agreement.pk if agreement else None


PROPOSAL_FIELDS = (
    "title", "description", "sector", "total_cost", "amount_requested", "own_contribution", "other_cofinancing",
    "other_cofinancing_source", "expected_jobs", "expected_members_reached", "social_impact",
    "environmental_impact",
)  # fmt: skip


class ProposalWriteSerializer(serializers.Serializer):
    """A draft proposal. On creation, `round` and `cooperative` (the caller's own for a cooperative's
    representative); on a change (PATCH), the `version` the editor loaded (a stale one is refused) and
    the fields to change. `lines` replaces the budget lines; they must add up to the total cost."""

    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.all(), required=False)
    cooperative = ScopedField(queryset=Cooperative.objects.all(), required=False)
    version = serializers.IntegerField(min_value=1, required=False)
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    sector = serializers.PrimaryKeyRelatedField(
        queryset=Sector.objects.all(), required=False, allow_null=True
    )
    total_cost = Money(required=False)
    amount_requested = Money(required=False)
    own_contribution = Money(required=False)
    other_cofinancing = Money(required=False)
    other_cofinancing_source = serializers.CharField(max_length=255, required=False, allow_blank=True)
    expected_jobs = serializers.IntegerField(min_value=0, required=False)
    expected_members_reached = serializers.IntegerField(min_value=0, required=False)
    social_impact = serializers.CharField(required=False, allow_blank=True)
    environmental_impact = serializers.CharField(required=False, allow_blank=True)
    lines = BudgetLineInputSerializer(many=True, required=False)

    def proposal_data(self) -> dict:
        return {name: self.validated_data[name] for name in PROPOSAL_FIELDS if name in self.validated_data}

    def budget_lines(self) -> list[dict] | None:
        lines = self.validated_data.get("lines")
        return [dict(line) for line in lines] if lines is not None else None


class ScoreRowSerializer(serializers.Serializer):
    reviewer = serializers.IntegerField()
    reviewer_name = serializers.CharField()
    criterion = serializers.CharField(help_text="Code of the criterion")
    value = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField(allow_blank=True)
    scored_at = serializers.DateTimeField()


class ScoresInputSerializer(serializers.Serializer):
    """A committee member's scores: {criterion code: value} (reviewed criteria, 0..4), all or none;
    `comments` optionally {criterion code: text}."""

    scores = serializers.DictField(child=serializers.CharField(allow_blank=True))
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )


class ConflictInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ConflictDeclaredSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    reason = serializers.CharField()
    declared_at = serializers.DateTimeField()


class ProposalFilter(django_filters.FilterSet):
    round = IdFilter(field_name="application__call__financing_round", label="Round")
    cooperative = IdFilter(field_name="application__cooperative", label="Cooperative")
    region = IdFilter(field_name="application__cooperative__region", label="Region")

    class Meta:
        model = Proposal
        fields = ["status"]


def _score_rows(scores) -> list[dict]:
    return [
        {
            "reviewer": score.reviewer_id,
            "reviewer_name": _name(score.reviewer),
            "criterion": score.criterion.code,
            "value": score.value,
            "comment": score.comment,
            "scored_at": score.scored_at,
        }
        for score in scores
    ]


# ---------------------------------------------------------------------------
# Allocations and the committee's overrides


class AllocationSerializer(serializers.ModelSerializer):
    """One computation of the funded list (draft, frozen by the committee, or superseded)."""

    remaining = Money(read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = [
            "id", "round", "number", "status", "reason", "budget", "allocated", "remaining", "funded_count",
            "checksum", "created_by", "created_by_name", "created_at", "frozen_by", "frozen_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_created_by_name(self, allocation) -> str:
        return _name(allocation.created_by)


class AllocationEntrySerializer(serializers.ModelSerializer):
    """A project in the allocation, in ranking order: what it asked, what it got and why."""

    title = serializers.CharField(source="proposal.title", read_only=True)
    cooperative = serializers.IntegerField(source="proposal.application.cooperative_id", read_only=True)
    cooperative_name = serializers.CharField(source="proposal.application.cooperative.name", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)
    funded = serializers.BooleanField(read_only=True)

    class Meta:
        model = AllocationEntry
        fields = [
            "id", "proposal", "title", "cooperative", "cooperative_name", "region", "region_code", "position",
            "total", "amount_requested", "amount_granted", "remaining_after", "outcome", "funded", "note",
        ]  # fmt: skip
        read_only_fields = fields


class AllocationDetailSerializer(AllocationSerializer):
    """An allocation with its entries (a delegate sees the entries of its provinces)."""

    entries = serializers.SerializerMethodField()

    class Meta(AllocationSerializer.Meta):
        fields = [*AllocationSerializer.Meta.fields, "entries"]
        read_only_fields = fields

    @extend_schema_field(AllocationEntrySerializer(many=True))
    def get_entries(self, allocation) -> list:
        entries = (
            policy.visible(_user(self), allocation.entries.all())
            .select_related("proposal__application__cooperative", "region")
            .order_by("position", "pk")
        )
        return AllocationEntrySerializer(entries, many=True).data


class OverrideSerializer(serializers.ModelSerializer):
    """The committee's decision on one project against the allocation rule, with its reason."""

    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.all())
    proposal = ScopedField(queryset=Proposal.objects.all())
    amount = Money(required=False, allow_null=True, help_text="Amount granted on inclusion (else requested)")
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = AllocationOverride
        fields = ["id", "round", "proposal", "decision", "amount", "reason", "decided_by", "decided_by_name",
                  "decided_at"]  # fmt: skip
        read_only_fields = ["decided_by", "decided_at"]
        validators = []  # the service says why (one override per proposal, frozen allocation…)
        extra_kwargs = {"reason": {"allow_blank": True}}

    def get_decided_by_name(self, override) -> str:
        return _name(override.decided_by)

    def create(self, validated_data):
        with refused_as_400():
            return decisions.set_override(by=_user(self), **validated_data)


# ---------------------------------------------------------------------------
# Agreements, tranches, milestones, documents


class ConditionStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TrancheCondition.Kind.choices)
    name = serializers.CharField()
    document_kind = serializers.CharField(allow_blank=True)
    milestone = serializers.IntegerField(allow_null=True)
    met = serializers.BooleanField()
    met_at = serializers.DateTimeField(allow_null=True)


class TrancheStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Percent of the grant")
    amount = Money()
    conditions = ConditionStatusSerializer(many=True)
    paid = Money()
    remaining = Money()
    payable = serializers.BooleanField(help_text="Whether a payment can be recorded now")
    why_not = serializers.CharField(allow_blank=True, help_text="Why not, when it cannot")


def _tranche_data(status_: dict) -> dict:
    return {
        "id": status_["tranche"].pk,
        "number": status_["number"],
        "share": status_["share"],
        "amount": status_["amount"],
        "conditions": [
            {
                "id": row["condition"].pk,
                "kind": row["kind"],
                "name": row["name"],
                "document_kind": row["condition"].document_kind,
                "milestone": row["condition"].milestone_id,
                "met": row["met"],
                "met_at": row["condition"].met_at,
            }
            for row in status_["conditions"]
        ],
        "paid": status_["paid"],
        "remaining": status_["remaining"],
        "payable": status_["payable"],
        "why_not": str(status_["why_not"]),
    }


class BalanceSerializer(serializers.Serializer):
    granted = Money()
    paid = Money()
    remaining = Money()


class MilestoneSerializer(serializers.ModelSerializer):
    """A step of the project's implementation: reported done by the cooperative (or its coach),
    confirmed on the ground by the coach."""

    agreement = ScopedField(queryset=Agreement.objects.all())
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    cooperative_name = serializers.CharField(
        source="agreement.proposal.application.cooperative.name", read_only=True
    )
    confirmed = serializers.BooleanField(read_only=True)
    confirmed_by_name = serializers.SerializerMethodField()
    order = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Meta:
        model = Milestone
        fields = [
            "id", "agreement", "agreement_reference", "cooperative_name", "order", "title", "due_on", "reported_at",
            "reported_note", "confirmed", "confirmed_at", "confirmed_by", "confirmed_by_name", "confirmation_note",
        ]  # fmt: skip
        read_only_fields = [
            "reported_at", "reported_note", "confirmed_at", "confirmed_by", "confirmation_note",
        ]  # fmt: skip

    def get_confirmed_by_name(self, milestone) -> str:
        return _name(milestone.confirmed_by)

    def create(self, validated_data):
        with refused_as_400():
            return followup.add_milestone(by=_user(self), **validated_data)


class MilestoneChangeSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255, required=False)
    due_on = serializers.DateField(required=False)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementDocument
        fields = [
            "id", "agreement", "kind", "milestone", "follow_up", "caption", "original_name", "content_type", "size",
            "uploaded_by", "uploaded_at",
        ]  # fmt: skip
        read_only_fields = fields


class ProjectDocumentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgreementDocument.Kind.choices)
    caption = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(allow_empty_file=True)
    milestone = serializers.IntegerField(
        required=False, allow_null=True, help_text="A milestone of the agreement"
    )
    follow_up = serializers.IntegerField(
        required=False, allow_null=True, help_text="A follow-up report of the agreement"
    )


class AgreementSerializer(serializers.ModelSerializer):
    """A grant agreement: the funded project, the grant, where it stands and what is paid."""

    round = serializers.IntegerField(source="allocation.round_id", read_only=True)
    title = serializers.CharField(source="proposal.title", read_only=True)
    cooperative = serializers.IntegerField(source="proposal.application.cooperative_id", read_only=True)
    cooperative_name = serializers.CharField(source="proposal.application.cooperative.name", read_only=True)
    region = serializers.IntegerField(source="proposal.application.cooperative.region_id", read_only=True)
    paid = Money(read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id", "reference", "round", "allocation", "proposal", "title", "cooperative", "cooperative_name",
            "region", "amount", "paid", "status", "signed_on", "ends_on", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class AgreementDetailSerializer(AgreementSerializer):
    """An agreement with its tranches (conditions with their `met` flag, paid, remaining, whether
    payable now and why not), its balance, milestones and documents."""

    tranches = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()
    milestones = MilestoneSerializer(many=True, read_only=True)
    documents = ProjectDocumentSerializer(many=True, read_only=True)

    class Meta(AgreementSerializer.Meta):
        fields = [
            *AgreementSerializer.Meta.fields, "termination_reason", "tranches", "balance", "milestones", "documents",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(TrancheStatusSerializer(many=True))
    def get_tranches(self, agreement) -> list:
        return TrancheStatusSerializer(
            [_tranche_data(row) for row in agreements.tranche_statuses(agreement)], many=True
        ).data

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, agreement) -> dict:
        return BalanceSerializer(agreements.balance(agreement)).data


class SignSerializer(serializers.Serializer):
    signed_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


# ---------------------------------------------------------------------------
# Disbursements and follow-up


class DisbursementSerializer(serializers.ModelSerializer):
    """A payment of (part of) a tranche. Recording one checks the agreement is signed, the tranche's
    conditions met, the earlier tranches paid, and the amount within what remains."""

    tranche = ScopedField(queryset=Tranche.objects.all())
    agreement_reference = serializers.CharField(source="agreement.reference", read_only=True)
    tranche_number = serializers.IntegerField(source="tranche.number", read_only=True)
    amount = Money()  # an amount ≤ 0 is refused by the service, with its reason

    class Meta:
        model = Disbursement
        fields = [
            "id", "agreement", "agreement_reference", "tranche", "tranche_number", "amount", "paid_on",
            "payment_reference", "recorded_by", "recorded_at",
        ]  # fmt: skip
        read_only_fields = ["agreement", "recorded_by", "recorded_at"]

    def create(self, validated_data):
        with refused_as_400():
            return agreements.record_disbursement(by=_user(self), **validated_data)


class FollowUpSerializer(serializers.ModelSerializer):
    """Figures of a financed project at a date: jobs created (of which women, young people), turnover
    over the last 12 months, members reached."""

    agreement = ScopedField(queryset=Agreement.objects.all())
    jobs_created = serializers.IntegerField(min_value=0)
    jobs_women = serializers.IntegerField(min_value=0, required=False, default=0)
    jobs_youth = serializers.IntegerField(min_value=0, required=False, default=0)
    members_reached = serializers.IntegerField(min_value=0, required=False, default=0)
    turnover = Money(required=False, allow_null=True, default=None)

    class Meta:
        model = FollowUpReport
        fields = [
            "id", "agreement", "reported_on", "jobs_created", "jobs_women", "jobs_youth", "turnover",
            "members_reached", "note", "recorded_by", "recorded_at",
        ]  # fmt: skip
        read_only_fields = ["recorded_by", "recorded_at"]
        validators = []  # the service says why (shares of jobs above the total, dates)

    def create(self, validated_data):
        with refused_as_400():
            return followup.record_follow_up(by=_user(self), **validated_data)


# ---------------------------------------------------------------------------
# Viewsets


class RoundFilter(django_filters.FilterSet):
    edition = IdFilter(field_name="call__edition", label="Edition")
    region = IdFilter(field_name="call__regions", label="Region of the call")

    class Meta:
        model = Round
        fields = ["call"]


class RoundViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Financing rounds (read by any signed-in user). Head office creates and changes them (PATCH: the
    fields sent, the rest kept), runs the eligibility, assigns the committee and computes allocations;
    `summary` and `results` are read by head office and the delegates."""

    queryset = (
        Round.objects.select_related("call__edition")
        .prefetch_related("call__regions", "call__criteria", "region_caps__region")
        .order_by("-call__opens_at", "pk")
    )
    permission_classes = [SignedIn]
    filterset_class = RoundFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "list":
            return RoundSerializer
        if self.action in ("create", "partial_update"):
            return RoundWriteSerializer
        return RoundDetailSerializer

    def _reply(self, round, code=status.HTTP_200_OK):
        round = self.get_queryset().get(pk=round.pk)
        return Response(RoundDetailSerializer(round, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=RoundWriteSerializer, responses={201: RoundDetailSerializer})
    def create(self, request, *args, **kwargs):
        policy.require(request.user, "financing.manage")
        payload = RoundWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._reply(
            _configure(None, dict(payload.validated_data), request.user), status.HTTP_201_CREATED
        )

    @extend_schema(request=RoundWriteSerializer, responses=RoundDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        round = self.get_object()
        policy.require(request.user, "financing.manage", round)
        payload = RoundWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data.pop("edition", None)  # a round does not move to another edition
        return self._reply(_configure(round, data, request.user))

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @extend_schema(request=None, responses=EligibilityRunSerializer)
    @action(detail=True, methods=["post"])
    def eligibility(self, request, pk=None):
        """Evaluate the submitted proposals with the round's rules (each becomes eligible or not)."""
        with refused_as_400():
            result = rounds.run_round_eligibility(round=self.get_object(), by=request.user)
        return Response(EligibilityRunSerializer(result).data)

    @extend_schema(request=CommitteeSerializer, responses=FinancingCountSerializer)
    @action(detail=True, methods=["post"])
    def committee(self, request, pk=None):
        """Give each eligible proposal its reviewers among the committee members, balancing the load
        (declared conflicts respected); answers how many assignments were added."""
        round = self.get_object()
        policy.require(request.user, "financing.manage", round)
        payload = CommitteeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            added = rounds.assign_committee(
                round=round, members=list(payload.validated_data["members"]), by=request.user,
                per_proposal=payload.validated_data.get("per_proposal"),
            )  # fmt: skip
        return Response({"count": added})

    @extend_schema(responses=RoundSummarySerializer)
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """Where the round stands: proposals per status, amount requested, reviewers, scores done."""
        round = self.get_object()
        policy.require(request.user, "financing.view_allocation", round)
        return Response(RoundSummarySerializer(rounds.round_summary(round)).data)

    @extend_schema(responses=RoundResultsSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """What the money produced: projects funded, granted, paid, jobs, turnover, per region."""
        round = self.get_object()
        policy.require(request.user, "financing.view_allocation", round)
        return Response(RoundResultsSerializer(followup.round_results(round)).data)

    @extend_schema(request=AllocationReasonSerializer, responses={201: AllocationDetailSerializer})
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        """Compute a new draft allocation: projects in ranking order within the budget, the maximum
        number of projects and the regional caps, the committee's overrides applied."""
        round = self.get_object()
        payload = AllocationReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            allocation = decisions.compute_allocation(
                round=round, by=request.user, reason=payload.validated_data["reason"]
            )
        data = AllocationDetailSerializer(allocation, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class ProposalViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Project proposals in the caller's scope (a cooperative its own, a coach those of the cooperatives
    they coach, a committee member those assigned to them, a delegate its provinces'). The cooperative,
    its coach or staff draft them (POST, then PATCH with the `version` loaded), attach the business plan
    and quotes (`documents`, multipart) and submit; committee members score (`scores`) or declare a
    conflict of interest (`conflict`)."""

    queryset = Proposal.objects.select_related(
        "application__call__financing_round", "application__cooperative", "prepared_with", "agreement"
    )
    permission_classes = [SignedIn]
    filterset_class = ProposalFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                "budget_lines", "application__documents", "application__eligibility_checks"
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return ProposalSerializer
        if self.action in ("create", "partial_update"):
            return ProposalWriteSerializer
        return ProposalDetailSerializer

    def _reply(self, proposal, code=status.HTTP_200_OK):
        proposal = self.get_queryset().get(pk=proposal.pk)
        return Response(
            ProposalDetailSerializer(proposal, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(parameters=[LANGUAGE])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ProposalWriteSerializer, responses={201: ProposalDetailSerializer})
    def create(self, request, *args, **kwargs):
        payload = ProposalWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        round = payload.validated_data.get("round")
        cooperative = payload.validated_data.get("cooperative") or request.user.cooperative
        missing = {name: [_("This field is required.")] for name, value in (("round", round),
                   ("cooperative", cooperative)) if value is None}  # fmt: skip
        if missing:
            raise serializers.ValidationError(missing)
        with refused_as_400():
            proposal = proposals.save_proposal(
                call=round.call, cooperative=cooperative, by=request.user, data=payload.proposal_data(),
                lines=payload.budget_lines(),
            )  # fmt: skip
        return self._reply(proposal, status.HTTP_201_CREATED)

    @extend_schema(request=ProposalWriteSerializer, responses=ProposalDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        proposal = self.get_object()
        payload = ProposalWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        version = payload.validated_data.get("version")
        if version is None:
            raise serializers.ValidationError(
                {"version": [_("Send the version of the proposal you edited.")]}
            )
        with refused_as_400():
            proposal = proposals.save_proposal(
                call=proposal.application.call, cooperative=proposal.application.cooperative, by=request.user,
                data=payload.proposal_data(), lines=payload.budget_lines(), proposal=proposal, version=version,
            )  # fmt: skip
        return self._reply(proposal)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @extend_schema(request=None, responses=ProposalDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the proposal to the round (while the call is open; budget lines adding up to the cost,
        amount within the ceiling). Missing documents do not block it: the eligibility reports them."""
        with refused_as_400():
            proposal = proposals.submit_proposal(proposal=self.get_object(), by=request.user)
        return self._reply(proposal)

    @extend_schema(request=None, responses=ProposalDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        with refused_as_400():
            proposal = proposals.withdraw_proposal(proposal=self.get_object(), by=request.user)
        return self._reply(proposal)

    @extend_schema(request=ProposalDocumentInputSerializer, responses={201: ProposalDocumentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def documents(self, request, pk=None):
        """Attach the business plan, a quote or another document to a draft (checked on its content)."""
        proposal = self.get_object()
        payload = ProposalDocumentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            document = proposals.add_proposal_document(
                proposal=proposal, by=request.user, **payload.validated_data
            )
        return Response(ProposalDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"documents/(?P<document_pk>\d+)")
    def remove_document(self, request, pk=None, document_pk=None):
        proposal = self.get_object()
        document = proposal.application.documents.filter(pk=document_pk).first()
        if document is None:
            raise exceptions.NotFound()
        with refused_as_400():
            proposals.remove_proposal_document(document=document, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["get"], responses=ScoreRowSerializer(many=True))
    @extend_schema(methods=["post"], request=ScoresInputSerializer, responses=ScoreRowSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def scores(self, request, pk=None):
        """GET: head office reads every reviewer's score per criterion, a committee member their own.
        POST: a committee member records their scores on a proposal assigned to them (all or none)."""
        proposal = self.get_object()
        policy.require(request.user, "calls.review", proposal)
        scores = Score.objects.filter(application=proposal.application).select_related(
            "reviewer", "criterion"
        )
        if request.method == "GET":
            if not policy.check(request.user, "financing.manage", proposal):
                scores = scores.filter(reviewer=request.user)
            return Response(ScoreRowSerializer(_score_rows(scores.order_by("reviewer_id", "criterion__order")),
                                               many=True).data)  # fmt: skip
        payload = ScoresInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        criteria = {
            criterion.code: criterion
            for criterion in proposal.application.call.criteria.filter(kind=Criterion.Kind.REVIEWED)
        }
        comments = payload.validated_data["comments"]
        values = {}
        for code, value in payload.validated_data["scores"].items():
            if code not in criteria:
                message = _("This round has no criterion %(code)s scored by the committee.") % {"code": code}
                raise serializers.ValidationError({"scores": [message]})
            values[criteria[code]] = (value, comments.get(code, ""))
        with refused_as_400():
            rounds.score_proposal(reviewer=request.user, proposal=proposal, values=values)
        mine = scores.filter(reviewer=request.user).order_by("criterion__order")
        return Response(ScoreRowSerializer(_score_rows(mine), many=True).data)

    @extend_schema(request=ConflictInputSerializer, responses={201: ConflictDeclaredSerializer})
    @action(detail=True, methods=["post"])
    def conflict(self, request, pk=None):
        """A committee member declares a conflict of interest: their scores on it are withdrawn and they
        can no longer score it."""
        proposal = self.get_object()
        payload = ConflictInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            conflict = rounds.declare_conflict(
                reviewer=request.user, proposal=proposal, reason=payload.validated_data["reason"]
            )
        data = {"proposal": proposal.pk, "reason": conflict.reason, "declared_at": conflict.declared_at}
        return Response(ConflictDeclaredSerializer(data).data, status=status.HTTP_201_CREATED)


MINUTES_LANGUAGE = OpenApiParameter("lang", str, enum=["fr", "ar"], description="Language of the PDF (fr)")
MINUTES_FORMAT = OpenApiParameter(
    "format", str, enum=["pdf", "xlsx"], description="PDF (default) or workbook"
)


class AllocationViewSet(viewsets.ReadOnlyModelViewSet):
    """Allocations of the rounds, read by head office (every entry) and the delegates (the entries of
    their provinces); others see none. Head office freezes a draft (`freeze`: proposals funded or not,
    one agreement per funded project) and downloads the minutes (`minutes`, PDF or XLSX)."""

    queryset = Allocation.objects.select_related("round__call", "created_by").order_by("round", "-number")
    permission_classes = [SignedIn]
    filterset_fields = ["round", "status"]

    def get_queryset(self):
        if not policy.check(self.request.user, "financing.view_allocation"):
            return Allocation.objects.none()
        return super().get_queryset()

    def get_serializer_class(self):
        return AllocationSerializer if self.action == "list" else AllocationDetailSerializer

    @extend_schema(request=None, responses=AllocationDetailSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        with refused_as_400():
            allocation = decisions.freeze_allocation(allocation=self.get_object(), by=request.user)
        return Response(AllocationDetailSerializer(allocation, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[MINUTES_FORMAT, MINUTES_LANGUAGE],
        responses={
            (200, PdfRenderer.media_type): OpenApiTypes.BINARY,
            (200, XlsxRenderer.media_type): OpenApiTypes.BINARY,
        },
    )
    @action(
        detail=True, methods=["get"], renderer_classes=[PdfRenderer, XlsxRenderer, renderers.JSONRenderer]
    )
    def minutes(self, request, pk=None, format=None):
        """The minutes of the committee's decision: budget, allocated, remaining, caps, each project with
        its rank, score, amounts, outcome and the committee's reason, and the checksum."""
        allocation = self.get_object()
        policy.require(request.user, "financing.manage", allocation)
        stem = f"allocation-{allocation.round.call.code}-v{allocation.number}"
        if request.accepted_renderer.format == XlsxRenderer.format:
            response = HttpResponse(minutes.allocation_xlsx(allocation), content_type=XlsxRenderer.media_type)
            response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
            return response
        language = "ar" if request.query_params.get("lang") == "ar" else "fr"
        response = HttpResponse(
            minutes.allocation_pdf(allocation, language=language), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}-{language}.pdf"'
        return response


class OverrideViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The committee's overrides of the allocation rule (fund or do not fund a project, with a reason),
    read by head office and the delegates; head office records and removes them until the allocation
    is frozen."""

    queryset = AllocationOverride.objects.select_related("decided_by").order_by("round", "decided_at", "pk")
    serializer_class = OverrideSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["round", "proposal", "decision"]

    def get_queryset(self):
        if not policy.check(self.request.user, "financing.view_allocation"):
            return AllocationOverride.objects.none()
        return super().get_queryset()

    def perform_destroy(self, instance):
        with refused_as_400():
            decisions.remove_override(override=instance, by=self.request.user)


class AgreementViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Grant agreements in the caller's scope, with their tranches (each condition with its `met` flag,
    paid, remaining, whether payable now), balance, milestones and documents. Head office signs and
    terminates; the cooperative, its coach and the delegation add documents and photos."""

    queryset = (
        Agreement.objects.select_related("proposal__application__cooperative", "allocation")
        .annotate(paid=Coalesce(Sum("disbursements__amount"), ZERO_MONEY))
        .order_by("reference")
    )
    permission_classes = [SignedIn]
    filterset_fields = ["status", "allocation", "proposal"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related("milestones__confirmed_by", "documents")
        return queryset

    def get_serializer_class(self):
        return AgreementSerializer if self.action == "list" else AgreementDetailSerializer

    def _reply(self, agreement, code=status.HTTP_200_OK):
        agreement = self.get_queryset().get(pk=agreement.pk)
        return Response(
            AgreementDetailSerializer(agreement, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(request=SignSerializer, responses=AgreementDetailSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        agreement = self.get_object()
        payload = SignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            agreement = agreements.sign_agreement(
                agreement=agreement, by=request.user, **payload.validated_data
            )
        return self._reply(agreement)

    @extend_schema(request=TerminateSerializer, responses=AgreementDetailSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        agreement = self.get_object()
        payload = TerminateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            agreement = agreements.terminate_agreement(
                agreement=agreement, reason=payload.validated_data["reason"], by=request.user
            )
        return self._reply(agreement)

    @extend_schema(request=ProjectDocumentInputSerializer, responses={201: ProjectDocumentSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def documents(self, request, pk=None):
        """Add a document or photo of the project (multipart; photos JPEG or PNG), optionally for one of
        its milestones or follow-up reports."""
        agreement = self.get_object()
        payload = ProjectDocumentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        for name, related in (("milestone", agreement.milestones), ("follow_up", agreement.follow_ups)):
            if data.get(name) is not None:
                data[name] = related.filter(pk=data[name]).first()
                if data[name] is None:
                    raise serializers.ValidationError({name: [_("This agreement has no such record.")]})
        with refused_as_400():
            document = agreements.add_project_document(agreement=agreement, by=request.user, **data)
        return Response(ProjectDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"documents/(?P<document_pk>\d+)")
    def remove_document(self, request, pk=None, document_pk=None):
        agreement = self.get_object()
        document = agreement.documents.filter(pk=document_pk).first()
        if document is None:
            raise exceptions.NotFound()
        with refused_as_400():
            agreements.remove_project_document(document=document, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DisbursementViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments in the caller's scope; head office records one (POST) against a tranche."""

    queryset = Disbursement.objects.select_related("agreement", "tranche").order_by(
        "agreement", "paid_on", "pk"
    )
    serializer_class = DisbursementSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["agreement", "tranche"]


class MilestoneQuerySerializer(serializers.Serializer):
    late = serializers.BooleanField(required=False, default=False, help_text="Only the late milestones")
    at = serializers.DateField(required=False, help_text="Late at this date (default today)")


class MilestoneViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Implementation milestones in the caller's scope (`?late=1&at=YYYY-MM-DD`: not confirmed and past
    their due date by more than the round's grace days). Head office or the delegation adds or moves
    them (not once confirmed); the cooperative or its coach reports one done (`report`), the coach
    confirms it on the ground (`confirm`)."""

    queryset = Milestone.objects.select_related(
        "agreement__proposal__application__cooperative", "confirmed_by"
    ).order_by("agreement", "order", "due_on", "pk")
    serializer_class = MilestoneSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["agreement"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            query = MilestoneQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            if query.validated_data["late"]:
                at = query.validated_data.get("at") or timezone.localdate()
                late = followup.late_milestones(self.request.user, at=at)
                queryset = queryset.filter(pk__in=late.values("pk"))
        return queryset

    def _reply(self, milestone, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=milestone.pk)).data, status=code)

    @extend_schema(parameters=[MilestoneQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=MilestoneChangeSerializer, responses=MilestoneSerializer)
    def partial_update(self, request, *args, **kwargs):
        milestone = self.get_object()
        payload = MilestoneChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            milestone = followup.change_milestone(
                milestone=milestone, by=request.user, **payload.validated_data
            )
        return self._reply(milestone)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @extend_schema(request=NoteSerializer, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """The cooperative (or its coach) reports the milestone done, saying what was done."""
        milestone = self.get_object()
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            milestone = followup.report_milestone(
                milestone=milestone, note=payload.validated_data["note"], by=request.user
            )
        return self._reply(milestone)

    @extend_schema(request=NoteSerializer, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The coach confirms the milestone on the ground (head office and the delegation may too)."""
        milestone = self.get_object()
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            milestone = followup.confirm_milestone(
                milestone=milestone, by=request.user, note=payload.validated_data["note"]
            )
        return self._reply(milestone)


class FollowUpViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Follow-up figures of the financed projects in the caller's scope; the cooperative, its coach or
    the delegation records them (POST) once the agreement is signed."""

    queryset = FollowUpReport.objects.select_related("agreement").order_by("agreement", "-reported_on", "-pk")
    serializer_class = FollowUpSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["agreement"]


def register_routes(router) -> None:
    """Add the financing endpoints to the API router."""
    router.register("financing-rounds", RoundViewSet, basename="financing-round")
    router.register("financing-proposals", ProposalViewSet, basename="financing-proposal")
    router.register("financing-allocations", AllocationViewSet, basename="financing-allocation")
    router.register("financing-overrides", OverrideViewSet, basename="financing-override")
    router.register("financing-agreements", AgreementViewSet, basename="financing-agreement")
    router.register("financing-disbursements", DisbursementViewSet, basename="financing-disbursement")
    router.register("financing-milestones", MilestoneViewSet, basename="financing-milestone")
    router.register("financing-follow-ups", FollowUpViewSet, basename="financing-follow-up")


api_urlpatterns: list = []
