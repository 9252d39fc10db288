"""The deliverables a provider is paid for, and the statement of a contract.

`collect_deliverables` records, once each, the work done by the provider's active staff within the
contract's period (up to today) and the regions of its lot:

* a diagnostic validated (its consultant is consultant staff; the cooperative is in the lot), on the
  date it was validated;
* a training day held (its session is held or closed; one of the session's trainers is the account of
  trainer staff; the session is held in the lot), on that day, once per contract and once per
  provider;
* a coaching visit confirmed by the cooperative (its report was written by coach staff; the
  cooperative is in the lot), on the date it was acknowledged.

When the contract names an edition, only that edition's work counts (sessions without an edition
too). A kind without a unit price is not collected. The amount is the unit price when recorded
(frozen: a later price change does not alter it). Head office then validates or rejects each
deliverable; the amount due is the sum of the validated ones.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from mourafaka.accounts import policy
from mourafaka.core.spreadsheets import safe_cell
from mourafaka.diagnostics.models import Diagnostic
from mourafaka.trainings.models import Session, SessionDay

from .models import Contract, Deliverable, DeliverableKind, ProviderStaff, Visit

Kind = DeliverableKind
Status = Deliverable.Status
PERIODS = ("month", "quarter")


# ---------------------------------------------------------------------------
# Collecting


def _staff(contract: Contract) -> dict[str, list[int]]:
    users: dict[str, list[int]] = {function: [] for function in ProviderStaff.Function.values}
    for function, user_id in ProviderStaff.objects.filter(
        provider=contract.provider_id, active=True
    ).values_list("function", "user_id"):
        users[function].append(user_id)
    return users


def _edition_filter(contract: Contract, path: str, *, allow_none: bool = False) -> Q:
    if contract.edition_id is None:
        return Q()
    condition = Q(**{path: contract.edition_id})
    if allow_none:
        condition |= Q(**{f"{path}__isnull": True})
    return condition


def _local_date(moment) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def _diagnostics(contract, regions, consultants, start, end) -> list[tuple[dict, dt.date]]:
    diagnostics = (
        Diagnostic.objects.filter(
            status=Diagnostic.Status.VALIDATED,
            consultant__in=consultants,
            enrolment__cooperative__region__in=regions,
            validated_at__isnull=False,
            deliverable__isnull=True,
        )
        .filter(_edition_filter(contract, "enrolment__edition"))
        .only("pk", "validated_at")
    )
    found = []
    for diagnostic in diagnostics:
        day = _local_date(diagnostic.validated_at)
        if start <= day <= end:
            found.append(({"diagnostic": diagnostic}, day))
    return found


def _training_days(contract, regions, trainers, start, end) -> list[tuple[dict, dt.date]]:
    days = (
        SessionDay.objects.filter(
            session__status__in=(Session.Status.HELD, Session.Status.CLOSED),
            session__region__in=regions,
            date__gte=start,
            date__lte=end,
            session__in=Session.objects.filter(trainers__user__in=trainers).values("pk"),
        )
        .filter(_edition_filter(contract, "session__edition", allow_none=True))
        # One payment per day for a provider, even when two of its contracts cover it.
        .exclude(deliverables__contract__provider=contract.provider_id)
        .only("pk", "date")
    )
    return [({"training_day": day}, day.date) for day in days]


def _visits(contract, regions, coaches, start, end) -> list[tuple[dict, dt.date]]:
    visits = (
        Visit.objects.filter(
            status=Visit.Status.CONFIRMED,
            coach__in=coaches,
            engagement__enrolment__cooperative__region__in=regions,
            deliverable__isnull=True,
        )
        .filter(_edition_filter(contract, "engagement__enrolment__edition"))
        .only("pk", "acknowledged_at", "held_on", "planned_on")
    )
    found = []
    for visit in visits:
        if visit.acknowledged_at is not None:
            day = _local_date(visit.acknowledged_at)
        else:
            day = visit.held_on or visit.planned_on
        if start <= day <= end:
            found.append(({"visit": visit}, day))
    return found


COLLECTORS = {
    Kind.DIAGNOSTIC_VALIDATED: (ProviderStaff.Function.CONSULTANT, _diagnostics),
    Kind.TRAINING_DAY_HELD: (ProviderStaff.Function.TRAINER, _training_days),
    Kind.VISIT_CONFIRMED: (ProviderStaff.Function.COACH, _visits),
}


@transaction.atomic
def collect_deliverables(*, contract: Contract, by=None, today: dt.date | None = None) -> int:
    """Record the new deliverables of an active contract (see the module's docstring). Running it
    again records nothing new: it is safe to run daily. `by` is None for the scheduled job.
    Returns how many deliverables were recorded."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if by is not None:
        policy.require(by, "coaching.manage_providers", contract)
    if contract.status != Contract.Status.ACTIVE:
        raise ValidationError(_("This contract is closed: its deliverables are no longer collected."))
    today = today or timezone.localdate()
    start, end = contract.starts_on, min(contract.ends_on, today)
    if end < start:
        return 0
    prices = dict(contract.prices.values_list("kind", "price_mad"))
    regions = list(contract.regions.values_list("pk", flat=True))
    staff = _staff(contract)
    recorded = 0
    with set_actor(by):
        for kind, (function, find) in COLLECTORS.items():
            price = prices.get(kind)
            if price is None or not staff[function] or not regions:
                continue
            for work, day in find(contract, regions, staff[function], start, end):
                Deliverable.objects.create(
                    contract=contract, kind=kind, delivered_on=day, amount_mad=price, **work
                )
                recorded += 1
    return recorded


def collect_all(*, today: dt.date | None = None) -> int:
    """Collect the deliverables of every active contract (the daily job). Returns how many were
    recorded in all."""
    total = 0
    for contract in Contract.objects.filter(status=Contract.Status.ACTIVE).order_by("pk"):
        total += collect_deliverables(contract=contract, today=today)
    return total


# ---------------------------------------------------------------------------
# Review


@transaction.atomic
def review_deliverables(*, deliverables, status: str, by, note: str = "") -> int:
    """Validate or reject deliverables for payment (head office). A rejection gives its reason.
    Deliverables already in that status are left as they are. Returns how many changed."""
    if status not in (Status.VALIDATED, Status.REJECTED):
        raise ValidationError(_("A deliverable is either validated or rejected."))
    note = (note or "").strip()
    if status == Status.REJECTED and not note:
        raise ValidationError({"note": _("Say why the deliverable is rejected.")})
    policy.require(by, "coaching.manage_providers", None)
    pks = [getattr(item, "pk", item) for item in deliverables]
    locked = list(Deliverable.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    if len(locked) != len(set(pks)):
        raise ValidationError(_("Some of these deliverables no longer exist."))
    now = timezone.now()
    changed = 0
    with set_actor(by):
        for deliverable in locked:
            policy.require(by, "coaching.manage_providers", deliverable)
            if deliverable.status == status:
                continue
            deliverable.status = status
            deliverable.reviewed_by = by
            deliverable.reviewed_at = now
            deliverable.review_note = note
            deliverable.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
            changed += 1
    return changed


# ---------------------------------------------------------------------------
# Statement


@dataclass(frozen=True)
class StatementRow:
    period: dt.date  # first day of the month or quarter
    label: str  # "2025-03" or "2025-Q1"
    kind: str
    kind_label: str
    unit_price: Decimal | None
    delivered: int  # recorded, whatever their review
    validated: int
    rejected: int
    amount_due: Decimal  # sum of the validated deliverables' amounts


@dataclass
class Statement:
    contract: Contract
    period: str
    rows: list[StatementRow] = field(default_factory=list)
    delivered: int = 0
    validated: int = 0
    rejected: int = 0
    amount_due: Decimal = Decimal("0")
    ceiling: Decimal | None = None

    @property
    def pending(self) -> int:
        """Recorded and not reviewed yet."""
        return self.delivered - self.validated - self.rejected

    @property
    def ceiling_left(self) -> Decimal | None:
        return None if self.ceiling is None else self.ceiling - self.amount_due


def period_label(start: dt.date, period: str) -> str:
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def _period_start(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def contract_statement(contract: Contract, *, period: str = "month") -> Statement:
    """Per period (month or quarter) and kind: deliverables recorded, validated, rejected and the
    amount due (validated ones), with totals and what is left under the ceiling. Two queries."""
    if period not in PERIODS:
        raise ValidationError(_("The period is a month or a quarter."))
    truncate = TruncQuarter if period == "quarter" else TruncMonth
    prices = dict(contract.prices.values_list("kind", "price_mad"))
    rows = (
        Deliverable.objects.filter(contract=contract)
        .annotate(start=truncate("delivered_on"))
        .order_by()
        .values("start", "kind")
        .annotate(
            delivered=Count("pk"),
            validated=Count("pk", filter=Q(status=Status.VALIDATED)),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            amount_due=Sum("amount_mad", filter=Q(status=Status.VALIDATED)),
        )
    )
    labels = dict(Kind.choices)
    statement = Statement(contract=contract, period=period, ceiling=contract.ceiling_mad)
    for row in rows:
        start = _period_start(row["start"])
        amount = row["amount_due"] or Decimal("0")
        statement.rows.append(
            StatementRow(
                period=start,
                label=period_label(start, period),
                kind=row["kind"],
                kind_label=str(labels.get(row["kind"], row["kind"])),
                unit_price=prices.get(row["kind"]),
                delivered=row["delivered"],
                validated=row["validated"],
                rejected=row["rejected"],
                amount_due=amount,
            )
        )
        statement.delivered += row["delivered"]
        statement.validated += row["validated"]
        statement.rejected += row["rejected"]
        statement.amount_due += amount
    order = list(Kind.values)
    statement.rows.sort(key=lambda r: (r.period, order.index(r.kind) if r.kind in order else len(order)))
    return statement


def _header() -> list[str]:
    return [
        gettext("Period"),
        gettext("Deliverable"),
        gettext("Unit price (MAD)"),
        gettext("Delivered"),
        gettext("Validated"),
        gettext("Rejected"),
        gettext("Amount due (MAD)"),
    ]


def _statement_lines(statement: Statement) -> list[list]:
    lines = [
        [
            row.label,
            row.kind_label,
            row.unit_price,
            row.delivered,
            row.validated,
            row.rejected,
            row.amount_due,
        ]
        for row in statement.rows
    ]
    lines.append(
        [
            gettext("Total"),
            "",
            None,
            statement.delivered,
            statement.validated,
            statement.rejected,
            statement.amount_due,
        ]
    )
    return lines


def _detail_header() -> list[str]:
    return [
        gettext("Delivered on"),
        gettext("Deliverable"),
        gettext("Work"),
        gettext("Status"),
        gettext("Amount (MAD)"),
        gettext("Note"),
    ]


def _detail_lines(contract: Contract):
    deliverables = (
        Deliverable.objects.filter(contract=contract)
        .select_related(
            "diagnostic__enrolment__cooperative",
            "training_day__session__module",
            "visit__engagement__enrolment__cooperative",
        )
        .order_by("delivered_on", "pk")
    )
    for deliverable in deliverables.iterator(chunk_size=500):
        yield [
            deliverable.delivered_on,
            deliverable.get_kind_display(),
            describe_work(deliverable),
            deliverable.get_status_display(),
            deliverable.amount_mad,
            deliverable.review_note,
        ]


def describe_work(deliverable: Deliverable) -> str:
    """The piece of work a deliverable counts, in words."""
    if deliverable.diagnostic_id:
        return str(deliverable.diagnostic)
    if deliverable.training_day_id:
        day = deliverable.training_day
        return f"{day.session} · {day.date.isoformat()}"
    if deliverable.visit_id:
        return gettext("%(cooperative)s, visit %(number)s") % {
            "cooperative": deliverable.visit.engagement.enrolment.cooperative,
            "number": deliverable.visit.number,
        }
    return ""


def statement_xlsx(contract: Contract, period: str = "month") -> bytes:
    """The statement for payment as a workbook: the statement sheet (per period and kind, then the
    total) and the list of deliverables. Text cells are neutralised against formulas."""
    statement = contract_statement(contract, period=period)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Statement")[:31])
    sheet.append([safe_cell(f"{contract.reference} – {contract.provider}")])
    sheet.append(_header())
    for line in _statement_lines(statement):
        sheet.append([safe_cell(value) for value in line])
    if statement.ceiling is not None:
        sheet.append([gettext("Ceiling (MAD)"), "", None, None, None, None, statement.ceiling])
        sheet.append(
            [gettext("Left under the ceiling (MAD)"), "", None, None, None, None, statement.ceiling_left]
        )
    details = workbook.create_sheet(gettext("Deliverables")[:31])
    details.append(_detail_header())
    for line in _detail_lines(contract):
        details.append([safe_cell(value) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statement_csv(contract: Contract, period: str = "month") -> str:
    """The statement (per period and kind, then the total) as CSV text, UTF-8 with a BOM."""
    statement = contract_statement(contract, period=period)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for line in _statement_lines(statement):
        writer.writerow(["" if value is None else safe_cell(value) for value in line])
    return buffer.getvalue()


def statement_filename(contract: Contract, period: str, extension: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in contract.reference)
    return f"deliverables-{safe}-{period}.{extension}"
