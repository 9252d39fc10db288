"""The one permission policy of the platform.

Every page, API endpoint, export and query asks this module two questions:

* `visible(user, queryset)`: which records of a model the user may see at all. Records outside
  it do not exist for that user (pages and API answer 404).
* `check(user, action, obj)`: whether the user may do `action` on a record they can see; the
  answer carries a reason that is shown to them (403).

A model joins the policy by declaring, as class attributes, the path from itself to its
province and to its cooperative (`SCOPE_PROVINCE`, `SCOPE_COOPERATIVE`; None when it has none).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import ASSIGNED_ROLES, NATIONAL_ROLES, Assignment, Role


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
NOTHING = Q(pk__in=[])


def deny(reason) -> Decision:
    return Decision(False, str(reason))


def is_active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def role_of(user) -> str | None:
    if not is_active(user):
        return None
    if user.is_superuser:
        return Role.ADMIN
    return user.role


def is_national(user) -> bool:
    return role_of(user) in NATIONAL_ROLES


def delegation_province_ids(user):
    """The provinces a delegate follows, as a subquery (no query is run here)."""
    from mourafaka.territory.models import Province

    return Province.objects.filter(delegation_id=user.delegation_id).values("id")


def assigned_cooperative_ids(user):
    return Assignment.objects.filter(user=user, active=True).values("cooperative_id")


def scope_filter(
    user,
    *,
    province_path: str | None,
    cooperative_path: str | None,
    staff_path: str | None = None,
    model=None,
) -> Q:
    """The condition a record must meet to be visible to `user`. A field person (consultant, trainer,
    coach…) sees the records of the cooperatives assigned to them and, where the model names one
    (`staff_path`), the records they work on themselves (a trainer's sessions)."""
    role = role_of(user)
    if role is None:
        return NOTHING
    if role in NATIONAL_ROLES:
        return Q()
    if role == Role.DELEGATE:
        if province_path is None or user.delegation_id is None:
            return NOTHING
        return Q(**{f"{province_path}__in": delegation_province_ids(user)})
    if role in ASSIGNED_ROLES:
        own = NOTHING
        if staff_path:
            # A subquery, so that a record with several trainers is not listed once per trainer.
            own = Q(pk__in=model._default_manager.filter(**{staff_path: user}).values("pk"))
        if cooperative_path is None:
            return own
        return Q(**{f"{cooperative_path}__in": assigned_cooperative_ids(user)}) | own
    if role == Role.COOPERATIVE:
        if cooperative_path is None or user.cooperative_id is None:
            return NOTHING
        return Q(**{cooperative_path: user.cooperative_id})
    # Partner observers read aggregates (dashboards, reports), never individual records.
    return NOTHING


#: Extra conditions some models add to the scope of a role: {model label: function(user) -> Q}.
SCOPE_REFINEMENTS: dict[str, Callable[[Any], Q]] = {}
#: Models whose scope is not a path to a province or a cooperative: {model label: function(user) -> Q}.
SCOPE_FILTERS: dict[str, Callable[[Any], Q]] = {}


def visible(user, queryset: QuerySet) -> QuerySet:
    model = queryset.model
    if getattr(model, "SCOPE_SHARED", False):
        # Shared configuration (programmes, editions…): any signed-in user reads it.
        return queryset if is_active(user) else queryset.none()
    own_filter = SCOPE_FILTERS.get(model._meta.label)
    if own_filter is not None:
        return queryset.filter(own_filter(user) if is_active(user) else NOTHING)
    queryset = queryset.filter(
        scope_filter(
            user,
            province_path=getattr(model, "SCOPE_PROVINCE", None),
            cooperative_path=getattr(model, "SCOPE_COOPERATIVE", None),
            staff_path=getattr(model, "SCOPE_STAFF", None),
            model=model,
        )
    )
    refine = SCOPE_REFINEMENTS.get(model._meta.label)
    return queryset.filter(refine(user)) if refine else queryset


def can_see(user, obj) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def statistics_scope(user) -> Q | None:
    """Provinces whose aggregate figures a user may read: Q() for national, None for none."""
    role = role_of(user)
    if role in NATIONAL_ROLES or role == Role.OBSERVER:
        return Q()
    if role == Role.DELEGATE and user.delegation_id:
        return Q(province__in=delegation_province_ids(user))
    return None


# ---------------------------------------------------------------------------
# Actions: one rule per action, each returning a Decision with its reason.

Rule = Callable[[Any, Any], Decision]
RULES: dict[str, Rule] = {}

READ_ONLY = _("Your role can read this record but not change it.")
NOT_SIGNED_IN = _("Please sign in.")


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[action] = function
        return function

    return register


def check(user, action: str, obj: Any = None) -> Decision:
    if not is_active(user):
        return deny(NOT_SIGNED_IN)
    try:
        decide = RULES[action]
    except KeyError as error:
        raise KeyError(f"No rule for action {action!r}") from error
    return decide(user, obj)


def require(user, action: str, obj: Any = None) -> None:
    decision = check(user, action, obj)
    if not decision:
        raise PermissionDenied(decision.reason)


def manages_in_scope(user, obj) -> Decision:
    """Head office everywhere; a delegate within its delegation; nobody else."""
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE:
        if obj is None or can_see(user, obj):
            return ALLOW
        return deny(_("This record is outside your delegation."))
    return deny(READ_ONLY)


def head_office_only(user, obj) -> Decision:
    if role_of(user) in NATIONAL_ROLES:
        return ALLOW
    return deny(_("Only the head office can do this."))


@rule("cooperatives.add_cooperative")
def add_cooperative(user, obj) -> Decision:
    return manages_in_scope(user, None)


@rule("cooperatives.change_cooperative")
def change_cooperative(user, cooperative) -> Decision:
    if role_of(user) == Role.COOPERATIVE:
        if cooperative is not None and cooperative.pk == user.cooperative_id:
            return ALLOW
        return deny(READ_ONLY)
    return manages_in_scope(user, cooperative)


@rule("cooperatives.delete_cooperative")
def delete_cooperative(user, cooperative) -> Decision:
    return head_office_only(user, cooperative)


@rule("programmes.manage")
def manage_programmes(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("core.view_statistics")
def view_statistics(user, obj) -> Decision:
    if statistics_scope(user) is None:
        return deny(_("Your role does not give access to statistics."))
    return ALLOW


def _cooperative_of(obj):
    """The cooperative a record hangs off (itself for a cooperative)."""
    from mourafaka.cooperatives.models import Cooperative

    if obj is None or isinstance(obj, Cooperative):
        return obj
    return getattr(obj, "cooperative", None)


def manages_cooperative_content(user, obj) -> Decision:
    """Members and documents: head office, the delegate of the province, the cooperative itself."""
    if role_of(user) == Role.COOPERATIVE:
        cooperative = _cooperative_of(obj)
        if cooperative is not None and cooperative.pk == user.cooperative_id:
            return ALLOW
        return deny(READ_ONLY)
    return manages_in_scope(user, _cooperative_of(obj))


for _action in (
    "cooperatives.add_member",
    "cooperatives.change_member",
    "cooperatives.add_document",
    "cooperatives.delete_document",
):
    RULES[_action] = manages_cooperative_content


@rule("cooperatives.import")
def import_registry(user, obj) -> Decision:
    """Head office imports anywhere; a delegate imports rows of its delegation only (checked per row)."""
    return manages_in_scope(user, None)


@rule("cooperatives.review_duplicates")
def review_duplicates(user, obj) -> Decision:
    return manages_in_scope(
        user, _cooperative_of(obj) if obj is not None and not hasattr(obj, "kind") else None
    )


@rule("cooperatives.export_personal_data")
def export_personal_data(user, obj) -> Decision:
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return ALLOW
    return deny(_("Your role does not give access to personal data."))


# ---------------------------------------------------------------------------
# Personal data (law 09-08): which roles see national ID numbers and phone numbers in clear.

SEES_CIN = frozenset({Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.COOPERATIVE})
SEES_PHONE = SEES_CIN | {Role.CONSULTANT, Role.TRAINER, Role.COACH}


def sees_personal_field(user, field: str) -> bool:
    """Whether `user` may read `field` ("cin", "phone", "birth_date") of the records they can see."""
    role = role_of(user)
    if field == "cin":
        return role in SEES_CIN
    if field in ("phone", "birth_date"):
        return role in SEES_PHONE
    return True


# ---------------------------------------------------------------------------
# Calls for applications


@rule("calls.manage")
def manage_calls(user, obj) -> Decision:
    """Calls, eligibility runs, reviewer assignment, rankings and decisions belong to head office."""
    return head_office_only(user, obj)


@rule("calls.apply")
def apply_to_call(user, cooperative) -> Decision:
    """A cooperative applies through its representative, or staff apply on its behalf."""
    if role_of(user) == Role.COOPERATIVE:
        if cooperative is not None and cooperative.pk == user.cooperative_id:
            return ALLOW
        return deny(_("You can only apply for your own cooperative."))
    return manages_in_scope(user, cooperative)


@rule("calls.review")
def review_applications(user, obj) -> Decision:
    if role_of(user) in (Role.JUROR, Role.MANAGER, Role.ADMIN):
        return ALLOW
    return deny(_("Only jury and committee members score applications."))


@rule("calls.view_ranking")
def view_ranking(user, obj) -> Decision:
    """Head office reads whole rankings; a delegate reads the entries of its provinces."""
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return ALLOW
    return deny(_("Rankings are read by head office and the regional delegates."))


# ---------------------------------------------------------------------------
# Strategic diagnostics: the assigned consultant fills, the delegate of the province validates
# or returns, head office sees all, the cooperative sees its validated diagnostic, others nothing.


def diagnostic_scope(user, prefix: str = "") -> Q:
    """What narrows the usual scope for diagnostics (`prefix` reaches a diagnostic from a related model)."""
    role = role_of(user)
    if role == Role.CONSULTANT:
        return Q(**{f"{prefix}consultant": user})
    if role in (Role.COOPERATIVE, Role.COACH):
        # The cooperative and its coach (through its assignment) read the validated diagnostic and plans.
        return Q(**{f"{prefix}status": "validated"})
    if role in ASSIGNED_ROLES:
        return NOTHING
    return Q()


SCOPE_REFINEMENTS["diagnostics.Diagnostic"] = diagnostic_scope
SCOPE_REFINEMENTS["diagnostics.Answer"] = lambda user: diagnostic_scope(user, "diagnostic__")
SCOPE_REFINEMENTS["diagnostics.DiagnosticAttachment"] = lambda user: diagnostic_scope(user, "diagnostic__")


@rule("diagnostics.view")
def view_diagnostic(user, diagnostic) -> Decision:
    if diagnostic is None or can_see(user, diagnostic):
        return ALLOW
    return deny(_("This diagnostic is outside your scope."))


@rule("diagnostics.start")
def start_diagnostic(user, enrolment) -> Decision:
    """Head office or the delegate of the province opens a diagnostic and assigns its consultant."""
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE:
        if enrolment is None or can_see(user, enrolment):
            return ALLOW
        return deny(_("This record is outside your delegation."))
    return deny(_("Only head office and the regional delegates assign diagnostics."))


@rule("diagnostics.fill")
def fill_diagnostic(user, diagnostic) -> Decision:
    if role_of(user) == Role.CONSULTANT and diagnostic is not None and diagnostic.consultant_id == user.pk:
        return ALLOW
    return deny(_("Only the consultant assigned to this diagnostic fills it in."))


@rule("diagnostics.validate")
def validate_diagnostic(user, diagnostic) -> Decision:
    if role_of(user) == Role.DELEGATE and diagnostic is not None and can_see(user, diagnostic):
        return ALLOW
    return deny(_("Only the delegate of the province validates or returns a diagnostic."))


@rule("diagnostics.manage_templates")
def manage_questionnaire_templates(user, obj) -> Decision:
    """Questionnaire templates (spreadsheet export and import of versions) belong to head office."""
    return head_office_only(user, obj)


# Plans of a diagnostic (capacity-building and development): seen with their diagnostic (a coach or a
# trainer sees none for now), edited by its consultant, followed up by head office, the delegate and
# the consultant once validated.
SCOPE_REFINEMENTS["diagnostics.CapacityPlanItem"] = lambda user: diagnostic_scope(user, "diagnostic__")
SCOPE_REFINEMENTS["diagnostics.DevelopmentObjective"] = lambda user: diagnostic_scope(user, "diagnostic__")
SCOPE_REFINEMENTS["diagnostics.DevelopmentAction"] = lambda user: diagnostic_scope(
    user, "objective__diagnostic__"
)


def _plan_diagnostic(obj):
    """The diagnostic a plan record (item, objective, action) belongs to; the diagnostic itself."""
    if hasattr(obj, "objective"):
        return obj.objective.diagnostic
    return getattr(obj, "diagnostic", obj)


@rule("diagnostics.edit_plans")
def edit_diagnostic_plans(user, obj) -> Decision:
    """The assigned consultant (with no record yet: any consultant; the service checks the diagnostic)."""
    diagnostic = _plan_diagnostic(obj)
    if role_of(user) == Role.CONSULTANT and (diagnostic is None or diagnostic.consultant_id == user.pk):
        return ALLOW
    return deny(_("Only the consultant assigned to this diagnostic edits its plans."))


@rule("diagnostics.follow_plans")
def follow_diagnostic_plans(user, obj) -> Decision:
    """Progress of the development plan: head office, the delegate of the province, its consultant."""
    diagnostic = _plan_diagnostic(obj)
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE and diagnostic is not None and can_see(user, diagnostic):
        return ALLOW
    if role == Role.CONSULTANT and diagnostic is not None and diagnostic.consultant_id == user.pk:
        return ALLOW
    if (
        role == Role.COACH
        and diagnostic is not None
        and coaches_cooperative(user, diagnostic.enrolment.cooperative_id)
    ):
        return ALLOW
    return deny(
        _("Only head office, the delegate, the consultant and the coach record the progress of the plan.")
    )


# ---------------------------------------------------------------------------
# Group training: head office everywhere, the delegate for the sessions held in its delegation, the
# trainer for the sessions they run, the cooperative for its own members' invitations and
# certificates. Trainers' profiles are read by head office, the delegates of the regions they cover
# and the trainers themselves.


def trainer_scope(user) -> Q:
    from mourafaka.territory.models import Province
    from mourafaka.trainings.models import Trainer

    role = role_of(user)
    if role in NATIONAL_ROLES:
        return Q()
    if role == Role.DELEGATE and user.delegation_id:
        regions = Province.objects.filter(delegation_id=user.delegation_id).values("region_id")
        return Q(pk__in=Trainer.objects.filter(regions__in=regions).values("pk"))
    if role == Role.TRAINER:
        return Q(user=user)
    return NOTHING


SCOPE_FILTERS["trainings.Trainer"] = trainer_scope


def _session_of(obj):
    """The training session a record (session, day, participant, attendance, certificate) belongs to."""
    for path in ("registration", "day"):
        if hasattr(obj, f"{path}_id"):
            obj = getattr(obj, path)
    return getattr(obj, "session", obj)


def runs_session(user, obj) -> bool:
    session = _session_of(obj)
    return (
        role_of(user) == Role.TRAINER and session is not None and session.trainers.filter(user=user).exists()
    )


@rule("trainings.manage_catalogue")
def manage_training_catalogue(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("trainings.manage_trainers")
def manage_trainers(user, trainer) -> Decision:
    """Head office, or a delegate for the trainers covering its regions (a new one: any)."""
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE:
        if trainer is None or trainer.pk is None or can_see(user, trainer):
            return ALLOW
        return deny(_("This trainer does not cover your delegation."))
    return deny(_("Only head office and the regional delegates manage trainers."))


@rule("trainings.plan")
def plan_training_session(user, session) -> Decision:
    """Sessions and their invitations: head office, or the delegate where the session is held."""
    session = _session_of(session)
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE:
        if session is None or session.pk is None or can_see(user, session):
            return ALLOW
        return deny(_("This session is held outside your delegation."))
    return deny(_("Only head office and the regional delegates plan sessions and invitations."))


@rule("trainings.run")
def run_training_session(user, obj) -> Decision:
    """Attendance, evaluations and certificates: the session's trainers, or those who plan it."""
    if runs_session(user, obj):
        return ALLOW
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return plan_training_session(user, obj)
    return deny(_("Only the session's trainers and the staff who plan it record this."))


@rule("trainings.revoke_certificate")
def revoke_certificate(user, certificate) -> Decision:
    return plan_training_session(user, certificate)


@rule("trainings.answer_invitation")
def answer_invitation(user, registration) -> Decision:
    """A member's invitation is confirmed or declined by its cooperative's representative or by staff."""
    if role_of(user) == Role.COOPERATIVE:
        member = getattr(registration, "member", None)
        if member is not None and member.cooperative_id == user.cooperative_id:
            return ALLOW
        return deny(_("You can only answer for the members of your own cooperative."))
    return plan_training_session(user, registration)


# ---------------------------------------------------------------------------
# Individual coaching: head office and the delegate of the province organise engagements; the coach
# of a cooperative (active coaching assignment) writes its visit reports; its representative
# acknowledges them. Providers, contracts and deliverables: head office manages them, delegates read
# them, a provider's staff read their own provider's.


def coaches_cooperative(user, cooperative_id) -> bool:
    return Assignment.objects.filter(
        user=user, cooperative_id=cooperative_id, kind=Assignment.Kind.COACHING, active=True
    ).exists()


def _provider_scope(path: str):
    def scope(user) -> Q:
        from mourafaka.coaching.models import ProviderStaff

        role = role_of(user)
        if role in NATIONAL_ROLES or role == Role.DELEGATE:
            return Q()
        if role in ASSIGNED_ROLES:
            providers = ProviderStaff.objects.filter(user=user, active=True).values("provider_id")
            return Q(**{f"{path}__in": providers})
        return NOTHING

    return scope


SCOPE_FILTERS["coaching.Provider"] = _provider_scope("pk")
SCOPE_FILTERS["coaching.ProviderStaff"] = _provider_scope("provider")
SCOPE_FILTERS["coaching.Contract"] = _provider_scope("provider")
SCOPE_FILTERS["coaching.UnitPrice"] = _provider_scope("contract__provider")
SCOPE_FILTERS["coaching.Deliverable"] = _provider_scope("contract__provider")


def coach_profile_scope(user) -> Q:
    from mourafaka.coaching.models import Coach
    from mourafaka.territory.models import Province

    role = role_of(user)
    if role in NATIONAL_ROLES:
        return Q()
    if role == Role.DELEGATE and user.delegation_id:
        regions = Province.objects.filter(delegation_id=user.delegation_id).values("region_id")
        return Q(pk__in=Coach.objects.filter(regions__in=regions).values("pk"))
    if role == Role.COACH:
        return Q(user=user)
    return NOTHING


SCOPE_FILTERS["coaching.Coach"] = coach_profile_scope


@rule("coaching.manage_providers")
def manage_providers(user, obj) -> Decision:
    """Providers, their staff, contracts and unit prices; validating deliverables for payment."""
    return head_office_only(user, obj)


def _cooperative_of_coaching(obj):
    for path in ("visit", "engagement", "enrolment"):
        if obj is not None and hasattr(obj, f"{path}_id"):
            obj = getattr(obj, path)
    return getattr(obj, "cooperative", None) if obj is not None else None


@rule("coaching.organise")
def organise_coaching(user, obj) -> Decision:
    """Engagements, coach assignment and the visit plan: head office, the delegate of the province."""
    role = role_of(user)
    if role in NATIONAL_ROLES:
        return ALLOW
    if role == Role.DELEGATE:
        cooperative = _cooperative_of_coaching(obj)
        if cooperative is None or can_see(user, cooperative):
            return ALLOW
        return deny(_("This record is outside your delegation."))
    return deny(_("Only head office and the regional delegates organise coaching."))


@rule("coaching.report")
def write_visit_report(user, obj) -> Decision:
    """A visit report is written by the engagement's coach, while coaching the cooperative."""
    cooperative = _cooperative_of_coaching(obj)
    if role_of(user) == Role.COACH and cooperative is not None and coaches_cooperative(user, cooperative.pk):
        return ALLOW
    return deny(_("Only the coach of this cooperative writes its visit reports."))


@rule("coaching.acknowledge")
def acknowledge_visit(user, obj) -> Decision:
    cooperative = _cooperative_of_coaching(obj)
    if (
        role_of(user) == Role.COOPERATIVE
        and cooperative is not None
        and cooperative.pk == user.cooperative_id
    ):
        return ALLOW
    return deny(_("Only the cooperative's representative acknowledges a visit."))


# ---------------------------------------------------------------------------
# Project financing: head office runs the round (settings, eligibility, committee, allocation,
# agreements, payments); a beneficiary drafts its proposal with its coach (or staff on its behalf);
# the committee scores (calls.review); the coach confirms milestones on the ground; the
# cooperative, its coach and the delegation record follow-up figures.


def _cooperative_of_financing(obj):
    """The cooperative behind a cooperative, proposal, agreement, milestone or tranche."""
    for path in ("tranche", "milestone", "agreement", "proposal", "application"):
        if obj is not None and getattr(obj, f"{path}_id", None) is not None:
            obj = getattr(obj, path)
    if obj is not None and hasattr(obj, "cooperative_id") and not hasattr(obj, "registration_number"):
        return obj.cooperative
    return obj


def _financing_field_work(user, obj, *, cooperative_may: bool, denial) -> Decision:
    cooperative = _cooperative_of_financing(obj)
    role = role_of(user)
    if role == Role.COOPERATIVE and cooperative_may:
        if cooperative is not None and cooperative.pk == user.cooperative_id:
            return ALLOW
        return deny(_("You can only act for your own cooperative."))
    if role == Role.COACH:
        if cooperative is not None and coaches_cooperative(user, cooperative.pk):
            return ALLOW
        return deny(denial)
    if role in NATIONAL_ROLES or role == Role.DELEGATE:
        return manages_in_scope(user, cooperative)
    return deny(denial)


@rule("financing.manage")
def manage_financing(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("financing.propose")
def propose_project(user, obj) -> Decision:
    """A proposal is written by the cooperative's representative, its coach, or staff in scope."""
    return _financing_field_work(
        user,
        obj,
        cooperative_may=True,
        denial=_("Only the cooperative, its coach or its delegation prepare its proposal."),
    )


@rule("financing.view_allocation")
def view_allocation(user, obj) -> Decision:
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return ALLOW
    return deny(_("Allocations are read by head office and the regional delegates."))


@rule("financing.confirm_milestone")
def confirm_milestone(user, obj) -> Decision:
    """The coach of the cooperative confirms a milestone on the ground; head office and the
    delegation may too."""
    return _financing_field_work(
        user,
        obj,
        cooperative_may=False,
        denial=_("Only the coach of this cooperative confirms its milestones."),
    )


@rule("financing.follow_up")
def follow_up_project(user, obj) -> Decision:
    """Implementation news (milestones reported done, figures, photos): the cooperative, its coach,
    its delegation, head office."""
    return _financing_field_work(
        user,
        obj,
        cooperative_may=True,
        denial=_("Only the cooperative, its coach or its delegation follow this project."),
    )


@rule("financing.disburse")
def disburse(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("financing.plan_milestones")
def plan_milestones(user, obj) -> Decision:
    """A project's milestones are planned by head office or the delegation of its province."""
    return manages_in_scope(user, _cooperative_of_financing(obj))


# ---------------------------------------------------------------------------
# Indicators, dashboards and reports: figures are read by head office, the delegates (their
# delegation's provinces) and partner observers; the records behind a figure never by observers.


def covers_region(user, region) -> bool:
    """Whether a delegate's delegation holds at least one province of `region`."""
    from mourafaka.territory.models import Province

    if role_of(user) != Role.DELEGATE or user.delegation_id is None or region is None:
        return False
    return Province.objects.filter(delegation_id=user.delegation_id, region=region).exists()


@rule("indicators.view")
def view_indicators(user, obj) -> Decision:
    if role_of(user) in NATIONAL_ROLES or role_of(user) in (Role.DELEGATE, Role.OBSERVER):
        return ALLOW
    return deny(_("Dashboards and reports are read by head office, the delegations and partners."))


@rule("indicators.view_records")
def view_indicator_records(user, obj) -> Decision:
    if role_of(user) == Role.OBSERVER:
        return deny(_("Partner observers read the figures, not the records of people and cooperatives."))
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return ALLOW
    return deny(_("Dashboards and reports are read by head office, the delegations and partners."))


@rule("indicators.manage")
def manage_indicators(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("indicators.validate_region")
def validate_region_figures(user, region) -> Decision:
    """A region's monthly figures are validated by a delegate covering it, or by head office on its
    behalf (the validation records who)."""
    if role_of(user) in NATIONAL_ROLES or covers_region(user, region):
        return ALLOW
    return deny(_("Only the delegation of this region validates its figures."))


@rule("indicators.validate_national")
def validate_national_figures(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("indicators.generate_report")
def generate_report(user, obj) -> Decision:
    if role_of(user) in NATIONAL_ROLES or role_of(user) == Role.DELEGATE:
        return ALLOW
    return deny(_("Reports are generated by head office and the delegations."))


@rule("indicators.record_performance")
def record_performance(user, obj) -> Decision:
    """Performance figures of a cooperative: head office, or the delegation of its province."""
    cooperative = getattr(obj, "cooperative", obj)
    return manages_in_scope(user, cooperative)


# ---------------------------------------------------------------------------
# Steering committee: head office runs it; delegates and partner observers read it; the owner of an
# action item reports its progress.

STEERING_READERS = frozenset({Role.ADMIN, Role.MANAGER, Role.DELEGATE, Role.OBSERVER})


def steering_scope(user) -> Q:
    return Q() if role_of(user) in STEERING_READERS else NOTHING


def action_item_scope(user) -> Q:
    """Readers of the committee see every action; anyone else sees the actions they own."""
    return Q() if role_of(user) in STEERING_READERS else Q(owner=user)


for _label in ("steering.Meeting", "steering.AgendaItem", "steering.Attendee", "steering.Decision"):
    SCOPE_FILTERS[_label] = steering_scope
SCOPE_FILTERS["steering.ActionItem"] = action_item_scope


@rule("steering.view")
def view_steering(user, obj) -> Decision:
    if role_of(user) in STEERING_READERS:
        return ALLOW
    return deny(_("The steering committee's work is read by head office, the delegations and partners."))


@rule("steering.manage")
def manage_steering(user, obj) -> Decision:
    return head_office_only(user, obj)


@rule("steering.update_action")
def update_action_item(user, action) -> Decision:
    """An action item is updated by head office or by its owner."""
    if role_of(user) in NATIONAL_ROLES:
        return ALLOW
    if action is not None and action.owner_id == user.pk:
        return ALLOW
    return deny(_("Only head office or the owner of this action update it."))
