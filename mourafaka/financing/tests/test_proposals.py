"""Drafting, documents, submission and withdrawal of project proposals (financing.proposals)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.calls.models import Application, ApplicationDocument, Call
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.models import Notification
from mourafaka.financing import proposals
from mourafaka.financing.models import Proposal
from mourafaka.programmes.models import Enrolment
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINES = [
    {"category": "equipment", "label": "Séchoir solaire", "amount": "150000"},
    {"category": "works", "label": "Aménagement du local", "amount": "100000"},
]
DATA = {
    "title": "Unité de séchage",
    "description": "Un séchoir solaire et un local aux normes.",
    "total_cost": "250000",
    "amount_requested": "200000",
    "own_contribution": "30000",
    "other_cofinancing": "20000",
    "other_cofinancing_source": "INDH",
    "expected_jobs": 5,
    "expected_members_reached": 14,
    "social_impact": "Revenus réguliers pour les membres.",
    "environmental_impact": "Énergie solaire.",
}


def coop(number: str) -> Cooperative:
    return Cooperative.objects.get(registration_number=number)


def english(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


@pytest.fixture
def draft(financing_round, persona):
    return proposals.save_proposal(
        call=financing_round.call,
        cooperative=coop("SAF-2022-0088"),
        by=persona("cooperative"),
        data=DATA,
        lines=LINES,
    )


# ---------------------------------------------------------------------------
# Saving a draft


def test_cooperative_creates_a_draft_with_its_application_and_lines(financing_round, persona):
    cooperative = coop("SAF-2022-0088")
    proposal = proposals.save_proposal(
        call=financing_round.call, cooperative=cooperative, by=persona("cooperative"), data=DATA, lines=LINES
    )
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.version == 1
    assert proposal.application.status == Application.Status.DRAFT
    assert proposal.application.call == financing_round.call
    assert proposal.enrolment == Enrolment.objects.get(
        cooperative=cooperative, edition=financing_round.call.edition, status="active"
    )
    assert proposal.prepared_with is None
    assert proposal.total_cost == Decimal(250000)
    assert proposal.cofinancing == Decimal(50000)
    assert proposal.other_cofinancing_source == "INDH"
    assert [(line.label, line.amount, line.order) for line in proposal.budget_lines.all()] == [
        ("Séchoir solaire", Decimal(150000), 0),
        ("Aménagement du local", Decimal(100000), 1),
    ]


def test_coach_saves_for_a_cooperative_they_coach_and_is_recorded(financing_round, persona):
    coach = persona("coach")
    proposal = proposals.save_proposal(
        call=financing_round.call, cooperative=coop("SAF-2021-0120"), by=coach, data=DATA, lines=LINES
    )
    assert proposal.prepared_with == coach


def test_changing_a_draft_replaces_lines_and_bumps_the_version(draft, financing_round, persona):
    changed = proposals.save_proposal(
        call=financing_round.call, cooperative=draft.cooperative, by=persona("coach"), proposal=draft, version=1,
        data={"total_cost": "300000"}, lines=[*LINES, {"category": "training", "label": "Formation", "amount": 50000}],
    )  # fmt: skip
    assert changed.version == 2
    assert changed.title == DATA["title"]  # fields left out keep their value
    assert changed.total_cost == Decimal(300000)
    assert changed.budget_lines.count() == 3
    assert changed.prepared_with == persona("coach")


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("cooperative", True),
        ("coach", True),
        ("delegate.safi", True),
        ("manager", True),
        ("delegate.guelmim", False),
        ("juror", False),
        ("observer", False),
        ("trainer", False),
    ],
)
def test_who_may_prepare_the_proposal_of_saf_2022_0088(financing_round, persona, key, allowed):
    def save():
        return proposals.save_proposal(
            call=financing_round.call,
            cooperative=coop("SAF-2022-0088"),
            by=persona(key),
            data=DATA,
            lines=LINES,
        )

    if allowed:
        assert save().pk
    else:
        with pytest.raises(PermissionDenied):
            save()
        assert not Proposal.objects.filter(application__call=financing_round.call).exists()


def test_cooperative_cannot_propose_for_another_cooperative(financing_round, persona):
    with pytest.raises(PermissionDenied):
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2021-0120"), by=persona("cooperative"), data=DATA
        )


def test_coach_of_another_cooperative_is_refused(financing_round, persona):
    with pytest.raises(PermissionDenied):  # the demo coach does not coach BER-2022-0203
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("BER-2022-0203"), by=persona("coach"), data=DATA
        )


def test_budget_lines_that_do_not_add_up_are_refused(financing_round, persona):
    lines = [{"category": "equipment", "label": "Séchoir", "amount": "150000"}]
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2022-0088"), by=persona("cooperative"), data=DATA,
            lines=lines,
        )  # fmt: skip
    assert "The budget lines add up to 150 000 MAD, not the total cost of 250 000 MAD." in english(
        refused.value
    )
    assert not Proposal.objects.filter(application__call=financing_round.call).exists()


def test_amount_above_the_ceiling_is_refused_on_its_field(financing_round, persona):
    data = {**DATA, "total_cost": "400000", "amount_requested": "350000"}
    lines = [{"category": "equipment", "label": "Tout", "amount": "400000"}]
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2022-0088"), by=persona("cooperative"), data=data,
            lines=lines,
        )  # fmt: skip
    assert set(refused.value.message_dict) == {"amount_requested"}
    assert english(refused.value) == (
        "The amount requested, 350 000 MAD, is above the round's ceiling of 300 000 MAD."
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_requested": "260000"}, "amount_requested"),  # above the total cost
        ({"own_contribution": "-5"}, "own_contribution"),
        ({"total_cost": "beaucoup"}, "total_cost"),
        ({"expected_jobs": -1}, "expected_jobs"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_fields_are_refused_on_their_field(financing_round, persona, data, field):
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2022-0088"), by=persona("cooperative"),
            data={**DATA, **data}, lines=LINES,
        )  # fmt: skip
    assert field in refused.value.message_dict


def test_negative_budget_line_is_refused(financing_round, persona):
    lines = [*LINES[:1], {"category": "works", "label": "Remise", "amount": "-1"}]
    with pytest.raises(ValidationError):
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2022-0088"), by=persona("cooperative"), data=DATA,
            lines=lines,
        )  # fmt: skip


def test_stale_version_is_refused(draft, financing_round, persona):
    proposals.save_proposal(
        call=financing_round.call, cooperative=draft.cooperative, by=persona("coach"), proposal=draft, version=1,
        data={"title": "Séchoir (coach)"},
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=draft.cooperative, by=persona("cooperative"), proposal=draft,
            version=1, data={"title": "Séchoir (coopérative)"},
        )  # fmt: skip
    assert "changed by someone else" in english(refused.value)
    draft.refresh_from_db()
    assert draft.title == "Séchoir (coach)"


def test_closed_call_is_refused(financing_round, persona):
    Call.objects.filter(pk=financing_round.call_id).update(closes_at=timezone.now() - dt.timedelta(days=1))
    financing_round.call.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("SAF-2022-0088"), by=persona("cooperative"), data=DATA
        )
    assert "This round closed on" in english(refused.value)


def test_a_call_that_is_not_a_financing_round_is_refused(financing_round, persona):
    call = financing_round.call
    other = Call.objects.create(
        edition=call.edition,
        code="not-financing",
        name_fr="AMI",
        opens_at=call.opens_at,
        closes_at=call.closes_at,
    )
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=other, cooperative=coop("SAF-2022-0088"), by=persona("manager"), data=DATA
        )
    assert "not a financing round" in english(refused.value)


def test_region_outside_the_round_is_refused(financing_round, persona):
    financing_round.call.regions.remove(Region.objects.get(code="10"))
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=coop("GUE-2022-0150"), by=persona("manager"), data=DATA
        )
    assert "not open to the region" in english(refused.value)


def test_a_second_proposal_of_the_cooperative_is_refused(draft, financing_round, persona):
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call,
            cooperative=draft.cooperative,
            by=persona("coach"),
            data=DATA,
            lines=LINES,
        )
    assert "already has a proposal in this round" in english(refused.value)
    assert Proposal.objects.filter(application__call=financing_round.call).count() == 1


def test_a_withdrawn_proposal_is_taken_up_again_as_a_draft(draft, financing_round, persona):
    proposals.withdraw_proposal(proposal=draft, by=persona("cooperative"))
    again = proposals.save_proposal(
        call=financing_round.call,
        cooperative=draft.cooperative,
        by=persona("cooperative"),
        data={"title": "Bis"},
    )
    assert again.pk == draft.pk
    assert again.status == Proposal.Status.DRAFT
    assert again.application.status == Application.Status.DRAFT
    assert again.title == "Bis"


def test_a_submitted_proposal_can_no_longer_change(draft, financing_round, persona):
    proposals.submit_proposal(proposal=draft, by=persona("cooperative"))
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        proposals.save_proposal(
            call=financing_round.call, cooperative=draft.cooperative, by=persona("cooperative"), proposal=draft,
            data={"title": "Trop tard"},
        )  # fmt: skip
    assert "can no longer change" in english(refused.value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(
        st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100), max_size=5
    ),
    delta=st.sampled_from([Decimal(0), Decimal("0.01"), Decimal(-1), Decimal(1000)]),
)
def test_budget_lines_are_accepted_exactly_when_they_add_up_to_the_cost(
    draft, financing_round, persona, amounts, delta
):
    total = sum(amounts, Decimal(0)) + delta
    lines = [{"category": "other", "label": f"Poste {n}", "amount": str(a)} for n, a in enumerate(amounts)]
    data = {
        "total_cost": str(total),
        "amount_requested": "0",
        "own_contribution": "0",
        "other_cofinancing": "0",
    }
    save = lambda: proposals.save_proposal(  # noqa: E731
        call=financing_round.call, cooperative=draft.cooperative, by=persona("cooperative"), proposal=draft,
        data=data, lines=lines,
    )  # fmt: skip
    if total < 0:
        with pytest.raises(ValidationError):
            save()
    elif not lines or delta == 0:  # no lines yet (a draft in progress), or lines adding up
        saved = save()
        assert saved.total_cost == total
        assert sum(line.amount for line in saved.budget_lines.all()) == (total if lines else 0)
    else:
        with pytest.raises(ValidationError) as refused:
            save()
        assert "The budget lines add up to" in english(refused.value)


# ---------------------------------------------------------------------------
# Documents


def test_documents_are_checked_and_kept_with_the_application(draft, persona):
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    document = proposals.add_proposal_document(
        proposal=draft, file=upload, kind="business_plan", by=persona("coach"), title="Plan d'affaires"
    )
    assert document.application == draft.application
    assert document.kind == ApplicationDocument.Kind.BUSINESS_PLAN
    assert document.content_type == "application/pdf"
    assert document.uploaded_by == persona("coach")
    proposals.remove_proposal_document(document=document, by=persona("cooperative"))
    assert not ApplicationDocument.objects.filter(pk=document.pk).exists()


def test_a_file_that_is_not_what_it_says_is_refused(draft, persona):
    upload = SimpleUploadedFile("plan.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        proposals.add_proposal_document(
            proposal=draft, file=upload, kind="business_plan", by=persona("cooperative")
        )
    assert not ApplicationDocument.objects.filter(application=draft.application).exists()


def test_unknown_document_kind_is_refused(draft, persona):
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        proposals.add_proposal_document(proposal=draft, file=upload, kind="selfie", by=persona("cooperative"))
    assert "kind" in refused.value.message_dict


def test_documents_of_a_submitted_proposal_no_longer_change(financing_round, make_proposal, persona):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    upload = SimpleUploadedFile("devis.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError):
        proposals.add_proposal_document(
            proposal=proposal, file=upload, kind="quote", by=persona("cooperative")
        )
    with pytest.raises(ValidationError):
        proposals.remove_proposal_document(
            document=proposal.application.documents.first(), by=persona("manager")
        )


def test_documents_of_another_cooperative_are_refused(draft, persona):
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    with pytest.raises(PermissionDenied):
        proposals.add_proposal_document(
            proposal=draft, file=upload, kind="quote", by=persona("delegate.guelmim")
        )


# ---------------------------------------------------------------------------
# Submission, withdrawal


def test_submission_sends_the_application_and_tells_the_coach(draft, persona):
    before = set(Notification.objects.values_list("pk", flat=True))
    at = timezone.now()
    submitted = proposals.submit_proposal(proposal=draft, by=persona("cooperative"), at=at)
    assert submitted.status == Proposal.Status.SUBMITTED
    assert submitted.version == 2
    application = Application.objects.get(pk=draft.application_id)
    assert application.status == Application.Status.SUBMITTED
    assert application.submitted_at == at
    assert application.submitted_by == persona("cooperative")
    told = Notification.objects.exclude(pk__in=before)
    assert list(told.values_list("user__email", flat=True)) == [
        "coach@demo.mourafaka.ma"
    ]  # not the one who sent it


def test_missing_documents_do_not_block_submission(draft, persona):
    assert not draft.application.documents.exists()
    assert proposals.submit_proposal(proposal=draft, by=persona("coach")).status == Proposal.Status.SUBMITTED


def test_submission_after_the_call_closes_is_refused(draft, financing_round, persona):
    with pytest.raises(ValidationError) as refused:
        proposals.submit_proposal(
            proposal=draft,
            by=persona("cooperative"),
            at=financing_round.call.closes_at + dt.timedelta(minutes=1),
        )
    assert "This round closed on" in english(refused.value)


def test_submission_without_budget_lines_or_cost_is_refused(financing_round, persona):
    proposal = proposals.save_proposal(
        call=financing_round.call,
        cooperative=coop("SAF-2022-0088"),
        by=persona("cooperative"),
        data={"title": "X"},
    )
    with pytest.raises(ValidationError) as refused:
        proposals.submit_proposal(proposal=proposal, by=persona("cooperative"))
    assert {"total_cost", "amount_requested", "__all__"} <= set(refused.value.message_dict)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT


def test_submission_rechecks_the_ceiling(draft, financing_round, persona):
    financing_round.ceiling = Decimal(150000)
    financing_round.save()
    with pytest.raises(ValidationError) as refused:
        proposals.submit_proposal(proposal=draft, by=persona("cooperative"))
    assert "above the round's ceiling of 150 000 MAD" in english(refused.value)


def test_submitting_twice_is_refused(draft, persona):
    proposals.submit_proposal(proposal=draft, by=persona("cooperative"))
    with pytest.raises(ValidationError):
        proposals.submit_proposal(proposal=draft, by=persona("cooperative"))


def test_withdrawal(financing_round, make_proposal, persona):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    withdrawn = proposals.withdraw_proposal(proposal=proposal, by=persona("coach"))
    assert withdrawn.status == Proposal.Status.WITHDRAWN
    assert Application.objects.get(pk=proposal.application_id).status == Application.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        proposals.withdraw_proposal(proposal=proposal, by=persona("coach"))


def test_withdrawal_after_a_frozen_allocation_is_refused(
    financing_round, make_proposal, make_agreement, persona
):
    make_agreement(make_proposal(financing_round, "SAF-2021-0120"))
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.SCORED)
    with pytest.raises(ValidationError) as refused:
        proposals.withdraw_proposal(proposal=proposal, by=persona("cooperative"))
    assert "frozen" in english(refused.value)


def test_withdrawal_by_someone_out_of_scope_is_refused(financing_round, make_proposal, persona):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    with pytest.raises(PermissionDenied):
        proposals.withdraw_proposal(proposal=proposal, by=persona("delegate.guelmim"))


# ---------------------------------------------------------------------------
# Financing plan


def test_financing_plan(financing_round, make_proposal):
    proposal = make_proposal(
        financing_round, "SAF-2022-0088", total_cost=Decimal(250000), amount_requested=Decimal(200000),
        own_contribution=Decimal(20000), other_cofinancing=Decimal(10000),
    )  # fmt: skip
    plan = proposals.financing_plan(proposal)
    assert plan["lines_total"] == Decimal(250000)
    assert plan["lines_gap"] == 0 and plan["lines_match"]
    assert plan["cofinancing"] == Decimal(30000)
    assert plan["cofinancing_share"] == Decimal("0.12")
    assert plan["share_ok"] is True
    assert plan["sources_total"] == Decimal(230000)
    assert plan["sources_gap"] == Decimal(20000)
    assert plan["sources_cover_cost"] is False
    assert plan["within_ceiling"] is True


def test_financing_plan_of_a_short_co_financing(financing_round, make_proposal):
    proposal = make_proposal(
        financing_round, "SAF-2022-0088", total_cost=Decimal(250000), amount_requested=Decimal(240000),
        own_contribution=Decimal(10000),
    )  # fmt: skip
    plan = proposals.financing_plan(proposal)
    assert plan["cofinancing_share"] == Decimal("0.04")
    assert plan["share_ok"] is False
    assert plan["sources_cover_cost"] is True
