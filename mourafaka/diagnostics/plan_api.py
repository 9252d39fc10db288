"""API of the plans: capacity-building plan items and development actions, in the caller's scope.

Reads follow the diagnostic's scope; writes go through plans.py (the consultant while the diagnostic is
editable; progress of actions once validated) and refusals carry their reason."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mourafaka.accounts import policy
from mourafaka.core.api import ScopedQuerysetMixin

from . import plans
from .models import Axis, CapacityPlanItem, DevelopmentAction, DevelopmentObjective, Diagnostic


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError({"detail": error.messages})


def _visible_diagnostics(request):
    return policy.visible(request.user, Diagnostic.objects.all())


class CapacityPlanItemSerializer(serializers.ModelSerializer):
    diagnostic = serializers.PrimaryKeyRelatedField(queryset=Diagnostic.objects.all())
    axis = serializers.PrimaryKeyRelatedField(queryset=Axis.objects.all(), allow_null=True, required=False)
    axis_code = serializers.CharField(source="axis.code", read_only=True, default=None)

    class Meta:
        model = CapacityPlanItem
        fields = [
            "id", "diagnostic", "kind", "code", "label_fr", "label_ar", "axis", "axis_code", "question_codes",
            "priority", "pinned", "source", "status", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["question_codes", "pinned", "source", "created_at", "updated_at"]
        # The (diagnostic, kind, code) uniqueness is checked by the service with a readable reason.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["diagnostic"].queryset = _visible_diagnostics(request)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in ("diagnostic", "kind", "code", "label_fr", "label_ar", "axis"):
                self.fields[name].read_only = True


class ItemUpdateSerializer(serializers.Serializer):
    priority = serializers.IntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=CapacityPlanItem.Status.choices, required=False)


class CapacityPlanItemViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Items of capacity-building plans (training modules, coaching themes) in priority order.

    POST adds a need (pinned at `priority`); PATCH moves it (`priority`) or removes/restores it
    (`status`); DELETE deletes an added need (a proposed one is removed instead). `propose` on a
    diagnostic proposes the plan again from its answers, keeping the consultant's edits."""

    queryset = CapacityPlanItem.objects.select_related("axis").order_by(
        "diagnostic", "status", "priority", "pk"
    )
    serializer_class = CapacityPlanItemSerializer
    filterset_fields = ["diagnostic", "kind", "code", "status", "source"]
    policy_actions = {
        "create": "diagnostics.edit_plans",
        "update": "diagnostics.edit_plans",
        "destroy": "diagnostics.edit_plans",
        "propose": "diagnostics.edit_plans",
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = plans.add_item(
                diagnostic=data["diagnostic"], kind=data["kind"], code=data["code"], label_fr=data["label_fr"],
                label_ar=data.get("label_ar", ""), axis=data.get("axis"), priority=data.get("priority"),
                by=self.request.user,
            )  # fmt: skip
        except DjangoValidationError as error:
            raise _refused(error) from error

    @extend_schema(request=ItemUpdateSerializer, responses=CapacityPlanItemSerializer)
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        payload = ItemUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            if "status" in payload.validated_data:
                item = plans.set_item_status(
                    item=item, status=payload.validated_data["status"], by=request.user
                )
            if "priority" in payload.validated_data:
                item = plans.move_item(
                    item=item, priority=payload.validated_data["priority"], by=request.user
                )
        except DjangoValidationError as error:
            raise _refused(error) from error
        item.refresh_from_db()
        return Response(self.get_serializer(item).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            plans.delete_added_item(item=instance, by=self.request.user)
        except DjangoValidationError as error:
            raise _refused(error) from error

    @extend_schema(request=None, responses=CapacityPlanItemSerializer(many=True))
    @action(detail=False, methods=["post"], url_path=r"propose/(?P<diagnostic_pk>\d+)")
    def propose(self, request, diagnostic_pk=None):
        """Propose (again) the plan of a diagnostic from its answers; returns its kept items."""
        diagnostic = _visible_diagnostics(request).filter(pk=diagnostic_pk).first()
        if diagnostic is None:
            from rest_framework.exceptions import NotFound

            raise NotFound()
        try:
            items = plans.propose_capacity_plan(diagnostic=diagnostic, by=request.user)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(CapacityPlanItemSerializer(items, many=True).data)


class DevelopmentActionSerializer(serializers.ModelSerializer):
    objective = serializers.PrimaryKeyRelatedField(queryset=DevelopmentObjective.objects.all())
    diagnostic = serializers.IntegerField(source="objective.diagnostic_id", read_only=True)
    objective_title = serializers.CharField(source="objective.title", read_only=True)

    class Meta:
        model = DevelopmentAction
        fields = [
            "id", "objective", "objective_title", "diagnostic", "what", "who", "start_month", "end_month",
            "cost_mad", "indicator", "target", "status", "progress", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["status", "progress", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["objective"].queryset = policy.visible(
                request.user, DevelopmentObjective.objects.all()
            )

    def validate(self, attrs):
        return attrs  # the model's rules are checked by the service (full_clean), with their reasons


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(choices=DevelopmentAction.Status.choices)


class DevelopmentActionViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Actions of development plans (months 1..24 of the accompaniment). `progress` records how far an
    action of a validated plan has gone (audited)."""

    queryset = DevelopmentAction.objects.select_related("objective").order_by(
        "objective", "start_month", "pk"
    )
    serializer_class = DevelopmentActionSerializer
    filterset_fields = ["objective", "objective__diagnostic", "status"]
    policy_actions = {
        "create": "diagnostics.edit_plans",
        "update": "diagnostics.edit_plans",
        "destroy": "diagnostics.edit_plans",
        "progress": "diagnostics.follow_plans",
    }

    def _save(self, serializer, action=None):
        data = dict(serializer.validated_data)
        objective = data.pop("objective", None) or action.objective
        try:
            serializer.instance = plans.save_action(
                objective=objective, values=data, action=action, by=self.request.user
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict if hasattr(error, "error_dict") else
                                              {"detail": error.messages}) from error  # fmt: skip

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, action=serializer.instance)

    def perform_destroy(self, instance):
        try:
            plans.delete_action(action=instance, by=self.request.user)
        except DjangoValidationError as error:
            raise _refused(error) from error

    @extend_schema(request=ProgressSerializer, responses=DevelopmentActionSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        payload = ProgressSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            saved = plans.update_action_progress(
                action=self.get_object(), by=request.user, **payload.validated_data
            )
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(self.get_serializer(saved).data)
