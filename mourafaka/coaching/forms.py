"""Forms of the coaching pages: they read and type-check what was posted; the rules (dates, scope,
plan limits, versions) stay in the services."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.territory.models import Region

from .models import Deliverable, DeliverableKind, Engagement, Provider, VisitAttachment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def regions_for(user):
    """All regions for head office; those of its delegation's provinces for a delegate."""
    regions = Region.objects.order_by("code")
    if policy.role_of(user) == Role.DELEGATE:
        return regions.filter(provinces__delegation_id=user.delegation_id).distinct()
    return regions


def coach_users():
    return get_user_model().objects.filter(role=Role.COACH, is_active=True).order_by("full_name")


class CoachChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.email


class EngagementFilterForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=Region.objects.none())
    coach = CoachChoiceField(label=_("Coach"), required=False, queryset=coach_users())
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Engagement.Status.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["coach"].queryset = coach_users()

    def filter(self, engagements):
        if not self.is_valid():
            return engagements
        data = self.cleaned_data
        if data.get("region"):
            engagements = engagements.filter(enrolment__cooperative__region=data["region"])
        if data.get("coach"):
            engagements = engagements.filter(coach=data["coach"])
        if data.get("status"):
            engagements = engagements.filter(status=data["status"])
        return engagements


class StartEngagementForm(forms.Form):
    coach = CoachChoiceField(label=_("Coach"), queryset=coach_users())
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DATE)
    months = forms.IntegerField(label=_("Length (months)"), required=False, min_value=1, max_value=60)
    visits = forms.IntegerField(label=_("Number of visits"), required=False, min_value=1, max_value=60)


class ReassignForm(forms.Form):
    coach = CoachChoiceField(label=_("New coach"), queryset=coach_users())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class VisitPlanForm(forms.Form):
    planned_on = forms.DateField(label=_("Planned on"), widget=DATE)
    theme = forms.CharField(
        label=_("Planned themes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddVisitForm(forms.Form):
    planned_on = forms.DateField(label=_("Planned on"), widget=DATE)
    theme = forms.CharField(
        label=_("Planned themes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Reason for a visit beyond the plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelVisitForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), widget=forms.Textarea(attrs={"rows": 2}))


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name


class ReportForm(forms.Form):
    """The visit report typed on a phone. One row per development-plan action: an empty status means
    the action was not discussed at this visit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    held_on = forms.DateField(label=_("Held on"), required=False, widget=DATE)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=255)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    members_present = MemberChoiceField(
        label=_("Members present"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple
    )
    topics = forms.CharField(label=_("Topics"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    advice = forms.CharField(
        label=_("Advice given"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    TEXT_FIELDS = ("held_on", "duration_minutes", "place", "latitude", "longitude", "topics", "advice")

    def __init__(self, *args, members, actions, progress=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members_present"].queryset = members
        self.actions = list(actions)
        progress = progress or {}
        status_choices = [("", _("Not discussed")), *DevelopmentAction.Status.choices]
        for action in self.actions:
            done = progress.get(action.pk)
            self.fields[f"action-{action.pk}-status"] = forms.ChoiceField(
                label=_("Status"), required=False, choices=status_choices, initial=done.status if done else ""
            )
            self.fields[f"action-{action.pk}-progress"] = forms.IntegerField(
                label=_("Progress (%)"),
                required=False,
                min_value=0,
                max_value=100,
                initial=done.progress if done else action.progress,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 5}),
            )
            self.fields[f"action-{action.pk}-comment"] = forms.CharField(
                label=_("Comment"), required=False, initial=done.comment if done else ""
            )

    def action_rows(self):
        """(action, status field, progress field, comment field) for the template."""
        return [
            (
                action,
                self[f"action-{action.pk}-status"],
                self[f"action-{action.pk}-progress"],
                self[f"action-{action.pk}-comment"],
            )
            for action in self.actions
        ]

    def service_data(self) -> dict:
        """What reports.save_draft / submit_report take."""
        data = self.cleaned_data
        actions = []
        for action in self.actions:
            status = data.get(f"action-{action.pk}-status")
            if not status:
                continue
            progress = data.get(f"action-{action.pk}-progress")
            actions.append(
                {
                    "action": action.pk,
                    "status": status,
                    "progress": progress if progress is not None else action.progress,
                    "comment": data.get(f"action-{action.pk}-comment", ""),
                }
            )
        return {
            "held_on": data.get("held_on"),
            "duration_minutes": data.get("duration_minutes"),
            "place": data.get("place", ""),
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "topics": data.get("topics", ""),
            "advice": data.get("advice", ""),
            "decisions": data.get("decisions", ""),
            "next_steps": data.get("next_steps", ""),
            "members_present": [member.pk for member in data.get("members_present") or []],
            "actions": actions,
        }


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or document"))
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitAttachment.Kind.choices)
    caption = forms.CharField(label=_("Caption"), required=False, max_length=255)


class SendCodeForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone (leave empty for the cooperative's)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class DeliverableFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Deliverable.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Deliverable"),
        required=False,
        choices=[("", _("All deliverables")), *DeliverableKind.choices],
    )
    since = forms.DateField(label=_("Delivered from"), required=False, widget=DATE)
    until = forms.DateField(label=_("to"), required=False, widget=DATE)

    def filter(self, deliverables):
        if not self.is_valid():
            return deliverables
        data = self.cleaned_data
        if data.get("status"):
            deliverables = deliverables.filter(status=data["status"])
        if data.get("kind"):
            deliverables = deliverables.filter(kind=data["kind"])
        if data.get("since"):
            deliverables = deliverables.filter(delivered_on__gte=data["since"])
        if data.get("until"):
            deliverables = deliverables.filter(delivered_on__lte=data["until"])
        return deliverables


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Deliverable.Status.VALIDATED, _("Validate")), (Deliverable.Status.REJECTED, _("Reject"))]
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StatementForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), required=False, choices=[("month", _("Month")), ("quarter", _("Quarter"))]
    )

    def chosen_period(self) -> str:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("period") or "month"
        return "month"


class CountsForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.none(), empty_label=_("Whole country")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        if policy.role_of(user) == Role.DELEGATE:
            self.fields["region"].required = True
            self.fields["region"].empty_label = None

    def chosen_region(self):
        if self.is_bound and self.is_valid() and self.cleaned_data.get("region"):
            return self.cleaned_data["region"]
        if self.fields["region"].required:
            return self.fields["region"].queryset.first()
        return None


class OverdueFilterForm(forms.Form):
    coach = CoachChoiceField(label=_("Coach"), required=False, queryset=coach_users())
    provider = forms.ModelChoiceField(label=_("Provider"), required=False, queryset=Provider.objects.all())
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["coach"].queryset = coach_users()
        self.fields["provider"].queryset = Provider.objects.visible_to(user)
