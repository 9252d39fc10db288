"""REST API of group training: the module catalogue, trainers, sessions with their days, participants
(invitations, answers, scores, satisfaction), attendance, certificates and the counts that feed the
indicators.

Same rules as the pages: records outside the caller's scope answer 404; every write goes through the
training services, which check the policy (403 with its reason) and refuse bad input with a
translated message (400, in the caller's Accept-Language). Members' CIN and phone are masked for the
roles that may not read them.
"""

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.models import Member
from mourafaka.core.api import (
    BoundedModelMultipleChoiceFilter,
    IdFilter,
    PdfRenderer,
    ScopedField,
    ScopedQuerysetMixin,
    SignedIn,
    refused_as_400,
)
from mourafaka.core.masking import mask, mask_phone
from mourafaka.core.permissions import PolicyPermission
from mourafaka.core.values import InvalidValue, parse_cin
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Province, Region

from . import attendance, certificates, counts, evaluations, invitations, queries, sessions, trainer_profiles
from .access import require_catalogue_reader, require_counts_reader
from .forms import parse_month
from .models import Attendance, Certificate, Module, Registration, Session, SessionDay, Trainer


class SentCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


def _user(serializer):
    return serializer.context["request"].user


# ---------------------------------------------------------------------------
# Modules


class CatalogueReader(PolicyPermission):
    """Reading the catalogue: every role but partner observers (as on the pages); writing: head office."""

    def has_permission(self, request, view) -> bool:
        if policy.is_active(request.user) and request.method in permissions.SAFE_METHODS:
            require_catalogue_reader(request.user)
        return super().has_permission(request, view)


class ModuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Module
        fields = [
            "id", "code", "name_fr", "name_ar", "theme", "audience", "objectives_fr", "objectives_ar",
            "material_fr", "material_ar", "duration_days", "hours_per_day", "order", "active",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class AveragesSerializer(serializers.Serializer):
    participants = serializers.IntegerField()
    pre = serializers.FloatField(allow_null=True)
    post = serializers.FloatField(allow_null=True)
    gain = serializers.FloatField(allow_null=True)
    satisfaction = serializers.FloatField(allow_null=True, help_text="0–100")
    satisfaction_by_question = serializers.DictField(child=serializers.FloatField())
    answered = serializers.IntegerField()


def _averages(result: evaluations.Averages) -> dict:
    return AveragesSerializer(
        {
            "participants": result.participants,
            "pre": result.pre,
            "post": result.post,
            "gain": result.gain,
            "satisfaction": result.satisfaction,
            "satisfaction_by_question": result.satisfaction_by_question,
            "answered": result.answered,
        }
    ).data


class ModuleViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue of training modules (bilingual). Head office adds and edits modules; a module is
    never deleted: set `active` to false when it is no longer offered."""

    queryset = Module.objects.order_by("order", "code")
    serializer_class = ModuleSerializer
    permission_classes = [CatalogueReader]
    filterset_fields = ["theme", "audience", "active"]
    policy_actions = {"create": "trainings.manage_catalogue", "update": "trainings.manage_catalogue"}

    @extend_schema(
        parameters=[
            OpenApiParameter("edition", int, description="Only the sessions of this edition"),
            OpenApiParameter("region", int, description="Only the sessions held in this region"),
        ],
        responses=AveragesSerializer,
    )
    @action(detail=True, methods=["get"])
    def averages(self, request, pk=None):
        """Pre-test, post-test, gain and satisfaction averages over the module's sessions."""
        module = self.get_object()
        edition = _optional(request, "edition", Edition.objects.all())
        region = _optional(request, "region", Region.objects.all())
        return Response(_averages(evaluations.module_averages(module, edition=edition, region=region)))


def _optional(request, name: str, queryset):
    """The record named by a query parameter (None when absent); an unknown one is a 400."""
    value = request.query_params.get(name)
    if not value:
        return None
    found = queryset.filter(pk=value).first() if value.isdigit() else None
    if found is None:
        raise serializers.ValidationError({name: [_("Unknown value: %(value)s.") % {"value": value}]})
    return found


# ---------------------------------------------------------------------------
# Trainers


class TrainerSerializer(serializers.ModelSerializer):
    regions = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), many=True)
    modules = serializers.PrimaryKeyRelatedField(queryset=Module.objects.all(), many=True, required=False)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.TRAINER), allow_null=True, required=False
    )

    class Meta:
        model = Trainer
        fields = [
            "id", "user", "full_name", "organisation", "phone", "email", "sex", "regions", "modules", "bio",
            "active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not policy.sees_personal_field(_user(self), "phone"):
            data["phone"] = mask_phone(instance.phone)
        return data

    def _save(self, trainer: Trainer, data: dict) -> Trainer:
        regions = data.pop("regions", None)
        modules = data.pop("modules", None)
        if regions is None:
            regions = list(trainer.regions.all())
        if modules is None:
            modules = list(trainer.modules.all()) if trainer.pk else []
        for name, value in data.items():
            setattr(trainer, name, value)
        with refused_as_400():
            return trainer_profiles.save_trainer(
                trainer=trainer, regions=regions, modules=modules, by=_user(self)
            )

    def create(self, validated_data):
        return self._save(Trainer(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class TrainerFilter(django_filters.FilterSet):
    regions = BoundedModelMultipleChoiceFilter(queryset=Region.objects.all())
    modules = BoundedModelMultipleChoiceFilter(queryset=Module.objects.all())

    class Meta:
        model = Trainer
        fields = ["active", "regions", "modules"]


class TrainerViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Trainers' profiles: head office sees all, a delegate those covering its regions, a trainer its
    own. A trainer is never deleted: set `active` to false."""

    queryset = Trainer.objects.prefetch_related("regions", "modules").order_by("full_name", "pk")
    serializer_class = TrainerSerializer
    filterset_class = TrainerFilter
    policy_actions = {"create": "trainings.manage_trainers", "update": "trainings.manage_trainers"}


# ---------------------------------------------------------------------------
# Participants (serializers, used by the session actions too)


class PersonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["member", "trainer", "staff"])
    name = serializers.CharField()
    cooperative = serializers.IntegerField(allow_null=True)
    cin = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_blank=True)


def person_data(registration: Registration, user) -> dict:
    """Who a participant is; a member's CIN and phone masked for the roles that may not read them."""
    if registration.member_id:
        member = registration.member
        cin, phone = member.cin or None, member.phone
        if cin and not policy.sees_personal_field(user, "cin"):
            cin = mask(cin)
        if not policy.sees_personal_field(user, "phone"):
            phone = mask_phone(phone)
        return {"kind": "member", "name": registration.person_name, "cooperative": member.cooperative_id,
                "cin": cin, "phone": phone}  # fmt: skip
    if registration.trainer_id:
        trainer = registration.trainer
        phone = trainer.phone if policy.sees_personal_field(user, "phone") else mask_phone(trainer.phone)
        return {
            "kind": "trainer",
            "name": trainer.full_name,
            "cooperative": None,
            "cin": None,
            "phone": phone,
        }
    return {"kind": "staff", "name": registration.person_name, "cooperative": None, "cin": None, "phone": ""}


class RegistrationSerializer(serializers.ModelSerializer):
    """A participant of a session. Creating one adds a member, a trainer or a staff member (proposed,
    or waitlisted when the session is full: the answer says so in `status`)."""

    session = ScopedField(queryset=Session.objects.all())
    member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(), required=False, allow_null=True
    )
    trainer = ScopedField(queryset=Trainer.objects.all(), required=False, allow_null=True)
    staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    person = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id", "session", "member", "trainer", "staff", "person", "plan_item", "priority", "status", "source",
            "invited_at", "reminded_at", "responded_at", "pre_test_score", "post_test_score", "satisfaction",
            "satisfaction_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "plan_item", "priority", "status", "source", "invited_at", "reminded_at", "responded_at",
            "pre_test_score", "post_test_score", "satisfaction", "satisfaction_at", "created_at", "updated_at",
        ]  # fmt: skip
        validators = []  # the service says why a person cannot be added twice

    @extend_schema_field(PersonSerializer)
    def get_person(self, registration) -> dict:
        return person_data(registration, _user(self))

    def create(self, validated_data):
        with refused_as_400():
            return invitations.add_participant(
                session=validated_data["session"], by=_user(self), member=validated_data.get("member"),
                trainer=validated_data.get("trainer"), staff=validated_data.get("staff"),
            )  # fmt: skip


class RegistrationAddedSerializer(RegistrationSerializer):
    """A participant just added, with what to tell the person who added them (full: waiting list)."""

    message = serializers.SerializerMethodField()

    class Meta(RegistrationSerializer.Meta):
        fields = [*RegistrationSerializer.Meta.fields, "message"]

    def get_message(self, registration) -> str:
        return invitations.added_message(registration)


class WalkInSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(), required=False, allow_null=True
    )
    cin = serializers.CharField(required=False, allow_blank=True, help_text="A member named by their CIN")
    trainer = ScopedField(queryset=Trainer.objects.all(), required=False, allow_null=True)
    staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    day = serializers.PrimaryKeyRelatedField(
        queryset=SessionDay.objects.all(), required=False, allow_null=True, help_text="Present on this day"
    )

    def validate(self, attrs):
        cin = attrs.pop("cin", "")
        if cin:
            try:
                attrs["member"] = Member.objects.get(cin=parse_cin(cin))
            except (InvalidValue, Member.DoesNotExist) as error:
                raise serializers.ValidationError({"cin": [_("No member has this CIN.")]}) from error
        return attrs


# ---------------------------------------------------------------------------
# Certificates (serializers)


class CertificateSerializer(serializers.ModelSerializer):
    """The certificate of a participant who completed. Issuing one below the completion rule is refused
    with the days attended and needed."""

    registration = ScopedField(queryset=Registration.objects.all())
    language = serializers.ChoiceField(choices=list(certificates.LANGUAGES), required=False)
    revoked = serializers.BooleanField(read_only=True)
    verification_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id", "registration", "code", "language", "holder_name", "module_title_fr", "module_title_ar",
            "first_day", "last_day", "issued_at", "issued_by", "revoked", "revoked_at", "revoked_by",
            "revocation_reason", "verification_url",
        ]  # fmt: skip
        read_only_fields = [
            "code", "holder_name", "module_title_fr", "module_title_ar", "first_day", "last_day", "issued_at",
            "issued_by", "revoked_at", "revoked_by", "revocation_reason",
        ]  # fmt: skip
        validators = []

    @extend_schema_field(OpenApiTypes.URI)
    def get_verification_url(self, certificate) -> str:
        return certificates.verification_url(certificate, self.context.get("request"))

    def create(self, validated_data):
        with refused_as_400():
            return certificates.issue_certificate(
                registration=validated_data["registration"],
                by=_user(self),
                language=validated_data.get("language"),
            )


# ---------------------------------------------------------------------------
# Sessions


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00"})
class LocalTimeField(serializers.TimeField):
    """A time of day without an offset ("09:00:00"), which OpenAPI's `time` format does not allow."""


class SessionDaySerializer(serializers.ModelSerializer):
    starts_at = LocalTimeField(required=False)
    ends_at = LocalTimeField(required=False)

    class Meta:
        model = SessionDay
        fields = ["id", "date", "starts_at", "ends_at"]
        read_only_fields = ["id"]


class TrainerWarningSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["double_booking", "outside_regions", "not_qualified"])
    trainer = serializers.IntegerField()
    trainer_name = serializers.CharField()
    message = serializers.CharField()
    other_session = serializers.IntegerField(allow_null=True)


def _days(days: list[dict]) -> list[tuple]:
    """Days as the planning service takes them (hours left out: 09:00–16:00)."""
    return [(day["date"], day.get("starts_at"), day.get("ends_at")) for day in days]


class SessionSerializer(serializers.ModelSerializer):
    """A session with its days. Creating one plans it (`days`: at least one); `status` changes through
    the `status` action. Trainer warnings (booked twice, outside their regions or modules) are on the
    session's own page (`GET /training-sessions/{id}/`) and never block saving."""

    module = serializers.PrimaryKeyRelatedField(queryset=Module.objects.all())
    module_name = serializers.CharField(source="module.name", read_only=True)
    edition = serializers.PrimaryKeyRelatedField(
        queryset=Edition.objects.all(), allow_null=True, required=False
    )
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    province = serializers.PrimaryKeyRelatedField(queryset=Province.objects.all())
    trainers = ScopedField(queryset=Trainer.objects.all(), many=True, required=False)
    days = SessionDaySerializer(many=True)
    places_left = serializers.SerializerMethodField()
    first_day = serializers.DateField(read_only=True, allow_null=True)
    last_day = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Session
        fields = [
            "id", "module", "module_name", "edition", "region", "province", "venue", "capacity",
            "members_per_cooperative", "completion_rate", "trainers", "days", "first_day", "last_day", "status",
            "notes", "places_left", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "created_at", "updated_at"]
        extra_kwargs = {
            "members_per_cooperative": {"required": False},
            "completion_rate": {"required": False},
        }

    def get_places_left(self, session) -> int:
        taken = getattr(session, "places_taken", None)
        if taken is None:
            return invitations.places_left(session)
        return max(session.capacity - taken, 0)

    def create(self, validated_data):
        data = dict(validated_data)
        days = _days(data.pop("days"))
        trainers = data.pop("trainers", [])
        with refused_as_400():
            return sessions.plan_session(days=days, trainers=trainers, by=_user(self), **data)

    def update(self, instance, validated_data):
        data = dict(validated_data)
        days = data.pop("days", None)
        with refused_as_400():
            return sessions.update_session(
                session=instance, by=_user(self), days=_days(days) if days is not None else None, **data
            )


class SessionDetailSerializer(SessionSerializer):
    warnings = serializers.SerializerMethodField()

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "warnings"]

    @extend_schema_field(TrainerWarningSerializer(many=True))
    def get_warnings(self, session) -> list:
        """Shown to those who plan the session (as on its page); another session is named only when
        the caller may see it."""
        user = _user(self)
        if not policy.check(user, "trainings.plan", session):
            return []
        return [
            {
                "kind": warning.kind,
                "trainer": warning.trainer.pk,
                "trainer_name": warning.trainer.full_name,
                "message": str(warning.message),
                "other_session": warning.other_session.pk
                if warning.other_session and policy.can_see(user, warning.other_session)
                else None,
            }
            for warning in sessions.trainer_warnings(session)
        ]


class SessionFilter(django_filters.FilterSet):
    trainer = IdFilter(method="run_by", label="Trainer")
    month = django_filters.CharFilter(method="in_month", label="Month (YYYY-MM) with a day of the session")

    class Meta:
        model = Session
        fields = ["module", "edition", "region", "province", "status"]

    def run_by(self, queryset, name, value):
        return queryset.filter(
            pk__in=Session.trainers.through.objects.filter(trainer_id=value).values("session_id")
        )

    def in_month(self, queryset, name, value):
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError(
                {"month": [_("Give the month as YYYY-MM, for example 2026-12.")]}
            )
        days = SessionDay.objects.filter(date__year=month.year, date__month=month.month).values("session_id")
        return queryset.filter(pk__in=days)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Session.Status.choices)


class InviteSerializer(serializers.Serializer):
    registrations = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Participants to invite (default: every proposed one), within the capacity.",
    )


class LanguageSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=list(certificates.LANGUAGES), required=False, allow_null=True)


class ParticipantProgressSerializer(serializers.Serializer):
    registration = serializers.IntegerField()
    person = serializers.CharField()
    status = serializers.CharField()
    days_present = serializers.IntegerField()
    days_total = serializers.IntegerField()
    days_needed = serializers.IntegerField()
    completed = serializers.BooleanField()


def _places_taken():
    """Places held (invited or confirmed) as a subquery, as `invitations.places_taken` counts them."""
    held = (
        Registration.objects.filter(session=OuterRef("pk"), status__in=Registration.HOLDS_A_PLACE)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))


class SessionViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Training sessions in the caller's scope: head office all, a delegate those held in its
    delegation, a trainer those they run. Planning, invitations and attendance go through the
    services; see the actions."""

    queryset = (
        queries.with_dates(Session.objects.select_related("module"))
        .prefetch_related("days", "trainers")
        .annotate(places_taken=_places_taken())
        .order_by("-created_at", "-pk")
    )
    permission_classes = [SignedIn]
    filterset_class = SessionFilter

    def get_serializer_class(self):
        return SessionSerializer if self.action == "list" else SessionDetailSerializer

    def _session_reply(self, session, code=status.HTTP_200_OK):
        session = self.get_queryset().get(pk=session.pk)
        return Response(
            SessionDetailSerializer(session, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request, *args, **kwargs):
        policy.require(request.user, "trainings.plan")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return self._session_reply(serializer.instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return self._session_reply(serializer.instance)

    def _registrations(self, registrations):
        return RegistrationSerializer(registrations, many=True, context=self.get_serializer_context()).data

    @extend_schema(request=None, responses={200: RegistrationSerializer(many=True)})
    @action(detail=True, methods=["post"], pagination_class=None)
    def propose(self, request, pk=None):
        """Propose participants from the capacity-building plans that need this module in this region
        (priority order, up to the capacity); a second call adds only what is missing."""
        with refused_as_400():
            proposed = invitations.propose_participants(session=self.get_object(), by=request.user)
        return Response(self._registrations(proposed))

    @extend_schema(request=InviteSerializer, responses=SentCountSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite the proposed participants within the capacity (the others are waitlisted) and notify them."""
        session = self.get_object()
        payload = InviteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        chosen = payload.validated_data.get("registrations")
        registrations = None
        if chosen is not None:
            registrations = list(session.registrations.filter(pk__in=chosen))
            if len(registrations) != len(set(chosen)):
                raise serializers.ValidationError(
                    {"registrations": [_("Some of these participants are not on this session's list.")]}
                )
        with refused_as_400():
            count = invitations.send_invitations(
                session=session, by=request.user, registrations=registrations
            )
        return Response({"count": count})

    @extend_schema(request=None, responses=SentCountSerializer)
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        """Remind the invited and confirmed participants of the session."""
        with refused_as_400():
            count = invitations.send_reminders(session=self.get_object(), by=request.user)
        return Response({"count": count})

    @extend_schema(request=StatusSerializer, responses=SessionDetailSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """planned → held → closed; cancelled from planned or held (the participants are told)."""
        session = self.get_object()
        payload = StatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            session = sessions.set_status(
                session=session, status=payload.validated_data["status"], by=request.user
            )
        return self._session_reply(session)

    @extend_schema(responses=ParticipantProgressSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def progress(self, request, pk=None):
        """Days present, days needed and completion of each participant (the completion rule)."""
        session = self.get_object()
        progress = attendance.session_progress(session)
        registrations = policy.visible(request.user, session.registrations.all()).select_related(
            "member", "trainer", "staff"
        )
        rows = [
            {
                "registration": registration.pk,
                "person": registration.person_name,
                "status": registration.status,
                "days_present": progress[registration.pk].days_present,
                "days_total": progress[registration.pk].days_total,
                "days_needed": progress[registration.pk].days_needed,
                "completed": progress[registration.pk].completed,
            }
            for registration in registrations
            if registration.pk in progress
        ]
        return Response(ParticipantProgressSerializer(rows, many=True).data)

    @extend_schema(responses=AveragesSerializer)
    @action(detail=True, methods=["get"])
    def averages(self, request, pk=None):
        """Pre-test, post-test, gain and satisfaction (0–100) averages of the session's participants."""
        return Response(_averages(evaluations.session_averages(self.get_object())))

    @extend_schema(request=LanguageSerializer, responses={200: CertificateSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="issue-certificates", pagination_class=None)
    def issue_certificates(self, request, pk=None):
        """Issue a certificate to every participant who completed and has none yet."""
        session = self.get_object()
        payload = LanguageSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            issued = certificates.issue_certificates(
                session=session, by=request.user, language=payload.validated_data.get("language")
            )
        return Response(CertificateSerializer(issued, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=WalkInSerializer, responses={201: RegistrationSerializer})
    @action(detail=True, methods=["post"], url_path="walk-in")
    def walk_in(self, request, pk=None):
        """Add someone who came without invitation (confirmed, beyond the capacity if need be), present
        on `day` when given. A member can be named by `cin`."""
        session = self.get_object()
        payload = WalkInSerializer(
            data=request.data, context={**self.get_serializer_context(), "session": session}
        )
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            registration = attendance.add_walk_in(session=session, by=request.user, **payload.validated_data)
        data = RegistrationSerializer(registration, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------
# Participants (registrations)


class InvitationAnswerSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()


class TestScoresSerializer(serializers.Serializer):
    pre = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True)
    post = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, allow_null=True)


class SatisfactionSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text="Answers by question code of the satisfaction questionnaire")


class RegistrationFilter(django_filters.FilterSet):
    cooperative = IdFilter(field_name="member__cooperative", label="Cooperative")

    class Meta:
        model = Registration
        fields = ["session", "status", "source", "member", "trainer", "staff"]


class RegistrationViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Participants in the caller's scope (a cooperative: its own members' invitations). `answer`
    confirms or declines an invitation (declining frees the place for the waiting list)."""

    queryset = Registration.objects.select_related("member", "trainer", "staff").order_by(
        "session_id", "priority", "pk"
    )
    serializer_class = RegistrationSerializer
    permission_classes = [SignedIn]
    filterset_class = RegistrationFilter

    def _reply(self, registration):
        return Response(self.get_serializer(registration).data)

    @extend_schema(request=RegistrationSerializer, responses={201: RegistrationAddedSerializer})
    def create(self, request, *args, **kwargs):
        """Add a member, a trainer or a staff member: proposed, or waitlisted when the session is full."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        data = RegistrationAddedSerializer(serializer.instance, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InvitationAnswerSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        registration = self.get_object()
        payload = InvitationAnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            registration = invitations.answer_invitation(
                registration=registration, accepted=payload.validated_data["accepted"], by=request.user
            )
        return self._reply(registration)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        with refused_as_400():
            registration = invitations.cancel_registration(registration=self.get_object(), by=request.user)
        return self._reply(registration)

    @extend_schema(request=TestScoresSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        """Pre-test and/or post-test score (0–100); a score left out is kept."""
        registration = self.get_object()
        payload = TestScoresSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            registration = evaluations.record_scores(
                registration=registration, by=request.user, **payload.validated_data
            )
        return self._reply(registration)

    @extend_schema(request=SatisfactionSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def satisfaction(self, request, pk=None):
        """The participant's answers to the satisfaction questionnaire (checked question by question)."""
        registration = self.get_object()
        payload = SatisfactionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            registration = evaluations.record_satisfaction(
                registration=registration, answers=payload.validated_data["answers"], by=request.user
            )
        return self._reply(registration)


# ---------------------------------------------------------------------------
# Attendance


class AttendanceSerializer(serializers.ModelSerializer):
    """Whether a participant was present on a day of their session. Recording it again for the same
    participant and day replaces the previous mark."""

    registration = ScopedField(queryset=Registration.objects.all())
    day = ScopedField(queryset=SessionDay.objects.all())
    date = serializers.DateField(source="day.date", read_only=True)
    source = serializers.ChoiceField(choices=Attendance.Source.choices, default=Attendance.Source.ROOM)

    class Meta:
        model = Attendance
        fields = ["id", "registration", "day", "date", "present", "source", "recorded_by", "recorded_at"]
        read_only_fields = ["recorded_by", "recorded_at"]
        validators = []

    def create(self, validated_data):
        with refused_as_400():
            return attendance.record_attendance(by=_user(self), **validated_data)


class AttendanceUpdateSerializer(serializers.Serializer):
    present = serializers.BooleanField()
    source = serializers.ChoiceField(choices=Attendance.Source.choices, default=Attendance.Source.STAFF)


class AttendanceFilter(django_filters.FilterSet):
    session = IdFilter(field_name="registration__session", label="Session")

    class Meta:
        model = Attendance
        fields = ["day", "registration", "present", "source"]


class AttendanceViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Attendance of the sessions in the caller's scope, per participant and day. A day of another
    session than the participant's is refused; people who came without invitation are added with
    `POST /training-sessions/{id}/walk-in/`."""

    queryset = Attendance.objects.select_related("day").order_by("day__date", "registration_id")
    serializer_class = AttendanceSerializer
    permission_classes = [SignedIn]
    filterset_class = AttendanceFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @extend_schema(request=AttendanceUpdateSerializer, responses=AttendanceSerializer)
    def update(self, request, *args, **kwargs):
        mark = self.get_object()
        payload = AttendanceUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            mark = attendance.record_attendance(
                registration=mark.registration, day=mark.day, by=request.user, **payload.validated_data
            )
        return Response(self.get_serializer(mark).data)

    @extend_schema(request=AttendanceUpdateSerializer, responses=AttendanceSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)


# ---------------------------------------------------------------------------
# Certificates


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class CertificateFilter(django_filters.FilterSet):
    session = IdFilter(field_name="registration__session", label="Session")
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Certificate
        fields = ["registration"]


class CertificateViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Certificates in the caller's scope (a cooperative: its members'). `pdf` downloads one, in its
    language or in the one asked for; `revoke` marks it revoked on the public verification page."""

    queryset = Certificate.objects.select_related("registration").order_by("-issued_at", "-pk")
    serializer_class = CertificateSerializer
    permission_classes = [SignedIn]
    filterset_class = CertificateFilter

    @extend_schema(
        parameters=[OpenApiParameter("language", str, enum=list(certificates.LANGUAGES))],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], renderer_classes=[PdfRenderer, renderers.JSONRenderer])
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        language = certificates.pdf_language(request.query_params.get("language"), certificate)
        content = certificates.certificate_pdf(certificate, language=language)
        response = HttpResponse(content, content_type="application/pdf")
        filename = certificates.certificate_filename(certificate, language)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        certificate = self.get_object()
        payload = RevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with refused_as_400():
            certificate = certificates.revoke_certificate(
                certificate=certificate, reason=payload.validated_data["reason"], by=request.user
            )
        return Response(self.get_serializer(certificate).data)


# ---------------------------------------------------------------------------
# Counts


class MembersTrainedSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_sex = serializers.DictField(child=serializers.IntegerField())
    by_age_band = serializers.DictField(child=serializers.IntegerField())
    by_region = serializers.DictField(child=serializers.IntegerField(), help_text="By region code")


class CountsSerializer(serializers.Serializer):
    members_trained = MembersTrainedSerializer()
    trainers_trained = serializers.IntegerField()
    staff_trained = serializers.IntegerField()


class CountsQuerySerializer(serializers.Serializer):
    edition = serializers.PrimaryKeyRelatedField(queryset=Edition.objects.all(), required=False)
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False)
    since = serializers.DateField(required=False, help_text="Sessions whose last day is on or after")
    until = serializers.DateField(required=False, help_text="Sessions whose last day is on or before")


def delegation_regions(user):
    return Region.objects.filter(provinces__delegation_id=user.delegation_id).distinct()


class TrainingCountsView(APIView):
    """People trained, each counted once however many sessions they completed: members (by sex, age
    band and region), trainers (training of trainers) and office staff. Head office reads every
    region; a delegate reads one region of its delegation at a time (`region` required)."""

    permission_classes = [SignedIn]

    @extend_schema(parameters=[CountsQuerySerializer], responses=CountsSerializer)
    def get(self, request):
        require_counts_reader(request.user)
        query = CountsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        if policy.role_of(request.user) == Role.DELEGATE and filters.get("region") not in delegation_regions(
            request.user
        ):
            raise serializers.ValidationError({"region": [_("Choose a region of your delegation.")]})
        data = {
            "members_trained": counts.members_trained_breakdown(**filters),
            "trainers_trained": counts.trainers_trained(**filters),
            "staff_trained": counts.staff_trained(**filters),
        }
        return Response(CountsSerializer(data).data)


def register_routes(router) -> None:
    """Add the training endpoints to the API router."""
    router.register("training-modules", ModuleViewSet, basename="training-module")
    router.register("trainers", TrainerViewSet, basename="trainer")
    router.register("training-sessions", SessionViewSet, basename="training-session")
    router.register("training-registrations", RegistrationViewSet, basename="training-registration")
    router.register("training-attendance", AttendanceViewSet, basename="training-attendance")
    router.register("training-certificates", CertificateViewSet, basename="training-certificate")


api_urlpatterns = [path("training-counts/", TrainingCountsView.as_view(), name="api-training-counts")]
