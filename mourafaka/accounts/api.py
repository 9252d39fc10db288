from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    delegation = serializers.IntegerField(source="delegation_id", allow_null=True)
    cooperative = serializers.IntegerField(source="cooperative_id", allow_null=True)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    """The signed-in user: role and scope."""
    return Response(MeSerializer(request.user).data)
