"""Fixtures shared by the financing tests: records made directly, not through the services, so that
each service is tested on its own."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from mourafaka.calls import eligibility
from mourafaka.calls.models import Application, ApplicationDocument, Call, Criterion
from mourafaka.cooperatives.models import Cooperative, Sector
from mourafaka.financing.allocation import tranche_amounts
from mourafaka.financing.models import (
    Agreement,
    Allocation,
    AllocationEntry,
    BudgetLine,
    Milestone,
    Proposal,
    Round,
    Tranche,
    TrancheCondition,
)
from mourafaka.programmes.models import Edition, Enrolment
from mourafaka.territory.models import Region

ROUND_REGIONS = ["06", "07", "10"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

FINANCING_GRID = [
    # code, kind, source, weight, scale max
    ("viability", "reviewed", "", 3, 4),
    ("social_impact", "reviewed", "", 3, 4),
    ("jobs", "reviewed", "", 2, 4),
    ("environment", "reviewed", "", 1, 4),
    ("women_or_youth", "computed", "women_or_youth_led", 1, 1),
]


@pytest.fixture
def financing_round(db) -> Round:
    """An open financing round of tranche 4 in regions 06, 07, 10: budget 1,000,000 MAD, ceiling
    300,000 MAD, co-financing at least 10 %, tranches 40/40/20, no cap; the financing rules and a
    grid of four reviewed criteria and one computed."""
    edition = Edition.objects.get(programme__code="mourafaka", code="tranche-4")
    now = timezone.now()
    call = Call.objects.create(
        edition=edition,
        code="test-round",
        kind=Call.Kind.FINANCING,
        name_fr="Financement des projets – test",
        name_ar="تمويل المشاريع – اختبار",
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=20),
        reviewers_per_application=2,
        eligibility_rules=eligibility.financing_rules(
            regions=ROUND_REGIONS, ceiling=Decimal(300000), min_share=Decimal("0.1"), beneficiaries_only=True
        ),
    )
    call.regions.set(Region.objects.filter(code__in=ROUND_REGIONS))
    for order, (code, kind, source, weight, high) in enumerate(FINANCING_GRID):
        Criterion.objects.create(
            call=call, code=code, name_fr=code, name_ar=code, kind=kind, source=source,
            weight=Decimal(weight), scale_min=0, scale_max=high, order=order,
        )  # fmt: skip
    return Round.objects.create(
        call=call,
        budget=Decimal(1_000_000),
        ceiling=Decimal(300_000),
        min_cofinancing_share=Decimal("0.1"),
        tranche_shares=[40, 40, 20],
    )


@pytest.fixture
def make_proposal(db, persona):
    """make_proposal(round, "SAF-2022-0088", amount_requested=…, status=…) → a proposal with two
    budget lines summing to its cost, a business plan and a quote; submitted unless status says."""

    def make(
        round: Round,
        registration_number: str,
        *,
        total_cost=Decimal(250_000),
        amount_requested=Decimal(200_000),
        own_contribution=Decimal(50_000),
        status=Proposal.Status.SUBMITTED,
        documents=True,
        submitted_at=None,
        **fields,
    ) -> Proposal:
        cooperative = Cooperative.objects.get(registration_number=registration_number)
        submitted = status != Proposal.Status.DRAFT
        application = Application.objects.create(
            call=round.call,
            cooperative=cooperative,
            status=Application.Status.SUBMITTED if submitted else Application.Status.DRAFT,
            project_summary=fields.get("title", "Projet"),
            submitted_at=(submitted_at or timezone.now()) if submitted else None,
            submitted_by=persona("cooperative") if submitted else None,
            eligible=None if status in ("draft", "submitted") else status != Proposal.Status.INELIGIBLE,
        )
        proposal = Proposal.objects.create(
            application=application,
            enrolment=Enrolment.objects.filter(cooperative=cooperative, edition=round.call.edition).first(),
            status=status,
            title=fields.pop("title", f"Projet de {cooperative.name_fr}"),
            description=fields.pop("description", "Achat d'équipements de production et mise aux normes."),
            sector=cooperative.sector if isinstance(cooperative.sector, Sector) else None,
            total_cost=Decimal(total_cost),
            amount_requested=Decimal(amount_requested),
            own_contribution=Decimal(own_contribution),
            expected_jobs=fields.pop("expected_jobs", 4),
            expected_members_reached=fields.pop("expected_members_reached", 12),
            social_impact=fields.pop("social_impact", "Emplois de femmes et revenus réguliers."),
            **fields,
        )
        first = (Decimal(total_cost) * Decimal("0.6")).quantize(Decimal("0.01"))
        BudgetLine.objects.create(
            proposal=proposal, category="equipment", label="Équipements", amount=first, order=0
        )
        BudgetLine.objects.create(
            proposal=proposal,
            category="works",
            label="Aménagement",
            amount=Decimal(total_cost) - first,
            order=1,
        )
        if documents:
            for kind in (ApplicationDocument.Kind.BUSINESS_PLAN, ApplicationDocument.Kind.QUOTE):
                document = ApplicationDocument(
                    application=application, kind=kind, title=kind, original_name=f"{kind}.pdf",
                    size=len(PDF), content_type="application/pdf",
                )  # fmt: skip
                document.file.save(f"{kind}.pdf", ContentFile(PDF), save=True)
        return proposal

    return make


@pytest.fixture
def make_agreement(db, persona):
    """make_agreement(proposal, signed=True) → a frozen one-line allocation, the agreement with its
    three tranches (40/40/20), two milestones and the default conditions: tranche 1 — agreement
    signed and bank details; tranche 2 — milestone 1 confirmed and invoices; tranche 3 — milestone 2
    confirmed and the final report."""

    def make(proposal: Proposal, *, signed: bool = True, amount=None) -> Agreement:
        round = proposal.application.call.financing_round
        amount = Decimal(amount or proposal.amount_requested)
        manager = persona("manager")
        allocation = Allocation.objects.create(
            round=round, number=(round.allocations.count() + 1), status=Allocation.Status.FROZEN,
            budget=round.budget, allocated=amount, funded_count=1, checksum="0" * 64, created_by=manager,
            frozen_by=manager, frozen_at=timezone.now(),
        )  # fmt: skip
        AllocationEntry.objects.create(
            allocation=allocation, proposal=proposal, region=proposal.application.cooperative.region,
            position=1, amount_requested=proposal.amount_requested, amount_granted=amount,
            remaining_after=round.budget - amount, outcome=AllocationEntry.Outcome.FUNDED,
        )  # fmt: skip
        Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.FUNDED)
        today = timezone.localdate()
        agreement = Agreement.objects.create(
            proposal=proposal,
            allocation=allocation,
            reference=f"FIN-TEST-{proposal.pk:04d}",
            amount=amount,
            status=Agreement.Status.SIGNED if signed else Agreement.Status.DRAFT,
            signed_on=today - dt.timedelta(days=30) if signed else None,
        )
        milestones = [
            Milestone.objects.create(
                agreement=agreement, order=1, title="Équipements achetés et installés",
                due_on=today + dt.timedelta(days=60),
            ),
            Milestone.objects.create(
                agreement=agreement, order=2, title="Unité en production", due_on=today + dt.timedelta(days=240)
            ),
        ]  # fmt: skip
        shares = [Decimal(40), Decimal(40), Decimal(20)]
        for number, (share, part) in enumerate(
            zip(shares, tranche_amounts(amount, shares), strict=True), start=1
        ):
            tranche = Tranche.objects.create(agreement=agreement, number=number, share=share, amount=part)
            if number == 1:
                TrancheCondition.objects.create(
                    tranche=tranche,
                    kind="signed_agreement",
                    name_fr="Convention signée",
                    name_ar="الاتفاقية موقعة",
                )
                TrancheCondition.objects.create(
                    tranche=tranche, kind="document", document_kind="bank_details",
                    name_fr="Relevé d'identité bancaire", name_ar="شهادة التعريف البنكي",
                )  # fmt: skip
            else:
                TrancheCondition.objects.create(
                    tranche=tranche, kind="milestone", milestone=milestones[number - 2],
                    name_fr=milestones[number - 2].title, name_ar=milestones[number - 2].title,
                )  # fmt: skip
                TrancheCondition.objects.create(
                    tranche=tranche, kind="document", document_kind="invoice" if number == 2 else "final_report",
                    name_fr="Factures" if number == 2 else "Rapport final",
                    name_ar="الفواتير" if number == 2 else "التقرير النهائي",
                )  # fmt: skip
        return agreement

    return make
