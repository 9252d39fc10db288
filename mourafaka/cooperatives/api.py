import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.settings import api_settings

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.core.api import ScopedQuerysetMixin

from .filters import PROGRAMME_STATUSES
from .models import Cooperative, NationalProgramme
from .queries import leadership_condition, programme_status_condition, search_condition


class CooperativeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cooperative
        fields = [
            "id",
            "registration_number",
            "name_fr",
            "name_ar",
            "creation_date",
            "activity_start_date",
            "region",
            "province",
            "rural",
            "sector",
            "branch",
            "members_total",
            "members_women",
            "members_youth",
            "president_name",
            "phone",
            "email",
            "ice",
            "legal_status_ok",
            "national_programmes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        values = {key: value for key, value in attrs.items() if key != "national_programmes"}
        candidate = Cooperative(pk=getattr(self.instance, "pk", None))
        if self.instance is not None:
            for field in Cooperative._meta.concrete_fields:
                setattr(candidate, field.attname, getattr(self.instance, field.attname))
        for key, value in values.items():
            setattr(candidate, key, value)
        try:
            candidate.clean()
            # The table's check constraints (women and youth within the total…): a 400, not a 500.
            candidate.validate_constraints()
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key: messages
                    for key, messages in error.message_dict.items()
                }
            ) from error
        return attrs

    def validate_province(self, province):
        user = self.context["request"].user
        if policy.role_of(user) == Role.DELEGATE and province.delegation_id != user.delegation_id:
            raise serializers.ValidationError(_("This province is outside your delegation."))
        return province


class CooperativeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label=_("Name in either script (accents and diacritics ignored) or registration number"),
    )
    national_programme = django_filters.ModelChoiceFilter(
        field_name="national_programmes", queryset=NationalProgramme.objects.all()
    )
    women_led = django_filters.BooleanFilter(
        method="filter_women_led",
        label=_("Women-led (share of women at or above the office's threshold)"),
    )
    youth_led = django_filters.BooleanFilter(
        method="filter_youth_led",
        label=_("Youth-led (share of young members at or above the office's threshold)"),
    )
    programme_status = django_filters.ChoiceFilter(
        method="filter_programme_status",
        choices=[choice for choice in PROGRAMME_STATUSES if choice[0]],
        label=_("Programme status"),
    )

    class Meta:
        model = Cooperative
        fields = ["region", "province", "sector", "rural", "legal_status_ok", "registration_number"]

    def search(self, queryset, name, value):
        return queryset.filter(search_condition(value))

    def filter_women_led(self, queryset, name, value):
        return queryset.filter(leadership_condition(value, None))

    def filter_youth_led(self, queryset, name, value):
        return queryset.filter(leadership_condition(None, value))

    def filter_programme_status(self, queryset, name, value):
        condition = programme_status_condition(value)
        return queryset if condition is None else queryset.filter(condition)


class CooperativeViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    """Cooperatives of the registry visible to the caller; writes follow the permission policy."""

    queryset = (
        Cooperative.objects.select_related("region", "province")
        .prefetch_related("national_programmes")
        .order_by("name_fr", "name_ar", "pk")
    )
    serializer_class = CooperativeSerializer
    filterset_class = CooperativeFilter
    policy_actions = {
        "create": "cooperatives.add_cooperative",
        "update": "cooperatives.change_cooperative",
        "destroy": "cooperatives.delete_cooperative",
    }
