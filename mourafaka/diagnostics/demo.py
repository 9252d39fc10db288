"""Demo diagnostics: the demo consultant's three beneficiaries, one validated, one submitted, one draft.

Built through the real services (the consultant answers, the delegate validates). Idempotent: a
diagnostic that exists is left as it is, so work done in the demo is never overwritten.
"""

import zlib
from decimal import Decimal

from django.db import transaction

from mourafaka.accounts import policy
from mourafaka.accounts.models import User
from mourafaka.programmes.models import Enrolment

from . import services
from .models import Diagnostic, Question
from .reference import load_default_template

DEMO_DOMAIN = "demo.mourafaka.ma"

# registration number, final status, general level 0..4 of the cooperative, share of questions answered,
# SWOT and baseline figures
PLANS = [
    (
        "SAF-2022-0088",
        Diagnostic.Status.VALIDATED,
        3,
        1.0,
        {
            "strengths": "Membres expérimentés en pêche artisanale ; accès direct au port de Safi.",
            "weaknesses": "Pas de comptabilité régulière ; chaîne du froid insuffisante.",
            "opportunities": "Demande des restaurants de la côte ; labels de pêche durable.",
            "threats": "Saisonnalité de la sardine ; hausse du prix du carburant.",
            "turnover_mad": Decimal("420000"),
            "members_count": 14,
            "jobs_count": 9,
            "products": "Sardine fraîche, sardine salée",
            "customers_markets": "Mareyeurs de Safi, deux restaurants",
            "certifications": "Agrément sanitaire ONSSA",
        },
    ),
    (
        "MAR-2021-0877",
        Diagnostic.Status.SUBMITTED,
        2,
        1.0,
        {
            "strengths": "Savoir-faire de la distillation de rose.",
            "weaknesses": "Emballages peu attractifs ; ventes au souk seulement.",
            "opportunities": "Tourisme de la vallée du Dadès.",
            "threats": "Concurrence d'intermédiaires informels.",
            "turnover_mad": Decimal("95000"),
            "members_count": 11,
            "jobs_count": 4,
            "products": "Eau de rose, boutons séchés",
            "customers_markets": "Souk hebdomadaire, touristes",
        },
    ),
    ("MAR-2022-0141", Diagnostic.Status.DRAFT, 1, 0.4, {}),
]


def _demo_user(key: str) -> User | None:
    return User.objects.filter(email=f"{key}@{DEMO_DOMAIN}").first()


def _value(question: Question, level: int):
    """A plausible answer around the cooperative's level, the same at every load."""
    wobble = zlib.crc32(question.code.encode()) % 3 - 1
    value = max(0, min(4, level + wobble))
    if question.type == Question.Type.YES_NO:
        return value >= 2
    if question.type == Question.Type.SCALE_0_4:
        return value
    if question.type == Question.Type.NUMBER:
        return value * 3
    if question.type == Question.Type.SINGLE_CHOICE:
        ranked = sorted(question.choices, key=lambda choice: choice.get("score", 0))
        return ranked[min(len(ranked) - 1, value * len(ranked) // 5)]["code"]
    if question.type == Question.Type.MULTIPLE_CHOICE:
        return [choice["code"] for choice in question.choices[: max(1, value)]]
    return "Observations du consultant sur place."


@transaction.atomic
def load_diagnostics() -> int:
    """Create the demo diagnostics if the demo beneficiaries exist. Returns how many were created."""
    template = load_default_template()
    consultant, head_office = _demo_user("consultant"), _demo_user("manager")
    delegates = [user for user in (_demo_user("delegate.safi"), _demo_user("delegate.guelmim")) if user]
    if consultant is None or head_office is None:
        return 0
    questions = list(template.questions.order_by("axis__order", "order"))
    created = 0
    for number, status, level, answered_share, details in PLANS:
        enrolment = (
            Enrolment.objects.filter(cooperative__registration_number=number, status=Enrolment.Status.ACTIVE)
            .order_by("-started_on")
            .first()
        )
        if (
            enrolment is None
            or Diagnostic.objects.filter(enrolment=enrolment, stage=Diagnostic.Stage.BASELINE).exists()
        ):
            continue
        diagnostic = services.start_diagnostic(
            enrolment=enrolment, consultant=consultant, template=template, by=head_office
        )
        for question in questions[: round(len(questions) * answered_share)]:
            services.save_answer(
                diagnostic=diagnostic, question=question, raw=_value(question, level), by=consultant
            )
        if details:
            services.save_details(diagnostic=diagnostic, values=details, by=consultant)
        if status in (Diagnostic.Status.SUBMITTED, Diagnostic.Status.VALIDATED):
            services.submit(diagnostic=diagnostic, by=consultant)
        reviewer = next(
            (user for user in delegates if policy.check(user, "diagnostics.validate", diagnostic)), None
        )
        if status == Diagnostic.Status.VALIDATED and reviewer is not None:
            services.validate(diagnostic=diagnostic, by=reviewer, comments="Diagnostic complet et cohérent.")
        created += 1
    from .demo_plans import load_plans

    load_plans()
    return created
