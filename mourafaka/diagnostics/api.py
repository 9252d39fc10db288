"""API of questionnaires and diagnostics: templates (read), diagnostics in scope, one answer at a time,
scores and the workflow steps. Business rules live in services; refusals carry their reason."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mourafaka.accounts import policy
from mourafaka.core.api import ScopedQuerysetMixin

from . import queries, services
from .attachments import add_attachment
from .models import Answer, Axis, Diagnostic, DiagnosticAttachment, Question, Template


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError({"detail": error.messages})


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = [
            "id", "code", "order", "text_fr", "text_ar", "type", "weight", "required",
            "choices", "target", "min_value", "max_value", "need_threshold", "needs",
        ]  # fmt: skip


class AxisSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Axis
        fields = ["id", "code", "name_fr", "name_ar", "order", "weight", "questions"]


class TemplateSerializer(serializers.ModelSerializer):
    axes = AxisSerializer(many=True, read_only=True)

    class Meta:
        model = Template
        fields = ["id", "code", "version", "title_fr", "title_ar", "status", "axes"]


class TemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Questionnaire templates with their axes and questions (read only)."""

    queryset = Template.objects.prefetch_related("axes__questions").order_by("code", "-version")
    serializer_class = TemplateSerializer
    filterset_fields = ["code", "status"]

    def get_queryset(self):
        return policy.visible(self.request.user, super().get_queryset())


class AnswerSerializer(serializers.ModelSerializer):
    question_code = serializers.CharField(source="question.code", read_only=True)

    class Meta:
        model = Answer
        fields = ["question", "question_code", "value", "saved_at"]


class DiagnosticSerializer(serializers.ModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Diagnostic
        fields = [
            "id", "enrolment", "stage", "template", "consultant", "status", "review_comments",
            "submitted_at", "validated_at", "validated_by",
            "strengths", "weaknesses", "opportunities", "threats",
            "turnover_mad", "members_count", "jobs_count", "products", "customers_markets", "certifications",
            "answers", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "status", "review_comments", "submitted_at", "validated_at", "validated_by", "answers",
            "created_at", "updated_at",
        ]  # fmt: skip


class AnswerInputSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True)


class CommentsSerializer(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="")


class AxisScoreSerializer(serializers.Serializer):
    axis = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField()


class ScoresSerializer(serializers.Serializer):
    overall = serializers.FloatField(allow_null=True)
    axes = AxisScoreSerializer(many=True)


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DiagnosticAttachment
        fields = [
            "id", "kind", "caption", "original_name", "content_type", "size", "uploaded_by", "uploaded_at",
            "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("diagnostics:attachment_download", args=[attachment.pk])


class AttachmentInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DiagnosticAttachment.Kind.choices)
    caption = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(allow_empty_file=True)


class DiagnosticViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Diagnostics in the caller's scope. Creating one assigns its consultant; answers are PUT one
    by one; submit, validate and return follow the workflow."""

    queryset = Diagnostic.objects.select_related("enrolment__cooperative", "template").prefetch_related(
        "answers__question"
    )
    serializer_class = DiagnosticSerializer
    filterset_fields = ["status", "stage", "template", "consultant", "enrolment"]
    policy_actions = {
        "create": "diagnostics.start",
        "answer": "diagnostics.fill",
        "submit": "diagnostics.fill",
        "validate": "diagnostics.validate",
        "return_for_changes": "diagnostics.validate",
        "attachments": "diagnostics.fill",
    }

    def perform_create(self, serializer):
        data = serializer.validated_data
        enrolment = data["enrolment"]
        if not policy.can_see(self.request.user, enrolment):
            raise serializers.ValidationError({"enrolment": [_("This beneficiary is outside your scope.")]})
        try:
            serializer.instance = services.start_diagnostic(
                enrolment=enrolment,
                consultant=data["consultant"],
                template=data["template"],
                stage=data.get("stage", Diagnostic.Stage.BASELINE),
                by=self.request.user,
            )
        except DjangoValidationError as error:
            raise _refused(error) from error

    @extend_schema(request=AnswerInputSerializer, responses={200: AnswerSerializer, 204: None})
    @action(detail=True, methods=["put"], url_path=r"answers/(?P<question_code>[-\w]+)")
    def answer(self, request, pk=None, question_code=None):
        """Save the answer to one question (by its code); a null or empty value clears it."""
        diagnostic = self.get_object()
        question = get_object_or_404(Question, template_id=diagnostic.template_id, code=question_code)
        payload = AnswerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            saved = services.save_answer(
                diagnostic=diagnostic, question=question, raw=payload.validated_data["value"], by=request.user
            )
        except DjangoValidationError as error:
            raise _refused(error) from error
        if saved is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AnswerSerializer(saved).data)

    @extend_schema(responses=ScoresSerializer)
    @action(detail=True, methods=["get"])
    def scores(self, request, pk=None):
        """Maturity 0–100 per axis and overall (see diagnostics/scoring.py for the formula)."""
        result = queries.result_of(self.get_object())
        axes = [
            {"axis": code, "score": item.score, "coverage": item.coverage}
            for code, item in result.axes.items()
        ]
        return Response(ScoresSerializer({"overall": result.overall, "axes": axes}).data)

    def _step(self, request, service, **extra):
        diagnostic = self.get_object()
        try:
            diagnostic = service(diagnostic=diagnostic, by=request.user, **extra)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(self.get_serializer(diagnostic).data)

    @extend_schema(request=None, responses=DiagnosticSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send to the delegate; refused with the list of required questions still unanswered."""
        return self._step(request, services.submit)

    @extend_schema(request=CommentsSerializer, responses=DiagnosticSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        comments = CommentsSerializer(data=request.data)
        comments.is_valid(raise_exception=True)
        return self._step(request, services.validate, comments=comments.validated_data["comments"])

    @extend_schema(request=CommentsSerializer, responses=DiagnosticSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_changes(self, request, pk=None):
        comments = CommentsSerializer(data=request.data)
        comments.is_valid(raise_exception=True)
        return self._step(request, services.return_for_changes, comments=comments.validated_data["comments"])

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["post"], request=AttachmentInputSerializer, responses={201: AttachmentSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        pagination_class=None,
    )
    def attachments(self, request, pk=None):
        """Photos and documents of the diagnostic; the assigned consultant posts one (multipart) while
        the diagnostic is draft or returned; the file is checked on its content like cooperative documents."""
        diagnostic = self.get_object()
        if request.method == "GET":
            return Response(AttachmentSerializer(diagnostic.attachments.all(), many=True).data)
        payload = AttachmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            attachment = add_attachment(diagnostic, data["file"], data["kind"], data["caption"], request.user)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
