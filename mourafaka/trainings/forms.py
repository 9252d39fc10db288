"""Forms of the training pages. They turn what is typed into values; the rules live in the services."""

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role, User
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Province, Region

from .models import Module, Session, Trainer

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str | None) -> dt.date | None:
    """ "2026-12" → 1 December 2026; anything else → None."""
    match = MONTH_PATTERN.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return dt.date(year, month, 1)


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the phone's month picker sends that), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-12", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": _("Give the month as YYYY-MM, for example 2026-12.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


def regions_for(user):
    """Regions a user plans in: all for head office, those of its delegation's provinces for a delegate."""
    regions = Region.objects.order_by("code")
    if policy.role_of(user) == Role.DELEGATE:
        return regions.filter(provinces__delegation_id=user.delegation_id).distinct()
    return regions


def provinces_for(user):
    provinces = Province.objects.select_related("region").order_by("region__code", "code")
    if policy.role_of(user) == Role.DELEGATE:
        return provinces.filter(delegation_id=user.delegation_id)
    return provinces


class ProvinceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.region.name})"


class TrainersField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.organisation}" if obj.organisation else obj.full_name


# ---------------------------------------------------------------------------
# Filters


class ModuleFilterForm(forms.Form):
    theme = forms.ChoiceField(
        label=_("Theme"), required=False, choices=[("", _("All themes")), *Module.Theme.choices]
    )
    audience = forms.ChoiceField(
        label=_("Audience"), required=False, choices=[("", _("All audiences")), *Module.Audience.choices]
    )


class TrainerFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Region"),
        required=False,
        queryset=Region.objects.order_by("code"),
        empty_label=_("All regions"),
    )
    module = forms.ModelChoiceField(
        label=_("Module"), required=False, queryset=Module.objects.all(), empty_label=_("All modules")
    )


class SessionFilterForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.none(), empty_label=_("All regions")
    )
    module = forms.ModelChoiceField(
        label=_("Module"), required=False, queryset=Module.objects.all(), empty_label=_("All modules")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Session.Status.choices]
    )
    month = MonthField(label=_("Month"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)


class CalendarForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.none(), empty_label=_("All regions")
    )
    month = MonthField(label=_("Month"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)


# ---------------------------------------------------------------------------
# Trainers


class TrainerForm(forms.ModelForm):
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions covered"),
        queryset=Region.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one region the trainer covers.")},
    )
    modules = forms.ModelMultipleChoiceField(
        label=_("Qualified for"),
        queryset=Module.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Trainer
        fields = [
            "user",
            "full_name",
            "organisation",
            "phone",
            "email",
            "sex",
            "regions",
            "modules",
            "bio",
            "active",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4}), "phone": forms.TextInput(attrs={"type": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        free = ~Q(trainer_profile__isnull=False)
        if self.instance.user_id:
            free |= Q(pk=self.instance.user_id)
        self.fields["user"].queryset = User.objects.filter(free, role=Role.TRAINER, is_active=True)
        self.fields["user"].required = False
        self.fields["user"].help_text = _(
            "The platform account of a trainer who signs in to take attendance."
        )


# ---------------------------------------------------------------------------
# Sessions


class SessionForm(forms.Form):
    module = forms.ModelChoiceField(label=_("Module"), queryset=Module.objects.filter(active=True))
    edition = forms.ModelChoiceField(
        label=_("Edition"),
        queryset=Edition.objects.select_related("programme"),
        required=False,
        help_text=_("The programme edition whose beneficiaries are invited."),
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    province = ProvinceChoiceField(label=_("Province of the venue"), queryset=Province.objects.none())
    venue = forms.CharField(label=_("Venue"), max_length=255)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=500)
    members_per_cooperative = forms.IntegerField(
        label=_("Members invited per cooperative"),
        min_value=1,
        max_value=3,
        required=False,
        help_text=_("Leave empty to use the edition's setting."),
    )
    completion_rate = forms.IntegerField(
        label=_("Attendance needed to complete (%)"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Share of the days a participant must attend. Leave empty to use the edition's setting."),
    )
    trainers = TrainersField(label=_("Trainers"), queryset=Trainer.objects.none(), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user)
        self.fields["province"].queryset = provinces_for(user)
        self.fields["trainers"].queryset = Trainer.objects.visible_to(user).filter(active=True)

    @staticmethod
    def initial_new() -> dict:
        """A new session belongs to the edition running today, when there is one."""
        today = timezone.localdate()
        running = (
            Edition.objects.filter(starts_on__lte=today)
            .filter(Q(ends_on__gte=today) | Q(ends_on__isnull=True))
            .order_by("-starts_on")
            .first()
        )
        return {"edition": running.pk if running else None}

    @staticmethod
    def initial_for(session: Session) -> dict:
        return {
            "module": session.module_id,
            "edition": session.edition_id,
            "region": session.region_id,
            "province": session.province_id,
            "venue": session.venue,
            "capacity": session.capacity,
            "members_per_cooperative": session.members_per_cooperative,
            "completion_rate": int(session.completion_rate * 100),
            "trainers": [trainer.pk for trainer in session.trainers.all()],
            "notes": session.notes,
        }

    def service_fields(self) -> dict:
        """The cleaned values as the services take them (rate as a share, empty settings left out)."""
        data = dict(self.cleaned_data)
        rate = data.pop("completion_rate")
        if rate is not None:
            data["completion_rate"] = Decimal(rate) / 100
        if data.get("members_per_cooperative") is None:
            data.pop("members_per_cooperative", None)
        return data


class DayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts_at = forms.TimeField(
        label=_("From"), initial=dt.time(9, 0), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends_at = forms.TimeField(
        label=_("To"), initial=dt.time(16, 0), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class BaseDayFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.days():
            raise forms.ValidationError(_("Give at least one day."))

    def days(self) -> list[tuple[dt.date, dt.time, dt.time]]:
        """The rows filled in and not ticked for removal, in date order."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("date"):
                continue
            rows.append((data["date"], data["starts_at"], data["ends_at"]))
        return sorted(rows)


DayFormSet = forms.formset_factory(DayForm, formset=BaseDayFormSet, extra=0, can_delete=True)


def day_initial(session: Session | None) -> list[dict]:
    if session is None:
        return [{"starts_at": dt.time(9, 0), "ends_at": dt.time(16, 0)}]
    return [
        {"date": day.date, "starts_at": day.starts_at, "ends_at": day.ends_at} for day in session.days.all()
    ]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Session.Status.choices)


# ---------------------------------------------------------------------------
# Participants


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name, CIN or phone"), required=False, max_length=100)


class AddMemberForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)


class AddTrainerForm(forms.Form):
    trainer = forms.ModelChoiceField(label=_("Trainer"), queryset=Trainer.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = Trainer.objects.visible_to(user).filter(active=True)


def staff_users_for(user):
    """Office staff a user may put on a staff session: head office picks anyone, a delegate its own."""
    staff = User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.MANAGER, Role.DELEGATE])
    if policy.role_of(user) == Role.DELEGATE:
        return staff.filter(delegation_id=user.delegation_id)
    return staff


class AddStaffForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("Staff member"), queryset=User.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_users_for(user)


class AnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Will attend")), ("no", _("Will not attend"))],
        coerce=lambda value: value == "yes",
    )


class CountsForm(forms.Form):
    edition = forms.ModelChoiceField(
        label=_("Edition"), required=False, queryset=Edition.objects.all(), empty_label=_("All editions")
    )
    region = forms.ModelChoiceField(
        label=_("Region"), required=False, queryset=Region.objects.none(), empty_label=_("Whole country")
    )
    since = forms.DateField(
        label=_("Sessions ending from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.delegate = policy.role_of(user) == Role.DELEGATE
        self.fields["region"].queryset = regions_for(user)
        if self.delegate:
            # A delegate reads one region of its delegation at a time (the first one unless chosen).
            self.fields["region"].required = True
            self.fields["region"].empty_label = None

    def busiest_region(self):
        """The delegate's region where most of its sessions are held (its first region without any)."""
        regions = self.fields["region"].queryset
        busiest = (
            Session.objects.visible_to(self.user)
            .filter(region__in=regions)
            .values("region")
            .annotate(sessions=Count("pk"))
            .order_by("-sessions", "region")
            .first()
        )
        return regions.filter(pk=busiest["region"]).first() if busiest else regions.first()

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        region = data.get("region")
        if region is None and self.delegate:
            region = self.busiest_region()
        return {
            "edition": data.get("edition"),
            "region": region,
            "since": data.get("since"),
            "until": data.get("until"),
        }


# ---------------------------------------------------------------------------
# Evaluations and certificates


class ScoresForm(forms.Form):
    pre = forms.DecimalField(
        label=_("Pre-test"), min_value=0, max_value=100, decimal_places=2, required=False,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )  # fmt: skip
    post = forms.DecimalField(
        label=_("Post-test"), min_value=0, max_value=100, decimal_places=2, required=False,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )  # fmt: skip


LANGUAGES = [("fr", _("French")), ("ar", _("Arabic"))]


class IssueForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the certificates"), choices=LANGUAGES, initial="fr")


def satisfaction_form_class(template):
    """A form with one field per question of the satisfaction questionnaire; the raw values go to the
    service, which checks them with the diagnostic's answer rules."""
    from mourafaka.diagnostics.models import Question

    fields = {}
    for question in template.questions.order_by("axis__order", "order", "code"):
        fields[question.code] = _question_field(question, Question)
    return type("SatisfactionForm", (forms.Form,), fields)


def _question_field(question, Question):
    label, required = question.text, False
    if question.type == Question.Type.YES_NO:
        return forms.ChoiceField(
            label=label,
            required=required,
            widget=forms.RadioSelect,
            choices=[("yes", _("Yes")), ("no", _("No"))],
        )
    if question.type == Question.Type.SCALE_0_4:
        return forms.ChoiceField(
            label=label,
            required=required,
            widget=forms.RadioSelect,
            choices=[(str(n), str(n)) for n in range(5)],
        )
    if question.type == Question.Type.SINGLE_CHOICE:
        return forms.ChoiceField(
            label=label, required=required, widget=forms.RadioSelect, choices=question.choice_labels()
        )
    if question.type == Question.Type.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            widget=forms.CheckboxSelectMultiple,
            choices=question.choice_labels(),
        )
    if question.type == Question.Type.NUMBER:
        return forms.CharField(
            label=label, required=required, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 2}))
