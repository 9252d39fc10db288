"""Demo group training, loaded by `load_demo()` after the diagnostics.

* The catalogue and the satisfaction questionnaire (reference data).
* Trainers: the demo trainer Youssef Amrani (Marrakech-Safi and Casablanca-Settat) and six others
  without an account, across the regions.
* A second validated diagnostic in the Safi delegation (SAF-2021-0120), whose capacity-building plan
  needs accounting, costing and marketing, beside the validated one of SAF-2022-0088 (accounting).
* Sessions, dated from today so that the demo stays current:
  - accounting (TR-ACC) in Safi three weeks ago: participants proposed from the plans, a walk-in,
    attendance over two days (one participant missed a day), pre- and post-tests, satisfaction
    answers, certificates of those who completed;
  - costing and pricing (TR-COST) in Youssoufia on the previous working day and today: invitations
    confirmed, attendance still to take (the trainer's first click in the demo);
  - marketing (TR-MKT) in Safi next month: proposals from the plans plus members added by the
    delegate, invitations sent, one declined, one on the waiting list;
  - a training of trainers at Ben Guerir, completed by three new trainers;
  - a training of two delegation staff at the ODCO head office.

Everything goes through the real services. Idempotent: a session that exists (same module and venue)
is left as it is, so work done in the demo is never overwritten.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from mourafaka.accounts.models import Role, User
from mourafaka.cooperatives.models import Member
from mourafaka.diagnostics import plans
from mourafaka.diagnostics import services as diagnostics
from mourafaka.diagnostics.demo import _value as plausible_answer
from mourafaka.diagnostics.models import Diagnostic
from mourafaka.diagnostics.reference import load_default_template
from mourafaka.programmes.models import Edition, Enrolment
from mourafaka.territory.models import Province, Region

from . import attendance, certificates, evaluations, invitations, sessions
from .models import Module, Registration, Session, Trainer
from .reference import load_training_reference
from .trainer_profiles import save_trainer

DEMO_DOMAIN = "demo.mourafaka.ma"
SAFI, YOUSSOUFIA, REHAMNA, RABAT = "07.431", "07.585", "07.427", "04.421"


@dataclass(frozen=True)
class DemoTrainer:
    full_name: str
    organisation: str
    sex: str
    phone: str
    regions: tuple[str, ...]
    modules: tuple[str, ...]
    bio: str
    user: str | None = None  # key of the demo account

    @property
    def email(self) -> str:
        return "" if self.user else f"{self.full_name.lower().replace(' ', '.')}@formateurs.example.ma"


TRAINERS = [
    DemoTrainer(
        "Youssef Amrani", "Cabinet Tadbir Conseil", "M", "+212661203344", ("07", "06"),
        ("TR-ACC", "TR-COST", "TR-GOV-LEGAL", "TR-MKT", "TR-FIN"),
        "Expert-comptable, quinze ans de formation des gestionnaires de coopératives.", user="trainer",
    ),
    DemoTrainer(
        "Rachida Benjelloun", "Université Mohammed VI Polytechnique", "F", "+212662118890", ("07", "04", "06"),
        ("TOT-TRAINERS", "STAFF-PROG", "TR-PITCH", "TR-PARTNERS"),
        "Ingénieure de formation ; conçoit les parcours des formateurs et des cadres de l'ODCO.",
    ),
    DemoTrainer(
        "Mustapha Ouazzani", "Atlas Formation", "M", "+212670452213", ("03", "02"),
        ("TR-GOV-LEGAL", "TR-GOV-AG", "TR-COMM"),
        "Juriste, spécialiste du droit coopératif et de la médiation.",
    ),
    DemoTrainer(
        "Hayat Bouzidi", "Association Tanmia Souss", "F", "+212655830127", ("09", "10"),
        ("TR-MKT", "TR-ECOM", "TR-QUAL"),
        "Accompagne les coopératives féminines d'argane vers la vente en ligne.",
    ),
    DemoTrainer(
        "Abdellah Amzil", "Cabinet Sahara Gestion", "M", "+212668907712", ("10", "11"),
        ("TR-ACC", "TR-COST", "TR-FIN"),
        "Gestionnaire, ancien cadre d'une association de microcrédit.",
    ),
    DemoTrainer(
        "Souad Lamrani", "Réseau Tawassol", "F", "+212677340981", ("04", "01"),
        ("TR-COMM", "TR-MKT", "TR-MARKET"),
        "Formatrice en communication et en accès aux marchés.",
    ),
    DemoTrainer(
        "Driss Hamdaoui", "Cabinet Draa Qualité", "M", "+212660574439", ("08", "05"),
        ("TR-QUAL", "TR-RES", "TR-ACC"),
        "Ingénieur agroalimentaire, accompagne les démarches d'autorisation sanitaire.",
    ),
]  # fmt: skip

#: Trainers newly identified, trained at Ben Guerir.
TRAINEES = ("Hayat Bouzidi", "Abdellah Amzil", "Driss Hamdaoui")

# The consultant of the Safi delegation who diagnosed SAF-2021-0120 (not a demo persona, so that the
# demo consultant's assigned cooperatives stay the three of the diagnostics demo).
SAFI_CONSULTANT = ("consultant.safi", "Hicham Ouali", "Cabinet Safi Conseil")
SAFI_DIAGNOSTIC = (
    "SAF-2021-0120",
    2,
    {
        "mgt_bookkeeping": "notebook",
        "mgt_financial_statements": False,
        "mgt_cost_price": 1,
        "mkt_channels": ["local"],
        "mkt_price_policy": 1,
        "mkt_online": False,
    },
    {
        "strengths": "Moulin collectif et terres irriguées ; membres nombreux et solidaires.",
        "weaknesses": "Recettes et dépenses notées dans un cahier ; prix fixés au jugé.",
        "opportunities": "Demande des boulangeries de Youssoufia en farine complète.",
        "threats": "Sécheresse ; concurrence des minoteries industrielles.",
        "turnover_mad": 180000,
        "members_count": 23,
        "jobs_count": 5,
        "products": "Blé dur, orge, farine complète",
        "customers_markets": "Souk de Youssoufia, deux boulangeries",
    },
)

#: Cooperatives whose members' certificates are issued in Arabic (the others in French).
ARABIC_CERTIFICATES = {"SAF-2021-0120"}

SATISFACTION = [
    {"sat_objectives": 4, "sat_trainer": 4, "sat_material": 3, "sat_organisation": 3, "sat_apply": True,
     "sat_suggestions": "Plus d'exercices sur nos propres cahiers de caisse."},
    {"sat_objectives": 3, "sat_trainer": 4, "sat_material": 4, "sat_organisation": 2, "sat_apply": True,
     "sat_suggestions": "La salle était trop petite l'après-midi."},
    {"sat_objectives": 3, "sat_trainer": 3, "sat_material": 3, "sat_organisation": 4, "sat_apply": True},
    {"sat_objectives": 4, "sat_trainer": 4, "sat_material": 4, "sat_organisation": 4, "sat_apply": True,
     "sat_suggestions": "Une journée de suivi dans trois mois."},
    {"sat_objectives": 2, "sat_trainer": 3, "sat_material": 2, "sat_organisation": 3, "sat_apply": False,
     "sat_suggestions": "Supports en arabe pour les membres qui ne lisent pas le français."},
]  # fmt: skip


def _user(key: str) -> User | None:
    return User.objects.filter(email=f"{key}@{DEMO_DOMAIN}").first()


def previous_workday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def workdays(start: dt.date, count: int) -> list[dt.date]:
    """`count` consecutive days from `start`, skipping Saturdays and Sundays."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# ---------------------------------------------------------------------------
# Trainers


def load_trainers(manager) -> dict[str, Trainer]:
    regions = {region.code: region for region in Region.objects.all()}
    modules = {module.code: module for module in Module.objects.all()}
    trainers = {}
    for spec in TRAINERS:
        user = _user(spec.user) if spec.user else None
        if spec.user and user is None:
            continue
        trainer = (
            Trainer.objects.filter(user=user).first()
            if user
            else Trainer.objects.filter(full_name=spec.full_name).first()
        ) or Trainer(user=user)
        trainer.full_name, trainer.organisation, trainer.sex = spec.full_name, spec.organisation, spec.sex
        trainer.phone, trainer.bio = spec.phone, spec.bio
        trainer.email = user.email if user else spec.email
        trainers[spec.full_name] = save_trainer(
            trainer=trainer,
            regions=[regions[code] for code in spec.regions],
            modules=[modules[code] for code in spec.modules],
            by=manager,
        )
    return trainers


# ---------------------------------------------------------------------------
# A second validated diagnostic in the Safi delegation


def _safi_consultant() -> User:
    key, full_name, organisation = SAFI_CONSULTANT
    user, created = User.objects.get_or_create(
        email=f"{key}@{DEMO_DOMAIN}",
        defaults={"full_name": full_name, "organisation": organisation, "role": Role.CONSULTANT},
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def load_safi_diagnostic(manager, delegate) -> Diagnostic | None:
    """The validated baseline diagnostic of SAF-2021-0120, filled, planned and validated through the
    diagnostic services. Left as it is when the beneficiary already has one."""
    number, level, overrides, details = SAFI_DIAGNOSTIC
    enrolment = (
        Enrolment.objects.filter(cooperative__registration_number=number, status=Enrolment.Status.ACTIVE)
        .order_by("-started_on")
        .first()
    )
    if enrolment is None:
        return None
    existing = Diagnostic.objects.filter(enrolment=enrolment, stage=Diagnostic.Stage.BASELINE).first()
    if existing is not None:
        return existing
    consultant, template = _safi_consultant(), load_default_template()
    diagnostic = diagnostics.start_diagnostic(
        enrolment=enrolment, consultant=consultant, template=template, by=manager
    )
    for question in template.questions.order_by("axis__order", "order"):
        raw = overrides.get(question.code, plausible_answer(question, level))
        diagnostics.save_answer(diagnostic=diagnostic, question=question, raw=raw, by=consultant)
    diagnostics.save_details(diagnostic=diagnostic, values=details, by=consultant)
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    diagnostics.submit(diagnostic=diagnostic, by=consultant)
    return diagnostics.validate(
        diagnostic=diagnostic, by=delegate, comments="Plan de formation cohérent avec les besoins relevés."
    )


# ---------------------------------------------------------------------------
# Sessions


@dataclass(frozen=True)
class Actors:
    """The people who act in the demo sessions."""

    manager: User
    delegate: User
    trainer: User
    representative: User | None
    edition: Edition
    trainers: dict[str, Trainer]


def _existing(module_code: str, venue: str) -> Session | None:
    return Session.objects.filter(module__code=module_code, venue=venue).first()


def _plan(
    cast: Actors, *, module: str, province: str, venue: str, capacity: int, days, trainers, by, **extra
):
    province = Province.objects.select_related("region").get(code=province)
    return sessions.plan_session(
        module=Module.objects.get(code=module),
        region=province.region,
        province=province,
        venue=venue,
        capacity=capacity,
        days=days,
        trainers=[cast.trainers[name] for name in trainers],
        edition=cast.edition,
        by=by,
        **extra,
    )


def _listed(session: Session, *statuses) -> list[Registration]:
    registrations = session.registrations.select_related("member__cooperative").order_by("priority", "pk")
    return list(registrations.filter(status__in=statuses) if statuses else registrations)


def _answerer(cast: Actors, registration: Registration) -> User:
    """The cooperative's representative answers for its members; the delegate for the others."""
    representative = cast.representative
    if (
        representative
        and registration.member_id
        and registration.member.cooperative_id == representative.cooperative_id
    ):
        return representative
    return cast.delegate


def _members(number: str, *roles) -> list[Member]:
    members = Member.objects.filter(cooperative__registration_number=number, active=True, role__in=roles)
    order = {role: index for index, role in enumerate(roles)}
    return sorted(members, key=lambda member: order[member.role])


def _take_attendance(session: Session, by, absent: dict[int, set] | None = None) -> None:
    """Everyone expected marked present every day, except (registration pk → day indexes) absences."""
    absent = absent or {}
    days = list(session.days.order_by("date"))
    for registration in _listed(session, Registration.Status.INVITED, Registration.Status.CONFIRMED):
        for index, day in enumerate(days):
            present = index not in absent.get(registration.pk, set())
            attendance.record_attendance(registration=registration, day=day, present=present, by=by)


def _evaluate(session: Session, by, *, pre_base: int, gain: int) -> None:
    """Pre- and post-test scores and satisfaction answers of everyone expected."""
    expected = _listed(session, Registration.Status.INVITED, Registration.Status.CONFIRMED)
    for index, registration in enumerate(expected):
        pre = pre_base + (index * 7) % 20
        evaluations.record_scores(
            registration=registration, pre=pre, post=min(100, pre + gain + index % 3 * 5), by=by
        )
        evaluations.record_satisfaction(
            registration=registration, answers=SATISFACTION[index % len(SATISFACTION)], by=by
        )


def _certificate_language(registration: Registration) -> str:
    member = registration.member
    if member is None:
        return "fr"
    arabic = not member.full_name_fr or member.cooperative.registration_number in ARABIC_CERTIFICATES
    return "ar" if arabic else "fr"


def _certify(session: Session, by) -> list:
    """A certificate for each participant who completed, in the language their cooperative asked for."""
    issued = []
    completed = {pk for pk, progress in attendance.session_progress(session).items() if progress.completed}
    for registration in _listed(session):
        if registration.pk in completed and not hasattr(registration, "certificate"):
            language = _certificate_language(registration)
            issued.append(certificates.issue_certificate(registration=registration, by=by, language=language))
    return issued


def held_accounting_session(cast: Actors, today: dt.date) -> Session | None:
    venue = "Chambre d'artisanat de Safi, salle de formation"
    if _existing("TR-ACC", venue):
        return None
    session = _plan(
        cast, module="TR-ACC", province=SAFI, venue=venue, capacity=15, days=workdays(today - dt.timedelta(days=21), 2),
        trainers=["Youssef Amrani"], members_per_cooperative=3, by=cast.delegate,
        notes="Session de la délégation de Safi pour les bénéficiaires de la tranche 4.",
    )  # fmt: skip
    invitations.propose_participants(session=session, by=cast.delegate)
    invitations.send_invitations(session=session, by=cast.delegate)
    for registration in _listed(session, Registration.Status.INVITED)[:-1]:  # the last one never answered
        invitations.answer_invitation(
            registration=registration, accepted=True, by=_answerer(cast, registration)
        )
    sessions.set_status(session=session, status=Session.Status.HELD, by=cast.delegate)
    first_day = session.days.order_by("date").first()
    walk_in = _members("SAF-2021-0120", Member.Role.BOARD_MEMBER)
    if walk_in:
        attendance.add_walk_in(session=session, member=walk_in[0], day=first_day, by=cast.trainer)
    expected = _listed(session, Registration.Status.INVITED, Registration.Status.CONFIRMED)
    _take_attendance(session, cast.trainer, absent={expected[1].pk: {1}})  # missed the second day
    _evaluate(session, cast.trainer, pre_base=35, gain=30)
    _certify(session, cast.delegate)
    return session


def session_in_progress(cast: Actors, today: dt.date) -> Session | None:
    venue = "Maison de la coopération, Youssoufia"
    if _existing("TR-COST", venue):
        return None
    session = _plan(
        cast, module="TR-COST", province=YOUSSOUFIA, venue=venue, capacity=12,
        days=[previous_workday(today), today], trainers=["Youssef Amrani"], members_per_cooperative=3,
        by=cast.delegate,
    )  # fmt: skip
    invitations.propose_participants(session=session, by=cast.delegate)
    for member in _members("SAF-2022-0088", Member.Role.TREASURER):
        invitations.add_participant(session=session, member=member, by=cast.delegate)
    invitations.send_invitations(session=session, by=cast.delegate)
    for registration in _listed(session, Registration.Status.INVITED):
        invitations.answer_invitation(
            registration=registration, accepted=True, by=_answerer(cast, registration)
        )
    sessions.set_status(session=session, status=Session.Status.HELD, by=cast.delegate)
    return session


def upcoming_marketing_session(cast: Actors, today: dt.date) -> Session | None:
    venue = "Chambre de commerce, d'industrie et de services, Safi"
    if _existing("TR-MKT", venue):
        return None
    session = _plan(
        cast, module="TR-MKT", province=SAFI, venue=venue, capacity=4,
        days=workdays(today + dt.timedelta(days=30), 2), trainers=["Youssef Amrani"], members_per_cooperative=3,
        by=cast.delegate, notes="Petite salle : quatre places. Prévoir les échantillons de produits.",
    )  # fmt: skip
    invitations.propose_participants(session=session, by=cast.delegate)
    # The delegate adds the Sardine d'or's managers, who asked for it: the last ones wait for a place.
    managers = _members(
        "SAF-2022-0088", Member.Role.PRESIDENT, Member.Role.VICE_PRESIDENT, Member.Role.TREASURER
    )
    for member in managers:
        invitations.add_participant(session=session, member=member, by=cast.delegate)
    invitations.send_invitations(session=session, by=cast.delegate)
    invited = _listed(session, Registration.Status.INVITED)
    accepted = [
        registration for registration in invited if _answerer(cast, registration) == cast.representative
    ]
    for registration in accepted[:1]:
        invitations.answer_invitation(registration=registration, accepted=True, by=cast.representative)
    declining = [registration for registration in invited if registration not in accepted][-1]
    invitations.answer_invitation(registration=declining, accepted=False, by=cast.delegate)
    return session


def training_of_trainers(cast: Actors, today: dt.date) -> Session | None:
    venue = "Université Mohammed VI Polytechnique, Ben Guerir"
    if _existing("TOT-TRAINERS", venue):
        return None
    session = _plan(
        cast, module="TOT-TRAINERS", province=REHAMNA, venue=venue, capacity=12,
        days=workdays(today - dt.timedelta(days=60), 3), trainers=["Rachida Benjelloun"], by=cast.manager,
        notes="Formateurs identifiés pour les régions des phases 2 et 3.",
    )  # fmt: skip
    for name in TRAINEES:
        invitations.add_participant(session=session, trainer=cast.trainers[name], by=cast.manager)
    _run_to_the_end(session, cast.manager, pre_base=50, gain=25)
    return session


def staff_training(cast: Actors, today: dt.date) -> Session | None:
    venue = "Siège de l'ODCO, Rabat"
    if _existing("STAFF-PROG", venue):
        return None
    session = _plan(
        cast, module="STAFF-PROG", province=RABAT, venue=venue, capacity=20,
        days=workdays(today - dt.timedelta(days=40), 2), trainers=["Rachida Benjelloun"], by=cast.manager,
    )  # fmt: skip
    for key in ("delegate.safi", "delegate.guelmim"):
        staff = _user(key)
        if staff is not None:
            invitations.add_participant(session=session, staff=staff, by=cast.manager)
    _run_to_the_end(session, cast.manager, pre_base=55, gain=20)
    return session


def _run_to_the_end(session: Session, by, *, pre_base: int, gain: int) -> None:
    """Invite, confirm, hold, take attendance, evaluate, certify and close (head office runs it: the
    trainer has no account)."""
    invitations.send_invitations(session=session, by=by)
    for registration in _listed(session, Registration.Status.INVITED):
        invitations.answer_invitation(registration=registration, accepted=True, by=by)
    sessions.set_status(session=session, status=Session.Status.HELD, by=by)
    _take_attendance(session, by)
    _evaluate(session, by, pre_base=pre_base, gain=gain)
    _certify(session, by)
    sessions.set_status(session=session, status=Session.Status.CLOSED, by=by)


@transaction.atomic
def load_trainings() -> int:
    """Load the demo training (see the module docstring). Returns how many sessions were created."""
    load_training_reference()
    manager, delegate, trainer = _user("manager"), _user("delegate.safi"), _user("trainer")
    edition = Edition.objects.filter(programme__code="mourafaka", code="tranche-4").first()
    if None in (manager, delegate, trainer, edition):
        return 0
    cast = Actors(
        manager=manager,
        delegate=delegate,
        trainer=trainer,
        representative=_user("cooperative"),
        edition=edition,
        trainers=load_trainers(manager),
    )
    load_safi_diagnostic(manager, delegate)
    today = timezone.localdate()
    steps = (
        held_accounting_session,
        session_in_progress,
        upcoming_marketing_session,
        training_of_trainers,
        staff_training,
    )
    return sum(step(cast, today) is not None for step in steps)
