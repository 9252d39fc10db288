"""The filters of the cooperative list, shared by the page, its exports and the API."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mourafaka.territory.models import Province, Region

from .models import NationalProgramme, Sector
from .queries import APPLIED, ENROLLED, NONE

YES_NO = [("", _("All")), ("yes", _("Yes")), ("no", _("No"))]
PROGRAMME_STATUSES = [
    ("", _("All")),
    (ENROLLED, _("In a programme (enrolled)")),
    (APPLIED, _("Applied to a call, not enrolled")),
    (NONE, _("Neither applied nor enrolled")),
]


class CooperativeFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), required=False)
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.select_related("region"), required=False
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=Sector.objects.filter(parent__isnull=True), required=False
    )
    national_programme = forms.ModelChoiceField(
        label=_("National programme"), queryset=NationalProgramme.objects.all(), required=False
    )
    rural = forms.ChoiceField(label=_("Rural"), choices=YES_NO, required=False)
    legal_status_ok = forms.ChoiceField(
        label=_("Legal status in good standing"), choices=YES_NO, required=False
    )
    women_led = forms.ChoiceField(label=_("Women-led"), choices=YES_NO, required=False)
    youth_led = forms.ChoiceField(label=_("Youth-led"), choices=YES_NO, required=False)
    programme_status = forms.ChoiceField(
        label=_("Programme status"), choices=PROGRAMME_STATUSES, required=False
    )


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def filters_from_form(form: CooperativeFilterForm) -> dict:
    """Keyword arguments for `queries.cooperatives_for` from a bound, valid form."""
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {
        "q": data["q"],
        "region": data["region"],
        "province": data["province"],
        "sector": data["sector"],
        "national_programme": data["national_programme"],
        "rural": _yes_no(data["rural"]),
        "legal_status_ok": _yes_no(data["legal_status_ok"]),
        "women_led": _yes_no(data["women_led"]),
        "youth_led": _yes_no(data["youth_led"]),
        "programme_status": data["programme_status"],
    }


def filters_from_parameters(parameters: dict) -> dict:
    """The same filters from a plain dict (query string or a job's saved parameters)."""
    return filters_from_form(CooperativeFilterForm({k: v for k, v in parameters.items() if k != "language"}))
