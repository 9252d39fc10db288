from rest_framework import serializers, viewsets

from mourafaka.core.api import ScopedQuerysetMixin

from .models import Edition, Phase, Programme, RegionalQuota


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = ["id", "number", "name_fr", "name_ar", "regions", "starts_on", "ends_on"]


class QuotaSerializer(serializers.ModelSerializer):
    class Meta:
        model = RegionalQuota
        fields = ["region", "places"]


class EditionSerializer(serializers.ModelSerializer):
    phases = PhaseSerializer(many=True, read_only=True)
    quotas = QuotaSerializer(many=True, read_only=True)

    class Meta:
        model = Edition
        fields = [
            "id",
            "programme",
            "code",
            "number",
            "name_fr",
            "name_ar",
            "starts_on",
            "ends_on",
            "target_cooperatives",
            "budget_mad",
            "settings",
            "phases",
            "quotas",
        ]


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = ["id", "code", "kind", "name_fr", "name_ar", "description_fr", "description_ar"]


class ProgrammeViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    queryset = Programme.objects.all()
    serializer_class = ProgrammeSerializer
    policy_actions = {
        "create": "programmes.manage",
        "update": "programmes.manage",
        "destroy": "programmes.manage",
    }


class EditionViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    queryset = Edition.objects.prefetch_related("phases__regions", "quotas")
    serializer_class = EditionSerializer
    filterset_fields = ["programme"]
    policy_actions = {
        "create": "programmes.manage",
        "update": "programmes.manage",
        "destroy": "programmes.manage",
    }
