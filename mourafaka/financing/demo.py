"""Demo project financing, loaded at the end of `load_demo()`.

* The round "Financement des projets à fort potentiel – tranche 4" (`t4-financement`), for the
  tranche-4 beneficiaries of regions 06, 07 and 10: budget 900,000 MAD, ceiling 300,000 MAD,
  co-financing of at least 10 %, at most 4 projects and 2 in Marrakech-Safi (07), tranches
  40/40/20. It closed five weeks ago with six proposals (French titles, budget lines, business
  plans and quotes), one of them not eligible for too little co-financing (Berrechid du recyclage).
  The committee (the programme manager and the demo juror) scored the five others; the allocation
  funds four, in ranking order, within the budget and the caps: Al Khayr des céréales, third
  project of region 07, is left out by the region's cap, and the smaller project of Oued Noun
  after it is still funded. The decision is frozen (dated four weeks ago), which ends the juror's
  access to the cooperatives it scored (its own jury panel stays), and the agreements are:
  - Sardine d'or (SAF-2022-0088, coached by the demo coach): signed, bank details given, tranche 1
    paid, invoices uploaded, milestone 1 reported done by the cooperative and waiting for the
    coach's confirmation (which makes tranche 2 payable), a follow-up report with jobs and turnover;
  - Tifaouine (MAR-2022-0141): signed, tranche 1 paid, its first milestone late;
  - Doukkala du lait (JAD-2022-0412): awaiting its signature;
  - Oued Noun du couscous (GUE-2022-0150): signed, tranche 1 waiting for the bank details.
* A second round of tranche 4 (`t4-financement-2`), open today (its dates follow today's date),
  in which the demo coach started a proposal for Sardine d'or: a draft its representative finishes
  (social impact, a quote) and submits.

Everything goes through the real services (submissions, signatures, payments and reports take
their dates as parameters). Two dates the services set to today are moved back afterwards to tell
the story in the past: the round's closing date (proposals are saved while it is open, then it
closed five weeks ago) and the date of the committee's decision (four weeks ago).
Idempotent: each step runs only when it has not run yet (natural keys: the calls' codes, one
proposal per cooperative and round, the agreements' state), so loading twice changes nothing and
work done in the demo is never overwritten. `load_financing(until="scored")` stops the first round
once the committee has scored (the browser journey allocates it itself).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from auditlog.context import set_actor
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from mourafaka.accounts.models import Assignment, User
from mourafaka.calls.models import ApplicationDocument, Call, ReviewerAssignment, Score
from mourafaka.cooperatives.demo_members import minimal_pdf
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

from . import agreements, decisions, followup, proposals, rounds
from .models import Agreement, AgreementDocument, Allocation, Proposal, Round

DEMO_DOMAIN = "demo.mourafaka.ma"
CLOSED_ROUND = "t4-financement"
OPEN_ROUND = "t4-financement-2"
REGIONS = ("06", "07", "10")

# Days before today: when the first round opened and closed, when the committee decided.
OPENED_DAYS_AGO = 100
CLOSED_DAYS_AGO = 35
DECIDED_DAYS_AGO = 28


@dataclass(frozen=True)
class DemoProposal:
    number: str
    by: str  # the demo account that drafts and submits it
    submitted_days_ago: int
    title: str
    description: str
    total_cost: int
    amount_requested: int
    own_contribution: int
    other_cofinancing: int
    other_source: str
    expected_jobs: int
    members_reached: int
    social_impact: str
    environmental_impact: str
    lines: tuple[tuple[str, str, int], ...]  # category, label, amount
    #: The committee's scores (viability, social impact, jobs, environment), 0..4, by the manager;
    #: the juror scores half a point apart where noted in JUROR_SHIFT.
    scores: tuple[float, float, float, float] | None = None


PROPOSALS = [
    DemoProposal(
        "SAF-2022-0088", "cooperative", 40,
        "Unité de conserverie de sardines aux normes ONSSA",
        "Équiper la salle de production de la coopérative d'un autoclave et d'une sertisseuse "
        "semi-automatique pour mettre en conserve la sardine pêchée à Safi, vendue aujourd'hui fraîche "
        "aux mareyeurs au prix le plus bas de la saison.",
        320_000, 260_000, 45_000, 15_000, "INDH – programme d'appui aux activités génératrices de revenus",
        6, 14,
        "Six emplois de femmes de familles de pêcheurs ; un revenu régulier toute l'année au lieu de la "
        "seule haute saison ; formation des membres à l'hygiène et à la traçabilité.",
        "Moins de poisson perdu en haute saison ; emballages recyclables ; eaux de cuisson traitées.",
        (
            ("equipment", "Autoclave et sertisseuse semi-automatique", 168_000),
            ("works", "Aménagement de la salle de production aux normes ONSSA", 92_000),
            ("training", "Formation des membres à l'hygiène et à la traçabilité", 25_000),
            ("marketing", "Étiquettes et emballages de lancement", 35_000),
        ),
        (4, 4, 3.5, 3),
    ),
    DemoProposal(
        "JAD-2022-0412", "coach", 38,
        "Centre de collecte et de refroidissement du lait",
        "Un tank de refroidissement de 3 000 litres et un triporteur isotherme pour collecter le lait "
        "des membres deux fois par jour et le livrer réfrigéré à la laiterie de Sidi Bennour.",
        330_000, 280_000, 50_000, 0, "",
        5, 31,
        "Un prix du lait payé à la qualité pour 31 éleveurs ; cinq emplois de collecteurs et de "
        "contrôleurs de la qualité.",
        "Moins de lait jeté l'été ; groupe électrogène de secours de faible consommation.",
        (
            ("equipment", "Tank de refroidissement de 3 000 litres et groupe électrogène", 210_000),
            ("vehicle", "Triporteur isotherme de collecte", 65_000),
            ("works", "Dalle et abri du centre de collecte", 40_000),
            ("training", "Formation des membres à l'hygiène de la traite", 15_000),
        ),
        (3.5, 3.5, 3.5, 2.5),
    ),
    DemoProposal(
        "MAR-2022-0141", "manager", 45,
        "Presse à argane mécanisée et salle de conditionnement",
        "Remplacer le concassage et le malaxage à la main par une presse à vis et un torréfacteur, et "
        "conditionner l'huile en flacons étiquetés pour la vente directe et l'export.",
        275_000, 240_000, 35_000, 0, "",
        4, 18,
        "Dix-huit femmes rurales mieux payées pour leur huile ; moins de pénibilité ; quatre emplois "
        "au conditionnement.",
        "Tourteaux valorisés en aliment du bétail ; coques utilisées comme combustible du torréfacteur.",
        (
            ("equipment", "Presse à huile d'argane à vis et torréfacteur", 150_000),
            ("equipment", "Décanteur et ligne de mise en bouteille", 70_000),
            ("marketing", "Certification biologique et étiquetage", 35_000),
            ("working_capital", "Fonds de roulement : achat d'amandons", 20_000),
        ),
        (2.5, 3, 2.5, 3),
    ),
    DemoProposal(
        "SAF-2021-0120", "coach", 42,
        "Moulin à meules de pierre et silo de stockage des céréales",
        "Moudre à façon les céréales des agriculteurs de la commune et vendre une farine complète aux "
        "boulangeries de Youssoufia, avec un silo pour stocker la récolte.",
        240_000, 200_000, 24_000, 16_000, "Commune de Youssoufia",
        3, 23,
        "Vingt-trois agriculteurs valorisent leur récolte au lieu de la vendre au souk au plus bas ; "
        "trois emplois au moulin.",
        "Moins de pertes au stockage ; sons vendus aux éleveurs.",
        (
            ("equipment", "Moulin à meules de pierre et tamiseuse", 120_000),
            ("works", "Silo de stockage de 50 tonnes", 95_000),
            ("marketing", "Sacs et étiquettes de farine complète", 25_000),
        ),
        (3, 3, 2.5, 2),
    ),
    DemoProposal(
        "GUE-2022-0150", "delegate.guelmim", 37,
        "Atelier de couscous roulé à la main et séchoir solaire",
        "Équiper l'atelier des huit membres d'une rouleuse et d'un séchoir solaire pour tenir les "
        "commandes des épiceries fines de Guelmim et d'Agadir.",
        125_000, 110_000, 15_000, 0, "",
        3, 8,
        "Huit femmes au revenu doublé ; trois jeunes femmes du douar embauchées à l'atelier.",
        "Séchage au soleil au lieu du gaz ; emballages en papier kraft.",
        (
            ("equipment", "Rouleuse et séchoir solaire à couscous", 80_000),
            ("works", "Aménagement de l'atelier", 25_000),
            ("marketing", "Emballages et stand au Salon de l'agriculture", 20_000),
        ),
        (2.5, 2.5, 1.5, 2),
    ),
    DemoProposal(
        "BER-2022-0203", "manager", 36,
        "Tri et broyage des plastiques de Berrechid",
        "Un broyeur et une laveuse pour vendre aux recycleurs des paillettes de plastique propres au "
        "lieu de balles en vrac.",
        160_000, 150_000, 10_000, 0, "",
        5, 6,
        "Cinq jeunes de Berrechid employés au tri ; des collecteurs informels payés au poids.",
        "Quarante tonnes de plastique par an détournées de la décharge.",
        (
            ("equipment", "Broyeur et laveuse de plastiques", 120_000),
            ("vehicle", "Triporteur de collecte", 40_000),
        ),
    ),  # 10,000 MAD of co-financing for 160,000 MAD: 6.25 %, below the 10 % of the round
]  # fmt: skip

#: The juror's scores: the manager's, shifted on some criteria (viability, social, jobs, environment).
JUROR_SHIFT = {
    "SAF-2022-0088": (-0.5, 0, 0, 0),
    "JAD-2022-0412": (0, -0.5, 0, 0.5),
    "MAR-2022-0141": (0.5, 0, 0, -0.5),
    "SAF-2021-0120": (0, 0, -0.5, 0),
    "GUE-2022-0150": (0, 0.5, 0, -0.5),
}

#: The draft of the open round: the coach started it with the cooperative.
DRAFT = DemoProposal(
    "SAF-2022-0088", "coach", 0,
    "Point de vente de poisson frais et triporteur frigorifique",
    "Vendre directement aux restaurants et aux habitants de Safi la sardine et le maquereau des "
    "membres, livrés le jour même en triporteur frigorifique.",
    180_000, 150_000, 30_000, 0, "",
    3, 14,
    "", "",
    (
        ("vehicle", "Triporteur frigorifique", 95_000),
        ("equipment", "Vitrine réfrigérée et machine à glace", 60_000),
        ("works", "Aménagement du point de vente au port", 25_000),
    ),
)  # fmt: skip


def _user(key: str) -> User | None:
    return User.objects.filter(email=f"{key}@{DEMO_DOMAIN}").first()


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _pdf(title: str, filename: str) -> ContentFile:
    return ContentFile(minimal_pdf(title), name=filename)


def _slug(number: str) -> str:
    return number.lower()


# ---------------------------------------------------------------------------
# Rounds and proposals


def _round(edition: Edition, code: str, manager, *, name_fr: str, name_ar: str, opens, closes, **settings):
    round = Round.objects.filter(call__edition=edition, call__code=code).select_related("call").first()
    if round is not None:
        return round
    call = Call(
        edition=edition, code=code, name_fr=name_fr, name_ar=name_ar,
        description_fr="Financement des projets à fort potentiel des coopératives bénéficiaires de la "
        "4e tranche de Mourafaka : équipements, aménagements, fonds de roulement.",
        description_ar="تمويل المشاريع ذات الإمكانات العالية للتعاونيات المستفيدة من الشطر الرابع لبرنامج مرافقة.",
        opens_at=opens, closes_at=closes, reviewers_per_application=2,
    )  # fmt: skip
    return rounds.configure_round(
        call=call, regions=Region.objects.filter(code__in=REGIONS).order_by("code"), by=manager, **settings
    )


def _propose(round: Round, spec: DemoProposal, cast: dict, *, submit_at: dt.datetime | None) -> Proposal:
    """The proposal of `spec` in `round` (made now if missing): drafted with its budget lines and
    documents, submitted at `submit_at` (None: left a draft)."""
    cooperative = Cooperative.objects.get(registration_number=spec.number)
    existing = Proposal.objects.filter(
        application__call=round.call, application__cooperative=cooperative
    ).first()
    if existing is not None:
        return existing
    by = cast[spec.by]
    proposal = proposals.save_proposal(
        call=round.call,
        cooperative=cooperative,
        by=by,
        data={
            "title": spec.title,
            "description": spec.description,
            "sector": cooperative.branch or cooperative.sector,
            "total_cost": spec.total_cost,
            "amount_requested": spec.amount_requested,
            "own_contribution": spec.own_contribution,
            "other_cofinancing": spec.other_cofinancing,
            "other_cofinancing_source": spec.other_source,
            "expected_jobs": spec.expected_jobs,
            "expected_members_reached": spec.members_reached,
            "social_impact": spec.social_impact,
            "environmental_impact": spec.environmental_impact,
        },
        lines=[
            {"category": category, "label": label, "amount": amount} for category, label, amount in spec.lines
        ],
    )
    slug = _slug(spec.number)
    proposals.add_proposal_document(
        proposal=proposal,
        file=_pdf(f"Plan d'affaires - {spec.number}", f"plan-affaires-{slug}.pdf"),
        kind=ApplicationDocument.Kind.BUSINESS_PLAN,
        title="Plan d'affaires",
        by=by,
    )
    if submit_at is None:
        return proposal
    proposals.add_proposal_document(
        proposal=proposal,
        file=_pdf(f"Devis - {spec.lines[0][1]}", f"devis-{slug}.pdf"),
        kind=ApplicationDocument.Kind.QUOTE,
        title=f"Devis : {spec.lines[0][1]}",
        by=by,
    )
    return proposals.submit_proposal(proposal=proposal, by=by, at=submit_at)


def _closed_round(edition: Edition, cast: dict, today: dt.date) -> Round:
    """The first round with its six proposals, closed CLOSED_DAYS_AGO days ago."""
    round = (
        Round.objects.filter(call__edition=edition, call__code=CLOSED_ROUND).select_related("call").first()
    )
    if round is not None:
        return round
    opens = _aware(today - dt.timedelta(days=OPENED_DAYS_AGO), 9)
    closes = _aware(today - dt.timedelta(days=CLOSED_DAYS_AGO), 18)
    round = _round(
        edition, CLOSED_ROUND, cast["manager"],
        name_fr="Financement des projets à fort potentiel – tranche 4",
        name_ar="تمويل المشاريع ذات الإمكانات العالية – الشطر الرابع",
        opens=opens, closes=_aware(today + dt.timedelta(days=1), 18),  # open while the proposals come in
        budget=Decimal(900_000), ceiling=Decimal(300_000), min_cofinancing_share=Decimal("0.1"),
        max_projects=4, tranche_shares=[40, 40, 20],
        region_caps={Region.objects.get(code="07"): (2, None)},
    )  # fmt: skip
    for spec in PROPOSALS:
        _propose(
            round, spec, cast, submit_at=closes - dt.timedelta(days=spec.submitted_days_ago - CLOSED_DAYS_AGO)
        )
    # The round closed weeks ago: eligibility is evaluated at that date.
    Call.objects.filter(pk=round.call_id).update(closes_at=closes)
    round.call.refresh_from_db()
    return round


def _score(round: Round, cast: dict) -> None:
    """Eligibility, the committee (the manager and the juror) and their scores."""
    manager, juror = cast["manager"], cast["juror"]
    if Proposal.objects.filter(application__call=round.call, status=Proposal.Status.SUBMITTED).exists():
        rounds.run_round_eligibility(round=round, by=manager)
    if not ReviewerAssignment.objects.filter(application__call=round.call).exists():
        rounds.assign_committee(round=round, members=[manager, juror], by=manager, per_proposal=2)
    criteria = list(round.call.criteria.filter(kind="reviewed").order_by("order"))
    specs = {spec.number: spec for spec in PROPOSALS}
    assignments = ReviewerAssignment.objects.filter(application__call=round.call).select_related(
        "application__cooperative", "application__proposal", "reviewer"
    )
    for assignment in assignments:
        application = assignment.application
        if Score.objects.filter(reviewer=assignment.reviewer, application=application).count() >= len(
            criteria
        ):
            continue
        number = application.cooperative.registration_number
        values = specs[number].scores or (2, 2, 2, 2)
        shift = JUROR_SHIFT.get(number, (0, 0, 0, 0)) if assignment.reviewer == juror else (0, 0, 0, 0)
        rounds.score_proposal(
            reviewer=assignment.reviewer,
            proposal=application.proposal,
            values={
                criterion: (
                    min(max(Decimal(str(value + delta)), criterion.scale_min), criterion.scale_max),
                    "",
                )
                for criterion, value, delta in zip(criteria, values, shift, strict=False)
            },
        )


def _decide(round: Round, manager, today: dt.date) -> Allocation:
    """The committee's allocation, computed and frozen, dated DECIDED_DAYS_AGO days ago."""
    frozen = decisions.current_allocation(round)
    if frozen is not None:
        return frozen
    draft = round.allocations.filter(status=Allocation.Status.DRAFT).order_by("-number").first()
    draft = draft or decisions.compute_allocation(
        round=round, by=manager, reason="Délibération du comité de financement"
    )
    frozen = decisions.freeze_allocation(allocation=draft, by=manager)
    decided = _aware(today - dt.timedelta(days=DECIDED_DAYS_AGO), 11)
    Allocation.objects.filter(pk=frozen.pk).update(created_at=decided, frozen_at=decided)
    frozen.refresh_from_db()
    _end_committee_access(round, manager)
    return frozen


def _end_committee_access(round: Round, manager) -> None:
    """The committee's work is over once its decision is frozen: the juror no longer sees the
    cooperatives it scored in this round, but keeps the jury panel the demo gives it."""
    # The demo's own panel; imported here because core.demo imports this module.
    from mourafaka.core.demo import ASSIGNMENTS

    panel = {number for key, number, kind in ASSIGNMENTS if key == "juror" and kind == Assignment.Kind.JURY}
    ended = (
        Assignment.objects.filter(
            user__email=f"juror@{DEMO_DOMAIN}",
            kind=Assignment.Kind.JURY,
            cooperative__applications__call=round.call,
        )
        .exclude(cooperative__registration_number__in=panel)
        .distinct()
    )
    with set_actor(manager):
        for assignment in ended:
            assignment.delete()


# ---------------------------------------------------------------------------
# Agreements, payments, follow-up


def _document(agreement: Agreement, kind: str, title: str, filename: str, by, **links) -> None:
    if not AgreementDocument.objects.filter(agreement=agreement, kind=kind).exists():
        agreements.add_project_document(
            agreement=agreement, file=_pdf(title, filename), kind=kind, caption=title, by=by, **links
        )


def _pay_first_tranche(agreement: Agreement, manager, paid_on: dt.date) -> None:
    tranche = agreement.tranches.get(number=1)
    agreements.record_disbursement(
        tranche=tranche,
        amount=tranche.amount,
        paid_on=paid_on,
        by=manager,
        payment_reference=f"OV-{paid_on:%Y%m%d}-{agreement.pk:04d}",
    )


def _sardine(agreement: Agreement, cast: dict, today: dt.date) -> None:
    """Signed, tranche 1 paid, invoices given, milestone 1 reported done, a follow-up report."""
    manager, representative = cast["manager"], cast["cooperative"]
    slug = _slug("SAF-2022-0088")
    agreements.sign_agreement(agreement=agreement, signed_on=today - dt.timedelta(days=24), by=manager)
    _document(agreement, "bank_details", "Relevé d'identité bancaire", f"rib-{slug}.pdf", representative)
    _pay_first_tranche(agreement, manager, today - dt.timedelta(days=20))
    first = agreement.milestones.order_by("order", "due_on").first()
    _document(
        agreement, "invoice", "Factures de l'autoclave et de la sertisseuse", f"factures-{slug}.pdf", representative,
        milestone=first,
    )  # fmt: skip
    followup.report_milestone(
        milestone=first,
        note="L'autoclave et la sertisseuse sont installés dans la salle mise aux normes ; premiers essais "
        "de mise en conserve faits avec le fournisseur.",
        by=representative,
    )
    followup.record_follow_up(
        agreement=agreement,
        by=representative,
        reported_on=today - dt.timedelta(days=3),
        jobs_created=4,
        jobs_women=3,
        jobs_youth=2,
        turnover=Decimal(185_000),
        members_reached=14,
        note="Quatre ouvrières embauchées pour les premiers lots ; ventes aux restaurants de Safi.",
    )


def _tifaouine(agreement: Agreement, cast: dict, today: dt.date) -> None:
    """Signed, tranche 1 paid, its first milestone late (due three weeks ago, not reported)."""
    manager = cast["manager"]
    agreements.sign_agreement(agreement=agreement, signed_on=today - dt.timedelta(days=26), by=manager)
    _document(agreement, "bank_details", "Relevé d'identité bancaire", "rib-mar-2022-0141.pdf", manager)
    _pay_first_tranche(agreement, manager, today - dt.timedelta(days=22))
    first = agreement.milestones.order_by("order", "due_on").first()
    followup.change_milestone(milestone=first, due_on=today - dt.timedelta(days=21), by=manager)


def _oued_noun(agreement: Agreement, cast: dict, today: dt.date) -> None:
    """Signed last week; tranche 1 waits for the bank details."""
    agreements.sign_agreement(agreement=agreement, signed_on=today - dt.timedelta(days=7), by=cast["manager"])


#: What happens to each agreement (by cooperative) once the decision is frozen; the others wait
#: for their signature.
AGREEMENTS = {"SAF-2022-0088": _sardine, "MAR-2022-0141": _tifaouine, "GUE-2022-0150": _oued_noun}


def _agreements(allocation: Allocation, cast: dict, today: dt.date) -> None:
    for agreement in Agreement.objects.filter(allocation=allocation).select_related(
        "proposal__application__cooperative"
    ):
        story = AGREEMENTS.get(agreement.proposal.application.cooperative.registration_number)
        if story is not None and agreement.status == Agreement.Status.DRAFT:
            story(agreement, cast, today)


# ---------------------------------------------------------------------------
# The round open today


def _open_round(edition: Edition, cast: dict, today: dt.date) -> Round:
    opens, closes = _aware(today - dt.timedelta(days=7), 9), _aware(today + dt.timedelta(days=45), 18)
    round = _round(
        edition, OPEN_ROUND, cast["manager"],
        name_fr="Financement des projets à fort potentiel – tranche 4, 2e appel",
        name_ar="تمويل المشاريع ذات الإمكانات العالية – الشطر الرابع، الطلب الثاني",
        opens=opens, closes=closes,
        budget=Decimal(600_000), ceiling=Decimal(250_000), min_cofinancing_share=Decimal("0.1"),
        max_projects=3, tranche_shares=[40, 40, 20],
    )  # fmt: skip
    call = round.call
    if not call.is_open() and not call.applications.exclude(status="draft").exists():
        Call.objects.filter(pk=call.pk).update(
            opens_at=opens, closes_at=closes
        )  # keep it open on a later load
        call.refresh_from_db()
    if call.is_open():
        _propose(round, DRAFT, cast, submit_at=None)
    return round


@transaction.atomic
def load_financing(*, until: str | None = None) -> Round | None:
    """Load the demo financing (see the module docstring); returns the first round. `until="scored"`
    leaves the first round scored, before the committee's allocation."""
    cast = {key: _user(key) for key in ("manager", "juror", "coach", "cooperative", "delegate.guelmim")}
    edition = Edition.objects.filter(programme__code="mourafaka", code="tranche-4").first()
    if edition is None or any(user is None for user in cast.values()):
        return None
    today = timezone.localdate()
    round = _closed_round(edition, cast, today)
    _score(round, cast)
    if until != "scored":
        allocation = _decide(round, cast["manager"], today)
        _agreements(allocation, cast, today)
    _open_round(edition, cast, today)
    return round
