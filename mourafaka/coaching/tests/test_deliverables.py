"""A provider's deliverables: what counts toward its contract, what is due, the export for payment, and
who sees and reviews them. Records are made directly (not through the other services)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone, translation
from openpyxl import load_workbook

from mourafaka.accounts.models import Role, User
from mourafaka.coaching import deliverables as service
from mourafaka.coaching.models import (
    Contract,
    Deliverable,
    DeliverableKind,
    Provider,
    ProviderStaff,
    UnitPrice,
    Visit,
)
from mourafaka.diagnostics.models import Diagnostic
from mourafaka.programmes.models import Edition, Enrolment
from mourafaka.territory.models import Province, Region
from mourafaka.trainings.models import Module, Session, SessionDay, Trainer

Kind = DeliverableKind
TODAY = dt.date(2025, 12, 31)
PRICES = {
    Kind.DIAGNOSTIC_VALIDATED: Decimal("5000.00"),
    Kind.TRAINING_DAY_HELD: Decimal("3000.00"),
    Kind.VISIT_CONFIRMED: Decimal("1500.00"),
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(11, 0)))


@pytest.fixture
def provider(db, persona) -> Provider:
    """A firm whose staff are the demo consultant, trainer and coach (the demo's own contracts, if
    any, are closed and their deliverables put aside)."""
    Deliverable.objects.all().delete()
    Contract.objects.update(status=Contract.Status.CLOSED)
    firm = Provider.objects.create(name="Cabinet Livrables")
    for key, function in (
        ("consultant", ProviderStaff.Function.CONSULTANT),
        ("trainer", ProviderStaff.Function.TRAINER),
        ("coach", ProviderStaff.Function.COACH),
    ):
        ProviderStaff.objects.create(provider=firm, user=persona(key), function=function)
    return firm


def make_contract(provider, *, regions=("07",), prices=PRICES, reference="CT-2025-01", **fields) -> Contract:
    fields = {"starts_on": dt.date(2025, 1, 1), "ends_on": dt.date(2025, 12, 31), **fields}
    contract = Contract.objects.create(provider=provider, reference=reference, lot="Lot Safi", **fields)
    contract.regions.set(Region.objects.filter(code__in=regions))
    for kind, price in prices.items():
        UnitPrice.objects.create(contract=contract, kind=kind, price_mad=price)
    return contract


@pytest.fixture
def contract(provider) -> Contract:
    return make_contract(provider, ceiling_mad=Decimal("20000"))


@pytest.fixture
def work(db, persona, make_engagement, safi_enrolment):
    """Work done in Marrakech-Safi in 2025:

    * SAF-2022-0088's diagnostic by the demo consultant, validated on 10 February (staff);
      SAF-2021-0120's by consultant.safi on 12 February (not staff);
    * a session in Safi, held by the demo trainer, on 3 and 4 March, and 5 January 2026 (later);
    * a visit to SAF-2022-0088 by the demo coach confirmed on 15 April, one submitted only, and one
      confirmed on 20 April written by another coach (not staff).
    """
    Diagnostic.objects.filter(enrolment=safi_enrolment, status=Diagnostic.Status.VALIDATED).update(
        validated_at=moment(dt.date(2025, 2, 10))
    )
    Diagnostic.objects.filter(
        enrolment__cooperative__registration_number="SAF-2021-0120", status=Diagnostic.Status.VALIDATED
    ).update(validated_at=moment(dt.date(2025, 2, 12)))

    module, _ = Module.objects.get_or_create(
        code="TR-LIV",
        defaults={
            "name_fr": "Livrables",
            "name_ar": "مخرجات",
            "theme": Module.Theme.GOVERNANCE,
            "duration_days": 2,
        },
    )
    trainer, _ = Trainer.objects.get_or_create(
        user=persona("trainer"), defaults={"full_name": "Youssef Amrani"}
    )
    session = Session.objects.create(
        module=module,
        edition=safi_enrolment.edition,
        region=Region.objects.get(code="07"),
        province=Province.objects.get(code="07.431"),
        venue="Safi",
        capacity=20,
        status=Session.Status.HELD,
    )
    session.trainers.set([trainer])
    days = [
        SessionDay.objects.create(session=session, date=day)
        for day in (dt.date(2025, 3, 3), dt.date(2025, 3, 4), dt.date(2026, 1, 5))
    ]

    coach = persona("coach")
    other_coach = User.objects.create_user(
        email="coach.other@example.ma", full_name="Autre Coach", role=Role.COACH
    )
    engagement = make_engagement(safi_enrolment)
    confirmed = Visit.objects.create(
        engagement=engagement,
        number=1,
        planned_on=dt.date(2025, 4, 10),
        held_on=dt.date(2025, 4, 12),
        status=Visit.Status.CONFIRMED,
        coach=coach,
        acknowledged_at=moment(dt.date(2025, 4, 15)),
    )
    submitted = Visit.objects.create(
        engagement=engagement,
        number=2,
        planned_on=dt.date(2025, 5, 10),
        held_on=dt.date(2025, 5, 10),
        status=Visit.Status.SUBMITTED,
        coach=coach,
    )
    by_other = Visit.objects.create(
        engagement=engagement,
        number=3,
        planned_on=dt.date(2025, 4, 18),
        held_on=dt.date(2025, 4, 18),
        status=Visit.Status.CONFIRMED,
        coach=other_coach,
        acknowledged_at=moment(dt.date(2025, 4, 20)),
    )
    return {
        "session": session,
        "days": days,
        "confirmed": confirmed,
        "submitted": submitted,
        "by_other": by_other,
        "other_coach": other_coach,
        "engagement": engagement,
    }


def recorded(contract) -> list[tuple[str, dt.date, Decimal]]:
    return list(
        contract.deliverables.order_by("delivered_on", "pk").values_list("kind", "delivered_on", "amount_mad")
    )


# ---------------------------------------------------------------------------
# Collecting


def test_collect_counts_the_staffs_work_once(contract, work, safi_enrolment):
    assert service.collect_deliverables(contract=contract, today=TODAY) == 4
    assert recorded(contract) == [
        (Kind.DIAGNOSTIC_VALIDATED, dt.date(2025, 2, 10), Decimal("5000.00")),
        (Kind.TRAINING_DAY_HELD, dt.date(2025, 3, 3), Decimal("3000.00")),
        (Kind.TRAINING_DAY_HELD, dt.date(2025, 3, 4), Decimal("3000.00")),
        (Kind.VISIT_CONFIRMED, dt.date(2025, 4, 15), Decimal("1500.00")),
    ]
    diagnostic = contract.deliverables.get(kind=Kind.DIAGNOSTIC_VALIDATED).diagnostic
    assert diagnostic.enrolment == safi_enrolment  # not consultant.safi's, who is not staff
    assert contract.deliverables.get(kind=Kind.VISIT_CONFIRMED).visit == work["confirmed"]
    assert set(contract.deliverables.values_list("status", flat=True)) == {Deliverable.Status.DELIVERED}

    # Idempotent: running again records nothing.
    assert service.collect_deliverables(contract=contract, today=TODAY) == 0
    assert contract.deliverables.count() == 4


def test_collect_picks_up_new_work_only(contract, work, persona):
    service.collect_deliverables(contract=contract, today=TODAY)
    Visit.objects.filter(pk=work["submitted"].pk).update(
        status=Visit.Status.CONFIRMED, acknowledged_at=moment(dt.date(2025, 5, 12))
    )
    assert service.collect_deliverables(contract=contract, today=TODAY) == 1
    # The other coach joins the provider: their confirmed visit now counts too.
    ProviderStaff.objects.create(
        provider=contract.provider, user=work["other_coach"], function=ProviderStaff.Function.COACH
    )
    assert service.collect_deliverables(contract=contract, today=TODAY) == 1
    assert contract.deliverables.filter(kind=Kind.VISIT_CONFIRMED).count() == 3


def test_training_days_count_only_once_held_and_up_to_today(contract, work):
    Session.objects.filter(pk=work["session"].pk).update(status=Session.Status.PLANNED)
    service.collect_deliverables(contract=contract, today=TODAY)
    assert not contract.deliverables.filter(kind=Kind.TRAINING_DAY_HELD).exists()

    Session.objects.filter(pk=work["session"].pk).update(status=Session.Status.CLOSED)
    longer = Contract.objects.filter(pk=contract.pk)
    longer.update(ends_on=dt.date(2026, 6, 30))
    contract.refresh_from_db()
    assert service.collect_deliverables(contract=contract, today=dt.date(2026, 1, 4)) == 2
    assert service.collect_deliverables(contract=contract, today=dt.date(2026, 1, 5)) == 1


def test_work_by_people_who_left_the_provider_is_not_counted(contract, work):
    ProviderStaff.objects.filter(provider=contract.provider).update(active=False)
    assert service.collect_deliverables(contract=contract, today=TODAY) == 0


def test_a_trainer_of_the_session_who_is_not_staff_does_not_count(contract, work):
    ProviderStaff.objects.filter(provider=contract.provider, function=ProviderStaff.Function.TRAINER).delete()
    service.collect_deliverables(contract=contract, today=TODAY)
    assert not contract.deliverables.filter(kind=Kind.TRAINING_DAY_HELD).exists()


def test_work_outside_the_lots_regions_is_not_counted(provider, work):
    elsewhere = make_contract(provider, regions=("06", "10"), reference="CT-2025-OUT")
    assert service.collect_deliverables(contract=elsewhere, today=TODAY) == 0


def test_work_outside_the_contracts_period_is_not_counted(provider, work):
    summer = make_contract(
        provider, reference="CT-2025-SUMMER", starts_on=dt.date(2025, 3, 4), ends_on=dt.date(2025, 4, 14)
    )
    assert service.collect_deliverables(contract=summer, today=TODAY) == 1  # the day of 4 March only
    assert recorded(summer) == [(Kind.TRAINING_DAY_HELD, dt.date(2025, 3, 4), Decimal("3000.00"))]
    not_yet = make_contract(
        provider, reference="CT-2026", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31)
    )
    assert service.collect_deliverables(contract=not_yet, today=TODAY) == 0


def test_work_of_another_edition_is_not_counted(provider, work):
    other = Edition.objects.exclude(code="tranche-4").first()
    contract = make_contract(provider, reference="CT-OTHER-EDITION", edition=other)
    # Sessions without an edition would still count; this one belongs to tranche 4.
    assert service.collect_deliverables(contract=contract, today=TODAY) == 0
    own = make_contract(provider, reference="CT-TRANCHE-4", edition=Enrolment.objects.first().edition)
    assert service.collect_deliverables(contract=own, today=TODAY) == 4


def test_a_kind_without_unit_price_is_not_collected(provider, work):
    visits_only = make_contract(provider, prices={Kind.VISIT_CONFIRMED: Decimal("1200")})
    assert service.collect_deliverables(contract=visits_only, today=TODAY) == 1
    assert recorded(visits_only) == [(Kind.VISIT_CONFIRMED, dt.date(2025, 4, 15), Decimal("1200.00"))]


def test_a_training_day_is_paid_once_to_a_provider(provider, work):
    first = make_contract(provider, prices={Kind.TRAINING_DAY_HELD: Decimal("3000")}, reference="CT-A")
    second = make_contract(provider, prices={Kind.TRAINING_DAY_HELD: Decimal("3000")}, reference="CT-B")
    assert service.collect_deliverables(contract=first, today=TODAY) == 2
    assert service.collect_deliverables(contract=second, today=TODAY) == 0


def test_the_amount_is_frozen_when_recorded(contract, work):
    service.collect_deliverables(contract=contract, today=TODAY)
    UnitPrice.objects.filter(contract=contract, kind=Kind.VISIT_CONFIRMED).update(price_mad=Decimal("9999"))
    assert contract.deliverables.get(kind=Kind.VISIT_CONFIRMED).amount_mad == Decimal("1500.00")


def test_a_closed_contract_and_other_roles_collect_nothing(contract, work, persona):
    with pytest.raises(PermissionDenied):
        service.collect_deliverables(contract=contract, by=persona("delegate.safi"), today=TODAY)
    assert service.collect_deliverables(contract=contract, by=persona("manager"), today=TODAY) == 4
    Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        service.collect_deliverables(contract=contract, today=TODAY)
    assert service.collect_all(today=TODAY) == 0


def test_collect_command(contract, work, capsys):
    call_command("collect_deliverables", "--today", TODAY.isoformat())
    assert "4 deliverable(s) recorded." in capsys.readouterr().out
    call_command("collect_deliverables", "--contract", contract.reference, "--today", TODAY.isoformat())
    assert "0 deliverable(s) recorded." in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Review and amounts due


@pytest.fixture
def reviewed(contract, work, persona) -> Contract:
    """Collected, then: the diagnostic and the visit validated, one training day validated and the
    other rejected."""
    service.collect_deliverables(contract=contract, today=TODAY)
    manager = persona("manager")
    items = contract.deliverables.order_by("delivered_on", "pk")
    diagnostic, day_1, day_2, visit = list(items)
    assert (
        service.review_deliverables(deliverables=[diagnostic, day_1, visit], status="validated", by=manager)
        == 3
    )
    assert (
        service.review_deliverables(
            deliverables=[day_2], status="rejected", by=manager, note="Feuille absente"
        )
        == 1
    )
    return contract


def test_amount_due_per_month(reviewed):
    statement = service.contract_statement(reviewed, period="month")
    rows = [(r.label, r.kind, r.delivered, r.validated, r.rejected, r.amount_due) for r in statement.rows]
    assert rows == [
        ("2025-02", Kind.DIAGNOSTIC_VALIDATED, 1, 1, 0, Decimal("5000.00")),
        ("2025-03", Kind.TRAINING_DAY_HELD, 2, 1, 1, Decimal("3000.00")),  # the rejected day is not due
        ("2025-04", Kind.VISIT_CONFIRMED, 1, 1, 0, Decimal("1500.00")),
    ]
    for row in statement.rows:
        assert row.amount_due == row.validated * PRICES[row.kind]
    assert (statement.delivered, statement.validated, statement.rejected, statement.pending) == (4, 3, 1, 0)
    assert statement.amount_due == Decimal("9500.00")
    assert statement.ceiling_left == Decimal("10500.00")


def test_amount_due_per_quarter(reviewed):
    statement = service.contract_statement(reviewed, period="quarter")
    rows = [(r.label, r.kind, r.validated, r.amount_due) for r in statement.rows]
    assert rows == [
        ("2025-Q1", Kind.DIAGNOSTIC_VALIDATED, 1, Decimal("5000.00")),
        ("2025-Q1", Kind.TRAINING_DAY_HELD, 1, Decimal("3000.00")),
        ("2025-Q2", Kind.VISIT_CONFIRMED, 1, Decimal("1500.00")),
    ]
    assert statement.amount_due == Decimal("9500.00")


def test_nothing_is_due_before_review(contract, work):
    service.collect_deliverables(contract=contract, today=TODAY)
    statement = service.contract_statement(contract)
    assert statement.delivered == statement.pending == 4
    assert statement.amount_due == 0


def test_statement_refuses_an_unknown_period(contract):
    with pytest.raises(ValidationError, match="month or a quarter"):
        service.contract_statement(contract, period="year")


def test_xlsx_export_opens_and_its_totals_match(reviewed):
    for period in ("month", "quarter"):
        workbook = load_workbook(io.BytesIO(service.statement_xlsx(reviewed, period)))
        sheet = workbook.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        assert values[1][0] == "Period" and values[1][-1] == "Amount due (MAD)"
        total_at = next(i for i, row in enumerate(values) if row[0] == "Total")
        lines = values[2:total_at]
        assert (
            sum(Decimal(str(row[6])) for row in lines) == Decimal(str(values[total_at][6])) == Decimal("9500")
        )
        assert sum(row[3] for row in lines) == values[total_at][3] == 4
        assert sum(row[4] for row in lines) == values[total_at][4] == 3
        details = list(workbook.worksheets[1].iter_rows(values_only=True))
        assert len(details) == 1 + 4
        assert {row[3] for row in details[1:]} == {"Validated", "Rejected"}


def test_csv_export_totals_match(reviewed):
    text = service.statement_csv(reviewed, "quarter")
    assert text.startswith("\ufeff")
    lines = [line.split(",") for line in text.lstrip("\ufeff").strip().splitlines()]
    assert lines[-1][0] == "Total"
    assert sum(Decimal(line[6]) for line in lines[1:-1]) == Decimal(lines[-1][6]) == Decimal("9500.00")


def test_a_rejection_needs_a_reason_and_a_status_is_validated_or_rejected(contract, work, persona):
    service.collect_deliverables(contract=contract, today=TODAY)
    manager = persona("manager")
    with pytest.raises(ValidationError, match="why"):
        service.review_deliverables(deliverables=contract.deliverables.all(), status="rejected", by=manager)
    with pytest.raises(ValidationError):
        service.review_deliverables(deliverables=contract.deliverables.all(), status="delivered", by=manager)
    assert not contract.deliverables.exclude(status=Deliverable.Status.DELIVERED).exists()
    everything = list(contract.deliverables.all())
    assert service.review_deliverables(deliverables=everything, status="validated", by=manager) == 4
    assert service.review_deliverables(deliverables=everything, status="validated", by=manager) == 0
    item = contract.deliverables.first()
    assert item.reviewed_by == manager and item.reviewed_at is not None


# ---------------------------------------------------------------------------
# Who sees and reviews


def test_a_coach_of_another_provider_sees_none_of_the_contracts_deliverables(contract, work, persona):
    service.collect_deliverables(contract=contract, today=TODAY)
    rival = Provider.objects.create(name="Cabinet Concurrent")
    ProviderStaff.objects.create(
        provider=rival, user=work["other_coach"], function=ProviderStaff.Function.COACH
    )

    assert not Deliverable.objects.visible_to(work["other_coach"]).filter(contract=contract).exists()
    assert not Contract.objects.visible_to(work["other_coach"]).filter(pk=contract.pk).exists()
    # The provider's own coach reads them.
    assert Deliverable.objects.visible_to(persona("coach")).filter(contract=contract).count() == 4


def test_a_delegate_reads_but_cannot_review(contract, work, persona):
    service.collect_deliverables(contract=contract, today=TODAY)
    delegate = persona("delegate.safi")
    assert Deliverable.objects.visible_to(delegate).filter(contract=contract).count() == 4
    with pytest.raises(PermissionDenied, match="head office"):
        service.review_deliverables(deliverables=contract.deliverables.all(), status="validated", by=delegate)
    assert not contract.deliverables.exclude(status=Deliverable.Status.DELIVERED).exists()
    with pytest.raises(PermissionDenied):
        service.review_deliverables(
            deliverables=contract.deliverables.all(), status="validated", by=persona("coach")
        )
