"""Grant agreements: signature, project documents, tranche conditions and disbursements.

A funded project's grant is paid in tranches, in their order (`Tranche.number`). A tranche is
payable when

* the agreement is signed, and neither terminated nor completed;
* something of the tranche, and of the grant, remains to be paid;
* every earlier tranche is paid in full;
* each of its conditions is met (`condition_met`): the agreement signed; a document of the kind
  named uploaded; the milestone confirmed by the coach; an "other" condition checked by head office.

A payment (`record_disbursement`) is further refused when its amount is not positive or is more
than what remains of the tranche or of the grant, or when it is dated in the future, before the
signature or before the last payment of an earlier tranche. The agreement row is locked while a
payment is checked and recorded, so two payments racing cannot both pass the guards: nothing is
paid twice, nothing beyond the grant.

`tranche_status` says the same as the guards (the same function decides both), so a page shows a
"pay" button exactly when a payment can be recorded, and otherwise says why not.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.cooperatives.documents import JPEG, PNG, check_document_file
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.core.files import delete_with_file, save_with_file
from mourafaka.core.notifications import notify
from mourafaka.core.values import amount_text

from .models import (
    ZERO,
    Agreement,
    AgreementDocument,
    Disbursement,
    FollowUpReport,
    Milestone,
    Tranche,
    TrancheCondition,
)

IMAGE_TYPES = (JPEG, PNG)
CENT = Decimal("0.01")
Kind = TrancheCondition.Kind

NOT_SIGNED = _("The agreement %(reference)s is not signed yet.")
TERMINATED = _("The agreement %(reference)s is terminated.")
COMPLETED = _("The agreement %(reference)s is completed.")
ALREADY_SIGNED = _("The agreement %(reference)s is already signed.")
TRANCHE_PAID = _("Tranche %(number)s is already paid in full.")
GRANT_PAID = _("The whole grant of %(reference)s is already paid.")
EARLIER_TRANCHE = _("Tranche %(earlier)s must be paid in full before tranche %(number)s.")
CONDITIONS_NOT_MET = _("Tranche %(number)s cannot be paid yet: %(conditions)s.")
NOT_POSITIVE = _("The amount paid must be more than zero.")
ABOVE_TRANCHE = _(
    "%(amount)s MAD is more than the %(remaining)s MAD that remain to be paid on tranche %(number)s."
)
ABOVE_GRANT = _("%(amount)s MAD is more than the %(remaining)s MAD that remain of the grant.")
NOT_AN_AMOUNT = _("Give an amount in MAD, with at most two decimals.")
NOT_A_DATE = _("Give a date (YYYY-MM-DD).")
PAID_IN_FUTURE = _("A payment cannot be dated in the future.")
PAID_BEFORE_SIGNATURE = _("A payment cannot be dated before the signature of the agreement, on %(date)s.")
PAID_BEFORE_EARLIER = _(
    "A payment of tranche %(number)s cannot be dated before the last payment of tranche %(earlier)s, on %(date)s."
)
TRANCHE_ALREADY_PAID = _(
    "Tranche %(number)s has already received payments: its conditions can no longer change."
)


def _link(agreement) -> str:
    try:
        return reverse("financing:agreement", args=[agreement.pk])
    except NoReverseMatch:  # the pages are wired up separately
        return ""


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError) as error:
        raise ValidationError({name: ValidationError(NOT_A_DATE, code="date")}) from error


def _amount(value, name: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationError({name: ValidationError(NOT_AN_AMOUNT, code="amount")}) from error
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValidationError({name: ValidationError(NOT_AN_AMOUNT, code="amount")})
    return amount.quantize(CENT)


def _locked(agreement) -> Agreement:
    """The agreement, re-read and locked until the end of the transaction."""
    pk = agreement.pk if isinstance(agreement, Agreement) else agreement
    return (
        Agreement.objects.select_for_update(of=("self",))
        .select_related("proposal__application__cooperative__province", "allocation")
        .get(pk=pk)
    )


def _refuse_closed(agreement: Agreement, *, signed: bool = True) -> None:
    """Refuse to act on a terminated or completed agreement, and (when `signed`) on one not signed."""
    params = {"reference": agreement.reference}
    if agreement.status == Agreement.Status.TERMINATED:
        raise ValidationError(TERMINATED, code="terminated", params=params)
    if agreement.status == Agreement.Status.COMPLETED:
        raise ValidationError(COMPLETED, code="completed", params=params)
    if signed and agreement.status == Agreement.Status.DRAFT:
        raise ValidationError(NOT_SIGNED, code="not_signed", params=params)


# ---------------------------------------------------------------------------
# The people of a project (for notifications)


def representatives(agreement: Agreement) -> list[User]:
    cooperative_id = agreement.proposal.application.cooperative_id
    return list(User.objects.filter(cooperative_id=cooperative_id, role=Role.COOPERATIVE, is_active=True))


def coaches(agreement: Agreement) -> list[User]:
    cooperative_id = agreement.proposal.application.cooperative_id
    return list(
        User.objects.filter(
            role=Role.COACH,
            is_active=True,
            assignments__cooperative_id=cooperative_id,
            assignments__kind=Assignment.Kind.COACHING,
            assignments__active=True,
        ).distinct()
    )


def head_office() -> list[User]:
    return list(User.objects.filter(role=Role.MANAGER, is_active=True))


def delegates(agreement: Agreement) -> list[User]:
    delegation_id = agreement.proposal.application.cooperative.province.delegation_id
    if delegation_id is None:
        return []
    return list(User.objects.filter(role=Role.DELEGATE, delegation_id=delegation_id, is_active=True))


def _unique(*groups) -> list[User]:
    seen, users = set(), []
    for group in groups:
        for user in group:
            if user.pk not in seen:
                seen.add(user.pk)
                users.append(user)
    return users


# ---------------------------------------------------------------------------
# Conditions and the state of the tranches


def _is_met(condition: TrancheCondition, agreement: Agreement, document_kinds: set[str]) -> bool:
    if condition.kind == Kind.SIGNED_AGREEMENT:
        return agreement.signed_on is not None and agreement.status != Agreement.Status.DRAFT
    if condition.kind == Kind.DOCUMENT:
        return condition.document_kind in document_kinds
    if condition.kind == Kind.MILESTONE:
        return condition.milestone is not None and condition.milestone.confirmed_at is not None
    return condition.met_at is not None


def _document_kinds(agreement: Agreement) -> set[str]:
    return set(
        AgreementDocument.objects.filter(agreement=agreement).values_list("kind", flat=True).distinct()
    )


def condition_met(condition: TrancheCondition) -> bool:
    """Whether a condition holds now: the agreement signed (signed_agreement), a document of that kind
    uploaded (document), the milestone confirmed by the coach (milestone), checked by head office
    (other). Read afresh from the database, whatever the object passed holds."""
    condition = TrancheCondition.objects.select_related("tranche__agreement", "milestone").get(
        pk=condition.pk
    )
    agreement = condition.tranche.agreement
    kinds = _document_kinds(agreement) if condition.kind == Kind.DOCUMENT else set()
    return _is_met(condition, agreement, kinds)


def condition_label(condition: TrancheCondition) -> str:
    """The condition's name in the active language, else what it asks for."""
    if condition.name:
        return condition.name
    if condition.kind == Kind.DOCUMENT:
        labels = dict(AgreementDocument.Kind.choices)
        return str(labels.get(condition.document_kind, condition.document_kind))
    if condition.kind == Kind.MILESTONE and condition.milestone is not None:
        return condition.milestone.title
    return str(condition.get_kind_display())


@dataclass
class _Row:
    tranche: Tranche
    paid: Decimal
    last_paid_on: dt.date | None
    conditions: list[tuple[TrancheCondition, bool]] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return max(self.tranche.amount - self.paid, ZERO)


def _rows(agreement: Agreement) -> list[_Row]:
    """Each tranche of the agreement with what is paid and its conditions (met or not), in four
    queries whatever the number of tranches."""
    tranches = list(Tranche.objects.filter(agreement=agreement).order_by("number"))
    sums = {
        row["tranche"]: row
        for row in Disbursement.objects.filter(agreement=agreement)
        .order_by()
        .values("tranche")
        .annotate(paid=Sum("amount"), last=Max("paid_on"))
    }
    by_tranche = defaultdict(list)
    conditions = TrancheCondition.objects.filter(tranche__agreement=agreement).select_related("milestone")
    kinds = _document_kinds(agreement)
    for condition in conditions.order_by("tranche", "pk"):
        by_tranche[condition.tranche_id].append((condition, _is_met(condition, agreement, kinds)))
    return [
        _Row(
            tranche=tranche,
            paid=(sums.get(tranche.pk) or {}).get("paid") or ZERO,
            last_paid_on=(sums.get(tranche.pk) or {}).get("last"),
            conditions=by_tranche[tranche.pk],
        )
        for tranche in tranches
    ]


def _blocker(agreement: Agreement, rows: list[_Row], row: _Row) -> ValidationError | None:
    """Why the tranche of `row` cannot be paid now, whatever the amount (None when it can)."""
    number = row.tranche.number
    if agreement.status == Agreement.Status.DRAFT:
        return ValidationError(NOT_SIGNED, code="not_signed", params={"reference": agreement.reference})
    if agreement.status == Agreement.Status.TERMINATED:
        return ValidationError(TERMINATED, code="terminated", params={"reference": agreement.reference})
    if row.remaining <= 0:
        return ValidationError(TRANCHE_PAID, code="tranche_paid", params={"number": number})
    if sum((other.paid for other in rows), ZERO) >= agreement.amount:
        return ValidationError(GRANT_PAID, code="grant_paid", params={"reference": agreement.reference})
    for earlier in rows:
        if earlier.tranche.number < number and earlier.remaining > 0:
            return ValidationError(
                EARLIER_TRANCHE, code="order", params={"earlier": earlier.tranche.number, "number": number}
            )
    unmet = [condition_label(condition) for condition, met in row.conditions if not met]
    if unmet:
        return ValidationError(
            CONDITIONS_NOT_MET, code="conditions", params={"number": number, "conditions": "; ".join(unmet)}
        )
    return None


def _status(agreement: Agreement, rows: list[_Row], row: _Row) -> dict:
    blocker = _blocker(agreement, rows, row)
    return {
        "tranche": row.tranche,
        "number": row.tranche.number,
        "share": row.tranche.share,
        "amount": row.tranche.amount,
        "conditions": [
            {"condition": condition, "kind": condition.kind, "name": condition_label(condition), "met": met}
            for condition, met in row.conditions
        ],
        "paid": row.paid,
        "remaining": row.remaining,
        "payable": blocker is None,
        "why_not": " ".join(blocker.messages) if blocker is not None else "",
    }


def tranche_status(tranche: Tranche) -> dict:
    """The tranche with its conditions (each with `met`), what is paid and what remains, whether a
    payment can be recorded now (`payable`) and otherwise why not (`why_not`, a sentence)."""
    agreement = tranche.agreement
    rows = _rows(agreement)
    row = next(row for row in rows if row.tranche.pk == tranche.pk)
    return _status(agreement, rows, row)


def tranche_statuses(agreement: Agreement) -> list[dict]:
    """`tranche_status` of every tranche of the agreement, in order, in four queries."""
    rows = _rows(agreement)
    return [_status(agreement, rows, row) for row in rows]


def balance(agreement: Agreement) -> dict:
    """What is granted, paid and remains, overall and per tranche."""
    rows = _rows(agreement)
    paid = sum((row.paid for row in rows), ZERO)
    return {
        "granted": agreement.amount,
        "paid": paid,
        "remaining": max(agreement.amount - paid, ZERO),
        "tranches": [
            {
                "tranche": row.tranche,
                "number": row.tranche.number,
                "share": row.tranche.share,
                "amount": row.tranche.amount,
                "paid": row.paid,
                "remaining": row.remaining,
            }
            for row in rows
        ],
    }


def complete_if_done(agreement: Agreement) -> bool:
    """Mark a signed agreement completed once the whole grant is paid and every milestone confirmed
    (the caller holds the lock and the audit actor). Returns whether it changed."""
    if agreement.status != Agreement.Status.SIGNED:
        return False
    paid = Disbursement.objects.filter(agreement=agreement).aggregate(total=Sum("amount"))["total"] or ZERO
    if paid < agreement.amount:
        return False
    if Milestone.objects.filter(agreement=agreement, confirmed_at__isnull=True).exists():
        return False
    agreement.status = Agreement.Status.COMPLETED
    agreement.save(update_fields=["status", "updated_at"])
    return True


# ---------------------------------------------------------------------------
# Signature and termination


@transaction.atomic
def sign_agreement(*, agreement, signed_on, by, ends_on=None) -> Agreement:
    """Record the signature of a grant agreement (head office); the cooperative and its coach are told."""
    agreement = _locked(agreement)
    policy.require(by, "financing.manage", agreement)
    if agreement.status != Agreement.Status.DRAFT:
        _refuse_closed(agreement, signed=False)
        raise ValidationError(ALREADY_SIGNED, code="signed", params={"reference": agreement.reference})
    signed_on = _date(signed_on, "signed_on")
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("The signature cannot be dated in the future.")})
    decided_on = (
        timezone.localdate(agreement.allocation.frozen_at) if agreement.allocation.frozen_at else None
    )
    if decided_on is not None and signed_on < decided_on:
        raise ValidationError(
            {"signed_on": ValidationError(
                _("The agreement cannot be signed before the committee's decision of %(date)s."),
                params={"date": decided_on.isoformat()},
            )}
        )  # fmt: skip
    if ends_on not in (None, ""):
        ends_on = _date(ends_on, "ends_on")
        if ends_on <= signed_on:
            raise ValidationError({"ends_on": _("The implementation must end after the signature.")})
        late = Milestone.objects.filter(agreement=agreement, due_on__gt=ends_on).order_by("due_on").first()
        if late is not None:
            raise ValidationError(
                {"ends_on": ValidationError(
                    _("The milestone “%(milestone)s” is due on %(date)s, after the end of the implementation."),
                    params={"milestone": late.title, "date": late.due_on.isoformat()},
                )}
            )  # fmt: skip
    else:
        ends_on = None
    with set_actor(by):
        agreement.status = Agreement.Status.SIGNED
        agreement.signed_on = signed_on
        agreement.ends_on = ends_on
        agreement.save(update_fields=["status", "signed_on", "ends_on", "updated_at"])
    notify(
        users=_unique(representatives(agreement), coaches(agreement)),
        title=_("Grant agreement %(reference)s signed"),
        body=_(
            "The grant agreement %(reference)s of %(amount)s MAD for %(cooperative)s is signed on %(date)s."
        ),
        link=_link(agreement),
        params={
            "reference": agreement.reference,
            "amount": amount_text(agreement.amount),
            "cooperative": str(agreement.proposal.application.cooperative),
            "date": signed_on.isoformat(),
        },
    )
    return agreement


@transaction.atomic
def terminate_agreement(*, agreement, reason, by) -> Agreement:
    """End an agreement before its term (head office), with the reason; nothing more is paid on it."""
    agreement = _locked(agreement)
    policy.require(by, "financing.manage", agreement)
    _refuse_closed(agreement, signed=False)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the termination.")})
    with set_actor(by):
        agreement.status = Agreement.Status.TERMINATED
        agreement.termination_reason = reason
        agreement.save(update_fields=["status", "termination_reason", "updated_at"])
    notify(
        users=_unique(representatives(agreement), coaches(agreement)),
        title=_("Grant agreement %(reference)s terminated"),
        body=_("The grant agreement %(reference)s is terminated: %(reason)s"),
        link=_link(agreement),
        params={"reference": agreement.reference, "reason": reason},
    )
    return agreement


# ---------------------------------------------------------------------------
# Project documents and photos


@transaction.atomic
def add_project_document(
    *, agreement, file, kind, by, caption="", milestone=None, follow_up=None
) -> AgreementDocument:
    """A document or photo of the project, checked on its content (type, size); a photo must be a
    JPEG or PNG image. It may belong to one of the agreement's milestones or follow-up reports."""
    agreement = _locked(agreement)
    policy.require(by, "financing.follow_up", agreement)
    if agreement.status == Agreement.Status.TERMINATED:
        raise ValidationError(TERMINATED, code="terminated", params={"reference": agreement.reference})
    if kind not in AgreementDocument.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of document.")})
    if file is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    if milestone is not None and not Milestone.objects.filter(pk=milestone.pk, agreement=agreement).exists():
        raise ValidationError({"milestone": _("This milestone belongs to another agreement.")})
    if (
        follow_up is not None
        and not FollowUpReport.objects.filter(pk=follow_up.pk, agreement=agreement).exists()
    ):
        raise ValidationError({"follow_up": _("This follow-up report belongs to another agreement.")})
    try:
        file_type = check_document_file(file, max_mb=RegistrySettings.current().max_upload_mb)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from error
    if kind == AgreementDocument.Kind.PHOTO and file_type not in IMAGE_TYPES:
        raise ValidationError({"file": _("A photo must be a JPEG or PNG image.")})
    original_name = PurePath(file.name).name[:255]
    document = AgreementDocument(
        agreement=agreement,
        kind=kind,
        milestone=milestone,
        follow_up=follow_up,
        caption=(caption or "").strip(),
        original_name=original_name,
        size=file.size,
        content_type=file_type.content_type,
        uploaded_by=by,
    )
    document.full_clean(exclude=["file", "agreement", "milestone", "follow_up", "uploaded_by"])
    with set_actor(by):
        save_with_file(document, file, name=original_name, by=by)
    return document


@transaction.atomic
def remove_project_document(*, document, by) -> None:
    """Delete a project document now and its file once the deletion is committed. A document that
    justified a payment already made (the last of its kind for a paid tranche's condition) stays."""
    agreement = _locked(document.agreement_id)
    document = AgreementDocument.objects.get(pk=document.pk, agreement=agreement)
    policy.require(by, "financing.follow_up", agreement)
    others = AgreementDocument.objects.filter(agreement=agreement, kind=document.kind).exclude(pk=document.pk)
    justified = TrancheCondition.objects.filter(
        tranche__agreement=agreement,
        kind=Kind.DOCUMENT,
        document_kind=document.kind,
        tranche__disbursements__isnull=False,
    ).exists()
    if justified and not others.exists():
        raise ValidationError(
            _("This document justified a payment already made: it cannot be removed."), code="justified"
        )
    delete_with_file(document, by=by)


# ---------------------------------------------------------------------------
# Conditions


def _unpaid_tranche(agreement: Agreement, tranche_pk: int) -> Tranche:
    tranche = Tranche.objects.get(pk=tranche_pk, agreement=agreement)
    if Disbursement.objects.filter(tranche=tranche).exists():
        raise ValidationError(TRANCHE_ALREADY_PAID, code="tranche_paid", params={"number": tranche.number})
    return tranche


@transaction.atomic
def add_condition(
    *, tranche, kind, by, name_fr="", name_ar="", document_kind="", milestone=None
) -> TrancheCondition:
    """Add a condition to a tranche not yet paid (head office): the agreement signed, a document of
    a kind, a milestone of this agreement confirmed, or another condition head office checks (named)."""
    agreement = _locked(tranche.agreement_id)
    policy.require(by, "financing.manage", agreement)
    _refuse_closed(agreement, signed=False)
    tranche = _unpaid_tranche(agreement, tranche.pk)
    name_fr, name_ar = (name_fr or "").strip(), (name_ar or "").strip()
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose the kind of condition.")})
    existing = TrancheCondition.objects.filter(tranche=tranche, kind=kind)
    if kind == Kind.DOCUMENT:
        if document_kind not in AgreementDocument.Kind.values:
            raise ValidationError({"document_kind": _("Choose the kind of document required.")})
        existing = existing.filter(document_kind=document_kind)
    else:
        document_kind = ""
    if kind == Kind.MILESTONE:
        if milestone is None or not Milestone.objects.filter(pk=milestone.pk, agreement=agreement).exists():
            raise ValidationError({"milestone": _("Choose a milestone of this agreement.")})
        existing = existing.filter(milestone=milestone)
        name_fr, name_ar = name_fr or milestone.title, name_ar or milestone.title
    else:
        milestone = None
    if kind == Kind.OTHER:
        if not (name_fr or name_ar):
            raise ValidationError({"name_fr": _("Say what head office must check.")})
    elif existing.exists():
        raise ValidationError(
            _("Tranche %(number)s already has this condition."),
            code="duplicate",
            params={"number": tranche.number},
        )
    condition = TrancheCondition(
        tranche=tranche,
        kind=kind,
        document_kind=document_kind,
        milestone=milestone,
        name_fr=name_fr,
        name_ar=name_ar,
    )
    condition.full_clean(exclude=["tranche", "milestone", "met_by"])
    with set_actor(by):
        condition.save()
    return condition


@transaction.atomic
def remove_condition(*, condition, by) -> None:
    """Remove a condition from a tranche not yet paid (head office)."""
    tranche = Tranche.objects.get(pk=condition.tranche_id)
    agreement = _locked(tranche.agreement_id)
    policy.require(by, "financing.manage", agreement)
    _refuse_closed(agreement, signed=False)
    _unpaid_tranche(agreement, tranche.pk)
    with set_actor(by):
        TrancheCondition.objects.get(pk=condition.pk, tranche=tranche).delete()


@transaction.atomic
def check_condition(*, condition, by, note="") -> TrancheCondition:
    """Head office records that an "other" condition is met (the others follow the signature, the
    documents and the milestones by themselves)."""
    tranche = Tranche.objects.get(pk=condition.tranche_id)
    agreement = _locked(tranche.agreement_id)
    condition = TrancheCondition.objects.select_related("tranche").get(pk=condition.pk)
    policy.require(by, "financing.manage", agreement)
    _refuse_closed(agreement, signed=False)
    if condition.kind != Kind.OTHER:
        raise ValidationError(
            _("Only a condition checked by head office is ticked by hand: the others follow the signature, "
              "the documents and the milestones."),
            code="not_other",
        )  # fmt: skip
    if condition.met_at is not None:
        raise ValidationError(_("This condition is already checked."), code="checked")
    with set_actor(by):
        condition.met_at = timezone.now()
        condition.met_by = by
        condition.note = (note or "").strip()
        condition.save(update_fields=["met_at", "met_by", "note"])
    return condition


# ---------------------------------------------------------------------------
# Payments


@transaction.atomic
def record_disbursement(*, tranche, amount, paid_on, by, payment_reference="") -> Disbursement:
    """Record a payment of (part of) a tranche (head office), once every guard passes: see the module
    docstring. The cooperative and its coach are told; the agreement is completed when the whole
    grant is paid and every milestone confirmed."""
    agreement = _locked(tranche.agreement_id)
    policy.require(by, "financing.disburse", agreement)
    amount = _amount(amount)
    paid_on = _date(paid_on, "paid_on")
    rows = _rows(agreement)
    row = next((row for row in rows if row.tranche.pk == tranche.pk), None)
    if row is None:
        raise ValidationError(_("This tranche belongs to another agreement."))
    blocker = _blocker(agreement, rows, row)
    if blocker is not None:
        raise blocker
    number = row.tranche.number
    if amount <= 0:
        raise ValidationError({"amount": ValidationError(NOT_POSITIVE, code="not_positive")})
    if amount > row.remaining:
        raise ValidationError(
            {"amount": ValidationError(
                ABOVE_TRANCHE, code="above_tranche",
                params={"amount": amount_text(amount), "remaining": amount_text(row.remaining), "number": number},
            )}
        )  # fmt: skip
    grant_remaining = agreement.amount - sum((other.paid for other in rows), ZERO)
    if amount > grant_remaining:
        raise ValidationError(
            {"amount": ValidationError(
                ABOVE_GRANT, code="above_grant",
                params={"amount": amount_text(amount), "remaining": amount_text(grant_remaining)},
            )}
        )  # fmt: skip
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": ValidationError(PAID_IN_FUTURE, code="future")})
    if paid_on < agreement.signed_on:
        raise ValidationError(
            {"paid_on": ValidationError(
                PAID_BEFORE_SIGNATURE, code="before_signature", params={"date": agreement.signed_on.isoformat()}
            )}
        )  # fmt: skip
    for earlier in rows:
        if earlier.tranche.number < number and earlier.last_paid_on and paid_on < earlier.last_paid_on:
            raise ValidationError(
                {"paid_on": ValidationError(
                    PAID_BEFORE_EARLIER, code="before_earlier",
                    params={"number": number, "earlier": earlier.tranche.number,
                            "date": earlier.last_paid_on.isoformat()},
                )}
            )  # fmt: skip
    reference = (payment_reference or "").strip()
    if len(reference) > 64:
        raise ValidationError({"payment_reference": _("The payment reference is at most 64 characters.")})
    disbursement = Disbursement(
        agreement=agreement,
        tranche=row.tranche,
        amount=amount,
        paid_on=paid_on,
        payment_reference=reference,
        recorded_by=by,
    )
    with set_actor(by):
        disbursement.save()
        complete_if_done(agreement)
    notify(
        users=_unique(representatives(agreement), coaches(agreement)),
        title=_("Payment on the grant %(reference)s"),
        body=_("%(amount)s MAD of tranche %(number)s of the grant %(reference)s were paid on %(date)s."),
        link=_link(agreement),
        params={
            "reference": agreement.reference,
            "amount": amount_text(amount),
            "number": number,
            "date": paid_on.isoformat(),
        },
    )
    return disbursement
