from django import forms
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Phase

from . import eligibility
from .models import Call, Criterion


class ApplicationForm(forms.Form):
    cooperative = forms.ModelChoiceField(label=_("Cooperative"), queryset=Cooperative.objects.none())
    project_summary = forms.CharField(label=_("Project summary"), widget=forms.Textarea(attrs={"rows": 5}))
    motivation = forms.CharField(
        label=_("Motivation"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    requested_support = forms.CharField(
        label=_("Support requested"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, cooperatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cooperative"].queryset = cooperatives
        if cooperatives.count() == 1:
            self.fields["cooperative"].initial = cooperatives.first()
            self.fields["cooperative"].widget = forms.HiddenInput()


class ReviewersForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"),
        queryset=User.objects.filter(role=Role.JUROR, is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    per_application = forms.IntegerField(label=_("Reviewers per application"), min_value=1, max_value=9)


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is there a conflict of interest?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the appeal"), widget=forms.Textarea(attrs={"rows": 4}))
    document = forms.FileField(label=_("Supporting document (PDF)"), required=False)

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document and (document.size > 10 * 1024 * 1024 or not document.read(5).startswith(b"%PDF")):
            raise forms.ValidationError(_("Attach a PDF of at most 10 MB."))
        if document:
            document.seek(0)
        return document


class AppealDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Uphold the appeal")), ("no", _("Reject the appeal"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(label=_("Reasons of the decision"), widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the withdrawal"), widget=forms.Textarea(attrs={"rows": 2}))


# ---------------------------------------------------------------------------
# Set-up of a call (head office): the call itself, its regions and quotas, its rules, its grid

DATETIME = {"type": "datetime-local"}


class CallForm(forms.ModelForm):
    class Meta:
        model = Call
        fields = [
            "edition", "phase", "code", "kind", "name_fr", "name_ar", "description_fr", "description_ar",
            "opens_at", "closes_at", "waitlist_length", "reallocate_unused", "reviewers_per_application",
            "minimum_total", "standardise_reviewers", "appeal_days",
        ]  # fmt: skip
        widgets = {
            "opens_at": forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
            "description_fr": forms.Textarea(attrs={"rows": 3}),
            "description_ar": forms.Textarea(attrs={"rows": 3, "dir": "rtl", "lang": "ar"}),
            "name_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name_fr"].required = True
        self.fields["phase"].queryset = Phase.objects.select_related("edition")
        if self.instance.pk:
            # Quotas and rules depend on the edition: a call does not move to another one.
            self.fields["edition"].disabled = True

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("A call must close after it opens."))
        phase, edition = data.get("phase"), data.get("edition")
        if phase and edition and phase.edition_id != edition.pk:
            self.add_error("phase", _("This phase belongs to another edition."))
        return data


class RegionsForm(forms.Form):
    """For each region: open in this call or not, and its places (its quota)."""

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = list(regions)
        for region in self.regions:
            self.fields[f"open_{region.code}"] = forms.BooleanField(label=region.name, required=False)
            self.fields[f"places_{region.code}"] = forms.IntegerField(
                label=_("Places in %(region)s") % {"region": region.name},
                required=False,
                error_messages={"min_value": _("A quota cannot be below zero.")},
                min_value=0,
                widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            )

    def rows(self):
        return [(self[f"open_{region.code}"], self[f"places_{region.code}"]) for region in self.regions]

    def chosen(self) -> list:
        return [region for region in self.regions if self.cleaned_data.get(f"open_{region.code}")]

    def places(self) -> dict:
        return {
            region: self.cleaned_data[f"places_{region.code}"]
            for region in self.chosen()
            if self.cleaned_data.get(f"places_{region.code}") is not None
        }


class RulesForm(forms.Form):
    """One switch per rule the eligibility engine knows, with that rule's parameters."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule_rows = []
        for code, label in eligibility.LABELS.items():
            if code in eligibility.FINANCING_RULES:
                continue
            switch = f"use_{code}"
            self.fields[switch] = forms.BooleanField(label=label, required=False)
            names = []
            for param in eligibility.PARAMETERS[code]:
                name = f"{code}__{param.name}"
                if param.kind == "integer":
                    field = forms.IntegerField(label=param.label, min_value=0, required=False)
                elif param.kind == "share":
                    field = forms.DecimalField(
                        label=param.label, min_value=0, max_value=1, decimal_places=2, required=False
                    )
                elif param.kind == "text":
                    field = forms.CharField(label=param.label, max_length=48, required=False)
                else:  # call_regions: filled from the regions chosen above
                    continue
                field.initial = param.default
                self.fields[name] = field
                names.append(name)
            self.rule_rows.append((code, switch, names))

    @staticmethod
    def initial_for(rules: list[dict]) -> dict:
        initial = {}
        for entry in rules:
            initial[f"use_{entry['rule']}"] = True
            for name, value in entry.get("params", {}).items():
                initial[f"{entry['rule']}__{name}"] = value
        return initial

    def rows(self):
        return [(self[switch], [self[name] for name in names]) for _code, switch, names in self.rule_rows]

    def rules(self) -> list[dict]:
        chosen = []
        for code, switch, names in self.rule_rows:
            if self.cleaned_data.get(switch):
                params = {
                    name.split("__", 1)[1]: self.cleaned_data[name]
                    for name in names
                    if self.cleaned_data.get(name) not in (None, "")
                }
                chosen.append({"rule": code, "params": params})
        return chosen


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["code", "name_fr", "name_ar", "kind", "source", "weight", "scale_min", "scale_max"]
        widgets = {
            "name_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
            "weight": forms.NumberInput(attrs={"step": "0.5", "min": 0, "inputmode": "decimal"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name_fr"].required = True

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


CriterionFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True)
