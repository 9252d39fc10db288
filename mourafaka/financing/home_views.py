"""The financing home page for each role, the late milestones, and the helpers the financing pages
share (who may open them, how a service's refusal is shown)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

from . import followup
from .models import Agreement, Disbursement, Milestone, Proposal, Round

OFFICE = (*policy.NATIONAL_ROLES, Role.DELEGATE)
#: Roles that take part in financing rounds (observers read aggregates only: the results page).
PARTICIPANTS = (*OFFICE, Role.COACH, Role.COOPERATIVE, Role.JUROR)
FIELD = (*OFFICE, Role.COACH, Role.COOPERATIVE)


def require_role(user, roles) -> None:
    if policy.role_of(user) not in roles:
        raise PermissionDenied(_("Your role does not give access to project financing."))


def add_refusal(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: on the field it names when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        form.add_error(None, error)


def refusal_messages(request, refusal) -> None:
    for message in getattr(refusal, "messages", None) or [str(refusal)]:
        messages.error(request, message)


def form_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def open_rounds(at=None):
    at = at or timezone.now()
    return Round.objects.select_related("call").filter(call__opens_at__lte=at, call__closes_at__gt=at)


@login_required
def home(request):
    role = policy.role_of(request.user)
    if role in OFFICE:
        return office_home(request)
    if role == Role.COACH:
        return coach_home(request)
    if role == Role.COOPERATIVE:
        return cooperative_home(request)
    if role == Role.JUROR:
        return juror_home(request)
    raise PermissionDenied(_("Your role does not give access to project financing."))


def office_home(request):
    """Every round with its figures (the proposals and agreements the user sees)."""
    user = request.user
    rounds = list(Round.objects.select_related("call__edition__programme").order_by("-call__opens_at"))
    per_status: dict = {}
    for round_id, status, count, amount in (
        Proposal.objects.visible_to(user)
        .exclude(status=Proposal.Status.DRAFT)
        .values_list("application__call__financing_round", "status")
        .annotate(count=Count("pk"), amount=Sum("amount_requested"))
        .order_by()
    ):
        row = per_status.setdefault(round_id, {"proposals": 0, "requested": 0, "funded": 0})
        row["proposals"] += count
        row["requested"] += amount or 0
        if status == Proposal.Status.FUNDED:
            row["funded"] += count
    granted = dict(
        Agreement.objects.visible_to(user)
        .values_list("allocation__round")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    paid = dict(
        Disbursement.objects.visible_to(user)
        .values_list("agreement__allocation__round")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    now = timezone.now()
    for round in rounds:
        figures = per_status.get(round.pk, {"proposals": 0, "requested": 0, "funded": 0})
        round.figures = {**figures, "granted": granted.get(round.pk, 0), "paid": paid.get(round.pk, 0)}
        round.is_open = round.call.opens_at <= now < round.call.closes_at
    context = {
        "rounds": rounds,
        "can_manage": policy.check(user, "financing.manage"),
        "late_count": followup.late_milestones(user, at=timezone.localdate()).count(),
    }
    return render(request, "financing/home_office.html", context)


def coach_home(request):
    """The proposals of the cooperatives the coach follows and the milestones waiting for them."""
    user = request.user
    proposals = (
        Proposal.objects.visible_to(user)
        .select_related("application__cooperative", "application__call")
        .order_by("-application__call__opens_at", "application__cooperative__name_fr")
    )
    to_confirm = (
        Milestone.objects.visible_to(user)
        .filter(confirmed_at__isnull=True, agreement__status=Agreement.Status.SIGNED)
        .select_related("agreement__proposal__application__cooperative")
        .order_by("due_on", "pk")
    )
    context = {
        "proposals": proposals,
        "to_confirm": to_confirm,
        "rounds": open_rounds(),
        "today": timezone.localdate(),
    }
    return render(request, "financing/home_coach.html", context)


def cooperative_home(request):
    user = request.user
    proposals = (
        Proposal.objects.visible_to(user)
        .select_related("application__call")
        .order_by("-application__call__opens_at")
    )
    agreements = (
        Agreement.objects.visible_to(user)
        .select_related("proposal")
        .annotate(paid=Sum("disbursements__amount"))
    )
    proposed = {proposal.application.call_id for proposal in proposals}
    rounds = [round for round in open_rounds() if round.call_id not in proposed]
    context = {"proposals": proposals, "agreements": agreements, "rounds": rounds}
    return render(request, "financing/home_cooperative.html", context)


def juror_home(request):
    """The rounds where the committee member has proposals to score."""
    rounds = (
        Round.objects.filter(call__applications__reviewer_assignments__reviewer=request.user)
        .select_related("call")
        .annotate(
            assigned=Count(
                "call__applications__reviewer_assignments",
                filter=Q(call__applications__reviewer_assignments__reviewer=request.user),
            )
        )
        .order_by("-call__opens_at")
    )
    return render(request, "financing/home_juror.html", {"rounds": rounds})


@login_required
def late(request):
    require_role(request.user, FIELD)
    today = timezone.localdate()
    milestones = (
        followup.late_milestones(request.user, at=today)
        .select_related(
            "agreement__proposal__application__cooperative__province",
            "agreement__allocation__round",
        )
        .order_by("due_on", "pk")
    )
    return render(request, "financing/late.html", {"milestones": milestones, "today": today})
