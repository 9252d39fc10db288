from django import forms
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts.models import Role, User
from mourafaka.programmes.models import Enrolment

from .models import Diagnostic, DiagnosticAttachment, Template
from .services import DETAIL_FIELDS


class StartForm(forms.Form):
    enrolment = forms.ModelChoiceField(label=_("Beneficiary"), queryset=Enrolment.objects.none())
    consultant = forms.ModelChoiceField(label=_("Consultant"), queryset=User.objects.none())
    template = forms.ModelChoiceField(label=_("Questionnaire"), queryset=Template.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        started = Diagnostic.objects.filter(stage=Diagnostic.Stage.BASELINE).values("enrolment_id")
        self.fields["enrolment"].queryset = (
            Enrolment.objects.visible_to(user)
            .filter(status=Enrolment.Status.ACTIVE)
            .exclude(pk__in=started)
            .select_related("cooperative", "edition")
        )
        self.fields["consultant"].queryset = User.objects.filter(role=Role.CONSULTANT, is_active=True)
        self.fields["template"].queryset = Template.objects.filter(
            status=Template.Status.PUBLISHED, purpose=Template.Purpose.DIAGNOSTIC
        )


class DetailsForm(forms.ModelForm):
    """The SWOT analysis and baseline figures, with the version the editor loaded (lost-update check)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.fields["version"].initial = self.instance.details_version

    class Meta:
        model = Diagnostic
        fields = list(DETAIL_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "strengths",
                "weaknesses",
                "opportunities",
                "threats",
                "products",
                "customers_markets",
                "certifications",
            )
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("validate", _("Validate")), ("return", _("Return with comments"))]
    )
    comments = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    """A photo or a document attached while filling in; the file itself is checked by the service."""

    kind = forms.ChoiceField(label=_("Kind"), choices=DiagnosticAttachment.Kind.choices)
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)
    file = forms.FileField(
        label=_("File"), error_messages={"required": _("Choose a file to attach.")}, allow_empty_file=True
    )
