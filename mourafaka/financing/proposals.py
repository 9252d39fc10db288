"""Project proposals: drafting with the budget and financing plan, documents, submission.

The facts the eligibility engine reads from a proposal (`proposal_facts`) live here too.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from auditlog.context import set_actor
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.calls.models import Application, ApplicationDocument, Call
from mourafaka.cooperatives.documents import check_document_file
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.core.files import delete_with_file, save_with_file
from mourafaka.core.notifications import notify
from mourafaka.programmes.models import Enrolment

from .models import Allocation, BudgetLine, Proposal, Round
from .rounds import money

PROPOSAL_ITEM_CODES = ("description", "budget_lines", "impact", "business_plan", "quote")


def missing_items(*, proposal: Proposal, has_lines: bool, document_kinds: set[str]) -> tuple[str, ...]:
    """Codes of eligibility.PROPOSAL_ITEMS the proposal lacks, in that order."""
    missing = []
    if not proposal.description.strip():
        missing.append("description")
    if not has_lines:
        missing.append("budget_lines")
    if not proposal.social_impact.strip():
        missing.append("impact")
    if ApplicationDocument.Kind.BUSINESS_PLAN not in document_kinds:
        missing.append("business_plan")
    if ApplicationDocument.Kind.QUOTE not in document_kinds:
        missing.append("quote")
    return tuple(missing)


def proposal_facts(applications, call) -> dict[int, dict]:
    """{application pk: eligibility facts of its proposal} in four queries, for run_eligibility."""
    application_ids = [application.pk for application in applications]
    proposals = {
        proposal.application_id: proposal
        for proposal in Proposal.objects.filter(application_id__in=application_ids)
    }
    with_lines = set(
        BudgetLine.objects.filter(proposal__in=proposals.values()).values_list("proposal_id", flat=True)
    )
    kinds = defaultdict(set)
    for application_id, kind in ApplicationDocument.objects.filter(
        application_id__in=application_ids
    ).values_list("application_id", "kind"):
        kinds[application_id].add(kind)
    beneficiaries = set(
        Enrolment.objects.filter(
            edition_id=call.edition_id,
            cooperative_id__in=[application.cooperative_id for application in applications],
            status=Enrolment.Status.ACTIVE,
        ).values_list("cooperative_id", flat=True)
    )
    facts = {}
    for application in applications:
        proposal = proposals.get(application.pk)
        beneficiary = application.cooperative_id in beneficiaries
        if proposal is None:  # applied through the generic call form: nothing of a proposal yet
            facts[application.pk] = {"beneficiary": beneficiary, "missing_items": tuple(PROPOSAL_ITEM_CODES)}
            continue
        facts[application.pk] = {
            "beneficiary": beneficiary,
            "amount_requested": proposal.amount_requested,
            "total_cost": proposal.total_cost,
            "cofinancing": proposal.cofinancing,
            "missing_items": missing_items(
                proposal=proposal, has_lines=proposal.pk in with_lines, document_kinds=kinds[application.pk]
            ),
        }
    return facts


# ---------------------------------------------------------------------------
# Drafting, documents, submission

MONEY_FIELDS = ("total_cost", "amount_requested", "own_contribution", "other_cofinancing")
COUNT_FIELDS = ("expected_jobs", "expected_members_reached")
TEXT_FIELDS = ("title", "description", "other_cofinancing_source", "social_impact", "environmental_impact")
PROPOSAL_FIELDS = (*TEXT_FIELDS, "sector", *MONEY_FIELDS, *COUNT_FIELDS)
CENT = Decimal("0.01")


def _refuse(message, **params):
    raise ValidationError(message, params=params or None)


def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pages not wired yet
        return ""


def round_of(call: Call) -> Round:
    """The financing round of a call, or a refusal."""
    round = None
    if call is not None and call.pk is not None and call.kind == Call.Kind.FINANCING:
        round = Round.objects.filter(call_id=call.pk).select_related("call__edition").first()
    if round is None:
        _refuse(_("This call is not a financing round."))
    return round


def _require_open(call: Call, at: dt.datetime) -> None:
    if at < call.opens_at:
        _refuse(_("This round opens on %(date)s."), date=timezone.localtime(call.opens_at).date())
    if at >= call.closes_at:
        _refuse(_("This round closed on %(date)s."), date=timezone.localtime(call.closes_at).date())


def _require_region(call: Call, cooperative) -> None:
    if not call.regions.filter(pk=cooperative.region_id).exists():
        _refuse(_("This round is not open to the region %(region)s."), region=cooperative.region.name)


def _locked(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__cooperative__region")
        .get(pk=proposal.pk)
    )


def _require_draft(proposal: Proposal, message=None) -> None:
    if proposal.status != Proposal.Status.DRAFT:
        _refuse(
            message or _("This proposal is %(status)s: it can no longer change."),
            status=proposal.get_status_display().lower(),
        )


def _frozen(round: Round) -> bool:
    return round.allocations.filter(status=Allocation.Status.FROZEN).exists()


class _Errors:
    """Field errors gathered while reading a form's data, raised together."""

    def __init__(self):
        self.errors: dict[str, list] = defaultdict(list)

    def add(self, key: str, message, /, **params) -> None:
        self.errors[key].append(ValidationError(message, params=params or None))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(dict(self.errors))


def _amount(value, field: str, errors: _Errors, label) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return Decimal(0)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.add(field, _("%(field)s: give an amount in MAD."), field=label)
        return None
    if number < 0:
        errors.add(field, _("%(field)s cannot be below zero."), field=label)
        return None
    if number != number.quantize(CENT):
        errors.add(field, _("%(field)s: amounts are in dirhams and centimes."), field=label)
        return None
    return number.quantize(CENT)


def _count(value, field: str, errors: _Errors, label) -> int | None:
    if value is None or str(value).strip() == "":
        return 0
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        errors.add(field, _("%(field)s must be a whole number, zero or more."), field=label)
        return None
    return number


def _clean_lines(lines: list[dict], errors: _Errors) -> list[BudgetLine]:
    categories = set(BudgetLine.Category.values)
    cleaned = []
    for number, line in enumerate(lines, start=1):
        category = line.get("category") or BudgetLine.Category.OTHER
        label = str(line.get("label") or "").strip()
        if category not in categories:
            errors.add(NON_FIELD_ERRORS, _("Budget line %(number)s: unknown category."), number=number)
        if not label:
            errors.add(NON_FIELD_ERRORS, _("Budget line %(number)s: say what it pays for."), number=number)
        amount = _amount(
            line.get("amount"), NON_FIELD_ERRORS, errors, _("Budget line %(number)s") % {"number": number}
        )
        if amount is not None:
            cleaned.append(BudgetLine(category=category, label=label[:255], amount=amount, order=number - 1))
    return cleaned


def _check_lines(lines_total: Decimal, total_cost: Decimal, errors: _Errors) -> None:
    if lines_total != total_cost:
        errors.add(
            NON_FIELD_ERRORS,
            _("The budget lines add up to %(lines)s MAD, not the total cost of %(total)s MAD."),
            lines=money(lines_total),
            total=money(total_cost),
        )


def _check_amounts(round: Round, values: dict, errors: _Errors) -> None:
    requested, total = values["amount_requested"], values["total_cost"]
    if requested is None or total is None:
        return
    if requested > round.ceiling:
        errors.add(
            "amount_requested",
            _("The amount requested, %(amount)s MAD, is above the round's ceiling of %(ceiling)s MAD."),
            amount=money(requested),
            ceiling=money(round.ceiling),
        )
    elif requested > total:
        errors.add(
            "amount_requested",
            _("The amount requested, %(amount)s MAD, is more than the total cost of %(total)s MAD."),
            amount=money(requested),
            total=money(total),
        )


@transaction.atomic
def save_proposal(
    *,
    call: Call,
    cooperative,
    by,
    data: dict,
    lines: list[dict] | None = None,
    proposal: Proposal | None = None,
    version: int | None = None,
) -> Proposal:
    """Create a draft proposal (and its application) or change a draft.

    `data` holds Proposal fields (PROPOSAL_FIELDS; those left out keep their value); `lines`, when
    given, replaces the budget lines ([{"category", "label", "amount"}]); `version` is the version
    the editor loaded: a proposal changed since then is refused. A withdrawn proposal of the same
    cooperative is taken up again as a draft.
    """
    policy.require(by, "financing.propose", cooperative)
    round = round_of(call)
    call = round.call
    _require_open(call, timezone.now())
    _require_region(call, cooperative)
    unknown = sorted(set(data) - set(PROPOSAL_FIELDS))
    if unknown:
        _refuse(_("Unknown fields of a proposal: %(fields)s."), fields=", ".join(unknown))

    application = None
    if proposal is None:
        application = (
            Application.objects.select_for_update().filter(call=call, cooperative=cooperative).first()
        )
        if application is not None and application.status != Application.Status.WITHDRAWN:
            _refuse(_("%(cooperative)s already has a proposal in this round."), cooperative=cooperative.name)
        if application is not None:
            proposal = Proposal.objects.select_for_update().filter(application=application).first()
    else:
        proposal = _locked(proposal)
        application = proposal.application
        if application.call_id != call.pk or application.cooperative_id != cooperative.pk:
            _refuse(_("This proposal belongs to another round or another cooperative."))
        if version is not None and str(version) != str(proposal.version):
            _refuse(
                _("This proposal was changed by someone else since you opened it (version %(current)s, "
                  "you had %(loaded)s): open it again and redo your changes."),
                current=proposal.version,
                loaded=version,
            )  # fmt: skip
        _require_draft(proposal)

    errors = _Errors()
    labels = {name: capfirst(Proposal._meta.get_field(name).verbose_name) for name in PROPOSAL_FIELDS}
    values = {name: getattr(proposal, name) for name in PROPOSAL_FIELDS} if proposal is not None else {}
    for name in PROPOSAL_FIELDS:
        if name not in data and name in values:
            continue
        value = data.get(name)
        if name in MONEY_FIELDS:
            values[name] = _amount(value, name, errors, labels[name])
        elif name in COUNT_FIELDS:
            values[name] = _count(value, name, errors, labels[name])
        elif name == "sector":
            values[name] = value or None
        else:
            values[name] = str(value or "").strip()
    if not values["title"]:
        errors.add("title", _("Give the project a title."))
    _check_amounts(round, values, errors)
    if lines is not None:
        new_lines = _clean_lines(lines, errors)
        lines_total = sum((line.amount for line in new_lines), Decimal(0))
        has_lines = bool(lines)
    else:
        new_lines = None
        existing = (
            list(proposal.budget_lines.values_list("amount", flat=True)) if proposal is not None else []
        )
        lines_total, has_lines = sum(existing, Decimal(0)), bool(existing)
    if has_lines and values["total_cost"] is not None:
        _check_lines(lines_total, values["total_cost"], errors)
    errors.raise_any()

    summary = values["description"] or values["title"]
    with set_actor(by):
        if application is None:
            application = Application.objects.create(
                call=call, cooperative=cooperative, status=Application.Status.DRAFT, project_summary=summary
            )
        else:
            application.status = Application.Status.DRAFT
            application.project_summary = summary
            application.submitted_at = application.submitted_by = application.eligible = None
            application.save()
        if proposal is None:
            proposal = Proposal(application=application, version=0)
        for name, value in values.items():
            setattr(proposal, name, value)
        proposal.status = Proposal.Status.DRAFT
        proposal.version += 1
        proposal.enrolment = Enrolment.objects.filter(
            edition_id=call.edition_id, cooperative=cooperative, status=Enrolment.Status.ACTIVE
        ).first()
        if policy.role_of(by) == Role.COACH:
            proposal.prepared_with = by
        proposal.full_clean(exclude=["application", "enrolment", "prepared_with", "sector"])
        proposal.save()
        if new_lines is not None:
            proposal.budget_lines.all().delete()
            for line in new_lines:
                line.proposal = proposal
            BudgetLine.objects.bulk_create(new_lines)
    return proposal


@transaction.atomic
def add_proposal_document(*, proposal: Proposal, file, kind: str, by, title: str = "") -> ApplicationDocument:
    """Attach a business plan, a quote or another document to a draft proposal (type, size and
    content checked)."""
    proposal = _locked(proposal)
    policy.require(by, "financing.propose", proposal)
    _require_draft(proposal, _("This proposal is %(status)s: its documents can no longer change."))
    if kind not in ApplicationDocument.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")})
    file_type = check_document_file(file, max_mb=RegistrySettings.current().max_upload_mb)
    original_name = PurePath(file.name).name[:255]
    document = ApplicationDocument(
        application=proposal.application,
        kind=kind,
        title=(title or "").strip()[:255],
        original_name=original_name,
        size=file.size,
        content_type=file_type.content_type,
        uploaded_by=by,
    )
    with set_actor(by):
        save_with_file(document, file, name=original_name, by=by)
    return document


@transaction.atomic
def remove_proposal_document(*, document: ApplicationDocument, by) -> None:
    proposal = Proposal.objects.filter(application_id=document.application_id).first()
    if proposal is None:
        _refuse(_("This document is not a proposal's."))
    proposal = _locked(proposal)
    policy.require(by, "financing.propose", proposal)
    _require_draft(proposal, _("This proposal is %(status)s: its documents can no longer change."))
    delete_with_file(document, by=by)


def _people_of(cooperative_id: int, *, but=None) -> list[User]:
    """The cooperative's representatives and its coaches (active), but `but`."""
    coaches = Assignment.objects.filter(
        cooperative_id=cooperative_id, kind=Assignment.Kind.COACHING, active=True
    ).values("user_id")
    users = User.objects.filter(is_active=True).filter(Q(cooperative_id=cooperative_id) | Q(pk__in=coaches))
    return [user for user in users.order_by("pk") if but is None or user.pk != but.pk]


@transaction.atomic
def submit_proposal(*, proposal: Proposal, by, at: dt.datetime | None = None) -> Proposal:
    """Send a draft to the round: the call is open at `at`, the project has a title, a cost, an
    amount requested within the ceiling and budget lines adding up to the cost. Missing documents
    do not stop it: the eligibility rule `proposal_complete` reports them."""
    proposal = _locked(proposal)
    policy.require(by, "financing.propose", proposal)
    at = at or timezone.now()
    round = round_of(proposal.application.call)
    _require_draft(proposal, _("This proposal is already %(status)s."))
    _require_open(round.call, at)
    _require_region(round.call, proposal.application.cooperative)
    errors = _Errors()
    if not proposal.title.strip():
        errors.add("title", _("Give the project a title."))
    if proposal.total_cost <= 0:
        errors.add("total_cost", _("Give the total cost of the project."))
    if proposal.amount_requested <= 0:
        errors.add("amount_requested", _("Give the amount requested."))
    _check_amounts(
        round, {"amount_requested": proposal.amount_requested, "total_cost": proposal.total_cost}, errors
    )
    amounts = list(proposal.budget_lines.values_list("amount", flat=True))
    if not amounts:
        errors.add(NON_FIELD_ERRORS, _("Add the budget lines of the project."))
    else:
        _check_lines(sum(amounts, Decimal(0)), proposal.total_cost, errors)
    errors.raise_any()
    application = proposal.application
    with set_actor(by):
        application.status = Application.Status.SUBMITTED
        application.submitted_at = at
        application.submitted_by = by
        application.eligible = None
        application.project_summary = proposal.description or proposal.title
        application.save()
        proposal.status = Proposal.Status.SUBMITTED
        proposal.version += 1
        proposal.save(update_fields=["status", "version", "updated_at"])
    notify(
        users=_people_of(application.cooperative_id, but=by),
        title=_("Proposal submitted: %(title)s"),
        body=_("The proposal %(title)s of %(cooperative)s is submitted to %(round)s."),
        params={
            "title": proposal.title,
            "cooperative": application.cooperative.name,
            "round": round.call.name,
        },
        link=_link("financing:proposal", proposal.pk),
    )
    return proposal


@transaction.atomic
def withdraw_proposal(*, proposal: Proposal, by) -> Proposal:
    """Take a proposal out of the round (before the allocation is frozen)."""
    proposal = _locked(proposal)
    policy.require(by, "financing.propose", proposal)
    round = round_of(proposal.application.call)
    if _frozen(round):
        _refuse(_("The allocation of this round is frozen: the proposal can no longer be withdrawn."))
    if proposal.status in (Proposal.Status.WITHDRAWN, Proposal.Status.FUNDED, Proposal.Status.NOT_FUNDED):
        _refuse(
            _("This proposal is %(status)s: it cannot be withdrawn."),
            status=proposal.get_status_display().lower(),
        )
    with set_actor(by):
        proposal.application.status = Application.Status.WITHDRAWN
        proposal.application.save(update_fields=["status", "updated_at"])
        proposal.status = Proposal.Status.WITHDRAWN
        proposal.version += 1
        proposal.save(update_fields=["status", "version", "updated_at"])
    return proposal


def financing_plan(proposal: Proposal) -> dict:
    """How the project is paid for: budget lines against the cost, the sources (grant requested, own
    contribution, other co-financing) against the cost, the co-financing share against the round's."""
    lines_total = sum((line.amount for line in proposal.budget_lines.all()), Decimal(0))
    round = getattr(proposal.application.call, "financing_round", None)
    cost = proposal.total_cost
    sources = proposal.amount_requested + proposal.cofinancing
    share = proposal.cofinancing_share
    return {
        "total_cost": cost,
        "lines_total": lines_total,
        "lines_gap": cost - lines_total,
        "lines_match": lines_total == cost,
        "amount_requested": proposal.amount_requested,
        "own_contribution": proposal.own_contribution,
        "other_cofinancing": proposal.other_cofinancing,
        "cofinancing": proposal.cofinancing,
        "cofinancing_share": share,
        "min_cofinancing_share": round.min_cofinancing_share if round else None,
        "share_ok": share is not None and round is not None and share >= round.min_cofinancing_share,
        "sources_total": sources,
        "sources_gap": cost - sources,
        "sources_cover_cost": cost > 0 and sources >= cost,
        "ceiling": round.ceiling if round else None,
        "within_ceiling": round is not None and 0 < proposal.amount_requested <= round.ceiling,
    }
