"""API of the registry imports: upload a file (the check starts), read a run, confirm it, and
download its refused rows. A person sees only the imports they made."""

import json

from django.http import FileResponse, Http404
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from mourafaka.core import imports
from mourafaka.core.models import ImportRun

from .import_views import file_error, import_kinds, outcomes


class ProblemSerializer(serializers.Serializer):
    column = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    level = serializers.ChoiceField(choices=[imports.ERROR, imports.WARNING, imports.NOTE])


class RowOutcomeSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[imports.CREATED, imports.UPDATED, imports.UNCHANGED, imports.REFUSED]
    )
    label = serializers.CharField(allow_blank=True)
    problems = ProblemSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportRunSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    progress = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    has_refused_file = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "original_name",
            "status",
            "status_display",
            "rows_total",
            "rows_created",
            "rows_updated",
            "rows_unchanged",
            "rows_refused",
            "warnings",
            "progress",
            "error",
            "has_refused_file",
            "rows",
            "created_at",
            "committed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, run) -> dict:
        done, total = imports.progress_of(run)
        return {"done": done, "total": total, "percent": imports.percent_of(run)}

    @extend_schema_field(RowOutcomeSerializer(many=True))
    def get_rows(self, run) -> list:
        return [
            {
                **outcome,
                "problems": [
                    {key: problem[key] for key in ("column", "value", "message", "level")}
                    for problem in outcome["problems"]
                ],
            }
            for outcome in outcomes(run)
        ]

    def get_error(self, run) -> str:
        return file_error(run)

    def get_warnings(self, run) -> int:
        return int((run.report or {}).get("warnings", 0))

    def get_has_refused_file(self, run) -> bool:
        return bool(run.refused_file)


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    file = serializers.FileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = import_kinds()


class FileRenderer(renderers.BaseRenderer):
    """Lets the download answer with the file itself (and its errors as JSON)."""

    media_type = "application/octet-stream"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of cooperatives and members: the preview starts on upload; `commit` confirms."""

    queryset = ImportRun.objects.select_related("job")
    serializer_class = ImportRunSerializer
    policy_actions = {"create": imports.IMPORT_ACTION, "commit": imports.IMPORT_ACTION}
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return super().get_queryset().filter(owner=self.request.user, kind__in=imports.importers())

    @extend_schema(request=ImportUploadSerializer, responses={201: ImportRunSerializer})
    def create(self, request):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            run = imports.start_import(
                kind=upload.validated_data["kind"],
                uploaded=upload.validated_data["file"],
                by=request.user,
                language=get_language(),
            )
        except imports.FileRefused as error:
            raise serializers.ValidationError({"file": [str(error)]}) from error
        run.refresh_from_db()
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: ImportRunSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        run = self.get_object()
        try:
            imports.commit_import(run=run, by=request.user, language=get_language())
        except imports.FileRefused as error:
            raise serializers.ValidationError({"detail": str(error)}) from error
        run.refresh_from_db()
        return Response(ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[FileRenderer])
    def refused(self, request, pk=None):
        run = self.get_object()
        if not run.refused_file:
            raise Http404
        return FileResponse(
            run.refused_file.open("rb"), as_attachment=True, filename=run.refused_file.name.rsplit("/", 1)[-1]
        )
