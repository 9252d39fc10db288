"""Grant agreements: signature, project documents, tranche conditions and the disbursement guards.

The agreement of the fixtures: 200,000 MAD for SAF-2022-0088 (region 07, coached by the demo coach),
signed 30 days ago; tranche 1 (80,000) needs the signature and the bank details, tranche 2 (80,000)
milestone 1 confirmed and the invoices, tranche 3 (40,000) milestone 2 confirmed and the final report.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.core.models import Notification
from mourafaka.financing import agreements
from mourafaka.financing.agreements import (
    add_condition,
    add_project_document,
    balance,
    check_condition,
    condition_met,
    record_disbursement,
    remove_condition,
    remove_project_document,
    sign_agreement,
    terminate_agreement,
    tranche_status,
    tranche_statuses,
)
from mourafaka.financing.models import (
    Agreement,
    AgreementDocument,
    Disbursement,
    Milestone,
    Tranche,
    TrancheCondition,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recipients_read_english(db):
    """Notifications are written in each recipient's language: these tests read them in English."""
    User.objects.filter(email__endswith="@demo.mourafaka.ma").update(language="en")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    return make_agreement(make_proposal(financing_round, "SAF-2022-0088"))


@pytest.fixture
def other_agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    """The agreement of BER-2022-0203 (region 06), not coached by the demo coach."""
    return make_agreement(make_proposal(financing_round, "BER-2022-0203"))


@pytest.fixture
def manager(persona) -> User:
    return persona("manager")


def pdf(name="document.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def tranche(agreement, number) -> Tranche:
    return agreement.tranches.get(number=number)


def document(agreement, kind) -> AgreementDocument:
    """A document record without going through the upload (fast; the file itself is not needed)."""
    return AgreementDocument.objects.create(
        agreement=agreement, kind=kind, file=f"financing/{agreement.pk}/{kind}.pdf", original_name=f"{kind}.pdf",
        size=len(PDF), content_type="application/pdf",
    )  # fmt: skip


def confirm(milestone: Milestone, by) -> None:
    Milestone.objects.filter(pk=milestone.pk).update(confirmed_at=timezone.now(), confirmed_by=by)


def milestone(agreement, order) -> Milestone:
    return agreement.milestones.get(order=order)


def refusal(error) -> str:
    return " ".join(error.value.messages)


def pay(agreement, number, amount, *, by, paid_on=TODAY, **options) -> Disbursement:
    return record_disbursement(
        tranche=tranche(agreement, number), amount=amount, paid_on=paid_on, by=by, **options
    )


def pay_tranche_1(agreement, manager) -> None:
    document(agreement, "bank_details")
    pay(agreement, 1, Decimal(80_000), by=manager)


def ready_tranche_2(agreement, manager) -> None:
    pay_tranche_1(agreement, manager)
    confirm(milestone(agreement, 1), manager)
    document(agreement, "invoice")


# ---------------------------------------------------------------------------
# Signature and termination


def test_head_office_signs_an_agreement_and_the_cooperative_and_its_coach_are_told(
    financing_round, make_proposal, make_agreement, manager, persona
):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    sign_agreement(agreement=agreement, signed_on=TODAY, by=manager, ends_on=TODAY + dt.timedelta(days=365))
    agreement.refresh_from_db()
    assert (agreement.status, agreement.signed_on) == (Agreement.Status.SIGNED, TODAY)
    assert agreement.ends_on == TODAY + dt.timedelta(days=365)
    told = set(
        Notification.objects.filter(title__contains=agreement.reference).values_list("user__email", flat=True)
    )
    assert told == {"cooperative@demo.mourafaka.ma", "coach@demo.mourafaka.ma"}


@pytest.mark.parametrize("key", ["coach", "delegate.safi", "cooperative", "observer"])
def test_only_head_office_signs(financing_round, make_proposal, make_agreement, persona, key):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    with pytest.raises(PermissionDenied):
        sign_agreement(agreement=agreement, signed_on=TODAY, by=persona(key))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


def test_a_signature_is_refused_in_the_future_before_the_decision_or_twice(
    financing_round, make_proposal, make_agreement, manager
):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    with pytest.raises(ValidationError) as error:
        sign_agreement(agreement=agreement, signed_on=TODAY + dt.timedelta(days=1), by=manager)
    assert error.value.message_dict == {"signed_on": ["The signature cannot be dated in the future."]}
    with pytest.raises(ValidationError) as error:
        sign_agreement(agreement=agreement, signed_on=TODAY - dt.timedelta(days=1), by=manager)
    assert error.value.message_dict == {
        "signed_on": [
            f"The agreement cannot be signed before the committee's decision of {TODAY.isoformat()}."
        ]
    }
    with pytest.raises(ValidationError) as error:
        sign_agreement(agreement=agreement, signed_on=TODAY, by=manager, ends_on=TODAY)
    assert error.value.message_dict == {"ends_on": ["The implementation must end after the signature."]}
    with pytest.raises(ValidationError) as error:
        sign_agreement(
            agreement=agreement, signed_on=TODAY, by=manager, ends_on=TODAY + dt.timedelta(days=100)
        )
    assert "“Unité en production” is due on" in error.value.message_dict["ends_on"][0]
    sign_agreement(agreement=agreement, signed_on=TODAY, by=manager)
    with pytest.raises(ValidationError) as error:
        sign_agreement(agreement=agreement, signed_on=TODAY, by=manager)
    assert refusal(error) == f"The agreement {agreement.reference} is already signed."


def test_termination_needs_a_reason_and_stops_the_payments(agreement, manager):
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        terminate_agreement(agreement=agreement, reason="  ", by=manager)
    assert error.value.message_dict == {"reason": ["Give the reason for the termination."]}
    terminate_agreement(agreement=agreement, reason="Cooperative dissolved.", by=manager)
    agreement.refresh_from_db()
    assert (agreement.status, agreement.termination_reason) == (
        Agreement.Status.TERMINATED,
        "Cooperative dissolved.",
    )
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 1000, by=manager)
    assert refusal(error) == f"The agreement {agreement.reference} is terminated."
    with pytest.raises(ValidationError) as error:
        terminate_agreement(agreement=agreement, reason="again", by=manager)
    assert refusal(error) == f"The agreement {agreement.reference} is terminated."
    with pytest.raises(ValidationError):
        sign_agreement(agreement=agreement, signed_on=TODAY, by=manager)


def test_only_head_office_terminates(agreement, persona):
    with pytest.raises(PermissionDenied):
        terminate_agreement(agreement=agreement, reason="No.", by=persona("delegate.safi"))


# ---------------------------------------------------------------------------
# Conditions and tranche status


def test_each_kind_of_condition_is_met_by_its_own_evidence(agreement, manager):
    first, second = tranche(agreement, 1), tranche(agreement, 2)
    signed = first.conditions.get(kind="signed_agreement")
    bank = first.conditions.get(kind="document")
    milestone_1 = second.conditions.get(kind="milestone")
    assert condition_met(signed)
    assert not condition_met(bank)
    document(agreement, "invoice")  # another kind does not count
    assert not condition_met(bank)
    document(agreement, "bank_details")
    assert condition_met(bank)
    assert not condition_met(milestone_1)
    Milestone.objects.filter(pk=milestone_1.milestone_id).update(reported_at=timezone.now())
    assert not condition_met(milestone_1), "reported done by the cooperative is not enough"
    confirm(milestone_1.milestone, manager)
    assert condition_met(milestone_1)
    other = add_condition(tranche=second, kind="other", by=manager, name_fr="Visite de contrôle")
    assert not condition_met(other)
    check_condition(condition=other, by=manager, note="Seen on site.")
    assert condition_met(other)


def test_the_signature_condition_is_not_met_on_a_draft(financing_round, make_proposal, make_agreement):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    assert not condition_met(tranche(agreement, 1).conditions.get(kind="signed_agreement"))


def test_tranche_status_says_what_is_missing(agreement, manager, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        statuses = tranche_statuses(agreement)
    first, second, third = statuses
    assert [row["amount"] for row in statuses] == [Decimal(80_000), Decimal(80_000), Decimal(40_000)]
    assert [(row["name"], row["met"]) for row in first["conditions"]] == [
        ("Convention signée", True),
        ("Relevé d'identité bancaire", False),
    ]
    assert not first["payable"]
    assert first["why_not"] == "Tranche 1 cannot be paid yet: Relevé d'identité bancaire."
    assert second["why_not"] == "Tranche 1 must be paid in full before tranche 2."
    document(agreement, "bank_details")
    status = tranche_status(tranche(agreement, 1))
    assert status["payable"] and status["why_not"] == ""
    assert (status["paid"], status["remaining"]) == (Decimal(0), Decimal(80_000))


def test_the_names_of_conditions_follow_the_language(agreement):
    with translation.override("ar"):
        assert tranche_status(tranche(agreement, 1))["why_not"].endswith("شهادة التعريف البنكي.")


def test_head_office_checks_only_other_conditions_once(agreement, manager, persona):
    other = add_condition(
        tranche=tranche(agreement, 1), kind="other", by=manager, name_fr="Assurance souscrite"
    )
    with pytest.raises(PermissionDenied):
        check_condition(condition=other, by=persona("coach"))
    with pytest.raises(ValidationError) as error:
        check_condition(condition=tranche(agreement, 1).conditions.get(kind="document"), by=manager)
    assert refusal(error).startswith("Only a condition checked by head office is ticked by hand")
    document(agreement, "bank_details")
    assert (
        tranche_status(tranche(agreement, 1))["why_not"]
        == "Tranche 1 cannot be paid yet: Assurance souscrite."
    )
    checked = check_condition(condition=other, by=manager, note="Police n° 42.")
    assert (checked.met_by, checked.note) == (manager, "Police n° 42.")
    assert tranche_status(tranche(agreement, 1))["payable"]
    with pytest.raises(ValidationError) as error:
        check_condition(condition=other, by=manager)
    assert refusal(error) == "This condition is already checked."


def test_conditions_are_added_and_removed_only_on_unpaid_tranches(
    agreement, other_agreement, manager, persona
):
    first, second = tranche(agreement, 1), tranche(agreement, 2)
    with pytest.raises(PermissionDenied):
        add_condition(tranche=second, kind="other", by=persona("delegate.safi"), name_fr="x")
    with pytest.raises(ValidationError) as error:
        add_condition(tranche=second, kind="document", by=manager)
    assert error.value.message_dict == {"document_kind": ["Choose the kind of document required."]}
    with pytest.raises(ValidationError) as error:
        add_condition(tranche=second, kind="document", document_kind="invoice", by=manager)
    assert refusal(error) == "Tranche 2 already has this condition."
    with pytest.raises(ValidationError) as error:
        add_condition(tranche=second, kind="milestone", milestone=milestone(other_agreement, 1), by=manager)
    assert error.value.message_dict == {"milestone": ["Choose a milestone of this agreement."]}
    with pytest.raises(ValidationError) as error:
        add_condition(tranche=second, kind="other", by=manager)
    assert error.value.message_dict == {"name_fr": ["Say what head office must check."]}
    with pytest.raises(ValidationError):
        add_condition(tranche=second, kind="nonsense", by=manager)
    photos = add_condition(
        tranche=second, kind="document", document_kind="photo", by=manager, name_fr="Photos"
    )
    assert tranche_status(second)["conditions"][-1] == {
        "condition": photos, "kind": "document", "name": "Photos", "met": False
    }  # fmt: skip
    remove_condition(condition=photos, by=manager)
    assert not TrancheCondition.objects.filter(pk=photos.pk).exists()

    pay_tranche_1(agreement, manager)
    with pytest.raises(ValidationError) as error:
        add_condition(tranche=first, kind="other", by=manager, name_fr="Trop tard")
    assert refusal(error) == "Tranche 1 has already received payments: its conditions can no longer change."
    with pytest.raises(ValidationError) as error:
        remove_condition(condition=first.conditions.get(kind="document"), by=manager)
    assert refusal(error) == "Tranche 1 has already received payments: its conditions can no longer change."
    assert first.conditions.count() == 2


def test_a_new_condition_blocks_a_tranche_until_it_is_met(agreement, manager):
    document(agreement, "bank_details")
    add_condition(
        tranche=tranche(agreement, 1), kind="document", document_kind="signed_agreement", by=manager
    )
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager)
    assert refusal(error) == "Tranche 1 cannot be paid yet: Signed agreement."
    document(agreement, "signed_agreement")
    pay(agreement, 1, 80_000, by=manager)


# ---------------------------------------------------------------------------
# Payments


def test_a_payment_is_recorded_when_its_conditions_are_met(agreement, manager):
    document(agreement, "bank_details")
    disbursement = pay(agreement, 1, "80000", by=manager, payment_reference=" VIR-2025-001 ")
    assert (disbursement.amount, disbursement.tranche.number, disbursement.payment_reference) == (
        Decimal(80_000), 1, "VIR-2025-001"
    )  # fmt: skip
    assert disbursement.recorded_by == manager
    assert balance(agreement) == {
        "granted": Decimal(200_000),
        "paid": Decimal(80_000),
        "remaining": Decimal(120_000),
        "tranches": [
            {"tranche": tranche(agreement, 1), "number": 1, "share": Decimal(40), "amount": Decimal(80_000),
             "paid": Decimal(80_000), "remaining": Decimal(0)},
            {"tranche": tranche(agreement, 2), "number": 2, "share": Decimal(40), "amount": Decimal(80_000),
             "paid": Decimal(0), "remaining": Decimal(80_000)},
            {"tranche": tranche(agreement, 3), "number": 3, "share": Decimal(20), "amount": Decimal(40_000),
             "paid": Decimal(0), "remaining": Decimal(40_000)},
        ],
    }  # fmt: skip
    told = Notification.objects.filter(title=f"Payment on the grant {agreement.reference}")
    assert set(told.values_list("user__email", flat=True)) == {
        "cooperative@demo.mourafaka.ma",
        "coach@demo.mourafaka.ma",
    }
    assert (
        told.first().body
        == f"80 000.00 MAD of tranche 1 of the grant {agreement.reference} were paid on {TODAY}."
    )


@pytest.mark.parametrize("key", ["coach", "delegate.safi", "cooperative", "consultant"])
def test_only_head_office_disburses(agreement, persona, key):
    document(agreement, "bank_details")
    with pytest.raises(PermissionDenied) as error:
        pay(agreement, 1, 80_000, by=persona(key))
    assert str(error.value) == "Only the head office can do this."
    assert not Disbursement.objects.filter(agreement=agreement).exists()


def test_nothing_is_paid_on_an_agreement_not_signed(financing_round, make_proposal, make_agreement, manager):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager)
    assert refusal(error) == f"The agreement {agreement.reference} is not signed yet."


def test_nothing_is_paid_before_its_conditions_are_met(agreement, manager):
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager)
    assert refusal(error) == "Tranche 1 cannot be paid yet: Relevé d'identité bancaire."
    pay_tranche_1(agreement, manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 80_000, by=manager)
    assert refusal(error) == "Tranche 2 cannot be paid yet: Équipements achetés et installés; Factures."
    document(agreement, "invoice")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 80_000, by=manager)
    assert refusal(error) == "Tranche 2 cannot be paid yet: Équipements achetés et installés."
    Milestone.objects.filter(pk=milestone(agreement, 1).pk).update(reported_at=timezone.now())
    with pytest.raises(ValidationError):
        pay(agreement, 2, 80_000, by=manager)
    confirm(milestone(agreement, 1), manager)
    pay(agreement, 2, 80_000, by=manager)


def test_tranches_are_paid_in_order(agreement, manager):
    document(agreement, "bank_details")
    confirm(milestone(agreement, 1), manager)
    document(agreement, "invoice")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 10_000, by=manager)
    assert refusal(error) == "Tranche 1 must be paid in full before tranche 2."
    pay(agreement, 1, 50_000, by=manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 10_000, by=manager)
    assert refusal(error) == "Tranche 1 must be paid in full before tranche 2."
    pay(agreement, 1, 30_000, by=manager)
    pay(agreement, 2, 10_000, by=manager)


def test_nothing_is_paid_twice(agreement, manager):
    pay_tranche_1(agreement, manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager)
    assert refusal(error) == "Tranche 1 is already paid in full."
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, "0.01", by=manager)
    assert refusal(error) == "Tranche 1 is already paid in full."
    assert balance(agreement)["paid"] == Decimal(80_000)


@pytest.mark.parametrize("amount", [0, -1, "-0.01", Decimal("0.00")])
def test_the_amount_must_be_positive(agreement, manager, amount):
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, amount, by=manager)
    assert error.value.message_dict == {"amount": ["The amount paid must be more than zero."]}


@pytest.mark.parametrize("amount", ["abc", "", None, "1.001", "NaN", "Infinity"])
def test_the_amount_must_be_an_amount_in_centimes(agreement, manager, amount):
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, amount, by=manager)
    assert error.value.message_dict == {"amount": ["Give an amount in MAD, with at most two decimals."]}


def test_the_amount_stays_within_what_remains_of_the_tranche(agreement, manager):
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, "80000.01", by=manager)
    assert error.value.message_dict == {
        "amount": ["80 000.01 MAD is more than the 80 000.00 MAD that remain to be paid on tranche 1."]
    }
    pay(agreement, 1, 60_000, by=manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 25_000, by=manager)
    assert error.value.message_dict == {
        "amount": ["25 000.00 MAD is more than the 20 000.00 MAD that remain to be paid on tranche 1."]
    }


def test_the_amount_stays_within_what_remains_of_the_grant(agreement, manager):
    """Tranches that add up to more than the grant (edited by hand) still cannot pay beyond it."""
    Agreement.objects.filter(pk=agreement.pk).update(amount=Decimal(150_000))
    agreement.refresh_from_db()
    ready_tranche_2(agreement, manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 80_000, by=manager)
    assert error.value.message_dict == {
        "amount": ["80 000.00 MAD is more than the 70 000.00 MAD that remain of the grant."]
    }
    pay(agreement, 2, 70_000, by=manager)
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 1, by=manager)
    assert refusal(error) == f"The whole grant of {agreement.reference} is already paid."


def test_payment_dates_are_sane(agreement, manager):
    document(agreement, "bank_details")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager, paid_on=TODAY + dt.timedelta(days=1))
    assert error.value.message_dict == {"paid_on": ["A payment cannot be dated in the future."]}
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager, paid_on=agreement.signed_on - dt.timedelta(days=1))
    assert error.value.message_dict == {
        "paid_on": [
            f"A payment cannot be dated before the signature of the agreement, on {agreement.signed_on}."
        ]
    }
    with pytest.raises(ValidationError) as error:
        pay(agreement, 1, 80_000, by=manager, paid_on="31/12/2024")
    assert error.value.message_dict == {"paid_on": ["Give a date (YYYY-MM-DD)."]}
    pay(agreement, 1, 80_000, by=manager, paid_on=(TODAY - dt.timedelta(days=5)).isoformat())
    confirm(milestone(agreement, 1), manager)
    document(agreement, "invoice")
    with pytest.raises(ValidationError) as error:
        pay(agreement, 2, 80_000, by=manager, paid_on=TODAY - dt.timedelta(days=6))
    assert error.value.message_dict == {
        "paid_on": [
            "A payment of tranche 2 cannot be dated before the last payment of tranche 1, on "
            f"{TODAY - dt.timedelta(days=5)}."
        ]
    }
    pay(agreement, 2, 80_000, by=manager, paid_on=agreement.signed_on + dt.timedelta(days=25))


def test_the_agreement_is_completed_when_all_is_paid_and_every_milestone_confirmed(agreement, manager):
    ready_tranche_2(agreement, manager)
    extra = Milestone.objects.create(agreement=agreement, order=3, title="Bilan", due_on=TODAY)
    pay(agreement, 2, 80_000, by=manager)
    confirm(milestone(agreement, 2), manager)
    document(agreement, "final_report")
    pay(agreement, 3, 40_000, by=manager)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED, "a milestone is still to confirm"
    assert balance(agreement)["remaining"] == 0
    assert not tranche_status(tranche(agreement, 3))["payable"]
    extra.delete()
    Milestone.objects.create(
        agreement=agreement, order=3, title="Bilan", due_on=TODAY, confirmed_at=timezone.now()
    )
    with transaction.atomic():
        assert agreements.complete_if_done(Agreement.objects.get(pk=agreement.pk))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.COMPLETED


def test_the_last_payment_completes_the_agreement(agreement, manager):
    ready_tranche_2(agreement, manager)
    pay(agreement, 2, 80_000, by=manager)
    confirm(milestone(agreement, 2), manager)
    document(agreement, "final_report")
    pay(agreement, 3, 15_000, by=manager)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED
    pay(agreement, 3, 25_000, by=manager)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.COMPLETED
    with pytest.raises(ValidationError) as error:
        pay(agreement, 3, 1, by=manager)
    assert refusal(error) == "Tranche 3 is already paid in full."


# The invariant: whatever is attempted, in whatever order, nothing is paid twice, beyond a tranche or
# the grant, out of order, or before the tranche's conditions are met.

TRANCHE_AMOUNTS = {1: Decimal(80_000), 2: Decimal(80_000), 3: Decimal(40_000)}
CONDITIONS = {1: ("bank_details", None), 2: ("invoice", 0), 3: ("final_report", 1)}
amounts = st.one_of(
    st.just("rest"),
    st.decimals(min_value=-100, max_value=90_000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal(80_000), Decimal(40_000), Decimal("0.01"), Decimal("40000.01")]),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=3), amounts),
        st.tuples(st.just("document"), st.sampled_from(["bank_details", "invoice", "final_report", "photo"])),
        st.tuples(st.just("confirm"), st.integers(min_value=0, max_value=1)),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_sequence_of_payments_breaks_the_guards(agreement, manager, steps):
    milestones = [milestone(agreement, 1), milestone(agreement, 2)]
    tranches = {number: tranche(agreement, number) for number in (1, 2, 3)}
    with transaction.atomic():
        documents, confirmed, paid = set(), set(), dict.fromkeys(TRANCHE_AMOUNTS, Decimal(0))
        for step in steps:
            if step[0] == "document":
                if step[1] not in documents:
                    document(agreement, step[1])
                    documents.add(step[1])
                continue
            if step[0] == "confirm":
                confirm(milestones[step[1]], manager)
                confirmed.add(step[1])
                continue
            _, number, amount = step
            rest = TRANCHE_AMOUNTS[number] - paid[number]
            amount = rest if amount == "rest" else amount
            kind, needed_milestone = CONDITIONS[number]
            conditions_met = kind in documents and (needed_milestone is None or needed_milestone in confirmed)
            in_order = all(paid[earlier] == TRANCHE_AMOUNTS[earlier] for earlier in range(1, number))
            payable = conditions_met and in_order and rest > 0
            assert tranche_status(tranches[number])["payable"] is payable
            try:
                record_disbursement(tranche=tranches[number], amount=amount, paid_on=TODAY, by=manager)
            except ValidationError:
                assert not (payable and 0 < amount <= rest)
            else:
                assert payable and 0 < amount <= rest, (number, amount, paid)
                paid[number] += amount
        recorded = balance(Agreement.objects.get(pk=agreement.pk))
        assert recorded["paid"] == sum(paid.values()) <= agreement.amount
        for row in recorded["tranches"]:
            assert row["paid"] == paid[row["number"]] <= row["amount"]
        for disbursement in Disbursement.objects.filter(agreement=agreement):
            number = disbursement.tranche.number
            kind, needed_milestone = CONDITIONS[number]
            assert kind in documents and (needed_milestone is None or needed_milestone in confirmed)
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------
# Project documents and photos


def test_the_cooperative_adds_a_photo_of_a_milestone(agreement, persona):
    photo = add_project_document(
        agreement=agreement, file=SimpleUploadedFile("atelier.jpg", JPEG), kind="photo", by=persona("cooperative"),
        caption=" L'atelier équipé ", milestone=milestone(agreement, 1),
    )  # fmt: skip
    photo.refresh_from_db()
    assert (photo.kind, photo.caption, photo.content_type, photo.original_name) == (
        "photo", "L'atelier équipé", "image/jpeg", "atelier.jpg"
    )  # fmt: skip
    assert photo.milestone == milestone(agreement, 1)
    assert photo.uploaded_by == persona("cooperative")
    assert photo.file.read() == JPEG
    png = add_project_document(agreement=agreement, file=SimpleUploadedFile("p.png", PNG), kind="photo",
                               by=persona("coach"))  # fmt: skip
    assert png.content_type == "image/png"


def test_a_photo_must_be_a_jpeg_or_png_image_whatever_its_name(agreement, persona, tmp_path):
    by = persona("cooperative")
    with pytest.raises(ValidationError) as error:
        add_project_document(agreement=agreement, file=pdf("photo.pdf"), kind="photo", by=by)
    assert error.value.message_dict == {"file": ["A photo must be a JPEG or PNG image."]}
    with pytest.raises(ValidationError) as error:
        add_project_document(agreement=agreement, file=pdf("photo.jpg", PDF), kind="photo", by=by)
    assert error.value.message_dict == {
        "file": ["The content of the file is not a JPEG file, whatever its name says."]
    }
    with pytest.raises(ValidationError) as error:
        add_project_document(
            agreement=agreement, file=SimpleUploadedFile("a.exe", b"MZ" * 10), kind="invoice", by=by
        )
    assert "Only PDF, JPEG, PNG, DOCX and XLSX files can be uploaded." in error.value.message_dict["file"]
    with pytest.raises(ValidationError) as error:
        add_project_document(agreement=agreement, file=pdf(), kind="selfie", by=by)
    assert error.value.message_dict == {"kind": ["Choose the kind of document."]}
    with pytest.raises(ValidationError) as error:
        add_project_document(agreement=agreement, file=None, kind="invoice", by=by)
    assert error.value.message_dict == {"file": ["Choose a file to upload."]}
    assert not AgreementDocument.objects.filter(agreement=agreement).exists()
    assert not any(path.is_file() for path in (tmp_path / "financing").rglob("*")), "no file is left behind"


def test_a_document_names_only_a_milestone_or_report_of_its_agreement(agreement, other_agreement, persona):
    with pytest.raises(ValidationError) as error:
        add_project_document(
            agreement=agreement, file=pdf(), kind="progress_report", by=persona("manager"),
            milestone=milestone(other_agreement, 1),
        )  # fmt: skip
    assert error.value.message_dict == {"milestone": ["This milestone belongs to another agreement."]}


def test_a_document_that_cannot_be_saved_leaves_no_file(agreement, persona, tmp_path):
    with pytest.raises(ValidationError):
        add_project_document(
            agreement=agreement, file=pdf(), kind="invoice", by=persona("manager"), caption="x" * 300
        )
    assert not any(path.is_file() for path in (tmp_path / "financing").rglob("*"))


@pytest.mark.parametrize("key", ["trainer", "mentor", "observer", "delegate.guelmim"])
def test_people_outside_the_project_add_no_document(agreement, persona, key):
    with pytest.raises(PermissionDenied):
        add_project_document(agreement=agreement, file=pdf(), kind="invoice", by=persona(key))


def test_a_cooperative_adds_documents_to_its_own_agreement_only(other_agreement, persona):
    with pytest.raises(PermissionDenied) as error:
        add_project_document(agreement=other_agreement, file=pdf(), kind="invoice", by=persona("cooperative"))
    assert str(error.value) == "You can only act for your own cooperative."


def test_a_removed_document_loses_its_file_after_commit(
    agreement, persona, django_capture_on_commit_callbacks
):
    uploaded = add_project_document(
        agreement=agreement, file=pdf("devis.pdf"), kind="invoice", by=persona("coach")
    )
    path = uploaded.file.path
    with django_capture_on_commit_callbacks(execute=True):
        remove_project_document(document=uploaded, by=persona("coach"))
    assert not AgreementDocument.objects.filter(pk=uploaded.pk).exists()
    assert not os.path.exists(path)


def test_the_evidence_of_a_payment_made_stays(agreement, manager, persona):
    bank = add_project_document(agreement=agreement, file=pdf("rib.pdf"), kind="bank_details", by=manager)
    pay(agreement, 1, 80_000, by=manager)
    with pytest.raises(ValidationError) as error:
        remove_project_document(document=bank, by=manager)
    assert refusal(error) == "This document justified a payment already made: it cannot be removed."
    newer = add_project_document(agreement=agreement, file=pdf("rib2.pdf"), kind="bank_details", by=manager)
    remove_project_document(document=bank, by=manager)
    with pytest.raises(ValidationError):
        remove_project_document(document=newer, by=manager)
    with pytest.raises(PermissionDenied):
        remove_project_document(document=newer, by=persona("delegate.guelmim"))


# ---------------------------------------------------------------------------
# Scope


@pytest.mark.parametrize(
    ("key", "sees"),
    [
        ("manager", True),
        ("delegate.safi", True),
        ("coach", True),
        ("cooperative", True),
        ("delegate.guelmim", False),
        ("trainer", False),
        ("mentor", False),
        ("observer", False),
    ],
)
def test_agreements_and_payments_are_seen_in_scope_only(agreement, manager, persona, key, sees):
    pay_tranche_1(agreement, manager)
    user = persona(key)
    for model in (Agreement, Tranche, TrancheCondition, Disbursement, AgreementDocument, Milestone):
        assert model.objects.visible_to(user).filter(**(
            {"pk": agreement.pk} if model is Agreement else
            {"tranche__agreement": agreement} if model is TrancheCondition else {"agreement": agreement}
        )).exists() is sees, model  # fmt: skip


def test_another_cooperative_sees_nothing_of_this_project(other_agreement, persona):
    cooperative = persona("cooperative")
    assert not Agreement.objects.visible_to(cooperative).filter(pk=other_agreement.pk).exists()
    assert not Milestone.objects.visible_to(cooperative).filter(agreement=other_agreement).exists()


def test_a_coach_of_another_cooperative_sees_nothing(agreement, other_agreement):
    coach = User.objects.create_user(
        email="coach.ber@example.ma", full_name="Coach Berrechid", role=Role.COACH
    )
    Assignment.objects.create(
        user=coach,
        cooperative=other_agreement.proposal.application.cooperative,
        kind=Assignment.Kind.COACHING,
    )
    visible = Agreement.objects.visible_to(coach).filter(pk__in=[agreement.pk, other_agreement.pk])
    assert list(visible) == [other_agreement]


def test_a_document_whose_record_fails_leaves_no_file(agreement, persona, tmp_path, monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(AgreementDocument, "save", fail)
    with pytest.raises(RuntimeError):
        add_project_document(agreement=agreement, file=pdf(), kind="invoice", by=persona("manager"))
    assert not any(path.is_file() for path in (tmp_path / "financing").rglob("*"))


def test_a_payment_locks_its_agreement_row_first(agreement, manager):
    """Two payments racing on the same agreement are checked one after the other (PostgreSQL)."""
    document(agreement, "bank_details")
    with CaptureQueriesContext(connection) as queries:
        pay(agreement, 1, 80_000, by=manager)
    if not connection.features.has_select_for_update:
        pytest.skip("this database does not lock rows (SQLite serialises the writers instead)")
    sqls = [query["sql"] for query in queries.captured_queries]
    first_lock = next(index for index, sql in enumerate(sqls) if "FOR UPDATE" in sql)
    first_read = next(index for index, sql in enumerate(sqls) if "financing_disbursement" in sql)
    assert '"financing_agreement"' in sqls[first_lock]
    assert first_lock < first_read, "the lock is taken before what is paid is read"
