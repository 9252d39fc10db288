"""API of members, documents and likely duplicates.

Same rules as the pages: records outside the caller's scope answer 404, writes go through the
services (which check the policy and validate fully), and the CIN, phone and birth date are
masked for roles that may not read them (they cannot write them either).
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mourafaka.accounts import policy
from mourafaka.core.api import ScopedQuerysetMixin
from mourafaka.core.masking import mask, mask_phone
from mourafaka.core.permissions import PolicyPermission
from mourafaka.core.text import search_key

from . import dedup, member_rules
from .documents import ALLOWED, delete_document, upload_document
from .import_api import FileRenderer
from .models import Cooperative, CooperativeDocument, DuplicateCandidate, Member
from .services import save_member

PERSONAL_FIELDS = ("cin", "phone", "birth_date")


def _drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({"non_field_errors": error.messages})


class ContentPermission(PolicyPermission):
    """Creating a member or a document is checked against the cooperative named in the body (by
    the service), not before it is known."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) == "create":
            return policy.is_active(request.user)
        return super().has_permission(request, view)


class ScopedCooperativeField(serializers.PrimaryKeyRelatedField):
    """A cooperative the caller can see; others are answered as if they did not exist."""

    def get_queryset(self):
        return policy.visible(self.context["request"].user, Cooperative.objects.all())


# ---------------------------------------------------------------------------
# Members


class MemberSerializer(serializers.ModelSerializer):
    cooperative = ScopedCooperativeField()

    class Meta:
        model = Member
        fields = [
            "id",
            "cooperative",
            "full_name_fr",
            "full_name_ar",
            "sex",
            "birth_date",
            "cin",
            "role",
            "phone",
            "joined_date",
            "consent",
            "consent_date",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"cin": {"validators": []}}  # the service says why a CIN is refused

    def _user(self):
        return self.context["request"].user

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            for name in PERSONAL_FIELDS:
                if not policy.sees_personal_field(request.user, name):
                    fields[name].read_only = True
        if isinstance(self.instance, Member):
            fields["cooperative"].read_only = True  # a member moves by a merge, not by an edit
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = self._user()
        if not policy.sees_personal_field(user, "cin"):
            data["cin"] = mask(instance.cin) or None
        if not policy.sees_personal_field(user, "phone"):
            data["phone"] = mask_phone(instance.phone)
        if not policy.sees_personal_field(user, "birth_date"):
            data["birth_date"] = None
        return data

    def validate(self, attrs):
        if not attrs.get("full_name_fr", getattr(self.instance, "full_name_fr", "")) and not attrs.get(
            "full_name_ar", getattr(self.instance, "full_name_ar", "")
        ):
            raise serializers.ValidationError(
                {"full_name_fr": [_("Give the member's name in French or in Arabic.")]}
            )
        return attrs

    def _save(self, member: Member, values: dict) -> Member:
        for name, value in values.items():
            setattr(member, name, value)
        try:
            return save_member(member=member, by=self._user())
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        except IntegrityError as error:
            raise serializers.ValidationError({"cin": [str(member_rules.CIN_TAKEN)]}) from error

    def create(self, validated_data):
        return self._save(Member(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name in either script"))

    class Meta:
        model = Member
        fields = ["cooperative", "active", "sex", "role"]

    def search(self, queryset, name, value):
        key = search_key(value)
        return queryset.filter(search_name__contains=key) if key else queryset


class MemberViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Members of the cooperatives visible to the caller. Members are never deleted: set
    `active` to false when one leaves."""

    queryset = Member.objects.order_by("cooperative_id", "full_name_fr", "full_name_ar", "pk")
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    permission_classes = [ContentPermission]
    policy_actions = {"create": "cooperatives.add_member", "update": "cooperatives.change_member"}


# ---------------------------------------------------------------------------
# Documents


class DocumentSerializer(serializers.ModelSerializer):
    cooperative = ScopedCooperativeField()
    file = serializers.FileField(write_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CooperativeDocument
        fields = [
            "id",
            "cooperative",
            "kind",
            "title",
            "file",
            "original_name",
            "size",
            "content_type",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = ["original_name", "size", "content_type", "uploaded_by", "uploaded_at"]

    @extend_schema_field(OpenApiTypes.URI_REF)
    def get_download_url(self, document) -> str:
        return reverse("api-document-download", args=[document.pk])

    def create(self, validated_data):
        try:
            return upload_document(
                cooperative=validated_data["cooperative"],
                kind=validated_data["kind"],
                title=validated_data.get("title", ""),
                file=validated_data["file"],
                by=self.context["request"].user,
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise _drf_error(error) from error
            raise serializers.ValidationError({"file": error.messages}) from error


class DocumentViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of the cooperatives visible to the caller (statutes, minutes, certificates…).
    Upload as multipart: type, size and content are checked as on the page."""

    queryset = CooperativeDocument.objects.select_related("cooperative").order_by("-uploaded_at", "-pk")
    serializer_class = DocumentSerializer
    filterset_fields = ["cooperative", "kind"]
    permission_classes = [ContentPermission]
    parser_classes = [MultiPartParser, FormParser]
    policy_actions = {"create": "cooperatives.add_document", "destroy": "cooperatives.delete_document"}

    def perform_destroy(self, instance):
        delete_document(document=instance, by=self.request.user)

    # The file is served with the type its content was checked to have.
    @extend_schema(responses={(200, kind.content_type): OpenApiTypes.BINARY for kind in ALLOWED})
    @action(detail=True, methods=["get"], renderer_classes=[FileRenderer])
    def download(self, request, pk=None):
        document = self.get_object()
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )


# ---------------------------------------------------------------------------
# Likely duplicates


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class DuplicateSerializer(serializers.ModelSerializer):
    a = serializers.SerializerMethodField()
    b = serializers.SerializerMethodField()

    class Meta:
        model = DuplicateCandidate
        fields = [
            "id",
            "kind",
            "province",
            "score",
            "reasons",
            "status",
            "a",
            "b",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def _side(self, record):
        if record is None:
            return None
        return {"id": record.pk, "label": str(record)}

    @extend_schema_field(RecordSerializer(allow_null=True))
    def get_a(self, candidate):
        return self._side(dedup.sides(candidate)[0])

    @extend_schema_field(RecordSerializer(allow_null=True))
    def get_b(self, candidate):
        return self._side(dedup.sides(candidate)[1])


class MergeSerializer(serializers.Serializer):
    keep = serializers.ChoiceField(
        choices=["a", "b"], default="a", help_text=_("The side whose record is kept.")
    )


class DuplicateViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Pairs of likely duplicates in the caller's scope; `merge` or `dismiss` an open one."""

    queryset = DuplicateCandidate.objects.select_related(
        "cooperative_a", "cooperative_b", "member_a", "member_b"
    ).order_by("-score", "pk")
    serializer_class = DuplicateSerializer
    filterset_fields = ["kind", "status", "province"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    policy_actions = {"merge": "cooperatives.review_duplicates", "dismiss": "cooperatives.review_duplicates"}

    def get_queryset(self):
        if not policy.check(self.request.user, "cooperatives.review_duplicates"):
            return DuplicateCandidate.objects.none()
        return super().get_queryset()

    def _decide(self, request, decide):
        candidate = self.get_object()
        try:
            decide(candidate)
        except DjangoValidationError as error:
            raise _drf_error(error) from error
        candidate.refresh_from_db()
        return Response(DuplicateSerializer(candidate, context=self.get_serializer_context()).data)

    @extend_schema(request=MergeSerializer, responses={200: DuplicateSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        choice = MergeSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        return self._decide(
            request, lambda c: dedup.merge(c, request.user, keep=choice.validated_data["keep"])
        )

    @extend_schema(request=None, responses={200: DuplicateSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._decide(request, lambda c: dedup.dismiss(c, request.user))
