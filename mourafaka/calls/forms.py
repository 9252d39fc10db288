from django import forms
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.models import Cooperative


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
