"""Demo individual coaching, loaded by `load_demo()` after the trainings.

* Two providers on the Marrakech-Safi and Casablanca-Settat lot of the 4th tranche: the association
  Tanmia (the demo coach Hind Tazi) and the firm Tadbir Conseil (the demo consultant and trainer),
  each with a contract and its unit prices (diagnostic validated 6,000 MAD, training day held
  3,500 MAD, visit confirmed 1,200 MAD).
* The demo coach's profile (Marrakech-Safi and Casablanca-Settat; sales, bookkeeping, packaging…).
* An engagement for each of her three cooperatives, started months ago so that the plan of visits
  is under way today:
  - SAF-2022-0088 (Sardine d'or, whose representative is a demo persona): two visits held and
    acknowledged in the portal, the third submitted and waiting for its acknowledgement, the fourth
    planned today. The reports move the actions of its development plan;
  - SAF-2021-0120 (Al Khayr): two visits held, the third more than 30 days late without a report
    (overdue);
  - JAD-2022-0412 (Doukkala du lait): its first visit held.
  The cooperatives without a portal account acknowledge with the one-time code sent by SMS, which
  only their phone receives: their reports stay submitted, waiting for the code.
* The deliverables of both contracts collected (confirmed visits, the validated diagnostic of
  SAF-2022-0088, the training days held by the demo trainer), the oldest validated by head office.

Dates are counted from today so that the demo stays current. Everything goes through the real
services, except the coach's profile (reference data). Idempotent: a provider, contract, profile or
engagement that exists is left as it is, so work done in the demo is never overwritten.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from auditlog.context import set_actor
from django.db import transaction
from django.utils import timezone

from mourafaka.accounts import policy
from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Member
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.programmes.models import Edition, Enrolment
from mourafaka.territory.models import Region

from . import deliverables, engagements, providers, reports
from .models import Coach, Contract, Deliverable, DeliverableKind, Engagement, Provider, ProviderStaff, Visit

DEMO_DOMAIN = "demo.mourafaka.ma"
LOT_REGIONS = ("07", "06")  # Marrakech-Safi, Casablanca-Settat
PRICES = {
    DeliverableKind.DIAGNOSTIC_VALIDATED: Decimal("6000"),
    DeliverableKind.TRAINING_DAY_HELD: Decimal("3500"),
    DeliverableKind.VISIT_CONFIRMED: Decimal("1200"),
}


@dataclass(frozen=True)
class DemoProvider:
    name: str
    kind: str
    email: str
    phone: str
    address: str
    staff: tuple[tuple[str, str], ...]  # (demo account key, function)
    reference: str
    ceiling: Decimal
    prices: tuple[str, ...]


PROVIDERS = [
    DemoProvider(
        "Association Tanmia", Provider.Kind.ASSOCIATION, "contact@tanmia.example.ma", "+212524462210",
        "12, rue Ibn Khaldoun, Safi", (("coach", ProviderStaff.Function.COACH),),
        "ODCO-T4-ACC-L2", Decimal("259200"), (DeliverableKind.VISIT_CONFIRMED,),
    ),
    DemoProvider(
        "Cabinet Tadbir Conseil", Provider.Kind.FIRM, "bureau@tadbir.example.ma", "+212522981744",
        "45, boulevard Zerktouni, Casablanca",
        (("consultant", ProviderStaff.Function.CONSULTANT), ("trainer", ProviderStaff.Function.TRAINER)),
        "ODCO-T4-DF-L2", Decimal("600000"),
        (DeliverableKind.DIAGNOSTIC_VALIDATED, DeliverableKind.TRAINING_DAY_HELD),
    ),
]  # fmt: skip

COACH_THEMES = ["CO-SALES", "CO-BOOKS", "CO-PACK", "CO-ORG", "CO-FUND"]
COACH_MAX_COOPERATIVES = 15

#: The action rows of a report: (position of the action in the plan, status, progress, comment).
Actions = tuple[tuple[int, str, int, str], ...]


@dataclass(frozen=True)
class DemoReport:
    duration: int
    place: str
    topics: str
    advice: str = ""
    decisions: str = ""
    next_steps: str = ""
    members: int = 3  # the first members of the board
    actions: Actions = ()
    acknowledged: bool = True


@dataclass(frozen=True)
class DemoEngagement:
    number: str
    #: Days from the start of the engagement to today: where today falls in the plan of visits.
    started_days_ago: int
    reports: tuple[DemoReport, ...]  # of visits 1, 2…
    #: Visit planned on today's date (this week), after the reported ones.
    today_visit: int | None = None


IN_PROGRESS, DONE = DevelopmentAction.Status.IN_PROGRESS, DevelopmentAction.Status.DONE

ENGAGEMENTS = [
    DemoEngagement(
        "SAF-2022-0088",
        213,
        (
            DemoReport(
                150, "Local de la coopérative, port de Safi",
                "Tenue du journal de caisse ; premiers éléments du coût de revient de la sardine salée.",
                advice="Séparer les achats de sel et d'emballage par lot de production.",
                decisions="Fiche de coût pour chaque lot ; le président vise le journal chaque semaine.",
                next_steps="Calculer le coût de revient de la sardine fraîche.",
                actions=((1, IN_PROGRESS, 30, "Une fiche sur trois."),),
            ),
            DemoReport(
                120, "Local de la coopérative, port de Safi",
                "Coût de revient et prix de vente aux restaurants ; l'étiquette actuelle.",
                advice="Ne pas vendre sous le coût de revient aux mareyeurs en haute saison.",
                decisions="Demander deux devis d'étiquettes à des imprimeurs de Safi.",
                next_steps="Terminer la troisième fiche de coût ; comparer les devis.",
                actions=(
                    (1, IN_PROGRESS, 70, "Deux fiches sur trois."),
                    (2, IN_PROGRESS, 10, "Devis demandés."),
                ),
            ),
            DemoReport(
                135, "Criée de Safi",
                "Prix de vente des trois produits ; choix de l'étiquette.",
                advice="Mettre le numéro d'agrément ONSSA et la date de salaison sur l'étiquette.",
                decisions="Prix de gros revus pour les restaurants à partir du mois prochain.",
                next_steps="Choisir l'imprimeur ; préparer la participation à la foire de Safi.",
                members=4,
                actions=(
                    (1, DONE, 100, "Trois fiches de coût de revient."),
                    (2, IN_PROGRESS, 20, "Deux devis reçus."),
                ),
                acknowledged=False,
            ),
        ),
        today_visit=4,
    ),
    DemoEngagement(
        "SAF-2021-0120",
        200,
        (
            DemoReport(
                120, "Moulin collectif, Youssoufia",
                "Organisation du moulin et registres obligatoires.",
                advice="Tenir le registre des membres et celui des délibérations à jour après chaque réunion.",
                decisions="Le secrétaire tient les registres ; réunion du conseil chaque mois.",
                next_steps="Ouvrir un compte bancaire au nom de la coopérative.",
            ),
            DemoReport(
                90, "Moulin collectif, Youssoufia",
                "Vente de farine complète aux boulangeries.",
                advice="Proposer un contrat d'approvisionnement mensuel aux deux boulangeries.",
                decisions="Visite commune aux boulangeries la semaine prochaine.",
                next_steps="Préparer une fiche produit et un prix de gros.",
            ),
        ),
    ),
    DemoEngagement(
        "JAD-2022-0412",
        75,
        (
            DemoReport(
                100, "Centre de collecte de lait, Sidi Bennour",
                "Collecte du lait et relations avec la laiterie.",
                advice="Relever la quantité et la qualité livrées par chaque membre chaque jour.",
                decisions="Cahier de collecte par membre ; affichage mensuel des livraisons.",
                next_steps="Négocier un prix à la qualité avec la laiterie.",
            ),
        ),
    ),
]  # fmt: skip


def _user(key: str) -> User | None:
    return User.objects.filter(email=f"{key}@{DEMO_DOMAIN}").first()


# ---------------------------------------------------------------------------
# Providers, staff, contracts


def load_providers(manager, edition: Edition, today: dt.date) -> list[Contract]:
    """The demo providers with their staff and contract. Returns the contracts created now."""
    regions = list(Region.objects.filter(code__in=LOT_REGIONS))
    created = []
    for spec in PROVIDERS:
        provider = Provider.objects.filter(name=spec.name).first() or providers.save_provider(
            data={"name": spec.name, "kind": spec.kind, "email": spec.email, "phone": spec.phone,
                  "address": spec.address},
            by=manager,
        )  # fmt: skip
        for key, function in spec.staff:
            user = _user(key)
            if (
                user
                and not ProviderStaff.objects.filter(provider=provider, user=user, function=function).exists()
            ):
                providers.add_staff(provider=provider, user=user, function=function, by=manager)
        if Contract.objects.filter(reference=spec.reference).exists():
            continue
        created.append(
            providers.save_contract(
                data={
                    "provider": provider,
                    "edition": edition,
                    "reference": spec.reference,
                    "lot": "Lot 2 – Marrakech-Safi et Casablanca-Settat",
                    "starts_on": min(edition.starts_on, today - dt.timedelta(days=365)),
                    "ends_on": max(edition.ends_on, today + dt.timedelta(days=730)),
                    "ceiling_mad": spec.ceiling,
                },
                regions=regions,
                prices={kind: PRICES[kind] for kind in spec.prices},
                by=manager,
            )
        )
    return created


def load_coach_profile(coach_user, manager) -> Coach:
    profile = Coach.objects.filter(user=coach_user).first()
    if profile is not None:
        return profile
    provider = (
        ProviderStaff.objects.filter(user=coach_user, function=ProviderStaff.Function.COACH, active=True)
        .values_list("provider", flat=True)
        .first()
    )
    with set_actor(manager):
        profile = Coach.objects.create(
            user=coach_user,
            provider_id=provider,
            themes=COACH_THEMES,
            max_cooperatives=COACH_MAX_COOPERATIVES,
        )
        profile.regions.set(Region.objects.filter(code__in=LOT_REGIONS))
    return profile


# ---------------------------------------------------------------------------
# Engagements and visits


def _enrolment(number: str, edition: Edition) -> Enrolment | None:
    return (
        Enrolment.objects.filter(
            cooperative__registration_number=number, edition=edition, status=Enrolment.Status.ACTIVE
        )
        .select_related("cooperative")
        .first()
    )


def _organiser(enrolment: Enrolment, delegate, manager):
    """The delegate of the province organises the coaching; head office elsewhere."""
    if delegate is not None and policy.check(delegate, "coaching.organise", enrolment):
        return delegate
    return manager


def _plan_actions(enrolment: Enrolment) -> list[DevelopmentAction]:
    diagnostic = engagements.latest_validated_diagnostic(enrolment)
    if diagnostic is None:
        return []
    return list(DevelopmentAction.objects.filter(objective__diagnostic=diagnostic).order_by("pk"))


def _report_data(report: DemoReport, visit: Visit, plan: list[DevelopmentAction]) -> dict:
    cooperative = visit.engagement.enrolment.cooperative
    members = Member.objects.filter(cooperative=cooperative, active=True).order_by("pk")
    data = {
        "held_on": visit.planned_on,
        "duration_minutes": report.duration,
        "place": report.place,
        "topics": report.topics,
        "advice": report.advice,
        "decisions": report.decisions,
        "next_steps": report.next_steps,
        "members_present": list(members.values_list("pk", flat=True)[: report.members]),
    }
    actions = [
        {"action": plan[index].pk, "status": status, "progress": progress, "comment": comment}
        for index, status, progress, comment in report.actions
        if index < len(plan)
    ]
    if actions:
        data["actions"] = actions
    return data


def _acknowledge(visit: Visit, representative) -> Visit:
    """The cooperative's representative acknowledges in the portal. The cooperatives without an
    account acknowledge with a code sent by SMS, which only the cooperative's phone receives: their
    reports stay submitted in the demo."""
    cooperative_id = visit.engagement.enrolment.cooperative_id
    if representative is not None and representative.cooperative_id == cooperative_id:
        return reports.acknowledge(visit=visit, by=representative)
    return visit


def load_engagement(spec: DemoEngagement, cast: dict, edition: Edition, today: dt.date) -> Engagement | None:
    enrolment = _enrolment(spec.number, edition)
    if enrolment is None or Engagement.objects.filter(enrolment=enrolment).exists():
        return None
    coach = cast["coach"]
    organiser = _organiser(enrolment, cast["delegate"], cast["manager"])
    engagement = engagements.start_engagement(
        enrolment=enrolment,
        coach=coach,
        by=organiser,
        starts_on=today - dt.timedelta(days=spec.started_days_ago),
    )
    plan = _plan_actions(enrolment)
    visits = list(engagement.visits.order_by("number"))
    for visit, report in zip(visits, spec.reports, strict=False):
        if visit.planned_on > today:
            break
        visit = reports.submit_report(
            visit=visit, data=_report_data(report, visit, plan), version=visit.version, by=coach
        )
        if report.acknowledged:
            _acknowledge(visit, cast["representative"])
    if spec.today_visit:
        visit = engagement.visits.get(number=spec.today_visit)
        if visit.planned_on != today:
            engagements.update_visit_plan(visit=visit, planned_on=today, by=organiser)
    return engagement


# ---------------------------------------------------------------------------
# Deliverables


def load_deliverables(contracts: list[Contract], manager, today: dt.date) -> None:
    """Collect the deliverables of the contracts created now; head office validates all but the
    newest of each kind, which wait for its review."""
    for contract in contracts:
        deliverables.collect_deliverables(contract=contract, by=manager, today=today)
        delivered = list(
            contract.deliverables.filter(status=Deliverable.Status.DELIVERED).order_by("delivered_on", "pk")
        )
        newest = {item.kind: item.pk for item in delivered}
        chosen = [item for item in delivered if item.pk not in newest.values()]
        if chosen:
            deliverables.review_deliverables(
                deliverables=chosen,
                status=Deliverable.Status.VALIDATED,
                by=manager,
                note="Pièces justificatives vérifiées.",
            )


@transaction.atomic
def load_coaching() -> int:
    """Load the demo coaching (see the module docstring). Returns how many engagements were created."""
    cast = {key: _user(key) for key in ("manager", "delegate.safi", "coach", "cooperative")}
    cast["delegate"], cast["representative"] = cast.pop("delegate.safi"), cast.pop("cooperative")
    edition = Edition.objects.filter(programme__code="mourafaka", code="tranche-4").first()
    if cast["manager"] is None or cast["coach"] is None or edition is None:
        return 0
    today = timezone.localdate()
    contracts = load_providers(cast["manager"], edition, today)
    load_coach_profile(cast["coach"], cast["manager"])
    created = [load_engagement(spec, cast, edition, today) for spec in ENGAGEMENTS]
    load_deliverables(contracts, cast["manager"], today)
    return sum(engagement is not None for engagement in created)
