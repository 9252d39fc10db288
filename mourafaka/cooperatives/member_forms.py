"""Forms of the member and document pages. The rules they show come from `member_rules` and
`documents`, so that the API, the import and the services refuse the same values."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import member_rules
from .documents import ACCEPT, allowed_kinds_label
from .models import CooperativeDocument, Member

DATE = {"type": "date"}


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = [
            "full_name_fr",
            "full_name_ar",
            "sex",
            "birth_date",
            "cin",
            "role",
            "phone",
            "joined_date",
            "consent",
            "consent_date",
        ]
        widgets = {
            "full_name_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
            "sex": forms.RadioSelect,
            "birth_date": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "joined_date": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "consent_date": forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
            "cin": forms.TextInput(attrs={"autocapitalize": "characters", "dir": "ltr"}),
            "phone": forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "off"}),
        }
        help_texts = {
            "cin": _("One or two letters then digits, e.g. EE123456."),
            "phone": _("A Moroccan number; it is stored as +212…"),
            "consent_date": _("Left empty, today's date is recorded when consent is ticked."),
        }

    def clean_cin(self):
        cin = member_rules.normalise_cin(self.cleaned_data.get("cin"))
        member_rules.check_cin_free(cin, exclude_pk=self.instance.pk)
        return cin

    def clean_phone(self):
        return member_rules.normalise_phone(self.cleaned_data.get("phone"))

    def clean_birth_date(self):
        birth_date = self.cleaned_data.get("birth_date")
        member_rules.check_birth_date(birth_date)
        return birth_date

    def clean(self):
        cleaned = super().clean()
        if "consent_date" not in self.errors:
            try:
                cleaned["consent_date"] = member_rules.consent_date_for(
                    bool(cleaned.get("consent")), cleaned.get("consent_date")
                )
            except ValidationError as error:
                self.add_error("consent_date", error)
        if not cleaned.get("full_name_fr") and not cleaned.get("full_name_ar"):
            self.add_error("full_name_fr", _("Give the member's name in French or in Arabic."))
        return cleaned


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=CooperativeDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("%(kinds)s, at most %(limit)s MB.") % {
            "kinds": allowed_kinds_label(),
            "limit": max_mb,
        }
