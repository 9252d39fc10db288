"""What project financing adds to a cooperative's timeline (registered in `apps.ready`): proposals
submitted, grant agreements signed, payments received and milestones confirmed — one query each."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from mourafaka.cooperatives.timeline import Event, timeline_source

from .models import Agreement, Disbursement, Milestone, Proposal
from .rounds import money


@timeline_source
def proposals(cooperative, *, limit: int) -> Iterable[Event]:
    submitted = (
        Proposal.objects.filter(application__cooperative=cooperative, application__submitted_at__isnull=False)
        .select_related("application__submitted_by")
        .order_by("-application__submitted_at")[:limit]
    )
    for proposal in submitted:
        yield Event(
            at=proposal.application.submitted_at,
            kind="proposal",
            title=_("Project proposal submitted: %(title)s") % {"title": proposal.title},
            detail=_("%(amount)s MAD requested · %(status)s")
            % {"amount": money(proposal.amount_requested), "status": proposal.get_status_display()},
            actor=proposal.application.submitted_by,
            url=reverse("financing:proposal", args=[proposal.pk]),
        )


@timeline_source
def agreements(cooperative, *, limit: int) -> Iterable[Event]:
    signed = Agreement.objects.filter(
        proposal__application__cooperative=cooperative, signed_on__isnull=False
    ).order_by("-signed_on")[:limit]
    for agreement in signed:
        yield Event(
            at=agreement.signed_on,
            kind="grant",
            title=_("Grant agreement %(reference)s signed: %(amount)s MAD")
            % {"reference": agreement.reference, "amount": money(agreement.amount)},
            url=reverse("financing:agreement", args=[agreement.pk]),
        )


@timeline_source
def payments(cooperative, *, limit: int) -> Iterable[Event]:
    paid = (
        Disbursement.objects.filter(agreement__proposal__application__cooperative=cooperative)
        .select_related("agreement", "tranche", "recorded_by")
        .order_by("-paid_on", "-pk")[:limit]
    )
    for disbursement in paid:
        yield Event(
            at=disbursement.paid_on,
            kind="payment",
            title=_("Tranche %(number)s of %(reference)s paid: %(amount)s MAD")
            % {
                "number": disbursement.tranche.number,
                "reference": disbursement.agreement.reference,
                "amount": money(disbursement.amount),
            },
            actor=disbursement.recorded_by,
            url=reverse("financing:agreement", args=[disbursement.agreement_id]),
        )


@timeline_source
def milestones(cooperative, *, limit: int) -> Iterable[Event]:
    confirmed = (
        Milestone.objects.filter(
            agreement__proposal__application__cooperative=cooperative, confirmed_at__isnull=False
        )
        .select_related("confirmed_by")
        .order_by("-confirmed_at")[:limit]
    )
    for milestone in confirmed:
        yield Event(
            at=milestone.confirmed_at,
            kind="milestone",
            title=_("Milestone confirmed: %(title)s") % {"title": milestone.title},
            detail=milestone.confirmation_note,
            actor=milestone.confirmed_by,
            url=reverse("financing:agreement", args=[milestone.agreement_id]),
        )
