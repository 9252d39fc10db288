"""API of the diagnostic report (PDF), the progression since the baseline and the spreadsheet
exchange of questionnaire templates. Scoped like the pages: a diagnostic out of scope answers 404,
templates are exported and imported by head office only."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user

from . import exchange, progression, report
from .models import Diagnostic, Template
from .template_views import XLSX


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _diagnostic(request, pk) -> Diagnostic:
    return get_for_user(
        Diagnostic.objects.select_related("enrolment__cooperative", "template"), request.user, pk=pk
    )


class DiagnosticReportView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("language", str, enum=["fr", "ar"], description="fr (default) or ar")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="The report of a diagnostic as a PDF",
    )
    def get(self, request, pk):
        diagnostic = _diagnostic(request, pk)
        language = report.report_language(request.query_params.get("language"))
        content = report.report_pdf(diagnostic, language=language)
        return _attachment(content, "application/pdf", report.report_filename(diagnostic, language))


ScoreChange = inline_serializer(
    "ScoreChange",
    {
        "baseline": serializers.FloatField(allow_null=True),
        "current": serializers.FloatField(allow_null=True),
        "change": serializers.FloatField(allow_null=True),
    },
)


class ProgressionSerializer(serializers.Serializer):
    baseline = serializers.IntegerField()
    current = serializers.IntegerField()
    stage = serializers.CharField()
    axes = inline_serializer(
        "AxisProgression",
        {
            "axis": serializers.CharField(),
            "baseline": serializers.FloatField(allow_null=True),
            "current": serializers.FloatField(allow_null=True),
            "change": serializers.FloatField(allow_null=True),
        },
        many=True,
    )
    overall = ScoreChange
    dropped_answers = serializers.ListField(child=serializers.CharField())


class DiagnosticProgressionView(APIView):
    @extend_schema(
        responses={200: ProgressionSerializer},
        summary="Progression per axis of a month-12 or month-24 diagnostic since the baseline",
    )
    def get(self, request, pk):
        diagnostic = _diagnostic(request, pk)
        found = progression.progression_of(diagnostic)
        if found is None:
            return Response(
                {"detail": "This diagnostic has no baseline to compare with."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(progression.as_data(found))


class TemplateExportView(APIView):
    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY}, summary="A questionnaire template as XLSX")
    def get(self, request, pk):
        policy.require(request.user, "diagnostics.manage_templates")
        template = get_object_or_404(Template, pk=pk)
        return _attachment(exchange.export_template(template), XLSX, exchange.export_filename(template))


class TemplateImportView(APIView):
    parser_classes = [MultiPartParser]
    action = "create"  # PolicyPermission checks writes through the action a view names
    policy_actions = {"create": "diagnostics.manage_templates"}

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("TemplateUpload", {"file": serializers.FileField()})
        },
        responses={
            201: inline_serializer(
                "ImportedTemplate",
                {
                    "id": serializers.IntegerField(),
                    "code": serializers.CharField(),
                    "version": serializers.IntegerField(),
                },
            ),
            400: inline_serializer(
                "TemplateProblems", {"detail": serializers.ListField(child=serializers.CharField())}
            ),
        },
        summary="Import an XLSX questionnaire as a new draft version (all rows checked, nothing half-saved)",
    )
    def post(self, request):
        policy.require(request.user, "diagnostics.manage_templates")
        try:
            content = exchange.read_upload(request.FILES.get("file"))
            template = exchange.import_template(content, by=request.user)
        except exchange.TemplateRefused as refusal:
            return Response(
                {"detail": [str(problem) for problem in refusal.problems]}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(
            {"id": template.pk, "code": template.code, "version": template.version},
            status=status.HTTP_201_CREATED,
        )
