"""Forms of the two plans. They only shape input; the rules live in plans.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Axis, CapacityPlanItem, DevelopmentAction, Diagnostic
from .plans import catalogue_of


class AddNeedForm(forms.Form):
    """A need from the questionnaire's catalogue, or another one given by its kind, code and labels."""

    need = forms.ChoiceField(label=_("Need from the catalogue"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=CapacityPlanItem.Kind.choices, required=False)
    code = forms.CharField(label=_("Code"), max_length=64, required=False)
    label_fr = forms.CharField(label=_("Label (French)"), max_length=255, required=False)
    label_ar = forms.CharField(label=_("Label (Arabic)"), max_length=255, required=False)
    axis = forms.ModelChoiceField(label=_("Axis"), queryset=Axis.objects.none(), required=False)
    priority = forms.IntegerField(label=_("Priority"), min_value=1, required=False)

    def __init__(self, *args, diagnostic: Diagnostic, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue_of(diagnostic.template)
        self.fields["need"].choices = [("", "—")] + [
            (f"{kind}:{code}", f"{code} · {need.get('label_fr', '')}")
            for (kind, code), need in sorted(self.catalogue.items())
        ]
        self.fields["axis"].queryset = diagnostic.template.axes.all()

    def clean(self):
        data = super().clean()
        if data.get("need"):
            kind, code = data["need"].split(":", 1)
            need = self.catalogue[(kind, code)]
            data.update(
                kind=kind, code=code, label_fr=need.get("label_fr", ""), label_ar=need.get("label_ar", "")
            )
            data["axis"] = data.get("axis") or need["axis"]
        elif not (data.get("kind") and data.get("code") and data.get("label_fr")):
            raise forms.ValidationError(
                _("Choose a need from the catalogue, or give its kind, code and French label.")
            )
        return data


class MoveForm(forms.Form):
    priority = forms.IntegerField(label=_("Priority"), min_value=1)


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=_("Objective"), max_length=255)
    axis = forms.ModelChoiceField(label=_("Axis"), queryset=Axis.objects.none(), required=False)

    def __init__(self, *args, diagnostic: Diagnostic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["axis"].queryset = diagnostic.template.axes.all()


MONTH_CHOICES = [(month, month) for month in range(1, DevelopmentAction.MONTHS + 1)]


class ActionForm(forms.ModelForm):
    start_month = forms.TypedChoiceField(label=_("From month"), choices=MONTH_CHOICES, coerce=int)
    end_month = forms.TypedChoiceField(label=_("To month"), choices=MONTH_CHOICES, coerce=int)

    class Meta:
        model = DevelopmentAction
        fields = ["what", "who", "start_month", "end_month", "cost_mad", "indicator", "target"]


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("Status"), choices=DevelopmentAction.Status.choices)
