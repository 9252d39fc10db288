"""REST API of personal-data requests (/api/v1/personal-data/…).

* `GET  personal-data/members/{id}/export/`: the access-request document of a member (JSON), logged.
  Head office and the delegate of the member's province; others 403; outside one's scope 404.
* `POST personal-data/members/{id}/anonymise/` `{"reason": "…"}`: erase the member's personal data
  by anonymisation. Head office only; a member already anonymised answers 409.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from mourafaka.accounts.access import get_for_user
from mourafaka.cooperatives.models import Member
from mourafaka.core.api import SignedIn, as_400

from . import personal_data
from .models import ErasureRecord


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AnonymiseRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the data are erased (e.g. the person's request)."
    )


class ErasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErasureRecord
        fields = ["member", "source", "reason", "by", "at"]
        read_only_fields = fields


class MemberExportView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        summary="Everything the platform holds about a member (access request, law 09-08)",
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request, pk: int):
        member = get_for_user(Member, request.user, pk=pk, action="trust.export_member_data")
        content = personal_data.export_member_data(member=member, by=request.user)
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="member-{member.pk}-data.json"'
        return response


class MemberAnonymiseView(APIView):
    permission_classes = [SignedIn]

    @extend_schema(
        summary="Erase a member's personal data by anonymisation (head office; cannot be undone)",
        request=AnonymiseRequestSerializer,
        responses={
            200: ErasureSerializer,
            400: OpenApiResponse(description="The reason is missing."),
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request, pk: int):
        member = get_for_user(Member, request.user, pk=pk, action="trust.anonymise_member")
        body = AnonymiseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if ErasureRecord.objects.filter(member=member).exists():
            return Response(
                {"detail": str(personal_data.ALREADY_ANONYMISED)}, status=status.HTTP_409_CONFLICT
            )
        try:
            personal_data.anonymise_member(
                member=member, by=request.user, reason=body.validated_data["reason"]
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "already_anonymised":
                return Response(
                    {"detail": str(personal_data.ALREADY_ANONYMISED)}, status=status.HTTP_409_CONFLICT
                )
            raise as_400(error) from error
        return Response(ErasureSerializer(ErasureRecord.objects.get(member=member)).data)


def register_routes(router) -> None:
    """Add the trust endpoints to the API router (none: the personal-data endpoints are plain paths)."""


api_urlpatterns: list = [
    path(
        "personal-data/members/<int:pk>/export/", MemberExportView.as_view(), name="api-personal-data-export"
    ),
    path(
        "personal-data/members/<int:pk>/anonymise/",
        MemberAnonymiseView.as_view(),
        name="api-personal-data-anonymise",
    ),
]
