"""REST API of individual coaching: coaches, engagements (start, suggestions, reassignment), the visit
plan and reports (drafts with a version, submit, acknowledgement in the portal or with a one-time
code), service providers, contracts with their unit prices and statements, deliverables, overdue
visits and the counts that feed the indicators.

Same rules as the pages: records outside the caller's scope answer 404; every write goes through the
coaching services, which check the policy (403 with its reason) and refuse bad input with a translated
message (400, in the caller's Accept-Language). A report saved from a stale version answers 409 with
the message and the version now stored: nothing is overwritten, and the client keeps its text.
Members' CIN and phone are masked for the roles that may not read them.
"""

from contextlib import contextmanager

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.models import Member
from mourafaka.core.api import (
    BoundedModelMultipleChoiceFilter,
    IdFilter,
    ScopedField,
    ScopedQuerysetMixin,
    SignedIn,
    XlsxRenderer,
    as_400,
)
from mourafaka.core.masking import mask, mask_phone
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.programmes.models import Edition, Enrolment
from mourafaka.territory.models import Region

from . import deliverables, engagements, followup, providers, reports
from .access import require_organiser
from .models import (
    Coach,
    CoachChange,
    Contract,
    Deliverable,
    DeliverableKind,
    Engagement,
    Provider,
    ProviderStaff,
    UnitPrice,
    Visit,
    VisitActionProgress,
    VisitAttachment,
)


class StaleReportConflict(exceptions.APIException):
    """409: the report was saved by someone else since the version sent. The body carries the message
    and the version now stored (a number, not a string as DRF would make it)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, error):
        super().__init__(code=self.default_code)
        self.detail = {
            "detail": [str(message) for message in error.messages],
            "current_version": error.current_version,
        }


@contextmanager
def refused_as_400():
    """A service's refusal (Django ValidationError) becomes a 400 carrying its translated message; a
    report saved from a stale version becomes a 409 naming the version now stored."""
    try:
        yield
    except reports.StaleReport as error:
        raise StaleReportConflict(error) from error
    except DjangoValidationError as error:
        raise as_400(error) from error


class DeliverableCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _user(serializer):
    return serializer.context["request"].user


def _optional(request, name: str, queryset):
    """The record named by a query parameter (None when absent); an unknown one is a 400."""
    value = request.query_params.get(name)
    if not value:
        return None
    found = queryset.filter(pk=value).first() if value.isdigit() else None
    if found is None:
        raise serializers.ValidationError({name: [_("Unknown value: %(value)s.") % {"value": value}]})
    return found


def _name(user) -> str:
    return (user.full_name or user.email) if user else ""


# ---------------------------------------------------------------------------
# Coaches


class CoachSerializer(serializers.ModelSerializer):
    """A coach's profile. `load` is the number of active engagements, `max_cooperatives` the capacity."""

    name = serializers.CharField(source="user.full_name", read_only=True)
    themes = serializers.ListField(
        child=serializers.CharField(), help_text="Need codes of the diagnostic catalogue (e.g. CO-SALES)"
    )
    load = serializers.IntegerField(read_only=True, help_text="Active engagements")

    class Meta:
        model = Coach
        fields = [
            "id", "user", "name", "provider", "regions", "themes", "max_cooperatives", "load", "active",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CoachFilter(django_filters.FilterSet):
    regions = BoundedModelMultipleChoiceFilter(queryset=Region.objects.all())

    class Meta:
        model = Coach
        fields = ["active", "provider", "regions"]


class CoachViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Coaches' profiles (read): head office sees all, a delegate those covering its regions, a coach
    their own. Profiles are edited in the back office."""

    queryset = (
        Coach.objects.select_related("user")
        .prefetch_related("regions")
        .annotate(
            load=Count(
                "user__engagements",
                filter=Q(user__engagements__status=Engagement.Status.ACTIVE),
                distinct=True,
            )
        )
        .order_by("user__full_name", "pk")
    )
    serializer_class = CoachSerializer
    filterset_class = CoachFilter


# ---------------------------------------------------------------------------
# Engagements


class CoachChangeSerializer(serializers.ModelSerializer):
    coach_name = serializers.SerializerMethodField()
    previous_coach_name = serializers.SerializerMethodField()

    class Meta:
        model = CoachChange
        fields = [
            "id",
            "changed_on",
            "previous_coach",
            "previous_coach_name",
            "coach",
            "coach_name",
            "reason",
        ]

    def get_coach_name(self, change) -> str:
        return _name(change.coach)

    def get_previous_coach_name(self, change) -> str:
        return _name(change.previous_coach)


class EngagementSerializer(serializers.ModelSerializer):
    """The coaching of one beneficiary, with the history of its coaches."""

    cooperative = serializers.IntegerField(source="enrolment.cooperative_id", read_only=True)
    cooperative_name = serializers.CharField(source="enrolment.cooperative.name", read_only=True)
    edition = serializers.IntegerField(source="enrolment.edition_id", read_only=True)
    coach_name = serializers.SerializerMethodField()
    coach_changes = CoachChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id", "enrolment", "cooperative", "cooperative_name", "edition", "coach", "coach_name", "starts_on",
            "months", "visits_planned", "status", "coach_changes", "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_coach_name(self, engagement) -> str:
        return _name(engagement.coach)


class EngagementStartSerializer(serializers.Serializer):
    """Start the coaching of a beneficiary: the visit plan is generated (dates evenly spaced, themes from
    the capacity-building and development plans). Length and number of visits default to the edition's
    settings (24 months, 12 visits)."""

    enrolment = ScopedField(queryset=Enrolment.objects.all())
    coach = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    starts_on = serializers.DateField(required=False)
    months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    visits = serializers.IntegerField(min_value=1, max_value=60, required=False)


class ReassignSerializer(serializers.Serializer):
    coach = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    reason = serializers.CharField(allow_blank=True)


class CoachSuggestionSerializer(serializers.Serializer):
    coach = serializers.IntegerField(help_text="The coach's profile")
    user = serializers.IntegerField(help_text="The coach's user account (to start or reassign)")
    name = serializers.CharField()
    load = serializers.IntegerField(help_text="Active engagements")
    capacity = serializers.IntegerField(help_text="Most cooperatives at once")
    covers_region = serializers.BooleanField()
    themes_matched = serializers.ListField(child=serializers.CharField())
    score = serializers.FloatField()


def _suggestions(enrolment, limit: int) -> list[dict]:
    rows = [
        {
            "coach": suggestion.coach.pk,
            "user": suggestion.coach.user_id,
            "name": _name(suggestion.coach.user),
            "load": suggestion.load,
            "capacity": suggestion.capacity,
            "covers_region": suggestion.covers_region,
            "themes_matched": list(suggestion.themes_matched),
            "score": float(suggestion.score),
        }
        for suggestion in engagements.suggest_coaches(enrolment, limit=limit)
    ]
    return CoachSuggestionSerializer(rows, many=True).data


LIMIT = OpenApiParameter("limit", int, description="How many suggestions (default 5)")


def _limit(request) -> int:
    value = request.query_params.get("limit", "5")
    if not value.isdigit() or not 1 <= int(value) <= 50:
        raise serializers.ValidationError({"limit": [_("Give a number from 1 to 50.")]})
    return int(value)


class EngagementFilter(django_filters.FilterSet):
    cooperative = IdFilter(field_name="enrolment__cooperative", label="Cooperative")
    edition = IdFilter(field_name="enrolment__edition", label="Edition")
    region = IdFilter(field_name="enrolment__cooperative__region", label="Region")

    class Meta:
        model = Engagement
        fields = ["status", "coach", "enrolment"]


class EngagementViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Engagements in the caller's scope (head office all, a delegate its delegation's, a coach and a
    cooperative their own). Head office and the province's delegate start them and reassign the coach;
    the visit plan is under `/coaching-visits/?engagement=`."""

    queryset = (
        Engagement.objects.select_related("enrolment__cooperative", "coach")
        .prefetch_related("coach_changes__coach", "coach_changes__previous_coach")
        .order_by("-starts_on", "pk")
    )
    serializer_class = EngagementSerializer
    permission_classes = [SignedIn]
    filterset_class = EngagementFilter

    def _reply(self, engagement, code=status.HTTP_200_OK):
        engagement = self.get_queryset().get(pk=engagement.pk)
        return Response(self.get_serializer(engagement).data, status=code)

    @extend_schema(request=EngagementStartSerializer, responses={201: EngagementSerializer})
    def create(self, request, *args, **kwargs):
        payload = EngagementStartSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with refused_as_400():
            engagement = engagements.start_engagement(
                enrolment=data["enrolment"], coach=data["coach"], by=request.user,
                starts_on=data.get("starts_on"), months=data.get("months"), visits=data.get("visits"),
            )  # fmt: skip
        return self._reply(engagement, status.HTTP_201_CREATED)

    @extend_schema(request=ReassignSerializer, responses=EngagementSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Give the engagement to another coach (reason required); the history is kept and the new coach
        sees every earlier visit and report."""
        engagement = self.get_object()
        payload = ReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            engagement = engagements.reassign_coach(
                engagement=engagement, by=request.user, **payload.validated_data
            )
        return self._reply(engagement)

    @extend_schema(parameters=[LIMIT], responses=CoachSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def suggestions(self, request, pk=None):
        """Coaches who could take this beneficiary (to reassign): region covered first, then themes
        matched, then the lightest load; coaches at capacity are left out."""
        engagement = self.get_object()
        policy.require(request.user, "coaching.organise", engagement)
        return Response(_suggestions(engagement.enrolment, _limit(request)))


class SuggestionsQuerySerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(help_text="The beneficiary to coach")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=5)


class CoachSuggestionsView(APIView):
    """Coaches suggested for a beneficiary before its engagement starts (region, themes, load)."""

    permission_classes = [SignedIn]

    @extend_schema(parameters=[SuggestionsQuerySerializer], responses=CoachSuggestionSerializer(many=True))
    def get(self, request):
        query = SuggestionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        enrolment = (
            policy.visible(request.user, Enrolment.objects.select_related("cooperative"))
            .filter(pk=query.validated_data["enrolment"])
            .first()
        )
        if enrolment is None:
            raise exceptions.NotFound()
        policy.require(request.user, "coaching.organise", enrolment)
        return Response(_suggestions(enrolment, query.validated_data["limit"]))


# ---------------------------------------------------------------------------
# Visits: the plan and the reports


def person_data(member: Member, user) -> dict:
    """A member present at a visit; CIN and phone masked for the roles that may not read them."""
    cin, phone = member.cin or None, member.phone
    if cin and not policy.sees_personal_field(user, "cin"):
        cin = mask(cin)
    if not policy.sees_personal_field(user, "phone"):
        phone = mask_phone(phone)
    return {"id": member.pk, "name": member.full_name, "sex": member.sex, "cin": cin, "phone": phone}


class MemberPresentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    cin = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_blank=True)


class ActionProgressSerializer(serializers.ModelSerializer):
    what = serializers.CharField(source="action.what", read_only=True)

    class Meta:
        model = VisitActionProgress
        fields = ["action", "what", "status", "progress", "comment"]


class VisitAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitAttachment
        fields = [
            "id",
            "kind",
            "caption",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer):
    """A visit of the plan (number, date, themes) and where its report stands. `overdue`: the report is
    still to be written more than the edition's `coaching_overdue_days` (30) after the planned date."""

    cooperative = serializers.IntegerField(source="engagement.enrolment.cooperative_id", read_only=True)
    cooperative_name = serializers.CharField(source="engagement.enrolment.cooperative.name", read_only=True)
    engagement_coach = serializers.IntegerField(source="engagement.coach_id", read_only=True)
    overdue = serializers.SerializerMethodField()
    # Empty until the cooperative confirms (a read-only model field would lose its blank choice).
    acknowledged_via = serializers.ChoiceField(
        choices=Visit._meta.get_field("acknowledged_via").choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Visit
        fields = [
            "id", "engagement", "cooperative", "cooperative_name", "engagement_coach", "number", "planned_on",
            "theme", "theme_codes", "beyond_plan_reason", "status", "overdue", "coach", "held_on",
            "submitted_at", "acknowledged_at", "acknowledged_via", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, visit) -> bool:
        engagement = visit.engagement
        if engagement.status != Engagement.Status.ACTIVE:
            return False
        days = followup.overdue_days_of(engagement.enrolment.edition)
        return followup.is_overdue(visit.planned_on, visit.status, timezone.localdate(), days)


class VisitDetailSerializer(VisitSerializer):
    """A visit with its report: members present (CIN and phone masked for the roles that may not read
    them), the development-plan actions it moved, photos and documents."""

    members_present = serializers.SerializerMethodField()
    actions = ActionProgressSerializer(source="action_progress", many=True, read_only=True)
    attachments = VisitAttachmentSerializer(many=True, read_only=True)

    class Meta(VisitSerializer.Meta):
        fields = [
            *VisitSerializer.Meta.fields, "duration_minutes", "place", "latitude", "longitude", "members_present",
            "topics", "advice", "decisions", "next_steps", "actions", "attachments", "acknowledged_by",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(MemberPresentSerializer(many=True))
    def get_members_present(self, visit) -> list:
        user = _user(self)
        return [person_data(member, user) for member in visit.members_present.all()]


class VisitPlanSerializer(serializers.Serializer):
    """Move a planned visit or change its themes (only while it is planned)."""

    planned_on = serializers.DateField(required=False)
    theme = serializers.CharField(required=False, allow_blank=True)


class VisitAddSerializer(serializers.Serializer):
    """A visit added to an engagement's plan; beyond the number planned, `reason` is required."""

    engagement = ScopedField(queryset=Engagement.objects.all())
    planned_on = serializers.DateField()
    theme = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ActionProgressInputSerializer(serializers.Serializer):
    action = serializers.IntegerField(help_text="A development-plan action of the cooperative")
    status = serializers.ChoiceField(choices=DevelopmentAction.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


REPORT_FIELDS = (
    "held_on", "duration_minutes", "place", "latitude", "longitude", "topics", "advice", "decisions",
    "next_steps", "members_present", "actions",
)  # fmt: skip


class ReportSerializer(serializers.Serializer):
    """The report as typed so far, with the `version` it was edited from. Fields left out are kept as
    stored. A version older than the stored one is refused (409): someone else saved in between."""

    version = serializers.IntegerField(min_value=1)
    held_on = serializers.DateField(required=False, allow_null=True)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 60
    )
    place = serializers.CharField(required=False, allow_blank=True, max_length=255)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-180, max_value=180
    )
    topics = serializers.CharField(required=False, allow_blank=True)
    advice = serializers.CharField(required=False, allow_blank=True)
    decisions = serializers.CharField(required=False, allow_blank=True)
    next_steps = serializers.CharField(required=False, allow_blank=True)
    members_present = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Members of the cooperative present"
    )
    actions = ActionProgressInputSerializer(many=True, required=False)

    def report_data(self) -> dict:
        return {name: self.validated_data[name] for name in REPORT_FIELDS if name in self.validated_data}


class ConflictSerializer(serializers.Serializer):
    detail = serializers.ListField(child=serializers.CharField())
    current_version = serializers.IntegerField(allow_null=True)


class SendCodeSerializer(serializers.Serializer):
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="Default: the cooperative's phone"
    )


class CodeSentSerializer(serializers.Serializer):
    sent_to = serializers.CharField()
    expires_at = serializers.DateTimeField()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class CancelVisitSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class VisitAttachmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VisitAttachment.Kind.choices)
    caption = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(allow_empty_file=True)


class VisitFilter(django_filters.FilterSet):
    cooperative = IdFilter(field_name="engagement__enrolment__cooperative", label="Cooperative")
    coach = IdFilter(field_name="engagement__coach", label="Coach (user) of the engagement")
    planned_after = django_filters.DateFilter(
        field_name="planned_on", lookup_expr="gte", label="Planned on or after"
    )
    planned_before = django_filters.DateFilter(
        field_name="planned_on", lookup_expr="lte", label="Planned on or before"
    )
    week = django_filters.BooleanFilter(
        method="of_week", label="The caller's visits of this week and overdue"
    )

    class Meta:
        model = Visit
        fields = ["engagement", "status"]

    def of_week(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=followup.visits_of_week(self.request.user).values("pk"))


VISIT_RESPONSES = {200: VisitDetailSerializer, 409: OpenApiResponse(ConflictSerializer, "Stale version")}


class VisitViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits in the caller's scope: the plan (PATCH `planned_on`/`theme` of a planned visit; POST adds
    a visit) and the reports. The coach saves drafts as they type (`draft`, with the version) and
    submits; the cooperative acknowledges in the portal (`acknowledge`) or with the one-time code the
    coach has sent by SMS (`send-code`, then `acknowledge-with-code`)."""

    queryset = (
        Visit.objects.select_related("engagement__enrolment__cooperative", "engagement__enrolment__edition")
        .prefetch_related("members_present", "action_progress__action", "attachments")
        .order_by("planned_on", "engagement_id", "number")
    )
    permission_classes = [SignedIn]
    filterset_class = VisitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return VisitSerializer if self.action == "list" else VisitDetailSerializer

    def _reply(self, visit, code=status.HTTP_200_OK):
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(VisitDetailSerializer(visit, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=VisitAddSerializer, responses={201: VisitDetailSerializer})
    def create(self, request, *args, **kwargs):
        payload = VisitAddSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            visit = engagements.add_visit(by=request.user, **payload.validated_data)
        return self._reply(visit, status.HTTP_201_CREATED)

    @extend_schema(request=VisitPlanSerializer, responses=VisitDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        visit = self.get_object()
        payload = VisitPlanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            visit = engagements.update_visit_plan(visit=visit, by=request.user, **payload.validated_data)
        return self._reply(visit)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method)

    @extend_schema(request=ReportSerializer, responses=VISIT_RESPONSES)
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        """Keep the report as typed so far (the answer carries the new `version` to send next time)."""
        visit = self.get_object()
        payload = ReportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            visit = reports.save_draft(
                visit=visit,
                data=payload.report_data(),
                version=payload.validated_data["version"],
                by=request.user,
            )
        return self._reply(visit)

    @extend_schema(request=ReportSerializer, responses=VISIT_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Save and submit the report (date, duration and topics required); the development plan takes
        the progress of each action. Sent again with the same version after a lost answer, it answers
        the submitted visit."""
        visit = self.get_object()
        payload = ReportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.report_data() or None
        with refused_as_400():
            visit = reports.submit_report(
                visit=visit, data=data, version=payload.validated_data["version"], by=request.user
            )
        return self._reply(visit)

    @extend_schema(request=None, responses=VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The cooperative's representative confirms the visit took place as reported."""
        with refused_as_400():
            visit = reports.acknowledge(visit=self.get_object(), by=request.user)
        return self._reply(visit)

    @extend_schema(request=SendCodeSerializer, responses=CodeSentSerializer)
    @action(detail=True, methods=["post"], url_path="send-code")
    def send_code(self, request, pk=None):
        """Send a one-time code (valid 30 minutes) by SMS to the cooperative, so that its representative
        can acknowledge on the spot without signing in."""
        visit = self.get_object()
        payload = SendCodeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            code = reports.send_acknowledgement_code(
                visit=visit, by=request.user, phone=payload.validated_data.get("phone") or None
            )
        sent_to = code.phone if policy.sees_personal_field(request.user, "phone") else mask_phone(code.phone)
        return Response(CodeSentSerializer({"sent_to": sent_to, "expires_at": code.expires_at}).data)

    @extend_schema(request=CodeSerializer, responses=VisitDetailSerializer)
    @action(detail=True, methods=["post"], url_path="acknowledge-with-code")
    def acknowledge_with_code(self, request, pk=None):
        """Acknowledge with the code the cooperative received (wrong, expired or used codes refused)."""
        visit = self.get_object()
        payload = CodeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            visit = reports.acknowledge_with_code(visit=visit, code=payload.validated_data["code"])
        return self._reply(visit)

    @extend_schema(request=CancelVisitSerializer, responses=VisitDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        visit = self.get_object()
        payload = CancelVisitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            engagements.cancel_visit(visit=visit, reason=payload.validated_data["reason"], by=request.user)
        return self._reply(visit)

    @extend_schema(methods=["get"], responses=VisitAttachmentSerializer(many=True))
    @extend_schema(
        methods=["post"], request=VisitAttachmentInputSerializer, responses={201: VisitAttachmentSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        pagination_class=None,
    )
    def attachments(self, request, pk=None):
        """Photos and documents of the report; the coach posts one (multipart), checked on its content."""
        visit = self.get_object()
        if request.method == "GET":
            return Response(VisitAttachmentSerializer(visit.attachments.all(), many=True).data)
        payload = VisitAttachmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            attachment = reports.add_attachment(visit=visit, by=request.user, **payload.validated_data)
        return Response(VisitAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# Overdue visits


class OverdueQuerySerializer(serializers.Serializer):
    coach = serializers.IntegerField(required=False, help_text="The coach's user account")
    provider = serializers.IntegerField(required=False)
    region = serializers.IntegerField(required=False)


class CountedSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="null: coaches without a provider")
    name = serializers.CharField()
    count = serializers.IntegerField()


class OverdueCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_coach = CountedSerializer(many=True)
    by_provider = CountedSerializer(many=True)
    by_region = CountedSerializer(many=True)


def _counted(pairs, name=str) -> list[dict]:
    return [
        {
            "id": obj.pk if obj is not None else None,
            "name": name(obj) if obj is not None else "—",
            "count": count,
        }
        for obj, count in pairs
    ]


class OverdueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Visits whose report is still to be written more than the edition's overdue delay (30 days) after
    their planned date, oldest first: head office all, a delegate its delegation's, a coach their own."""

    serializer_class = VisitSerializer
    permission_classes = [SignedIn]
    pagination_class = None
    filter_backends = []

    def _require_reader(self):
        if policy.role_of(self.request.user) != Role.COACH:
            require_organiser(self.request.user)

    def get_queryset(self):
        self._require_reader()
        query = OverdueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        return followup.overdue_visits(
            self.request.user,
            coach=_optional(self.request, "coach", User.objects.filter(role=Role.COACH))
            if "coach" in filters
            else None,
            provider=_optional(self.request, "provider", Provider.objects.all())
            if "provider" in filters
            else None,
            region=_optional(self.request, "region", Region.objects.all()) if "region" in filters else None,
        ).select_related("engagement__enrolment__edition")

    @extend_schema(parameters=[OverdueQuerySerializer], responses=VisitSerializer(many=True))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[], responses=OverdueCountsSerializer)
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """How many visits are overdue per coach, provider and region (head office and delegates)."""
        require_organiser(request.user)
        result = followup.overdue_counts(request.user)
        data = {
            "total": result["total"],
            "by_coach": _counted(result["by_coach"], _name),
            "by_provider": _counted(result["by_provider"]),
            "by_region": _counted(result["by_region"]),
        }
        return Response(OverdueCountsSerializer(data).data)


# ---------------------------------------------------------------------------
# Counts


class CoachingCountsSerializer(serializers.Serializer):
    cooperatives_coached = serializers.IntegerField(help_text="With at least one visit held")
    members_coached = serializers.IntegerField(help_text="Distinct members present at a visit held")
    visits_held = serializers.IntegerField(help_text="Reports submitted or confirmed")
    visits_confirmed = serializers.IntegerField()
    visits_overdue = serializers.IntegerField()


class CountsQuerySerializer(serializers.Serializer):
    edition = serializers.PrimaryKeyRelatedField(queryset=Edition.objects.all(), required=False)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)


class CoachingCountsView(APIView):
    """The coaching counts feeding the indicators. Head office reads every region; a delegate reads
    one region of its delegation at a time (`region` required)."""

    permission_classes = [SignedIn]

    @extend_schema(parameters=[CountsQuerySerializer], responses=CoachingCountsSerializer)
    def get(self, request):
        require_organiser(request.user)
        query = CountsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        if policy.role_of(request.user) == Role.DELEGATE:
            regions = Region.objects.filter(provinces__delegation_id=request.user.delegation_id)
            if filters.get("region") not in regions:
                raise serializers.ValidationError({"region": [_("Choose a region of your delegation.")]})
        return Response(CoachingCountsSerializer(followup.counts(**filters)).data)


# ---------------------------------------------------------------------------
# Providers and their staff


class StaffSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = ProviderStaff
        fields = ["id", "user", "name", "function", "active"]


class ProviderSerializer(serializers.ModelSerializer):
    """A service provider with its staff (their work counts as the provider's deliverables)."""

    staff = StaffSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id", "name", "kind", "ice", "email", "phone", "address", "active", "staff", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service says why (name taken)
        extra_kwargs = {"name": {"validators": []}}

    def create(self, validated_data):
        with refused_as_400():
            return providers.save_provider(provider=None, data=validated_data, by=_user(self))

    def update(self, instance, validated_data):
        with refused_as_400():
            return providers.save_provider(provider=instance, data=validated_data, by=_user(self))


class StaffInputSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    function = serializers.ChoiceField(choices=ProviderStaff.Function.choices)


class ProviderViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Service providers: head office manages them, delegates read them, a provider's staff read their
    own. `staff` puts a person on the staff in a function (their account of the matching role);
    `staff/{staff_id}` (DELETE) takes them off (kept inactive: their past deliverables stay)."""

    queryset = Provider.objects.prefetch_related("staff__user").order_by("name")
    serializer_class = ProviderSerializer
    filterset_fields = ["kind", "active"]
    policy_actions = {
        "create": "coaching.manage_providers",
        "update": "coaching.manage_providers",
        "staff": "coaching.manage_providers",
        "remove_staff": "coaching.manage_providers",
    }

    def _reply(self, provider, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=provider.pk)).data, status=code)

    @extend_schema(request=StaffInputSerializer, responses={201: ProviderSerializer})
    @action(detail=True, methods=["post"])
    def staff(self, request, pk=None):
        provider = self.get_object()
        payload = StaffInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            providers.add_staff(provider=provider, by=request.user, **payload.validated_data)
        return self._reply(provider, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ProviderSerializer})
    @action(detail=True, methods=["delete"], url_path=r"staff/(?P<staff_pk>\d+)")
    def remove_staff(self, request, pk=None, staff_pk=None):
        provider = self.get_object()
        staff = provider.staff.filter(pk=staff_pk).first()
        if staff is None:
            raise exceptions.NotFound()
        with refused_as_400():
            providers.remove_staff(staff=staff, by=request.user)
        return self._reply(provider)


# ---------------------------------------------------------------------------
# Contracts


class UnitPriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitPrice
        fields = ["kind", "price_mad"]


CONTRACT_FIELDS = ("provider", "edition", "reference", "lot", "starts_on", "ends_on", "ceiling_mad", "status")


class ContractSerializer(serializers.ModelSerializer):
    """A provider's contract for a lot (regions) with its unit price per kind of deliverable. Sending
    `prices` replaces them (a kind left out has no price: its work is not collected)."""

    provider = ScopedField(queryset=Provider.objects.all())
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    edition = serializers.PrimaryKeyRelatedField(
        queryset=Edition.objects.all(), allow_null=True, required=False
    )
    regions = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), many=True)
    prices = UnitPriceSerializer(many=True, required=False)

    class Meta:
        model = Contract
        fields = [
            "id", "provider", "provider_name", "edition", "reference", "lot", "regions", "starts_on", "ends_on",
            "ceiling_mad", "status", "prices", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # the service says why (dates, regions, prices)
        extra_kwargs = {"reference": {"validators": []}}

    def _save(self, contract: Contract | None, data: dict) -> Contract:
        regions = data.pop("regions", None)
        prices = data.pop("prices", None)
        if regions is None:
            regions = list(contract.regions.all()) if contract else []
        if prices is None:
            prices = dict(contract.prices.values_list("kind", "price_mad")) if contract else {}
        else:
            prices = {price["kind"]: price["price_mad"] for price in prices}
        fields = {name: value for name, value in data.items() if name in CONTRACT_FIELDS}
        with refused_as_400():
            return providers.save_contract(
                contract=contract, data=fields, regions=regions, prices=prices, by=_user(self)
            )

    def create(self, validated_data):
        return self._save(None, validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


PERIODS = ["month", "quarter"]
PERIOD = OpenApiParameter("period", str, enum=PERIODS, description="Rows per month (default) or quarter")


class StatementRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="2026-01 or 2026-Q1")
    starts_on = serializers.DateField(help_text="First day of the month or quarter")
    kind = serializers.ChoiceField(choices=DeliverableKind.choices)
    kind_label = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    delivered = serializers.IntegerField(help_text="Recorded, whatever their review")
    validated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Validated ones (MAD)")


class StatementSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    period = serializers.ChoiceField(choices=PERIODS)
    rows = StatementRowSerializer(many=True)
    delivered = serializers.IntegerField()
    validated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Recorded and not reviewed yet")
    amount_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    ceiling = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    ceiling_left = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


def _period(request) -> str:
    period = request.query_params.get("period") or "month"
    if period not in PERIODS:
        raise serializers.ValidationError({"period": [_("Choose month or quarter.")]})
    return period


def _statement_data(contract, statement) -> dict:
    return {
        "contract": contract.pk,
        "period": statement.period,
        "rows": [
            {
                "period": row.label,
                "starts_on": row.period,
                "kind": row.kind,
                "kind_label": row.kind_label,
                "unit_price": row.unit_price,
                "delivered": row.delivered,
                "validated": row.validated,
                "rejected": row.rejected,
                "amount_due": row.amount_due,
            }
            for row in statement.rows
        ],
        "delivered": statement.delivered,
        "validated": statement.validated,
        "rejected": statement.rejected,
        "pending": statement.pending,
        "amount_due": statement.amount_due,
        "ceiling": statement.ceiling,
        "ceiling_left": statement.ceiling_left,
    }


class ContractFilter(django_filters.FilterSet):
    region = IdFilter(field_name="regions", label="Region of the lot")

    class Meta:
        model = Contract
        fields = ["provider", "edition", "status"]


class ContractViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts (head office manages them, delegates read them, a provider's staff read their own).
    `collect` records the deliverables done since the last time; `statement` shows delivered, validated
    and the amount due per period; `statement.xlsx` exports it for payment."""

    queryset = (
        Contract.objects.select_related("provider")
        .prefetch_related("regions", "prices")
        .order_by("provider__name", "reference")
    )
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    policy_actions = {
        "create": "coaching.manage_providers",
        "update": "coaching.manage_providers",
        "collect": "coaching.manage_providers",
    }

    def _reply(self, contract, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=contract.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return self._reply(serializer.instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return self._reply(serializer.instance)

    @extend_schema(request=None, responses=DeliverableCountSerializer)
    @action(detail=True, methods=["post"])
    def collect(self, request, pk=None):
        """Record the deliverables not yet counted (validated diagnostics, training days held, visits
        confirmed by the provider's staff in the lot and period); answers how many were added."""
        with refused_as_400():
            count = deliverables.collect_deliverables(contract=self.get_object(), by=request.user)
        return Response({"count": count})

    @extend_schema(
        parameters=[PERIOD],
        responses={
            (200, "application/json"): StatementSerializer,
            (200, XlsxRenderer.media_type): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, XlsxRenderer])
    def statement(self, request, pk=None, format=None):
        """Per period and kind: deliverables recorded, validated, rejected and the amount due, with the
        totals and what is left under the ceiling. `statement.xlsx` (or `Accept:` the spreadsheet type)
        downloads it as a workbook for payment, with the list of deliverables."""
        contract = self.get_object()
        period = _period(request)
        if request.accepted_renderer.format == XlsxRenderer.format:
            content = deliverables.statement_xlsx(contract, period)
            response = HttpResponse(content, content_type=XlsxRenderer.media_type)
            filename = deliverables.statement_filename(contract, period, "xlsx")
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        statement = deliverables.contract_statement(contract, period=period)
        return Response(StatementSerializer(_statement_data(contract, statement)).data)


# ---------------------------------------------------------------------------
# Deliverables


class DeliverableSerializer(serializers.ModelSerializer):
    provider = serializers.IntegerField(source="contract.provider_id", read_only=True)

    class Meta:
        model = Deliverable
        fields = [
            "id", "contract", "provider", "kind", "diagnostic", "training_day", "visit", "delivered_on",
            "amount_mad", "status", "reviewed_by", "reviewed_at", "review_note",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    deliverables = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    status = serializers.ChoiceField(choices=[Deliverable.Status.VALIDATED, Deliverable.Status.REJECTED])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeliverableFilter(django_filters.FilterSet):
    provider = IdFilter(field_name="contract__provider", label="Provider")
    delivered_after = django_filters.DateFilter(field_name="delivered_on", lookup_expr="gte")
    delivered_before = django_filters.DateFilter(field_name="delivered_on", lookup_expr="lte")

    class Meta:
        model = Deliverable
        fields = ["contract", "kind", "status"]


class DeliverableViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Deliverables counted toward the contracts (head office, delegates; a provider's staff their own).
    Head office validates or rejects them (`review`, several at once)."""

    queryset = Deliverable.objects.select_related("contract").order_by("contract_id", "delivered_on", "pk")
    serializer_class = DeliverableSerializer
    filterset_class = DeliverableFilter
    policy_actions = {"review": "coaching.manage_providers"}

    @extend_schema(request=ReviewSerializer, responses=DeliverableCountSerializer)
    @action(detail=False, methods=["post"])
    def review(self, request):
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        policy.require(request.user, "coaching.manage_providers")
        wanted = set(payload.validated_data["deliverables"])
        chosen = list(self.get_queryset().filter(pk__in=wanted))
        if len(chosen) != len(wanted):
            raise serializers.ValidationError(
                {"deliverables": [_("Some of these deliverables do not exist.")]}
            )
        with refused_as_400():
            count = deliverables.review_deliverables(
                deliverables=chosen,
                status=payload.validated_data["status"],
                note=payload.validated_data["note"],
                by=request.user,
            )
        return Response({"count": count})


def register_routes(router) -> None:
    """Add the coaching endpoints to the API router."""
    router.register("coaches", CoachViewSet, basename="coach")
    router.register("coaching-engagements", EngagementViewSet, basename="coaching-engagement")
    router.register("coaching-visits", VisitViewSet, basename="coaching-visit")
    router.register("coaching-overdue", OverdueViewSet, basename="coaching-overdue")
    router.register("providers", ProviderViewSet, basename="provider")
    router.register("contracts", ContractViewSet, basename="contract")
    router.register("deliverables", DeliverableViewSet, basename="deliverable")


api_urlpatterns = [
    path("coaching-suggestions/", CoachSuggestionsView.as_view(), name="api-coaching-suggestions"),
    path("coaching-counts/", CoachingCountsView.as_view(), name="api-coaching-counts"),
]
