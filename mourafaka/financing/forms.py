"""Forms of the financing pages. They check the shape of what is typed (numbers, dates, required
fields); the rules of the programme (ceiling, co-financing, budget lines adding up, conditions of a
tranche…) are the services' and come back as their refusals."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts.models import Role, User
from mourafaka.calls.models import ApplicationDocument, Call
from mourafaka.cooperatives.models import Sector

from .models import AgreementDocument, AllocationOverride, BudgetLine, Proposal, TrancheCondition

DATETIME = {"type": "datetime-local"}
DATE = {"type": "date"}
MONEY_INPUT = {"inputmode": "decimal", "min": 0, "step": "0.01"}
HUNDRED = Decimal(100)


def money(label, *, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )


# ---------------------------------------------------------------------------
# Round set-up (head office)


class CallFieldsForm(forms.ModelForm):
    """The call behind the round: code, names, descriptions, dates."""

    class Meta:
        model = Call
        fields = [
            "edition", "code", "name_fr", "name_ar", "description_fr", "description_ar", "opens_at", "closes_at",
            "reviewers_per_application",
        ]  # fmt: skip
        widgets = {
            "opens_at": forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
            "closes_at": forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
            "description_fr": forms.Textarea(attrs={"rows": 3}),
            "description_ar": forms.Textarea(attrs={"rows": 3, "dir": "rtl", "lang": "ar"}),
            "name_ar": forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
        }
        labels = {"reviewers_per_application": _("Committee members per proposal")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name_fr"].required = True
        self.fields["edition"].queryset = self.fields["edition"].queryset.select_related("programme")
        if self.instance.pk:
            # Beneficiaries and rules depend on the edition: a round does not move to another one.
            self.fields["edition"].disabled = True

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("A call must close after it opens."))
        return data


class TrancheSharesField(forms.CharField):
    """Shares of the grant in percent, typed as "40 / 40 / 20"."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        shares = []
        for part in value.replace(";", "/").replace("+", "/").split("/"):
            part = part.strip().rstrip("%").strip().replace(",", ".")
            if not part:
                continue
            try:
                shares.append(Decimal(part))
            except InvalidOperation as error:
                raise forms.ValidationError(
                    _("Type the shares as numbers separated by slashes, e.g. 40 / 40 / 20.")
                ) from error
        return shares


class RoundSettingsForm(forms.Form):
    budget = money(_("Budget envelope (MAD)"))
    ceiling = money(_("Ceiling per project (MAD)"), help_text=_("Whole dirhams."))
    min_cofinancing_percent = forms.DecimalField(
        label=_("Minimum co-financing, in percent of the total cost"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "min": 0, "max": 100, "step": "0.1"}),
        help_text=_("Own contribution and other co-financing over the project's total cost."),
    )
    max_projects = forms.IntegerField(
        label=_("Maximum number of projects"), min_value=0, required=False, help_text=_("Empty: no maximum.")
    )
    tranche_shares = TrancheSharesField(
        label=_("Tranches, in percent of the grant"),
        max_length=64,
        initial="40 / 40 / 20",
        help_text=_("In the order they are paid, separated by slashes; they sum to 100."),
    )
    milestone_grace_days = forms.IntegerField(
        label=_("Days after its due date before a milestone is late"),
        min_value=0,
        max_value=365,
        required=False,
    )
    beneficiaries_only = forms.BooleanField(
        label=_("Only the programme's beneficiaries may propose a project"), required=False, initial=True
    )

    @classmethod
    def initial_for(cls, round) -> dict:
        if round is None:
            return {
                "tranche_shares": "40 / 40 / 20",
                "beneficiaries_only": True,
                "min_cofinancing_percent": 10,
            }
        rules = {rule.get("rule") for rule in round.call.eligibility_rules}
        return {
            "budget": round.budget,
            "ceiling": round.ceiling,
            "min_cofinancing_percent": (round.min_cofinancing_share * HUNDRED).normalize(),
            "max_projects": round.max_projects,
            "tranche_shares": " / ".join(str(share.normalize()) for share in round.shares),
            "milestone_grace_days": round.milestone_grace_days,
            "beneficiaries_only": "beneficiary" in rules,
        }

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "budget": data["budget"],
            "ceiling": data["ceiling"],
            "min_cofinancing_share": data["min_cofinancing_percent"] / HUNDRED,
            "max_projects": data["max_projects"],
            "tranche_shares": data["tranche_shares"] or None,
            "milestone_grace_days": data["milestone_grace_days"],
            "beneficiaries_only": data["beneficiaries_only"],
        }


class RegionCapsForm(forms.Form):
    """For each region: open in this round or not, and its optional caps."""

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = list(regions)
        for region in self.regions:
            self.fields[f"open_{region.code}"] = forms.BooleanField(label=region.name, required=False)
            self.fields[f"projects_{region.code}"] = forms.IntegerField(
                label=_("Maximum projects in %(region)s") % {"region": region.name},
                required=False,
                min_value=0,
                widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            )
            self.fields[f"amount_{region.code}"] = forms.DecimalField(
                label=_("Maximum amount in %(region)s (MAD)") % {"region": region.name},
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(attrs=MONEY_INPUT),
            )

    @staticmethod
    def initial_for(round) -> dict:
        if round is None:
            return {}
        initial = {f"open_{region.code}": True for region in round.call.regions.all()}
        for cap in round.region_caps.select_related("region"):
            initial[f"projects_{cap.region.code}"] = cap.max_projects
            initial[f"amount_{cap.region.code}"] = cap.max_amount
        return initial

    def rows(self):
        return [
            (self[f"open_{region.code}"], self[f"projects_{region.code}"], self[f"amount_{region.code}"])
            for region in self.regions
        ]

    def clean(self):
        data = super().clean()
        if not any(data.get(f"open_{region.code}") for region in self.regions):
            raise forms.ValidationError(_("Open the round to at least one region."))
        return data

    def chosen(self) -> list:
        return [region for region in self.regions if self.cleaned_data.get(f"open_{region.code}")]

    def caps(self) -> dict:
        """{Region: (max projects | None, max amount | None)} for the regions with a cap, ticked or
        not (the service refuses a cap on a region outside the round, with its reason)."""
        caps = {}
        for region in self.regions:
            projects = self.cleaned_data.get(f"projects_{region.code}")
            amount = self.cleaned_data.get(f"amount_{region.code}")
            if projects is not None or amount is not None:
                caps[region] = (projects, amount)
        return caps


# ---------------------------------------------------------------------------
# Proposals


class ProposalForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title of the project"), max_length=255)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=Sector.objects.filter(parent__isnull=True), required=False
    )
    total_cost = money(_("Total cost (MAD)"))
    amount_requested = money(_("Amount requested (MAD)"))
    own_contribution = money(_("Own contribution (MAD)"))
    other_cofinancing = money(_("Other co-financing (MAD)"))
    other_cofinancing_source = forms.CharField(
        label=_("Source of the other co-financing"), max_length=255, required=False
    )
    expected_jobs = forms.IntegerField(label=_("Jobs expected"), min_value=0, initial=0)
    expected_members_reached = forms.IntegerField(label=_("Members reached"), min_value=0, initial=0)
    social_impact = forms.CharField(
        label=_("Social impact"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    environmental_impact = forms.CharField(
        label=_("Environmental impact"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    PLAN_FIELDS = ("total_cost", "amount_requested", "own_contribution", "other_cofinancing")
    DATA_FIELDS = (
        "title", "description", "sector", "total_cost", "amount_requested", "own_contribution",
        "other_cofinancing", "other_cofinancing_source", "expected_jobs", "expected_members_reached",
        "social_impact", "environmental_impact",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(parent__isnull=True).order_by("name_fr")
        for name in ("own_contribution", "other_cofinancing"):
            self.fields[name].initial = Decimal(0)

    @classmethod
    def initial_for(cls, proposal: Proposal) -> dict:
        initial = {name: getattr(proposal, name) for name in cls.DATA_FIELDS}
        initial["version"] = proposal.version
        return initial

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.DATA_FIELDS}


class BudgetLineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=BudgetLine.Category.choices)
    label = forms.CharField(label=_("Item"), max_length=255)
    amount = money(_("Amount (MAD)"))


BudgetLineFormSet = forms.formset_factory(BudgetLineForm, extra=0)


class ProposalDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ApplicationDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    file = forms.FileField(label=_("File"))


class CommitteeForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Committee members"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one committee member.")},
    )
    per_proposal = forms.IntegerField(
        label=_("Members scoring each proposal"), min_value=1, max_value=9, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = User.objects.filter(
            role__in=[Role.JUROR, Role.MANAGER], is_active=True
        ).order_by("full_name")


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is there a conflict of interest?"), widget=forms.Textarea(attrs={"rows": 2})
    )


# ---------------------------------------------------------------------------
# Allocation


class ComputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for this version"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OverrideForm(forms.Form):
    proposal = forms.ModelChoiceField(label=_("Project"), queryset=Proposal.objects.none())
    decision = forms.ChoiceField(
        label=_("Decision"), choices=AllocationOverride.Decision.choices, widget=forms.RadioSelect
    )
    amount = money(
        _("Amount granted (MAD)"),
        required=False,
        help_text=_("When funding: empty means the amount requested."),
    )
    reason = forms.CharField(
        label=_("Reason of the committee"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("The committee's reason is required.")},
    )

    def __init__(self, *args, proposals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = proposals
        self.fields["proposal"].label_from_instance = lambda proposal: (
            f"{proposal.application.cooperative.name} · {proposal.title}"
        )


# ---------------------------------------------------------------------------
# Agreements and follow-up


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(
        label=_("Implementation ends on"), required=False, widget=forms.DateInput(attrs=DATE)
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the termination"), widget=forms.Textarea(attrs={"rows": 2}))


class DisbursementForm(forms.Form):
    amount = money(_("Amount paid (MAD)"))
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs=DATE))
    payment_reference = forms.CharField(label=_("Payment reference"), max_length=64, required=False)


class ConditionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Condition"), choices=TrancheCondition.Kind.choices)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=255, required=False)
    name_ar = forms.CharField(
        label=_("Name (Arabic)"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}),
    )
    document_kind = forms.ChoiceField(
        label=_("Document"), choices=[("", "—"), *AgreementDocument.Kind.choices], required=False
    )
    milestone = forms.ModelChoiceField(label=_("Milestone"), queryset=None, required=False)

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones


class CheckConditionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=255)
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs=DATE))


class MilestoneNoteForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class FollowUpForm(forms.Form):
    reported_on = forms.DateField(label=_("Figures at"), widget=forms.DateInput(attrs=DATE))
    jobs_created = forms.IntegerField(label=_("Jobs created"), min_value=0)
    jobs_women = forms.IntegerField(label=_("Of which held by women"), min_value=0, initial=0)
    jobs_youth = forms.IntegerField(label=_("Of which held by young people"), min_value=0, initial=0)
    turnover = money(_("Turnover over the last 12 months (MAD)"), required=False)
    members_reached = forms.IntegerField(label=_("Members reached"), min_value=0, initial=0)
    note = forms.CharField(label=_("Observations"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ProjectDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementDocument.Kind.choices)
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)
    file = forms.FileField(label=_("File"))
    milestone = forms.ModelChoiceField(label=_("Milestone"), queryset=None, required=False)

    def __init__(self, *args, milestones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones
