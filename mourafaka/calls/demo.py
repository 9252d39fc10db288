"""Demo calls, loaded by `load_demo()` after programmes, cooperatives and accounts.

* The tranche 4 phase 1 call of Mourafaka (closed on 31 March 2024), taken through every step with
  the real services: applications, eligibility (some refused, with their reasons), two committee
  reviewers' scores, a ranking frozen and published — so the demo cooperative SAF-2022-0088 reads
  its outcome and the selected cooperatives appear as beneficiaries of the tranche.
* One call open today (its dates follow today's date) to which the demo representative can apply.

Each step runs only when it has not run yet, so loading twice changes nothing.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Edition, Phase, Programme, RegionalQuota
from mourafaka.territory.models import Region

from . import services
from .models import Application, Call, RankingVersion, ReviewerAssignment

PHASE_1_CALL = "t4-phase-1"
OPEN_CALL = "moazara-projets"
OPEN_EDITION = "appel-en-cours"
# Regions of phase 1 (04, 07, 08, 10) and Casablanca-Settat (06), where demo cooperatives are.
EXTRA_REGIONS = ["06"]
QUOTAS = {"04": 1, "06": 1, "07": 2, "08": 1, "10": 1}

# registration number, days before the closing date it applied, project summary, motivation
APPLICATIONS = [
    ("SAF-2022-0088", 20, "Unité de conserverie de sardines et formation des membres à l'hygiène.",
     "Créer six emplois de femmes et vendre aux grandes surfaces de Safi."),
    ("SAF-2021-0120", 18, "Moulin collectif et stockage des céréales de la commune.", "Réduire les pertes."),
    ("MAR-2022-0141", 25, "Presse à argane et labellisation IGP.", "Mieux valoriser l'huile des membres."),
    ("MAR-2021-0877", 12, "Distillerie de plantes aromatiques.", "Vendre des huiles essentielles."),
    ("MAR-2020-0555", 9, "Miellerie et transhumance des ruches.", "Doubler la production."),
    ("MAR-2023-0310", 15, "Atelier de tissage de tapis.", "Former des jeunes tisserandes."),
    ("JAD-2022-0412", 11, "Centre de collecte et de refroidissement du lait.", "Fournir une laiterie."),
    ("SET-2023-0044", 7, "Serre de légumes biologiques.", "Vendre en circuit court."),
    ("GUE-2022-0150", 14, "Unité de couscous artisanal.", "Exporter vers l'Europe."),
    ("GUE-2023-0021", 6, "Conditionnement des dattes de Tighmert.", "Vendre toute l'année."),
    ("BER-2022-0203", 8, "Tri et recyclage des plastiques.", "Créer des emplois de jeunes."),
    ("GUE-2021-0099", 5, "Chambre froide pour la pêche artisanale.", "Garder le poisson frais."),
]  # fmt: skip

# Scores of the committee on the reviewer-scored criteria (social impact, local resources,
# promising sector), per cooperative; the second reviewer gives half a point less where it can.
SCORES = {
    "SAF-2022-0088": (4, 3.5, 3.5),
    "SAF-2021-0120": (3, 3, 2),
    "MAR-2022-0141": (3.5, 4, 3),
    "MAR-2021-0877": (2, 3, 3),
    "MAR-2020-0555": (2.5, 2, 2),
    "JAD-2022-0412": (3, 2.5, 3),
    "GUE-2022-0150": (3.5, 3, 3),
    "GUE-2021-0099": (2, 2, 2.5),
    "BER-2022-0203": (2, 2, 2),
}


def _user(key: str) -> User:
    return User.objects.get(email=f"{key}@demo.mourafaka.ma")


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _phase_1_call(manager) -> Call:
    edition = Edition.objects.get(programme__code="mourafaka", code="tranche-4")
    call = Call.objects.filter(edition=edition, code=PHASE_1_CALL).first()
    if call is not None:
        return call
    phase = Phase.objects.get(edition=edition, number=1)
    regions = list(phase.regions.all()) + list(Region.objects.filter(code__in=EXTRA_REGIONS))
    call = Call(
        edition=edition, phase=phase, code=PHASE_1_CALL, kind=Call.Kind.SELECTION,
        name_fr="Appel à manifestation d'intérêt – tranche 4, phase 1",
        name_ar="طلب إبداء الاهتمام – الشطر الرابع، المرحلة الأولى",
        description_fr="Sélection des coopératives accompagnées pendant deux ans (diagnostic, formation, "
        "accompagnement de proximité).",
        description_ar="انتقاء التعاونيات المستفيدة من المواكبة لمدة سنتين.",
        opens_at=_aware(dt.date(2024, 1, 8), 9), closes_at=_aware(dt.date(2024, 3, 31), 18),
        waitlist_length=1, reallocate_unused=True, reviewers_per_application=2,
    )  # fmt: skip
    quotas = {region: QUOTAS.get(region.code, 0) for region in regions}
    return services.configure_call(call=call, regions=regions, by=manager, quotas=quotas)


def _apply(call: Call, manager, representative) -> None:
    cooperatives = Cooperative.objects.in_bulk(
        [row[0] for row in APPLICATIONS], field_name="registration_number"
    )
    applied = set(
        Application.objects.filter(call=call).values_list("cooperative__registration_number", flat=True)
    )
    for number, days, summary, motivation in APPLICATIONS:
        if number in applied:
            continue
        cooperative = cooperatives[number]
        services.submit_application(
            call=call, cooperative=cooperative, project_summary=summary, motivation=motivation,
            by=representative if representative.cooperative_id == cooperative.pk else manager,
            at=call.closes_at - dt.timedelta(days=days, hours=3),
        )  # fmt: skip


def _review(call: Call, reviewers: list) -> None:
    if not ReviewerAssignment.objects.filter(application__call=call).exists():
        services.assign_reviewers(
            call=call, reviewers=reviewers, by=reviewers[0], per_application=len(reviewers)
        )
    criteria = list(call.criteria.filter(kind="reviewed").order_by("order"))
    assignments = ReviewerAssignment.objects.filter(application__call=call).select_related(
        "application__cooperative", "reviewer"
    )
    for assignment in assignments:
        values = SCORES.get(assignment.application.cooperative.registration_number, (2, 2, 2))
        softer = Decimal("0.5") if assignment.reviewer == reviewers[1] else Decimal(0)
        services.record_scores(
            reviewer=assignment.reviewer,
            application=assignment.application,
            values={
                criterion: (max(Decimal(str(value)) - softer, criterion.scale_min), "")
                for criterion, value in zip(criteria, values, strict=False)
            },
        )


def _select(call: Call, manager) -> None:
    if call.rankings.filter(status=RankingVersion.Status.FROZEN).exists():
        return
    if call.applications.filter(eligible__isnull=True).exists():
        services.run_eligibility(call=call, by=manager)
    _review(call, [manager, _user("admin")])
    version = call.rankings.filter(status=RankingVersion.Status.DRAFT).first() or services.compute_ranking(
        call=call, by=manager, reason="Délibération du comité de sélection"
    )
    services.freeze_ranking(version=version, by=manager)
    services.publish_results(version=version, by=manager)


def _open_call(manager) -> Call:
    """A financing call open from a week ago to two months from today, in every region."""
    programme = Programme.objects.get(code="moazara")
    today = timezone.localdate()
    edition, _created = Edition.objects.get_or_create(
        programme=programme, code=OPEN_EDITION,
        defaults={"name_fr": "Appel à projets en cours", "name_ar": "طلب المشاريع الجاري",
                  "starts_on": today.replace(day=1), "target_cooperatives": 120},
    )  # fmt: skip
    regions = list(Region.objects.all())
    for region in regions:
        RegionalQuota.objects.get_or_create(edition=edition, region=region, defaults={"places": 10})
    opens, closes = _aware(today - dt.timedelta(days=7), 9), _aware(today + dt.timedelta(days=60), 18)
    call = Call.objects.filter(edition=edition, code=OPEN_CALL).first()
    if call is None:
        call = Call(
            edition=edition, code=OPEN_CALL, kind=Call.Kind.FINANCING,
            name_fr="Moazara – appel à projets des coopératives", name_ar="مؤازرة – طلب مشاريع التعاونيات",
            description_fr="Financement de projets générateurs de revenus portés par des coopératives.",
            description_ar="تمويل المشاريع المدرة للدخل التي تحملها التعاونيات.",
            opens_at=opens, closes_at=closes, waitlist_length=3,
        )  # fmt: skip
        return services.configure_call(call=call, regions=regions, by=manager)
    if not call.is_open() and not call.applications.exists():
        Call.objects.filter(pk=call.pk).update(
            opens_at=opens, closes_at=closes
        )  # keep it open on a later load
    return call


def load_calls() -> None:
    manager = _user("manager")
    call = _phase_1_call(manager)
    if not call.rankings.filter(status=RankingVersion.Status.FROZEN).exists():
        _apply(call, manager, _user("cooperative"))
        _select(call, manager)
    _open_call(manager)
