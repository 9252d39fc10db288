from django import forms

from mourafaka.territory.models import Province, Region

from .models import Cooperative, Sector


class CooperativeForm(forms.ModelForm):
    class Meta:
        model = Cooperative
        fields = [
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
        ]
        widgets = {
            "creation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "activity_start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "name_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
            "national_programmes": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(parent__isnull=True)
        self.fields["branch"].queryset = Sector.objects.filter(parent__isnull=False)
        if user is not None and user.role == "delegate" and not user.is_superuser:
            # A delegate can only place a cooperative inside its own delegation.
            provinces = Province.objects.filter(delegation_id=user.delegation_id)
            self.fields["province"].queryset = provinces
            self.fields["region"].queryset = Region.objects.filter(provinces__in=provinces).distinct()
        self.fields["province"].queryset = self.fields["province"].queryset.select_related("region")


class RepresentativeContactForm(forms.ModelForm):
    """What a cooperative's representative may change on its own record."""

    class Meta:
        model = Cooperative
        fields = ["president_name", "phone", "email"]
