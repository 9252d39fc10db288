from rest_framework import serializers, viewsets

from .models import Delegation, Province, Region


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "iso_code", "name_fr", "name_ar"]


class ProvinceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Province
        fields = ["id", "code", "iso_code", "kind", "name_fr", "name_ar", "region", "delegation"]


class DelegationSerializer(serializers.ModelSerializer):
    provinces = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Delegation
        fields = ["id", "code", "name_fr", "name_ar", "provinces"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The territory reference is public to signed-in users and changed only in the back office."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer


class ProvinceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Province.objects.all()
    serializer_class = ProvinceSerializer
    filterset_fields = ["region", "delegation", "kind"]


class DelegationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Delegation.objects.prefetch_related("provinces")
    serializer_class = DelegationSerializer
