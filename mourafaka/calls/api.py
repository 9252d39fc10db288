"""API of the selection process: calls with their rules, grid and quotas; applications with their
explained eligibility; the committee's actions; scores and conflicts; rankings; appeals.

Every write goes through mourafaka.calls.services, which checks the permission policy (403 with its
reason) and refuses bad input with its message (400). Records outside the caller's scope answer 404.
"""

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mourafaka.accounts import policy
from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.api import ScopedField, ScopedQuerysetMixin, SignedIn, refused_as_400
from mourafaka.territory.models import Region

from . import eligibility, services
from .models import (
    Appeal,
    Application,
    Call,
    CallQuota,
    Criterion,
    RankingEntry,
    RankingVersion,
)

LANGUAGE = OpenApiParameter(
    "lang", str, enum=list(eligibility.LANGUAGES), description="Language of the explanations"
)


# ---------------------------------------------------------------------------
# Calls


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["code", "name_fr", "name_ar", "kind", "source", "weight", "scale_min", "scale_max", "order"]
        extra_kwargs = {"order": {"required": False}}


class CallQuotaSerializer(serializers.ModelSerializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    places = serializers.IntegerField()  # a negative quota is refused by the service, with its reason

    class Meta:
        model = CallQuota
        fields = ["region", "places"]


class RuleSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=sorted(eligibility.RULES))
    params = serializers.DictField(required=False, default=dict)


class CallSerializer(serializers.ModelSerializer):
    regions = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), many=True, required=False)
    eligibility_rules = RuleSerializer(many=True, required=False)
    criteria = CriterionSerializer(many=True, required=False)
    quotas = CallQuotaSerializer(many=True, required=False)
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "id", "edition", "phase", "code", "kind", "name_fr", "name_ar", "description_fr", "description_ar",
            "opens_at", "closes_at", "is_open", "regions", "eligibility_rules", "criteria", "quotas",
            "waitlist_length", "reallocate_unused", "minimum_total", "standardise_reviewers",
            "reviewers_per_application", "appeal_days", "results_published_at",
        ]  # fmt: skip
        read_only_fields = ["results_published_at"]

    def get_is_open(self, call) -> bool:
        return call.is_open()

    def _configure(self, call: Call, data: dict) -> Call:
        regions = data.pop("regions", None)
        rules = data.pop("eligibility_rules", None)
        criteria = data.pop("criteria", None)
        quotas = data.pop("quotas", None)
        for name, value in data.items():
            setattr(call, name, value)
        if regions is None:
            regions = list(call.regions.all()) if call.pk else []
        with refused_as_400():
            return services.configure_call(
                call=call, regions=regions, by=self.context["request"].user,
                rules=[dict(rule) for rule in rules] if rules is not None else None,
                criteria=[dict(criterion) for criterion in criteria] if criteria is not None else None,
                quotas={quota["region"]: quota["places"] for quota in quotas} if quotas is not None else None,
            )  # fmt: skip

    def create(self, validated_data):
        return self._configure(Call(), validated_data)

    def update(self, instance, validated_data):
        validated_data.pop("edition", None)  # a call does not move to another edition
        return self._configure(instance, validated_data)


class ReviewersSerializer(serializers.Serializer):
    reviewers = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)
    per_application = serializers.IntegerField(min_value=1, required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EligibilityRunSerializer(serializers.Serializer):
    evaluated = serializers.IntegerField()
    eligible = serializers.IntegerField()
    not_eligible = serializers.IntegerField()


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class RankingEntrySerializer(serializers.ModelSerializer):
    cooperative = serializers.IntegerField(source="application.cooperative_id", read_only=True)
    registration_number = serializers.CharField(
        source="application.cooperative.registration_number", read_only=True
    )
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = RankingEntry
        fields = [
            "application", "cooperative", "registration_number", "region", "position", "region_position",
            "waitlist_position", "total", "outcome", "scores",
        ]  # fmt: skip
        read_only_fields = fields


class RankingVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RankingVersion
        fields = ["id", "call", "number", "status", "reason", "checksum", "created_at", "frozen_at"]
        read_only_fields = fields


class RankingDetailSerializer(RankingVersionSerializer):
    entries = serializers.SerializerMethodField()

    class Meta(RankingVersionSerializer.Meta):
        fields = [*RankingVersionSerializer.Meta.fields, "entries"]
        read_only_fields = fields

    @extend_schema_field(RankingEntrySerializer(many=True))
    def get_entries(self, version) -> list:
        entries = policy.visible(self.context["request"].user, version.entries.all()).select_related(
            "application__cooperative", "region"
        )
        return RankingEntrySerializer(entries, many=True).data


class PublishSerializer(serializers.Serializer):
    enrolled = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    notified = serializers.IntegerField()


class CallViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Calls for applications with their rules, grid and quotas; head office sets them up."""

    queryset = Call.objects.select_related("edition", "phase").prefetch_related(
        "regions", "criteria", "quotas"
    )
    serializer_class = CallSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["edition", "phase", "kind"]

    def perform_update(self, serializer):
        policy.require(self.request.user, "calls.manage", serializer.instance)
        serializer.save()

    def perform_create(self, serializer):
        policy.require(self.request.user, "calls.manage")
        serializer.save()

    @extend_schema(request=None, responses={200: EligibilityRunSerializer})
    @action(detail=True, methods=["post"], url_path="run-eligibility")
    def run_eligibility(self, request, pk=None):
        with refused_as_400():
            result = services.run_eligibility(call=self.get_object(), by=request.user)
        return Response(result)

    @extend_schema(request=ReviewersSerializer, responses={200: CountSerializer})
    @action(detail=True, methods=["post"], url_path="assign-reviewers")
    def assign_reviewers(self, request, pk=None):
        call = self.get_object()
        policy.require(request.user, "calls.manage")
        data = ReviewersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refused_as_400():
            added = services.assign_reviewers(
                call=call, reviewers=list(data.validated_data["reviewers"]), by=request.user,
                per_application=data.validated_data.get("per_application"),
            )  # fmt: skip
        return Response({"count": added})

    @extend_schema(request=ReasonSerializer, responses={201: RankingVersionSerializer})
    @action(detail=True, methods=["post"], url_path="compute-ranking")
    def compute_ranking(self, request, pk=None):
        call = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refused_as_400():
            version = services.compute_ranking(
                call=call, by=request.user, reason=data.validated_data["reason"]
            )
        return Response(RankingVersionSerializer(version).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# Applications, their explained eligibility, scores and conflicts


class OutcomeSerializer(serializers.Serializer):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    values = serializers.DictField()
    message = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    evaluated_at = serializers.DateTimeField()
    reference_date = serializers.DateField()
    outcomes = OutcomeSerializer(many=True)


class ApplicationSerializer(serializers.ModelSerializer):
    call = ScopedField(queryset=Call.objects.all())
    cooperative = ScopedField(queryset=Cooperative.objects.all())
    eligibility = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id", "call", "cooperative", "status", "project_summary", "motivation", "requested_support",
            "submitted_at", "eligible", "eligibility",
        ]  # fmt: skip
        read_only_fields = ["status", "submitted_at", "eligible"]
        validators = []  # the service says why a second application is refused

    @extend_schema_field(EligibilitySerializer(allow_null=True))
    def get_eligibility(self, application) -> dict | None:
        check = next((c for c in application.eligibility_checks.all() if c.current), None)
        if check is None:
            return None
        request = self.context.get("request")
        language = (request.query_params.get("lang") if request else None) or get_language()
        return {
            "eligible": check.eligible,
            "evaluated_at": check.evaluated_at,
            "reference_date": check.reference_date,
            "outcomes": [
                {key: outcome[key] for key in ("rule", "passed", "values", "message")}
                for outcome in check.outcomes_in(language)
            ],
        }

    def create(self, validated_data):
        with refused_as_400():
            return services.submit_application(
                call=validated_data["call"], cooperative=validated_data["cooperative"],
                by=self.context["request"].user, project_summary=validated_data["project_summary"],
                motivation=validated_data.get("motivation", ""),
                requested_support=validated_data.get("requested_support", ""),
            )  # fmt: skip


class ScoreItemSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="Code of a criterion scored by reviewers")
    value = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScoresSerializer(serializers.Serializer):
    scores = ScoreItemSerializer(many=True)


class ConflictSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ApplicationViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Applications the caller may see (a cooperative: its own); applying goes through the service."""

    queryset = Application.objects.select_related("call", "cooperative").prefetch_related(
        "eligibility_checks"
    )
    serializer_class = ApplicationSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["call", "cooperative", "status", "eligible"]

    @extend_schema(parameters=[LANGUAGE])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=ScoresSerializer, responses={200: CountSerializer})
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        """A reviewer records their scores on an application assigned to them (all or none)."""
        application = self.get_object()
        policy.require(request.user, "calls.review")
        data = ScoresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criteria = {criterion.code: criterion for criterion in application.call.criteria.all()}
        values = {}
        for item in data.validated_data["scores"]:
            if item["criterion"] not in criteria:
                message = _("This call has no criterion %(code)s.") % {"code": item["criterion"]}
                raise serializers.ValidationError({"scores": [message]})
            values[criteria[item["criterion"]]] = (item["value"], item["comment"])
        with refused_as_400():
            saved = services.record_scores(reviewer=request.user, application=application, values=values)
        return Response({"count": len(saved)})

    @extend_schema(request=ConflictSerializer, responses={201: CountSerializer})
    @action(detail=True, methods=["post"])
    def conflict(self, request, pk=None):
        """A reviewer declares a conflict of interest: their scores are withdrawn."""
        application = self.get_object()
        policy.require(request.user, "calls.review")
        data = ConflictSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refused_as_400():
            services.declare_conflict(
                reviewer=request.user, application=application, reason=data.validated_data["reason"]
            )
        return Response({"count": 1}, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# Rankings


class RankingVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Ranking versions, read by head office (all entries) and delegates (their provinces' entries)."""

    queryset = RankingVersion.objects.all()
    permission_classes = [SignedIn]
    filterset_fields = ["call", "status"]

    def get_queryset(self):
        if not policy.check(self.request.user, "calls.view_ranking"):
            return RankingVersion.objects.none()
        return super().get_queryset()

    def get_serializer_class(self):
        return RankingVersionSerializer if self.action == "list" else RankingDetailSerializer

    @extend_schema(request=None, responses={200: RankingDetailSerializer})
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        with refused_as_400():
            version = services.freeze_ranking(version=self.get_object(), by=request.user)
        return Response(RankingDetailSerializer(version, context={"request": request}).data)

    @extend_schema(request=None, responses={200: PublishSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        with refused_as_400():
            result = services.publish_results(version=self.get_object(), by=request.user)
        return Response(result)


# ---------------------------------------------------------------------------
# Appeals


class AppealSerializer(serializers.ModelSerializer):
    application = ScopedField(queryset=Application.objects.all())

    class Meta:
        model = Appeal
        fields = [
            "id", "application", "ranking", "reason", "submitted_at", "status", "decision", "decided_at",
            "resulting_ranking",
        ]  # fmt: skip
        read_only_fields = [
            "ranking",
            "submitted_at",
            "status",
            "decision",
            "decided_at",
            "resulting_ranking",
        ]

    def create(self, validated_data):
        with refused_as_400():
            return services.submit_appeal(
                application=validated_data["application"], reason=validated_data["reason"],
                by=self.context["request"].user,
            )  # fmt: skip


class DecisionSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    decision = serializers.CharField(allow_blank=True)


class AppealViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Appeals against a published outcome: the applicant submits, the committee decides."""

    queryset = Appeal.objects.select_related("application")
    serializer_class = AppealSerializer
    permission_classes = [SignedIn]
    filterset_fields = ["application", "status"]

    @extend_schema(request=DecisionSerializer, responses={200: AppealSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        appeal = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with refused_as_400():
            appeal = services.decide_appeal(appeal=appeal, by=request.user, **data.validated_data)
        return Response(AppealSerializer(appeal, context={"request": request}).data)
